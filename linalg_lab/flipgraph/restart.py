"""Restart policies: where a walker whose path stalled starts again.

- :meth:`Restart.pool`: from a scheme of the best rank found so far (the
  default of the general search: walkers follow each other down).
- :meth:`Restart.start`: from the search's starting scheme(s), so every walker
  makes independent descents (Kauers and Moosbauer's many random walks from
  the standard algorithm; how 4x4x4 over F2 reaches 47).
- :meth:`Restart.given`: from the given schemes (a resumed campaign restarts
  from its original start, not from its checkpoint).
- :meth:`Restart.fresh`: from a fresh cyclic-symmetric start with the given
  cubes (the default of the symmetric search).

Examples
--------
>>> Restart.start().kind, as_restart("pool").kind, as_restart(None) is None
('start', 'pool', True)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..schemes.scheme import Scheme

KINDS = ("pool", "start", "schemes", "fresh")


@dataclass(frozen=True)
class Restart:
    """A restart policy; build it with the class methods."""

    kind: str
    schemes: tuple = ()
    cubes: object = None

    @classmethod
    def pool(cls) -> "Restart":
        return cls("pool")

    @classmethod
    def start(cls) -> "Restart":
        return cls("start")

    @classmethod
    def given(cls, schemes) -> "Restart":
        schemes = (schemes,) if isinstance(schemes, Scheme) else tuple(schemes)
        if not schemes:
            raise ValueError("restart: empty list of schemes")
        for s in schemes:
            if not isinstance(s, Scheme):
                raise TypeError(f"restart: expected Scheme objects, got {type(s).__name__}")
        return cls("schemes", schemes)

    @classmethod
    def fresh(cls, cubes=None) -> "Restart":
        return cls("fresh", cubes=cubes)

    @property
    def independent(self) -> bool:
        """True when walkers restart away from the pool (independent descents)."""
        return self.kind != "pool"


def as_restart(restart) -> Restart | None:
    """A :class:`Restart` from what ``search(restart=...)`` accepts: None, a policy, 'pool', 'start' or schemes."""
    if restart is None or isinstance(restart, Restart):
        return restart
    if isinstance(restart, str):
        if restart in ("pool", "start"):
            return Restart(restart)
        raise ValueError(f"restart: expected None, 'pool', 'start', a Restart or starting schemes, got {restart!r}")
    if isinstance(restart, Scheme) or isinstance(restart, (list, tuple)):
        return Restart.given(restart)
    raise TypeError(f"restart: expected None, 'pool', 'start', a Restart or starting schemes, "
                    f"got {type(restart).__name__}")
