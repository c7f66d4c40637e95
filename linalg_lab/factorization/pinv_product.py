"""Pseudoinverse of a product A = C R (Karpowicz & Strang).

Three formulas:

1. ``A^+ = R^+ C^+``, valid when ``C`` has independent columns and ``R``
   independent rows (:func:`pinv_cr`, which checks that);
2. ``A^+ = (C^+ C R)^+ (C R R^+)^+``, always valid (Cline's formula,
   :func:`pinv_product`);
3. from the CR factorization (pivot columns ``C``, rref rows ``R``):
   ``A^+ = R^T (C^T A R^T)^{-1} C^T`` (:func:`pinv_via_cr`).

The randomized formula ``(P^T A)^+ (P^T A Q) (A Q)^+`` is in
:mod:`linalg_lab.factorization.randomized`.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from ..validation import check_rtol
from .classic import cr
from .tolerance import _float_matrix, _pinv, _truncated_svd

__all__ = ["pinv_cr", "pinv_product", "pinv_via_cr"]


def _check_pair(C, R):
    C = _float_matrix(C, "C", allow_empty=True)
    if C.shape[0] == 0:
        raise ValueError(f"C: expected at least one row, got shape {C.shape}")
    R = _float_matrix(R, "R", allow_empty=True, shape=(C.shape[1], None))   # as many rows as C has columns
    if R.shape[1] == 0:
        raise ValueError(f"R: expected at least one column, got shape {R.shape}")
    return C, R


def pinv_cr(C, R, *, rtol=None) -> np.ndarray:
    """Formula 1: ``A^+ = R^+ C^+`` for ``A = C R`` with full-rank factors.

    Correct only when ``C`` (m x r) has ``r`` independent columns and ``R``
    (r x n) has ``r`` independent rows; then ``C^+`` is a left inverse of
    ``C`` and ``R^+`` a right inverse of ``R``. Both conditions are checked
    numerically (singular values above ``max(rtol, size * eps) * sigma_max``
    with ``size`` the larger dimension of the factor) and a ``ValueError``
    names the failing factor otherwise: in general ``R^+ C^+ != (CR)^+``
    (for ``C = [1, 1]``, ``R = [1, 0]^T``: ``A^+ = 1`` but ``R^+ C^+ = 1/2``).
    Use :func:`pinv_product` for arbitrary factors.

    Parameters
    ----------
    C : array_like, shape (m, r)
    R : array_like, shape (r, n)
    rtol : float or None, optional
        Relative rank tolerance for the independence checks and the two
        pseudoinverses.

    Returns
    -------
    numpy.ndarray, shape (n, m)

    Raises
    ------
    ValueError
        If ``C`` has dependent columns or ``R`` dependent rows, or the shapes
        do not match.

    References
    ----------
    .. [1] M. P. Karpowicz and G. Strang, "The pseudoinverse of A = CR is
       A+ = R+C+ (?)", arXiv:2305.01716, 2023.
    .. [2] T. N. E. Greville, "Note on the generalized inverse of a matrix
       product", *SIAM Rev.* 8 (1966) 518-521.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import pinv_cr
    >>> C = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> R = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    >>> np.allclose(pinv_cr(C, R), np.linalg.pinv(C @ R, rcond=1e-12))
    True
    """
    C, R = _check_pair(C, R)
    rtol = check_rtol(rtol)
    r = C.shape[1]
    UC, sC, VtC = _truncated_svd(C, rtol)
    if sC.size < r:
        raise ValueError(
            f"C: expected independent columns for A^+ = R^+ C^+ (formula 1), "
            f"got {r} columns of numerical rank {sC.size}; "
            "use pinv_product(C, R), which is always correct"
        )
    UR, sR, VtR = _truncated_svd(R, rtol)
    if sR.size < r:
        raise ValueError(
            f"R: expected independent rows for A^+ = R^+ C^+ (formula 1), "
            f"got {r} rows of numerical rank {sR.size}; "
            "use pinv_product(C, R), which is always correct"
        )
    Rp = (VtR.T / sR) @ UR.T  # n x r
    Cp = (VtC.T / sC) @ UC.T  # r x m
    return Rp @ Cp


def pinv_product(C, R, *, rtol=None) -> np.ndarray:
    """Formula 2: ``(C R)^+ = (C^+ C R)^+ (C R R^+)^+`` for any factors.

    Always correct (Cline 1964; Karpowicz & Strang, formula 2). ``C^+ C`` is
    the orthogonal projector onto the row space of ``C``, ``R R^+`` the one
    onto the column space of ``R``; the two outer pseudoinverses are of
    ``r x n`` and ``m x r`` matrices. Every pseudoinverse uses the cutoff
    ``max(rtol, max(m, n, r) * eps) * sigma_max``.

    Parameters
    ----------
    C : array_like, shape (m, r)
    R : array_like, shape (r, n)
    rtol : float or None, optional
        Relative rank tolerance.

    Returns
    -------
    numpy.ndarray, shape (n, m)

    References
    ----------
    .. [1] M. P. Karpowicz and G. Strang, "The pseudoinverse of A = CR is
       A+ = R+C+ (?)", arXiv:2305.01716, 2023.
    .. [2] R. E. Cline, "Note on the generalized inverse of the product of
       matrices", *SIAM Rev.* 6 (1964) 57-58.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import pinv_product
    >>> pinv_product([[1.0, 1.0]], [[1.0], [0.0]])   # (CR)^+ = 1^+ = 1
    array([[1.]])
    """
    C, R = _check_pair(C, R)
    rtol = check_rtol(rtol)
    size = max(C.shape[0], R.shape[1], C.shape[1])
    # C^+ C = V_C V_C^T and R R^+ = U_R U_R^T, formed from orthonormal
    # singular vectors so that the projectors carry no cond(C), cond(R) error.
    _, _, VtC = _truncated_svd(C, rtol, size)
    UR, _, _ = _truncated_svd(R, rtol, size)
    left = _pinv(VtC.T @ (VtC @ R), rtol, size)  # (C^+ C R)^+ : n x r
    right = _pinv((C @ UR) @ UR.T, rtol, size)  # (C R R^+)^+ : r x m
    return left @ right


def pinv_via_cr(A, *, rtol=None, orthogonalize=True) -> np.ndarray:
    """``A^+ = R^T (C^T A R^T)^{-1} C^T`` from the CR factorization of ``A``.

    ``C`` (pivot columns, independent) and ``R`` (rref rows, independent)
    come from :func:`~linalg_lab.factorization.cr` with the rank tolerance
    ``rtol``; the ``r x r`` matrix ``C^T A R^T = (C^T C)(R R^T)`` is then
    invertible and the formula is exact.

    The formula is invariant under ``C -> C S``, ``R -> T R`` for invertible
    ``S``, ``T``. With ``orthogonalize=True`` (default) it is evaluated with
    orthonormal bases ``Q_C`` of ``range(C)`` and ``Q_R`` of ``range(R^T)``
    as ``Q_R (Q_C^T A Q_R)^{-1} Q_C^T``, whose core has the condition number
    of ``A`` on its rank; ``orthogonalize=False`` evaluates the formula
    literally, with a core of condition up to ``cond(C)^2 cond(R)^2``.

    Parameters
    ----------
    A : array_like, shape (m, n)
    rtol : float or None, optional
        Relative rank tolerance of the CR factorization.
    orthogonalize : bool, optional
        Evaluate through orthonormal bases (default True).

    Returns
    -------
    numpy.ndarray, shape (n, m)

    References
    ----------
    .. [1] M. P. Karpowicz and G. Strang, "The pseudoinverse of A = CR is
       A+ = R+C+ (?)", arXiv:2305.01716, 2023.
    .. [2] M. P. Karpowicz, "A theory of meta-factorization",
       arXiv:2111.14385, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import pinv_via_cr
    >>> A = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    >>> np.allclose(pinv_via_cr(A), np.linalg.pinv(A, rcond=1e-12))
    True
    """
    A = _float_matrix(A, "A")
    rtol = check_rtol(rtol)
    f = cr(A, rtol=rtol)
    C, R = f.C, f.R
    if C.shape[1] == 0:
        return np.zeros(A.shape[::-1])
    if orthogonalize:
        C, _ = sla.qr(C, mode="economic", check_finite=False)
        Rt, _ = sla.qr(R.T, mode="economic", check_finite=False)
        R = Rt.T
    M = C.T @ A @ R.T
    return R.T @ sla.solve(M, C.T, check_finite=False)
