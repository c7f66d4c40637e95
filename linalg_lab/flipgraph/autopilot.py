"""The autopilot of a search: which strategy each walker walks, chosen by measured progress.

The default search has no tuning to do: it starts every walker on the pool
search, and when the best rank stops falling it plays a portfolio of the
strategies the search already has (:func:`strategies_for`) in stints, each
stint's strategy chosen by :class:`~.portfolio.Portfolio` from the
improvements each strategy made per flip so far:

- ``pool``: the default walk, restarts from the pool's best schemes;
- ``deep``: the same with deep excursions (margin 8, plateau 30,000, a path
  limit of 1e8), what hard rank levels need (kg 3x3x3 over F3 to 14);
- ``descents``: independent descents from the start (Kauers & Moosbauer's
  many walks; how 4x4x4 over F2 reaches 47);
- ``C3``: the cyclic-symmetric walk from a fresh start (square ``gg``
  products; Moosbauer & Poole), whose schemes go to the same pool;
- ``lift``: over Z_T, descents over F2 whose schemes are lifted to Z_T by the
  sign search (an F2 walk moves faster and reaches ranks the Z_T walk misses).

Half the walkers (at least one, none when there is only one walker) are
*anchors*: they walk the leading strategy (the one with the most improvements
per flip, the first strategy before any improvement) and go on along their
path when a stint ends; the others explore by the bandit. A landscape where the
default walk works loses at most half its compute to exploration, and one where
another strategy wins gets all walkers on it.

The search *stalls* when the walkers together made ``max(patience, F)``
flips since the last improvement, ``F`` being the flips it took to get there
(a search that needed 1e9 flips for its last step waits as long for the
next). Stints last the flips made since the last improvement divided by the
number of walkers (at least ``min_stint``), so they lengthen while the
search stays stalled: every strategy's excursions escalate. An improvement
found during a stint is credited to its strategy; the stall itself counts
against the strategy that stalled (a stint without a win as long as the stall),
so the portfolio starts with the strategies not yet played.

The portfolio also starts at once when the search's best scheme is an
*isolated hole* (:mod:`.landscape`: no flip leaves it, as Strassen x
Strassen's 49 on 4x4x4 over F2). The pool search has no level to walk there:
its walkers climb out and fall back into the same hole. So the independent
strategies move to the front: the anchors walk them until some strategy wins,
and the explorers try them first. What the strategies won on the levels above
is forgotten (the portfolio starts over), since it says nothing about a level of
holes. Measured on 4x4x4 over F2 (``python
benchmarks/autopilot.py --rows gg444-F2-47``): see the results page.

Explicit settings switch the autopilot off for what they set: a given
``plateau``, ``margin``, ... holds in every strategy; a given ``restart`` or
``symmetry`` is itself the strategy, and the search then runs without the
autopilot. Every decision is kept (:attr:`Autopilot.decisions`), shown on the
progress line and written into the provenance of the files a search writes.

Examples
--------
>>> from linalg_lab.tensors import tensor_code
>>> from linalg_lab.schemes import naive_scheme
>>> tc = tensor_code("gg", "3x3x3")
>>> [s.name for s in strategies_for(tc, "ZT", 23, [naive_scheme("gg", "3x3x3", "ZT")])]
['pool', 'deep', 'descents', 'C3', 'lift']
>>> pinned = {"margin": 8, "plateau": 30_000, "path_limit": 10**8}     # deep is then the pool search
>>> [s.name for s in strategies_for(tc, "F2", 23, [naive_scheme("gg", "3x3x3", "F2")], pinned, same_walker=True)]
['pool', 'descents']
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..fields.rings import Ring, as_ring
from ..schemes.scheme import Scheme
from ..schemes.standard import naive_scheme
from .portfolio import Portfolio
from .settings import SearchSettings, mode_for
from .symmetric import SymmetricWalker, fresh_start
from .walker import Walker

#: Deep excursions: the settings that took kg 3x3x3 over F3 to rank 14 (found by hand before the autopilot).
DEEP = {"plateau": 30_000, "margin": 8, "path_limit": 100_000_000}
#: Flips of all walkers together without an improvement before the portfolio starts (about a minute of
#: two cores): the default walk first gets the time that kg 3x3x3 F3 -> 14 and most plain searches need.
PATIENCE = 1 << 30
#: The shortest stint, in flips of one walker.
MIN_STINT = 1 << 23
#: Decisions kept in :attr:`Autopilot.decisions` (the first ones and the latest ones).
MAX_DECISIONS = 200


@dataclass(frozen=True)
class Strategy:
    """One way to walk: settings, where a stalled walker starts again, which walker, over which ring.

    Attributes
    ----------
    name : str
    settings : SearchSettings
    starts : tuple of Scheme
        Independent strategies start (and restart) from these; empty: from the pool's best.
    walker : type
        :class:`~.walker.Walker` or :class:`~.symmetric.SymmetricWalker`.
    ring : Ring or None
        The walk ring when it is not the search's (``lift``: F2); its schemes are lifted.
    """

    name: str
    settings: SearchSettings
    starts: tuple = ()
    walker: type = Walker
    ring: Ring | None = None

    @property
    def independent(self) -> bool:
        """True when the strategy's walks start from its own starts, not from the pool."""
        return bool(self.starts)

    def _identity(self) -> tuple:
        return (self.settings, tuple(id(s) for s in self.starts), self.walker, self.ring)


def strategies_for(tc, ring, target_rank, starts, pinned=None, *, same_walker: bool = False) -> list[Strategy]:
    """The strategies of a search for ``tc`` over ``ring`` from ``starts``, in escalation order.

    ``pinned``: walk settings the caller gave (they hold in every strategy;
    strategies they make identical collapse into one). ``same_walker``: only
    the strategies that keep the search's walker type and ring (a GPU batch
    holds walks of one shape).
    """
    ring = as_ring(ring)
    pinned = {k: v for k, v in (pinned or {}).items() if v is not None}
    starts = tuple(starts)
    out = [Strategy("pool", SearchSettings.resolve("pool", ring, **pinned)),
           Strategy("deep", SearchSettings.resolve("pool", ring, **{**DEEP, **pinned})),
           Strategy("descents", SearchSettings.resolve("start", ring, **pinned), starts)]
    n = tc.n
    if not same_walker:
        naive = all(s.rank == n[0] * n[1] * n[2] for s in starts)
        if tc.code == "gg" and n[0] == n[1] == n[2] >= 3 and naive:
            fresh = fresh_start(n[0], ring, target_rank)
            out.append(Strategy("C3", SearchSettings.resolve(mode_for("C3", "fresh", n[0]), ring, **pinned),
                                (fresh,), SymmetricWalker))
        if ring is Ring.ZT:
            f2 = naive_scheme(tc.code, tc.n, "F2")
            out.append(Strategy("lift", SearchSettings.resolve("start", Ring.F2, **pinned), (f2,), Walker, Ring.F2))
    seen, unique = set(), []
    for s in out:
        if s._identity() not in seen:
            seen.add(s._identity())
            unique.append(s)
    return unique


class Autopilot:
    """Per-walker strategies and stints of one search (thread-safe; used by the coordinator).

    Parameters
    ----------
    strategies : list of Strategy
        In escalation order; every walker starts on the first.
    walkers : int
    patience : int, default :data:`PATIENCE`
        Flips of all walkers without an improvement before the portfolio starts.
    min_stint : int, default :data:`MIN_STINT`
        The shortest stint, in one walker's flips.
    exploration : float
        The portfolio's confidence constant.
    anchors : int, optional
        Walkers (the first ones) that walk the leading strategy; default half of them (none of one).
    """

    def __init__(self, strategies, walkers: int, *, patience: int | None = None, min_stint: int | None = None,
                 exploration: float = 0.5, anchors: int | None = None):
        strategies = list(strategies)
        self.strategies = {s.name: s for s in strategies}
        self.portfolio = Portfolio([s.name for s in strategies], exploration=exploration)
        self.patience = int(PATIENCE if patience is None else patience)
        self.min_stint = int(MIN_STINT if min_stint is None else min_stint)
        self.anchors = walkers // 2 if anchors is None else int(anchors)
        self.current = [strategies[0].name] * walkers
        self.stint_start: list = [None] * walkers     # the walker's flip counter when its stint began
        self.stint_length = [0] * walkers
        self.stint_wins = [0] * walkers
        self.engaged_at: float | None = None           # seconds into the search when the portfolio started
        self.last_improvement = 0                      # flips of all walkers at the last improvement
        self.holes = False                             # a best scheme was an isolated hole
        self.decisions: list = []
        self.dropped = 0
        self._lock = threading.Lock()

    def strategy(self, i: int) -> Strategy:
        return self.strategies[self.current[i]]

    @property
    def engaged(self) -> bool:
        return self.engaged_at is not None

    def stalled(self, flips: int) -> bool:
        """Whether ``flips`` (all walkers) is past the patience since the last improvement."""
        return flips - self.last_improvement > max(self.patience, self.last_improvement)

    def improved(self, i: int, flips: int, *, isolated: bool = False, seconds: float = 0.0) -> None:
        """Walker ``i`` lowered the search's best rank, at ``flips`` flips of all walkers.

        ``isolated``: the new best scheme is an isolated hole (:func:`.landscape.isolated`); the
        portfolio then starts at once, led by the independent strategies."""
        with self._lock:
            self.last_improvement = flips
            if self.stint_start[i] is not None:
                self.stint_wins[i] += 1
            elif self.engaged:
                self.portfolio.record(self.current[i], 0, 1)
            if isolated and not self.holes:
                self.holes = True
                # what the strategies won on the levels above says nothing about a level of holes
                self.portfolio.restart([n for n, s in self.strategies.items() if s.independent])
                self.stint_wins = [0] * len(self.current)
                why = (f"the best scheme is an isolated hole (no flip): the portfolio starts"
                       f"{' over' if self.engaged else ''}, led by {self.portfolio.arms[0]}")
                if self.engaged:
                    self._log(seconds, None, "isolated", why)
                else:
                    self._engage(flips, seconds, "isolated", why)

    def step(self, i: int, walker_flips: int, flips: int, seconds: float) -> Strategy | None:
        """After walker ``i``'s report: the strategy it switches to (None: it walks on as it does).

        ``walker_flips``: its own flip counter; ``flips``: all walkers'. When
        a stint ends and the same strategy is chosen again, the walker goes
        on where it is and a new stint begins (:meth:`begin` is called here)."""
        with self._lock:
            if not self.engaged:
                if not self.stalled(flips):
                    return None
                self._engage(flips, seconds, "stalled", f"no improvement in {flips - self.last_improvement:,} "
                             "flips: the portfolio starts")
            start = self.stint_start[i]
            if start is not None and walker_flips - start < self.stint_length[i]:
                return None
            old = self.current[i]
            if start is not None:
                self.portfolio.record(old, walker_flips - start, self.stint_wins[i])
            length = max(self.min_stint, (flips - self.last_improvement) // max(len(self.current), 1))
            if i < self.anchors:
                name = self.portfolio.leader()
            else:
                name = self.portfolio.choose(length)
            self.current[i] = name
            self.stint_length[i] = length
            self.stint_wins[i] = 0
            self.stint_start[i] = walker_flips if name == old else None
            self._log(seconds, i, name, f"stint of {length:,} flips" + ("" if name != old else " (continues)"))
            return None if name == old else self.strategies[name]

    def _engage(self, flips: int, seconds: float, event: str, why: str) -> None:
        self.engaged_at = seconds
        # the strategy that stalled has shown what it does here: its stall counts as a stint without a win
        first = next(iter(self.strategies))
        self.portfolio.stats[first].started += 1
        self.portfolio.record(first, flips - self.last_improvement, 0)
        self._log(seconds, None, event, why)

    def begin(self, i: int, walker_flips: int) -> None:
        """Walker ``i`` starts its new strategy's stint with its flip counter at ``walker_flips``."""
        with self._lock:
            self.stint_start[i] = walker_flips

    def _log(self, seconds, walker, strategy, why) -> None:
        entry = {"seconds": round(float(seconds), 3), "walker": walker, "strategy": strategy, "why": why}
        if len(self.decisions) >= MAX_DECISIONS:
            del self.decisions[MAX_DECISIONS // 2]      # keep the first half and the latest ones
            self.dropped += 1
        self.decisions.append(entry)

    def counts(self) -> str:
        """``"pool 1, deep 1"``: how many walkers walk each strategy now (for the progress line)."""
        with self._lock:
            names = list(self.current)
        return ", ".join(f"{n} {names.count(n)}" for n in self.strategies if n in names)

    def summary(self) -> dict:
        """What the autopilot did: the strategies' stints, flips and wins, and its decisions."""
        with self._lock:
            return {"strategies": list(self.strategies), "engaged_at": self.engaged_at,
                    "portfolio": self.portfolio.summary(), "decisions": list(self.decisions),
                    "decisions_dropped": self.dropped}

    def provenance(self) -> dict:
        """The short record a scheme file carries: the strategies' stints, flips and wins."""
        s = self.summary()
        return {"engaged_at": s["engaged_at"], "portfolio": s["portfolio"]}


def start_for(strategy: Strategy, pool_pick, rng) -> Scheme:
    """Where a walker of ``strategy`` starts: one of its starts, or the pool's best (``pool_pick(rng)``)."""
    if strategy.starts:
        return strategy.starts[int(rng.integers(len(strategy.starts)))]
    return pool_pick(rng)


__all__ = ["DEEP", "Autopilot", "Strategy", "start_for", "strategies_for"]
