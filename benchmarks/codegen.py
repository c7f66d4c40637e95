"""Generated fast multiplication against numpy.matmul on one core: time ratio and error growth per level.

Run under the benchmark lock, pinned to one core; the script sets the BLAS
thread variables to 1 before numpy is imported::

    flock /tmp/linalg-lab-bench.lock taskset -c 0 python benchmarks/codegen.py --sizes 1024 2048 4096
    flock /tmp/linalg-lab-bench.lock taskset -c 0 python benchmarks/codegen.py --sizes 8192 --repeat 1
    python benchmarks/codegen.py --quick          # n = 256, 512: a minute

Cases: Strassen-Winograd (the 15-addition program :func:`reduce_additions`
finds in Strassen's sandwich orbit) at 1, 2 and 3 levels, 3x3x3 rank 23 and
4x4x4 rank 49 from the catalogue at 1 level, all through
:func:`linalg_lab.schemes.compile` (numpy, ``matmul`` below the cutoff); and,
for n up to ``--c-max``, the generated C (:func:`compile_c`: no BLAS, its own
blocked loop below the cutoff) for Winograd at 1 to 3 levels and classical
(0 levels) as the C baseline.

Columns: numpy's time and ours (float64, median of ``--repeat``), the ratio
ours / numpy (below 1: ours is faster), and the error of float32 inputs
against a float64 reference, numpy's float32 ``matmul`` and ours
(max |C - C_ref| / (max|A| max|B| n)); ``growth`` is ours / numpy's. The C
code computes in double only: its rows give the float64 difference from
numpy's float64 product, and ``growth`` against the C classical row. Inputs
are standard normal; each case runs once untimed first. The 3x3x3 program is
``benchmarks/results/gg-3x3x3-r23-ZT_reduced.json`` when that file exists.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

from linalg_lab.schemes import compile as compile_scheme  # noqa: E402
from linalg_lab.schemes import compile_c, find_c_compiler, load_program, load_scheme, reduce_additions  # noqa: E402
from linalg_lab.schemes import strassen_scheme  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _median_time(f, A, B, repeat):
    C = f(A, B)               # warm-up (first-touch of buffers, lazy BLAS setup): not timed
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        C = f(A, B)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), C


def _rel_err(C, ref, scale):
    return float(np.abs(C.astype(np.float64) - ref).max()) / scale


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    p.add_argument("--quick", action="store_true", help="n = 256, 512, three repeats (overrides --sizes, --repeat)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--cutoff", type=int, default=256, help="numpy.matmul below this size (the Python cases)")
    p.add_argument("--c-cutoff", type=int, default=64, help="the C base kernel below this size")
    p.add_argument("--c-max", type=int, default=2048, help="largest n for the generated-C rows (0: none)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--c-only", action="store_true", help="only the generated-C rows (and numpy's time)")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = [256, 512], 3
    cat = os.path.join(HERE, "..", "schemes", "gg")
    winograd = reduce_additions(strassen_scheme("ZT"), sandwiches=300, rng=1)
    best333 = os.path.join(HERE, "results", "gg-3x3x3-r23-ZT_reduced.json")     # the shortest program we found
    lad = (load_program(best333) if os.path.exists(best333)
           else reduce_additions(load_scheme(os.path.join(cat, "gg-3x3x3-r23-ZT.json")), restarts=64, rng=0))
    r49 = reduce_additions(load_scheme(os.path.join(cat, "gg-4x4x4-r49-ZT.json")), restarts=64, rng=0)
    cases = [(f"Winograd L={L}", compile_scheme(winograd, levels=L, cutoff=args.cutoff), winograd) for L in (1, 2, 3)]
    cases += [("3x3x3 r23 L=1", compile_scheme(lad, levels=1, cutoff=args.cutoff), lad),
              ("4x4x4 r49 L=1", compile_scheme(r49, levels=1, cutoff=args.cutoff), r49)]
    c_cases = []
    if args.c_max and find_c_compiler():
        c_cases = [(f"C classical", compile_c(winograd, levels=0, cutoff=args.c_cutoff), winograd)]
        c_cases += [(f"C Winograd L={L}", compile_c(winograd, levels=L, cutoff=args.c_cutoff), winograd)
                    for L in (1, 2, 3)]
    elif args.c_max:
        print("# no C compiler: the generated-C rows are left out", file=sys.stderr)
    print(f"# numpy {np.__version__}, {platform.processor() or platform.machine()}, one BLAS thread; "
          f"python cutoff {args.cutoff}, C cutoff {args.c_cutoff}; additions per level: Winograd "
          f"{winograd.additions}, 3x3x3 r23 {lad.additions}, 4x4x4 r49 {r49.additions}")
    print(f"{'case':<18} {'n':>5} {'numpy s':>9} {'ours s':>9} {'ratio':>6} "
          f"{'err numpy':>10} {'err ours':>10} {'growth':>7}")
    g = np.random.default_rng(args.seed)
    for n in args.sizes:
        A, B = g.standard_normal((n, n)), g.standard_normal((n, n))
        A32, B32 = A.astype(np.float32), B.astype(np.float32)
        ref32 = A32.astype(np.float64) @ B32.astype(np.float64)
        scale = float(np.abs(A32).max() * np.abs(B32).max() * n)
        err_np = _rel_err(A32 @ B32, ref32, scale)
        t_np, _ = _median_time(np.matmul, A, B, args.repeat)
        rows = ([] if args.c_only else cases) + (c_cases if n <= args.c_max else [])
        e_c_classical = float("nan")
        for label, f, prog in rows:
            t, _ = _median_time(f, A, B, args.repeat)
            if label.startswith("C"):
                # the C code computes in double: its float32 error is measured on float64 inputs against a
                # float64 reference of float64 data computed classically, scaled the same way
                C = f(A, B)
                ref = A @ B
                e = float(np.abs(C - ref).max()) / float(np.abs(A).max() * np.abs(B).max() * n)
                e_np = float("nan")
                if label == "C classical":
                    e_c_classical = e
            else:
                e = _rel_err(f(A32, B32), ref32, scale)
                e_np = err_np
            base = e_np if not label.startswith("C") else e_c_classical
            growth = e / base if base == base and base > 0 else float("nan")
            print(f"{label:<18} {n:>5} {t_np:>9.3f} {t:>9.3f} {t / t_np:>6.2f} "
                  f"{e_np:>10.2e} {e:>10.2e} {growth:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
