"""Giving compute to strategies by their measured progress: the bandit rule of the autopilot.

A search that stalls does not know in advance which of its strategies will
move it on (deeper excursions on a hard rank level, independent descents in
a landscape of isolated holes, a symmetric walk, an F2 walk lifted to Z_T).
:class:`Portfolio` plays them as *stints* (a run of one strategy on one walker
for a number of flips) and chooses the next stint by an upper confidence bound
(UCB1, Auer, Cesa-Bianchi & Fischer 2002) on each strategy's improvements of
the search's best rank per flip:

    score(a) = w_a * (wins_a + prior_a) / (flips_a / L) + c * sqrt(2 ln(N) / (flips_a / L))

with ``L`` the current stint length (the scores are in "improvements per
stint"), ``N`` the stints played in all, and ``w_a`` a prior weight. A strategy
never played is played first (in the given order: the escalation order).
Why a bandit and not successive halving: improvements are rare events (a
stalled 4x4x4 search improves once in hundreds of descents), so no strategy
can be dropped for good on a few stints without a win; UCB keeps trying every
strategy at a rate that shrinks like ``ln N``, and moves compute at once to
one that starts to win. Since the stint length grows while the search stays
stalled, the same rule escalates: longer excursions for every strategy.

Examples
--------
>>> p = Portfolio(["pool", "deep", "descents"])
>>> [p.choose(stint=1000) for _ in range(3)]       # every strategy once, in order
['pool', 'deep', 'descents']
>>> for a in ("pool", "deep", "descents"):
...     p.record(a, flips=1000, wins=int(a == "deep"))
>>> p.choose(stint=1000)                            # the one that improved the best rank
'deep'
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class ArmStats:
    """What one strategy got and gave: stints started and ended, flips spent, improvements made."""

    started: int = 0
    stints: int = 0
    flips: int = 0
    wins: int = 0

    def as_dict(self) -> dict:
        return {"stints": self.stints, "flips": self.flips, "wins": self.wins}


class Portfolio:
    """UCB1 over strategies played in stints (see the module docstring).

    Parameters
    ----------
    arms : sequence
        The strategies (hashable), in escalation order.
    weights : dict, optional
        A prior weight per arm (default 1): the meta search weights a format by
        its distance to the known rank.
    exploration : float, default 0.5
        The constant ``c`` of the confidence bonus.
    prior : float, default 0.1
        Improvements credited to every arm before its first stint (keeps an arm
        that won early from taking everything on one lucky stint).
    """

    def __init__(self, arms, weights=None, exploration: float = 0.5, prior: float = 0.1):
        self.arms = list(arms)
        if not self.arms:
            raise ValueError("arms: expected at least one strategy")
        self.weights = {a: 1.0 for a in self.arms}
        self.weights.update(weights or {})
        self.exploration = float(exploration)
        self.prior = float(prior)
        self.stats = {a: ArmStats() for a in self.arms}

    def score(self, arm, stint: int) -> float:
        """The arm's upper confidence bound, in improvements per stint of ``stint`` flips."""
        st = self.stats[arm]
        plays = max(st.flips / max(stint, 1), st.stints, 1e-9)
        total = max(sum(s.stints for s in self.stats.values()), 1)
        mean = (st.wins + self.prior) / plays
        return self.weights[arm] * mean + self.exploration * math.sqrt(2.0 * math.log(total + 1) / plays)

    def choose(self, stint: int, allowed=None):
        """The arm of the next stint of ``stint`` flips: an arm not yet started first, else the best score.

        ``allowed``: the arms to choose from (default all)."""
        arms = [a for a in self.arms if allowed is None or a in allowed]
        if not arms:
            raise ValueError("allowed: no strategy left to choose from")
        fresh = [a for a in arms if self.stats[a].started == 0]
        pick = fresh[0] if fresh else max(arms, key=lambda a: self.score(a, stint))
        self.stats[pick].started += 1
        return pick

    def restart(self, front=()) -> None:
        """Forget every arm's stints and wins (the landscape changed) and move the arms in ``front`` to the
        head of the escalation order, keeping their order: they are tried first and lead before any win."""
        front = [a for a in front if a in self.stats]
        self.arms = front + [a for a in self.arms if a not in front]
        self.stats = {a: ArmStats() for a in self.arms}

    def leader(self):
        """The arm with the most improvements per flip among those that made any; the first arm before
        any improvement (the strategy to exploit, without exploration)."""
        won = [a for a in self.arms if self.stats[a].wins > 0]
        if not won:
            return self.arms[0]
        return max(won, key=lambda a: self.stats[a].wins / max(self.stats[a].flips, 1))

    def record(self, arm, flips: int, wins: int) -> None:
        """A stint of ``arm`` ended after ``flips`` flips with ``wins`` improvements of the best rank."""
        st = self.stats[arm]
        st.stints += 1
        st.flips += int(flips)
        st.wins += int(wins)

    def summary(self) -> dict:
        return {str(a): self.stats[a].as_dict() for a in self.arms}


__all__ = ["ArmStats", "Portfolio"]
