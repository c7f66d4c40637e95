"""Pool search on the flip graph: parallel walkers, plateau escape, restarts, many schemes kept."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..fields.rings import Ring, as_ring
from ..schemes.scheme import Scheme
from ..tensors import naive_scheme
from ..tensors.codes import tensor_code
from .symmetric import SymmetricWalker, cyclic_start, default_cubes, expand, orbits_of
from .walker import Walker

CHUNK = 1 << 17          # flips per kernel call: a few tens of milliseconds


@dataclass
class SearchResult:
    """What a flip-graph search found.

    Attributes
    ----------
    best : Scheme
        A lowest-rank scheme found, verified exactly.
    schemes : list of Scheme
        Distinct schemes at the best rank (up to ``keep``), each verified.
    target_rank : int or None
    target_reached : bool
    stopped : str
        ``"target"``, ``"time"``, ``"flips"`` or ``"interrupt"``.
    flips, plus_transitions, reductions : int
        Totals over all walkers.
    seconds : float
        Wall time of the search proper (kernel compilation excluded).
    history : list of (seconds, flips, rank)
        Each improvement of the best rank.
    """

    best: Scheme
    schemes: list
    target_rank: int | None
    target_reached: bool
    stopped: str
    flips: int = 0
    plus_transitions: int = 0
    reductions: int = 0
    seconds: float = 0.0
    history: list = field(default_factory=list)

    @property
    def rank(self) -> int:
        return self.best.rank

    def summary(self) -> dict:
        return {"rank": self.rank, "target_reached": self.target_reached, "seconds": round(self.seconds, 3),
                "flips": self.flips, "plus_transitions": self.plus_transitions, "stopped": self.stopped}


class _Shared:
    """State shared by the walkers, guarded by one lock."""

    def __init__(self, start: list[Scheme], keep: int, rng):
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.best_rank = min(s.rank for s in start)
        self.pool: dict[bytes, Scheme] = {}
        self.keep = keep
        self.rng = rng
        self.history: list = []
        self.flips = 0
        self.plus = 0
        self.reductions = 0
        self.t0 = time.perf_counter()
        self.snapshots: dict[int, Scheme] = {}
        self.want_snapshot = threading.Event()
        self.error: BaseException | None = None
        for s in start:
            if s.rank == self.best_rank:
                self.pool[_key(s)] = s

    def offer(self, scheme: Scheme, key: bytes, on_improve) -> bool:
        """Add a verified scheme; returns True when it improves the best rank."""
        improved = False
        with self.lock:
            if scheme.rank < self.best_rank:
                self.best_rank = scheme.rank
                self.pool = {key: scheme}
                self.history.append((time.perf_counter() - self.t0, self.flips, scheme.rank))
                improved = True
            elif scheme.rank == self.best_rank and key not in self.pool and len(self.pool) < max(self.keep, 1):
                self.pool[key] = scheme
        if improved and on_improve is not None:
            on_improve(scheme)
        return improved

    def pick(self, rng) -> Scheme:
        with self.lock:
            vals = list(self.pool.values())
        return vals[int(rng.integers(len(vals)))]


def _key(s: Scheme) -> bytes:
    rows = np.concatenate([np.asarray(a, dtype=np.int64) for a in s.factors], axis=1)
    # terms are equal up to moving a sign between factors: canonicalise sign of u and v first
    rows = rows.copy()
    nu, nv, _ = s.dims
    for lo, hi in ((0, nu), (nu, nu + nv)):
        blk = rows[:, lo:hi]
        first = np.where((blk != 0).any(axis=1), blk[np.arange(len(blk)), (blk != 0).argmax(axis=1)], 1)
        rows[:, lo:hi] *= first[:, None]
        rows[:, nu + nv:] *= first[:, None]
    if s.ring.characteristic:
        rows %= s.ring.characteristic
    order = np.lexsort(rows.T[::-1])
    return rows[order].tobytes()


def _checked(s: Scheme) -> Scheme:
    check = s.verify()
    if not check:  # a kernel bug, never a user error: refuse to return it
        raise RuntimeError(f"internal error: walker produced a scheme that does not verify: {check.describe()}")
    return s


def _worker(idx, walker: Walker, shared: _Shared, cfg: dict, rng):
    try:
        target = cfg["target"]
        last_best_flips = walker.flips
        my_best = walker.best_rank
        while not shared.stop.is_set():
            harvesting = target is not None and shared.best_rank <= target
            if harvesting:
                # at the target: walk without plus transitions and collect distinct schemes
                n = walker.walk(cfg["harvest"], target=target - 1, plateau=0)
            else:
                n = walker.walk(cfg["chunk"], target=target or 0, plateau=cfg["plateau"], margin=cfg["margin"],
                                stop_below=shared.best_rank)
            with shared.lock:
                shared.flips += n
            if walker.best_rank < my_best:
                my_best = walker.best_rank
                last_best_flips = walker.flips
                if my_best < shared.best_rank:
                    best = _checked(walker.best())
                    shared.offer(best, _key(best), cfg["on_improve"])
            if walker.rank == shared.best_rank and (harvesting or cfg["keep"] > 1):
                s = walker.scheme()
                k = _key(s)
                if k not in shared.pool and len(shared.pool) < cfg["keep"]:
                    shared.offer(_checked(s), k, None)
            if shared.want_snapshot.is_set() and idx not in shared.snapshots:
                shared.snapshots[idx] = walker.scheme()
            # restarts: follow a better pool with some probability, or leave a stale path
            behind = my_best > shared.best_rank and rng.random() < cfg["follow"]
            stale = walker.flips - last_best_flips > cfg["path_limit"]
            if behind or (stale and not harvesting):
                walker.load(cfg["restart"](rng) if stale and not behind else shared.pick(rng))
                my_best = walker.best_rank
                last_best_flips = walker.flips
            if target is not None and shared.best_rank <= target and len(shared.pool) >= cfg["keep"]:
                shared.stop.set()
            if cfg["max_flips"] is not None and shared.flips >= cfg["max_flips"]:
                shared.stop.set()
        with shared.lock:
            shared.plus += walker.plus_transitions
            shared.reductions += walker.reductions
    except BaseException as exc:  # surface worker errors in the caller
        shared.error = exc
        shared.stop.set()


def _as_start(start, tc, ring: Ring, name: str = "start") -> list[Scheme]:
    """Validated starting schemes over ``ring``; errors name the argument ``name``."""
    if start is None:
        return [naive_scheme(tc.code, tc.n, ring)]
    starts = [start] if isinstance(start, Scheme) else list(start)
    out = []
    for s in starts:
        if not isinstance(s, Scheme):
            raise TypeError(f"{name}: expected a Scheme or a list of Schemes, got {type(s).__name__}")
        if s.tc != tc:
            raise ValueError(f"{name}: scheme is for {s.tc.label()}, the search for {tc.label()}")
        if s.ring is not ring:
            if s.ring.is_finite_field:
                raise ValueError(f"{name}: scheme is over {s.ring}, the search over {ring}")
            if s.is_rational:
                raise ValueError(f"{name}: a scheme with fractions cannot be reduced mod p")
            s = s.with_factors(s.u, s.v, s.w, ring=ring)   # Z / ZT schemes reduce mod p
        if not s.verify():
            raise ValueError(f"{name}: the starting scheme does not verify over {ring}")
        out.append(s)
    if not out:
        raise ValueError(f"{name}: empty list of schemes")
    return out


def _symmetric_start(symmetry, cubes, start, tc, ring, target_rank):
    """(starting schemes, fresh scheme that stalled walkers restart from)."""
    if symmetry not in ("C3", "cyclic"):
        raise ValueError(f"symmetry: expected None or 'C3', got {symmetry!r}")
    if tc.code != "gg" or len(set(tc.n)) != 1:
        raise ValueError(f"symmetry: the cyclic symmetry needs a square product gg nxnxn, got {tc.label()}")
    n = tc.n[0]
    if start is None or cubes is not None:
        fresh = [expand(n, ring, *cyclic_start(n, ring, default_cubes(n, target_rank) if cubes is None else cubes))]
    if start is None:
        return fresh, fresh
    out = _as_start(start, tc, ring)
    for s in out:
        try:
            orbits_of(s)
        except ValueError as exc:
            raise ValueError(f"start: {exc}") from None
    return out, (fresh if cubes is not None else out)


def search(code, sizes, ring="F2", target_rank=None, time_limit=None, seed=None, workers=None, start=None,
           keep=1, *, symmetry=None, cubes=None, restart=None, max_flips=None, plateau=None, margin=None,
           path_limit=None, follow=None, progress=False, on_improve=None, on_tick=None, tick=1.0) -> SearchResult:
    """Search the flip graph of a matrix multiplication tensor for a low-rank scheme.

    Several walkers (threads running nogil numba kernels) walk from the
    starting scheme(s): each flip keeps the scheme exact, reductions are taken
    as soon as they appear, a plus transition escapes a plateau after
    ``plateau`` flips without progress (only while the rank stays below the
    walker's best + ``margin``), and a walker restarts from the pool of best
    schemes when it falls behind or its path exceeds ``path_limit`` flips.

    Parameters
    ----------
    code : str
        Tensor code (``"gg"``, ``"ug"``, ``"gt"``, ...; DESIGN.md section 3).
    sizes : str or sequence of int
        ``"3x3x3"`` or ``(3, 3, 3)``.
    ring : {"F2", "F3"}
    target_rank : int, optional
        Stop when a scheme of this rank (or lower) is found and ``keep``
        distinct schemes at the best rank are collected.
    time_limit : float, optional
        Seconds of search (compilation excluded).
    seed : None, int or numpy.random.Generator
    workers : int, optional
        Number of walkers (threads); default: the number of CPUs.
    start : Scheme or list of Scheme, optional
        Starting scheme(s); default: the naive scheme. Schemes over Z or ZT
        are reduced mod p.
    keep : int
        How many distinct schemes of the best rank to collect.
    symmetry : {None, "C3"}
        ``"C3"`` walks only on schemes invariant under the cyclic shift of
        the three factors (square ``gg`` products; Moosbauer & Poole): a move
        changes a whole orbit of three terms, ranks fall by 3 at a time, and
        the search space shrinks enough to reach 5x5x5 rank 93 over F2.
        Flips are then counted per orbit. A ``start`` must be invariant.
    cubes : int or list of lists, optional
        With ``symmetry="C3"``: the fixed terms of the fresh start, as a
        number of blocks or a partition of the diagonal (see
        :func:`~linalg_lab.flipgraph.symmetric.cube_blocks`). They fix the
        rank modulo 3; by default the count suited to ``target_rank``.
        Stalled walkers restart from this fresh start (from ``start`` when
        only that is given).
    restart : {None, "pool", "start"} or Scheme or list of Scheme
        Where a walker stalled for ``path_limit`` flips starts again.
        ``"pool"`` (the default without symmetry): from a scheme of the best
        rank found so far. ``"start"``: from the starting scheme, so every
        walker makes independent descents (Kauers and Moosbauer's many random
        walks from the standard algorithm); ``follow`` then defaults to 0 and
        ``path_limit`` to 1e7. Schemes: restart from these (a resumed
        campaign starts from its checkpoint and restarts from its start).
        Low rank levels of 4x4x4 over F2 are isolated holes of the flip
        graph: a walk stays in the hole its descent fell into (nearly always
        Strassen x Strassen's 49), so the best rank 47 needs many descents,
        not a longer walk. With ``symmetry="C3"`` restarts are always from
        the start.
    max_flips : int, optional
        Stop after about this many flips in total.
    plateau, margin, path_limit, follow :
        Plateau length before a plus transition (default 50,000 flips), how
        far above its best a walker may climb (default 3 terms), flips on a path without
        improvement before a restart (default 5e7), probability per chunk
        that a walker behind the best rank restarts from the pool (default
        0.25). With ``symmetry="C3"`` the defaults follow Moosbauer and
        Poole's runs: a plus transition after 16,667 orbit flips without a
        reduction, up to 30 terms above the walker's best, and independent runs: a walker stalled for ``path_limit``
        orbit flips (3.3e7 for 5x5, 1e6 below) restarts from the start, not
        from the pool.
    progress : bool
        Show a tqdm progress bar on stderr.
    on_improve : callable, optional
        Called with each new best scheme (verified), from a worker thread.
    on_tick : callable, optional
        Called every ``tick`` seconds from the calling thread with a dict of
        live statistics and a ``snapshot()`` function returning the walkers'
        current schemes (used by campaigns for checkpoints).

    Returns
    -------
    SearchResult
        On Ctrl-C the search stops cleanly and returns what it has
        (``stopped == "interrupt"``).

    References
    ----------
    M. Kauers and J. Moosbauer, "Flip graphs for matrix multiplication", ISSAC 2023.
    Y. Arai, Y. Ichikawa and K. Hukushima, "Adaptive flip graph algorithm for
    matrix multiplication", ISSAC 2024.
    J. Moosbauer and M. Poole, "Flip graphs with symmetry and new matrix
    multiplication schemes", 2025 (arXiv:2502.04514).

    Examples
    --------
    >>> from linalg_lab.flipgraph import search
    >>> res = search("gg", "2x2x2", "F2", target_rank=7, seed=1, workers=1)
    >>> res.rank, bool(res.best.verify())
    (7, True)
    """
    tc = tensor_code(code, sizes)
    ring = as_ring(ring)
    if ring not in (Ring.F2, Ring.F3):
        raise ValueError(f"ring: the flip-graph search works over F2 or F3, got {ring}")
    if target_rank is not None and (not isinstance(target_rank, (int, np.integer)) or target_rank < 1):
        raise ValueError(f"target_rank: expected a positive integer, got {target_rank!r}")
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit: expected a positive number of seconds, got {time_limit!r}")
    if target_rank is None and time_limit is None and max_flips is None:
        raise ValueError("target_rank, time_limit, max_flips: give at least one, or the search never ends")
    if not isinstance(keep, (int, np.integer)) or keep < 1:
        raise ValueError(f"keep: expected a positive integer, got {keep!r}")
    if workers is None:
        workers = os.cpu_count() or 1
    if not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers: expected a positive integer, got {workers!r}")
    rng = np.random.default_rng(seed)
    restart_schemes = None
    if isinstance(restart, Scheme) or (isinstance(restart, (list, tuple)) and restart):
        restart_schemes = _as_start(restart, tc, ring, name="restart")
        restart = "start"
    elif restart not in (None, "pool", "start"):
        raise ValueError(f"restart: expected None, 'pool', 'start' or starting schemes, got {restart!r}")
    if symmetry is not None and restart is not None:
        raise ValueError("restart: the cyclic-symmetric search always restarts from its start (see cubes)")
    if margin is None:
        margin = 3 if symmetry is None else 30
    headroom = margin + 8
    if symmetry is None:
        independent = restart == "start"
        plateau = 50_000 if plateau is None else plateau
        path_limit = (10_000_000 if independent else 50_000_000) if path_limit is None else path_limit
        follow = (0.0 if independent else 0.25) if follow is None else follow
        if cubes is not None:
            raise ValueError("cubes: only meaningful with symmetry='C3'")
        starts = _as_start(start, tc, ring)
        fresh = (restart_schemes or starts) if independent else None
        make = Walker
    else:
        starts, fresh = _symmetric_start(symmetry, cubes, start, tc, ring, target_rank)
        make = SymmetricWalker
        plateau = 16_667 if plateau is None else plateau
        path_limit = (33_000_000 if tc.n[0] >= 5 else 1_000_000) if path_limit is None else path_limit
        follow = 0.0 if follow is None else follow
        headroom = (headroom + 2) // 3 + 4          # in orbits
    for name, value, low in (("plateau", plateau, 0), ("margin", margin, 0), ("path_limit", path_limit, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name}: expected an integer >= {low}, got {value!r}")
    if not 0.0 <= follow <= 1.0:
        raise ValueError(f"follow: expected a probability in [0, 1], got {follow!r}")
    # room for the largest scheme a walker may load: a start, or (general walks) a restart scheme
    top = max(s.rank for s in starts + (fresh if symmetry is None and fresh else []))
    walkers = [make(starts[i % len(starts)], np.random.default_rng(rng.integers(2**63)),
                    headroom=headroom + top - starts[i % len(starts)].rank)
               for i in range(workers)]
    for w in walkers:             # compile (or load the cache) before the clock starts
        w.walk(1, target=target_rank or 0, plateau=plateau, margin=margin)
    shared = _Shared([_checked(w.best()) for w in walkers] + starts, keep, rng)
    cfg = dict(target=target_rank, chunk=CHUNK, harvest=max(2000, CHUNK // 32), plateau=plateau, margin=margin,
               keep=keep, path_limit=path_limit, follow=follow, max_flips=max_flips, on_improve=on_improve,
               restart=(lambda r: fresh[int(r.integers(len(fresh)))]) if fresh is not None else shared.pick)
    shared.t0 = time.perf_counter()
    threads = [threading.Thread(target=_worker, args=(i, w, shared, cfg, np.random.default_rng(rng.integers(2**63))),
                                daemon=True, name=f"flipgraph-walker-{i}") for i, w in enumerate(walkers)]

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=None, unit=" flips", unit_scale=True, desc=f"{tc.label()} {ring}", leave=True)
    stopped = None
    last_tick = time.perf_counter()

    def snapshot(timeout=5.0):
        shared.snapshots.clear()
        shared.want_snapshot.set()
        deadline = time.perf_counter() + timeout
        while len(shared.snapshots) < len(walkers) and time.perf_counter() < deadline and not shared.stop.is_set():
            time.sleep(0.01)
        shared.want_snapshot.clear()
        return list(shared.snapshots.values())

    for t in threads:
        t.start()
    try:
        while not shared.stop.is_set():
            shared.stop.wait(0.05)
            now = time.perf_counter()
            elapsed = now - shared.t0
            if bar is not None:
                bar.n = shared.flips
                bar.set_postfix_str(f"rank {shared.best_rank}", refresh=False)
                bar.refresh()
            if on_tick is not None and now - last_tick >= tick:
                last_tick = now
                on_tick({"seconds": elapsed, "flips": shared.flips, "rank": shared.best_rank}, snapshot)
            if time_limit is not None and elapsed >= time_limit:
                stopped = "time"
                shared.stop.set()
    except KeyboardInterrupt:
        stopped = "interrupt"
        shared.stop.set()
    finally:
        for t in threads:
            t.join()
        if bar is not None:
            bar.n = shared.flips
            bar.close()
    seconds = time.perf_counter() - shared.t0
    if shared.error is not None:
        raise shared.error
    with shared.lock:
        pool = list(shared.pool.values())
    reached = target_rank is not None and shared.best_rank <= target_rank
    if stopped is None:
        stopped = "target" if reached else "flips"
    best = _checked(pool[0])
    return SearchResult(best=best, schemes=[_checked(s) for s in pool[:keep]], target_rank=target_rank,
                        target_reached=reached, stopped=stopped, flips=shared.flips,
                        plus_transitions=shared.plus, reductions=shared.reductions, seconds=seconds,
                        history=list(shared.history))
