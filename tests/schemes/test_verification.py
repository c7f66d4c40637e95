"""Exact verification over every ring, and that one changed entry is always caught."""

from fractions import Fraction

import galois
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linalg_lab.schemes import (
    Scheme, brent_product, gl_action, integer_product, integer_rows, scaled_product,
)
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


# --- one exact evaluation (schemes.evaluate): Z and Q schemes from GL actions and term scalings ------------------
def reference_failures(s: Scheme) -> list:
    """The failing Brent equations by plain Fraction loops: the independent slow reference."""
    t = matmul_tensor(s.code, s.n)
    p = s.ring.characteristic
    rows = [[[x if isinstance(x, Fraction) else Fraction(int(x)) for x in f[r]] for f in s.factors] for r in range(s.rank)]
    out = []
    for a, b, g in np.ndindex(*s.dims):
        got = sum((u[a] * v[b] * w[g] for u, v, w in rows), Fraction(0))
        exp = int(t[a, b, g])
        if p:
            rep = int(got) % p
            got = -1 if (p == 3 and rep == 2) else rep
            if (got - exp) % p == 0:
                continue
        elif got == exp:
            continue
        out.append((a, b, g, int(got) if got.denominator == 1 else got, exp))
    return out


fractions = st.builds(Fraction, st.integers(-9, 9).filter(bool), st.integers(1, 12))
formats = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))


@st.composite
def invertible(draw, n: int, ring: str):
    """L U with L unit lower triangular and U upper triangular with a unit (Z) or nonzero (Q) diagonal."""
    entry = fractions if ring == "Q" else st.integers(-3, 3)
    diag = fractions if ring == "Q" else st.sampled_from([-1, 1])
    lo = np.eye(n, dtype=object)
    up = np.eye(n, dtype=object)
    for i in range(n):
        up[i, i] = draw(diag)
        for j in range(i):
            lo[i, j] = draw(entry)
            up[j, i] = draw(entry)
    return lo @ up


@st.composite
def exact_schemes(draw, ring: str):
    """A naive or Strassen scheme moved by a random GL action, then each term scaled (Q: u*a, v*b, w/(a*b))."""
    n = (2, 2, 2) if draw(st.booleans()) else draw(formats)
    s = strassen_scheme(ring) if n == (2, 2, 2) else naive_scheme("gg", n, ring)
    s = gl_action(s, *(draw(invertible(k, ring)) for k in n))
    if ring == "Q":
        u, v, w = (a.astype(object).copy() for a in s.factors)
        for r in range(s.rank):
            a, b = draw(fractions), draw(fractions)
            u[r], v[r], w[r] = u[r] * a, v[r] * b, w[r] / (a * b)
        s = s.with_factors(u, v, w)
    return s


@given(data=st.data(), ring=st.sampled_from(["Z", "Q"]))
def test_transformed_schemes_verify(data, ring):
    s = data.draw(exact_schemes(ring))
    check = s.verify()
    assert check.ok and check.failures == [] and check.describe() == "exact"
    p, d = scaled_product(*s.factors)
    assert np.array_equal(p, matmul_tensor("gg", s.n).astype(object) * d)


@given(data=st.data(), ring=st.sampled_from(["Z", "Q"]))
def test_one_changed_entry_fails_like_the_reference(data, ring):
    s = data.draw(exact_schemes(ring))
    m = data.draw(st.integers(0, 2))
    r = data.draw(st.integers(0, s.rank - 1))
    c = data.draw(st.integers(0, s.dims[m] - 1))
    delta = data.draw(fractions if ring == "Q" else st.integers(-3, 3).filter(bool))
    mats = [a.astype(object).copy() for a in s.factors]
    mats[m][r, c] += delta
    bad = s.with_factors(*mats)
    check = bad.verify()
    # the change adds delta times the outer product of the other two rows of term r, nonzero in every
    # scheme drawn here (invertible actions and nonzero scalings keep every row nonzero)
    assert not check.ok
    ref = reference_failures(bad)
    assert check.failures == ref
    a, b, g, got, exp = ref[0]
    xs, ys, zs = check.names
    assert f"coefficient of {xs[a]}*{ys[b]} in {zs[g]}: got {got}, expected {exp}" in check.describe()


@given(ring=st.sampled_from(RINGS), which=st.sampled_from(["strassen", "naive"]), data=st.data())
def test_failures_agree_with_the_reference_over_every_ring(ring, which, data):
    s = strassen_scheme(ring) if which == "strassen" else naive_scheme("gg", (2, 3, 2), ring)
    mats = [a.astype(object).copy() for a in s.factors]
    for _ in range(data.draw(st.integers(0, 3))):
        m = data.draw(st.integers(0, 2))
        r, c = data.draw(st.integers(0, s.rank - 1)), data.draw(st.integers(0, s.dims[m] - 1))
        mats[m][r, c] = data.draw(st.sampled_from(list(s.ring.entries or (-2, -1, 0, 1, 2))))
    t = s.with_factors(*mats)
    assert t.verify().failures == reference_failures(t)


def _object_product(u, v, w):
    return np.einsum("ra,rb,rg->abg", *(np.asarray(a).astype(object) for a in (u, v, w)))


@given(bits=st.sampled_from([0, 10, 16, 18, 24, 40, 70]), seed=st.integers(0, 2**32 - 1),
       shape=st.tuples(st.integers(0, 6), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)))
def test_integer_product_is_exact_at_every_magnitude(bits, seed, shape):
    """Small entries take float64 BLAS; past 2**53 the primes and Chinese remaindering (int64 or Python ints)."""
    rng = np.random.default_rng(seed)
    r, nu, nv, nw = shape
    u, v, w = ([[int(x) << bits for x in row] for row in rng.integers(-9, 10, (r, k))] for k in (nu, nv, nw))
    u, v, w = (np.array(a, dtype=object).reshape(r, k) for a, k in zip((u, v, w), (nu, nv, nw)))
    p = integer_product(u, v, w)
    assert p.shape == (nu, nv, nw)
    assert np.array_equal(p, _object_product(u, v, w))


def test_integer_product_takes_the_modular_path_past_2_53(monkeypatch):
    from linalg_lab.schemes import evaluate

    calls = []
    real = evaluate._multimodular
    monkeypatch.setattr(evaluate, "_multimodular", lambda *a: calls.append(a[-1]) or real(*a))
    # 2**53 + 1 is the first integer float64 cannot hold: a float contraction would give 2**53
    one = np.ones((2, 1), dtype=np.int64)
    assert int(integer_product(np.array([[2**53 + 1], [-2]]), one, one)[0, 0, 0]) == 2**53 - 1
    assert int(integer_product(np.array([[2**52]]), np.array([[3]]), np.array([[1]]))[0, 0, 0]) == 3 * 2**52
    assert calls == [2**53 + 3, 3 * 2**52]
    big = integer_product(np.array([[10**40, 1]], dtype=object), np.array([[1, 10**40]], dtype=object), [[3]])
    assert big.dtype == object and big[:, :, 0].tolist() == [[3 * 10**40, 3 * 10**80], [3, 3 * 10**40]]


def test_scaled_product_scales_each_term_by_its_own_denominators():
    u = np.array([[Fraction(1, 2), 0], [0, 1]], dtype=object)
    v = np.array([[Fraction(1, 3)], [Fraction(1, 4)]], dtype=object)
    w = np.array([[1], [Fraction(1, 5)]], dtype=object)
    p, d = scaled_product(u, v, w)
    assert d == 60                                       # lcm(2*3, 4*5): not the product 2*12*5 of matrix lcms
    assert p[:, 0, 0].tolist() == [10, 3]                # 60/6 and 60/20
    p2, d2 = scaled_product(u, v, w, scale=120)
    assert d2 == 120 and np.array_equal(p2, 2 * p)
    p3, d3 = brent_product(u, v, w)                      # the importers' d: the product of the matrix lcms
    assert d3 == 2 * 12 * 5 and np.array_equal(p3, p * 2)
    with pytest.raises(ValueError, match="scale: expected a positive multiple"):
        scaled_product(u, v, w, scale=30)
    with pytest.raises(TypeError, match="scale"):
        scaled_product(u, v, w, scale=60.0)
    with pytest.raises(TypeError, match=r"u: row 0, column 1: expected an integer or a Fraction"):
        scaled_product(np.array([[1, 0.5]], dtype=object), [[1]], [[1]])
    with pytest.raises(TypeError, match="v: expected integer or Fraction entries"):
        integer_product([[1]], np.ones((1, 1)), [[1]])
    with pytest.raises(ValueError, match="same number of rows"):
        scaled_product([[1]], [[1], [1]], [[1]])


def test_integer_rows():
    a, d = integer_rows(np.array([[Fraction(1, 2), Fraction(-1, 3), 0], [4, 0, 2], [Fraction(5, 7), 2**70, 0]],
                                 dtype=object))
    assert d == [6, 1, 7] and a.dtype == object
    assert a.tolist() == [[3, -2, 0], [4, 0, 2], [5, 7 * 2**70, 0]]


def test_importers_share_the_evaluation():
    from linalg_lab.schemes import evaluate, importers

    assert importers.brent_product is evaluate.brent_product
