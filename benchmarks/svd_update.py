"""Updating a truncated SVD as rows arrive: ours (Deng et al.'s sparse method) vs Zha-Simon and IncSVD.

Protocol (Deng et al., ICLR 2024, section 5): a sparse ``m x n`` matrix
(``scipy.sparse.random``, uniform values), the rank-``k`` SVD of its first
half of rows by ``svds``, then the other half added in ``n_batches`` equal
batches. Timed, in this one run (update time only, median of 3 runs where cheap; the
initial SVD is not counted):

* ours, ``TruncatedSVDState.add_rows`` with ``method="sparse"`` (exact),
  ``"rpi"`` and ``"gkl"`` (``l = 10``);
* ``method="zha-simon"``, the classical reference (dense ``n x s``
  complement, QR, rotation of all singular vectors), from the same start;
* the authors' package IncSVD (``pip install incsvd``, a benchmark-only
  peer): ``EvolvingMatrix(sparse=True)`` with ``"ZhaSimon"`` (their exact
  sparse method; slow, so timed on the first ``peer_exact_batches``
  batches only, against our time on the same batches), ``"RPI"`` (``t =
  2``, i.e. one power iteration, as our ``power_iters=1``) and ``"GKL"``;
* a recomputation with ``svds`` of the final matrix (the reference for the
  errors).

Checks: our sparse method against Zha-Simon (singular values and
``U diag(s) V^T``, 1e-10); every method's singular-value error and
residual ``||A - A_k||_F`` against the recomputation; the largest
transient allocation of one update (tracemalloc, a few batches) against the
size of a dense ``n x batch`` block.

For the notebook, :func:`error_curve` returns the per-batch relative error
``||A_t - U diag(s) V^T||_F / ||A_t||_F`` of ours, Zha-Simon and a
recomputation at every batch.

Usage::

    python benchmarks/svd_update.py            # 100000 x 10000, k = 64, 100 batches (about 5 minutes,
                                               # mostly Zha-Simon and IncSVD's exact method)
    python benchmarks/svd_update.py --quick    # small sizes (about 10 s)

On a machine shared with other jobs, ``OPENBLAS_NUM_THREADS=1`` avoids
oversubscribed BLAS threads (which slowed every method about tenfold in our
runs on a loaded 2-core machine).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from linalg_lab.svd_update import TruncatedSVDState

FULL = dict(m=100_000, n=10_000, density=1e-4, k=64, n_batches=100, peer_exact_batches=10, mem_batches=5,
            repeat=3, repeat_zs=1)
QUICK = dict(m=6_000, n=4_000, density=2.5e-4, k=16, n_batches=10, peer_exact_batches=2, mem_batches=2,
             repeat=3, repeat_zs=1)
L, RPI_POWER = 10, 1


def make_problem(m, n, density, seed=0, clusters=0, affinity=0.9):
    """The sparse test matrix (``csr_matrix``, as IncSVD requires), values uniform in [0, 1).

    ``clusters = 0``: ``scipy.sparse.random`` (the benchmark's matrix).
    ``clusters = c``: row ``i`` and column ``j`` belong to cluster ``i % c``,
    ``j % c``, and a nonzero falls in its row's cluster with probability
    ``affinity`` -- a block structure (like user-item data) whose leading
    ``c`` singular values stand out.
    """
    if not clusters:
        return sp.csr_matrix(sp.random(m, n, density=density, format="csr", rng=seed))
    rng = np.random.default_rng(seed)
    nnz = int(round(density * m * n))
    rows = rng.integers(0, m, nnz)
    inside = rng.random(nnz) < affinity
    cols = np.where(inside, rows % clusters + clusters * rng.integers(0, n // clusters, nnz), rng.integers(0, n, nnz))
    A = sp.csr_matrix((rng.random(nnz), (rows, cols)), shape=(m, n))
    A.sum_duplicates()
    return A


def batches(A, n_batches):
    """Row blocks of the second half of ``A``."""
    m0 = A.shape[0] // 2
    edges = np.linspace(m0, A.shape[0], n_batches + 1).round().astype(int)
    return [A[a:b] for a, b in zip(edges[:-1], edges[1:])]


def _fro2(U, s, V):
    """``||U diag(s) V^T||_F^2`` without forming it."""
    return float(np.einsum("ij,ij->", (U.T @ U) * s[:, None] * s[None, :], V.T @ V))


def fro_diff(a, b):
    """``||A1 - A2||_F`` for factored ``(U, s, V)`` triples, without cancellation.

    ``A1 - A2 = [U1, U2] diag(s1, -s2) [V1, V2]^T``; with the R factors of
    the two stacked bases the norm is that of a ``2k x 2k`` matrix.
    """
    (U1, s1, V1), (U2, s2, V2) = a, b
    Ru = np.linalg.qr(np.hstack([U1, U2]), mode="r")
    Rv = np.linalg.qr(np.hstack([V1, V2]), mode="r")
    return float(np.linalg.norm((Ru * np.concatenate([s1, -s2])) @ Rv.T))


def residual(A, U, s, V):
    """``||A - U diag(s) V^T||_F`` for sparse ``A`` (``O(nnz k + (m + n) k^2)``)."""
    AV = A @ V
    cross = float(np.einsum("ij,ij->j", U, AV) @ s)
    total = float(A.multiply(A).sum()) - 2 * cross + _fro2(U, s, V)
    return float(np.sqrt(max(total, 0.0)))


def _factors(state):
    return state.U, state.s, state.V


def run_ours(state, blocks, method, snapshot_at=None):
    """Apply the blocks; per-batch update times (and the factors after ``snapshot_at`` batches)."""
    times, snap = [], None
    for i, E in enumerate(blocks):
        t0 = time.perf_counter()
        state.add_rows(E, method=method)
        times.append(time.perf_counter() - t0)
        if i + 1 == snapshot_at:
            snap = _factors(state)
    return (np.array(times), snap) if snapshot_at else np.array(times)


def _incsvd():
    try:
        import IncSVD.EvolvingMatrix as EM
    except ImportError:
        return None
    return EM


def run_peer(EM, A0, k, blocks, method, **kw):
    """IncSVD: ``(U, s, V)`` descending and per-batch times (its messages are silenced)."""
    np.random.seed(0)  # IncSVD draws from the global generator
    with contextlib.redirect_stdout(io.StringIO()):
        M = EM.EvolvingMatrix(A0, k, sparse=True, method=method)
        times = []
        for E in blocks:
            t0 = time.perf_counter()
            M.add_row(E, **kw)
            times.append(time.perf_counter() - t0)
    U, s, V = M.Uk, M.Sigmak, M.Vk
    order = np.argsort(-s)
    return (U[:, order], s[order], V[:, order]), np.array(times)


def peak_transient(state, blocks, method):
    """Largest allocation above the state's own memory during one update (bytes), on a copy."""
    st = state.copy()
    worst = 0
    tracemalloc.start()
    try:
        for E in blocks:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            st.add_rows(E, method=method)
            after, peak = tracemalloc.get_traced_memory()
            worst = max(worst, peak - max(before, after))
    finally:
        tracemalloc.stop()
    return worst


def _sv_err(s, s_ref):
    return float(np.abs(s - s_ref).max() / s_ref[0])


def error_curve(m=20_000, n=2_000, density=1e-3, k=16, n_batches=20, seed=0, clusters=10,
                methods=("sparse", "zha-simon", "rpi")):
    """Per-batch errors of SVD updating (ours, Zha-Simon, recomputation), for the notebook.

    The protocol of :func:`rows` on a smaller matrix (:func:`make_problem`,
    block-structured by default; ``clusters=0`` for the benchmark's uniform
    one): the rank-``k`` SVD of the first half of the rows, the rest added in
    ``n_batches`` batches, and after every batch a recomputation with
    ``svds`` of the whole current matrix ``A_t``.

    Returns a dict of arrays: ``"rows"`` (rows of ``A_t``), one entry per
    method and ``"recompute"``, each the relative error ``||A_t - U diag(s)
    V^T||_F / ||A_t||_F``; ``"excess_<method>"``, that error over the
    recomputation's minus one; ``"sv_<method>"``, ``max_i |s_i -
    s_i^rec| / s_1^rec``; ``"time_<method>"``, the update times [s].

    Examples
    --------
    >>> out = error_curve(m=2000, n=400, k=4, n_batches=3)   # doctest: +SKIP
    >>> out["sparse"], out["zha-simon"], out["recompute"]    # doctest: +SKIP
    """
    A = make_problem(m, n, density, seed, clusters=clusters)
    blocks = batches(A, n_batches)
    m0 = m // 2
    start = TruncatedSVDState.from_matrix(A[:m0], k, solver="svds", rng=seed, l=L, power_iters=RPI_POWER)
    states = {meth: start.copy() for meth in methods}
    out = {"rows": [], "recompute": []}
    out.update({meth: [] for meth in methods})
    out.update({f"time_{meth}": [] for meth in methods})
    out.update({f"sv_{meth}": [] for meth in methods})
    rows = m0
    for E in blocks:
        rows += E.shape[0]
        At = A[:rows]
        norm = float(np.sqrt(At.multiply(At).sum()))
        for meth, st in states.items():
            t0 = time.perf_counter()
            st.add_rows(E, method=meth)
            out[f"time_{meth}"].append(time.perf_counter() - t0)
            out[meth].append(residual(At, *_factors(st)) / norm)
        U, s, Vt = svds(At, k=k, tol=0, v0=np.random.default_rng(seed).standard_normal(min(At.shape)))
        out["recompute"].append(residual(At, U, s, Vt.T) / norm)
        s_rec = np.sort(s)[::-1]
        for meth, st in states.items():
            out[f"sv_{meth}"].append(_sv_err(st.s, s_rec))
        out["rows"].append(rows)
    out = {key: np.asarray(val) for key, val in out.items()}
    for meth in methods:
        out[f"excess_{meth}"] = out[meth] / out["recompute"] - 1
    return out


def rows(quick: bool = False) -> list[dict]:
    """Benchmark rows (see the module docstring)."""
    cfg = QUICK if quick else FULL
    m, n, k, nb = cfg["m"], cfg["n"], cfg["k"], cfg["n_batches"]
    A = make_problem(m, n, cfg["density"])
    A0, blocks = A[: m // 2], batches(A, nb)
    bs = blocks[0].shape[0]
    size = f"{m} x {n} (density {cfg['density']:g}), k = {k}, {m - m // 2} rows in {nb} batches of {bs}"

    start = TruncatedSVDState.from_matrix(A0, k, solver="svds", rng=0, l=L, power_iters=RPI_POWER)
    warm = start.copy()  # first-call overheads (imports, LAPACK handles), not timed
    for meth in ("sparse", "rpi", "gkl", "zha-simon"):
        warm.copy().add_rows(blocks[0][:5], method=meth)

    # each method from the same start; totals are medians over `repeat` runs (Zha-Simon: repeat_zs)
    states, times, snaps, totals = {}, {}, {}, {}
    for meth in ("sparse", "rpi", "gkl", "zha-simon"):
        runs = []
        for _ in range(cfg["repeat_zs"] if meth == "zha-simon" else cfg["repeat"]):
            states[meth] = start.copy()
            times[meth], snaps[meth] = run_ours(states[meth], blocks, meth, snapshot_at=cfg["peer_exact_batches"])
            runs.append(times[meth])
        totals[meth] = float(np.median([r.sum() for r in runs]))
        times[meth] = np.median(runs, axis=0)  # per-batch medians
    fac = {meth: _factors(st) for meth, st in states.items()}
    zs = fac["zha-simon"]
    t_zs, t_sp = totals["zha-simon"], totals["sparse"]
    sv_vs_zs = _sv_err(fac["sparse"][1], zs[1])
    a_vs_zs = fro_diff(fac["sparse"], zs) / np.sqrt(_fro2(*zs))

    mem = {meth: peak_transient(start, blocks[: cfg["mem_batches"]], meth) for meth in ("sparse", "zha-simon")}
    block_bytes = n * bs * 8

    t0 = time.perf_counter()
    U, s, Vt = svds(A, k=k, tol=0, v0=np.random.default_rng(0).standard_normal(min(A.shape)))
    t_rec = time.perf_counter() - t0
    order = np.argsort(-s)
    rec = (U[:, order], s[order], Vt[order].T)
    opt = residual(A, *rec)
    err = {meth: (_sv_err(f[1], rec[1]), residual(A, *f) / opt - 1) for meth, f in fac.items()}

    out = [
        {
            "row": f"add rows, sparse (exact) vs Zha-Simon: {size}",
            "baseline": t_zs, "ours": t_sp, "ratio": t_zs / t_sp,
            "check": f"vs Zha-Simon: max|ds|/s1 {sv_vs_zs:.1e}, ||dA_k||_F/||A_k||_F {a_vs_zs:.1e}; "
                     f"reorthogonalisations {states['sparse'].n_reorthogonalizations}, "
                     f"cond K {max(states['sparse'].cond_K):.2f}",
            "target": ">= 10x faster than Zha-Simon at equal precision (1e-10)",
            "met": bool(t_zs / t_sp >= 10 and sv_vs_zs <= 1e-10 and a_vs_zs <= 1e-10),
        },
        {
            "row": f"largest transient allocation of one update [MB] (tracemalloc, {cfg['mem_batches']} batches)",
            "baseline": mem["zha-simon"] / 2**20, "ours": mem["sparse"] / 2**20,
            "ratio": mem["zha-simon"] / max(mem["sparse"], 1),
            "check": f"dense n x batch block = {block_bytes / 2**20:.1f} MB; state (U', V' buffers) "
                     f"{states['sparse'].nbytes / 2**20:.1f} MB",
            "target": "never a dense n x (batch size) block or more",
            "met": bool(mem["sparse"] < block_bytes),
        },
        {
            "row": f"error vs recomputation (svds of the final {m} x {n}; baseline: its time)",
            "baseline": t_rec, "ours": t_sp, "ratio": t_rec / t_sp,
            "check": "; ".join(f"{meth}: sv err {e[0]:.1e}, residual excess {e[1]:.1e}" for meth, e in err.items()),
            "target": "reported; sparse equals Zha-Simon",
            "met": bool(abs(err["sparse"][1] - err["zha-simon"][1]) <= 1e-10 and sv_vs_zs <= 1e-10),
        },
    ]
    out += _peer_rows(A0, k, blocks, cfg, states, times, totals, snaps, rec, A, opt)
    return out


def _peer_rows(A0, k, blocks, cfg, states, times, totals, snaps, rec, A, opt):
    EM = _incsvd()
    if EM is None:
        return [{"row": f"vs IncSVD ({name})", "baseline": "IncSVD not installed (pip install incsvd)",
                 "ours": totals[ours], "ratio": None, "check": "not run",
                 "target": "at least as fast as IncSVD at equal precision", "met": False}
                for name, ours in (("ZhaSimon", "sparse"), ("RPI", "rpi"), ("GKL", "gkl"))]
    out = []
    # exact: the first few batches only (IncSVD's Gram-Schmidt runs in Python)
    nb = cfg["peer_exact_batches"]
    peer, t_peer = run_peer(EM, A0, k, blocks[:nb], "ZhaSimon")
    zs, ours = snaps["zha-simon"], snaps["sparse"]  # after the same nb batches
    t_ours = times["sparse"][:nb]
    norm = np.sqrt(_fro2(*zs))
    e_ours = (_sv_err(ours[1], zs[1]), fro_diff(ours, zs) / norm)
    e_peer = (_sv_err(peer[1], zs[1]), fro_diff(peer, zs) / norm)
    out.append({
        "row": f"vs IncSVD exact (sparse=True, 'ZhaSimon'), first {nb} batches",
        "baseline": float(t_peer.sum()), "ours": float(t_ours.sum()), "ratio": float(t_peer.sum() / t_ours.sum()),
        "check": f"vs Zha-Simon: ours sv {e_ours[0]:.1e} / A_k {e_ours[1]:.1e}; "
                 f"IncSVD sv {e_peer[0]:.1e} / A_k {e_peer[1]:.1e} "
                 f"(its max |U^T U - I| = {np.abs(peer[0].T @ peer[0] - np.eye(k)).max():.1e})",
        "target": "at least as fast as IncSVD at equal precision",
        "met": bool(t_ours.sum() <= t_peer.sum() and e_ours[1] <= max(e_peer[1], 1e-10)),
    })
    for name, ours, kw in (("RPI", "rpi", dict(l=L, t=RPI_POWER + 1)), ("GKL", "gkl", dict(l=L))):
        peer_totals = []
        for _ in range(cfg["repeat"]):
            peer, t_peer = run_peer(EM, A0, k, blocks, name, **kw)
            peer_totals.append(t_peer.sum())
        t_peer = float(np.median(peer_totals))
        e_peer = (_sv_err(peer[1], rec[1]), residual(A, *peer) / opt - 1)
        e_ours = (_sv_err(states[ours].s, rec[1]), residual(A, *_factors(states[ours])) / opt - 1)
        t_ours = totals[ours]
        out.append({
            "row": f"vs IncSVD {name} (l = {L}{', t = 2' if name == 'RPI' else ''}), all {len(blocks)} batches",
            "baseline": t_peer, "ours": t_ours, "ratio": t_peer / t_ours,
            "check": f"vs svds: ours sv err {e_ours[0]:.1e}, residual excess {e_ours[1]:.1e}; "
                     f"IncSVD {e_peer[0]:.1e}, {e_peer[1]:.1e}",
            "target": "at least as fast as IncSVD at equal precision",
            "met": bool(t_ours <= t_peer and e_ours[1] <= 1.05 * e_peer[1] + 1e-9),
        })
    return out


def _fmt(x):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return f"{x:.3g}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    args = p.parse_args(argv)
    out = rows(quick=args.quick)
    print(f"{'row':<92} {'baseline':>10} {'ours':>10} {'ratio':>8}  met")
    print("-" * 128)
    for r in out:
        print(f"{r['row']:<92} {_fmt(r['baseline']):>10} {_fmt(r['ours']):>10} {_fmt(r['ratio']):>8}  "
              f"{'yes' if r['met'] else 'NO'}")
        print(f"    check: {r['check']}")
        print(f"    target: {r['target']}")
    print("times in seconds (update time summed over batches; median of 3 runs, Zha-Simon and IncSVD's exact "
          "method one run); ratio = baseline / ours")


if __name__ == "__main__":
    main()
