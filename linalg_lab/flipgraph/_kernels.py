"""Kernels of the flip graph: one set of move bodies for the general and the
cyclic-symmetric walks, over F2, F3 and Z_T = {-1, 0, 1}, for two targets.

Each function is compiled by ``numba.njit`` for the CPU, and the same source
again as a CUDA device function for the GPU batch walk (:mod:`._cuda`;
:func:`linalg_lab._targets.kernel`): what is written here must stay valid
CUDA too (no allocation, no exceptions, uint64 constants as ``np.uint64``).

Every function takes the walker's :class:`~linalg_lab.flipgraph.state.WalkerState`
``st`` (layout, cells and tables are described there) and works on *cells*: the
factor of cell ``x`` belongs to unit ``x >> 2`` (a term, or an orbit of three
terms) and the term read from it has its next factors at the cells rotated
by one and two places (:func:`_rot`). A general term read from its position
``i`` and an orbit read from its rotation ``i`` are then the same thing, so
flip, plus, merge and delete are written once. Units hold a sign ``S``; every
stored factor is normalised (first nonzero coefficient +1) so factors equal
up to sign are equal words. Ring arithmetic comes from :mod:`linalg_lab.fields.words`;
a move whose Z_T sum would leave {-1, 0, 1} is refused before anything changes.

Moves (Kauers & Moosbauer, "Flip graphs for matrix multiplication", 2022;
Arai, Ichikawa & Hukushima, "Adaptive flip graph algorithm", 2024; the
symmetric walk of Moosbauer & Poole, 2025): flip, reduction (merge of two
units equal in two positions, or removal of a unit with a zero factor) and
plus transition and split (rank + 1 term, or + 1 orbit; the split is one of
Perminov's moves for the ternary flip graph, 2025).
"""

from __future__ import annotations

import numpy as np
from .._targets import kernel

from ..fields.words import RING_F2, RING_F3, RING_ZT, add, is_zero, normalise, popcount, scale, subtract
from .state import (M_BEST, M_BEST_COST, M_BEST_FLIPS, M_CAP, M_COST, M_DIRECT, M_FLEN, M_FLIPS, M_GEN0, M_HBITS,
                    M_PLUS, M_RANK, M_REDUCTIONS, M_REJECTED, M_RING, M_SINCE, M_STACK, M_SYM, M_TMASK, M_USED0,
                    P_MARGIN, P_MAX_FLIPS, P_PLATEAU, P_SPLIT, P_STOP_AT_DROP, P_TARGET)

U64 = np.uint64
# Every array index goes through _u: numba wraps negative indices around for
# signed integers only, and that fix-up on each table access costs about a
# fifth of the flip rate. Indices here are never negative.
_u = np.uint64
ONE = np.uint64(1)

# The flip body is inlined into the walk at numba level, once per common (ring, layout) so that each copy
# sees them as constants; everything below it is left to LLVM's inliner, which keeps compile time down
# (a cold compile of the walk takes less time than the two separate kernels it replaced).
_inline = dict(cache=True, _nrt=False, inline="always")
_leaf = dict(cache=True, _nrt=False)


# --------------------------------------------------------------------- random numbers
@kernel(**_leaf)
def _rand(rng):
    """xorshift64* step on rng[0]; returns a uint64."""
    x = rng[0]
    x ^= x >> U64(12)
    x ^= x << U64(25)
    x ^= x >> U64(27)
    rng[0] = x
    return x * U64(0x2545F4914F6CDD1D)


@kernel(**_leaf)
def _randint(rng, n):
    """Uniform in [0, n) for 0 < n < 2**31 by multiply-shift (no division in the inner loop)."""
    return np.int64(((_rand(rng) >> U64(32)) * U64(n)) >> U64(32))


# --------------------------------------------------------------------- cells
@kernel(**_leaf)
def _rot(i, d):
    """(i + d) mod 3 for i in 0..2, d in 0..2."""
    t = i + d
    if t >= 3:
        t -= 3
    return t


@kernel(**_leaf)
def _tab(tmask, x):
    """Table of cell x: its position (general walk, tmask 3) or the one table (symmetric walk, tmask 0)."""
    return (x & 3) & tmask


@kernel(**_leaf)
def _same(st, x, y):
    return st.F[_u(x), 0] == st.F[_u(y), 0] and st.F[_u(x), 1] == st.F[_u(y), 1]


@kernel(**_leaf)
def _zero(st, x):
    return is_zero(st.F[_u(x), 0], st.F[_u(x), 1])


# --------------------------------------------------------------------- tables
@kernel(**_leaf)
def _hash(k0, k1, hbits):
    # Fibonacci hashing: one multiply; the top bits mix all key bits well enough for linear probing
    h = (k0 ^ (k1 << U64(32)) ^ (k1 >> U64(32))) * U64(0x9E3779B97F4A7C15)
    return np.int64(h >> U64(64 - hbits))


@kernel(**_leaf)
def _find(st, m, k0, k1, g, hbits, direct):
    if direct > 0:
        i = np.int64(k0 | (k1 << U64(direct)))
        return i, st.sgen[_u(m), _u(i)] == g
    mask = (1 << hbits) - 1
    i = _hash(k0, k1, hbits)
    while st.sgen[_u(m), _u(i)] == g:
        if st.keys[_u(m), _u(i), 0] == k0 and st.keys[_u(m), _u(i), 1] == k1:
            return i, True
        i = (i + 1) & mask
    return i, False


@kernel(**_leaf)
def _insert(st, m, x):
    """Enter cell x into table m."""
    meta = st.meta
    hbits = meta[M_HBITS]
    g = np.int32(meta[M_GEN0 + m])
    k0 = st.F[_u(x), 0]
    k1 = st.F[_u(x), 1]
    direct = meta[M_DIRECT]
    slot, found = _find(st, m, k0, k1, g, hbits, direct)
    if not found:
        st.keys[_u(m), _u(slot), 0] = k0
        st.keys[_u(m), _u(slot), 1] = k1
        st.sgen[_u(m), _u(slot)] = g
        st.cnt[_u(m), _u(slot)] = 0
        st.head[_u(m), _u(slot)] = -1
        st.fpos[_u(m), _u(slot)] = -1
        if direct == 0:      # a direct table never fills up
            meta[M_USED0 + m] += 1
    h = st.head[_u(m), _u(slot)]
    st.nxt[_u(x)] = h
    st.prv[_u(x)] = -1
    if h >= 0:
        st.prv[_u(h)] = x
    st.head[_u(m), _u(slot)] = x
    st.cnt[_u(m), _u(slot)] += 1
    st.tslot[_u(x)] = slot
    if st.cnt[_u(m), _u(slot)] == 2:
        n = meta[M_FLEN]
        st.flist[_u(n)] = (m << hbits) + slot
        st.fpos[_u(m), _u(slot)] = n
        meta[M_FLEN] = n + 1


@kernel(**_leaf)
def _remove(st, m, x):
    """Take cell x out of table m."""
    meta = st.meta
    slot = st.tslot[_u(x)]
    p = st.prv[_u(x)]
    n = st.nxt[_u(x)]
    if p >= 0:
        st.nxt[_u(p)] = n
    else:
        st.head[_u(m), _u(slot)] = n
    if n >= 0:
        st.prv[_u(n)] = p
    st.cnt[_u(m), _u(slot)] -= 1
    if st.cnt[_u(m), _u(slot)] == 1:
        hbits = meta[M_HBITS]
        i = st.fpos[_u(m), _u(slot)]
        last = meta[M_FLEN] - 1
        e = st.flist[_u(last)]
        st.flist[_u(i)] = e
        st.fpos[_u(e >> hbits), _u(e & ((1 << hbits) - 1))] = i
        meta[M_FLEN] = last
        st.fpos[_u(m), _u(slot)] = -1
    st.tslot[_u(x)] = -1


@kernel(**_inline)
def _set(st, x, a0, a1, tmask):
    """Give cell x the factor (a0, a1), keeping its table entry in step (zero factors are not entered)."""
    m = _tab(tmask, x)
    if st.tslot[_u(x)] >= 0:
        _remove(st, m, x)
    st.F[_u(x), 0] = a0
    st.F[_u(x), 1] = a1
    if not is_zero(a0, a1):
        _insert(st, m, x)


@kernel(cache=True, _nrt=False)
def _rebuild(st, m):
    """Start table m afresh (new generation) and re-enter the live cells it holds."""
    meta = st.meta
    hbits = meta[M_HBITS]
    # drop table m's flips from the flip list
    n = meta[M_FLEN]
    j = 0
    for i in range(n):
        e = st.flist[_u(i)]
        if (e >> hbits) != m:
            st.flist[_u(j)] = e
            st.fpos[_u(e >> hbits), _u(e & ((1 << hbits) - 1))] = j
            j += 1
    meta[M_FLEN] = j
    meta[M_GEN0 + m] += 1
    meta[M_USED0 + m] = 0
    tmask = meta[M_TMASK]
    for t in range(meta[M_RANK]):
        for k in range(3):
            x = 4 * t + k
            if _tab(tmask, x) == m:
                st.tslot[_u(x)] = -1
                if not _zero(st, x):
                    _insert(st, m, x)


@kernel(**_leaf)
def _push(st, x):
    """Remember that cell x changed: a reduction may now be possible there."""
    n = st.meta[M_STACK]
    if n < st.stack.shape[0]:
        st.stack[_u(n)] = x
        st.meta[M_STACK] = n + 1


# --------------------------------------------------------------------- set-up
@kernel(cache=True, _nrt=False)
def init_state(st, units, ring, hbits, direct, symmetric):
    """Normalise the units in F/S, drop those with a zero factor, build the tables, merge at once.

    Counters start at zero; every table is empty (generation 1) before the cells enter.
    """
    meta = st.meta
    meta[:] = 0
    meta[M_RING] = ring
    meta[M_HBITS] = hbits
    meta[M_DIRECT] = direct
    meta[M_CAP] = st.S.shape[0]
    meta[M_SYM] = symmetric
    meta[M_TMASK] = 0 if symmetric else 3
    ntab = st.sgen.shape[0]
    for m in range(ntab):
        meta[M_GEN0 + m] = 1
    st.sgen[:, :] = 0
    st.tslot[:] = -1
    out = 0
    for t in range(units):
        zero = False
        for k in range(3):
            x = 4 * t + k
            s, a0, a1 = normalise(st.F[_u(x), 0], st.F[_u(x), 1])
            st.F[_u(x), 0] = a0
            st.F[_u(x), 1] = a1
            if s < 0:
                st.S[_u(t)] = -st.S[_u(t)]
            if is_zero(a0, a1):
                zero = True
        if not zero:
            for k in range(3):
                st.F[_u(4 * out + k), 0] = st.F[_u(4 * t + k), 0]
                st.F[_u(4 * out + k), 1] = st.F[_u(4 * t + k), 1]
            st.S[_u(out)] = st.S[_u(t)]
            out += 1
    meta[M_RANK] = out
    tmask = meta[M_TMASK]
    for k in range(3):
        for t in range(out):
            _insert(st, _tab(tmask, 4 * t + k), 4 * t + k)
    # merge units that are equal in two positions right away (a general term is
    # checked from two of its factors, an orbit from all three rotations)
    checks = 3 if symmetric else 2
    t = 0
    while t < meta[M_RANK]:
        for q in range(checks):
            _push(st, 4 * t + q)
            meta[M_REDUCTIONS] += _reduce(st)
        t += 1
    meta[M_BEST] = meta[M_RANK]


# --------------------------------------------------------------------- reductions
@kernel(cache=True, _nrt=False)
def _delete_unit(st, o):
    """Remove unit o (a term, or an orbit of three); the last unit moves into index o."""
    meta = st.meta
    tmask = meta[M_TMASK]
    for k in range(3):
        x = 4 * o + k
        if st.tslot[_u(x)] >= 0:
            _remove(st, _tab(tmask, x), x)
    last = meta[M_RANK] - 1
    if o != last:
        for k in range(3):
            y = 4 * last + k
            if st.tslot[_u(y)] >= 0:
                _remove(st, _tab(tmask, y), y)
            st.F[_u(4 * o + k), 0] = st.F[_u(y), 0]
            st.F[_u(4 * o + k), 1] = st.F[_u(y), 1]
        st.S[_u(o)] = st.S[_u(last)]
        for k in range(3):
            x = 4 * o + k
            if not _zero(st, x):
                _insert(st, _tab(tmask, x), x)
    meta[M_RANK] = last
    # pending checks follow the renaming
    for i in range(meta[M_STACK]):
        q = st.stack[_u(i)] >> 2
        if q == o:
            st.stack[_u(i)] = -1
        elif q == last:
            st.stack[_u(i)] = st.stack[_u(i)] - 4 * last + 4 * o


@kernel(cache=True, _nrt=False)
def _reduce(st):
    """Process the stack of changed cells: drop units with a zero factor, merge two
    units whose terms agree in two positions. Returns the number of reductions."""
    meta = st.meta
    ring = meta[M_RING]
    tmask = meta[M_TMASK]
    done = 0
    while meta[M_STACK] > 0:
        n = meta[M_STACK] - 1
        meta[M_STACK] = n
        x = st.stack[_u(n)]
        if x < 0 or x >= 4 * meta[M_RANK]:
            continue
        o = x >> 2
        k = x & 3
        if _zero(st, x):
            _delete_unit(st, o)
            done += 1
            continue
        slot = st.tslot[_u(x)]
        m = _tab(tmask, x)
        if slot < 0 or st.cnt[_u(m), _u(slot)] < 2:
            continue
        y = st.head[_u(m), _u(slot)]
        while y >= 0:
            o2 = y >> 2
            if o2 != o:
                j = y & 3
                x1 = 4 * o + _rot(k, 1)
                x2 = 4 * o + _rot(k, 2)
                y1 = 4 * o2 + _rot(j, 1)
                y2 = 4 * o2 + _rot(j, 2)
                tgt = -1
                src = -1
                if _same(st, x1, y1):
                    tgt = x2
                    src = y2
                elif _same(st, x2, y2):
                    tgt = x1
                    src = y1
                if tgt >= 0:
                    # the two terms agree in two positions: sum the third into o, drop o2
                    a0, a1 = scale(st.S[_u(o)], st.F[_u(tgt), 0], st.F[_u(tgt), 1])
                    b0, b1 = scale(st.S[_u(o2)], st.F[_u(src), 0], st.F[_u(src), 1])
                    ok, c0, c1 = add(ring, a0, a1, b0, b1)
                    if ok:
                        s, c0, c1 = normalise(c0, c1)
                        _set(st, tgt, c0, c1, tmask)
                        st.S[_u(o)] = s
                        # o may move if o2 is the last unit: push first, _delete_unit renames it
                        _push(st, tgt)
                        _delete_unit(st, o2)
                        done += 1
                        break
            y = st.nxt[_u(y)]
    return done


# --------------------------------------------------------------------- moves
@kernel(**_inline)
def flip(st, x, y, d, ring, tmask):
    """Flip the terms read from cells x and y (different units, equal factor a).

    With b the factor ``d`` places after a and c the remaining one:
    a (x) B_x (x) c_x + a (x) B_y (x) c_y = a (x) (B_x + B_y) (x) c_x + a (x) B_y (x) (c_y - c_x),
    the signs of the units absorbed into B. For an orbit this is the flip and
    its two rotated images at once. Over Z_T, when that sum would leave
    {-1, 0, 1}, the flip with multiplier -1 is tried. Returns the reductions
    that followed, or -1 when the move was refused (both overflow).
    ``ring`` and ``tmask`` are those of ``meta`` (passed in so that the walk's
    specialised copies see them as constants).
    """
    meta = st.meta
    o1 = x >> 2
    o2 = y >> 2
    i = x & 3
    j = y & 3
    xb = 4 * o1 + _rot(i, d)
    yb = 4 * o2 + _rot(j, d)
    xc = 4 * o1 + _rot(i, 3 - d)
    yc = 4 * o2 + _rot(j, 3 - d)
    b10, b11 = scale(st.S[_u(o1)], st.F[_u(xb), 0], st.F[_u(xb), 1])
    b20, b21 = scale(st.S[_u(o2)], st.F[_u(yb), 0], st.F[_u(yb), 1])
    ok1, s0, s1 = add(ring, b10, b11, b20, b21)
    ok2, d0, d1 = subtract(ring, st.F[_u(yc), 0], st.F[_u(yc), 1], st.F[_u(xc), 0], st.F[_u(xc), 1])
    if not (ok1 and ok2):
        if ring != RING_ZT:
            return -1
        # Z_T has two multipliers: a (x) (B_x - B_y) (x) c_x + a (x) B_y (x) (c_y + c_x) is the same sum.
        # Trying it when the first overflows turns most refused flips into moves.
        ok1, s0, s1 = subtract(ring, b10, b11, b20, b21)
        ok2, d0, d1 = add(ring, st.F[_u(yc), 0], st.F[_u(yc), 1], st.F[_u(xc), 0], st.F[_u(xc), 1])
        if not (ok1 and ok2):
            return -1
    sx, s0, s1 = normalise(s0, s1)
    sy, d0, d1 = normalise(d0, d1)
    _set(st, xb, s0, s1, tmask)
    st.S[_u(o1)] = sx
    _set(st, yc, d0, d1, tmask)
    st.S[_u(o2)] = st.S[_u(o2)] * sy
    # a reduction is only possible where a changed factor is zero or now shared
    if is_zero(s0, s1) or st.cnt[_u(_tab(tmask, xb)), _u(st.tslot[_u(xb)])] >= 2:
        _push(st, xb)
    if is_zero(d0, d1) or st.cnt[_u(_tab(tmask, yc)), _u(st.tslot[_u(yc)])] >= 2:
        _push(st, yc)
    if meta[M_STACK] == 0:
        return 0
    return _reduce(st)


@kernel(cache=True, _nrt=False)
def plus(st, x, y):
    """Plus transition on the terms read from cells x and y (different units): one unit more.

    Reading each term as (u, v, W), W = sign * w:
    (u1, v1, W1) + (u2, v2, W2) = (u1 + u2, v1, W1) + (u2, v2, W2 - W1) + (u2, v2 - v1, W1).
    Returns the reductions done afterwards, or -1 when refused (Z_T overflow).
    """
    meta = st.meta
    ring = meta[M_RING]
    sym = meta[M_SYM]
    tmask = meta[M_TMASK]
    o1 = x >> 2
    o2 = y >> 2
    i = x & 3
    j = y & 3
    u1 = x
    v1 = 4 * o1 + _rot(i, 1)
    w1 = 4 * o1 + _rot(i, 2)
    u2 = y
    v2 = 4 * o2 + _rot(j, 1)
    w2 = 4 * o2 + _rot(j, 2)
    t = meta[M_RANK]
    W10, W11 = scale(st.S[_u(o1)], st.F[_u(w1), 0], st.F[_u(w1), 1])
    W20, W21 = scale(st.S[_u(o2)], st.F[_u(w2), 0], st.F[_u(w2), 1])
    okd, d0, d1 = subtract(ring, st.F[_u(v2), 0], st.F[_u(v2), 1], st.F[_u(v1), 0], st.F[_u(v1), 1])
    oke, e0, e1 = subtract(ring, W20, W21, W10, W11)
    okf, f0, f1 = add(ring, st.F[_u(u1), 0], st.F[_u(u1), 1], st.F[_u(u2), 0], st.F[_u(u2), 1])
    if not (okd and oke and okf):
        return -1
    sd, d0, d1 = normalise(d0, d1)
    se, e0, e1 = normalise(e0, e1)
    sf, f0, f1 = normalise(f0, f1)
    # the new unit (u2, v2 - v1, W1): a general term keeps the positions of x, an orbit starts at rotation 0
    r0 = 0 if sym else i
    nu = 4 * t + r0
    nv = 4 * t + _rot(r0, 1)
    nw = 4 * t + _rot(r0, 2)
    st.F[_u(nu), 0] = st.F[_u(u2), 0]
    st.F[_u(nu), 1] = st.F[_u(u2), 1]
    st.F[_u(nv), 0] = d0
    st.F[_u(nv), 1] = d1
    st.F[_u(nw), 0] = st.F[_u(w1), 0]
    st.F[_u(nw), 1] = st.F[_u(w1), 1]
    st.S[_u(t)] = sd * st.S[_u(o1)]
    # (u2, v2, W2 - W1) at w2 and (u1 + u2, v1, W1) at u1
    _remove(st, _tab(tmask, w2), w2)
    st.F[_u(w2), 0] = e0
    st.F[_u(w2), 1] = e1
    st.S[_u(o2)] = se
    _remove(st, _tab(tmask, u1), u1)
    st.F[_u(u1), 0] = f0
    st.F[_u(u1), 1] = f1
    st.S[_u(o1)] = sf * st.S[_u(o1)]
    meta[M_RANK] = t + 1
    for k in range(3):
        z = 4 * t + k
        st.tslot[_u(z)] = -1
        if not _zero(st, z):
            _insert(st, _tab(tmask, z), z)
    if not is_zero(e0, e1):
        _insert(st, _tab(tmask, w2), w2)
    if not is_zero(f0, f1):
        _insert(st, _tab(tmask, u1), u1)
    _push(st, u1)
    _push(st, w2)
    if sym:
        for k in range(3):
            _push(st, 4 * t + k)
    else:
        _push(st, nv)
    return _reduce(st)


@kernel(cache=True, _nrt=False)
def split(st, x, y):
    """Split the term read from cell x by the factor a' of cell y (another unit, same table): one unit more.

    (a, b, c) = (a', b, c) + (a - a', b, c), or over Z_T, when a - a' would
    leave {-1, 0, 1}, (a, b, c) = (-a', b, c) + (a + a', b, c). The first
    half now shares a' with y's unit, so flips open up where there were none.
    No reduction is looked for: the two halves share b and c and would merge
    straight back. Returns 0, or -1 when refused (a' equal to a, zero, or a Z_T overflow).
    """
    meta = st.meta
    ring = meta[M_RING]
    tmask = meta[M_TMASK]
    if _same(st, x, y) or _zero(st, y):
        return -1
    o1 = x >> 2
    i = x & 3
    y0 = st.F[_u(y), 0]
    y1 = st.F[_u(y), 1]
    sign = st.S[_u(o1)]
    ok, d0, d1 = subtract(ring, st.F[_u(x), 0], st.F[_u(x), 1], y0, y1)
    keep = sign
    if not ok:
        ok, d0, d1 = add(ring, st.F[_u(x), 0], st.F[_u(x), 1], y0, y1)
        if not ok:
            return -1
        keep = -sign
    sd, d0, d1 = normalise(d0, d1)
    t = meta[M_RANK]
    for k in range(3):
        st.F[_u(4 * t + k), 0] = st.F[_u(4 * o1 + k), 0]
        st.F[_u(4 * t + k), 1] = st.F[_u(4 * o1 + k), 1]
    st.F[_u(4 * t + i), 0] = d0
    st.F[_u(4 * t + i), 1] = d1
    st.S[_u(t)] = sign * sd
    _set(st, x, y0, y1, tmask)
    st.S[_u(o1)] = keep
    meta[M_RANK] = t + 1
    for k in range(3):
        z = 4 * t + k
        st.tslot[_u(z)] = -1
        if not _zero(st, z):
            _insert(st, _tab(tmask, z), z)
    return 0


@kernel(**_leaf)
def _split_pair(st, rng, rank, sym):
    """A cell to split and a donor cell of another unit in the same table; (-1, -1) after 32 misses."""
    for _ in range(32):
        r1 = _randint(rng, rank)
        r2 = _randint(rng, rank)
        if r1 == r2:
            continue
        i = _randint(rng, 3)
        j = _randint(rng, 3) if sym else i
        x = 4 * r1 + i
        y = 4 * r2 + j
        if not _same(st, x, y) and not _zero(st, y):
            return x, y
    return -1, -1


# --------------------------------------------------------------------- the walk
@kernel(**_inline)
def _plus_pair(st, rng, rank, sym):
    """Two terms with no equal factor in the same place, as cells; (-1, -1) after 32 misses.

    A general pair shares its rotation (drawn once the pair is accepted); the
    terms of two orbits are drawn with independent rotations.
    """
    for _ in range(32):
        r1 = _randint(rng, rank)
        i = 0
        if sym:
            i = _randint(rng, 3)
        r2 = _randint(rng, rank)
        j = 0
        if sym:
            j = _randint(rng, 3)
        if r1 == r2:
            continue
        ok = True
        for q in range(3):
            if _same(st, 4 * r1 + _rot(i, q), 4 * r2 + _rot(j, q)):
                ok = False
        if ok:
            if not sym:
                i = _randint(rng, 3)
                j = i
            return 4 * r1 + i, 4 * r2 + j
    return -1, -1


@kernel(**_leaf)
def _escape(st, rng, rank, sym, split_pct):
    """Leave a plateau: a split (``split_pct`` percent of the time) or a plus transition.

    Rare next to flips, so it is a call rather than inlined: the walk's hot loop stays small.
    """
    meta = st.meta
    if split_pct > 0 and _randint(rng, 100) < split_pct:
        x, y = _split_pair(st, rng, rank, sym)
        if x >= 0:
            if split(st, x, y) >= 0:
                meta[M_PLUS] += 1
            else:
                meta[M_REJECTED] += 1
        return
    x, y = _plus_pair(st, rng, rank, sym)
    if x >= 0:
        red = plus(st, x, y)
        if red >= 0:
            meta[M_REDUCTIONS] += red
            meta[M_PLUS] += 1
        else:
            meta[M_REJECTED] += 1


@kernel(**_inline)
def _draw_flip(st, rng, nflip, hbits, hmask):
    """A random flip ``(x, y, d)``: one random word picks the slot, the order of its two cells and
    the sum position (a slot with more than two cells draws its pair separately)."""
    z = _rand(rng)
    e = st.flist[_u(np.int64(((z >> U64(32)) * U64(nflip)) >> U64(32)))]
    m = e >> hbits
    slot = e & hmask
    c = st.cnt[_u(m), _u(slot)]
    x = st.head[_u(m), _u(slot)]
    y = st.nxt[_u(x)]
    if c > 2:
        a = _randint(rng, c)
        b = _randint(rng, c - 1)
        if b >= a:
            b += 1
        k = 0
        t = st.head[_u(m), _u(slot)]
        while t >= 0:
            if k == a:
                x = t
            if k == b:
                y = t
            k += 1
            t = st.nxt[_u(t)]
    elif (z >> U64(30)) & ONE:
        x, y = y, x
    return x, y, 1 + np.int64((z >> U64(31)) & ONE)


@kernel(**_inline)
def _walk(st, ring, sym):
    """Random walk: up to ``params[P_MAX_FLIPS]`` flips, reductions taken at once,
    plus transitions after ``params[P_PLATEAU]`` flips without improvement
    (``params[P_SPLIT]`` percent of them splits instead, :func:`split`).

    Stops early when the rank (in units) reaches ``params[P_TARGET]`` (or drops
    below ``params[P_STOP_AT_DROP]`` when that is positive). Whenever the rank
    beats ``meta[M_BEST]`` the scheme is copied into ``bestF``/``bestS``.
    Returns the number of flips done in this call.
    """
    meta = st.meta
    params = st.params
    rng = st.rng
    hbits = meta[M_HBITS]
    half = (1 << hbits) >> 1
    hmask = (1 << hbits) - 1
    max_flips = params[P_MAX_FLIPS]
    target = params[P_TARGET]
    plateau = params[P_PLATEAU]
    margin = params[P_MARGIN]
    stop_drop = params[P_STOP_AT_DROP]
    split_pct = params[P_SPLIT]
    cap = meta[M_CAP]
    tmask = 0 if sym else 3
    ntab = 1 if sym else 3
    done = 0
    misses = 0
    while done < max_flips:
        for m in range(ntab):
            if meta[M_USED0 + m] > half:
                _rebuild(st, m)
        rank = meta[M_RANK]
        if rank <= target or (stop_drop > 0 and rank < stop_drop):
            break
        nflip = meta[M_FLEN]
        want_plus = plateau > 0 and meta[M_SINCE] >= plateau
        if nflip == 0 or misses > 64 or want_plus:
            misses = 0
            if rank < meta[M_BEST] + margin and rank + 1 < cap and rank >= 2:
                _escape(st, rng, rank, sym, split_pct)
                meta[M_SINCE] = 0
                continue
            elif nflip == 0:
                break
            meta[M_SINCE] = 0
        x, y, d = _draw_flip(st, rng, nflip, hbits, hmask)
        if sym and (x >> 2) == (y >> 2):
            misses += 1             # two factors of one orbit: no flip there
            continue
        # the ring and the layout reach the move body as constants in the common cases
        if ring == RING_F2 and tmask == 3:
            red = flip(st, x, y, d, RING_F2, 3)
        elif ring == RING_F3 and tmask == 3:
            red = flip(st, x, y, d, RING_F3, 3)
        elif ring == RING_F2:
            red = flip(st, x, y, d, RING_F2, 0)
        else:
            red = flip(st, x, y, d, ring, tmask)
        if red < 0:
            meta[M_REJECTED] += 1
            misses += 1
            continue
        misses = 0
        done += 1
        meta[M_FLIPS] += 1
        meta[M_SINCE] += 1
        if red > 0:
            if sym:
                meta[M_SINCE] = 0   # any reduction restarts the symmetric walk's plateau clock (as Poole's solver)
            meta[M_REDUCTIONS] += red
            rank = meta[M_RANK]
            if rank < meta[M_BEST]:
                meta[M_BEST] = rank
                meta[M_BEST_FLIPS] = meta[M_FLIPS]
                meta[M_SINCE] = 0
                for q in range(4 * rank):
                    st.bestF[_u(q), 0] = st.F[_u(q), 0]
                    st.bestF[_u(q), 1] = st.F[_u(q), 1]
                for q in range(rank):
                    st.bestS[_u(q)] = st.S[_u(q)]
    return done


@kernel(cache=True, _nrt=False, nogil=True)
def walk(st):
    """Random walk on ``st`` (see :func:`_walk`); returns the number of flips done in this call.

    One body for every ring and both layouts, the ring and layout read at run time (the GPU batch uses
    it); :func:`walk_for` gives the CPU's walks their own copies, one per ring and layout."""
    return _walk(st, st.meta[M_RING], st.meta[M_SYM])


# The general walk compiled once per ring, the ring a compile-time constant: each copy holds only its
# ring's move bodies. The shared body (all rings, both layouts) is a third larger in machine code, and
# measured 0.80-0.86 of the old kernel's flip rate while a memory-heavy job ran on the other core
# (0.96-0.98 without it); docs/results/flipgraph.md has the A/B.
@kernel(cache=True, _nrt=False, nogil=True)
def walk_f2(st):
    """:func:`walk` of a general walk over F2."""
    return _walk(st, RING_F2, False)


@kernel(cache=True, _nrt=False, nogil=True)
def walk_f3(st):
    """:func:`walk` of a general walk over F3."""
    return _walk(st, RING_F3, False)


@kernel(cache=True, _nrt=False, nogil=True)
def walk_zt(st):
    """:func:`walk` of a general walk over Z_T."""
    return _walk(st, RING_ZT, False)


# The same for the cyclic-symmetric walk: on the shared body it walked 0.77 of 77038e7's flip rate (C3 5x5x5
# over F2, `benchmarks/ab_flip_rate.py`), and its 5x5x5 stints are what take the meta search to rank 93.
@kernel(cache=True, _nrt=False, nogil=True)
def walk_sym_f2(st):
    """:func:`walk` of a cyclic-symmetric walk over F2."""
    return _walk(st, RING_F2, True)


@kernel(cache=True, _nrt=False, nogil=True)
def walk_sym_f3(st):
    """:func:`walk` of a cyclic-symmetric walk over F3."""
    return _walk(st, RING_F3, True)


@kernel(cache=True, _nrt=False, nogil=True)
def walk_sym_zt(st):
    """:func:`walk` of a cyclic-symmetric walk over Z_T."""
    return _walk(st, RING_ZT, True)


def walk_for(ring_code: int, symmetric: bool):
    """The walk kernel for a walk over ring ``ring_code`` (general or cyclic-symmetric layout)."""
    k = (RING_F2, RING_F3, RING_ZT).index(ring_code)
    return (walk_sym_f2, walk_sym_f3, walk_sym_zt)[k] if symmetric else (walk_f2, walk_f3, walk_zt)[k]


# --------------------------------------------------------------------- cost walk
@kernel(**_leaf)
def _weight(st, x):
    return popcount(st.F[_u(x), 0] | st.F[_u(x), 1])


@kernel(cache=True, _nrt=False)
def nonzeros(st):
    """Nonzero coefficients of the current scheme (general walk): nnz(U) + nnz(V) + nnz(W)."""
    total = 0
    for t in range(st.meta[M_RANK]):
        for k in range(3):
            total += _weight(st, 4 * t + k)
    return total


@kernel(cache=True, _nrt=False, nogil=True)
def cost_walk(st):
    """Flips without plus transitions, keeping the scheme of lowest (rank, nonzero coefficients).

    The additive-complexity minimiser's walk (general walks only): up to
    ``params[P_MAX_FLIPS]`` attempts; the best scheme goes to ``bestF``/``bestS``
    with its count in ``meta[M_BEST_COST]``. The count is kept up to date from
    the two cells a flip changes (a full recount after a reduction).
    Returns the flips done.
    """
    meta = st.meta
    rng = st.rng
    ring = meta[M_RING]
    hbits = meta[M_HBITS]
    half = (1 << hbits) >> 1
    hmask = (1 << hbits) - 1
    cost = nonzeros(st)
    if meta[M_BEST_COST] == 0:
        meta[M_BEST_COST] = cost
    done = 0
    for _ in range(st.params[P_MAX_FLIPS]):
        for m in range(3):
            if meta[M_USED0 + m] > half:
                _rebuild(st, m)
        nflip = meta[M_FLEN]
        if nflip == 0:
            break
        x, y, d = _draw_flip(st, rng, nflip, hbits, hmask)
        xb = 4 * (x >> 2) + _rot(x & 3, d)
        yc = 4 * (y >> 2) + _rot(y & 3, 3 - d)
        before = _weight(st, xb) + _weight(st, yc)
        red = flip(st, x, y, d, ring, 3)
        if red < 0:
            meta[M_REJECTED] += 1
            continue
        done += 1
        meta[M_FLIPS] += 1
        if red > 0:
            meta[M_REDUCTIONS] += red
            cost = nonzeros(st)
        else:
            cost += _weight(st, xb) + _weight(st, yc) - before
        rank = meta[M_RANK]
        if rank < meta[M_BEST] or (rank == meta[M_BEST] and cost < meta[M_BEST_COST]):
            meta[M_BEST] = rank
            meta[M_BEST_COST] = cost
            meta[M_BEST_FLIPS] = meta[M_FLIPS]
            for q in range(4 * rank):
                st.bestF[_u(q), 0] = st.F[_u(q), 0]
                st.bestF[_u(q), 1] = st.F[_u(q), 1]
            for q in range(rank):
                st.bestS[_u(q)] = st.S[_u(q)]
    meta[M_COST] = cost
    return done
