"""Sphinx configuration of the linalg-lab documentation.

Build: ``sphinx-build -W -b html docs docs/_build/html`` from the repository root.
Notebooks are copied from ``notebooks/`` and rendered as they were executed
(never run again here); the catalogue page is generated from ``schemes/``.
"""

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "linalg-lab" / "numba"))

import linalg_lab  # noqa: E402

project = "linalg-lab"
author = "the linalg-lab developers"
copyright = "linalg-lab developers"
release = version = linalg_lab.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_nb",
    "catalogue_page",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
templates_path = ["_templates"]

# --- API reference -----------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
default_role = "py:obj"
nitpicky = False
# docstrings hold examples written for doctest; they are shown, not run
suppress_warnings = ["autosummary.import_cycle"]

intersphinx_mapping = {}

# --- notebooks: rendered from their stored outputs, never executed ------------
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3


def _copy_notebooks():
    dest = HERE / "notebooks"
    dest.mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        target = dest / nb.name
        if not target.exists() or target.read_bytes() != nb.read_bytes():
            shutil.copyfile(nb, target)


def _extract_figures():
    """Write each notebook's stored PNG outputs to ``figures/<notebook>-<k>.png`` (k from 1, in order)."""
    import base64
    import json

    dest = HERE / "figures"
    dest.mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        k = 0
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            for out in cell.get("outputs", []):
                png = out.get("data", {}).get("image/png")
                if png:
                    k += 1
                    data = base64.b64decode("".join(png) if isinstance(png, list) else png)
                    target = dest / f"{nb.stem}-{k}.png"
                    if not target.exists() or target.read_bytes() != data:
                        target.write_bytes(data)


_copy_notebooks()
_extract_figures()

# --- HTML --------------------------------------------------------------------
html_theme = "furo"
html_title = f"linalg-lab {release}"
html_static_path = []
