"""A/B timing of the transport benchmark's entropic cases (and others) between two source trees, interleaved.

Runs the entropic cases of ``_transport_entropic.py`` (converged plan at
``reg = 0.05 max(M)``; 20 cycles at ``reg = 0.01 max(M)``; ``reg = 1e-3
max(M)`` to a violation of 1e-9) for a baseline tree and the current tree in
separate processes, alternating A, B, A, B, ... so that load on a shared
machine hits both alike, and prints the median time of each case, the ratio
after / before and the cycles each version ran (so that a changed iteration
count is visible apart from the time per cycle).

Usage::

    git worktree add /tmp/transport-base <commit>
    python benchmarks/ab_transport_entropic.py --base /tmp/transport-base [--rounds 5] [--repeat 3] [--quick]
        [--others]

Each process imports ``linalg_lab`` from the tree it is given (``PYTHONPATH``),
warms the numba kernels up, then calls every case once untimed and times it
``--repeat`` times; the
table reports, per case, the median over all rounds and repeats. Keyword
arguments that only the newer tree knows (``rounding``) are passed only where
the function accepts them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CASES = [
    # name, n, reg / max(M), m, keyword arguments
    ("converged n=400 reg=0.05", 400, 0.05, 0.8, dict(stopThr=1e-12)),
    ("20 cycles n=1000 reg=0.01 rounding=False", 1000, 0.01, 0.8, dict(numItermax=20, stopThr=0, rounding=False)),
    ("20 cycles n=1000 reg=0.01", 1000, 0.01, 0.8, dict(numItermax=20, stopThr=0)),
    ("20 cycles n=2000 reg=0.01 rounding=False", 2000, 0.01, 0.8, dict(numItermax=20, stopThr=0, rounding=False)),
    ("20 cycles n=2000 reg=0.01", 2000, 0.01, 0.8, dict(numItermax=20, stopThr=0)),
    ("to 1e-9 n=400 reg=1e-3", 400, 1e-3, 0.8, dict()),
]

# with --others: the other solvers whose code the P0 changes touched (exact partial OT, the SSP path, 1-D)
OTHERS = [
    ("exact partial n=1500 m=0.5", 1500, None, 0.5, dict(kind="exact")),
    ("exact partial n=1500 m=1 (no dummies)", 1500, None, 1.0, dict(kind="exact")),
    ("SSP path n=500", 500, None, None, dict(kind="path")),
    ("1-D partial n=20000 p=2", 20000, None, None, dict(kind="1d")),
]

QUICK = {400: 100, 500: 100, 1000: 250, 1500: 200, 2000: 400, 20000: 2000}

CHILD = r"""
import inspect, json, statistics, sys, time, warnings
import numpy as np
from linalg_lab.transport.entropic import entropic_partial_wasserstein as E

cases, repeat = json.loads(sys.argv[1]), int(sys.argv[2])
params = inspect.signature(E).parameters
warnings.simplefilter("ignore")  # the A/B times the calls; warnings are the tests' business

def clouds(n, seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(n, 2))
    xt = rng.normal(size=(n, 2)) + 1.0
    M = ((xs[:, None, :] - xt[None, :, :]) ** 2).sum(axis=2)
    return np.full(n, 1.0 / n), np.full(n, 1.0 / n), M

a, b, M = clouds(8)
E(a, b, M, 0.01 * M.max(), 0.5)
E(a, b, M, 1e-3 * M.max(), 0.5)
def call(n, regf, m, kw):
    kind = kw.pop("kind", "entropic")
    if kind == "entropic":
        kw = {k: v for k, v in kw.items() if k in params}
        a, b, M = clouds(n)
        return lambda: E(a, b, M, regf * M.max(), m, log=True, **kw)[1]["n_iter"]
    if kind == "exact":
        from linalg_lab.transport import partial_wasserstein
        a, b, M = clouds(n)
        return lambda: partial_wasserstein(a, b, M, m=m) is None
    if kind == "path":
        from linalg_lab.transport import partial_wasserstein_path
        rng = np.random.default_rng(0)
        X, Y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + 1.0
        return lambda: partial_wasserstein_path(X, Y) is None
    from linalg_lab.transport import partial_wasserstein_1d
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=n), rng.normal(size=n) + 0.3
    return lambda: partial_wasserstein_1d(x, y, p=2) is None

out = {}
for name, n, regf, m, kw in cases:
    fn = call(n, regf, m, dict(kw))
    fn()  # untimed: first-touch allocations of this size, lazy imports
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        n_iter = fn()
        times.append(time.perf_counter() - t0)
    out[name] = dict(times=times, n_iter=n_iter)
print(json.dumps(out))
"""


def run(tree: str, cases, repeat: int, threads: int | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    if threads:
        # the dense Newton solves go to a threaded BLAS, whose threads fight other jobs on a shared machine
        env.update({k: str(threads) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")})
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(cases), str(repeat)], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the baseline source tree (a git worktree)")
    parser.add_argument("--new", default=str(HERE.parent), help="the tree to compare (default: this checkout)")
    parser.add_argument("--rounds", type=int, default=5, help="alternations A, B (default 5)")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per case and process (default 3)")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke check)")
    parser.add_argument("--others", action="store_true", help="also exact partial OT, the SSP path and 1-D")
    parser.add_argument("--only", default="", help="only the cases whose name contains this text")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads in the timed processes")
    args = parser.parse_args(argv)
    cases = [(name, QUICK[n] if args.quick else n, regf, m, kw)
             for name, n, regf, m, kw in CASES + (OTHERS if args.others else []) if args.only in name]
    times = {side: {c[0]: [] for c in cases} for side in ("base", "new")}
    info = {}
    for r in range(args.rounds):
        for side, tree in (("base", args.base), ("new", args.new)) if r % 2 == 0 else (("new", args.new),
                                                                                        ("base", args.base)):
            res = run(tree, cases, args.repeat, args.threads)
            for name, v in res.items():
                times[side][name].extend(v["times"])
                info[side, name] = v
        print(f"round {r + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    print("| case | before (s) | after (s) | after / before | cycles before / after |")
    print("|---|---|---|---|---|")
    for name, *_ in cases:
        tb, tn = statistics.median(times["base"][name]), statistics.median(times["new"][name])
        ib, inew = info["base", name]["n_iter"], info["new", name]["n_iter"]
        cycles = f"{ib} / {inew}" if isinstance(ib, int) and not isinstance(ib, bool) else "-"
        print(f"| {name} | {tb:.4f} | {tn:.4f} | {tn / tb:.3f} | {cycles} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
