"""The documentation's sources: a complete API reference, the catalogue page, no pointer to notes users lack.

These tests read the sources under ``docs/`` and need no Sphinx; the build itself
(``sphinx-build -W -b html docs docs/_build/html``) runs in ``.ci/run``.
"""

import importlib
import re
import sys
from pathlib import Path

import pytest

import linalg_lab

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
API = DOCS / "api"
FAMILIES = tuple(linalg_lab.__all__)


def autosummary_names(text: str) -> set:
    """Fully qualified names listed in the ``autosummary`` blocks of an rst text.

    A bare entry is resolved against the ``currentmodule`` in force; a ``~`` is dropped.
    """
    names = set()
    module = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*\.\. (?:py:)?currentmodule::\s*(\S+)", line)
        if m:
            module = m.group(1)
        if re.match(r"\s*\.\. autosummary::", line):
            indent = len(line) - len(line.lstrip())
            i += 1
            while i < len(lines):
                body = lines[i]
                if body.strip() and len(body) - len(body.lstrip()) <= indent:
                    break
                entry = body.strip()
                if entry and not entry.startswith(":"):
                    entry = entry.lstrip("~")
                    names.add(entry if "." in entry or module is None else f"{module}.{entry}")
                i += 1
            continue
        i += 1
    return names


def missing_names(family: str, text: str) -> list:
    """The names of ``linalg_lab.<family>.__all__`` that the page text does not list."""
    mod = importlib.import_module(f"linalg_lab.{family}")
    listed = autosummary_names(text)
    return [n for n in mod.__all__ if f"linalg_lab.{family}.{n}" not in listed]


def test_families_are_known():
    assert {"tensors", "fields", "schemes", "flipgraph", "lifting", "factorization", "transport",
            "svd_update", "completion", "projection"} <= set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_public_name_is_in_the_reference(family):
    page = API / f"{family}.rst"
    assert page.is_file(), f"no API page docs/api/{family}.rst for the family {family}"
    missing = missing_names(family, page.read_text(encoding="utf-8"))
    assert not missing, (f"docs/api/{family}.rst does not list {', '.join(missing)} "
                         f"(add them to an autosummary block of the page)")


def test_every_family_page_is_in_the_reference_index():
    index = (API / "index.rst").read_text(encoding="utf-8")
    entries = {line.strip() for line in index.splitlines()}
    assert not [f for f in FAMILIES if f not in entries]


def test_the_check_fails_on_a_missing_name():
    text = (API / "projection.rst").read_text(encoding="utf-8")
    assert missing_names("projection", text) == []
    dropped = "\n".join(line for line in text.splitlines() if line.strip() != "KroneckerProjection")
    assert missing_names("projection", dropped) == ["KroneckerProjection"]
    # an entry under another module, or in prose, does not count
    other = ".. currentmodule:: linalg_lab.tensors\n\n.. autosummary::\n\n   KroneckerProjection\n"
    assert missing_names("projection", dropped + "\nKroneckerProjection\n" + other) == ["KroneckerProjection"]


def test_autosummary_parsing():
    text = """
.. currentmodule:: linalg_lab.flipgraph

.. autosummary::
   :toctree: generated/

   search
   ~linalg_lab.flipgraph.dask_executor.DaskExecutor

Not listed
"""
    assert autosummary_names(text) == {"linalg_lab.flipgraph.search", "linalg_lab.flipgraph.dask_executor.DaskExecutor"}


def test_catalogue_page_lists_files_with_links(tmp_path):
    from linalg_lab.schemes import save_scheme, strassen_scheme

    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from catalogue_page import catalogue_markdown
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    (tmp_path / "gg").mkdir()
    save_scheme(strassen_scheme("ZT"), tmp_path / "gg")
    text = catalogue_markdown(tmp_path, link_prefix="../schemes/")
    assert "| gg | 2x2x2 | **7/7** | 7 | **7/7** | **7/7** | **7/7** | 18 |" in text
    assert "{download}`gg-2x2x2-r7-ZT.json <../schemes/gg/gg-2x2x2-r7-ZT.json>`" in text


def test_no_pointer_to_notes_outside_the_repository():
    """Users have the docs' conventions page, not the developers' design notes."""
    offenders = []
    for path in [ROOT / "README.md", *sorted((ROOT / "linalg_lab").rglob("*.py"))]:
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "DESIGN.md" in line:
                offenders.append(f"{path.relative_to(ROOT)}:{no}")
    assert not offenders, "DESIGN.md is cited (cite the docs' conventions page instead): " + ", ".join(offenders)


def test_notebooks_are_rendered_without_execution():
    conf = (DOCS / "conf.py").read_text(encoding="utf-8")
    assert re.search(r'^nb_execution_mode = "off"$', conf, re.M)
