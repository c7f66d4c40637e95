"""Meta moves between formats and the additive complexity: exact, with their format and rank rules."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.schemes import Scheme, naive_scheme, strassen_scheme
from linalg_lab.schemes.cost import additive_complexity
from linalg_lab.schemes.meta_moves import double, extend, merge, naive_extension, product, project, reduce
from linalg_lab.schemes.transforms import gl_action

RINGS = ["F2", "F3", "ZT", "Z", "Q"]
sizes = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))


def _ternary_ok(s: Scheme) -> bool:
    return s.ring.value != "ZT" or all(np.abs(np.asarray(a, dtype=np.int64)).max(initial=0) <= 1 for a in s.factors)


def _start(ring, n, seed):
    """A scheme of format n that is not the naive one: Strassen-based where it fits, else naive, moved by a GL action."""
    s = naive_scheme("gg", n, ring)
    if ring in ("Z", "Q") and all(x >= 2 for x in n):
        g = np.random.default_rng(seed)
        mats = []
        for k in n:
            m = np.eye(k, dtype=np.int64)
            i, j = g.choice(k, 2, replace=False)
            m[i, j] = int(g.integers(-2, 3))
            mats.append(m)
        s = gl_action(s, *mats)
    return s


@given(ring=st.sampled_from(RINGS), n=sizes, axis=st.integers(0, 2), data=st.data())
def test_project_deletes_one_index(ring, n, axis, data):
    assume(n[axis] >= 2)
    s = _start(ring, n, data.draw(st.integers(0, 99)))
    index = data.draw(st.integers(0, n[axis] - 1))
    t = project(s, axis, index)
    m = list(n)
    m[axis] -= 1
    assert t.n == tuple(m) and t.rank <= s.rank and t.verify() and _ternary_ok(t)


@given(ring=st.sampled_from(RINGS), n=sizes, axis=st.integers(0, 2))
def test_extend_adds_the_naive_products(ring, n, axis):
    s = _start(ring, n, 0)
    t = extend(s, axis)
    m = list(n)
    m[axis] += 1
    others = int(np.prod([x for q, x in enumerate(n) if q != axis]))
    assert t.n == tuple(m) and t.rank == s.rank + others and t.verify()


@settings(max_examples=15, deadline=None)
@given(ring=st.sampled_from(RINGS), n1=sizes, n2=sizes)
def test_product_is_the_kronecker_product(ring, n1, n2):
    assume(np.prod(n1) * np.prod(n2) <= 81)
    a, b = _start(ring, n1, 1), _start(ring, n2, 2)
    t = product(a, b)
    assert t.n == tuple(x * y for x, y in zip(n1, n2)) and t.rank == a.rank * b.rank and t.verify()


@given(ring=st.sampled_from(RINGS), n=sizes, extra=st.integers(1, 3), axis=st.integers(0, 2))
def test_merge_puts_two_schemes_side_by_side(ring, n, extra, axis):
    m = list(n)
    m[axis] = extra
    a, b = _start(ring, n, 3), _start(ring, tuple(m), 4)
    t = merge(a, b, axis)
    want = list(n)
    want[axis] += extra
    assert t.n == tuple(want) and t.rank == a.rank + b.rank and t.verify()
    d = double(a, axis)
    assert d.rank == 2 * a.rank and d.verify()


def test_strassen_meta_moves_reach_known_ranks():
    s = strassen_scheme("ZT")
    assert product(s, s).rank == 49 and product(s, s).verify()
    s3 = naive_extension(s, (3, 3, 3))                 # 7 + 4 + 6 + 9 = 26
    assert s3.n == (3, 3, 3) and s3.rank == 26 and s3.verify()
    p = project(product(s, s), 0, 3)                   # 4x4x4 r49 -> 3x4x4
    assert p.n == (3, 4, 4) and p.rank < 49 and p.verify()


def test_reduce_merges_a_split_term_and_refuses_ternary_overflow():
    s = naive_scheme("gg", "2x2x2", "ZT")
    w = s.w.copy()
    w[0] = s.w[0] + s.w[1]
    split = s.with_factors(np.vstack([s.u, s.u[:1]]), np.vstack([s.v, s.v[:1]]), np.vstack([w, -s.w[1:2]]))
    assert split.verify() and reduce(split).rank == 8 and reduce(split).verify()
    # (u0, v0, w0) + (u0, v0, w0) would need the coefficient 2: over Z_T the two terms stay apart
    twice = s.with_factors(np.vstack([s.u, s.u[:1]]), np.vstack([s.v, s.v[:1]]), np.vstack([s.w, s.w[:1]]))
    assert reduce(twice).rank == 9
    zs = naive_scheme("gg", "2x2x2", "Z")
    twice_z = zs.with_factors(np.vstack([zs.u, zs.u[:1]]), np.vstack([zs.v, zs.v[:1]]), np.vstack([zs.w, zs.w[:1]]))
    assert reduce(twice_z).rank == 8


def _big_strassen(bits_p, bits_q, bits_r):
    """Strassen's scheme over Z moved by unimodular matrices [[x, 1], [x - 1, 1]] with x of the given sizes."""
    mats = [[[x, 1], [x - 1, 1]] for x in (3 ** bits_p, 7 ** bits_q, 5 ** bits_r)]
    return gl_action(strassen_scheme("Z"), *mats)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.integers(1, 40))
def test_product_of_big_integer_schemes_stays_exact(p1, q1, r1, p2):
    # entries up to 3^40 * 5^40 and beyond: their products leave int64 (the old einsum wrapped around silently)
    a = _big_strassen(p1, q1, r1)
    b = _big_strassen(p2, r1, q1)
    s = product(a, b)
    assert s.verify().ok
    big = max(abs(int(x)) for f in a.factors for x in f.flat) * max(abs(int(x)) for f in b.factors for x in f.flat)
    assume(big > 2**20)
    # the largest entry of the product is the product of the largest entries, exactly
    assert max(abs(int(x)) for f in s.factors for x in f.flat) <= big
    for fa, fb, fs in zip(a.factors, b.factors, s.factors):
        top = max(abs(int(x)) for x in fa.flat) * max(abs(int(x)) for x in fb.flat)
        assert top in {abs(int(x)) for x in fs.flat}


def test_meta_moves_on_entries_beyond_int64():
    s = gl_action(strassen_scheme("Z"), [[2**70, 1], [2**70 - 1, 1]], np.eye(2, dtype=int), np.eye(2, dtype=int))
    assert s.verify().ok and s.u.dtype == object
    for t in (product(s, strassen_scheme("Z")), product(s, s), project(s, 0, 1), extend(s, 2), merge(s, s, 1),
              double(s, 0), reduce(s)):
        assert t.verify().ok
        assert max(abs(int(x)) for f in t.factors for x in f.flat) >= 2**70


@pytest.mark.parametrize("value", [2.0**70, -(2.0**63), np.uint64(2**64 - 1), np.int64(2**63 - 1), np.int64(-2**63)])
def test_scheme_keeps_wide_integers_exact(value):
    arr = np.array([[value]])
    s = Scheme("gg", "1x1x1", "Z", arr, [[1]], [[1]])
    assert int(s.u[0, 0]) == int(value)
    # 1x1x1 needs u*v*w = 1: the wide entry is no scheme, and verify must say so rather than wrap to 1
    assert not s.verify().ok


def test_meta_move_errors():
    s = naive_scheme("gg", "2x2x2", "F2")
    with pytest.raises(ValueError, match="axis"):
        project(s, 3, 0)
    with pytest.raises(ValueError, match="index"):
        project(s, 0, 2)
    with pytest.raises(ValueError, match="b: the schemes must share their ring"):
        product(s, naive_scheme("gg", "2x2x2", "F3"))
    with pytest.raises(ValueError, match="must agree outside"):
        merge(s, naive_scheme("gg", "2x3x2", "F2"), 0)
    with pytest.raises(TypeError, match="scheme"):
        extend("gg", 0)
    with pytest.raises(ValueError, match="gg"):
        extend(naive_scheme("gt", "2x2x2", "F2"), 0)


def test_additive_complexity():
    assert additive_complexity(strassen_scheme("ZT")) == 18          # Perminov's figure for Strassen
    n = naive_scheme("gg", "3x3x3", "Z")
    assert additive_complexity(n) == 3 * 27 - 2 * 27 - 9 == 9 * 2     # each output a sum of 3 products
    with pytest.raises(TypeError, match="scheme"):
        additive_complexity(np.zeros(3))
