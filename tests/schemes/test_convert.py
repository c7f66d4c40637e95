"""schemes.convert: a scheme as galois arrays over GF(p) and as sympy expressions, checked against plain integers.

The independent computation throughout is ``numpy.einsum`` of the integer
factors (Python ints / Fractions where needed), reduced modulo p by hand; the
converters must agree with it, and with :meth:`Scheme.verify`.
"""

from fractions import Fraction
from pathlib import Path

import galois
import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.schemes import (
    GaloisScheme,
    Scheme,
    SymbolicScheme,
    from_galois,
    from_sympy,
    load_scheme,
    naive_scheme,
    strassen_scheme,
    to_galois,
    to_sympy,
)

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = [ROOT / "schemes" / d / f for d, f in (
    ("gg", "gg-3x3x3-r23-F2.json"), ("gg", "gg-3x3x3-r23-F3.json"), ("gg", "gg-2x2x3-r11-ZT.json"),
    ("ss", "ss-2x2x2-r5-F3.json"), ("ss", "ss-2x2x2-r5-Q.json"), ("gt", "gt-4x4x4-r34-F2.json"),
)]


def einsum_mod(scheme, p=0):
    """``sum_r U[r,a] V[r,b] W[r,g]`` with Python ints / Fractions, then mod p (p > 0): the reference."""
    u, v, w = (np.array([[Fraction(x) for x in row] for row in a], dtype=object).reshape(a.shape)
               for a in scheme.factors)
    out = np.einsum("ra,rb,rg->abg", u, v, w)
    if not p:
        return out
    red = np.empty(out.shape, dtype=np.int64)
    for idx, f in np.ndenumerate(out):
        red[idx] = f.numerator * pow(f.denominator, -1, p) % p
    return red


def entries_mod(a, p):
    """Each entry (int or Fraction) as a residue in [0, p)."""
    return np.array([Fraction(x).numerator * pow(Fraction(x).denominator, -1, p) % p for x in a.flat],
                    dtype=np.int64).reshape(a.shape)


def corrupt(scheme, r, c):
    """The scheme with entry ``W[r, c]`` changed to another ring element (so some Brent equation fails)."""
    w = scheme.w.copy()
    if scheme.ring.value == "F2":
        w[r, c] = 1 - w[r, c]
    else:
        w[r, c] = 0 if w[r, c] else 1
    return scheme.with_factors(scheme.u, scheme.v, w)


def schemes():
    out = [strassen_scheme(), naive_scheme("gg", (2, 3, 2), "F3"), naive_scheme("gt", (2, 2, 2), "Z"),
           naive_scheme("ug", (2, 2, 2), "F2")]
    out += [load_scheme(p) for p in CATALOGUE if p.is_file()]
    return out


# ----------------------------------------------------------------------------- galois
@pytest.mark.parametrize("scheme", schemes(), ids=repr)
def test_galois_products_match_integer_einsum_mod_p(scheme):
    for p in ([scheme.ring.characteristic] if scheme.ring.characteristic else [2, 3, 5]):
        if scheme.ring.value == "Q" and any(Fraction(x).denominator % p == 0 for a in scheme.factors for x in a.flat):
            continue
        g = to_galois(scheme, p=p)
        assert isinstance(g, GaloisScheme) and g.p == p and g.field is galois.GF(p)
        for A, a in zip((g.U, g.V, g.W), scheme.factors):
            assert isinstance(A, galois.FieldArray) and A.shape == a.shape
            assert np.array_equal(A.view(np.ndarray), entries_mod(a, p))
        assert np.array_equal(g.product_tensor().view(np.ndarray), einsum_mod(scheme, p))
        assert np.array_equal(g.T.view(np.ndarray), np.mod(scheme.tensor, p))
        assert g.verify() is True and g.brent_failures() == []  # every scheme here is exact over its ring


@pytest.mark.parametrize("scheme", [s for s in schemes() if s.ring.is_finite_field], ids=repr)
def test_galois_verification_agrees_with_scheme_verify_on_a_broken_scheme(scheme):
    rng = np.random.default_rng(0)
    for _ in range(3):
        bad = corrupt(scheme, int(rng.integers(scheme.rank)), int(rng.integers(scheme.dims[2])))
        g = to_galois(bad)
        ref = einsum_mod(bad, g.p) != np.mod(bad.tensor, g.p)
        assert not g.verify() and not bad.verify()
        assert g.brent_failures() == [tuple(int(i) for i in idx) for idx in np.argwhere(ref)]
        assert len(g.brent_failures()) == len(bad.verify().failures)


@settings(deadline=None, max_examples=40)
@given(p=st.sampled_from([2, 3]), rank=st.integers(1, 9), seed=st.integers(0, 2**32 - 1),
       sizes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)))
def test_galois_arithmetic_on_random_factors(p, rank, seed, sizes):
    # arbitrary factors (not schemes): the galois evaluation is the integer one mod p, the round trip is exact
    rng = np.random.default_rng(seed)
    n1, n2, n3 = sizes
    lo = 0 if p == 2 else -1
    u, v, w = (rng.integers(lo, 2, (rank, d)) for d in (n1 * n2, n2 * n3, n1 * n3))
    s = Scheme("gg", sizes, f"F{p}", u, v, w)
    g = to_galois(s)
    assert np.array_equal(g.product_tensor().view(np.ndarray), einsum_mod(s, p))
    assert g.verify() == bool(s.verify())
    back = from_galois(g.U, g.V, g.W, "gg", sizes)
    assert back == s


def test_from_galois_reads_field_arrays_built_by_the_user():
    GF = galois.GF(2)
    s = strassen_scheme()
    U, V, W = (GF(np.mod(a, 2)) for a in s.factors)
    back = from_galois(U, V, W, "gg", (2, 2, 2))
    assert back.ring.value == "F2" and back.verify()
    assert np.linalg.matrix_rank(U) == 4  # galois linear algebra over GF(2) on the factor


def test_galois_errors_name_the_argument():
    s = strassen_scheme()
    with pytest.raises(ValueError, match="^p: expected a prime for a scheme over Z"):
        to_galois(s)
    with pytest.raises(ValueError, match="^p: expected a prime, got 4"):
        to_galois(s, p=4)
    with pytest.raises(TypeError, match="^p: "):
        to_galois(s, p=2.0)
    with pytest.raises(ValueError, match=r"^p: a scheme over F3 is read over GF\(3\)"):
        to_galois(naive_scheme("gg", (2, 2, 2), "F3"), p=2)
    with pytest.raises(TypeError, match="^scheme: expected a Scheme"):
        to_galois(s.u, p=2)
    half = Scheme("gg", (2, 2, 2), "Q", s.u * 2, s.v, [[Fraction(int(x), 2) for x in row] for row in s.w])
    assert half.verify()
    with pytest.raises(ValueError, match="^w: the entry 1/2 .* divisible by p = 2"):
        to_galois(half, p=2)
    assert to_galois(half, p=3).verify()
    g5 = galois.GF(5)
    with pytest.raises(ValueError, match=r"^U: expected arrays over GF\(2\) or GF\(3\)"):
        from_galois(g5(np.mod(s.u, 5)), g5(np.mod(s.v, 5)), g5(np.mod(s.w, 5)), "gg", (2, 2, 2))
    g2, g3 = galois.GF(2), galois.GF(3)
    with pytest.raises(TypeError, match="^U, V, W: expected arrays over one field"):
        from_galois(g2(np.mod(s.u, 2)), g3(np.mod(s.v, 3)), g2(np.mod(s.w, 2)), "gg", (2, 2, 2))
    with pytest.raises(TypeError, match="^V: expected a galois FieldArray"):
        from_galois(g2(np.mod(s.u, 2)), s.v, g2(np.mod(s.w, 2)), "gg", (2, 2, 2))


# ----------------------------------------------------------------------------- sympy
def coefficient_tensor(sym: SymbolicScheme, shape):
    """The coefficients of ``x_a y_b`` in each expanded output (``2 x_a^2`` counts as ``x_a x_a`` twice for gram codes)."""
    nu, nv, _ = shape
    out = np.zeros(shape, dtype=object)
    for g, e in enumerate(sym.outputs):
        poly = sympy.Poly(sympy.expand(e), *dict.fromkeys(sym.x + sym.y))
        for a in range(nu):
            for b in range(nv):
                out[a, b, g] = Fraction(str(poly.coeff_monomial(sym.x[a] * sym.y[b])))
    return out


@pytest.mark.parametrize("scheme", [s for s in schemes() if s.rank <= 25 and not s.tc.is_gram], ids=repr)
def test_sympy_outputs_expand_to_the_einsum_coefficients(scheme):
    sym = to_sympy(scheme)
    assert sym.U.shape == scheme.u.shape and len(sym.products) == scheme.rank
    assert [str(c) for c in sym.output_symbols] == [str(e.lhs) for e in sym.equations()]
    ref = einsum_mod(scheme)
    coef = coefficient_tensor(sym, scheme.dims)
    p = scheme.ring.characteristic
    if p:
        assert np.all((coef - ref) % p == 0)
    else:
        assert np.array_equal(coef, ref)
    assert all(r == 0 for r in sym.residuals())
    # the product expressions evaluate as the scheme does, at random integer inputs
    rng = np.random.default_rng(1)
    xv, yv = rng.integers(-5, 6, len(sym.x)), rng.integers(-5, 6, len(sym.y))
    subs = {**dict(zip(sym.x, map(int, xv))), **dict(zip(sym.y, map(int, yv)))}
    m = np.array([Fraction(str(e.subs(subs))) for e in sym.products], dtype=object)
    ref_m = (scheme.u.astype(object) @ xv.astype(object)) * (scheme.v.astype(object) @ yv.astype(object))
    assert np.array_equal(m, ref_m)


def test_sympy_gram_code_shares_one_set_of_symbols():
    s = naive_scheme("gt", (2, 2, 2), "Z")
    sym = to_sympy(s)
    assert sym.x is sym.y and [str(v) for v in sym.x] == ["x11", "x12", "x21", "x22"]
    assert all(r == 0 for r in sym.residuals())
    X = sympy.Matrix(2, 2, sym.x)
    C = X * X.T
    assert sympy.expand(sym.outputs[0] - C[0, 0]) == 0 and sympy.expand(sym.outputs[1] - C[0, 1]) == 0


@pytest.mark.parametrize("scheme", [s for s in schemes() if s.rank <= 25], ids=repr)
def test_sympy_residuals_locate_a_broken_output(scheme):
    assert scheme.verify()
    bad = corrupt(scheme, 0, 0)
    res = to_sympy(bad).residuals()
    p = bad.ring.characteristic
    diff = einsum_mod(bad, p) != (np.mod(bad.tensor, p) if p else bad.tensor)
    broken = {int(i[2]) for i in np.argwhere(diff)}
    assert broken == {0} and {k for k, r in enumerate(res) if r != 0} == broken


@settings(deadline=None, max_examples=30)
@given(ring=st.sampled_from(["F2", "F3", "ZT", "Z", "Q"]), rank=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_sympy_round_trip(ring, rank, seed):
    rng = np.random.default_rng(seed)
    lo, hi = {"F2": (0, 2), "F3": (-1, 2), "ZT": (-1, 2)}.get(ring, (-4, 5))
    u, v, w = (rng.integers(lo, hi, (rank, 4)) for _ in range(3))
    if ring == "Q":
        den = rng.integers(1, 4, (rank, 4))
        w = np.array([[Fraction(int(a), int(b)) for a, b in zip(r1, r2)] for r1, r2 in zip(w, den)], dtype=object)
    assume(np.any(u) and np.any(v))
    s = Scheme("gg", (2, 2, 2), ring, u, v, w)
    sym = to_sympy(s)
    back = from_sympy(sym.U, sym.V, sym.W, "gg", (2, 2, 2), ring=ring)
    assert back == s
    p = s.ring.characteristic
    diff = coefficient_tensor(sym, s.dims) - einsum_mod(s)
    assert np.all(diff % p == 0) if p else not np.any(diff)


def test_from_sympy_refuses_what_is_not_a_number():
    a = sympy.Symbol("a")
    s = to_sympy(strassen_scheme())
    U = s.U.copy()
    U[2, 1] = a
    with pytest.raises(ValueError, match=r"^U: expected integer or rational entries, got a at \(2, 1\)"):
        from_sympy(U, s.V, s.W, "gg", (2, 2, 2))
    W = s.W.copy()
    W[0, 0] = sympy.Float(0.5)
    with pytest.raises(ValueError, match="^W: expected integer or rational entries"):
        from_sympy(s.U, s.V, W, "gg", (2, 2, 2))
    with pytest.raises(TypeError, match="^scheme: expected a Scheme"):
        to_sympy("strassen")
