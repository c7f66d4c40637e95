"""Importers of published formats (cyclic convention) and the exporters."""

import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from linalg_lab.cli import main
from linalg_lab.schemes import (
    Scheme, load_alphatensor_npz, load_cyclic_json, load_scheme, load_terms, output_to_cyclic, parse_terms,
    to_equations, to_terms,
)
from linalg_lab.schemes.importers import TermSyntaxError, brent_product, float_to_rational, parse_product
from linalg_lab.tensors import matmul_tensor, naive_scheme, strassen_scheme

OWN = Path(__file__).resolve().parents[1] / "fixtures"


@given(n=st.tuples(*[st.integers(1, 4)] * 3), ring=st.sampled_from(["F2", "F3", "Z"]), seed=st.integers(0, 99))
def test_terms_round_trip(n, ring, seed):
    s = naive_scheme("gg", n, ring)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(s.rank)
    s = s.with_factors(s.u[perm], s.v[perm], s.w[perm])
    assert parse_terms(to_terms(s), n=n, ring=ring) == s


def test_terms_formats_and_guess():
    s = strassen_scheme()
    text = to_terms(s)
    assert text.splitlines()[0] == "(a11+a22)*(b11+b22)*(c11+c22)"
    guessed = parse_terms(text)
    assert guessed.ring.value == "ZT" and guessed.verify()
    # coefficient spellings, parenthesis-free single variables, comments
    alt = "# Strassen\n" + text.replace("(a11)*", "a11*").replace("(c22)", "c22").replace("(b22)*", "(1*b22)*")
    assert parse_terms(alt, ring="Z") == s


def test_wide_indices_round_trip():
    s = naive_scheme("gg", (1, 1, 10), "Z")
    text = to_terms(s)
    assert "b1_10" in text
    assert parse_terms(text, ring="Z") == s


@pytest.mark.parametrize("bad,needle", [
    ("(a11)*(b11)", "three factors"),
    ("(a11+b11)*(b11)*(c11)", "mixes"),
    ("(a11)*(a12)*(c11)", "two factors in a"),
    ("(a1x)*(b11)*(c11)", "cannot read"),
    ("", "no products"),
])
def test_terms_errors(bad, needle):
    with pytest.raises(ValueError, match=needle):
        parse_terms(bad, ring="Z")


def test_alphatensor_round_trip(tmp_path):
    s = naive_scheme("gg", (2, 3, 4), "F2")
    n1, n2, n3 = s.n
    fac = np.empty(3, dtype=object)
    fac[0], fac[1], fac[2] = s.u.T, s.v.T, output_to_cyclic(s.w, n1, n3).astype(np.int64).T
    np.savez(tmp_path / "f.npz", **{"2,3,4": fac})
    back = load_alphatensor_npz(tmp_path / "f.npz", key=(2, 3, 4), ring="F2")
    assert back == s
    with pytest.raises(ValueError, match="key"):
        load_alphatensor_npz(tmp_path / "f.npz", key="9,9,9")


def test_cyclic_json_round_trip(tmp_path):
    s = strassen_scheme()
    data = {"n": [2, 2, 2], "m": 7, "u": s.u.tolist(), "v": s.v.tolist(),
            "w": output_to_cyclic(s.w, 2, 2).astype(int).tolist()}
    (tmp_path / "s.json").write_text(json.dumps(data))
    assert load_cyclic_json(tmp_path / "s.json", ring="Z") == s
    data["m"] = 8
    (tmp_path / "s.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="field 'm'"):
        load_cyclic_json(tmp_path / "s.json")


def test_equations_strassen():
    text = to_equations(strassen_scheme())
    lines = text.splitlines()
    assert lines[0] == "m1 = (a11 + a22)(b11 + b22)"
    assert "c11 = m1 + m4 - m5 + m7" in lines
    assert "c22 = m1 - m2 + m3 + m6" in lines


def test_equations_structured_names():
    text = to_equations(naive_scheme("gt", (2, 2, 2), "Z"))
    assert "x11" in text and "c12" in text and "c21" not in text


# ------------------------------------------------------------------ published files
def test_kauers_moosbauer_files(fixtures_dir):
    s47 = load_terms(fixtures_dir / "km_444-47-mod2.exp")
    assert (s47.n, s47.rank, s47.ring.value) == ((4, 4, 4), 47, "F2") and s47.verify()
    s60 = load_terms(fixtures_dir / "km_445-60-mod2.exp", ring="F2")
    assert (s60.n, s60.rank) == ((4, 4, 5), 60) and s60.verify()
    # not exact over Z: these are F2-only schemes
    assert not s47.with_factors(s47.u, s47.v, s47.w, ring="Z").verify()


def test_alphatensor_file(fixtures_dir):
    schemes = load_alphatensor_npz(fixtures_dir / "alphatensor_factorizations_f2.npz", ring="F2")
    assert schemes[(4, 4, 4)].rank == 47 and schemes[(3, 3, 3)].rank == 23
    for n, s in schemes.items():
        assert s.n == n and s.verify(), n


def test_perminov_files(fixtures_dir):
    for name, n, rank in [("perminov_3x4x5_m47_ZT.json", (3, 4, 5), 47), ("perminov_4x4x4_m49_ZT.json", (4, 4, 4), 49)]:
        s = load_cyclic_json(fixtures_dir / name)
        assert (s.n, s.rank, s.ring.value) == (n, rank, "ZT")
        assert s.verify()
        # an independent check: multiply random integer matrices with the scheme
        rng = np.random.default_rng(0)
        a = rng.integers(-9, 10, (n[0], n[1]))
        b = rng.integers(-9, 10, (n[1], n[2]))
        assert np.array_equal(s.multiply(a, b).astype(np.int64), a @ b)


# ================================================================== published syntax, exact rationals
# --- random valid schemes (exact, over Z or Q) ---------------------------------------------------
def _elementary(k, rng, ops=2):
    """An integer unimodular k x k matrix (a product of elementary operations) and its inverse."""
    p, q = np.eye(k, dtype=np.int64), np.eye(k, dtype=np.int64)
    for _ in range(ops if k > 1 else 0):
        e = np.eye(k, dtype=np.int64)
        i, j = rng.choice(k, 2, replace=False)
        e[i, j] = rng.choice([-1, 1])
        einv = 2 * np.eye(k, dtype=np.int64) - e
        p, q = p @ e, einv @ q
    return p, q


def _random_scheme(n, rng, scale=True):
    """A valid scheme for <n>: naive (Strassen at 2x2x2) moved by a sandwich, terms permuted and rescaled.

    Returns factors in the output convention as object arrays of ints and Fractions.
    """
    n1, n2, n3 = n
    base = strassen_scheme("Z") if n == (2, 2, 2) else naive_scheme("gg", n, "Z")
    (p, pi), (q, qi), (r, ri) = (_elementary(k, rng) for k in n)
    u = p.T @ base.u.reshape(-1, n1, n2) @ qi.T      # A -> P A Q^-1 ... keeps sum_r <U_r,A><V_r,B> W_r = AB
    v = q.T @ base.v.reshape(-1, n2, n3) @ ri.T
    w = pi @ base.w.reshape(-1, n1, n3) @ r
    u, v, w = (a.reshape(len(a), -1).astype(object) for a in (u, v, w))
    perm = rng.permutation(len(u))
    u, v, w = u[perm], v[perm], w[perm]
    if scale:
        for t in range(len(u)):
            a, b = (Fraction(rng.choice([1, -1, 2, -2, 4])) ** int(rng.choice([1, -1])) for _ in range(2))
            u[t], v[t], w[t] = u[t] * a, v[t] * b, w[t] / (a * b)
    return tuple(np.vectorize(lambda x: int(x) if Fraction(x).denominator == 1 else Fraction(x), otypes=[object])(a)
                 for a in (u, v, w))


def _implied(u, v, w):
    entries = [Fraction(x) for a in (u, v, w) for x in a.flat]
    if any(x.denominator != 1 for x in entries):
        return "Q"
    return "ZT" if all(abs(x) <= 1 for x in entries) else "Z"


# --- one product per line: a writer for every published syntax ------------------------------------
def _fmt_number(c: Fraction) -> str:
    return str(c.numerator) if c.denominator == 1 else f"{c.numerator}/{c.denominator}"


def _write_form(terms, style):
    out = []
    for k, (name, c) in enumerate(terms):
        mag = abs(c)
        body = name if mag == 1 else style["coef"].format(c=_fmt_number(mag), v=name)
        if k == 0:
            out.append(("-" if c < 0 else "") + body)
        else:
            sep = " {} " if style["spaced"] else "{}"
            out.append(sep.format("-" if c < 0 else "+") + body)
    return "".join(out)


def _write_factor(terms, style):
    if style["bare"] and len(terms) == 1 and terms[0][1] == 1:
        return terms[0][0]
    return "(" + _write_form(terms, style) + ")"


def _write_line(forms, style, rng):
    """One product in the given syntax; forms are lists of (name, coefficient) for a, b and c (cyclic)."""
    fa, fb, fc = ([terms[i] for i in rng.permutation(len(terms))] for terms in forms)
    k = style["outer"]
    if k != 1:
        fc = [(name, c / k) for name, c in fc]
    body = style["join"].join(_write_factor(f, style) for f in (fa, fb, fc))
    if k == 1:
        return body
    return ("-" if k == -1 else f"{_fmt_number(k)}*") + "(" + body + ")"


def _cyclic_forms(u, v, w, n):
    n1, n2, n3 = n
    out = []
    for t in range(len(u)):
        a, b, c = u[t].reshape(n1, n2), v[t].reshape(n2, n3), w[t].reshape(n1, n3)
        fa = [(f"a{i + 1}{j + 1}", Fraction(a[i, j])) for i in range(n1) for j in range(n2) if a[i, j]]
        fb = [(f"b{j + 1}{k + 1}", Fraction(b[j, k])) for j in range(n2) for k in range(n3) if b[j, k]]
        fc = [(f"c{k + 1}{i + 1}", Fraction(c[i, k])) for k in range(n3) for i in range(n1) if c[i, k]]  # cyclic
        out.append((fa, fb, fc))
    return out


_STYLES = st.fixed_dictionaries({
    "join": st.sampled_from(["*", " * ", " "]),
    "coef": st.sampled_from(["{c}*{v}", "{c}{v}", "{c} {v}", "{c} * {v}"]),
    "spaced": st.booleans(),
    "bare": st.booleans(),
    "outer": st.sampled_from([Fraction(1), Fraction(-1), Fraction(2), Fraction(-1, 2)]),
})


def _write_scheme(u, v, w, n, styles, rng):
    """Lines in mixed styles (one style per line), with comments and blank lines in between; returns text and the
    line number of each product."""
    lines, numbers = [], []
    for t, forms in enumerate(_cyclic_forms(u, v, w, n)):
        if rng.random() < 0.2:
            lines.append("# a comment" if rng.random() < 0.5 else "")
        lines.append(_write_line(forms, styles[t % len(styles)], rng))
        numbers.append(len(lines))
    return "\n".join(lines) + "\n", numbers


@given(n=st.tuples(*[st.integers(1, 3)] * 3), styles=st.lists(_STYLES, min_size=1, max_size=4),
       seed=st.integers(0, 2**32 - 1))
def test_terms_every_published_syntax_round_trips(n, styles, seed):
    rng = np.random.default_rng(seed)
    u, v, w = _random_scheme(n, rng)
    expected = Scheme("gg", n, _implied(u, v, w), u, v, w)
    assert expected.verify()
    text, _ = _write_scheme(u, v, w, n, styles, rng)
    got = parse_terms(text, n=n)
    assert got == expected, text


_CORRUPTIONS = [
    ("append '+'", lambda s: s + " +", "got 'end of line'"),
    ("append '*'", lambda s: s + "*", "got 'end of line'"),
    ("open a parenthesis", lambda s: "(" + s, "expected ')'"),
    ("close a parenthesis", lambda s: s + ")", "unexpected ')'"),
    ("unknown letter", lambda s: s.replace("b", "d"), "unexpected character 'd'"),
    ("two factors in a", lambda s: s.replace("c", "a"), "two factors in a"),
    ("a sum of products", lambda s: f"{s} + {s}", "sum of products"),
    ("a missing factor", lambda s: "(a11)*(b11)", "three factors"),
]


@given(n=st.tuples(*[st.integers(1, 3)] * 3), style=_STYLES, which=st.integers(0, 10**6),
       corruption=st.sampled_from(_CORRUPTIONS), seed=st.integers(0, 2**32 - 1))
def test_terms_malformed_lines_are_refused_with_line_and_reason(n, style, which, corruption, seed):
    rng = np.random.default_rng(seed)
    u, v, w = _random_scheme(n, rng)
    text, numbers = _write_scheme(u, v, w, n, [style], rng)
    lines = text.splitlines()
    lineno = numbers[which % len(numbers)]
    _, corrupt, reason = corruption
    lines[lineno - 1] = corrupt(lines[lineno - 1])
    with pytest.raises(ValueError) as exc:
        parse_terms("\n".join(lines), n=n, source="f.exp")
    msg = str(exc.value)
    assert msg.startswith(f"f.exp, line {lineno}, column ") and reason in msg
    assert repr(lines[lineno - 1].strip()) in msg


@pytest.mark.parametrize("line, fa, fb, fc", [
    ("-(a25*(-b11+2*b12+b13)*c12)", {(1, 4): 1}, {(0, 0): -1, (0, 1): 2, (0, 2): 1}, {(0, 1): -1}),
    ("(a13 - a32) (b12 + 2 b31) (-c13)", {(0, 2): 1, (2, 1): -1}, {(0, 1): 1, (2, 0): 2}, {(0, 2): -1}),
    ("-(a13 (b13 - b53) c11)", {(0, 2): 1}, {(0, 2): 1, (4, 2): -1}, {(0, 0): -1}),
    ("a33 b33 c33", {(2, 2): 1}, {(2, 2): 1}, {(2, 2): 1}),
    ("(-a14)*(2b11+1/2*b41)*c1_12", {(0, 3): -1}, {(0, 0): 2, (3, 0): Fraction(1, 2)}, {(0, 11): 1}),
    ("2*(a11*b11*c11)", {(0, 0): 1}, {(0, 0): 1}, {(0, 0): 2}),
    ("(2*a11)*b11*c11", {(0, 0): 2}, {(0, 0): 1}, {(0, 0): 1}),
])
def test_parse_product_published_forms(line, fa, fb, fc):
    assert parse_product(line) == (fa, fb, fc)


@pytest.mark.parametrize("bad, needle", [
    ("(a11*(b11)*(c11)", "column 17: expected ')' to close the '(' at column 1"),
    ("a11*()*c11", "empty parentheses"),
    ("(a11-a11)*b11*c11", "the factor in a is zero"),
    ("a123*b11*c11", "write a1_12 when an index exceeds 9"),
    ("a01*b11*c11", "1-based"),
    ("a11*b11*c11/0", "division by zero"),
    ("a11*b11*(c11+1)", "cannot add a linear form in c and a constant"),
])
def test_parse_product_errors(bad, needle):
    with pytest.raises(TermSyntaxError, match=re.escape(needle)):
        parse_product(bad, "x.exp, line 7")


def test_km_fixture_with_signs_and_bare_variables():
    s = load_terms(OWN / "strassen-km-signs.exp")
    ref = strassen_scheme("ZT")
    v, w = ref.v.copy(), ref.w.copy()
    v[3] *= -1  # line 4 is written -(a22*(b11-b21)*(c11+c12)): the sign goes into the c factor
    w[3] *= -1
    assert s == ref.with_factors(ref.u, v, w) and s.verify()


def test_spaced_fixture_with_rational_coefficients():
    s = load_terms(OWN / "strassen-scaled-spaces.txt")
    ref = strassen_scheme("Q")
    u, v, w = (a.astype(object) for a in ref.factors)
    for t, (a, b) in {0: (2, 1), 1: (1, Fraction(1, 2)), 3: (1, -1), 4: (Fraction(1, 4), 4), 5: (1, 3)}.items():
        u[t], v[t], w[t] = u[t] * a, v[t] * b, w[t] / Fraction(a * b)
    assert s == Scheme("gg", (2, 2, 2), "Q", u, v, w) and s.verify()
    assert s.ring.value == "Q" and Fraction(1, 3) in set(s.w.flat)


def test_forced_ring_is_checked_once():
    text = to_terms(strassen_scheme())
    assert parse_terms(text, ring="Q").ring.value == "Q"
    broken = text.replace("(c11)", "(c12)")
    with pytest.raises(ValueError, match="does not verify over Z"):
        parse_terms(broken, ring="Z")
    assert parse_terms(broken, ring="Z", verify=False).rank == 7
    with pytest.raises(ValueError, match="does not verify over ZT nor modulo 2 or 3"):
        parse_terms(broken)


# --- AlphaTensor's real-valued file ----------------------------------------------------------------
def _dyadic_sandwich(n, rng):
    """Float factors (output convention) of a valid scheme with dyadic entries such as 0.5, 0.125, -2.

    Naive (Strassen at 2x2x2) moved by P = D L (D a diagonal of powers of two, L unit lower triangular
    with entries in {-1, 0, 1}, so P^-1 is exact), then each term scaled by (2^a, 2^b, 2^-(a+b)).
    """
    def dyadic_gl(k):
        low = np.tril(rng.integers(-1, 2, (k, k)), -1) + np.eye(k, dtype=np.int64)
        inv = np.eye(k, dtype=np.int64)  # forward substitution: the inverse of a unit triangular integer matrix
        for i in range(k):
            for j in range(i):
                inv[i] -= low[i, j] * inv[j]
        e = rng.integers(-1, 2, k).astype(float)
        return np.diag(2.0 ** e) @ low, inv @ np.diag(2.0 ** -e)

    n1, n2, n3 = n
    base = strassen_scheme("Z") if n == (2, 2, 2) else naive_scheme("gg", n, "Z")
    (p, pi), (q, qi), (r, ri) = (dyadic_gl(k) for k in n)
    u = (p.T @ base.u.reshape(-1, n1, n2) @ qi.T).reshape(base.rank, -1)
    v = (q.T @ base.v.reshape(-1, n2, n3) @ ri.T).reshape(base.rank, -1)
    w = (pi @ base.w.reshape(-1, n1, n3) @ r).reshape(base.rank, -1)
    a, b = (2.0 ** rng.integers(-2, 3, (base.rank, 1)) * rng.choice([-1, 1], (base.rank, 1)) for _ in range(2))
    return u * a, v * b, w / (a * b)


def _exact(a):
    return np.vectorize(lambda x: int(x) if float(x).is_integer() else Fraction(float(x)), otypes=[object])(a)


def _write_npz(path, entries):
    """AlphaTensor's layout: key 'n1,n2,n3' -> (u (n1 n2, R), v (n2 n3, R), w (n3 n1, R)), w cyclic."""
    arrays = {}
    for n, (u, v, w) in entries.items():
        fac = np.empty(3, dtype=object)
        fac[0], fac[1] = np.asarray(u, dtype=float).T, np.asarray(v, dtype=float).T
        fac[2] = np.asarray(output_to_cyclic(w, n[0], n[2]), dtype=float).T
        arrays[",".join(map(str, n))] = fac
    np.savez_compressed(path, **arrays)


def synthetic_alphatensor_r(path, seed=0, formats=None):
    """A file like ``factorizations_r.npz``: 93 formats up to 5x5x5, about a quarter with dyadic fractions.

    Returns ``{n: expected Scheme}``.
    """
    rng = np.random.default_rng(seed)
    if formats is None:
        sizes = range(2, 6)
        formats = [(a, b, c) for a in sizes for b in sizes for c in sizes]
        formats += [(1, a, b) for a in sizes for b in sizes] + [(a, b, 1) for a in sizes for b in sizes][:13]
    entries, expected = {}, {}
    for n in formats:
        kind = rng.choice(["ZT", "Z", "Q"], p=[0.5, 0.25, 0.25])
        if kind == "Q":
            u, v, w = _dyadic_sandwich(n, rng)
        else:
            u, v, w = _random_scheme(n, rng, scale=False)
            if kind == "ZT":
                u, v, w = (np.asarray(a, dtype=np.int64) for a in naive_scheme("gg", n, "Z").factors)
        entries[n] = (u, v, w)
        u, v, w = (_exact(a) for a in (u, v, w))
        expected[n] = Scheme("gg", n, _implied(u, v, w), u, v, w)
    _write_npz(path, entries)
    return expected


def test_alphatensor_real_valued_file_imports_exactly(tmp_path):
    expected = synthetic_alphatensor_r(tmp_path / "factorizations_r.npz", seed=1)
    got = load_alphatensor_npz(tmp_path / "factorizations_r.npz")
    assert set(got) == set(expected) and len(got) == 93
    for n, s in got.items():
        assert s == expected[n], n
        assert s.verify(), n  # the Scheme's own exact check, independent of the importer's
    rings = {s.ring.value for s in got.values()}
    assert rings == {"ZT", "Z", "Q"}
    halves = [s for s in got.values() if s.ring.value == "Q"]
    assert any(Fraction(1, 2) in set(a.flat) or Fraction(-1, 2) in set(a.flat) for s in halves for a in s.factors)


def test_alphatensor_small_real_fixture():
    got = load_alphatensor_npz(OWN / "alphatensor-r-small.npz")
    assert sorted(got) == [(2, 2, 2), (2, 2, 3), (3, 3, 3), (4, 4, 4)]
    for n, s in got.items():
        assert s.verify() and s.n == n
    assert got[(2, 2, 2)].ring.value == "Q" and Fraction(1, 2) in set(got[(2, 2, 2)].u.flat)
    assert got[(2, 2, 3)].ring.value == "ZT"
    assert {got[(3, 3, 3)].ring.value, got[(4, 4, 4)].ring.value} == {"Q"}


def _strassen_halves():
    s = strassen_scheme("Q")
    u, v, w = (a.astype(object) for a in s.factors)
    u[0], w[0] = u[0] * Fraction(1, 2), w[0] * 2      # 0.5 in u
    v[1], w[1] = v[1] * 2, w[1] * Fraction(1, 2)      # 0.5 in w
    u[2], v[2] = u[2] * Fraction(-1, 8), v[2] * -8    # -0.125 in u
    return Scheme("gg", (2, 2, 2), "Q", u, v, w)


def write_small_real_fixture(path):
    """The committed ``tests/fixtures/alphatensor-r-small.npz`` (float64 in AlphaTensor's layout)."""
    rng = np.random.default_rng(7)
    s = _strassen_halves()
    entries = {(2, 2, 2): s.factors, (2, 2, 3): naive_scheme("gg", (2, 2, 3), "Z").factors,
               (3, 3, 3): _dyadic_sandwich((3, 3, 3), rng), (4, 4, 4): _dyadic_sandwich((4, 4, 4), rng)}
    _write_npz(path, entries)


def test_small_real_fixture_is_reproducible(tmp_path):
    write_small_real_fixture(tmp_path / "again.npz")
    a, b = load_alphatensor_npz(tmp_path / "again.npz"), load_alphatensor_npz(OWN / "alphatensor-r-small.npz")
    assert a == b
    assert a[(2, 2, 2)] == _strassen_halves()


def test_alphatensor_float_that_is_no_small_rational_is_refused(tmp_path):
    u, v, w = (np.asarray(a, dtype=float) for a in _strassen_halves().factors)
    v[4, 3] = 0.1234567891          # product 4, parameter b22: v in the file is (parameters, products)
    _write_npz(tmp_path / "bad.npz", {(2, 2, 2): (u, v, w), (2, 2, 3): naive_scheme("gg", (2, 2, 3)).factors})
    with pytest.raises(ValueError, match=re.escape("bad.npz[2,2,2]: factor v, entry (3, 4) = 0.1234567891 is not")):
        load_alphatensor_npz(tmp_path / "bad.npz")
    assert load_alphatensor_npz(tmp_path / "bad.npz", key="2,2,3").ring.value == "ZT"  # the other entries still load
    v[4, 3] = np.nan
    _write_npz(tmp_path / "nan.npz", {(2, 2, 2): (u, v, w)})
    with pytest.raises(ValueError, match=re.escape("factor v, entry (3, 4) = nan")):
        load_alphatensor_npz(tmp_path / "nan.npz")


def test_alphatensor_thirds_and_forced_ring(tmp_path):
    s = strassen_scheme("Q")
    u, v, w = (a.astype(object) for a in s.factors)
    u[6], w[6] = u[6] * 3, w[6] * Fraction(1, 3)
    _write_npz(tmp_path / "t.npz", {(2, 2, 2): (u, v, w)})
    got = load_alphatensor_npz(tmp_path / "t.npz", key=(2, 2, 2))
    assert got == Scheme("gg", (2, 2, 2), "Q", u, v, w)   # 0.333... read as 1/3
    with pytest.raises(ValueError, match=re.escape("t.npz[2,2,2]: w: row 6, column 0: expected an integer over Z")):
        load_alphatensor_npz(tmp_path / "t.npz", ring="Z")
    _write_npz(tmp_path / "i.npz", {(2, 2, 2): strassen_scheme().factors})
    assert load_alphatensor_npz(tmp_path / "i.npz", key="2,2,2", ring="Q") == strassen_scheme("Q")
    (tmp_path / "not.npz").write_bytes(b"\x80\x04K\x01.")  # a pickle, not an archive: never unpickled
    with pytest.raises(ValueError, match="not an .npz archive"):
        load_alphatensor_npz(tmp_path / "not.npz")


def test_alphatensor_f2_file_ring_implied(fixtures_dir):
    schemes = load_alphatensor_npz(fixtures_dir / "alphatensor_factorizations_f2.npz")
    assert len(schemes) == 20 and {s.ring.value for s in schemes.values()} == {"F2"}
    assert all(s.verify() for s in schemes.values())


@given(p=st.integers(-10**4, 10**4), q=st.integers(1, 64))
def test_float_to_rational_recovers_small_rationals(p, q):
    assert float_to_rational(p / q) == Fraction(p, q)


@given(p=st.integers(-10**6, 10**6), k=st.integers(0, 16))
def test_float_to_rational_keeps_dyadics(p, k):
    assert float_to_rational(p / 2**k) == Fraction(p, 2**k)


@given(x=st.floats(-100, 100, allow_nan=False))
def test_float_to_rational_refuses_other_floats(x):
    exact = Fraction(x)
    assume(exact.denominator > 2**16)
    near = exact.limit_denominator(64)
    assume(near == 0 or abs(exact - near) > 1e-9 * abs(near))
    assert float_to_rational(x) is None


def test_brent_product_paths_agree():
    s = _strassen_halves()
    p, d = brent_product(*s.factors)
    assert d == 8 * 2 and np.array_equal(p, matmul_tensor("gg", (2, 2, 2)) * d)
    big = [a.astype(object) * 2**25 for a in strassen_scheme().factors]   # past 2**53: int64 path
    huge = [a.astype(object) * 2**40 for a in strassen_scheme().factors]  # past 2**62: Python integers
    for mats, scale in ((big, 2**75), (huge, 2**120)):
        p, d = brent_product(*mats)
        assert d == 1 and all(int(x) == int(y) * scale for x, y in zip(p.flat, matmul_tensor("gg", (2, 2, 2)).flat))


# --- the import command ----------------------------------------------------------------------------
def test_import_command_published_fixtures(fixtures_dir, tmp_path, capsys):
    files = [fixtures_dir / f for f in ("km_444-47-mod2.exp", "km_445-60-mod2.exp", "perminov_3x4x5_m47_ZT.json",
                                        "perminov_4x4x4_m49_ZT.json", "alphatensor_factorizations_f2.npz")]
    assert main(["import", *map(str, files), "--out", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 + 2 + 20
    for line in lines:
        path, fmt, _, rank, ring = line.split()
        s = load_scheme(path, verify=True)
        assert ("x".join(map(str, s.n)), s.rank, s.ring.value) == (fmt, int(rank), ring)
    assert "4x4x4  rank 47  F2" in lines[0] and "3x4x5  rank 47  ZT" in lines[2]
    assert sum(line.endswith("F2") for line in lines) == 22


def test_import_command_own_fixtures_and_ring(tmp_path, capsys):
    out = tmp_path / "out"
    files = [OWN / "strassen-km-signs.exp", OWN / "strassen-scaled-spaces.txt", OWN / "alphatensor-r-small.npz"]
    assert main(["import", *map(str, files), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[-1] for line in lines] == ["ZT", "Q", "Q", "ZT", "Q", "Q"]
    assert load_scheme(lines[1].split()[0]) == load_terms(OWN / "strassen-scaled-spaces.txt")
    assert main(["import", str(OWN / "strassen-km-signs.exp"), "--ring", "Z", "--out", str(out)]) == 0
    assert capsys.readouterr().out.split()[-1] == "Z"


def test_import_command_reports_failures(tmp_path, capsys):
    bad = tmp_path / "bad.exp"
    bad.write_text("(a11+a22)*(b11+b22)*(c11+c22)\n(a21+a22)*b11*(c12-c22\n")
    u, v, w = (np.asarray(a, dtype=float) for a in _strassen_halves().factors)
    u[0, 0] = 0.1234567891
    _write_npz(tmp_path / "part.npz", {(2, 2, 2): (u, v, w), (2, 2, 3): naive_scheme("gg", (2, 2, 3)).factors})
    code = main(["import", str(bad), str(tmp_path / "part.npz"), str(OWN / "strassen-km-signs.exp"),
                 str(tmp_path / "missing.exp"), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1
    assert len(captured.out.strip().splitlines()) == 2   # part.npz[2,2,3] and the Strassen file
    err = captured.err
    assert f"{bad}, line 2, column 23: expected ')'" in err
    assert "part.npz[2,2,2]: factor u, entry (0, 0) = 0.1234567891" in err
    assert "missing.exp: cannot read" in err and "3 scheme(s) not converted, 2 written" in err
