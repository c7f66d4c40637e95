"""Per-walker progress, shared by the coordinators of :func:`search` and :func:`meta_search`.

Both coordinators decide from the same few facts about each walker: the
lowest rank it reached on its current path, its flip counter when it got
there (a path is stale after ``path_limit`` flips without progress), and the
scheme (and walker kind) it should load with its next request. They live here
once, in :class:`WalkerTracker`.

Examples
--------
>>> from linalg_lab.schemes import strassen_scheme
>>> t = WalkerTracker(2)
>>> t.progress(0, rank=8, flips=100), t.progress(0, rank=9, flips=200)
(True, False)
>>> t.stale(0, flips=1200, path_limit=1000)
True
>>> t.load(1, strassen_scheme("F2"), flips=50)
>>> from linalg_lab.flipgraph.executor import StepRequest
>>> req = t.attach(1, StepRequest(10), margin=3)
>>> req.load.rank, t.best[1], t.pending[1] is None
(7, 7, True)
"""

from __future__ import annotations

from .executor import StepRequest
from .symmetric import SymmetricWalker, orbit_headroom


class WalkerTracker:
    """Each walker's best rank on its path, the flips when it got there, and what it loads next.

    Attributes
    ----------
    best : list of int or None
        The lowest rank on each walker's current path (None: nothing reported yet).
    since : list of int
        Each walker's flip counter at that rank (or when its path began).
    pending : list of Scheme or None
        The scheme each walker loads with its next request.
    pending_type : list of type or None
        The walker class that must hold it (None: the walker's own).
    offered : list of int
        The lowest rank each walker already reported on its path (0: none). A walker over another
        ring (an F2 walk lifted to Z_T) reports each rank below the best once, whether it lifts or not.
    """

    def __init__(self, walkers: int):
        self.best: list = [None] * walkers
        self.since = [0] * walkers
        self.pending: list = [None] * walkers
        self.pending_type: list = [None] * walkers
        self.offered = [0] * walkers

    def progress(self, i: int, rank: int, flips: int) -> bool:
        """Walker ``i`` reports its best ``rank`` at its flip counter ``flips``; True when its path progressed."""
        if self.best[i] is None or rank < self.best[i]:
            self.best[i] = rank
            self.since[i] = flips
            return True
        return False

    def stale(self, i: int, flips: int, path_limit: int) -> bool:
        """Whether walker ``i``'s path made no progress for more than ``path_limit`` flips."""
        return flips - self.since[i] > path_limit

    def behind(self, i: int, rank: int) -> bool:
        """Whether walker ``i``'s path is above ``rank`` (the pool's best)."""
        return self.best[i] is not None and self.best[i] > rank

    def offer(self, i: int, rank: int) -> None:
        """Walker ``i`` reported a scheme of ``rank`` (lifted or not, it is not asked for again)."""
        self.offered[i] = rank

    def below(self, i: int, best: int) -> int:
        """The rank walker ``i`` must beat to report: ``best``, or the lowest it already reported."""
        return min(best, self.offered[i] or best)

    def load(self, i: int, scheme, walker_type=None, flips: int = 0) -> None:
        """Walker ``i`` starts a new path at ``scheme`` (with its next request), its counter at ``flips``."""
        self.pending[i] = scheme
        if walker_type is not None:
            self.pending_type[i] = walker_type
        self.best[i] = scheme.rank
        self.since[i] = flips
        self.offered[i] = 0

    def attach(self, i: int, req: StepRequest, margin: int, sized: bool = True) -> StepRequest:
        """Move walker ``i``'s pending scheme and walker class into ``req``; a new walker's headroom comes
        from ``margin`` (in orbits for a symmetric walker; in terms for a general one, or its class
        default when not ``sized``)."""
        req.load, self.pending[i] = self.pending[i], None
        req.walker_type, self.pending_type[i] = self.pending_type[i], None
        if req.walker_type is SymmetricWalker:
            req.headroom = orbit_headroom(margin)
        elif req.walker_type is not None and sized:
            req.headroom = margin + 8
        return req


__all__ = ["WalkerTracker"]
