"""Randomized pseudoinverse ``A_r^+ = (P^T A)^+ (P^T A Q) (A Q)^+``, kept factored.

With sketches ``P`` (m x k) and ``Q`` (n x l), ``A_r^+`` equals ``A^+``
exactly when ``rank(P^T A) = rank(A Q) = rank(A)`` (Karpowicz & Strang,
formula 3). Writing the thin SVDs ``P^T A = U_1 S_1 V_1^T`` and
``A Q = U_2 S_2 V_2^T`` (truncated at the rank cutoff),

    A_r^+ = V_1 K U_2^T,    K = S_1^{-1} U_1^T (P^T A Q) V_2 S_2^{-1},

so the result is stored as two thin orthonormal factors and a small core and
applied to a vector in ``O((m + n)(k + l))`` operations, never formed.

With square sketches (``k = l``) ``A_r^+`` is the pseudoinverse of the
generalized Nystrom approximation ``A Q (P^T A Q)^+ P^T A`` (when
``P^T A Q`` is invertible); with selection sketches it is the pseudoinverse of
the cross approximation ``A[:, J] A[I, J]^{-1} A[I, :]``.

What is guaranteed: the rank conditions are checked a posteriori (numerical
ranks of the three sketches, and Gaussian probes of the range and row space
of ``A`` that the sketches missed) and reported as
``RandomizedPinv.rank_conditions_observed``. A random sketch that lost rank by
bad luck (a +-1 or selection sketch can: a 4 x 4 matrix of random signs is
singular with probability about 0.5) is drawn again; a sketch as large as its
dimension (``k = m`` or ``l = n``) is the identity, which cannot lose rank.
Whenever the returned operator's conditions were not observed, a
``RuntimeWarning`` says so: without one, the result is ``A^+`` (up to rounding
and the rank cutoff).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ..validation import (
    check_choice,
    check_indices,
    check_int,
    check_matrix,
    check_rng,
    check_rtol,
    check_tolerance,
    positional_deprecated,
    relative_cutoff,
)
from .tolerance import _rank, _truncated_svd

__all__ = ["RandomizedPinv", "randomized_pinv", "sketch_matrix", "sparse_sign_matrix"]

SKETCHES = ("gaussian", "sparse_sign", "select")

#: First sketch size tried by the adaptive mode (doubled until the rank conditions are observed).
ADAPTIVE_K0 = 16
#: Default number of draws of the random sketches (per sketch size) when a draw lost rank.
MAX_DRAWS = 8


class RandomizedPinv(LinearOperator):
    """The factored randomized pseudoinverse ``A_r^+ = V K U^T`` (n x m).

    A :class:`scipy.sparse.linalg.LinearOperator`: ``op @ y``, ``op.matvec``,
    ``op.matmat``, ``op.rmatvec`` and ``op.T`` apply it in
    ``O((m + n)(k + l))``; ``op.toarray()`` forms the dense ``n x m`` matrix.

    Attributes
    ----------
    V : numpy.ndarray, shape (n, r1)
        Orthonormal basis of the row space of ``P^T A``.
    K : numpy.ndarray, shape (r1, r2)
        Small core.
    U : numpy.ndarray, shape (m, r2)
        Orthonormal basis of the column space of ``A Q``.
    k, l : int
        Sketch sizes (columns of ``P`` and ``Q``).
    sketch : str
        ``"gaussian"``, ``"sparse_sign"``, ``"select"`` or ``"explicit"``.
    ranks : tuple of int
        Numerical ranks ``(rank(P^T A), rank(A Q), rank(P^T A Q))``.
    saturated : bool
        ``rank(P^T A) < k`` and ``rank(A Q) < l``: the sketches were larger
        than the rank they found.
    exact_sides : tuple of bool
        Whether ``P`` and ``Q`` were the identity (a sketch as large as its
        dimension is not drawn), so that ``P^T A = A`` resp. ``A Q = A``.
    draws : int
        Random draws made for the returned sketch size (1 unless a draw lost
        rank and was drawn again).
    residual_estimate : float or None
        ``max`` over both sides of ``||(I - U U^T) A G||_F / ||A G||_F`` and
        ``||(I - V V^T) A^T G'||_F / ||A^T G'||_F`` for Gaussian probes
        ``G``, ``G'``: how much of the range / row space of ``A`` the sketches
        missed. None when ``n_probes = 0``.
    rank_conditions_observed : bool
        Whether ``rank(P^T A) = rank(A Q) = rank(A)`` was observed
        numerically: the three ranks agree and ``residual_estimate <=
        probe_tol`` (with ``n_probes = 0``: the ranks agree and each sketch
        saturated or is the identity). When True, ``A_r^+`` is ``A^+`` up to
        rounding; when False, :func:`randomized_pinv` has warned.
    rows, cols : numpy.ndarray or None
        Selected row / column indices for selection sketches.
    """

    def __init__(self, V, K, U, *, k, l, sketch, ranks, saturated, residual_estimate,
                 rank_conditions_observed, rows=None, cols=None, exact_sides=(False, False), draws=1):
        super().__init__(dtype=np.dtype(np.float64), shape=(V.shape[0], U.shape[0]))
        self.V = V
        self.K = K
        self.U = U
        self.k = int(k)
        self.l = int(l)
        self.sketch = sketch
        self.ranks = tuple(int(r) for r in ranks)
        self.saturated = bool(saturated)
        self.residual_estimate = residual_estimate
        self.rank_conditions_observed = bool(rank_conditions_observed)
        self.rows = rows
        self.cols = cols
        self.exact_sides = (bool(exact_sides[0]), bool(exact_sides[1]))
        self.draws = int(draws)

    @property
    def rank(self) -> int:
        """Numerical rank of the sketch ``P^T A Q`` (the rank of ``A_r^+``)."""
        return self.ranks[2]

    def _matvec(self, x):
        return self.V @ (self.K @ (self.U.T @ x))

    def _matmat(self, X):
        return self.V @ (self.K @ (self.U.T @ X))

    def _rmatvec(self, y):
        return self.U @ (self.K.T @ (self.V.T @ y))

    def _rmatmat(self, Y):
        return self.U @ (self.K.T @ (self.V.T @ Y))

    def _adjoint(self):
        return _FactoredAdjoint(self)

    _transpose = _adjoint

    def toarray(self) -> np.ndarray:
        """The dense ``n x m`` matrix ``A_r^+``."""
        return (self.V @ self.K) @ self.U.T

    def __repr__(self) -> str:
        n, m = self.shape
        return (
            f"<RandomizedPinv {n}x{m} sketch={self.sketch} k={self.k} l={self.l} "
            f"ranks={self.ranks} rank_conditions_observed={self.rank_conditions_observed}>"
        )


class _FactoredAdjoint(LinearOperator):
    """``(V K U^T)^T = U K^T V^T`` as a LinearOperator."""

    def __init__(self, op: RandomizedPinv):
        super().__init__(dtype=op.dtype, shape=(op.shape[1], op.shape[0]))
        self._op = op

    def _matvec(self, x):
        return self._op._rmatvec(x)

    def _matmat(self, X):
        return self._op._rmatmat(X)

    def _rmatvec(self, y):
        return self._op._matvec(y)

    def _rmatmat(self, Y):
        return self._op._matmat(Y)

    def _adjoint(self):
        return self._op

    _transpose = _adjoint

    def toarray(self) -> np.ndarray:
        return self._op.toarray().T


# ----------------------------------------------------------------------------
# sketches
# ----------------------------------------------------------------------------


def sparse_sign_matrix(d, n, *, zeta=8, rng=None, n_sketches=1):
    """The sparse sign embedding: a ``d x n`` sketch with ``min(zeta, d)`` nonzeros ``+-1/sqrt(min(zeta, d))`` per column.

    The one sparse sign builder of the project: the sketches of
    :func:`sketch_matrix` / :func:`randomized_pinv` (transposed) and the output
    sketches of :class:`linalg_lab.projection.KroneckerProjection` are drawn
    here. ``S`` maps ``R^n`` to ``R^d`` (``S @ x``). Column ``j`` has exactly
    ``z = min(zeta, d)`` nonzeros, in distinct rows, with independent
    uniform signs, scaled by ``1/sqrt(z)``, so that

    * every column has unit norm, ``||S e_j|| = 1``, and
    * ``E[S^T S] = I_n`` (two columns share rows only through independent
      signs), i.e. ``E ||S x||^2 = ||x||^2``: a Johnson-Lindenstrauss
      embedding in expectation (Kane and Nelson).

    The rows of a column are drawn by the block construction: the ``d`` rows
    split into ``z`` contiguous blocks of sizes ``floor`` or ``ceil`` of
    ``d / z``, one row drawn uniformly in each block, so the rows are distinct
    without rejection and a column costs ``O(z)`` (``O(n z)`` in all, never
    ``O(n d)``).

    Parameters
    ----------
    d : int
        Rows (the embedding dimension), ``>= 1``.
    n : int
        Columns (the dimension of the vectors sketched), ``>= 1``.
    zeta : int, default 8
        Nonzeros per column (``min(zeta, d)`` are used).
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Keyword-only.
    n_sketches : int, default 1
        Number of independent ``d x n`` sketches, stacked vertically
        (``(n_sketches d) x n``).

    Returns
    -------
    scipy.sparse.csc_array, shape (n_sketches * d, n)
        Exactly ``n_sketches * n * min(zeta, d)`` stored entries.

    Raises
    ------
    TypeError, ValueError
        Non-integer or out-of-range ``d``, ``n``, ``zeta``, ``n_sketches``;
        a bad ``rng`` (the message names the argument).

    References
    ----------
    .. [1] D. M. Kane and J. Nelson, "Sparser Johnson-Lindenstrauss
       Transforms", *J. ACM* 61 (2014) 4 (the block construction).
    .. [2] P.-G. Martinsson and J. A. Tropp, "Randomized numerical linear
       algebra: foundations and algorithms", *Acta Numerica* 29 (2020)
       403-572, Section 9.2 (sparse sign matrices).

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import sparse_sign_matrix
    >>> S = sparse_sign_matrix(6, 10, zeta=4, rng=0)
    >>> S.shape, int(S.nnz), np.unique(np.abs(S.data)).tolist()
    ((6, 10), 40, [0.5])
    >>> bool(np.allclose(np.linalg.norm(S.toarray(), axis=0), 1.0))
    True
    """
    d = check_int(d, "d", minimum=1)
    n = check_int(n, "n", minimum=1)
    zeta = check_int(zeta, "zeta", minimum=1)
    n_sketches = check_int(n_sketches, "n_sketches", minimum=1)
    return _sparse_sign(d, n, n_sketches, check_rng(rng), zeta)


def _sparse_sign(d: int, n: int, copies: int, rng: np.random.Generator, zeta: int) -> sp.csc_array:
    """:func:`sparse_sign_matrix` without the checks (``rng`` a Generator)."""
    z = min(zeta, d)
    # block construction: the d rows of a sketch split into z blocks, one row drawn in each block per column,
    # so the z rows of a column are distinct without rejection
    starts = (np.arange(z + 1) * d) // z
    sizes = np.diff(starts)
    rows = starts[:-1] + np.floor(rng.random((copies, n, z)) * sizes).astype(np.int64)
    rows += (np.arange(copies, dtype=np.int64) * d)[:, None, None]
    cols = np.broadcast_to(np.arange(n)[None, :, None], rows.shape)
    vals = rng.choice(np.array([-1.0, 1.0]), size=rows.shape) / np.sqrt(z)
    return sp.csc_array((vals.ravel(), (rows.ravel(), cols.ravel())), shape=(copies * d, n))


def _sparse_sign_test(size: int, k: int, rng: np.random.Generator, zeta: int) -> sp.csr_array:
    """The ``size x k`` sparse sign test matrix ``P`` (``P^T`` a :func:`sparse_sign_matrix` of shape ``k x size``)."""
    return _sparse_sign(k, size, 1, rng, zeta).T


def sketch_matrix(size, k, kind="gaussian", *, rng=None, zeta=8):
    """A random ``size x k`` test matrix for :func:`randomized_pinv`.

    Parameters
    ----------
    size : int
        Number of rows (``m`` for ``P``, ``n`` for ``Q``).
    k : int
        Number of columns, ``1 <= k <= size``.
    kind : {"gaussian", "sparse_sign", "select"}
        ``"gaussian"``: i.i.d. N(0, 1) entries (dense). ``"sparse_sign"``:
        the transpose of :func:`sparse_sign_matrix` ``(k, size)``: every row
        has ``min(zeta, k)`` nonzeros ``+-1/sqrt(min(zeta, k))`` in distinct
        random columns, so ``E[S S^T] = I_size`` (CSC sparse).
        ``"select"``: ``k`` distinct columns of the identity chosen uniformly
        at random (dense, 0/1).
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
    zeta : int, optional
        Nonzeros per row of the sparse sign matrix (default 8).

    Returns
    -------
    numpy.ndarray or scipy.sparse.csc_array

    References
    ----------
    .. [1] P.-G. Martinsson and J. A. Tropp, "Randomized numerical linear
       algebra: foundations and algorithms", *Acta Numerica* 29 (2020)
       403-572, Section 9 (test matrices).
    .. [2] K. L. Clarkson and D. P. Woodruff, "Low-rank approximation and
       regression in input sparsity time", *J. ACM* 63 (2017) 54.

    Examples
    --------
    >>> from linalg_lab.factorization import sketch_matrix
    >>> S = sketch_matrix(100, 10, "sparse_sign", rng=0)
    >>> S.shape, int(S.nnz)
    ((100, 10), 800)
    """
    size = check_int(size, "size", minimum=1)
    k = check_int(k, "k", minimum=1, maximum=size, maximum_text=f"size = {size}")
    kind = check_choice(kind, "kind", SKETCHES)
    zeta = check_int(zeta, "zeta", minimum=1)
    rng = check_rng(rng)
    if kind == "gaussian":
        return rng.standard_normal((size, k))
    if kind == "sparse_sign":
        return _sparse_sign_test(size, k, rng, zeta).tocsc()
    idx = np.sort(rng.choice(size, k, replace=False))
    S = np.zeros((size, k))
    S[idx, np.arange(k)] = 1.0
    return S


# ----------------------------------------------------------------------------
# products with A (dense, sparse or LinearOperator)
# ----------------------------------------------------------------------------


def _dense(x) -> np.ndarray:
    return x.toarray() if sp.issparse(x) else np.asarray(x)


def _times(A, Q) -> np.ndarray:
    """``A @ Q`` as a dense array."""
    if isinstance(A, LinearOperator):
        return np.asarray(A.matmat(_dense(Q)), dtype=np.float64)
    if sp.issparse(A):
        return _dense(A @ Q)
    if sp.issparse(Q):
        return np.asarray((Q.T @ A.T).T)
    return A @ Q


def _times_t(A, P) -> np.ndarray:
    """``P^T @ A`` as a dense array."""
    if isinstance(A, LinearOperator):
        try:
            out = A.rmatmat(_dense(P))
        except (NotImplementedError, TypeError):
            # scipy raises NotImplementedError, or TypeError from a custom
            # operator built without rmatvec ("'NoneType' object is not callable")
            raise TypeError(
                "A: expected a LinearOperator with rmatvec/rmatmat (products with A^T) to sketch its rows"
            ) from None
        return np.asarray(out, dtype=np.float64).T
    if sp.issparse(A):
        return _dense(A.T @ P).T
    if sp.issparse(P):
        return np.asarray(P.T @ A)
    return (A.T @ P).T  # same product; this layout is faster for C-ordered A


def _rows_of(A, rows) -> np.ndarray:
    if isinstance(A, LinearOperator):
        E = np.zeros((A.shape[0], rows.size))
        E[rows, np.arange(rows.size)] = 1.0
        return _times_t(A, E)
    if sp.issparse(A):
        return A[rows, :].toarray()
    return A[rows, :]


def _cols_of(A, cols) -> np.ndarray:
    if isinstance(A, LinearOperator):
        E = np.zeros((A.shape[1], cols.size))
        E[cols, np.arange(cols.size)] = 1.0
        return _times(A, E)
    if sp.issparse(A):
        return sp.csc_array(A)[:, cols].toarray()
    return A[:, cols]


def _relres(E, M) -> float:
    den = float(np.linalg.norm(M))
    num = float(np.linalg.norm(E))
    if den == 0.0:
        return 0.0 if num == 0.0 else float("inf")
    return num / den


def _is_index_vector(x) -> bool:
    if sp.issparse(x) or isinstance(x, LinearOperator):
        return False
    a = np.asarray(x)
    return a.ndim == 1 and (a.dtype.kind in "iu" or a.size == 0)


# ----------------------------------------------------------------------------
# the operator
# ----------------------------------------------------------------------------


def _build(A, m, n, Y, Z, M, *, k, l, kind, rtol, rng, n_probes, probe_tol, rows, cols,
           AG=None, AtG=None, exact=(False, False)):
    size = max(m, n)
    for name, S in (("P^T A", Y), ("A Q", Z)):
        if not np.all(np.isfinite(S)):
            raise ValueError(f"A: contains NaN or inf (found in the sketch {name})")
    U1, s1, V1t = _truncated_svd(Y, rtol, size)
    U2, s2, V2t = _truncated_svd(Z, rtol, size)
    r3 = _rank(M, rtol, size)
    K = ((U1.T @ M @ V2t.T) / s1[:, None]) / s2[None, :]
    V, U = V1t.T, U2
    r1, r2 = s1.size, s2.size
    agree = r1 == r2 == r3
    saturated = r1 < k and r2 < l
    if n_probes:
        if AG is None:
            AG = _times(A, rng.standard_normal((n, n_probes)))
            AtG = _times_t(A, rng.standard_normal((m, n_probes))).T
        est = max(_relres(AG - U @ (U.T @ AG), AG), _relres(AtG - V @ (V.T @ AtG), AtG))
        observed = agree and est <= probe_tol
    else:
        est = None
        # a sketch that saturated (or is the identity) holds all of the range it sees
        observed = agree and (r1 < k or exact[0]) and (r2 < l or exact[1])
    return RandomizedPinv(
        V, K, U, k=k, l=l, sketch=kind, ranks=(r1, r2, r3), saturated=saturated,
        residual_estimate=est, rank_conditions_observed=observed, rows=rows, cols=cols, exact_sides=exact,
    )


def _redraw_may_help(op: RandomizedPinv) -> bool:
    """Whether a failed draw can be blamed on the draw rather than on ``k``, ``l`` < ``rank(A)``.

    ``rank(A) >= max(r1, r2)``; when that exceeds ``min(k, l)`` no draw of these sizes can succeed. When
    both sketches kept full rank (``r1 = k``, ``r2 = l``) and the conditions failed, ``rank(A) > k`` (with
    ``rank(A) = k`` a full-rank ``P^T A`` already spans the whole row space). Otherwise a sketch lost rank,
    which another draw may avoid.
    """
    r1, r2, _ = op.ranks
    return max(r1, r2) <= min(op.k, op.l) and (r1 < op.k or r2 < op.l)


def _warn_unobserved(op: RandomizedPinv, hint: str) -> None:
    est = "not computed" if op.residual_estimate is None else f"{op.residual_estimate:.2e}"
    warnings.warn(
        f"randomized_pinv: the rank conditions rank(P^T A) = rank(A Q) = rank(A) were not observed "
        f"(sketch={op.sketch}, k={op.k}, l={op.l}, ranks {op.ranks}, residual_estimate {est}, "
        f"{op.draws} draw(s)): the result is not A^+ but the pseudoinverse of a generalized Nystrom / cross "
        f"approximation of A; {hint}",
        RuntimeWarning,
        stacklevel=3,
    )


def _random_sketches(A, m, n, k, l, kind, rng, zeta, n_probes):
    """Sketches ``Y = P^T A``, ``Z = A Q``, ``M = P^T A Q`` (and probes ``A G``, ``A^T G'``).

    For Gaussian sketches the probe vectors ride along as extra columns of
    ``P`` and ``Q``, so that ``A`` is read once per side. A sketch as large as
    its dimension (``k = m``, ``l = n``) is the identity: exact, and unlike a
    random square matrix of signs never singular.
    """
    rows = cols = None
    AG = AtG = None
    exact = (k == m, l == n)
    if kind == "select" or all(exact):
        rows = np.arange(m) if exact[0] else np.sort(rng.choice(m, k, replace=False))
        cols = np.arange(n) if exact[1] else np.sort(rng.choice(n, l, replace=False))
        Y, Z = _rows_of(A, rows), _cols_of(A, cols)
        M = Z[rows, :]
        if kind != "select":
            rows = cols = None
    elif kind == "gaussian":
        # the identity side keeps its Gaussian probes as the extra columns
        P = rng.standard_normal((m, (0 if exact[0] else k) + n_probes))
        Q = rng.standard_normal((n, (0 if exact[1] else l) + n_probes))
        if exact[0]:
            Y = _rows_of(A, np.arange(m))
            AtG = _times_t(A, P).T if n_probes else None
        else:
            Yp = _times_t(A, P)
            Y, AtG = Yp[:k], Yp[k:].T
        if exact[1]:
            Z = _cols_of(A, np.arange(n))
            AG = _times(A, Q) if n_probes else None
        else:
            Zp = _times(A, Q)
            Z, AG = Zp[:, :l], Zp[:, l:]
        M = Z if exact[0] else P[:, :k].T @ Z
    else:
        if exact[0]:
            Z = _times(A, _sparse_sign_test(n, l, rng, zeta))
            Y, M = _rows_of(A, np.arange(m)), Z
        else:
            P = _sparse_sign_test(m, k, rng, zeta)
            Y = _times_t(A, P)
            Z = _cols_of(A, np.arange(n)) if exact[1] else _times(A, _sparse_sign_test(n, l, rng, zeta))
            M = np.asarray(P.T @ Z)
    if n_probes == 0 or kind != "gaussian":
        AG = AtG = None
    return Y, Z, M, rows, cols, AG, AtG, exact


@positional_deprecated("rng", "rtol")
def randomized_pinv(A, k=None, l=None, sketch="gaussian", *, rng=None, rtol=None,
                    n_probes=4, probe_tol=None, max_k=None, zeta=8, max_draws=MAX_DRAWS) -> RandomizedPinv:
    """Randomized pseudoinverse ``A_r^+ = (P^T A)^+ (P^T A Q) (A Q)^+``, factored.

    ``A_r^+ = A^+`` exactly when ``rank(P^T A) = rank(A Q) = rank(A)``. For
    Gaussian sketches this holds with probability one as soon as
    ``k, l >= rank(A)``; for sparse sign and selection sketches it can fail
    with positive probability even then (their entries take finitely many
    values: a square matrix of random signs is singular with probability
    about 0.5 at size 4, and a selection can miss the rows that carry a
    direction). Otherwise ``A_r^+`` is the pseudoinverse of the generalized
    Nystrom (``k = l``) or, with selection sketches, of the cross
    approximation of ``A``.

    Guarantees: the conditions are checked a posteriori (``ranks`` and, with
    ``n_probes > 0``, Gaussian probes of what the sketches missed) and
    reported as ``rank_conditions_observed``. A random draw that failed
    because a sketch lost rank (not because ``k`` or ``l`` is below
    ``rank(A)``) is drawn again, up to ``max_draws`` times; a sketch as large
    as its dimension (``k = m`` or ``l = n``) is the identity. If the
    returned operator's conditions were not observed, a ``RuntimeWarning`` is
    issued: a result returned without a warning is ``A^+`` (for the rank
    cutoff ``rtol``, up to rounding).

    Cost: the sketches ``P^T A``, ``A Q`` (``O(mn(k + l))`` for dense ``A``
    and Gaussian sketches, ``O(nnz(A) zeta)`` for sparse sign, free for
    selection), two thin SVDs (``O(n k^2 + m l^2)``), and ``4 n_probes``
    extra products with ``A`` or ``A^T`` for the a posteriori check. The
    result is applied in ``O((m + n)(k + l))``.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or LinearOperator, shape (m, n)
        Real matrix. A LinearOperator needs ``matmat`` and ``rmatmat``.
    k : int, optional
        Number of columns of ``P`` (rows sketched), ``1 <= k <= min(m, n)``.
        None: adaptive choice -- sketch sizes ``16, 32, 64, ...`` (with
        ``l = k``, fresh sketches each time) until the rank conditions are
        observed, or ``max_k`` is reached (where sketches that lost rank are
        drawn again, up to ``max_draws`` times).
    l : int, optional
        Number of columns of ``Q`` (columns sketched), ``1 <= l <= min(m, n)``;
        default ``k``.
    sketch : {"gaussian", "sparse_sign", "select"} or tuple, optional
        Kind of test matrices (see :func:`sketch_matrix`), or an explicit pair
        ``(P, Q)`` of matrices (m x k and n x l, dense or sparse), or a pair
        ``(rows, cols)`` of integer index arrays (selection: ``P^T A =
        A[rows]``, ``A Q = A[:, cols]``, giving the pseudoinverse of the
        cross approximation).
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Source of the sketches and probes. Keyword-only, as is ``rtol``
        (passed positionally, both still work for one release, with a
        ``DeprecationWarning``).
    rtol : float or None, optional
        Relative rank tolerance: singular values of ``P^T A``, ``A Q`` and
        ``P^T A Q`` at or below ``max(rtol, max(m, n) * eps) * sigma_max`` (of
        that sketch) are treated as zero. Default ``max(m, n) * eps``.
    n_probes : int, optional
        Number of Gaussian probe vectors per side for ``residual_estimate``
        (default 4). 0 disables the check: ``rank_conditions_observed`` then
        rests on the ranks alone (agreeing, and each sketch saturated or the
        identity), which is conclusive for Gaussian sketches but can be fooled
        by a sign or selection sketch that misses a part of ``A`` entirely, so
        the promise "no warning, so ``A^+``" needs ``n_probes >= 1`` for those.
    probe_tol : float, optional
        Threshold on ``residual_estimate`` for ``rank_conditions_observed``;
        default ``sqrt(max(rtol, max(m, n) * eps))``.
    max_k : int, optional
        Largest sketch size of the adaptive mode (default ``min(m, n)``).
    zeta : int, optional
        Nonzeros per row of sparse sign sketches (default 8).
    max_draws : int, optional
        Largest number of random draws for one sketch size when the draws
        lose rank (default 8; 1: never draw again). Explicit sketches are
        never redrawn.

    Returns
    -------
    RandomizedPinv
        LinearOperator of shape ``(n, m)`` with ``toarray()``, ``ranks``,
        ``rank_conditions_observed``, ``residual_estimate`` and ``draws``.

    Warns
    -----
    RuntimeWarning
        When ``rank_conditions_observed`` is False for the returned operator
        (``k`` or ``l`` below ``rank(A)``, ``max_k`` too small, explicit
        sketches that miss part of ``A``, or every draw lost rank).

    Raises
    ------
    ValueError
        Non-finite entries, ``k`` or ``l`` out of range, mismatched explicit
        sketches (the message names the argument).
    TypeError
        Non-numeric or complex ``A``, non-integer ``k``, bad ``rng``.

    References
    ----------
    .. [1] M. P. Karpowicz and G. Strang, "The pseudoinverse of A = CR is
       A+ = R+C+ (?)", arXiv:2305.01716, 2023 (formula 3).
    .. [2] Y. Nakatsukasa, "Fast and stable randomized low-rank matrix
       approximation", arXiv:2009.11392, 2020 (generalized Nystrom).
    .. [3] N. Halko, P.-G. Martinsson and J. A. Tropp, "Finding structure with
       randomness", *SIAM Rev.* 53 (2011) 217-288 (a posteriori estimate).

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import randomized_pinv, pinv
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((300, 5)) @ rng.standard_normal((5, 200))
    >>> Ar = randomized_pinv(A, 10, rng=1)
    >>> Ar.shape, Ar.ranks, Ar.rank_conditions_observed
    ((200, 300), (5, 5, 5), True)
    >>> bool(np.allclose(Ar.toarray(), pinv(A)))
    True
    """
    A = check_matrix(A, "A", accept_sparse=True, dtype=np.float64, accept_operator=True)
    if sp.issparse(A):
        A = sp.csr_array(A)   # row slices for selection sketches, one sparse class for the products
    m, n = A.shape
    rtol = check_rtol(rtol)
    gen = check_rng(rng)
    n_probes = check_int(n_probes, "n_probes", minimum=0)
    zeta = check_int(zeta, "zeta", minimum=1)
    probe_tol = check_tolerance(probe_tol, "probe_tol", default=float(np.sqrt(relative_cutoff(max(m, n), rtol))))
    max_draws = check_int(max_draws, "max_draws", minimum=1)
    hi, hi_text = min(m, n), f"min(m, n) = {min(m, n)}"
    common = dict(rtol=rtol, rng=gen, n_probes=n_probes, probe_tol=probe_tol)

    if not isinstance(sketch, str):
        op = _explicit(A, m, n, sketch, k, l, common)
        if not op.rank_conditions_observed:
            _warn_unobserved(op, "the explicit sketches miss part of the range or row space of A")
        return op
    sketch = check_choice(sketch, "sketch", SKETCHES)

    def attempt(kk, ll):
        Y, Z, M, rows, cols, AG, AtG, exact = _random_sketches(A, m, n, kk, ll, sketch, gen, zeta, n_probes)
        return _build(A, m, n, Y, Z, M, k=kk, l=ll, kind=sketch, rows=rows, cols=cols, AG=AG, AtG=AtG,
                      exact=exact, **common)

    def redraw(op, kk, ll):
        """Draw again while a sketch lost rank by bad luck (at most ``max_draws`` draws in all)."""
        draws = 1
        while not op.rank_conditions_observed and draws < max_draws and _redraw_may_help(op):
            op = attempt(kk, ll)
            draws += 1
        op.draws = draws
        return op

    if k is not None:
        k = check_int(k, "k", minimum=1, maximum=hi, maximum_text=hi_text)
        l = k if l is None else check_int(l, "l", minimum=1, maximum=hi, maximum_text=hi_text)
        op = redraw(attempt(k, l), k, l)
        if not op.rank_conditions_observed:
            _warn_unobserved(op, "k or l is probably below rank(A): increase them, or leave k=None (adaptive)"
                             if not _redraw_may_help(op) else f"{op.draws} draws all lost rank")
        return op

    if l is not None:
        raise ValueError(f"l: expected None when k is None (the adaptive mode sets l = k), got {l!r}")
    kmax = hi if max_k is None else check_int(max_k, "max_k", minimum=1, maximum=hi, maximum_text=hi_text)
    kk = min(ADAPTIVE_K0, kmax)
    while True:
        op = attempt(kk, kk)
        if op.rank_conditions_observed:
            return op
        if kk < kmax:  # a larger sketch either captures the rank or is drawn afresh
            kk = min(2 * kk, kmax)
            continue
        op = redraw(op, kk, kk)
        if not op.rank_conditions_observed:
            _warn_unobserved(op, f"the largest sketch size max_k = {kmax} is below rank(A) or every draw lost "
                                 "rank" if kmax < hi else f"{op.draws} draws of the largest sketch size lost rank")
        return op


def _explicit(A, m, n, sketch, k, l, common):
    if not isinstance(sketch, tuple | list):
        raise TypeError(
            f"sketch: expected one of {', '.join(map(repr, SKETCHES))} or a pair (P, Q) / (rows, cols), "
            f"got {type(sketch).__name__}"
        )
    if len(sketch) != 2:
        raise ValueError(f"sketch: expected a pair (P, Q) / (rows, cols), got {len(sketch)} items")
    P, Q = sketch
    if _is_index_vector(P) and _is_index_vector(Q):
        rows = np.sort(check_indices(P, "sketch[0] (rows)", m))
        cols = np.sort(check_indices(Q, "sketch[1] (cols)", n))
        kk, ll = rows.size, cols.size
        Y, Z = _rows_of(A, rows), _cols_of(A, cols)
        M = Z[rows, :]
        kind = "select"
    else:
        P = check_matrix(P, "sketch[0] (P)", accept_sparse="csr", dtype=np.float64, shape=(m, None))
        Q = check_matrix(Q, "sketch[1] (Q)", accept_sparse="csr", dtype=np.float64, shape=(n, None))
        kk, ll = P.shape[1], Q.shape[1]
        Y, Z = _times_t(A, P), _times(A, Q)
        M = np.asarray(P.T @ Z)
        rows = cols = None
        kind = "explicit"
    if k is not None and k != kk:
        raise ValueError(f"k: expected None or {kk} (the columns of the explicit sketch), got {k!r}")
    if l is not None and l != ll:
        raise ValueError(f"l: expected None or {ll} (the columns of the explicit sketch), got {l!r}")
    return _build(A, m, n, Y, Z, M, k=kk, l=ll, kind=kind, rows=rows, cols=cols, **common)
