"""Pool search on the flip graph: parallel walkers, plateau escape, restarts, many schemes kept.

:func:`search` is orchestration only: it resolves the settings
(:mod:`.settings`), the restart policy (:mod:`.restart`) and the starting
schemes, builds one walker per worker with its own seed
(``numpy.random.SeedSequence.spawn``), and lets an executor (:mod:`.executor`;
threads by default) advance them while a :class:`~.coordinator.Coordinator`
merges their reports into a pool keyed by format (:mod:`.pool`).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..fields.rings import Ring
from ..schemes.scheme import Scheme
from ..schemes.standard import naive_scheme
from ..tensors.codes import tensor_code
from ..validation import check_instance, check_int, check_real
from .autopilot import Autopilot, strategies_for
from .batch import BatchExecutor, use_gpu
from .coordinator import Coordinator
from .executor import Executor, ThreadExecutor
from .pool import SchemePool, checked, format_of
from .restart import Restart, as_restart
from .run_setup import drive, over_ring, seed_sequence, walk_ring, warm_up
from .settings import SearchSettings, mode_for, settings_doc
from .symmetric import SymmetricWalker, fresh_start, orbit_headroom, orbits_of
from .walker import Walker


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
    device : str
        Where the walks ran: ``"cpu"`` or ``"cuda (N walks)"``.
    autopilot : dict or None
        What the autopilot did (:meth:`~.autopilot.Autopilot.summary`: the
        strategies' stints, flips and improvements, and its decisions); None
        when it was off.
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
    device: str = "cpu"
    autopilot: dict | None = None

    @property
    def rank(self) -> int:
        return self.best.rank

    def summary(self) -> dict:
        return {"rank": self.rank, "target_reached": self.target_reached, "seconds": round(self.seconds, 3),
                "flips": self.flips, "plus_transitions": self.plus_transitions, "stopped": self.stopped}


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
        out.append(over_ring(s, ring, name))
    if not out:
        raise ValueError(f"{name}: empty list of schemes")
    return out


def _symmetric_start(symmetry, cubes, start, tc, ring, target_rank, restart=None):
    """(starting schemes, fresh scheme that stalled walkers restart from)."""
    if symmetry not in ("C3", "cyclic"):
        raise ValueError(f"symmetry: expected None or 'C3', got {symmetry!r}")
    cubes = restart.cubes if restart is not None and restart.kind == "fresh" and restart.cubes is not None else cubes
    if tc.code != "gg" or len(set(tc.n)) != 1:
        raise ValueError(f"symmetry: the cyclic symmetry needs a square product gg nxnxn, got {tc.label()}")
    n = tc.n[0]
    if start is None or cubes is not None:
        fresh = [fresh_start(n, ring, target_rank, cubes)]
    if start is None:
        return fresh, fresh
    out = _as_start(start, tc, ring)
    for s in out:
        try:
            orbits_of(s)
        except ValueError as exc:
            raise ValueError(f"start: {exc}") from None
    if restart is not None and restart.kind == "fresh" and cubes is None:
        fresh = [fresh_start(n, ring, target_rank)]
        return out, fresh
    return out, (fresh if cubes is not None else out)




def search(code, sizes, ring="F2", target_rank=None, time_limit=None, seed=None, workers=None, start=None,
           keep=1, *, rng=None, symmetry=None, cubes=None, restart=None, max_flips=None, plateau=None, margin=None,
           split=None, sandwich=None, path_limit=None, follow=None, chunk=None, harvest=None, executor=None,
           device="cpu", batch=None, autopilot=None, progress=False, on_improve=None, on_tick=None,
           tick=1.0) -> SearchResult:
    """Search the flip graph of a matrix multiplication tensor for a low-rank scheme.

    Several walkers walk from the starting scheme(s): each flip keeps the
    scheme exact, reductions are taken as soon as they appear, a plus
    transition escapes a plateau after ``plateau`` flips without progress
    (only while the rank stays below the walker's best + ``margin``), and a
    walker restarts (see ``restart``) when its path exceeds ``path_limit``
    flips without improvement, or follows the pool when it falls behind.

    Parameters
    ----------
    code : str
        Tensor code (``"gg"``, ``"ug"``, ``"gt"``, ...; see the Conventions page of the documentation).
    sizes : str or sequence of int
        ``"3x3x3"`` or ``(3, 3, 3)``.
    ring : {"F2", "F3", "ZT"}
        Over ``"ZT"`` every coefficient stays in {-1, 0, 1} (a move that
        would create +-2 is never applied), so every scheme found is a scheme
        over Z, usable on real matrices as it is (Perminov's ternary flip graph).
    target_rank : int, optional
        Stop when a scheme of this rank (or lower) is found and ``keep``
        distinct schemes at the best rank are collected.
    time_limit : float, optional
        Seconds of search (compilation excluded).
    seed : None or int
        Deprecated: the old name of ``rng`` (a ``DeprecationWarning``; give ``rng=``).
    workers : int, optional
        Number of walkers; default: the number of CPUs.
    start : Scheme or list of Scheme, optional
        Starting scheme(s); default: the naive scheme. Schemes over Z or ZT
        are reduced mod p.
    keep : int
        How many distinct schemes of the best rank to collect.
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator
        Root of the walkers' seeds: walker i draws from the i-th child of
        ``SeedSequence(rng).spawn(workers)``, so a seed gives the same walks
        whatever the executor (with one worker, the same result).
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
    restart : Restart, {"pool", "start"}, Scheme or list of Scheme, optional
        Where a walker stalled for ``path_limit`` flips starts again (see
        :mod:`linalg_lab.flipgraph.restart`). ``Restart.pool()`` (``"pool"``,
        the default without symmetry): from a scheme of the best rank found
        so far. ``Restart.start()`` (``"start"``): from the starting scheme,
        so every walker makes independent descents; ``follow`` and
        ``path_limit`` then take the "restart from the start" defaults.
        ``Restart.given(schemes)`` (or the schemes themselves): from those.
        ``Restart.fresh(cubes)``: from a fresh cyclic-symmetric start (the
        default with symmetry when no ``start`` is given; with a ``start``
        and no ``cubes``, the symmetric search restarts from the start).
        Low rank levels of 4x4x4 over F2 are isolated holes of the flip
        graph: a walk stays in the hole its descent fell into (nearly always
        Strassen x Strassen's 49), so the best rank 47 needs many descents,
        not a longer walk; the autopilot turns to them by itself when the
        best scheme is a hole (:func:`~linalg_lab.flipgraph.landscape.isolated`).
    max_flips : int, optional
        Stop after about this many flips in total.
{settings}
    executor : Executor, optional
        Where the walks run; default :class:`~linalg_lab.flipgraph.executor.ThreadExecutor`
        (one thread per walker, nogil kernels).
    device : {"cpu", "cuda", "auto"}, default "cpu"
        ``"cuda"``: the walks run on an NVIDIA GPU, one thread per walk, all
        of them in one batch (:class:`~linalg_lab.flipgraph.batch.BatchExecutor`),
        compiled from the same move bodies as the CPU walk; the schemes they
        find are verified on the host and go to the same pool. A clear
        ``ValueError`` says why when no GPU can be used (no numba-cuda, no
        driver, no device). ``"auto"``: the GPU when one is usable, else the
        CPU. Under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) the
        batch runs simulated.
    batch : int, optional
        With a GPU: the number of walks (``workers`` is ignored); default
        :func:`~linalg_lab.flipgraph._cuda.default_batch` (resident threads of
        the device, within half its free memory; a handful under the simulator).
    autopilot : bool, optional
        Choose the walkers' strategies by their measured progress
        (:mod:`~linalg_lab.flipgraph.autopilot`): every walker starts on the
        pool search; once the best rank stalls, the walkers play stints of
        the pool search, deep excursions, independent descents, the C3 walk
        (square ``gg``) and, over Z_T, F2 descents lifted by the sign search,
        each strategy getting compute in proportion to the improvements it
        made. Default: on, unless ``restart`` or ``symmetry`` is given (they
        choose the strategy); walk settings given explicitly hold in every
        strategy. ``False``: the plain pool search.
    progress : bool
        Show a tqdm progress bar on stderr (with the autopilot's strategies).
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
    >>> res = search("gg", "2x2x2", "F2", target_rank=7, rng=1, workers=1)
    >>> res.rank, bool(res.best.verify())
    (7, True)
    """
    tc = tensor_code(code, sizes)
    ring = walk_ring(ring)
    if target_rank is not None:
        target_rank = check_int(target_rank, "target_rank", minimum=1)
    if time_limit is not None:
        time_limit = check_real(time_limit, "time_limit", minimum=0.0, strict_minimum=True)
    if max_flips is not None:
        max_flips = check_int(max_flips, "max_flips", minimum=1)
    if target_rank is None and time_limit is None and max_flips is None:
        raise ValueError("target_rank, time_limit, max_flips: give at least one, or the search never ends")
    keep = check_int(keep, "keep", minimum=1)
    workers = check_int(os.cpu_count() or 1 if workers is None else workers, "workers", minimum=1)
    on_gpu = use_gpu(device, executor)
    if batch is not None:
        batch = check_int(batch, "batch", minimum=1)
        if not on_gpu:
            raise ValueError("batch: the number of GPU walks; give it with device='cuda' (or 'auto' on a GPU)")
    if on_gpu:
        executor = BatchExecutor("cuda")
    executor = ThreadExecutor() if executor is None else check_instance(executor, "executor", Executor)
    root = seed_sequence(rng, seed)
    if seed is not None:
        warnings.warn("seed: deprecated, give the same value as the keyword argument rng=", DeprecationWarning,
                      stacklevel=2)
    chosen = restart is not None or symmetry is not None
    if autopilot is None:
        autopilot = not chosen
    elif autopilot and chosen:
        raise ValueError("autopilot: restart and symmetry choose the strategy themselves; leave them out "
                         "or give autopilot=False")
    policy = as_restart(restart)
    if policy is not None and policy.kind == "schemes":
        policy = Restart.given(_as_start(list(policy.schemes), tc, ring, name="restart"))
    if symmetry is None:
        if cubes is not None:
            raise ValueError("cubes: only meaningful with symmetry='C3'")
        if policy is not None and policy.kind == "fresh":
            raise ValueError("restart: a fresh cyclic start needs symmetry='C3'")
        policy = policy or Restart.pool()
        starts = _as_start(start, tc, ring)
        fresh = list(policy.schemes) or starts if policy.independent else None
        make = Walker
    else:
        starts, fresh = _symmetric_start(symmetry, cubes, start, tc, ring, target_rank, policy)
        if policy is not None and policy.kind == "schemes":
            fresh = list(policy.schemes)
        policy = policy or Restart.fresh(cubes)
        make = SymmetricWalker
    if chunk is None:
        chunk = getattr(executor, "chunk", None)      # an executor whose steps travel wants longer ones
    pinned = dict(plateau=plateau, margin=margin, split=split, sandwich=sandwich, path_limit=path_limit,
                  follow=follow, chunk=chunk, harvest=harvest)
    settings = SearchSettings.resolve(mode_for(symmetry, policy.kind, tc.n[0]), ring, **pinned)
    strategies = strategies_for(tc, ring, target_rank, starts, pinned, same_walker=on_gpu) if autopilot else []
    margin_room = max([settings.margin] + [st.settings.margin for st in strategies])
    headroom = margin_room + 8 if symmetry is None else orbit_headroom(settings.margin)
    # room for the largest scheme a walker may load: a start, or a restart scheme
    top = max(s.rank for s in starts + (fresh or []))
    if on_gpu:
        if batch is None:
            from ._cuda import default_batch

            probe = make(starts[0], np.random.default_rng(0), headroom=headroom + top - starts[0].rank,
                         **({"direct": False} if make is Walker else {}))
            batch = default_batch(sum(a.nbytes for a in probe.st))
        workers = batch
    seeds = [ss.spawn(2) for ss in root.spawn(workers)]      # per walker: its kernel, its restart decisions
    # hashed tables: small enough for a GPU batch
    compact = {"direct": False} if getattr(executor, "compact_tables", False) and make is Walker else {}
    walkers = [make(starts[i % len(starts)], np.random.default_rng(seeds[i][0]),
                    headroom=headroom + top - starts[i % len(starts)].rank, **compact)
               for i in range(workers)]
    warm_up(walkers, executor, target=target_rank or 0, plateau=settings.plateau, margin=settings.margin,
            split=settings.split)
    fmt = format_of(starts[0])
    pool = SchemePool(keep)
    for s in [checked(w.best()) for w in walkers] + starts:
        pool.offer(s, verified=True)
    if fresh is not None:
        restart_from = (lambda r: fresh[int(r.integers(len(fresh)))])
    else:
        restart_from = (lambda r: pool.pick(fmt, r))
    monitor = _Monitor(tc, ring, progress, time_limit, on_tick, tick)
    pilot = Autopilot(strategies, workers) if len(strategies) > 1 else None
    monitor.autopilot = pilot
    coord = Coordinator(fmt, pool, settings, restart_from, [np.random.default_rng(s[1]) for s in seeds],
                        target_rank=target_rank, keep=keep, max_flips=max_flips, on_improve=on_improve,
                        monitor=monitor, autopilot=pilot)
    pool.t0 = coord.t0
    if drive(executor, walkers, coord, on_close=lambda: monitor.close(coord)):
        monitor.stopped = "interrupt"
    seconds = coord.seconds
    best_rank = coord.best_rank
    reached = target_rank is not None and best_rank <= target_rank
    stopped = monitor.stopped or ("target" if reached else "flips")
    found = pool.schemes(fmt)
    plus, reductions = coord.totals()
    return SearchResult(best=checked(found[0]), schemes=found[:keep], target_rank=target_rank,
                        target_reached=reached, stopped=stopped, flips=coord.flips, plus_transitions=plus,
                        reductions=reductions, seconds=seconds, history=pool.history(fmt),
                        device=f"cuda ({workers} walks)" if on_gpu else "cpu",
                        autopilot=None if pilot is None else pilot.summary())


search.__doc__ = search.__doc__.replace("{settings}", settings_doc())


class _Monitor:
    """Progress bar, time limit and the campaign's tick, run by the executor's calling thread."""

    def __init__(self, tc, ring, progress, time_limit, on_tick, tick):
        self.time_limit = time_limit
        self.on_tick = on_tick
        self.tick = tick
        self.stopped = None
        self.bar = None
        if progress:
            from tqdm import tqdm

            self.bar = tqdm(total=None, unit=" flips", unit_scale=True, desc=f"{tc.label()} {ring}", leave=True)
        self.last_tick = None
        self.autopilot = None

    def __call__(self, coord: Coordinator) -> None:
        elapsed = coord.seconds
        if self.bar is not None:
            self.bar.n = coord.flips
            line = f"rank {coord.best_rank}"
            if self.autopilot is not None and self.autopilot.engaged:
                line += f" | {self.autopilot.counts()}"
            self.bar.set_postfix_str(line, refresh=False)
            self.bar.refresh()
        if self.on_tick is not None and (self.last_tick is None or elapsed - self.last_tick >= self.tick):
            if self.last_tick is not None:
                self.on_tick({"seconds": elapsed, "flips": coord.flips, "rank": coord.best_rank}, coord.snapshot)
            self.last_tick = elapsed
        if self.time_limit is not None and elapsed >= self.time_limit:
            self.stopped = "time"
            coord.stop()

    def close(self, coord: Coordinator) -> None:
        if self.bar is not None:
            self.bar.n = coord.flips
            self.bar.close()
