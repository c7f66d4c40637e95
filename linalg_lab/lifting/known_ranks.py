"""Moved to :mod:`linalg_lab.schemes.known_ranks`; this name stays importable."""

from ..schemes.known_ranks import *  # noqa: F401,F403
from ..schemes.known_ranks import __all__  # noqa: F401
