"""Table campaigns: every entry of the structured-product table, searched, lifted and written to the catalogue.

The literature table (:mod:`linalg_lab.schemes.known_ranks`) holds the
structured products of Khoruzhii, Gelss & Pokutta [1]_ with their best ranks
over Z and over Q (:func:`~linalg_lab.schemes.structured_table.structured_entries`).
:func:`run_table` walks through them, or a selection (codes, sizes, columns),
one *target* at a time:

- the Z column: a flip-graph walk over F2 to the paper's Z rank, the scheme
  lifted to Z (:func:`linalg_lab.lifting.lift`: Hensel lifting, the sign search
  as last resort); an F2 scheme with no lift sends the next try to a walk over
  Z_T (exact over Z as it is), then back to F2 with the next seed. The F2 try
  gets at most half the target's budget, so the Z_T walk has its turn even
  when the F2 walk stalls above the rank; once an F2 scheme at the rank is
  proved to have no lift (no solution modulo 4), later F2 tries walk no longer
  than that walk took to reach the rank, and the Z_T walks get the rest;
- the Q column, where the paper's Q rank is below its Z rank (those schemes need
  1/2): a walk over F3 to the Q rank, lifted to Q.

Every walk is :func:`~linalg_lab.flipgraph.search` with its defaults (the
autopilot picks strategies when the walk stalls): the table's file sets only a
time budget per target, the number of walkers and a seed. A verified scheme at
the paper's rank is written to ``catalogue/<code>/`` with the standard name
``<code>-<n1>x<n2>x<n3>-r<rank>-<ring>.json`` (:func:`~linalg_lab.schemes.io.store_scheme`:
verified, atomic, no file replaced) and a provenance holding the seed, the
whole time the target took (searches, lifts and retries over all resumes) and
what was tried. A target whose budget runs out leaves its best lift there when
it beats what the catalogue holds (replaced later by a better one of this
table; no other file is ever touched).

The run is resumable: a target the catalogue already holds at the paper's rank
is skipped; a state file (JSON, written atomically every ``checkpoint_interval``
seconds and after every target) records each target's status, the time it used
and its tries, so a run killed at any moment (kill -9) resumes with the time
left; Ctrl-C (and SIGTERM under ``linalg-lab table``) stops the current walk,
lifts and writes what it found, and saves the state.

Example table file (``search/structured.toml``)::

    [table]
    # codes = ["kg", "ss"]      # optional: these codes only (default: every structured code)
    # sizes = [2, 3]            # optional: n of n x n x n, or "3x3x3" (default: every size)
    # columns = ["Z", "Q"]      # optional (default both; Q only where the paper's Q < Z)
    # known = "known.csv"       # optional: another literature table (same CSV format)

    [search]
    time_budget = { 2 = 60, 3 = 60, 4 = 300, 5 = 600 }   # seconds per target (or one number for all)
    workers = 2
    seed = 1

    [output]
    catalogue = "../schemes"             # relative to this file
    state = "runs/structured/state.json"
    checkpoint_interval = 5
    index = true                         # rewrite catalogue/README.md after a run that wrote files

References
----------
.. [1] K. Khoruzhii, P. Gelss and S. Pokutta, "Faster algorithms for structured
   matrix multiplication via flip graph search", 2025.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..schemes.catalogue import catalogue_best, write_catalogue_index
from ..schemes.io import atomic_write_text, output_folder, store_scheme
from ..schemes.structured_table import COLUMN_RINGS, structured_entries
from ..tensors.codes import parse_sizes
from ..validation import check_bool, check_instance, check_int, check_real
from .run_file import check_sections, read_toml
from .run_setup import provenance
from .search import search

__all__ = ["TableConfig", "TableFileError", "TableResult", "TableTarget", "load_table", "run_table", "table_targets"]

STATE_KIND = "structured table"
#: The rings walked for each column, in turn (try k walks PLAN[column][k % len]); lifted to the column's ring.
PLAN = {"Z": ("F2", "ZT"), "Q": ("F3",)}
#: Below this many seconds left a target gets no new try.
MIN_TRY = 0.5


class TableFileError(ValueError):
    """A table file that cannot be run; the message names the file, the section and the key."""


@dataclass(frozen=True)
class TableTarget:
    """One target of a table campaign: an entry of the structured table and a column (``"Z"`` or ``"Q"``)."""

    code: str
    n: tuple
    column: str
    rank: int
    budget: float

    @property
    def key(self) -> str:
        """``"kg-3x3x3-Z"``: the target's key in the state file."""
        return f"{self.code}-{'x'.join(map(str, self.n))}-{self.column}"

    @property
    def label(self) -> str:
        return f"{self.code} {'x'.join(map(str, self.n))} {self.column} {self.rank}"


@dataclass
class TableConfig:
    """A parsed table file (paths resolved against the file's folder)."""

    path: Path
    codes: tuple | None
    sizes: tuple | None
    columns: tuple
    known: Path | None
    budget: object                 # float, or {n: float}
    workers: int | None
    seed: int
    catalogue: Path
    state: Path
    checkpoint_interval: float
    index: bool = True


@dataclass
class TableResult:
    """What a table run did.

    Attributes
    ----------
    targets : list of TableTarget
        The targets selected (Z column per entry; Q column where the paper's Q is below its Z).
    records : dict
        ``{target key: record}``: the state file's record of each selected target
        (``status``: ``"reached"``, ``"held"`` (the catalogue had it), ``"budget spent"``,
        ``"interrupted"``; ``seconds`` used over all runs; ``rank``; ``file``; ``tries``).
    reached : dict
        ``{"Z": k, "Q": k}``: selected entries (code and size) the catalogue holds at the
        paper's rank over Z and over Q after the run, whoever found them (a Z file counts for Q).
    entries : int
        Selected entries (code and size).
    found : int
        Targets reached by this run.
    skipped : int
        Targets skipped because the catalogue held them at the paper's rank when the run came to them.
    seconds : float
        Wall time of this run.
    interrupted : bool
    state : Path
    written : list of Path
        Scheme files this run wrote into the catalogue.
    """

    targets: list
    records: dict
    reached: dict
    entries: int
    found: int
    skipped: int
    seconds: float
    interrupted: bool
    state: Path
    written: list = field(default_factory=list)

    @property
    def not_reached(self) -> list:
        """The targets neither reached nor held."""
        return [t for t in self.targets if self.records.get(t.key, {}).get("status") not in ("reached", "held")]

    def summary(self) -> dict:
        """The counts printed as the final JSON line of ``linalg-lab table``."""
        return {"entries": self.entries, "targets": len(self.targets), "reached": dict(self.reached),
                "found": self.found, "skipped": self.skipped,
                "not_reached": [t.label for t in self.not_reached], "written": [str(p) for p in self.written],
                "seconds": round(self.seconds, 3), "interrupted": self.interrupted, "state": str(self.state)}


# ----------------------------------------------------------------------------- the file
def _codes(value, name):
    codes = check_instance(value, name, list, "a list of tensor codes such as [\"kg\", \"ss\"]")
    known = {e.code for e in structured_entries()}
    for c in codes:
        if not isinstance(c, str) or c.lower() not in known:
            raise ValueError(f"{name}: expected codes of the structured table ({', '.join(sorted(known))}), got {c!r}")
    return tuple(dict.fromkeys(c.lower() for c in codes))


def _size(value, name):
    if isinstance(value, str):
        try:
            return tuple(parse_sizes(value))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: expected a size n or 'n1xn2xn3', got {value!r} ({exc})") from None
    n = check_int(value, name, minimum=1)
    return (n, n, n)


def _sizes(value, name):
    check_instance(value, name, list, "a list of sizes (n, or \"n1xn2xn3\")")
    if not value:
        raise ValueError(f"{name}: expected at least one size, got []")
    return tuple(dict.fromkeys(_size(v, name) for v in value))


def _columns(value, name):
    check_instance(value, name, list, "a list of columns, [\"Z\", \"Q\"] or a part of it")
    out = []
    for c in value:
        if not isinstance(c, str) or c.upper() not in ("Z", "Q"):
            raise ValueError(f"{name}: expected \"Z\" or \"Q\", got {c!r}")
        out.append(c.upper())
    if not out:
        raise ValueError(f"{name}: expected at least one column, got []")
    return tuple(dict.fromkeys(out))


def _budget(value, name):
    if isinstance(value, dict):
        if not value:
            raise ValueError(f"{name}: expected seconds per size, got an empty table")
        out = {}
        for k, v in value.items():
            try:
                n = int(k)
            except ValueError:
                raise ValueError(f"{name}: expected sizes n as keys ({{ 2 = 60, 3 = 120 }}), got {k!r}") from None
            if n < 1:
                raise ValueError(f"{name}: expected sizes n >= 1 as keys, got {k!r}")
            out[n] = check_real(v, f"{name}.{k}", minimum=0.0, strict_minimum=True)
        return out
    return check_real(value, name, minimum=0.0, strict_minimum=True)


def _path(value, name):
    value = check_instance(value, name, str, "a path (a string)")
    if not value.strip():
        raise ValueError(f"{name}: expected a path, got an empty string")
    return value


#: How each key of a table file is checked: section -> key -> (required, check(value, name)).
RULES = {
    "table": {
        "codes": (False, _codes),
        "sizes": (False, _sizes),
        "columns": (False, _columns),
        "known": (False, _path),
    },
    "search": {
        "time_budget": (True, _budget),
        "workers": (False, lambda v, n: check_int(v, n, minimum=1)),
        "seed": (False, lambda v, n: check_int(v, n, minimum=0)),
    },
    "output": {
        "catalogue": (True, _path),
        "state": (False, _path),
        "checkpoint_interval": (False, lambda v, n: check_real(v, n, minimum=0.0, strict_minimum=True)),
        "index": (False, lambda v, n: check_bool(v, n)),
    },
}


def load_table(path_or_config, *, base=None) -> TableConfig:
    """Read and check a table file (or the same content as a dict).

    Every section and key must be known (:data:`RULES`) and every value of the
    right type and range; the message of the error names the file, the section
    and the key (``t.toml: [search] time_budget: expected a finite number > 0.0, got -1.0``).

    Parameters
    ----------
    path_or_config : str, Path or dict
        A TOML file, or its parsed content (then paths are relative to ``base``,
        default the current folder, and messages name ``<dict>``).

    Raises
    ------
    TableFileError
        A ``ValueError``.

    Examples
    --------
    >>> c = load_table({"search": {"time_budget": 5}, "output": {"catalogue": "schemes"}})
    >>> c.columns, c.budget, c.state.name
    (('Z', 'Q'), 5.0, 'state.json')
    >>> load_table({"search": {"time_budget": 5, "sead": 1}, "output": {"catalogue": "schemes"}})
    Traceback (most recent call last):
        ...
    linalg_lab.flipgraph.table_campaign.TableFileError: <dict>: [search] unknown key(s) sead (known: time_budget, workers, seed)
    """
    if isinstance(path_or_config, dict):
        data, path = path_or_config, Path("<dict>")
        root = Path(base) if base is not None else Path.cwd()
    else:
        path = Path(check_instance(path_or_config, "path_or_config", (str, Path), "a path or a dict"))
        root = None

    def fail(msg):
        raise TableFileError(f"{path}: {msg}")

    if root is None:
        data = read_toml(path, fail)
        root = path.resolve().parent
    values = check_sections(data, RULES, fail, optional=("table",))
    known = root / values["known"] if "known" in values else None
    if known is not None:
        try:
            structured_entries(known)
        except (OSError, ValueError) as exc:
            fail(f"[table] known: {getattr(exc, 'strerror', None) or exc}")
    budget = values["time_budget"]
    if isinstance(budget, dict) and "sizes" in values:
        missing = [s for s in values["sizes"] if len(set(s)) != 1 or s[0] not in budget]
        if missing:
            fail(f"[search] time_budget: no budget for the selected size(s) "
                 f"{', '.join('x'.join(map(str, s)) for s in missing)} (keys are n of n x n x n)")
    return TableConfig(
        path=path, codes=values.get("codes"), sizes=values.get("sizes"), columns=values.get("columns", ("Z", "Q")),
        known=known, budget=budget, workers=values.get("workers"), seed=values.get("seed", 0),
        catalogue=Path(os.path.normpath(root / values["catalogue"])),
        state=Path(os.path.normpath(root / values.get("state", "runs/structured/state.json"))),
        checkpoint_interval=values.get("checkpoint_interval", 5.0), index=values.get("index", True))


def table_targets(config: TableConfig, *, codes=None, sizes=None, columns=None, time_budget=None) -> list[TableTarget]:
    """The targets a table file selects, narrowed by ``codes``, ``sizes`` and ``columns`` when given.

    The Z column is a target wherever the paper gives a Z rank; the Q column
    only where its Q rank is below the Z rank (otherwise the Z scheme is the
    Q one). ``time_budget`` replaces the file's budget for every target.

    Examples
    --------
    >>> c = load_table({"table": {"codes": ["kg"]}, "search": {"time_budget": {"3": 60}},
    ...                 "output": {"catalogue": "schemes"}})
    >>> [(t.label, t.budget) for t in table_targets(c)]
    [('kg 3x3x3 Z 15', 60.0), ('kg 3x3x3 Q 14', 60.0)]
    """
    codes = config.codes if codes is None else _codes(list(codes), "codes")
    sizes = config.sizes if sizes is None else _sizes(list(sizes), "sizes")
    columns = config.columns if columns is None else _columns(list(columns), "columns")
    if time_budget is not None:
        time_budget = check_real(time_budget, "time_budget", minimum=0.0, strict_minimum=True)
    out = []
    for e in structured_entries(config.known):
        if (codes is not None and e.code not in codes) or (sizes is not None and e.n not in sizes):
            continue
        if time_budget is not None:
            budget = time_budget
        elif isinstance(config.budget, dict):
            if len(set(e.n)) != 1 or e.n[0] not in config.budget:
                if sizes is not None:
                    raise ValueError(f"sizes: no time budget for {e.label} in {config.path} ([search] time_budget)")
                continue                  # sizes without a budget are not selected
            budget = config.budget[e.n[0]]
        else:
            budget = config.budget
        for column in columns:
            rank = e.target(column)
            if rank is None or (column == "Q" and e.z is not None and rank >= e.z):
                continue
            out.append(TableTarget(e.code, e.n, column, rank, budget))
    return out


# ----------------------------------------------------------------------------- the state file
def _read_state(config: TableConfig) -> dict:
    path = config.state
    if not path.exists():
        return {"kind": STATE_KIND, "table": config.path.name, "targets": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("kind") != STATE_KIND or not isinstance(data.get("targets"), dict):
            raise ValueError("not the state file of a table campaign")
    except (OSError, ValueError) as exc:
        raise TableFileError(f"{config.path}: [output] state: {path} cannot be resumed from "
                             f"(it is left as it is): {getattr(exc, 'strerror', None) or exc}") from None
    return data


def _write_state(config: TableConfig, state: dict) -> None:
    atomic_write_text(config.state, json.dumps(state, indent=1, sort_keys=True) + "\n")


def _held(catalogue: Path, t: TableTarget) -> int | None:
    """The lowest rank the catalogue holds over the target's ring (its files' names: a ZT or Z file counts over Z and Q)."""
    ranks = [catalogue_best(catalogue, t.code, t.n, ring) for ring in COLUMN_RINGS[t.column]]
    ranks = [r for r in ranks if r is not None]
    return min(ranks) if ranks else None


# ----------------------------------------------------------------------------- one target
def _to_column(scheme, column: str, seed: int):
    """The scheme over the column's ring: (scheme or None, message, seconds, proved) with ``proved`` True
    when the lift's failure is a proof (no solution modulo p^2)."""
    from ..lifting import lift

    t0 = time.perf_counter()
    if not scheme.ring.is_finite_field:                 # a Z_T walk: exact over Z as it is
        return scheme, f"walked over {scheme.ring} (exact over Z)", time.perf_counter() - t0, False
    res = lift(scheme, to=column, rng=seed)
    return (res.scheme if res.ok else None), res.message, time.perf_counter() - t0, bool(res.proved_none)


def _method(config: TableConfig, entry: dict, column: str, seconds: float, tries: int) -> str:
    ring = entry["ring"]
    how = "flip graph over Z_T" if ring == "ZT" else f"flip graph over {ring}, lifted to {column} ({entry.get('lift', '')})"
    return (f"structured table campaign {config.path.name} (seed {entry['seed']}, {seconds:.1f} s, "
            f"{tries} tr{'y' if tries == 1 else 'ies'}): {how}")


def _try_limit(left: float, k: int, rings: int) -> float:
    """Seconds for try ``k`` of a target with ``left`` seconds left and ``rings`` rings in its plan.

    The first pass over the plan shares what is left evenly among the rings not tried yet, so that a
    walk which stalls short of the rank (ss 4x4x4 over F2 at 33 for the whole 600 s) leaves the next
    ring its turn; after that pass a try may take all that is left (a try that reaches the rank and
    fails to lift ends early and passes the rest on).

    >>> _try_limit(600.0, 0, 2), _try_limit(300.0, 1, 2), _try_limit(100.0, 2, 2)
    (300.0, 300.0, 100.0)
    """
    return left / (rings - k) if k < rings else left


def _unliftable_cap(tries: list, ring: str, rank: int) -> float | None:
    """Seconds a new try over ``ring`` may walk, given the target's earlier ``tries``: None (no cap)
    unless an earlier try over that ring reached ``rank`` with a scheme proved to have no lift.

    Then the ring's walk reaches the rank but lands on schemes that do not lift (the skew codes' F2
    tensors at 5x5x5: five seeds of sw and two of kk, none lifting; wt and ww at 4x4x4): another seed
    may lift (sk 4x4x4 Z 26 came from a third F2 try), so it keeps a try, but no longer than the
    fastest such walk took to get there; the rest goes to the other rings of the plan.

    >>> _unliftable_cap([{"ring": "F2", "rank": 48, "lift_proved_none": True, "walk_seconds": 240.0}], "F2", 48)
    240.0
    >>> _unliftable_cap([{"ring": "F2", "rank": 49, "lift_proved_none": False, "walk_seconds": 300.0}], "F2", 48) is None
    True
    """
    walked = [e["walk_seconds"] for e in tries if e.get("ring") == ring and e.get("lift_proved_none")
              and e.get("rank", rank + 1) <= rank and e.get("walk_seconds") is not None]
    return max(min(walked), MIN_TRY) if walked else None


class _Target:
    """Runs one target: tries (walk, lift) until the paper's rank is reached or the budget is spent."""

    def __init__(self, config, t: TableTarget, record: dict, state: dict, progress: bool, log):
        self.c, self.t, self.rec, self.state = config, t, record, state
        self.progress, self.log = progress, log
        self.t0 = time.perf_counter()
        self.before = float(record.get("seconds", 0.0))
        self.last_write = self.t0

    def used(self) -> float:
        return self.before + (time.perf_counter() - self.t0)

    def save(self) -> None:
        self.rec["seconds"] = round(self.used(), 3)
        _write_state(self.c, self.state)
        self.last_write = time.perf_counter()

    def on_tick(self, stats, snapshot) -> None:
        self.rec["walk_rank"] = int(stats["rank"])
        if time.perf_counter() - self.last_write >= self.c.checkpoint_interval:
            self.save()

    def store(self, scheme, prov: dict) -> Path:
        folder = self.c.catalogue / self.t.code
        path, _ = store_scheme(scheme, folder, provenance=prov)
        rel = path.relative_to(self.c.catalogue).as_posix()
        # this table's earlier, worse files for the target go (never a file it did not write)
        keep = []
        for old in self.rec.get("written", []):
            p = self.c.catalogue / old
            if old != rel and _rank_of_name(p.name) is not None and _rank_of_name(p.name) > scheme.rank:
                p.unlink(missing_ok=True)
            elif old != rel:
                keep.append(old)
        self.rec["written"] = keep + [rel]
        self.rec["file"] = rel
        self.rec["rank"] = scheme.rank
        return path

    def run(self) -> tuple[bool, Path | None, bool]:
        """(reached, file written or None, interrupted)."""
        t, rec = self.t, self.rec
        tries = rec.setdefault("tries", [])
        rec["status"] = "running"
        self.save()
        best = None                       # (rank, scheme over the column's ring, try record, SearchResult)
        interrupted = False
        while True:
            left = t.budget - self.used()
            if left < MIN_TRY:
                break
            k = len(tries)
            plan = PLAN[t.column]
            ring = plan[k % len(plan)]
            seed = self.c.seed + 1000 * k
            limit = _try_limit(left, k, len(plan))
            cap = _unliftable_cap(tries, ring, t.rank)
            entry = {"ring": ring, "seed": seed}
            if cap is not None and cap < limit:
                limit = entry["capped"] = cap
            tries.append(entry)
            started = time.perf_counter()
            res = search(t.code, t.n, ring, target_rank=t.rank, time_limit=limit,
                         rng=seed, workers=self.c.workers,
                         progress=self.progress, on_tick=self.on_tick, tick=1.0)
            entry.update(rank=res.rank, walk_seconds=round(res.seconds, 3), flips=res.flips, stopped=res.stopped)
            lifted, message, lift_s, proved = None, "", 0.0, False
            for s in res.schemes:                # keep=1: one scheme at the best rank
                lifted, message, lift_s, proved = _to_column(s, t.column, seed)
                if lifted is not None:
                    break
            entry.update(lift=message, lifted=lifted is not None, lift_proved_none=proved,
                         lift_seconds=round(lift_s, 3), seconds=round(time.perf_counter() - started, 3))
            if res.autopilot is not None and res.autopilot.get("engaged_at") is not None:
                entry["autopilot"] = {"engaged_at": res.autopilot.get("engaged_at"),
                                      "portfolio": res.autopilot.get("portfolio")}
            self.log(f"{t.label}: try {k + 1} over {ring} (seed {seed}) reached rank {res.rank} in "
                     f"{res.seconds:.1f} s ({res.stopped}); "
                     + (f"over {lifted.ring}: {message}" if lifted is not None else f"no lift: {message}"))
            if lifted is not None and (best is None or lifted.rank < best[0]):
                best = (lifted.rank, lifted, entry, res)
            self.save()
            if res.stopped == "interrupt":
                interrupted = True
                break
            if best is not None and best[0] <= t.rank:
                break
        reached = best is not None and best[0] <= t.rank
        written = None
        if best is not None:
            held = _held(self.c.catalogue, t)
            if held is None or best[0] < held:          # at the paper's rank, or the best we have so far
                entry = best[2]
                # seconds: the target's whole time (every try and lift, over all resumes)
                prov = provenance(_method(self.c, entry, t.column, self.used(), len(tries)), seed=entry["seed"],
                                  parent="naive", result=best[3], seconds=self.used(), table=self.c.path.name,
                                  target=f"{t.column} {t.rank}", tries=len(tries), ring_walked=entry["ring"],
                                  walk_seconds=entry.get("walk_seconds"), lift_seconds=entry.get("lift_seconds"),
                                  lift=entry.get("lift"), workers=self.c.workers)
                written = self.store(best[1], prov)
        if best is not None:
            rec["rank"] = min(best[0], rec.get("rank", best[0]))
        rec["status"] = "reached" if reached else ("interrupted" if interrupted else "budget spent")
        self.save()
        return reached, written, interrupted


def _rank_of_name(name: str) -> int | None:
    parts = name.split("-r", 1)
    if len(parts) != 2:
        return None
    digits = parts[1].split("-", 1)[0]
    return int(digits) if digits.isdigit() else None


def _reached(config: TableConfig, targets) -> dict:
    """``{"Z": k, "Q": k}``: entries with a selected target that the catalogue holds at the paper's rank
    over Z and over Q (a Z_T or Z file counts for Q too)."""
    chosen = {(t.code, t.n) for t in targets}
    out = {"Z": 0, "Q": 0}
    for e in structured_entries(config.known):
        if (e.code, e.n) not in chosen:
            continue
        for column in ("Z", "Q"):
            rank = e.target(column)
            held = _held(config.catalogue, TableTarget(e.code, e.n, column, rank or 0, 0.0))
            out[column] += rank is not None and held is not None and held <= rank
    return out


# ----------------------------------------------------------------------------- the run
def run_table(path_or_config, *, codes=None, sizes=None, columns=None, time_budget=None, progress: bool = True,
              log=None, base=None) -> TableResult:
    """Run (or resume) a table campaign: every selected target walked, lifted and written to the catalogue.

    Parameters
    ----------
    path_or_config : str, Path or dict
        The table file (TOML; see the module's documentation and
        ``search/structured.toml``) or its content as a dict (paths relative
        to ``base``).
    codes, sizes, columns : sequence, optional
        Narrow the file's selection: tensor codes, sizes (``n`` or
        ``"n1xn2xn3"``), columns (``"Z"``, ``"Q"``).
    time_budget : float, optional
        Seconds per target instead of the file's budget (over all resumes:
        a target that used 60 s of a new budget of 120 s gets 60 s more).
    progress : bool, default True
        The walk's progress bar and one line per try on stderr.
    log : callable, optional
        Called with each line instead of printing it to stderr.
    base : str or Path, optional
        With a dict: the folder its paths are relative to (default: the current one).

    Returns
    -------
    TableResult
        ``summary()`` holds the counts (``linalg-lab table`` prints it as its last line).

    Raises
    ------
    TableFileError
        The file, its keys, its folders or its state file (a ``ValueError``
        naming the file, the section and the key); checked before any walk.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> cfg = {"table": {"codes": ["kk"], "sizes": [2]}, "search": {"time_budget": 5, "workers": 1},
    ...        "output": {"catalogue": str(d / "schemes"), "state": str(d / "state.json")}}
    >>> r = run_table(cfg, progress=False)
    >>> r.summary()["reached"], [p.name for p in r.written]
    ({'Z': 1, 'Q': 1}, ['kk-2x2x2-r1-ZT.json'])
    >>> run_table(cfg, progress=False).summary()["skipped"]     # resumed: the catalogue holds it
    1
    """
    config = load_table(path_or_config, base=base)
    try:
        targets = table_targets(config, codes=codes, sizes=sizes, columns=columns, time_budget=time_budget)
    except (TypeError, ValueError) as exc:
        raise TableFileError(f"{config.path}: {exc}") from None
    try:
        output_folder(config.catalogue, "[output] catalogue")
        output_folder(config.state.parent, "[output] state")
    except ValueError as exc:
        raise TableFileError(f"{config.path}: {exc}") from None
    if config.state.exists() and config.state.is_dir():
        raise TableFileError(f"{config.path}: [output] state: {config.state} is a folder, not a file")
    state = _read_state(config)
    if log is None:
        log = (lambda line: print(line, file=sys.stderr, flush=True)) if progress else (lambda line: None)
    t_run = time.perf_counter()
    written: list[Path] = []
    found = skipped = 0
    interrupted = False
    for t in targets:
        rec = state["targets"].setdefault(t.key, {"code": t.code, "n": list(t.n), "column": t.column})
        rec.update(target=t.rank, budget=t.budget)
        held = _held(config.catalogue, t)
        if held is not None and held <= t.rank:
            if rec.get("status") != "reached" or not rec.get("file") or \
                    not (config.catalogue / rec["file"]).exists():
                rec["status"] = "held"
            rec["rank"] = min(held, rec.get("rank", held))
            skipped += 1
            continue
        if rec.get("status") in ("reached", "held"):      # its file went away: search again
            rec["status"] = "running"
        if float(rec.get("seconds", 0.0)) + MIN_TRY > t.budget:
            rec["status"] = "budget spent"
            log(f"{t.label}: budget of {t.budget:g} s spent ({rec.get('seconds', 0):g} s used), best rank "
                f"{rec.get('rank', '-')}")
            continue
        runner = _Target(config, t, rec, state, progress, log)
        try:
            reached, path, stop = runner.run()
        except KeyboardInterrupt:                         # outside the walk (a lift, a kernel compilation)
            rec["status"] = "interrupted"
            runner.save()
            interrupted = True
            break
        if path is not None:
            written.append(path)
        found += reached
        log(f"{t.label}: {'reached' if reached else rec['status']} in {rec['seconds']:.1f} s"
            + (f" -> {path}" if path is not None else "")
            + ("" if reached else f" (best rank {rec.get('rank', '-')})"))
        if stop:
            interrupted = True
            break
    _write_state(config, state)
    if written and config.index:
        try:
            write_catalogue_index(config.catalogue, config.known)
        except (OSError, ValueError) as exc:              # another file of the catalogue that does not verify
            log(f"catalogue index not rewritten: {exc}")
    reached = _reached(config, targets)
    return TableResult(targets=targets, records={t.key: state["targets"].get(t.key, {}) for t in targets},
                       reached=reached, entries=len({(t.code, t.n) for t in targets}), found=found, skipped=skipped, seconds=time.perf_counter() - t_run, interrupted=interrupted,
                       state=config.state, written=written)
