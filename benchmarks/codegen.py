"""Generated fast multiplication against numpy.matmul on one core: time ratio and error.

Run with one BLAS thread (the script sets the usual variables before numpy
is imported)::

    python benchmarks/codegen.py --sizes 1024 2048 4096 8192 --repeat 3

For each scheme (Strassen-Winograd at 1-3 levels, 3x3x3 rank 23 and 4x4x4
rank 49 from the catalogue, 1 level) and each n it prints numpy's time, ours,
the ratio ours/numpy (below 1: ours is faster) and the largest error of
either against a float64 reference computed in extended blocks (for float64
input the reference is numpy's own product, so the error column compares the
two). Times are medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

from linalg_lab.schemes import compile as compile_scheme  # noqa: E402
from linalg_lab.schemes import load_scheme, reduce_additions, strassen_scheme  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _median_time(f, A, B, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        C = f(A, B)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), C


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--cutoff", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    cat = os.path.join(HERE, "..", "schemes", "gg")
    winograd = reduce_additions(strassen_scheme("ZT"), sandwiches=300, rng=1)
    cases = [(f"Strassen-Winograd L={L}", winograd, L) for L in (1, 2, 3)]
    cases += [("3x3x3 r23 L=1", reduce_additions(load_scheme(os.path.join(cat, "gg-3x3x3-r23-ZT.json")), rng=0), 1),
              ("4x4x4 r49 L=1", reduce_additions(load_scheme(os.path.join(cat, "gg-4x4x4-r49-ZT.json")), rng=0), 1)]
    g = np.random.default_rng(args.seed)
    print(f"{'case':<26} {'n':>5} {'numpy s':>9} {'ours s':>9} {'ratio':>6} {'err numpy-ours':>15}  additions")
    for n in args.sizes:
        A, B = g.standard_normal((n, n)), g.standard_normal((n, n))
        t_np, ref = _median_time(np.matmul, A, B, args.repeat)
        for label, prog, L in cases:
            f = compile_scheme(prog, levels=L, cutoff=args.cutoff)
            t, C = _median_time(f, A, B, args.repeat)
            err = float(np.abs(C - ref).max())
            print(f"{label:<26} {n:>5} {t_np:>9.3f} {t:>9.3f} {t / t_np:>6.2f} {err:>15.2e}  {prog.additions}",
                  flush=True)


if __name__ == "__main__":
    main()
