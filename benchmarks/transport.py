"""Transport family against POT, in one run: every row prints POT's figure, ours and the ratio.

Rows come from the part modules (``_transport_exact``: exact partial OT and
LOPT; ``_transport_entropic``: entropic partial OT and 1-D; ``_transport_path``:
the whole partial path and C^2OT; ``_transport_gromov``: partial
Gromov-Wasserstein, issue P15); each row says what it checks and whether
its target (issue P8) is met. Timings exclude numba compilation.

Usage::

    python benchmarks/transport.py            # the issue's sizes (several minutes, about 3.5 GB at n = 8000)
    python benchmarks/transport.py --quick    # small sizes, a smoke check (under a minute)
    python benchmarks/transport.py --only path,entropic
    python benchmarks/transport.py --only exact --rows 2     # one row of a part (short locked runs)
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

PARTS = ("exact", "entropic", "path", "gromov")


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.3g}"
    return str(x)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke check)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts among {', '.join(PARTS)}")
    parser.add_argument("--rows", default=None,
                        help="comma-separated row indices (from 0) within each part given to --only, e.g. "
                             "'--only exact --rows 2': a part in several short runs (the full rows: exact 6, "
                             "entropic 6, path 3, gromov 4)")
    args = parser.parse_args(argv)
    select = None
    if args.rows is not None:
        try:
            select = {int(k) for k in args.rows.split(",") if k.strip()}
        except ValueError:
            parser.error(f"--rows: expected comma-separated integers, got {args.rows!r}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}")
    met = total = 0
    t0 = time.perf_counter()
    print("| row | POT | ours | POT/ours | check | target | met |")
    print("|---|---|---|---|---|---|---|")
    for part in parts:
        module = importlib.import_module(f"_transport_{part}")
        for r in module.rows(quick=args.quick, select=select):
            total += 1
            met += bool(r["met"])
            print(f"| {r['row']} | {_fmt(r['pot'])} | {_fmt(r['ours'])} | {_fmt(r['ratio'])} | {r['check']} | "
                  f"{r['target']} | {'yes' if r['met'] else 'NO'} |", flush=True)
    print(f"\n{met} of {total} rows meet their target ({time.perf_counter() - t0:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
