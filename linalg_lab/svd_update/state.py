"""The updatable truncated SVD ``A_k = U diag(s) V^T`` (Deng et al., ICLR 2024).

:class:`TruncatedSVDState` keeps the rank-``k`` SVD of a matrix that grows by
rows (:meth:`~TruncatedSVDState.add_rows`), by columns
(:meth:`~TruncatedSVDState.add_columns`) or changes by a low-rank term
(:meth:`~TruncatedSVDState.update`, ``A + D E^T``). Every update computes the
exact rank-``k`` SVD of the updated rank-``k`` matrix (``[A_k; E]``,
``[A_k, E]`` or ``A_k + D E^T``), as Zha & Simon do, unless an approximate
method (``"gkl"``, ``"rpi"``) is asked for.

Representation (the paper's): ``U = U' K_u`` and ``V = V' K_v`` with small
``k x k`` factors ``K``. An update rotates the singular vectors by changing
``K`` (``O(k^3)``) and writes only the rows of ``U'`` / ``V'`` that the update
touches; adding rows appends rows to ``U'`` (adding columns, to ``V'``).

Conditioning of ``K``: the rows of ``U'`` are written through ``K^{-1}``, and
``U = U' K`` is formed with a relative rounding error of about
``eps * cond(K)``, which each later update inherits. When ``cond(K)`` passes
``max_cond`` (default ``1e3``, so at most three digits are ever at stake; a
singular ``K`` cannot be inverted at all) the factor is folded into the rows
(``U' <- U' K``, in place, ``O(m k^2)``), ``U`` is re-orthonormalised by a
Cholesky QR and the small SVD of ``R diag(s)`` re-diagonalises the core; the
other side's ``K`` only gains an orthogonal factor. The same step also
removes the slow loss of orthonormality of ``U`` and ``V`` over many updates
(:meth:`~TruncatedSVDState.reorthogonalize` runs it on demand).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackError, svds

from ..validation import (
    check_choice,
    check_indices,
    check_int,
    check_matrix,
    check_real,
    check_rng,
    check_vector,
)
from ._complement import dense_basis, implicit_basis
from ._rowstore import RowStore
from ._small import top_k_svd

__all__ = ["METHODS", "DEFAULT_MAX_COND", "TruncatedSVDState"]

#: Update methods: the paper's exact sparse method, its two approximations
#: for large batches, and the classical dense reference.
METHODS = ("sparse", "gkl", "rpi", "zha-simon")
#: Re-orthogonalise a side when ``cond(K)`` exceeds this.
DEFAULT_MAX_COND = 1e3
#: Tolerance of the orthonormality check of given factors, ``max |U^T U - I|``.
ORTHONORMAL_TOL = 1e-8
_KIND = {"sparse": "exact", "gkl": "gkl", "rpi": "rpi"}


def _cond(K: np.ndarray) -> float:
    sv = np.linalg.svd(K, compute_uv=False)
    return float("inf") if sv[-1] <= 0 else float(sv[0] / sv[-1])


def _stacked(basis_C, basis_R) -> np.ndarray:
    return np.vstack([basis_C, basis_R])


def _core_matrix(s: np.ndarray, Ld, Le) -> np.ndarray:
    """``diag(s, 0) + Ld Le^T``; ``None`` stands for an appended block ``[0; I]``."""
    k = s.size
    if Ld is None:
        M = np.zeros((k + Le.shape[1], Le.shape[0]))
        M[k:] = Le.T
    elif Le is None:
        M = np.zeros((Ld.shape[0], k + Ld.shape[1]))
        M[:, k:] = Ld
    else:
        M = Ld @ Le.T
    M[np.arange(k), np.arange(k)] += s
    return M


#: Largest ``m n`` for which a failed ARPACK run falls back to a dense SVD.
DENSE_FALLBACK_MAX = 25_000_000


def _svds_top_k(A, k: int, gen: np.random.Generator):
    """Top ``k`` singular triplets by ARPACK, made orthonormal by a Rayleigh-Ritz step; ``(U, s, V)``."""
    m, n = A.shape
    nonzero = A.count_nonzero() if sp.issparse(A) else np.count_nonzero(A)
    if nonzero == 0:  # ARPACK stops at once on a zero matrix ("starting vector is zero"); every SVD is exact
        return np.eye(m, k), np.zeros(k), np.eye(n, k)
    try:
        _, _, Vt = svds(A, k=k, tol=0, v0=gen.standard_normal(min(m, n)))
    except ArpackError:
        if m * n > DENSE_FALLBACK_MAX:
            raise RuntimeError(f"from_matrix: ARPACK failed on the {m} x {n} matrix A and it is too large for the "
                               "dense fallback; try solver='dense' or another rng") from None
        Ad = A.toarray() if sp.issparse(A) else A
        U, s, Vt = np.linalg.svd(Ad, full_matrices=False)
        return U[:, :k], s[:k], Vt[:k].T
    # Rayleigh-Ritz on range(V): exact for the top-k subspace, and U, V orthonormal to rounding even where ARPACK's
    # vectors for a repeated (e.g. zero) singular value are not
    Qv = sla.qr(Vt.T, mode="economic", check_finite=False)[0]
    AQ = np.asarray(A @ Qv)
    U, s, Wt = sla.svd(AQ, full_matrices=False, check_finite=False)
    return U, s, Qv @ Wt.T


class TruncatedSVDState:
    """A rank-``k`` SVD ``U diag(s) V^T`` that is updated as the matrix changes.

    Parameters
    ----------
    U : array_like, shape (m, k)
        Left singular vectors (orthonormal columns).
    s : array_like, shape (k,)
        Singular values, ``>= 0`` (any order: they are sorted, descending).
    V : array_like, shape (n, k)
        Right singular vectors (orthonormal columns).
    method : {"sparse", "gkl", "rpi", "zha-simon"}, default "sparse"
        Default update method (each update call may override it).
        ``"sparse"``: Deng et al.'s method, exact (the rank-``k`` SVD of the
        updated ``A_k``, as Zha-Simon), touching only the rows the update
        touches. ``"gkl"`` / ``"rpi"``: the same with the update's orthogonal
        complement replaced by ``l`` Golub-Kahan-Lanczos vectors (Vecharynski
        & Saad) or ``l`` random vectors with ``power_iters`` power iterations
        (Yamazaki et al.): approximate, for batches of many rows.
        ``"zha-simon"``: the classical dense reference (QR of the
        ``n x s`` complement, rotation of all singular vectors).
    l : int, default 10
        Size of the approximate complement for ``"gkl"`` / ``"rpi"``.
    power_iters : int, default 1
        Power iterations of ``"rpi"``.
    max_cond : float, default 1e3
        Re-orthogonalise a side when the condition number of its ``K``
        exceeds this (see the module notes).
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Randomness of ``"gkl"`` (start vector) and ``"rpi"``.

    Attributes
    ----------
    shape : tuple of int
        ``(m, n)``, the current shape of the matrix.
    k : int
        Rank kept.
    n_updates, n_reorthogonalizations : int
        Updates applied; re-orthogonalisations triggered by ``max_cond``.

    Notes
    -----
    Costs of one update of ``s`` rows touching ``|Omega|`` columns with the
    ``"sparse"`` method: ``O(|Omega| k s + s^2 (|Omega| + k) + (k + s)^3)``,
    independent of ``m`` and ``n``; Zha-Simon also spends ``O(n s^2)`` on the
    QR of the dense ``n x s`` complement and ``O((m + n) k (k + s))`` on
    rotating all singular vectors. ``"gkl"`` / ``"rpi"`` replace
    ``(k + s)^3`` by ``(k + s)(k + l)^2``. No dense block of ``n x s`` (or
    ``m x s``) is ever formed from a sparse update (for ``s <= n``), except
    by ``"zha-simon"``.

    Why ``max_cond``: the touched rows of ``U'`` are written as
    ``Z K^{-1}`` and ``U = U' K`` is formed later, so rounding errors in
    ``U'`` reach ``U`` multiplied by ``cond(K)``, in every later update too.
    ``K`` is a product of the small rotations ``T`` of all updates so far;
    ``T`` is nearly orthogonal when the update mostly rotates the singular
    vectors, and nearly singular when a new singular vector is almost
    orthogonal to all old ones (it then cannot be written as ``X' K``). Past
    ``max_cond`` (``1e3``: at most three digits at stake) ``K`` is folded
    into ``U'`` in place (``O(m k^2)``, no inverse needed) and ``U`` is
    re-orthonormalised (Cholesky QR, then the SVD of the ``k x k`` core),
    which also resets the slow drift from orthonormality.

    Accuracy: the sparse method agrees with Zha-Simon to rounding, except
    when the update lies *almost* (not exactly) inside the current singular
    subspace. Its orthogonal complement is orthonormalised through the Gram
    matrix ``Y^T Y - C^T C``, which cancels there: complement directions of
    norm below about ``sqrt(10 (s + k) eps) ||Y||`` (``5e-8 ||Y||`` for
    ``s + k = 10``) cannot be told from rounding and are dropped, so
    ``U diag(s) V^T`` may differ from Zha-Simon's by up to that much (the
    singular values only to second order). Exactly dependent updates
    (repeated rows, rows of the current row space) are exact.

    References
    ----------
    .. [1] H. Deng, Y. Yang, J. Li, C. Chen, W. Jiang and S. Pu, "Fast
       updating truncated SVD for representation learning with sparse
       matrices", ICLR 2024.
    .. [2] H. Zha and H. D. Simon, "On updating problems in latent semantic
       indexing", SIAM J. Sci. Comput. 21(2), 782-791, 1999.
    .. [3] E. Vecharynski and Y. Saad, "Fast updating algorithms for latent
       semantic indexing", SIAM J. Matrix Anal. Appl. 35(3), 1105-1131, 2014.
    .. [4] I. Yamazaki, S. Tomov and J. Dongarra, "Randomized algorithms to
       update partial singular value decomposition on a hybrid CPU/GPU
       cluster", SC15, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from linalg_lab.svd_update import TruncatedSVDState
    >>> A = sp.random(60, 40, density=0.1, format="csr", rng=0)
    >>> st = TruncatedSVDState.from_matrix(A, 5)
    >>> st.add_rows(sp.random(10, 40, density=0.1, format="csr", rng=1))
    >>> st.shape, st.U.shape, st.V.shape
    ((70, 40), (70, 5), (40, 5))
    >>> ref = TruncatedSVDState.from_matrix(A, 5, method="zha-simon")
    >>> ref.add_rows(sp.random(10, 40, density=0.1, format="csr", rng=1))
    >>> bool(np.allclose(st.s, ref.s, rtol=1e-12))
    True
    """

    def __init__(self, U, s, V, *, method="sparse", l=10, power_iters=1, max_cond=DEFAULT_MAX_COND,
                 rng=None):
        U = check_matrix(U, "U", dtype=np.float64)
        k = U.shape[1]
        V = check_matrix(V, "V", dtype=np.float64, shape=(None, k))
        s = check_vector(s, "s", size=k, dtype=np.float64)
        for name, X in (("U", U), ("V", V)):
            if X.shape[0] < k:
                raise ValueError(f"{name}: expected at least k = {k} rows for {k} orthonormal columns, "
                                 f"got shape {X.shape}")
            err = float(np.abs(X.T @ X - np.eye(k)).max())
            if err > ORTHONORMAL_TOL:
                raise ValueError(f"{name}: expected orthonormal columns, got max |{name}^T {name} - I| = {err:.1e}")
        if s.min() < 0:
            raise ValueError(f"s: expected singular values >= 0, got a minimum of {s.min():g}")
        self.method = check_choice(method, "method", METHODS)
        self.l = check_int(l, "l", minimum=1)
        self.power_iters = check_int(power_iters, "power_iters", minimum=0)
        self.max_cond = check_real(max_cond, "max_cond", minimum=1, strict_minimum=True, allow_inf=True)
        self._rng = check_rng(rng)
        order = np.argsort(-s, kind="stable")
        self._s = s[order].copy()
        self._u = RowStore(U[:, order])
        self._v = RowStore(V[:, order])
        self._Ku = None  # None: identity
        self._Kv = None
        self.n_updates = 0
        self.n_reorthogonalizations = 0

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_factors(cls, U, s, V, **options) -> "TruncatedSVDState":
        """The state of the SVD ``U diag(s) V^T`` (same as the constructor).

        Examples
        --------
        >>> import numpy as np
        >>> st = TruncatedSVDState.from_factors(np.eye(3)[:, :2], [1.0, 2.0], np.eye(4)[:, :2])
        >>> st.s.tolist()
        [2.0, 1.0]
        """
        return cls(U, s, V, **options)

    @classmethod
    def from_matrix(cls, A, k, *, solver="auto", rng=None, **options) -> "TruncatedSVDState":
        """The state of the rank-``k`` truncated SVD of ``A``.

        Parameters
        ----------
        A : array_like or scipy.sparse matrix, shape (m, n)
            Never modified or kept.
        k : int
            ``1 <= k <= min(m, n)``. A matrix of rank below ``k`` (the zero
            matrix included) gives zero singular values, with singular
            vectors completing the others to orthonormal bases.
        solver : {"auto", "svds", "dense"}, default "auto"
            ``"svds"``: :func:`scipy.sparse.linalg.svds` (ARPACK, ``k <
            min(m, n)``), followed by a Rayleigh-Ritz step (the SVD of
            ``A V``) that makes ``U`` and ``V`` orthonormal to rounding
            whatever the rank; a matrix without a nonzero entry skips ARPACK
            (which cannot start on it), and an ARPACK failure falls back to
            the dense SVD when ``m n <= 2.5e7``. ``"dense"``: a full SVD;
            ``"auto"``: dense for small dense matrices or ``k >= min(m, n) -
            1``, else svds.
        rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
            Start vector of svds, and the state's randomness.
        **options
            Passed to the constructor (``method``, ``l``, ...).

        Raises
        ------
        RuntimeError
            ARPACK failed on a matrix too large for the dense fallback.

        Examples
        --------
        >>> import numpy as np
        >>> A = np.diag([3.0, 2.0, 1.0])
        >>> TruncatedSVDState.from_matrix(A, 2).s.tolist()
        [3.0, 2.0]
        """
        A = check_matrix(A, "A", accept_sparse=True, dtype=np.float64)
        m, n = A.shape
        k = check_int(k, "k", minimum=1, maximum=min(m, n), maximum_text=f"min(m, n) = {min(m, n)}")
        solver = check_choice(solver, "solver", ("auto", "svds", "dense"))
        gen = check_rng(rng)
        if solver == "auto":
            small_dense = not sp.issparse(A) and m * n <= 4_000_000
            solver = "dense" if small_dense or k >= min(m, n) - 1 else "svds"
        if solver == "svds":
            if k >= min(m, n):
                raise ValueError(f"k: expected an integer < min(m, n) = {min(m, n)} for solver='svds', got {k}")
            U, s, V = _svds_top_k(A, k, gen)
        else:
            Ad = A.toarray() if sp.issparse(A) else A
            U, s, Vt = np.linalg.svd(Ad, full_matrices=False)
            U, s, V = U[:, :k], s[:k], Vt[:k].T
        return cls(U, s, V, rng=gen, **options)

    # ------------------------------------------------------------------ views

    @property
    def shape(self) -> tuple:
        return (self._u.size, self._v.size)

    @property
    def k(self) -> int:
        return self._s.size

    @property
    def s(self) -> np.ndarray:
        """Singular values, descending (a copy)."""
        return self._s.copy()

    @property
    def U(self) -> np.ndarray:
        """Left singular vectors ``U' K_u`` (``m x k``, formed on each access)."""
        return self._materialize(self._u, self._Ku)

    @property
    def V(self) -> np.ndarray:
        """Right singular vectors ``V' K_v`` (``n x k``, formed on each access)."""
        return self._materialize(self._v, self._Kv)

    @property
    def cond_K(self) -> tuple:
        """``(cond(K_u), cond(K_v))``."""
        return tuple(1.0 if K is None else _cond(K) for K in (self._Ku, self._Kv))

    @property
    def nbytes(self) -> int:
        """Memory held by the factors (buffers included)."""
        return self._u.nbytes + self._v.nbytes

    @staticmethod
    def _materialize(store: RowStore, K) -> np.ndarray:
        X = store.rows()
        return X.copy() if K is None else X @ K

    def copy(self) -> "TruncatedSVDState":
        """An independent copy (same options; the generator is shared)."""
        new = object.__new__(TruncatedSVDState)
        new.__dict__.update(self.__dict__)
        new._u = RowStore(self._u.rows())
        new._v = RowStore(self._v.rows())
        new._s = self._s.copy()
        new._Ku = None if self._Ku is None else self._Ku.copy()
        new._Kv = None if self._Kv is None else self._Kv.copy()
        return new

    def reconstruct(self, rows=None, columns=None) -> np.ndarray:
        """Rows (and columns) of ``U diag(s) V^T`` without forming ``U``.

        Parameters
        ----------
        rows, columns : sequence of int or None
            Indices (repeats allowed); None: all. Cost
            ``O((|rows| + |columns|) k^2 + |rows| |columns| k)``.

        Returns
        -------
        numpy.ndarray, shape (len(rows), len(columns))

        Examples
        --------
        >>> import numpy as np
        >>> A = np.outer([1.0, 2.0, 3.0], [1.0, 1.0])
        >>> st = TruncatedSVDState.from_matrix(A, 1)
        >>> st.reconstruct(rows=[2]).round(12).tolist()
        [[3.0, 3.0]]
        """
        m, n = self.shape
        Ur = self._pick(self._u, self._Ku, None if rows is None else check_indices(rows, "rows", m, unique=False))
        Vc = self._pick(self._v, self._Kv,
                        None if columns is None else check_indices(columns, "columns", n, unique=False))
        return (Ur * self._s) @ Vc.T

    @staticmethod
    def _pick(store, K, idx):
        X = store.rows() if idx is None else store.take(idx)
        return X if K is None else X @ K

    def toarray(self) -> np.ndarray:
        """The dense ``m x n`` matrix ``U diag(s) V^T``."""
        return self.reconstruct()

    # ------------------------------------------------------------------ updates

    def add_rows(self, E, *, method=None, l=None) -> None:
        """Append the rows ``E``: the SVD of ``[A_k; E]``.

        Parameters
        ----------
        E : array_like or scipy.sparse matrix, shape (s, n)
        method : str, optional
            Overrides the state's method for this update.
        l : int, optional
            Overrides ``l`` (``"gkl"``, ``"rpi"``).

        Examples
        --------
        >>> import numpy as np
        >>> st = TruncatedSVDState.from_matrix(np.diag([3.0, 2.0, 1.0]), 2)
        >>> st.add_rows([[0.0, 0.0, 5.0]])
        >>> st.shape, st.s.round(12).tolist()
        ((4, 3), [5.0, 3.0])
        """
        n = self.shape[1]
        E = check_matrix(E, "E", accept_sparse=True, dtype=np.float64, shape=(None, n))
        self._apply(None, E.T, E.shape[0], method, l)

    def add_columns(self, E, *, method=None, l=None) -> None:
        """Append the columns ``E``: the SVD of ``[A_k, E]``.

        Parameters
        ----------
        E : array_like or scipy.sparse matrix, shape (m, s)
        method, l : optional
            As in :meth:`add_rows`.

        Examples
        --------
        >>> import numpy as np
        >>> st = TruncatedSVDState.from_matrix(np.diag([3.0, 2.0, 1.0]), 2)
        >>> st.add_columns([[0.0], [4.0], [0.0]])  # row 2 becomes [0, 2, 0, 4]
        >>> st.shape, st.s.round(6).tolist()
        ((3, 4), [4.472136, 3.0])
        """
        m = self.shape[0]
        E = check_matrix(E, "E", accept_sparse=True, dtype=np.float64, shape=(m, None))
        self._apply(E, None, E.shape[1], method, l)

    def update(self, D, E, *, method=None, l=None) -> None:
        """A low-rank change: the SVD of ``A_k + D E^T``.

        Parameters
        ----------
        D : array_like or scipy.sparse matrix, shape (m, s)
        E : array_like or scipy.sparse matrix, shape (n, s)
        method, l : optional
            As in :meth:`add_rows`.

        Notes
        -----
        With the sparse methods only the rows of ``U'`` where ``D`` is nonzero
        and the rows of ``V'`` where ``E`` is nonzero are written.

        Examples
        --------
        >>> import numpy as np
        >>> st = TruncatedSVDState.from_matrix(np.diag([3.0, 2.0, 1.0]), 2)
        >>> st.update([[0.0], [0.0], [2.0]], [[0.0], [0.0], [2.0]])  # diag(3, 2, 0) + 4 e3 e3^T
        >>> st.s.round(12).tolist()
        [4.0, 3.0]
        """
        m, n = self.shape
        D = check_matrix(D, "D", accept_sparse=True, dtype=np.float64, shape=(m, None))
        E = check_matrix(E, "E", accept_sparse=True, dtype=np.float64, shape=(n, None))
        if E.shape[1] != D.shape[1]:
            raise ValueError(f"E: expected {D.shape[1]} columns (as many as D), got shape {E.shape}")
        self._apply(D, E, D.shape[1], method, l)

    def reorthogonalize(self) -> None:
        """Fold ``K_u``, ``K_v`` into the rows and re-orthonormalise ``U`` and ``V`` (``O((m + n) k^2)``).

        Examples
        --------
        >>> import numpy as np
        >>> st = TruncatedSVDState.from_matrix(np.diag([3.0, 2.0, 1.0]), 2)
        >>> st.reorthogonalize(); st.cond_K
        (1.0, 1.0)
        """
        self._reorthogonalize("u")
        self._reorthogonalize("v")

    # ------------------------------------------------------------------ internals

    def _apply(self, Yu, Yv, s, method, l) -> None:
        """Update with ``A_k + Yu Yv^T``; ``None`` is an appended ``[0; I_s]`` block."""
        method = self.method if method is None else check_choice(method, "method", METHODS)
        l = self.l if l is None else check_int(l, "l", minimum=1)
        if method == "zha-simon":
            self._apply_dense(Yu, Yv, s)
        else:
            self._apply_sparse(Yu, Yv, s, _KIND[method], l)
        self.n_updates += 1

    def _apply_sparse(self, Yu, Yv, s, kind, l) -> None:
        k = self.k
        eye = np.eye(k)
        bases = []
        for store, K, Y in ((self._u, self._Ku, Yu), (self._v, self._Kv, Yv)):
            bases.append(None if Y is None else implicit_basis(
                store.take, eye if K is None else K, Y, kind=kind, l=l, power_iters=self.power_iters,
                rng=self._rng))
        Ld, Le = (None if b is None else _stacked(b.C, b.R) for b in bases)
        F, theta, G = top_k_svd(_core_matrix(self._s, Ld, Le), k)
        fold_u = self._rotate("u", bases[0], F)
        fold_v = self._rotate("v", bases[1], G)
        self._s = theta
        # only now (both sides rotated, s updated) may a folded side be re-orthogonalised
        for side, fold in (("u", fold_u), ("v", fold_v)):
            if fold:
                self._reorthogonalize(side)
                self.n_reorthogonalizations += 1

    def _rotate(self, side: str, basis, F: np.ndarray) -> bool:
        """New vectors ``X Ft + Q Fb``, written as ``X' K_new`` plus changes to the touched rows.

        Returns True when ``K_new`` was too ill-conditioned and was folded into
        the rows (the side then needs re-orthogonalising).
        """
        store = self._u if side == "u" else self._v
        K = getattr(self, "_Ku" if side == "u" else "_Kv")
        k = self.k
        Ft, Fb = F[:k], F[k:]
        if basis is None:  # appended rows: X = [X; 0], Q = [0; I]
            T, Z = Ft, Fb
        else:  # Q = (Y - X C) S
            H = basis.S @ Fb
            T = Ft - basis.C @ H
            Z = np.asarray(basis.Y @ H)
        Knew = T if K is None else K @ T
        if _cond(Knew) <= self.max_cond:
            Z = np.linalg.solve(Knew.T, Z.T).T
            self._write(store, basis, Z)
            setattr(self, "_Ku" if side == "u" else "_Kv", Knew)
            return False
        store.right_multiply(Knew)
        self._write(store, basis, Z)
        setattr(self, "_Ku" if side == "u" else "_Kv", None)
        return True

    @staticmethod
    def _write(store: RowStore, basis, Z: np.ndarray) -> None:
        if basis is None:
            store.append(Z)
        elif basis.omega.size:
            store.add_at(basis.omega, Z)

    def _reorthogonalize(self, side: str) -> None:
        """Cholesky QR of one side, ``X = Q R``; the SVD of the new core restores the diagonal form."""
        store = self._u if side == "u" else self._v
        K = self._Ku if side == "u" else self._Kv
        if K is not None:
            store.right_multiply(K)
        try:
            R = np.linalg.cholesky(store.gram()).T
        except np.linalg.LinAlgError:  # numerically rank-deficient: Householder QR of the rows
            Qx, R = np.linalg.qr(store.rows())
            store = RowStore(Qx, copy=False)
            if side == "u":
                self._u = store
            else:
                self._v = store
        else:
            store.right_multiply(sla.solve_triangular(R, np.eye(self.k), lower=False))
        core = R * self._s  # X_old diag(s) = Q (R diag(s))
        F, theta, Gt = np.linalg.svd(core)
        other = Gt.T
        if side == "u":
            self._Ku = F
            self._Kv = other if self._Kv is None else self._Kv @ other
        else:  # core^T = diag(s) R^T = Gt^T theta F^T
            self._Kv = F
            self._Ku = other if self._Ku is None else self._Ku @ other
        self._s = theta

    def _apply_dense(self, Yu, Yv, s) -> None:
        """Zha & Simon: explicit complements, a dense SVD, all singular vectors rotated."""
        k = self.k
        U = self._u.rows() if self._Ku is None else self.U  # read-only views: no copy
        V = self._v.rows() if self._Kv is None else self.V
        Ls, Qs = [], []
        for X, Y in ((U, Yu), (V, Yv)):
            if Y is None:
                Ls.append(None)
                Qs.append(None)
            else:
                C, Q, R = dense_basis(X, Y)
                Ls.append(_stacked(C, R))
                Qs.append(Q)
        F, theta, G = top_k_svd(_core_matrix(self._s, Ls[0], Ls[1]), k, fast=False)
        new = []
        for X, Q, W in ((U, Qs[0], F), (V, Qs[1], G)):
            if Q is None:  # appended rows
                new.append(np.vstack([X @ W[:k], W[k:]]))
            else:
                new.append(X @ W[:k] + Q @ W[k:])
        self._u, self._v = RowStore(new[0], copy=False), RowStore(new[1], copy=False)
        self._Ku = self._Kv = None
        self._s = theta
