"""Baselines for one-sided completion: zero-filled truncated SVD and soft-impute.

Both estimate ``X`` itself (and so also return left singular vectors); with
two observations per row neither can recover the right singular space, which
is the point of :func:`~linalg_lab.completion.one_sided_complete`.

* :func:`zero_filled_svd`: the top singular triplets of the zero-filled
  matrix ``P_Omega(X) / p`` (``p`` the observation rate).
* :func:`soft_impute`: nuclear-norm regularised completion (Mazumder,
  Hastie & Tibshirani 2010), ``Z <- S_lambda(P_Omega(X) + P_Omega^perp(Z))``
  with singular value soft-thresholding, restricted to rank ``r``. The
  iterate is kept as "sparse + low rank", ``P_Omega(X - L) + L`` with
  ``L = A diag(s) B^T``, so every step costs ``O(nnz r + n r^2)`` plus a
  ``d x d`` eigenproblem (``d <= 3000``) or a sparse SVD, never an ``n x d``
  dense array.

References
----------
.. [1] R. Mazumder, T. Hastie and R. Tibshirani, "Spectral Regularization
   Algorithms for Learning Large Incomplete Matrices", JMLR 11 (2010).
.. [2] S. Cao, P. Liang and G. Valiant, "One-sided Matrix Completion from
   Two Observations Per Row", ICML 2023 (the baselines of Section 5).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg as sla
from scipy.sparse.linalg import LinearOperator, svds

from ..exceptions import ConvergenceWarning
from ..validation import check_int, check_real, check_rng, check_tolerance
from .observations import observed_entries
from .one_sided import DENSE_INIT_MAX_D, OneSidedCompletion

__all__ = ["soft_impute", "zero_filled_svd"]


def _gram_fraction(S) -> float:
    P = S.copy()
    P.data = np.ones_like(P.data)
    return (P.T @ P).nnz / float(S.shape[1] ** 2)


def _top_svd(op_matvec, op_rmatvec, gram, shape, rank, rng):
    """Top-``rank`` right singular vectors and values, from the dense ``d x d`` Gram when small."""
    n, d = shape
    if d <= DENSE_INIT_MAX_D:
        G = gram()
        w, V = sla.eigh(G, subset_by_index=(d - rank, d - 1))
        return V[:, ::-1], np.sqrt(np.maximum(w[::-1], 0.0))
    if rank >= min(n, d):
        raise ValueError(f"rank: expected < min(n, d) = {min(n, d)} for d > {DENSE_INIT_MAX_D}, got {rank}")
    op = LinearOperator(shape, matvec=op_matvec, rmatvec=op_rmatvec, matmat=op_matvec, rmatmat=op_rmatvec,
                        dtype=np.float64)
    _, s, Vt = svds(op, k=rank, v0=rng.standard_normal(min(n, d)))
    order = np.argsort(s)[::-1]
    return Vt[order].T, s[order]


def _rayleigh_ritz(apply, V):
    """``(U, s, V')``: the SVD of ``Z V`` (``Z`` applied by ``apply``), with ``V' = V W``.

    For ``V`` spanning the top right singular subspace of ``Z`` this is its top SVD. ``U`` is orthonormal even
    where singular values vanish or are tiny (``Z V / s`` is not: a zero column there, rounding noise divided by
    a small ``s``), and ``s`` does not inherit the squared conditioning of the Gram route.
    """
    U, s, Wt = sla.svd(np.asarray(apply(V)), full_matrices=False, check_finite=False)
    return U, s, V @ Wt.T


def _check(X, rank, rng):
    S = observed_entries(X)
    n, d = S.shape
    rank = check_int(rank, "rank", minimum=1, maximum=min(n, d), maximum_text=f"min(n, d) = {min(n, d)}")
    return S, n, d, rank, check_rng(rng)


def zero_filled_svd(X, rank, *, rng=None) -> OneSidedCompletion:
    """Top singular triplets of the zero-filled matrix, rescaled by the observation rate.

    Parameters
    ----------
    X : scipy.sparse matrix or numpy.ma.MaskedArray, shape (n, d)
        The observations (see :func:`~linalg_lab.completion.one_sided_complete`).
    rank : int
        ``1 <= rank <= min(n, d)``.
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Start vector of the sparse SVD (only for ``d > 3000``).

    Returns
    -------
    OneSidedCompletion
        With ``left_vectors`` (n x r); singular values are those of
        ``P_Omega(X) / p``; ``components`` and ``left_vectors`` have
        orthonormal columns even when ``rank`` exceeds the rank of the
        observations (zero singular values).

    References
    ----------
    .. [1] S. Cao, P. Liang and G. Valiant, "One-sided Matrix Completion from
       Two Observations Per Row", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.completion import random_instance, sin_theta, zero_filled_svd
    >>> X, V, _ = random_instance(2000, 20, 2, per_row=20, rng=0)   # fully observed
    >>> res = zero_filled_svd(X, 2)
    >>> bool(sin_theta(res.components, V) < 1e-10), res.left_vectors.shape
    (True, (2000, 2))
    """
    S, n, d, rank, rng = _check(X, rank, rng)
    p = S.nnz / float(n * d)
    if not np.any(S.data):  # every observation is 0 (ARPACK cannot start on a zero operator)
        V = np.eye(d, rank)
    else:
        V, _ = _top_svd(lambda Y: S @ Y, lambda Y: S.T @ Y, lambda: (S.T @ S).toarray(), (n, d), rank, rng)
    U, s, V = _rayleigh_ritz(lambda Y: S @ Y, V)
    sv = s / np.sqrt(p) if p > 0 else s
    return OneSidedCompletion(components=V, singular_values=sv, observed_fraction=_gram_fraction(S),
                              factor=V * sv, method="zero_filled_svd", left_vectors=U)


def soft_impute(X, rank, *, shrinkage: float = 0.05, max_iter: int = 100, tol: float = 1e-5,
                rng=None) -> OneSidedCompletion:
    """Rank-restricted soft-impute (nuclear-norm regularised matrix completion).

    Parameters
    ----------
    X : scipy.sparse matrix or numpy.ma.MaskedArray, shape (n, d)
        The observations.
    rank : int
        Largest rank kept, ``1 <= rank <= min(n, d)``.
    shrinkage : float, default 0.05
        ``lambda / sigma_1(P_Omega(X))``: the soft threshold relative to the
        top singular value of the zero-filled matrix.
    max_iter : int, default 100
    tol : float, default 1e-5
        Stop when ``||Z_new - Z_old||_F^2 <= tol ||Z_old||_F^2`` (low-rank parts).
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Start vectors of the sparse SVD (only for ``d > 3000``).

    Returns
    -------
    OneSidedCompletion
        Right (``components``) and left (``left_vectors``) singular vectors
        (orthonormal, also where singular values were shrunk to 0) and the
        shrunk singular values of the completed matrix; ``converged``.

    Warns
    -----
    linalg_lab.ConvergenceWarning
        When the iteration stops at ``max_iter`` before the tolerance is met
        (``converged`` False).

    References
    ----------
    .. [1] R. Mazumder, T. Hastie and R. Tibshirani, "Spectral Regularization
       Algorithms for Learning Large Incomplete Matrices", JMLR 11 (2010).

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.completion import random_instance, sin_theta, soft_impute
    >>> X, V, _ = random_instance(300, 20, 2, per_row=12, rng=0)
    >>> res = soft_impute(X, 2, shrinkage=0.01)
    >>> bool(sin_theta(res.components, V) < 0.05)
    True
    """
    S, n, d, rank, rng = _check(X, rank, rng)
    shrinkage = check_real(shrinkage, "shrinkage", minimum=0)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_tolerance(tol, "tol")
    rows = np.repeat(np.arange(n), np.diff(S.indptr))
    cols = S.indices
    A, s, B = np.zeros((n, rank)), np.zeros(rank), np.zeros((d, rank))
    lam = None
    it, converged = 0, False
    for it in range(1, max_iter + 1):
        Sp = S.copy()
        Sp.data = S.data - np.einsum("ij,ij->i", A[rows] * s, B[cols])  # P_Omega(X - L)
        As = A * s

        def apply(Y, Sp=Sp, As=As):  # Z Y with Z = Sp + A diag(s) B^T
            return Sp @ Y + As @ (B.T @ Y)

        def rapply(Y, Sp=Sp, As=As):
            return Sp.T @ Y + B @ (As.T @ Y)

        def gram(Sp=Sp, As=As):
            cross = (Sp.T @ As) @ B.T
            return (Sp.T @ Sp).toarray() + cross + cross.T + B @ ((As.T @ As) @ B.T)

        if not np.any(S.data):  # all observations 0: Z = 0 throughout (and ARPACK cannot start on it)
            Vn = np.eye(d, rank)
        else:
            Vn, _ = _top_svd(apply, rapply, gram, (n, d), rank, rng)
        An, sig, Vn = _rayleigh_ritz(apply, Vn)
        if lam is None:
            lam = shrinkage * float(sig[0])
        sn = np.maximum(sig - lam, 0.0)
        # ||L_new - L_old||_F^2 from the factors (never n x d)
        old = float(s @ s)
        inner = float(np.sum(((A.T @ An) * np.outer(s, sn)) * (B.T @ Vn)))
        change = old + float(sn @ sn) - 2.0 * inner
        A, s, B = An, sn, Vn
        if it > 1 and change <= tol * max(old, 1e-300):
            converged = True
            break
    if not converged:
        warnings.warn(f"soft_impute: not converged after max_iter = {max_iter} iterations (relative change "
                      f"{change / max(old, 1e-300):.2e} > tol = {tol:.1e}); the result is flagged converged=False",
                      ConvergenceWarning, stacklevel=2)
    return OneSidedCompletion(components=B, singular_values=s, observed_fraction=_gram_fraction(S), factor=B * s,
                              method="soft_impute", n_iter=it, converged=converged, left_vectors=A)
