"""Dynamic Kronecker projection maintenance: ``P = B^T (B B^T)^{-1} B`` for ``B = A (W kron I)`` or its sqrt form.

``A`` is ``m x n^2`` with rows ``vec(A_i)^T`` and ``W`` is symmetric positive
semidefinite ``n x n``; ``B`` and ``P`` are never formed. With ``vec``
stacking columns (``vec(X Z Y) = (Y^T kron X) vec(Z)``) and ``S = W^1/2``,
the two forms are

* ``"w_i"``: ``B = A (W kron I)``, row ``i`` of ``B`` is ``vec(A_i W)^T``,
  ``M_ij = (B B^T)_ij = tr(A_i^T A_j W^2)``, and
  ``P h = vec((sum_i y_i A_i) W)`` with ``b_i = <A_i, H W>``;
* ``"sqrt_w"``: ``B = A (S kron S)``, row ``i`` is ``vec(S A_i S)^T``,
  ``M_ij = tr(A_i^T W A_j W)``, and ``P h = vec(S (sum_i y_i A_i) S)`` with
  ``b_i = <A_i, S H S>``;

with ``y = M^{-1} b``. Exact mode keeps ``M`` (``m x m``) and its Cholesky
factor; a query costs ``O(m n^2 + n^3 + m^2)``. Initialisation costs
``O(m n^3 + m^2 n^2)`` (``M`` is built a block of columns at a time, so no
dense ``m x n^2`` array is formed when the ``A_i`` are sparse). A change
``W -> W + U C U^T`` of rank ``k`` updates ``M`` in ``O(m n^2 k + m^2 n k)``:

* ``"w_i"``: ``W'^2 - W^2 = Z F Z^T`` with ``Z = [U, W U]`` and
  ``F = [[C U^T U C, C], [C, 0]]``, so ``dM_ij = <A_i Z, A_j Z F>``;
* ``"sqrt_w"``: ``W' A W' - W A W = D A W + W A D + D A D`` (``D = U C U^T``),
  so ``dM_ij = <W L_i, L_j C> + <W R_i, R_j C> + <C K_i, K_j C>`` with
  ``L_i = A_i^T U``, ``R_i = A_i U`` and ``K_i = U^T A_i U``;

both written as signed sums of Gram matrices ``Z Z^T`` (in the eigenbasis of
``C``, resp. of ``W'^2 - W^2``) so that BLAS runs symmetric rank-k updates.
Then ``M`` is refactored (``O(m^3)``) and, for ``"sqrt_w"``, ``W^1/2`` is
recomputed (``O(n^3)``). When ``B`` loses rank, ``M^{-1}`` becomes the
pseudoinverse (eigenvalues of ``M`` at the rounding level dropped, see
``KroneckerProjection.rank``) and ``P`` is still the orthogonal projector onto
the (numerical) row space of ``B``.

Rank decisions. Eigenvalues of ``W`` at or below ``max(rtol, 10 n eps)
lam_max(W)`` count as zero (the computed ``x x^T`` has its zero eigenvalues a
few ``eps lam_max`` off, and their square roots would be spurious directions
of ``B`` of size ``1e-8``), so a singular ``W`` has a square root of the same
rank; the ``"sqrt_w"`` form uses that ``W^1/2`` in the queries and ``W_r =
(W^1/2)^2`` in a freshly built ``M`` (an incrementally updated ``M`` differs
from it at the level of the dropped eigenvalues). An eigenvalue of ``M`` counts as nonzero when it
exceeds ``c max(lam_max(M), lam_max(W)^2 max_i ||A_i||_F^2)`` with ``c =
max(rtol, 10 max(m, n^2) eps)``: ``M`` is summed from products of size
``||A_i|| ||A_j|| ||W||^2``, so its entries are only known to ``n^2 eps``
times that (which is far above ``eps lam_max(M)`` when the products cancel,
e.g. ``A_i`` mostly outside the range of a singular ``W``). A singular value
``sigma`` of ``B`` is therefore kept when ``sigma^2`` passes that cutoff.

The sketched mode (:mod:`.sketch`) keeps ``L`` JL sketches ``R_l B^T``
(``s x m``): ``query_sketch`` returns ``R_l P h`` without the ``n^2``-long
output and ``query_coordinates`` the median estimates of chosen
coordinates of ``P h``.

References
----------
.. [1] Z. Song, X. Yang, Y. Yang and L. Zhang, "Sketching Meets Differential
   Privacy: Fast Algorithm for Dynamic Kronecker Projection Maintenance",
   ICML 2023, arXiv:2210.11542.
.. [2] F. Alizadeh, J.-P. A. Haeberly and M. L. Overton, "Primal-dual
   interior-point methods for semidefinite programming", SIAM J. Optim. 8
   (1998) (the Schur complement ``tr(A_i W A_j W)``).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.linalg.lapack import dpocon

from ..validation import (
    check_choice,
    check_indices,
    check_int,
    check_matrix,
    check_real,
    check_rng,
    check_rtol,
    relative_cutoff,
)
from ._checks import check_symmetric_psd
from .constraints import check_constraints, left_mul, right_mul, unvec, vec
from .sketch import SKETCHES, median_coordinates, sketch_matrices, sketch_sizes

__all__ = ["FORMS", "KroneckerProjection"]

FORMS = ("w_i", "sqrt_w")

#: Safety factor on the size term of the rank cutoffs of ``W`` and ``M``: eigenvalues up to ``NOISE * size *
#: eps * scale`` are rounding noise. With the bare ``size * eps`` of small matrices the cutoff sits at the level
#: of the eigensolver's own error: the computed ``X X^T`` of an ``n x r`` Gaussian ``X`` has its ``n - r`` zero
#: eigenvalues up to ``16 eps lam_max`` off (``n = 4``), and LAPACK's two symmetric eigensolvers put a null
#: eigenvalue of a ``3 x 3`` Gram matrix ``M`` at ``0.06`` and ``4`` times ``4 eps lam_max``.
NOISE = 10.0

#: Entries of one block of ``n x n`` products formed while building ``M`` (bounds the working memory).
BLOCK_ENTRIES = 1 << 21


def _w_cutoff(n: int, rtol) -> float:
    """Relative cutoff for the eigenvalues of ``W``: ``max(rtol, NOISE * n * eps)``."""
    return max(relative_cutoff(n, rtol), NOISE * relative_cutoff(n))


def _sqrt_psd(W: np.ndarray, eig=None, rtol=None) -> tuple[np.ndarray, np.ndarray]:
    """``(W^1/2, W_r)`` from an eigendecomposition (given or computed), eigenvalues at the rank cutoff dropped.

    Eigenvalues ``lam <= max(rtol, NOISE n eps) * lam_max`` count as zero and ``W_r = (W^1/2)^2`` is
    ``W`` without them. Keeping them is wrong: an eigenvalue that is rounding noise (``~ eps lam_max``, what the
    computed ``x x^T`` has where the exact one has 0) becomes ``sqrt(eps lam_max)`` in ``W^1/2``, a spurious
    direction of ``B`` eight digits above the rounding level, which no rank cutoff of ``B B^T`` can tell from
    a real one.
    """
    lam, Q = sla.eigh(W, check_finite=False) if eig is None else eig
    keep = lam > _w_cutoff(W.shape[0], rtol) * (max(float(lam[-1]), 0.0) if lam.size else 0.0)
    Qk, lk = Q[:, keep], lam[keep]
    return (Qk * np.sqrt(lk)) @ Qk.T, (Qk * lk) @ Qk.T


def _left(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``M @ X[:, i, :]`` for every ``i`` of a ``(p, m, n)`` array, as one product."""
    return (M @ X.reshape(X.shape[0], -1)).reshape(M.shape[0], *X.shape[1:])


def _signed_gram(Y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``sum_l d_l Y[l] Y[l]^T`` for a ``(p, m, n)`` array, as ``Z+ Z+^T - Z- Z-^T`` (BLAS syrk)."""
    m = Y.shape[1]
    out = np.zeros((m, m))
    for sign, mask in ((1.0, d > 0), (-1.0, d < 0)):
        if mask.any():
            Z = (Y[mask] * np.sqrt(np.abs(d[mask]))[:, None, None]).transpose(1, 0, 2).reshape(m, -1)
            out += sign * (Z @ Z.T)
    return out


class KroneckerProjection:
    """Maintain ``P = B^T (B B^T)^{-1} B`` under changes of ``W`` (see the module text).

    Parameters
    ----------
    A_mats : array_like (m, n, n), sequence of m (n x n) dense or sparse matrices, or an m x n^2 matrix
        The ``A_i`` (the ``m x n^2`` form holds ``vec(A_i)^T`` as rows). Sparse input stays sparse.
    W : array_like, shape (n, n)
        Symmetric positive semidefinite.
    form : {"sqrt_w", "w_i"}, default "sqrt_w"
        ``B = A (W^1/2 kron W^1/2)`` or ``B = A (W kron I)``.
    sketch : {None, "gaussian", "sparse_sign"}, default None
        Also keep JL sketches of the output (``query_sketch``, ``query_coordinates``).
    eps, delta : float, default 0.5 and 0.05
        Accuracy ``eps ||P h||`` and failure probability per coordinate of the
        sketched estimates; they fix ``sketch_size = ceil(6 / eps^2)`` and
        ``n_sketches = ceil(18 ln(1/delta))`` (odd) unless those are given.
    sketch_size, n_sketches : int, optional
        Rows per sketch ``s`` and number of sketches ``L`` (override ``eps``/``delta``).
    rtol : float or None
        Relative cutoff for the eigenvalues of ``W`` and of ``M`` (None: the
        rounding floors ``10 n eps`` and ``10 max(m, n^2) eps``; a given
        ``rtol`` can only raise them). See the module text.
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Randomness of the sketches.

    Attributes
    ----------
    m, n : int
    form : str
    W : numpy.ndarray
        The current ``W`` (a copy; read only).
    gram : numpy.ndarray
        The current ``M = B B^T`` (read only).
    rank : int
        The numerical rank of ``B``: the number of eigenvalues of ``M`` above
        the cutoff of the module text (``m`` when the Cholesky factor is used,
        which happens only when LAPACK's estimate of ``cond(M)`` puts every
        eigenvalue a factor 10 above that cutoff).
    n_updates : int
        Incremental updates since the last full computation of ``M``.

    References
    ----------
    .. [1] Z. Song, X. Yang, Y. Yang and L. Zhang, "Sketching Meets
       Differential Privacy: Fast Algorithm for Dynamic Kronecker Projection
       Maintenance", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> n, m = 4, 3
    >>> A = rng.standard_normal((m, n, n)); X = rng.standard_normal((n, n)); W = X @ X.T
    >>> proj = KroneckerProjection(A, W, form="sqrt_w")
    >>> S = proj.sqrt_w
    >>> B = np.stack([(S @ Ai @ S).ravel(order="F") for Ai in A])   # dense reference, m x n^2
    >>> h = rng.standard_normal(n * n)
    >>> bool(np.allclose(proj.query(h), B.T @ np.linalg.solve(B @ B.T, B @ h)))
    True
    >>> u = rng.standard_normal((n, 1))
    >>> _ = proj.update_low_rank(u, np.eye(1))           # W + u u^T
    >>> bool(np.allclose(proj.gram, KroneckerProjection(A, W + u @ u.T).gram))
    True
    """

    def __init__(self, A_mats, W, form: str = "sqrt_w", *, sketch=None, eps: float = 0.5, delta: float = 0.05,
                 sketch_size=None, n_sketches=None, rtol=None, rng=None):
        self._A = check_constraints(A_mats, "A_mats")
        self.m, self.n = self._A.m, self._A.n
        self.form = check_choice(form, "form", FORMS)
        self._rtol = check_rtol(rtol)
        self._W = check_symmetric_psd(W, "W", size=self.n)
        # max_i ||A_i||_F^2: the scale of the products that M is summed from (rounding floor of M, _gram_cutoff)
        row_sq = self._A.flat.multiply(self._A.flat).sum(axis=1) if self._A.sparse else np.einsum(
            "ij,ij->i", self._A.flat, self._A.flat)
        self._a_top = float(np.max(row_sq))
        self._sketch_kind = None if sketch is None else check_choice(sketch, "sketch", SKETCHES)
        if self._sketch_kind is not None:
            eps = check_real(eps, "eps", minimum=0, maximum=1, strict_minimum=True, strict_maximum=True)
            delta = check_real(delta, "delta", minimum=0, maximum=1, strict_minimum=True, strict_maximum=True)
            s, L = sketch_sizes(eps, delta)
            self.sketch_size = s if sketch_size is None else check_int(sketch_size, "sketch_size", minimum=1)
            self.n_sketches = L if n_sketches is None else check_int(n_sketches, "n_sketches", minimum=1)
            rng = check_rng(rng)
            self._R = sketch_matrices(self._sketch_kind, self.sketch_size, self.n_sketches, self.n * self.n, rng)
        self._refresh()

    # ------------------------------------------------------------------ state

    @property
    def W(self) -> np.ndarray:
        out = self._W.view()
        out.flags.writeable = False
        return out

    @property
    def sqrt_w(self) -> np.ndarray:
        """``W^1/2`` (computed on demand for ``form="w_i"``; read only).

        Eigenvalues of ``W`` at or below ``max(rtol, n eps) lam_max(W)`` count as zero (the rank cutoff of
        :func:`~linalg_lab.validation.relative_cutoff`), so a singular ``W`` has a square root of the same rank.
        """
        S = self._S if self.form == "sqrt_w" else _sqrt_psd(self._W, rtol=self._rtol)[0]
        out = S.view()
        out.flags.writeable = False
        return out

    @property
    def gram(self) -> np.ndarray:
        out = self._M.view()
        out.flags.writeable = False
        return out

    def _refresh(self):
        """Compute ``M`` from scratch for the current ``W`` (``O(m n^3 + m^2 n^2)``)."""
        m, n = self.m, self.n
        if self.form == "sqrt_w":
            # M from the W that the queries use: W_r = (W^1/2)^2, so that M = B B^T for that B exactly
            self._S, W_r = _sqrt_psd(self._W, rtol=self._rtol)
            right, left = W_r, W_r
        else:
            right, left = self._W @ self._W, None
        M = np.empty((m, m))
        block = max(1, BLOCK_ENTRIES // (n * n))
        for j0 in range(0, m, block):
            j1 = min(m, j0 + block)
            M[:, j0:j1] = self._A.inner(self._A.sandwich(right, left, (j0, j1)))  # <A_i, left A_j right>
        self._M = (M + M.T) / 2.0
        self.n_updates = 0
        self._factor()
        self._sketch_B = None

    def refresh(self):
        """Recompute ``M`` from scratch (clears the rounding of many incremental updates); returns self."""
        self._refresh()
        return self

    def _gram_cutoff(self, lam_max: float) -> float:
        """Absolute cutoff for the eigenvalues of ``M`` (see :attr:`rank`), given (a bound on) ``lam_max(M)``.

        ``max(c lam_max, c ||W||_2^2 max_i ||A_i||_F^2)`` with ``c = max(rtol, NOISE max(m, n^2) eps)``. ``M`` is
        summed from products of ``n x n`` matrices (``B`` is ``m x n^2``), so its entries carry a rounding
        error of about ``n^2 eps`` times the size of those products, ``||A_i|| ||A_j|| ||W||^2``: a null
        direction of the exact ``M`` shows up as an eigenvalue of that size. The second term matters when the
        products cancel (``A_i`` mostly outside the range of a singular ``W``), where ``lam_max(M)`` is far
        below the data's scale.
        """
        size = max(self.m, self.n * self.n)
        c = max(relative_cutoff(size, self._rtol), NOISE * relative_cutoff(size))
        return c * max(lam_max, self._w_top ** 2 * self._a_top)

    def _factor(self):
        M = self._M
        n = self.n
        self._w_top = max(float(sla.eigvalsh(self._W, subset_by_index=[n - 1, n - 1], check_finite=False)[0]), 0.0)
        top = float(np.max(np.diag(M))) if self.m else 0.0
        self._chol = None
        if top > 0:
            try:
                c, lower = sla.cho_factor(M, lower=True, check_finite=False)
            except np.linalg.LinAlgError:
                c = None
            if c is not None:
                # a successful Cholesky factorisation proves nothing about the rank (its pivots can lie far above
                # the smallest eigenvalue). For symmetric M, ||M^-1||_2 <= ||M^-1||_1, so lam_min(M) >=
                # rcond * ||M||_1 with rcond = 1 / (||M||_1 ||M^-1||_1), and ||M||_1 >= lam_max(M) bounds the
                # cutoff; the margin 10 covers LAPACK's estimate of rcond, which can exceed the true value by a
                # small factor
                anorm = float(np.abs(M).sum(axis=0).max())
                rcond, info = dpocon(c, anorm, uplo="L")
                if info == 0 and rcond * anorm > 10.0 * self._gram_cutoff(anorm):
                    self._chol = (c, lower)
                    self.rank = self.m
                    return
        lam, Q = sla.eigh(M)
        keep = lam > self._gram_cutoff(max(float(lam[-1]), 0.0)) if lam.size else np.zeros(0, bool)
        self._eig = (Q[:, keep], lam[keep])
        self.rank = int(keep.sum())

    def _solve(self, b: np.ndarray) -> np.ndarray:
        if self._chol is not None:
            return sla.cho_solve(self._chol, b, check_finite=False)
        Q, lam = self._eig
        t = Q.T @ b
        return Q @ (t / lam[:, None] if t.ndim == 2 else t / lam)

    # ------------------------------------------------------------------ updates

    def update_low_rank(self, U, C):
        """``W <- W + U C U^T`` with ``M`` updated in ``O(m n^2 k + m^2 n k)``; returns self.

        Parameters
        ----------
        U : array_like, shape (n, k)
            ``1 <= k <= n`` columns (any, not necessarily orthonormal).
        C : array_like, shape (k, k)
            Symmetric; the new ``W`` must stay positive semidefinite.

        Raises
        ------
        ValueError
            Shapes, an empty ``U``, ``k > n``, non-finite entries, ``C`` not
            symmetric, or a new ``W`` that is not positive semidefinite (named ``C``).
        """
        U = check_matrix(U, "U", dtype=np.float64, shape=(self.n, None))
        k = U.shape[1]
        if k > self.n:
            raise ValueError(f"U: expected at most n = {self.n} columns (the rank of the update), got {k}")
        C = check_matrix(C, "C", dtype=np.float64, shape=(k, k))
        top = float(np.abs(C).max())
        if float(np.abs(C - C.T).max()) > relative_cutoff(k, self._rtol) * top:
            raise ValueError(f"C: expected a symmetric matrix, got max |C - C^T| = {float(np.abs(C - C.T).max()):.3g}")
        C = (C + C.T) / 2.0
        W_new = self._W + U @ C @ U.T
        W_new = (W_new + W_new.T) / 2.0
        if not np.all(np.isfinite(W_new)):
            raise ValueError("C: the update W + U C U^T overflows")
        # form "sqrt_w": one eigendecomposition both checks W_new and gives its square root
        if self.form == "sqrt_w":
            eig = sla.eigh(W_new, check_finite=False)
            low = eig[0][0]
        else:
            eig, low = None, sla.eigvalsh(W_new, check_finite=False)[0]
        if low < -self.n * relative_cutoff(self.n, self._rtol) * float(np.abs(W_new).max()):
            raise ValueError(f"C: the update leaves W indefinite (smallest eigenvalue of W + U C U^T {low:.3g})")
        self._apply_low_rank(U, C, W_new, eig)
        return self

    def _apply_low_rank(self, U, C, W_new, eig=None):
        # Blocks are kept as (p, m, n) arrays of X^T A_i (one wide product each, no per-block calls), and every
        # term is written as a signed sum of Gram matrices Z Z^T (symmetric rank-k updates, half the work).
        A, W, m, n = self._A, self._W, self.m, self.n
        if self.form == "w_i":
            # W'^2 - W^2 = Z F Z^T = V diag(e) V^T (Z = [U, W U], V orthonormal, 2k columns), so
            # dM_ij = tr(A_i^T A_j V diag(e) V^T) = sum_l e_l <A_i v_l, A_j v_l>
            k = U.shape[1]
            Z = np.hstack([U, W @ U])
            F = np.zeros((2 * k, 2 * k))
            F[:k, :k] = C @ (U.T @ U) @ C
            F[:k, k:] = F[k:, :k] = C
            Qz, Rz = sla.qr(Z, mode="economic", check_finite=False)
            e, Ve = sla.eigh(Rz @ F @ Rz.T, check_finite=False)
            keep = np.abs(e) > relative_cutoff(n, self._rtol) * max(float(np.abs(e).max()), 1e-300)
            dM = _signed_gram(A.xt_times_t(Qz @ Ve[:, keep]), e[keep])
        else:
            # in the eigenbasis of C (C = diag(d)): <W L_i, L_j C> = sum_l d_l <p_il S, p_jl S> with p_il the rows
            # of P_i = U^T A_i and S = W^1/2; the same with Q_i = U^T A_i^T; and <C K_i, K_j C> with K_i = P_i U
            d, Vc = sla.eigh(C, check_finite=False)
            U = U @ Vc
            k = U.shape[1]
            P = A.xt_times(U)
            if A.symmetric:
                Y, dy = P, 2.0 * d
            else:
                Y, dy = np.concatenate([P, A.xt_times_t(U)], axis=0), np.concatenate([d, d])
            dM = _signed_gram((Y.reshape(-1, n) @ self._S).reshape(Y.shape), dy)
            K = (P.reshape(-1, n) @ U).reshape(k, m, k).transpose(1, 0, 2).reshape(m, k * k)
            dM += K @ (K * np.outer(d, d).ravel()).T
        self._M = self._M + (dM + dM.T) / 2.0
        if self._sketch_B is not None and self.form == "w_i":
            # R (D kron I) A^T: column i is R vec(A_i U C U^T) = R (U kron I) vec(A_i U C)
            RU = self._sketch_times_right(U)  # (L s, n k): rows vec(R_t U)^T
            CQ = _left(C, A.xt_times_t(U))  # blocks C U^T A_i^T = (A_i U C)^T, whose row-major ravel is vec(A_i U C)
            self._sketch_B = self._sketch_B + RU @ CQ.transpose(1, 0, 2).reshape(m, -1).T
        else:
            self._sketch_B = None
        self._W = W_new
        if self.form == "sqrt_w":
            self._S = _sqrt_psd(W_new, eig, self._rtol)[0]
        self.n_updates += 1
        self._factor()

    def update(self, W_new):
        """Replace ``W``; a change of numerical rank ``k <= n/4`` goes through the low-rank update; returns self.

        Raises
        ------
        ValueError
            ``W_new`` of the wrong shape, not symmetric, not positive semidefinite or not finite.
        """
        W_new = check_symmetric_psd(W_new, "W_new", size=self.n, rtol=self._rtol)
        Dlt = W_new - self._W
        lam, Q = sla.eigh(Dlt)
        scale = max(float(np.abs(self._W).max()), float(np.abs(W_new).max()), 1e-300)
        keep = np.abs(lam) > relative_cutoff(self.n, self._rtol) * scale
        k = int(keep.sum())
        if k == 0:
            self._W = W_new
            if self.form == "sqrt_w":
                self._S = _sqrt_psd(W_new, rtol=self._rtol)[0]
            return self
        if 4 * k <= self.n:
            self._apply_low_rank(Q[:, keep], np.diag(lam[keep]), W_new)
        else:
            self._W = W_new
            self._refresh()
        return self

    # ------------------------------------------------------------------ queries

    def _check_h(self, h, name="h"):
        N = self.n * self.n
        h = check_matrix(h, name, dtype=np.float64, ndim=None)
        if h.ndim not in (1, 2) or h.shape[0] != N:
            raise ValueError(f"{name}: expected shape ({N},) or ({N}, q) (vec of n x n matrices), got {h.shape}")
        return h

    def _project_coefficients(self, h):
        """``y = M^{-1} B h`` for ``h`` (``n^2``) or a block (``n^2 x q``)."""
        n = self.n
        H = unvec(h, n)
        if self.form == "sqrt_w":
            Z = right_mul(left_mul(self._S, H), self._S)
        else:
            Z = right_mul(H, self._W)
        return self._solve(self._A.inner(vec(Z)))

    def query(self, h):
        """``P h`` (exact) for ``h = vec(H)`` of length ``n^2``, or for each column of an ``n^2 x q`` block.

        Examples
        --------
        >>> import numpy as np
        >>> proj = KroneckerProjection(np.eye(2)[None], np.eye(2), form="w_i")   # B = vec(I)^T
        >>> proj.query(np.array([1.0, 2.0, 3.0, 5.0])).round(12).tolist()    # the mean of the diagonal on it
        [3.0, 0.0, 0.0, 3.0]
        """
        h = self._check_h(h)
        y = self._project_coefficients(h)
        G = unvec(self._A.combine(y), self.n)
        if self.form == "sqrt_w":
            G = right_mul(left_mul(self._S, G), self._S)
        else:
            G = right_mul(G, self._W)
        return vec(G)

    def _require_sketch(self):
        if self._sketch_kind is None:
            raise ValueError("sketch: this projection was built without a sketch (pass sketch='gaussian' or "
                             "'sparse_sign')")

    def _sketch_times_right(self, U):
        """``R (U kron I)`` (``(L s) x (n k)``): row ``t`` is ``vec(R_t U)^T`` for the rows ``R_t`` of the sketch."""
        K = sp.kron(sp.csr_matrix(U), sp.eye(self.n), format="csr")
        if sp.issparse(self._R):
            return (self._R @ K).toarray()
        return np.asarray((K.T @ self._R.T).T)

    def _sketched_B(self):
        """``R B^T`` (``(L s) x m``), recomputed after a change of ``W`` unless updated in place."""
        if self._sketch_B is None:
            m, n = self.m, self.n
            out = np.empty((self._R.shape[0], m))
            block = max(1, BLOCK_ENTRIES // (n * n))
            for j0 in range(0, m, block):
                j1 = min(m, j0 + block)
                if self.form == "sqrt_w":
                    D = self._A.sandwich(self._S, self._S, (j0, j1))
                else:
                    D = self._A.sandwich(self._W, None, (j0, j1))
                out[:, j0:j1] = self._R @ D
            self._sketch_B = out
        return self._sketch_B

    def query_sketch(self, h):
        """The sketches ``R_l P h`` as an ``(L, s)`` array (``(L, s, q)`` for a block).

        Costs ``O(n^3 + m n^2 + m^2 + L s m)``: the ``n^2``-long output is never formed.
        """
        self._require_sketch()
        h = self._check_h(h)
        sk = self._sketched_B() @ self._project_coefficients(h)
        return sk.reshape(self.n_sketches, self.sketch_size, *sk.shape[1:])

    def query_coordinates(self, h, index):
        """Median-of-sketches estimates of ``(P h)[index]`` (accuracy ``eps ||P h||`` w.p. ``1 - delta`` each).

        Parameters
        ----------
        h : array_like, shape (n^2,) or (n^2, q)
        index : array_like of int
            Distinct coordinates in ``[0, n^2)``.

        Returns
        -------
        numpy.ndarray, shape (len(index),) or (len(index), q)
        """
        self._require_sketch()
        index = check_indices(index, "index", self.n * self.n)
        sk = self.query_sketch(h)
        return median_coordinates(self._R, sk.reshape(self.n_sketches * self.sketch_size, *sk.shape[2:]), index,
                                  self.sketch_size)
