"""The catalogue `schemes/`: every file exact and well named, its index current, the literature table in step."""

from pathlib import Path

import pytest

from linalg_lab.schemes import load_scheme, save_scheme, scheme_filename, naive_scheme, strassen_scheme
from linalg_lab.schemes.catalogue import catalogue_best, catalogue_index, scan_catalogue
from linalg_lab.schemes.known_ranks import COLUMNS, KNOWN_RANKS_CSV, known_rank, known_ranks, parse_known_ranks

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "schemes"
FILES = sorted(CATALOGUE.rglob("*.json"))
SHARED = REPO.parent / "shared" / "known_ranks.csv"


def test_catalogue_is_not_empty():
    assert FILES, f"no scheme files under {CATALOGUE}"


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_catalogue_file_is_exact(path):
    s = load_scheme(path, verify=True)
    stem = scheme_filename(s)[: -len(".json")]
    assert path.name == stem + ".json" or path.name.startswith(stem + "-"), path.name
    assert path.parent.name == s.code


def test_committed_index_is_current():
    # what `linalg-lab catalogue schemes/ --check` checks
    assert (CATALOGUE / "README.md").read_text(encoding="utf-8") == catalogue_index(CATALOGUE)


# ----------------------------------------------------------------------------- the literature table
@pytest.mark.skipif(not SHARED.exists(), reason="no shared known_ranks.csv next to this checkout")
def test_package_copy_is_the_shared_table():
    assert KNOWN_RANKS_CSV == SHARED.read_text(encoding="utf-8")
    assert known_ranks(SHARED) == known_ranks()


def test_table_covers_every_general_format_and_the_structured_products():
    t = known_ranks()
    gg = sorted(n for code, n in t if code == "gg")
    want = sorted((a, b, c) for a in range(2, 9) for b in range(a, 9) for c in range(b, 9))
    assert gg == want
    assert all(t[("gg", n)]["ZT"] is not None for n in want)
    # rows every ring agrees with the inclusions: Z_T >= Z >= Q, and F2 <= Z (a Z scheme reduces mod 2)
    for (code, n), row in t.items():
        if row["ZT"] is not None and row["Z"] is not None:
            assert row["ZT"] >= row["Z"], (code, n)
        if row["Z"] is not None and row["Q"] is not None:
            assert row["Z"] >= row["Q"], (code, n)
        if row["F2"] is not None and row["Z"] is not None:
            assert row["F2"] <= row["Z"], (code, n)
    assert (t[("ss", (2, 2, 2))]["Z"], t[("ss", (2, 2, 2))]["Q"]) == (6, 5)
    assert (t[("gg", (4, 4, 4))]["F2"], t[("gg", (4, 4, 4))]["Q"]) == (47, 48)
    assert t[("kg", (3, 3, 3))]["Q"] == 14
    assert known_rank("gg", (5, 4, 4), "F2") == known_rank("gg", (4, 4, 5), "F2") == 60
    assert known_rank("ss", (2, 2, 2), "F2") is None


def test_parser_reads_unquoted_commas_in_notes_and_refuses_bad_lines():
    head = ",".join(COLUMNS)
    table, sources = parse_known_ranks(f"# s1\n#  s2\n{head}\ngg,2,2,2,7,7,7,7,a, b ,c\nss,2,2,2,,,6,5,\n")
    assert sources == ["s1", "s2"]
    assert table[("gg", (2, 2, 2))]["notes"] == "a, b ,c"
    assert table[("ss", (2, 2, 2))] == {"F2": None, "ZT": None, "Z": 6, "Q": 5, "notes": ""}
    assert parse_known_ranks(f'{head}\ngg,2,2,2,7,7,7,7,"quoted, note"\n')[0][("gg", (2, 2, 2))]["notes"] == "quoted, note"
    with pytest.raises(ValueError, match="text: expected the columns"):
        parse_known_ranks("code,n1,n2,n3,F2,Z,Q\n")
    with pytest.raises(ValueError, match="text: line 2 has 5 fields"):
        parse_known_ranks(f"{head}\ngg,2,2,2,7\n")
    with pytest.raises(ValueError, match="text: line 2: a size or rank is not an integer"):
        parse_known_ranks(f"{head}\ngg,2,2,x,7,7,7,7,\n")
    with pytest.raises(ValueError, match="appears twice"):
        parse_known_ranks(f"{head}\ngg,2,2,2,7,7,7,7,\ngg,2,2,2,7,7,7,7,\n")
    with pytest.raises(TypeError, match="text: expected a str"):
        parse_known_ranks(None)


# ----------------------------------------------------------------------------- index and best ranks
def test_index_lists_the_formats_we_hold_with_every_literature_column(tmp_path):
    root = tmp_path / "schemes"
    for code in ("gg", "ss"):
        (root / code).mkdir(parents=True)
    save_scheme(strassen_scheme("ZT"), root / "gg")
    save_scheme(naive_scheme("gg", (2, 2, 3), "F3"), root / "gg")
    save_scheme(naive_scheme("gg", (3, 2, 2), "F2"), root / "gg")      # an ordering the table does not list
    save_scheme(naive_scheme("ss", (2, 2, 2), "Z"), root / "ss")
    text = catalogue_index(root)
    # the columns after the literature: additions of our cheapest Z_T scheme (Strassen's 18), then the count
    # after greedy common-subexpression reduction (18 too: no pair occurs twice in Strassen's form)
    assert "| gg | 2x2x2 | 7* | 7 | 7* | 7* | 7* | 7 | 7 | 7 | 7 | 18 | 18 | Strassen |" in text
    assert "| gg | 2x2x3 | - | 12 | - | - | - | 11 | 11 | 11 | 11 | - | - |  |" in text
    assert "| gg | 3x2x2 | 12 | - | - | - | - | 11 | 11 | 11 | 11 | - | - |  |" in text
    assert "| ss | 2x2x2 | 7 | 7 | - | 7 | 7 | - | - | 6 | 5 | - | - | needs fractions over Q (found over F3) |" in text
    rows = [line for line in text.splitlines() if line.startswith("| gg |") or line.startswith("| ss |")]
    assert len(rows) == 4                               # only what we hold; the table has 151 formats
    assert f"has {len(known_ranks())} formats" in text


def test_catalogue_best_reads_the_file_names(tmp_path):
    assert catalogue_best(tmp_path / "missing", "gg", (2, 2, 2), "F2") is None
    entries = scan_catalogue(CATALOGUE)
    for e in entries:
        own = [x.rank for x in entries if (x.code, x.n, x.ring) == (e.code, e.n, e.ring)]
        assert catalogue_best(CATALOGUE, e.code, e.n, e.ring) == min(own)
    assert catalogue_best(CATALOGUE, "gg", (2, 2, 2), "F2") is None      # a ZT file counts for ZT only
    (tmp_path / "gg").mkdir()
    save_scheme(naive_scheme("gg", (2, 2, 2), "F2"), tmp_path / "gg")
    save_scheme(strassen_scheme("F2"), tmp_path / "gg", tag="b")
    (tmp_path / "gg" / "gg-2x2x2-rX-F2.json").write_text("{}")           # not a rank: ignored
    assert catalogue_best(tmp_path, "gg", (2, 2, 2), "F2") == 7
    assert catalogue_best(str(tmp_path), "gg", (2, 2, 2), "F3") is None


def test_old_import_paths_still_work():
    import linalg_lab.lifting.catalogue as old_cat
    import linalg_lab.lifting.known_ranks as old_kr
    import linalg_lab.schemes.catalogue as cat
    import linalg_lab.schemes.known_ranks as kr

    assert old_cat.catalogue_index is cat.catalogue_index and old_cat.scan_catalogue is cat.scan_catalogue
    assert old_kr.known_ranks is kr.known_ranks and old_kr.KNOWN_RANKS_CSV is kr.KNOWN_RANKS_CSV
