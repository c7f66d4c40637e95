"""Conditional transport (CT) navigators and transductive few-shot classification (PUTM and baselines).

References: direct loops over the CT definition, central finite differences
for the learned navigator's gradient, scipy's softmax for the navigator
plans, and the plain nearest-centroid rule written out here.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.special import softmax

from linalg_lab.transport import (
    MLPNavigator,
    conditional_transport,
    navigator_plans,
    nearest_centroid,
    preprocess_features,
    transductive_fewshot,
)


@given(n=st.integers(1, 7), m=st.integers(1, 6), d=st.integers(1, 4), rho=st.floats(0, 1), tau=st.floats(0.05, 5),
       seed=st.integers(0, 2**31), weighted=st.booleans())
def test_ct_plans_are_stochastic_and_the_cost_is_the_definition(n, m, d, rho, tau, seed, weighted):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(n, d)), rng.normal(size=(m, d))
    a = rng.uniform(0.1, 1, n) if weighted else None
    b = rng.uniform(0.1, 1, m) if weighted else None
    X0, Y0 = X.copy(), Y.copy()
    ct, log = conditional_transport(X, Y, a, b, rho=rho, tau=tau, log=True)
    assert np.array_equal(X, X0) and np.array_equal(Y, Y0)
    fw, bw = log["forward"], log["backward"]
    assert np.allclose(fw.sum(1), 1, atol=1e-12) and np.allclose(bw.sum(0), 1, atol=1e-12)
    aa = np.full(n, 1 / n) if a is None else a / a.sum()
    bb = np.full(m, 1 / m) if b is None else b / b.sum()
    direct_f = direct_b = 0.0
    for i in range(n):
        w = np.array([bb[j] * np.exp(-np.sum((X[i] - Y[j]) ** 2) / tau) for j in range(m)])
        w /= w.sum()
        direct_f += aa[i] * sum(w[j] * np.sum((X[i] - Y[j]) ** 2) for j in range(m))
    for j in range(m):
        w = np.array([aa[i] * np.exp(-np.sum((X[i] - Y[j]) ** 2) / tau) for i in range(n)])
        w /= w.sum()
        direct_b += bb[j] * sum(w[i] * np.sum((X[i] - Y[j]) ** 2) for i in range(n))
    assert abs(ct - (rho * direct_f + (1 - rho) * direct_b)) <= 1e-10 * max(1.0, ct)
    assert abs(log["forward_cost"] - direct_f) <= 1e-10 * max(1.0, direct_f)
    assert abs(log["T"].sum() - 1) < 1e-12
    assert np.allclose(log["T"], rho * aa[:, None] * fw + (1 - rho) * bw * bb)
    assert log["cost"] == ct
    assert abs(np.sum(log["T"] * log["M"]) - ct) <= 1e-10 * max(1.0, ct)


def test_ct_limits():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(6, 2)), rng.normal(size=(4, 2))
    C = ((X[:, None] - Y[None]) ** 2).sum(-1)
    # tau -> 0: the navigators become nearest neighbours (a Chamfer-type cost)
    ct = conditional_transport(X, Y, tau=1e-8)
    assert abs(ct - (0.5 * C.min(1).mean() + 0.5 * C.min(0).mean())) < 1e-12
    # tau -> inf: independent coupling
    ct = conditional_transport(X, Y, rho=0.3, tau=1e12)
    assert abs(ct - C.mean()) < 1e-9
    assert conditional_transport(X, X, tau=1e-8) == 0.0


def test_navigator_plans_are_softmaxes():
    rng = np.random.default_rng(1)
    D = rng.normal(size=(5, 3))
    a, b = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(3))
    fw, bw = navigator_plans(D, a, b)
    assert np.allclose(fw, softmax(np.log(b)[None] - D, axis=1), atol=1e-15)
    assert np.allclose(bw, softmax(np.log(a)[:, None] - D, axis=0), atol=1e-15)


def test_learned_navigator_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    a, b = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(4))
    C = ((X[:, None] - Y[None]) ** 2).sum(-1)
    nav = MLPNavigator(hidden=4, n_steps=0, rng=3).fit(X, Y)
    for k in nav.params:
        nav.params[k] = nav.params[k] + rng.normal(scale=0.3, size=np.shape(nav.params[k]))
    _, grad = nav.loss_and_grad(X, Y, a, b, 0.4, C)
    h = 1e-6
    for k, v in nav.params.items():
        flat = np.array(v, dtype=float).ravel()
        num = np.zeros_like(flat)
        for t in range(flat.size):
            for sgn in (1, -1):
                w = flat.copy()
                w[t] += sgn * h
                nav.params[k] = w.reshape(np.shape(v))
                num[t] += sgn * nav.loss_and_grad(X, Y, a, b, 0.4, C)[0] / (2 * h)
        nav.params[k] = v
        assert np.allclose(np.ravel(grad[k]), num, rtol=1e-5, atol=1e-8), k


def test_learned_navigator_lowers_the_ct_cost():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(20, 2)), rng.normal(size=(15, 2)) + 1
    nav = MLPNavigator(n_steps=60, lr=0.05, rng=0)
    ct, log = conditional_transport(X, Y, navigator=nav, log=True)
    assert nav.history[-1] < nav.history[0] and abs(ct - nav.loss_and_grad(
        X, Y, np.full(20, 1 / 20), np.full(15, 1 / 15), 0.5, log["M"])[0]) < 1e-12
    assert np.allclose(log["forward"].sum(1), 1) and np.allclose(log["backward"].sum(0), 1)
    ct2 = conditional_transport(X, Y, navigator="learned", rng=0)
    assert np.isfinite(ct2)


def _episode(rng, n_shot, counts, dim=32, sep=1.2):
    means = rng.normal(size=(len(counts), dim)) * sep
    ys = np.repeat(np.arange(len(counts)), n_shot)
    yq = np.repeat(np.arange(len(counts)), counts)
    f = lambda y: np.maximum(means[y] + rng.normal(size=(y.size, dim)), 0)  # noqa: E731
    return f(ys), ys, f(yq), yq


def test_centroid_is_the_nearest_support_mean():
    rng = np.random.default_rng(5)
    S, ys, Q, yq = _episode(rng, 3, [10, 5, 2, 1])
    mu = np.stack([S[ys == k].mean(0) for k in range(4)])
    manual = ((Q[:, None] - mu[None]) ** 2).sum(-1).argmin(1)
    assert np.array_equal(nearest_centroid(S, ys, Q), manual)
    labels = np.array(["w", "x", "y", "z"])[ys]
    assert np.array_equal(nearest_centroid(S, labels, Q), np.array(["w", "x", "y", "z"])[manual])
    Sp, Qp = preprocess_features(S, Q, power=0.6)
    assert np.array_equal(transductive_fewshot(S, ys, Q, "centroid", power=0.6), nearest_centroid(Sp, ys, Qp))


def test_preprocessing():
    rng = np.random.default_rng(6)
    S, Q = rng.uniform(size=(5, 8)), rng.uniform(size=(9, 8))
    S0, Q0 = S.copy(), Q.copy()
    Sp, Qp = preprocess_features(S, Q, power=0.5)
    assert np.array_equal(S, S0) and np.array_equal(Q, Q0)
    Z = np.vstack([S, Q]) + 1e-6
    Z = np.sqrt(Z)
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    Z -= Z.mean(0)
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    assert np.allclose(np.vstack([Sp, Qp]), Z, atol=1e-14)


@pytest.mark.parametrize("method", ["putm", "centroid"])
def test_separable_tasks_are_solved_and_labels_are_kept(method):
    rng = np.random.default_rng(7)
    S, ys, Q, yq = _episode(rng, 1, [20, 6, 3], sep=4.0)
    names = np.array(["cat", "dog", "emu"])
    S0, Q0 = S.copy(), Q.copy()
    pred, log = transductive_fewshot(S, names[ys], Q, method, power=0.6, log=True)
    assert np.array_equal(S, S0) and np.array_equal(Q, Q0)
    assert np.array_equal(pred, names[yq])
    assert np.allclose(log["proba"].sum(1), 1)


def test_balanced_assignment_forces_equal_class_counts():
    # the Sinkhorn baseline assumes balanced queries: on a 20/6/3 task its soft counts are uniform
    rng = np.random.default_rng(7)
    S, ys, Q, yq = _episode(rng, 1, [20, 6, 3], sep=4.0)
    _, log = transductive_fewshot(S, ys, Q, "sinkhorn", power=0.6, log=True)
    assert np.allclose(log["proba"].sum(0), 29 / 3, atol=1e-6)
    # PUTM's class marginal mixes the forward plan's (data-driven) with the backward plan's (uniform)
    true = np.array([20, 6, 3]) / 29
    for rho in (0.5, 1.0):
        _, log = transductive_fewshot(S, ys, Q, "putm", power=0.6, rho=rho, log=True)
        assert np.allclose(log["proportions"], rho * true + (1 - rho) / 3, atol=1e-3)


def test_putm_beats_the_baselines_on_imbalanced_episodes():
    rng = np.random.default_rng(8)
    acc = {"putm": [], "centroid": [], "sinkhorn": []}
    for _ in range(15):
        p = rng.dirichlet(np.full(5, 2.0))
        counts = np.maximum(np.round(p * 75).astype(int), 1)
        S, ys, Q, yq = _episode(rng, 1, counts, sep=0.5, dim=64)
        for m in acc:
            acc[m].append(np.mean(transductive_fewshot(S, ys, Q, m, power=0.6) == yq))
    assert np.mean(acc["putm"]) > np.mean(acc["centroid"]) + 0.03
    assert np.mean(acc["putm"]) > np.mean(acc["sinkhorn"])


def test_learned_navigator_in_putm_runs_and_is_seeded():
    rng = np.random.default_rng(9)
    S, ys, Q, yq = _episode(rng, 2, [12, 4, 3], sep=2.0)
    p1 = transductive_fewshot(S, ys, Q, navigator="learned", n_iter=10, rng=1, power=0.6)
    p2 = transductive_fewshot(S, ys, Q, navigator="learned", n_iter=10, rng=1, power=0.6)
    assert np.array_equal(p1, p2) and np.mean(p1 == yq) > 0.8


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(support=np.ones(3)), ValueError, "support"),
    (dict(query=np.ones((4, 5))), ValueError, "query"),
    (dict(support_labels=np.array([0, 1])), ValueError, "support_labels"),
    (dict(support_labels=np.array([0.5, 1, 2])), ValueError, "support_labels"),
    (dict(method="map"), ValueError, "method"),
    (dict(tau=0.0), ValueError, "tau"),
    (dict(tau="fast"), ValueError, "tau"),
    (dict(alpha=1.5), ValueError, "alpha"),
    (dict(rho=2.0), ValueError, "rho"),
    (dict(n_iter=-1), ValueError, "n_iter"),
    (dict(power=0.6, support=-np.ones((3, 4))), ValueError, "power"),
    (dict(navigator="mlp"), ValueError, "navigator"),
    (dict(balanced="yes"), TypeError, "balanced"),
    (dict(query=np.full((2, 4), np.nan)), ValueError, "query"),
])
def test_fewshot_bad_inputs(kwargs, exc, name):
    args = dict(support=np.eye(3, 4), support_labels=np.array([0, 1, 2]), query=np.ones((5, 4)))
    args.update(kwargs)
    with pytest.raises(exc, match=f"^{name}:"):
        transductive_fewshot(**args)


@given(n=st.integers(1, 5), m=st.integers(1, 5), d=st.integers(1, 3), d2=st.integers(1, 3), bad=st.integers(1, 6))
def test_ct_bad_inputs(n, m, d, d2, bad):
    X, Y = np.zeros((n, d)), np.zeros((m, d))
    assume(bad != n)
    with pytest.raises(ValueError, match="^a:"):
        conditional_transport(X, Y, a=np.ones(bad))
    assume(d2 != d)
    with pytest.raises(ValueError, match="^X_t:"):
        conditional_transport(X, np.zeros((m, d2)))


def test_ct_bad_arguments():
    X = np.zeros((3, 2))
    for kwargs, exc, name in [(dict(rho=1.5), ValueError, "rho"), (dict(tau=-1.0), ValueError, "tau"),
                              (dict(navigator="nn"), ValueError, "navigator"), (dict(b=-np.ones(3)), ValueError, "b"),
                              (dict(log="no"), TypeError, "log")]:
        with pytest.raises(exc, match=f"^{name}:"):
            conditional_transport(X, X, **kwargs)
    with pytest.raises(ValueError, match="^X_s:"):
        conditional_transport(np.full((2, 2), np.inf), X)
    with pytest.raises(ValueError, match="^hidden:"):
        MLPNavigator(hidden=0)


@given(n_way=st.integers(1, 4), shots=st.integers(1, 3), nq=st.integers(1, 8), d=st.integers(1, 4),
       dq=st.integers(1, 4), nl=st.integers(1, 12))
def test_fewshot_shape_checks(n_way, shots, nq, d, dq, nl):
    rng = np.random.default_rng(0)
    S = rng.uniform(size=(n_way * shots, d))
    ys = np.repeat(np.arange(n_way), shots)
    Q = rng.uniform(size=(nq, d))
    pred = transductive_fewshot(S, ys, Q, n_iter=3)
    assert pred.shape == (nq,) and set(pred) <= set(ys)
    assume(dq != d)
    with pytest.raises(ValueError, match="^query:"):
        transductive_fewshot(S, ys, rng.uniform(size=(nq, dq)))
    assume(nl != n_way * shots)
    with pytest.raises(ValueError, match="^support_labels:"):
        transductive_fewshot(S, np.zeros(nl, dtype=int), Q)


def test_putm_without_iterations_is_the_nearest_centroid_rule():
    rng = np.random.default_rng(12)
    S, ys, Q, yq = _episode(rng, 2, [9, 4, 2])
    for tau in (0.05, "auto"):
        assert np.array_equal(transductive_fewshot(S, ys, Q, n_iter=0, tau=tau, power=0.6),
                              transductive_fewshot(S, ys, Q, "centroid", power=0.6))
