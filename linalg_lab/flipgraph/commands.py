"""CLI sub-commands of the flip-graph family: ``search``, ``optimize``, ``meta``, ``campaign`` and ``table``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .settings import SETTINGS, whole_number

EXIT_TARGET, EXIT_TIME, EXIT_INTERRUPT = 0, 3, 130
#: What every --out means (README: output folders).
OUT_HELP = "output folder, made before the work starts (an existing file is refused; no file in it is replaced)"


def _exit_code(result) -> int:
    if result.stopped == "interrupt":
        return EXIT_INTERRUPT
    return EXIT_TARGET if result.target_reached or result.target_rank is None else EXIT_TIME


def _out_folder(command: str, value, flag: str = "--out") -> Path | None:
    """The output folder, checked and created before any work; None after printing a one-line error."""
    from ..schemes.io import output_folder

    try:
        return output_folder(value, flag)
    except (ValueError, TypeError) as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None


def _store_all(command: str, schemes, out: Path, provenance: dict, tag=None) -> list[Path] | None:
    """Write each scheme into ``out`` (no file replaced: identical -> same file, else a content-hash tag)."""
    from ..schemes.io import store_scheme

    try:
        return [store_scheme(s, out, provenance=provenance, tag=tag)[0] for s in schemes]
    except (OSError, ValueError) as exc:     # a disk that filled up during the run; every name taken
        print(f"{command}: --out: cannot write into {out}: {getattr(exc, 'strerror', None) or exc}",
              file=sys.stderr)
        return None


def cmd_search(args) -> int:
    from ..schemes import SchemeFileError, load_scheme
    from .search import search

    out = _out_folder("search", args.out)      # before the search: a finished search must have somewhere to go
    if out is None:
        return 2
    start = None
    if args.start:
        try:
            start = load_scheme(args.start)
        except SchemeFileError as exc:
            print(f"search: --start: {exc}", file=sys.stderr)
            return 2
    time_limit = args.time_limit
    if time_limit is None and args.target_rank is None:
        time_limit = 60.0
    executor = _dask_executor("search", args)
    if executor is False:
        return 2
    try:
        result = search(args.code, args.sizes, args.ring, target_rank=args.target_rank, time_limit=time_limit,
                        rng=args.seed, workers=args.workers, start=start, keep=args.keep, progress=not args.quiet,
                        symmetry=args.symmetry, cubes=args.cubes, restart=args.restart, device=args.device,
                        batch=args.batch, executor=executor, autopilot=args.autopilot,
                        **{k.name: getattr(args, k.name) for k in SETTINGS})
    except (ValueError, TypeError, OSError) as exc:
        print(f"search: {exc}", file=sys.stderr)
        return 2
    from .run_setup import provenance

    method = "flip graph" if args.symmetry is None else f"flip graph, {args.symmetry} symmetric"
    parent = str(args.start) if args.start else ("naive" if args.symmetry is None else "cyclic start")
    prov = provenance(method, seed=args.seed, parent=parent, result=result)
    paths = _store_all("search", result.schemes, out, prov)
    if paths is None:
        return 1
    print(json.dumps({"path": str(paths[0]), "rank": result.rank, "target_reached": result.target_reached,
                      "seconds": round(result.seconds, 3), "flips": result.flips}))
    return _exit_code(result)


def cmd_campaign(args) -> int:
    from .campaign import run_campaign

    try:
        result = run_campaign(args.file, progress=not args.quiet)
    except (ValueError, TypeError) as exc:      # the file, its keys and its folders: checked before the search
        print(f"campaign: {exc}".replace("\n", " | "), file=sys.stderr)
        return 2
    except OSError as exc:                      # a write that failed during the run (disk full, ...)
        print(f"campaign: {exc}".replace("\n", " | "), file=sys.stderr)
        return 1
    print(json.dumps({"rank": result.rank, "target_reached": result.target_reached,
                      "seconds": round(result.seconds, 3), "flips": result.flips}))
    return _exit_code(result)


def cmd_table(args) -> int:
    from .table_campaign import run_table

    def split(value):
        return None if value is None else [x.strip() for x in value.split(",") if x.strip()]

    sizes = split(args.sizes)
    sizes = None if sizes is None else [int(x) if x.isdigit() else x for x in sizes]
    try:
        result = run_table(args.file, codes=split(args.codes), sizes=sizes, columns=split(args.columns),
                           time_budget=args.time_budget, progress=not args.quiet and sys.stderr.isatty(),
                           log=(lambda line: None) if args.quiet else
                           (lambda line: print(line, file=sys.stderr, flush=True)))
    except (ValueError, TypeError) as exc:      # the file, its keys, its folders, its state: checked before any walk
        print(f"table: {exc}".replace("\n", " | "), file=sys.stderr)
        return 2
    except OSError as exc:                      # a write that failed during the run (disk full, ...)
        print(f"table: {exc}".replace("\n", " | "), file=sys.stderr)
        return 1
    print(json.dumps(result.summary()))
    if result.interrupted:
        return EXIT_INTERRUPT
    return EXIT_TARGET if not result.not_reached else EXIT_TIME


def cmd_optimize(args) -> int:
    from ..schemes import SchemeFileError, load_scheme
    from .optimize import optimize_additions

    out = _out_folder("optimize", args.out)     # --out is a folder, as for every command: never a file to replace
    if out is None:
        return 2
    try:
        scheme = load_scheme(args.file)
        res = optimize_additions(scheme, time_limit=args.time_limit, rng=args.seed)
    except (SchemeFileError, ValueError, TypeError) as exc:
        print(f"optimize: {exc}", file=sys.stderr)
        return 2
    from .run_setup import provenance

    info = res.provenance()
    prov = provenance(info.pop("method"), seed=args.seed, parent=str(args.file), **info)
    paths = _store_all("optimize", [res.scheme], out, prov, tag=f"add{res.after}")
    if paths is None:
        return 1
    print(json.dumps({"path": str(paths[0]), "rank": res.scheme.rank, "additions_before": res.before,
                      "additions": res.after, "seconds": round(res.seconds, 3), "flips": res.flips}))
    return EXIT_INTERRUPT if res.interrupted else 0


def _dask_executor(command: str, args):
    """A DaskExecutor for ``--scheduler`` (None without one; False after printing why there is none).

    With a scheduler, ``--device`` and ``--batch`` describe the cluster's workers (GPU workers walk
    groups of ``--batch`` walks), and the driver itself walks nothing."""
    if not args.scheduler:
        return None
    try:
        from .dask_executor import cluster_executor
    except ImportError as exc:
        print(f"{command}: --scheduler needs the dist extra (pip install 'linalg-lab[dist]'): {exc}", file=sys.stderr)
        return False
    executor = cluster_executor(args.scheduler, args.device, args.batch)
    args.device, args.batch = "cpu", None
    return executor


def cmd_meta(args) -> int:
    from .meta_search import meta_search

    if _out_folder("meta", args.out) is None:
        return 2
    executor = _dask_executor("meta", args)
    if executor is False:
        return 2
    try:
        result = meta_search(args.formats, args.ring, time_limit=args.time_limit, workers=args.workers, rng=args.seed,
                             out=args.out, checkpoint=args.checkpoint, start=args.start,
                             meta_probability=args.meta_probability,
                             split=args.split, f2_walks=not args.no_f2_walks, descents=not args.no_descents,
                             stays=args.stays, executor=executor, device=args.device, batch=args.batch,
                             progress=not args.quiet)
    except (ValueError, TypeError, OSError) as exc:
        print(f"meta: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(dict(result.summary(), out=str(args.out))))
    return EXIT_INTERRUPT if result.stopped == "interrupt" else 0


def register(sub) -> None:
    s = sub.add_parser("search", help="flip-graph search for a low-rank scheme over F2, F3 or ZT")
    s.add_argument("code", metavar="CODE")
    s.add_argument("sizes", metavar="N1xN2xN3")
    s.add_argument("--ring", default="F2", choices=["F2", "F3", "ZT"],
                   help="coefficients: F2, F3, or ZT = {-1, 0, 1} (schemes over Z directly)")
    s.add_argument("--target-rank", type=int, default=None)
    s.add_argument("--time-limit", type=float, default=None, help="seconds (default 60 when no target is given)")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--workers", type=int, default=None, help="parallel walkers (default: all cores)")
    s.add_argument("--start", default=None, metavar="FILE", help="starting scheme file (default: the naive scheme)")
    s.add_argument("--keep", type=int, default=1, metavar="N", help="write up to N distinct schemes of the best rank")
    s.add_argument("--symmetry", default=None, choices=["C3"],
                   help="walk only on schemes invariant under the cyclic shift (square gg products)")
    s.add_argument("--cubes", type=int, default=None, metavar="K",
                   help="with --symmetry: number of fixed cube terms (fixes the rank mod 3; default suits the target)")
    s.add_argument("--restart", default=None, choices=["pool", "start"],
                   help="where a stalled walker starts again: the pool of best schemes (default) or the start, "
                        "for independent descents (4x4x4 F2 -> 47)")
    for setting in SETTINGS:       # every walk setting, its help and defaults from one table
        s.add_argument("--" + setting.name.replace("_", "-"), type=whole_number if setting.kind is int else setting.kind,
                       default=None, metavar=setting.metavar,
                       help=f"{setting.help} (default {setting.describe_defaults()})")
    s.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"],
                   help="where the walks run: cuda = one GPU thread per walk (needs the cuda extra and an NVIDIA "
                        "GPU), auto = the GPU when one is usable (default cpu)")
    s.add_argument("--batch", type=int, default=None, metavar="N",
                   help="GPU walks in the batch (default: the device's resident threads)")
    s.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run the walks as tasks on this Dask scheduler's workers (needs the dist extra)")
    s.add_argument("--no-autopilot", dest="autopilot", action="store_false", default=None,
                   help="walk the plain pool search: no portfolio of strategies when the search stalls "
                        "(--restart and --symmetry switch the autopilot off too)")
    s.add_argument("--out", required=True, metavar="DIR", help=OUT_HELP)
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_search)

    o = sub.add_parser("optimize", help="fewest additions at the same rank: flips and sandwiches, cheapest kept")
    o.add_argument("file", metavar="FILE")
    o.add_argument("--out", required=True, metavar="DIR", help=OUT_HELP)
    o.add_argument("--time-limit", type=float, default=10.0, help="seconds of walking (default 10)")
    o.add_argument("--seed", type=int, default=None)
    o.set_defaults(func=cmd_optimize)

    m = sub.add_parser("meta", help="meta search: walkers over many formats, schemes moved between them by meta moves")
    m.add_argument("--ring", default="ZT", choices=["F2", "F3", "ZT"])
    m.add_argument("--formats", required=True, metavar="SPEC",
                   help="'2..5' (every n1 <= n2 <= n3 with sizes 2..5) or a list like '2x2x3,3x3x3'")
    m.add_argument("--time-limit", type=float, required=True, help="seconds in total (over resumes)")
    m.add_argument("--out", required=True, metavar="DIR", help="folder for every improvement and the final bests: " + OUT_HELP)
    m.add_argument("--workers", type=int, default=None, help="parallel walkers (default: all cores)")
    m.add_argument("--seed", type=int, default=None)
    m.add_argument("--checkpoint", default=None, metavar="FILE", help="checkpoint JSON: written every few seconds, "
                                                                       "resumed from when it exists")
    m.add_argument("--start", nargs="+", default=None, metavar="PATH",
                   help="schemes to start from besides the naive ones: scheme files, folders of them or "
                        "meta-search checkpoints (those of other formats are skipped)")
    m.add_argument("--meta-probability", type=float, default=0.1, metavar="P",
                   help="probability of a meta move after each step of a walker (default 0.1)")
    m.add_argument("--split", type=int, default=None, metavar="PCT",
                   help="percent of plateau escapes that split a term instead of a plus transition (default 0)")
    m.add_argument("--no-f2-walks", action="store_true",
                   help="no F2 walks lifted to the ring (symmetric on square formats, descents elsewhere)")
    m.add_argument("--no-descents", action="store_true",
                   help="no independent descents over the ring from the naive schemes")
    m.add_argument("--stays", action="store_true",
                   help="stays too: walks over the ring on one format, restarted from its best (the plain search)")
    m.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"],
                   help="where the walks run: cuda = one GPU thread per walk, auto = the GPU when usable")
    m.add_argument("--batch", type=int, default=None, metavar="N", help="GPU walks (default 1024)")
    m.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run the walks as tasks on this Dask scheduler's workers (needs the dist extra)")
    m.add_argument("--quiet", action="store_true", help="no table on stderr")
    m.set_defaults(func=cmd_meta)

    c = sub.add_parser("campaign", help="run or resume a campaign file (TOML) with checkpoints")
    c.add_argument("file", metavar="FILE")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.set_defaults(func=cmd_campaign)

    tb = sub.add_parser("table", help="walk every entry of the structured-product table (TOML), lift it to Z or Q "
                                      "and write it to the catalogue; resumable")
    tb.add_argument("file", metavar="FILE", help="table file, e.g. search/structured.toml")
    tb.add_argument("--codes", default=None, metavar="C,C", help="only these tensor codes, e.g. kg,ss")
    tb.add_argument("--sizes", default=None, metavar="N,N", help="only these sizes: n of n x n x n, e.g. 2,3")
    tb.add_argument("--columns", default=None, metavar="Z,Q", help="only these columns of the table")
    tb.add_argument("--time-budget", type=float, default=None, metavar="S",
                    help="seconds per target instead of the file's (over all resumes)")
    tb.add_argument("--quiet", action="store_true",
                    help="no progress bar (shown on a terminal only) and no line per try on stderr")
    tb.set_defaults(func=cmd_table)
