"""Numba kernel of exact 1-D partial OT for every transported mass: successive shortest paths on a line.

Points ``x`` (n of them) and ``y`` (n2) with unit masses on the real line, cost
``c(d) = |d|^p`` with ``p >= 1`` (convex and strictly increasing in ``|d|``).
Optimal partial matchings of ``k = 1, 2, ...`` pairs are computed one after the
other; each is the previous one plus the cheapest augmenting path (successive
shortest paths, so the matched sets are nested and the marginal costs
non-decreasing). The 1-D structure makes each path O(1) to find:

* In an optimal matching no unmatched point lies strictly between two matched
  partners (matching it instead would be cheaper), so in the merged sorted
  order the unmatched ("free") points split the line into *segments* of
  matched points; a segment is balanced (no pair crosses a free point) and
  matched in sorted order (optimal for a convex cost).
* The next augmenting path joins two free points ``u < w`` of opposite kinds
  that are *consecutive* among the free points (any free point between them
  would end up inside a pair). The segment ``S`` between them is rematched
  shifted by one: with ``u`` an x-point, ``u`` takes ``S``'s first y, each x
  of ``S`` the next y, and ``S``'s last x takes ``w``. Its marginal cost

      mu(u, w) = c(u - Y_1) + sum_i [c(X_i - Y_{i+1}) - c(X_i - Y_i)] + c(X_r - w)

  depends on ``u``, ``w`` and ``S`` only, so it never changes while both stay
  free and consecutive: a heap of these candidates, with stale entries
  skipped when popped, yields each step.
* After ``(u, w)`` is taken, ``L + u + S + w + R`` (with the segments ``L``
  left of ``u`` and ``R`` right of ``w``) is one segment and the free points
  around it become consecutive: one new candidate. Its cost needs the
  segment's shifted sums ``Dp = sum c(X_i - Y_{i+1}) - sum c(X_i - Y_i)``
  (and ``Dm`` for the other direction), which combine from those of ``L``,
  ``R`` and the middle part; the middle part's sum in the direction of its own
  shift is ``-mu``, the other one is a loop over ``S`` (shift by two).

So the work is O(N log N) for the heap plus the total length of those loops,
which is small when the two samples interleave and grows towards O(N^2) when
one sample lies mostly on one side of the other (long nested chains of pairs).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_opts = dict(cache=True, nogil=True)

P_ONE, P_TWO, P_OTHER = 1, 2, 0  # cost kinds: |d|, d^2, |d|^p


@njit(inline="always")
def _c(d, p, kind):
    if kind == P_TWO:
        return d * d
    d = abs(d)
    if kind == P_ONE:
        return d
    return d ** p


@njit(**_opts)
def _shift_sum(xs, ys, ax, ay, r, x_leads, p, kind):
    """Middle part of a new segment: sum_i [c(X_i - Y_{i+1}) - c(X_i - Y_i)] - c(X_r - Y_r) shifted by one more.

    The middle part is ``xs[ax:ax+r+1]``, ``ys[ay:ay+r+1]`` (``r`` pairs of the
    inner segment plus the two new points). ``x_leads``: pair ``X_i`` with
    ``Y_{i+1}`` (else ``X_{i+1}`` with ``Y_i``).
    """
    s = 0.0
    # one loop per cost kind so that LLVM sees a branch-free body
    if x_leads:
        if kind == P_TWO:
            for i in range(r):
                xv = xs[ax + i]
                d1 = xv - ys[ay + i + 1]
                d0 = xv - ys[ay + i]
                s += d1 * d1 - d0 * d0
        elif kind == P_ONE:
            for i in range(r):
                xv = xs[ax + i]
                s += abs(xv - ys[ay + i + 1]) - abs(xv - ys[ay + i])
        else:
            for i in range(r):
                xv = xs[ax + i]
                s += abs(xv - ys[ay + i + 1]) ** p - abs(xv - ys[ay + i]) ** p
    else:
        if kind == P_TWO:
            for i in range(r):
                yv = ys[ay + i]
                d1 = xs[ax + i + 1] - yv
                d0 = xs[ax + i] - yv
                s += d1 * d1 - d0 * d0
        elif kind == P_ONE:
            for i in range(r):
                yv = ys[ay + i]
                s += abs(xs[ax + i + 1] - yv) - abs(xs[ax + i] - yv)
        else:
            for i in range(r):
                yv = ys[ay + i]
                s += abs(xs[ax + i + 1] - yv) ** p - abs(xs[ax + i] - yv) ** p
    return s - _c(xs[ax + r] - ys[ay + r], p, kind)


@njit(**_opts)
def _push(hk, hu, hw, hn, key, u, w):
    i = hn
    while i > 0:
        par = (i - 1) // 2
        if hk[par] < key or (hk[par] == key and hu[par] <= u):
            break
        hk[i] = hk[par]
        hu[i] = hu[par]
        hw[i] = hw[par]
        i = par
    hk[i] = key
    hu[i] = u
    hw[i] = w
    return hn + 1


@njit(**_opts)
def _pop(hk, hu, hw, hn):
    """Remove the root (ties broken by the left end, for determinism); returns the new size."""
    hn -= 1
    key = hk[hn]
    u = hu[hn]
    w = hw[hn]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= hn:
            break
        if c + 1 < hn and (hk[c + 1] < hk[c] or (hk[c + 1] == hk[c] and hu[c + 1] < hu[c])):
            c += 1
        if hk[c] > key or (hk[c] == key and hu[c] >= u):
            break
        hk[i] = hk[c]
        hu[i] = hu[c]
        hw[i] = hw[c]
        i = c
    hk[i] = key
    hu[i] = u
    hw[i] = w
    return hn


@njit(**_opts)
def partial_1d(z, is_y, orig, kmax, p, kind):
    """Insertion order and marginal costs of the first ``kmax`` steps (see the module docstring).

    ``z``: all points sorted (ties: any fixed order); ``is_y[t]``: point ``t``
    belongs to the second sample; ``orig[t]``: its index in its own sample.
    Returns ``(ix, iy, costs)`` of length ``min(kmax, n, n2)``.
    """
    N = z.shape[0]
    cx = np.zeros(N + 1, np.int64)  # x-points before position t: position -> index into xs
    cy = np.zeros(N + 1, np.int64)
    for t in range(N):
        cx[t + 1] = cx[t] + (1 - is_y[t])
        cy[t + 1] = cy[t] + is_y[t]
    xs = np.empty(cx[N])
    ys = np.empty(cy[N])
    for t in range(N):
        if is_y[t]:
            ys[cy[t]] = z[t]
        else:
            xs[cx[t]] = z[t]
    prv = np.arange(-1, N - 1)  # doubly linked list of the free points
    nxt = np.arange(1, N + 1)
    free = np.ones(N, np.bool_)
    # shifted sums of the segment right of free point t (index N: the segment before the first free point)
    Dp = np.zeros(N + 1)
    Dm = np.zeros(N + 1)
    cap = 2 * N + 2
    hk = np.empty(cap)
    hu = np.empty(cap, np.int64)
    hw = np.empty(cap, np.int64)
    hn = 0
    for t in range(N - 1):
        if is_y[t] != is_y[t + 1]:
            hn = _push(hk, hu, hw, hn, _c(z[t] - z[t + 1], p, kind), t, t + 1)
    kmax = min(kmax, cx[N], cy[N])
    ix = np.empty(kmax, np.int64)
    iy = np.empty(kmax, np.int64)
    costs = np.empty(kmax)
    k = 0
    while k < kmax and hn > 0:
        mu = hk[0]
        u = hu[0]
        w = hw[0]
        hn = _pop(hk, hu, hw, hn)
        if not (free[u] and free[w] and nxt[u] == w):
            continue  # stale: an end was taken, or the pair is no longer consecutive
        if is_y[u]:
            ix[k] = orig[w]
            iy[k] = orig[u]
        else:
            ix[k] = orig[u]
            iy[k] = orig[w]
        costs[k] = mu
        k += 1
        free[u] = False
        free[w] = False
        pu = prv[u]
        nw = nxt[w]
        kl = pu if pu >= 0 else N
        # the middle part u..w: xs[ax:ax+r+1], ys[ay:ay+r+1]
        ax = cx[u]
        ay = cy[u]
        r = cx[w + 1] - ax - 1
        if is_y[u]:
            dp = -mu  # the middle is rematched with X_{i+1} ~ Y_i; pairing X_i ~ Y_{i+1} is the old one
            dm = _shift_sum(xs, ys, ax, ay, r, False, p, kind)
        else:
            dm = -mu
            dp = _shift_sum(xs, ys, ax, ay, r, True, p, kind)
        # glue the segments L (left of u) and R (right of w) on either side
        if ax > cx[pu + 1]:
            dp += Dp[kl] + _c(xs[ax - 1] - ys[ay], p, kind)
            dm += Dm[kl] + _c(xs[ax] - ys[ay - 1], p, kind)
        if cx[nw] > cx[w + 1]:
            dp += Dp[w] + _c(xs[ax + r] - ys[ay + r + 1], p, kind)
            dm += Dm[w] + _c(xs[ax + r + 1] - ys[ay + r], p, kind)
        Dp[kl] = dp
        Dm[kl] = dm
        if pu >= 0:
            nxt[pu] = nw
        if nw < N:
            prv[nw] = pu
        if pu >= 0 and nw < N and is_y[pu] != is_y[nw]:
            bx = cx[pu + 1]  # the segment between them holds at least u and w
            by = cy[pu + 1]
            if is_y[pu]:
                key = _c(xs[bx] - z[pu], p, kind) + dm + _c(z[nw] - ys[cy[nw] - 1], p, kind)
            else:
                key = _c(z[pu] - ys[by], p, kind) + dp + _c(xs[cx[nw] - 1] - z[nw], p, kind)
            hn = _push(hk, hu, hw, hn, key, pu, nw)
    return ix[:k], iy[:k], costs[:k]
