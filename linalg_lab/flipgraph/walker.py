"""One flip-graph walker: a scheme over F2/F3 held in preallocated kernel state."""

from __future__ import annotations

import numpy as np

from ..fields.rings import Ring
from ..schemes.packed import MAX_PACKED, pack_rows, unpack_rows
from ..schemes.scheme import Scheme
from . import _kernels as K


DIRECT_SLACK_BITS = 6


def _seed_word(rng: np.random.Generator) -> np.ndarray:
    x = np.uint64(rng.integers(1, 2**63 - 1))
    return np.array([x], dtype=np.uint64)


class KernelState:
    """Preallocated arrays of one walker, shared by the general and the symmetric kernels.

    ``tables`` hash tables (one per factor position, or one for all), ``slots``
    factor occurrences, ``signs`` term (or orbit) signs; the counters live in
    ``meta`` (see :mod:`._kernels`).
    """

    def _allocate(self, tables: int, slots: int, signs: int, rng, factor_bits: int = 0) -> None:
        self.rng = np.random.default_rng(rng)
        self.occurrences = slots // signs
        self.hbits = hbits = max(7, int(np.ceil(np.log2(16 * slots))))
        # Direct addressing (slot = the factor's words) skips hashing and probing;
        # worth it while the factor space is not much larger than a hash table.
        planes = 1 if self.p == 2 else 2
        self.direct = 0
        if 0 < factor_bits and planes * factor_bits <= hbits + DIRECT_SLACK_BITS:
            self.direct = factor_bits
            self.hbits = hbits = planes * factor_bits
        h = 1 << hbits
        self.F = np.zeros((tables, slots, 2), np.uint64)
        self.S = np.ones(signs, np.int8)
        self.meta = np.zeros(K.META_SIZE, np.int64)
        self.keys = np.zeros((tables, h, 2), np.uint64)
        self.sgen = np.zeros((tables, h), np.int32)
        self.cnt = np.zeros((tables, h), np.int32)
        self.head = np.zeros((tables, h), np.int32)
        self.fpos = np.zeros((tables, h), np.int32)
        self.tslot = np.full((tables, slots), -1, np.int32)
        self.nxt = np.zeros((tables, slots), np.int32)
        self.prv = np.zeros((tables, slots), np.int32)
        self.flist = np.zeros(tables * h, np.int64)
        self.stack = np.zeros((K.STACK_CAP, 2), np.int64)
        self.bestF = np.zeros_like(self.F)
        self.bestS = np.ones_like(self.S)
        self.rng_state = _seed_word(self.rng)
        self.params = np.zeros(K.PARAMS_SIZE, np.int64)

    def _tables(self):
        return (self.F, self.S, self.meta, self.keys, self.sgen, self.cnt, self.head, self.fpos,
                self.tslot, self.nxt, self.prv, self.flist, self.stack)

    def _run(self, kernel, flips, target, plateau, margin, stop_below) -> int:
        pr = self.params
        pr[K.P_MAX_FLIPS] = flips
        pr[K.P_TARGET] = target
        pr[K.P_PLATEAU] = plateau
        pr[K.P_MARGIN] = margin
        pr[K.P_STOP_AT_DROP] = stop_below
        return int(kernel(*self._tables(), self.rng_state, pr, self.bestF, self.bestS))

    def _init(self, init_state, count: int) -> None:
        """Build the kernel state for ``count`` terms (or orbits) in F/S, keeping the counters."""
        keep = self.meta[[K.M_FLIPS, K.M_PLUS, K.M_REDUCTIONS]].copy()
        self.tslot[:] = -1
        init_state(*self._tables(), count, self.p, self.hbits, self.direct)
        self.meta[[K.M_FLIPS, K.M_PLUS, K.M_REDUCTIONS]] = keep
        r = int(self.meta[K.M_RANK])
        slots = r * self.occurrences      # factor slots held by r terms (general) or r orbits (symmetric)
        self.bestF[:, :slots] = self.F[:, :slots]
        self.bestS[:r] = self.S[:r]
        self.meta[K.M_BEST] = r
        self.meta[K.M_SINCE] = 0

    @property
    def flips(self) -> int:
        """Flips done (orbit flips for the symmetric walker)."""
        return int(self.meta[K.M_FLIPS])

    @property
    def plus_transitions(self) -> int:
        return int(self.meta[K.M_PLUS])

    @property
    def reductions(self) -> int:
        return int(self.meta[K.M_REDUCTIONS])


class Walker(KernelState):
    """A random walk on the flip graph of one tensor, over F2 or F3.

    Parameters
    ----------
    scheme : Scheme
        Starting scheme over F2 or F3 (it need not be reduced).
    rng : numpy.random.Generator
        Source of the kernel's seed.
    headroom : int
        Extra term capacity for plus transitions.

    Notes
    -----
    The arrays are allocated once; :meth:`load` reuses them for another
    scheme of the same tensor (pool restarts cost no allocation).
    """

    def __init__(self, scheme: Scheme, rng, headroom: int = 16):
        if scheme.ring not in (Ring.F2, Ring.F3):
            raise ValueError(f"scheme: flip-graph walks need a scheme over F2 or F3, got {scheme.ring}")
        if max(scheme.dims) > MAX_PACKED:
            raise ValueError(f"scheme: factors of more than {MAX_PACKED} coefficients are not supported yet ({scheme.tc.label()})")
        self.tc = scheme.tc
        self.ring = scheme.ring
        self.p = scheme.ring.characteristic
        self.cap = scheme.rank + headroom + 2
        self._allocate(3, self.cap, self.cap, rng, factor_bits=max(scheme.dims))
        self.load(scheme)

    # ------------------------------------------------------------------ state
    def load(self, scheme: Scheme) -> None:
        """Start walking from ``scheme`` (same tensor and ring), keeping the counters."""
        if scheme.tc != self.tc or scheme.ring != self.ring:
            raise ValueError(f"scheme: walker is for {self.tc.label()} over {self.ring}, got {scheme.tc.label()} over {scheme.ring}")
        if scheme.rank + 2 > self.cap:
            raise ValueError(f"scheme: rank {scheme.rank} exceeds this walker's capacity {self.cap - 2}")
        self.F[:] = 0
        self.S[:] = 1
        for m, a in enumerate(scheme.factors):
            words = pack_rows(np.asarray(a, dtype=np.int64), self.ring)   # (rank, 1) over F2, (rank, 2) over F3
            self.F[m, : scheme.rank, : words.shape[1]] = words
        self._init(K.init_state, scheme.rank)

    @property
    def rank(self) -> int:
        return int(self.meta[K.M_RANK])

    @property
    def best_rank(self) -> int:
        return int(self.meta[K.M_BEST])

    # ------------------------------------------------------------------ moves
    def walk(self, flips: int, *, target: int = 0, plateau: int = 0, margin: int = 2, stop_below: int = 0) -> int:
        """Run up to ``flips`` flips (see :func:`linalg_lab.flipgraph._kernels.walk`); returns flips done."""
        return self._run(K.walk, flips, target, plateau, margin, stop_below)

    def flip(self, m: int, r: int, s: int, b: int) -> int:
        """One flip of terms r, s sharing position m, sum into position b; returns reductions."""
        self._check_terms(r, s)
        if not np.array_equal(self.F[m, r], self.F[m, s]):
            raise ValueError(f"r, s: terms {r} and {s} do not share their factor at position {m}")
        if b == m or not 0 <= b < 3:
            raise ValueError(f"b: must be a position other than m={m}, got {b}")
        red = K.flip(*self._tables(), m, r, s, b)
        self.meta[K.M_FLIPS] += 1
        self.meta[K.M_REDUCTIONS] += red
        return int(red)

    def plus(self, r1: int, r2: int, rot: int = 0) -> int:
        """One plus transition on terms r1, r2 (rank + 1); returns reductions that followed."""
        self._check_terms(r1, r2)
        if self.rank + 2 > self.cap:
            raise ValueError("no capacity left for a plus transition")
        red = K.plus(*self._tables(), r1, r2, rot % 3)
        self.meta[K.M_PLUS] += 1
        self.meta[K.M_REDUCTIONS] += red
        return int(red)

    def _check_terms(self, r, s):
        if not (0 <= r < self.rank and 0 <= s < self.rank and r != s):
            raise ValueError(f"r, s: need two distinct terms below rank {self.rank}, got {r}, {s}")

    # ------------------------------------------------------------------ schemes
    def _to_scheme(self, F, S, rank) -> Scheme:
        nu, nv, nw = self.tc.dims
        planes = slice(0, 2) if self.p == 3 else slice(0, 1)
        u = unpack_rows(F[0, :rank, planes], nu, self.ring)
        v = unpack_rows(F[1, :rank, planes], nv, self.ring)
        w = unpack_rows(F[2, :rank, planes], nw, self.ring) * S[:rank, None].astype(np.int64)
        return Scheme(self.tc.code, self.tc.n, self.ring, u, v, w)

    def scheme(self) -> Scheme:
        """The current scheme."""
        return self._to_scheme(self.F, self.S, self.rank)

    def best(self) -> Scheme:
        """The lowest-rank scheme this walker has held since its last :meth:`load`."""
        return self._to_scheme(self.bestF, self.bestS, self.best_rank)

    def key(self) -> bytes:
        """Canonical key of the current scheme (term order ignored)."""
        r = self.rank
        rows = np.concatenate([self.F[0, :r], self.F[1, :r], self.F[2, :r], self.S[:r, None].astype(np.uint64)], axis=1)
        order = np.lexsort(rows.T[::-1])
        return rows[order].tobytes()
