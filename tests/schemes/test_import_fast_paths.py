"""The fast paths of ``linalg-lab import`` against the general ones: same Scheme, same verification, same bytes.

Each fast path (sparse exact evaluation, integer rows through construction,
.m / .json / .npz parsed into arrays, scheme files written from the arrays)
is switched off with monkeypatch to get the general path's answer, and the
two must agree exactly; a wrong scheme is still refused with the failing
Brent equation named.
"""

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linalg_lab.schemes import (
    Scheme, integer_product, integer_rows, load_alphatensor_npz, naive_scheme, product, save_scheme,
    strassen_scheme,
)
from linalg_lab.schemes import evaluate, formats, importers, io
from linalg_lab.schemes.formats import parse_nested, to_nested, to_perminov_json
from linalg_lab.schemes.importers import load_cyclic_json, output_to_cyclic
from linalg_lab.schemes.io import content_tag, scheme_to_json
from linalg_lab.tensors import CODES, matmul_tensor

RINGS = ["F2", "F3", "ZT", "Z", "Q"]


def _general_failures(scheme):
    """The failing equations by the dense contraction only (the path before the sparse one)."""
    (u, du), (v, dv), (w, dw) = scheme.integer_rows()
    q = [a * b * c for a, b, c in zip(du, dv, dw)]
    from math import lcm
    d = lcm(1, *q)
    w = evaluate._scale_rows(w, [d // x for x in q])
    return evaluate._dense_failures(integer_product(u, v, w), d, matmul_tensor(scheme.code, scheme.n), scheme.ring)


def _rescaled(s, rng):
    u, v, w = (a.astype(object).copy() for a in s.factors)
    for r in range(s.rank):
        c = Fraction(int(rng.integers(1, 7)) * int(rng.choice([-1, 1])), int(rng.integers(1, 5)))
        u[r], w[r] = u[r] * c, w[r] / c
    return Scheme(s.code, s.n, "Q", u, v, w)


# ------------------------------------------------------------------ the sparse evaluation
@settings(max_examples=60, deadline=None)
@given(shape=st.tuples(st.integers(0, 9), st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)),
       big=st.sampled_from([1, 3, 2**20, 2**40]), density=st.floats(0.05, 1.0), seed=st.integers(0, 2**32 - 1))
def test_sparse_product_equals_the_dense_contraction(shape, big, density, seed):
    rng = np.random.default_rng(seed)
    r, a, b, c = shape
    mats = [rng.integers(-big, big + 1, (r, k)) * (rng.random((r, k)) < density) for k in (a, b, c)]
    got = evaluate.sparse_product(*mats, always=True)
    dense = integer_product(*mats)
    if got is None:          # only past the int64 bound
        terms = [int(np.abs(x).max(initial=0)) for x in mats[0]]
        assert big >= 2**20 and sum(terms) > 0
        return
    keys, vals = got
    assert np.all(np.diff(keys) > 0) and np.all(vals != 0)
    flat = np.zeros(a * b * c, dtype=object)
    flat[keys] = vals.astype(object)
    assert np.array_equal(flat.reshape(a, b, c), np.asarray(dense, dtype=object))


def test_sparse_product_refuses_what_int64_cannot_hold():
    u = np.array([[2**40]]), np.array([[2**20]]), np.array([[2**3]])
    assert evaluate.sparse_product(*u, always=True) is None              # 2**63: past the bound
    assert evaluate.sparse_product(np.array([[1]], dtype=object), *u[1:]) is None


@pytest.mark.parametrize("code", CODES)
def test_sparse_tensor_is_the_tensor(code):
    n = (2, 2, 2) if code[1] == "t" or code[0] != "g" else (2, 3, 4)
    keys, vals = evaluate._sparse_tensor(code, n)
    t = matmul_tensor(code, n)
    assert np.array_equal(keys, np.flatnonzero(t)) and np.array_equal(vals, t.ravel()[keys])


@settings(max_examples=80, deadline=None)
@given(ring=st.sampled_from(RINGS), which=st.sampled_from(["strassen", "naive-gg", "naive-ug", "naive-gt", "s2"]),
       changes=st.integers(0, 3), data=st.data())
def test_verification_fast_and_general_agree(ring, which, changes, data):
    """Scheme.verify (sparse where it pays) and the dense evaluation list the same failures, in the same order."""
    if which == "strassen":
        s = strassen_scheme(ring)
    elif which == "s2":
        s = product(strassen_scheme(ring), strassen_scheme(ring))
    else:
        s = naive_scheme(which[-2:], (2, 3, 2) if which == "naive-gg" else (2, 2, 2), ring)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    if ring == "Q" and data.draw(st.booleans()):
        s = _rescaled(s, rng)
    mats = [a.astype(object).copy() for a in s.factors]
    for _ in range(changes):
        m = int(rng.integers(3))
        r, c = int(rng.integers(mats[m].shape[0])), int(rng.integers(mats[m].shape[1]))
        old = mats[m][r, c]
        mats[m][r, c] = {"F2": 1 - old, "F3": (old + 2) % 3 - 1, "ZT": (old + 2) % 3 - 1, "Z": old + 1,
                         "Q": old + Fraction(1, 2)}[ring]
    bad = s.with_factors(*mats)
    check = bad.verify()
    assert check.failures == _general_failures(bad)
    assert check.ok == (not check.failures)


def test_dense_route_when_sparse_does_not_pay(monkeypatch):
    s = product(strassen_scheme("Z"), strassen_scheme("Z"))
    w = s.w.copy()
    w[3, 5] += 1
    bad = s.with_factors(s.u, s.v, w)
    sparse = bad.verify().failures
    monkeypatch.setattr(evaluate, "_SPARSE_LIMIT", 0)
    assert Scheme("gg", s.n, "Z", *bad.factors).verify().failures == sparse != []


# ------------------------------------------------------------------ construction from integer rows
@settings(max_examples=40, deadline=None)
@given(ring=st.sampled_from(RINGS), seed=st.integers(0, 2**32 - 1), big=st.booleans())
def test_from_integer_rows_is_the_scheme_of_the_entries(ring, seed, big):
    rng = np.random.default_rng(seed)
    s = strassen_scheme(ring) if ring != "Q" else _rescaled(naive_scheme("gg", (2, 3, 2), "Z"), rng)
    rows = []
    for a in s.factors:
        num, den = integer_rows(a)
        k = rng.integers(1, 4, len(num)).astype(object) * (2**70 if big else 1)   # the same rows, not in lowest terms
        num, den = np.asarray(num, dtype=object) * k[:, None], np.asarray(den, dtype=object) * k
        rows.append((num, den) if big else (num.astype(np.int64), den.astype(np.int64)))
    got = Scheme.from_integer_rows(s.code, s.n, ring, *rows)
    assert got == s and got.verify()
    for a, ref, (num, den), (rn, rd) in zip(got.factors, s.factors, got.integer_rows(), s.integer_rows()):
        assert list(den) == list(rd) and np.array_equal(np.asarray(num, dtype=object), np.asarray(rn, dtype=object))
        assert a.dtype == ref.dtype and not a.flags.writeable
        if a.dtype == object:
            assert all(type(x) is int or (type(x) is Fraction and x.denominator > 1) for x in a.flat)


def test_from_integer_rows_errors_name_the_argument():
    u = (np.eye(2, dtype=np.int64), np.array([1, 1]))
    with pytest.raises(ValueError, match=r"^w: row 1: the denominator must be a positive integer"):
        Scheme.from_integer_rows("gg", (1, 2, 1), "Q", u, u, (np.ones((2, 1), dtype=np.int64), np.array([1, 0])))
    with pytest.raises(ValueError, match=r"^v: expected 2 columns"):
        Scheme.from_integer_rows("gg", (1, 2, 1), "Q", u, (np.ones((2, 3), dtype=np.int64), [1, 1]), u)
    with pytest.raises(ValueError, match=r"^u: row 0, column 0: expected an integer over Z"):
        Scheme.from_integer_rows("gg", (1, 2, 1), "Z", (np.eye(2, dtype=np.int64), np.array([2, 1])), u,
                                 (np.ones((2, 1), dtype=np.int64), np.array([1, 1])))


# ------------------------------------------------------------------ parsers: fast and general
def _s16_like(ring, rng):
    s = product(strassen_scheme("ZT"), strassen_scheme("ZT"))
    if ring == "ZT":
        return s
    u, v, w = (a.astype(object) for a in s.factors)
    for t in range(s.rank):
        c = Fraction(int(rng.choice([-3, -1, 1, 2, 5])), int(rng.choice([1, 2, 3, 7])))
        u[t], w[t] = u[t] * c, w[t] / c
    return Scheme("gg", s.n, "Q", u, v, w)


@settings(max_examples=20, deadline=None)
@given(ring=st.sampled_from(["ZT", "Q"]), seed=st.integers(0, 2**32 - 1), forced=st.sampled_from([None, "Q"]))
def test_nested_fast_and_general_agree(ring, seed, forced):
    s = _s16_like(ring, np.random.default_rng(seed))
    text = to_nested(s)
    fast, conv = parse_nested(text, ring=forced, with_convention=True)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(formats, "_nested_arrays", lambda text: None)
        general, conv2 = parse_nested(text, ring=forced, with_convention=True)
    assert fast == general == s.with_factors(*s.factors, ring=forced or s.ring) and conv == conv2 == "cyclic"
    assert [list(d) for _, d in fast.integer_rows()] == [list(d) for _, d in general.integer_rows()]
    assert scheme_to_json(fast) == scheme_to_json(general)


def _nested_both_ways(text):
    """``parse_nested(text)`` by the fast reader and by the general one: ("ok", result) or ("error", message)."""
    def run():
        try:
            return "ok", parse_nested(text, with_convention=True)
        except ValueError as exc:
            return "error", str(exc)
    fast = run()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(formats, "_nested_arrays", lambda text: None)
        return fast, run()


@pytest.mark.parametrize("text", [
    "{{{{1/2}}, {{1}}, {{2}}}}",                              # a fraction
    "{{{{4/2}}, {{1}}, {{1/2}}}}",                            # one that is an integer
    "{{{{-3/6}}, {{1}}, {{-2}}}}",
    "{{{{1/2/3}}, {{1}}, {{2}}}}",                            # refused
    "{{{{1/0}}, {{1}}, {{2}}}}",
    "{{{{1/-2}}, {{1}}, {{2}}}}",
    "{{{{1 /2}}, {{1}}, {{2}}}}",
    "{{{{+1}}, {{1}}, {{1}}}}",
    "{{{{1.5}}, {{1}}, {{2/3}}}}",
    "{{{{1}}, {{1}}, {{1}}}, {{{1, 0}}, {{1}}, {{1}}}}",       # products of different shapes
    "{{{{99999999999999999999}}, {{1}}, {{1}}}}",
])
def test_nested_edge_cases_fast_and_general_agree(text):
    fast, general = _nested_both_ways(text)
    assert fast == general


@settings(max_examples=300, deadline=None)
@given(base=st.sampled_from(["ZT", "Q", "Z"]), edits=st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 3), st.sampled_from(list("{},-/0123456789 \n") + ["", "12", "-1"])),
    min_size=1, max_size=3))
def test_nested_corrupted_texts_fast_and_general_agree(base, edits):
    """Characters replaced, inserted or deleted anywhere: the fast reader gives what the general one gives."""
    s = {"ZT": strassen_scheme("ZT"), "Z": naive_scheme("gg", (1, 2, 2), "Z"),
         "Q": _rescaled(strassen_scheme("Z"), np.random.default_rng(0))}[base]
    text = to_nested(s)
    for where, how, what in edits:
        k = where % (len(text) + 1)
        text = {0: text[:k] + what + text[k + 1:], 1: text[:k] + what + text[k:], 2: text[:k] + text[k + 1:],
                3: text[:k] + what + what + text[k:]}[how]
    fast, general = _nested_both_ways(text)
    assert fast == general


@settings(max_examples=15, deadline=None)
@given(ring=st.sampled_from(["ZT", "Q"]), seed=st.integers(0, 2**32 - 1))
def test_full_json_fast_and_general_agree(tmp_path_factory, ring, seed):
    s = _s16_like(ring, np.random.default_rng(seed))
    path = tmp_path_factory.mktemp("j") / "s.json"
    path.write_text(to_perminov_json(s))
    fast = load_cyclic_json(path)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(importers, "_int_matrix", lambda rows, cols: None)
        m.setattr(importers, "_exact_rows", lambda *a: None)
        general = load_cyclic_json(path)
    assert fast == general == s
    assert content_tag(fast) == content_tag(general)


def test_json_entries_of_every_kind(tmp_path, monkeypatch):
    """Ints, booleans, 'p/q' strings and floats in one file: the same scheme both ways."""
    s = _rescaled(strassen_scheme("Z"), np.random.default_rng(4))
    u, v, w = (a.tolist() for a in s.factors)
    w = output_to_cyclic(np.array(w, dtype=object), 2, 2).tolist()
    enc = [[[f"{x.numerator}/{x.denominator}" if isinstance(x, Fraction) else x for x in row] for row in m]
           for m in (u, v, w)]
    enc[1][0][0] = float(enc[1][0][0])                        # 1.0
    enc[1][1] = [bool(x) if x in (0, 1) else x for x in enc[1][1]]
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"n": [2, 2, 2], "u": enc[0], "v": enc[1], "w": enc[2]}))
    fast = load_cyclic_json(path)
    monkeypatch.setattr(importers, "_exact_rows", lambda *a: None)
    assert fast == load_cyclic_json(path) == s


def _npz(path, s):
    n1, n2, n3 = s.n
    fac = np.empty(3, dtype=object)
    w = output_to_cyclic(s.w, n1, n3)
    fac[0], fac[1], fac[2] = (np.array(a.tolist(), dtype=float).T for a in (s.u, s.v, w))
    np.savez(path, **{",".join(map(str, s.n)): fac})


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), thirds=st.booleans())
def test_npz_fast_and_general_agree(tmp_path_factory, seed, thirds):
    rng = np.random.default_rng(seed)
    s = _rescaled(naive_scheme("gg", (2, 3, 2), "Z"), rng)
    if not thirds:       # dyadic only
        u, v, w = (a.astype(object).copy() for a in s.factors)
        for r in range(s.rank):
            c = Fraction(int(rng.choice([-4, -1, 1, 2])), int(rng.choice([1, 2, 8])))
            u[r], w[r] = u[r] * c, w[r] / c
        s = Scheme("gg", s.n, "Q", *(np.array([[Fraction(x) for x in row] for row in a.tolist()], dtype=object)
                                    for a in (u, v, w)))
    path = tmp_path_factory.mktemp("z") / "s.npz"
    _npz(path, s)
    fast = load_alphatensor_npz(path, key=s.n)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(importers, "_rational_rows", lambda *a, **k: None)
        general = load_alphatensor_npz(path, key=s.n)
    assert fast == general == s
    assert scheme_to_json(fast) == scheme_to_json(general)


def test_npz_bad_float_is_named_at_its_place_in_the_file(tmp_path):
    s = strassen_scheme("Z")
    n1, n2, n3 = s.n
    fac = np.empty(3, dtype=object)
    fac[0], fac[1], fac[2] = (np.array(a.tolist(), dtype=float).T for a in (s.u, s.v, output_to_cyclic(s.w, 2, 2)))
    fac[1][2, 5] = 0.123456789
    fac[1][3, 1] = 0.123456789
    path = tmp_path / "s.npz"
    np.savez(path, **{"2,2,2": fac})
    with pytest.raises(ValueError, match=r"factor v, entry \(2, 5\) = 0.123456789 is not within"):
        load_alphatensor_npz(path, key="2,2,2")


# ------------------------------------------------------------------ a wrong scheme is refused, the equation named
@pytest.mark.parametrize("ring", ["ZT", "Q"])
def test_wrong_published_scheme_is_refused_naming_the_equation(tmp_path, ring):
    s = _s16_like(ring, np.random.default_rng(1))
    u = s.u.copy()
    u[5, 3] = u[5, 3] + 1 if ring == "ZT" and u[5, 3] != 1 else u[5, 3] - 1
    bad = Scheme("gg", s.n, "Q", u, s.v, s.w)
    with pytest.raises(ValueError, match=r"verifies in no convention \(cyclic: .*Brent equation\(s\) fail.*"
                                         r"coefficient of a\d+\*b\d+ in c\d+: got"):
        parse_nested(to_nested(bad))
    with pytest.raises(ValueError, match=r"coefficient of a\d+\*b\d+ in c\d+: got .*, expected"):
        save_scheme(bad, tmp_path)
    assert not any(tmp_path.iterdir())


# ------------------------------------------------------------------ writing: the same bytes
@settings(max_examples=40, deadline=None)
@given(rows=st.integers(0, 6), cols=st.integers(0, 6), spread=st.sampled_from([1, 3, 5000, 2**40]),
       dens=st.sampled_from([[1], [1, 2, 3], [1, 6, 2**40]]), seed=st.integers(0, 2**32 - 1))
def test_row_texts_on_arrays_match_entry_by_entry(rows, cols, spread, dens, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-spread, spread + 1, (rows, cols))
    d = [int(rng.choice(dens)) for _ in range(rows)]
    ref = io._row_strings((a, d), quote='"')
    assert io._row_body((a, d)) == "\x00".join("[" + ", ".join(r) + "]" for r in ref)


def test_content_tag_and_text_of_catalogue_like_schemes():
    from tests.schemes.test_rational_rows import _old_matrix_json, _old_tag
    for s in (strassen_scheme("ZT"), _rescaled(naive_scheme("gg", (2, 3, 2), "Z"), np.random.default_rng(2)),
              naive_scheme("ug", (2, 2, 2), "F3"), Scheme("gg", (1, 1, 1), "Q", [[2**70]], [[1]], [[Fraction(1, 2**70)]])):
        text = scheme_to_json(s)
        for name, a in zip("uvw", s.factors):
            assert f'"{name}": {_old_matrix_json(a)}' in text
        assert content_tag(s) == _old_tag(s)
