"""Partial Gromov-Wasserstein: Frank-Wolfe with partial-OT inner solves (Chapel, Alaya and Gasso 2020).

Partial GW transports mass ``m`` between two metric-measure spaces
``(C1, p)`` and ``(C2, q)`` that need not live in the same space:

    min_T  L(T) = 1/2 sum_{i,j,k,l} (C1_ik - C2_jl)^2 T_ij T_kl
    s.t.   T >= 0,  T 1 <= p,  T^T 1 <= q,  1^T T 1 = m

(the factor 1/2 is POT's: ``ot.partial.partial_gromov_wasserstein2`` reports
this value). ``L`` is a quadratic, in general nonconvex, so the solvers find a
local optimum from an initial plan ``G0``:

* :func:`partial_gromov_wasserstein` runs Frank-Wolfe: each step solves the
  exact partial OT problem on the linearisation (the gradient as cost
  matrix), then moves towards that vertex with the exact line search of the
  quadratic. The iteration, its stopping rule and its defaults are POT's, so
  that from the same ``G0`` the same sequence of plans is computed. Each step
  is cheaper: one product ``C1 V C2^T`` (``V`` the LP's vertex, sparse; the
  product is updated from the previous vertex's when few rows changed)
  instead of four, the gradient and the line search updated from it in one
  pass over the n x n' arrays, and an exact LP solve that reuses the previous
  step: a primal network simplex warm-started from the previous step's
  optimal basis tree (the masses do not change between steps, so that tree
  stays feasible and only the pivots the new costs need are made;
  ``_TreeLP``, ``_gromov_kernels``). The first step starts from POT's dense
  solve, or, with equal uniform masses and the default ``G0``, from the
  non-crossing matching of its Monge cost (``_monge_start``): the gradient
  at the product plan has vertices within 1e-14 relative of each other, and
  the simplex, whose optimality test uses potentials recomputed from its
  tree, returns the optimal one, as POT's dense solve does. Problems below
  ``n n' = 40000`` use POT's dense solve at every step.
* :func:`entropic_partial_gromov_wasserstein` replaces each linear problem by
  entropic partial OT on the gradient (POT's iteration: the next plan *is*
  the entropic solution); the inner solver is
  :func:`~linalg_lab.transport.entropic_partial_wasserstein`'s (O(n n') per
  cycle, a stopping rule, stable at small ``reg``), warm-started with the
  previous step's potentials.

The gradient of ``L`` at ``T`` (for symmetric ``C1``, ``C2``) is
``grad = (C1^2) T 1 1^T + 1 1^T T (C2^2) - 2 C1 T C2^T`` (squares entrywise).

References
----------
.. [1] L. Chapel, M. Z. Alaya and G. Gasso, "Partial optimal transport with
   applications on positive-unlabeled learning", NeurIPS 2020.
.. [2] G. Peyré, M. Cuturi and J. Solomon, "Gromov-Wasserstein averaging of
   kernel and distance matrices", ICML 2016.
.. [3] M. Frank and P. Wolfe, "An algorithm for quadratic programming",
   Naval Research Logistics Quarterly 3, 1956.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..validation import check_bool, check_int, check_matrix, check_real, check_tolerance
from ._checks import check_histogram, check_mass
from . import _entropic_kernels as _k
from . import _gromov_kernels as _gk
from ._feasible import ConvergenceWarning
from .entropic import _solve as _entropic_solve
from .partial import _abs_max, _as_dtype, _augmented_emd, _check_nb_dummies, _emd_kwargs, _out_dtype

__all__ = [
    "entropic_partial_gromov_wasserstein",
    "entropic_partial_gromov_wasserstein2",
    "partial_gromov_wasserstein",
    "partial_gromov_wasserstein2",
]

_CHECK_EVERY = 10  # POT's: the change of the plan is measured every 10 steps


def _check_problem(C1, C2, p, q, m, G0, where):
    """Validated float64 ``C1, C2, p, q, m, G0`` (G0 None or a checked copy) and the result dtype."""
    dtype = _out_dtype(C1)
    C1 = check_matrix(C1, "C1", dtype=np.float64)
    C2 = check_matrix(C2, "C2", dtype=np.float64)
    for name, C in (("C1", C1), ("C2", C2)):
        if C.shape[0] != C.shape[1]:
            raise ValueError(f"{name}: expected a square matrix (the distances within one space), got shape {C.shape}")
    n, nt = C1.shape[0], C2.shape[0]
    p = check_histogram(p, "p", n)
    q = check_histogram(q, "q", nt)
    m = check_mass(m, p, q)
    if G0 is not None:
        G0 = check_matrix(G0, "G0", dtype=np.float64, shape=(n, nt), copy=True)
        if float(G0.min()) < 0:
            raise ValueError(f"G0: expected a plan with entries >= 0, got a minimum of {float(G0.min()):g}")
    return C1, C2, p, q, m, G0, dtype


def _loss(C1sq, C2sq, r, c, A, G) -> float:
    """POT's partial GW value ``1/2 <grad(G), G>`` from ``r = G 1``, ``c = G^T 1`` and ``A = C1 G C2^T``."""
    return float(0.5 * ((C1sq @ r) @ r + (c @ C2sq) @ c) - np.einsum("ij,ij->", A, G))


def _product(C1, G, C2):
    """``C1 G C2^T``, skipping the zero rows and columns of ``G`` (an LP vertex has few nonzeros)."""
    rows = np.flatnonzero(G.any(axis=1))
    cols = np.flatnonzero(G.any(axis=0))
    if len(rows) * len(cols) < 0.8 * G.size:
        return C1[:, rows] @ (G[np.ix_(rows, cols)] @ C2[:, cols].T)
    return C1 @ (G @ C2.T)


class _Vertex:
    """A sparse plan (an LP vertex) in CSR form: row pointers ``indptr``, column ``indices`` sorted in each row,
    values ``data``; shape ``(n, n')``."""

    __slots__ = ("data", "indices", "indptr", "shape")

    def __init__(self, indptr, indices, data, shape):
        self.shape, self.indptr, self.indices, self.data = shape, indptr, indices, data

    @classmethod
    def from_dense(cls, V):
        i, j = np.nonzero(V)  # row-major: sorted by row, then column
        indptr = np.concatenate([[0], np.cumsum(np.bincount(i, minlength=V.shape[0]))])
        return cls(indptr, j, V[i, j], V.shape)

    def rows(self):
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def nonzero_rows(self):
        return np.flatnonzero(np.diff(self.indptr))

    def row_sums(self):
        return np.bincount(self.rows(), self.data, minlength=self.shape[0])

    def col_sums(self):
        return np.bincount(self.indices, self.data, minlength=self.shape[1])

    def dense(self):
        V = np.zeros(self.shape)
        V[self.rows(), self.indices] = self.data
        return V


class _VertexProducts:
    """``C1 V C2^T`` for the successive LP vertices ``V`` of a Frank-Wolfe run.

    ``V`` has at most ``n + n'`` nonzeros: its rows times ``C2^T`` (a sparse
    gather, ``nnz n'`` operations), then one dense product with the matching
    columns of ``C1`` (``n r n'``, ``r`` the number of nonzero rows; rows of
    ``C1`` when it is symmetric, a contiguous gather). Two successive
    vertices differ in fewer rows once the run settles, so the product is
    updated from the previous vertex's, ``B = B_prev + C1 (V - V_prev)
    C2^T``, when the difference has fewer nonzero rows than ``V`` itself;
    otherwise it is computed afresh. The update is exact up to rounding (a
    few ulps of ``|C1| |V| |C2|`` per step; entries of the difference
    within 16 ulps of ``max V`` are rounding of the flows and left out).
    """

    def __init__(self, C1, C2):
        self.C1 = C1
        self.symmetric = bool(np.array_equal(C1, C1.T))
        self.C2r = C2 if np.array_equal(C2, C2.T) else np.ascontiguousarray(C2.T)  # row j: column j of C2
        self.V = None
        self.B = None

    def _product(self, V):
        rows = V.nonzero_rows()
        if rows.size == 0:
            return np.zeros((self.C1.shape[0], self.C2r.shape[0]))
        X = np.zeros((rows.size, self.C2r.shape[0]))
        _gk.rows_times(rows, V.indptr, V.indices, V.data, self.C2r, X)
        return (self.C1[rows].T if self.symmetric else self.C1[:, rows]) @ X

    def __call__(self, V):
        if self.V is not None:
            # entries that moved by a few ulps only (flows recomputed along pivots) are left out: the product
            # then lags the vertex by rounding, and the rows it needs stay the rows that changed
            tol = 16 * np.finfo(np.float64).eps * float(np.abs(V.data).max(initial=0.0))
            U = self.V
            indptr, indices, data, changed = _gk.csr_diff(V.indptr, V.indices, V.data, U.indptr, U.indices, U.data,
                                                          tol)
            if changed == 0:
                self.V = V
                return self.B
            if changed < len(V.nonzero_rows()):
                self.B += self._product(_Vertex(indptr, indices, data, V.shape))
                self.V = V
                return self.B
        self.B = self._product(V)
        self.V = V
        return self.B


#: Pivot limit of one tree-simplex solve, per arc (a guard against cycling; far above what a solve takes).
_PIVOTS_PER_ARC = 2
#: Problems with fewer pairs ``n n'`` are solved densely at every step: there the dense solve is cheap, and the
#: dense solver breaks ties between optimal vertices as POT does (the toy examples of POT's documentation have
#: such ties; a different optimal vertex can lead Frank-Wolfe to a different local optimum).
_TREE_MIN_SIZE = 40_000


class _TreeLP:
    """Exact partial OT vertices of the Frank-Wolfe steps by a primal network simplex warm-started from a basis tree.

    The LP of each step is the balanced problem with one dummy point per
    side (real-to-dummy arcs cost 0, dummy-to-dummy ``2 max|M|``, so that it
    carries nothing at an optimum): POT's problem, whose optimal real block
    does not depend on the number of dummies. The masses do not change from
    one step to the next, so the previous step's optimal basis tree is a
    feasible basis for the new costs: :meth:`solve` recomputes its
    potentials and makes the pivots the new costs need (``_gromov_kernels.
    simplex``: thousands while the vertex still moves, tens at the end at
    n = 1000). Optimality is declared under potentials recomputed from the
    tree, so near-tied vertices are told apart down to the rounding of the
    costs: the vertex is the LP's optimum, the one POT's dense solve finds.
    The first tree holds a feasible plan given to :meth:`start` (the first
    step's dense vertex, or the start built from the Monge structure of the
    first gradient, :func:`_monge_start`).
    """

    def __init__(self, p, q, m):
        self.rows = np.flatnonzero(p > 0)
        self.cols = np.flatnonzero(q > 0)
        self.whole = len(self.rows) == len(p) and len(self.cols) == len(q)
        ps, qs = (p, q) if self.whole else (p[self.rows], q[self.cols])
        self.shape = (len(p), len(q))
        self.n, self.nt = len(ps), len(qs)
        row_mass, col_mass = float(qs.sum()) - m, float(ps.sum()) - m  # dummy row sends, dummy column receives
        a = np.concatenate([ps, [row_mass] if row_mass > 0 else []])
        b = np.concatenate([qs, [col_mass] if col_mass > 0 else []])
        self.a, self.b = a, b * (a.sum() / b.sum())  # equal totals, as ot.emd makes them
        self.floor = 1e-14 * float(a.sum())
        self.tree = None
        self.pi = np.zeros(len(a) + len(b))
        self.next_row = 0
        self.pivots = 0
        self.solves = 0

    def _sub(self, X):
        return X if self.whole else np.ascontiguousarray(X[np.ix_(self.rows, self.cols)])

    def start(self, V, via_row=False):
        """Take the basis tree holding the feasible plan ``V`` (shape of the whole problem); False if ``V``'s
        support does not hold a feasible plan (then there is no tree)."""
        *tree, worst = _gk.tree_from_plan(self._sub(V), self.a, self.b, self.n, self.nt, self.floor, via_row)
        self.tree = tree if worst >= -1e-9 * float(self.a.sum()) else None
        return self.tree is not None

    def solve(self, M_full):
        """The optimal vertex (a :class:`_Vertex`) for the cost ``M_full`` (shape of the whole problem), from the
        current tree; None if the pivot limit was reached (the tree is then dropped)."""
        M = self._sub(M_full)
        big = _abs_max(M)
        corner = 2.0 * big if big > 0 else 1.0
        S, T = len(self.a), len(self.b)
        parent, depth, pflow, first_child, next_sib, prev_sib = self.tree
        tol = 64 * np.finfo(np.float64).eps * corner
        status, pivots, self.next_row = _gk.simplex(M, self.n, self.nt, corner, S, T, parent, depth, pflow,
                                                    first_child, next_sib, prev_sib, self.pi, tol,
                                                    _PIVOTS_PER_ARC * S * T + 10_000, self.next_row)
        self.solves += 1
        self.pivots += pivots
        if status != 1:  # pragma: no cover - a pivot limit (cycling guard): the caller solves densely
            self.tree = None
            return None
        return _Vertex(*_gk.tree_csr(parent, pflow, S, self.n, self.nt, self.rows, self.cols, *self.shape),
                       self.shape)


def _monge_start(ar, bc, x, y, s, w, m, M):
    """A feasible plan of mass ``m`` near the optimum of the first LP step, uniform masses ``w``, product ``G0``.

    There the half gradient is ``M = ar_i + bc_j - s x_i y_j`` (``x = C1 p``,
    ``y = C2 q``, ``s > 0``), a Monge matrix once rows are sorted by ``x``
    and columns by ``y``; its optimal k-matchings may be taken non-crossing,
    and the best non-crossing matching with a price ``lam`` per pair is an
    O(n n') dynamic program (``_gromov_kernels.monge_dp``). The price is
    searched by chords of the convex cost-of-k until the matching has
    ``K = floor(m / w)`` pairs (about ten programs); the mass left,
    ``(m / w - K) w``, goes on the cheapest pair of an unmatched row and an
    unmatched column. The plan is only a start for the tree simplex (which
    makes it optimal, in a few thousand pivots at n = 1000): the program's
    sums round differently from ``M``. None if the search stalls.
    """
    n, nt = len(ar), len(bc)
    k_real = m / w
    K = round(k_real)
    if abs(k_real - K) > 1e-9 * max(1.0, k_real):
        K = int(np.floor(k_real))
    phi = k_real - K if k_real - K > 1e-9 else 0.0
    K = min(K, n, nt)
    ox, oy = np.argsort(x, kind="stable"), np.argsort(y, kind="stable")
    a_, b_, x_, y_ = ar[ox], bc[oy], x[ox], y[oy]
    dec = np.empty((n, nt), np.uint8)

    def run(lam):
        k = _gk.monge_dp(a_, b_, x_, y_, s, lam, dec)
        ri, cj = _gk.monge_pairs(dec, k)
        return k, float(np.sum(a_[ri] + b_[cj] - s * x_[ri] * y_[cj])), ri, cj

    ri = cj = np.zeros(0, np.int64)
    if K > 0:
        big = 2.0 * (np.abs(a_).max() + np.abs(b_).max() + s * np.abs(x_).max() * np.abs(y_).max()) + 1.0
        k, f, ri, cj = run(big)
        if k < K:
            return None  # pragma: no cover - the largest matching has min(n, n') >= K pairs
        lo, hi = (0, 0.0), (k, f)
        for _ in range(100):
            if k == K:
                break
            lam = (hi[1] - lo[1]) / (hi[0] - lo[0])
            k, f, ri, cj = run(lam)
            if k < K:
                if k <= lo[0]:
                    return None  # pragma: no cover - no progress (cost of k linear across the bracket)
                lo = (k, f)
            elif k > K:
                if k >= hi[0]:
                    return None  # pragma: no cover
                hi = (k, f)
        else:  # pragma: no cover
            return None
    V = np.zeros((n, nt))
    V[ox[ri], oy[cj]] = w
    if phi > 0:
        free_r = np.ones(n, bool)
        free_r[ox[ri]] = False
        free_c = np.ones(nt, bool)
        free_c[oy[cj]] = False
        fr, fc = np.flatnonzero(free_r), np.flatnonzero(free_c)
        if fr.size == 0 or fc.size == 0:  # pragma: no cover - K < min(n, n') when phi > 0
            return None
        sub = M[np.ix_(fr, fc)]
        i, j = np.unravel_index(int(np.argmin(sub)), sub.shape)
        V[fr[i], fc[j]] = phi * w
    return V


def _linear_step(p, q, M, m, nb_dummies, emd_kwargs):
    """The exact partial OT vertex for the cost ``M`` by POT's dense network simplex on POT's problem.

    The same input to the same solver gives the same vertex, also among tied ones: POT's dummy cost
    ``100 max M`` when ``M >= 0`` (GW gradients are sums of squares), a cold start (warm potentials made the
    solves slower here, and change the choice among ties).
    """
    rows = np.flatnonzero(p > 0)
    cols = np.flatnonzero(q > 0)
    whole = len(rows) == len(p) and len(cols) == len(q)
    block = M if whole else M[np.ix_(rows, cols)]
    ps, qs = (p, q) if whole else (p[rows], q[cols])
    big = _abs_max(block)
    corner = 2.0 * big if big > 0 else 1.0
    if float(block.max()) > 0 and float(block.min()) >= 0:
        corner = 100.0 * float(block.max())
    sub, _, _, _, _, _ = _augmented_emd(ps, qs, block, float(qs.sum()) - m, float(ps.sum()) - m, corner,
                                        nb_dummies, None, "partial_gromov_wasserstein", dict(emd_kwargs))
    if whole:
        return sub
    V = np.zeros(M.shape)
    V[np.ix_(rows, cols)] = sub
    return V


def partial_gromov_wasserstein(C1, C2, p, q, m=None, nb_dummies=1, G0=None, thres=1, numItermax=1000, tol=1e-7,
                               log=False, verbose=False, **kwargs):
    r"""Partial Gromov-Wasserstein plan by Frank-Wolfe with exact partial-OT steps (POT's iteration, faster).

    Finds a local minimum of

    .. math::
        \frac12 \sum_{i,j,k,l} (C1_{ik} - C2_{jl})^2 T_{ij} T_{kl} \quad \text{s.t.} \quad
        T \ge 0, \ T 1 \le p, \ T^T 1 \le q, \ 1^T T 1 = m

    from ``G0``. Each step solves the partial OT problem whose cost is half
    the gradient at the current plan (exactly, by the network simplex on
    POT's dummy construction), then takes the exact line-search step towards
    it. Stopping rule (POT's): every 10 steps the change ``||V - T||_F``
    between the LP's vertex ``V`` and the plan ``T`` is measured, and the run
    stops when it is ``<= tol``; it also stops when the line search finds no
    descent (the step is 0), or after ``numItermax`` steps.

    A drop-in for ``ot.partial.partial_gromov_wasserstein``: POT's arguments
    in POT's order and defaults, the same sequence of plans from the same
    ``G0`` (up to rounding, and to the choice among tied LP vertices) and
    the same ``log`` keys and values (a superset). What is faster: one
    product ``C1 V C2^T`` per step (POT computes four such products),
    gradient and line search updated from it, and LP steps that start from
    the previous step's optimal basis tree (see the module's description;
    the vertices are the dense solve's, up to exact ties).

    Parameters
    ----------
    C1 : array_like, shape (n, n)
        Distances (or any costs) within the source space; finite.
    C2 : array_like, shape (n2, n2)
        Distances within the target space; finite.
    p : array_like, shape (n,)
        Source masses (``>= 0``); empty means uniform.
    q : array_like, shape (n2,)
        Target masses; empty means uniform.
    m : float, optional
        Transported mass in ``[0, min(sum p, sum q)]``; default the maximum.
    nb_dummies : int, default 1
        Dummy points per side in POT's dense LP solves (None: chosen from the
        sizes, as in :func:`~linalg_lab.transport.partial_wasserstein`); the
        tree simplex uses one per side (the optimal real block does not
        depend on it).
    G0 : array_like, shape (n, n2), optional
        Initial plan (``>= 0``; it should be feasible). Default POT's:
        ``p q^T m / (sum p sum q)``.
    thres : float, default 1
        Accepted for POT's signature; POT does not use it either.
    numItermax : int, default 1000
        Maximum number of Frank-Wolfe steps.
    tol : float, default 1e-7
        Stop when ``||V - T||_F <= tol`` at a check (every 10 steps).
    log : bool, default False
        Also return a dict: ``T`` (the plan returned) and ``cost`` (its
        value; also under POT's key ``partial_gw_dist``), ``err`` (the
        measured changes, POT's key), ``n_iter`` (steps), ``fw_gap`` (the
        Frank-Wolfe gap ``<grad, T - V>`` at the last step: the first-order
        optimality measure, 0 at a stationary point), ``loss`` (the value
        after each step), ``converged`` (the change fell to ``tol`` or the
        line search found no descent; otherwise a
        :class:`~linalg_lab.transport.ConvergenceWarning` is issued) and,
        when the tree simplex ran (see the module docstring), ``lp_solves``
        and ``lp_pivots`` (its solves and pivots in all).
    verbose : bool, default False
        Print the change and the value at every check (POT's format).
    **kwargs
        Passed to :func:`ot.emd` at every step (e.g. ``numThreads``).

    Returns
    -------
    T : numpy.ndarray, shape (n, n2)
        The plan, in ``C1``'s dtype (float32 stays float32): rows ``<= p``,
        columns ``<= q``, total ``m`` (a convex combination of LP vertices,
        so feasible up to rounding).
    log : dict, only with ``log=True``

    Raises
    ------
    ValueError
        ``m`` outside ``[0, min(sum p, sum q)]``, negative or non-finite
        masses or costs, non-square ``C1`` or ``C2``, ``G0`` of the wrong
        shape or with negative entries (the message names the argument).
    RuntimeError
        A linear step did not reach optimality (names ``numItermax``).

    See Also
    --------
    partial_gromov_wasserstein2 : the value.
    entropic_partial_gromov_wasserstein : the entropic version.

    References
    ----------
    .. [1] L. Chapel, M. Z. Alaya and G. Gasso, "Partial optimal transport with
       applications on positive-unlabeled learning", NeurIPS 2020.
    .. [2] M. Frank and P. Wolfe, "An algorithm for quadratic programming",
       Naval Research Logistics Quarterly 3, 1956.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 100.0, 200.0])[:, None]
    >>> y = np.array([3.0, 2.0, 98.0, 199.0])[:, None]
    >>> C1, C2 = np.abs(x - x.T), np.abs(y - y.T)
    >>> a = b = np.full(4, 0.25)
    >>> np.round(partial_gromov_wasserstein(C1, C2, a, b), 2)
    array([[0.  , 0.25, 0.  , 0.  ],
           [0.25, 0.  , 0.  , 0.  ],
           [0.  , 0.  , 0.25, 0.  ],
           [0.  , 0.  , 0.  , 0.25]])
    >>> np.round(partial_gromov_wasserstein(C1, C2, a, b, m=0.25), 2)
    array([[0.  , 0.  , 0.  , 0.  ],
           [0.  , 0.  , 0.  , 0.  ],
           [0.  , 0.  , 0.25, 0.  ],
           [0.  , 0.  , 0.  , 0.  ]])
    """
    C1, C2, p, q, m, G, dtype = _check_problem(C1, C2, p, q, m, G0, "partial_gromov_wasserstein")
    nb_dummies = _check_nb_dummies(nb_dummies)
    check_real(thres, "thres")
    if isinstance(numItermax, float) and numItermax.is_integer():
        numItermax = int(numItermax)
    numItermax = check_int(numItermax, "numItermax", minimum=0)
    tol = check_tolerance(tol, "tol")
    log = check_bool(log, "log")
    verbose = check_bool(verbose, "verbose")
    emd_kwargs = _emd_kwargs(kwargs, "partial_gromov_wasserstein")
    n, nt = len(p), len(q)
    C1sq, C2sq = C1 * C1, C2 * C2
    # the LP steps: a warm-started tree simplex from the second step on (the dense network simplex when ot.emd
    # options are given, as POT forwards them, and on small problems)
    lp = _TreeLP(p, q, m) if not emd_kwargs and m > 0 and n * nt >= _TREE_MIN_SIZE else None
    uniform = lp is not None and G is None and lp.whole and bool(np.all(p == p[0]) and np.all(q == p[0]))
    if G is None:
        total = float(p.sum()) * float(q.sum())
        scale = m / total if total > 0 else 0.0
        G = np.outer(p, q) * scale
    if uniform:
        # the product plan: C1 G C2^T = scale x y^T is rank one (the first LP is solved exactly from a Monge start)
        x, y = C1 @ p, C2 @ q
        A = np.outer(scale * x, y)
    else:
        # computed as POT does it: the first LP step is POT's dense solve, and its cost can have near-tied
        # vertices (by 1e-14 relative from the product plan), which other rounding can resolve otherwise
        A = _product(C1, G, C2)
    r, c = G.sum(axis=1), G.sum(axis=0)
    errs, losses = [], []
    loss = _loss(C1sq, C2sq, r, c, A, G) if log else 0.0
    gap = np.nan
    products = _VertexProducts(C1, C2)
    M = np.empty((n, nt))
    first_start = None

    def dense(M):
        V = _linear_step(p, q, M, m, nb_dummies, emd_kwargs)
        if lp is not None:
            lp.start(V)  # the next step starts from this vertex's basis tree
        return V

    # half the gradient (POT's linearisation; the factor does not change the LP's vertex): ar_i + bc_j - A_ij
    ar, bc = 0.5 * (C1sq @ r), 0.5 * (c @ C2sq)
    _gk.half_gradient(ar, bc, A, M)
    it, done, err, stop = 0, 0, 1.0, False
    while err > tol and it < numItermax and m > 0:
        V = None
        if lp is not None and it == 0 and uniform:
            first_start = _monge_start(ar, bc, x, y, scale, float(p[0]), m, M)
            if first_start is not None and lp.start(first_start):
                V = lp.solve(M)
        elif lp is not None and lp.tree is not None:
            V = lp.solve(M)
        if V is None:
            V = _Vertex.from_dense(dense(M))
            if it == 0 and uniform and lp.tree is not None:
                # the first cost was not rounded as POT rounds it (A is the rank-one product): the dense vertex
                # can be one of two near-tied ones, the tree simplex from it returns the optimal one
                V = lp.solve(M) or V
        B = products(V)
        rd, cd = V.row_sums() - r, V.col_sums() - c
        lin, quad, sq = _gk.line_terms(M, A, B, G, V.indptr, V.indices, V.data)
        if it % _CHECK_EVERY == 0:
            err = float(np.sqrt(sq))
            errs.append(err)
            if verbose:
                if it % 200 == 0:
                    print("{:5s}|{:12s}|{:12s}".format("It.", "Err", "Loss") + "\n" + "-" * 31)
                print("{:5d}|{:8e}|{:8e}".format(it, err, _loss(C1sq, C2sq, V.row_sums(), V.col_sums(), B,
                                                                 V.dense())))
        # exact line search on the quadratic: L(T + t d) = L(T) + b t + a t^2, d = V - T
        ard, bcd = 0.5 * (C1sq @ rd), 0.5 * (cd @ C2sq)
        a_ = ard @ rd + bcd @ cd - quad
        b_ = 2.0 * lin
        gap = -b_
        if b_ > 0:  # rounding: no descent direction
            t, stop = 0.0, True
        elif a_ > 0:
            t, stop = min(1.0, -b_ / (2.0 * a_)), False
        elif a_ + b_ < 0:
            t, stop = 1.0, False
        else:
            t, stop = 0.0, True
        r, c = r + t * rd, c + t * cd
        if lp is None:  # the dense steps see POT's rounding of the gradient's terms
            ar, bc = 0.5 * (C1sq @ r), 0.5 * (c @ C2sq)
        else:  # linear in the marginals
            ar, bc = ar + t * ard, bc + t * bcd
        _gk.fw_step(G, A, B, t, V.indptr, V.indices, V.data, ar, bc, M)
        it += 1
        done += 1
        if log:
            loss += b_ * t + a_ * t * t
            losses.append(loss)
        if stop:
            break
    # converged: the change fell to tol at a check, or the line search found no descent (a stationary point)
    converged = m <= 0 or err <= tol or stop
    if not converged:
        warnings.warn(f"partial_gromov_wasserstein: stopped at numItermax = {numItermax} Frank-Wolfe steps with a "
                      f"change of {err:.3g} > tol = {tol:g} at the last check; raise numItermax",
                      ConvergenceWarning, stacklevel=2)
    if not log:
        return _as_dtype(G, dtype)
    # A = C1 G C2^T was updated along with G (a few ulps per step): the value needs no further product
    value = _as_dtype(_loss(C1sq, C2sq, G.sum(axis=1), G.sum(axis=0), A, G), dtype)
    G = _as_dtype(G, dtype)
    info = {"err": errs, "partial_gw_dist": value, "cost": value, "T": G, "n_iter": done, "fw_gap": float(gap),
            "loss": losses, "converged": bool(converged)}
    if lp is not None:
        info["lp_pivots"] = lp.pivots
        info["lp_solves"] = lp.solves
    return G, info


def partial_gromov_wasserstein2(C1, C2, p, q, m=None, nb_dummies=1, G0=None, thres=1, numItermax=1000, tol=1e-7,
                                log=False, verbose=False, **kwargs):
    r"""Partial Gromov-Wasserstein value (POT's, with the factor 1/2) of :func:`partial_gromov_wasserstein`'s plan.

    Same arguments, in POT's order; with ``log=True`` returns ``(value,
    log)`` where the plan is ``log["T"]`` (POT's key).

    References
    ----------
    .. [1] L. Chapel, M. Z. Alaya and G. Gasso, "Partial optimal transport with
       applications on positive-unlabeled learning", NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 100.0, 200.0])[:, None]
    >>> y = np.array([3.0, 2.0, 98.0, 199.0])[:, None]
    >>> C1, C2 = np.abs(x - x.T), np.abs(y - y.T)
    >>> a = b = np.full(4, 0.25)
    >>> round(float(partial_gromov_wasserstein2(C1, C2, a, b)), 2)
    1.69
    >>> round(float(partial_gromov_wasserstein2(C1, C2, a, b, m=0.25)), 2)
    0.0
    """
    log = check_bool(log, "log")
    _, info = partial_gromov_wasserstein(C1, C2, p, q, m, nb_dummies, G0, thres, numItermax, tol, True, verbose,
                                         **kwargs)
    return (info["cost"], info) if log else info["cost"]


def entropic_partial_gromov_wasserstein(C1, C2, p, q, reg, m=None, G0=None, numItermax=1000, tol=1e-7, log=False,
                                        verbose=False, *, stopThr=1e-9, innerItermax=10000):
    r"""Entropic partial Gromov-Wasserstein plan (POT's iteration, with a fast, stable, warm-started inner solver).

    Repeats ``T <- argmin <grad(T), X> + reg H(X)`` over the partial
    transport polytope (``X 1 <= p``, ``X^T 1 <= q``, ``1^T X 1 = m``), with
    ``grad`` POT's gradient of the partial GW loss and ``H`` the negative
    entropy: POT's ``entropic_partial_gromov_wasserstein``, step for step.
    Each inner problem is entropic partial OT, solved by
    :func:`~linalg_lab.transport.entropic_partial_wasserstein`'s solver to
    the violation ``stopThr`` (POT runs 1000 of its O(n^2 n') cycles),
    starting from the previous step's potentials. Stops when the change
    ``||T_new - T||_F``, measured every 10 steps (POT's rule), is ``<= tol``,
    or after ``numItermax`` steps.

    Parameters
    ----------
    C1, C2, p, q, m
        As in :func:`partial_gromov_wasserstein`.
    reg : float
        Entropic regularisation, ``> 0``.
    G0 : array_like, shape (n, n2), optional
        Initial plan; default POT's ``p q^T``.
    numItermax : int, default 1000
        Maximum number of outer steps.
    tol : float, default 1e-7
        Outer stopping threshold (see above).
    log : bool, default False
        Also return a dict: ``T`` (the plan returned) and ``cost`` (its
        value ``1/2 <grad(T), T>`` without the entropy; also under POT's key
        ``partial_gw_dist``), ``err`` (POT's key: the measured changes),
        ``n_iter`` (outer steps), ``n_inner`` (inner cycles in all),
        ``inner_converged`` (every inner solve met ``stopThr``) and
        ``converged`` (that, and the outer change fell to ``tol``; otherwise
        a :class:`~linalg_lab.transport.ConvergenceWarning` is issued).
    verbose : bool, default False
        Print the change and the value at every check (POT's format).
    stopThr : float, default 1e-9 (keyword only)
        Inner tolerance: the violation of the optimality conditions at which
        each inner solve stops (see
        :func:`~linalg_lab.transport.entropic_partial_wasserstein`).
    innerItermax : int, default 10000 (keyword only)
        Inner cycle limit per step. An inner solve that stops there is
        rounded onto the constraints (so the plan stays feasible), and a
        :class:`~linalg_lab.transport.ConvergenceWarning` is issued once.

    Returns
    -------
    T : numpy.ndarray, shape (n, n2)
        In ``C1``'s dtype: rows ``<= p``, columns ``<= q`` and total ``m``
        up to ``stopThr``.
    log : dict, only with ``log=True``

    Raises
    ------
    ValueError
        As in :func:`partial_gromov_wasserstein`, and ``reg <= 0``.

    References
    ----------
    .. [1] L. Chapel, M. Z. Alaya and G. Gasso, "Partial optimal transport with
       applications on positive-unlabeled learning", NeurIPS 2020.
    .. [2] G. Peyré, M. Cuturi and J. Solomon, "Gromov-Wasserstein averaging of
       kernel and distance matrices", ICML 2016.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 100.0, 200.0])[:, None]
    >>> y = np.array([3.0, 2.0, 98.0, 199.0])[:, None]
    >>> C1, C2 = np.abs(x - x.T), np.abs(y - y.T)
    >>> a = b = np.full(4, 0.25)
    >>> np.round(entropic_partial_gromov_wasserstein(C1, C2, a, b, 50), 2)
    array([[0.12, 0.13, 0.  , 0.  ],
           [0.13, 0.12, 0.  , 0.  ],
           [0.  , 0.  , 0.25, 0.  ],
           [0.  , 0.  , 0.  , 0.25]])
    """
    C1, C2, p, q, m, G, dtype = _check_problem(C1, C2, p, q, m, G0, "entropic_partial_gromov_wasserstein")
    reg = check_real(reg, "reg", minimum=0, strict_minimum=True)
    if isinstance(numItermax, float) and numItermax.is_integer():
        numItermax = int(numItermax)
    numItermax = check_int(numItermax, "numItermax", minimum=0)
    tol = check_tolerance(tol, "tol")
    log = check_bool(log, "log")
    verbose = check_bool(verbose, "verbose")
    stopThr = check_tolerance(stopThr, "stopThr")
    innerItermax = check_int(innerItermax, "innerItermax", minimum=1)
    n, nt = len(p), len(q)
    if G is None:
        G = np.outer(p, q)  # POT's default (mass sum p sum q; the first step moves to mass m)
    C1sq, C2sq = C1 * C1, C2 * C2
    rows, cols = np.flatnonzero(p > 0), np.flatnonzero(q > 0)
    whole = len(rows) == n and len(cols) == nt
    ps, qs = p[rows], q[cols]
    errs = []
    init = None
    converged = True
    n_inner = 0
    it, err = 0, 1.0
    while err > tol and it < numItermax:
        r, c = G.sum(axis=1), G.sum(axis=0)
        grad = (C1sq @ r)[:, None] + (c @ C2sq)[None, :] - 2.0 * _product(C1, G, C2)
        if m > 0:
            Ms = np.ascontiguousarray(grad if whole else grad[np.ix_(rows, cols)])
            P, f, g, lam, inner = _entropic_solve(ps, qs, Ms, reg, m, innerItermax, stopThr, True, None, False, init)
            init = (f, g, lam)
            n_inner += inner["n_iter"]
            if not inner["converged"]:
                converged = False
                if inner["excess"] > 0:
                    _k.round_in_place(P, ps, qs, m)
            if whole:
                new = P
            else:
                new = np.zeros((n, nt))
                new[np.ix_(rows, cols)] = P
        else:
            new = np.zeros((n, nt))
        if it % _CHECK_EVERY == 0:
            err = float(np.linalg.norm(new - G))
            errs.append(err)
            if verbose:
                if it % 200 == 0:
                    print("{:5s}|{:12s}|{:12s}".format("It.", "Err", "Loss") + "\n" + "-" * 31)
                print("{:5d}|{:8e}|{:8e}".format(it, err, _loss(C1sq, C2sq, new.sum(axis=1), new.sum(axis=0),
                                                                 _product(C1, new, C2), new)))
        G = new
        it += 1
    if not converged and stopThr > 0:
        warnings.warn(f"entropic_partial_gromov_wasserstein: an inner solve stopped at innerItermax = {innerItermax} "
                      f"above stopThr = {stopThr:g} (its plan was rounded onto the constraints); raise innerItermax "
                      f"or reg", ConvergenceWarning, stacklevel=2)
    outer = m <= 0 or err <= tol
    if not outer:
        warnings.warn(f"entropic_partial_gromov_wasserstein: stopped at numItermax = {numItermax} outer steps with a "
                      f"change of {err:.3g} > tol = {tol:g} at the last check; raise numItermax",
                      ConvergenceWarning, stacklevel=2)
    if not log:
        return _as_dtype(G, dtype)
    value = _as_dtype(_loss(C1sq, C2sq, G.sum(axis=1), G.sum(axis=0), _product(C1, G, C2), G), dtype)
    G = _as_dtype(G, dtype)
    info = {"err": errs, "partial_gw_dist": value, "cost": value, "T": G, "n_iter": it, "n_inner": n_inner,
            "converged": bool(converged and outer), "inner_converged": converged}
    return G, info


def entropic_partial_gromov_wasserstein2(C1, C2, p, q, reg, m=None, G0=None, numItermax=1000, tol=1e-7, log=False,
                                         verbose=False, *, stopThr=1e-9, innerItermax=10000):
    r"""The partial GW value (POT's, without the entropy) of :func:`entropic_partial_gromov_wasserstein`'s plan.

    Same arguments, in POT's order; with ``log=True`` returns ``(value,
    log)`` with the plan as ``log["T"]``.

    References
    ----------
    .. [1] L. Chapel, M. Z. Alaya and G. Gasso, "Partial optimal transport with
       applications on positive-unlabeled learning", NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 100.0, 200.0])[:, None]
    >>> y = np.array([3.0, 2.0, 98.0, 199.0])[:, None]
    >>> C1, C2 = np.abs(x - x.T), np.abs(y - y.T)
    >>> a = b = np.full(4, 0.25)
    >>> round(float(entropic_partial_gromov_wasserstein2(C1, C2, a, b, 50)), 2)
    1.87
    """
    log = check_bool(log, "log")
    _, info = entropic_partial_gromov_wasserstein(C1, C2, p, q, reg, m, G0, numItermax, tol, True, verbose,
                                                  stopThr=stopThr, innerItermax=innerItermax)
    return (info["cost"], info) if log else info["cost"]
