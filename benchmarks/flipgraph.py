"""Flip-graph benchmarks: throughput and time-to-rank against flip-cpd's figures on this kind of machine.

Usage:  python benchmarks/flipgraph.py [--quick] [--long]

Peer figures (flip-cpd, Khoruzhii, Gelss & Pokutta's C++ tool, measured on a 2-core machine like this
one; see ../shared/notes/flipgraph.md) are constants: flip-cpd is not built in this run.
--long adds the general (non-symmetric) 4x4x4 -> 47 (30 min, independent descents from the naive
scheme: restart="start") and 5x5x5 -> 97 (1 h) runs.

The 5x5x5 rows use the cyclic-symmetric flip graph (symmetry="C3"): 1 cube term
for rank 97 (= 1 + 3*32), 3 cubes for rank 93 (= 3 + 3*30), the best known rank.
Its peer figure is derived, not measured: Poole's solver README says a run takes
about 10 s and 1 run in 30 reaches 93, i.e. about 300 core-seconds, 150 s on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import time

from linalg_lab.flipgraph import Walker, search
from linalg_lab.flipgraph.symmetric import SymmetricWalker, cyclic_start, expand
from linalg_lab.tensors import naive_scheme

PEER = {
    ("rate", "3x3x3", "F2"): 1.57e7,
    ("rate", "4x4x4", "F2"): 9.5e6,
    ("rate", "3x3x3", "F3"): 1.41e7,
    ("time", "gg", "3x3x3", "F2", 23): 5.0,
    ("time", "gg", "3x3x3", "F3", 23): 86.0,
    ("time", "gt", "4x4x4", "F2", 34): 95.0,
    ("time", "ug", "4x4x4", "F2", 34): 95.0,
    ("time", "gg", "5x5x5", "F2", 93): 150.0,
}


def flip_rate(sizes: str, ring: str, flips: int, runs: int = 3) -> float:
    """Flips per second of one walker (one core), pure flips (no plus transitions), after a warm-up walk.

    Median over ``runs`` walkers (seeds 0, 1, ...): this shared VM's speed drifts by +-15% over minutes.
    """
    rates = []
    for seed in range(runs):
        w = Walker(naive_scheme("gg", sizes, ring), seed)
        w.walk(200_000, plateau=20_000)           # leave the naive scheme, compile
        t = time.perf_counter()
        n = w.walk(flips, plateau=0)
        rates.append(n / (time.perf_counter() - t))
    return statistics.median(rates)


def symmetric_rate(n: int, cubes: int, flips: int) -> float:
    """Orbit flips per second of one cyclic-symmetric walker (each moves three terms)."""
    w = SymmetricWalker(expand(n, "F2", *cyclic_start(n, "F2", cubes)), 0)
    w.walk(200_000, plateau=16_667)
    t = time.perf_counter()
    n_done = w.walk(flips, plateau=0)
    return n_done / (time.perf_counter() - t)


def time_to_rank(code, sizes, ring, target, seeds, limit, **kw):
    times, flips, reached = [], [], 0
    for seed in seeds:
        r = search(code, sizes, ring, target_rank=target, rng=seed, workers=2, time_limit=limit, **kw)
        times.append(r.seconds)
        flips.append(r.flips)
        reached += r.target_reached
    return statistics.median(times), reached, len(seeds), statistics.median(flips)


def row(name, peer, ours, unit, better="higher"):
    if peer is None:
        ratio = "-"
    else:
        ratio = f"{ours / peer:.2f}x" if better == "higher" else f"{peer / ours:.1f}x faster"
    peer_s = "-" if peer is None else f"{peer:.3g}"
    print(f"{name:<44} {peer_s:>10} {ours:>12.3g} {unit:<8} {ratio}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer flips and seeds")
    ap.add_argument("--long", action="store_true", help="also 4x4x4 -> 47, 5x5x5 -> 97 (general walk) and kg 3x3x3 F3 -> 14")
    args = ap.parse_args()
    nflips = 2_000_000 if args.quick else 10_000_000
    seeds = range(3) if args.quick else range(5)
    print(f"{'benchmark':<44} {'flip-cpd':>10} {'linalg-lab':>12} {'unit':<8} ratio")
    for sizes, ring in [("3x3x3", "F2"), ("4x4x4", "F2"), ("5x5x5", "F2"), ("3x3x3", "F3"), ("4x4x4", "F3"), ("5x5x5", "F3")]:
        row(f"flips/s per core, gg {sizes} {ring}", PEER.get(("rate", sizes, ring)), flip_rate(sizes, ring, nflips), "flips/s")
    row("orbit flips/s per core, C3 gg 5x5x5 F2", None, symmetric_rate(5, 3, nflips), "flips/s")
    for code, sizes, ring, target, limit in [("gg", "3x3x3", "F2", 23, 60), ("gg", "3x3x3", "F3", 23, 120),
                                             ("gt", "4x4x4", "F2", 34, 300), ("ug", "4x4x4", "F2", 34, 300)]:
        med, ok, n, fl = time_to_rank(code, sizes, ring, target, seeds, limit)
        row(f"{code} {sizes} {ring} naive -> {target}, 2 cores, median s ({ok}/{n})",
            PEER.get(("time", code, sizes, ring, target)), med, "s", better="lower")
    for target, cubes, limit, tries in [(97, 1, 600, seeds), (93, 3, 600, range(3))]:
        med, ok, n, fl = time_to_rank("gg", "5x5x5", "F2", target, tries, limit, symmetry="C3", cubes=cubes)
        row(f"gg 5x5x5 F2 C3 -> {target}, 2 cores, median s ({ok}/{n})",
            PEER.get(("time", "gg", "5x5x5", "F2", target)), med, "s", better="lower")
    if args.long:
        deep = dict(plateau=30_000, margin=8, path_limit=100_000_000)    # search/kg-3x3x3-F3.toml
        descents = dict(restart="start")                                  # search/gg-4x4x4-F2.toml
        for code, sizes, ring, target, limit, kw in [("gg", "4x4x4", "F2", 47, 1800, descents),
                                                     ("gg", "5x5x5", "F2", 97, 3600, {}),
                                                     ("kg", "3x3x3", "F3", 14, 1800, deep)]:
            r = search(code, sizes, ring, target_rank=target, rng=0, workers=2, time_limit=limit, **kw)
            print(f"{code} {sizes} {ring} -> {target}: reached rank {r.rank} in {r.seconds:.0f} s "
                  f"({r.flips:.3g} flips, {r.plus_transitions} plus transitions), target reached: {r.target_reached}")


if __name__ == "__main__":
    main()
