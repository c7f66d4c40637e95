"""Canonical scaling of rank-one terms, and the ring a scheme really needs.

A term ``u (x) v (x) w`` equals ``(a u) (x) (b v) (x) (w / (a b))`` for any nonzero
rationals a, b. :func:`canonicalize` scales every term so that ``u`` and ``v``
are primitive integer vectors (coprime entries) whose first nonzero entry is
positive, and puts the remaining factor into ``w``. Since the product of the
three contents of a term is invariant, the term can be written with integers
exactly when that product is an integer, and then this form does so; a term
that still has a fraction in ``w`` genuinely needs a denominator (for this
term scaling).

References
----------
.. [1] M. Kauers and J. Moosbauer, "Flip graphs for matrix multiplication",
   ISSAC 2023.
.. [2] K. Khoruzhii, P. Gelss and S. Pokutta, "Faster algorithms for
   structured matrix multiplication via flip graph search", 2025.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm

import numpy as np

from ..fields.rings import Ring
from ..schemes import Scheme
from ..validation import check_instance


def ring_of_entries(*factors) -> Ring:
    """The narrowest of Z_T, Z, Q that holds every entry of the given matrices.

    Examples
    --------
    >>> ring_of_entries([[1, -1]], [[0, 2]])
    <Ring.Z: 'Z'>
    >>> ring_of_entries([[Fraction(1, 2)]]).value
    'Q'
    """
    ring = Ring.ZT
    for a in factors:
        arr = np.asarray(a) if isinstance(a, np.ndarray) else np.asarray(a, dtype=object)
        if arr.dtype != object:
            if arr.size and np.abs(arr).max() > 1:
                ring = Ring.Z
            continue
        for x in arr.flat:
            if isinstance(x, Fraction) and x.denominator != 1:
                return Ring.Q
            if abs(int(x)) > 1:
                ring = Ring.Z
    return ring


def _content(vec) -> Fraction:
    """gcd of the numerators over lcm of the denominators (positive), 0 for a zero vector."""
    nums = [Fraction(x) for x in vec]
    if not any(nums):
        return Fraction(0)
    d = lcm(*(x.denominator for x in nums))
    g = 0
    for x in nums:
        g = gcd(g, int(x * d))
    return Fraction(g, d)


def _first_sign(vec) -> int:
    for x in vec:
        if x:
            return 1 if x > 0 else -1
    return 1


def canonical_term(u, v, w):
    """Scale one rank-one term: ``u``, ``v`` primitive with a positive first entry.

    Parameters
    ----------
    u, v, w : sequence of int or Fraction

    Returns
    -------
    tuple of list
        ``(u', v', w')`` with ``u' (x) v' (x) w' = u (x) v (x) w``; entries are
        ints, or Fractions where a denominator remains (only in ``w'``).

    Examples
    --------
    >>> canonical_term([2, -2], [Fraction(1, 3), 0], [3, 3])
    ([1, -1], [1, 0], [2, 2])
    """
    cu, cv = _content(u), _content(v)
    if cu == 0 or cv == 0:
        return [0] * len(u), [0] * len(v), [0] * len(w)
    su = cu * _first_sign(u)
    sv = cv * _first_sign(v)
    uu = [_plain(Fraction(x) / su) for x in u]
    vv = [_plain(Fraction(x) / sv) for x in v]
    ww = [_plain(Fraction(x) * su * sv) for x in w]
    return uu, vv, ww


def _plain(x: Fraction):
    return int(x.numerator) if x.denominator == 1 else x


def _canonical_int(u: np.ndarray, v: np.ndarray, w: np.ndarray):
    """Integer fast path of :func:`canonicalize` (int64 arrays)."""
    u, v, w = u.copy(), v.copy(), w.copy()
    for a in (u, v):
        g = np.gcd.reduce(np.abs(a), axis=1)
        nz = a != 0
        first = a[np.arange(len(a)), nz.argmax(axis=1)]
        s = np.where(first < 0, -1, 1) * np.where(g == 0, 1, g)
        zero = g == 0
        a //= s[:, None]
        w *= s[:, None]
        if zero.any():
            u[zero] = 0
            v[zero] = 0
            w[zero] = 0
    return u, v, w


def canonicalize(scheme: Scheme) -> Scheme:
    """Scale every term of a scheme over Z_T, Z or Q to its canonical form.

    The terms keep their order; the result is over the narrowest ring of Z_T,
    Z, Q that holds its entries (see :func:`ring_of_entries`).

    Parameters
    ----------
    scheme : Scheme
        A scheme over ZT, Z or Q.

    Returns
    -------
    Scheme

    Raises
    ------
    TypeError
        If ``scheme`` is not a Scheme.
    ValueError
        If ``scheme`` is over F2 or F3 (scaling there is by units only).

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> s = strassen_scheme("Q")
    >>> t = s.with_factors(s.u * 2, s.v * -1, s.w, ring="Q")   # 2u (x) -v (x) w: not exact any more
    >>> canonicalize(t).ring.value
    'Z'
    """
    check_instance(scheme, "scheme", Scheme)
    if scheme.ring.is_finite_field:
        raise ValueError(f"scheme: expected a scheme over ZT, Z or Q (canonical scaling), got one over {scheme.ring}")
    if all(a.dtype != object for a in scheme.factors):
        u, v, w = _canonical_int(*(np.asarray(a, dtype=np.int64) for a in scheme.factors))
        return Scheme(scheme.code, scheme.n, ring_of_entries(u, v, w) if u.size else Ring.ZT, u, v, w)
    rows = [canonical_term(list(a), list(b), list(c)) for a, b, c in zip(*scheme.factors)]
    nu, nv, nw = scheme.dims
    u = np.empty((scheme.rank, nu), dtype=object)
    v = np.empty((scheme.rank, nv), dtype=object)
    w = np.empty((scheme.rank, nw), dtype=object)
    for r, (a, b, c) in enumerate(rows):
        u[r], v[r], w[r] = a, b, c
    ring = ring_of_entries(u, v, w)
    if ring is not Ring.Q:
        u, v, w = (np.array([[int(x) for x in row] for row in a], dtype=np.int64).reshape(a.shape) for a in (u, v, w))
    return Scheme(scheme.code, scheme.n, ring, u, v, w)
