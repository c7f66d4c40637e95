"""Progressive partial OT pseudo-labels (P^2OT, SP^2OT) and the SeLa / UOT baselines.

References used here: the dual of the same convex problem maximised by
scipy's L-BFGS-B (written out independently below), an LP by
scipy.optimize.linprog for the unregularised limit, POT's ``ot.sinkhorn`` for
the balanced case, brute force over permutations for the Hungarian accuracy.
"""

import itertools
import math
import warnings

import numpy as np
import ot
import pytest
import scipy.sparse as sp
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.optimize import linprog, minimize

from linalg_lab.transport import (
    ConvergenceWarning,
    long_tailed_sizes,
    matched_accuracy,
    progressive_partial_ot,
    progressive_rho,
    sela_pseudo_labels,
    semantic_progressive_partial_ot,
    similarity_graph,
    uot_pseudo_labels,
)


def _instance(seed, N=7, K=4):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(K), size=N), rng


def _dual_reference(C, r, beta, beta_v, reg, reg_m):
    """Maximise the dual of min <C,Q> + reg sum Qhat(log Qhat - 1) + reg_m KL(Q^T 1 || beta), rows of Qhat = r,
    virtual column = beta_v, with L-BFGS-B; return (Q, xi)."""
    N, K = C.shape
    virtual = beta_v > 0
    fixed_g = reg_m == 0

    def unpack(x):
        F = x[:N]
        G = np.zeros(K) if fixed_g else x[N:N + K]
        Gv = x[-1] if virtual else -np.inf
        return F, G, Gv

    def negdual(x):
        F, G, Gv = unpack(x)
        E = np.exp((F[:, None] + G[None, :] - C) / reg)
        Ev = np.exp((F + Gv) / reg) if virtual else np.zeros(N)
        val = r @ F - reg * E.sum() - reg * Ev.sum()
        gF = r - E.sum(1) - Ev
        grads = [gF]
        if not fixed_g:
            if math.isinf(reg_m):
                val += beta @ G
                gG = beta - E.sum(0)
            else:
                val += -reg_m * np.sum(beta * (np.exp(-G / reg_m) - 1.0))
                gG = beta * np.exp(-G / reg_m) - E.sum(0)
            grads.append(gG)
        if virtual:
            val += beta_v * Gv
            grads.append([beta_v - Ev.sum()])
        return -val, -np.concatenate(grads)

    n = N + (0 if fixed_g else K) + (1 if virtual else 0)
    x0 = np.zeros(n)
    x0[:N] = reg * np.log(r) - reg * np.log(K + 1)
    out = minimize(negdual, x0, jac=True, method="L-BFGS-B",
                   options=dict(maxiter=20000, maxcor=30, gtol=1e-15, ftol=1e-16))
    F, G, Gv = unpack(out.x)
    Q = np.exp((F[:, None] + G[None, :] - C) / reg)
    xi = np.exp((F + Gv) / reg) if virtual else np.zeros(N)
    return Q, xi


@pytest.mark.parametrize("rho, reg_m, weighted", [(0.5, 1.0, False), (0.2, 0.3, True), (0.8, np.inf, False),
                                                  (0.6, 0.0, True), (1.0, 2.0, True), (0.35, 5.0, False)])
def test_matches_the_dual_solved_by_scipy(rho, reg_m, weighted):
    P, rng = _instance(1)
    N, K = P.shape
    a = rng.uniform(0.5, 1.5, N) if weighted else np.full(N, 1.0 / N)
    b = rng.uniform(0.5, 1.5, K) if weighted else np.full(K, 1.0 / K)
    reg = 0.2
    Q, log = progressive_partial_ot(P, rho, reg=reg, reg_m=reg_m, a=a, b=b, stopThr=1e-14, numItermax=100000,
                                    log=True)
    assert log["converged"]
    mass = a.sum()
    R, xi = _dual_reference(-np.log(P), a, rho * mass * b / b.sum(), (1 - rho) * mass, reg, reg_m)
    assert np.abs(Q - R).max() <= 1e-6 * mass
    assert np.abs(log["virtual"] - xi).max() <= 1e-6 * mass
    # the reference itself is feasible (rows, virtual column) to the same accuracy
    assert np.abs(R.sum(1) + xi - a).max() <= 1e-6 * mass


@given(N=st.integers(1, 9), K=st.integers(1, 6), rho=st.floats(0.01, 1.0), reg_m=st.sampled_from([0.0, 0.5, 1.0, np.inf]),
       seed=st.integers(0, 2**31), weighted=st.booleans())
def test_constraints_hold(N, K, rho, reg_m, seed, weighted):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(K), size=N)
    a = rng.uniform(0.1, 2.0, N) if weighted else None
    b = rng.uniform(0.1, 2.0, K) if weighted else None
    P0 = P.copy()
    a0 = None if a is None else a.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        Q, log = progressive_partial_ot(P, rho, reg_m=reg_m, a=a, b=b, log=True)
    r = np.full(N, 1.0 / N) if a is None else a
    mass = r.sum()
    assert np.array_equal(P, P0) and (a is None or np.array_equal(a, a0))
    assert Q.shape == (N, K) and np.isfinite(Q).all() and (Q >= 0).all()
    assert (Q.sum(1) <= r * (1 + 1e-12) + 1e-15).all()
    assert abs(Q.sum() - rho * mass) <= 1e-12 * mass
    assert abs(log["virtual"].sum() - (1 - rho) * mass) <= 1e-12 * mass
    if math.isinf(reg_m):
        bb = np.full(K, 1.0 / K) if b is None else b / b.sum()
        assert np.allclose(Q.sum(0), rho * mass * bb, rtol=0, atol=1e-12 * mass)


def test_rho_one_without_kl_is_balanced_sinkhorn():
    P, _ = _instance(2, 12, 5)
    N, K = P.shape
    ref = ot.sinkhorn(np.full(N, 1 / N), np.full(K, 1 / K), -np.log(P), 0.1, stopThr=1e-15, numItermax=100000)
    Q = progressive_partial_ot(P, 1.0, reg=0.1, reg_m=np.inf, stopThr=1e-14, numItermax=100000)
    assert np.abs(Q - ref).max() <= 1e-9
    S = sela_pseudo_labels(P, reg=0.1, stopThr=1e-14, numItermax=100000)
    assert np.abs(S - ref).max() <= 1e-9


def test_no_kl_is_a_row_softmax_and_uot_keeps_rows():
    P, _ = _instance(3, 6, 3)
    # reg_m = 0, rho = 1: each row is its own softmax of -C/reg, i.e. P^(1/reg) normalised
    Q = progressive_partial_ot(P, 1.0, reg=0.5, reg_m=0.0, stopThr=1e-14)
    W = P ** 2
    assert np.allclose(Q, W / W.sum(1, keepdims=True) / 6, atol=1e-14)
    U = uot_pseudo_labels(P, reg=0.3, reg_m=2.0, stopThr=1e-14)
    R, _ = _dual_reference(-np.log(P), np.full(6, 1 / 6), np.full(3, 1 / 3), 0.0, 0.3, 2.0)
    assert np.abs(U - R).max() <= 1e-8
    assert np.allclose(U.sum(1), 1 / 6, atol=1e-15)


def test_unregularised_limit_against_an_lp():
    P, _ = _instance(4, 8, 3)
    C = -np.log(P)
    N, K = C.shape
    rho = 0.6
    # LP: min <C,Q>, Q 1 <= 1/N, Q^T 1 = rho / K
    A_ub = np.kron(np.eye(N), np.ones(K))
    A_eq = np.kron(np.ones(N), np.eye(K))
    lp = linprog(C.ravel(), A_ub=A_ub, b_ub=np.full(N, 1 / N), A_eq=A_eq, b_eq=np.full(K, rho / K),
                 bounds=(0, None), method="highs")
    reg = 1e-3
    Q = progressive_partial_ot(C, rho, reg=reg, reg_m=np.inf, kind="cost", stopThr=1e-12, numItermax=200000)
    gap = float(np.sum(Q * C)) - lp.fun
    # entropic bound: 0 <= <C,Q_reg> - LP <= reg (max entropy of the augmented plan) = reg log(N (K + 1))
    assert -1e-9 <= gap <= reg * math.log(N * (K + 1))
    assert gap <= 1e-2


def test_small_reg_and_large_costs_stay_finite():
    rng = np.random.default_rng(5)
    C = rng.uniform(0, 1e4, (50, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        Q, log = progressive_partial_ot(C, 0.4, reg=1e-3, kind="cost", log=True)
    assert np.isfinite(Q).all() and abs(Q.sum() - 0.4) < 1e-12
    assert (Q.sum(1) <= 1 / 50 + 1e-15).all()
    # probabilities with exact zeros and float32 input
    P = rng.dirichlet(np.ones(4), size=30).astype(np.float32)
    P[:, 0] = 0
    P /= P.sum(1, keepdims=True)
    Q = progressive_partial_ot(P, 0.7, reg=0.05, reg_m=np.inf)
    assert Q.dtype == np.float64 and np.isfinite(Q).all()
    assert np.allclose(Q.sum(0), 0.7 / 4, atol=1e-12)


def test_unconverged_solve_warns_and_is_still_feasible():
    P, _ = _instance(6, 20, 4)
    with pytest.warns(ConvergenceWarning):
        Q, log = progressive_partial_ot(P, 0.5, reg=1e-3, numItermax=2, log=True)
    assert not log["converged"]
    assert abs(Q.sum() - 0.5) < 1e-12 and (Q.sum(1) <= 1 / 20 + 1e-15).all()


def test_objective_in_log_matches_a_direct_computation():
    P, _ = _instance(7, 5, 3)
    Q, log = progressive_partial_ot(P, 0.5, reg=0.2, reg_m=1.5, stopThr=1e-14, log=True)
    xi = 1 / 5 - Q.sum(1)
    c = Q.sum(0)
    beta = np.full(3, 0.5 / 3)
    direct = (np.sum(Q * -np.log(P)) + 0.2 * (np.sum(Q * (np.log(Q) - 1)) + np.sum(xi * (np.log(xi) - 1)))
              + 1.5 * np.sum(c * np.log(c / beta) - c + beta))
    assert abs(log["objective"] - direct) < 1e-12


def _sp2ot_objective(Q, P, S, reg, reg_m, reg_s, rho):
    N, K = Q.shape
    xi = 1 / N - Q.sum(1)
    c = Q.sum(0)
    beta = np.full(K, rho / K)
    ent = lambda x: np.sum(x[x > 0] * (np.log(x[x > 0]) - 1))  # noqa: E731
    return (np.sum(Q * -np.log(P)) + reg * (ent(Q) + ent(xi)) + reg_m * np.sum(c * np.log(c / beta) - c + beta)
            - reg_s * np.sum((S @ Q) * Q))


@pytest.mark.parametrize("majorizer, psd", [("linear", True), ("proximal", False), ("auto", False)])
def test_sp2ot_objective_never_increases(majorizer, psd):
    rng = np.random.default_rng(8)
    N, K = 30, 4
    X = rng.normal(size=(N, 2))
    P = rng.dirichlet(np.ones(K), size=N)
    if psd:
        Z = np.exp(-((X[:, None] - X[None]) ** 2).sum(-1))  # Gaussian kernel, diagonal kept: PSD
        S = sp.csr_matrix(Z)
    else:
        S = similarity_graph(X, n_neighbors=5)  # no diagonal, not symmetric: not PSD
        assert np.linalg.eigvalsh(((S + S.T) / 2).toarray()).min() < -1e-3
    S0 = S.copy()
    Q, log = semantic_progressive_partial_ot(P, 0.7, S, reg_s=20.0, majorizer=majorizer, stopThr=1e-13,
                                             numItermax=100000, numItermaxOuter=30, stopThrOuter=0.0, log=True)
    h = log["history"]
    assert len(h) >= 3
    assert np.all(np.diff(h) <= 1e-10 * max(1.0, abs(h[0])))
    assert h[-1] < h[0] - 1e-6  # the semantic term changed the plan
    assert (S != S0).nnz == 0
    direct = _sp2ot_objective(Q, P, S.toarray(), 0.1, 1.0, 20.0, 0.7)
    assert abs(direct - log["objective"]) < 1e-8
    assert abs(Q.sum() - 0.7) < 1e-12 and (Q.sum(1) <= 1 / N + 1e-15).all()


def test_sp2ot_with_no_semantic_term_is_p2ot():
    P, _ = _instance(9, 10, 3)
    S = sp.random(10, 10, density=0.3, random_state=0, format="csr")
    Q1 = semantic_progressive_partial_ot(P, 0.5, S, reg_s=0.0, stopThr=1e-13)
    Q2 = progressive_partial_ot(P, 0.5, stopThr=1e-13)
    assert np.abs(Q1 - Q2).max() < 1e-12


def test_rho_schedule_and_sizes():
    assert progressive_rho(10, 10) == 1.0
    assert abs(progressive_rho(0, 10, rho0=0.2, steepness=5) - (0.2 + 0.8 * math.exp(-5))) < 1e-15
    t = np.arange(11)
    r = progressive_rho(t, 10)
    assert r.shape == (11,) and np.all(np.diff(r) > 0)
    s = long_tailed_sizes(50000, 100)
    assert s.sum() == 50000 and np.all(np.diff(s) <= 0)
    assert abs(s[0] / s[-1] - 100) < 5


@given(K=st.integers(1, 5), n=st.integers(1, 25), seed=st.integers(0, 2**31))
def test_matched_accuracy_is_the_best_permutation(K, n, seed):
    rng = np.random.default_rng(seed)
    yt = rng.integers(0, K, n)
    yp = rng.integers(0, K, n)
    assume(len(np.unique(yt)) == K and len(np.unique(yp)) == K)
    best = max(np.mean(np.array(perm)[yp] == yt) for perm in itertools.permutations(range(K)))
    assert abs(matched_accuracy(yt, yp) - best) < 1e-12
    pc = matched_accuracy(yt, yp, per_class=True)
    assert abs(np.sum(pc * np.bincount(yt)) / n - best) < 1e-12


def test_similarity_graph():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    S = similarity_graph(X, n_neighbors=4, sigma=0.7)
    assert S.shape == (40, 40) and S.nnz == 160 and S.diagonal().sum() == 0
    D = ((X[:, None] - X[None]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    nn = np.argsort(D, axis=1)[:, :4]
    for i in range(40):
        assert set(S[i].indices) == set(nn[i])
        assert np.allclose(S[i, nn[i]].toarray().ravel(), np.exp(-D[i, nn[i]] / (2 * 0.49)))


_GOOD = np.full((4, 3), 1 / 3)


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(P=np.ones(3)), ValueError, "P"),
    (dict(P=-_GOOD), ValueError, "P"),
    (dict(P=np.array([[np.nan, 1.0]])), ValueError, "P"),
    (dict(P="x"), TypeError, "P"),
    (dict(rho=0.0), ValueError, "rho"),
    (dict(rho=1.5), ValueError, "rho"),
    (dict(rho="a"), TypeError, "rho"),
    (dict(reg=0.0), ValueError, "reg"),
    (dict(reg_m=-1.0), ValueError, "reg_m"),
    (dict(kind="logits"), ValueError, "kind"),
    (dict(a=np.ones(3)), ValueError, "a"),
    (dict(a=-np.ones(4)), ValueError, "a"),
    (dict(b=np.zeros(3)), ValueError, "b"),
    (dict(numItermax=0), ValueError, "numItermax"),
    (dict(numItermax=2.0), TypeError, "numItermax"),
    (dict(stopThr=-1.0), ValueError, "stopThr"),
    (dict(log=1), TypeError, "log"),
])
def test_bad_inputs_name_the_argument(kwargs, exc, name):
    args = dict(P=_GOOD, rho=0.5)
    args.update(kwargs)
    with pytest.raises(exc, match=f"^{name}:"):
        progressive_partial_ot(**args)


@given(N=st.integers(1, 6), K=st.integers(1, 4), bad_rows=st.integers(1, 6), rho=st.floats(-2, 3))
def test_bad_shapes_and_masses(N, K, bad_rows, rho):
    assume(bad_rows != N)
    P = np.full((N, K), 1.0 / K)
    with pytest.raises(ValueError, match="^a:"):
        progressive_partial_ot(P, 0.5, a=np.ones(bad_rows))
    with pytest.raises(ValueError, match="^S:"):
        semantic_progressive_partial_ot(P, 0.5, sp.eye(bad_rows, format="csr"))
    assume(not (0 < rho <= 1))
    with pytest.raises(ValueError, match="^rho:"):
        progressive_partial_ot(P, rho)


def test_sp2ot_bad_inputs():
    P = _GOOD
    with pytest.raises(ValueError, match="^majorizer:"):
        semantic_progressive_partial_ot(P, 0.5, sp.eye(4), majorizer="newton")
    with pytest.raises(ValueError, match="^reg_s:"):
        semantic_progressive_partial_ot(P, 0.5, sp.eye(4), reg_s=-1.0)
    with pytest.raises(ValueError, match="^S:"):
        semantic_progressive_partial_ot(P, 0.5, np.full((4, 4), np.inf))
    with pytest.raises(ValueError, match="^n_neighbors:"):
        similarity_graph(np.zeros((3, 2)), n_neighbors=3)


@pytest.mark.slow
def test_large_problem_small_reg():
    rng = np.random.default_rng(0)
    N, K = 100_000, 100
    logits = rng.normal(size=(N, K)) * 3
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        Q, log = progressive_partial_ot(P, 0.5, reg=0.01, log=True)
    assert np.isfinite(Q).all() and abs(Q.sum() - 0.5) < 1e-10
    assert (Q.sum(1) <= 1 / N * (1 + 1e-12)).all()


@pytest.mark.parametrize("rho, reg_m", [(0.1, 1.0), (0.5, np.inf), (1.0, 1.0), (0.3, 0.0)])
def test_anderson_acceleration_reaches_the_same_plan(rho, reg_m):
    rng = np.random.default_rng(10)
    logits = rng.normal(size=(400, 12)) * 2 + np.log(rng.dirichlet(np.ones(12)))
    P = np.exp(logits)
    P /= P.sum(1, keepdims=True)
    Q0, l0 = progressive_partial_ot(P, rho, reg_m=reg_m, accelerate=False, stopThr=1e-12, numItermax=100000, log=True)
    Q1, l1 = progressive_partial_ot(P, rho, reg_m=reg_m, stopThr=1e-12, numItermax=100000, log=True)
    assert l0["converged"] and l1["converged"]
    assert np.abs(Q0 - Q1).max() <= 1e-10
    assert l1["n_iter"] <= l0["n_iter"]


@pytest.mark.parametrize("reg", [1e-2, 1e-3])
def test_small_reg_converges_with_epsilon_scaling(reg):
    rng = np.random.default_rng(11)
    P = rng.dirichlet(np.ones(10), size=200)
    for fn in (lambda: progressive_partial_ot(P, 0.3, reg=reg, numItermax=5000, log=True),
               lambda: sela_pseudo_labels(P, reg=reg, numItermax=5000, log=True)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            Q, log = fn()
        assert log["converged"] and log["reg_stages"][-1] == reg and len(log["reg_stages"]) >= 2
    # the staged solve reaches the plan of the unstaged one (warm starts change the path, not the optimum)
    from linalg_lab.transport.progressive import _cost_from, _solve, _exponent
    C = _cost_from(P, "proba", "P")
    Q, log = progressive_partial_ot(P, 0.3, reg=0.01, stopThr=1e-11, numItermax=100000, log=True)
    ref = _solve(C, np.zeros(200), np.full(200, 1 / 200), np.full(10, 0.03), 0.7, 0.01, _exponent(0.01, 1.0),
                 True, 200000, 1e-11, depth=0)
    assert ref["converged"]
    assert np.abs(Q - ref["plan"]).max() <= 1e-9


def test_p2ot_beats_balanced_sinkhorn_on_long_tailed_clusters():
    rng = np.random.default_rng(13)
    K, dim = 20, 16
    sizes = long_tailed_sizes(4000, K)
    y = np.repeat(np.arange(K), sizes)
    means = rng.normal(size=(K, dim))
    X = means[y] + rng.normal(size=(y.size, dim)) * 1.2
    d2 = ((X[:, None, :] - means[None]) ** 2).sum(-1)
    logits = -d2 / (2 * 1.2 ** 2) + np.log(sizes / sizes.sum())
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    sela = matched_accuracy(y, sela_pseudo_labels(P).argmax(1), per_class=True)
    p2ot = matched_accuracy(y, progressive_partial_ot(P, 0.5).argmax(1), per_class=True)
    assert p2ot.mean() > sela.mean() + 0.02
    assert p2ot[:6].mean() > sela[:6].mean()  # the head classes are not split
