"""A/B of the search loop as a user sees it: flips per second of ``linalg-lab search`` in two checkouts.

Usage:  python benchmarks/ab_search_loop.py BASE_DIR [NEW_DIR] [--rounds 3] [--seeds 1] [--rows 4x4x4-F2 ...]
                                           [--cpu 0] [--new-args ...]

Runs ``linalg-lab search gg 3x3x3 --ring F2 --target-rank 15 --workers 1 --seed 1 --time-limit 8`` (and the
same for 3x3x3 F3 and 4x4x4 F2) with each checkout on ``PYTHONPATH``, every run a fresh process pinned to
one CPU, the checkouts alternating ``--rounds`` times; prints flips / seconds from the command's JSON line
(compilation excluded), the medians and the ratio new / base. ``--new-args`` appends arguments to the new
checkout's command (``--no-autopilot``: the loop alone, as the base walked it). ``--seeds K`` runs seeds
1..K and reports the median over seeds of the per-seed ratio: the same seed need not walk the same path in
two checkouts (a refactor of the walker state draws its kernel seed in another order), and the flip rate
depends on the ranks a path visits, so one seed compares two paths, not two loops.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROWS = [("3x3x3", "F2", 15), ("3x3x3", "F3", 15), ("4x4x4", "F2", 40)]


def rate(checkout: str, sizes: str, ring: str, target: int, cpu: int, extra: list, seed: int = 1) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = ["taskset", "-c", str(cpu), sys.executable, "-m", "linalg_lab.cli", "search", "gg", sizes,
               "--ring", ring, "--target-rank", str(target), "--workers", "1", "--seed", str(seed), "--time-limit", "8",
               "--quiet", "--out", os.path.join(out, "o"), *extra]
        env = dict(os.environ, PYTHONPATH=checkout)
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=out, check=False)
        info = json.loads(p.stdout.strip().splitlines()[-1])
        return info["flips"] / info["seconds"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("base")
    ap.add_argument("new", nargs="?", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--rows", nargs="*", default=None, help="e.g. 4x4x4-F2 (default: all)")
    ap.add_argument("--new-args", nargs=argparse.REMAINDER, default=[])
    args = ap.parse_args(argv)
    print(f"{'row':<12} {'base flips/s':>14} {'new flips/s':>14} {'new/base':>9}   new args: {' '.join(args.new_args)}")
    for sizes, ring, target in ROWS:
        if args.rows and f"{sizes}-{ring}" not in args.rows:
            continue
        ratios, bases, news = [], [], []
        for seed in range(1, args.seeds + 1):
            base, new = [], []
            for _ in range(args.rounds):
                base.append(rate(args.base, sizes, ring, target, args.cpu, [], seed))
                new.append(rate(args.new, sizes, ring, target, args.cpu, args.new_args, seed))
            b, n = statistics.median(base), statistics.median(new)
            bases.append(b)
            news.append(n)
            ratios.append(n / b)
        print(f"{sizes + ' ' + ring:<12} {statistics.median(bases):>14.4e} {statistics.median(news):>14.4e} "
              f"{statistics.median(ratios):>9.3f}" + (f"   per seed: {' '.join(f'{r:.3f}' for r in ratios)}"
                                                       if args.seeds > 1 else ""), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
