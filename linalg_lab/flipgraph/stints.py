"""The meta search's stints: which (kind, format) a walker walks deep, and how many walkers may.

A stint is a long walk of one kind on one open format (:data:`STINT_KINDS`).
:class:`Stints` holds the stints of a meta search: the formats each kind
serves, their walk settings, and per walker its stint, the lowest F2 rank it
already offered for a lift, when the stint began and what it won.
:class:`StintScheduler` chooses the
next stint with the autopilot's rule (:class:`~.portfolio.Portfolio`, UCB1 on
improvements per flip) over the (kind, format) pairs open now, each pair
weighted by

- how far its format is from the known rank, relative to that rank
  (``1 + 20 (best - known) / known``): a format far above its rank gets deep
  walks first;
- what gave the format its best so far: a pair whose kind made the format's
  last improvement counts double.

It also sets the stint *slots* (walkers that may walk stints at once): a
quarter of the walkers (at least one) while hopping between formats pays;
all of them but one (at least one) once the hopping walkers made no
improvement for ``max(patience, F)`` flips, ``F`` being the flips of the run
at their last improvement: when hopping stops paying, the compute goes deep.
One walker always hops: in 2..5 over Z_T (2 walkers, seed 0) both walkers in
stints once hopping had been quiet for 90 s left 2x3x5, 2x4x4, 2x4x5 and
3x3x5 above their ranks at 350 s; with one walker always hopping, the same
run had all four by 290 s.

How long a stint walks is set per (kind, format) pair (:class:`Stints`): its
first stint ends after :data:`STINT_FIRST` flips without progress (a rank
below every rank the stint reached before, over all its restarts, or an
improvement of the format's best: either starts the count again), and each
stint of the pair doubles the next one's length, up to :data:`STINT_MAX`.
Short first stints try every pair within the first minutes (a walk that
keeps descending walks on); the bandit sends the walkers back to the pairs
that improved their formats, each time for twice as long (the symmetric F2
walk on 5x5x5 needs about 3 walker-minutes of restarts for 93).

Examples
--------
>>> s = StintScheduler(walkers=4, patience=100)
>>> s.slots(flips=50)
1
>>> s.slots(flips=500)          # the hopping walkers made nothing in 500 flips
3
>>> pairs = [("descent", (3, 4, 4)), ("symmetric", (4, 4, 4))]
>>> gap = {(3, 4, 4): 0.0, (4, 4, 4): 0.1}      # 4x4x4 is 10% above its known rank
>>> s.choose(pairs, gap, stint=1000), s.choose(pairs, gap, stint=1000)     # each once, the farthest first
(('symmetric', (4, 4, 4)), ('descent', (3, 4, 4)))
>>> s.record("symmetric", (4, 4, 4), flips=1000, wins=1)
>>> s.record("descent", (3, 4, 4), flips=1000, wins=0)
>>> s.choose(pairs, gap, stint=1000)
('symmetric', (4, 4, 4))
"""

from __future__ import annotations

import threading

from .portfolio import Portfolio
from .settings import SearchSettings, mode_for

#: Stints: long walks on one open format, each restarted when it stalls. F2 walks whose
#: schemes are lifted to the search's ring: cyclic-symmetric on the square formats (over F2 and
#: Z_T), general descents from the naive scheme on the others (Z_T only); descents over the
#: ring itself from the naive scheme (a hopping walker never descends deep: 3x4x4 Z_T reaches 38
#: by independent descents in about 30 s, but stayed at 39 for two hours of meta moves); and
#: stays, the plain search's walk over the ring restarted from the format's best (2x5x5 Z_T
#: reaches 40 that way in 216 s, yet stayed at 41 through two hours of the others; off by
#: default: in a 2..5 Z_T run, seed 2, 3300 s, they took 2 of 12 stints and 2x5x5 stayed at 42).
STINT_KINDS = ("symmetric", "lift", "descent", "stay")
#: Stints walked over F2 (their schemes are lifted to the ring).
F2_STINTS = ("symmetric", "lift")
#: Flips without progress after which a pair's first stint ends (several seconds of one walker);
#: each stint of the pair doubles the next one's length.
STINT_FIRST = 1 << 26
#: The longest stint: flips without an improvement (several minutes; the symmetric F2 walk takes
#: 5x5x5 to 93 in a median of about 3 walker-minutes).
STINT_MAX = 1 << 33
#: Flips of the whole run without an improvement by a hopping walker before stints take every slot but one.
PATIENCE = 1 << 31


class StintScheduler:
    """Stint choices and slots of one meta search (thread-safe).

    Parameters
    ----------
    walkers : int
    patience : int, default :data:`PATIENCE`
    exploration : float
        The portfolio's confidence constant.
    """

    def __init__(self, walkers: int, patience: int | None = None, exploration: float = 0.5):
        self.walkers = int(walkers)
        self.patience = int(PATIENCE if patience is None else patience)
        self.portfolio: Portfolio | None = None
        self._arms: list = []
        self._exploration = exploration
        self.last_hop_win = 0            # run flips at the last improvement made by a hopping walker
        self.maker: dict = {}            # format -> the kind whose stint (or "hop") made its last improvement
        self._lock = threading.Lock()

    def _portfolio(self, pairs) -> Portfolio:
        new = [p for p in pairs if p not in self._arms]
        if new or self.portfolio is None:
            old = self.portfolio
            self._arms += new
            self.portfolio = Portfolio(self._arms, exploration=self._exploration)
            if old is not None:
                self.portfolio.stats.update(old.stats)
        return self.portfolio

    def slots(self, flips: int) -> int:
        """How many walkers may walk stints now (``flips``: the run's flips so far)."""
        quiet = flips - self.last_hop_win > max(self.patience, self.last_hop_win)
        return max(1, self.walkers - 1) if quiet else max(1, self.walkers // 4)

    def hop_improved(self, fmt, flips: int) -> None:
        """A hopping walker (a meta move or a walk over the ring) improved ``fmt`` at ``flips``."""
        with self._lock:
            self.last_hop_win = flips
            self.maker[fmt] = "hop"

    def choose(self, pairs, gap: dict, stint: int):
        """The (kind, format) of the next stint among ``pairs``; ``gap[format]``: (best - known) / known."""
        pairs = list(pairs)
        if not pairs:
            raise ValueError("pairs: no open (kind, format) to walk")
        with self._lock:
            p = self._portfolio(pairs)
            for kind, f in pairs:
                made = self.maker.get(f) == kind
                p.weights[(kind, f)] = (1.0 + 20.0 * max(gap.get(f, 0.0), 0.0)) * (2.0 if made else 1.0)
            # pairs never walked go first, the farthest format first
            fresh = [q for q in pairs if p.stats[q].started == 0]
            if fresh:
                pick = max(fresh, key=lambda q: (p.weights[q], -pairs.index(q)))
                p.stats[pick].started += 1
                return pick
            return p.choose(stint, allowed=pairs)

    def record(self, kind, fmt, flips: int, wins: int) -> None:
        """A stint of ``kind`` on ``fmt`` ended after ``flips`` flips with ``wins`` improvements."""
        with self._lock:
            p = self._portfolio([(kind, fmt)])
            p.record((kind, fmt), flips, wins)
            if wins:
                self.maker[fmt] = kind

    def summary(self) -> dict:
        """Stints, flips and improvements per (kind, format), as ``"kind AxBxC"`` keys."""
        with self._lock:
            if self.portfolio is None:
                return {}
            return {f"{k} {'x'.join(map(str, f))}": v.as_dict()
                    for (k, f), v in self.portfolio.stats.items() if v.stints or v.started}


class Stints:
    """The stints of one meta search: what each kind may walk, and each walker's stint.

    Parameters
    ----------
    known : dict
        Sorted format -> its known rank (None: not tabulated; no stint walks it).
    ring : str
        The search's ring.
    settings : SearchSettings
        The search's walk settings (a stay walks them; descents take their ``split``).
    walkers : int
    f2_walks, descents, stays : bool
        Which kinds may be walked (see :class:`~.meta_coordinator.MetaCoordinator`).

    Attributes
    ----------
    formats : dict
        Kind -> the formats it serves.
    settings : dict
        (kind, format) -> its walk settings.
    of : list
        Per walker its (kind, format), or None while it hops.
    since, last, low, wins : list of int
        Per walker: its flip counter when the stint began and at its last progress (or its
        beginning), the lowest rank the stint reached, the improvements of the format it made
        (what it already reported is in the coordinator's :class:`~.tracker.WalkerTracker`).
    length : dict
        (kind, format) -> flips without progress that end its next stint.
    scheduler : StintScheduler
    """

    def __init__(self, known: dict, ring: str, settings, walkers: int, *, f2_walks=False, descents=False,
                 stays=False):
        tabulated = [f for f, k in known.items() if k is not None]
        square = [f for f in tabulated if f[0] == f[2] >= 3]
        self.formats = {
            "symmetric": square if f2_walks and ring in ("F2", "ZT") else [],
            "lift": [f for f in tabulated if f not in square] if f2_walks and ring == "ZT" else [],
            "descent": tabulated if descents else [],
            "stay": tabulated if stays else []}
        self.settings = {("symmetric", f): SearchSettings.resolve(mode_for("C3", "fresh", f[0]), "F2")
                         for f in self.formats["symmetric"]}
        self.settings.update({("lift", f): SearchSettings.resolve("start", "F2") for f in self.formats["lift"]})
        self.settings.update({("descent", f): SearchSettings.resolve("start", ring, split=settings.split)
                              for f in self.formats["descent"]})
        self.settings.update({("stay", f): settings for f in self.formats["stay"]})
        self.of: list = [None] * walkers
        self.since = [0] * walkers
        self.last = [0] * walkers
        self.low = [0] * walkers
        self.wins = [0] * walkers
        self.length = {pair: STINT_FIRST for pair in self.settings}
        self.scheduler = StintScheduler(walkers)

    def open_pairs(self, done, flips: int) -> list:
        """The (kind, format) pairs a stint may take now (``done(f)``: the format is at its known rank);
        none while every stint slot is taken."""
        if sum(w is not None for w in self.of) >= self.scheduler.slots(flips):
            return []
        return [(kind, f) for kind in STINT_KINDS for f in self.formats[kind] if not done(f)]

    def begin(self, i: int, kind: str, f, flips: int) -> None:
        """Walker ``i`` walks ``kind`` on ``f`` from a new start, its flip counter at ``flips``
        (a new start within its stint keeps the stint's beginning and wins)."""
        if self.of[i] is None:
            self.since[i] = self.last[i] = flips
            self.wins[i] = 0
            self.low[i] = 1 << 62
        self.of[i] = (kind, f)

    def reached(self, i: int, rank: int, flips: int) -> None:
        """Walker ``i``'s stint reached ``rank`` (over the ring it walks) at its flip counter ``flips``:
        progress when no earlier walk of the stint got that low."""
        if rank < self.low[i]:
            self.low[i] = rank
            self.last[i] = flips

    def won(self, i: int, flips: int) -> None:
        """Walker ``i``'s stint improved its format's best at its flip counter ``flips``."""
        self.wins[i] += 1
        self.last[i] = flips

    def end(self, i: int, flips: int) -> None:
        """Walker ``i`` leaves its stint at its flip counter ``flips``: the scheduler records it, and
        the pair's next stint is twice as long."""
        pair = self.of[i]
        self.scheduler.record(*pair, flips - self.since[i], self.wins[i])
        self.length[pair] = min(2 * self.length[pair], STINT_MAX)
        self.of[i] = None

    def over(self, i: int, flips: int) -> bool:
        """Whether walker ``i``'s stint has walked its pair's length without progress."""
        return flips - self.last[i] > self.length[self.of[i]]


__all__ = ["F2_STINTS", "PATIENCE", "STINT_FIRST", "STINT_KINDS", "STINT_MAX", "StintScheduler", "Stints"]
