"""Flip-graph search over F2 and F3.

Moves (flip, reduction, plus transition) run in numba kernels on bit-packed
factors (:mod:`linalg_lab.flipgraph._kernels`); :class:`Walker` holds one
walk; :func:`search` runs a pool search with parallel walkers.

References
----------
M. Kauers and J. Moosbauer, "Flip graphs for matrix multiplication", ISSAC 2023.
Y. Arai, Y. Ichikawa and K. Hukushima, "Adaptive flip graph algorithm for matrix
multiplication", ISSAC 2024.
"""

from .search import SearchResult, search
from .walker import Walker

__all__ = ["SearchResult", "Walker", "search"]
