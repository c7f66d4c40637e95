"""Collection rules for the whole repository (tests, the package's doctests, notebooks).

Optional CUDA modules of the package (any ``linalg_lab/**/*cuda*.py``) are
imported for their doctests only where CUDA can run: a GPU, or the numba CUDA
simulator (``NUMBA_ENABLE_CUDASIM=1``). Elsewhere importing them may fail, and
that is not an error of the package.
"""

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent / "linalg_lab"


def _cuda_usable() -> bool:
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return True
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:  # numba without CUDA support, or no driver
        return False


def pytest_ignore_collect(collection_path, config):
    path = Path(collection_path)
    if path.suffix == ".py" and "cuda" in path.stem.lower() and PACKAGE in path.resolve().parents:
        if not _cuda_usable():
            return True
    return None
