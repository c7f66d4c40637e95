"""Meta flip-graph search over many formats: best rank per format against the best known rank.

Usage:  python benchmarks/meta.py [--formats 2..5] [--ring ZT] [--time-limit 7200] [--seed 2]
                                  [--workers 2] [--out DIR] [--checkpoint FILE] [--start PATH ...]
                                  [--then 2..6 --then-time S] [--no-f2-walks] [--no-descents] [--stays]

Runs ``meta_search`` from the naive schemes (or resumes ``--checkpoint``, whose
recorded seconds count towards ``--time-limit``; ``--start`` adds schemes to
start from, e.g. the bests of a run over fewer formats) and prints one row per format:
our best rank, the best known rank for the ring (the package's copy of the
literature table, ``linalg_lab.schemes.known_ranks``, which a test keeps equal to ``../shared/known_ranks.csv``)
(the Z_T column for ``--ring ZT``), whether it is reached, when this run first
reached it, and the additive complexity of our scheme; then the count matched.
Every scheme in the table was verified exactly (over Z with entries in
{-1, 0, 1} for Z_T) before it entered the pool, and is checked again here on
random integer matrices.

The issue's target: all 20 formats with 2 <= n1 <= n2 <= n3 <= 5 at the known
Z_T rank in 2 hours on 2 cores; then the same over the 35 formats with sizes up
to 6 (``--then 2..6``, which starts from the first run's bests), reporting the count.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from linalg_lab.flipgraph.meta_search import meta_search
from linalg_lab.schemes import additive_complexity


def first_reached(res, used: float) -> dict:
    """Format -> seconds (counted over the resumed runs too) when this run first reached its known rank."""
    out = {}
    for t, f, rank in res.history:
        k = res.known.get(f)
        if k is not None and rank <= k and f not in out:
            out[f] = used + t
    return out


def report(res, label: str) -> None:
    used = res.seconds_total - res.seconds
    reached = first_reached(res, used)
    print(f"\n{label}: {res.seconds_total:.0f} s in all ({res.seconds:.0f} s this run), {res.flips:,} flips this run, "
          f"stopped by {res.stopped}; meta moves taken: {dict(res.moves)}")
    print(f"{'format':>8} {'ours':>5} {'known':>6} {'reached':>8} {'at (s)':>8} {'additions':>10}")
    for f, s in res.best.items():
        k = res.known.get(f)
        ok = k is not None and s.rank <= k
        a = np.random.default_rng(1).integers(-99, 100, (f[0], f[1]))
        b = np.random.default_rng(2).integers(-99, 100, (f[1], f[2]))
        assert np.array_equal(s.multiply(a, b), a @ b), f"{f}: a {res.ring} scheme must multiply integer matrices"
        at = f"{reached[f]:.0f}" if f in reached else ("before" if ok else "-")
        print(f"{'x'.join(map(str, f)):>8} {s.rank:>5} {'-' if k is None else k:>6} {'yes' if ok else 'no':>8} "
              f"{at:>8} {additive_complexity(s):>10}")
    tab = sum(1 for k in res.known.values() if k is not None)
    print(f"{label}: {res.matched} of {tab} formats at the best known {res.ring} rank", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--formats", default="2..5")
    ap.add_argument("--ring", default="ZT", choices=("F2", "F3", "ZT"))
    ap.add_argument("--time-limit", type=float, default=7200.0, help="seconds in all, resumed runs included")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--split", type=int, default=None, metavar="PCT")
    ap.add_argument("--out", default=None, help="folder for every improvement (default: none written)")
    ap.add_argument("--checkpoint", default=None, help="resume from / write to this checkpoint")
    ap.add_argument("--start", nargs="+", default=None, metavar="PATH",
                    help="scheme files, folders or checkpoints to start from besides the naive schemes")
    ap.add_argument("--then", default=None, metavar="FORMATS", help="a second run over these formats (e.g. 2..6)")
    ap.add_argument("--then-time", type=float, default=7200.0, metavar="S")
    ap.add_argument("--no-f2-walks", action="store_true", help="no F2 walks lifted to the ring (A/B runs)")
    ap.add_argument("--no-descents", action="store_true", help="no descent stints (A/B runs)")
    ap.add_argument("--stays", action="store_true", help="stay stints too (A/B runs)")
    ap.add_argument("--quiet", action="store_true", help="no live table on stderr")
    args = ap.parse_args()

    runs = [(args.formats, args.time_limit, args.checkpoint, args.out)]
    if args.then:
        suffix = args.then.replace("..", "-")
        runs.append((args.then, args.then_time,
                     None if args.checkpoint is None else f"{args.checkpoint}.{suffix}",
                     None if args.out is None else f"{args.out}-{suffix}"))
    start = args.start
    for formats, limit, checkpoint, out in runs:
        t0 = time.perf_counter()
        res = meta_search(formats, args.ring, time_limit=limit, workers=args.workers, rng=args.seed,
                          checkpoint=checkpoint, out=out, start=start, split=args.split, progress=not args.quiet,
                          f2_walks=not args.no_f2_walks, descents=not args.no_descents, stays=args.stays)
        start = list(res.best.values()) + list(start or [])
        report(res, f"meta {args.ring} {formats} (seed {args.seed}, {args.workers} workers)")
        print(f"(wall {time.perf_counter() - t0:.0f} s with compilation and checks)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
