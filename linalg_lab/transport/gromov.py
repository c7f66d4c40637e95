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
  instead of four, the gradient and the line search updated from it in
  O(n n'), and an LP solve that reuses the previous step: the first step is
  POT's dense network simplex (its cost, the gradient at the product plan,
  has near-tied vertices, which the same solve on the same input resolves
  as POT does); while the vertex still moves, a restricted network simplex
  on a few arcs per point grown by column generation (``_RestrictedLP``);
  once it settles, a primal network simplex warm-started from the previous
  step's optimal basis tree (the masses do not change between steps, so
  that tree stays feasible and only the pivots the new costs need are made;
  ``_gromov_kernels``). Problems below ``n n' = 40000`` use the dense
  solve at every step.
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


def _sparse_product(C1, S, C2T):
    """``C1 S C2^T`` for a sparse ``S`` (an LP vertex, or the difference of two): ``S``'s rows as a sparse
    matrix times ``C2^T`` (``nnz n'`` operations), then one dense product over the rows of ``S`` that are
    nonzero (``n r n'``, ``r`` their number)."""
    from scipy.sparse import csr_matrix

    rows = np.flatnonzero(S.any(axis=1))
    if rows.size == 0:
        return np.zeros((C1.shape[0], C2T.shape[1]))
    X = csr_matrix(S[rows]) @ C2T
    return C1[:, rows] @ X


class _VertexProducts:
    """``C1 V C2^T`` for the successive LP vertices ``V`` of a Frank-Wolfe run.

    Two successive vertices differ in few rows once the run settles (tens of
    rows out of hundreds here), so the product is updated from the previous
    vertex's, ``B = B_prev + C1 (V - V_prev) C2^T``, when the difference has
    fewer nonzero rows than ``V`` itself; otherwise it is computed afresh. The
    update is exact up to rounding (a few ulps of ``|C1| |V| |C2|`` per step).
    """

    def __init__(self, C1, C2):
        self.C1 = C1
        self.C2T = np.ascontiguousarray(C2.T)
        self.V = None
        self.B = None

    def __call__(self, V):
        if self.V is not None:
            D = V - self.V
            changed = int(D.any(axis=1).sum())
            if changed == 0:
                return self.B
            if changed < 0.7 * int(V.any(axis=1).sum()):
                self.B = self.B + _sparse_product(self.C1, D, self.C2T)
                self.V = V
                return self.B
        self.B = _sparse_product(self.C1, V, self.C2T)
        self.V = V
        return self.B


def _staircase(p, q, m):
    """Flat indices ``i n' + j`` of the north-west-corner plan of mass ``m`` on ``(p, q)``: a feasible real
    block for the partial problem (at most ``n + n'`` arcs), so that a restricted LP that contains them and the
    dummy arcs is never infeasible."""
    P, Q = np.cumsum(p), np.cumsum(q)
    cuts = np.unique(np.concatenate([[0.0, m], P[P < m], Q[Q < m]]))
    mid = 0.5 * (cuts[:-1] + cuts[1:])
    i = np.minimum(np.searchsorted(P, mid, side="right"), len(p) - 1)
    j = np.minimum(np.searchsorted(Q, mid, side="right"), len(q) - 1)
    return i * len(q) + j


#: Restricted LP: candidate arcs per point at the start of a solve, arcs added per point and round at most.
_CANDIDATES = 16
_ADD = 16
#: Rounds of arc generation before the dense solve takes over (never reached in the runs measured here).
_MAX_ROUNDS = 40
#: Solve the restricted steps by the warm-started tree simplex (else by column generation on POT's sparse solver).
_TREE = True
#: The column generation solves the steps while the vertex still moves (more than this fraction of the rows
#: changed since the previous step); the tree simplex, whose pivots grow with the change, the steps after.
_SETTLED = 0.1
#: Block size of the tree simplex's pricing, in units of sqrt(arcs)
_BLOCK = 1.0
#: Pivot limit of one tree-simplex solve, per arc (a guard against cycling; far above what a solve takes).
_PIVOTS_PER_ARC = 2
#: Problems with fewer pairs ``n n'`` are solved densely at every step: there the dense solve is cheap, and the
#: dense solver breaks ties between optimal vertices as POT does (the toy examples of POT's documentation have
#: such ties; a different optimal vertex can lead Frank-Wolfe to a different local optimum).
_RESTRICTED_MIN_SIZE = 40_000


class _RestrictedLP:
    """Exact partial OT vertices by network simplex on a restricted arc set, grown until it is optimal.

    The LP of each Frank-Wolfe step is POT's balanced problem with dummy
    points (real-to-dummy arcs cost 0, dummy-to-dummy ``2 max|M|``). An
    optimal vertex uses at most ``n + n' + 1`` arcs, so the network simplex
    is run on a small arc set (``ot.lp``'s sparse solver): every dummy arc,
    the arcs of a feasible north-west-corner plan, the previous vertex's
    support and the ``_CANDIDATES (n + n')`` real arcs of smallest reduced
    cost under the previous step's potentials. The potentials of the
    restricted optimum are then checked on *every* real arc; arcs with a
    negative reduced cost (below ``-1e-12 max|M|``) are added, at most
    ``_ADD`` per point per round, and the problem is solved again, warm
    started from those potentials (column generation). When no arc of the
    full problem prices out, the restricted optimum is optimal for the full
    LP: the same vertex as the dense solve (up to ties). A restricted solve
    that fails (iteration limit), or too many rounds, falls back to the
    dense network simplex.
    """

    def __init__(self, p, q, m, nb_dummies):
        self.rows = np.flatnonzero(p > 0)
        self.cols = np.flatnonzero(q > 0)
        self.whole = len(self.rows) == len(p) and len(self.cols) == len(q)
        ps, qs = (p, q) if self.whole else (p[self.rows], q[self.cols])
        self.shape = (len(p), len(q))
        n, nt = len(ps), len(qs)
        self.n, self.nt = n, nt
        row_mass, col_mass = float(qs.sum()) - m, float(ps.sum()) - m  # dummy rows send, dummy columns receive
        kr = (nb_dummies or 1) if row_mass > 0 else 0
        kc = (nb_dummies or 1) if col_mass > 0 else 0
        a = np.concatenate([ps, np.full(kr, row_mass / kr if kr else 0.0)])
        b = np.concatenate([qs, np.full(kc, col_mass / kc if kc else 0.0)])
        self.a, self.b = a, b * (a.sum() / b.sum())  # equal totals, as ot.emd makes them
        # the dummy arcs: real rows -> dummy columns, dummy rows -> real columns, dummy -> dummy
        dr, dc = np.arange(n, n + kr), np.arange(nt, nt + kc)
        src = [np.repeat(np.arange(n), kc), np.repeat(dr, nt), np.repeat(dr, kc)]
        tgt = [np.tile(dc, n), np.tile(np.arange(nt), kr), np.tile(dc, kr)]
        self.dummy_src = np.concatenate(src).astype(np.uint64)
        self.dummy_tgt = np.concatenate(tgt).astype(np.uint64)
        self.n_real_dummy = n * kc + kr * nt
        self.n_corner = kr * kc
        self.base = _staircase(ps, qs, m)
        self.duals = None
        self.support = None
        self.rounds = 0
        self.fallbacks = 0
        self.steps = 0
        self.use_tree = _TREE
        self.tree = None
        self.start = None
        self.settled = False
        self.pi = None
        self.pivots = 0
        self.next_arc = 0

    def _solve(self, keys, M, corner):
        from ot.lp.emd_wrap import emd_c_sparse

        nt = self.nt
        src = np.concatenate([(keys // nt).astype(np.uint64), self.dummy_src])
        tgt = np.concatenate([(keys % nt).astype(np.uint64), self.dummy_tgt])
        cost = np.concatenate([M.ravel()[keys], np.zeros(self.n_real_dummy), np.full(self.n_corner, corner)])
        limit = max(100_000, 100 * len(cost))
        if self.duals is None:
            out = emd_c_sparse(self.a, self.b, src, tgt, cost, limit)
        else:
            out = emd_c_sparse(self.a, self.b, src, tgt, cost, limit, self.duals[0], self.duals[1])
        fs, ft, fv, _, u, v, code = out
        return fs.astype(np.int64), ft.astype(np.int64), fv, np.asarray(u), np.asarray(v), int(code)

    def vertex(self, M_full, fallback):
        """An optimal vertex of the partial LP with cost ``M_full`` (shape of the whole problem).

        ``fallback(M_full)`` is the dense solve, returning the vertex and the
        augmented problem's potentials (used for the first step, and should
        the restricted solve fail).
        """
        self.steps += 1
        if self.steps == 1:
            # the first step densely: its cost (the gradient at G0, a product plan by default) is close to rank
            # one plus separable, where optimal vertices nearly tie (within 1e-14 relative on the benchmark's
            # clouds); the dense solve resolves them as POT's does, the restricted one need not
            return self._dense(M_full, fallback)
        M = M_full if self.whole else np.ascontiguousarray(M_full[np.ix_(self.rows, self.cols)])
        n, nt = self.n, self.nt
        big = _abs_max(M)
        corner = 2.0 * big if big > 0 else 1.0
        if self.use_tree and (self.tree is not None or self.settled):
            V = self._tree_vertex(M, corner)
            if V is not None:
                self.support = np.flatnonzero(V.ravel())
                if self.whole:
                    return V
                out = np.zeros(self.shape)
                out[np.ix_(self.rows, self.cols)] = V
                return out
        if self.duals is None:
            u, v = M.min(axis=1), np.zeros(nt)
        else:
            u, v = self.duals[0][:n], self.duals[1][:nt]
        # candidates: about _CANDIDATES (n + n') arcs of smallest reduced cost (threshold from a sample of rows)
        step = max(1, n // 64)
        sample = (M[::step] - u[::step, None] - v[None, :]).ravel()
        frac = min(1.0, _CANDIDATES * (n + nt) / (n * nt))
        tau = float(np.quantile(sample, frac))
        inset = np.zeros(n * nt, dtype=bool)
        _gk.candidates(M, u, v, tau, inset)
        inset[self.base] = True
        if self.support is not None:
            inset[self.support] = True
        cap = _ADD * (n + nt)
        for _ in range(_MAX_ROUNDS):
            self.rounds += 1
            keys = np.flatnonzero(inset)
            fs, ft, fv, u_all, v_all, code = self._solve(keys, M, corner)
            if code != 1:  # pragma: no cover - the restricted problem is feasible; a hard limit falls back
                break
            self.duals = (u_all, v_all)
            viol, red = _gk.price(M, u_all[:n], v_all[:nt], inset)
            if viol.size == 0:  # no arc of the full problem prices out: the restricted optimum is optimal
                real = (fs < n) & (ft < nt)
                V = np.zeros((n, nt))
                np.add.at(V, (fs[real], ft[real]), fv[real])
                self.support = np.flatnonzero(V.ravel())
                # the vertices have settled when few rows changed: the tree simplex takes over from this one
                if self.start is not None:
                    changed = int(np.count_nonzero((V != self.start).any(axis=1)))
                    self.settled = changed <= _SETTLED * n
                self.start = V
                if self.whole:
                    return V
                out = np.zeros(self.shape)
                out[np.ix_(self.rows, self.cols)] = V
                return out
            if viol.size > cap:
                viol = viol[np.argpartition(red, cap)[:cap]]
            inset[viol] = True
        self.fallbacks += 1
        return self._dense(M_full, fallback)

    def _tree_vertex(self, M, corner):
        """The optimal vertex by the warm-started tree simplex (None if it hit its pivot limit)."""
        S, T = len(self.a), len(self.b)
        if self.tree is None:
            if self.start is not None and S - self.n <= 1 and T - self.nt <= 1:
                # the first tree holds the support of the last dense vertex: few pivots from there
                floor = 1e-14 * float(self.a.sum())
                self.tree = _gk.tree_from_plan(self.start, self.a, self.b, self.n, self.nt, floor)
            else:
                self.tree = _gk.nw_tree(self.a, self.b)
            self.pi = np.zeros(S + T)
        parent, depth, pflow, first_child, next_sib, prev_sib = self.tree
        tol = 64 * np.finfo(np.float64).eps * corner
        status, pivots, self.next_arc = _gk.simplex(M, self.n, self.nt, corner, S, T, parent, depth, pflow,
                                                    first_child, next_sib, prev_sib, self.pi, tol,
                                                    _PIVOTS_PER_ARC * S * T + 10_000, self.next_arc, _BLOCK)
        self.rounds += 1
        self.pivots += pivots
        if status != 1:  # pragma: no cover - a pivot limit (cycling guard): the column generation takes over
            self.tree = None
            self.use_tree = False
            return None
        return _gk.tree_plan(parent, pflow, S, self.n, self.nt)

    def _dense(self, M_full, fallback):
        V, potentials = fallback(M_full)
        self.start = np.ascontiguousarray(V if self.whole else V[np.ix_(self.rows, self.cols)])
        self.support = np.flatnonzero(self.start.ravel())
        u, v = potentials
        # the dense solve's potentials warm-start the next restricted solve when its dummy layout is the same
        same = len(u) == len(self.a) and len(v) == len(self.b)
        self.duals = (np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)) if same else None
        return V


def _linear_step(p, q, M, m, nb_dummies, emd_kwargs, warm):
    """The exact partial OT vertex for the cost ``M`` (POT's dummy construction), warm-started from ``warm``."""
    rows = np.flatnonzero(p > 0)
    cols = np.flatnonzero(q > 0)
    whole = len(rows) == len(p) and len(cols) == len(q)
    block = M if whole else M[np.ix_(rows, cols)]
    ps, qs = (p, q) if whole else (p[rows], q[cols])
    big = _abs_max(block)
    corner = 2.0 * big if big > 0 else 1.0
    if warm is None and float(block.max()) > 0 and float(block.min()) >= 0:
        # a cold solve (the first step) on POT's very problem (its dummy cost 100 max M): the same input to the
        # same network simplex gives the same vertex, also among tied ones; with costs >= 0 it is as valid as ours
        corner = 100.0 * float(block.max())
    options = dict(emd_kwargs)
    if warm is not None and "potentials_init" not in options:
        options["potentials_init"] = warm
    sub, _, _, _, _, info = _augmented_emd(ps, qs, block, float(qs.sum()) - m, float(ps.sum()) - m, corner,
                                           nb_dummies, None, "partial_gromov_wasserstein", options,
                                           keep_potentials=True)
    if whole:
        return sub, info["potentials"]
    V = np.zeros(M.shape)
    V[np.ix_(rows, cols)] = sub
    return V, info["potentials"]


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
    gradient and line search updated from it, and LP steps that reuse the
    previous step's arcs, potentials and basis tree (see the module's
    description; the vertices are the dense solve's, up to ties).

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
        Dummy points per side in the LP steps (None: chosen from the sizes,
        as in :func:`~linalg_lab.transport.partial_wasserstein`; on GW
        gradients one dummy was the fastest here).
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
        :class:`~linalg_lab.transport.ConvergenceWarning` is issued) and
        ``lp_rounds`` (restricted network-simplex solves in all, when the
        restricted LP ran; see the module docstring).
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
    if G is None:
        total = float(p.sum()) * float(q.sum())
        scale = m / total if total > 0 else 0.0
        G = np.outer(p, q) * scale
    # C1 G C2^T: for the product plan it is rank one, but computed as POT does it: its first linear problem has
    # near-tied vertices (see _RestrictedLP.vertex), which other rounding can resolve otherwise
    A = _product(C1, G, C2)
    r, c = G.sum(axis=1), G.sum(axis=0)
    errs, losses = [], []
    gap = np.nan
    warm = None
    # the LP steps: column generation on a restricted arc set (the dense network simplex when ot.emd options
    # are given, as POT forwards them); the products C1 V C2^T updated from the previous vertex's
    restricted = not emd_kwargs and m > 0 and len(p) * len(q) >= _RESTRICTED_MIN_SIZE
    lp = _RestrictedLP(p, q, m, nb_dummies) if restricted else None
    products = _VertexProducts(C1, C2)

    def dense(M):
        nonlocal warm
        V, warm = _linear_step(p, q, M, m, nb_dummies, emd_kwargs, warm)
        return V, warm

    it, done, err, stop = 0, 0, 1.0, False
    while err > tol and it < numItermax and m > 0:
        # half the gradient (POT's linearisation; the factor does not change the LP's vertex)
        M = 0.5 * (C1sq @ r)[:, None] + 0.5 * (c @ C2sq)[None, :] - A
        V = dense(M)[0] if lp is None else lp.vertex(M, dense)
        B = products(V)
        d = V - G
        rd, cd = V.sum(axis=1) - r, V.sum(axis=0) - c
        Ad = B - A
        if it % _CHECK_EVERY == 0:
            err = float(np.linalg.norm(d))
            errs.append(err)
            if verbose:
                if it % 200 == 0:
                    print("{:5s}|{:12s}|{:12s}".format("It.", "Err", "Loss") + "\n" + "-" * 31)
                print("{:5d}|{:8e}|{:8e}".format(it, err, _loss(C1sq, C2sq, V.sum(axis=1), V.sum(axis=0), B, V)))
        # exact line search on the quadratic: L(T + t d) = L(T) + b t + a t^2
        a_ = 0.5 * ((C1sq @ rd) @ rd + (cd @ C2sq) @ cd) - float(np.einsum("ij,ij->", Ad, d))
        b_ = 2.0 * float(np.einsum("ij,ij->", M, d))
        gap = -b_
        if b_ > 0:  # rounding: no descent direction
            t, stop = 0.0, True
        elif a_ > 0:
            t, stop = min(1.0, -b_ / (2.0 * a_)), False
        elif a_ + b_ < 0:
            t, stop = 1.0, False
        else:
            t, stop = 0.0, True
        G = G + t * d
        r, c, A = r + t * rd, c + t * cd, A + t * Ad
        it += 1
        done += 1
        if log:
            losses.append(_loss(C1sq, C2sq, r, c, A, G))
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
    # recomputed: the value without the rounding accumulated by the updates (G is sparse after full steps)
    A = _sparse_product(C1, G, products.C2T) if np.count_nonzero(G) < 0.1 * G.size else _product(C1, G, C2)
    value = _as_dtype(_loss(C1sq, C2sq, G.sum(axis=1), G.sum(axis=0), A, G), dtype)
    G = _as_dtype(G, dtype)
    info = {"err": errs, "partial_gw_dist": value, "cost": value, "T": G, "n_iter": done, "fw_gap": float(gap),
            "loss": losses, "converged": bool(converged)}
    if lp is not None:
        info["lp_rounds"] = lp.rounds
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
