"""Perminov's database formats (.m, .txt, full and reduced JSON, side-by-side .exp) and the exporters.

Every import is checked by exact verification; the fixtures under tests/fixtures/ were written for
these tests, so a clean clone exercises every importer path without ../shared.
"""

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.cli import main
from linalg_lab.schemes import (
    CONVENTIONS, EXPORT_FORMATS, Scheme, export_scheme, export_text, load_coefficients, load_cyclic_json,
    load_nested, load_program, load_scheme, load_terms, naive_scheme, parse_coefficients, parse_nested,
    parse_terms, program_from_reduced_json, published_loaders, random_sandwich, reduce_additions, save_scheme, strassen_scheme,
    to_coefficients, to_nested, to_perminov_json, to_terms,
)

OWN = Path(__file__).resolve().parents[1] / "fixtures"


def _halves_223():
    """The scheme of naive-223-halves.m: naive 2x2x3, product t's A factor scaled by 1/2, 3 or -1, C by the inverse."""
    n = naive_scheme("gg", (2, 2, 3), "Z")
    u, v, w = (a.astype(object) for a in n.factors)
    for t in range(len(u)):
        a = (Fraction(1, 2), Fraction(3), Fraction(-1))[t % 3]
        u[t], w[t] = u[t] * a, w[t] / a
    return Scheme("gg", (2, 2, 3), "Q", u, v, w)


# ================================================================== own fixtures, one per syntax
@pytest.mark.parametrize("name, expected, convention", [
    ("strassen-perminov.m", strassen_scheme("ZT"), "cyclic"),
    ("strassen-output-convention.m", strassen_scheme("ZT"), "output"),
    ("naive-223-halves.m", _halves_223(), "cyclic"),
])
def test_nested_fixtures_and_their_convention(name, expected, convention):
    s, conv = load_nested(OWN / name, with_convention=True)
    assert conv == convention
    assert s == expected and s.verify() and s.ring == expected.ring


def test_output_convention_file_fails_in_the_database_convention():
    forced = parse_nested((OWN / "strassen-output-convention.m").read_text(), ring="ZT", verify=False)
    assert not forced.verify()          # read as the database's (cyclic) convention, it is not Strassen's


@pytest.mark.parametrize("name, expected, convention", [
    ("naive-223-halves.txt", _halves_223(), "product by product, cyclic"),
    ("strassen-entry-major.txt", strassen_scheme("ZT"), "entry by entry, cyclic"),
])
def test_coefficient_fixtures_and_their_layout(name, expected, convention):
    s, conv = load_coefficients(OWN / name, with_convention=True)
    assert conv == convention
    assert s == expected and s.verify()


def test_side_by_side_fixture_with_signs_before_bare_factors():
    s = load_terms(OWN / "strassen-side-by-side.exp")
    ref = strassen_scheme("ZT")
    v, w = ref.v.copy(), ref.w.copy()
    v[4] *= -1      # line 8: (a11 + a12) -b22 (c11 - c21): the sign stays with b22
    w[4] *= -1
    assert s == ref.with_factors(ref.u, v, w) and s.verify()
    assert s.v[3].tolist() == [-1, 0, 1, 0]       # a22 -(b11 - b21) (c11 + c12)


def test_surplus_parenthesis_refused_unless_repaired():
    path = OWN / "strassen-surplus-parenthesis.exp"
    with pytest.raises(ValueError) as exc:
        load_terms(path)
    msg = str(exc.value)
    assert f"{path}, line 8, column 29: unexpected ')'" in msg and "repair=True" in msg
    assert load_terms(path, repair=True) == load_terms(OWN / "strassen-side-by-side.exp")


def test_reduced_json_fixture_keeps_its_program():
    p = load_program(OWN / "winograd-15_reduced.json")
    assert p.additions == 15 and p.check() == "" and p.scheme.verify()
    assert p.naive == 24 and p.scheme.ring.value == "ZT"
    [(label, load)] = published_loaders(OWN / "winograd-15_reduced.json")
    got, convention = load()
    assert got.additions == 15 and got.scheme == p.scheme and convention is None


def test_published_loaders_pick_the_format_by_content():
    txt_terms = published_loaders(OWN / "strassen-scaled-spaces.txt")[0][1]()[0]     # terms in a .txt
    txt_rows = published_loaders(OWN / "naive-223-halves.txt")[0][1]()[0]             # coefficient rows
    assert txt_terms.verify() and txt_terms.ring.value == "Q"
    assert txt_rows == _halves_223()


# ================================================================== malformed variants: line and reason
_NESTED_BAD = [
    ("a missing comma", lambda s: s.replace("}, {{0, 0}, {1, 1}}", "} {{0, 0}, {1, 1}}", 1), 4,
     "expected ',' or '}' before '{'"),
    ("a letter", lambda s: s.replace("{1, 0}, {0, 0}}", "{1, x}, {0, 0}}", 1), 3, "unexpected character 'x'"),
    ("a missing entry", lambda s: s.replace("{{{0, 0}, {0, 1}}", "{{{0, }, {0, 1}}", 1), 5,
     "unexpected '}' after ','"),
    ("an unclosed scheme", lambda s: s.rstrip()[:-1], 8, "end of text with 1 '{' still open"),
    ("a short row", lambda s: s.replace("{{{-1, 0}, {1, 0}}", "{{{-1}, {1, 0}}", 1), 7,
     "product 6: the rows of the u matrix have different lengths"),
    ("a wrong shape", lambda s: s.replace("{{{0, 1}, {0, -1}}", "{{{0, 1}, {0, -1}, {0, 0}}", 1), 8,
     "product 7: the u matrix is 3x2, the first product's is 2x2"),
    ("two matrices", lambda s: s.replace(", {{1, 0}, {0, 0}}}\n}", "}\n}", 1), 8, "expected three matrices"),
]


@pytest.mark.parametrize("what, corrupt, line, reason", _NESTED_BAD, ids=[b[0] for b in _NESTED_BAD])
def test_nested_malformed_refused_with_line_and_reason(what, corrupt, line, reason):
    text = (OWN / "strassen-perminov.m").read_text()
    bad = corrupt(text)
    assert bad != text, what
    with pytest.raises(ValueError) as exc:
        parse_nested(bad, source="f.m")
    msg = str(exc.value)
    assert msg.startswith(f"f.m, line {line}") and reason in msg, msg


def test_nested_that_verifies_in_no_convention_is_refused_with_each_reason():
    text = (OWN / "strassen-perminov.m").read_text().replace("{{{1, 0}, {0, 1}}, {{1, 0}, {0, 1}}",
                                                             "{{{1, 0}, {0, 1}}, {{1, 1}, {0, 1}}", 1)
    with pytest.raises(ValueError) as exc:
        parse_nested(text, source="f.m")
    msg = str(exc.value)
    assert msg.startswith("f.m: the scheme verifies in no convention")
    for conv in CONVENTIONS:
        assert f"{conv.name}:" in msg
    assert "coefficient of a11*b12" in msg          # the first convention's failing equation, named


_TXT_BAD = [
    ("a bad header", lambda s: s.replace("2 2 3 12", "2 2 3", 1), 1, "expected a header 'n1 n2 n3 m'"),
    ("a zero size", lambda s: s.replace("2 2 3 12", "2 0 3 12", 1), 1, "four positive integers"),
    ("a bad entry", lambda s: s.replace(" 3 0 0 0 -1", " 3 0 0 x -1", 1), 2, "entry 8 'x' is not a number"),
    ("a short line", lambda s: s.replace(" 0 1 0 0 0 0 0 0 1", " 0 1 0 0 0 0 0 1", 1), 3,
     "the v line has 71 entries, expected 72"),
]


@pytest.mark.parametrize("what, corrupt, line, reason", _TXT_BAD, ids=[b[0] for b in _TXT_BAD])
def test_coefficients_malformed_refused_with_line_and_reason(what, corrupt, line, reason):
    text = (OWN / "naive-223-halves.txt").read_text()
    bad = corrupt(text)
    assert bad != text, what
    with pytest.raises(ValueError) as exc:
        parse_coefficients(bad, source="f.txt")
    msg = str(exc.value)
    assert msg.startswith(f"f.txt, line {line}") and reason in msg, msg


def test_coefficients_wrong_total_and_no_convention():
    text = (OWN / "strassen-entry-major.txt").read_text()
    with pytest.raises(ValueError, match=r"f.txt: 83 entries after the header, expected 84"):
        parse_coefficients(text.rstrip()[:-2] + "\n", source="f.txt")
    flipped = text.replace("1 0 1 0 1 -1 0", "1 0 1 0 1 1 0", 1)
    with pytest.raises(ValueError, match="f.txt: the scheme verifies in no convention .*entry by entry, cyclic:"):
        parse_coefficients(flipped, source="f.txt")


def test_reduced_json_malformed_is_refused_naming_the_key():
    data = json.loads((OWN / "winograd-15_reduced.json").read_text())
    data["v"][2] = [{"index": 2, "value": "x"}]
    with pytest.raises(ValueError, match="'v' entry 2: value 'x' is not a number"):
        program_from_reduced_json(data, source="r.json")


# ================================================================== round trips: export -> import
def _random_scheme(n, ring, seed):
    """A valid scheme over ``ring``: naive (Strassen at 2x2x2) moved by random sandwiches; over Q also rescaled."""
    rng = np.random.default_rng(seed)
    base = strassen_scheme(ring if ring != "Q" else "Z") if n == (2, 2, 2) else naive_scheme("gg", n, ring if ring != "Q" else "Z")
    s = random_sandwich(base, rng, count=4)
    perm = rng.permutation(s.rank)
    u, v, w = (a[perm] for a in s.factors)
    if ring == "Q":
        u, v, w = (a.astype(object) for a in (u, v, w))
        for t in range(len(u)):
            a = Fraction(int(rng.choice([1, -1, 2, 3])), int(rng.choice([1, 2, 4])))
            u[t], w[t] = u[t] * a, w[t] / a
    return Scheme("gg", n, ring, u, v, w)


def _reimport(text, fmt, ring, tmp_path):
    if fmt == "m":
        return parse_nested(text, ring=ring)
    if fmt == "txt":
        return parse_coefficients(text, ring=ring)
    if fmt == "exp":
        return parse_terms(text, ring=ring)
    path = tmp_path / ("s_reduced.json" if fmt == "reduced" else "s.json")
    path.write_text(text)
    return load_program(path, ring=ring).scheme if fmt == "reduced" else load_cyclic_json(path, ring=ring)


@settings(max_examples=40, deadline=None)
@given(n=st.tuples(*[st.integers(1, 3)] * 3), ring=st.sampled_from(["F2", "F3", "ZT", "Z", "Q"]),
       fmt=st.sampled_from(EXPORT_FORMATS), seed=st.integers(0, 2**32 - 1))
def test_every_format_round_trips_exactly(tmp_path_factory, n, ring, fmt, seed):
    s = _random_scheme(n, ring, seed)
    assume(s.rank > 0)
    assert s.verify()
    text = export_text(s, fmt)
    back = _reimport(text, fmt, ring, tmp_path_factory.mktemp("rt"))
    assert back == s, (fmt, text)
    assert back.verify()


@settings(max_examples=25, deadline=None)
@given(n=st.tuples(*[st.integers(1, 3)] * 3), ring=st.sampled_from(["ZT", "Z", "Q"]),
       fmt=st.sampled_from(["m", "txt", "json"]), seed=st.integers(0, 2**32 - 1))
def test_round_trip_without_ring_finds_the_ring_and_the_database_convention(tmp_path_factory, n, ring, fmt, seed):
    s = _random_scheme(n, ring, seed)
    entries = [Fraction(x) for a in s.factors for x in a.flat]
    implied = "Q" if any(x.denominator != 1 for x in entries) else ("ZT" if all(abs(x) <= 1 for x in entries) else "Z")
    text = export_text(s, fmt)
    if fmt == "m":
        back, conv = parse_nested(text, with_convention=True)
    elif fmt == "txt":
        back, conv = parse_coefficients(text, with_convention=True)
    else:
        back, conv = _reimport(text, "json", None, tmp_path_factory.mktemp("rt")), "cyclic"
    assert conv.endswith("cyclic")          # what the exporters write, found first
    assert back == s.with_factors(*s.factors, ring=implied) and back.verify()


def test_exported_text_is_the_database_layout():
    s = strassen_scheme("ZT")
    assert to_nested(s) == (OWN / "strassen-perminov.m").read_text()
    rows = to_coefficients(_halves_223()).splitlines()
    assert rows == (OWN / "naive-223-halves.txt").read_text().splitlines()
    data = json.loads(to_perminov_json(s))
    assert data["n"] == [2, 2, 2] and data["m"] == 7 and data["z2"] is False and data["complexity"] == 18
    assert data["multiplications"][0] == "m1 = (a11 + a22) * (b11 + b22)"
    assert data["elements"][0] == "c11 = m1 + m4 - m5 + m7"

    assert json.loads(to_perminov_json(strassen_scheme("F2")))["z2"] is True


def test_z2_flag_reads_back_over_f2(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(to_perminov_json(strassen_scheme("F2")))
    assert load_cyclic_json(path) == strassen_scheme("F2")


def test_structured_schemes_export_only_as_programs():
    s = naive_scheme("ug", (2, 2, 2), "ZT")
    for fmt in ("json", "m", "txt", "exp"):
        with pytest.raises(ValueError, match="general products"):
            export_text(s, fmt)
    data = json.loads(export_text(s, "reduced"))     # written; reading structured programs back is program.py's
    assert data["tensor"] == "ug" and data["m"] == s.rank


def test_export_text_argument_errors():
    with pytest.raises(TypeError, match="source: expected a Scheme or a StraightLineProgram"):
        export_text("strassen", "m")
    with pytest.raises(ValueError, match="fmt: expected one of json, m, txt, exp, reduced"):
        export_text(strassen_scheme(), "csv")


def test_export_scheme_writes_atomically_and_never_replaces(tmp_path):
    s = strassen_scheme("ZT")
    path = export_scheme(s, tmp_path / "s.m")
    assert load_nested(path) == s
    with pytest.raises(ValueError, match="exists; not replaced"):
        export_scheme(s, path)
    export_scheme(s, path, "txt", overwrite=True)
    assert load_coefficients(path) == s
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.m"]     # no temporary file left behind
    bad = s.with_factors(s.u, s.v, np.zeros_like(s.w))
    with pytest.raises(ValueError, match="does not verify"):
        export_scheme(bad, tmp_path / "bad.m")
    assert not (tmp_path / "bad.m").exists()
    with pytest.raises(ValueError, match="cannot tell the format"):
        export_scheme(s, tmp_path / "s.csv")


# ================================================================== the command line
def test_cli_export_every_format_and_import_back(tmp_path, capsys):
    src = save_scheme(_halves_223(), tmp_path / "in.json")
    outs = []
    for fmt in EXPORT_FORMATS:
        out = tmp_path / "x" / (f"s_reduced.json" if fmt == "reduced" else f"s.{fmt}")
        assert main(["export", str(src), "--format", fmt, "--out", str(out)]) == 0
        last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert last["path"] == str(out) and last["format"] == fmt and last["rank"] == 12
        outs.append(out)
    assert main(["import", *map(str, outs), "--out", str(tmp_path / "back")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(EXPORT_FORMATS)
    for line in lines:
        assert load_scheme(line.split()[0]) == _halves_223()
    assert "program" in lines[-1] and lines[-1].split()[-3].endswith("_reduced.json")


def test_cli_export_refusals(tmp_path, capsys):
    src = save_scheme(strassen_scheme("ZT"), tmp_path / "in.json")
    (tmp_path / "mine.m").write_text("my notes\n")
    assert main(["export", str(src), "--out", str(tmp_path / "mine.m")]) == 2
    assert "exists; not replaced" in capsys.readouterr().err
    assert (tmp_path / "mine.m").read_text() == "my notes\n"
    assert main(["export", str(src), "--out", str(tmp_path / "mine.m"), "--force"]) == 0
    assert load_nested(tmp_path / "mine.m") == strassen_scheme("ZT")
    capsys.readouterr()
    assert main(["export", str(src), "--out", str(tmp_path / "s.csv")]) == 2
    assert "--format: cannot tell the format from 's.csv'" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "missing.json"), "--out", str(tmp_path / "a.m")]) == 2
    assert "missing.json" in capsys.readouterr().err


def test_cli_import_every_own_fixture(tmp_path, capsys):
    names = ["strassen-perminov.m", "strassen-output-convention.m", "naive-223-halves.m", "naive-223-halves.txt",
             "strassen-entry-major.txt", "strassen-side-by-side.exp", "winograd-15_reduced.json"]
    assert main(["import", *[str(OWN / n) for n in names], "--out", str(tmp_path / "o")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(names)
    conventions = []
    for line in lines:
        s = load_scheme(line.split()[0], verify=True)
        prov = json.loads(Path(line.split()[0]).read_text())["provenance"]
        conventions.append(prov.get("convention"))
        assert s.verify()
    # naive-223-halves.txt holds the scheme of naive-223-halves.m: the file (and its provenance) is kept, not rewritten
    assert lines[3].split()[0] == lines[2].split()[0]
    assert conventions[:5] == ["cyclic", "output", "cyclic", "cyclic", "entry by entry, cyclic"]
    program = Path(lines[-1].split()[-3])
    assert load_program(program).additions == 15
    code = main(["import", str(OWN / "strassen-surplus-parenthesis.exp"), "--out", str(tmp_path / "o")])
    assert code == 1 and "line 8, column 29" in capsys.readouterr().err
    assert main(["import", str(OWN / "strassen-surplus-parenthesis.exp"), "--repair", "--out",
                 str(tmp_path / "o")]) == 0


# ================================================================== published files (../shared), as a further layer
def test_published_json_converts_to_every_format(fixtures_dir):
    for name in ("perminov_3x4x5_m47_ZT.json", "perminov_4x4x4_m49_ZT.json"):
        s = load_cyclic_json(fixtures_dir / name)
        assert parse_nested(to_nested(s)) == s
        assert parse_coefficients(to_coefficients(s)) == s
        assert parse_terms(to_terms(s)) == s
        src = json.loads((fixtures_dir / name).read_text())
        ours = json.loads(to_perminov_json(s))
        assert ours["u"] == src["u"] and ours["v"] == src["v"] and ours["w"] == src["w"]
        assert ours["complexity"] == src.get("complexity", ours["complexity"])
