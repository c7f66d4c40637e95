"""Packed and exact Gaussian elimination over GF(2), GF(3) and Q: the one place it is written.

Packed elimination
------------------
A matrix over GF(p) with ``n`` columns is stored row by row as ``uint64`` words
in an array of shape ``(m, planes, nw)`` (:func:`linalg_lab.fields.packing.pack_rows`):
for p = 2 one plane, for p = 3 two bit planes (entries equal to 1, entries equal
to 2 = -1). :func:`eliminate2` / :func:`eliminate3` bring the matrix to row
echelon form in place, scanning the columns from left to right (so the column
order is the priority order of the pivots: the columns that end up without a
pivot are the free variables). They record, for pivot ``k``: the row swapped
into place (``swaps[k]``), the pivot column (``pivcols[k]``), the scale applied
to the pivot row (p = 3 only: 1 or 2) and the multipliers used below the pivot
as a packed column ``lmult[k]`` over the rows. :func:`solve2` / :func:`solve3`
replay that record on a right-hand side (a cheap forward pass of packed words),
check consistency, and back-substitute with every free variable set to 0.

Exact elimination
-----------------
:func:`row_reduce` brings small matrices of Python integers mod p (or
``Fraction`` over Q) to reduced row echelon form; :func:`exact_rank` and
:func:`exact_inverse` are built on it (scheme invariants, the GL action).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from numba import njit

from .words import RING_F3, add, lowest_bit, popcount

_ONE = np.uint64(1)


@njit(cache=True, _nrt=False, inline="always")
def _f3_add(a1, a2, b1, b2):
    _, r1, r2 = add(RING_F3, a1, a2, b1, b2)
    return r1, r2


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
                    b = lowest_bit(x)
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
                piv = (j << 6) + lowest_bit(x)
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
                bb = lowest_bit(x)
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
                i = (j << 6) + lowest_bit(x)
                x &= x - _ONE
                for jj in range(wi, nw):
                    a[i, 0, jj] ^= a[k, 0, jj]
                y = pk
                while y:
                    bb = lowest_bit(y)
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
        val = ((bb[k >> 6] >> np.uint64(k & 63)) & _ONE) ^ np.uint64(popcount(acc) & 1)
        if val:
            xw[c >> 6] |= _ONE << np.uint64(c & 63)
            x[c] = 1
    return x, ok


# ----------------------------------------------------------------------------- p = 3
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
                    r1, r2 = _f3_add(a[i, 0, j], a[i, 1, j], a[k, 1, j], a[k, 0, j])
                    a[i, 0, j] = r1
                    a[i, 1, j] = r2
                c1[i] = a[i, 0, wi]
                c2[i] = a[i, 1, wi]
                lmult[k, 0, i >> 6] |= _ONE << np.uint64(i & 63)
            elif c2[i] & bit:          # row_i -= 2 row_k = row_i + row_k
                for j in range(wi, nw):
                    r1, r2 = _f3_add(a[i, 0, j], a[i, 1, j], a[k, 0, j], a[k, 1, j])
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
                r1, r2 = _f3_add(b1[j], b2[j], lmult[k, 1, j], lmult[k, 0, j])
                b1[j] = r1
                b2[j] = r2
        elif vk == 2:    # b -= 2 L = b + L
            for j in range(k >> 6, mw):
                r1, r2 = _f3_add(b1[j], b2[j], lmult[k, 0, j], lmult[k, 1, j])
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
            ones += popcount((r1 & x1[j]) | (r2 & x2[j]))
            twos += popcount((r1 & x2[j]) | (r2 & x1[j]))
        val = (_get3(b1, b2, k) - ones - 2 * twos) % 3
        if val:
            _set3(x1, x2, c, val)
            x[c] = val
    return x, ok


def back_substitute2(a, rank: int, pivcols) -> np.ndarray:
    """Reduced row echelon form over GF(2) of an :func:`eliminate2` result: the first ``rank``
    rows of plane 0, each pivot column cleared above its pivot. Returns (rank, nw) words."""
    red = np.array(a[:rank, 0, :], dtype=np.uint64, copy=True)
    for k in range(rank - 1, -1, -1):
        c = int(pivcols[k])
        w, b = c >> 6, np.uint64(c & 63)
        hit = np.flatnonzero((red[:k, w] >> b) & np.uint64(1))
        if len(hit):
            red[hit] ^= red[k]
    return red


# ----------------------------------------------------------------------------- exact
def row_reduce(rows: list, p: int) -> list[int]:
    """Reduce ``rows`` (lists of ints mod p, or Fractions when p = 0) to reduced echelon form in place.

    Returns the pivot columns; their number is the rank.

    Examples
    --------
    >>> rows = [[1, 2], [2, 4]]
    >>> row_reduce(rows, 5), rows
    ([0], [[1, 2], [0, 0]])
    """
    pivots: list[int] = []
    for c in range(len(rows[0]) if rows else 0):
        r = len(pivots)
        piv = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if piv is None:
            continue
        rows[r], rows[piv] = rows[piv], rows[r]
        inv = pow(rows[r][c], -1, p) if p else 1 / rows[r][c]
        rows[r] = [(x * inv) % p if p else x * inv for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [((a - f * b) % p) if p else a - f * b for a, b in zip(rows[i], rows[r])]
        pivots.append(c)
    return pivots


def _exact_rows(mat, p: int) -> list:
    return [[(int(x) % p) if p else Fraction(x) for x in row] for row in mat]


def exact_rank(mat, p: int) -> int:
    """Rank mod p (p prime) or over Q (p = 0) with exact arithmetic.

    >>> exact_rank([[1, 1], [1, 1]], 2), exact_rank([[1, 2], [3, 4]], 0)
    (1, 2)
    """
    return len(row_reduce(_exact_rows(mat, p), p))


def exact_inverse(mat, p: int):
    """Inverse of a square matrix mod p (entries 0..p-1) or over Q (Fractions); None when singular.

    >>> exact_inverse([[1, 1], [0, 1]], 3)
    [[1, 2], [0, 1]]
    """
    n = len(mat)
    rows = [row + [int(i == j) if p else Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(_exact_rows(mat, p))]
    if [c for c in row_reduce(rows, p) if c < n] != list(range(n)):
        return None
    return [row[n:] for row in rows]
