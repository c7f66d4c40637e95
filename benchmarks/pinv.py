"""Randomized pseudoinverse vs scipy.linalg.pinv on an exactly low-rank matrix.

Builds A = X Y^T (m x n, X and Y Gaussian with `rank` columns, so A has exact
rank `rank`), computes the reference truncated-SVD pseudoinverse
V_r diag(1/s_r) U_r^T from a thin SVD of A, and times, in this one run:

* the peer, ``scipy.linalg.pinv(A)`` (a full SVD; its default cutoff
  max(m, n) * eps * sigma_max keeps the right rank);
* ours, ``randomized_pinv(A, k)`` with Gaussian sketches (factored result),
  and ``randomized_pinv(A, k).toarray()`` (dense n x m result);
* optionally (``--numpy``, about a minute more) ``numpy.linalg.pinv(A)`` with
  its default cutoff 1e-15 * sigma_max, which keeps too many singular values.

Prints a table: peer time, ours, the ratio, and the relative Frobenius error
of every result against the truncated-SVD pseudoinverse.

Usage::

    python benchmarks/pinv.py                 # 4000 x 3000, rank 50, k = 60
    python benchmarks/pinv.py --numpy         # also numpy.linalg.pinv
    python benchmarks/pinv.py --m 1000 --n 800 --rank 20 --k 30   # quick
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy
import scipy.linalg as sla

from linalg_lab.factorization import randomized_pinv, rank_cutoff
from _timing import timed


def _relerr(X, ref):
    return float(np.linalg.norm(X - ref) / np.linalg.norm(ref))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--m", type=int, default=4000)
    p.add_argument("--n", type=int, default=3000)
    p.add_argument("--rank", type=int, default=50)
    p.add_argument("--k", type=int, default=60, help="sketch size k = l")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=5, help="repeats of ours (median)")
    p.add_argument("--numpy", action="store_true", help="also time numpy.linalg.pinv (slow)")
    args = p.parse_args(argv)
    m, n, r, k = args.m, args.n, args.rank, args.k

    rng = np.random.default_rng(args.seed)
    A = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
    print(f"A: {m} x {n}, exact rank {r}; sketch k = l = {k}; seed {args.seed}; "
          f"numpy {np.__version__}, scipy {scipy.__version__}")

    (U, s, Vt), t_svd = timed(lambda: sla.svd(A, full_matrices=False))
    ref = (Vt[:r].T / s[:r]) @ U[:, :r].T
    cut = rank_cutoff(s[0], A.shape)
    print(f"reference: truncated-SVD pinv (rank {r}) from scipy.linalg.svd, {t_svd:.1f} s; "
          f"sigma_{r + 1}/sigma_1 = {s[r] / s[0]:.1e}; our cutoff = {cut / s[0]:.1e} * sigma_1 "
          f"keeps {int(np.count_nonzero(s > cut))}; numpy's 1e-15 * sigma_1 keeps "
          f"{int(np.count_nonzero(s > 1e-15 * s[0]))}")

    X_sp, t_sp = timed(lambda: sla.pinv(A))
    rank_sp = int(np.count_nonzero(s > max(m, n) * np.finfo(float).eps * s[0]))
    randomized_pinv(A, k, rng=args.seed)  # warm-up (first-call overheads), not timed
    runs: list[float] = []
    op, t_ours = timed(lambda: randomized_pinv(A, k, rng=args.seed), args.repeat, runs)
    X_ours, t_dense = timed(lambda: randomized_pinv(A, k, rng=args.seed).toarray(), args.repeat)

    rows = [
        ("scipy.linalg.pinv(A)", "peer", t_sp, rank_sp, _relerr(X_sp, ref)),
        (f"randomized_pinv(A, {k})", "ours", t_ours, op.rank, _relerr(op.toarray(), ref)),
        (f"randomized_pinv(A, {k}).toarray()", "ours", t_dense, op.rank, _relerr(X_ours, ref)),
    ]
    if args.numpy:
        X_np, t_np = timed(lambda: np.linalg.pinv(A))
        rank_np = int(np.count_nonzero(s > 1e-15 * s[0]))
        rows.insert(1, ("numpy.linalg.pinv(A) [rcond 1e-15]", "peer", t_np, rank_np,
                        _relerr(X_np, ref)))

    print()
    print(f"{'method':<36} {'role':<5} {'time [s]':>9} {'ratio':>9} {'rank':>5} "
          f"{'rel. error vs TSVD pinv':>24}")
    print("-" * 92)
    for name, role, t, rank, err in rows:
        ratio = f"{t_sp / t:.0f}x" if role == "ours" else "1x" if name.startswith("scipy") else (
            f"{t_sp / t:.2f}x")
        print(f"{name:<36} {role:<5} {t:>9.3f} {ratio:>9} {rank:>5} {err:>24.1e}")
    print("-" * 92)
    print("ratio = scipy.linalg.pinv time / this row's time (higher is faster than the peer); "
          f"peers: one run each; ours: median of {args.repeat} runs after one warm-up "
          f"({', '.join(f'{t:.3f}' for t in runs)} s)")
    speedup, err = t_sp / t_ours, rows[1 if not args.numpy else 2][4]
    print(f"ranks observed by randomized_pinv: {op.ranks}, "
          f"rank_conditions_observed={op.rank_conditions_observed}, "
          f"residual_estimate={op.residual_estimate:.1e}")
    print(f"target speed-up >= 50x: {speedup:.0f}x -> {'PASS' if speedup >= 50 else 'FAIL'}; "
          f"target rel. error <= 1e-10: {err:.1e} -> {'PASS' if err <= 1e-10 else 'FAIL'}")


if __name__ == "__main__":
    main()
