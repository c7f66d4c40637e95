"""Rational schemes through their integer rows: construction, verification and file writing without a Fraction per entry."""

import hashlib
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linalg_lab.schemes import Scheme, integer_rows, load_scheme, naive_scheme, save_scheme, scheme_to_json, strassen_scheme
from linalg_lab.schemes.io import _entry_json, content_tag


def _old_matrix_json(a):
    if len(a) == 0:
        return "[]"
    return "[\n" + ",\n".join("    [" + ", ".join(_entry_json(x) for x in row) + "]" for row in a) + "\n  ]"


def _old_tag(s):
    h = hashlib.sha1()
    for a in s.factors:
        h.update(repr([[str(x) for x in row] for row in a]).encode())
    return h.hexdigest()


def _scaled(n, seed, big=False):
    """Naive n (Strassen at 2x2x2) with term t's A factor times a_t and C factor over a_t (a_t rational)."""
    rng = np.random.default_rng(seed)
    base = strassen_scheme("Z") if n == (2, 2, 2) else naive_scheme("gg", n, "Z")
    u, v, w = (a.astype(object) for a in base.factors)
    for t in range(base.rank):
        a = Fraction(int(rng.choice([1, -1, 3, 2**40 if big else 5])), int(rng.choice([1, 2, 3, 7])))
        u[t], w[t] = u[t] * a, w[t] / a
    return Scheme("gg", n, "Q", u, v, w)


@settings(max_examples=30, deadline=None)
@given(n=st.tuples(*[st.integers(1, 3)] * 3), seed=st.integers(0, 2**32 - 1), big=st.booleans())
def test_rational_scheme_rows_verification_and_text_match_the_entries(n, seed, big):
    s = _scaled(n, seed, big)
    assert s.verify()
    for a, (num, den) in zip(s.factors, s.integer_rows()):
        ref_num, ref_den = integer_rows(a)
        assert list(den) == list(ref_den) and np.array_equal(np.asarray(num, dtype=object), ref_num.astype(object))
        if a.dtype == object:      # ints stay ints: a Fraction only where an entry is not an integer
            assert all(type(x) is int or (type(x) is Fraction and x.denominator > 1) for x in a.flat)
    text = scheme_to_json(s)
    for name, a in zip("uvw", s.factors):
        assert f'"{name}": {_old_matrix_json(a)}' in text
    assert content_tag(s) == _old_tag(s)


def test_rational_file_round_trip_and_strings(tmp_path):
    s = _scaled((2, 2, 2), 3)
    path = save_scheme(s, tmp_path / "s.json")
    back = load_scheme(path)
    assert back == s and back.verify()
    u = s.u.copy()
    u[0, 0] = "1/2"                                  # 'p/q' strings and numpy integers are still accepted
    u[0, 1] = np.int64(3)
    t = Scheme("gg", (2, 2, 2), "Q", u, s.v, s.w)
    assert t.u[0, 0] == Fraction(1, 2) and t.u[0, 1] == 3 and type(t.u[0, 1]) is int


def test_bad_rational_entries_are_named():
    s = strassen_scheme("Q")
    u = s.u.astype(object)
    u[2, 1] = "x"
    with pytest.raises(ValueError, match="u: row 2, column 1"):
        Scheme("gg", (2, 2, 2), "Q", u, s.v, s.w)
    u[2, 1] = 0.5
    with pytest.raises(ValueError, match="u: row 2, column 1"):
        Scheme("gg", (2, 2, 2), "Q", u, s.v, s.w)


def test_failures_over_q_report_exact_values():
    s = _scaled((2, 2, 2), 5)
    w = s.w.copy()
    w[1, 0] = Fraction(1, 3)
    bad = Scheme("gg", (2, 2, 2), "Q", s.u, s.v, w)
    ver = bad.verify()
    assert not ver and all(isinstance(f[3], (int, Fraction)) for f in ver.failures)
    assert bad.product_tensor()[tuple(ver.failures[0][:3])] == ver.failures[0][3]


def test_verification_is_kept_only_while_the_factors_stay_read_only():
    s = strassen_scheme("ZT")
    assert s.verify() is s.verify()                  # kept
    s.w.setflags(write=True)                         # someone takes the factors back for writing
    s.w[0, 0] = 0
    assert not s.verify()
