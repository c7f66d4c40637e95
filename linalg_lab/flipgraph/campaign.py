"""Campaigns: long searches described by a TOML file, checkpointed and resumable.

A campaign file names the tensor, the ring, the target, the time budget, the
search settings and where to write; :func:`run_campaign` runs it, writes a
checkpoint (the walkers' schemes and the time used) atomically every few
seconds, resumes from it after a kill, and writes each improvement of the
catalogue's best rank into the catalogue folder.

The file is checked before anything runs, key by key against :data:`RULES`:
an unknown section or key, or a value of the wrong type or range, is a
:class:`CampaignFileError` naming the file, the section and the key (``linalg-lab
campaign`` prints it on one line and exits 2). Under ``linalg-lab campaign``,
SIGTERM stops the search as Ctrl-C does: the checkpoint and the best schemes
are written first.

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
    # autopilot = false      # optional: no portfolio of strategies when the search stalls (default: on,
    #                        # unless restart or symmetry is given)
    # device = "cuda"        # optional: "cpu" (default), "cuda" (one GPU thread per walk) or "auto"
    # batch = 4096           # optional, with a GPU: walks in the batch (default: the device's resident threads)
    # scheduler = "tcp://10.0.0.5:8786"  # optional: the walks as tasks on a Dask cluster (the dist extra)
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

import time
from dataclasses import dataclass
from pathlib import Path

from ..schemes.catalogue import catalogue_best
from ..schemes.io import SchemeFileError, load_scheme, output_folder, store_scheme
from ..schemes.standard import naive_scheme
from ..tensors.codes import tensor_code
from ..validation import check_bool, check_choice, check_instance, check_int, check_real
from .checkpoint import CheckpointError, read_checkpoint, write_checkpoint
from .run_file import check_sections, read_toml
from .run_setup import provenance
from .search import SearchResult, search
from .settings import BY_NAME, CAMPAIGN_KEYS, SearchSettings
from .symmetric import cube_blocks, default_cubes

_SEARCH_KEYS = CAMPAIGN_KEYS
_OPTION_KEYS = tuple(BY_NAME) + ("symmetry", "cubes", "restart", "device", "batch", "autopilot")


class CampaignFileError(ValueError):
    """A campaign file that cannot be run; the message names the file, the section and the key."""


def _path_text(value, name):
    value = check_instance(value, name, str, "a path (a string)")
    if not value.strip():
        raise ValueError(f"{name}: expected a path, got an empty string")
    return value


def _walk_setting(value, name):
    key = name.split()[-1]
    try:
        return getattr(SearchSettings.resolve("pool", **{key: value}), key)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"[search] {exc}") from None


def _cubes(value, name):
    if isinstance(value, list):
        if not all(isinstance(b, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in b)
                   for b in value):
            raise TypeError(f"{name}: expected a number of blocks or a list of lists of indices, got {value!r}")
        return value
    return check_int(value, name, minimum=1)


#: How each key of a campaign file is checked: section -> key -> (required, check(value, name)).
#: ``[search]`` holds exactly the keys of :data:`~.settings.CAMPAIGN_KEYS` (the walk settings and the
#: search's own arguments); the walk settings are checked by :class:`~.settings.SearchSettings`.
RULES = {
    "tensor": {
        "code": (True, lambda v, n: check_instance(v, n, str, "a tensor code such as 'gg'")),
        "sizes": (True, lambda v, n: v),           # checked with the code by tensor_code
        "ring": (True, lambda v, n: check_choice(v, n, ("F2", "F3", "ZT"))),
    },
    "search": {
        "target_rank": (False, lambda v, n: check_int(v, n, minimum=1)),
        "time_budget": (True, lambda v, n: check_real(v, n, minimum=0.0, strict_minimum=True)),
        "workers": (False, lambda v, n: check_int(v, n, minimum=1)),
        "keep": (False, lambda v, n: check_int(v, n, minimum=1)),
        "seed": (False, lambda v, n: check_int(v, n, minimum=0)),
        "rng": (False, lambda v, n: check_int(v, n, minimum=0)),
        "start": (False, _path_text),
        "symmetry": (False, lambda v, n: check_choice(v, n, ("C3",))),
        "cubes": (False, _cubes),
        "restart": (False, lambda v, n: check_choice(v, n, ("pool", "start"))),
        "device": (False, lambda v, n: check_choice(v, n, ("cpu", "cuda", "auto"))),
        "batch": (False, lambda v, n: check_int(v, n, minimum=1)),
        "autopilot": (False, lambda v, n: check_bool(v, n)),
        "scheduler": (False, lambda v, n: check_instance(v, n, str, "a Dask scheduler address 'tcp://HOST:PORT'")),
        **{k: (False, _walk_setting) for k in BY_NAME},
    },
    "output": {
        "dir": (True, _path_text),
        "catalogue": (False, _path_text),
        "checkpoint_interval": (False, lambda v, n: check_real(v, n, minimum=0.0, strict_minimum=True)),
    },
}
assert set(RULES["search"]) == set(CAMPAIGN_KEYS), "every [search] key of the settings table has a rule"


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
    scheduler: str | None = None

    @property
    def checkpoint(self) -> Path:
        return self.out_dir / "checkpoint.json"


def load_campaign(path) -> Campaign:
    """Read and validate a campaign file.

    Every section and key must be known (:data:`RULES`: a misspelt key is an
    error, not a setting silently left at its default) and every value of the
    right type and range: ``time_budget = true`` or ``keep = 2.7`` are refused,
    not coerced.

    Raises
    ------
    CampaignFileError
        A ``ValueError`` whose message names the file, the section and the
        key (``c.toml: [search] workers: expected an integer >= 1, got str 'two'``).
    """
    path = Path(check_instance(path, "path", (str, Path), "a path (str or pathlib.Path)"))

    def fail(msg):
        raise CampaignFileError(f"{path}: {msg}")

    values = check_sections(read_toml(path, fail), RULES, fail)
    try:
        tc = tensor_code(values["code"], values["sizes"])
    except (TypeError, ValueError) as exc:
        fail(f"[tensor] {exc}")
    if "seed" in values and "rng" in values:
        fail("[search] seed, rng: give one of them (rng is another name of seed)")
    if "cubes" in values and "symmetry" not in values:
        fail("[search] cubes: only meaningful with symmetry = \"C3\"")
    if "symmetry" in values:
        if tc.code != "gg" or len(set(tc.n)) != 1:
            fail(f"[search] symmetry: the cyclic symmetry needs a square product gg nxnxn, got {tc.label()}")
        if "cubes" in values:
            try:
                cube_blocks(tc.n[0], values["cubes"])
            except (TypeError, ValueError) as exc:
                fail(f"[search] {exc}")
    base = path.resolve().parent
    start = values.get("start", "naive")
    options = {k: values[k] for k in _OPTION_KEYS if k in values}
    if "symmetry" in options and "cubes" not in options:
        # resumes start from the checkpoint; stalled walkers still restart from the fresh cyclic start
        options["cubes"] = default_cubes(tc.n[0], values.get("target_rank"))
    return Campaign(
        path=path, code=tc.code, sizes=tc.n, ring=values["ring"], target_rank=values.get("target_rank"),
        time_budget=values["time_budget"], workers=values.get("workers"), keep=values.get("keep", 1),
        seed=values.get("seed", values.get("rng")),
        options=options,
        start=None if start == "naive" else (base / start),
        out_dir=base / values["dir"],
        catalogue=(base / values["catalogue"]) if "catalogue" in values else None,
        checkpoint_interval=values.get("checkpoint_interval", 5.0),
        scheduler=values.get("scheduler"),
    )


def _write_checkpoint(c: Campaign, seconds: float, flips: int, schemes) -> None:
    write_checkpoint(c.checkpoint, "campaign", seconds, schemes, campaign=str(c.path), flips=int(flips))


def _read_checkpoint(c: Campaign) -> tuple[float, int, list]:
    """(seconds used, flips, schemes) of the campaign's checkpoint; a file that is not one is an error, left alone."""
    try:
        data = read_checkpoint(c.checkpoint, "campaign", legacy_key="campaign")
        used, flips, schemes = data["seconds_used"], int(data["flips"]), data["schemes"]
    except (CheckpointError, KeyError, TypeError, ValueError) as exc:
        raise CampaignFileError(f"{c.path}: [output] dir: {c.checkpoint} is not a checkpoint of a campaign "
                                f"(it is left as it is): {exc}") from None
    label = tensor_code(c.code, c.sizes).label()
    for s in schemes:
        if s.tc.label() != label:
            raise CampaignFileError(f"{c.path}: [output] dir: {c.checkpoint} holds {s.tc.label()} schemes, "
                                    f"the campaign is for {label}")
    if not schemes:
        raise CampaignFileError(f"{c.path}: [output] dir: {c.checkpoint} holds no schemes")
    return used, flips, schemes


def _load_start(c: Campaign):
    try:
        return load_scheme(c.start)
    except SchemeFileError as exc:
        raise CampaignFileError(f"{c.path}: [search] start: {exc}") from None


def run_campaign(path, *, progress: bool = True) -> SearchResult:
    """Run (or resume) the campaign in ``path``.

    Every ``checkpoint_interval`` seconds the walkers' current schemes and the
    time used are written atomically to ``<dir>/checkpoint.json``; a later run
    of the same file resumes from it with the remaining budget, so a kill -9
    loses at most one interval. Each new best scheme is written to ``dir``, and
    into ``catalogue/<code>/`` when it beats the catalogue's best rank for that
    tensor and ring. No scheme file is replaced: a scheme already there is not
    written again, another of the same name gets a content-hash tag.

    The file and its folders are checked before the search starts (see
    :func:`load_campaign`; ``dir`` and ``catalogue`` must be folders or
    creatable, a ``checkpoint.json`` there must be a campaign checkpoint).
    On Ctrl-C (and SIGTERM under ``linalg-lab campaign``) the search stops,
    and the checkpoint and the best schemes are written.

    Returns
    -------
    SearchResult
        The result of this run (``seconds`` counts this run only).

    Raises
    ------
    CampaignFileError
        A ``ValueError`` naming the file, the section and the key.
    """
    c = load_campaign(path)
    try:
        output_folder(c.out_dir, "[output] dir")
        if c.catalogue is not None:
            output_folder(c.catalogue / c.code, "[output] catalogue", create=False)
    except ValueError as exc:
        raise CampaignFileError(f"{c.path}: {exc}") from None
    used, flips0, start = 0.0, 0, None
    if c.checkpoint.exists():
        used, flips0, start = _read_checkpoint(c)
    elif c.start is not None:
        start = _load_start(c)
    options = dict(c.options)
    if options.get("restart") == "start" and start is not None:
        # independent descents: a resumed run still restarts from the campaign's start, not from the checkpoint
        options["restart"] = _load_start(c) if c.start is not None else naive_scheme(c.code, c.sizes, c.ring)
    remaining = c.time_budget - used
    if remaining <= 0:
        raise CampaignFileError(f"{c.path}: [search] time_budget of {c.time_budget:g} s is used up "
                                f"(see {c.checkpoint})")

    written: list[Path] = []
    prov = provenance("flip graph", seed=c.seed, parent=str(c.start) if c.start else "naive", campaign=c.path.name)

    def on_improve(s):
        store_scheme(s, c.out_dir, provenance=prov)
        if c.catalogue is not None:
            held = catalogue_best(c.catalogue, s.code, s.n, s.ring.value)
            if held is None or s.rank < held:
                path, new = store_scheme(s, c.catalogue / s.code, provenance=prov)
                # the catalogue keeps the best rank: drop what this run wrote before (only that)
                for old in written:
                    old.unlink(missing_ok=True)
                written[:] = [path] if new else []

    last = [time.perf_counter()]

    def on_tick(stats, snapshot):
        if time.perf_counter() - last[0] >= c.checkpoint_interval:
            last[0] = time.perf_counter()
            _write_checkpoint(c, used + stats["seconds"], flips0 + stats["flips"], snapshot())

    executor = None
    if c.scheduler:               # device and batch then describe the cluster's workers
        from .dask_executor import cluster_executor

        executor = cluster_executor(c.scheduler, options.pop("device", "cpu"), options.pop("batch", None))
    result = search(c.code, c.sizes, c.ring, target_rank=c.target_rank, time_limit=remaining, rng=c.seed,
                    workers=c.workers, start=start, keep=c.keep, progress=progress, on_improve=on_improve,
                    on_tick=on_tick, tick=min(1.0, c.checkpoint_interval), executor=executor, **options)
    _write_checkpoint(c, used + result.seconds, flips0 + result.flips, result.schemes)
    final = provenance("flip graph", seed=c.seed, parent=prov["parent"], result=result, seconds=used + result.seconds,
                       campaign=c.path.name)
    for s in result.schemes:
        store_scheme(s, c.out_dir, provenance=final)
    return result
