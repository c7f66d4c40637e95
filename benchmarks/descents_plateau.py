"""Independent descents: how often they fall into a deep hole, per plateau (default 4x4x4 over F2).

Usage:  python benchmarks/descents_plateau.py [--plateaus 50000 20000 10000 5000 2000] [--seconds 150]
                                             [--processes 2] [--margin 3] [--path-limit 1e7]
                                             [--sizes 4x4x4] [--ring F2] [--deep 49] [--best 47]
                                             [--symmetric]

Each process walks descents from the naive scheme with one :class:`Walker`
(plateau, margin and path limit as given: the descent ends after that many
flips without a new low), for ``--seconds`` CPU seconds per plateau. It
prints, per plateau, the descents made, their CPU seconds, how many ended at
rank ``--deep`` or lower per 100 core-seconds (on 4x4x4 over F2, 49:
Strassen x Strassen's hole or AlphaTensor's 47), how many reached ``--best``,
and the endpoint ranks. On 4x4x4 over F2 the plateau is the only knob that
moved the rates (margin 3 and 5 gave the same at 20,000).

``--symmetric`` walks the cyclic-symmetric walk instead, from the fresh
symmetric start for ``--best`` (square formats), e.g. ``--sizes 5x5x5
--symmetric --margin 30 --path-limit 3.3e7 --deep 96 --best 93
--plateaus 16667 5000 50000``.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import time

import numpy as np

from linalg_lab.flipgraph.symmetric import SymmetricWalker, fresh_start
from linalg_lab.flipgraph.walker import Walker
from linalg_lab.schemes import naive_scheme

CHUNK = 250_000


def descents(seed: int, seconds: float, plateau: int, margin: int, path_limit: float, sizes: str, ring: str,
             best_rank: int, symmetric: bool = False) -> list:
    """(final rank, seconds) of every descent walked within ``seconds`` (the walk kernel is compiled first)."""
    if symmetric:
        start = fresh_start(int(sizes.split("x")[0]), ring, best_rank)
        w = SymmetricWalker(start, np.random.default_rng(seed), headroom=12)
    else:
        start = naive_scheme("gg", sizes, ring)
        w = Walker(start, np.random.default_rng(seed))
    w.walk(1000, plateau=plateau, margin=margin)        # compile before the clock
    out = []
    t_end = time.process_time() + seconds
    while time.process_time() < t_end:
        w.load(start)
        t0 = time.process_time()
        best, since = w.best_rank, 0
        while since < path_limit and best > best_rank:
            since += w.walk(CHUNK, plateau=plateau, margin=margin)
            if w.best_rank < best:
                best, since = w.best_rank, 0
        out.append((best, time.process_time() - t0))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plateaus", type=int, nargs="+", default=[50_000, 20_000, 10_000, 5_000, 2_000])
    ap.add_argument("--seconds", type=float, default=150.0, help="CPU seconds per process and plateau")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--margin", type=int, default=3)
    ap.add_argument("--path-limit", type=float, default=1e7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sizes", default="4x4x4")
    ap.add_argument("--ring", default="F2", choices=["F2", "F3", "ZT"])
    ap.add_argument("--deep", type=int, default=49, help="a descent ending at this rank or lower is deep")
    ap.add_argument("--best", type=int, default=47, help="the best known rank (a descent stops there)")
    ap.add_argument("--symmetric", action="store_true", help="the cyclic-symmetric walk from a fresh start")
    args = ap.parse_args(argv)
    print(f"gg {args.sizes} over {args.ring}{' (C3)' if args.symmetric else ''}: deep = rank <= {args.deep}, best = {args.best}")
    print(f"{'plateau':>8} {'descents':>8} {'core-s':>7} {'deep/100 s':>10} {'best':>4}  endpoints")
    with mp.get_context("spawn").Pool(args.processes) as pool:
        for k, plateau in enumerate(args.plateaus):
            jobs = [(args.seed + 1000 * k + p, args.seconds, plateau, args.margin, args.path_limit, args.sizes,
                     args.ring, args.best, args.symmetric) for p in range(args.processes)]
            rows = [r for part in pool.starmap(descents, jobs) for r in part]
            secs = sum(t for _, t in rows)
            ends = collections.Counter(b for b, _ in rows)
            deep = sum(c for b, c in ends.items() if b <= args.deep)
            print(f"{plateau:>8} {len(rows):>8} {secs:>7.0f} {100 * deep / secs:>10.1f} {ends[args.best]:>4}  "
                  f"{dict(sorted(ends.items()))}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
