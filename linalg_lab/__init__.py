"""linalg-lab: algorithmic linear algebra.

Families (one sub-package each): ``tensors``, ``fields``, ``schemes``,
``flipgraph``, ``lifting``, ``factorization``, ``transport``, ``svd_update``, ``completion``, ``projection``.
Sub-packages are imported lazily so that ``import linalg_lab`` stays cheap.
:class:`ConvergenceWarning` (:mod:`linalg_lab.exceptions`) is the one warning
every iterative solver issues when it stops before meeting its tolerance.
"""

__version__ = "0.1.0"

import importlib as _importlib

from .exceptions import ConvergenceWarning

_FAMILIES = ("tensors", "fields", "schemes", "flipgraph", "lifting", "factorization", "transport", "svd_update", "completion", "projection")


def __getattr__(name):
    if name in _FAMILIES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'linalg_lab' has no attribute {name!r}")


__all__ = list(_FAMILIES)
