"""conditional_coupling (C^2OT) against linear_sum_assignment and the authors' ratio rule."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from linalg_lab.transport import ConvergenceWarning
from linalg_lab.transport.conditional import condition_ratio, conditional_coupling

metrics = st.sampled_from(["cosine", "sqeuclidean", "class"])
seeds = st.integers(0, 2**32 - 1)


def _batch(n0, n1, seed, metric, d=3, dc=4, classes=3):
    rng = np.random.default_rng(seed)
    x0, x1 = rng.standard_normal((n0, d)), rng.standard_normal((n1, d))
    if metric == "class":
        c0, c1 = rng.integers(0, classes, n0), rng.integers(0, classes, n1)
    else:
        c0, c1 = rng.standard_normal((n0, dc)), rng.standard_normal((n1, dc))
    return x0, x1, c0, c1


def _reference_condition_cost(c0, c1, metric):
    if metric == "class":
        return (np.asarray(c0)[:, None] != np.asarray(c1)[None, :]).astype(float)
    if metric == "sqeuclidean":
        return ((c0[:, None, :] - c1[None, :, :]) ** 2).sum(-1)
    u = c0 / np.linalg.norm(c0, axis=1, keepdims=True)
    v = c1 / np.linalg.norm(c1, axis=1, keepdims=True)
    return 1.0 - u @ v.T


def _authors_ratio(M, C, w):
    """((M + w C) <= diag(M)).mean() for a square batch, written out pair by pair."""
    n = M.shape[0]
    return sum(M[i, j] + w * C[i, j] <= M[j, j] for i in range(n) for j in range(n)) / n**2


@settings(deadline=None, max_examples=30)
@given(n0=st.integers(1, 9), n1=st.integers(1, 9), seed=seeds, metric=metrics)
def test_weight_zero_is_the_plain_assignment(n0, n1, seed, metric):
    x0, x1, c0, c1 = _batch(n0, n1, seed, metric)
    rows, cols, info = conditional_coupling(x0, x1, c0, c1, weight=0.0, metric=metric, log=True)
    M = cdist(x0, x1, "sqeuclidean")
    r, c = linear_sum_assignment(M)
    assert len(rows) == min(n0, n1) and len(set(cols.tolist())) == len(cols)
    assert M[rows, cols].sum() == pytest.approx(M[r, c].sum(), rel=1e-12, abs=1e-12)
    assert info["weight"] == 0.0 and info["n_evaluations"] == 0


@settings(deadline=None, max_examples=30)
@given(n0=st.integers(1, 8), n1=st.integers(1, 8), seed=seeds, metric=metrics, w=st.floats(0.0, 10.0))
def test_fixed_weight_solves_the_conditioned_assignment(n0, n1, seed, metric, w):
    x0, x1, c0, c1 = _batch(n0, n1, seed, metric)
    copies = [a.copy() for a in (x0, x1, c0, c1)]
    for a in (x0, x1, c0, c1):
        a.setflags(write=False)  # an in-place normalisation would raise
    rows, cols, info = conditional_coupling(x0, x1, c0, c1, weight=w, metric=metric, log=True)
    cost = cdist(x0, x1, "sqeuclidean") + w * _reference_condition_cost(c0, c1, metric)
    r, c = linear_sum_assignment(cost)
    assert info["cost"] == pytest.approx(cost[r, c].sum(), rel=1e-9, abs=1e-9)
    assert cost[rows, cols].sum() == pytest.approx(cost[r, c].sum(), rel=1e-9, abs=1e-9)
    for a, b in zip((x0, x1, c0, c1), copies):
        np.testing.assert_array_equal(a, b)


@settings(deadline=None, max_examples=25)
@given(n=st.integers(2, 12), extra=st.integers(0, 4), classes=st.integers(1, 4), seed=seeds)
def test_large_class_weight_pairs_within_classes(n, extra, classes, seed):
    rng = np.random.default_rng(seed)
    c1 = rng.integers(0, classes, n + extra)
    c0 = rng.permutation(c1)[:n]  # every class of x0 has at least as many points in x1
    x0, x1 = rng.standard_normal((n, 2)), rng.standard_normal((n + extra, 2))
    big = n * cdist(x0, x1, "sqeuclidean").max() + 1.0
    rows, cols = conditional_coupling(x0, x1, c0, c1, weight=big, metric="class")
    np.testing.assert_array_equal(c0[rows], c1[cols])
    # the roles swapped (more prior than data samples)
    rows, cols = conditional_coupling(x1, x0, c1, c0, weight=big, metric="class")
    np.testing.assert_array_equal(c1[rows], c0[cols])


def test_string_class_labels():
    x = np.arange(6.0)[:, None]
    labels = np.array(["cat", "dog", "cat", "dog", "cat", "dog"])
    rows, cols = conditional_coupling(x, x[::-1], labels, labels[::-1], weight=1e3, metric="class")
    np.testing.assert_array_equal(labels[rows], labels[::-1][cols])


@pytest.mark.parametrize("metric", ["cosine", "sqeuclidean", "class"])
@pytest.mark.parametrize("target", [0.05, 0.2, 0.35])
def test_found_weight_achieves_the_ratio(metric, target):
    x0, x1, c0, c1 = _batch(64, 64, 7, metric, classes=16)  # 16 classes: r(inf) is about 1/32
    rows, cols, info = conditional_coupling(x0, x1, c0, c1, target_ratio=target, metric=metric, log=True)
    M = cdist(x0, x1, "sqeuclidean")
    C = _reference_condition_cost(c0, c1, metric)
    w = info["weight"]
    assert abs(info["ratio"] - target) <= 1e-3
    assert condition_ratio(M, C, w) == info["ratio"]
    assert _authors_ratio(M, np.maximum(C, 0), w) == pytest.approx(info["ratio"], abs=1.0 / 64**2)
    r, c = linear_sum_assignment(M + w * C)
    assert info["cost"] == pytest.approx((M + w * C)[r, c].sum(), rel=1e-9)


def test_ratio_search_edges():
    x0, x1, c0, c1 = _batch(32, 32, 1, "cosine")
    r0 = condition_ratio(cdist(x0, x1, "sqeuclidean"), _reference_condition_cost(c0, c1, "cosine"), 0.0)
    # a target above r(0) cannot be met: the closest weight (0) is used, flagged and warned about (P0)
    with pytest.warns(ConvergenceWarning, match="target_ratio"):
        _, _, info = conditional_coupling(x0, x1, c0, c1, target_ratio=min(1.0, r0 + 0.1), log=True)
    assert info["weight"] == 0.0 and info["ratio"] == r0 and info["ratio_met"] is False
    # below r(inf) (here 0: no two conditions are equal) only max_weight comes near
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, _, info = conditional_coupling(x0, x1, c0, c1, target_ratio=0.0, max_weight=1e3, log=True)
    assert info["ratio"] == 0.0 or info["weight"] == 1e3
    assert info["ratio_met"] == (info["ratio"] <= 1e-3) == (not caught)
    # a starting weight is honoured and gives the same bracket property
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, info = conditional_coupling(x0, x1, c0, c1, weight=1e-3, target_ratio=0.2, log=True)
    assert abs(info["ratio"] - 0.2) <= 1e-3 and info["ratio_met"] is True
    assert conditional_coupling(x0, x1, c0, c1, weight=1.0, log=True)[2]["ratio_met"] is None


@settings(deadline=None, max_examples=20)
@given(n=st.integers(1, 10), seed=seeds, metric=metrics)
def test_ratio_nonincreasing_and_condition_cost_nonincreasing_in_weight(n, seed, metric):
    x0, x1, c0, c1 = _batch(n, n, seed, metric)
    M = cdist(x0, x1, "sqeuclidean")
    C = np.maximum(_reference_condition_cost(c0, c1, metric), 0)
    weights = [0.0, 0.1, 0.5, 2.0, 10.0, 100.0]
    ratios = [condition_ratio(M, C, w) for w in weights]
    assert all(a >= b for a, b in zip(ratios, ratios[1:]))
    # parametric assignment: the condition part of an optimal coupling never grows with w
    cond = [conditional_coupling(x0, x1, c0, c1, weight=w, metric=metric, log=True)[2]["condition_cost"]
            for w in weights]
    assert all(b <= a + 1e-9 for a, b in zip(cond, cond[1:]))


@settings(deadline=None, max_examples=15)
@given(seed=seeds, target=st.floats(0.0, 1.0))
def test_search_never_mutates_inputs(seed, target):
    x0, x1, c0, c1 = _batch(12, 12, seed, "cosine")
    assume(np.all(np.linalg.norm(c0, axis=1) > 0))
    copies = [a.copy() for a in (x0, x1, c0, c1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a random target may be out of reach
        conditional_coupling(x0, x1, c0, c1, target_ratio=target)
    for a, b in zip((x0, x1, c0, c1), copies):
        np.testing.assert_array_equal(a, b)


def test_images_are_flattened():
    rng = np.random.default_rng(0)
    x0, x1 = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 2, 3))
    c = rng.standard_normal((5, 2, 2))
    r1 = conditional_coupling(x0, x1, c, c, weight=1.0)
    r2 = conditional_coupling(x0.reshape(5, -1), x1.reshape(5, -1), c.reshape(5, -1), c.reshape(5, -1), weight=1.0)
    np.testing.assert_array_equal(r1[1], r2[1])


X = np.zeros((4, 2))
L = np.array([0, 1, 0, 1])
V = np.ones((4, 3))


@pytest.mark.parametrize("kwargs, name", [
    (dict(X_s=X, X_t=X, c0=V[:3], c1=V, weight=1.0), "c0"),
    (dict(X_s=X, X_t=X, c0=V, c1=V[:2], weight=1.0), "c1"),
    (dict(X_s=X, X_t=X, c0=V, c1=np.ones((4, 2)), weight=1.0), "c1"),
    (dict(X_s=X, X_t=X, c0=L, c1=L[:3], weight=1.0, metric="class"), "c1"),
    (dict(X_s=X, X_t=X, c0=V, c1=V, weight=1.0, metric="class"), "c0"),
    (dict(X_s=X, X_t=X, c0=np.zeros((4, 3)), c1=V, weight=1.0, metric="cosine"), "c0"),
    (dict(X_s=X, X_t=X, c0=V, c1=V, weight=1.0, metric="manhattan"), "metric"),
    (dict(X_s=X, X_t=X, c0=V, c1=V, weight=-1.0), "weight"),
    (dict(X_s=X, X_t=X, c0=V, c1=V), "weight"),
    (dict(X_s=X, X_t=X, c0=V, c1=V, target_ratio=1.5), "target_ratio"),
    (dict(X_s=X, X_t=X, c0=V, c1=V, target_ratio=-0.1), "target_ratio"),
    (dict(X_s=X, X_t=np.zeros((4, 3)), c0=V, c1=V, weight=1.0), "X_t"),
    (dict(X_s=[[np.nan, 0.0]] * 4, X_t=X, c0=V, c1=V, weight=1.0), "X_s"),
    (dict(X_s=X, X_t=X, c0=V, c1=V, target_ratio=0.2, ratio_tol=-1.0), "ratio_tol"),
    (dict(X_s=X, X_t=X, c0=V, c1=V, target_ratio=0.2, numItermax=0), "numItermax"),
    (dict(X_s=X, X_t=X, c0=V, c1=V, target_ratio=0.2, max_weight=0.0), "max_weight"),
])
def test_bad_input_names_the_argument(kwargs, name):
    with pytest.raises((TypeError, ValueError), match=f"^{name}: "):
        conditional_coupling(**kwargs)


def test_condition_ratio_checks():
    with pytest.raises(ValueError, match="^C: "):
        condition_ratio(np.ones((2, 2)), -np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="^weight: "):
        condition_ratio(np.ones((2, 2)), np.ones((2, 2)), -1.0)
