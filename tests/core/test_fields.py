"""The ring layer: packed word arithmetic, the row packer and exact elimination against references."""

from fractions import Fraction

import galois
import numpy as np
import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from linalg_lab.fields import RING_F2, RING_F3, RING_ZT, Ring, exact_inverse, exact_rank, pack_rows, unpack_rows
from linalg_lab.fields import words as W
from linalg_lab.fields.elimination import back_substitute2, eliminate2

CODES = {"F2": RING_F2, "F3": RING_F3, "ZT": RING_ZT}


def _vec(ring, n):
    lo = 0 if ring == "F2" else -1
    return st.lists(st.integers(lo, 1), min_size=n, max_size=n).map(lambda x: np.array(x, np.int64))


def _word(ring, a):
    w = pack_rows(a[None, :], ring, 1)[0, :, 0]
    return (w[0], w[1] if len(w) > 1 else np.uint64(0))


def _back(ring, w0, w1, n):
    planes = np.array([[[w0]], [[w1]]], np.uint64).reshape(1, 2, 1)
    if ring == "F2":
        planes = planes[:, :1]
    return unpack_rows(planes, n, ring)[0]


@given(st.sampled_from(["F2", "F3", "ZT"]), st.integers(1, 64), st.data())
def test_add_subtract_negate_match_integer_arithmetic(ring, n, data):
    a = data.draw(_vec(ring, n))
    b = data.draw(_vec(ring, n))
    code = CODES[ring]
    for op, ref in ((W.add, a + b), (W.subtract, a - b)):
        ok, c0, c1 = op(code, *_word(ring, a), *_word(ring, b))
        if ring == "ZT":
            # a ternary sum fails exactly where an entry leaves {-1, 0, 1}
            assert ok == bool(np.all(np.abs(ref) <= 1))
            if ok:
                assert np.array_equal(_back(ring, c0, c1, n), ref)
        else:
            assert ok
            p = Ring(ring).characteristic
            assert np.array_equal(_back(ring, c0, c1, n) % p, ref % p)
    n0, n1 = W.negate(code, *_word(ring, a))
    expect = a % 2 if ring == "F2" else -a
    assert np.array_equal(_back(ring, n0, n1, n), expect)


@given(st.sampled_from(["F3", "ZT"]), st.integers(1, 64), st.data())
def test_normalise_and_equality_up_to_sign(ring, n, data):
    a = data.draw(_vec(ring, n))
    assume(np.any(a))
    s, c0, c1 = W.normalise(*_word(ring, a))
    c = _back(ring, c0, c1, n)
    assert c[np.flatnonzero(c)[0]] == 1
    assert np.array_equal(s * c, a)
    assert W.equal_up_to_sign(*_word(ring, a), *_word(ring, -a))
    b = a.copy()
    b[np.flatnonzero(a)[0]] = 0
    assert not W.equal_up_to_sign(*_word(ring, a), *_word(ring, b))


@given(st.sampled_from(["F2", "F3", "ZT"]), st.integers(1, 6), st.integers(1, 200), st.integers(0, 2**32 - 1))
def test_pack_rows_round_trip_any_width(ring, m, n, seed):
    rows = np.random.default_rng(seed).integers(-1, 2, (m, n))
    words = pack_rows(rows, ring)
    assert words.shape == (m, 1 if ring == "F2" else 2, -(-n // 64))
    expect = rows % 2 if ring == "F2" else rows
    assert np.array_equal(unpack_rows(words, n, ring), expect)


def test_pack_rows_refuses_non_ternary_entries_over_zt():
    with pytest.raises(ValueError, match="rows: entries over ZT"):
        pack_rows(np.array([[2, 0]]), "ZT")
    with pytest.raises(ValueError, match="ring"):
        pack_rows(np.array([[1, 0]]), "Q")


def test_ring_codes_exist_only_for_packed_rings():
    assert [Ring(r).code for r in ("F2", "F3", "ZT")] == [RING_F2, RING_F3, RING_ZT]
    with pytest.raises(ValueError, match="ring: packed arithmetic"):
        Ring.Z.code


@given(st.sampled_from([2, 3, 5]), st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_exact_rank_matches_galois(p, m, n, seed):
    a = np.random.default_rng(seed).integers(0, p, (m, n))
    assert exact_rank(a.tolist(), p) == np.linalg.matrix_rank(galois.GF(p)(a))


@given(st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_exact_inverse_over_q_matches_sympy(n, seed):
    a = np.random.default_rng(seed).integers(-3, 4, (n, n))
    ref = sympy.Matrix(a.tolist())
    inv = exact_inverse(a.tolist(), 0)
    if ref.det() == 0:
        assert inv is None
    else:
        assert inv == [[Fraction(int(x.p), int(x.q)) for x in row] for row in ref.inv().tolist()]


@given(st.sampled_from([2, 3]), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_exact_inverse_mod_p_matches_galois(p, n, seed):
    a = np.random.default_rng(seed).integers(0, p, (n, n))
    g = galois.GF(p)(a)
    inv = exact_inverse(a.tolist(), p)
    if np.linalg.matrix_rank(g) < n:
        assert inv is None
    else:
        assert np.array_equal(np.array(inv), np.linalg.inv(g))


@given(st.integers(1, 8), st.integers(1, 130), st.integers(0, 2**32 - 1))
def test_gf2_elimination_gives_the_reduced_echelon_form_of_galois(m, n, seed):
    rows = np.random.default_rng(seed).integers(0, 2, (m, n))
    a = pack_rows(rows, "F2")
    rank, _, pivcols, _ = eliminate2(a, n)
    red = unpack_rows(back_substitute2(a, rank, pivcols)[:, None, :], n, "F2")
    ref = galois.GF(2)(rows).row_reduce()
    assert rank == np.linalg.matrix_rank(galois.GF(2)(rows))
    assert np.array_equal(red, np.asarray(ref[:rank]))
