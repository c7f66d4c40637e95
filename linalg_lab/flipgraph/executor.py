"""Executors: where walks run. The search hands them a pure step and a coordinator.

The step, :func:`advance`, takes a walker and a :class:`StepRequest` ("load
this scheme if asked, walk this many flips with these settings") and returns
a :class:`StepReport` (flips done, ranks, the best scheme when it beat the
pool, the current scheme when asked). It touches nothing but the walker, so
an executor may run it anywhere the walker can travel: a thread next to the
pool (:class:`ThreadExecutor`, today's search), or a worker process of a
distributed engine that ships the walker's arrays back and forth.

An executor's :meth:`~Executor.run` loops until the coordinator says stop:
for each walker, ``request = coordinator.first(i)``, then ``report =
advance(walker, request)`` and ``request = coordinator.receive(i, report)``
until the request is None; the calling thread calls ``coordinator.tick()``
every few tens of milliseconds (progress, time limit, checkpoints).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from ..schemes.scheme import Scheme
from .pool import checked


@dataclass
class StepRequest:
    """What one step of a walker should do."""

    flips: int
    target: int = 0                  # stop at this rank (terms)
    plateau: int = 0
    margin: int | None = None        # None: the walker's own default
    split: int = 0                   # percent of plateau escapes that split a term
    stop_below: int = 0              # stop as soon as the rank drops below this (the pool's best)
    report_below: int = 0            # return the walker's best scheme when its rank is below this
    collect_at: int = 0              # return the current scheme when its rank is this
    snapshot: bool = False           # return the current scheme whatever its rank
    load: Scheme | None = None       # load this scheme before walking (a restart; another format: a new walker)
    walker_type: type | None = None  # with load: the walker class to hold it (None: the current one's)
    headroom: int | None = None      # with load into a new walker: its extra capacity (None: the class default)

    @classmethod
    def walking(cls, settings, target: int = 0, **fields) -> "StepRequest":
        """A step of ``settings.chunk`` flips with the search settings' plateau, margin and split."""
        return cls(settings.chunk, target=target, plateau=settings.plateau, margin=settings.margin,
                   split=settings.split, **fields)


@dataclass
class StepReport:
    """What one step did; walker totals are cumulative."""

    flips: int
    total_flips: int
    plus_transitions: int
    reductions: int
    rank: int
    best_rank: int
    best: Scheme | None = None       # verified
    current: Scheme | None = None    # not verified (the pool checks what it keeps)
    walker: object = None            # the walker after the step: a new one when ``load`` changed the format


def keeps(walker, scheme, walker_type=None) -> bool:
    """Whether :func:`advance` loads ``scheme`` into ``walker`` (keeping its counters) rather than
    building a new walker (of ``walker_type``, default the walker's own) whose counters start at 0."""
    return (walker_type is None or walker_type is type(walker)) and walker.fits(scheme)


def prepare(walker, request: StepRequest):
    """The request side of a step: load the scheme asked for; returns the walker that will walk.

    A scheme the walker does not fit (another format or ring: a meta move of
    the meta search; beyond its capacity: a fresh descent) or one for another
    kind of walker (``request.walker_type``: the meta search's symmetric
    walks) gets a new walker seeded from the old one's generator
    (:func:`keeps`).
    """
    if request.load is not None:
        if not keeps(walker, request.load, request.walker_type):
            make = request.walker_type or type(walker)
            kw = {} if request.headroom is None else {"headroom": request.headroom}
            walker = make(request.load, np.random.default_rng(walker.rng.integers(2**63)), **kw)
        else:
            walker.load(request.load)
    return walker


def walk_options(request: StepRequest) -> dict:
    """The keyword arguments of ``walker.walk`` (and of a batch's parameters) for ``request``."""
    kw = dict(target=request.target, plateau=request.plateau, stop_below=request.stop_below)
    if request.margin is not None:
        kw["margin"] = request.margin
    if request.split:
        kw["split"] = request.split
    return kw


def report(walker, request: StepRequest, flips: int) -> StepReport:
    """The report side of a step: counters, and the schemes the request asked for (the best one verified)."""
    best = checked(walker.best()) if walker.best_rank < request.report_below else None
    rank = walker.rank
    current = walker.scheme() if wants_current(request, rank) else None
    return StepReport(flips=int(flips), total_flips=walker.flips, plus_transitions=walker.plus_transitions,
                      reductions=walker.reductions, rank=rank, best_rank=walker.best_rank, best=best, current=current,
                      walker=walker)


def wants_current(request: StepRequest, rank: int) -> bool:
    """Whether the report of ``request`` carries the current scheme, at this rank."""
    return bool(request.snapshot or (request.collect_at and rank == request.collect_at))


def advance(walker, request: StepRequest) -> StepReport:
    """The pure step: load if asked (:func:`prepare`), walk ``request.flips`` flips, report (:func:`report`).

    When ``request.load`` needs a new walker, the report carries it in
    ``walker`` and the executor keeps that one from then on.
    """
    walker = prepare(walker, request)
    n = walker.walk(request.flips, **walk_options(request))
    return report(walker, request, n)


class RunState:
    """What every coordinator shares with the executors that drive it: stopping, waiting, failing, the clock.

    Subclasses define ``first(i)`` and ``receive(i, report)`` (the requests)
    and may extend :meth:`stop` and :meth:`tick`.
    """

    def _start_run(self) -> None:
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self.t0 = time.perf_counter()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` or until the run stops; True when stopped."""
        return self._stop.wait(seconds)

    def fail(self, exc: BaseException) -> None:
        self.error = exc
        self.stop()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.t0

    def tick(self) -> None:
        if self.monitor is not None:
            self.monitor(self)


class Executor:
    """Interface of an executor: run every walker's step loop until the coordinator stops."""

    def prepare(self, walkers) -> None:
        """Before the clock starts: compile what the walks need (the CPU kernels are compiled already)."""

    def run(self, walkers, coordinator) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ThreadExecutor(Executor):
    """One thread per walker; the numba kernels release the GIL, so walkers use every core."""

    def __init__(self, tick_seconds: float = 0.05):
        self.tick_seconds = tick_seconds

    @staticmethod
    def _loop(i, walker, coordinator):
        try:
            request = coordinator.first(i)
            while request is not None:
                report = advance(walker, request)
                walker = report.walker
                request = coordinator.receive(i, report)
        except BaseException as exc:   # surface worker errors in the caller
            coordinator.fail(exc)

    def run(self, walkers, coordinator) -> None:
        threads = [threading.Thread(target=self._loop, args=(i, w, coordinator), daemon=True,
                                    name=f"flipgraph-walker-{i}") for i, w in enumerate(walkers)]
        for t in threads:
            t.start()
        try:
            while not coordinator.wait(self.tick_seconds):
                coordinator.tick()
        finally:
            coordinator.stop()
            for t in threads:
                t.join()
