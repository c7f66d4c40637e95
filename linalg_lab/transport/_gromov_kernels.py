"""Numba kernels of the restricted partial-OT LP in :mod:`linalg_lab.transport.gromov` (one pass over the costs).

* :func:`candidates`: the arcs whose reduced cost ``M_ij - u_i - v_j`` is at
  most a threshold, marked in a boolean mask (the arc set of a restricted
  solve);
* :func:`price`: the arcs outside the mask whose reduced cost is negative,
  with those costs (the arcs that would enter the basis of the full
  problem: none means the restricted optimum is optimal).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def candidates(M, u, v, tau, inset):
    """Mark ``inset[i * n' + j]`` where ``M_ij - u_i - v_j <= tau``; returns how many were marked."""
    n, nt = M.shape
    count = 0
    for i in range(n):
        ui = u[i]
        base = i * nt
        for j in range(nt):
            if M[i, j] - ui - v[j] <= tau:
                inset[base + j] = True
                count += 1
    return count


@njit(cache=True, nogil=True)
def price(M, u, v, inset):
    """Flat indices and reduced costs of the arcs outside ``inset`` with ``M_ij - u_i - v_j < 0``."""
    n, nt = M.shape
    out = np.empty(16, np.int64)
    red = np.empty(16)
    k = 0
    for i in range(n):
        ui = u[i]
        base = i * nt
        for j in range(nt):
            r = M[i, j] - ui - v[j]
            if r < 0.0 and not inset[base + j]:
                if k == out.size:
                    out2 = np.empty(2 * k, np.int64)
                    red2 = np.empty(2 * k)
                    out2[:k] = out
                    red2[:k] = red
                    out, red = out2, red2
                out[k] = base + j
                red[k] = r
                k += 1
    return out[:k], red[:k]


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
# Entering arc: the most negative reduced cost in a block of arcs (block search, cyclic); leaving arc: the blocking
# arc chosen as in a strongly feasible tree (Cunningham 1976: the last blocking arc met from the apex along the
# cycle's orientation), which keeps a strongly feasible tree so and prevents cycling.


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
def nw_tree(a, b):
    """A basis tree of the transportation problem ``(a, b)`` by the north-west corner rule (a staircase of
    S + T - 1 arcs, degenerate ones included). Returns ``(parent, depth, pflow, first_child, next_sib,
    prev_sib)``."""
    S, T = a.size, b.size
    N = S + T
    ai = np.empty(N - 1, np.int64)
    aj = np.empty(N - 1, np.int64)
    af = np.empty(N - 1)
    ra, rb = a[0], b[0]
    i = j = 0
    for k in range(N - 1):
        x = min(ra, rb)
        if x < 0.0:
            x = 0.0
        ai[k], aj[k], af[k] = i, j, x
        ra -= x
        rb -= x
        # move right (next sink) unless this source is exhausted before the sink, or the sinks are all used
        if (ra <= rb and i < S - 1) or j == T - 1:
            i += 1
            ra = a[i] if i < S else 0.0
        else:
            j += 1
            rb = b[j] if j < T else 0.0
    # adjacency of the staircase, then a traversal from node 0
    deg = np.zeros(N, np.int64)
    for k in range(N - 1):
        deg[ai[k]] += 1
        deg[S + aj[k]] += 1
    start = np.zeros(N + 1, np.int64)
    for v in range(N):
        start[v + 1] = start[v] + deg[v]
    fill = start[:-1].copy()
    nbr = np.empty(2 * (N - 1), np.int64)
    flo = np.empty(2 * (N - 1))
    for k in range(N - 1):
        s, t = ai[k], S + aj[k]
        nbr[fill[s]] = t
        flo[fill[s]] = af[k]
        fill[s] += 1
        nbr[fill[t]] = s
        flo[fill[t]] = af[k]
        fill[t] += 1
    parent = np.full(N, -1, np.int64)
    depth = np.zeros(N, np.int64)
    pflow = np.zeros(N)
    first_child = np.full(N, -1, np.int64)
    next_sib = np.full(N, -1, np.int64)
    prev_sib = np.full(N, -1, np.int64)
    seen = np.zeros(N, np.bool_)
    stack = np.empty(N, np.int64)
    top = 0
    stack[0] = 0
    seen[0] = True
    top = 1
    while top > 0:
        top -= 1
        v = stack[top]
        for e in range(start[v], start[v + 1]):
            w = nbr[e]
            if not seen[w]:
                seen[w] = True
                _link(w, v, parent, first_child, next_sib, prev_sib)
                depth[w] = depth[v] + 1
                pflow[w] = flo[e]
                stack[top] = w
                top += 1
    return parent, depth, pflow, first_child, next_sib, prev_sib


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


@njit(cache=True, nogil=True)
def simplex(M, n, nt, corner, S, T, parent, depth, pflow, first_child, next_sib, prev_sib, pi, tol, max_pivots,
            start_arc, block_factor):
    """Pivot the tree to optimality for the costs ``M`` (in place). Returns ``(status, pivots, next_arc)``:
    status 1 optimal, 3 pivot limit reached."""
    N = S + T
    stack = np.empty(N, np.int64)
    pi[0] = 0.0
    _potentials(M, n, nt, corner, S, pi, first_child, next_sib, 0, stack)
    n_arcs = S * T
    block = max(int(block_factor * np.sqrt(n_arcs)), 16)
    arc = start_arc % n_arcs
    pivots = 0
    while True:
        # entering arc: block search
        best = -tol
        bi = -1
        bj = -1
        scanned = 0
        while scanned < n_arcs:
            lim = min(block, n_arcs - scanned)
            for _ in range(lim):
                i = arc // T
                j = arc - i * T
                r = _arc_cost(M, n, nt, corner, i, j) - pi[i] - pi[S + j]
                if r < best:
                    best = r
                    bi = i
                    bj = j
                arc += 1
                if arc == n_arcs:
                    arc = 0
            scanned += lim
            if bi >= 0:
                break
        if bi < 0:
            return 1, pivots, arc
        if pivots >= max_pivots:
            return 3, pivots, arc
        pivots += 1
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
        # flows around the cycle
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
        # reverse the path lo -> ... -> out
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
        while top > 0:
            top -= 1
            w = stack[top]
            if w < S:
                pi[w] += delta if lo < S else -delta
            else:
                pi[w] += delta if lo >= S else -delta
            c = first_child[w]
            while c >= 0:
                depth[c] = depth[w] + 1
                stack[top] = c
                top += 1
                c = next_sib[c]


@njit(cache=True, nogil=True)
def tree_plan(parent, pflow, S, n, nt):
    """The real block (n x n') of the tree's flows."""
    V = np.zeros((n, nt))
    for v in range(parent.size):
        w = parent[v]
        if w < 0:
            continue
        if v < S:
            i, j = v, w - S
        else:
            i, j = w, v - S
        if i < n and j < nt:
            V[i, j] += pflow[v]
    return V


@njit(cache=True, nogil=True)
def _find(uf, x):
    while uf[x] != x:
        uf[x] = uf[uf[x]]
        x = uf[x]
    return x


@njit(cache=True, nogil=True)
def tree_from_plan(V, a, b, n, nt, floor):
    """A basis tree holding the support of the plan ``V`` (real block; one dummy row and / or column at most,
    their flows read off the masses), completed by zero-flow arcs, with its flows recomputed from the masses.

    Entries ``<= floor`` count as zero. Returns the arrays of :func:`nw_tree`.
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
                ri, rj = _find(uf, i), _find(uf, S + j)
                if ri != rj and k < N - 1:
                    uf[ri] = rj
                    ai[k], aj[k] = i, j
                    k += 1
    if kc == 1:
        for i in range(n):
            if a[i] - rows[i] > floor:
                ri, rj = _find(uf, i), _find(uf, S + nt)
                if ri != rj and k < N - 1:
                    uf[ri] = rj
                    ai[k], aj[k] = i, nt
                    k += 1
    if kr == 1:
        for j in range(nt):
            if b[j] - cols[j] > floor:
                ri, rj = _find(uf, n), _find(uf, S + j)
                if ri != rj and k < N - 1:
                    uf[ri] = rj
                    ai[k], aj[k] = n, j
                    k += 1
    # zero-flow arcs joining the remaining components (a spanning tree needs N - 1 arcs)
    for i in range(S):
        if k == N - 1:
            break
        for j in range(T):
            ri, rj = _find(uf, i), _find(uf, S + j)
            if ri != rj:
                uf[ri] = rj
                ai[k], aj[k] = i, j
                k += 1
                if k == N - 1:
                    break
    return tree_from_arcs(ai, aj, a, b)


@njit(cache=True, nogil=True)
def tree_from_arcs(ai, aj, a, b):
    """The basis tree of the N - 1 arcs ``(ai[k], aj[k])`` (sources, sinks), rooted at node 0, with the flows
    that meet the masses ``a``, ``b`` (recomputed leaf to root; negative rounding residue set to 0)."""
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
    for t in range(N - 1, 0, -1):
        v = order[t]
        f = excess[v] if v < S else -excess[v]
        pflow[v] = f if f > 0.0 else 0.0
        excess[parent[v]] += excess[v]
    return parent, depth, pflow, first_child, next_sib, prev_sib
