"""The one-product-per-line (.exp) and full-JSON importers settle the index convention by exact verification."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linalg_lab.schemes import load_cyclic_json, load_terms, parse_terms, random_sandwich, to_terms
from linalg_lab.schemes.formats import CONVENTIONS, published_loaders
from linalg_lab.schemes.importers import _cyclic_json
from linalg_lab.tensors import naive_scheme, strassen_scheme

CONV = {c.name: c for c in CONVENTIONS}

# Strassen's scheme written with c_ik for output (i, k) (the "output" convention), not the database's c_ki
STRASSEN_OUTPUT_EXP = """\
# Strassen, third factor as C itself
(a11+a22)*(b11+b22)*(c11+c22)
(a21+a22)*(b11)*(c21-c22)
(a11)*(b12-b22)*(c12+c22)
(a22)*(b21-b11)*(c11+c21)
(a11+a12)*(b22)*(-c11+c12)
(a21-a11)*(b11+b12)*(c22)
(a12-a22)*(b21+b22)*(c11)
"""


def _listed(scheme, conv):
    """The three matrices of each product as a file in convention ``conv`` lists them: (R, rows, cols) arrays."""
    n1, n2, n3 = scheme.n
    r = scheme.rank
    a = np.asarray(scheme.u, dtype=object).reshape(r, n1, n2)
    b = np.asarray(scheme.v, dtype=object).reshape(r, n2, n3)
    c = np.asarray(scheme.w, dtype=object).reshape(r, n1, n3)
    t = (lambda x: x.transpose(0, 2, 1))
    if conv.transposed:
        a, b = t(a), t(b)
    if conv.cyclic != conv.transposed:
        c = t(c)
    return a, b, c


def _exp_text(scheme, conv):
    """``scheme`` one product per line, each variable named by its position in the listed matrix of ``conv``."""
    wide = max(scheme.n) > 9
    lines = []
    for mats in zip(*_listed(scheme, conv)):
        factors = []
        for letter, m in zip("abc", mats):
            terms = []
            for (x, y), c in np.ndenumerate(m):
                if c != 0:
                    name = f"{letter}{x + 1}_{y + 1}" if wide else f"{letter}{x + 1}{y + 1}"
                    terms.append(f"{'+' if c > 0 else '-'}{abs(c) if abs(c) != 1 else ''}{'*' if abs(c) != 1 else ''}{name}")
            factors.append("(" + "".join(terms).lstrip("+") + ")")
        lines.append("*".join(factors))
    return "\n".join(lines) + "\n"


def _json_data(scheme, conv):
    """Perminov's full JSON fields with each listed matrix flattened row by row in convention ``conv``."""
    def flat(x):
        return [[int(v) for v in row.ravel()] for row in x]
    a, b, c = _listed(scheme, conv)
    return {"n": list(scheme.n), "m": scheme.rank, "z2": False, "u": flat(a), "v": flat(b), "w": flat(c)}


def test_strassen_exp_in_output_convention():
    s, conv = parse_terms(STRASSEN_OUTPUT_EXP, with_convention=True)
    assert conv == "output"
    assert s == strassen_scheme("ZT")
    assert s.verify()
    # the database's own convention is still read as before (first candidate)
    s2, conv2 = parse_terms(to_terms(strassen_scheme("ZT")), with_convention=True)
    assert conv2 == "cyclic" and s2 == strassen_scheme("ZT")
    assert parse_terms(STRASSEN_OUTPUT_EXP) == s          # default: the scheme alone


@pytest.mark.parametrize("name", list(CONV))
def test_strassen_in_every_convention(name):
    want = strassen_scheme("ZT")
    s, conv = parse_terms(_exp_text(want, CONV[name]), with_convention=True)
    assert conv == name and s == want
    data = _json_data(want, CONV[name])
    s, conv = _cyclic_json(data, "strassen.json", with_convention=True)
    assert conv == name and s == want


def test_rectangular_sizes_inferred_per_convention():
    # 2x3x4: the listed shapes differ between conventions, the sizes follow the convention that verifies
    want = random_sandwich(naive_scheme("gg", (2, 3, 4), "ZT"), np.random.default_rng(5), 6)
    for name, conv in CONV.items():
        s, got = parse_terms(_exp_text(want, conv), with_convention=True)
        assert got == name
        assert s.n == (2, 3, 4) and s == want


def test_files_and_published_loaders(tmp_path):
    want = strassen_scheme("ZT")
    exp = tmp_path / "strassen_output.exp"
    exp.write_text(STRASSEN_OUTPUT_EXP)
    js = tmp_path / "strassen_output.json"
    js.write_text(json.dumps(_json_data(want, CONV["output"])))
    assert load_terms(exp) == want
    assert load_terms(exp, with_convention=True)[1] == "output"
    assert load_cyclic_json(js) == want
    assert load_cyclic_json(js, with_convention=True)[1] == "output"
    for path in (exp, js):
        [(label, loader)] = published_loaders(path)
        s, conv = loader()
        assert label == str(path) and conv == "output" and s == want


def test_unverified_read_assumes_the_cyclic_convention():
    s, conv = parse_terms(to_terms(strassen_scheme("ZT")), ring="ZT", verify=False, with_convention=True)
    assert conv == "cyclic (assumed, not verified)" and s == strassen_scheme("ZT")
    data = _json_data(strassen_scheme("ZT"), CONV["cyclic"])
    s, conv = _cyclic_json(data, "s.json", ring="ZT", verify=False, with_convention=True)
    assert conv == "cyclic (assumed, not verified)" and s == strassen_scheme("ZT")


def test_refused_when_no_convention_verifies(tmp_path):
    bad = STRASSEN_OUTPUT_EXP.replace("(a12-a22)*(b21+b22)*(c11)", "(a12+a22)*(b21+b22)*(c11)")
    with pytest.raises(ValueError, match="verifies in no convention") as exc:
        parse_terms(bad, source="bad.exp")
    msg = str(exc.value)
    assert msg.startswith("bad.exp: ")
    for name in CONV:
        assert f"{name}: " in msg
    data = _json_data(strassen_scheme("ZT"), CONV["output"])
    data["u"][6][1] = -data["u"][6][1]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="verifies in no convention") as exc:
        load_cyclic_json(path)
    for name in CONV:
        assert f"{name}: " in str(exc.value)


def test_index_outside_given_sizes_refused_in_every_convention():
    text = "(a11)*(b11)*(c11)\n(a13)*(b31)*(c11)\n"
    with pytest.raises(ValueError, match="outside sizes"):
        parse_terms(text, n=(1, 2, 1))


@settings(max_examples=40, deadline=None)
@given(n=st.tuples(*[st.integers(1, 3)] * 3), name=st.sampled_from(list(CONV)), seed=st.integers(0, 10**6),
       steps=st.integers(0, 8))
def test_any_convention_reads_back_a_verified_scheme(n, name, seed, steps):
    want = random_sandwich(naive_scheme("gg", n, "ZT"), np.random.default_rng(seed), steps)
    order = list(CONV)
    for text_or_data, read in ((_exp_text(want, CONV[name]), lambda t: parse_terms(t, n=n, with_convention=True)),
                               (_json_data(want, CONV[name]), None)):
        if read is None:
            s, got = _cyclic_json(text_or_data, "h.json", with_convention=True)
        else:
            s, got = read(text_or_data)
        assert s.verify()
        # the first convention that verifies wins: never a later one than the file's own
        assert order.index(got) <= order.index(name)
        if got == name:
            assert s == want
