"""Long additions searches at constant rank: the naive count, or the count after common-subexpression reduction.

Not a timing benchmark but a compute job; run it under the benchmark lock,
pinned, and keep one run under about 15 minutes (run it again from its own
output to go on)::

    flock /tmp/linalg-lab-bench.lock taskset -c 0 python benchmarks/additions_search.py naive \\
        schemes/gg/gg-2x5x5-r40-ZT.json --seconds 600 --seed 1 --out /tmp/naive
    flock /tmp/linalg-lab-bench.lock taskset -c 0 python benchmarks/additions_search.py reduced \\
        schemes/gg/gg-3x3x3-r23-ZT.json --seconds 540 --seed 7 --out /tmp/reduced
    # from a new scheme of the same format and rank (3x3x3 rank 23: 59 additions)
    python benchmarks/additions_search.py reduced schemes/gg/gg-3x3x3-r23-ZT.json --fresh 2 --seed 2 \\
        --seconds 60 --samples 1500 --out /tmp/reduced

``naive`` runs :func:`linalg_lab.flipgraph.optimize.anneal_additions` and
writes the cheapest scheme (verified) into ``--out``; ``reduced`` runs
:func:`linalg_lab.flipgraph.optimize.anneal_reduced` and writes the scheme and
its program (``*_reduced.json``). The last line printed is a JSON object with
the paths and the counts before and after.
"""

from __future__ import annotations

import argparse
import json

from linalg_lab.flipgraph.optimize import anneal_additions, anneal_reduced
from linalg_lab.schemes import load_scheme
from linalg_lab.schemes.io import store_scheme
from linalg_lab.schemes.program import store_program


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["naive", "reduced"])
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
    args = p.parse_args(argv)
    s = load_scheme(args.file)
    start = args.file
    if args.fresh is not None:
        from linalg_lab.flipgraph import search

        s = search(s.code, "x".join(map(str, s.n)), s.ring.value, target_rank=s.rank, rng=args.fresh, workers=1).best
        start = f"a new rank-{s.rank} scheme (flip-graph search, seed {args.fresh})"
    if args.mode == "naive":
        kw = {"temperature": tuple(args.temperature)} if args.temperature else {}
        res = anneal_additions(s, time_limit=args.seconds, rng=args.seed, **kw)
        prov = dict(res.provenance(), method=f"anneal_additions ({args.seconds:g} s, seed {args.seed}) from "
                                             f"{start}: {res.before} -> {res.after} additions")
        path, _ = store_scheme(res.scheme, args.out, provenance=prov)
        print(json.dumps({"scheme": str(path), "before": res.before, "after": res.after,
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


if __name__ == "__main__":
    main()
