"""One flip-graph walker: a scheme over F2/F3 held in preallocated kernel state."""

from __future__ import annotations

import numpy as np

from ..fields.rings import Ring
from ..schemes.packed import MAX_PACKED, pack_rows, unpack_rows
from ..schemes.identity import packed_key
from ..schemes.scheme import Scheme
from . import _kernels as K
from .state import (CELLS_PER_UNIT, M_BEST, M_BEST_COST, M_FLIPS, M_PLUS, M_RANK, M_REDUCTIONS, M_REJECTED,
                    M_SINCE, P_MARGIN, P_MAX_FLIPS, P_PLATEAU, P_SPLIT, P_STOP_AT_DROP, P_TARGET, allocate)


DIRECT_SLACK_BITS = 6


def _seed_word(rng: np.random.Generator) -> np.ndarray:
    x = np.uint64(rng.integers(1, 2**63 - 1))
    return np.array([x], dtype=np.uint64)


class KernelState:
    """One walk's :class:`~linalg_lab.flipgraph.state.WalkerState`, shared by the general and the symmetric walkers.

    ``F``, ``S``, ``meta``, ``bestF`` and ``bestS`` are the state's arrays
    (cell ``4t + k`` holds factor k of unit t; see :mod:`.state`).
    """

    symmetric = False

    def _allocate(self, tables: int, units: int, per_table: int, rng, factor_bits: int = 0) -> None:
        """Arrays for ``units`` terms (or orbits), ``per_table`` factor cells in each of ``tables`` tables."""
        if self.ring not in (Ring.F2, Ring.F3, Ring.ZT):
            raise ValueError(f"scheme: flip-graph walks need a scheme over F2, F3 or ZT, got {self.ring}"
                             + ("; reduce it mod 2 or 3, or walk over ZT if its entries are in {-1, 0, 1}"
                                if self.ring is Ring.Z else ""))
        self.rng = np.random.default_rng(rng)
        self.ring_code = self.ring.code
        hbits = max(7, int(np.ceil(np.log2(16 * per_table))))
        # Direct addressing (slot = the factor's words) skips hashing and probing;
        # worth it while the factor space is not much larger than a hash table.
        planes = 1 if self.ring is Ring.F2 else 2
        self.direct = 0
        if 0 < factor_bits and planes * factor_bits <= hbits + DIRECT_SLACK_BITS:
            self.direct = factor_bits
            hbits = planes * factor_bits
        self.hbits = hbits
        self.bind(allocate(units, tables, hbits))
        self.st.rng[:] = _seed_word(self.rng)

    def bind(self, st) -> None:
        """Hold the walk in ``st`` (arrays of the same shapes, e.g. a row of a batch); no copy is made."""
        self.st = st
        self.F, self.S, self.meta, self.bestF, self.bestS, self.params = st.F, st.S, st.meta, st.bestF, st.bestS, st.params

    def set_params(self, flips, target, plateau, margin, stop_below, split=0) -> None:
        """The walk parameters of the next walk (see :func:`linalg_lab.flipgraph._kernels.walk`)."""
        pr = self.params
        pr[P_SPLIT] = split
        pr[P_MAX_FLIPS] = flips
        pr[P_TARGET] = target
        pr[P_PLATEAU] = plateau
        pr[P_MARGIN] = margin
        pr[P_STOP_AT_DROP] = stop_below

    def walk(self, flips: int, **options) -> int:
        """Run up to ``flips`` flips (:meth:`configure` takes the options; see
        :func:`linalg_lab.flipgraph._kernels.walk`); returns flips done."""
        self.configure(flips, **options)
        # looked up per call, not kept on the walker: a pickled dispatcher (a walker sent to a Dask
        # worker) would be rebuilt there from its bytecode and compiled afresh, without numba's cache
        return int(K.walk_for(self.ring_code, self.symmetric)(self.st))

    def _init(self, count: int) -> None:
        """Build the kernel state for ``count`` units in F/S, keeping the counters."""
        keep = self.meta[[M_FLIPS, M_PLUS, M_REDUCTIONS]].copy()
        K.init_state(self.st, count, self.ring_code, self.hbits, self.direct, int(self.symmetric))
        self.meta[[M_FLIPS, M_PLUS, M_REDUCTIONS]] = keep
        cells = CELLS_PER_UNIT * int(self.meta[M_RANK])
        self.bestF[:cells] = self.F[:cells]
        self.bestS[: int(self.meta[M_RANK])] = self.S[: int(self.meta[M_RANK])]
        self.meta[M_BEST] = self.meta[M_RANK]
        self.meta[M_SINCE] = 0

    def _factor_rows(self, F, count: int) -> np.ndarray:
        """Words of the first ``count`` units as (count, 3, planes)."""
        planes = 1 if self.ring is Ring.F2 else 2
        return F.reshape(-1, CELLS_PER_UNIT, 2)[:count, :3, :planes]

    def words(self) -> np.ndarray:
        """Packed factor words of the current units: (units, 3, 2) uint64, a copy.

        ``words()[t, k]`` is factor k of term t (or of orbit t's first term), as
        the two planes of :mod:`linalg_lab.fields.words`: equal words, equal factors.
        """
        return self.F.reshape(-1, CELLS_PER_UNIT, 2)[: int(self.meta[M_RANK]), :3].copy()

    @property
    def flips(self) -> int:
        """Flips done (orbit flips for the symmetric walker)."""
        return int(self.meta[M_FLIPS])

    @property
    def plus_transitions(self) -> int:
        return int(self.meta[M_PLUS])

    @property
    def reductions(self) -> int:
        return int(self.meta[M_REDUCTIONS])

    @property
    def rejected(self) -> int:
        """Moves refused because a Z_T coefficient would have left {-1, 0, 1}."""
        return int(self.meta[M_REJECTED])


class Walker(KernelState):
    """A random walk on the flip graph of one tensor, over F2, F3 or Z_T = {-1, 0, 1}.

    Parameters
    ----------
    scheme : Scheme
        Starting scheme over F2, F3 or ZT (it need not be reduced). Over ZT
        every coefficient stays in {-1, 0, 1}: a move that would create +-2
        is not applied (counted in :attr:`rejected`).
    rng : numpy.random.Generator
        Source of the kernel's seed.
    headroom : int
        Extra term capacity for plus transitions.
    direct : bool, default True
        Address the factor tables directly by the factor's words where the
        factor space is small (fastest on the CPU); False: hashed tables,
        far smaller (a GPU batch holds thousands of walks: 4x4x4 over F2
        takes about 6 MB of direct tables per walk against 0.2 MB hashed).

    Notes
    -----
    The arrays are allocated once; :meth:`load` reuses them for another
    scheme of the same tensor (pool restarts cost no allocation).
    """

    def __init__(self, scheme: Scheme, rng, headroom: int = 16, *, direct: bool = True):
        if max(scheme.dims) > MAX_PACKED:
            raise ValueError(f"scheme: factors of more than {MAX_PACKED} coefficients are not supported yet ({scheme.tc.label()})")
        self.tc = scheme.tc
        self.ring = scheme.ring
        self.cap = scheme.rank + headroom + 2
        self._allocate(3, self.cap, self.cap, rng, factor_bits=max(scheme.dims) if direct else 0)
        self.load(scheme)

    # ------------------------------------------------------------------ state
    def fits(self, scheme: Scheme) -> bool:
        """Whether :meth:`load` takes ``scheme``: same tensor and ring, rank within the capacity."""
        return scheme.tc == self.tc and scheme.ring == self.ring and scheme.rank + 2 <= self.cap

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
            self.F[m : CELLS_PER_UNIT * scheme.rank : CELLS_PER_UNIT, : words.shape[1]] = words
        self._init(scheme.rank)

    @property
    def rank(self) -> int:
        return int(self.meta[M_RANK])

    @property
    def best_rank(self) -> int:
        return int(self.meta[M_BEST])

    # ------------------------------------------------------------------ moves
    def configure(self, flips: int, *, target: int = 0, plateau: int = 0, margin: int = 2, stop_below: int = 0,
                  split: int = 0) -> None:
        """Parameters of the next walk of up to ``flips`` flips (:meth:`walk` runs it; a batch walks them too).

        ``split`` percent of the plateau escapes split a term instead of a plus transition.
        """
        self.set_params(flips, target, plateau, margin, stop_below, split)

    def cost_walk(self, flips: int) -> int:
        """Up to ``flips`` flips without plus transitions, keeping in :meth:`best` the scheme of lowest
        (rank, number of nonzero coefficients) met; returns flips done (see :func:`._kernels.cost_walk`)."""
        self.params[P_MAX_FLIPS] = flips
        return int(K.cost_walk(self.st))

    @property
    def best_nonzeros(self) -> int:
        """Nonzero coefficients of :meth:`best` after a :meth:`cost_walk` (0 before any)."""
        return int(self.meta[M_BEST_COST])

    def flip(self, m: int, r: int, s: int, b: int) -> int:
        """One flip of terms r, s sharing position m, sum into position b; returns reductions (-1: refused over Z_T)."""
        self._check_terms(r, s)
        if not 0 <= m < 3:
            raise ValueError(f"m: expected a position 0, 1 or 2, got {m}")
        if not np.array_equal(self.F[4 * r + m], self.F[4 * s + m]):
            raise ValueError(f"r, s: terms {r} and {s} do not share their factor at position {m}")
        if b == m or not 0 <= b < 3:
            raise ValueError(f"b: must be a position other than m={m}, got {b}")
        red = K.flip(self.st, 4 * r + m, 4 * s + m, (b - m) % 3, self.ring_code, 3)
        if red < 0:                   # over Z_T both multipliers would leave {-1, 0, 1}: nothing changed
            self.meta[M_REJECTED] += 1
            return -1
        self.meta[M_FLIPS] += 1
        self.meta[M_REDUCTIONS] += red
        return int(red)

    def plus(self, r1: int, r2: int, rot: int = 0) -> int:
        """One plus transition on terms r1, r2 (rank + 1); returns reductions that followed."""
        self._check_terms(r1, r2)
        if self.rank + 2 > self.cap:
            raise ValueError("no capacity left for a plus transition")
        red = K.plus(self.st, 4 * r1 + rot % 3, 4 * r2 + rot % 3)
        self.meta[M_PLUS] += 1
        self.meta[M_REDUCTIONS] += red
        return int(red)

    def split(self, r: int, m: int, s: int) -> int:
        """Split term r by term s's factor at position m (rank + 1, :func:`._kernels.split`); -1 when refused."""
        self._check_terms(r, s)
        if not 0 <= m < 3:
            raise ValueError(f"m: expected a position 0, 1 or 2, got {m}")
        if self.rank + 2 > self.cap:
            raise ValueError("no capacity left for a split")
        if K.split(self.st, 4 * r + m, 4 * s + m) < 0:
            self.meta[M_REJECTED] += 1
            return -1
        self.meta[M_PLUS] += 1
        return 0

    def _check_terms(self, r, s):
        if not (0 <= r < self.rank and 0 <= s < self.rank and r != s):
            raise ValueError(f"r, s: need two distinct terms below rank {self.rank}, got {r}, {s}")

    # ------------------------------------------------------------------ schemes
    def _to_scheme(self, F, S, rank) -> Scheme:
        nu, nv, nw = self.tc.dims
        rows = self._factor_rows(F, rank)
        u = unpack_rows(rows[:, 0], nu, self.ring)
        v = unpack_rows(rows[:, 1], nv, self.ring)
        w = unpack_rows(rows[:, 2], nw, self.ring) * S[:rank, None].astype(np.int64)
        return Scheme(self.tc.code, self.tc.n, self.ring, u, v, w)

    def scheme(self) -> Scheme:
        """The current scheme."""
        return self._to_scheme(self.F, self.S, self.rank)

    def best(self) -> Scheme:
        """The lowest-rank scheme this walker has held since its last :meth:`load`."""
        return self._to_scheme(self.bestF, self.bestS, self.best_rank)

    def key(self) -> bytes:
        """Canonical key of the current scheme (:func:`linalg_lab.schemes.packed_key`: term order and signs ignored)."""
        r = self.rank
        f = self.F.reshape(-1, CELLS_PER_UNIT, 2)[:r]
        return packed_key(f[:, 0], f[:, 1], f[:, 2], self.ring, signs=self.S[:r])
