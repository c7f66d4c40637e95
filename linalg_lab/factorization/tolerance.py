"""Rank cutoffs and a pseudoinverse with an explicit, documented tolerance.

The one rule used throughout :mod:`linalg_lab.factorization` (written in
:mod:`linalg_lab.validation`, so that every family applies it): a singular value
``sigma`` of an ``m x n`` matrix counts as nonzero iff

    sigma > cutoff = max(rtol, max(m, n) * eps) * sigma_max

with ``eps`` the float64 machine epsilon (2.2e-16) and ``rtol`` a user choice
(default ``None``, meaning only the size term). The size term is the rounding
floor of a computed matrix of that size (the same default as
``numpy.linalg.matrix_rank``); ``rtol`` can only raise the cutoff above it.

``numpy.linalg.pinv`` uses ``1e-15 * sigma_max`` by default, with no size
term: on a 4000 x 3000 matrix of exact rank 50 it keeps 54 singular values,
four of them rounding noise, and its answer is wrong in every digit. With the
rule above the cutoff there is ``8.9e-13 * sigma_max`` and the rank is 50.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from ..validation import EPS, check_matrix, check_rtol, rank_cutoff, relative_cutoff

__all__ = ["EPS", "rank_cutoff", "numerical_rank", "pinv", "penrose_residuals"]

# ``rank_cutoff``, ``relative_cutoff`` and ``EPS`` live in :mod:`linalg_lab.validation` (every family needs
# the rule); ``rank_cutoff`` is re-exported from :mod:`linalg_lab.factorization`.


def _float_matrix(A, name: str, **kwargs) -> np.ndarray:
    """``A`` as a checked dense float64 matrix: sparse input is densified (LAPACK needs dense)."""
    M = check_matrix(A, name, accept_sparse=True, dtype=np.float64, **kwargs)
    return M.toarray() if sp.issparse(M) else M


def _svd_lapack(M: np.ndarray):
    try:
        return sla.svd(M, full_matrices=False, check_finite=False, lapack_driver="gesdd")
    except (np.linalg.LinAlgError, ValueError):  # pragma: no cover - rare LAPACK failure
        return sla.svd(M, full_matrices=False, check_finite=False, lapack_driver="gesvd")


def _svd(M: np.ndarray):
    """Thin SVD; QR first for tall or wide matrices (Chan's R-SVD).

    For an ``m x k`` matrix with ``m >= 2k`` (a sketch ``A Q``), a Householder
    QR followed by the SVD of the ``k x k`` factor is as backward stable as a
    direct SVD and several times faster, mostly blocked level-3 work.
    """
    m, n = M.shape
    if m >= 2 * n and n > 0:
        Q, R = sla.qr(M, mode="economic", check_finite=False)
        U, s, Vt = _svd_lapack(R)
        return Q @ U, s, Vt
    if n >= 2 * m and m > 0:
        Q, R = sla.qr(M.T, mode="economic", check_finite=False)
        U, s, Vt = _svd_lapack(R)
        return Vt.T, s, (Q @ U).T
    return _svd_lapack(M)


def _truncated_svd(M: np.ndarray, rtol: float | None = None, size: int | None = None):
    """``(U_r, s_r, Vt_r)`` keeping singular values above the cutoff.

    ``size`` overrides ``max(M.shape)`` in the size term: a small matrix
    computed from a big one (a sketch ``P^T A``) inherits the rounding floor
    of the big one.
    """
    m, n = M.shape
    if size is None:
        size = max(m, n)
    if M.size == 0:
        return np.zeros((m, 0)), np.zeros(0), np.zeros((0, n))
    U, s, Vt = _svd(M)
    if s.size == 0 or s[0] == 0.0:
        return U[:, :0], s[:0], Vt[:0]
    r = int(np.count_nonzero(s > relative_cutoff(size, rtol) * s[0]))
    return U[:, :r], s[:r], Vt[:r]


def _pinv(M: np.ndarray, rtol: float | None = None, size: int | None = None) -> np.ndarray:
    """Pseudoinverse of a dense matrix with the cutoff rule (no validation)."""
    U, s, Vt = _truncated_svd(M, rtol, size)
    return (Vt.T / s) @ U.T


def _rank(M: np.ndarray, rtol: float | None = None, size: int | None = None) -> int:
    if M.size == 0:
        return 0
    m, n = M.shape
    if m >= 2 * n or n >= 2 * m:  # QR first, as in _svd
        M = sla.qr(M if m >= n else M.T, mode="r", check_finite=False)[0][: min(m, n)]
    s = sla.svdvals(M, check_finite=False)
    if s.size == 0 or s[0] == 0.0:
        return 0
    if size is None:
        size = max(M.shape)
    return int(np.count_nonzero(s > relative_cutoff(size, rtol) * s[0]))


def numerical_rank(A, rtol=None) -> int:
    """Number of singular values of ``A`` above the cutoff.

    Parameters
    ----------
    A : array_like, shape (m, n)
        Finite real matrix (sparse input is densified).
    rtol : float or None, optional
        Relative tolerance; the cutoff is
        ``max(rtol, max(m, n) * eps) * sigma_max`` (see :func:`rank_cutoff`).

    Returns
    -------
    int

    References
    ----------
    .. [1] G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed.,
       Johns Hopkins, 2013, Section 5.4.1.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import numerical_rank
    >>> numerical_rank(np.outer([1.0, 2.0, 3.0], [1.0, 1.0]))
    1
    """
    A = _float_matrix(A, "A", allow_empty=True)
    rtol = check_rtol(rtol)
    return _rank(A, rtol)


def pinv(A, rtol=None, *, return_rank: bool = False):
    """Moore-Penrose pseudoinverse through the SVD with an explicit cutoff.

    Singular values ``sigma <= max(rtol, max(m, n) * eps) * sigma_max`` are
    treated as zero. Unlike ``numpy.linalg.pinv`` (cutoff
    ``1e-15 * sigma_max`` whatever the size) this keeps the exact rank of
    exactly low-rank matrices of any size.

    Parameters
    ----------
    A : array_like, shape (m, n)
        Finite real matrix.
    rtol : float or None, optional
        Relative tolerance in ``[0, 1)``; None means the size term only.
    return_rank : bool, optional
        Also return the rank that was kept.

    Returns
    -------
    X : numpy.ndarray, shape (n, m)
        The pseudoinverse ``A^+`` of the rank-``r`` truncation of ``A``.
    rank : int
        Only if ``return_rank``.

    References
    ----------
    .. [1] R. Penrose, "A generalized inverse for matrices", *Proc. Cambridge
       Philos. Soc.* 51 (1955) 406-413.
    .. [2] G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed.,
       Johns Hopkins, 2013, Section 5.5.2.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import pinv
    >>> np.allclose(pinv([[1.0, 1.0]]), [[0.5], [0.5]])
    True
    """
    A = _float_matrix(A, "A", allow_empty=True)
    rtol = check_rtol(rtol)
    U, s, Vt = _truncated_svd(A, rtol)
    X = (Vt.T / s) @ U.T
    return (X, int(s.size)) if return_rank else X


def _rel(num: float, den: float) -> float:
    num, den = float(num), float(den)
    if den == 0.0:
        return 0.0 if num == 0.0 else float("inf")
    return num / den


def penrose_residuals(A, X) -> tuple[float, float, float, float]:
    """Relative residuals of the four Penrose conditions.

    Returns the Frobenius-norm ratios

    1. ``||A X A - A|| / ||A||``
    2. ``||X A X - X|| / ||X||``
    3. ``||(A X)^T - A X|| / ||A X||``
    4. ``||(X A)^T - X A|| / ||X A||``

    (a ratio ``0/0`` counts as 0). ``X = A^+`` iff all four vanish.

    Parameters
    ----------
    A : array_like, shape (m, n)
    X : array_like, shape (n, m)
        Candidate pseudoinverse; a LinearOperator with ``toarray()`` works.

    Returns
    -------
    tuple of four floats

    References
    ----------
    .. [1] R. Penrose, "A generalized inverse for matrices", *Proc. Cambridge
       Philos. Soc.* 51 (1955) 406-413.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import pinv, penrose_residuals
    >>> A = np.arange(6.0).reshape(2, 3)
    >>> max(penrose_residuals(A, pinv(A))) < 1e-12
    True
    """
    A = _float_matrix(A, "A", allow_empty=True)
    if hasattr(X, "toarray") and not isinstance(X, np.ndarray):
        X = X.toarray()
    X = _float_matrix(X, "X", allow_empty=True, shape=A.shape[::-1])
    nrm = np.linalg.norm
    AX = A @ X
    XA = X @ A
    return (
        _rel(nrm(AX @ A - A), nrm(A)),
        _rel(nrm(X @ AX - X), nrm(X)),
        _rel(nrm(AX.T - AX), nrm(AX)),
        _rel(nrm(XA.T - XA), nrm(XA)),
    )
