"""Benchmark rows for partial Gromov-Wasserstein (issue P15, part "gromov").

Usage:  python benchmarks/_transport_gromov.py [--quick]   (or: python benchmarks/transport.py --only gromov)
        python benchmarks/_transport_gromov.py --profile [N ...]   (per-step CPU times, POT's and ours)

Two point clouds (2-D Gaussian + 1/3 uniform noise against 3-D Gaussian + 1/3
noise, Euclidean distances, uniform masses, m = 2/3), n = 300 and n = 1000:

* exact: ours against POT's ``ot.partial.partial_gromov_wasserstein2`` from
  the same (default) initial plan, interleaved, median of the repeats; check:
  the same value to 1e-6 relative and the Frank-Wolfe gap of our plan (POT's
  dense LP on its gradient as the reference vertex) at most 1e-6 of the value;
  target: 5x faster;
* entropic: ``entropic_partial_gromov_wasserstein2`` at reg = 0.1 max|grad|
  scale (reg = 10 on these distances) with 3 outer steps each (equal
  iterations; POT's inner solve runs its 1000 cycles, ours stops at a
  violation of 1e-9); check: the values; target: 10x faster.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from scipy.spatial.distance import cdist


def _clouds(n, seed=0):
    rng = np.random.RandomState(seed)
    k = 2 * n // 3
    xs = np.concatenate([rng.randn(k, 2), (rng.rand(n - k, 2) + 1) * 4])
    xt = np.concatenate([rng.randn(k, 3), (rng.rand(n - k, 3) + 1) * 10])
    return cdist(xs, xs), cdist(xt, xt), np.full(n, 1.0 / n), np.full(n, 1.0 / n)


def _interleaved(pot, ours, repeats):
    tp, to, vp, vo = [], [], None, None
    for _ in range(repeats):
        for fn, times in ((pot, tp), (ours, to)):
            t0 = time.perf_counter()
            value = fn()
            times.append(time.perf_counter() - t0)
            if fn is pot:
                vp = value
            else:
                vo = value
    return statistics.median(tp), statistics.median(to), float(vp), float(vo)


def _exact_row(n, repeats):
    import ot

    from linalg_lab.transport import partial_gromov_wasserstein2

    C1, C2, p, q = _clouds(n)
    tp, to, vp, vo = _interleaved(lambda: ot.partial.partial_gromov_wasserstein2(C1, C2, p, q, m=2 / 3),
                                  lambda: partial_gromov_wasserstein2(C1, C2, p, q, m=2 / 3), repeats)
    rel = abs(vo - vp) / abs(vp)
    # the Frank-Wolfe gap <grad, T - V> at ours's plan, V the best vertex (POT's dense LP as the reference)
    _, log = partial_gromov_wasserstein2(C1, C2, p, q, m=2 / 3, log=True)
    T = log["T"]
    H = 0.5 * ((C1**2) @ T.sum(1))[:, None] + 0.5 * (T.sum(0) @ C2**2)[None, :] - C1 @ T @ C2.T
    V = ot.partial.partial_wasserstein(p, q, H, m=2 / 3)
    gap = 2 * float(np.sum(H * (T - V))) / abs(vo)
    return {"row": f"partial_gromov_wasserstein2, two clouds n = {n}, m = 2/3 (s, median of {repeats})",
            "pot": round(tp, 3), "ours": round(to, 3), "ratio": round(tp / to, 2),
            "check": f"rel value diff {rel:.1e}; FW gap / value {gap:.1e} ({log['n_iter']} steps)",
            "target": "same value (1e-6 rel), FW gap <= 1e-6 value, 5x faster",
            "met": bool(rel <= 1e-6 and gap <= 1e-6 and tp / to >= 5)}


def _entropic_row(n, steps):
    import ot

    from linalg_lab.transport import entropic_partial_gromov_wasserstein2

    C1, C2, p, q = _clouds(n)
    reg = 10.0
    tp, to, vp, vo = _interleaved(
        lambda: ot.partial.entropic_partial_gromov_wasserstein2(C1, C2, p, q, reg, m=2 / 3, numItermax=steps),
        lambda: entropic_partial_gromov_wasserstein2(C1, C2, p, q, reg, m=2 / 3, numItermax=steps), 1)
    rel = abs(vo - vp) / abs(vp)
    return {"row": f"entropic_partial_gromov_wasserstein2, n = {n}, reg = {reg}, {steps} outer steps each (s)",
            "pot": round(tp, 3), "ours": round(to, 3), "ratio": round(tp / to, 2),
            "check": f"rel value diff {rel:.1e}", "target": "10x faster at equal outer steps",
            "met": bool(tp / to >= 10)}


def _warm_up():
    from linalg_lab.transport import entropic_partial_gromov_wasserstein2, partial_gromov_wasserstein2

    C1, C2, p, q = _clouds(20)
    partial_gromov_wasserstein2(C1, C2, p, q, m=0.5)
    entropic_partial_gromov_wasserstein2(C1, C2, p, q, 10.0, m=0.5, numItermax=2)


def rows(quick: bool = False, select=None) -> list[dict]:
    from linalg_lab.transport import ConvergenceWarning

    warnings.simplefilter("ignore", DeprecationWarning)
    # equal outer steps (3 and 1) stop both solvers before their tolerance: ours says so, as it should
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.filterwarnings("ignore", message="This function will be deprecated")
    if quick:
        makers = [lambda: _exact_row(100, 3), lambda: _entropic_row(60, 2)]
    else:
        makers = [lambda: _exact_row(300, 5), lambda: _exact_row(1000, 3), lambda: _entropic_row(300, 3),
                  lambda: _entropic_row(1000, 1)]
    _warm_up()
    return [make() for k, make in enumerate(makers) if select is None or k in select]


def profile(n):
    """Per Frank-Wolfe step, CPU time of each part of POT's run and of ours (one run each, after a warm-up)."""
    import ot
    import ot.partial.partial_solvers as pot_partial

    from linalg_lab.transport import _gromov_kernels as gk
    from linalg_lab.transport import gromov

    warnings.filterwarnings("ignore", message="This function will be deprecated")
    C1, C2, p, q = _clouds(n)
    clock = time.process_time

    def timed_calls(owner, name, key, log):
        fn = getattr(owner, name)

        def wrapper(*args, **kwargs):
            t0 = clock()
            out = fn(*args, **kwargs)
            log.append((key, clock() - t0))
            return out

        setattr(owner, name, wrapper)
        return fn

    # POT: one emd (the LP) and two gwgrad_partial calls (the gradient, and the loss of the direction for the line
    # search: four n x n x n' products in all) per step
    pot_log = []
    saved = [(pot_partial, "emd", timed_calls(pot_partial, "emd", "LP", pot_log)),
             (pot_partial, "gwgrad_partial", timed_calls(pot_partial, "gwgrad_partial", "grad", pot_log))]
    ot.partial.partial_gromov_wasserstein2(C1, C2, p, q, m=2 / 3)
    pot_log.clear()
    t0 = clock()
    ot.partial.partial_gromov_wasserstein2(C1, C2, p, q, m=2 / 3)
    pot_total = clock() - t0
    for owner, name, fn in saved:
        setattr(owner, name, fn)
    ours_log = []
    saved = [(gromov._TreeLP, "solve", timed_calls(gromov._TreeLP, "solve", "LP", ours_log)),
             (gromov, "_monge_start", timed_calls(gromov, "_monge_start", "start", ours_log)),
             (gromov._VertexProducts, "__call__", timed_calls(gromov._VertexProducts, "__call__", "product", ours_log)),
             (gk, "line_terms", timed_calls(gk, "line_terms", "pass", ours_log)),
             (gk, "fw_step", timed_calls(gk, "fw_step", "pass", ours_log))]
    gromov.partial_gromov_wasserstein2(C1, C2, p, q, m=2 / 3)
    ours_log.clear()
    t0 = clock()
    _, log = gromov.partial_gromov_wasserstein2(C1, C2, p, q, m=2 / 3, log=True)
    ours_total = clock() - t0
    for owner, name, fn in saved:
        setattr(owner, name, fn)

    def per_step(entries, first_key):
        steps = []
        for k, (key, dt) in enumerate(entries):
            # a step opens at its first part: POT's at the gradient that precedes an LP (the gradient of the
            # line search follows the LP; the value's at the end counts with the last step)
            opens = (key == "grad" and k + 1 < len(entries) and entries[k + 1][0] == "LP") if first_key == "grad" \
                else key == first_key
            if opens or not steps:
                steps.append({})
            steps[-1][key] = steps[-1].get(key, 0.0) + dt
        return steps

    pot_steps = per_step(pot_log, "grad")
    ours_steps = per_step([e for e in ours_log if e[0] != "start"], "LP")
    start = sum(dt for key, dt in ours_log if key == "start")
    print(f"n = {n}: POT {len(pot_steps)} steps, {pot_total:.3f} s CPU; ours {log['n_iter']} steps, "
          f"{ours_total:.4f} s CPU ({log['lp_pivots']} pivots; Monge start of the first step {start * 1e3:.1f} ms)")
    print("| step | POT LP (ms) | POT gradients (ms) | ours LP (ms) | ours C1 V C2^T (ms) | ours passes (ms) |")
    print("|---|---|---|---|---|---|")
    for k in range(max(len(pot_steps), len(ours_steps))):
        ps = pot_steps[k] if k < len(pot_steps) else {}
        os_ = ours_steps[k] if k < len(ours_steps) else {}
        cells = [ps.get("LP"), ps.get("grad"), os_.get("LP"), os_.get("product"), os_.get("pass")]
        print(f"| {k + 1} | " + " | ".join("-" if c is None else f"{c * 1e3:.1f}" for c in cells) + " |")
    pot_sum = {k: sum(s.get(k, 0.0) for s in pot_steps) for k in ("LP", "grad")}
    ours_sum = {k: sum(s.get(k, 0.0) for s in ours_steps) for k in ("LP", "product", "pass")}
    print(f"| all | {pot_sum['LP'] * 1e3:.0f} | {pot_sum['grad'] * 1e3:.0f} | {ours_sum['LP'] * 1e3:.0f} "
          f"(+ {start * 1e3:.0f} start) | {ours_sum['product'] * 1e3:.0f} | {ours_sum['pass'] * 1e3:.0f} |")
    print(f"rest (python, setup, GEMVs): POT {(pot_total - sum(pot_sum.values())) * 1e3:.0f} ms, ours "
          f"{(ours_total - sum(ours_sum.values()) - start) * 1e3:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    parser.add_argument("--profile", type=int, nargs="*", default=None, metavar="N",
                        help="instead of the rows: the per-step CPU times of POT's run and ours at these sizes "
                             "(default 300 1000)")
    args = parser.parse_args()
    if args.profile is not None:
        for size in args.profile or [300, 1000]:
            profile(size)
    else:
        for r in rows(quick=args.quick):
            print(r)
