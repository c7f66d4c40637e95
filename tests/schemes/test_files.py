"""Scheme files (DESIGN.md section 4): round trips for every ring, and every malformed case."""

import json
import os
import stat
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linalg_lab.schemes import (
    Scheme, SchemeFileError, atomic_write_text, load_scheme, save_scheme, scheme_filename, scheme_files,
    scheme_to_json,
)
from linalg_lab.tensors import CODES, naive_scheme, strassen_scheme


def rescale(s, rng):
    u = s.u.astype(object).copy()
    w = s.w.astype(object).copy()
    for r in range(s.rank):
        c = Fraction(int(rng.integers(1, 5)) * int(rng.choice([-1, 1])), int(rng.integers(1, 5)))
        u[r], w[r] = u[r] * c, w[r] / c
    return s.with_factors(u, s.v, w, ring="Q")


@given(ring=st.sampled_from(["F2", "F3", "ZT", "Z", "Q"]), code=st.sampled_from(CODES),
       strassen=st.booleans(), seed=st.integers(0, 1000))
def test_round_trip(tmp_path_factory, ring, code, strassen, seed):
    out = tmp_path_factory.mktemp("schemes")
    rng = np.random.default_rng(seed)
    s = strassen_scheme(ring) if strassen else naive_scheme(code, (2, 2, 2), ring)
    if ring == "Q":
        s = rescale(s, rng)
    elif ring == "Z":
        # integer rescaling by -1 keeps it exact and exercises negative entries
        sign = rng.choice([-1, 1], size=s.rank)
        s = s.with_factors(s.u * sign[:, None], s.v, s.w * sign[:, None])
    path = save_scheme(s, out, provenance={"seed": seed})
    assert path.name == scheme_filename(s)
    back = load_scheme(path)
    assert back == s
    data = json.loads(path.read_text())
    assert list(data) == ["format", "tensor", "n", "ring", "rank", "u", "v", "w", "provenance"]
    assert data["format"] == "linalg-lab/scheme-1"
    assert data["provenance"]["seed"] == seed and data["provenance"]["tool"].startswith("linalg-lab")
    for key in "uvw":
        for row in data[key]:
            for x in row:
                if ring == "F2":
                    assert x in (0, 1)
                elif ring in ("F3", "ZT"):
                    assert x in (-1, 0, 1)
                elif ring == "Z":
                    assert isinstance(x, int)
                else:
                    assert isinstance(x, int) or (isinstance(x, str) and Fraction(x).denominator > 1)


def test_filename_and_tag(tmp_path):
    s = naive_scheme("gg", (3, 3, 3), "Z")
    assert scheme_filename(s) == "gg-3x3x3-r27-Z.json"
    p = save_scheme(s, tmp_path, tag="seed7")
    assert p.name == "gg-3x3x3-r27-Z-seed7.json"
    with pytest.raises(ValueError, match="tag"):
        scheme_filename(s, tag="a/b")
    with pytest.raises(TypeError, match="^tag: expected a str, got int 7"):
        save_scheme(s, tmp_path, tag=7)


def test_invalid_scheme_is_never_written(tmp_path):
    s = strassen_scheme()
    w = s.w.copy()
    w[0, 0] = 0
    with pytest.raises(ValueError, match="^scheme: expected a scheme that verifies over Z \\(nothing written\\)"):
        save_scheme(s.with_factors(s.u, s.v, w), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    s = strassen_scheme()
    p = save_scheme(s, tmp_path / "x.json")
    before = p.read_text()
    import linalg_lab.schemes.io as io

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(OSError):
        save_scheme(naive_scheme("gg", (2, 2, 2), "Z"), p)
    assert p.read_text() == before
    assert [q.name for q in tmp_path.iterdir()] == ["x.json"]


def good():
    return json.loads(json.dumps({
        "format": "linalg-lab/scheme-1", "tensor": "gg", "n": [2, 2, 2], "ring": "Z", "rank": 7,
        "u": strassen_scheme().u.tolist(), "v": strassen_scheme().v.tolist(), "w": strassen_scheme().w.tolist(),
        "provenance": {"tool": "test"},
    }))


def mutate(f):
    d = good()
    f(d)
    return d


MALFORMED = [
    (lambda d: d.pop("u"), "field 'u' is missing"),
    (lambda d: d.pop("provenance"), "field 'provenance' is missing"),
    (lambda d: d.update(format="other/1"), "field 'format'"),
    (lambda d: d.update(tensor="zz"), "field 'tensor'"),
    (lambda d: d.update(n=[2, 2]), "field 'n'"),
    (lambda d: d.update(n=[2, 2, 0]), "field 'n'"),
    (lambda d: d.update(ring="F5"), "field 'ring'"),
    (lambda d: d.update(rank=8), "field 'u': has 7 rows but 'rank' is 8"),
    (lambda d: d.update(rank="7"), "field 'rank'"),
    (lambda d: d["v"][3].append(0), "field 'v', row 3: expected 4 entries"),
    (lambda d: d["w"][5].__setitem__(1, 1.5), "field 'w', row 5, column 1"),
    (lambda d: d["u"].__setitem__(2, 5), "field 'u', row 2: expected a list"),
    (lambda d: d.update(ring="F2"), "field 'u', row 5, column 0: entry -1 is not allowed over F2"),
    (lambda d: d.update(ring="ZT") or d["u"][1].__setitem__(0, 2), "field 'u', row 1, column 0: entry 2"),
    (lambda d: d.update(ring="Q") or d["u"][1].__setitem__(0, "2/4"), "lowest terms"),
    (lambda d: d.update(ring="Q") or d["u"][1].__setitem__(0, "3/1"), "q > 1"),
    (lambda d: d.update(ring="Q") or d["u"][1].__setitem__(0, "x"), "integer or a string 'p/q'"),
    (lambda d: d.update(provenance=[]), "field 'provenance': expected a JSON object"),
    (lambda d: d.update(extra=1), "unknown field"),
    (lambda d: d["u"][0].__setitem__(0, True), "field 'u', row 0, column 0"),
    (lambda d: d["w"][0].__setitem__(0, 0), "does not verify"),
]


@pytest.mark.parametrize("change,needle", MALFORMED)
def test_malformed_files_have_clear_errors(tmp_path, change, needle):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(mutate(change)))
    with pytest.raises(SchemeFileError) as exc:
        load_scheme(path)
    assert str(path) in str(exc.value)
    assert needle in str(exc.value)


def test_not_json_and_missing(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{not json")
    with pytest.raises(SchemeFileError, match="not valid JSON"):
        load_scheme(p)
    with pytest.raises(SchemeFileError, match="cannot read"):
        load_scheme(tmp_path / "missing.json")
    p.write_text("[1, 2]")
    with pytest.raises(SchemeFileError, match="expected a JSON object"):
        load_scheme(p)


def test_load_without_verify_returns_broken_scheme(tmp_path):
    p = tmp_path / "b.json"
    p.write_text(json.dumps(mutate(lambda d: d["w"][0].__setitem__(0, 0))))
    s = load_scheme(p, verify=False)
    assert isinstance(s, Scheme) and not s.verify()


@pytest.mark.parametrize("call, name", [
    (lambda d: save_scheme(strassen_scheme().factors, d), "scheme"),
    (lambda d: save_scheme(strassen_scheme(), 3), "path"),
    (lambda d: save_scheme(strassen_scheme(), d, provenance=[("seed", 1)]), "provenance"),
    (lambda d: load_scheme(None), "path"),
    (lambda d: load_scheme(d / "x.json", verify="yes"), "verify"),
    (lambda d: scheme_to_json("gg"), "scheme"),
    (lambda d: atomic_write_text(d / "x.txt", b"bytes"), "text"),
    (lambda d: scheme_files([d, 5]), "paths"),
    (lambda d: scheme_files(5), "paths"),
])
def test_file_functions_refuse_wrong_types(tmp_path, call, name):
    with pytest.raises(TypeError, match=rf"^{name}: expected "):
        call(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_scheme_files_takes_one_path_or_many(tmp_path):
    f = save_scheme(strassen_scheme(), tmp_path)
    assert scheme_files(tmp_path) == scheme_files([str(tmp_path)]) == scheme_files(f) == [f]


# ----------------------------------------------------------------------------- where files go, and what is never replaced
def flipped(s):
    """Another exact scheme of the same format and rank: term 0 with u and w negated (fine over Z and Z_T)."""
    u, w = s.u.copy(), s.w.copy()
    u[0], w[0] = -u[0], -w[0]
    return s.with_factors(u, s.v, w)


def test_trailing_slash_and_suffixless_paths_are_folders(tmp_path, monkeypatch):
    s = strassen_scheme("ZT")
    monkeypatch.chdir(tmp_path)
    p = save_scheme(s, "out/")                      # the README's example: Path() would drop the '/'
    assert p == Path("out") / "gg-2x2x2-r7-ZT.json" and (tmp_path / "out").is_dir()
    q = save_scheme(s, tmp_path / "made" / "deep")  # no .json suffix: a folder, created with its parents
    assert q.parent == tmp_path / "made" / "deep" and load_scheme(q) == s
    f = save_scheme(s, tmp_path / "named.json")     # a .json name is the file itself
    assert f == tmp_path / "named.json" and load_scheme(f) == s


def test_a_file_that_is_not_ours_is_never_replaced(tmp_path):
    s = strassen_scheme("ZT")
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    with pytest.raises(ValueError, match=r"^path: .*notes.json exists and is not a linalg-lab scheme file"):
        save_scheme(s, notes)
    assert notes.read_text() == '{"my": "notes"}'
    text = tmp_path / "notes"                       # a folder is meant, a file is there
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"^path: .*notes exists and is not a folder"):
        save_scheme(s, text)
    assert text.read_text() == "hello"
    assert sorted(q.name for q in tmp_path.iterdir()) == ["notes", "notes.json"]   # no temporary file left
    # a scheme file named explicitly is ours: it is replaced
    own = save_scheme(naive_scheme("gg", (2, 2, 2), "ZT"), tmp_path / "own.json")
    assert save_scheme(s, own) == own and load_scheme(own) == s


def test_a_folder_keeps_every_distinct_scheme_and_rewrites_none(tmp_path):
    a, b = strassen_scheme("ZT"), flipped(strassen_scheme("ZT"))
    assert a != b and b.verify()
    pa = save_scheme(a, tmp_path, provenance={"run": 1})
    before = pa.read_text()
    pb = save_scheme(b, tmp_path, provenance={"run": 2})
    assert pa.name == "gg-2x2x2-r7-ZT.json" and pb != pa
    assert pb.name.startswith("gg-2x2x2-r7-ZT-") and len(pb.stem.rsplit("-", 1)[1]) == 8      # a content hash
    assert load_scheme(pa) == a and load_scheme(pb) == b and pa.read_text() == before
    # identical content: the same file, not rewritten (its provenance stays the first writer's)
    assert save_scheme(a, tmp_path, provenance={"run": 3}) == pa and pa.read_text() == before
    assert save_scheme(b, tmp_path) == pb
    assert len(list(tmp_path.iterdir())) == 2
    # a tag is kept, and its clash resolved the same way
    ta, tb = save_scheme(a, tmp_path, tag="x"), save_scheme(b, tmp_path, tag="x")
    assert ta.name == "gg-2x2x2-r7-ZT-x.json" and tb.name.startswith("gg-2x2x2-r7-ZT-x_") and load_scheme(tb) == b


def test_a_name_taken_between_check_and_write_is_not_clobbered(tmp_path, monkeypatch):
    import linalg_lab.schemes.io as io

    a, b = strassen_scheme("ZT"), flipped(strassen_scheme("ZT"))
    pa = save_scheme(a, tmp_path)
    before = pa.read_text()
    # another writer's file appears after the existence check: the hard link refuses the taken name
    monkeypatch.setattr(io.os.path, "lexists", lambda p: False)
    pb = save_scheme(b, tmp_path)
    assert pb != pa and pa.read_text() == before and load_scheme(pb) == b


def test_a_non_scheme_file_under_the_standard_name_is_left_alone(tmp_path):
    s = strassen_scheme("ZT")
    squatter = tmp_path / "gg-2x2x2-r7-ZT.json"
    squatter.write_text("not a scheme")
    p = save_scheme(s, tmp_path)
    assert p != squatter and squatter.read_text() == "not a scheme" and load_scheme(p) == s


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_written_files_follow_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        files = [save_scheme(strassen_scheme("ZT"), tmp_path),
                 save_scheme(strassen_scheme("ZT"), tmp_path / "f.json"),
                 atomic_write_text(tmp_path / "t.txt", "x")]
    finally:
        os.umask(old)
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~mask, f
