"""Numba kernels of the exact partial-OT LP steps and the Frank-Wolfe updates in :mod:`linalg_lab.transport.gromov`.

* a primal network simplex for the transportation problem with dummy points,
  warm-started from a basis tree (:func:`simplex`, with :func:`tree_from_plan`
  to build a first tree holding a given feasible plan and :func:`tree_csr` to
  read the vertex back as a sparse matrix; :func:`csr_diff` for the change
  between two vertices);
* :func:`monge_dp` / :func:`monge_pairs`: the min-cost non-crossing matching
  of a Monge cost ``a_i + b_j - s x_i y_j`` (rows sorted by ``x``, columns by
  ``y``) with a price ``lam`` per pair, by dynamic programming: the start of
  the first Frank-Wolfe step with uniform masses;
* :func:`half_gradient`, :func:`line_terms`, :func:`fw_update`: one pass each
  over the n x n' arrays of a Frank-Wolfe step.
"""

from __future__ import annotations

import numpy as np
from numba import njit


# ----------------------------------------------------------------------------------------------------------------
# A primal network simplex for the transportation problem with dummy points, warm-started from a basis tree.
#
# Nodes 0..S-1 are the sources (the n real rows, then the dummy rows), S..S+T-1 the sinks (the n' real columns,
# then the dummy columns); every source-sink pair is an arc, of cost M[i, j] between real points, 0 between a real
# point and a dummy, ``corner`` between dummies. A basis is a spanning tree of S + T - 1 arcs, stored as parent
# pointers (root: node 0) with depths, first-child / sibling lists, and the flow of the arc joining each node to
# its parent. Potentials ``pi`` satisfy pi[i] + pi[S + j] = cost(i, j) on the tree arcs. The costs change from
# one Frank-Wolfe step to the next but the masses do not, so the previous step's optimal tree is a feasible basis
# of the next problem: only its potentials are recomputed, and the pivots made are those the new costs require.
# Entering arc: the most negative reduced cost of the next source row that has a negative one (rows scanned
# cyclically, one row a block, no integer division; a row is first tested by a vectorised count); leaving arc: the blocking arc chosen as in a
# strongly feasible tree (Cunningham 1976: the last blocking arc met from the apex along the cycle's orientation),
# which keeps the tree strongly feasible and prevents cycling. The potentials are updated by the pivots' deltas;
# when no arc prices out they are recomputed from the tree (no drift) and the pricing is repeated, so that the
# vertex returned is optimal for potentials exact to the rounding of one pass down the tree.


@njit(cache=True, nogil=True, inline="always")
def _arc_cost(M, n, nt, corner, i, j):
    if i < n:
        return M[i, j] if j < nt else 0.0
    return 0.0 if j < nt else corner


@njit(cache=True, nogil=True)
def _link(v, w, parent, first_child, next_sib, prev_sib):
    """Make ``w`` the parent of ``v`` (v detached)."""
    parent[v] = w
    prev_sib[v] = -1
    head = first_child[w]
    next_sib[v] = head
    if head >= 0:
        prev_sib[head] = v
    first_child[w] = v


@njit(cache=True, nogil=True)
def _unlink(v, parent, first_child, next_sib, prev_sib):
    w = parent[v]
    if prev_sib[v] >= 0:
        next_sib[prev_sib[v]] = next_sib[v]
    else:
        first_child[w] = next_sib[v]
    if next_sib[v] >= 0:
        prev_sib[next_sib[v]] = prev_sib[v]
    parent[v] = -1
    next_sib[v] = -1
    prev_sib[v] = -1


@njit(cache=True, nogil=True)
def _potentials(M, n, nt, corner, S, pi, first_child, next_sib, root, stack):
    """pi on the subtree of ``root`` (pi[root] as given), from the tree arcs' costs."""
    top = 0
    stack[0] = root
    top = 1
    while top > 0:
        top -= 1
        w = stack[top]
        c = first_child[w]
        while c >= 0:
            if w < S:  # w a source, c a sink
                pi[c] = _arc_cost(M, n, nt, corner, w, c - S) - pi[w]
            else:
                pi[c] = _arc_cost(M, n, nt, corner, c, w - S) - pi[w]
            stack[top] = c
            top += 1
            c = next_sib[c]


@njit(cache=True, nogil=True, fastmath=True)
def _row_count(Mi, piT, nt, thr):
    """How many real columns have ``Mi[j] - piT[j] < thr`` (a sum of comparisons: vectorised, unlike a
    minimum, which LLVM does not vectorise here)."""
    c = 0
    for j in range(nt):
        c += (Mi[j] - piT[j]) < thr
    return c


@njit(cache=True, nogil=True)
def _row_argmin(Mi, piT, nt):
    """``(min, argmin)`` of ``Mi[j] - piT[j]`` over the real columns."""
    mn = np.inf
    arg = 0
    for j in range(nt):
        r = Mi[j] - piT[j]
        if r < mn:
            mn = r
            arg = j
    return mn, arg


@njit(cache=True, nogil=True)
def simplex(M, n, nt, corner, S, T, parent, depth, pflow, first_child, next_sib, prev_sib, pi, tol, max_pivots,
            start_row):
    """Pivot the tree to optimality for the costs ``M`` (in place). Returns ``(status, pivots, next_row)``:
    status 1 optimal (no arc with a reduced cost below ``-tol`` under potentials recomputed from the tree),
    3 pivot limit reached."""
    N = S + T
    stack = np.empty(N, np.int64)
    pi[0] = 0.0
    _potentials(M, n, nt, corner, S, pi, first_child, next_sib, 0, stack)
    piT = pi[S:S + nt]  # a view, updated with pi
    row = start_row % S
    pivots = 0
    fresh = True
    while True:
        # entering arc: the most negative reduced cost of the first row (cyclically) that has one
        best = -tol
        bi = -1
        bj = -1
        for _ in range(S):
            i = row
            row += 1
            if row == S:
                row = 0
            pii = pi[i]
            if i < n:
                # most rows have no candidate: a vectorised count first, the minimum only where it finds one
                if _row_count(M[i], piT, nt, best + pii) > 0:
                    rm, jm = _row_argmin(M[i], piT, nt)
                    if rm - pii < best:
                        best = rm - pii
                        bi = i
                        bj = jm
                for j in range(nt, T):
                    r = -pii - pi[S + j]
                    if r < best:
                        best = r
                        bi = i
                        bj = j
            else:
                for j in range(T):
                    r = (0.0 if j < nt else corner) - pii - pi[S + j]
                    if r < best:
                        best = r
                        bi = i
                        bj = j
            if bi >= 0:
                break
        if bi < 0:
            if fresh:
                return 1, pivots, row
            # optimal under the updated potentials: confirm under potentials recomputed from the tree
            pi[0] = 0.0
            _potentials(M, n, nt, corner, S, pi, first_child, next_sib, 0, stack)
            fresh = True
            continue
        if pivots >= max_pivots:
            return 3, pivots, row
        pivots += 1
        fresh = False
        i, j = bi, S + bj
        # the apex (lowest common ancestor) and theta
        x, y = i, j
        while depth[x] > depth[y]:
            x = parent[x]
        while depth[y] > depth[x]:
            y = parent[y]
        while x != y:
            x = parent[x]
            y = parent[y]
        apex = x
        theta = np.inf
        x = i
        while x != apex:  # i side: flow decreases on edges whose lower node is a source
            if x < S and pflow[x] < theta:
                theta = pflow[x]
            x = parent[x]
        y = j
        while y != apex:  # j side: flow decreases on edges whose lower node is a sink
            if y >= S and pflow[y] < theta:
                theta = pflow[y]
            y = parent[y]
        # leaving edge: the last blocking one from the apex along the orientation apex -> i -> j -> apex
        out = -1
        side_j = False
        y = j
        while y != apex:
            if y >= S and pflow[y] == theta:
                out = y  # keeps the one nearest the apex
            y = parent[y]
        if out >= 0:
            side_j = True
        else:
            x = i
            while x != apex:
                if x < S and pflow[x] == theta:
                    out = x  # the first met from i: the last along apex -> i
                    break
                x = parent[x]
        # flows around the cycle (nothing to do on a degenerate pivot)
        if theta > 0.0:
            x = i
            while x != apex:
                pflow[x] += -theta if x < S else theta
                x = parent[x]
            y = j
            while y != apex:
                pflow[y] += -theta if y >= S else theta
                y = parent[y]
        # re-hang the detached subtree: the side holding ``out`` hangs from the other end of the entering arc
        if side_j:
            lo, hi = j, i
        else:
            lo, hi = i, j
        prev = hi
        carried = theta
        v = lo
        while True:
            w = parent[v]
            f = pflow[v]
            _unlink(v, parent, first_child, next_sib, prev_sib)
            _link(v, prev, parent, first_child, next_sib, prev_sib)
            pflow[v] = carried
            if v == out:
                break
            carried = f
            prev = v
            v = w
        # depths and potentials of the moved subtree
        delta = _arc_cost(M, n, nt, corner, i, j - S) - pi[i] - pi[j]
        top = 0
        stack[0] = lo
        top = 1
        depth[lo] = depth[hi] + 1
        src_delta = delta if lo < S else -delta
        while top > 0:
            top -= 1
            w = stack[top]
            pi[w] += src_delta if w < S else -src_delta
            c = first_child[w]
            while c >= 0:
                depth[c] = depth[w] + 1
                stack[top] = c
                top += 1
                c = next_sib[c]


@njit(cache=True, nogil=True)
def tree_csr(parent, pflow, S, n, nt, rows, cols, shape0, shape1):
    """The real arcs of the tree with a positive flow as a CSR matrix of shape ``(shape0, shape1)``:
    ``(indptr, indices, data)``, columns sorted in each row; tree row ``i`` is row ``rows[i]``, tree column
    ``j`` column ``cols[j]`` (the positions of the points with positive mass)."""
    N = parent.size
    count = np.zeros(shape0 + 1, np.int64)
    for v in range(N):
        w = parent[v]
        if w < 0 or pflow[v] <= 0.0:
            continue
        i, j = (v, w - S) if v < S else (w, v - S)
        if i < n and j < nt:
            count[rows[i] + 1] += 1
    for i in range(shape0):
        count[i + 1] += count[i]
    indptr = count.copy()
    fill = count[:-1].copy()
    indices = np.empty(indptr[shape0], np.int64)
    data = np.empty(indptr[shape0])
    for v in range(N):
        w = parent[v]
        if w < 0 or pflow[v] <= 0.0:
            continue
        i, j = (v, w - S) if v < S else (w, v - S)
        if i < n and j < nt:
            r = rows[i]
            k = fill[r]
            # insertion into the row's sorted run (rows hold one or two arcs, rarely more)
            while k > indptr[r] and indices[k - 1] > cols[j]:
                indices[k] = indices[k - 1]
                data[k] = data[k - 1]
                k -= 1
            indices[k] = cols[j]
            data[k] = pflow[v]
            fill[r] += 1
    return indptr, indices, data


@njit(cache=True, nogil=True)
def csr_diff(p1, i1, d1, p0, i0, d0, tol):
    """``V1 - V0`` for two CSR matrices with sorted rows, entries with ``|difference| <= tol`` left out.
    Returns ``(indptr, indices, data, changed_rows)``."""
    n = p1.size - 1
    indptr = np.zeros(n + 1, np.int64)
    indices = np.empty(i1.size + i0.size, np.int64)
    data = np.empty(i1.size + i0.size)
    k = 0
    changed = 0
    for r in range(n):
        a, ae = p1[r], p1[r + 1]
        b, be = p0[r], p0[r + 1]
        start = k
        while a < ae or b < be:
            if b >= be or (a < ae and i1[a] < i0[b]):
                j, x = i1[a], d1[a]
                a += 1
            elif a >= ae or i0[b] < i1[a]:
                j, x = i0[b], -d0[b]
                b += 1
            else:
                j, x = i1[a], d1[a] - d0[b]
                a += 1
                b += 1
            if abs(x) > tol:
                indices[k] = j
                data[k] = x
                k += 1
        if k > start:
            changed += 1
        indptr[r + 1] = k
    return indptr, indices[:k], data[:k], changed


@njit(cache=True, nogil=True)
def _find(uf, x):
    while uf[x] != x:
        uf[x] = uf[uf[x]]
        x = uf[x]
    return x


@njit(cache=True, nogil=True)
def _join(uf, ai, aj, k, i, j, S):
    """Arc (row i, column j) as tree arc number ``k`` when it joins two components (nodes i and S + j) and the
    tree still lacks arcs; the new number of arcs."""
    ri, rj = _find(uf, i), _find(uf, S + j)
    if ri != rj and k < ai.size:
        uf[ri] = rj
        ai[k], aj[k] = i, j
        k += 1
    return k


@njit(cache=True, nogil=True)
def tree_from_plan(V, a, b, n, nt, floor, via_row):
    """A basis tree holding the support of the plan ``V`` (real block; one dummy row and / or column at most,
    their flows read off the masses), completed by zero-flow arcs, with its flows recomputed from the masses.

    Entries ``<= floor`` count as zero. The components left apart by the support are joined to the dummy row
    (``via_row``: arcs dummy row -> a column of the component) or to the dummy column (arcs row -> dummy
    column) where there is one, then by any arcs. Returns the arrays of :func:`tree_from_arcs`.
    """
    S, T = a.size, b.size
    N = S + T
    kr, kc = S - n, T - nt
    uf = np.arange(N)
    ai = np.empty(N - 1, np.int64)
    aj = np.empty(N - 1, np.int64)
    k = 0
    rows = np.zeros(n)
    cols = np.zeros(nt)
    for i in range(n):
        for j in range(nt):
            x = V[i, j]
            if x > floor:
                rows[i] += x
                cols[j] += x
                k = _join(uf, ai, aj, k, i, j, S)
    if kc == 1:
        for i in range(n):
            if a[i] - rows[i] > floor:
                k = _join(uf, ai, aj, k, i, nt, S)
    if kr == 1:
        for j in range(nt):
            if b[j] - cols[j] > floor:
                k = _join(uf, ai, aj, k, n, j, S)
    # zero-flow arcs joining the remaining components (a spanning tree needs N - 1 arcs): through a dummy first
    if via_row and kr == 1:
        for j in range(nt):
            k = _join(uf, ai, aj, k, n, j, S)
    if kc == 1:
        for i in range(n):
            k = _join(uf, ai, aj, k, i, nt, S)
    if kr == 1:
        for j in range(nt):
            k = _join(uf, ai, aj, k, n, j, S)
    for i in range(S):
        if k == N - 1:
            break
        for j in range(T):
            k = _join(uf, ai, aj, k, i, j, S)
            if k == N - 1:
                break
    return tree_from_arcs(ai, aj, a, b)


@njit(cache=True, nogil=True)
def tree_from_arcs(ai, aj, a, b):
    """The basis tree of the N - 1 arcs ``(ai[k], aj[k])`` (sources, sinks), rooted at node 0, with the flows
    that meet the masses ``a``, ``b`` (recomputed leaf to root; negative rounding residue set to 0).

    Returns ``(parent, depth, pflow, first_child, next_sib, prev_sib, worst)``: parent pointers (root -1),
    depths, the flow of each node's arc to its parent, child / sibling lists, and the most negative flow met
    before it was set to 0 (``worst < 0`` beyond rounding: the arcs hold no feasible plan)."""
    S, T = a.size, b.size
    N = S + T
    deg = np.zeros(N, np.int64)
    for k in range(N - 1):
        deg[ai[k]] += 1
        deg[S + aj[k]] += 1
    start = np.zeros(N + 1, np.int64)
    for v in range(N):
        start[v + 1] = start[v] + deg[v]
    fill = start[:-1].copy()
    nbr = np.empty(2 * (N - 1), np.int64)
    for k in range(N - 1):
        s, t = ai[k], S + aj[k]
        nbr[fill[s]] = t
        fill[s] += 1
        nbr[fill[t]] = s
        fill[t] += 1
    parent = np.full(N, -1, np.int64)
    depth = np.zeros(N, np.int64)
    pflow = np.zeros(N)
    first_child = np.full(N, -1, np.int64)
    next_sib = np.full(N, -1, np.int64)
    prev_sib = np.full(N, -1, np.int64)
    seen = np.zeros(N, np.bool_)
    order = np.empty(N, np.int64)
    order[0] = 0
    seen[0] = True
    head, tail = 0, 1
    while head < tail:
        v = order[head]
        head += 1
        for e in range(start[v], start[v + 1]):
            w = nbr[e]
            if not seen[w]:
                seen[w] = True
                _link(w, v, parent, first_child, next_sib, prev_sib)
                depth[w] = depth[v] + 1
                order[tail] = w
                tail += 1
    excess = np.empty(N)
    excess[:S] = a
    excess[S:] = -b
    worst = 0.0
    for t in range(N - 1, 0, -1):
        v = order[t]
        f = excess[v] if v < S else -excess[v]
        worst = min(worst, f)
        pflow[v] = f if f > 0.0 else 0.0
        excess[parent[v]] += excess[v]
    return parent, depth, pflow, first_child, next_sib, prev_sib, worst


# ----------------------------------------------------------------------------------------------------------------
# The first Frank-Wolfe step from the product plan, uniform masses: with G0 = s p q^T the half gradient is
# a_i + b_j - s x_i y_j (x = C1 p, y = C2 q), a Monge matrix once the rows are sorted by x and the columns by y, so
# a min-cost k-matching may be taken non-crossing; with a price ``lam`` per pair the best non-crossing matching of
# any size is an O(n n') dynamic program (the size grows with ``lam``).


@njit(cache=True, nogil=True)
def monge_dp(a, b, x, y, s, lam, dec):
    """Min over non-crossing matchings (rows and columns in the given order) of sum (a_i + b_j - s x_i y_j - lam)
    over the pairs. Fills ``dec[i, j]`` (0 skip row i, 1 match i with j, 2 skip column j; ties keep the fewer
    pairs) and returns the size of the matching it traces back."""
    n, nt = a.size, b.size
    Fp = np.zeros(nt + 1)
    Fc = np.zeros(nt + 1)
    for i in range(n):
        ai = a[i] - lam
        sx = s * x[i]
        Fc[0] = 0.0
        for j in range(nt):
            best = Fp[j + 1]
            d = 0
            diag = Fp[j] + (ai + b[j] - sx * y[j])
            if diag < best:
                best = diag
                d = 1
            if Fc[j] < best:
                best = Fc[j]
                d = 2
            Fc[j + 1] = best
            dec[i, j] = d
        Fp, Fc = Fc, Fp
    k = 0
    i, j = n, nt
    while i > 0 and j > 0:
        d = dec[i - 1, j - 1]
        if d == 1:
            k += 1
            i -= 1
            j -= 1
        elif d == 0:
            i -= 1
        else:
            j -= 1
    return k


@njit(cache=True, nogil=True)
def monge_pairs(dec, k):
    """The ``k`` pairs (positions in the sorted orders) of the matching traced back from ``dec``."""
    n, nt = dec.shape
    ri = np.empty(k, np.int64)
    cj = np.empty(k, np.int64)
    t = k
    i, j = n, nt
    while i > 0 and j > 0:
        d = dec[i - 1, j - 1]
        if d == 1:
            t -= 1
            ri[t] = i - 1
            cj[t] = j - 1
            i -= 1
            j -= 1
        elif d == 0:
            i -= 1
        else:
            j -= 1
    return ri, cj


# ----------------------------------------------------------------------------------------------------------------
# One Frank-Wolfe step's dense arithmetic, one pass each (numpy makes a temporary per operation).


@njit(cache=True, nogil=True)
def half_gradient(ar, bc, A, M):
    """``M[i, j] = ar[i] + bc[j] - A[i, j]`` in place (POT's half gradient: ``ar = C1^2 r / 2``, ``bc = C2^2 c / 2``,
    ``A = C1 G C2^T``)."""
    n, nt = A.shape
    for i in range(n):
        x = ar[i]
        for j in range(nt):
            M[i, j] = (x + bc[j]) - A[i, j]


@njit(cache=True, nogil=True, fastmath=True)
def _row_terms(Mi, Ai, Bi, d, nt):
    li = 0.0
    qi = 0.0
    si = 0.0
    for j in range(nt):
        li += Mi[j] * d[j]
        qi += (Bi[j] - Ai[j]) * d[j]
        si += d[j] * d[j]
    return li, qi, si


@njit(cache=True, nogil=True)
def line_terms(M, A, B, G, indptr, indices, data):
    """``(sum M d, sum (B - A) d, sum d^2)`` with ``d = V - G`` (``V`` sparse, CSR; each ``d`` formed exactly,
    so that ``V == G`` gives 0): the line search's linear and quadratic cross terms and POT's change
    ``||V - G||_F^2``, summed row by row in one pass."""
    n, nt = M.shape
    lin = 0.0
    quad = 0.0
    sq = 0.0
    d = np.empty(nt)
    for i in range(n):
        Gi = G[i]
        for j in range(nt):
            d[j] = -Gi[j]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            d[j] = data[k] - Gi[j]
        li, qi, si = _row_terms(M[i], A[i], B[i], d, nt)
        lin += li
        quad += qi
        sq += si
    return lin, quad, sq


@njit(cache=True, nogil=True)
def fw_step(G, A, B, t, indptr, indices, data, ar, bc, M):
    """The step towards the vertex and the next linearisation, in one pass: ``G += t (V - G)`` (``V`` sparse,
    CSR), ``A += t (B - A)``, then ``M[i, j] = ar[i] + bc[j] - A[i, j]`` (the half gradient at the new plan,
    ``ar``, ``bc`` its terms from the new marginals)."""
    n, nt = G.shape
    v = np.zeros(nt)
    for i in range(n):
        Gi, Ai, Bi, Mi = G[i], A[i], B[i], M[i]
        for k in range(indptr[i], indptr[i + 1]):
            v[indices[k]] = data[k]
        x = ar[i]
        for j in range(nt):
            Gi[j] = Gi[j] + t * (v[j] - Gi[j])
            a = Ai[j] + t * (Bi[j] - Ai[j])
            Ai[j] = a
            Mi[j] = (x + bc[j]) - a
        for k in range(indptr[i], indptr[i + 1]):
            v[indices[k]] = 0.0


@njit(cache=True, nogil=True)
def rows_times(rows, indptr, indices, data, C2r, X):
    """``X[k] = sum_l data[l] C2r[indices[l]]`` over the entries ``l`` of row ``rows[k]`` of a CSR matrix: the
    sparse rows times ``C2^T`` (``C2r[j]`` the row of ``C2^T`` for column ``j``)."""
    nt = C2r.shape[1]
    for k in range(rows.size):
        i = rows[k]
        for l in range(indptr[i], indptr[i + 1]):
            x = data[l]
            c = C2r[indices[l]]
            for j in range(nt):
                X[k, j] += x * c[j]
