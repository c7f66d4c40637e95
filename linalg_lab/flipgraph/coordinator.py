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
from .autopilot import start_for
from .executor import RunState, StepReport, StepRequest, keeps
from .landscape import isolated
from .pool import SchemePool
from .run_setup import lifted_to
from .tracker import WalkerTracker


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
    autopilot : Autopilot, optional
        Chooses each walker's strategy (its settings, restarts, walker and
        ring; :mod:`.autopilot`); without it every walker walks ``settings``
        and restarts by ``restart``.
    """

    def __init__(self, fmt, pool: SchemePool, settings, restart, rngs, *, target_rank=None, keep=1,
                 max_flips=None, on_improve=None, monitor=None, autopilot=None):
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
        self.autopilot = autopilot
        n = len(rngs)
        self.track = WalkerTracker(n)
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

    def settings_of(self, i: int):
        """Walker ``i``'s walk settings: its strategy's, or the search's."""
        return self.settings if self.autopilot is None else self.autopilot.strategy(i).settings

    def _foreign(self, i: int) -> bool:
        """Whether walker ``i`` walks another ring than the search's (its schemes are lifted)."""
        return self.autopilot is not None and self.autopilot.strategy(i).ring is not None

    def _request(self, i: int) -> StepRequest | None:
        if self._stop.is_set():
            return None
        s = self.settings_of(i)
        best = self.best_rank
        if self._foreign(i):
            # over F2 for a Z_T search: report each rank below the pool's best not offered yet
            below = self.track.below(i, best)
            req = StepRequest.walking(s, self.target or 0, stop_below=below)
            req.report_below = below
        elif self._harvesting():
            # at the target: walk without plus transitions and collect distinct schemes
            req = StepRequest(s.harvest, target=self.target - 1, plateau=0, collect_at=best)
        else:
            req = StepRequest.walking(s, self.target or 0, stop_below=best, collect_at=best if self.keep > 1 else 0)
        if not self._foreign(i):
            req.report_below = best
            req.snapshot = self._snap_wanted and i not in self._snapshots
        return self.track.attach(i, req, s.margin)

    def first(self, i: int) -> StepRequest | None:
        return self._request(i)

    def receive(self, i: int, rep: StepReport) -> StepRequest | None:
        """Merge walker ``i``'s report; return its next request (None: stop)."""
        with self._lock:
            self.flips += rep.flips
            flips = self.flips
            self.last[i] = rep
        best = rep.best
        if best is not None and self._foreign(i):
            self.track.offer(i, rep.best_rank)
            best = self._lift(best)
        if best is not None and self.pool.offer(best, flips=flips, verified=True):
            if self.autopilot is not None:
                # a hole at the target ends the search anyway; one above it leaves the pool nothing to walk
                hole = (self.target is None or best.rank > self.target) and isolated([best])
                self.autopilot.improved(i, flips, isolated=hole, seconds=self.seconds)
            if self.on_improve is not None:
                self.on_improve(best)
        self.track.progress(i, rep.best_rank, rep.total_flips)
        if rep.current is not None and not self._foreign(i):
            if rep.rank == self.best_rank:      # the pool keeps it if it is new and (when full) cheaper
                self.pool.offer(rep.current, flips=flips)
            if self._snap_wanted:
                with self._snap:
                    self._snapshots.setdefault(i, rep.current)
                    self._snap.notify_all()
        self._decide_restart(i, rep)
        if self.autopilot is not None:
            self._steer(i, rep, flips)
        if self.target is not None and self.best_rank <= self.target and self.pool.full(self.fmt):
            self.stop()
        if self.max_flips is not None and flips >= self.max_flips:
            self.stop()
        return self._request(i)

    def _lift(self, scheme):
        """An F2 walker's scheme as a scheme over the search's ring (None where it has none)."""
        try:
            return lifted_to(scheme, self.fmt[2])
        except ValueError:
            return None

    def _steer(self, i: int, rep: StepReport, flips: int) -> None:
        """The autopilot's turn: at the end of a stint walker ``i`` may switch strategy."""
        new = self.autopilot.step(i, rep.total_flips, flips, self.seconds)
        if new is None:
            return
        scheme = start_for(new, lambda r: self.pool.pick(self.fmt, r), self.rngs[i])
        # a walker that loads the start keeps its counters; a new one (another kind or ring) starts at 0
        now = rep.total_flips if keeps(rep.walker, scheme, new.walker) else 0
        self.track.load(i, scheme, new.walker, now)
        self.autopilot.begin(i, now)

    def _decide_restart(self, i: int, rep: StepReport) -> None:
        s = self.settings_of(i)
        rng = self.rngs[i]
        harvesting = self._harvesting()
        # follow a better pool with some probability, or leave a stale path
        behind = self.track.behind(i, self.best_rank) and rng.random() < s.follow
        stale = self.track.stale(i, rep.total_flips, s.path_limit)
        if self._foreign(i) and rep.best_rank <= (self.target or 0):
            stale = True                 # at the target over F2 with no lift: a new descent
        if behind or (stale and not harvesting):
            if self.autopilot is not None:
                strat = self.autopilot.strategy(i)
                restart = (lambda r: start_for(strat, lambda q: self.pool.pick(self.fmt, q), r))
                self.track.pending_type[i] = strat.walker
            else:
                restart = self.restart
            scheme = restart(rng) if stale and not behind else self.pool.pick(self.fmt, rng)
            if s.sandwich and scheme.code == "gg":
                # an isomorphic start whose ternary neighbourhood differs (the GL action commutes with flips)
                scheme = random_sandwich(scheme, rng, s.sandwich)
            self.track.load(i, scheme, flips=rep.total_flips)

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
