"""Random tall low-rank matrices observed in exactly ``per_row`` entries per row (the paper's setting)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..validation import check_int, check_rng, check_vector

__all__ = ["random_instance"]


def random_instance(n, d, rank, *, per_row: int = 2, scales=None, rng=None):
    """``X = G diag(scales) V^T`` with Gaussian ``G`` and ``per_row`` uniformly chosen entries observed per row.

    Parameters
    ----------
    n, d : int
        Shape of ``X`` (``d >= per_row``).
    rank : int
        ``1 <= rank <= d``.
    per_row : int, default 2
        Distinct observed columns per row, chosen uniformly at random.
    scales : array_like of shape (rank,), optional
        Column scales of ``G``, nonzero (default all ones; the ICML 2023 benchmark uses 3).
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional

    Returns
    -------
    X_obs : scipy.sparse.csr_matrix, shape (n, d)
        The observed entries.
    V : numpy.ndarray, shape (d, rank)
        Orthonormal: the true right singular space.
    L : numpy.ndarray, shape (n, rank)
        ``G diag(scales)``, so that ``X = L V^T`` and ``X^T X = V L^T L V^T``.

    References
    ----------
    .. [1] S. Cao, P. Liang and G. Valiant, "One-sided Matrix Completion from
       Two Observations Per Row", ICML 2023 (Section 5: synthetic data).

    Examples
    --------
    >>> X, V, L = random_instance(5, 4, 2, rng=0)
    >>> X.shape, X.getnnz(axis=1).tolist(), V.shape, L.shape
    ((5, 4), [2, 2, 2, 2, 2], (4, 2), (5, 2))
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    rank = check_int(rank, "rank", minimum=1, maximum=d)
    per_row = check_int(per_row, "per_row", minimum=1, maximum=d)
    s = np.ones(rank) if scales is None else check_vector(scales, "scales", size=rank, dtype=np.float64)
    if not np.all(s != 0):  # a zero scale drops a direction: V would not be the right singular space of X
        raise ValueError(f"scales: expected nonzero entries (X must have rank {rank}), got {s.tolist()}")
    rng = check_rng(rng)
    V = np.linalg.qr(rng.standard_normal((d, rank)))[0]
    L = rng.standard_normal((n, rank)) * s
    if per_row == 2:
        a = rng.integers(0, d, n)
        cols = np.stack([a, (a + rng.integers(1, d, n)) % d], axis=1) if d > 1 else a[:, None]
    else:
        cols = np.empty((n, per_row), dtype=np.int64)
        for start in range(0, n, 8192):  # chunks: never an n x d random array
            stop = min(n, start + 8192)
            cols[start:stop] = np.argpartition(rng.random((stop - start, d)), per_row - 1, axis=1)[:, :per_row]
    cols = np.sort(cols, axis=1)
    rows = np.repeat(np.arange(n), cols.shape[1])
    vals = np.einsum("ij,ij->i", L[rows], V[cols.ravel()])
    indptr = np.arange(0, n * cols.shape[1] + 1, cols.shape[1])
    return sp.csr_matrix((vals, cols.ravel(), indptr), shape=(n, d)), V, L
