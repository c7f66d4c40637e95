"""A/B flip rates of two checkouts on the same machine, interleaved to cancel drift.

Usage:  python benchmarks/ab_flip_rate.py BASE_DIR [NEW_DIR] [--rounds 7] [--flips 3000000]

Each round runs, for every configuration, one walker of BASE and one of NEW
(in that order, alternating which goes first), each in its own process with
``PYTHONPATH`` set to the checkout; the table gives the median flips/s of each
and the ratio NEW/BASE. Used to show that a refactor of the kernels keeps the
flip rate (issue P6: within 3%).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

CONFIGS = [("gg 3x3x3 F2", "3x3x3", "F2", 0), ("gg 3x3x3 F3", "3x3x3", "F3", 0),
           ("gg 4x4x4 F2", "4x4x4", "F2", 0), ("C3 gg 5x5x5 F2 (3 cubes)", "5x5x5", "F2", 3)]

PROBE = r"""
import sys, time
from linalg_lab.tensors import naive_scheme
sizes, ring, cubes, flips, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
if cubes:
    from linalg_lab.flipgraph.symmetric import SymmetricWalker, cyclic_start, expand
    n = int(sizes.split("x")[0])
    w = SymmetricWalker(expand(n, ring, *cyclic_start(n, ring, cubes)), seed)
    w.walk(200_000, plateau=16_667)
else:
    from linalg_lab.flipgraph import Walker
    w = Walker(naive_scheme("gg", sizes, ring), seed)
    w.walk(200_000, plateau=20_000)
t = time.perf_counter()
n = w.walk(flips, plateau=0)
print(n / (time.perf_counter() - t))
"""


def rate(tree: Path, sizes, ring, cubes, flips, seed) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "linalg-lab" / "numba"))
    env["NUMBA_CACHE_DIR"] = str(Path(env["NUMBA_CACHE_DIR"]) / tree.resolve().name)
    out = subprocess.run([sys.executable, "-c", PROBE, sizes, ring, str(cubes), str(flips), str(seed)],
                         env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", type=Path)
    ap.add_argument("new", type=Path, nargs="?", default=Path(__file__).resolve().parents[1])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--flips", type=int, default=3_000_000)
    args = ap.parse_args()
    for tree in (args.base, args.new):      # compile both once, outside the measurements
        for _, sizes, ring, cubes in CONFIGS:
            rate(tree, sizes, ring, cubes, 1000, 0)
    res = {(name, which): [] for name, *_ in CONFIGS for which in "AB"}
    for k in range(args.rounds):
        for name, sizes, ring, cubes in CONFIGS:
            order = [("A", args.base), ("B", args.new)]
            if k % 2:
                order.reverse()
            for which, tree in order:
                res[name, which].append(rate(tree, sizes, ring, cubes, args.flips, k))
    print(f"{'configuration':<28} {'before (flips/s)':>17} {'after (flips/s)':>16} {'after/before':>13}")
    for name, *_ in CONFIGS:
        a, b = statistics.median(res[name, "A"]), statistics.median(res[name, "B"])
        print(f"{name:<28} {a:>17.4g} {b:>16.4g} {b / a:>13.3f}")


if __name__ == "__main__":
    main()
