"""Numba kernels of the lifting family: packed GF(p) elimination (p = 2, 3), the
Jacobian of the Brent equations, residuals and rational reconstruction.

Layout
------
A matrix over GF(p) with ``n`` columns is stored row by row as ``uint64`` words
in an array of shape ``(m, planes, nw)`` with ``nw = ceil(n / 64)``: for p = 2
one plane (bit j of word j // 64 is entry j), for p = 3 two bit planes (plane 0
marks the entries equal to 1, plane 1 those equal to 2 = -1).

Elimination record
------------------
:func:`eliminate2` / :func:`eliminate3` bring the matrix to row echelon form in
place, scanning the columns from left to right (so the column order is the
priority order of the pivots: the columns that end up without a pivot are the
free variables). They record, for pivot ``k``: the row swapped into place
(``swaps[k]``), the pivot column (``pivcols[k]``), the scale applied to the pivot
row (p = 3 only: 1 or 2) and the multipliers used below the pivot as a packed
column ``lmult[k]`` over the rows. :func:`solve2` / :func:`solve3` replay that
record on a right-hand side (a cheap forward pass of packed words), check
consistency, and back-substitute with every free variable set to 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_ONE = np.uint64(1)


@njit(cache=True)
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


# ----------------------------------------------------------------------------- p = 2
@njit(cache=True)
def _ctz(x):
    """Index of the lowest set bit of a nonzero word."""
    return _popcount((x & (~x + _ONE)) - _ONE)


@njit(cache=True)
def eliminate2(a, ncols):
    """Row echelon form over GF(2) in place; returns (rank, swaps, pivcols, lmult).

    The rows holding each bit of the current word column are kept as row bitsets
    (``colset``), so finding the pivot and the rows to clear costs a few words
    instead of a scan over all rows (the Jacobian is sparse).
    """
    m = a.shape[0]
    nw = a.shape[2]
    mw = (m + 63) >> 6
    maxr = min(m, ncols)
    swaps = np.empty(maxr, np.int64)
    pivcols = np.empty(maxr, np.int64)
    lmult = np.zeros((maxr, 1, mw), np.uint64)
    cw = np.empty(m, np.uint64)             # current word column, contiguous
    colset = np.zeros((64, mw), np.uint64)  # colset[b]: rows whose current word has bit b
    cur = -1
    k = 0
    for c in range(ncols):
        if k == m:
            break
        wi = c >> 6
        if wi != cur:
            cur = wi
            colset[:, :] = 0
            for i in range(m):
                x = a[i, 0, wi]
                cw[i] = x
                while x:
                    b = _ctz(x)
                    colset[b, i >> 6] |= _ONE << np.uint64(i & 63)
                    x &= x - _ONE
        b = c & 63
        # first row >= k holding bit c
        piv = -1
        j0 = k >> 6
        for j in range(j0, mw):
            x = colset[b, j]
            if j == j0:
                x &= ~((_ONE << np.uint64(k & 63)) - _ONE)
            if x:
                piv = (j << 6) + _ctz(x)
                break
        if piv < 0:
            continue
        if piv != k:
            for j in range(wi, nw):
                t = a[k, 0, j]
                a[k, 0, j] = a[piv, 0, j]
                a[piv, 0, j] = t
            x = cw[k] ^ cw[piv]
            while x:                            # bits where the two rows differ move
                bb = _ctz(x)
                colset[bb, k >> 6] ^= _ONE << np.uint64(k & 63)
                colset[bb, piv >> 6] ^= _ONE << np.uint64(piv & 63)
                x &= x - _ONE
            t = cw[k]
            cw[k] = cw[piv]
            cw[piv] = t
        swaps[k] = piv
        pivcols[k] = c
        # rows > piv holding bit c (rows k+1..piv hold none)
        pk = cw[k]
        j0 = (piv + 1) >> 6
        for j in range(j0, mw):
            x = colset[b, j]
            if j == j0:
                x &= ~((_ONE << np.uint64((piv + 1) & 63)) - _ONE)
            while x:
                i = (j << 6) + _ctz(x)
                x &= x - _ONE
                for jj in range(wi, nw):
                    a[i, 0, jj] ^= a[k, 0, jj]
                y = pk
                while y:
                    bb = _ctz(y)
                    colset[bb, i >> 6] ^= _ONE << np.uint64(i & 63)
                    y &= y - _ONE
                cw[i] ^= pk
                lmult[k, 0, i >> 6] |= _ONE << np.uint64(i & 63)
        k += 1
    return k, swaps[:k].copy(), pivcols[:k].copy(), lmult[:k].copy()


@njit(cache=True)
def solve2(a, rank, swaps, pivcols, lmult, b, ncols):
    """Solve ``A x = b`` over GF(2) from an elimination record; free variables 0.

    ``b`` holds values in {0, 1} (length m). Returns ``(x, ok)``; ``ok`` is False
    when the system is inconsistent.
    """
    m = a.shape[0]
    nw = a.shape[2]
    mw = (m + 63) >> 6
    bb = np.zeros(mw, np.uint64)
    for i in range(m):
        if b[i] & 1:
            bb[i >> 6] |= _ONE << np.uint64(i & 63)
    for k in range(rank):
        s = swaps[k]
        if s != k:
            bk = (bb[k >> 6] >> np.uint64(k & 63)) & _ONE
            bs = (bb[s >> 6] >> np.uint64(s & 63)) & _ONE
            if bk != bs:
                bb[k >> 6] ^= _ONE << np.uint64(k & 63)
                bb[s >> 6] ^= _ONE << np.uint64(s & 63)
        if (bb[k >> 6] >> np.uint64(k & 63)) & _ONE:
            for j in range(k >> 6, mw):
                bb[j] ^= lmult[k, 0, j]
    ok = True
    for i in range(rank, m):
        if (bb[i >> 6] >> np.uint64(i & 63)) & _ONE:
            ok = False
            break
    x = np.zeros(ncols, np.int64)
    if not ok:
        return x, ok
    xw = np.zeros(nw, np.uint64)
    for k in range(rank - 1, -1, -1):
        c = pivcols[k]
        acc = np.uint64(0)
        for j in range(c >> 6, nw):
            acc ^= a[k, 0, j] & xw[j]
        val = ((bb[k >> 6] >> np.uint64(k & 63)) & _ONE) ^ np.uint64(_popcount(acc) & 1)
        if val:
            xw[c >> 6] |= _ONE << np.uint64(c & 63)
            x[c] = 1
    return x, ok


# ----------------------------------------------------------------------------- p = 3
@njit(cache=True)
def _add3(a1, a2, b1, b2):
    """Sum of two packed GF(3) words (planes: value 1, value 2)."""
    na = ~(a1 | a2)
    nb = ~(b1 | b2)
    r1 = (a1 & nb) | (b1 & na) | (a2 & b2)
    r2 = (a2 & nb) | (b2 & na) | (a1 & b1)
    return r1, r2


@njit(cache=True)
def eliminate3(a, ncols):
    """Row echelon form over GF(3) in place; returns (rank, swaps, pivcols, scales, lmult)."""
    m = a.shape[0]
    nw = a.shape[2]
    mw = (m + 63) >> 6
    maxr = min(m, ncols)
    swaps = np.empty(maxr, np.int64)
    pivcols = np.empty(maxr, np.int64)
    scales = np.empty(maxr, np.int64)
    lmult = np.zeros((maxr, 2, mw), np.uint64)
    c1 = np.empty(m, np.uint64)       # contiguous copies of the current word column
    c2 = np.empty(m, np.uint64)
    cur = -1
    k = 0
    for c in range(ncols):
        if k == m:
            break
        wi = c >> 6
        if wi != cur:
            cur = wi
            for i in range(m):
                c1[i] = a[i, 0, wi]
                c2[i] = a[i, 1, wi]
        bit = _ONE << np.uint64(c & 63)
        piv = -1
        for i in range(k, m):
            if (c1[i] | c2[i]) & bit:
                piv = i
                break
        if piv < 0:
            continue
        if piv != k:
            for q in range(2):
                for j in range(wi, nw):
                    t = a[k, q, j]
                    a[k, q, j] = a[piv, q, j]
                    a[piv, q, j] = t
            t = c1[k]
            c1[k] = c1[piv]
            c1[piv] = t
            t = c2[k]
            c2[k] = c2[piv]
            c2[piv] = t
        swaps[k] = piv
        pivcols[k] = c
        if c2[k] & bit:                # leading 2: negate the row (swap planes)
            scales[k] = 2
            for j in range(wi, nw):
                t = a[k, 0, j]
                a[k, 0, j] = a[k, 1, j]
                a[k, 1, j] = t
            t = c1[k]
            c1[k] = c2[k]
            c2[k] = t
        else:
            scales[k] = 1
        for i in range(piv + 1, m):
            if c1[i] & bit:            # row_i -= row_k: add the negated pivot row
                for j in range(wi, nw):
                    r1, r2 = _add3(a[i, 0, j], a[i, 1, j], a[k, 1, j], a[k, 0, j])
                    a[i, 0, j] = r1
                    a[i, 1, j] = r2
                c1[i] = a[i, 0, wi]
                c2[i] = a[i, 1, wi]
                lmult[k, 0, i >> 6] |= _ONE << np.uint64(i & 63)
            elif c2[i] & bit:          # row_i -= 2 row_k = row_i + row_k
                for j in range(wi, nw):
                    r1, r2 = _add3(a[i, 0, j], a[i, 1, j], a[k, 0, j], a[k, 1, j])
                    a[i, 0, j] = r1
                    a[i, 1, j] = r2
                c1[i] = a[i, 0, wi]
                c2[i] = a[i, 1, wi]
                lmult[k, 1, i >> 6] |= _ONE << np.uint64(i & 63)
        k += 1
    return k, swaps[:k].copy(), pivcols[:k].copy(), scales[:k].copy(), lmult[:k].copy()


@njit(cache=True)
def _get3(b1, b2, i):
    w = i >> 6
    s = np.uint64(i & 63)
    return np.int64((b1[w] >> s) & _ONE) + 2 * np.int64((b2[w] >> s) & _ONE)


@njit(cache=True)
def _set3(b1, b2, i, v):
    w = i >> 6
    bit = _ONE << np.uint64(i & 63)
    b1[w] &= ~bit
    b2[w] &= ~bit
    if v == 1:
        b1[w] |= bit
    elif v == 2:
        b2[w] |= bit


@njit(cache=True)
def solve3(a, rank, swaps, pivcols, scales, lmult, b, ncols):
    """Solve ``A x = b`` over GF(3) from an elimination record; free variables 0.

    ``b`` holds values in {0, 1, 2} (length m). Returns ``(x, ok)`` with x in {0, 1, 2}.
    """
    m = a.shape[0]
    nw = a.shape[2]
    mw = (m + 63) >> 6
    b1 = np.zeros(mw, np.uint64)
    b2 = np.zeros(mw, np.uint64)
    for i in range(m):
        _set3(b1, b2, i, b[i] % 3)
    for k in range(rank):
        s = swaps[k]
        if s != k:
            vk = _get3(b1, b2, k)
            vs = _get3(b1, b2, s)
            _set3(b1, b2, k, vs)
            _set3(b1, b2, s, vk)
        vk = (_get3(b1, b2, k) * scales[k]) % 3
        _set3(b1, b2, k, vk)
        if vk == 1:      # b -= L: add the negated multipliers
            for j in range(k >> 6, mw):
                r1, r2 = _add3(b1[j], b2[j], lmult[k, 1, j], lmult[k, 0, j])
                b1[j] = r1
                b2[j] = r2
        elif vk == 2:    # b -= 2 L = b + L
            for j in range(k >> 6, mw):
                r1, r2 = _add3(b1[j], b2[j], lmult[k, 0, j], lmult[k, 1, j])
                b1[j] = r1
                b2[j] = r2
    ok = True
    for i in range(rank, m):
        if _get3(b1, b2, i) != 0:
            ok = False
            break
    x = np.zeros(ncols, np.int64)
    if not ok:
        return x, ok
    x1 = np.zeros(nw, np.uint64)
    x2 = np.zeros(nw, np.uint64)
    for k in range(rank - 1, -1, -1):
        c = pivcols[k]
        ones = 0
        twos = 0
        for j in range(c >> 6, nw):
            r1 = a[k, 0, j]
            r2 = a[k, 1, j]
            ones += _popcount((r1 & x1[j]) | (r2 & x2[j]))
            twos += _popcount((r1 & x2[j]) | (r2 & x1[j]))
        val = (_get3(b1, b2, k) - ones - 2 * twos) % 3
        if val:
            _set3(x1, x2, c, val)
            x[c] = val
    return x, ok


# ----------------------------------------------------------------------------- Brent equations
@njit(cache=True)
def _support(row, out):
    """Write the indices of the nonzero entries of ``row`` into ``out``; return their count."""
    k = 0
    for x in range(row.shape[0]):
        if row[x]:
            out[k] = x
            k += 1
    return k


@njit(cache=True)
def _setbit(a, row, plane, c):
    a[row, plane, c >> 6] |= _ONE << np.uint64(c & 63)


@njit(cache=True)
def jacobian_packed(u, v, w, p, colpos):
    """Packed Jacobian over GF(p) of the Brent equations at (u, v, w).

    Rows are the equations ``(a*nV + b)*nW + g``; the unknown ``(r, part, i)``
    (term-major: ``r*D + [0, nU, nU+nV][part] + i``) sits in column ``colpos`` of it.
    Entries of u, v, w must be reduced to ``0..p-1``.
    """
    rank, nu = u.shape
    nv = v.shape[1]
    ng = w.shape[1]
    d = nu + nv + ng
    n = rank * d
    nw = (n + 63) >> 6
    planes = 1 if p == 2 else 2
    m = nu * nv * ng
    a = np.zeros((m, planes, nw), np.uint64)
    iu = np.empty(nu, np.int64)
    iv = np.empty(nv, np.int64)
    ig = np.empty(ng, np.int64)
    for r in range(rank):
        base = r * d
        ku = _support(u[r], iu)
        kv = _support(v[r], iv)
        kg = _support(w[r], ig)
        # d/dU[r,x] = V[r,y] W[r,z]: every x, nonzero y and z (and cyclically)
        for jy in range(kv):
            y = iv[jy]
            for jz in range(kg):
                z = ig[jz]
                val = (v[r, y] * w[r, z]) % p
                for x in range(nu):
                    _setbit(a, (x * nv + y) * ng + z, val - 1, colpos[base + x])
        for jx in range(ku):
            x = iu[jx]
            for jz in range(kg):
                z = ig[jz]
                val = (u[r, x] * w[r, z]) % p
                for y in range(nv):
                    _setbit(a, (x * nv + y) * ng + z, val - 1, colpos[base + nu + y])
        for jx in range(ku):
            x = iu[jx]
            for jy in range(kv):
                y = iv[jy]
                val = (u[r, x] * v[r, y]) % p
                for z in range(ng):
                    _setbit(a, (x * nv + y) * ng + z, val - 1, colpos[base + nu + nv + z])
    return a


@njit(cache=True)
def brent_residual(u, v, w, t, modulus):
    """``T - sum_r U[r,a] V[r,b] W[r,g]`` flattened, reduced mod ``modulus`` (0: exact).

    With a modulus the entries of u, v, w must be reduced (|x| < modulus < 2**31).
    Only the nonzero entries of each term are visited.
    """
    rank, nu = u.shape
    nv = v.shape[1]
    ng = w.shape[1]
    out = np.empty(nu * nv * ng, np.int64)
    for x in range(nu):
        for y in range(nv):
            for z in range(ng):
                out[(x * nv + y) * ng + z] = t[x, y, z]
    iv = np.empty(nv, np.int64)
    ig = np.empty(ng, np.int64)
    for r in range(rank):
        kv = _support(v[r], iv)
        kg = _support(w[r], ig)
        if kv == 0 or kg == 0:
            continue
        for x in range(nu):
            ux = u[r, x]
            if ux == 0:
                continue
            for jy in range(kv):
                y = iv[jy]
                uv = ux * v[r, y]
                if modulus:
                    uv %= modulus
                row = (x * nv + y) * ng
                for jz in range(kg):
                    z = ig[jz]
                    if modulus:
                        out[row + z] = (out[row + z] - (uv * w[r, z]) % modulus) % modulus
                    else:
                        out[row + z] -= uv * w[r, z]
    if modulus:
        for i in range(out.shape[0]):
            out[i] %= modulus
    return out


@njit(cache=True)
def rational_reconstruct_array(a, m, bound):
    """Vectorised rational reconstruction: (num, den) with den = 0 where none exists."""
    n = a.shape[0]
    num = np.zeros(n, np.int64)
    den = np.zeros(n, np.int64)
    for idx in range(n):
        r0 = m
        r1 = a[idx] % m
        t0 = 0
        t1 = 1
        while r1 > bound:
            q = r0 // r1
            r0, r1 = r1, r0 - q * r1
            t0, t1 = t1, t0 - q * t1
        if t1 == 0 or abs(t1) > bound:
            continue
        # gcd(r1, t1) == 1 and gcd(t1, m) == 1
        x = abs(r1)
        y = abs(t1)
        while y:
            x, y = y, x % y
        if x != 1:
            continue
        x = abs(t1)
        y = m
        while y:
            x, y = y, x % y
        if x != 1:
            continue
        if t1 < 0:
            num[idx] = -r1
            den[idx] = -t1
        else:
            num[idx] = r1
            den[idx] = t1
    return num, den
