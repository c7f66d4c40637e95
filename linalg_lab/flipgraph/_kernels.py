"""Numba CPU kernels of the flip graph over F2 and F3 (packed factors).

State of one walker (all arrays preallocated once and reused):

- ``F`` uint64 (3, cap, 2): factor words of each term, position m = 0, 1, 2
  for u, v, w; plane 0 only over F2, planes (is 1, is -1) over F3.
- ``S`` int8 (cap,): sign of each term (always +1 over F2). A term is
  ``S[r] * u (x) v (x) w`` with every factor normalised so that its first
  nonzero coefficient is +1; factors equal up to sign are then equal words.
- per position m, an open-addressing hash table from factor value to the
  doubly linked list of terms holding it (``keys``, ``sgen``, ``cnt``,
  ``head``; ``tslot``, ``nxt``, ``prv`` per term). Slots are never deleted:
  a table is rebuilt (by bumping its generation) when half full. When the
  factor space is small (3x3 over F2: 2^9 values) the table is direct-address
  instead (slot = the factor's words, ``M_DIRECT``): no hashing, no probing,
  never rebuilt.
- ``flist``: the slots holding two or more terms, i.e. the possible flips,
  with ``fpos`` the position of each slot in it, so a random flip is O(1).
- ``meta`` int64: counters and sizes, see the ``M_*`` indices.

Moves (Kauers & Moosbauer, "Flip graphs for matrix multiplication", 2022;
Arai, Ichikawa & Hukushima, "Adaptive flip graph algorithm", 2024):
flip, reduction (merge of two terms equal in two positions, or removal of a
term with a zero factor) and plus transition (rank + 1).
"""

from __future__ import annotations

import numpy as np
from numba import njit

U64 = np.uint64
# Every array index goes through _u: numba wraps negative indices around for
# signed integers only, and that fix-up on each table access costs about a
# fifth of the flip rate. Indices here are never negative.
_u = np.uint64
ZERO = np.uint64(0)
ONE = np.uint64(1)

# meta layout
M_RANK = 0
M_USED0 = 1          # 1, 2, 3: used slots per table in the current generation
M_GEN0 = 4           # 4, 5, 6: generation per table
M_FLEN = 7
M_FLIPS = 8          # flips done in total
M_PLUS = 9           # plus transitions in total
M_REDUCTIONS = 10    # reductions in total
M_BEST = 11          # best rank seen by this walker
M_SINCE = 12         # flips since the last improvement (local plateau counter)
M_P = 13             # characteristic, 2 or 3
M_HBITS = 14         # log2 of the table size
M_CAP = 15           # capacity in terms
M_BEST_FLIPS = 16    # flips at which the best rank was reached
M_STACK = 17         # length of the reduction stack
M_DIRECT = 18        # > 0: direct-address tables, slot = plane0 | plane1 << M_DIRECT (small factor spaces)
META_SIZE = 24

# params layout (int64)
P_MAX_FLIPS = 0      # flips to do in this call
P_TARGET = 1         # stop as soon as rank <= target
P_PLATEAU = 2        # plus transition after this many flips without improvement (0: never)
P_MARGIN = 3         # plus transitions only while rank < best + margin
P_STOP_AT_DROP = 4   # if > 0, stop when rank < this value
PARAMS_SIZE = 8

STACK_CAP = 64


# --------------------------------------------------------------------- arithmetic
@njit(cache=True, _nrt=False, inline="always")
def _add(p, a0, a1, b0, b1):
    if p == 2:
        return a0 ^ b0, ZERO
    # planes (is 1, is -1): a GF(3) add in six word operations
    t = (a0 | b1) ^ (a1 | b0)
    return (a1 | b1) ^ t, (a0 | b0) ^ t


@njit(cache=True, _nrt=False, inline="always")
def _normalise(a0, a1):
    """(sign, word0, word1) with the first nonzero coefficient made +1."""
    x = a0 | a1
    if x == ZERO:
        return 1, a0, a1
    low = x & (~x + ONE)
    if a1 & low:
        return -1, a1, a0
    return 1, a0, a1


@njit(cache=True, _nrt=False, inline="always")
def _scaled(s, a0, a1):
    if s < 0:
        return a1, a0
    return a0, a1


@njit(cache=True, _nrt=False, inline="always")
def _hash(k0, k1, hbits):
    # Fibonacci hashing: one multiply; the top bits mix all key bits well enough for linear probing
    h = (k0 ^ (k1 << U64(32)) ^ (k1 >> U64(32))) * U64(0x9E3779B97F4A7C15)
    return np.int64(h >> U64(64 - hbits))


@njit(cache=True, _nrt=False, inline="always")
def _rand(rng):
    """xorshift64* step on rng[0]; returns a uint64."""
    x = rng[0]
    x ^= x >> U64(12)
    x ^= x << U64(25)
    x ^= x >> U64(27)
    rng[0] = x
    return x * U64(0x2545F4914F6CDD1D)


@njit(cache=True, _nrt=False, inline="always")
def _randint(rng, n):
    """Uniform in [0, n) for 0 < n < 2**31 by multiply-shift (no division in the inner loop)."""
    return np.int64(((_rand(rng) >> U64(32)) * U64(n)) >> U64(32))


# --------------------------------------------------------------------- tables
@njit(cache=True, _nrt=False, inline="always")
def _find(keys, sgen, m, k0, k1, g, hbits, direct):
    if direct > 0:
        i = np.int64(k0 | (k1 << U64(direct)))
        return i, sgen[_u(m), _u(i)] == g
    mask = (1 << hbits) - 1
    i = _hash(k0, k1, hbits)
    while sgen[_u(m), _u(i)] == g:
        if keys[_u(m), _u(i), 0] == k0 and keys[_u(m), _u(i), 1] == k1:
            return i, True
        i = (i + 1) & mask
    return i, False


@njit(cache=True, _nrt=False, inline="always")
def _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, m, r):
    hbits = meta[M_HBITS]
    g = np.int32(meta[M_GEN0 + m])
    k0 = F[_u(m), _u(r), 0]
    k1 = F[_u(m), _u(r), 1]
    direct = meta[M_DIRECT]
    slot, found = _find(keys, sgen, m, k0, k1, g, hbits, direct)
    if not found:
        keys[_u(m), _u(slot), 0] = k0
        keys[_u(m), _u(slot), 1] = k1
        sgen[_u(m), _u(slot)] = g
        cnt[_u(m), _u(slot)] = 0
        head[_u(m), _u(slot)] = -1
        fpos[_u(m), _u(slot)] = -1
        if direct == 0:      # a direct table never fills up
            meta[M_USED0 + m] += 1
    h = head[_u(m), _u(slot)]
    nxt[_u(m), _u(r)] = h
    prv[_u(m), _u(r)] = -1
    if h >= 0:
        prv[_u(m), _u(h)] = r
    head[_u(m), _u(slot)] = r
    cnt[_u(m), _u(slot)] += 1
    tslot[_u(m), _u(r)] = slot
    if cnt[_u(m), _u(slot)] == 2:
        n = meta[M_FLEN]
        flist[_u(n)] = (m << meta[M_HBITS]) + slot
        fpos[_u(m), _u(slot)] = n
        meta[M_FLEN] = n + 1


@njit(cache=True, _nrt=False, inline="always")
def _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, m, r):
    slot = tslot[_u(m), _u(r)]
    p = prv[_u(m), _u(r)]
    n = nxt[_u(m), _u(r)]
    if p >= 0:
        nxt[_u(m), _u(p)] = n
    else:
        head[_u(m), _u(slot)] = n
    if n >= 0:
        prv[_u(m), _u(n)] = p
    cnt[_u(m), _u(slot)] -= 1
    if cnt[_u(m), _u(slot)] == 1:
        hbits = meta[M_HBITS]
        i = fpos[_u(m), _u(slot)]
        last = meta[M_FLEN] - 1
        e = flist[_u(last)]
        flist[_u(i)] = e
        fpos[_u(e >> hbits), _u(e & ((1 << hbits) - 1))] = i
        meta[M_FLEN] = last
        fpos[_u(m), _u(slot)] = -1
    tslot[_u(m), _u(r)] = -1


@njit(cache=True, _nrt=False)
def _rebuild(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, m):
    """Start table m afresh (new generation) and re-insert the live factors."""
    hbits = meta[M_HBITS]
    # drop table m's flips from the flip list
    n = meta[M_FLEN]
    j = 0
    for i in range(n):
        e = flist[_u(i)]
        if (e >> hbits) != m:
            flist[_u(j)] = e
            fpos[_u(e >> hbits), _u(e & ((1 << hbits) - 1))] = j
            j += 1
    meta[M_FLEN] = j
    meta[M_GEN0 + m] += 1
    meta[M_USED0 + m] = 0
    for r in range(meta[M_RANK]):
        _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, m, r)


@njit(cache=True, _nrt=False, inline="always")
def start_meta(meta, sgen, p, hbits, direct, cap):
    """Fresh counters and table geometry, every table empty (generation 1), shared by both init_states."""
    meta[:] = 0
    meta[M_P] = p
    meta[M_HBITS] = hbits
    meta[M_DIRECT] = direct
    meta[M_CAP] = cap
    for m in range(sgen.shape[0]):
        meta[M_GEN0 + m] = 1
    sgen[:, :] = 0


@njit(cache=True, _nrt=False)
def init_state(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, rank, p, hbits, direct):
    """Normalise the terms, drop terms with a zero factor, and build the tables."""
    start_meta(meta, sgen, p, hbits, direct, F.shape[1])
    r = 0
    out = 0
    while r < rank:
        zero = False
        for m in range(3):
            s, a0, a1 = _normalise(F[_u(m), _u(r), 0], F[_u(m), _u(r), 1])
            F[_u(m), _u(r), 0] = a0
            F[_u(m), _u(r), 1] = a1
            if s < 0:
                S[_u(r)] = -S[_u(r)]
            if (a0 | a1) == ZERO:
                zero = True
        if not zero:
            for m in range(3):
                F[_u(m), _u(out), 0] = F[_u(m), _u(r), 0]
                F[_u(m), _u(out), 1] = F[_u(m), _u(r), 1]
            S[_u(out)] = S[_u(r)]
            out += 1
        r += 1
    meta[M_RANK] = out
    meta[M_BEST] = out
    for m in range(3):
        for t in range(out):
            _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, m, t)
    # merge terms that are equal in two positions right away
    t = 0
    while t < meta[M_RANK]:
        for q in range(2):
            _push_check(meta, stack, t, q)
            meta[M_REDUCTIONS] += _reduce(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack)
        t += 1
    meta[M_BEST] = meta[M_RANK]


# --------------------------------------------------------------------- reductions
@njit(cache=True, _nrt=False)
def _delete_term(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, t):
    """Remove term t (all its factors); the last term moves into index t."""
    for m in range(3):
        if tslot[_u(m), _u(t)] >= 0:
            _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, m, t)
    last = meta[M_RANK] - 1
    if t != last:
        for m in range(3):
            if tslot[_u(m), _u(last)] >= 0:
                _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, m, last)
            F[_u(m), _u(t), 0] = F[_u(m), _u(last), 0]
            F[_u(m), _u(t), 1] = F[_u(m), _u(last), 1]
        S[_u(t)] = S[_u(last)]
        for m in range(3):
            if (F[_u(m), _u(t), 0] | F[_u(m), _u(t), 1]) != ZERO:
                _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, m, t)
    meta[M_RANK] = last
    # fix pending reduction checks
    ns = meta[M_STACK]
    for i in range(ns):
        if stack[_u(i), 0] == t:
            stack[_u(i), 0] = -1
        elif stack[_u(i), 0] == last:
            stack[_u(i), 0] = t


@njit(cache=True, _nrt=False)
def _reduce(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack):
    """Process the stack of (term, position) whose factor changed: merge or drop terms.

    Returns the number of reductions done.
    """
    p = meta[M_P]
    done = 0
    while meta[M_STACK] > 0:
        k = meta[M_STACK] - 1
        r = stack[_u(k), 0]
        q = stack[_u(k), 1]
        meta[M_STACK] = k
        if r < 0 or r >= meta[M_RANK]:
            continue
        if (F[_u(q), _u(r), 0] | F[_u(q), _u(r), 1]) == ZERO:
            _delete_term(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, r)
            done += 1
            continue
        slot = tslot[_u(q), _u(r)]
        if slot < 0 or cnt[_u(q), _u(slot)] < 2:
            continue
        t = head[_u(q), _u(slot)]
        while t >= 0:
            if t != r:
                m3 = -1
                for m2 in range(3):
                    if m2 != q and F[_u(m2), _u(t), 0] == F[_u(m2), _u(r), 0] and F[_u(m2), _u(t), 1] == F[_u(m2), _u(r), 1]:
                        m3 = 3 - q - m2
                        break
                if m3 >= 0:
                    # r and t agree in q and m2: merge the m3 factors into r, drop t
                    a0, a1 = _scaled(S[_u(r)], F[_u(m3), _u(r), 0], F[_u(m3), _u(r), 1])
                    b0, b1 = _scaled(S[_u(t)], F[_u(m3), _u(t), 0], F[_u(m3), _u(t), 1])
                    c0, c1 = _add(p, a0, a1, b0, b1)
                    s, c0, c1 = _normalise(c0, c1)
                    _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, m3, r)
                    F[_u(m3), _u(r), 0] = c0
                    F[_u(m3), _u(r), 1] = c1
                    S[_u(r)] = s
                    if (c0 | c1) != ZERO:
                        _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, m3, r)
                    # r may move if t is the last term: push first, _delete_term renames it
                    _push_check(meta, stack, r, m3)
                    _delete_term(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, t)
                    done += 1
                    break
            t = nxt[_u(q), _u(t)]
    return done


@njit(cache=True, _nrt=False, inline="always")
def _push_check(meta, stack, r, q):
    n = meta[M_STACK]
    if n < stack.shape[0]:
        stack[_u(n), 0] = r
        stack[_u(n), 1] = q
        meta[M_STACK] = n + 1


# --------------------------------------------------------------------- moves
@njit(cache=True, _nrt=False, inline="always")
def flip(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, m, r, s, b):
    """Flip terms r and s, which share their factor at position m.

    Position b gets the sum, the third position c the difference:
    a (x) B_r (x) c_r + a (x) B_s (x) c_s = a (x) (B_r + B_s) (x) c_r + a (x) B_s (x) (c_s - c_r),
    with the signs of the terms absorbed into B. Returns the reductions done.
    """
    p = meta[M_P]
    c = 3 - m - b
    br0, br1 = _scaled(S[_u(r)], F[_u(b), _u(r), 0], F[_u(b), _u(r), 1])
    bs0, bs1 = _scaled(S[_u(s)], F[_u(b), _u(s), 0], F[_u(b), _u(s), 1])
    x0, x1 = _add(p, br0, br1, bs0, bs1)
    sx, x0, x1 = _normalise(x0, x1)
    # c_s - c_r
    y0, y1 = _add(p, F[_u(c), _u(s), 0], F[_u(c), _u(s), 1], F[_u(c), _u(r), 1] if p == 3 else F[_u(c), _u(r), 0], F[_u(c), _u(r), 0] if p == 3 else ZERO)
    sy, y0, y1 = _normalise(y0, y1)
    _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, b, r)
    F[_u(b), _u(r), 0] = x0
    F[_u(b), _u(r), 1] = x1
    S[_u(r)] = sx
    if (x0 | x1) != ZERO:
        _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, b, r)
    _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, c, s)
    F[_u(c), _u(s), 0] = y0
    F[_u(c), _u(s), 1] = y1
    S[_u(s)] = S[_u(s)] * sy
    if (y0 | y1) != ZERO:
        _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, c, s)
    # a reduction is only possible where a changed factor is zero or now shared
    if (x0 | x1) == ZERO or cnt[_u(b), _u(tslot[_u(b), _u(r)])] >= 2:
        _push_check(meta, stack, r, b)
    if (y0 | y1) == ZERO or cnt[_u(c), _u(tslot[_u(c), _u(s)])] >= 2:
        _push_check(meta, stack, s, c)
    if meta[M_STACK] == 0:
        return 0
    return _reduce(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack)


@njit(cache=True, _nrt=False)
def plus(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, r1, r2, rot):
    """Plus transition on terms r1, r2 (rank + 1), roles of u, v, w rotated by ``rot``.

    (u1, v1, W1) + (u2, v2, W2) = (u1 + u2, v1, W1) + (u2, v2, W2 - W1) + (u2, v2 - v1, W1),
    W = sign * w. Returns the reductions done afterwards.
    """
    p = meta[M_P]
    mu = rot
    mv = (rot + 1) % 3
    mw = (rot + 2) % 3
    t = meta[M_RANK]
    w10, w11 = _scaled(S[_u(r1)], F[_u(mw), _u(r1), 0], F[_u(mw), _u(r1), 1])
    w20, w21 = _scaled(S[_u(r2)], F[_u(mw), _u(r2), 0], F[_u(mw), _u(r2), 1])
    # T3 = (u2, v2 - v1, W1) at the new index t
    d0, d1 = _add(p, F[_u(mv), _u(r2), 0], F[_u(mv), _u(r2), 1], F[_u(mv), _u(r1), 1] if p == 3 else F[_u(mv), _u(r1), 0], F[_u(mv), _u(r1), 0] if p == 3 else ZERO)
    sd, d0, d1 = _normalise(d0, d1)
    F[_u(mu), _u(t), 0] = F[_u(mu), _u(r2), 0]
    F[_u(mu), _u(t), 1] = F[_u(mu), _u(r2), 1]
    F[_u(mv), _u(t), 0] = d0
    F[_u(mv), _u(t), 1] = d1
    F[_u(mw), _u(t), 0] = F[_u(mw), _u(r1), 0]
    F[_u(mw), _u(t), 1] = F[_u(mw), _u(r1), 1]
    S[_u(t)] = sd * S[_u(r1)]
    # T2 = (u2, v2, W2 - W1) at r2
    e0, e1 = _add(p, w20, w21, w11 if p == 3 else w10, w10 if p == 3 else ZERO)
    se, e0, e1 = _normalise(e0, e1)
    # T1 = (u1 + u2, v1, W1) at r1
    f0, f1 = _add(p, F[_u(mu), _u(r1), 0], F[_u(mu), _u(r1), 1], F[_u(mu), _u(r2), 0], F[_u(mu), _u(r2), 1])
    sf, f0, f1 = _normalise(f0, f1)
    _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, mw, r2)
    F[_u(mw), _u(r2), 0] = e0
    F[_u(mw), _u(r2), 1] = e1
    S[_u(r2)] = se
    _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, mu, r1)
    F[_u(mu), _u(r1), 0] = f0
    F[_u(mu), _u(r1), 1] = f1
    S[_u(r1)] = sf * S[_u(r1)]
    meta[M_RANK] = t + 1
    for m in range(3):
        tslot[_u(m), _u(t)] = -1
        if (F[_u(m), _u(t), 0] | F[_u(m), _u(t), 1]) != ZERO:
            _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, m, t)
    if (e0 | e1) != ZERO:
        _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, mw, r2)
    if (f0 | f1) != ZERO:
        _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, mu, r1)
    _push_check(meta, stack, r1, mu)
    _push_check(meta, stack, r2, mw)
    _push_check(meta, stack, t, mv)
    return _reduce(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack)


# --------------------------------------------------------------------- the walk
@njit(cache=True, _nrt=False, inline="always")
def walk_settings(meta, params):
    """Table geometry and walk parameters, shared by the general and the symmetric walks."""
    hbits = meta[M_HBITS]
    return (hbits, (1 << hbits) >> 1, (1 << hbits) - 1, params[P_MAX_FLIPS], params[P_TARGET], params[P_PLATEAU],
            params[P_MARGIN], params[P_STOP_AT_DROP])


@njit(cache=True, _nrt=False, nogil=True)
def walk(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, rng, params, bestF, bestS):
    """Random walk: up to ``params[P_MAX_FLIPS]`` flips, reductions taken at once,
    plus transitions after ``params[P_PLATEAU]`` flips without improvement.

    Stops early when the rank reaches ``params[P_TARGET]`` (or drops below
    ``params[P_STOP_AT_DROP]`` when that is positive). Whenever the rank beats
    ``meta[M_BEST]`` the scheme is copied into ``bestF``/``bestS``.
    Returns the number of flips done in this call.
    """
    hbits, half, hmask, max_flips, target, plateau, margin, stop_drop = walk_settings(meta, params)
    cap = F.shape[1]
    done = 0
    while done < max_flips:
        for m in range(3):
            if meta[M_USED0 + m] > half:
                _rebuild(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, m)
        rank = meta[M_RANK]
        if rank <= target or (stop_drop > 0 and rank < stop_drop):
            break
        nflip = meta[M_FLEN]
        want_plus = plateau > 0 and meta[M_SINCE] >= plateau
        if nflip == 0 or want_plus:
            if rank < meta[M_BEST] + margin and rank + 1 < cap and rank >= 2:
                # two terms with no equal factor
                for _ in range(32):
                    r1 = _randint(rng, rank)
                    r2 = _randint(rng, rank)
                    if r1 == r2:
                        continue
                    ok = True
                    for m in range(3):
                        if F[_u(m), _u(r1), 0] == F[_u(m), _u(r2), 0] and F[_u(m), _u(r1), 1] == F[_u(m), _u(r2), 1]:
                            ok = False
                    if ok:
                        meta[M_REDUCTIONS] += plus(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist,
                                                   stack, r1, r2, _randint(rng, 3))
                        meta[M_PLUS] += 1
                        break
                meta[M_SINCE] = 0
                continue
            elif nflip == 0:
                break
            meta[M_SINCE] = 0
        # one random word picks the flip, the order of its two terms and the sum position
        x = _rand(rng)
        e = flist[_u(np.int64(((x >> U64(32)) * U64(nflip)) >> U64(32)))]
        m = e >> hbits
        slot = e & hmask
        c = cnt[_u(m), _u(slot)]
        r = head[_u(m), _u(slot)]
        s = nxt[_u(m), _u(r)]
        if c > 2:
            i = _randint(rng, c)
            j = _randint(rng, c - 1)
            if j >= i:
                j += 1
            k = 0
            t = r
            while t >= 0:
                if k == i:
                    r = t
                if k == j:
                    s = t
                k += 1
                t = nxt[_u(m), _u(t)]
        elif (x >> U64(30)) & ONE:
            r, s = s, r
        b = m + 1 + np.int64((x >> U64(31)) & ONE)
        if b >= 3:
            b -= 3
        red = flip(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, m, r, s, b)
        done += 1
        meta[M_FLIPS] += 1
        meta[M_SINCE] += 1
        if red > 0:
            meta[M_REDUCTIONS] += red
            rank = meta[M_RANK]
            if rank < meta[M_BEST]:
                meta[M_BEST] = rank
                meta[M_BEST_FLIPS] = meta[M_FLIPS]
                meta[M_SINCE] = 0
                for q in range(3):
                    for x in range(rank):
                        bestF[_u(q), _u(x), 0] = F[_u(q), _u(x), 0]
                        bestF[_u(q), _u(x), 1] = F[_u(q), _u(x), 1]
                for x in range(rank):
                    bestS[_u(x)] = S[_u(x)]
    return done
