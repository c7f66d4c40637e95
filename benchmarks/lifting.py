"""Lifting benchmark: lift rate and time per scheme for a pool of rank-23 3x3x3 F2 schemes.

Usage:  python benchmarks/lifting.py [--pool N] [--seed S] [--fallback]

The pool comes from the flip-graph search (``linalg_lab.flipgraph.search(..., keep=N)``)
when it is importable, otherwise (or with --fallback) from the catalogue's
rank-23 Z_T scheme, reduced mod 2 and scrambled by random basis changes and
random F2 flips. Every scheme is lifted with ``lift(s, to="Z")`` after a
warm-up lift (numba compilation / cache load excluded); every lift counted as
a success is verified exactly over Z.

Peer figures (flip-cpd's lifter, Khoruzhii, Gelss & Pokutta's C++ tool, measured
on a 2-core machine like this one; see ../shared/notes/flipgraph.md) are
constants: flip-cpd is not built in this run. It lifts 92-96% of its pools of
about 200 rank-23 3x3x3 F2 schemes, in 0.11 s per pool (about 0.5 ms per scheme).
The structured targets (ss, kg over F3; gt, ug over F2) are lifted once each
from the catalogue's F2/F3 files when present.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from linalg_lab.lifting import lift
from linalg_lab.lifting._pool import scrambled_pool
from linalg_lab.schemes import load_scheme

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = REPO / "schemes"
PEER_RATE = (0.92, 0.96)
PEER_MS = 0.55          # 0.11 s per pool of about 200 schemes
TARGET_RATE = 0.90
TARGET_MS = 5.0


def search_pool(n: int, seed: int):
    """Rank-23 3x3x3 F2 schemes from the flip-graph search, or None if it is not available."""
    try:
        from linalg_lab.flipgraph import search
    except ImportError:
        return None, "linalg_lab.flipgraph.search is not importable"
    t = time.perf_counter()
    res = search("gg", "3x3x3", "F2", target_rank=23, keep=n, time_limit=120, rng=seed)
    schemes = [s for s in res.schemes if s.rank == 23]
    if not schemes:
        return None, f"the search found no rank-23 scheme in {time.perf_counter() - t:.0f} s"
    return schemes, f"flip-graph search, keep={n}, seed={seed}: {len(schemes)} distinct schemes in {time.perf_counter() - t:.1f} s"


def fallback_pool(n: int, seed: int):
    f = CATALOGUE / "gg" / "gg-3x3x3-r23-ZT.json"
    z = load_scheme(f)
    pool = scrambled_pool(z, n, "F2", flips=300, rng=seed)
    return pool, f"fallback: {f.relative_to(REPO)} scrambled (basis changes over Z, then 300 random F2 flips each), seed={seed}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=int, default=200, help="pool size (default 200)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fallback", action="store_true", help="use the generated pool even if the search exists")
    args = ap.parse_args(argv)

    pool, source = (None, "") if args.fallback else search_pool(args.pool, args.seed)
    if pool is None:
        reason = source
        pool, source = fallback_pool(args.pool, args.seed)
        if reason:
            source += f" ({reason})"
    print(f"pool: {source}")

    lift(pool[0], to="Z")                      # compile / load the numba cache
    times, ok, rings = [], 0, {}
    for s in pool:
        t = time.perf_counter()
        r = lift(s, to="Z")
        times.append(time.perf_counter() - t)
        if r.ok:
            assert r.scheme.verify(), "a lift reported as ok does not verify"
            ok += 1
            rings[r.ring_needed] = rings.get(r.ring_needed, 0) + 1
    rate = ok / len(pool)
    med = statistics.median(times) * 1e3
    p90 = float(np.percentile(times, 90)) * 1e3

    print(f"lifted {ok}/{len(pool)} to Z ({', '.join(f'{k}: {v}' for k, v in sorted(rings.items()))}); "
          f"total {sum(times):.3f} s, 90th percentile {p90:.2f} ms")
    print()
    print(f"{'gg 3x3x3 rank 23, F2 -> Z':<34} {'peer (flip-cpd)':>16} {'ours':>10} {'ratio':>16} {'target':>10}")
    peer_rate = f"{PEER_RATE[0]:.0%}-{PEER_RATE[1]:.0%}"
    print(f"{'lift rate':<34} {peer_rate:>16} {rate:>10.1%} {rate / np.mean(PEER_RATE):>15.2f}x {'>= 90%':>10}")
    print(f"{'median ms per scheme':<34} {PEER_MS:>16.2f} {med:>10.2f} {PEER_MS / med:>15.2f}x {'< 5 ms':>10}")
    print(f"{'(ratio: ours / peer for the rate, peer / ours for the time; > 1 is better)'}")

    print()
    print(f"{'structured targets (catalogue)':<34} {'from':>6} {'rank':>5} {'lifted to':>10} {'ms':>8}")
    for code, size, ring, rank, to in (("ss", "2x2x2", "F3", 5, "Q"), ("kg", "3x3x3", "F3", 14, "Q"),
                                       ("gt", "4x4x4", "F2", 34, "Q"), ("ug", "4x4x4", "F2", 34, "Q")):
        f = CATALOGUE / code / f"{code}-{size}-r{rank}-{ring}.json"
        name = f"{code} {size} r{rank}"
        if not f.exists():
            held = sorted(CATALOGUE.glob(f"{code}/{code}-{size}-r*-{ring}.json"))
            note = f"pending (catalogue has {', '.join(h.name for h in held)})" if held else "pending (not found yet)"
            print(f"{name:<34} {ring:>6} {rank:>5} {note}")
            continue
        s = load_scheme(f)
        t = time.perf_counter()
        r = lift(s, to=to)
        ms = (time.perf_counter() - t) * 1e3
        print(f"{name:<34} {ring:>6} {rank:>5} {(r.ring_needed or 'FAILED'):>10} {ms:>8.1f}")
    good = rate >= TARGET_RATE and med < TARGET_MS
    print()
    print(f"targets (rate >= {TARGET_RATE:.0%}, median < {TARGET_MS:g} ms): {'met' if good else 'NOT met'}")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
