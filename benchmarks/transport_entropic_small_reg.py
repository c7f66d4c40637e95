"""Entropic partial OT at small reg on small random problems: how many plans break a constraint, how many converge.

The measurement of issue P0 (item 1): random problems of 2 to 8 points per
side, masses uniform in [0.01, 1], costs uniform in [0, 1], ``m`` uniform
between 5% and 95% of the smaller total mass; for each ``reg / max(M)`` and
mode (default, ``accelerate=False``) it counts the plans whose constraint
excess ``max(max(r - a), max(c - b), |sum - m|)`` is above 1e-6, the runs
that did not converge (``log["converged"]`` False), the warnings raised and
the mean cycles. Run it under two source trees to compare (``PYTHONPATH``).

Usage::

    python benchmarks/transport_entropic_small_reg.py [--problems 150] [--seeds 1] [--m-frac F]

``--m-frac F`` fixes ``m`` to ``F`` times the smaller total (e.g. 0.999).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from linalg_lab.transport.entropic import entropic_partial_wasserstein


def problems(count, seed, m_frac=None):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, n2 = rng.integers(2, 9, 2)
        a = rng.uniform(0.01, 1.0, n)
        b = rng.uniform(0.01, 1.0, n2)
        M = rng.uniform(0.0, 1.0, (n, n2))
        frac = rng.uniform(0.05, 0.95) if m_frac is None else m_frac
        yield a, b, M, frac * min(a.sum(), b.sum())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=150, help="problems per seed (default 150)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0, 1, ... (default 1)")
    parser.add_argument("--m-frac", type=float, default=None, help="fixed m / min(sum a, sum b)")
    parser.add_argument("--regs", default="1e-2,1e-3,3e-4,1e-4,3e-5", help="reg / max(M), comma-separated")
    args = parser.parse_args(argv)
    data = [p for s in range(args.seeds) for p in problems(args.problems, s, args.m_frac)]
    entropic_partial_wasserstein(*data[0][:3], 0.1, data[0][3])  # compile
    print(f"{len(data)} problems; m {'= %g x' % args.m_frac if args.m_frac else 'in 5%..95% of'} min(sum a, sum b)")
    print("| reg / max(M) | mode | excess > 1e-6 | not converged | warned | mean cycles | seconds |")
    print("|---|---|---|---|---|---|---|")
    for regf in (float(r) for r in args.regs.split(",")):
        for mode, kw in (("default", {}), ("accelerate=False", {"accelerate": False})):
            bad = unconverged = warned = cycles = 0
            t0 = time.perf_counter()
            for a, b, M, m in data:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    G, log = entropic_partial_wasserstein(a, b, M, regf * M.max(), m, log=True, **kw)
                excess = max((G.sum(1) - a).max(), (G.sum(0) - b).max(), abs(G.sum() - m))
                bad += bool(excess > 1e-6)
                unconverged += not log["converged"]
                warned += bool(caught)
                cycles += log["n_iter"]
            secs = time.perf_counter() - t0
            print(f"| {regf:g} | {mode} | {bad} | {unconverged} | {warned} | {cycles / len(data):.0f} | {secs:.2f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
