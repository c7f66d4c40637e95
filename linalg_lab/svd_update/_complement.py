"""Orthonormal bases of the part of an update outside the current singular subspace.

For a side with orthonormal factor ``X`` (``dim x k``, stored as ``X' K``)
and an update block ``Y`` (``dim x s``), the complement ``(I - X X^T) Y`` is
needed as ``Q R`` with ``Q`` orthonormal (``dim x r``) and ``R`` (``r x s``).

* :func:`implicit_basis` (Deng et al.): ``Q = (Y - X C) S`` with
  ``C = X^T Y`` and a small ``s x r`` coefficient matrix ``S``. ``Q`` is never
  formed: only the rows ``Omega`` where ``Y`` is nonzero and the ``k x s``
  matrix ``C`` are touched. Inner products of such vectors are
  ``<Y a - X C a, Y b - X C b> = a^T (Y^T Y - C^T C) b``, so everything is
  done with the Gram matrix ``G = Y^T Y - C^T C`` of the complement (the
  paper's Gram-Schmidt in the inner product ``b1.b2 - c1.c2``). ``"exact"``:
  a pivoted Cholesky factorisation of ``G`` (LAPACK ``pstrf``), stopping at
  the rounding level so that rank-deficient updates are handled. ``"gkl"``
  (Vecharynski & Saad): ``l`` Golub-Kahan-Lanczos steps on the complement.
  ``"rpi"`` (Yamazaki et al.): ``l`` Gaussian vectors with power iterations.
  The last two approximate the complement by its projection on ``l``
  directions and only need products with ``G`` (``O(nnz(Y) + k s)`` each).
* :func:`dense_basis` (Zha & Simon): the complement as a dense ``dim x s``
  block, projected twice ("twice is enough") and QR-factorised.

Accuracy of the implicit form: ``G`` carries a rounding error of about
``eps ||Y||^2`` (the subtraction ``Y^T Y - C^T C`` cancels when ``Y`` lies
almost in the span of ``X``), so a complement direction of norm ``delta``
is orthonormalised to about ``eps ||Y||^2 / delta^2``; directions below the
rounding level (``delta^2 < PSTRF_NOISE * (s + k) * eps * max ||y_j||^2``)
are dropped. For updates with a well-conditioned complement (the usual
case) both forms agree to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.linalg.lapack import dpstrf

from ..validation import EPS

__all__ = ["Basis", "dense_basis", "implicit_basis", "touched_rows"]

#: Pivoted Cholesky stops at ``PSTRF_NOISE * (s + k) * eps * max ||y_j||^2``.
PSTRF_NOISE = 10.0
#: GKL / RPI use a dense copy of ``Y[omega]`` up to this many entries (1.6 MB).
DENSE_PRODUCT_MAX = 200_000


@dataclass
class Basis:
    """``Q = (Y - X C) S`` (implicit) with ``(I - X X^T) Y ~ Q R``.

    ``omega``: rows of the side touched by ``Y``; ``Y``: ``Y[omega]``
    (sparse CSR or dense, ``|omega| x s``); ``C``: ``k x s``; ``S``:
    ``s x r``; ``R``: ``r x s``.
    """

    omega: np.ndarray
    Y: object
    C: np.ndarray
    S: np.ndarray
    R: np.ndarray

    @property
    def rank(self) -> int:
        return self.R.shape[0]


def touched_rows(Y):
    """``(omega, Y[omega])``: the rows of ``Y`` holding a stored entry, and those rows.

    A sparse ``Y`` stays sparse (CSR); a dense one keeps its nonzero rows.
    """
    if sp.issparse(Y):
        Y = sp.csr_array(Y)
        omega = np.flatnonzero(np.diff(Y.indptr))
        Yo = Y[omega]  # a copy: canonicalising it leaves the caller's matrix alone
        Yo.sum_duplicates()
        return omega, Yo
    omega = np.flatnonzero(np.any(Y != 0, axis=1))
    return omega, Y[omega]


def _gram(Y) -> np.ndarray:
    G = Y.T @ Y
    return G.toarray() if sp.issparse(G) else np.asarray(G)


def _pivoted_cholesky(G: np.ndarray, tol: float):
    """``(S, R)`` with ``S^T G S = I`` (``s x r``) and ``R^T R ~ G`` (``r x s``), ``R = S^T G``."""
    s = G.shape[0]
    if s == 0 or not np.any(G.diagonal() > tol):
        return np.zeros((s, 0)), np.zeros((0, s))
    c, piv, rank, info = dpstrf(G, tol=tol, lower=0)
    if info < 0:  # pragma: no cover - LAPACK argument error
        raise RuntimeError(f"dpstrf failed with info={info}")
    piv = piv - 1
    top = np.triu(c[:rank])
    R = np.empty((rank, s))
    R[:, piv] = top
    S = np.zeros((s, rank))
    S[piv[:rank]] = sla.solve_triangular(top[:, :rank], np.eye(rank), lower=False)
    return S, R


def _noise(Yt_Y_diag: np.ndarray, s: int, k: int) -> float:
    scale = float(Yt_Y_diag.max()) if Yt_Y_diag.size else 0.0
    return PSTRF_NOISE * (s + k) * EPS * scale


def _col_sq_norms(Y) -> np.ndarray:
    if sp.issparse(Y):
        Y = sp.csr_array(Y)
        return np.bincount(Y.indices, weights=Y.data * Y.data, minlength=Y.shape[1])
    return np.einsum("ij,ij->j", Y, Y)


def implicit_basis(rows_of_X, K, Y, *, kind="exact", l=10, power_iters=1, rng=None) -> Basis:
    """The implicit complement basis of :class:`Basis` for ``X = X' K``.

    ``rows_of_X(omega)`` returns ``X'[omega]``; ``Y`` is the ``dim x s``
    update (sparse or dense); ``kind`` is ``"exact"``, ``"gkl"`` or ``"rpi"``.
    """
    omega, Yo = touched_rows(Y)
    s, k = Y.shape[1], K.shape[0]
    P = rows_of_X(omega)
    C = np.asarray(Yo.T @ P) @ K  # (X^T Y)^T, s x k
    C = np.ascontiguousarray(C.T)
    sq = _col_sq_norms(Yo)
    tol = _noise(sq, s, k)
    if kind == "exact" or l >= s:
        G = _gram(Yo) - C.T @ C
        G = (G + G.T) / 2
        S, R = _pivoted_cholesky(G, tol)
        return Basis(omega, Yo, C, S, R)

    # G @ A without forming G; a small Y[omega] is densified (cheaper than
    # sparse products' per-call overhead, and at most DENSE_PRODUCT_MAX entries)
    if sp.issparse(Yo) and Yo.shape[0] * s > DENSE_PRODUCT_MAX:
        Yf, Yb = Yo, sp.csr_array(Yo.T)
    else:
        Yf = Yo.toarray() if sp.issparse(Yo) else Yo
        Yb = Yf.T

    def gmul(A):
        return Yb @ (Yf @ A) - C.T @ (C @ A)

    if kind == "rpi":
        A = rng.standard_normal((s, l))
        for _ in range(power_iters):
            A = np.linalg.qr(gmul(A))[0]
        GA = gmul(A)
    else:
        A, GA = _golub_kahan(gmul, s, l, rng, tol)
    # orthonormalise the left vectors (Y - X C) A in the G inner product
    W = A.T @ GA
    W = (W + W.T) / 2
    # noise in a^T G a is about tol ||a||^2; also stop at the rounding level of W itself
    wtol = max(tol * float(np.einsum("ij,ij->j", A, A).max(initial=0.0)),
               PSTRF_NOISE * (A.shape[1] + 1) * EPS * float(W.diagonal().max(initial=0.0)))
    Sp, _ = _pivoted_cholesky(W, wtol)
    S = A @ Sp
    R = (GA @ Sp).T  # Q^T (Y - X C) = S^T G
    return Basis(omega, Yo, C, S, R)


def _golub_kahan(gmul, s: int, l: int, rng, tol: float):
    """``l`` Golub-Kahan-Lanczos steps on the complement ``Z = Y - X C``, in coefficients.

    Left vectors are ``Z a`` (inner product ``a^T G b``), right vectors live
    in ``R^s`` (``Z^T Z a = G a``). Both are fully re-orthogonalised. Returns
    the coefficient block ``A`` and ``G A``.
    """
    A, GA, Qr = np.empty((s, l)), np.empty((s, l)), np.empty((s, l + 1))
    q = rng.standard_normal(s)
    Qr[:, 0] = q / np.linalg.norm(q)
    a = Qr[:, 0].copy()
    floor = np.sqrt(max(tol, 0.0))
    j = 0
    while j < l:
        ga = gmul(a)
        if j:  # re-orthogonalise a against the previous left vectors (G inner product)
            coef = GA[:, :j].T @ a
            a = a - A[:, :j] @ coef
            ga = ga - GA[:, :j] @ coef
        alpha = np.sqrt(max(float(a @ ga), 0.0))
        if alpha <= floor:
            break
        A[:, j], GA[:, j] = a / alpha, ga / alpha
        j += 1
        if j == l or j >= s:
            break
        r = GA[:, j - 1] - alpha * Qr[:, j - 1]
        for _ in range(2):
            r = r - Qr[:, :j] @ (Qr[:, :j].T @ r)
        beta = float(np.linalg.norm(r))
        if beta <= floor * 1e-3:
            break
        Qr[:, j] = r / beta
        a = Qr[:, j] - beta * A[:, j - 1]
    return A[:, :j], GA[:, :j]


def dense_basis(X: np.ndarray, Y):
    """Zha-Simon's complement: ``(C, Q, R)`` with ``C = X^T Y`` and ``(I - X X^T) Y ~ Q R``, ``Q`` explicit.

    ``Y`` is densified (``dim x s``): this is the cost the implicit form avoids.
    """
    Yd = Y.toarray() if sp.issparse(Y) else np.array(Y, dtype=np.float64)
    dim, s = Yd.shape
    C = X.T @ Yd
    Z = Yd - X @ C
    C2 = X.T @ Z  # second projection: "twice is enough"
    Z -= X @ C2
    C += C2
    sq = _col_sq_norms(Yd)
    scale = float(np.sqrt(sq.max(initial=0.0)))
    tol = max(dim, s) * EPS * scale
    nz = np.flatnonzero(sq > 0)  # zero columns (empty rows of an update) have no complement
    if nz.size == 0:
        return C, np.zeros((dim, 0)), np.zeros((0, s))
    Znz = Z[:, nz] if nz.size < s else Z
    R = np.zeros((nz.size, s))
    if dim >= nz.size:
        Q, Rnz = np.linalg.qr(Znz)
        d = np.abs(Rnz.diagonal())
        if d.min() > 1e-8 * max(d.max(), scale):
            R[:, nz] = Rnz
            return C, Q, R
        # dependent columns: the Householder Q then holds directions made of
        # rounding noise (not orthogonal to X); keep only range(Z) = Q W_r from
        # the SVD of the small R, cut at the rounding level
        W, sig, Xt = np.linalg.svd(Rnz)
        r = int(np.count_nonzero(sig > tol))
        Q = Q @ W[:, :r]
    else:
        Q, sig, Xt = np.linalg.svd(Znz, full_matrices=False)
        r = int(np.count_nonzero(sig > tol))
        Q = Q[:, :r]
    R = np.zeros((r, s))
    R[:, nz] = sig[:r, None] * Xt[:r]
    return C, Q, R
