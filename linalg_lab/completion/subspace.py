"""Distance between subspaces: the sine of the largest principal angle."""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from ..validation import check_matrix, relative_cutoff

__all__ = ["sin_theta"]


def sin_theta(A, B) -> float:
    """Sine of the largest principal angle between ``range(A)`` and ``range(B)``.

    Computed as ``||Q_A - Q_B Q_B^T Q_A||_2`` for orthonormal bases ``Q_A``,
    ``Q_B`` (accurate for small angles, unlike ``sqrt(1 - cos^2)``); when
    ``A`` has more columns than ``B`` the roles are swapped. For subspaces of
    the same dimension this is ``||P_A - P_B||_2``.

    Parameters
    ----------
    A, B : array_like, shape (d, r_A) and (d, r_B)
        Spanning sets (any full-column-rank matrices, not necessarily orthonormal).

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        ``A`` or ``B`` without full column rank (numerical rank at the cutoff
        ``max(d, r) eps sigma_max`` below its number of columns): its columns
        span a smaller subspace than their number says, and the orthonormal
        factor of its QR would add directions it does not span.

    References
    ----------
    .. [1] G. W. Stewart and J.-G. Sun, *Matrix Perturbation Theory*,
       Academic Press, 1990, Section I.5 (principal angles).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0], [0.0]]); B = np.array([[1.0], [1.0]])
    >>> round(sin_theta(A, B), 6)
    0.707107
    """
    A = check_matrix(A, "A", dtype=np.float64)
    B = check_matrix(B, "B", dtype=np.float64, shape=(A.shape[0], None))
    for name, M in (("A", A), ("B", B)):
        sv = np.linalg.svd(M, compute_uv=False)
        rank = int(np.count_nonzero(sv > relative_cutoff(max(M.shape)) * sv[0])) if sv[0] > 0 else 0
        if rank < M.shape[1]:
            raise ValueError(f"{name}: expected independent columns (full column rank), got {M.shape[1]} columns "
                             f"of numerical rank {rank}")
    if A.shape[1] > B.shape[1]:
        A, B = B, A
    Qa = sla.qr(A, mode="economic")[0]
    Qb = sla.qr(B, mode="economic")[0]
    R = Qa - Qb @ (Qb.T @ Qa)
    return float(min(1.0, np.linalg.norm(R, 2)))
