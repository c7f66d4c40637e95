"""Our common-subexpression reducer on Perminov's published reduced schemes: his count against ours.

Each ``*_reduced.json`` of his FastMatrixMultiplication repository
(``schemes/results/addition_reduced_ZT``) is read with
:func:`linalg_lab.schemes.program_from_reduced_json` (fresh variables
expanded, verified exactly), its program's count recomputed, and the expanded
scheme reduced again from scratch by :func:`reduce_additions` (no sandwiches:
the same U, V, W)::

    flock /tmp/linalg-lab-bench.lock taskset -c 0 python benchmarks/reduce_published.py DIR/*_reduced.json --restarts 256

On 2x4x5 rank 33 (his 112) 256 passes per side left ours at 113; 4096
reach 112 for every seed tried (0-4), as do passes bounded by time, which
:func:`reduce_additions` shares between the three sides::

    python benchmarks/reduce_published.py DIR/2x4x5_m33_cr112_cn184_ZT_reduced.json --restarts 4096 --seed 0
    python benchmarks/reduce_published.py DIR/2x4x5_m33_cr112_cn184_ZT_reduced.json --restarts 1000000 --time-limit 15

The files are not part of this repository; fetch them into a temporary folder.
Columns: format, rank, his naive count (ours of the expanded scheme), his
reduced count (as written in the file; 'check' is our recount of his
program), ours, ours - his.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from linalg_lab.schemes import load_program, reduce_additions


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+")
    p.add_argument("--restarts", type=int, default=256)
    p.add_argument("--time-limit", type=float, default=None, help="seconds per scheme")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    print(f"{'file':<42} {'format':<7} {'R':>3} {'naive':>6} {'his':>5} {'check':>6} {'ours':>5} {'diff':>5} {'s':>6}")
    wins = ties = losses = 0
    for f in args.files:
        prog = load_program(f)
        his = json.loads(Path(f).read_text()).get("complexity", {}).get("reduced")
        t0 = time.perf_counter()
        ours = reduce_additions(prog.scheme, restarts=args.restarts, time_limit=args.time_limit, rng=args.seed)
        dt = time.perf_counter() - t0
        d = ours.additions - (his if his is not None else prog.additions)
        wins += d < 0
        ties += d == 0
        losses += d > 0
        s = prog.scheme
        print(f"{Path(f).name[:42]:<42} {'x'.join(map(str, s.n)):<7} {s.rank:>3} {prog.naive:>6} {his!s:>5} "
              f"{prog.additions:>6} {ours.additions:>5} {d:>+5} {dt:>6.1f}", flush=True)
    print(f"# ours below his: {wins}, equal: {ties}, above: {losses}")


if __name__ == "__main__":
    main()
