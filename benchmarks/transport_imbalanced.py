"""Imbalanced pseudo-labelling and few-shot classification: P^2OT against balanced Sinkhorn, PUTM against baselines.

Part 1 (long-tailed clustering, issue P16): K = 100 Gaussian clusters in 32
dimensions with sizes proportional to 0.01^(k/(K-1)) and N = 50,000 samples
in all (:func:`linalg_lab.transport.long_tailed_sizes`); "noisy predictions"
are the softmax of a prototype classifier whose prototypes are the true
means plus noise (0.3 times the sample noise), plus the log of the class
prior (a head-biased model, as one trained on long-tailed data). Pseudo-labels
``Q.argmax(1)`` of SeLa (balanced Sinkhorn), UOT and P^2OT (rho = 0.5 and 1,
reg = 0.1, reg_m = 1) are scored by the Hungarian-matched per-class accuracy
(recall), averaged over head / medium / tail (30 / 40 / 30 % of the classes),
and by the per-class precision, over 3 seeds. The solver time at N = 50,000,
K = 100 on one core is compared with the authors' plain scaling loop
(numpy, kernel exp(-C/reg), stop when |b_t - b_t-1| < 1e-6), written here
from the published formulas.

Part 2 (few-shot): 5-way episodes, 1 and 5 shots, 75 queries with class
proportions from Dirichlet(2 * 1_5) (rounded to counts), nonnegative
features from Gaussian classes in 64 dimensions (ReLU of mean + noise, class
means N(0, 0.6^2)); PUTM (rho = 0.5, the authors' default for imbalanced
tasks, and rho = 1), the balanced transductive EM (Sinkhorn with a uniform
class marginal) and nearest-centroid; mean accuracy with a 95% interval
(1.96 standard errors) over 1000 episodes.

Usage::

    python benchmarks/transport_imbalanced.py [--episodes 1000] [--seeds 3] [--quick] [--no-timing | --timing-only]

``--quick`` runs a small version (N = 10,000, 100 episodes) to check the script.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from _timing import timed  # noqa: E402

from linalg_lab.transport import (  # noqa: E402
    ConvergenceWarning,
    long_tailed_sizes,
    matched_accuracy,
    progressive_partial_ot,
    sela_pseudo_labels,
    transductive_fewshot,
    uot_pseudo_labels,
)


# ----------------------------------------------------------------------------- data


def long_tailed_predictions(N, K, seed, dim=32, noise=1.6, bias=1.0, imbalance=0.01):
    """Predictions (N x K) of a noisy, head-biased prototype classifier on long-tailed Gaussian clusters."""
    rng = np.random.default_rng(seed)
    sizes = long_tailed_sizes(N, K, imbalance)
    y = np.repeat(np.arange(K), sizes)
    means = rng.normal(size=(K, dim))
    X = means[y] + rng.normal(size=(y.size, dim)) * noise
    est = means + rng.normal(size=(K, dim)) * noise * 0.3
    d2 = (X ** 2).sum(1)[:, None] - 2 * X @ est.T + (est ** 2).sum(1)[None, :]
    logits = -d2 / (2 * noise ** 2) + bias * np.log(sizes / sizes.sum())
    logits -= logits.max(1, keepdims=True)
    P = np.exp(logits)
    P /= P.sum(1, keepdims=True)
    return P, y


def fewshot_episode(rng, n_shot, n_way=5, n_query=75, dim=64, sep=0.6, alpha=2.0):
    """A 5-way episode with Dirichlet(alpha) query proportions and ReLU Gaussian-class features."""
    means = rng.normal(size=(n_way, dim)) * sep
    p = rng.dirichlet(np.full(n_way, alpha))
    counts = np.floor(p * n_query).astype(int)
    rest = n_query - counts.sum()
    counts[np.argsort(-(p * n_query - counts))[:rest]] += 1
    ys = np.repeat(np.arange(n_way), n_shot)
    yq = np.repeat(np.arange(n_way), counts)

    def feats(y):
        return np.maximum(means[y] + rng.normal(size=(y.size, dim)), 0.0)

    return feats(ys), ys, feats(yq), yq


# ----------------------------------------------------------------------------- the authors' plain loop (peer)


def plain_scaling(P, rho, reg=0.1, reg_m=1.0, max_iter=1000, tol=1e-6):
    """P^2OT by the plain (non-log) scaling loop of the published algorithm, numpy."""
    N, K = P.shape
    M = np.exp(np.log(np.maximum(P, 1e-300)) / reg)
    M = np.hstack([M, np.ones((N, 1))])
    beta = np.r_[np.full(K, rho / K), 1.0 - rho]
    b = np.ones(K + 1)
    expo = reg_m / (reg_m + reg)
    it = 0
    for it in range(1, max_iter + 1):
        a = (1.0 / N) / (M @ b)
        b_new = beta / (M.T @ a)
        b_new[:K] **= expo
        done = np.linalg.norm(b_new - b) < tol
        b = b_new
        if done:
            break
    Q = (a[:, None] * M * b[None, :])[:, :K]
    return Q, it


# ----------------------------------------------------------------------------- part 1


def part1(seeds, N, K, timing, accuracy=True):
    groups = {"head": slice(0, int(0.3 * K)), "medium": slice(int(0.3 * K), int(0.7 * K)),
              "tail": slice(int(0.7 * K), K)}
    methods = {
        "argmax of P": lambda P: P,
        "SeLa (balanced Sinkhorn)": lambda P: sela_pseudo_labels(P),
        "UOT (KL, reg_m=1)": lambda P: uot_pseudo_labels(P),
        "P^2OT rho=0.5": lambda P: progressive_partial_ot(P, 0.5),
        "P^2OT rho=1": lambda P: progressive_partial_ot(P, 1.0),
    }
    rec = {m: [] for m in methods}
    prec = {m: [] for m in methods}
    if not accuracy:
        seeds = 0
    for seed in range(seeds):
        P, y = long_tailed_predictions(N, K, seed)
        for name, fn in methods.items():
            with warnings.catch_warnings():
                warnings.simplefilter("error", ConvergenceWarning)
                lab = fn(P).argmax(1)
            pc = matched_accuracy(y, lab, per_class=True)
            rec[name].append([pc.mean()] + [pc[g].mean() for g in groups.values()])
            # per-class precision under the same matching: relabel the clusters by the matching
            prec[name].append(_precision(y, lab, K, groups))
    if accuracy:
        _print_accuracy(methods, rec, prec, seeds, N, K)
    if not timing:
        return
    _timing(N, K)


def _print_accuracy(methods, rec, prec, seeds, N, K):
    print(f"\n## Part 1: long-tailed clustering pseudo-labels, K = {K}, N = {N:,}, {seeds} seeds "
          "(mean +- std over seeds)\n")
    print("Hungarian-matched per-class accuracy (recall):\n")
    print(f"| method | mean | head | medium | tail |\n|---|---|---|---|---|")
    for name in methods:
        a = np.array(rec[name])
        print(f"| {name} | " + " | ".join(f"{m:.3f} +- {s:.3f}" for m, s in zip(a.mean(0), a.std(0))) + " |")
    print("\nper-class precision under the same matching:\n")
    print(f"| method | mean | head | medium | tail |\n|---|---|---|---|---|")
    for name in methods:
        a = np.array(prec[name])
        print(f"| {name} | " + " | ".join(f"{m:.3f} +- {s:.3f}" for m, s in zip(a.mean(0), a.std(0))) + " |")


def _timing(N, K):
    P, y = long_tailed_predictions(N, K, 0)
    print(f"\n### Solver time, N = {N:,}, K = {K}, one thread (ours: median of 3 after a warm-up call; the peer "
          f"and accelerate=False: one call); load average before: {os.getloadavg()[0]:.2f}\n")
    print("| solve | peer: plain scaling (numpy) | ours | ratio peer/ours | iterations (peer / ours) |")
    print("|---|---|---|---|---|")
    for rho in (0.1, 0.5, 1.0):
        progressive_partial_ot(P, rho)
        (Qp, it_p), t_p = timed(lambda: plain_scaling(P, rho), repeat=1)
        (Q, log), t_o = timed(lambda: progressive_partial_ot(P, rho, log=True), repeat=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            (Qn, logn), t_n = timed(lambda: progressive_partial_ot(P, rho, accelerate=False, log=True), repeat=1)
        print(f"| P^2OT rho={rho} | {t_p:.3f} s | {t_o:.3f} s | {t_p / t_o:.1f} | {it_p} / {log['n_iter']} |")
        print(f"| P^2OT rho={rho}, accelerate=False | {t_p:.3f} s | {t_n:.3f} s | {t_p / t_n:.1f} | "
              f"{it_p} / {logn['n_iter']}{'' if logn['converged'] else ' (numItermax reached)'} |")
        agree = np.mean(Qp.argmax(1) == Q.argmax(1))
        print(f"|  (labels equal to the peer's on {100 * agree:.2f}% of the samples) | | | | |")
    import ot

    C = -np.log(np.maximum(P, 1e-300))
    a, b = np.full(N, 1.0 / N), np.full(K, 1.0 / K)
    sela_pseudo_labels(P)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (Gp, lp), t_p = timed(lambda: ot.sinkhorn(a, b, C, 0.1, numItermax=1000, stopThr=1e-6, log=True), repeat=3)
    (Q, log), t_o = timed(lambda: sela_pseudo_labels(P, log=True), repeat=3)
    agree = np.mean(Gp.argmax(1) == Q.argmax(1))
    print(f"| SeLa vs POT ot.sinkhorn (stopThr 1e-6 on the marginal) | {t_p:.3f} s | {t_o:.3f} s | {t_p / t_o:.1f} | "
          f"{len(lp['err']) * 10} (POT checks every 10) / {log['n_iter']} |")
    print(f"|  (labels equal on {100 * agree:.2f}% of the samples) | | | | |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (2 cores; other jobs were running)")


def _precision(y, lab, K, groups):
    from scipy.optimize import linear_sum_assignment

    counts = np.zeros((K, K), dtype=np.int64)
    np.add.at(counts, (y, lab), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    pred_size = counts.sum(0)
    pr = np.zeros(K)
    for r, c in zip(rows, cols):
        pr[r] = counts[r, c] / pred_size[c] if pred_size[c] else 0.0
    return [pr.mean()] + [pr[g].mean() for g in groups.values()]


# ----------------------------------------------------------------------------- part 2


def part2(episodes, learned_episodes):
    methods = {
        "nearest centroid": dict(method="centroid"),
        "balanced transductive (Sinkhorn EM)": dict(method="sinkhorn"),
        "PUTM rho=0.5 (distance navigator)": dict(method="putm"),
        "PUTM rho=1 (distance navigator)": dict(method="putm", rho=1.0),
        "PUTM rho=0.5 (learned navigator)": dict(method="putm", navigator="learned"),
    }
    print(f"\n## Part 2: imbalanced 5-way few-shot episodes, 75 queries, Dirichlet(2) proportions\n")
    print("| method | 1-shot | 5-shot |\n|---|---|---|")
    rows = {m: [] for m in methods}
    for shots in (1, 5):
        rng = np.random.default_rng(100 + shots)
        acc = {m: [] for m in methods}
        for e in range(episodes):
            S, ys, Q, yq = fewshot_episode(rng, shots)
            for name, kw in methods.items():
                if kw.get("navigator") == "learned" and e >= learned_episodes:
                    continue
                pred = transductive_fewshot(S, ys, Q, power=0.6, rng=e, **kw)
                acc[name].append(np.mean(pred == yq))
        for name in methods:
            a = np.array(acc[name])
            rows[name].append(f"{100 * a.mean():.2f} +- {196 * a.std(ddof=1) / np.sqrt(a.size):.2f} (n={a.size})")
    for name in methods:
        print(f"| {name} | " + " | ".join(rows[name]) + " |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=1000)
    ap.add_argument("--learned-episodes", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--timing-only", action="store_true", help="only the solver-time table")
    args = ap.parse_args(argv)
    N, episodes, learned = 50_000, args.episodes, args.learned_episodes
    if args.quick:
        N, episodes, learned = 10_000, 100, 20
    t0 = time.perf_counter()
    part1(args.seeds, N, 100, not args.no_timing, accuracy=not args.timing_only)
    if not args.timing_only:
        part2(episodes, learned)
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
