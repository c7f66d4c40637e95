"""Cyclic-symmetric schemes and their flip-graph walker (Moosbauer & Poole, 2025).

For square products ``n x n x n`` the tensor, written in the trace convention
``sum a_ij b_jk c_ki`` (``c' = C^T``), is invariant under the cyclic shift of
its three factors. A scheme invariant under that shift is a set of fixed
terms ``x (x) x (x) x`` plus orbits of three terms ``(v0, v1, v2), (v2, v0, v1),
(v1, v2, v0)``; walking only on such schemes shrinks the search space by a
factor of three in every direction. Following Moosbauer and Poole the fixed
terms are "cubes" ``x = sum of E_ii over a block of a partition of the
diagonal``; they stay out of the walk, so the rank is ``cubes + 3 * orbits``
and the number of cubes fixes the rank modulo 3.

In this library's output convention (see the Conventions page of the documentation) the shift reads
``(U, V, W) -> (W^T, U, V^T)`` on the factors seen as n x n matrices.

References
----------
J. Moosbauer and M. Poole, "Flip graphs with symmetry and new matrix
multiplication schemes", 2025 (arXiv:2502.04514).
"""

from __future__ import annotations

import numpy as np

from ..fields.rings import Ring
from ..schemes.packed import MAX_PACKED, pack_rows, unpack_rows
from ..schemes.scheme import Scheme
from . import _kernels as K
from .state import CELLS_PER_UNIT, M_BEST, M_FLIPS, M_RANK, M_REDUCTIONS
from .walker import KernelState

#: number of cubes that reached the best symmetric ranks over F2 (Moosbauer & Poole's runs):
#: size -> {rank mod 3: cubes}
GOOD_CUBES = {3: {2: 2, 1: 1, 0: 3}, 4: {1: 1, 2: 2, 0: 3}, 5: {0: 3, 1: 1, 2: 2}, 6: {0: 3, 1: 1, 2: 2}}


def cube_blocks(n: int, cubes) -> list[list[int]]:
    """A partition of the diagonal ``0..n-1`` into the blocks of the cubes.

    ``cubes`` is a partition (list of lists of indices) or a number of blocks
    k, 1 <= k <= n: mirror pairs ``{i, n-1-i}`` merged or split to make k.
    """
    if isinstance(cubes, (int, np.integer)) and not isinstance(cubes, bool):
        k = int(cubes)
        if not 1 <= k <= n:
            raise ValueError(f"cubes: expected a number of blocks between 1 and {n}, got {k}")
        blocks = [sorted({i, n - 1 - i}) for i in range((n + 1) // 2)]
        while len(blocks) > k:
            last = blocks.pop()
            blocks[-1] = sorted(blocks[-1] + last)
        while len(blocks) < k:
            i = next(b for b in range(len(blocks)) if len(blocks[b]) > 1)
            blocks[i:i + 1] = [[x] for x in blocks[i]]
        return blocks
    try:
        blocks = [sorted(int(i) for i in b) for b in cubes]
    except TypeError:
        raise TypeError(f"cubes: expected a number of blocks or a partition of range({n}), got {cubes!r}") from None
    flat = sorted(i for b in blocks for i in b)
    if flat != list(range(n)) or any(not b for b in blocks):
        raise ValueError(f"cubes: blocks must partition the diagonal indices 0..{n - 1}, got {cubes!r}")
    return blocks


def default_cubes(n: int, target_rank: int | None) -> int:
    """Number of cubes for a search: matches the target's residue mod 3 when one is given.

    A C3-symmetric scheme with ``c`` cubes has a rank ``c + 3k``. When no count
    in ``1..n`` has the target's residue (``n < 3`` and a target divisible by
    3), the count whose ranks come closest below the target is taken: the
    search then looks for a rank under the target.
    """
    if target_rank is None:
        return (n + 1) // 2
    r = target_rank % 3
    k = GOOD_CUBES.get(n, {}).get(r)
    if k is None:
        k = min(range(1, n + 1), key=lambda c: ((r - c) % 3, -c))
    return k


def _unit(n, i, j):
    e = np.zeros(n * n, np.int64)
    e[i * n + j] = 1
    return e


def cyclic_start(n: int, ring, cubes=None) -> tuple[list, list]:
    """Starting symmetric scheme: the cubes, and ``T - cubes`` as orbits of unit terms.

    Returns ``(fixed, orbits)`` in the trace convention: ``fixed`` a list of
    (sign, x), ``orbits`` a list of (sign, v0, v1, v2), factors as integer
    vectors of length n*n (row-major n x n matrices).
    """
    blocks = cube_blocks(n, (n + 1) // 2 if cubes is None else cubes)
    fixed = []
    orbits = []
    for b in blocks:
        x = np.zeros(n * n, np.int64)
        for i in b:
            x[i * n + i] = 1
        fixed.append((1, x))
    # unit terms E_ij (x) E_jk (x) E_ki, one representative per rotation orbit (i, j, k) -> (k, i, j)
    for i in range(n):
        for j in range(n):
            for k in range(n):
                if i == j == k:
                    continue
                if (i, j, k) <= min((k, i, j), (j, k, i)):
                    orbits.append((1, _unit(n, i, j), _unit(n, j, k), _unit(n, k, i)))
    # cube cross terms E_ii (x) E_jj (x) E_kk (not all equal) come with sign -1
    for b in blocks:
        for i in b:
            for j in b:
                for k in b:
                    if i == j == k:
                        continue
                    if (i, j, k) <= min((k, i, j), (j, k, i)):
                        orbits.append((-1, _unit(n, i, i), _unit(n, j, j), _unit(n, k, k)))
    return fixed, orbits


def fresh_start(n: int, ring, target_rank: int | None = None, cubes=None) -> Scheme:
    """The fresh symmetric start of ``gg nxnxn`` (expanded): the cubes (``cubes``, or the number
    that suits ``target_rank``, :func:`default_cubes`) and ``T - cubes`` as orbits of unit terms."""
    return expand(n, ring, *cyclic_start(n, ring, default_cubes(n, target_rank) if cubes is None else cubes))


def orbit_headroom(margin: int) -> int:
    """A symmetric walker's headroom in orbits for a ``margin`` in terms (a general walker's margin + 8)."""
    return (margin + 8 + 2) // 3 + 4


def _transpose_vec(n, x):
    return np.asarray(x).reshape(n, n).T.reshape(-1)


def expand(n: int, ring, fixed, orbits) -> Scheme:
    """The full scheme (output convention) of fixed terms and orbits in the trace convention."""
    us, vs, ws = [], [], []
    for s, x in fixed:
        us.append(x)
        vs.append(x)
        ws.append(s * _transpose_vec(n, x))
    for s, v0, v1, v2 in orbits:
        for a, b, c in ((v0, v1, v2), (v2, v0, v1), (v1, v2, v0)):
            us.append(a)
            vs.append(b)
            ws.append(s * _transpose_vec(n, c))
    m = n * n
    mk = (lambda rows: np.array(rows, dtype=np.int64).reshape(-1, m))
    return Scheme("gg", (n, n, n), ring, mk(us), mk(vs), mk(ws))


def _normal(vec, p):
    """(sign, vector) with the first nonzero entry made 1 (mod p; over Z_T, p = 0, in the integers)."""
    vec = np.asarray(vec, np.int64) % p if p else np.asarray(vec, np.int64)
    nz = np.flatnonzero(vec)
    if len(nz) and vec[nz[0]] == (2 if p == 3 else -1):
        return -1, ((-vec) % p if p else -vec)
    return 1, vec


def orbits_of(scheme: Scheme) -> tuple[list, list]:
    """Split a cyclic-symmetric scheme over F2/F3 into fixed terms and orbits.

    Raises ValueError when the scheme is not invariant under the cyclic shift.
    """
    tc = scheme.tc
    if tc.code != "gg" or len(set(tc.n)) != 1:
        raise ValueError(f"scheme: cyclic symmetry needs a square product gg nxnxn, got {tc.label()}")
    if scheme.ring not in (Ring.F2, Ring.F3, Ring.ZT):
        raise ValueError(f"scheme: expected a scheme over F2, F3 or ZT, got {scheme.ring}")
    n = tc.n[0]
    p = scheme.ring.characteristic          # 0 over Z_T: coefficients add in the integers
    counts: dict[tuple, int] = {}
    for r in range(scheme.rank):
        su, a = _normal(scheme.u[r], p)
        sv, b = _normal(scheme.v[r], p)
        sw, c = _normal(_transpose_vec(n, scheme.w[r]), p)
        key = (a.tobytes(), b.tobytes(), c.tobytes())
        counts[key] = counts.get(key, 0) + su * sv * sw
        if p:
            counts[key] %= p
    fixed, orbits = [], []
    vec = (lambda bts: np.frombuffer(bts, dtype=np.int64).copy())
    for key in list(counts):
        coef = counts.get(key, 0)
        if coef == 0:
            continue
        a, b, c = key
        if not p and abs(coef) != 1:
            raise ValueError(f"scheme: a term occurs with coefficient {coef}; a Z_T orbit needs +-1")
        sign = 1 if coef == 1 else -1
        if a == b == c:
            fixed.append((sign, vec(a)))
            counts[key] = 0
            continue
        rot1, rot2 = (c, a, b), (b, c, a)
        if counts.get(rot1, 0) != coef or counts.get(rot2, 0) != coef:
            raise ValueError("scheme: not invariant under the cyclic shift (U, V, W) -> (W^T, U, V^T)")
        counts[key] = counts[rot1] = counts[rot2] = 0
        orbits.append((sign, vec(a), vec(b), vec(c)))
    return fixed, orbits


class SymmetricWalker(KernelState):
    """A random walk on the cyclic-symmetric flip graph of ``gg nxnxn`` over F2, F3 or Z_T.

    Same interface as :class:`~linalg_lab.flipgraph.Walker` (``walk``,
    ``rank``, ``best_rank``, ``scheme``, ``best``, ``load``), with ranks in
    terms; internally the kernel counts orbits of three terms, so every
    reduction lowers the rank by 3 and a plus transition raises it by 3.

    Parameters
    ----------
    scheme : Scheme
        A cyclic-symmetric starting scheme (see :func:`cyclic_start` and
        :func:`expand`); its fixed terms stay fixed.
    rng : numpy.random.Generator
    headroom : int
        Extra capacity in orbits for plus transitions.
    """

    symmetric = True

    def __init__(self, scheme: Scheme, rng, headroom: int = 8):
        self._last_orbits = (None, None)
        fixed, orbits = orbits_of(scheme)
        n = scheme.tc.n[0]
        if n * n > MAX_PACKED:
            raise ValueError(f"scheme: factors of more than {MAX_PACKED} coefficients are not supported ({scheme.tc.label()})")
        self.n = n
        self.tc = scheme.tc
        self.ring = scheme.ring
        self.p = scheme.ring.characteristic
        self.cap = len(orbits) + headroom + 2
        self._allocate(1, self.cap, 3 * self.cap, rng)
        self._load(fixed, orbits)

    def _orbits(self, scheme: Scheme) -> tuple[list, list]:
        """:func:`orbits_of` ``scheme``, kept for the :meth:`load` that follows a :meth:`fits` (a few ms
        on 5x5x5, and a symmetric restart asks both)."""
        if self._last_orbits[0] is not scheme:
            self._last_orbits = (scheme, orbits_of(scheme))
        return self._last_orbits[1]

    def fits(self, scheme: Scheme) -> bool:
        """Whether :meth:`load` takes ``scheme``: same tensor and ring, cyclic-symmetric, its orbits
        within the capacity."""
        if scheme.tc != self.tc or scheme.ring != self.ring:
            return False
        try:
            return len(self._orbits(scheme)[1]) + 2 <= self.cap
        except ValueError:          # not invariant under the cyclic shift
            return False

    def load(self, scheme: Scheme) -> None:
        """Start walking from a cyclic-symmetric ``scheme``, keeping the counters."""
        if scheme.tc != self.tc or scheme.ring != self.ring:
            raise ValueError(f"scheme: walker is for {self.tc.label()} over {self.ring}, got {scheme.tc.label()} over {scheme.ring}")
        self._load(*self._orbits(scheme))

    def _load(self, fixed, orbits) -> None:
        if len(orbits) + 2 > self.cap:
            raise ValueError(f"scheme: {len(orbits)} orbits exceed this walker's capacity {self.cap - 2}")
        self.fixed = [(s, np.asarray(x, np.int64)) for s, x in fixed]
        self.F[:] = 0
        self.S[:] = 1
        if orbits:
            rows = np.array([np.concatenate([o[1], o[2], o[3]]) for o in orbits]).reshape(-1, self.n * self.n)
            words = pack_rows(rows % self.p if self.p else rows, self.ring)
            cells = self.F.reshape(-1, CELLS_PER_UNIT, 2)
            cells[: len(orbits), :3, : words.shape[1]] = words.reshape(len(orbits), 3, -1)
            self.S[: len(orbits)] = [o[0] for o in orbits]
        self._init(len(orbits))

    # ------------------------------------------------------------------ counters
    @property
    def orbits(self) -> int:
        return int(self.meta[M_RANK])

    @property
    def rank(self) -> int:
        return len(self.fixed) + 3 * self.orbits

    @property
    def best_rank(self) -> int:
        return len(self.fixed) + 3 * int(self.meta[M_BEST])

    def _orbits_for(self, rank: int, ceil: bool) -> int:
        k = rank - len(self.fixed)
        if k <= 0:
            return 0
        return -(-k // 3) if ceil else k // 3

    # ------------------------------------------------------------------ moves
    def configure(self, flips: int, *, target: int = 0, plateau: int = 0, margin: int = 3, stop_below: int = 0,
                  split: int = 0) -> None:
        """The next walk: up to ``flips`` orbit flips; ``target``, ``margin`` and ``stop_below`` in terms;
        ``split`` percent of the plateau escapes split an orbit instead of a plus transition."""
        self.set_params(flips, self._orbits_for(target, ceil=False), plateau, max(1, -(-margin // 3)),
                        self._orbits_for(stop_below, ceil=True) if stop_below > 0 else 0, split)

    def flip(self, x: int, y: int, d: int = 1) -> int:
        """One orbit flip of occurrences ``x = 3*o1 + i`` and ``y = 3*o2 + j``
        (orbits o1 != o2, equal factors), the sum going ``d`` places after the
        shared factor; returns the reductions that followed."""
        n3 = 3 * self.orbits
        if not (0 <= x < n3 and 0 <= y < n3) or x // 3 == y // 3:
            raise ValueError(f"x, y: need occurrences of two different orbits below {n3}, got {x}, {y}")
        cx, cy = 4 * (x // 3) + x % 3, 4 * (y // 3) + y % 3
        if not np.array_equal(self.F[cx], self.F[cy]):
            raise ValueError(f"x, y: occurrences {x} and {y} hold different factors")
        if d not in (1, 2):
            raise ValueError(f"d: expected 1 or 2, got {d!r}")
        red = K.flip(self.st, cx, cy, d, self.ring_code, 0)
        self.meta[M_FLIPS] += 1
        self.meta[M_REDUCTIONS] += red
        return int(red)

    def orbit_factors(self) -> list:
        """The current orbits as (sign, v0, v1, v2), trace convention."""
        return self._orbit_list(self.F, self.S, self.orbits)

    # ------------------------------------------------------------------ schemes
    def _orbit_list(self, F, S, norb):
        nn = self.n * self.n
        if norb == 0:
            return []
        words = self._factor_rows(F, norb)
        rows = unpack_rows(words.reshape(3 * norb, -1), nn, self.ring).reshape(norb, 3, nn)
        return [(int(S[o]), rows[o, 0], rows[o, 1], rows[o, 2]) for o in range(norb)]

    def scheme(self) -> Scheme:
        """The current scheme, all terms expanded (output convention)."""
        return expand(self.n, self.ring, self.fixed, self._orbit_list(self.F, self.S, self.orbits))

    def best(self) -> Scheme:
        """The lowest-rank scheme this walker has held since its last :meth:`load`."""
        return expand(self.n, self.ring, self.fixed, self._orbit_list(self.bestF, self.bestS, int(self.meta[M_BEST])))
