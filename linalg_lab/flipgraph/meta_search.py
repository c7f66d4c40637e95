"""The meta search: flip-graph walkers over many formats at once, moving schemes between them.

A population of walkers shares one :class:`~.pool.SchemePool` holding the best
scheme of every target format (stored in the canonical ordering
``n1 <= n2 <= n3``). Each walker walks the flip graph of its current format a
chunk at a time and offers its best to the pool; after a step that did not
lower its own best rank, with probability ``meta_probability`` (always, once
its format is at its known rank), it takes a meta move (:mod:`linalg_lab.schemes.meta_moves`) from the
stored schemes:

- ``restart``: the best stored scheme of a random target format;
- ``project``: a stored scheme one larger in one dimension, that index deleted;
- ``extend``: a stored scheme one smaller, the index added with naive products;
- ``product``: the Kronecker product of two stored schemes (any orderings);
- ``merge``: two stored schemes side by side along a dimension;
- ``symmetric`` (square formats ``n x n x n``, n >= 3, over F2 and Z_T): a
  cyclic-symmetric walk over F2 from the fresh symmetric start (Moosbauer &
  Poole), its schemes lifted to Z_T by the sign search when they beat the
  format's best (this is how 5x5x5 reaches 93 over Z_T);
- ``lift`` (the other formats, over Z_T): descents over F2 from the naive
  scheme, lifted the same way (Kauers & Moosbauer's route to Z schemes);
- ``descent`` (every format, any ring): independent descents over the ring
  from the naive scheme, restarted from it when they stall;
- ``stay`` (every format, any ring; only with ``stays=True``): the plain
  search's walk over the ring, restarted from the format's best when it
  stalls or falls behind. A walker that hops between formats never walks
  deep: these stints do.

These stints take at most a quarter of the walkers at a time while hopping
between formats improves bests (all walkers but one, at least one, once it
stopped). A stint ends after its (kind, format) pair's length without
progress (a rank below the stint's earlier ones, or an improvement of the
format): several seconds at first (:data:`~.stints.STINT_FIRST` flips),
doubled after each stint of the pair, up to several minutes
(:data:`~.stints.STINT_MAX`).
Which (kind, format) a stint walks is chosen by
:class:`~.stints.StintScheduler`: the autopilot's bandit over improvements per
flip, each pair weighted by its format's distance to the known rank and by
what gave the format its best.

Only moves whose result is a target format are taken; the result is
verified, offered to the pool and loaded as the walker's next start (a
walker of another format is rebuilt by :func:`~.executor.advance`). So a
good scheme of one format becomes a start for its neighbours (Perminov's
meta flip graph). The search stops at ``time_limit`` or when every format
with a known rank has reached it.

References
----------
D. Perminov, "Fast matrix multiplication via ternary meta flip graphs", 2025.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..fields.rings import as_ring
from ..schemes.io import (SchemeFileError, load_scheme, output_folder, save_scheme)
from ..schemes.scheme import Scheme
from ..schemes.standard import naive_scheme
from ..validation import check_bool, check_instance, check_int, check_real
from .._targets import simulator
from .batch import BatchExecutor, use_gpu
from .checkpoint import CheckpointError, read_checkpoint, write_checkpoint
from .executor import Executor, ThreadExecutor
from .formats import canonical, format_label, known_target, parse_formats
from .meta_coordinator import MetaCoordinator, MetaTable
from .pool import Format, SchemePool, checked
from .run_setup import drive, over_ring, provenance, seed_sequence, walk_ring, warm_up
from .settings import SearchSettings
from .walker import Walker


# ----------------------------------------------------------------------------- result
@dataclass
class MetaSearchResult:
    """What a meta search found.

    Attributes
    ----------
    best : dict
        Sorted format ``(n1, n2, n3)`` -> its best scheme (verified, in that ordering).
    known : dict
        Format -> the best known rank aimed at (None: not tabulated).
    ring : str
    seconds : float
        Wall time of this run (compilation excluded).
    seconds_total : float
        Over this run and the runs it resumed from its checkpoint.
    flips : int
        Flips of this run, over all walkers.
    stopped : str
        ``"known"`` (every format at its known rank), ``"time"`` or ``"interrupt"``.
    moves : Counter
        Meta moves taken, by kind.
    visited : list of set
        Per walker, the formats it walked.
    lifted : int
        Schemes of F2 walks lifted to the ring that beat their format's best.
    history : list of (seconds, format, rank)
        Each improvement of a format's best rank.
    stints : dict
        Per ``"kind AxBxC"``: the stints walked, their flips and the
        improvements they made (:class:`~.stints.StintScheduler`).
    """

    best: dict
    known: dict
    ring: str
    seconds: float
    seconds_total: float
    flips: int
    stopped: str
    moves: Counter = field(default_factory=Counter)
    stints: dict = field(default_factory=dict)
    visited: list = field(default_factory=list)
    history: list = field(default_factory=list)
    lifted: int = 0

    def table(self) -> list[tuple]:
        """Rows ``(format, ours, known)``, e.g. ``("2x2x2", 7, 7)``."""
        return [(format_label(n), s.rank, self.known.get(n)) for n, s in self.best.items()]

    @property
    def matched(self) -> int:
        """Formats at or below their known rank."""
        return sum(1 for _, ours, known in self.table() if known is not None and ours <= known)

    def summary(self) -> dict:
        return {"ring": self.ring, "formats": len(self.best), "matched": self.matched,
                "seconds": round(self.seconds, 3), "seconds_total": round(self.seconds_total, 3),
                "flips": self.flips, "stopped": self.stopped, "moves": dict(self.moves), "lifted": self.lifted,
                "stints": self.stints, "table": [list(row) for row in self.table()]}


# ----------------------------------------------------------------------------- checkpoint
def _read_checkpoint(path: Path, ring: str) -> tuple[float, list[Scheme]]:
    try:
        data = read_checkpoint(path, "meta search")
    except CheckpointError as exc:
        raise ValueError(f"checkpoint: cannot read {exc}") from None
    if data.get("ring") != ring:
        raise ValueError(f"checkpoint: {path} is for ring {data.get('ring')!r}, the search for {ring!r}")
    return data["seconds_used"], data["schemes"]


def _write_checkpoint(path: Path, ring: str, formats, seconds_used: float, schemes) -> None:
    write_checkpoint(path, "meta search", seconds_used, schemes, ring=ring, formats=[format_label(f) for f in formats])


def _starting_schemes(start, ring: str, formats) -> list[Scheme]:
    """The ``start`` schemes of the target formats over ``ring`` (sorted ordering), each verified.

    ``start`` is a Scheme, a scheme file, a folder of scheme files, a meta
    search checkpoint, or a sequence of those; schemes of other formats or
    other tensor codes are skipped.
    """
    if isinstance(start, (Scheme, str, os.PathLike)):
        items = [start]
    else:
        try:
            items = list(start)
        except TypeError:
            raise TypeError(f"start: expected a Scheme, a path or a sequence of them, got {type(start).__name__}") \
                from None
    found: list[Scheme] = []
    for item in items:
        if isinstance(item, Scheme):
            found.append(item)
            continue
        path = Path(check_instance(item, "start", (Scheme, str, os.PathLike)))
        if not path.exists():
            raise ValueError(f"start: {path} does not exist")
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for f in files:
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"start: cannot read {f}: {exc}") from None
            if isinstance(data, dict) and data.get("kind") == "meta search":
                found += _read_checkpoint(f, data.get("ring"))[1]
            else:
                try:
                    found.append(load_scheme(f))
                except SchemeFileError as exc:
                    raise ValueError(f"start: {exc}") from None
    targets = set(formats)
    ring_value = as_ring(ring)
    return [canonical(over_ring(s, ring_value, "start")) for s in found
            if s.code == "gg" and tuple(sorted(s.n)) in targets]


# ----------------------------------------------------------------------------- the search
def meta_search(formats, ring="ZT", *, time_limit, workers=None, rng=None, out=None, checkpoint=None,
                start=None, meta_probability=0.1, chunk=None, split=None, f2_walks=True, descents=True,
                stays=False, progress=True, on_improve=None, executor=None, device="cpu",
                batch=None) -> MetaSearchResult:
    """Search many formats at once, moving good schemes between them by meta moves.

    Parameters
    ----------
    formats : str or sequence
        Target ``gg`` formats (:func:`parse_formats`): ``"2..5"`` (the 20
        formats with sizes 2 to 5), ``"2x2x3,3x3x3"``, or a sequence.
    ring : {"F2", "F3", "ZT"}
        Over ZT every scheme found is a scheme over Z with entries in {-1, 0, 1}.
    time_limit : float
        Seconds in total, over this run and the runs its checkpoint records.
    workers : int, optional
        Walkers (threads); default: the number of CPUs. Walker i starts at
        format i mod len(formats).
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator
        Root of the walkers' seeds (``SeedSequence.spawn``).
    out : str or Path, optional
        Folder (created before the search starts; an existing file there is an
        error): each new best of a format is written there (``save_scheme``),
        and every format's best at the end. No file is replaced: a scheme
        already there is not written again, and another scheme of the same
        name gets a content-hash tag.
    checkpoint : str or Path, optional
        JSON file written atomically every few seconds and at the end (every
        format's best and the seconds used); when it exists, the search
        resumes from it with the time left (a file that is not a meta-search
        checkpoint is an error, never overwritten).
    start : Scheme, str, Path or sequence of them, optional
        Schemes to start from besides the naive ones: schemes, scheme
        files, folders of scheme files or meta-search checkpoints (say the
        bests of a run over fewer formats, or the catalogue). Those of
        target formats enter the pool in sorted ordering, each verified over
        ``ring`` (a Z scheme with entries in {-1, 0, 1} counts as Z_T; Z and
        Z_T schemes reduce mod p for F2 and F3); the others are skipped.
    meta_probability : float
        Probability that a walker takes a meta move after a step that did not
        lower its best rank (a walker still descending keeps its format).
    chunk : int, optional
        Flips per step (default of the pool mode, :mod:`.settings`).
    split : int, optional
        Percent of plateau escapes that split a term instead of a plus
        transition (:mod:`.settings`; default 0).
    descents : bool
        Take ``descent`` stints (above). Default True.
    stays : bool
        Take ``stay`` stints (above). Default False: over 2..5 (Z_T, seed 2)
        they shared the one stint slot of two walkers with the others and
        left 2x5x5 at 42 after 3300 s, one format fewer matched.
    f2_walks : bool
        Take F2 walks lifted to ``ring`` (the ``symmetric`` and ``lift``
        moves above). Default True.
    progress : bool
        Print the table of best ranks against the known ranks on stderr every few seconds.
    on_improve : callable, optional
        Called with each new best scheme of a format (verified), from a worker thread.
    executor : Executor, optional
        Where the walks run; default :class:`~.executor.ThreadExecutor`.
    device : {"cpu", "cuda", "auto"}, default "cpu"
        ``"cuda"``: the walks run on an NVIDIA GPU, one thread per walk
        (:class:`~.batch.BatchExecutor` with ``grouped=True``: each step, one
        batch per shape of walker state); ``"auto"``: the GPU when one is
        usable. A ValueError naming ``device`` says why no GPU can be used.
    batch : int, optional
        With a GPU: the number of walks (``workers`` is ignored; default 1024, 4 under the simulator).

    Returns
    -------
    MetaSearchResult
        Every format's best scheme, verified. Ctrl-C ends the run cleanly with what it found
        (``stopped == "interrupt"``), written to ``out`` and the checkpoint as after a normal end.

    Examples
    --------
    >>> res = meta_search("2..2", "ZT", time_limit=2, workers=1, rng=0, progress=False)
    >>> res.table()
    [('2x2x2', 7, 7)]
    """
    fmts = parse_formats(formats)
    ring = walk_ring(ring).value
    time_limit = check_real(time_limit, "time_limit", minimum=0.0, strict_minimum=True)
    workers = check_int(os.cpu_count() or 1 if workers is None else workers, "workers", minimum=1)
    meta_probability = check_real(meta_probability, "meta_probability", minimum=0.0, maximum=1.0)
    f2_walks = check_bool(f2_walks, "f2_walks")
    descents = check_bool(descents, "descents")
    stays = check_bool(stays, "stays")
    settings = SearchSettings.resolve("pool", ring, chunk=chunk, split=split)
    # the folders are checked (and made) before any work, so that the run's results have somewhere to go
    if out is not None:
        out = output_folder(out, "out")
    if checkpoint is not None:
        checkpoint = Path(check_instance(checkpoint, "checkpoint", (str, os.PathLike)))
        if checkpoint.is_dir():
            raise ValueError(f"checkpoint: {checkpoint} is a folder, expected a checkpoint file")
        output_folder(checkpoint.parent, "checkpoint")
    if on_improve is not None and not callable(on_improve):
        raise TypeError(f"on_improve: expected a callable, got {type(on_improve).__name__}")
    if use_gpu(device, executor):
        # walkers change format and kind: each step walks one batch per shape of walker state
        executor = BatchExecutor("cuda", grouped=True)
        workers = check_int(batch, "batch", minimum=1) if batch is not None else (4 if simulator() else 1024)
    elif batch is not None:
        raise ValueError("batch: the number of GPU walks; give it with device='cuda' (or 'auto' on a GPU)")
    executor = ThreadExecutor() if executor is None else check_instance(executor, "executor", Executor)
    root = seed_sequence(rng)

    pool = SchemePool(1)
    naive = {f: naive_scheme("gg", f, ring) for f in fmts}
    for s in naive.values():
        pool.offer(s, verified=True)
    used = 0.0
    if checkpoint is not None and checkpoint.exists():
        used, saved = _read_checkpoint(checkpoint, ring)
        for s in saved:
            s = canonical(s)
            if tuple(s.n) in naive and s.code == "gg":
                pool.offer(s)              # verifies
    if start is not None:
        for s in _starting_schemes(start, ring, fmts):
            pool.offer(s, verified=True)
    remaining = time_limit - used
    if remaining <= 0:
        raise ValueError(f"time_limit: the budget of {time_limit:g} s is used up ({used:.1f} s in {checkpoint})")

    seeds = [ss.spawn(2) for ss in root.spawn(workers)]
    margin = settings.margin + 8
    walkers = []
    for i in range(workers):
        f = fmts[i % len(fmts)]
        start = pool.schemes(Format("gg", f, naive[f].ring))[0]
        walkers.append(Walker(start, np.random.default_rng(seeds[i][0]), headroom=margin + naive[f].rank - start.rank))

    def improved(s: Scheme) -> None:
        if out is not None:
            save_scheme(s, out, provenance=provenance("meta flip graph", seed=rng, seconds=used + coord.seconds))
        if on_improve is not None:
            on_improve(s)

    def best_schemes(coord):
        return [pool.schemes(coord.key(f))[0] for f in fmts]

    def write_checkpoint(coord) -> None:
        _write_checkpoint(checkpoint, ring, fmts, used + coord.seconds, best_schemes(coord))

    warm_up(walkers, executor, plateau=settings.plateau, margin=settings.margin)
    table = MetaTable(progress, checkpoint, write_checkpoint)
    coord = MetaCoordinator(fmts, ring, pool, settings, [np.random.default_rng(s[1]) for s in seeds],
                            meta_probability=meta_probability, time_limit=remaining, on_improve=improved,
                            monitor=table, f2_walks=f2_walks, descents=descents, stays=stays)
    pool.t0 = coord.t0
    if drive(executor, walkers, coord):
        coord.stopped_by = "interrupt"
    seconds = coord.seconds
    best = {f: checked(s) for f, s in zip(fmts, best_schemes(coord))}
    if checkpoint is not None:
        _write_checkpoint(checkpoint, ring, fmts, used + seconds, list(best.values()))
    if out is not None:
        for s in best.values():
            save_scheme(s, out, provenance=provenance("meta flip graph", seed=rng, seconds=used + seconds,
                                                      flips=coord.flips, stints=coord.scheduler.summary()))
    if progress:
        MetaTable.show(coord)
    stopped = coord.stopped_by or ("known" if coord.all_done() else "time")
    return MetaSearchResult(best=best, known=dict(coord.known), ring=ring, seconds=seconds,
                            seconds_total=used + seconds, flips=coord.flips, stopped=stopped,
                            moves=Counter(coord.taken), visited=[set(v) for v in coord.visited],
                            history=list(coord.history), lifted=coord.lifted, stints=coord.scheduler.summary())


__all__ = ["MetaCoordinator", "MetaSearchResult", "canonical", "known_target", "meta_search", "parse_formats"]
