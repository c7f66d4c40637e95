"""A/B flip rates of two checkouts, each walk in its own process pinned to one CPU.

Usage:  python benchmarks/ab_flip_rate_pinned.py BASE_DIR [NEW_DIR] [--cpu 0] [--rounds 3] [--bursts 40]

On this 2-core shared machine the rate of one and the same walk swings by about
a quarter between processes that land on different cores, which the
interleaved harness (ab_flip_rate.py) reads as a position bias. Here every
measurement is a fresh interpreter importing one checkout (``PYTHONPATH``),
pinned with ``taskset -c CPU``, the two checkouts alternating ``--rounds``
times; each prints the median over ``--bursts`` bursts of 200,000 flips (thread
CPU time) from the naive scheme, seed 0, and the table gives the medians of
the rounds and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

CONFIGS = [("gg 3x3x3 F2", "3x3x3", "F2"), ("gg 3x3x3 F3", "3x3x3", "F3"), ("gg 4x4x4 F2", "4x4x4", "F2")]

PROBE = r"""
import statistics, sys, time
import numpy as np
from linalg_lab.flipgraph import Walker
from linalg_lab.tensors import naive_scheme
sizes, ring, bursts = sys.argv[1], sys.argv[2], int(sys.argv[3])
w = Walker(naive_scheme("gg", sizes, ring), np.random.default_rng(0))
w.walk(200_000, plateau=20_000)
rates = []
for _ in range(bursts):
    t = time.thread_time()
    n = w.walk(200_000, plateau=0)
    rates.append(n / (time.thread_time() - t))
print(statistics.median(rates))
"""


def rate(tree: str, cpu: int, sizes: str, ring: str, bursts: int) -> float:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    out = subprocess.run(["taskset", "-c", str(cpu), sys.executable, "-c", PROBE, sizes, ring, str(bursts)],
                         capture_output=True, text=True, env=env, check=True, cwd="/")
    return float(out.stdout.split()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("base")
    ap.add_argument("new", nargs="?", default=".")
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bursts", type=int, default=40)
    args = ap.parse_args(argv)
    print(f"{'configuration':<16} {'before (flips/s)':>17} {'after (flips/s)':>16} {'after/before':>13}")
    for label, sizes, ring in CONFIGS:
        runs = {"base": [], "new": []}
        for _ in range(args.rounds):
            for key in ("base", "new"):
                runs[key].append(rate(getattr(args, key), args.cpu, sizes, ring, args.bursts))
        b, n = statistics.median(runs["base"]), statistics.median(runs["new"])
        print(f"{label:<16} {b:>17.4g} {n:>16.4g} {n / b:>13.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
