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
- ``merge``: two stored schemes side by side along a dimension.

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

import itertools
import json
import os
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..fields.rings import as_ring
from ..schemes.io import SchemeFileError, atomic_write_text, load_scheme, save_scheme, scheme_from_dict, scheme_to_json
from ..schemes.known_ranks import known_rank
from ..schemes.meta_moves import extend, merge, product, project
from ..schemes.packed import MAX_PACKED
from ..schemes.scheme import Scheme
from ..schemes.standard import naive_scheme
from ..schemes.transforms import permute
from ..validation import check_choice, check_instance, check_int, check_real
from .executor import Executor, RunState, StepReport, StepRequest, ThreadExecutor
from .pool import SchemePool, checked
from .search import _seed_sequence, over_ring
from .settings import SearchSettings
from .walker import Walker

RINGS = ("F2", "F3", "ZT")
KINDS = ("restart", "project", "extend", "product", "merge")
#: Seconds between two checkpoints, and between two tables on stderr.
CHECKPOINT_SECONDS = 5.0
TABLE_SECONDS = 10.0
#: Meta moves tried at most after one improvement (see :meth:`MetaCoordinator.offer_and_spread`).
SPREAD_LIMIT = 64
_ORDERS = tuple(itertools.permutations(range(3)))


# ----------------------------------------------------------------------------- formats
def _label(n) -> str:
    return "x".join(map(str, n))


def parse_formats(formats) -> list[tuple]:
    """The gg formats of a meta search, each as sorted sizes ``(n1, n2, n3)``, in order, without repeats.

    Parameters
    ----------
    formats : str or sequence
        ``"2..5"``: every ``n1 <= n2 <= n3`` with sizes in 2..5 (20 formats);
        ``"2x2x3,3x3x3"``: a comma list; or a sequence of such strings or of
        size triples. Every ordering of a format is the same format.

    Examples
    --------
    >>> len(parse_formats("2..5")), parse_formats("3x2x2,2x2x3, 2x2x2")
    (20, [(2, 2, 3), (2, 2, 2)])
    """
    if isinstance(formats, str):
        text = formats.strip()
        if ".." in text:
            lo, _, hi = text.partition("..")
            try:
                lo, hi = int(lo), int(hi)
            except ValueError:
                raise ValueError(f"formats: expected a range like '2..5' or a list like '2x2x3,3x3x3', "
                                 f"got {formats!r}") from None
            if not 1 <= lo <= hi:
                raise ValueError(f"formats: expected a range lo..hi with 1 <= lo <= hi, got {formats!r}")
            items = list(itertools.combinations_with_replacement(range(lo, hi + 1), 3))
        else:
            items = [t for t in text.split(",") if t.strip()]
    else:
        try:
            items = list(formats)
        except TypeError:
            raise TypeError(f"formats: expected a string or a sequence of formats, got {type(formats).__name__}") from None
    out: list[tuple] = []
    for item in items:
        if isinstance(item, str):
            parts = item.strip().lower().split("x")
            try:
                n = tuple(int(p) for p in parts)
            except ValueError:
                raise ValueError(f"formats: expected a format like '2x3x4', got {item!r}") from None
        else:
            try:
                n = tuple(check_int(x, "formats") for x in item)
            except TypeError:
                raise TypeError(f"formats: expected a format like '2x3x4' or (2, 3, 4), got {item!r}") from None
        if len(n) != 3 or min(n) < 1:
            raise ValueError(f"formats: expected three positive sizes, got {item!r}")
        n = tuple(sorted(n))
        if n[1] * n[2] > MAX_PACKED:
            raise ValueError(f"formats: {_label(n)} has factors of more than {MAX_PACKED} coefficients")
        if n not in out:
            out.append(n)
    if not out:
        raise ValueError(f"formats: expected at least one format, got {formats!r}")
    return out


def _sorted_order(n) -> tuple:
    """The ordering that sorts ``n``: ``permute(s, order)`` has sizes ``sorted(n)``."""
    return tuple(sorted(range(3), key=lambda i: n[i]))


def canonical(scheme: Scheme) -> Scheme:
    """``scheme`` permuted to its sorted format ``n1 <= n2 <= n3`` (itself when already sorted)."""
    order = _sorted_order(scheme.n)
    return scheme if order == (0, 1, 2) else permute(scheme, order)


def known_target(n, ring: str) -> int | None:
    """The best known rank a meta search aims at: that of ``ring`` (Z for F3: any Z scheme reduces mod 3)."""
    return known_rank("gg", n, "Z" if ring == "F3" else ring)


# ----------------------------------------------------------------------------- meta moves
@dataclass(frozen=True)
class _Move:
    """A meta move between formats: sources (sorted formats, with the ordering each is used in) and result."""

    kind: str
    sources: tuple          # ((format, order), ...)
    axis: int               # project / extend / merge: the dimension
    result: tuple           # sorted format

    def apply(self, pool: SchemePool, key, rng) -> Scheme:
        schemes = [permute(pool.pick(key(f), rng), o) for f, o in self.sources]
        if self.kind == "project":
            s = project(schemes[0], self.axis, int(rng.integers(schemes[0].n[self.axis])))
        elif self.kind == "extend":
            s = extend(schemes[0], self.axis)
        elif self.kind == "product":
            s = product(*schemes)
        else:
            s = merge(*schemes, self.axis)
        return canonical(s)


def _moves(formats) -> dict[str, list[_Move]]:
    """Every meta move between the target formats (the results of project, extend, product and merge)."""
    targets = set(formats)
    moves: dict[str, list] = {k: [] for k in KINDS[1:]}
    ident = (0, 1, 2)
    for f in formats:
        for axis in range(3):
            small = list(f)
            small[axis] -= 1
            if small[axis] >= 1 and tuple(sorted(small)) in targets:
                moves["project"].append(_Move("project", ((f, ident),), axis, tuple(sorted(small))))
            big = list(f)
            big[axis] += 1
            if tuple(sorted(big)) in targets:
                moves["extend"].append(_Move("extend", ((f, ident),), axis, tuple(sorted(big))))
    for f, g in itertools.product(formats, repeat=2):
        seen = set()
        for o in _ORDERS:
            h = tuple(g[i] for i in o)
            if h in seen:
                continue
            seen.add(h)
            n = tuple(sorted(a * b for a, b in zip(f, h)))
            if n in targets:
                moves["product"].append(_Move("product", ((f, (0, 1, 2)), (g, o)), 0, n))
            for axis in range(3):
                if all(f[q] == h[q] for q in range(3) if q != axis):
                    n = list(f)
                    n[axis] += h[axis]
                    if tuple(sorted(n)) in targets:
                        moves["merge"].append(_Move("merge", ((f, (0, 1, 2)), (g, o)), axis, tuple(sorted(n))))
    return moves


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
    history : list of (seconds, format, rank)
        Each improvement of a format's best rank.
    """

    best: dict
    known: dict
    ring: str
    seconds: float
    seconds_total: float
    flips: int
    stopped: str
    moves: Counter = field(default_factory=Counter)
    visited: list = field(default_factory=list)
    history: list = field(default_factory=list)

    def table(self) -> list[tuple]:
        """Rows ``(format, ours, known)``, e.g. ``("2x2x2", 7, 7)``."""
        return [(_label(n), s.rank, self.known.get(n)) for n, s in self.best.items()]

    @property
    def matched(self) -> int:
        """Formats at or below their known rank."""
        return sum(1 for _, ours, known in self.table() if known is not None and ours <= known)

    def summary(self) -> dict:
        return {"ring": self.ring, "formats": len(self.best), "matched": self.matched,
                "seconds": round(self.seconds, 3), "seconds_total": round(self.seconds_total, 3),
                "flips": self.flips, "stopped": self.stopped, "moves": dict(self.moves),
                "table": [list(row) for row in self.table()]}


# ----------------------------------------------------------------------------- coordinator
class MetaCoordinator(RunState):
    """Shared state and decisions of a meta search (thread-safe; the executor's coordinator).

    Parameters
    ----------
    formats : list of tuple
        Sorted target formats.
    ring : str
    pool : SchemePool
        Holds every format's best (in sorted order).
    settings : SearchSettings
    rngs : list of numpy.random.Generator
        One per walker, for its meta-move decisions.
    meta_probability : float
    time_limit : float
        Seconds of this run.
    on_improve : callable, optional
        ``on_improve(scheme)``, from a worker thread, for each new best of a format.
    monitor : callable, optional
        ``monitor(coordinator)``, called by :meth:`tick`.
    """

    def __init__(self, formats, ring, pool, settings, rngs, *, meta_probability, time_limit, on_improve=None,
                 monitor=None):
        self.formats = list(formats)
        self.ring = ring
        self.ring_value = as_ring(ring)
        self.pool = pool
        self.settings = settings
        self.rngs = rngs
        self.meta_probability = meta_probability
        self.time_limit = time_limit
        self.on_improve = on_improve
        self.monitor = monitor
        self.known = {f: known_target(f, ring) for f in self.formats}
        self.moves = _moves(self.formats)
        # the moves that take a format's scheme somewhere else, by source format
        self.spread = {f: [m for ms in self.moves.values() for m in ms if any(g == f for g, _ in m.sources)]
                       for f in self.formats}
        self.spread_rng = np.random.default_rng(rngs[0].integers(2**63)) if rngs else np.random.default_rng()
        n = len(rngs)
        self.current = [self.formats[i % len(self.formats)] for i in range(n)]
        self.visited = [{f} for f in self.current]
        self.pending: list = [None] * n
        self.my_best = [None] * n
        self.last_best_flips = [0] * n
        self.taken: Counter = Counter()
        self.history: list = []
        self.flips = 0
        self.stopped_by: str | None = None
        self._lock = threading.Lock()
        self._start_run()

    # ------------------------------------------------------------------ state
    def key(self, f) -> tuple:
        """The pool key of sorted format ``f``."""
        return ("gg", f, self.ring_value)

    def best_rank(self, f) -> int:
        return self.pool.best_rank(self.key(f))

    def done(self, f) -> bool:
        k = self.known[f]
        return k is not None and self.best_rank(f) <= k

    def all_done(self) -> bool:
        return any(k is not None for k in self.known.values()) and all(
            self.done(f) for f in self.formats if self.known[f] is not None)

    def tick(self) -> None:
        super().tick()
        if self.all_done():
            self.stopped_by = self.stopped_by or "known"
            self.stop()
        elif self.seconds >= self.time_limit:
            self.stopped_by = self.stopped_by or "time"
            self.stop()

    # ------------------------------------------------------------------ pool
    def offer(self, scheme: Scheme, verified: bool) -> bool:
        """Offer a scheme of a target format (sorted); on a new best, record it and call ``on_improve``."""
        with self._lock:
            flips = self.flips
        if not self.pool.offer(scheme, flips=flips, verified=verified):
            return False
        f = tuple(scheme.n)
        with self._lock:
            self.history.append((self.seconds, f, scheme.rank))
        if self.on_improve is not None:
            self.on_improve(scheme)
        return True

    def offer_and_spread(self, scheme: Scheme, verified: bool) -> bool:
        """:meth:`offer`; on a new best, offer at once what every meta move from it gives (and so on,
        up to ``SPREAD_LIMIT`` moves): Strassen's 7 makes 2x2x4 rank 14 and 4x4x4 rank 49 without a walk."""
        if not self.offer(scheme, verified):
            return False
        queue, tried = [tuple(scheme.n)], 0
        while queue and tried < SPREAD_LIMIT and not self._stop.is_set():
            f = queue.pop(0)
            for m in self.spread[f]:
                if self.done(m.result) or tried >= SPREAD_LIMIT:
                    continue
                tried += 1
                s = m.apply(self.pool, self.key, self.spread_rng)
                if s.rank < self.best_rank(m.result) and self.offer(checked(s), verified=True):
                    queue.append(m.result)
        return True

    # ------------------------------------------------------------------ requests
    def _request(self, i: int) -> StepRequest | None:
        if self._stop.is_set():
            return None
        s = self.settings
        f = self.current[i]
        best = self.best_rank(f)
        req = StepRequest.walking(s, self.known[f] or 0, stop_below=best, report_below=best)
        req.load, self.pending[i] = self.pending[i], None
        return req

    def first(self, i: int) -> StepRequest | None:
        return self._request(i)

    def receive(self, i: int, rep: StepReport) -> StepRequest | None:
        """Merge walker ``i``'s report; choose its next start (a meta move, the pool, or its own path)."""
        with self._lock:
            self.flips += rep.flips
        if rep.best is not None:
            self.offer_and_spread(rep.best, verified=True)
        progressed = self.my_best[i] is None or rep.best_rank < self.my_best[i]
        if progressed:
            self.my_best[i] = rep.best_rank
            self.last_best_flips[i] = rep.total_flips
        rng = self.rngs[i]
        f = self.current[i]
        # a walker still descending keeps its format; a stalled one takes a meta move with some probability
        if self.done(f) or (not progressed and rng.random() < self.meta_probability):
            self._meta(i, rep, forced=self.done(f))
        else:
            s = self.settings
            behind = self.my_best[i] > self.best_rank(f) and rng.random() < s.follow
            stale = rep.total_flips - self.last_best_flips[i] > s.path_limit
            if behind or stale:
                self._load(i, self.pool.pick(self.key(f), rng), rep)
        if self.all_done():
            self.stopped_by = self.stopped_by or "known"
            self.stop()
        return self._request(i)

    def _load(self, i: int, scheme: Scheme, rep: StepReport) -> None:
        f = tuple(scheme.n)
        # a walker keeps its arrays for its own format: a scheme beyond its capacity is only offered
        if f == self.current[i] and scheme.rank + 2 > getattr(rep.walker, "cap", 1 << 30):
            return
        # a walker of another format is new: its flip counter starts at 0
        self.last_best_flips[i] = rep.total_flips if f == self.current[i] else 0
        self.pending[i] = scheme
        self.current[i] = f
        self.visited[i].add(f)
        self.my_best[i] = scheme.rank

    def _meta(self, i: int, rep: StepReport, forced: bool) -> None:
        """One meta move for walker ``i`` towards a format not at its known rank: from or to its own
        format, or (``forced``: its format is done) from anywhere; a restart goes to a random such format."""
        rng = self.rngs[i]
        f = self.current[i]
        open_ = [g for g in self.formats if not self.done(g)]
        if forced and not open_:
            return
        choices = open_ or self.formats
        for kind in rng.permutation(KINDS):
            if kind == "restart":
                g = choices[int(rng.integers(len(choices)))]
                move = None
            else:
                # moves towards a format not yet at its known rank; unless forced, from or to this one
                cands = [m for m in self.moves[kind] if not self.done(m.result)]
                if not forced:
                    cands = [m for m in cands if m.result == f or any(src == f for src, _ in m.sources)]
                if not cands:
                    continue
                move = cands[int(rng.integers(len(cands)))]
            if move is None:
                scheme = self.pool.pick(self.key(g), rng)
            else:
                scheme = checked(move.apply(self.pool, self.key, rng))
                self.offer_and_spread(scheme, verified=True)
            with self._lock:
                self.taken[str(kind)] += 1
            self._load(i, scheme, rep)
            return


# ----------------------------------------------------------------------------- monitor
class _Table:
    """The live table on stderr and the checkpoints, run by the executor's calling thread."""

    def __init__(self, progress, checkpoint, write_checkpoint):
        self.progress = progress
        self.checkpoint = checkpoint
        self.write_checkpoint = write_checkpoint
        self.last_table = 0.0
        self.last_checkpoint = 0.0

    def __call__(self, coord: MetaCoordinator) -> None:
        t = coord.seconds
        if self.progress and t - self.last_table >= TABLE_SECONDS:
            self.last_table = t
            self.show(coord)
        if self.checkpoint is not None and t - self.last_checkpoint >= CHECKPOINT_SECONDS:
            self.last_checkpoint = t
            self.write_checkpoint(coord)

    @staticmethod
    def show(coord: MetaCoordinator) -> None:
        cells = []
        for f in coord.formats:
            ours, known = coord.best_rank(f), coord.known[f]
            mark = "*" if known is not None and ours <= known else " "
            cells.append(f"{_label(f):>7} {ours:>4}/{'-' if known is None else known:<4}{mark}")
        done = sum(coord.done(f) for f in coord.formats)
        lines = [f"meta {coord.ring}: {coord.seconds:7.1f} s, {coord.flips:,} flips, "
                 f"{done}/{len(coord.formats)} at the known rank (ours/known, * reached)"]
        lines += ["  ".join(cells[k:k + 5]) for k in range(0, len(cells), 5)]
        print("\n".join(lines), file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- checkpoint
def _read_checkpoint(path: Path, ring: str) -> tuple[float, list[Scheme]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        used = float(data["seconds_used"])
        if data.get("ring") != ring:
            raise ValueError(f"checkpoint: {path} is for ring {data.get('ring')!r}, the search for {ring!r}")
        schemes = [scheme_from_dict(d, source=str(path)) for d in data["schemes"]]
    except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"checkpoint: cannot read {path}: {exc}") from None
    return used, schemes


def _write_checkpoint(path: Path, ring: str, formats, seconds_used: float, schemes) -> None:
    data = {"kind": "meta search", "ring": ring, "formats": [_label(f) for f in formats],
            "seconds_used": seconds_used, "schemes": [json.loads(scheme_to_json(s)) for s in schemes]}
    atomic_write_text(path, json.dumps(data))


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
                start=None, meta_probability=0.1, chunk=None, split=None, progress=True, on_improve=None,
                executor=None) -> MetaSearchResult:
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
        Folder: each new best of a format is written there (``save_scheme``),
        and every format's best at the end.
    checkpoint : str or Path, optional
        JSON file written atomically every few seconds and at the end (every
        format's best and the seconds used); when it exists, the search
        resumes from it with the time left.
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
    progress : bool
        Print the table of best ranks against the known ranks on stderr every few seconds.
    on_improve : callable, optional
        Called with each new best scheme of a format (verified), from a worker thread.
    executor : Executor, optional
        Where the walks run; default :class:`~.executor.ThreadExecutor`.

    Returns
    -------
    MetaSearchResult
        On Ctrl-C the search stops cleanly and returns what it found
        (``stopped == "interrupt"``).

    Examples
    --------
    >>> res = meta_search("2..2", "ZT", time_limit=2, workers=1, rng=0, progress=False)
    >>> res.table()
    [('2x2x2', 7, 7)]
    """
    fmts = parse_formats(formats)
    ring = check_choice(ring, "ring", RINGS)
    time_limit = check_real(time_limit, "time_limit", minimum=0.0, strict_minimum=True)
    workers = check_int(os.cpu_count() or 1 if workers is None else workers, "workers", minimum=1)
    meta_probability = check_real(meta_probability, "meta_probability", minimum=0.0, maximum=1.0)
    settings = SearchSettings.resolve("pool", chunk=chunk, split=split)
    if out is not None:
        out = Path(check_instance(out, "out", (str, os.PathLike)))
    if checkpoint is not None:
        checkpoint = Path(check_instance(checkpoint, "checkpoint", (str, os.PathLike)))
    if on_improve is not None and not callable(on_improve):
        raise TypeError(f"on_improve: expected a callable, got {type(on_improve).__name__}")
    executor = ThreadExecutor() if executor is None else check_instance(executor, "executor", Executor)
    root = _seed_sequence(rng, None)

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

    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    seeds = [ss.spawn(2) for ss in root.spawn(workers)]
    margin = settings.margin + 8
    walkers = []
    for i in range(workers):
        f = fmts[i % len(fmts)]
        start = pool.schemes(("gg", f, naive[f].ring))[0]
        walkers.append(Walker(start, np.random.default_rng(seeds[i][0]), headroom=margin + naive[f].rank - start.rank))
    for w in walkers:                   # compile (or load the cache) before the clock starts
        w.walk(1, plateau=settings.plateau, margin=settings.margin)

    def improved(s: Scheme) -> None:
        if out is not None:
            save_scheme(s, out, provenance={"method": "meta flip graph", "seed": rng if isinstance(rng, int) else None,
                                            "seconds": round(used + coord.seconds, 3)})
        if on_improve is not None:
            on_improve(s)

    def best_schemes(coord):
        return [pool.schemes(coord.key(f))[0] for f in fmts]

    def write_checkpoint(coord) -> None:
        _write_checkpoint(checkpoint, ring, fmts, used + coord.seconds, best_schemes(coord))

    table = _Table(progress, checkpoint, write_checkpoint)
    coord = MetaCoordinator(fmts, ring, pool, settings, [np.random.default_rng(s[1]) for s in seeds],
                            meta_probability=meta_probability, time_limit=remaining, on_improve=improved,
                            monitor=table)
    pool.t0 = coord.t0
    try:
        executor.run(walkers, coord)
    except KeyboardInterrupt:
        coord.stopped_by = "interrupt"
    seconds = coord.seconds
    if coord.error is not None:
        raise coord.error
    best = {f: checked(s) for f, s in zip(fmts, best_schemes(coord))}
    if checkpoint is not None:
        _write_checkpoint(checkpoint, ring, fmts, used + seconds, list(best.values()))
    if out is not None:
        for s in best.values():
            save_scheme(s, out, provenance={"method": "meta flip graph", "seconds": round(used + seconds, 3)})
    if progress:
        _Table.show(coord)
    stopped = coord.stopped_by or ("known" if coord.all_done() else "time")
    return MetaSearchResult(best=best, known=dict(coord.known), ring=ring, seconds=seconds,
                            seconds_total=used + seconds, flips=coord.flips, stopped=stopped,
                            moves=Counter(coord.taken), visited=[set(v) for v in coord.visited],
                            history=list(coord.history))


__all__ = ["MetaCoordinator", "MetaSearchResult", "canonical", "known_target", "meta_search", "parse_formats"]
