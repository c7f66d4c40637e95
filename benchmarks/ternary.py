"""Ternary (Z_T = {-1, 0, 1}) flip-graph search: time to rank next to F2 and F3, and to the known figures.

Usage:  python benchmarks/ternary.py [--long] [--rows 4x4x4,...] [--rings ZT,...] [--seeds K,...]
                                     [--split PCT] [--follow P] [--no-additions]

Every row is the median over seeds of ``search(..., workers=2)`` from the naive
scheme on this 2-core machine, printed next to the issue's target. A Z_T
scheme is a scheme over Z as it stands (no lifting): the rows check that.
--long adds 4x4x4 Z_T -> 49 (flips only, independent descents from the naive
scheme, restart="start"; 3 seeds, 300 s each), 3x4x5 Z_T -> 47 (3 seeds, 1800 s each)
and 5x5x5 Z_T -> 93 with the cyclic-symmetric walk (3 seeds, 600 s each). In these two
rows the ZT column walks over Z_T and the F2 column walks over F2 and then lifts
to Z_T (a seed counts only when one of its kept schemes of the target rank lifts;
the time includes the lifts).

The second table is the additive-complexity minimiser (``linalg-lab optimize``):
the count of the scheme it started from and of the cheapest one it met, for a
rank-7 2x2x2 scheme found by the search, the catalogue's 3x3x3 rank 23 and
Strassen x Strassen at 4x4x4 rank 49 (target: 2x2x2 at 18 or below).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from pathlib import Path

from linalg_lab.flipgraph import search
from linalg_lab.flipgraph.optimize import optimize_additions
from linalg_lab.lifting import lift
from linalg_lab.schemes import additive_complexity, load_scheme, product, strassen_scheme

CATALOGUE = Path(__file__).resolve().parents[1] / "schemes"

#: rows whose F2 column lifts to Z_T -> distinct F2 schemes of the target rank kept for lifting
LIFTED = {"3x4x5": 4, "5x5x5": 1}
TARGETS = {("3x3x3", 23): 2.0, ("4x4x4", 49): 300.0, ("3x4x5", 47): 1800.0, ("5x5x5", 93): None}


def run(sizes, ring, target, seeds, limit, lift_to=None, **kw):
    """Median seconds to ``target`` over ``seeds`` (inf where missed), seeds reaching it, seeds run.

    With ``lift_to="ZT"`` (an F2 search) a seed counts only when one of its schemes lifts to Z_T,
    and the time includes the lifts (Kauers & Moosbauer's and Moosbauer & Poole's route: walk
    over F2, then lift). Such a search keeps up to ``LIFTED[sizes]`` distinct schemes of the
    target rank, since an F2 scheme need not have Z_T signs.
    """
    times, reached = [], 0
    for seed in seeds:
        keep = LIFTED[sizes] if lift_to else 1
        r = search("gg", sizes, ring, target_rank=target, rng=seed, workers=2, time_limit=limit, keep=keep, **kw)
        ok, seconds, best, how = r.target_reached, r.seconds, r.best, ""
        if ok and lift_to:
            t0 = time.perf_counter()
            ok, tried = False, 0
            for cand in r.schemes:
                lifted = lift(cand, lift_to)
                tried += 1
                if lifted and lifted.ring_needed == "ZT":
                    ok, best = True, lifted.scheme
                    break
            seconds += time.perf_counter() - t0
            how = (f", {tried} of {len(r.schemes)} kept lifted to Z_T" if ok
                   else f", none of the {len(r.schemes)} kept lifts to Z_T")
        if ok and (ring == "ZT" or lift_to):
            n1, n2, n3 = best.n
            a = np.random.default_rng(seed).integers(-99, 100, (n1, n2))
            b = np.random.default_rng(seed + 1).integers(-99, 100, (n2, n3))
            assert np.array_equal(best.multiply(a, b), a @ b), "a Z_T scheme must multiply integer matrices"
            assert np.abs(np.asarray(best.u)).max() <= 1 and np.abs(np.asarray(best.w)).max() <= 1
        times.append(seconds if ok else float("inf"))
        reached += ok
        print(f"  {sizes} {ring} seed {seed}: rank {r.rank} in {r.seconds:.1f} s{how}"
              f"{'' if r.target_reached else f' (target {target} not reached)'}", file=sys.stderr, flush=True)
    return statistics.median(times), reached, len(seeds)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--split", type=int, default=None, metavar="PCT",
                    help="percent of plateau escapes that split a term (search setting split)")
    ap.add_argument("--follow", type=float, default=None, metavar="P",
                    help="probability per chunk that a walker behind the best restarts from the pool")
    ap.add_argument("--rows", default=None, metavar="FORMATS", help="only these rows, e.g. 4x4x4,5x5x5")
    ap.add_argument("--rings", default="F2,F3,ZT", help="columns to run (default F2,F3,ZT; '-' for the others)")
    ap.add_argument("--no-additions", action="store_true", help="skip the minimiser table")
    ap.add_argument("--seeds", default=None, metavar="K,...",
                    help="run only these seeds of each row (e.g. to finish a long row in parts)")
    args = ap.parse_args()
    rings = args.rings.split(",")
    walk = {k: v for k, v in (("split", args.split), ("follow", args.follow)) if v is not None}
    print(f"{'benchmark (naive -> rank, 2 cores, median s)':<48} {'target':>8} {'F2':>8} {'F3':>8} {'ZT':>8}")
    rows = [("3x3x3", 23, range(5), 60, {})]
    if args.long:
        # 4x4x4: independent descents from the naive scheme (over Z_T restarted after 3e8 flips, about
        # 30 s, without progress: the default); a walker following the pool stays in the basin of 50 or 51
        rows += [("4x4x4", 49, range(3), 300, dict(restart="start")),
                 ("3x4x5", 47, range(3), 1800, {}),
                 ("5x5x5", 93, range(3), 600, dict(symmetry="C3", cubes=3))]
    if args.rows:
        rows = [r for r in rows if r[0] in args.rows.split(",")]
    if args.seeds:
        rows = [(r[0], r[1], [int(k) for k in args.seeds.split(",")], *r[3:]) for r in rows]
    for sizes, target, seeds, limit, kw in rows:
        cells = []
        for ring in ("F2", "F3", "ZT"):
            if ring not in rings:
                cells.append("-")
                continue
            # 3x4x5 and 5x5x5: the F2 column is the F2 walk (symmetric for 5x5x5) followed by the lift to Z_T
            lift_to = "ZT" if ring == "F2" and sizes in LIFTED else None
            med, ok, n = run(sizes, ring, target, seeds, limit, lift_to=lift_to, **kw, **walk)
            cells.append(f"{med:.2f}" + ("" if ok == n else f" ({ok}/{n})"))
        goal = TARGETS[sizes, target]
        label = f"gg {sizes} -> {target}" + (" (C3)" if "symmetry" in kw else " (descents)" if kw else "")
        print(f"{label:<48} {'-' if goal is None else f'{goal:.4g}':>8} " + " ".join(f"{c:>8}" for c in cells),
              flush=True)
    if args.no_additions:
        return
    print()
    print(f"{'additive complexity (minimiser, 1 core)':<48} {'target':>8} {'start':>8} {'after':>8} {'seconds':>8}")
    s7 = max((search("gg", "2x2x2", "ZT", target_rank=7, rng=s, workers=1).best for s in range(4)),
             key=additive_complexity)
    for label, scheme, goal, limit in [("gg 2x2x2 r7 ZT (a costly search result)", s7, 18, 10),
                                       ("gg 3x3x3 r23 ZT (catalogue)", load_scheme(CATALOGUE / "gg" / "gg-3x3x3-r23-ZT.json"), None, 60),
                                       ("gg 4x4x4 r49 ZT (Strassen x Strassen)", product(strassen_scheme("ZT"), strassen_scheme("ZT")), None, 60)]:
        r = optimize_additions(scheme, time_limit=limit, rng=0)
        print(f"{label:<48} {'-' if goal is None else goal:>8} {r.before:>8} {r.after:>8} {r.seconds:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
