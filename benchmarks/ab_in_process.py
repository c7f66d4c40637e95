"""A/B of the search loop with both checkouts in one process: flips per second of ``search()``, interleaved.

Usage:  python benchmarks/ab_in_process.py REV [--rounds 6] [--seeds 3] [--seconds 4] [--rows 4x4x4-F2 ...]
                                               [--neighbour CPU]

``ab_search_loop.py`` runs each measurement in a fresh process; there, one and the same walk's rate
swings by a quarter between processes (code and data placement, the machine's other tenants), which
hides a few percent. Here the package at git revision ``REV`` is extracted (once, under
``~/.cache/linalg-lab/ab/``) under another name (``linalg_lab_base``: the package imports itself only relatively) and both
``search`` functions run in this one process, alternating every measurement, so both see the same
placement of the interpreter and the same load over time. Each measurement is the user's call,
``search("gg", sizes, ring, target_rank=T, time_limit=S, rng=seed, workers=1)`` (compilation done
beforehand), and its rate is ``flips / seconds`` of the result. Run it pinned to one core
(``taskset -c 0``) and repeat it in a few processes: the per-process medians of new / base are the
figure. Prints per row the medians over rounds and seeds and the ratio new / base.

``--neighbour CPU`` runs a memory-heavy job on that CPU for the whole run (random read-modify-writes
of a 48 MB array, numpy only): the load a shared machine's other tenants put on the caches and the
memory bus. A kernel whose rate drops under it more than the base's does is what this shows.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

NEIGHBOUR = """
import numpy as np
a = np.zeros(6 << 20, dtype=np.int64)        # 48 MB: far beyond the caches
rng = np.random.default_rng(0)
while True:
    i = rng.integers(0, a.size, 1 << 16)
    a[i] += 1
"""

ROWS = [("3x3x3", "F2", 15), ("3x3x3", "F3", 15), ("4x4x4", "F2", 40)]
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def extract(rev: str) -> str:
    """A folder holding the package at ``rev`` as ``linalg_lab_base`` (kept under ~/.cache, so numba's
    cache of its kernels, keyed by their files' paths, serves the next run)."""
    sha = subprocess.run(["git", "-C", HERE, "rev-parse", rev], capture_output=True, text=True, check=True).stdout.strip()
    folder = os.path.join(os.path.expanduser("~"), ".cache", "linalg-lab", "ab", sha)
    if not os.path.isdir(os.path.join(folder, "linalg_lab_base")):
        tmp = tempfile.mkdtemp(dir=os.path.dirname(folder) if os.path.isdir(os.path.dirname(folder)) else None)
        archive = subprocess.run(["git", "-C", HERE, "archive", sha, "linalg_lab"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        os.makedirs(folder, exist_ok=True)
        shutil.move(os.path.join(tmp, "linalg_lab"), os.path.join(folder, "linalg_lab_base"))
        shutil.rmtree(tmp)
    return folder


def rate(search, sizes, ring, target, seconds, seed) -> float:
    # the seed keyword of 77038e7 is rng= now (seed= still works there, with a deprecation warning)
    key = "seed" if search.__module__.startswith("linalg_lab_base") else "rng"
    res = search("gg", sizes, ring, target_rank=target, time_limit=seconds, workers=1, **{key: seed})
    return res.flips / res.seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rev", help="the base revision, e.g. 77038e7")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rows", nargs="*", default=None, help="e.g. 4x4x4-F2 (default: all)")
    ap.add_argument("--neighbour", type=int, default=None, metavar="CPU",
                    help="run a memory-heavy job pinned to this CPU during the measurement")
    args = ap.parse_args(argv)
    neighbour = None
    if args.neighbour is not None:
        neighbour = subprocess.Popen(["taskset", "-c", str(args.neighbour), sys.executable, "-c", NEIGHBOUR])
    try:
        return measure(args)
    finally:
        if neighbour is not None:
            neighbour.kill()
            neighbour.wait()


def measure(args) -> int:
    folder = extract(args.rev)
    sys.path.insert(0, folder)
    base = importlib.import_module("linalg_lab_base.flipgraph").search
    new = importlib.import_module("linalg_lab.flipgraph").search
    print(f"base {args.rev} from {folder}, new {HERE}; pid {os.getpid()}, {args.seconds} s per measurement"
          + ("" if args.neighbour is None else f"; memory-heavy neighbour on CPU {args.neighbour}"))
    print(f"{'row':<12} {'base flips/s':>14} {'new flips/s':>14} {'new/base':>9}   per seed")
    for sizes, ring, target in ROWS:
        if args.rows and f"{sizes}-{ring}" not in args.rows:
            continue
        for f in (base, new):                  # compile (or load from the cache) outside the measurement
            rate(f, sizes, ring, target, 0.5, 0)
        bases, news, ratios = [], [], []
        for seed in range(1, args.seeds + 1):
            b, n = [], []
            for k in range(args.rounds):
                pair = [(b, base), (n, new)] if k % 2 == 0 else [(n, new), (b, base)]
                for out, f in pair:
                    out.append(rate(f, sizes, ring, target, args.seconds, seed))
            bases.append(statistics.median(b))
            news.append(statistics.median(n))
            ratios.append(news[-1] / bases[-1])
        print(f"{sizes + ' ' + ring:<12} {statistics.median(bases):>14.4e} {statistics.median(news):>14.4e} "
              f"{statistics.median(ratios):>9.3f}   {' '.join(f'{r:.3f}' for r in ratios)}", flush=True)
    return 0


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - t0:.0f} s)")
    raise SystemExit(code)
