"""Observed entries of a partially observed matrix and their co-observation statistics.

A partially observed ``n x d`` matrix is given either as a scipy.sparse
matrix whose *stored* entries are the observations (an explicitly stored
zero is an observed zero, an absent entry is missing) or as a
:class:`numpy.ma.MaskedArray` (masked = missing). :func:`observed_entries`
turns both into one canonical CSR matrix of observations, and
:func:`pair_statistics` aggregates, for every pair of columns ``j < k``
observed together in at least one row, the sufficient statistics that the
Gram estimators and the pairwise likelihood of :mod:`.one_sided` need:

* ``N_jk``: the number of rows observing both ``j`` and ``k``;
* ``S_jk = sum x_ij x_ik`` over those rows;
* ``D_jk = sum x_ij^2`` and ``D_kj = sum x_ik^2`` over the same rows (the
  second moments of the pair's own samples);

plus, per column, the number of rows observing it and the sum of squares
(all rows, and separately the rows with a single observation). Everything
comes from three sparse products ``P^T P``, ``S^T S`` and ``(S o S)^T P``
(``P`` the 0/1 pattern), so the cost is ``sum_i m_i^2`` for ``m_i``
observations in row ``i`` and no ``n x d`` array is ever densified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..validation import check_matrix

__all__ = ["PairStatistics", "observed_entries", "pair_statistics"]


def observed_entries(X, name: str = "X") -> sp.csr_matrix:
    """The observations of ``X`` as a canonical float64 CSR matrix (stored entries = observed).

    Parameters
    ----------
    X : scipy.sparse matrix or numpy.ma.MaskedArray, shape (n, d)
        Sparse: every stored entry (explicit zeros included) is an
        observation; duplicate stored entries are summed. Masked array:
        the unmasked entries are the observations (masked entries may hold
        anything, NaN included).
    name : str
        Argument name for the messages.

    Returns
    -------
    scipy.sparse.csr_matrix
        A new matrix (the input is never modified) with sorted indices and
        no duplicates.

    Raises
    ------
    TypeError
        A plain ndarray (its missing entries would be ambiguous), or non-numeric entries.
    ValueError
        Not 2-D, empty, or a non-finite observed value.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ma.masked_invalid([[1.0, np.nan, 2.0], [np.nan, 0.0, np.nan]])
    >>> S = observed_entries(X)
    >>> S.nnz, S.toarray().tolist()
    (3, [[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    """
    if isinstance(X, np.ma.MaskedArray):
        data = check_matrix(np.ma.getdata(X), name, dtype=np.float64, finite=False)
        mask = np.ma.getmaskarray(X)
        rows, cols = np.nonzero(~mask)
        vals = data[rows, cols]
        if not np.all(np.isfinite(vals)):
            raise ValueError(f"{name}: contains NaN or inf among the observed (unmasked) entries")
        n, d = data.shape
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return sp.csr_matrix((vals.astype(np.float64), cols.astype(np.int64), indptr), shape=(n, d))
    if not sp.issparse(X):
        if X is None or isinstance(X, (np.ndarray, list, tuple)):
            raise TypeError(
                f"{name}: expected a scipy.sparse matrix of observed entries or a numpy.ma.MaskedArray, got "
                f"{type(X).__name__}"
            )
        raise TypeError(f"{name}: expected a scipy.sparse matrix or a numpy.ma.MaskedArray, got {type(X).__name__}")
    S = check_matrix(X, name, accept_sparse="csr", dtype=np.float64)
    S = sp.csr_matrix(S, copy=True)  # own copy: canonicalising below must not touch the caller's matrix
    if not S.has_canonical_format:
        S.sum_duplicates()
    return S


@dataclass(frozen=True)
class PairStatistics:
    """Co-observation statistics of a partially observed ``n x d`` matrix (see the module text).

    Attributes
    ----------
    n, d : int
        Shape of the matrix.
    nnz : int
        Number of observed entries.
    col_count, col_sumsq : numpy.ndarray, shape (d,)
        Rows observing column ``j`` and ``sum x_ij^2`` over them.
    single_count, single_sumsq : numpy.ndarray, shape (d,)
        The same over the rows with exactly one observation.
    J, K : numpy.ndarray of intp
        The co-observed pairs ``j < k`` (lexicographic order).
    count, cross, sumsq_j, sumsq_k : numpy.ndarray of float64
        ``N_jk``, ``S_jk``, ``D_jk``, ``D_kj`` for each pair.
    row_pairs : int
        ``sum_i m_i (m_i - 1) / 2``: co-observed (row, pair) incidences.
    """

    n: int
    d: int
    nnz: int
    col_count: np.ndarray
    col_sumsq: np.ndarray
    single_count: np.ndarray
    single_sumsq: np.ndarray
    J: np.ndarray
    K: np.ndarray
    count: np.ndarray
    cross: np.ndarray
    sumsq_j: np.ndarray
    sumsq_k: np.ndarray
    row_pairs: int

    @property
    def observed_fraction(self) -> float:
        """Fraction of the ``d^2`` Gram entries with at least one co-observation (diagonal included)."""
        diag = int(np.count_nonzero(self.col_count))
        return (diag + 2 * self.J.size) / float(self.d * self.d)


def _at(A: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``A[rows, cols]`` as a flat float64 array (structural zeros read as 0)."""
    if rows.size == 0:
        return np.zeros(0)
    return np.asarray(A[rows, cols], dtype=np.float64).ravel()


def pair_statistics(S: sp.csr_matrix) -> PairStatistics:
    """Aggregate the co-observation statistics of a canonical CSR matrix of observations.

    Parameters
    ----------
    S : scipy.sparse.csr_matrix, shape (n, d)
        As returned by :func:`observed_entries` (not checked again).

    Returns
    -------
    PairStatistics

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> S = sp.csr_matrix(([1.0, 2.0, 3.0, 4.0, 5.0], [0, 1, 0, 1, 2], [0, 2, 4, 5]), shape=(3, 3))
    >>> st = pair_statistics(S)
    >>> st.J.tolist(), st.K.tolist(), st.count.tolist(), st.cross.tolist()
    ([0], [1], [2.0], [14.0])
    >>> st.sumsq_j.tolist(), st.sumsq_k.tolist(), st.single_count.tolist()
    ([10.0], [20.0], [0.0, 0.0, 1.0])
    """
    n, d = S.shape
    P = S.copy()
    P.data = np.ones_like(P.data)
    Q = S.copy()
    Q.data = S.data * S.data
    counts = (P.T @ P).tocsr()
    cross = (S.T @ S).tocsr()
    sq = (Q.T @ P).tocsr()  # sq[j, k] = sum of x_ij^2 over the rows observing j and k
    upper = sp.triu(counts, k=1).tocoo()
    order = np.lexsort((upper.col, upper.row))
    J = upper.row[order].astype(np.intp)
    K = upper.col[order].astype(np.intp)
    per_row = np.diff(S.indptr)
    single = np.flatnonzero(per_row == 1)
    first = S.indptr[single]
    single_cols, single_vals = S.indices[first], S.data[first]
    col_count = np.bincount(S.indices, minlength=d).astype(np.float64)
    col_sumsq = np.bincount(S.indices, weights=Q.data, minlength=d)
    return PairStatistics(
        n=int(n), d=int(d), nnz=int(S.nnz),
        col_count=col_count, col_sumsq=col_sumsq,
        single_count=np.bincount(single_cols, minlength=d).astype(np.float64),
        single_sumsq=np.bincount(single_cols, weights=single_vals * single_vals, minlength=d),
        J=J, K=K,
        count=upper.data[order].astype(np.float64),
        cross=_at(cross, J, K), sumsq_j=_at(sq, J, K), sumsq_k=_at(sq, K, J),
        row_pairs=int((per_row * (per_row - 1) // 2).sum()),
    )
