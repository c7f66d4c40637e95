"""Ternary (Z_T = {-1, 0, 1}) flip-graph search: time to rank next to F2 and F3, and to the known figures.

Usage:  python benchmarks/ternary.py [--long]

Every row is the median over seeds of ``search(..., workers=2)`` from the naive
scheme on this 2-core machine, printed next to the issue's target. A Z_T
scheme is a scheme over Z as it stands (no lifting): the rows check that.
--long adds 4x4x4 Z_T -> 49 (flips only, 3 seeds, 300 s each) and 3x4x5 Z_T -> 47 (3 seeds, 1800 s each).
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from linalg_lab.flipgraph import search

TARGETS = {("3x3x3", 23): 2.0, ("4x4x4", 49): 300.0, ("3x4x5", 47): 1800.0}


def run(sizes, ring, target, seeds, limit, **kw):
    times, reached = [], 0
    for seed in seeds:
        r = search("gg", sizes, ring, target_rank=target, rng=seed, workers=2, time_limit=limit, **kw)
        if ring == "ZT" and r.target_reached:
            n1, n2, n3 = r.best.n
            a = np.random.default_rng(seed).integers(-99, 100, (n1, n2))
            b = np.random.default_rng(seed + 1).integers(-99, 100, (n2, n3))
            assert np.array_equal(r.best.multiply(a, b), a @ b), "a Z_T scheme must multiply integer matrices"
        times.append(r.seconds if r.target_reached else float("inf"))
        reached += r.target_reached
    return statistics.median(times), reached, len(seeds)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--long", action="store_true")
    args = ap.parse_args()
    print(f"{'benchmark (naive -> rank, 2 cores, median s)':<48} {'target':>8} {'F2':>8} {'F3':>8} {'ZT':>8}")
    rows = [("3x3x3", 23, range(5), 60)]
    if args.long:
        rows += [("4x4x4", 49, range(3), 300), ("3x4x5", 47, range(3), 1800)]
    for sizes, target, seeds, limit in rows:
        cells = []
        for ring in ("F2", "F3", "ZT"):
            med, ok, n = run(sizes, ring, target, seeds, limit)
            cells.append(f"{med:.2f}" + ("" if ok == n else f" ({ok}/{n})"))
        print(f"{'gg ' + sizes + ' -> ' + str(target):<48} {TARGETS[sizes, target]:>8.4g} "
              + " ".join(f"{c:>8}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
