"""The classic factorizations as instances of meta-factorization.

Each function picks the factors ``F``, ``H`` (and sketches ``B``, ``D``) of
a known decomposition and lets :func:`~linalg_lab.factorization.meta_factorize`
solve for the core ``G`` in ``A ~ F G H^T``:

=================  =====================  =================  =============================
function           F                      H^T                core G
=================  =====================  =================  =============================
``truncated_svd``  ``U_k``                ``V_k^T``          ``Sigma_k``
``pivoted_qr``     ``C = A[:, J]``        ``R_k P^T``        ``R_11^-1`` (mixing)
``utv``            ``U_k`` orthonormal    ``V_k^T``          ``T`` lower triangular
``cur``            ``C = A[:, J]``        ``R = A[I, :]``    ``C^+ A R^+``, ``A[I, J]^-1``
``nystrom``        ``A D``                ``B^T A``          ``(B^T A D)^+``
``cr``             pivot columns ``C``    rows of rref(A)    ``I_r``
=================  =====================  =================  =============================
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from ..validation import check_choice, check_indices, check_int, check_rng, check_rtol, relative_cutoff
from .meta import MetaFactorization, _meta_factorize, meta_factorize
from .tolerance import _float_matrix, _pinv

__all__ = [
    "LowRankFactorization",
    "SVDFactorization",
    "QRFactorization",
    "UTVFactorization",
    "CURFactorization",
    "NystromFactorization",
    "CRFactorization",
    "truncated_svd",
    "pivoted_qr",
    "utv",
    "cur",
    "nystrom",
    "cr",
]


@dataclass(frozen=True, repr=False)
class LowRankFactorization:
    """``A ~ F @ G @ H.T`` with the meta-factorization that produced ``G``.

    Attributes
    ----------
    F : numpy.ndarray, shape (m, k1)
    G : numpy.ndarray, shape (k1, k2)
    H : numpy.ndarray, shape (n, k2)
    meta : MetaFactorization
        Projectors and residuals of the projector and reconstruction equations.
    """

    F: np.ndarray
    G: np.ndarray
    H: np.ndarray
    meta: MetaFactorization

    @property
    def shape(self) -> tuple[int, int]:
        """Shape ``(m, n)`` of the factored matrix."""
        return (self.F.shape[0], self.H.shape[0])

    @property
    def rank(self) -> int:
        """Inner dimension ``min(k1, k2)`` (an upper bound on the rank)."""
        return min(self.G.shape)

    def toarray(self) -> np.ndarray:
        """The approximation ``F G H^T`` as a dense array."""
        return (self.F @ self.G) @ self.H.T

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(shape={self.shape}, core={self.G.shape}, "
            f"solvable={self.meta.solvable})"
        )


@dataclass(frozen=True, repr=False)
class SVDFactorization(LowRankFactorization):
    """Truncated SVD ``A ~ U diag(s) Vt``; ``F = U``, ``H = Vt.T``, ``G ~ diag(s)``."""

    U: np.ndarray
    s: np.ndarray
    Vt: np.ndarray


@dataclass(frozen=True, repr=False)
class QRFactorization(LowRankFactorization):
    """Truncated column-pivoted QR ``A[:, perm] ~ Q R``.

    ``F = C = A[:, perm[:k]]``, ``H^T`` is ``R`` with its columns put back in
    the original order, and ``G`` the mixing matrix (``inv(R[:, :k])`` when
    that block is invertible). ``G @ H.T`` is the interpolation matrix of the
    interpolative decomposition: identity on the pivot columns.
    """

    Q: np.ndarray
    R: np.ndarray
    perm: np.ndarray

    @property
    def C(self) -> np.ndarray:
        """The pivot columns ``A[:, perm[:k]]`` (same as ``F``)."""
        return self.F

    @property
    def interpolation_matrix(self) -> np.ndarray:
        """``G H^T`` (k x n): ``A ~ C @ interpolation_matrix``."""
        return self.G @ self.H.T


@dataclass(frozen=True, repr=False)
class UTVFactorization(LowRankFactorization):
    """Truncated UTV (ULV form) ``A ~ U T V^T`` with ``T`` lower triangular."""

    U: np.ndarray
    T: np.ndarray
    V: np.ndarray


@dataclass(frozen=True, repr=False)
class CURFactorization(LowRankFactorization):
    """CUR ``A ~ C U R`` with ``C = A[:, cols]``, ``R = A[rows, :]``."""

    C: np.ndarray
    U: np.ndarray
    R: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    core: str


@dataclass(frozen=True, repr=False)
class NystromFactorization(LowRankFactorization):
    """Generalized Nystrom ``A ~ A D (B^T A D)^+ B^T A``.

    ``F = A D``, ``H = A^T B``, ``G = (B^T A D)^+`` computed as ``R^+ Q^T``
    from the QR ``B^T A D = Q R``. ``toarray`` evaluates the stable product
    ``(A D R^+) (Q^T B^T A)``.
    """

    B: np.ndarray
    D: np.ndarray
    left: np.ndarray
    right: np.ndarray

    def toarray(self) -> np.ndarray:
        return self.left @ self.right


@dataclass(frozen=True, repr=False)
class CRFactorization(LowRankFactorization):
    """``A = C R``: ``C`` the pivot columns of ``A``, ``R`` the nonzero rows of ``rref(A)``."""

    C: np.ndarray
    R: np.ndarray
    pivots: np.ndarray


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------


def _check_k(k, m, n, name="k"):
    return check_int(k, name, minimum=1, maximum=min(m, n), maximum_text=f"min(m, n) = {min(m, n)}")


def _qr_rank(R: np.ndarray, size: int, rtol) -> int:
    """Number of diagonal entries of a pivoted-QR ``R`` above the cutoff."""
    d = np.abs(np.diag(R))
    if d.size == 0 or d[0] == 0.0:
        return 0
    return int(np.count_nonzero(d > relative_cutoff(size, rtol) * d[0]))


def _pivoted_qr(A: np.ndarray):
    Q, R, perm = sla.qr(A, mode="economic", pivoting=True, check_finite=False)
    return Q, R, perm


def _pivot_columns(M: np.ndarray, k: int) -> np.ndarray:
    """First ``k`` pivots of a column-pivoted QR of ``M``."""
    _, perm = sla.qr(M, mode="r", pivoting=True, check_finite=False)
    return np.asarray(perm[:k], dtype=np.intp)


def _selection(size: int, idx: np.ndarray) -> np.ndarray:
    S = np.zeros((size, idx.size))
    S[idx, np.arange(idx.size)] = 1.0
    return S


# ----------------------------------------------------------------------------
# instances
# ----------------------------------------------------------------------------


def truncated_svd(A, k=None, *, rtol=None) -> SVDFactorization:
    """Truncated SVD as a meta-factorization with ``F = U_k``, ``H = V_k``.

    With ``B = F`` and ``D = H`` the projectors are the orthogonal projectors
    ``U_k U_k^T`` and ``V_k V_k^T`` and the core ``G = U_k^T A V_k`` is the
    diagonal ``Sigma_k`` (up to rounding).

    Parameters
    ----------
    A : array_like, shape (m, n)
        Finite real matrix.
    k : int, optional
        Number of singular triplets, ``1 <= k <= min(m, n)``. Default: the
        numerical rank (singular values above
        ``max(rtol, max(m, n) * eps) * sigma_max``).
    rtol : float or None, optional
        Relative rank tolerance (see :func:`~linalg_lab.factorization.rank_cutoff`).

    Returns
    -------
    SVDFactorization
        ``U`` (m x k), ``s`` (k,), ``Vt`` (k x n), the core ``G`` and ``meta``.

    References
    ----------
    .. [1] M. P. Karpowicz, "A theory of meta-factorization",
       arXiv:2111.14385, 2021, Section on SVD.
    .. [2] C. Eckart and G. Young, "The approximation of one matrix by another
       of lower rank", *Psychometrika* 1 (1936) 211-218.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import truncated_svd
    >>> A = np.diag([3.0, 2.0, 1.0])
    >>> f = truncated_svd(A, 2)
    >>> np.round(f.s, 12).tolist(), np.allclose(f.G, np.diag(f.s))
    ([3.0, 2.0], True)
    """
    A = _float_matrix(A, "A")
    m, n = A.shape
    rtol = check_rtol(rtol)
    U, s, Vt = sla.svd(A, full_matrices=False, check_finite=False)
    if k is None:
        k = int(np.count_nonzero(s > relative_cutoff(max(m, n), rtol) * s[0])) if s[0] > 0 else 0
    else:
        k = _check_k(k, m, n)
    U, s, Vt = U[:, :k], s[:k], Vt[:k]
    meta = meta_factorize(A, U, Vt.T, rtol=rtol)
    return SVDFactorization(U, meta.G, Vt.T, meta, U, s, Vt)


def pivoted_qr(A, k=None, *, rtol=None) -> QRFactorization:
    """Truncated column-pivoted QR with the mixing-matrix core.

    Computes ``A P = Q R`` (Businger-Golub pivoting), keeps the first ``k``
    columns of ``Q`` and rows of ``R`` and sets up the meta-factorization
    ``F = C = A[:, perm[:k]]`` (the pivot columns), ``H^T = R_k P^T``. The
    core ``G = C^+ A (R_k P^T)^+`` is the mixing matrix; it equals
    ``R_11^{-1}`` (``R_11 = R[:k, :k]``) whenever ``R_11`` is invertible, and
    ``F G H^T = Q_k R_k P^T`` is the truncated QR approximation. ``G H^T`` is
    the interpolation matrix ``[I, R_11^{-1} R_12] P^T`` of the interpolative
    decomposition.

    Parameters
    ----------
    A : array_like, shape (m, n)
    k : int, optional
        Truncation rank ``1 <= k <= min(m, n)``. Default: the number of
        ``|R_ii| > max(rtol, max(m, n) * eps) * |R_00|``.
    rtol : float or None, optional
        Relative rank tolerance.

    Returns
    -------
    QRFactorization
        ``Q`` (m x k), ``R`` (k x n, pivoted column order), ``perm``, and
        ``F``, ``G``, ``H``, ``meta``.

    References
    ----------
    .. [1] M. P. Karpowicz, "A theory of meta-factorization",
       arXiv:2111.14385, 2021, Section on QR.
    .. [2] P. Businger and G. H. Golub, "Linear least squares solutions by
       Householder transformations", *Numer. Math.* 7 (1965) 269-276.
    .. [3] H. Cheng, Z. Gimbutas, P.-G. Martinsson and V. Rokhlin, "On the
       compression of low rank matrices", *SIAM J. Sci. Comput.* 26 (2005)
       1389-1404 (interpolative decomposition).

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import pivoted_qr
    >>> A = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.5]])
    >>> f = pivoted_qr(A)
    >>> np.allclose(f.G, np.linalg.inv(f.R[:, :f.rank])), np.allclose(f.toarray(), A)
    (True, True)
    """
    A = _float_matrix(A, "A")
    m, n = A.shape
    rtol = check_rtol(rtol)
    Q, R, perm = _pivoted_qr(A)
    k = _qr_rank(R, max(m, n), rtol) if k is None else _check_k(k, m, n)
    Qk, Rk = Q[:, :k], R[:k]
    C = A[:, perm[:k]]
    Ht = np.empty((k, n))
    Ht[:, perm] = Rk
    meta = meta_factorize(A, C, Ht.T, rtol=rtol)
    return QRFactorization(C, meta.G, Ht.T, meta, Qk, Rk, np.asarray(perm, dtype=np.intp))


def utv(A, k=None, *, rtol=None) -> UTVFactorization:
    """Truncated UTV decomposition (ULV form) as a meta-factorization.

    A column-pivoted QR ``A P = Q_1 R_1`` truncated to ``k`` rows, then a QR
    of ``R_{1,k}^T = Q_2 L^T`` give ``A ~ U T V^T`` with ``U = Q_{1,k}``,
    ``V = P Q_2`` (both with orthonormal columns) and ``T = L`` lower
    triangular. As a meta-factorization ``F = U``, ``H = V`` and the core
    ``G = U^T A V`` is ``T`` (triangular up to rounding).

    Parameters
    ----------
    A : array_like, shape (m, n)
    k : int, optional
        Truncation rank; default the pivoted-QR numerical rank (as in
        :func:`pivoted_qr`).
    rtol : float or None, optional
        Relative rank tolerance.

    Returns
    -------
    UTVFactorization
        ``U`` (m x k), ``T`` (k x k, lower triangular), ``V`` (n x k).

    References
    ----------
    .. [1] G. W. Stewart, "Updating a rank-revealing ULV decomposition",
       *SIAM J. Matrix Anal. Appl.* 14 (1993) 494-499.
    .. [2] M. P. Karpowicz, "A theory of meta-factorization",
       arXiv:2111.14385, 2021, Section on UTV.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import utv
    >>> A = np.random.default_rng(0).standard_normal((5, 4))
    >>> f = utv(A)
    >>> np.allclose(np.triu(f.T, 1), 0), np.allclose(f.U @ f.T @ f.V.T, A)
    (True, True)
    """
    A = _float_matrix(A, "A")
    m, n = A.shape
    rtol = check_rtol(rtol)
    Q1, R1, perm = _pivoted_qr(A)
    k = _qr_rank(R1, max(m, n), rtol) if k is None else _check_k(k, m, n)
    U = Q1[:, :k]
    Q2, _ = sla.qr(R1[:k].T, mode="economic", check_finite=False)  # n x k
    V = np.empty((n, k))
    V[perm] = Q2
    meta = meta_factorize(A, U, V, rtol=rtol)
    T = np.tril(meta.G)
    return UTVFactorization(U, meta.G, V, meta, U, T, V)


def cur(A, k=None, *, rows=None, cols=None, core="optimal", rtol=None) -> CURFactorization:
    """CUR decomposition with the optimal or the cross (skeleton) core.

    ``C = A[:, cols]`` and ``R = A[rows, :]``. As a meta-factorization
    ``F = C``, ``H = R^T``:

    * ``core="optimal"``: ``B = C``, ``D = R^T`` give ``U = C^+ A R^+``, the
      core minimising ``||A - C U R||_F``;
    * ``core="cross"``: selection sketches ``B = I[:, rows]``,
      ``D = I[:, cols]`` give ``U = A[rows, cols]^+`` (the inverse of the
      intersection when it is square and invertible): the skeleton /
      cross approximation, which interpolates ``A`` on the chosen rows and
      columns.

    Parameters
    ----------
    A : array_like, shape (m, n)
    k : int, optional
        Number of rows and columns to select when ``rows``/``cols`` are not
        given; default the pivoted-QR numerical rank of ``A``.
    rows, cols : sequence of int, optional
        Explicit distinct row / column indices. Default: ``cols`` are the
        first ``k`` pivots of a column-pivoted QR of ``A``, ``rows`` the first
        ``k`` pivots of a column-pivoted QR of ``C^T`` (which keeps
        ``A[rows, cols]`` well conditioned).
    core : {"optimal", "cross"}
    rtol : float or None, optional
        Relative rank tolerance of the small pseudoinverses.

    Returns
    -------
    CURFactorization
        ``C``, ``U``, ``R``, ``rows``, ``cols`` and ``F = C``, ``G = U``,
        ``H = R^T``, ``meta``.

    Warns
    -----
    RuntimeWarning
        ``core="cross"`` with an intersection ``A[rows, cols]`` of lower
        numerical rank than ``C`` or ``R`` (``meta.projectors_hold`` False):
        the approximation then does not interpolate ``A`` on the chosen rows
        and columns.

    References
    ----------
    .. [1] M. P. Karpowicz, "A theory of meta-factorization",
       arXiv:2111.14385, 2021, Section on CUR and Nystrom.
    .. [2] M. W. Mahoney and P. Drineas, "CUR matrix decompositions for
       improved data analysis", *PNAS* 106 (2009) 697-702.
    .. [3] S. A. Goreinov, E. E. Tyrtyshnikov and N. L. Zamarashkin, "A theory
       of pseudoskeleton approximations", *Linear Algebra Appl.* 261 (1997)
       1-21.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import cur
    >>> rng = np.random.default_rng(1)
    >>> A = rng.standard_normal((8, 3)) @ rng.standard_normal((3, 6))
    >>> f = cur(A, core="cross")
    >>> f.U.shape, np.allclose(f.toarray(), A)
    ((3, 3), True)
    """
    A = _float_matrix(A, "A")
    m, n = A.shape
    rtol = check_rtol(rtol)
    core = check_choice(core, "core", ("optimal", "cross"))
    if k is not None:
        k = _check_k(k, m, n)
    if cols is None:
        if k is None:
            _, R0, perm = _pivoted_qr(A)
            k = max(_qr_rank(R0, max(m, n), rtol), 1)
            cols = np.asarray(perm[:k], dtype=np.intp)
        else:
            cols = _pivot_columns(A, k)
    else:
        cols = check_indices(cols, "cols", n)
    C = A[:, cols]
    if rows is None:
        rows = _pivot_columns(C.T, k if k is not None else cols.size)
    else:
        rows = check_indices(rows, "rows", m)
    R = A[rows, :]
    if core == "optimal":
        meta = meta_factorize(A, C, R.T, rtol=rtol)
    else:
        meta = _meta_factorize(
            A, C, R.T, B=_selection(m, rows), D=_selection(n, cols), rtol=rtol, warn=False
        )
        if not meta.projectors_hold:
            warnings.warn(
                "cur: the intersection A[rows, cols] has a lower numerical rank than C = A[:, cols] or "
                "R = A[rows, :], so the cross approximation C U R does not interpolate A on the chosen rows and "
                "columns (meta.projectors_hold is False); choose other rows / cols or core='optimal'",
                RuntimeWarning,
                stacklevel=2,
            )
    return CURFactorization(C, meta.G, R.T, meta, C, meta.G, R, rows, cols, core)


def nystrom(A, k, *, l=None, B=None, D=None, rng=None, rtol=None) -> NystromFactorization:
    """Generalized Nystrom approximation ``A D (B^T A D)^+ B^T A``.

    As a meta-factorization ``F = A D``, ``H = A^T B`` with sketches ``B``,
    ``D``; then ``Y^T = (B^T A D)^+ B^T``, ``X = D (B^T A D)^+`` and the core
    is ``G = (B^T A D)^+``. Following Nakatsukasa, the core is computed
    through a QR ``B^T A D = Q R`` as ``R^+ Q^T`` (``R^+`` with the rank
    cutoff, an epsilon-pseudoinverse) and the approximation is evaluated as
    ``(A D R^+)(Q^T B^T A)``, which is stable where the naive product is not.

    Parameters
    ----------
    A : array_like, shape (m, n)
    k : int
        Right sketch size (columns of ``D``), ``1 <= k <= min(m, n)``;
        ignored if ``D`` is given.
    l : int, optional
        Left sketch size (columns of ``B``), ``k <= l <= m``; default
        ``min(m, ceil(1.5 k))`` (oversampling). Ignored if ``B`` is given.
    B : array_like, shape (m, l), optional
        Left sketch; default Gaussian.
    D : array_like, shape (n, k), optional
        Right sketch; default Gaussian.
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Source of the Gaussian sketches.
    rtol : float or None, optional
        Relative rank tolerance of ``R^+`` (cutoff
        ``max(rtol, max(m, n) * eps) * sigma_max(R)``).

    Returns
    -------
    NystromFactorization
        ``F = A D``, ``G = (B^T A D)^+``, ``H = A^T B``, the sketches, and the
        stable factors ``left = A D R^+``, ``right = Q^T B^T A``. With
        oversampling (``l > k``) ``rank(H^T D) < rank(H)``, so
        ``meta.projectors_hold`` is False by design (no warning): the
        approximation is the stated one all the same.

    References
    ----------
    .. [1] Y. Nakatsukasa, "Fast and stable randomized low-rank matrix
       approximation", arXiv:2009.11392, 2020.
    .. [2] M. P. Karpowicz, "A theory of meta-factorization",
       arXiv:2111.14385, 2021, Section on the generalized Nystrom method.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import nystrom
    >>> rng = np.random.default_rng(2)
    >>> A = rng.standard_normal((30, 4)) @ rng.standard_normal((4, 20))
    >>> np.allclose(nystrom(A, 6, rng=0).toarray(), A)
    True
    """
    A = _float_matrix(A, "A")
    m, n = A.shape
    rtol = check_rtol(rtol)
    gen = None
    if D is None:
        k = _check_k(k, m, n)
        gen = check_rng(rng)
        D = gen.standard_normal((n, k))
    else:
        D = _float_matrix(D, "D", shape=(n, None), copy=True)   # n rows: the columns of A (kept: a copy)
        k = D.shape[1]
    if B is None:
        if l is None:
            l = min(m, max(k, math.ceil(1.5 * k)))
        else:
            l = check_int(l, "l", minimum=1, maximum=m, maximum_text=f"m = {m}")
        if gen is None:
            gen = check_rng(rng)
        B = gen.standard_normal((m, l))
    else:
        B = _float_matrix(B, "B", shape=(m, None), copy=True)   # m rows, as A (kept: a copy)
    AD = A @ D
    BtA = B.T @ A
    M = BtA @ D
    Q, R = sla.qr(M, mode="economic", check_finite=False)
    Rp = _pinv(R, rtol, max(m, n))
    G = Rp @ Q.T
    # with oversampling (l > k) rank(H^T D) <= k < rank(H): the projector equation on the H side fails by design
    # (meta.projectors_hold False), and the result is still exactly the stated A D (B^T A D)^+ B^T A
    meta = _meta_factorize(A, AD, BtA.T, B=B, D=D, rtol=rtol, warn=False)
    return NystromFactorization(AD, G, BtA.T, meta, B, D, AD @ Rp, Q.T @ BtA)


def cr(A, *, rtol=None) -> CRFactorization:
    """The CR factorization: pivot columns times the nonzero rows of rref(A).

    ``C`` holds the columns of ``A`` that are not combinations of earlier
    columns (the pivot columns of the reduced row echelon form) and ``R`` the
    ``r`` nonzero rows of ``rref(A)``, so ``A = C R`` with ``R[:, pivots] = I``.
    Column ``a_j`` counts as independent of the pivot columns ``C_j`` before
    it when its residual ``v = a_j - C_j x`` after orthogonal projection
    satisfies ``||v|| > max(rtol * sigma_max, f * sqrt(1 + ||x||^2))`` with
    the rounding floor ``f = max(m, n) * eps * sigma_max``: the user
    tolerance bounds the residual of every dropped column, and the second
    term is how far rounding errors of size ``f`` in ``a_j`` and in the
    columns of ``C_j`` can move ``v`` (without it, a column that is exactly
    dependent on nearly parallel pivot columns can pass as independent).
    ``R = C^+ A`` is then computed through the QR of ``C`` built on the way,
    and its entries left of each pivot, zero in exact arithmetic, are set to
    zero exactly.

    As a meta-factorization ``F = C``, ``H = R^T`` and the core is ``I_r``.

    Parameters
    ----------
    A : array_like, shape (m, n)
    rtol : float or None, optional
        Relative rank tolerance.

    Returns
    -------
    CRFactorization
        ``C`` (m x r), ``R`` (r x n), ``pivots`` and ``F``, ``G``, ``H``, ``meta``.

    Warns
    -----
    RuntimeWarning
        When the number of pivots differs from the SVD numerical rank (the
        greedy left-to-right choice met a nearly dependent set of columns;
        :func:`pivoted_qr` chooses columns more robustly).

    References
    ----------
    .. [1] G. Strang, *Linear Algebra for Everyone*, Wellesley-Cambridge
       Press, 2020, Section 1.4 (A = CR).
    .. [2] G. Strang and C. Moler, "LU and CR elimination", *SIAM Rev.* 64
       (2022) 181-190.
    .. [3] M. P. Karpowicz and G. Strang, "The pseudoinverse of A = CR is
       A+ = R+C+ (?)", arXiv:2305.01716, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import cr
    >>> f = cr([[1.0, 2.0, 3.0], [2.0, 4.0, 7.0]])
    >>> f.pivots.tolist(), np.round(f.R, 12).tolist()
    ([0, 2], [[1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    """
    A = _float_matrix(A, "A")
    m, n = A.shape
    rtol = check_rtol(rtol)
    s = sla.svdvals(A, check_finite=False)
    smax = float(s[0]) if s.size else 0.0
    rel = relative_cutoff(max(m, n), rtol)
    tau = rel * smax
    floor = relative_cutoff(max(m, n), None) * smax  # rounding level of A
    svd_rank = int(np.count_nonzero(s > tau)) if smax > 0 else 0
    kmax = min(m, n)
    Qb = np.zeros((m, kmax))  # orthonormal basis of the pivot columns so far
    T = np.zeros((kmax, kmax))  # C = Qb T, T upper triangular
    pivots: list[int] = []
    r = 0
    if smax > 0:
        for j in range(n):
            v = A[:, j].copy()
            thr = tau
            if r:
                Qr = Qb[:, :r]
                c = Qr.T @ v
                v -= Qr @ c
                c2 = Qr.T @ v  # second pass (CGS2) keeps Qb orthonormal
                v -= Qr @ c2
                c += c2
                # a_j = C x + v. Rounding errors of size `floor` in a_j and in
                # the pivot columns move v by up to floor * sqrt(1 + ||x||^2)
                x = sla.solve_triangular(T[:r, :r], c, check_finite=False)
                thr = max(tau, floor * float(np.sqrt(1.0 + x @ x)))
            nv = float(np.linalg.norm(v))
            if nv > thr:
                Qb[:, r] = v / nv
                T[:r, r] = c if r else T[:0, r]
                T[r, r] = nv
                pivots.append(j)
                r += 1
                if r == kmax:
                    break
    if r != svd_rank:
        warnings.warn(
            f"cr: {r} pivot columns found but the SVD numerical rank of A is "
            f"{svd_rank}; A is nearly rank deficient at the cutoff {rel:.1e} * sigma_max",
            RuntimeWarning,
            stacklevel=2,
        )
    piv = np.asarray(pivots, dtype=np.intp)
    C = A[:, piv]
    Qr = Qb[:, :r]
    R = (
        sla.solve_triangular(T[:r, :r], Qr.T @ A, check_finite=False)
        if r
        else np.zeros((0, n))
    )
    for i, p in enumerate(piv):
        R[i, :p] = 0.0
    R[:, piv] = np.eye(r)
    meta = meta_factorize(A, C, R.T, rtol=rtol)
    return CRFactorization(C, meta.G, R.T, meta, C, R, piv)
