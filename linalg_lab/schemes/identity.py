"""Scheme identity: when two schemes are "the same scheme", as one canonical key.

Two schemes are the same when they decompose the same tensor over the same
ring with the same multiset of rank-one terms, where a term may move a unit
of the ring between its factors: ``(a u) (x) (b v) (x) w / (a b)`` is the term
``u (x) v (x) w``. The units are {1} over F2, {1, -1} over F3, Z_T and Z, and
every nonzero rational over Q. Each term is brought to a normal form
(:func:`canonical_terms`): ``u`` and ``v`` scaled by a unit so that their
first nonzero entry is 1 (over Z: positive), the inverse scale moved into ``w``; a term with a
zero factor is the zero term (all three factors zero). The key is the sorted
list of normal terms, after the tensor code, the sizes and the ring.

:func:`packed_key` gives the same equality for bit-packed factors (F2, and F3
or Z_T in the two-plane layout of :mod:`linalg_lab.schemes.packed`), for the
pools of the flip-graph search.

Examples
--------
>>> from linalg_lab.schemes import naive_scheme
>>> s = naive_scheme("gg", "2x2x2", "F3")
>>> t = s.with_factors(-s.u[::-1], s.v[::-1], -s.w[::-1])     # reversed, signs moved
>>> canonical_key(t) == canonical_key(s), s == t
(True, False)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..fields.rings import Ring, as_ring
from .scheme import Scheme

_INT64_SAFE = 2**62


def unit_normal(rows, ring) -> tuple[np.ndarray, np.ndarray]:
    """Scale each row by a unit of ``ring`` so that its first nonzero entry is 1 (over Z: positive).

    Parameters
    ----------
    rows : array_like
        A 2-D matrix; over F2 / F3 any integer representatives, over Q ints or Fractions.
    ring : {"F2", "F3", "ZT", "Z", "Q"} or Ring

    Returns
    -------
    units : numpy.ndarray
        One unit per row (1 for a zero row): ``rows == units[:, None] * normal``
        over the ring.
    normal : numpy.ndarray
        The scaled rows: int64 in {0, 1} (F2) or {-1, 0, 1} (F3); int64 or
        Python ints over Z_T / Z; Fractions (object dtype) over Q.

    Examples
    --------
    >>> unit_normal([[0, 2, 1], [0, 0, 0]], "F3")[1].tolist()
    [[0, 1, -1], [0, 0, 0]]
    >>> unit_normal([[0, -2, 4]], "Z")[1].tolist()
    [[0, 2, -4]]
    >>> [str(x) for x in unit_normal([[0, -2, 4]], "Q")[1][0]]
    ['0', '1', '-2']
    """
    ring = as_ring(ring)
    a = _ring_rows("rows", rows, ring)
    nz = a != 0
    has = nz.any(axis=1)
    first = a[np.arange(len(a)), nz.argmax(axis=1)] if len(a) and a.shape[1] else np.ones(len(a), dtype=a.dtype)
    if ring is Ring.F2:
        return np.ones(len(a), dtype=np.int64), a
    if ring is Ring.Q:
        units = np.array([f if h else Fraction(1) for f, h in zip(first, has)], dtype=object)
        return units, a / units[:, None] if a.size else a
    # F3, Z_T, Z: the units are +-1, their own inverses
    units = np.where(has & (first < 0), -1, 1).astype(np.int64)
    return units, a * units[:, None]


def canonical_terms(scheme: Scheme) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The terms of ``scheme`` in normal form, in their order (see the module docstring).

    Returns
    -------
    tuple of numpy.ndarray
        ``(u, v, w)``: ``u`` and ``v`` rows start with 1 (over Z with a
        positive entry) or are zero, ``w``
        carries the units; a term with a zero factor becomes three zero rows.
        Over Q the arrays hold Fractions (object dtype).

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> u, v, w = canonical_terms(strassen_scheme("Z"))
    >>> u[5].tolist(), v[5].tolist(), w[5].tolist()       # was (-1, 0, 1, 0) (x) v (x) w
    ([1, 0, -1, 0], [1, 1, 0, 0], [0, 0, 0, -1])
    """
    if not isinstance(scheme, Scheme):
        raise TypeError(f"scheme: expected a Scheme, got {type(scheme).__name__}")
    ring = scheme.ring
    su, u = unit_normal(scheme.u, ring)
    sv, v = unit_normal(scheme.v, ring)
    w = _ring_rows("w", scheme.w, ring) * (su * sv)[:, None]
    if ring.is_finite_field:
        w = np.asarray(ring.canonical(w % ring.characteristic), dtype=np.int64)
    zero = ~(_nonzero_rows(u) & _nonzero_rows(v) & _nonzero_rows(w))
    if zero.any():
        u, v, w = (a.copy() for a in (u, v, w))
        for a in (u, v, w):
            a[zero] = 0
    return u, v, w


def _ring_rows(name: str, rows, ring: Ring) -> np.ndarray:
    """A 2-D matrix in an exact representation: Fractions over Q, int64 where it fits, else Python ints."""
    a = np.asarray(rows) if isinstance(rows, np.ndarray) else np.asarray(rows, dtype=object)
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D matrix, got {a.ndim} dimensions")
    if ring is Ring.Q:
        return np.array([Fraction(x) for x in a.ravel().tolist()], dtype=object).reshape(a.shape)
    if a.dtype == object:
        a = np.array([int(x) for x in a.ravel().tolist()], dtype=object).reshape(a.shape)
        if ring.is_finite_field:
            a = a % ring.characteristic
        elif a.size and max(abs(x) for x in a.flat) >= _INT64_SAFE:
            return a
    a = a.astype(np.int64)
    return np.asarray(ring.canonical(a % ring.characteristic), dtype=np.int64) if ring.is_finite_field else a


def _nonzero_rows(a: np.ndarray) -> np.ndarray:
    return np.array([any(x != 0 for x in row) for row in a], dtype=bool) if a.dtype == object else (a != 0).any(axis=1)


def canonical_key(scheme: Scheme) -> bytes:
    """A key equal for two schemes iff they are the same scheme (see the module docstring).

    The same tensor (code and sizes), the same ring, and the same multiset of
    terms up to their order and up to units moved between the factors of a
    term (signs over F3, Z_T and Z; any nonzero scale over Q).

    Parameters
    ----------
    scheme : Scheme

    Returns
    -------
    bytes

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> s = strassen_scheme("Z")
    >>> canonical_key(s.with_factors(-s.u, -s.v, s.w)) == canonical_key(s)
    True
    >>> canonical_key(s.with_factors(-s.u, s.v, -s.w)) == canonical_key(strassen_scheme("ZT"))
    False
    """
    u, v, w = canonical_terms(scheme)
    head = f"{scheme.code}|{'x'.join(map(str, scheme.n))}|{scheme.ring.value}|".encode()
    rows = np.concatenate([u, v, w], axis=1) if scheme.rank else np.zeros((0, sum(scheme.dims)), dtype=np.int64)
    ints = _as_int64(rows)
    if ints is not None:
        order = np.lexsort(ints.T[::-1]) if ints.shape[1] else np.arange(len(ints))
        return head + b"i" + ints[order].tobytes()
    # big integers or fractions: an exact text form of the sorted terms
    terms = sorted(tuple(row) for row in rows.tolist())
    return head + b"t" + ";".join(",".join(str(x) for x in t) for t in terms).encode()


def _as_int64(rows: np.ndarray) -> np.ndarray | None:
    """``rows`` as int64 when every entry is an integer that fits, else None."""
    if rows.dtype != object:
        return rows.astype(np.int64)
    flat = rows.ravel().tolist()
    if all((isinstance(x, int) or (isinstance(x, Fraction) and x.denominator == 1)) and abs(x) < _INT64_SAFE
           for x in flat):
        return np.array([int(x) for x in flat], dtype=np.int64).reshape(rows.shape)
    return None


def packed_key(u, v, w, ring, signs=None) -> bytes:
    """:func:`canonical_key`'s equality on bit-packed factors (one tensor and ring).

    Parameters
    ----------
    u, v, w : numpy.ndarray of uint64
        Factor words of shape ``(rank, planes)`` or ``(rank, planes, words)``:
        one plane over F2 (bit j = coefficient j; a second plane, as the
        walkers keep, is ignored), two planes over F3 and Z_T (plane 0 holds
        the coefficients +1, plane 1 the coefficients -1); with
        a ``words`` axis, word k holds the coefficients 64 k to 64 k + 63.
    ring : {"F2", "F3", "ZT"} or Ring
    signs : array_like of int, optional
        A sign per term multiplying ``w`` (the flip-graph walkers keep ``w``'s
        sign apart); ignored over F2.

    Returns
    -------
    bytes
        For two packings of schemes ``a`` and ``b`` of the same tensor and
        ring: ``packed_key(...a) == packed_key(...b)`` iff
        ``canonical_key(a) == canonical_key(b)``. The key holds no tensor
        code: prefix one when keys of several formats share a table.

    Examples
    --------
    >>> from linalg_lab.schemes import naive_scheme, pack
    >>> s = naive_scheme("gg", "2x2x2", "F3")
    >>> a, b = pack(s), pack(s.with_factors(-s.u[::-1], s.v[::-1], -s.w[::-1]))
    >>> packed_key(a.u, a.v, a.w, "F3") == packed_key(b.u, b.v, b.w, "F3")
    True
    """
    ring = as_ring(ring)
    if ring not in (Ring.F2, Ring.F3, Ring.ZT):
        raise ValueError(f"ring: packed factors are over F2, F3 or ZT, got {ring}")
    planes = 1 if ring is Ring.F2 else 2
    fs = []
    for name, a in (("u", u), ("v", v), ("w", w)):
        a = np.asarray(a)
        if a.dtype != np.uint64:
            raise TypeError(f"{name}: expected uint64 words, got dtype {a.dtype}")
        if a.ndim == 2:
            a = a[:, :, None]
        if a.ndim != 3 or not (a.shape[1] == planes or (ring is Ring.F2 and a.shape[1] == 2)):
            raise ValueError(f"{name}: expected shape (rank, {planes}) or (rank, {planes}, words), got {a.shape}")
        fs.append(a[:, :planes])
    u, v, w = fs
    if not (len(u) == len(v) == len(w)):
        raise ValueError(f"u, v, w: must have the same number of rows, got {len(u)}, {len(v)}, {len(w)}")
    rank = len(u)
    if ring is not Ring.F2:
        flip = np.zeros(rank, dtype=bool)
        if signs is not None:
            s = np.asarray(signs).reshape(-1)
            if s.shape != (rank,):
                raise ValueError(f"signs: expected {rank} signs, got shape {np.shape(signs)}")
            flip ^= s < 0
        u, nu = _first_is_minus(u)
        v, nv = _first_is_minus(v)
        flip ^= nu ^ nv
        w = np.where(flip[:, None, None], w[:, ::-1, :], w)    # negating swaps the two planes
    live = _any_word(u) & _any_word(v) & _any_word(w)
    rows = np.concatenate([a.reshape(rank, -1) for a in (u, v, w)], axis=1)
    rows = np.where(live[:, None], rows, np.uint64(0))
    order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(rank)
    return rows[order].tobytes()


def _any_word(a: np.ndarray) -> np.ndarray:
    return (a != 0).any(axis=(1, 2))


def _first_is_minus(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Negate (swap the planes of) the rows whose first nonzero coefficient is -1; say which."""
    occupied = a[:, 0, :] | a[:, 1, :]
    k = (occupied != 0).argmax(axis=1)                  # the first word holding a coefficient
    rows = np.arange(len(a))
    word = occupied[rows, k]
    lowest = word & (~word + np.uint64(1))              # its lowest set bit: the first coefficient
    neg = (a[rows, 1, k] & lowest) != 0
    return np.where(neg[:, None, None], a[:, ::-1, :], a), neg
