"""Numba kernels of the cyclic-symmetric flip graph (Moosbauer & Poole) over F2 and F3.

A scheme for square ``n x n x n`` products invariant under the cyclic shift
of the three factors (trace convention ``sum a_ij b_jk c_ki``) is a set of
fixed terms ``x (x) x (x) x`` (the "cubes", kept out of the walk) plus orbits
``{(v0, v1, v2), (v2, v0, v1), (v1, v2, v0)}``, each stored once as its three
factors ``v0, v1, v2`` and one sign.

State: ``F`` uint64 (1, 3 * cap, 2), occurrence ``x = 3 * o + k`` holding
factor k of orbit o (same packing as :mod:`._kernels`), ``S`` int8 sign per
orbit, and ONE hash table from factor value to occurrences, shared by the
three positions since rotating an orbit moves any factor into any position.
Flips pair occurrences of two different orbits that hold the same value:
changing a factor of an orbit applies the flip to all three of its terms at
once, which is exactly the flip and its two rotated images.
``meta[M_RANK]`` counts orbits here; the rank is ``cubes + 3 * orbits``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._kernels import (M_BEST, M_BEST_FLIPS, M_FLEN, M_FLIPS, M_GEN0, M_P, M_PLUS, M_RANK,
                       M_REDUCTIONS, M_SINCE, M_STACK, M_USED0, ZERO, _add, _insert, _normalise, _rand, _randint,
                       _remove, _scaled, _u, start_meta, walk_settings)

M_CAP = 15   # capacity in orbits (same slot as the general kernels' M_CAP)


@njit(cache=True, _nrt=False)
def _rebuild(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist):
    meta[M_FLEN] = 0
    meta[M_GEN0] += 1
    meta[M_USED0] = 0
    for x in range(3 * meta[M_RANK]):
        tslot[0, _u(x)] = -1
        if (F[0, _u(x), 0] | F[0, _u(x), 1]) != ZERO:
            _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, 0, x)


@njit(cache=True, _nrt=False, inline="always")
def _set(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, x, a0, a1):
    if tslot[0, _u(x)] >= 0:
        _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, 0, x)
    F[0, _u(x), 0] = a0
    F[0, _u(x), 1] = a1
    if (a0 | a1) != ZERO:
        _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, 0, x)


@njit(cache=True, _nrt=False, inline="always")
def _push(meta, stack, x):
    n = meta[M_STACK]
    if n < stack.shape[0]:
        stack[_u(n), 0] = x
        meta[M_STACK] = n + 1


@njit(cache=True, _nrt=False)
def _delete_orbit(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, o):
    """Remove orbit o (rank - 3); the last orbit moves into index o."""
    for k in range(3):
        if tslot[0, _u(3 * o + k)] >= 0:
            _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, 0, 3 * o + k)
    last = meta[M_RANK] - 1
    if o != last:
        for k in range(3):
            y = 3 * last + k
            if tslot[0, _u(y)] >= 0:
                _remove(meta, cnt, head, fpos, tslot, nxt, prv, flist, 0, y)
            F[0, _u(3 * o + k), 0] = F[0, _u(y), 0]
            F[0, _u(3 * o + k), 1] = F[0, _u(y), 1]
        S[_u(o)] = S[_u(last)]
        for k in range(3):
            x = 3 * o + k
            if (F[0, _u(x), 0] | F[0, _u(x), 1]) != ZERO:
                _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, 0, x)
    meta[M_RANK] = last
    for i in range(meta[M_STACK]):
        q = stack[_u(i), 0] // 3
        if q == o:
            stack[_u(i), 0] = -1
        elif q == last:
            stack[_u(i), 0] = stack[_u(i), 0] - 3 * last + 3 * o


@njit(cache=True, _nrt=False)
def _reduce(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack):
    """Process changed occurrences: drop orbits with a zero factor, merge two
    orbits whose terms agree in two positions (rank - 3 each). Returns the count."""
    p = meta[M_P]
    done = 0
    while meta[M_STACK] > 0:
        n = meta[M_STACK] - 1
        meta[M_STACK] = n
        x = stack[_u(n), 0]
        if x < 0 or x >= 3 * meta[M_RANK]:
            continue
        o = x // 3
        k = x - 3 * o
        if (F[0, _u(x), 0] | F[0, _u(x), 1]) == ZERO:
            _delete_orbit(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, o)
            done += 1
            continue
        slot = tslot[0, _u(x)]
        if slot < 0 or cnt[0, _u(slot)] < 2:
            continue
        y = head[0, _u(slot)]
        while y >= 0:
            o2 = y // 3
            if o2 != o:
                j = y - 3 * o2
                x1 = 3 * o + (k + 1) % 3
                x2 = 3 * o + (k + 2) % 3
                y1 = 3 * o2 + (j + 1) % 3
                y2 = 3 * o2 + (j + 2) % 3
                tgt = -1
                src = -1
                if F[0, _u(x1), 0] == F[0, _u(y1), 0] and F[0, _u(x1), 1] == F[0, _u(y1), 1]:
                    tgt = x2
                    src = y2
                elif F[0, _u(x2), 0] == F[0, _u(y2), 0] and F[0, _u(x2), 1] == F[0, _u(y2), 1]:
                    tgt = x1
                    src = y1
                if tgt >= 0:
                    a0, a1 = _scaled(S[_u(o)], F[0, _u(tgt), 0], F[0, _u(tgt), 1])
                    b0, b1 = _scaled(S[_u(o2)], F[0, _u(src), 0], F[0, _u(src), 1])
                    c0, c1 = _add(p, a0, a1, b0, b1)
                    s, c0, c1 = _normalise(c0, c1)
                    _set(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, tgt, c0, c1)
                    S[_u(o)] = s
                    _push(meta, stack, tgt)
                    _delete_orbit(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, o2)
                    done += 1
                    break
            y = nxt[0, _u(y)]
    return done


@njit(cache=True, _nrt=False)
def init_state(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, norb, p, hbits, direct):
    """Normalise the orbits, drop those with a zero factor, build the table, merge at once."""
    start_meta(meta, sgen, p, hbits, direct, F.shape[1] // 3)
    out = 0
    for o in range(norb):
        zero = False
        for k in range(3):
            s, a0, a1 = _normalise(F[0, _u(3 * o + k), 0], F[0, _u(3 * o + k), 1])
            F[0, _u(3 * o + k), 0] = a0
            F[0, _u(3 * o + k), 1] = a1
            if s < 0:
                S[_u(o)] = -S[_u(o)]
            if (a0 | a1) == ZERO:
                zero = True
        if not zero:
            for k in range(3):
                F[0, _u(3 * out + k), 0] = F[0, _u(3 * o + k), 0]
                F[0, _u(3 * out + k), 1] = F[0, _u(3 * o + k), 1]
            S[_u(out)] = S[_u(o)]
            out += 1
    meta[M_RANK] = out
    for x in range(3 * out):
        tslot[0, _u(x)] = -1
        _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, 0, x)
    x = 0
    while x < 3 * meta[M_RANK]:
        _push(meta, stack, x)
        meta[M_REDUCTIONS] += _reduce(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack)
        x += 1
    meta[M_BEST] = meta[M_RANK]


@njit(cache=True, _nrt=False, inline="always")
def flip(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, x, y, d):
    """Flip occurrences x, y (different orbits, equal factor a) and their rotated images.

    With b the factor ``d`` places after a and c the remaining one:
    a (x) B_x (x) c_x + a (x) B_y (x) c_y = a (x) (B_x + B_y) (x) c_x + a (x) B_y (x) (c_y - c_x),
    signs absorbed into B. Returns the reductions that followed.
    """
    p = meta[M_P]
    o1 = x // 3
    o2 = y // 3
    i = x - 3 * o1
    j = y - 3 * o2
    e = 3 - d
    xb = 3 * o1 + (i + d) % 3
    yb = 3 * o2 + (j + d) % 3
    xc = 3 * o1 + (i + e) % 3
    yc = 3 * o2 + (j + e) % 3
    b10, b11 = _scaled(S[_u(o1)], F[0, _u(xb), 0], F[0, _u(xb), 1])
    b20, b21 = _scaled(S[_u(o2)], F[0, _u(yb), 0], F[0, _u(yb), 1])
    s0, s1 = _add(p, b10, b11, b20, b21)
    sx, s0, s1 = _normalise(s0, s1)
    d0, d1 = _add(p, F[0, _u(yc), 0], F[0, _u(yc), 1], F[0, _u(xc), 1] if p == 3 else F[0, _u(xc), 0], F[0, _u(xc), 0] if p == 3 else ZERO)
    sy, d0, d1 = _normalise(d0, d1)
    _set(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, xb, s0, s1)
    S[_u(o1)] = sx
    _set(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, yc, d0, d1)
    S[_u(o2)] = S[_u(o2)] * sy
    if (s0 | s1) == ZERO or cnt[0, _u(tslot[0, _u(xb)])] >= 2:
        _push(meta, stack, xb)
    if (d0 | d1) == ZERO or cnt[0, _u(tslot[0, _u(yc)])] >= 2:
        _push(meta, stack, yc)
    if meta[M_STACK] == 0:
        return 0
    return _reduce(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack)


@njit(cache=True, _nrt=False)
def plus(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, x, y):
    """Plus transition on the terms at occurrences x, y (different orbits): one new orbit.

    Reading each term from its occurrence as (u, v, W), W = sign * w:
    (u1, v1, W1) + (u2, v2, W2) = (u1 + u2, v1, W1) + (u2, v2, W2 - W1) + (u2, v2 - v1, W1).
    """
    p = meta[M_P]
    o1 = x // 3
    o2 = y // 3
    i = x - 3 * o1
    j = y - 3 * o2
    u1 = x
    v1 = 3 * o1 + (i + 1) % 3
    w1 = 3 * o1 + (i + 2) % 3
    u2 = y
    v2 = 3 * o2 + (j + 1) % 3
    w2 = 3 * o2 + (j + 2) % 3
    t = meta[M_RANK]
    d0, d1 = _add(p, F[0, _u(v2), 0], F[0, _u(v2), 1], F[0, _u(v1), 1] if p == 3 else F[0, _u(v1), 0], F[0, _u(v1), 0] if p == 3 else ZERO)
    sd, d0, d1 = _normalise(d0, d1)
    W10, W11 = _scaled(S[_u(o1)], F[0, _u(w1), 0], F[0, _u(w1), 1])
    W20, W21 = _scaled(S[_u(o2)], F[0, _u(w2), 0], F[0, _u(w2), 1])
    e0, e1 = _add(p, W20, W21, W11 if p == 3 else W10, W10 if p == 3 else ZERO)
    se, e0, e1 = _normalise(e0, e1)
    f0, f1 = _add(p, F[0, _u(u1), 0], F[0, _u(u1), 1], F[0, _u(u2), 0], F[0, _u(u2), 1])
    sf, f0, f1 = _normalise(f0, f1)
    # the new orbit (u2, v2 - v1, W1)
    F[0, _u(3 * t), 0] = F[0, _u(u2), 0]
    F[0, _u(3 * t), 1] = F[0, _u(u2), 1]
    F[0, _u(3 * t + 1), 0] = d0
    F[0, _u(3 * t + 1), 1] = d1
    F[0, _u(3 * t + 2), 0] = F[0, _u(w1), 0]
    F[0, _u(3 * t + 2), 1] = F[0, _u(w1), 1]
    S[_u(t)] = sd * S[_u(o1)]
    meta[M_RANK] = t + 1
    for k in range(3):
        tslot[0, _u(3 * t + k)] = -1
        if (F[0, _u(3 * t + k), 0] | F[0, _u(3 * t + k), 1]) != ZERO:
            _insert(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, 0, 3 * t + k)
    _set(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, w2, e0, e1)
    S[_u(o2)] = se
    _set(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, u1, f0, f1)
    S[_u(o1)] = sf * S[_u(o1)]
    _push(meta, stack, u1)
    _push(meta, stack, w2)
    for k in range(3):
        _push(meta, stack, 3 * t + k)
    return _reduce(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack)


@njit(cache=True, _nrt=False, inline="always")
def _nth(head, nxt, slot, n):
    y = head[0, _u(slot)]
    for _ in range(n):
        y = nxt[0, _u(y)]
    return y


@njit(cache=True, _nrt=False, nogil=True)
def walk(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, rng, params, bestF, bestS):
    """Random walk on orbits: as :func:`._kernels.walk`, with ranks counted in orbits."""
    hbits, half, hmask, max_flips, target, plateau, margin, stop_drop = walk_settings(meta, params)
    cap = F.shape[1] // 3
    done = 0
    misses = 0
    while done < max_flips:
        if meta[M_USED0] > half:
            _rebuild(F, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist)
        norb = meta[M_RANK]
        if norb <= target or (stop_drop > 0 and norb < stop_drop):
            break
        nflip = meta[M_FLEN]
        want_plus = plateau > 0 and meta[M_SINCE] >= plateau
        if nflip == 0 or misses > 64 or want_plus:
            misses = 0
            if norb < meta[M_BEST] + margin and norb + 1 < cap and norb >= 2:
                for _ in range(32):
                    x = _randint(rng, 3 * norb)
                    y = _randint(rng, 3 * norb)
                    o1 = x // 3
                    o2 = y // 3
                    if o1 == o2:
                        continue
                    i = x - 3 * o1
                    j = y - 3 * o2
                    ok = True
                    for q in range(3):
                        a = 3 * o1 + (i + q) % 3
                        b = 3 * o2 + (j + q) % 3
                        if F[0, _u(a), 0] == F[0, _u(b), 0] and F[0, _u(a), 1] == F[0, _u(b), 1]:
                            ok = False
                    if ok:
                        meta[M_REDUCTIONS] += plus(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv,
                                                   flist, stack, x, y)
                        meta[M_PLUS] += 1
                        break
                meta[M_SINCE] = 0
                continue
            elif nflip == 0:
                break
            meta[M_SINCE] = 0
        e = flist[_u(_randint(rng, nflip))]
        slot = e & hmask
        c = cnt[0, _u(slot)]
        i = _randint(rng, c)
        j = _randint(rng, c - 1)
        if j >= i:
            j += 1
        x = _nth(head, nxt, slot, i)
        y = _nth(head, nxt, slot, j)
        if x // 3 == y // 3:
            misses += 1
            continue
        misses = 0
        red = flip(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, x, y,
                   1 + np.int64(_rand(rng) >> np.uint64(63)))
        done += 1
        meta[M_FLIPS] += 1
        meta[M_SINCE] += 1
        if red > 0:
            # any reduction restarts the plateau clock (Poole's solver does the same)
            meta[M_SINCE] = 0
            meta[M_REDUCTIONS] += red
            norb = meta[M_RANK]
            if norb < meta[M_BEST]:
                meta[M_BEST] = norb
                meta[M_BEST_FLIPS] = meta[M_FLIPS]
                meta[M_SINCE] = 0
                for z in range(3 * norb):
                    bestF[0, _u(z), 0] = F[0, _u(z), 0]
                    bestF[0, _u(z), 1] = F[0, _u(z), 1]
                for z in range(norb):
                    bestS[_u(z)] = S[_u(z)]
    return done
