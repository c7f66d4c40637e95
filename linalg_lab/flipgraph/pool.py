"""The pool of best schemes of a search, keyed by format.

Each format (tensor code, sizes, ring) has its own pool: the best rank seen,
up to ``keep`` distinct schemes of that rank (distinct up to term order and
sign distribution; among equal ranks the cheaper in additions are kept), and
the history of improvements. Schemes of other
formats may enter the same :class:`SchemePool` (a meta search moves schemes
between formats); a search reads the pool of its own format. Every scheme
offered must verify exactly: the pool checks schemes it has not seen.
"""

from __future__ import annotations

import threading
import time

from typing import NamedTuple

from ..fields.rings import Ring, as_ring
from ..schemes.cost import additive_complexity
from ..schemes.identity import canonical_key
from ..schemes.scheme import Scheme


class Format(NamedTuple):
    """What a pool is kept for: a tensor code, its sizes and a walk ring (a tuple, so it keys dicts).

    Examples
    --------
    >>> from linalg_lab.fields.rings import Ring
    >>> Format.of("gg", [2, 3, 4], "ZT") == ("gg", (2, 3, 4), Ring.ZT)
    True
    """

    code: str
    sizes: tuple
    ring: Ring

    @classmethod
    def of(cls, code: str, sizes, ring) -> "Format":
        return cls(code, tuple(int(x) for x in sizes), as_ring(ring))


def format_of(scheme: Scheme) -> Format:
    """The :class:`Format` of a scheme: the key of its pool."""
    return Format(scheme.code, tuple(int(x) for x in scheme.n), scheme.ring)


def scheme_key(s: Scheme) -> bytes:
    """Identity of a scheme up to term order and units moved between a term's factors
    (:func:`linalg_lab.schemes.canonical_key`)."""
    return canonical_key(s)


def checked(s: Scheme) -> Scheme:
    """``s`` if it verifies exactly; a walker's scheme that does not is a kernel bug, never returned."""
    check = s.verify()
    if not check:
        raise RuntimeError(f"internal error: walker produced a scheme that does not verify: {check.describe()}")
    return s


class _FormatPool:
    __slots__ = ("best_rank", "schemes", "costs", "history")

    def __init__(self, rank: int):
        self.best_rank = rank
        self.schemes: dict[bytes, Scheme] = {}
        self.costs: dict[bytes, int] = {}        # additive complexity of each scheme held
        self.history: list = []


class SchemePool:
    """Best schemes per format, shared by the walkers of a search (thread-safe).

    Parameters
    ----------
    keep : int
        Distinct schemes kept at the best rank of each format.
    """

    def __init__(self, keep: int = 1):
        self.keep = max(int(keep), 1)
        self.lock = threading.Lock()
        self.t0 = time.perf_counter()
        self._pools: dict[tuple, _FormatPool] = {}

    def offer(self, scheme: Scheme, *, key: bytes | None = None, flips: int = 0, verified: bool = False) -> bool:
        """Add ``scheme`` to its format's pool; True when it lowers that format's best rank.

        At the best rank a pool holds up to ``keep`` distinct schemes; when it
        is full, a scheme with fewer additions (:func:`~linalg_lab.schemes.additive_complexity`)
        takes the place of the costliest. A scheme not yet held is verified
        first (``verified=True`` skips that for schemes the caller has just checked).
        """
        fmt = format_of(scheme)
        cost = additive_complexity(scheme)
        with self.lock:                      # cheap refusals first: no key, no verification
            p = self._pools.get(fmt)
            if p is not None and (scheme.rank > p.best_rank or (
                    scheme.rank == p.best_rank and len(p.schemes) >= self.keep and cost >= max(p.costs.values()))):
                return False
        key = scheme_key(scheme) if key is None else key
        if p is not None and scheme.rank == p.best_rank and key in p.schemes:
            return False
        if not verified:
            checked(scheme)
        with self.lock:
            p = self._pools.get(fmt)
            if p is None or scheme.rank < p.best_rank:
                p = self._pools[fmt] = _FormatPool(scheme.rank) if p is None else p
                improved = bool(p.schemes)          # the first scheme of a format is no improvement
                p.best_rank = scheme.rank
                p.schemes, p.costs = {key: scheme}, {key: cost}
                if improved:
                    p.history.append((time.perf_counter() - self.t0, flips, scheme.rank))
                return improved
            if scheme.rank == p.best_rank and key not in p.schemes:
                if len(p.schemes) >= self.keep:
                    worst = max(p.costs, key=p.costs.get)
                    if cost >= p.costs[worst]:
                        return False
                    del p.schemes[worst], p.costs[worst]
                p.schemes[key] = scheme
                p.costs[key] = cost
            return False

    def best_rank(self, fmt) -> int | None:
        p = self._pools.get(fmt)
        return None if p is None else p.best_rank

    def holds(self, fmt, key: bytes) -> bool:
        p = self._pools.get(fmt)
        return p is not None and key in p.schemes

    def full(self, fmt) -> bool:
        """True when the format's pool holds ``keep`` schemes at its best rank."""
        p = self._pools.get(fmt)
        return p is not None and len(p.schemes) >= self.keep

    def schemes(self, fmt) -> list[Scheme]:
        """The schemes of the format's best rank, cheapest first (fewest additions; ties in arrival order)."""
        with self.lock:
            p = self._pools.get(fmt)
            if p is None:
                return []
            order = sorted(p.schemes, key=p.costs.get)
            return [p.schemes[k] for k in order]

    def history(self, fmt) -> list:
        p = self._pools.get(fmt)
        return [] if p is None else list(p.history)

    def pick(self, fmt, rng) -> Scheme:
        """A scheme of the format's best rank, uniformly at random."""
        vals = self.schemes(fmt)
        if not vals:
            raise KeyError(f"no scheme for {fmt} in the pool")
        return vals[int(rng.integers(len(vals)))]

    def formats(self) -> list[tuple]:
        with self.lock:
            return list(self._pools)
