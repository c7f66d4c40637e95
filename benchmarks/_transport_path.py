"""Benchmark rows for the transport part ``path``: the whole partial-OT path and C^2OT.

* Path: ``partial_wasserstein_path`` (one successive-shortest-path run gives
  the exact partial cost at every mass k/n) against POT solving
  ``ot.partial.partial_wasserstein2`` separately at 20 masses (numItermax
  raised to 1e7 so that the network simplex reaches optimality), 2-D Gaussian
  clouds, uniform masses 1/n, the same cost matrix for both.
* One mass: ``partial_assignment(M, n/2)`` against ``ot.partial.partial_wasserstein``
  at m = 0.5.
* C^2OT: ``conditional_coupling`` with the weight searched for r = 0.2
  (cosine conditions, the authors' batch setting); no POT counterpart, the
  figure is the time of the search plus the assignment.

Usage::

    python benchmarks/_transport_path.py            # n = 1000 (about 20 s, mostly POT)
    python benchmarks/_transport_path.py --quick    # n = 150
"""

from __future__ import annotations

import argparse

import numpy as np
import ot
from scipy.optimize import linear_sum_assignment

from linalg_lab.transport.conditional import conditional_coupling
from linalg_lab.transport.path import partial_assignment, partial_wasserstein_path
from _timing import timed




def _warm_up():
    M = np.random.default_rng(0).random((6, 5))
    partial_wasserstein_path(M, metric="precomputed")
    partial_assignment(M, 3)


def _path_row(n, seed=0):
    rng = np.random.default_rng(seed)
    M = ot.dist(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + 0.5)
    a = np.full(n, 1.0 / n)
    ks = np.unique(np.linspace(n / 20, n, 20).round().astype(int))
    (_, costs), t_ours = timed(lambda: partial_wasserstein_path(M, metric="precomputed"), repeat=3)
    t_pot, worst = 0.0, 0.0
    for k in ks:
        ref, t = timed(lambda: ot.partial.partial_wasserstein2(a, a, M, m=k / n, numItermax=10**7))
        t_pot += t
        worst = max(worst, abs(float(ref) - costs[k]) / abs(float(ref)))
    return {
        "row": f"partial OT path, all {n + 1} masses k/n vs {len(ks)} POT solves, n = {n}, 2-D",
        "pot": t_pot,
        "ours": t_ours,
        "ratio": t_pot / t_ours,
        "check": f"max rel cost diff at {len(ks)} masses {worst:.1e}",
        "target": "costs equal at the 20 masses (rel 1e-9); whole path faster than the 20 POT solves",
        "met": bool(worst <= 1e-9 and t_ours < t_pot),
    }


def _single_mass_row(n, seed=1):
    rng = np.random.default_rng(seed)
    M = ot.dist(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + 0.5)
    a = np.full(n, 1.0 / n)
    k = n // 2
    (rows, cols), t_ours = timed(lambda: partial_assignment(M, k), repeat=3)
    G, t_pot = timed(lambda: ot.partial.partial_wasserstein(a, a, M, m=k / n, numItermax=10**7))
    ours, ref = M[rows, cols].sum() / n, float((G * M).sum())
    rel = abs(ours - ref) / ref
    return {
        "row": f"one mass m = 0.5: partial_assignment vs ot.partial.partial_wasserstein, n = {n}",
        "pot": t_pot,
        "ours": t_ours,
        "ratio": t_pot / t_ours,
        "check": f"rel cost diff {rel:.1e}",
        "target": "same cost (rel 1e-9)",
        "met": bool(rel <= 1e-9),
    }


def _c2ot_row(n, seed=2, target=0.2):
    rng = np.random.default_rng(seed)
    x0, x1 = rng.standard_normal((n, 8)), rng.standard_normal((n, 8))
    c = rng.standard_normal((n, 16))
    (rows, cols, info), t_ours = timed(
        lambda: conditional_coupling(x0, x1, c, c, target_ratio=target, metric="cosine", log=True), repeat=3)
    M = ot.dist(x0, x1)
    _, t_lsa = timed(lambda: linear_sum_assignment(M), repeat=3)
    gap = abs(info["ratio"] - target)
    return {
        "row": f"C^2OT weight search (r = {target}) + assignment, batch {n}, cosine conditions",
        "pot": "n/a (no POT counterpart)",
        "ours": t_ours,
        "ratio": None,
        "check": (f"achieved r = {info['ratio']:.4f} after {info['n_evaluations']} evaluations, w = "
                  f"{info['weight']:.3g}; plain linear_sum_assignment alone {t_lsa:.3g} s"),
        "target": "ratio within 1e-3 of the target",
        "met": bool(gap <= 1e-3),
    }


def rows(quick: bool = False, select=None) -> list[dict]:
    """The rows (see the module docstring); ``select``: the indices of the rows to run (all by default)."""
    n = 150 if quick else 1000
    makers = [lambda: _path_row(n), lambda: _single_mass_row(n), lambda: _c2ot_row(64 if quick else 256)]
    _warm_up()
    return [make() for k, make in enumerate(makers) if select is None or k in select]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a few seconds)")
    args = parser.parse_args()
    for r in rows(quick=args.quick):
        print(r)
