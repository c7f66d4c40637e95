"""The meta search's coordinator: which format each walker walks, and when it takes a meta move.

:class:`MetaCoordinator` is the executor-facing state of
:func:`~linalg_lab.flipgraph.meta_search` (thread-safe): it merges walker
reports into the pool of every format's best, spreads a new best along the
meta moves at once, and picks each walker's next start. :class:`MetaTable`
prints the live table of best ranks against the known ones and triggers
checkpoints.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter

import numpy as np

from ..fields.rings import as_ring
from ..schemes.scheme import Scheme
from ..schemes.standard import naive_scheme
from .executor import RunState, StepReport, StepRequest, keeps
from .formats import MOVE_KINDS, canonical, format_label, format_moves, known_target
from .pool import Format, checked
from .run_setup import lifted_to
from .stints import F2_STINTS, STINT_FIRST, STINT_KINDS, Stints
from .symmetric import SymmetricWalker, fresh_start
from .tracker import WalkerTracker
from .walker import Walker

#: A walker's choices when it leaves its format: another format's best, a meta move, or a stint.
KINDS = ("restart",) + MOVE_KINDS + STINT_KINDS
#: Seconds between two checkpoints, and between two tables on stderr.
CHECKPOINT_SECONDS = 5.0
TABLE_SECONDS = 10.0
#: Meta moves tried at most after one improvement (see :meth:`MetaCoordinator.offer_and_spread`).
SPREAD_LIMIT = 64


class MetaCoordinator(RunState):
    """Shared state and decisions of a meta search (thread-safe; the executor's coordinator).

    Parameters
    ----------
    formats : list of tuple
        Sorted target formats.
    ring : str
    pool : SchemePool
        Holds every format's best (in sorted order).
    settings : SearchSettings
    rngs : list of numpy.random.Generator
        One per walker, for its meta-move decisions.
    meta_probability : float
    time_limit : float
        Seconds of this run.
    on_improve : callable, optional
        ``on_improve(scheme)``, from a worker thread, for each new best of a format.
    monitor : callable, optional
        ``monitor(coordinator)``, called by :meth:`tick`.
    f2_walks : bool
        Let walkers take stints of F2 walks whose schemes are lifted to ``ring`` (an F2
        scheme's Z_T lifts are sign choices on its support): symmetric walks on
        the open square formats ``n x n x n`` (n >= 3; over F2 and Z_T), and
        over Z_T descents from the naive F2 scheme on the other open formats.
    descents : bool
        Let walkers take stints of independent descents over ``ring`` from the
        naive scheme of an open format (restarted from it after the ``"start"``
        mode's ``path_limit`` flips without progress).
    stays : bool
        Let walkers take stints that walk an open format over ``ring`` with
        ``settings``, like the plain search: restarted from the format's best
        after ``path_limit`` flips without progress, or with probability
        ``follow`` per step while behind it.

    Stints take at most a quarter of the walkers (at least one) at a time
    while hopping pays, all but one once it stopped paying,
    each until it walked its (kind, format) pair's length without progress
    (a new low of the stint or an improvement of the format; the length is
    doubled after each stint of the pair); which
    (kind, format) a stint walks is chosen by :class:`~.stints.StintScheduler`
    (improvements per flip, distance to the known rank, what gave each format
    its best).
    """

    def __init__(self, formats, ring, pool, settings, rngs, *, meta_probability, time_limit, on_improve=None,
                 monitor=None, f2_walks=False, descents=False, stays=False):
        self.formats = list(formats)
        self.ring = ring
        self.ring_value = as_ring(ring)
        self.pool = pool
        self.settings = settings
        self.rngs = rngs
        self.meta_probability = meta_probability
        self.time_limit = time_limit
        self.on_improve = on_improve
        self.monitor = monitor
        self.known = {f: known_target(f, ring) for f in self.formats}
        self.moves = format_moves(self.formats)
        # the moves that take a format's scheme somewhere else, by source format
        self.spread = {f: [m for ms in self.moves.values() for m in ms if any(g == f for g, _ in m.sources)]
                       for f in self.formats}
        self.spread_rng = np.random.default_rng(rngs[0].integers(2**63)) if rngs else np.random.default_rng()
        n = len(rngs)
        self.current = [self.formats[i % len(self.formats)] for i in range(n)]
        self.visited = [{f} for f in self.current]
        self.track = WalkerTracker(n)
        self.taken: Counter = Counter()
        self.stints = Stints(self.known, ring, settings, n, f2_walks=f2_walks, descents=descents, stays=stays)
        self.scheduler = self.stints.scheduler
        self.lifted = 0
        self.history: list = []
        self.flips = 0
        self.stopped_by: str | None = None
        self._lock = threading.Lock()
        self._start_run()

    # ------------------------------------------------------------------ state
    @property
    def stint(self) -> list:
        """Per walker its stint (kind, format), or None while it hops (:attr:`stints`)."""
        return self.stints.of

    @property
    def stint_formats(self) -> dict:
        """Kind -> the formats its stints serve (:attr:`stints`)."""
        return self.stints.formats

    def key(self, f) -> tuple:
        """The pool key of sorted format ``f``."""
        return Format("gg", f, self.ring_value)

    def best_rank(self, f) -> int:
        return self.pool.best_rank(self.key(f))

    def done(self, f) -> bool:
        k = self.known[f]
        return k is not None and self.best_rank(f) <= k

    def all_done(self) -> bool:
        return any(k is not None for k in self.known.values()) and all(
            self.done(f) for f in self.formats if self.known[f] is not None)

    def tick(self) -> None:
        super().tick()
        if self.all_done():
            self.stopped_by = self.stopped_by or "known"
            self.stop()
        elif self.seconds >= self.time_limit:
            self.stopped_by = self.stopped_by or "time"
            self.stop()

    # ------------------------------------------------------------------ pool
    def offer(self, scheme: Scheme, verified: bool) -> bool:
        """Offer a scheme of a target format (sorted); on a new best, record it and call ``on_improve``."""
        with self._lock:
            flips = self.flips
        if not self.pool.offer(scheme, flips=flips, verified=verified):
            return False
        f = tuple(scheme.n)
        with self._lock:
            self.history.append((self.seconds, f, scheme.rank))
        if self.on_improve is not None:
            self.on_improve(scheme)
        return True

    def offer_and_spread(self, scheme: Scheme, verified: bool) -> bool:
        """:meth:`offer`; on a new best, offer at once what every meta move from it gives (and so on,
        up to ``SPREAD_LIMIT`` moves; a projection drops the slice that leaves the lowest rank):
        Strassen's 7 makes 2x2x4 rank 14 and 4x4x4 rank 49 without a walk."""
        if not self.offer(scheme, verified):
            return False
        queue, tried = [tuple(scheme.n)], 0
        while queue and tried < SPREAD_LIMIT and not self._stop.is_set():
            f = queue.pop(0)
            for m in self.spread[f]:
                if self.done(m.result) or tried >= SPREAD_LIMIT:
                    continue
                tried += 1
                s = m.apply(self.pool, self.key, self.spread_rng, lowest=True)
                if s.rank < self.best_rank(m.result) and self.offer(checked(s), verified=True):
                    queue.append(m.result)
        return True

    # ------------------------------------------------------------------ requests
    def _request(self, i: int) -> StepRequest | None:
        if self._stop.is_set():
            return None
        f = self.current[i]
        best = self.best_rank(f)
        stint = self.stints.of[i]
        if stint is not None:
            # a stint: report each rank below the format's best not tried yet (for a lift, over F2)
            below = self.track.below(i, best)
            req = StepRequest.walking(self.stints.settings[stint], self.known[f] or 0, stop_below=below,
                                      report_below=below)
        else:
            req = StepRequest.walking(self.settings, self.known[f] or 0, stop_below=best, report_below=best)
        margin = (self.settings if stint is None else self.stints.settings[stint]).margin
        return self.track.attach(i, req, margin, sized=False)

    def first(self, i: int) -> StepRequest | None:
        return self._request(i)

    def receive(self, i: int, rep: StepReport) -> StepRequest | None:
        """Merge walker ``i``'s report; choose its next start (a meta move, the pool, or its own path)."""
        with self._lock:
            self.flips += rep.flips
        if self.stints.of[i] is not None:
            return self._receive_stint(i, rep)
        if rep.best is not None and self.offer_and_spread(rep.best, verified=True):
            self.scheduler.hop_improved(self.current[i], self.flips)
        progressed = self.track.progress(i, rep.best_rank, rep.total_flips)
        rng = self.rngs[i]
        f = self.current[i]
        # a walker still descending keeps its format; a stalled one takes a meta move with some probability
        if self.done(f) or (not progressed and rng.random() < self.meta_probability):
            self._meta(i, rep, forced=self.done(f))
        else:
            s = self.settings
            behind = self.track.behind(i, self.best_rank(f)) and rng.random() < s.follow
            stale = self.track.stale(i, rep.total_flips, s.path_limit)
            if behind or stale:
                self._load(i, self.pool.pick(self.key(f), rng), rep)
        if self.all_done():
            self.stopped_by = self.stopped_by or "known"
            self.stop()
        return self._request(i)

    # ------------------------------------------------------------------ stints
    def _receive_stint(self, i: int, rep: StepReport) -> StepRequest | None:
        """Walker ``i`` walks a stint: offer what beats the format's best (an F2 walk's schemes lifted),
        start again after ``path_limit`` flips without progress, at an unliftable target or, with
        probability ``follow`` (stays only), while behind the format's best; leave after the pair's
        stint length without progress (:meth:`.Stints.over`) or once the format is at its known rank."""
        kind, f = self.stints.of[i]
        walk = self.stints.settings[(kind, f)]
        if rep.best is not None:
            self.track.offer(i, rep.best_rank)
            if kind in F2_STINTS:
                found = lifted_to(rep.best, self.ring)
                if found is not None:
                    with self._lock:
                        self.lifted += 1
            else:
                found = rep.best
            if found is not None and self.offer_and_spread(canonical(found), verified=True):
                self.stints.won(i, rep.total_flips)
        self.track.progress(i, rep.best_rank, rep.total_flips)
        self.stints.reached(i, rep.best_rank, rep.total_flips)
        if self.done(f) or self.stints.over(i, rep.total_flips):
            self._meta(i, rep, forced=True)
            if self.stints.of[i] is not None:           # nothing open elsewhere: a walk over the ring on its own format
                self._load(i, self.pool.pick(self.key(f), self.rngs[i]), rep)
        elif (self.track.stale(i, rep.total_flips, walk.path_limit)
              or rep.best_rank <= (self.known[f] or 0)
              or (walk.follow > 0 and self.track.behind(i, self.best_rank(f)) and self.rngs[i].random() < walk.follow)):
            # stalled, at the target with no lift, or behind (only stays follow the format's best): a new start
            self._enter_stint(i, kind, f, rep)
        if self.all_done():
            self.stopped_by = self.stopped_by or "known"
            self.stop()
        return self._request(i)

    def _gap(self) -> dict:
        """How far each tabulated format is above its known rank, relative to it."""
        return {f: (self.best_rank(f) - k) / k for f, k in self.known.items() if k}

    def _enter_stint(self, i: int, kind: str, f, rep: StepReport) -> None:
        """Walker ``i`` starts a stint of ``kind`` on ``f``: symmetric from the cubes and unit orbits,
        from the naive scheme over F2 or (a descent) the ring, or (a stay) from the format's best;
        again, when it already walks there: a new start."""
        if kind == "symmetric":
            start, make = fresh_start(f[0], "F2", self.known[f]), SymmetricWalker
        elif kind == "stay":
            start, make = self.pool.pick(self.key(f), self.rngs[i]), Walker
        else:
            start, make = naive_scheme("gg", f, "F2" if kind == "lift" else self.ring), Walker
        # a walker that loads the start keeps its counters; a new one starts at 0
        now = rep.total_flips if keeps(rep.walker, start, make) else 0
        self.stints.begin(i, kind, f, now)
        self.current[i] = f
        self.visited[i].add(f)
        self.track.load(i, start, make, now)

    def _load(self, i: int, scheme: Scheme, rep: StepReport) -> None:
        f = tuple(scheme.n)
        if self.stints.of[i] is not None:       # leaving a stint: a new walker over the ring
            self.stints.end(i, rep.total_flips)
            self.track.pending_type[i] = Walker
            self.current[i] = None
        # a walker keeps its arrays for its own format: a scheme beyond its capacity is only offered
        if f == self.current[i] and not rep.walker.fits(scheme):
            return
        # a walker of another format is new: its flip counter starts at 0
        self.track.load(i, scheme, flips=rep.total_flips if f == self.current[i] else 0)
        self.current[i] = f
        self.visited[i].add(f)

    def _meta(self, i: int, rep: StepReport, forced: bool) -> None:
        """One meta move for walker ``i`` towards a format not at its known rank: from or to its own
        format, or (``forced``: its format is done) from anywhere; a restart goes to a random such format."""
        rng = self.rngs[i]
        f = self.current[i]
        open_ = [g for g in self.formats if not self.done(g)]
        if forced and not open_:
            return
        choices = open_ or self.formats
        for kind in rng.permutation(KINDS):
            if kind in STINT_KINDS:
                # a stint: its (kind, format) chosen by the scheduler; a walker leaving a stint goes to a
                # walk over the ring
                open_stint = self.stints.open_pairs(self.done, self.flips) if self.stints.of[i] is None else []
                if not open_stint or all(self.done(g) for g in self.stints.formats[kind]):
                    continue
                kind, g = self.scheduler.choose(open_stint, self._gap(), STINT_FIRST)
                self._enter_stint(i, kind, g, rep)
                with self._lock:
                    self.taken[str(kind)] += 1
                return
            if kind == "restart":
                g = choices[int(rng.integers(len(choices)))]
                move = None
            else:
                # moves towards a format not yet at its known rank; unless forced, from or to this one
                cands = [m for m in self.moves[kind] if not self.done(m.result)]
                if not forced:
                    cands = [m for m in cands if m.result == f or any(src == f for src, _ in m.sources)]
                if not cands:
                    continue
                move = cands[int(rng.integers(len(cands)))]
            if move is None:
                scheme = self.pool.pick(self.key(g), rng)
            else:
                scheme = checked(move.apply(self.pool, self.key, rng))
                if self.offer_and_spread(scheme, verified=True):
                    self.scheduler.hop_improved(tuple(scheme.n), self.flips)
            with self._lock:
                self.taken[str(kind)] += 1
            self._load(i, scheme, rep)
            return


# ----------------------------------------------------------------------------- monitor
class MetaTable:
    """The live table on stderr and the checkpoints, run by the executor's calling thread."""

    def __init__(self, progress, checkpoint, write_checkpoint):
        self.progress = progress
        self.checkpoint = checkpoint
        self.write_checkpoint = write_checkpoint
        self.last_table = 0.0
        self.last_checkpoint = 0.0

    def __call__(self, coord: MetaCoordinator) -> None:
        t = coord.seconds
        if self.progress and t - self.last_table >= TABLE_SECONDS:
            self.last_table = t
            self.show(coord)
        if self.checkpoint is not None and t - self.last_checkpoint >= CHECKPOINT_SECONDS:
            self.last_checkpoint = t
            self.write_checkpoint(coord)

    @staticmethod
    def show(coord: MetaCoordinator) -> None:
        cells = []
        for f in coord.formats:
            ours, known = coord.best_rank(f), coord.known[f]
            mark = "*" if known is not None and ours <= known else " "
            cells.append(f"{format_label(f):>7} {ours:>4}/{'-' if known is None else known:<4}{mark}")
        done = sum(coord.done(f) for f in coord.formats)
        lines = [f"meta {coord.ring}: {coord.seconds:7.1f} s, {coord.flips:,} flips, "
                 f"{done}/{len(coord.formats)} at the known rank (ours/known, * reached)"]
        lines += ["  ".join(cells[k:k + 5]) for k in range(0, len(cells), 5)]
        st = coord.stints
        if any(st.formats.values()):
            now = ", ".join("hop" if p is None else f"{p[0]} {format_label(p[1])}" for p in st.of)
            played = coord.scheduler.summary().values()
            lines.append(f"  walkers now: {now}; stints ended {sum(v['stints'] for v in played)}, "
                         f"{sum(v['wins'] for v in played)} improvements")
        print("\n".join(lines), file=sys.stderr, flush=True)


__all__ = ["KINDS", "MetaCoordinator", "MetaTable"]
