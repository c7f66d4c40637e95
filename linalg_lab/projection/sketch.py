"""Johnson-Lindenstrauss sketches of the projection's output and median coordinate estimates.

With ``L`` independent sketches ``R_l`` (``s x N``) and ``x = P h``,
``<R_l e_c, R_l x>`` estimates the coordinate ``x_c`` with variance at most
``2 ||x||^2 / s`` (Gaussian entries of variance ``1/s``, or sparse sign
columns with ``zeta`` entries ``+-1/sqrt(zeta)`` and the same bound). By
Chebyshev each estimate is within ``eps ||x||`` with probability at least
2/3 once ``s >= 6 / eps^2``, and the median of ``L`` of them fails with
probability at most ``exp(-L / 18)`` (Hoeffding), so ``L = 18 ln(1/delta)``
gives failure probability ``delta`` per coordinate. These are the
worst-case constants; in practice much smaller sketches do (see the
benchmark).

The same sketches serve every query, so the guarantee holds for queries
chosen independently of earlier answers. The paper's defence against an
adaptive adversary -- a differentially private median, which needs about
``sqrt(T)`` fresh sketch sets over ``T`` queries instead of ``T`` -- is not
implemented; rebuild the projection with a new ``rng`` to refresh them.

References
----------
.. [1] Z. Song, X. Yang, Y. Yang and L. Zhang, "Sketching Meets Differential
   Privacy: Fast Algorithm for Dynamic Kronecker Projection Maintenance",
   ICML 2023, arXiv:2210.11542.
.. [2] D. M. Kane and J. Nelson, "Sparser Johnson-Lindenstrauss Transforms",
   J. ACM 61 (2014) (sparse sign sketches).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ..factorization.randomized import sparse_sign_matrix

__all__ = ["SKETCHES", "median_coordinates", "sketch_matrices", "sketch_sizes"]

SKETCHES = ("gaussian", "sparse_sign")


def sketch_sizes(eps: float, delta: float) -> tuple[int, int]:
    """``(s, L)`` with ``s = ceil(6 / eps^2)`` and ``L = ceil(18 ln(1/delta))`` made odd.

    Examples
    --------
    >>> sketch_sizes(0.5, 0.05)
    (24, 55)
    """
    s = math.ceil(6.0 / (eps * eps))
    L = max(1, math.ceil(18.0 * math.log(1.0 / delta)))
    return s, L + (L % 2 == 0)


def sketch_matrices(kind: str, s: int, L: int, N: int, rng: np.random.Generator, zeta: int = 8):
    """``L`` stacked sketches as one ``(L s) x N`` matrix (dense Gaussian or sparse sign CSC).

    The sparse sign sketches are :func:`linalg_lab.factorization.sparse_sign_matrix`
    (``zeta`` nonzeros ``+-1/sqrt(zeta)`` per column of each sketch); the
    Gaussian ones have entries of variance ``1/s``. Both satisfy
    ``E[R_l^T R_l] = I``.

    Examples
    --------
    >>> import numpy as np
    >>> R = sketch_matrices("sparse_sign", 4, 3, 10, np.random.default_rng(0), zeta=2)
    >>> R.shape, R.nnz, np.unique(np.abs(R.data).round(4)).tolist()
    ((12, 10), 60, [0.7071])
    """
    if kind == "gaussian":
        return rng.standard_normal((L * s, N)) / math.sqrt(s)
    # the project's one sparse sign builder (same scaling: E[R_l^T R_l] = I, unit columns)
    return sp.csc_matrix(sparse_sign_matrix(s, N, zeta=zeta, rng=rng, n_sketches=L))


def median_coordinates(R, sketches: np.ndarray, index: np.ndarray, s: int) -> np.ndarray:
    """Median over the ``L`` sketches of ``<R_l e_c, R_l x>`` for each ``c`` in ``index``.

    Parameters
    ----------
    R : numpy.ndarray or scipy.sparse.csc_matrix, shape (L s, N)
    sketches : numpy.ndarray, shape (L s,) or (L s, q)
        ``R x`` for one output ``x`` or a block of ``q``.
    index : numpy.ndarray of int
    s : int
        Rows per sketch.

    Returns
    -------
    numpy.ndarray, shape (len(index),) or (len(index), q)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R = sketch_matrices("gaussian", 400, 5, 50, rng)
    >>> x = rng.standard_normal(50)
    >>> est = median_coordinates(R, R @ x, np.arange(50), 400)
    >>> bool(np.max(np.abs(est - x)) < 0.3 * np.linalg.norm(x))
    True
    """
    cols = R[:, index]
    cols = cols.toarray() if hasattr(cols, "toarray") else np.asarray(cols)
    L = cols.shape[0] // s
    cols = cols.reshape(L, s, len(index))
    if sketches.ndim == 1:
        est = np.einsum("lsk,ls->lk", cols, sketches.reshape(L, s))
    else:
        est = np.einsum("lsk,lsq->lkq", cols, sketches.reshape(L, s, -1))
    return np.median(est, axis=0)
