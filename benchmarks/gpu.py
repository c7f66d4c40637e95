"""GPU flip-graph walks against this machine's CPU cores, in one run (issue P10).

Usage (on a machine with an NVIDIA GPU and the ``cuda`` extra)::

    python benchmarks/gpu.py [--batch N] [--seconds S] [--seeds K] [--json FILE]

1. correctness: the same batch walked by the GPU kernel and by the CPU kernel
   ends in the same arrays (every field, every walk), and every scheme is
   exact (3x3x3 F2, 4x4x4 F2, 3x3x3 Z_T, C3 5x5x5 F2);
2. throughput: flips/s of one GPU batch (``--batch`` walks, default the
   device's resident threads) and of every CPU core walking the same tensor
   (one thread per core, the search's own executor), and their ratio;
3. time to rank: ``search(..., device="cuda")`` from the naive scheme to
   3x3x3 rank 23 and to 4x4x4 rank 47 over F2 (independent descents), the
   median over ``--seeds`` seeds, with the CPU search's time to 23 beside it;
4. entropic partial OT (reg = 0.01 max M, m = 0.7) at n = 2000 and 20000:
   ``device="cuda"`` against the CPU solver (its default, accelerated).

``--smoke`` runs every step tiny, for the CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``), to check the script itself without a GPU: its
figures mean nothing. No figure is printed for a step that did not run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time

import numpy as np

from linalg_lab._targets import cuda_status, simulator
from linalg_lab.flipgraph import search
from linalg_lab.flipgraph import _kernels as K
from linalg_lab.flipgraph._cuda import DeviceBatch, default_batch
from linalg_lab.flipgraph.batch import replicate, set_params, stack_states, walk_batch
from linalg_lab.flipgraph.state import M_FLIPS, WalkerState
from linalg_lab.flipgraph.symmetric import SymmetricWalker, fresh_start
from linalg_lab.flipgraph.walker import Walker
from linalg_lab.schemes import naive_scheme

CONFIGS = [("gg 3x3x3 F2", "3x3x3", "F2", False), ("gg 4x4x4 F2", "4x4x4", "F2", False),
           ("gg 3x3x3 ZT", "3x3x3", "ZT", False), ("C3 5x5x5 F2", "5x5x5", "F2", True)]


def _walker(sizes, ring, sym, seed):
    rng = np.random.default_rng(seed)
    if sym:
        return SymmetricWalker(fresh_start(int(sizes[0]), ring, 93), rng)
    return Walker(naive_scheme("gg", sizes, ring), rng, direct=False)


def check(count: int, flips: int) -> list[dict]:
    rows = []
    for label, sizes, ring, sym in CONFIGS:
        walkers = [_walker(sizes, ring, sym, s) for s in range(count)]
        cpu = stack_states([w.st for w in walkers])
        set_params(cpu, flips=flips, plateau=max(50, flips // 20), margin=3, split=20)
        gpu = WalkerState(*(a.copy() for a in cpu))
        walk_batch(cpu)
        dev = DeviceBatch(gpu)
        dev.walk()
        back = dev.download()
        differ = [n for n, a, b in zip(WalkerState._fields, cpu, back) if not np.array_equal(a, b)]
        exact = 0
        for i, w in enumerate(walkers):
            for name, a in zip(WalkerState._fields, back):
                getattr(w.st, name)[...] = a[i]
            exact += bool(w.scheme().verify())
        rows.append({"config": label, "walks": count, "flips": flips, "same_as_cpu": not differ,
                     "fields_differing": differ, "exact": f"{exact}/{count}"})
    return rows


def _cpu_rate(sizes, ring, sym, seconds: float) -> float:
    """Flips/s of every core walking its own walker (nogil kernels), like the search's thread executor."""
    cores = os.cpu_count() or 1
    walkers = [_walker(sizes, ring, sym, 100 + c) for c in range(cores)]
    for w in walkers:
        w.walk(20_000, plateau=20_000)
    counts = [0] * cores
    stop = time.perf_counter() + seconds

    def run(c):
        while time.perf_counter() < stop:
            counts[c] += walkers[c].walk(200_000, plateau=20_000)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(c,)) for c in range(cores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - t0)


def throughput(batch: int | None, seconds: float, flips: int) -> list[dict]:
    rows = []
    for label, sizes, ring, sym in CONFIGS:
        w = _walker(sizes, ring, sym, 0)
        w.walk(20_000, plateau=20_000)                  # leave the naive scheme
        n = batch or default_batch(sum(a.nbytes for a in w.st))
        host = replicate(w.st, n, rng=1)
        set_params(host, flips=flips, plateau=20_000, margin=3)
        dev = DeviceBatch(host)
        dev.walk()                                      # compile and warm up
        before = int(dev.meta()[:, M_FLIPS].sum())
        t0 = time.perf_counter()
        launches = 0
        while time.perf_counter() - t0 < seconds:
            dev.walk()
            launches += 1
        elapsed = time.perf_counter() - t0
        gpu = (int(dev.meta()[:, M_FLIPS].sum()) - before) / elapsed
        cpu = _cpu_rate(sizes, ring, sym, min(seconds, 10.0))
        rows.append({"config": label, "walks": n, "launches": launches, "gpu_flips_per_s": gpu,
                     "cpu_flips_per_s": cpu, "cpu_cores": os.cpu_count(), "ratio": gpu / cpu})
    return rows


def time_to_rank(seeds: int, batch: int | None, smoke: bool) -> list[dict]:
    rows = []
    jobs = [("3x3x3 F2 -> 23", "3x3x3", 23, None), ("4x4x4 F2 -> 47", "4x4x4", 47, "start")]
    if smoke:
        jobs = [("2x2x2 F2 -> 7", "2x2x2", 7, None)]
    for label, sizes, target, restart in jobs:
        gpu_t, cpu_t = [], []
        for s in range(seeds):
            r = search("gg", sizes, "F2", target_rank=target, rng=s, device="cuda", batch=batch, restart=restart,
                       time_limit=600, progress=False)
            gpu_t.append(r.seconds if r.target_reached else float("inf"))
            if target <= 23 or smoke:
                c = search("gg", sizes, "F2", target_rank=target, rng=s, restart=restart, time_limit=600)
                cpu_t.append(c.seconds if c.target_reached else float("inf"))
        rows.append({"target": label, "seeds": seeds, "gpu_median_s": statistics.median(gpu_t), "gpu_s": gpu_t,
                     "cpu_median_s": statistics.median(cpu_t) if cpu_t else None, "cpu_s": cpu_t})
    return rows


def entropic(n: int, reg_frac: float = 1e-2) -> dict:
    """Entropic partial OT between two point clouds of n points: the GPU cycles against the CPU solver."""
    from linalg_lab.transport import entropic_partial_wasserstein

    g = np.random.default_rng(0)
    x, y = g.standard_normal((n, 2)), g.standard_normal((n, 2)) + 0.5
    M = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    a = np.full(n, 1.0 / n)
    reg = reg_frac * float(M.max())
    row = {"n": n, "reg": f"{reg_frac:g} max(M)", "m": 0.7}
    for device in ("cuda", "cpu"):
        t = time.perf_counter()
        P, log = entropic_partial_wasserstein(a, a, M, reg, 0.7, log=True, device=device)
        row[device] = {"seconds": time.perf_counter() - t, "cycles": log["n_iter"], "converged": log["converged"]}
        row[f"{device}_plan"] = P
    row["max_plan_difference"] = float(np.abs(row.pop("cuda_plan") - row.pop("cpu_plan")).max())
    row["ratio"] = row["cpu"]["seconds"] / row["cuda"]["seconds"]
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=None, help="GPU walks (default: the device's resident threads)")
    ap.add_argument("--seconds", type=float, default=20.0, help="timing window per throughput row")
    ap.add_argument("--flips", type=int, default=20_000, help="flips per walk per launch in the throughput rows")
    ap.add_argument("--seeds", type=int, default=5, help="seeds of the time-to-rank medians")
    ap.add_argument("--smoke", action="store_true", help="tiny run of every step (for the CUDA simulator)")
    ap.add_argument("--json", default=None, metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args(argv)
    ok, why = cuda_status()
    print(f"device: {why}")
    if not ok:
        print("no usable GPU: nothing measured", file=sys.stderr)
        return 2
    if simulator() and not args.smoke:
        print("the simulator's figures mean nothing: use --smoke under NUMBA_ENABLE_CUDASIM=1", file=sys.stderr)
        return 2
    small = args.smoke
    results = {"device": why, "cpu_cores": os.cpu_count()}
    results["check"] = check(2 if small else 256, 100 if small else 5_000)
    for r in results["check"]:
        print(f"check  {r['config']:<14} walks {r['walks']:>5}  same as CPU: {r['same_as_cpu']}  exact {r['exact']}")
    if small:
        global CONFIGS
        CONFIGS = CONFIGS[:1]
    results["throughput"] = throughput(4 if small else args.batch, 0.5 if small else args.seconds,
                                       50 if small else args.flips)
    for r in results["throughput"]:
        print(f"rate   {r['config']:<14} GPU {r['gpu_flips_per_s']:.3e} flips/s ({r['walks']} walks)  "
              f"CPU {r['cpu_flips_per_s']:.3e} ({r['cpu_cores']} cores)  ratio {r['ratio']:.1f}x")
    results["time_to_rank"] = time_to_rank(1 if small else args.seeds, 4 if small else args.batch, small)
    for r in results["time_to_rank"]:
        cpu = "" if r["cpu_median_s"] is None else f"  CPU median {r['cpu_median_s']:.1f} s"
        print(f"time   {r['target']:<16} GPU median {r['gpu_median_s']:.1f} s over {r['seeds']} seeds{cpu}")
    results["entropic"] = [entropic(n) for n in ((40,) if small else (2000, 20000))]
    for r in results["entropic"]:
        print(f"OT     entropic partial n={r['n']:<6} GPU {r['cuda']['seconds']:.2f} s ({r['cuda']['cycles']} cycles)  "
              f"CPU {r['cpu']['seconds']:.2f} s ({r['cpu']['cycles']} cycles)  ratio {r['ratio']:.1f}x  "
              f"max |P_gpu - P_cpu| {r['max_plan_difference']:.1e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
