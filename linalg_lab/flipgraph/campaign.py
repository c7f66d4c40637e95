"""Campaigns: long searches described by a TOML file, checkpointed and resumable.

A campaign file names the tensor, the ring, the target, the time budget, the
search settings and where to write; :func:`run_campaign` runs it, writes a
checkpoint (the walkers' schemes and the time used) atomically every few
seconds, resumes from it after a kill, and writes each improvement of the
catalogue's best rank into the catalogue folder.

Example campaign file::

    [tensor]
    code = "gg"
    sizes = "3x3x3"
    ring = "F2"

    [search]
    target_rank = 23
    time_budget = 600        # seconds in total, over all resumes
    # symmetry = "C3"        # optional: cyclic-symmetric walk (square gg), with
    # cubes = 2              # this many fixed cube terms
    # restart = "start"      # optional: stalled walkers restart from the start (independent descents)
    # plateau, margin, path_limit, follow, chunk, harvest: walk settings
    #                        # (linalg_lab.flipgraph.settings; defaults per mode there)
    workers = 2
    keep = 20
    seed = 1

    [output]
    dir = "runs/gg-3x3x3-F2"  # relative to the campaign file
    catalogue = "../schemes"
    checkpoint_interval = 5
"""

from __future__ import annotations

import json
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..schemes.catalogue import catalogue_best
from ..schemes.io import atomic_write_text, load_scheme, save_scheme, scheme_from_dict, scheme_to_json
from ..schemes.standard import naive_scheme
from ..tensors.codes import tensor_code
from .search import SearchResult, search
from .settings import BY_NAME, CAMPAIGN_KEYS
from .symmetric import default_cubes

_SEARCH_KEYS = CAMPAIGN_KEYS
_OPTION_KEYS = tuple(BY_NAME) + ("symmetry", "cubes", "restart")


@dataclass
class Campaign:
    """A parsed campaign file (paths resolved against the file's folder)."""

    path: Path
    code: str
    sizes: tuple
    ring: str
    target_rank: int | None
    time_budget: float
    workers: int | None
    keep: int
    seed: int | None
    options: dict
    start: Path | None
    out_dir: Path
    catalogue: Path | None
    checkpoint_interval: float

    @property
    def checkpoint(self) -> Path:
        return self.out_dir / "checkpoint.json"


def load_campaign(path) -> Campaign:
    """Read and validate a campaign file; errors name the file and the key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    for section in ("tensor", "search", "output"):
        if not isinstance(data.get(section), dict):
            raise ValueError(f"{path}: section [{section}] is missing")
    t, s, o = data["tensor"], data["search"], data["output"]
    for key in ("code", "sizes", "ring"):
        if key not in t:
            raise ValueError(f"{path}: [tensor] {key} is missing")
    try:
        tc = tensor_code(t["code"], t["sizes"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: [tensor] {exc}") from None
    unknown = set(s) - _SEARCH_KEYS
    if unknown:
        raise ValueError(f"{path}: [search] unknown key(s) {', '.join(sorted(unknown))}")
    if "time_budget" not in s or not float(s["time_budget"]) > 0:
        raise ValueError(f"{path}: [search] time_budget (seconds, > 0) is required")
    if "dir" not in o:
        raise ValueError(f"{path}: [output] dir is missing")
    base = path.resolve().parent
    start = s.get("start", "naive")
    options = {k: s[k] for k in _OPTION_KEYS if k in s}
    if "symmetry" in options and "cubes" not in options:
        # resumes start from the checkpoint; stalled walkers still restart from the fresh cyclic start
        options["cubes"] = default_cubes(tc.n[0], s.get("target_rank"))
    return Campaign(
        path=path, code=tc.code, sizes=tc.n, ring=str(t["ring"]), target_rank=s.get("target_rank"),
        time_budget=float(s["time_budget"]), workers=s.get("workers"), keep=int(s.get("keep", 1)),
        seed=s.get("rng", s.get("seed")),
        options=options,
        start=None if start == "naive" else (base / start),
        out_dir=base / o["dir"], catalogue=(base / o["catalogue"]) if o.get("catalogue") else None,
        checkpoint_interval=float(o.get("checkpoint_interval", 5)),
    )


def _write_checkpoint(c: Campaign, seconds: float, flips: int, schemes) -> None:
    data = {"campaign": str(c.path), "seconds_used": seconds, "flips": flips,
            "schemes": [json.loads(scheme_to_json(s)) for s in schemes]}
    atomic_write_text(c.checkpoint, json.dumps(data))


def run_campaign(path, *, progress: bool = True) -> SearchResult:
    """Run (or resume) the campaign in ``path``.

    Every ``checkpoint_interval`` seconds the walkers' current schemes and the
    time used are written atomically to ``<dir>/checkpoint.json``; a later run
    of the same file resumes from it with the remaining budget, so a kill -9
    loses at most one interval. Each new best scheme is written to ``dir``, and
    into ``catalogue/<code>/`` when it beats the catalogue's best rank for that
    tensor and ring.

    Returns
    -------
    SearchResult
        The result of this run (``seconds`` counts this run only).
    """
    c = load_campaign(path)
    c.out_dir.mkdir(parents=True, exist_ok=True)
    used, flips0, start = 0.0, 0, None
    if c.checkpoint.exists():
        data = json.loads(c.checkpoint.read_text(encoding="utf-8"))
        used, flips0 = float(data["seconds_used"]), int(data["flips"])
        start = [scheme_from_dict(d, source=str(c.checkpoint)) for d in data["schemes"]]
    elif c.start is not None:
        start = load_scheme(c.start)
    options = dict(c.options)
    if options.get("restart") == "start" and start is not None:
        # independent descents: a resumed run still restarts from the campaign's start, not from the checkpoint
        options["restart"] = load_scheme(c.start) if c.start is not None else naive_scheme(c.code, c.sizes, c.ring)
    remaining = c.time_budget - used
    if remaining <= 0:
        raise ValueError(f"{c.path}: time budget of {c.time_budget:g} s is used up (see {c.checkpoint})")

    written: list[Path] = []

    def on_improve(s):
        prov = {"campaign": c.path.name, "seed": c.seed}
        c.out_dir.mkdir(parents=True, exist_ok=True)
        save_scheme(s, c.out_dir, provenance=prov)
        if c.catalogue is not None:
            held = catalogue_best(c.catalogue, s.code, s.n, s.ring.value)
            if held is None or s.rank < held:
                (c.catalogue / s.code).mkdir(parents=True, exist_ok=True)
                path = save_scheme(s, c.catalogue / s.code, provenance=prov)
                # the catalogue keeps the best rank: drop what this run wrote before
                for old in written:
                    old.unlink(missing_ok=True)
                written[:] = [path]

    last = [time.perf_counter()]

    def on_tick(stats, snapshot):
        if time.perf_counter() - last[0] >= c.checkpoint_interval:
            last[0] = time.perf_counter()
            _write_checkpoint(c, used + stats["seconds"], flips0 + stats["flips"], snapshot())

    result = search(c.code, c.sizes, c.ring, target_rank=c.target_rank, time_limit=remaining, seed=c.seed,
                    workers=c.workers, start=start, keep=c.keep, progress=progress, on_improve=on_improve,
                    on_tick=on_tick, tick=min(1.0, c.checkpoint_interval), **options)
    _write_checkpoint(c, used + result.seconds, flips0 + result.flips, result.schemes)
    for i, s in enumerate(result.schemes):
        save_scheme(s, c.out_dir, provenance={"campaign": c.path.name, "seed": c.seed}, tag=None if i == 0 else f"k{i + 1}")
    return result
