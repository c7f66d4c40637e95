"""Flip-graph search on Dask against the thread executor on the same cores (issue P11).

Usage:  python benchmarks/distributed.py [--seconds S] [--repeats K]

For 4x4x4 over F2 (no target: the walk runs for the whole window) it prints the
flips per second of the thread executor with 1 and 2 walkers, and of a local
Dask cluster (loopback, one single-threaded worker process per walker) with 1
and 2 workers, with the ratio Dask / threads; then the driver's cost per task,
from steps of one flip (where the task does almost no work): the number of
tasks per second one driver absorbs, which bounds how many workers it can keep
busy at a given chunk length: with the default chunk of 2**24 flips a task lasts
chunk / (one worker's flip rate) seconds, so one driver feeds about
(tasks per second it absorbs) x (task length) workers before it saturates. Medians over ``--repeats`` runs; the machine is
shared and noisy, so read the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

# this file's name is the Dask package's: keep its own folder off the import path
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

from distributed import Client, LocalCluster  # noqa: E402

from linalg_lab.flipgraph import search  # noqa: E402
from linalg_lab.flipgraph.dask_executor import DaskExecutor  # noqa: E402


def rate(workers: int, seconds: float, executor=None) -> float:
    r = search("gg", "4x4x4", "F2", time_limit=seconds, workers=workers, rng=0, executor=executor)
    return r.flips / r.seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    rows = []
    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            DaskExecutor(client).prepare([])            # warm the workers up once
            threads, dask = [], []
            for _ in range(args.repeats):               # interleaved: both see the same machine
                threads.append(rate(n, args.seconds))
                dask.append(rate(n, args.seconds, DaskExecutor(client)))
            rows.append((n, statistics.median(threads), statistics.median(dask)))
            if n == 1:
                ex = DaskExecutor(client)
                r = search("gg", "4x4x4", "F2", time_limit=args.seconds, workers=1, rng=0, chunk=1, harvest=1,
                           executor=ex)
                per_task = r.seconds / max(1, ex.steps)
    print(f"{'walkers':>8} {'threads flips/s':>16} {'dask flips/s':>14} {'dask/threads':>13}")
    for n, t, d in rows:
        print(f"{n:>8} {t:>16.3e} {d:>14.3e} {d / t:>13.3f}")
    print(f"driver cost per task (steps of 1 flip, 1 worker): {per_task * 1e3:.2f} ms "
          f"-> at most {1 / per_task:.0f} tasks/s from one driver")
    chunk = DaskExecutor("tcp://unused:0").chunk
    task_seconds = chunk / rows[0][2]
    print(f"default chunk {chunk} flips at {rows[0][2]:.3e} flips/s per worker: a task lasts {task_seconds:.1f} s, "
          f"so one driver feeds about {task_seconds / per_task:.0f} single-core workers before it saturates")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
