"""Moved to :mod:`linalg_lab.schemes.catalogue`; this name stays importable."""

from ..schemes.catalogue import *  # noqa: F401,F403
from ..schemes.catalogue import __all__  # noqa: F401
