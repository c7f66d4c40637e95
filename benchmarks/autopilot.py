"""The autopilot against its targets (issue P12): default settings, no flags besides the target.

Usage:  python benchmarks/autopilot.py [--rows NAME ...] [--seeds K] [--workers W] [--plain]

Each row is searched from the naive scheme with ``search(code, sizes, ring,
target_rank=..., time_limit=cap, rng=seed)`` and nothing else; it prints the
time to the target per seed (or the rank reached at the cap), the median, and
which strategies the portfolio played (stints / improvements). ``--plain``
adds the same runs with ``autopilot=False`` (the pool search) for comparison.
The machine is shared and noisy: read medians.
"""

from __future__ import annotations

import argparse
import statistics

from linalg_lab.flipgraph import search

#: name -> (code, sizes, ring, target, cap in seconds): the targets of the issue
ROWS = {
    "kg333-F3-14": ("kg", "3x3x3", "F3", 14, 120),
    "gt444-F2-34": ("gt", "4x4x4", "F2", 34, 60),
    "ug444-F2-34": ("ug", "4x4x4", "F2", 34, 60),
    "gg444-F2-47": ("gg", "4x4x4", "F2", 47, 300),
    "gg345-ZT-47": ("gg", "3x4x5", "ZT", 47, 1800),
}


def run(row, seed, workers, autopilot):
    code, sizes, ring, target, cap = ROWS[row]
    r = search(code, sizes, ring, target_rank=target, time_limit=cap, rng=seed, workers=workers,
               autopilot=autopilot)
    played = ""
    if r.autopilot is not None and r.autopilot["engaged_at"] is not None:
        why = r.autopilot["decisions"][0]["strategy"] if r.autopilot["decisions"] else "?"
        played = f"from {r.autopilot['engaged_at']:.1f} s ({why}): " + " ".join(
            f"{k}:{v['stints']}/{v['wins']}" for k, v in r.autopilot["portfolio"].items() if v["stints"] or v["wins"])
    return r, played


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", nargs="*", default=["kg333-F3-14", "gt444-F2-34", "ug444-F2-34"], choices=list(ROWS))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--plain", action="store_true", help="also run the pool search without the autopilot")
    args = ap.parse_args(argv)
    modes = [("autopilot", None)] + ([("plain", False)] if args.plain else [])
    print(f"{'row':<14} {'mode':<10} {'seed':>4} {'result':>22}  strategies played (stints/improvements)")
    for row in args.rows:
        target, cap = ROWS[row][3], ROWS[row][4]
        for label, flag in modes:
            times = []
            for seed in range(args.seeds):
                r, played = run(row, seed, args.workers, flag)
                if r.target_reached:
                    times.append(r.seconds)
                    res = f"rank {r.rank} in {r.seconds:7.1f} s"
                else:
                    times.append(float("inf"))
                    res = f"rank {r.rank} at {cap} s"
                print(f"{row:<14} {label:<10} {seed:>4} {res:>22}  {played}", flush=True)
            med = statistics.median(times)
            hit = sum(t != float("inf") for t in times)
            print(f"{row:<14} {label:<10} {'med':>4} {('%.1f s' % med) if med != float('inf') else '> cap':>22}  "
                  f"{hit}/{len(times)} reached {target} within {cap} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
