"""Sign lifting F2 -> Z_T: signs for the nonzero entries of an F2 scheme that make it exact over Z.

A scheme over Z_T = {-1, 0, 1} reduces modulo 2 to its support, so the Z_T
lifts of an F2 scheme are exactly the sign assignments ``s`` of its nonzero
entries with, for every Brent equation (a, b, g),

    sum over r in S(a,b,g) of  s(U[r,a]) s(V[r,b]) s(W[r,g])  =  T[a,b,g],

where ``S(a,b,g)`` lists the terms whose three entries are nonzero. Each
equation is a small signed sum. The search:

1. fixes the gauge (the first nonzero entry of every ``u_r`` and ``v_r`` is +1:
   flipping the signs of two factors of a term changes nothing);
2. writes ``s = (-1)^y`` and reduces every equation modulo 4, which makes it
   linear over GF(2) in the ``y``: ``sum of y over the equation = (|S| - T)/2
   mod 2``. An inconsistent system proves that no signs exist; otherwise its
   reduced echelon form gives XOR constraints (every pivot ``y`` is the parity
   of free ones);
3. runs a depth-first search with propagation: an equation whose remaining
   terms must all take the same sign forces them, an equation that cannot
   reach its value any more is a conflict, an XOR constraint with one unknown
   forces it. Exhausting the search proves that no signs exist.

The order matters more than anything else. The search visits the terms in a
local order (each next term the one that brings the equations already begun
closest to complete), and the parity system is brought to echelon form with
its pivots on the *latest* variables of that order, so every XOR constraint is
decided the moment the search reaches its last variable. Equations and XORs
then fail as soon as they can, and the search backtracks a few steps instead
of thousands: the 6x6x6 rank-161 scheme (2,249 signs, 109 free after the
parity system) lifts in about a second. When a budget of decisions runs out
the search restarts on a randomised order with a doubled budget (any
exhausted search, whatever its order, is a proof).

References
----------
.. [1] M. Kauers and J. Moosbauer, "Flip graphs for matrix multiplication",
   ISSAC 2023.
.. [2] K. Khoruzhii, P. Gelss and S. Pokutta, "Faster algorithms for
   structured matrix multiplication via flip graph search", 2025.
.. [3] A. Perminov, FastMatrixMultiplication (Z_T lifting of F2 schemes with
   a constraint solver), github.com/dronperminov/FastMatrixMultiplication.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..fields.elimination import back_substitute2, eliminate2
from ..fields.packing import pack_rows, unpack_rows
from ..fields.rings import Ring
from ..schemes import Scheme
from ..validation import check_instance, check_int


@dataclass
class TernaryLift:
    """Outcome of :func:`ternary_lift`.

    Attributes
    ----------
    ok : bool
        True when signs were found; ``scheme`` is then exact over Z_T.
    scheme : Scheme or None
    proved_none : bool
        True when the search proved that no signs exist.
    nodes : int
        Decisions made by the search.
    message : str
    seconds : float
    """

    ok: bool
    scheme: Scheme | None
    proved_none: bool
    nodes: int
    message: str
    seconds: float

    def __bool__(self) -> bool:
        return self.ok


class _Problem:
    """Variables, equations and XOR constraints of a sign-lifting problem."""

    def __init__(self, u, v, w, t):
        u, v, w = (np.asarray(a, dtype=np.int64) % 2 for a in (u, v, w))
        self.shape = (u.shape, v.shape, w.shape)
        ids = []
        nvar = 0
        for a in (u, v, w):
            idx = np.full(a.shape, -1, dtype=np.int64)
            nz = np.nonzero(a)
            idx[nz] = np.arange(nvar, nvar + len(nz[0]))
            nvar += len(nz[0])
            ids.append(idx)
        self.ids = ids
        self.nvar = nvar
        self.val = [0] * nvar
        # gauge: first nonzero of u_r and v_r is +1 for live terms
        live = u.any(axis=1) & v.any(axis=1) & w.any(axis=1)
        rows = np.flatnonzero(live)
        self.fixed = [int(x) for x in ids[0][rows, u[rows].argmax(axis=1)]]
        self.fixed += [int(x) for x in ids[1][rows, v[rows].argmax(axis=1)]]
        t = np.asarray(t, dtype=np.int64)
        nu, nv, nw = t.shape
        # occurrences (equation, term): all (a, b, g, r) with u[r,a] v[r,b] w[r,g] = 1, sorted by equation
        prod = (u.T[:, None, None, :] & v.T[None, :, None, :] & w.T[None, None, :, :]).astype(bool)
        ea, eb, eg, er = np.nonzero(prod)
        eq_flat = (ea * nv + eb) * nw + eg
        self.occ_vars = np.stack([ids[0][er, ea], ids[1][er, eb], ids[2][er, eg]], axis=1)   # (occ, 3)
        self.occ_term = er
        keys, first, counts = np.unique(eq_flat, return_index=True, return_counts=True)
        tflat = t.reshape(-1)
        self.trivial_conflict = None
        bad = np.flatnonzero(tflat)
        bad = bad[~np.isin(bad, keys)]
        if len(bad):
            g0 = int(bad[0])
            self.trivial_conflict = (g0 // (nv * nw), (g0 // nw) % nv, g0 % nw)
        self.eq_of_occ = np.repeat(np.arange(len(keys)), counts)
        self.eq_size = counts
        self.eq_target = tflat[keys]
        self._first = first
        self.xors = []           # (vars, parity)
        self.var_xors = [[] for _ in range(nvar)]
        self.equations = []      # (terms, target), terms = list of (var, var, var): built for the search
        self.var_eqs = []

    def build_equations(self) -> None:
        """The Python lists the search walks on (built only when the parity system is consistent)."""
        occ = self.occ_vars.tolist()
        self.equations = [([tuple(x) for x in occ[f:f + c]], int(tv))
                          for f, c, tv in zip(self._first.tolist(), self.eq_size.tolist(), self.eq_target.tolist())]
        self.var_eqs = [[] for _ in range(self.nvar)]
        for e, (terms, _) in enumerate(self.equations):
            for term in terms:
                for x in term:
                    self.var_eqs[x].append(e)

    # -- the search order ---------------------------------------------------------
    def variable_order(self, rng=None) -> list[int]:
        """The variables term by term, the terms in a local order (see the module docstring).

        Each next term is the one whose equations are, on average, most
        complete already (ties: the term in fewer equations). ``rng`` (a
        Generator) starts at a random term and breaks ties at random.
        """
        rank = self.shape[0][0]
        eq = self.eq_of_occ
        term = self.occ_term
        weight = 1.0 / self.eq_size[eq]                       # one occurrence's share of its equation
        span = np.bincount(term, minlength=rank).astype(np.float64)
        score = np.zeros(rank)
        tie = -span * 1e-9 if rng is None else rng.random(rank) * 1e-9
        by_term = [np.flatnonzero(term == r) for r in range(rank)]
        by_eq = np.split(np.argsort(eq, kind="stable"), np.cumsum(self.eq_size)[:-1]) if len(eq) else []
        placed = np.zeros(rank, dtype=bool)
        terms = []
        for k in range(rank):
            if k == 0 and rng is not None:
                r = int(rng.integers(rank))
            else:
                r = int(np.argmax(np.where(placed, -np.inf, score + tie)))
            placed[r] = True
            terms.append(r)
            for o in by_term[r]:                               # r's equations move closer to complete
                others = by_eq[eq[o]]
                np.add.at(score, term[others], weight[o])
        order = []
        for r in terms:
            for idx in self.ids:
                order += [int(x) for x in idx[r] if x >= 0]
        return order

    # -- step 2: the mod-4 parity system --------------------------------------
    def parity_system(self, order=None) -> bool:
        """Build the GF(2) parity system; False when it is inconsistent (no signs exist).

        With a search ``order``, the pivots are the latest variables of it:
        every XOR constraint is then decided when the search reaches its last
        variable.
        """
        m = len(self.eq_size)
        if m == 0:
            return True
        is_free = np.ones(self.nvar, dtype=bool)
        is_free[self.fixed] = False
        if order is None:
            free = np.flatnonzero(is_free)
        else:
            free = np.array([x for x in reversed(order) if is_free[x]], dtype=np.int64)
        col = np.full(self.nvar, -1, dtype=np.int64)
        col[free] = np.arange(len(free))
        n = len(free)
        ncols = n + 1                     # last column: the right-hand side
        nw = (ncols + 63) >> 6
        dense = np.zeros((m, nw * 64), dtype=np.uint8)
        cols = col[self.occ_vars]                                  # (occ, 3)
        rows = np.repeat(self.eq_of_occ, 3)
        cols = cols.reshape(-1)
        keep = cols >= 0
        np.add.at(dense, (rows[keep], cols[keep]), 1)
        dense &= 1
        dense[:, n] = ((self.eq_size - self.eq_target) // 2) & 1
        a = pack_rows(dense, Ring.F2, nw)
        rank, _, pivcols, _ = eliminate2(a, n)
        rest = a[rank:, 0, :]
        hw, hb = n >> 6, np.uint64(n & 63)
        if rank < m and np.any((rest[:, hw] >> hb) & np.uint64(1)):
            return False
        red = back_substitute2(a, rank, pivcols)
        self.pivot_vars = {int(free[int(c)]) for c in pivcols}
        bits = unpack_rows(red[:, None, :], ncols, Ring.F2)
        rr, cc = np.nonzero(bits[:, :n])
        bounds = np.searchsorted(rr, np.arange(rank + 1)).tolist()
        vars_all = free[cc].tolist()
        rhs = bits[:, n].tolist()
        for k in range(rank):
            vars_ = vars_all[bounds[k]:bounds[k + 1]]
            self.xors.append((vars_, int(rhs[k])))
            for x in vars_:
                self.var_xors[x].append(k)
        return True


class _Search:
    def __init__(self, prob: _Problem, max_nodes: int):
        self.p = prob
        self.val = prob.val
        self.trail: list[int] = []
        self.max_nodes = max_nodes
        self.nodes = 0

    def assign(self, x: int, s: int, queue: list) -> None:
        self.val[x] = s
        self.trail.append(x)
        for e in self.p.var_eqs[x]:
            queue.append(e)
        for c in self.p.var_xors[x]:
            queue.append(~c)

    def undo(self, pos: int) -> None:
        val = self.val
        trail = self.trail
        while len(trail) > pos:
            val[trail.pop()] = 0

    def propagate(self, queue: list) -> bool:
        val = self.val
        eqs = self.p.equations
        xors = self.p.xors
        while queue:
            c = queue.pop()
            if c >= 0:
                terms, target = eqs[c]
                known = 0
                unknown = []
                for term in terms:
                    a, b, g = val[term[0]], val[term[1]], val[term[2]]
                    if a and b and g:
                        known += a * b * g
                    else:
                        unknown.append(term)
                need = target - known
                m = len(unknown)
                if abs(need) > m or (need - m) % 2:
                    return False
                if m and abs(need) == m:
                    s = 1 if need > 0 else -1
                    for term in unknown:
                        open_ = [x for x in term if not val[x]]
                        if len(open_) == 1:
                            prod = s
                            for x in term:
                                if val[x]:
                                    prod *= val[x]
                            self.assign(open_[0], prod, queue)
            else:
                vars_, parity = xors[~c]
                open_ = None
                count = 0
                par = parity
                for x in vars_:
                    if val[x]:
                        if val[x] < 0:
                            par ^= 1
                    else:
                        count += 1
                        open_ = x
                        if count > 1:
                            break
                if count == 0 and par:
                    return False
                if count == 1:
                    self.assign(open_, -1 if par else 1, queue)
        return True

    def run(self, order: list[int]) -> str:
        """Depth-first search; 'sat', 'unsat' or 'limit'."""
        queue: list = []
        for x in self.p.fixed:
            self.assign(x, 1, queue)
        if not self.propagate(queue):
            return "unsat"
        decisions: list = []     # [var, trail position, second branch taken]
        pos = 0
        while True:
            while pos < len(order) and self.val[order[pos]]:
                pos += 1
            if pos == len(order):
                return "sat"
            if self.nodes >= self.max_nodes:
                return "limit"
            x = order[pos]
            self.nodes += 1
            decisions.append([x, len(self.trail), False, pos])
            queue = []
            self.assign(x, 1, queue)
            ok = self.propagate(queue)
            while not ok:
                while decisions and decisions[-1][2]:
                    self.undo(decisions[-1][1])
                    decisions.pop()
                if not decisions:
                    return "unsat"
                d = decisions[-1]
                self.undo(d[1])
                d[2] = True
                pos = d[3]
                self.nodes += 1
                queue = []
                self.assign(d[0], -1, queue)
                ok = self.propagate(queue)


def ternary_lift(scheme: Scheme, max_nodes: int = 1_000_000) -> TernaryLift:
    """Find signs that turn an F2 scheme into a Z_T scheme, or prove that none exist.

    Parameters
    ----------
    scheme : Scheme
        A valid scheme over F2.
    max_nodes : int, default 1_000_000
        Bound on the search decisions; when reached the result is undecided
        (``ok`` and ``proved_none`` both False).

    Returns
    -------
    TernaryLift
        ``.scheme`` is the Z_T scheme (verified exactly) when ``.ok``.

    Raises
    ------
    TypeError
        If ``scheme`` is not a Scheme or ``max_nodes`` not an integer.
    ValueError
        If ``scheme`` is not a valid scheme over F2, or ``max_nodes`` is not positive.

    References
    ----------
    Kauers & Moosbauer, "Flip graphs for matrix multiplication" (2023);
    Khoruzhii, Gelss & Pokutta (2025).

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> res = ternary_lift(strassen_scheme("F2"))
    >>> res.ok, res.scheme.ring.value, bool(res.scheme.verify())
    (True, 'ZT', True)
    """
    t0 = time.perf_counter()
    check_instance(scheme, "scheme", Scheme)
    if scheme.ring is not Ring.F2:
        raise ValueError(f"scheme: expected a scheme over F2 (sign lifting starts there), got one over {scheme.ring}")
    max_nodes = check_int(max_nodes, "max_nodes", minimum=1)
    check = scheme.verify()
    if not check:
        raise ValueError(f"scheme: expected a valid scheme over F2, got one that fails: {check.describe(limit=2)}")
    return _ternary(scheme, max_nodes, t0)


def solve_signs(u, v, w, t, max_nodes: int = 1_000_000):
    """Signs for the nonzero entries of 0/1 matrices u, v, w with ``sum_r u v w = t`` over Z.

    The solver behind :func:`ternary_lift`, for any integer target tensor ``t``
    (shape nU x nV x nW).

    Returns
    -------
    status : {"sat", "unsat-parity", "unsat-empty", "unsat", "limit"}
    signed : tuple of numpy.ndarray or None
        The signed matrices when ``status == "sat"``.
    nodes : int
        Search decisions.

    References
    ----------
    Kauers & Moosbauer, "Flip graphs for matrix multiplication" (2023).

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((2, 1), dtype=int)
    >>> solve_signs(one, one, one, np.zeros((1, 1, 1), int))[0]    # s1 + s2 = 0
    'sat'
    >>> solve_signs(one, one, one, np.full((1, 1, 1), 2))[0]       # s1 + s2 = 2
    'sat'
    >>> three = np.ones((3, 1), dtype=int)
    >>> solve_signs(three, three, three, np.full((1, 1, 1), 5))[0]  # |s1 + s2 + s3| <= 3
    'unsat'
    """
    nodes = 0
    budget = 0
    for attempt in range(64):
        prob = _Problem(u, v, w, t)
        if prob.trivial_conflict is not None:
            return "unsat-empty", None, 0
        order = prob.variable_order(None if attempt == 0 else np.random.default_rng(attempt))
        if not prob.parity_system(order):
            return "unsat-parity", None, 0
        prob.build_equations()
        # restarts on fresh random orders, each with twice the budget of the one before
        budget = max(4 * prob.nvar, 1000) if attempt == 0 else 2 * budget
        search = _Search(prob, min(budget, max_nodes - nodes))
        status = search.run(order)
        nodes += search.nodes
        if status != "limit" or nodes >= max_nodes:
            break
    if status != "sat":
        return status, None, nodes
    mats = []
    for a, idx in zip((u, v, w), prob.ids):
        out = np.zeros(np.shape(a), dtype=np.int64)
        nz = idx >= 0
        out[nz] = [prob.val[x] or 1 for x in idx[nz]]
        mats.append(out)
    return "sat", tuple(mats), nodes


def _ternary(scheme: Scheme, max_nodes: int, t0: float) -> TernaryLift:
    def done(ok, sch, proved, nodes, msg):
        return TernaryLift(ok, sch, proved, nodes, msg, time.perf_counter() - t0)

    status, mats, nodes = solve_signs(*scheme.factors, scheme.tensor, max_nodes)
    if status == "unsat-empty":
        return done(False, None, True, 0, "no Z_T signs exist: an equation has no terms but a nonzero value")
    if status == "unsat-parity":
        return done(False, None, True, 0, "no Z_T signs exist: the Brent equations modulo 4 are inconsistent for every choice of signs")
    if status == "unsat":
        return done(False, None, True, nodes, f"no Z_T signs exist (proved by exhaustive search, {nodes} decisions)")
    if status == "limit":
        return done(False, None, False, nodes, f"undecided: no Z_T signs found within {max_nodes} decisions")
    result = Scheme(scheme.code, scheme.n, Ring.ZT, *mats)
    if not result.verify():
        return done(False, None, False, nodes, "internal: the signs found do not verify over Z")
    return done(True, result, False, nodes, f"Z_T signs found ({nodes} decisions)")
