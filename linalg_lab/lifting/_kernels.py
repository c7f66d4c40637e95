"""Numba kernels of the lifting family: the Jacobian of the Brent equations
(packed, in the layout of :mod:`linalg_lab.fields.packing`: planes of uint64
words, bit j of word j // 64 is column j), residuals and rational reconstruction.

The packed GF(2)/GF(3) elimination that solves the Jacobian systems lives in
:mod:`linalg_lab.fields.elimination` (re-exported here for old imports).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..fields.elimination import eliminate2, eliminate3, solve2, solve3  # noqa: F401  (old import path)

_ONE = np.uint64(1)


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
