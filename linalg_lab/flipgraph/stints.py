"""The meta search's stints: which (kind, format) a walker walks deep, and how many walkers may.

A stint is a long walk of one kind on one open format (see
:data:`~.meta_coordinator.STINT_KINDS`). :class:`StintScheduler` chooses the
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


__all__ = ["PATIENCE", "StintScheduler"]
