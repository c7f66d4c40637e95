"""Scheme identity: canonical_key against an independent account of "the same multiset of terms", and packed_key."""

from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.fields.rings import Ring
from linalg_lab.schemes import (
    Scheme, canonical_key, canonical_terms, naive_scheme, pack, pack_rows, packed_key,
    strassen_scheme, unit_normal,
)

RINGS = ["F2", "F3", "ZT", "Z", "Q"]
FORMATS = [(2, 2, 2), (1, 2, 3), (2, 3, 2)]


def _units(ring, rng, k):
    """k random units of the ring (what may move between the factors of a term)."""
    if ring == "F2":
        return [1] * k
    if ring == "Q":
        return [Fraction(int(rng.choice([-1, 1])) * int(rng.integers(1, 5)), int(rng.integers(1, 5))) for _ in range(k)]
    return [int(rng.choice([-1, 1])) for _ in range(k)]


def _entry(ring, rng):
    if ring == "F2":
        return int(rng.integers(0, 2))
    if ring in ("F3", "ZT"):
        return int(rng.integers(-1, 2))
    if ring == "Z":
        return int(rng.integers(-3, 4))
    return Fraction(int(rng.integers(-3, 4)), int(rng.integers(1, 3)))


def _random_terms(ring, dims, count, rng):
    """``count`` random terms with nonzero factors, pairwise different as rank-one tensors."""
    out, seen = [], set()
    while len(out) < count:
        t = tuple([_entry(ring, rng) for _ in range(d)] for d in dims)
        if not all(any(x != 0 for x in f) for f in t):
            continue
        key = _tensor_of(t, ring)
        if ring in ("F2", "F3") and not any(key):
            continue
        if key in seen:
            continue
        seen.add(key)
        out.append(t)
    return out


def _nonzero_row(ring, d, rng):
    low = 0 if ring == "F2" else -1
    while True:
        row = rng.integers(low, 2, size=d)
        if row.any():
            return row.tolist()


def _tensor_of(term, ring):
    """The rank-one tensor u (x) v (x) w of a term, exact (mod p over F2 / F3), as a hashable tuple."""
    u, v, w = (np.array(f, dtype=object) for f in term)
    t = np.multiply.outer(np.multiply.outer(u, v), w)
    if ring in ("F2", "F3"):
        p = 2 if ring == "F2" else 3
        t = np.array([int(x) % p for x in t.flat], dtype=object)
    return tuple(Fraction(x) for x in t.flat)


def _disguise(term, ring, rng):
    """The same term with random units moved between its factors: (a u, b v, w / (a b))."""
    a, b = _units(ring, rng, 2)
    u, v, w = term
    if ring == "F3":
        return [a * x for x in u], [b * x for x in v], [a * b * x for x in w]   # a, b = +-1 are their own inverses
    return [a * x for x in u], [b * x for x in v], [x / (a * b) if ring == "Q" else x * a * b for x in w]


def _scheme(ring, n, terms):
    dims = (n[0] * n[1], n[1] * n[2], n[0] * n[2])
    mats = [np.empty((len(terms), d), dtype=object) for d in dims]
    for r, t in enumerate(terms):
        for k in range(3):
            mats[k][r] = t[k]
    if ring != "Q":
        mats = [np.array(m.tolist(), dtype=np.int64).reshape(m.shape) for m in mats]
    return Scheme("gg", n, ring, *mats)


@settings(max_examples=60, deadline=None)
@given(ring=st.sampled_from(RINGS), n=st.sampled_from(FORMATS), seed=st.integers(0, 2**32 - 1),
       picks=st.tuples(st.lists(st.integers(0, 4), min_size=1, max_size=6), st.lists(st.integers(0, 4), min_size=1, max_size=6)))
def test_key_is_equal_iff_the_terms_are_the_same(ring, n, seed, picks):
    # two schemes drawn from five distinct terms, each term disguised by random units and the order shuffled:
    # their keys agree exactly when they hold the same multiset of terms
    rng = np.random.default_rng(seed)
    dims = (n[0] * n[1], n[1] * n[2], n[0] * n[2])
    base = _random_terms(ring, dims, 5, rng)
    a, b = picks
    sa = _scheme(ring, n, [_disguise(base[i], ring, rng) for i in rng.permutation(a)])
    sb = _scheme(ring, n, [_disguise(base[i], ring, rng) for i in rng.permutation(b)])
    assert (canonical_key(sa) == canonical_key(sb)) == (Counter(a) == Counter(b))
    again = _scheme(ring, n, [_disguise(base[i], ring, rng) for i in rng.permutation(a)])
    assert canonical_key(again) == canonical_key(sa)
    # independent account: the multisets of rank-one tensors
    ta = Counter(_tensor_of(t, ring) for t in zip(*(f.tolist() for f in sa.factors)))
    tb = Counter(_tensor_of(t, ring) for t in zip(*(f.tolist() for f in sb.factors)))
    assert (canonical_key(sa) == canonical_key(sb)) == (ta == tb)


@settings(max_examples=30, deadline=None)
@given(ring=st.sampled_from(RINGS), seed=st.integers(0, 2**32 - 1))
def test_canonical_terms_are_the_same_terms_in_normal_form(ring, seed):
    rng = np.random.default_rng(seed)
    s = _scheme(ring, (2, 2, 2), _random_terms(ring, (4, 4, 4), 6, rng))
    u, v, w = canonical_terms(s)
    for r in range(s.rank):
        for f in (u[r], v[r]):
            first = next(x for x in f if x != 0)
            assert first > 0 if ring == "Z" else first == 1      # the units of Z are +-1 only
        assert _tensor_of((u[r], v[r], w[r]), ring) == _tensor_of((s.u[r], s.v[r], s.w[r]), ring)
    assert canonical_key(Scheme("gg", (2, 2, 2), ring, u, v, w)) == canonical_key(s)


def test_units_are_those_of_the_ring():
    s = strassen_scheme("Z")
    doubled = s.with_factors(2 * s.u, s.v, s.w)
    moved = s.with_factors(s.u, 2 * s.v, s.w)
    # over Z, 2 is not a unit: (2u, v, w) and (u, 2v, w) are different terms (the same tensor)
    assert canonical_key(doubled) != canonical_key(moved)
    assert canonical_key(doubled.with_factors(*doubled.factors, ring="Q")) == canonical_key(moved.with_factors(*moved.factors, ring="Q"))
    # over F2 nothing moves, over F3 signs do
    f3 = strassen_scheme("F3")
    assert canonical_key(f3.with_factors(-f3.u, f3.v, -f3.w)) == canonical_key(f3)
    assert canonical_key(f3.with_factors(-f3.u, f3.v, f3.w)) != canonical_key(f3)


def test_key_tells_tensor_and_ring_apart_and_zero_terms_alike():
    s = naive_scheme("gg", (2, 2, 2), "Z")
    assert canonical_key(s) != canonical_key(s.with_factors(*s.factors, ring="ZT"))
    assert canonical_key(naive_scheme("gg", (1, 2, 3), "F2")) != canonical_key(naive_scheme("gg", (3, 2, 1), "F2"))
    u, v, w = (np.array(f) for f in s.factors)
    z1 = s.with_factors(np.vstack([u, 0 * u[:1]]), np.vstack([v, v[:1]]), np.vstack([w, w[:1]]))
    z2 = s.with_factors(np.vstack([u, u[1:2]]), np.vstack([v, v[1:2]]), np.vstack([w, 0 * w[1:2]]))
    assert canonical_key(z1) == canonical_key(z2) != canonical_key(s)


def test_key_of_big_integers_and_fractions():
    s = strassen_scheme("Z")
    big = s.with_factors(s.u, s.v, s.w.astype(object) * 2**70)
    assert canonical_key(big) == canonical_key(big.with_factors(-big.u, big.v, -big.w))
    assert canonical_key(big) != canonical_key(s)
    q = s.with_factors(s.u * Fraction(1, 3), s.v, s.w * 3, ring="Q")
    assert canonical_key(q) == canonical_key(s.with_factors(*s.factors, ring="Q"))


def test_unit_normal_and_errors():
    units, rows = unit_normal([[0, -1, 1], [1, 0, 0], [0, 0, 0]], "ZT")
    assert units.tolist() == [-1, 1, 1] and rows.tolist() == [[0, 1, -1], [1, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="rows: expected a 2-D matrix"):
        unit_normal([1, 2], "Z")
    with pytest.raises(TypeError, match="scheme: expected a Scheme"):
        canonical_key("strassen")


# ----------------------------------------------------------------------------- packed_key
def _flip_f3_signs(s, rng):
    """The same scheme with random signs moved inside each term and the terms shuffled."""
    order = rng.permutation(s.rank)
    a = rng.choice([-1, 1], size=s.rank)
    b = rng.choice([-1, 1], size=s.rank)
    return s.with_factors(s.u[order] * a[:, None], s.v[order] * b[:, None], s.w[order] * (a * b)[:, None])


@settings(max_examples=40, deadline=None)
@given(ring=st.sampled_from(["F2", "F3"]), seed=st.integers(0, 2**32 - 1), change=st.booleans())
def test_packed_key_agrees_with_canonical_key(ring, seed, change):
    rng = np.random.default_rng(seed)
    s = _scheme(ring, (2, 2, 2), _random_terms(ring, (4, 4, 4), 6, rng))
    t = _flip_f3_signs(s, rng)
    if change:     # alter one entry of one term: usually a different scheme, sometimes (a zero factor etc.) not
        w = np.array(t.w)
        w[0, int(rng.integers(4))] += 1
        t = t.with_factors(t.u, t.v, w)
    a, b = pack(s), pack(t)
    assert (packed_key(a.u, a.v, a.w, ring) == packed_key(b.u, b.v, b.w, ring)) == (canonical_key(s) == canonical_key(t))


def test_packed_key_with_walker_signs_and_raw_packing():
    # the walkers keep w's sign apart; and packing need not normalise first
    s = strassen_scheme("F3")
    rng = np.random.default_rng(3)
    signs = rng.choice([-1, 1], size=s.rank)
    u, v, w = (pack_rows(np.asarray(f), Ring.F3) for f in (s.u, s.v, np.asarray(s.w) * signs[:, None]))
    p = pack(s)
    assert packed_key(u, v, w, "F3", signs=signs) == packed_key(p.u, p.v, p.w, "F3")
    assert packed_key(u, v, w, "F3") != packed_key(p.u, p.v, p.w, "F3")


@settings(max_examples=20, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT"]), seed=st.integers(0, 2**32 - 1), same=st.booleans())
def test_packed_key_over_several_words(ring, seed, same):
    # gg 10x10x10 factors have 100 coefficients: two 64-bit words per plane, coefficient j in word j // 64
    rng = np.random.default_rng(seed)
    n = (10, 10, 10)
    dims = (100, 100, 100)
    base = [tuple(_nonzero_row(ring, d, rng) for d in dims) for _ in range(5)]
    s = _scheme(ring, n, base[:4])
    t = _flip_f3_signs(s, rng) if same else _scheme(ring, n, base[1:])
    assume(same or canonical_key(s) != canonical_key(t))

    def words(f):
        f = np.asarray(f, dtype=np.int64)
        r = Ring.F2 if ring == "F2" else Ring.F3     # Z_T uses the F3 planes: +1 in plane 0, -1 in plane 1
        return np.stack([pack_rows(f[:, :64], r), pack_rows(f[:, 64:], r)], axis=2)

    ks, kt = (packed_key(*(words(f) for f in x.factors), ring) for x in (s, t))
    assert (ks == kt) == (canonical_key(s) == canonical_key(t)) == same


def test_packed_key_errors():
    p = pack(strassen_scheme("F2"))
    with pytest.raises(ValueError, match="ring: packed factors"):
        packed_key(p.u, p.v, p.w, "Z")
    with pytest.raises(TypeError, match="u: expected uint64"):
        packed_key(p.u.astype(np.int64), p.v, p.w, "F2")
    q = pack(strassen_scheme("F3"))
    with pytest.raises(ValueError, match="v: expected shape"):
        packed_key(q.u, p.v, q.w, "F3")
    with pytest.raises(ValueError, match="u, v, w: must have the same number of rows"):
        packed_key(p.u, p.v[:3], p.w, "F2")

