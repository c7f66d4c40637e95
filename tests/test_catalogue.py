"""Every scheme file in the catalogue `schemes/` is exact and named as DESIGN.md section 4 says."""

from pathlib import Path

import pytest

from linalg_lab.schemes import load_scheme, scheme_filename

CATALOGUE = Path(__file__).resolve().parents[1] / "schemes"
FILES = sorted(CATALOGUE.rglob("*.json"))


def test_catalogue_is_not_empty():
    assert FILES, f"no scheme files under {CATALOGUE}"


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_catalogue_file_is_exact(path):
    s = load_scheme(path, verify=True)
    stem = scheme_filename(s)[: -len(".json")]
    assert path.name == stem + ".json" or path.name.startswith(stem + "-"), path.name
    assert path.parent.name == s.code
