"""Long additions searches at constant rank: the naive count, or the count after common-subexpression reduction.

The naive count's campaign (``plateau``: :func:`linalg_lab.flipgraph.optimize.plateau_additions`,
excursions through rank R + 1 over F2, sign-lifted back to Z_T) runs niced in
idle time, checkpointing the best scheme found so far atomically (kill-safe;
``--resume`` goes on from the checkpoint)::

    nice -n 19 python benchmarks/additions_search.py plateau schemes/gg/gg-4x5x5-r76-ZT.json \\
        --seconds 1800 --seed 1 --out /tmp/plateau --resume

The other two modes are compute jobs as well; run them under the benchmark
lock, pinned, and keep one run under about 15 minutes (run it again from its
own output to go on)::

    flock /tmp/linalg-lab-bench.lock taskset -c 0 python benchmarks/additions_search.py naive \\
        schemes/gg/gg-2x5x5-r40-ZT.json --seconds 600 --seed 1 --out /tmp/naive
    flock /tmp/linalg-lab-bench.lock taskset -c 0 python benchmarks/additions_search.py reduced \\
        schemes/gg/gg-3x3x3-r23-ZT.json --seconds 540 --seed 7 --out /tmp/reduced
    # from a new scheme of the same format and rank (3x3x3 rank 23: 59 additions)
    python benchmarks/additions_search.py reduced schemes/gg/gg-3x3x3-r23-ZT.json --fresh 2 --seed 2 \\
        --seconds 60 --samples 1500 --out /tmp/reduced

``plateau`` prints each new best (count, CPU seconds) as it is found and
writes the checkpoint ``--out/best-<format>-r<rank>.json`` (``--checkpoint``);
``naive`` runs :func:`linalg_lab.flipgraph.optimize.anneal_additions` and
writes the cheapest scheme (verified) into ``--out``; ``reduced`` runs
:func:`linalg_lab.flipgraph.optimize.anneal_reduced` and writes the scheme and
its program (``*_reduced.json``). The last line printed is a JSON object with
the paths and the counts before and after.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from linalg_lab.flipgraph.optimize import anneal_additions, anneal_reduced, plateau_additions
from linalg_lab.schemes import additive_complexity, load_scheme, save_scheme
from linalg_lab.schemes.io import store_scheme
from linalg_lab.schemes.program import store_program


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["plateau", "naive", "reduced"])
    p.add_argument("file")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--fresh", type=int, default=None, metavar="SEED",
                   help="start instead from a new scheme of FILE's format, ring and rank found by the flip-graph "
                        "search with this seed (linalg_lab.flipgraph.search)")
    p.add_argument("--samples", type=int, default=None, help="reduced: stop after this many proposals")
    p.add_argument("--temperature", type=float, nargs="+", default=None,
                   help="naive: low high (default 0.3 3); reduced: T (default 8)")
    p.add_argument("--flips", type=float, default=None,
                   help="plateau: budget of flips and polishing steps (with a seed, the same run every time; "
                        "--seconds still stops it)")
    p.add_argument("--pool", type=int, default=1, help="plateau: schemes of the lowest count kept as starts")
    p.add_argument("--slack", type=int, default=0, help="plateau: how far above the best count the pool reaches")
    p.add_argument("--polish", type=int, default=20_000, help="plateau: flips at rank R after each return")
    p.add_argument("--margin", type=int, default=2, help="plateau: ranks above R an excursion may climb")
    p.add_argument("--polish-by", default="flips", choices=["flips", "anneal"], help="plateau: the descent at rank R")
    p.add_argument("--walk-ring", default=None, choices=["F2", "ZT"], help="plateau: ring of the walks (default F2)")
    p.add_argument("--checkpoint", default=None, help="plateau: the best scheme so far (default OUT/best-FMT-rR.json)")
    p.add_argument("--resume", action="store_true", help="plateau: start from the checkpoint when it exists")
    args = p.parse_args(argv)
    s = load_scheme(args.file)
    start = args.file
    if args.fresh is not None:
        from linalg_lab.flipgraph import search

        s = search(s.code, "x".join(map(str, s.n)), s.ring.value, target_rank=s.rank, rng=args.fresh, workers=1).best
        start = f"a new rank-{s.rank} scheme (flip-graph search, seed {args.fresh})"
    if args.mode == "plateau":
        return _plateau(args, s, start)
    if args.mode == "naive":
        kw = {"temperature": tuple(args.temperature)} if args.temperature else {}
        res = anneal_additions(s, time_limit=args.seconds, rng=args.seed, **kw)
        prov = dict(res.provenance(), method=f"anneal_additions ({args.seconds:g} s, seed {args.seed}) from "
                                             f"{start}: {res.before} -> {res.after} additions")
        path, _ = store_scheme(res.scheme, args.out, provenance=prov)
        print(json.dumps({"scheme": str(path) if path else None, "before": res.before, "after": res.after,
                          "steps": res.flips, "seconds": round(res.seconds, 1)}))
    else:
        kw = {"temperature": args.temperature[0]} if args.temperature else {}
        res = anneal_reduced(s, time_limit=args.seconds, max_samples=args.samples, rng=args.seed, **kw)
        prog = res.program
        prov = {"method": f"anneal_reduced ({args.seconds:g} s, seed {args.seed}) from {start}: reduced "
                          f"{res.before} -> {res.after} additions", "reduced_additions": res.after,
                "additions": prog.naive}
        spath, _ = store_scheme(prog.scheme, args.out, provenance=prov)
        ppath, _ = store_program(prog, args.out, spath.stem)
        print(json.dumps({"scheme": str(spath), "program": str(ppath), "before": res.before, "after": res.after,
                          "naive": prog.naive, "samples": res.evaluated, "seconds": round(res.seconds, 1)}))


def _plateau(args, s, start):
    """The plateau walk, printing each new best and checkpointing it atomically (kill-safe)."""
    fmt = "x".join(map(str, s.n))
    ckpt = Path(args.checkpoint or Path(args.out) / f"best-{fmt}-r{s.rank}.json")
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    resumed = args.resume and ckpt.exists()
    if resumed:
        s, start = load_scheme(ckpt), str(ckpt)
    command = "nice -n 19 python " + " ".join(shlex.quote(a) for a in sys.argv)
    given = additive_complexity(s)
    print(f"# {command}\n# start {start}: {fmt} rank {s.rank} {s.ring.value}, {given} additions", flush=True)
    c0 = time.process_time()
    origin = None
    if resumed:                      # the checkpoint's own history, oldest last
        prev = json.loads(ckpt.read_text()).get("provenance", {})
        origin = " <- ".join(x for x in (prev.get("method"), prev.get("resumed_from")) if x)

    def provenance(scheme, after, stats=None):
        budget = f"{args.flips:.3g} flips, " if args.flips else ""
        how = (f"plateau_additions (benchmarks/additions_search.py plateau, {budget}seed {args.seed}, "
               f"pool {args.pool}, slack {args.slack}, polish by {args.polish_by}, "
               f"{time.process_time() - c0:.0f} s CPU) "
               f"from {start}: {given} -> {after} additions")
        out = {"method": how, "command": command, "additions": after, "additions_before": given,
               "cpu_seconds": round(time.process_time() - c0, 1)}
        if origin:
            out["resumed_from"] = origin
        if stats:
            out.update(stats)
        return out

    def on_improve(scheme, after):
        save_scheme(scheme, ckpt, provenance=provenance(scheme, after))
        print(f"{after} additions at rank {scheme.rank} after {time.process_time() - c0:.1f} s CPU", flush=True)

    flips = None if args.flips is None else int(args.flips)
    res = plateau_additions(s, time_limit=args.seconds, max_flips=flips, rng=args.seed, pool=args.pool,
                            slack=args.slack, polish=args.polish, polish_by=args.polish_by, margin=args.margin,
                            walk_ring=args.walk_ring, on_improve=on_improve)
    path = ckpt if res.after < given or resumed else None
    if res.after < given:
        save_scheme(res.scheme, ckpt, provenance=provenance(res.scheme, res.after, res.stats))
    print(json.dumps({"scheme": str(path) if path else None, "before": res.before, "after": res.after,
                      "flips": res.flips, "cpu_seconds": round(time.process_time() - c0, 1),
                      "seconds": round(res.seconds, 1), **(res.stats or {})}))
    return 0


if __name__ == "__main__":
    main()
