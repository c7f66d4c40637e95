"""Dynamic Kronecker projection maintenance (Song, Yang, Yang & Zhang, ICML 2023).

P = B^T (B B^T)^{-1} B for B = A (W kron I) ("w_i") or B = A (W^1/2 kron W^1/2)
("sqrt_w"), A = [vec(A_i)^T] (m x n^2) with Gaussian A_i and a random
positive definite W.

* exactness: ``KroneckerProjection.query`` against the dense B (built with
  numpy.kron) after construction, after rank-2 updates and after a full
  change of W, for sizes where the dense B fits;
* speed: a rank-2 update of W plus a query against re-initialising (a new
  ``KroneckerProjection`` for the new W) plus a query, n = 60, m = 200; the
  check also gives the stricter ratio against recomputing B B^T alone
  (``refresh``, the preprocessed A kept);
* sketched mode: median-of-L coordinate estimates of P h from JL sketches
  of the output, error / ||P h|| against the query time, for a few sketch
  sizes.

``query_times(ns)`` returns the query / update / re-initialisation times
against n for the lead's notebook plot.

Usage::

    python benchmarks/kronecker.py            # n = 60, m = 200 (about half a minute)
    python benchmarks/kronecker.py --quick    # n = 20, m = 50
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import statistics
import time

import numpy as np
import scipy.linalg  # noqa: F401  (loads scipy's BLAS so that _blas_threads finds it)

from linalg_lab.projection import KroneckerProjection


@contextlib.contextmanager
def _blas_threads(k):
    """Pin the OpenBLAS libraries loaded by numpy and scipy to ``k`` threads (None: leave them alone).

    On a shared 2-core machine a threaded BLAS call on 60 x 60 blocks waits for
    the scheduler, and the medians measure the other processes; one thread
    makes the timings reproducible. Baseline and ours run under the same setting.
    """
    libs = []
    if k is not None:
        paths = {line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line.lower()}
        for path in paths:
            lib = ctypes.CDLL(path)
            for suffix in ("64_", ""):
                get, set_ = (getattr(lib, f"scipy_openblas_{w}_num_threads{suffix}", None) for w in ("get", "set"))
                if get is not None and set_ is not None:
                    libs.append((set_, get()))
                    set_(int(k))
                    break
    try:
        yield len(libs)
    finally:
        for set_, old in libs:
            set_(old)


def _instance(n, m, seed=0, symmetric=False):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n, n))
    if symmetric:
        A = (A + A.transpose(0, 2, 1)) / 2
    X = rng.standard_normal((n, n))
    return A, X @ X.T / n + 0.5 * np.eye(n), rng


def _dense_query(A, W, form, h):
    n = W.shape[0]
    lam, Q = np.linalg.eigh(W)
    S = (Q * np.sqrt(np.maximum(lam, 0))) @ Q.T
    K = np.kron(W, np.eye(n)) if form == "w_i" else np.kron(S, S)
    B = np.stack([a.ravel(order="F") for a in A]) @ K
    return B.T @ np.linalg.solve(B @ B.T, B @ h)


def _rel(x, ref):
    return float(np.linalg.norm(x - ref) / np.linalg.norm(ref))


def exactness(n, m, form, seed=0):
    """Largest relative error of ``query`` against the dense projection over construction and updates."""
    A, W, rng = _instance(n, m, seed)
    proj = KroneckerProjection(A, W, form=form)
    h = rng.standard_normal((n * n, 4))
    errs = [_rel(proj.query(h), _dense_query(A, W, form, h))]
    for _ in range(3):
        U = rng.standard_normal((n, 2)) / np.sqrt(n)
        proj.update_low_rank(U, np.eye(2))
        W = W + U @ U.T
        errs.append(_rel(proj.query(h), _dense_query(A, W, form, h)))
    W2 = _instance(n, m, seed + 1)[1]
    proj.update(W2)
    errs.append(_rel(proj.query(h), _dense_query(A, W2, form, h)))
    return max(errs)


def update_speed(n, m, form, seed=0, repeat=11, symmetric=False):
    """Median times (interleaved runs) of: a new ``KroneckerProjection`` + query (re-initialising), ``refresh`` +
    query (recomputing ``B B^T`` only, the preprocessed ``A`` kept) and a rank-2 update + query."""
    A, W, rng = _instance(n, m, seed, symmetric)
    proj = KroneckerProjection(A, W, form=form)
    h = rng.standard_normal(n * n)
    t_new, t_re, t_up = [], [], []
    for _ in range(repeat):
        W_now = np.array(proj.W)
        t0 = time.perf_counter()
        KroneckerProjection(A, W_now, form=form).query(h)
        t_new.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        proj.refresh()
        proj.query(h)
        t_re.append(time.perf_counter() - t0)
        U = rng.standard_normal((n, 2)) / np.sqrt(n)
        t0 = time.perf_counter()
        proj.update_low_rank(U, 0.1 * np.eye(2))
        proj.query(h)
        t_up.append(time.perf_counter() - t0)
    return statistics.median(t_new), statistics.median(t_re), statistics.median(t_up)


def sketch_tradeoff(n, m, sizes=(16, 64, 256), n_sketches=9, kinds=("gaussian", "sparse_sign"), form="sqrt_w",
                    n_coords=200, seed=0):
    """For each sketch kind and size: max |estimate - (P h)_c| / ||P h|| over ``n_coords`` coordinates and times."""
    A, W, rng = _instance(n, m, seed)
    h = rng.standard_normal(n * n)
    idx = rng.choice(n * n, size=min(n_coords, n * n), replace=False)
    exact = KroneckerProjection(A, W, form=form)
    x = exact.query(h)
    t_exact = _median_time(lambda: exact.query(h))
    out = []
    for kind in kinds:
        for s in sizes:
            proj = KroneckerProjection(A, W, form=form, sketch=kind, sketch_size=s, n_sketches=n_sketches, rng=seed)
            proj.query_sketch(h)  # builds R B^T once (then kept until W changes)
            est = proj.query_coordinates(h, idx)
            out.append({"kind": kind, "sketch_size": s, "n_sketches": n_sketches,
                        "error": float(np.max(np.abs(est - x[idx])) / np.linalg.norm(x)),
                        "time_sketch": _median_time(lambda: proj.query_sketch(h)),
                        "time_coordinates": _median_time(lambda: proj.query_coordinates(h, idx)),
                        "time_exact": t_exact})
    return out


def _median_time(fn, repeat=7):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def query_times(ns=(10, 20, 30, 40, 60, 80, 100), m=200, form="sqrt_w", sketch_size=64, n_sketches=9):
    """Times against n: exact query, sketched query (R P h), rank-2 update, re-initialisation (list of dicts).

    ``m`` is capped at ``n^2 / 2`` for small ``n``.
    """
    rows = []
    for n in ns:
        mm = min(m, n * n // 2)  # B needs m <= n^2 rows to have full row rank
        A, W, rng = _instance(n, mm)
        h = rng.standard_normal(n * n)
        t0 = time.perf_counter()
        proj = KroneckerProjection(A, W, form=form, sketch="sparse_sign", sketch_size=sketch_size,
                                   n_sketches=n_sketches, rng=0)
        t_init = time.perf_counter() - t0
        proj.query_sketch(h)
        U = rng.standard_normal((n, 2)) / np.sqrt(n)

        def upd():
            proj.update_low_rank(U, 1e-3 * np.eye(2))

        rows.append({"n": n, "m": mm, "form": form, "init": t_init,
                     "query": _median_time(lambda: proj.query(h)),
                     "query_sketch": _median_time(lambda: proj.query_sketch(h)),
                     "update_rank2": _median_time(upd),
                     "refresh": _median_time(proj.refresh, repeat=3)})
    return rows


def rows(quick: bool = False, blas_threads=1) -> list[dict]:
    with _blas_threads(blas_threads) as pinned:
        out = _rows(quick)
    note = f"BLAS pinned to {blas_threads} thread(s) in {pinned} libraries" if blas_threads else "BLAS threads as set"
    for r in out:
        if isinstance(r["ours"], float) and r["ratio"] is not None:
            r["check"] += f"; {note}"
    return out


def _rows(quick):
    n, m = (20, 50) if quick else (60, 200)
    out = []
    for form in ("sqrt_w", "w_i"):
        sizes = [(6, 20), (n // 2, m // 2), (n, m)]
        errs = {f"n={a},m={b}": exactness(a, b, form) for a, b in sizes}
        worst = max(errs.values())
        out.append({"row": f"exactness vs dense B (np.kron), form {form}, construction + 3 rank-2 updates + "
                           f"a full change of W", "baseline": "dense B^T (B B^T)^-1 B h", "ours": worst,
                    "ratio": None, "check": ", ".join(f"{k}: {v:.1e}" for k, v in errs.items()),
                    "target": "relative error <= 1e-10", "met": bool(worst <= 1e-10)})
    for form, symmetric in (("sqrt_w", False), ("w_i", False), ("sqrt_w", True), ("w_i", True)):
        t_new, t_re, t_up = update_speed(n, m, form, symmetric=symmetric, repeat=5 if quick else 11)
        out.append({"row": f"rank-2 update + query vs re-initialising + query, form {form}, n = {n}, m = {m}"
                           + (", symmetric A_i (SDP)" if symmetric else ", general A_i"),
                    "baseline": t_new, "ours": t_up, "ratio": t_new / t_up,
                    "check": (f"baseline: a new KroneckerProjection(A, W') + query; recomputing B B^T only "
                              f"(refresh, preprocessed A kept) + query {t_re:.4f} s = {t_re / t_up:.1f}x ours; "
                              "medians of interleaved runs"),
                    "target": ">= 5x faster than re-initialising", "met": bool(t_new / t_up >= 5)})
    for r in sketch_tradeoff(n, m, sizes=(16, 64) if quick else (16, 64, 256)):
        out.append({"row": f"sketched coordinates ({r['kind']}, s = {r['sketch_size']}, L = {r['n_sketches']}), "
                           f"n = {n}, m = {m}",
                    "baseline": r["time_exact"], "ours": r["time_sketch"], "ratio": r["time_exact"] / r["time_sketch"],
                    "check": (f"max coordinate error / ||P h|| = {r['error']:.3f} over 200 coordinates; "
                              f"coordinates {r['time_coordinates']:.4f} s"),
                    "target": "report error against cost", "met": True})
    return out


def _fmt(v):
    return f"{v:.4g}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a few seconds)")
    parser.add_argument("--times", action="store_true", help="also print query_times() against n")
    parser.add_argument("--blas-threads", type=int, default=1, help="0: leave the BLAS thread count alone")
    args = parser.parse_args()
    for r in rows(quick=args.quick, blas_threads=args.blas_threads or None):
        print(" | ".join(f"{k}: {_fmt(v)}" for k, v in r.items()))
    if args.times:
        print()
        with _blas_threads(args.blas_threads or None):
            times = query_times(ns=(10, 20, 30) if args.quick else (10, 20, 30, 40, 60, 80, 100))
        for r in times:
            print(" | ".join(f"{k}: {_fmt(v)}" for k, v in r.items()))
