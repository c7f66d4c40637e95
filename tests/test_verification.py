"""Exact verification over every ring, and that one changed entry is always caught."""

from fractions import Fraction

import galois
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linalg_lab.schemes import Scheme
from linalg_lab.tensors import CODES, matmul_tensor, naive_scheme, strassen_scheme

RINGS = ["F2", "F3", "ZT", "Z", "Q"]


def sizes_for(code):
    return (2, 2, 2) if code[1] == "t" or code[0] != "g" else (2, 3, 2)


@pytest.mark.parametrize("ring", RINGS)
@pytest.mark.parametrize("code", CODES)
def test_naive_scheme_is_exact(code, ring):
    s = naive_scheme(code, sizes_for(code), ring)
    assert s.verify().ok


@pytest.mark.parametrize("ring", RINGS)
def test_strassen_is_exact(ring):
    assert strassen_scheme(ring).verify()


def rescaled(s: Scheme, rng) -> Scheme:
    """Scale each term by (c, 1, 1/c) with random rationals c: still exact over Q."""
    u = s.u.astype(object).copy()
    w = s.w.astype(object).copy()
    for r in range(s.rank):
        c = Fraction(int(rng.integers(1, 7)) * int(rng.choice([-1, 1])), int(rng.integers(1, 7)))
        u[r] = u[r] * c
        w[r] = w[r] / c
    return s.with_factors(u, s.v, w, ring="Q")


def test_rational_scheme_is_exact():
    s = rescaled(strassen_scheme(), np.random.default_rng(1))
    assert s.is_rational and s.verify()
    w = s.w.copy()
    w[0, 0] = w[0, 0] + Fraction(1, 3)
    bad = s.with_factors(s.u, s.v, w)
    check = bad.verify()
    assert not check and check.failures


def _mutations(s: Scheme):
    ring = s.ring.value
    for m in range(3):
        mat = s.factors[m]
        for r in range(mat.shape[0]):
            for c in range(mat.shape[1]):
                old = mat[r, c]
                if ring == "F2":
                    news = [1 - old]
                elif ring in ("F3", "ZT"):
                    news = [x for x in (-1, 0, 1) if x != old]
                else:
                    news = [old + 1, old - 1, old + Fraction(1, 2)]
                for new in news:
                    yield m, r, c, new


@given(ring=st.sampled_from(RINGS), which=st.sampled_from(["strassen", "naive-gg", "naive-ug", "naive-gt", "naive-kg"]),
       data=st.data())
def test_one_entry_change_is_caught(ring, which, data):
    s = strassen_scheme(ring) if which == "strassen" else naive_scheme(which[-2:], (2, 2, 2) if which != "naive-gg" else (2, 2, 3), ring)
    # a fraction is not an entry of F2, F3, Z_T or Z: only Q draws those mutations
    muts = [mu for mu in _mutations(s) if ring == "Q" or not isinstance(mu[3], Fraction)]
    m, r, c, new = data.draw(st.sampled_from(muts))
    mats = [a.astype(object).copy() for a in s.factors]
    mats[m][r, c] = new
    changed = s.with_factors(*mats, ring="Q" if isinstance(new, Fraction) else ring)
    check = changed.verify()
    assert not check.ok
    assert check.failures and "fail" in check.describe()


def test_verification_agrees_with_galois_over_f3():
    gf = galois.GF(3)
    rng = np.random.default_rng(5)
    s = naive_scheme("gg", (2, 2, 2), "F3")
    for _ in range(20):
        w = s.w.copy()
        r, c = rng.integers(0, w.shape[0]), rng.integers(0, w.shape[1])
        w[r, c] = rng.integers(-1, 2)
        t = s.with_factors(s.u, s.v, w)
        U, V, W = (gf(np.asarray(a) % 3) for a in t.factors)
        prod = np.zeros(t.dims, dtype=np.int64)
        for k in range(t.rank):
            prod = prod + np.asarray(np.multiply.outer(np.multiply.outer(U[k], V[k]), W[k]))
        ref_ok = np.array_equal(gf(prod % 3), gf(matmul_tensor("gg", (2, 2, 2)) % 3))
        assert t.verify().ok == ref_ok


def test_failures_name_the_equation():
    s = strassen_scheme()
    w = s.w.copy()
    w[6, 0] = 0
    check = s.with_factors(s.u, s.v, w).verify()
    assert not check
    assert "in c11" in check.describe()
    assert all(len(f) == 5 for f in check.failures)


@pytest.mark.parametrize("code", ["gg", "ug", "gt", "ss", "kg", "uu"])
def test_multiply_matches_numpy(code):
    rng = np.random.default_rng(0)
    s = naive_scheme(code, (3, 3, 3), "Z")
    a = rng.integers(-5, 6, (3, 3))
    if code[0] == "u":
        a = np.triu(a)
    if code[0] == "s":
        a = np.triu(a) + np.triu(a, 1).T
    if code[0] == "k":
        a = np.triu(a, 1) - np.triu(a, 1).T
    if code[1] == "t":
        assert np.array_equal(s.multiply(a), a @ a.T)
        return
    b = rng.integers(-5, 6, (3, 3))
    if code[1] == "u":
        b = np.triu(b)
    if code[1] == "s":
        b = np.triu(b) + np.triu(b, 1).T
    assert np.array_equal(s.multiply(a, b), a @ b)


def test_scheme_rejects_bad_factors():
    with pytest.raises(ValueError, match="u: expected 4 columns"):
        Scheme("gg", (2, 2, 2), "Z", np.zeros((7, 3)), np.zeros((7, 4)), np.zeros((7, 4)))
    with pytest.raises(ValueError, match="same number of rows"):
        Scheme("gg", (2, 2, 2), "Z", np.zeros((7, 4)), np.zeros((6, 4)), np.zeros((7, 4)))
    with pytest.raises(ValueError, match="not in Z_T"):
        Scheme("gg", (2, 2, 2), "ZT", 2 * np.ones((1, 4)), np.ones((1, 4)), np.ones((1, 4)))
    with pytest.raises(ValueError, match="ring"):
        Scheme("gg", (2, 2, 2), "F5", np.ones((1, 4)), np.ones((1, 4)), np.ones((1, 4)))
    with pytest.raises(ValueError, match="integers"):
        Scheme("gg", (2, 2, 2), "Z", 0.5 * np.ones((1, 4)), np.ones((1, 4)), np.ones((1, 4)))


def test_big_integers_are_exact():
    s = strassen_scheme()
    big = 10**30
    u = s.u.astype(object).copy()
    w = s.w.astype(object).copy()
    u[0] = u[0] * big
    assert not s.with_factors(u, s.v, w).verify()          # no int64 overflow hides the error
    w[0] = w[0] * Fraction(1, big)
    assert s.with_factors(u, s.v, w, ring="Q").verify()    # compensated exactly over Q
    w[0, 0] += Fraction(1, big * 3)
    assert not s.with_factors(u, s.v, w, ring="Q").verify()
