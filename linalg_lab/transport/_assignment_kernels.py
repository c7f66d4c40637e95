"""Numba kernel: successive shortest paths for min-cost k-matchings on a dense cost matrix.

The assignment problem is a min-cost flow: source -> every row (capacity 1,
cost 0), row i -> column j (capacity 1, cost ``M[i, j]``), every column ->
sink (capacity 1, cost 0). Successive shortest paths (SSP) augment one unit
along a shortest source-sink path of the residual graph at a time; after k
augmentations the flow is a min-cost flow of value k, that is, a min-cost
k-matching (Ahuja, Magnanti & Orlin 1993, Thm 9.12). Edge costs are kept
non-negative by Johnson potentials ``pi`` (reduced cost
``c(u, v) + pi(u) - pi(v)``), so each shortest path is one dense Dijkstra.

Invariants that make the Dijkstra cheap (the multi-source Hungarian method):

* every free row has the potential of the source and every free column that
  of the sink, so all free rows start at distance 0 and the first free
  column that Dijkstra settles ends the search;
* a matched row is reached only through its own column (the reversed
  matched edge, reduced cost 0), so rows never enter the priority scan:
  the scan runs over columns only, ``O(m)`` per settled column;
* the distance from "any free row" to column j is the minimum of
  ``M[i, j]`` over free rows i plus a constant; that minimum is kept per
  column and only recomputed for the columns whose argmin row got matched.

A path never passes through the source or the sink again, so a matched row
or column stays matched: the sets of matched rows and columns grow by one
each step (the entering orders), while the pairing inside them may change.

Stopping Dijkstra at the sink and capping every distance at the sink's
(``pi += min(d, d_t)``) keeps all reduced costs >= 0; subtracting ``d_t``
from every potential (a constant shift, reduced costs unchanged) leaves the
nodes that were not settled untouched, so an update costs only the settled
columns. Each augmentation costs ``O((s + 1) m)`` with ``s`` the number of
settled matched columns, ``O(k m)`` at worst; the whole path
``O(min(n, m)^2 m)``. The caller puts the smaller side on the columns.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _free_row_minimum(M, j, free_rows, n_free):
    """``(min, argmin)`` of ``M[i, j]`` over the free rows (ties: the first in ``free_rows``)."""
    best = np.inf
    arg = -1
    for t in range(n_free):
        i = free_rows[t]
        if M[i, j] < best:
            best = M[i, j]
            arg = i
    return best, arg


@njit(cache=True, nogil=True)
def ssp_path(M, kmax):
    """Run ``kmax`` augmentations of successive shortest paths on the dense cost ``M`` (n x m).

    Returns ``(costs, row_order, col_order, col4row)``: ``costs[k]`` is the
    minimum cost of a k-matching (``k = 0..kmax``, summed from ``M`` afresh
    each step so that no rounding accumulates), ``row_order[k]`` and
    ``col_order[k]`` the row and column that become matched at step ``k + 1``,
    and ``col4row`` the final ``kmax``-matching (``-1``: unmatched row).
    Requires ``0 <= kmax <= min(n, m)`` and finite ``M``.
    """
    n, m = M.shape
    costs = np.zeros(kmax + 1)
    row_order = np.empty(kmax, np.int64)
    col_order = np.empty(kmax, np.int64)
    col4row = np.full(n, -1, np.int64)
    row4col = np.full(m, -1, np.int64)
    if kmax == 0:
        return costs, row_order, col_order, col4row

    # potentials: free rows all share pi(s) = u_free, free columns all share pi(t);
    # u[i] and v[j] are only read for matched rows and for columns
    u = np.zeros(n)
    u_free = 0.0
    v = np.full(m, M.min())  # pi(j) = min M makes every reduced cost >= 0
    # per column: the cheapest free row and its cost
    free_rows = np.arange(n)
    pos_in_free = np.arange(n)
    n_free = n
    minfree = np.empty(m)
    argfree = np.empty(m, np.int64)
    for j in range(m):
        minfree[j], argfree[j] = _free_row_minimum(M, j, free_rows, n_free)

    d = np.empty(m)
    pred = np.empty(m, np.int64)
    todo = np.empty(m, np.int64)
    settled = np.empty(m, np.int64)

    for k in range(kmax):
        # Dijkstra from the source; free rows sit at distance 0
        best = np.inf
        best_t = 0
        best_free = False
        for j in range(m):
            todo[j] = j
            dj = minfree[j] + u_free - v[j]
            d[j] = dj
            pred[j] = argfree[j]
            # ties go to a free column: the search stops sooner
            if dj < best or (dj == best and not best_free and row4col[j] < 0):
                best = dj
                best_t = j
                best_free = row4col[j] < 0
        n_todo = m
        n_settled = 0
        sink = -1
        while True:
            j = todo[best_t]
            n_todo -= 1
            todo[best_t] = todo[n_todo]
            settled[n_settled] = j
            n_settled += 1
            i = row4col[j]
            if i < 0:
                sink = j
                break
            # row i is reached through its matched edge at the same distance; relax its edges
            h = d[j] + u[i]
            best = np.inf
            best_t = 0
            best_free = False
            for t in range(n_todo):
                jj = todo[t]
                cand = h + M[i, jj] - v[jj]
                if cand < d[jj]:
                    d[jj] = cand
                    pred[jj] = i
                dj = d[jj]
                if dj < best or (dj == best and not best_free and row4col[jj] < 0):
                    best = dj
                    best_t = t
                    best_free = row4col[jj] < 0

        # potentials: pi += min(d, d_t) - d_t, touching the settled columns and their rows only
        dt = d[sink]
        for t in range(n_settled):
            j = settled[t]
            shift = d[j] - dt
            v[j] += shift
            i = row4col[j]
            if i >= 0:
                u[i] += shift
        u_free -= dt

        # augment along the path sink <- ... <- free row
        j = sink
        while True:
            i = pred[j]
            j_next = col4row[i]
            row4col[j] = i
            col4row[i] = j
            if j_next < 0:
                break
            j = j_next
        start = i
        # the new matched row keeps the source's potential (its edge to s is tight)
        u[start] = u_free
        row_order[k] = start
        col_order[k] = sink

        # the start row leaves the free set; refresh the columns whose cheapest free row it was
        p = pos_in_free[start]
        n_free -= 1
        last = free_rows[n_free]
        free_rows[p] = last
        pos_in_free[last] = p
        for jj in range(m):
            if argfree[jj] == start:
                minfree[jj], argfree[jj] = _free_row_minimum(M, jj, free_rows, n_free)

        total = 0.0
        for t in range(k + 1):
            r = row_order[t]
            total += M[r, col4row[r]]
        costs[k + 1] = total

    return costs, row_order, col_order, col4row
