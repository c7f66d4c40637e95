"""The top ``k`` singular triplets of the small core matrix of an update.

Every update ends with the rank-``k`` SVD of a ``(k + p) x (k + q)`` matrix
``M`` (``p``, ``q``: the ranks of the update's complements). For small ``M``
this is a dense SVD. When ``M`` is large (an update of many rows at once) and
its top ``k`` singular values are not spread over many orders of magnitude,
the ``k`` top eigenpairs of the smaller Gram matrix ``M^T M`` (or ``M M^T``)
are computed instead (LAPACK ``syevr`` for a subset of eigenpairs, several
times faster than a full SVD) and the other side follows as
``M g_i / theta_i``.

Accuracy of the Gram route: eigenvalues of the Gram matrix carry an absolute
error of about ``eps theta_1^2``, so ``theta_i`` has a relative error of about
``eps (theta_1 / theta_i)^2`` and the other side loses orthonormality by the
same amount. The route is taken only when ``theta_k >= GRAM_MIN_RATIO *
theta_1`` (``1e-2``: at most ``1e4 eps``, about ``2e-12``); otherwise the
dense SVD is used.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

__all__ = ["top_k_svd", "GRAM_MIN_RATIO"]

#: Smallest ``theta_k / theta_1`` for which the Gram (eigh) route is used.
GRAM_MIN_RATIO = 1e-2
#: ``M`` whose smaller side is at most this (or ``2 k``) gets a dense SVD.
DENSE_MAX_SIDE = 48


def _dense(M: np.ndarray, k: int):
    F, theta, Gt = np.linalg.svd(M, full_matrices=False)
    return F[:, :k], theta[:k], Gt[:k].T


def top_k_svd(M: np.ndarray, k: int, *, fast: bool = True):
    """``(F, theta, G)``: ``M ~ F diag(theta) G^T``, the top ``k`` triplets, ``theta`` descending.

    ``min(M.shape) >= k`` is assumed. ``fast=False`` always uses the dense SVD.
    """
    p, q = M.shape
    small = min(p, q)
    if not fast or small <= max(2 * k, DENSE_MAX_SIDE):
        return _dense(M, k)
    right = q <= p  # eigenvectors of M^T M are the right singular vectors
    H = M.T @ M if right else M @ M.T
    lam, W = sla.eigh(H, subset_by_index=[small - k, small - 1], driver="evr", check_finite=False)
    lam, W = lam[::-1], W[:, ::-1]
    theta = np.sqrt(np.maximum(lam, 0.0))
    if theta[0] == 0.0 or theta[-1] < GRAM_MIN_RATIO * theta[0]:
        return _dense(M, k)
    other = (M @ W if right else M.T @ W) / theta
    return (other, theta, W) if right else (W, theta, other)
