"""Flip-graph search over F2, F3 and Z_T, and the meta search across formats.

Layout, bottom up:

- :mod:`.state`: the walker state layout (one definition, optional batch axis).
- :mod:`._kernels`: the numba move bodies (flip, plus, merge, delete) and the
  walk, shared by the general and the cyclic-symmetric walks (the CPU's general
  walk compiled once per ring, the ring a constant); ring arithmetic from
  :mod:`linalg_lab.fields.words`.
- :mod:`.walker`, :mod:`.symmetric`: :class:`Walker` and :class:`SymmetricWalker`,
  one walk each, schemes in and out.
- :mod:`.settings` (every default), :mod:`.restart` (restart policies),
  :mod:`.pool` (best schemes keyed by format), :mod:`.executor` (the pure step
  and where it runs), :mod:`.coordinator` (the shared decisions).
- :mod:`.landscape` (flip pairs, isolated holes), :mod:`.portfolio` and
  :mod:`.autopilot` (which strategy walks, by measured progress).
- :func:`search`: orchestration; :mod:`.campaign`: checkpointed long runs.
- :mod:`.formats` (formats, the meta moves between them, :func:`meta_graph`),
  :mod:`.meta_coordinator` and :func:`meta_search`: many formats at once.

References
----------
M. Kauers and J. Moosbauer, "Flip graphs for matrix multiplication", ISSAC 2023.
Y. Arai, Y. Ichikawa and K. Hukushima, "Adaptive flip graph algorithm for matrix
multiplication", ISSAC 2024.
"""

from .autopilot import Autopilot, Strategy, strategies_for
from .executor import Executor, StepReport, StepRequest, ThreadExecutor, advance
from .formats import meta_graph
from .landscape import flip_pairs, isolated
from .meta_search import MetaSearchResult, meta_search
from .pool import SchemePool
from .portfolio import Portfolio
from .restart import Restart
from .search import SearchResult, search
from .settings import SearchSettings
from .symmetric import SymmetricWalker
from .walker import Walker

__all__ = ["Autopilot", "Executor", "MetaSearchResult", "Portfolio", "Restart", "SchemePool", "SearchResult",
           "SearchSettings", "StepReport", "StepRequest", "Strategy", "SymmetricWalker", "ThreadExecutor", "Walker",
           "advance", "flip_pairs", "isolated", "meta_graph", "meta_search", "search", "strategies_for"]
