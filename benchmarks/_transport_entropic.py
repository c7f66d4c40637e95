"""Entropic partial OT and exact 1-D partial OT against POT 0.9.7 (rows for the transport benchmark).

Rows (sizes of the issue; ``quick=True`` shrinks them so that the call takes
a few seconds):

* converged plan vs POT's, n = 400, reg = 0.05 max(M), m = 0.8;
* equal iteration counts (20 cycles) at n = 1000 and n = 2000, reg = 0.01 max(M):
  time per call and the difference of the plans (ours not rounded onto the
  constraints, as POT's iterate is not: ``rounding=False``);
* reg = 1e-3 max(M), n = 400: ours to a violation < 1e-9; POT's default solver
  (NaN) and its log-domain variant after its default 1000 iterations (how far
  from the converged plan);
* 1-D partial OT, n = 20000 points each, p = 2 (the target) and p = 1: every
  cumulative cost against POT's ``partial_wasserstein_1d``.

Data: 2-D standard Gaussian clouds, the target one shifted by (1, 1), squared
Euclidean cost, uniform masses; 1-D: N(0, 1) against N(0.3, 1).

Usage::

    python benchmarks/_transport_entropic.py [--quick]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import ot

from linalg_lab.transport.entropic import entropic_partial_wasserstein
from linalg_lab.transport.one_d import partial_wasserstein_1d
from _timing import timed




def _clouds(n, seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(n, 2))
    xt = rng.normal(size=(n, 2)) + 1.0
    M = ot.dist(xs, xt)
    return np.full(n, 1.0 / n), np.full(n, 1.0 / n), M


def _rel(G, ref):
    return float(np.abs(G - ref).max() / np.abs(ref).max())


def _warm_up():
    a, b, M = _clouds(8)
    entropic_partial_wasserstein(a, b, M, 0.01 * M.max(), 0.5)
    for p in (1, 2):
        partial_wasserstein_1d([0.0, 1.0], [0.5], p=p)


def _pot_quiet(fn):
    """POT's entropic solver prints (or warns) on NaN: keep the table clean."""
    import contextlib
    import io

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return fn()


def _row_converged(n):
    a, b, M = _clouds(n)
    reg, m = 0.05 * M.max(), 0.8
    (G, log), t_ours = timed(lambda: entropic_partial_wasserstein(a, b, M, reg, m, stopThr=1e-12, log=True), 3)
    (ref, rlog), t_pot = timed(lambda: ot.partial.entropic_partial_wasserstein(a, b, M, reg, m, numItermax=20000,
                                                                                  stopThr=1e-15, log=True))
    diff = _rel(G, ref)
    return dict(row=f"entropic partial, converged, n = {n}, reg = 0.05 max(M), m = 0.8",
                pot=t_pot, ours=t_ours, ratio=t_pot / t_ours,
                check=f"max |G - G_POT| / max G_POT = {diff:.1e} (ours: {log['n_iter']} cycles, violation "
                      f"{log['violation']:.1e}; POT: {10 * len(rlog['err'])} iterations)",
                target="same plan as POT's to 1e-6 relative", met=bool(diff <= 1e-6))


def _ours_raw(a, b, M, reg, m, iters):
    """Our iterate after ``iters`` cycles as POT returns it: not rounded onto the constraints (rounding=False,
    which flags it with a ConvergenceWarning; the default call rounds it, about 5% more time here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return entropic_partial_wasserstein(a, b, M, reg, m, numItermax=iters, stopThr=0, rounding=False)


def _row_equal_iterations(n, iters=20):
    a, b, M = _clouds(n)
    reg, m = 0.01 * M.max(), 0.8
    G, t_ours = timed(lambda: _ours_raw(a, b, M, reg, m, iters), 3)
    ref, t_pot = timed(lambda: ot.partial.entropic_partial_wasserstein(a, b, M, reg, m, numItermax=iters))
    diff = _rel(G, ref)
    ratio = t_pot / t_ours
    return dict(row=f"entropic partial, {iters} cycles each, n = {n}, reg = 0.01 max(M), m = 0.8",
                pot=t_pot, ours=t_ours, ratio=ratio, check=f"same iterate: max |G - G_POT| / max G_POT = {diff:.1e}",
                target=">= 10x faster at equal iteration counts", met=bool(ratio >= 10 and diff <= 1e-9))


def _row_small_reg(n):
    a, b, M = _clouds(n)
    reg, m = 1e-3 * M.max(), 0.8
    (G, log), t_ours = timed(lambda: entropic_partial_wasserstein(a, b, M, reg, m, log=True))
    pot = _pot_quiet(lambda: ot.partial.entropic_partial_wasserstein(a, b, M, reg, m))
    pot_nan = bool(np.isnan(pot).any())
    plog, t_plog = timed(lambda: _pot_quiet(lambda: ot.partial.entropic_partial_wasserstein(
        a, b, M, reg, m, method="sinkhorn_log")))
    off = _rel(plog, G)
    excess = max(float((plog.sum(1) - a).max()), float((plog.sum(0) - b).max()), abs(float(plog.sum()) - m))
    pot_text = (f"{'NaN' if pot_nan else 'finite'} (method='sinkhorn'); method='sinkhorn_log' after its 1000 "
                f"iterations ({t_plog:.1f} s): plan off the converged one by {off:.0e} (relative), "
                f"marginal excess {excess:.0e}")
    met = bool(log["violation"] < 1e-9 and (pot_nan or off > 1e-6))
    return dict(row=f"entropic partial, reg = 1e-3 max(M), n = {n}, m = 0.8", pot=pot_text, ours=t_ours, ratio=None,
                check=f"violation {log['violation']:.1e} after {log['n_iter']} cycles + {log['n_newton']} Newton steps",
                target="converges (violation < 1e-9) where POT returns NaN or stalls", met=met)


def _row_1d(n, p):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=n), rng.normal(size=n) + 0.3
    (ix, iy, c), t_ours = timed(lambda: partial_wasserstein_1d(x, y, p=p), 3)
    (_, _, c_pot), t_pot = timed(lambda: ot.partial.partial_wasserstein_1d(x, y, p=p))
    cs, cs_pot = np.cumsum(c), np.cumsum(c_pot)
    diff = float(np.abs(cs - cs_pot).max() / cs_pot[-1])
    # exactness of ours at a few k: the sorted matching of the points it selected
    ks = np.unique(np.linspace(1, n, 7).astype(int))
    exact = max(abs(cs[k - 1] - np.sum(np.abs(np.sort(x[ix[:k]]) - np.sort(y[iy[:k]])) ** p)) / cs[-1] for k in ks)
    ratio = t_pot / t_ours
    target = ">= 5x faster than POT, equal costs for every k" if p == 2 else "equal costs for every k (no speed target)"
    met = bool(diff <= 1e-9 and (p != 2 or ratio >= 5))
    return dict(row=f"1-D partial OT, all k, n = {n} + {n}, p = {p}", pot=t_pot, ours=t_ours, ratio=ratio,
                check=f"max_k |C(k) - C_POT(k)| / C(n) = {diff:.0e}; ours vs sorted matching of its sets {exact:.0e}",
                target=target, met=met)


def rows(quick: bool = False, select=None) -> list[dict]:
    """The rows (see the module docstring); ``select``: the indices of the rows to run (all by default)."""
    if quick:
        makers = [lambda: _row_converged(60), lambda: _row_equal_iterations(150), lambda: _row_equal_iterations(250),
                  lambda: _row_small_reg(80), lambda: _row_1d(2000, 2), lambda: _row_1d(2000, 1)]
    else:
        makers = [lambda: _row_converged(400), lambda: _row_equal_iterations(1000),
                  lambda: _row_equal_iterations(2000), lambda: _row_small_reg(400), lambda: _row_1d(20000, 2),
                  lambda: _row_1d(20000, 1)]
    _warm_up()
    return [make() for k, make in enumerate(makers) if select is None or k in select]


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a few seconds)")
    args = parser.parse_args(argv)
    for r in rows(args.quick):
        print(" | ".join(f"{k}: {_fmt(v)}" for k, v in r.items()))


if __name__ == "__main__":
    main()
