"""Importers of published formats (cyclic convention) and the exporters."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linalg_lab.schemes import (
    load_alphatensor_npz, load_cyclic_json, load_terms, output_to_cyclic, parse_terms, to_equations, to_terms,
)
from linalg_lab.tensors import naive_scheme, strassen_scheme


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
