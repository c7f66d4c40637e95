"""The coordinator of a search: turns walkers' reports into pool updates and next requests.

It owns the decisions the walkers share: when a walker harvests distinct
schemes at the target, when it follows the pool or restarts (its
:class:`~linalg_lab.flipgraph.restart.Restart` policy), when the search
stops, and the snapshots a campaign checkpoints. Executors call
:meth:`first` / :meth:`receive` (from any thread) and :meth:`tick` (from the
thread that runs them); the methods are thread-safe.
"""

from __future__ import annotations

import threading
import time

from ..schemes.transforms import random_sandwich
from .executor import RunState, StepReport, StepRequest
from .pool import SchemePool


class Coordinator(RunState):
    """Shared state and decisions of one search over one format.

    Parameters
    ----------
    fmt : tuple
        The searched format ``(code, sizes, ring)`` (its pool in ``pool``).
    pool : SchemePool
    settings : SearchSettings
    restart : callable
        ``restart(rng) -> Scheme``: where a stalled walker starts again.
    rngs : list of numpy.random.Generator
        One per walker, for its restart decisions (reproducible per walker).
    target_rank, keep, max_flips, on_improve :
        As in :func:`~linalg_lab.flipgraph.search`.
    monitor : callable, optional
        ``monitor(coordinator)``, called by :meth:`tick`.
    """

    def __init__(self, fmt, pool: SchemePool, settings, restart, rngs, *, target_rank=None, keep=1,
                 max_flips=None, on_improve=None, monitor=None):
        self.fmt = fmt
        self.pool = pool
        self.settings = settings
        self.restart = restart
        self.rngs = rngs
        self.target = target_rank
        self.keep = keep
        self.max_flips = max_flips
        self.on_improve = on_improve
        self.monitor = monitor
        n = len(rngs)
        self.my_best = [None] * n
        self.last_best_flips = [0] * n
        self.pending: list = [None] * n
        self.last: list[StepReport | None] = [None] * n
        self.flips = 0
        self._lock = threading.Lock()
        self._snap = threading.Condition(self._lock)
        self._snap_wanted = False
        self._snapshots: dict[int, object] = {}
        self._start_run()

    # ------------------------------------------------------------------ state
    @property
    def best_rank(self) -> int:
        return self.pool.best_rank(self.fmt)

    def stop(self) -> None:
        super().stop()
        with self._snap:                 # wake a snapshot() waiting for walkers that will not report
            self._snap.notify_all()

    # ------------------------------------------------------------------ requests
    def _harvesting(self) -> bool:
        return self.target is not None and self.best_rank <= self.target

    def _request(self, i: int) -> StepRequest | None:
        if self._stop.is_set():
            return None
        s = self.settings
        best = self.best_rank
        if self._harvesting():
            # at the target: walk without plus transitions and collect distinct schemes
            req = StepRequest(s.harvest, target=self.target - 1, plateau=0, collect_at=best)
        else:
            req = StepRequest.walking(s, self.target or 0, stop_below=best, collect_at=best if self.keep > 1 else 0)
        req.report_below = best
        req.snapshot = self._snap_wanted and i not in self._snapshots
        req.load, self.pending[i] = self.pending[i], None
        return req

    def first(self, i: int) -> StepRequest | None:
        return self._request(i)

    def receive(self, i: int, rep: StepReport) -> StepRequest | None:
        """Merge walker ``i``'s report; return its next request (None: stop)."""
        with self._lock:
            self.flips += rep.flips
            flips = self.flips
            self.last[i] = rep
        if rep.best is not None and self.pool.offer(rep.best, flips=flips, verified=True):
            if self.on_improve is not None:
                self.on_improve(rep.best)
        if self.my_best[i] is None or rep.best_rank < self.my_best[i]:
            self.my_best[i] = rep.best_rank
            self.last_best_flips[i] = rep.total_flips
        if rep.current is not None:
            if rep.rank == self.best_rank:      # the pool keeps it if it is new and (when full) cheaper
                self.pool.offer(rep.current, flips=flips)
            if self._snap_wanted:
                with self._snap:
                    self._snapshots.setdefault(i, rep.current)
                    self._snap.notify_all()
        self._decide_restart(i, rep)
        if self.target is not None and self.best_rank <= self.target and self.pool.full(self.fmt):
            self.stop()
        if self.max_flips is not None and flips >= self.max_flips:
            self.stop()
        return self._request(i)

    def _decide_restart(self, i: int, rep: StepReport) -> None:
        s = self.settings
        rng = self.rngs[i]
        harvesting = self._harvesting()
        # follow a better pool with some probability, or leave a stale path
        behind = self.my_best[i] > self.best_rank and rng.random() < s.follow
        stale = rep.total_flips - self.last_best_flips[i] > s.path_limit
        if behind or (stale and not harvesting):
            scheme = self.restart(rng) if stale and not behind else self.pool.pick(self.fmt, rng)
            if s.sandwich and scheme.code == "gg":
                # an isomorphic start whose ternary neighbourhood differs (the GL action commutes with flips)
                scheme = random_sandwich(scheme, rng, s.sandwich)
            self.pending[i] = scheme
            self.my_best[i] = scheme.rank
            self.last_best_flips[i] = rep.total_flips

    # ------------------------------------------------------------------ snapshots
    def snapshot(self, timeout: float = 5.0) -> list:
        """The walkers' current schemes (for checkpoints): each walker reports one after its next step."""
        n = len(self.rngs)
        deadline = time.perf_counter() + timeout
        with self._snap:
            self._snapshots = {}
            self._snap_wanted = True
            while len(self._snapshots) < n and not self._stop.is_set():
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                self._snap.wait(left)
            self._snap_wanted = False
            return list(self._snapshots.values())

    # ------------------------------------------------------------------ totals
    def totals(self) -> tuple[int, int]:
        """(plus transitions, reductions) over all walkers."""
        reps = [r for r in self.last if r is not None]
        return sum(r.plus_transitions for r in reps), sum(r.reductions for r in reps)
