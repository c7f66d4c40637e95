"""The transport family as a whole (P0): inputs never modified or aliased by results; costs at the float limit.

Every public function is called on fresh arrays; afterwards (1) its inputs
equal their copies and (2) overwriting the inputs in place changes none of its
results. Then every solver gets finite costs near the float limit: it either
solves in scaled units (same answer as on the rescaled problem) or refuses with
a ValueError naming the argument, never returning inf/NaN or a wrong answer
silently, and no numpy RuntimeWarning reaches the caller.
"""

import copy
import warnings

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from linalg_lab import transport as T


def _snapshot(x):
    """A deep copy of a result (arrays, tuples, dicts, NamedTuples, sparse matrices, floats)."""
    return copy.deepcopy(x)


def _equal(x, y):
    if hasattr(x, "toarray"):
        return _equal(x.toarray(), y.toarray())
    if isinstance(x, np.ndarray):
        return x.shape == y.shape and np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_equal(x[k], y[k]) for k in x)
    if isinstance(x, (tuple, list)):
        return len(x) == len(y) and all(_equal(u, v) for u, v in zip(x, y))
    if isinstance(x, float) and np.isnan(x):
        return np.isnan(y)
    return x == y


def _inputs(rng):
    a = rng.random(5) + 0.1
    b = rng.random(4) + 0.1
    M = rng.random((5, 4))
    X = rng.standard_normal((6, 2))
    Y = rng.standard_normal((5, 2)) + 0.5
    p = rng.random(6) + 0.1
    q = rng.random(5) + 0.1
    x1 = rng.standard_normal(7)
    y1 = rng.standard_normal(6)
    c0 = rng.standard_normal((6, 3))
    c1 = rng.standard_normal((5, 3))
    theta = rng.standard_normal((2, 3))
    return dict(a=a, b=b, M=M, X=X, Y=Y, p=p, q=q, x1=x1, y1=y1, c0=c0, c1=c1, theta=theta)


def _embedding_calls():
    def emb(d, X=None):
        return T.lopt_embedding(d["X"], d["p"], d["Y"] if X is None else X, d["q"], lam=0.7)

    return {
        "lopt_embedding": lambda d: emb(d),
        "opt_lambda": lambda d: T.opt_lambda(d["X"], d["p"], d["Y"], d["q"], lam=0.7),
        "lopt_distance": lambda d: T.lopt_distance(emb(d), emb(d, d["X"][:5] + 1.0)),
        "lopt_distances": lambda d: T.lopt_distances([emb(d), emb(d, d["X"][:5] + 1.0)]),
        "lopt_interpolate": lambda d: T.lopt_interpolate(emb(d), emb(d, d["X"][:5] + 1.0), 0.3),
    }


CALLS = {
    "partial_wasserstein": lambda d: T.partial_wasserstein(d["a"], d["b"], d["M"], m=0.8, log=True),
    "partial_wasserstein2": lambda d: T.partial_wasserstein2(d["a"], d["b"], d["M"], m=0.8, log=True),
    "partial_wasserstein_lagrange": lambda d: T.partial_wasserstein_lagrange(d["a"], d["b"], d["M"], 0.6, log=True),
    "entropic_partial_wasserstein": lambda d: T.entropic_partial_wasserstein(d["a"], d["b"], d["M"], 0.05, 0.8,
                                                                             log=True),
    "entropic_partial_wasserstein2": lambda d: T.entropic_partial_wasserstein2(d["a"], d["b"], d["M"], 0.05, 0.8,
                                                                               log=True),
    "partial_wasserstein_1d": lambda d: T.partial_wasserstein_1d(d["x1"], d["y1"], p=2),
    "partial_cost_curve_1d": lambda d: T.partial_cost_curve_1d(d["x1"], d["y1"], p=1.5),
    "sliced_partial_wasserstein": lambda d: T.sliced_partial_wasserstein(d["X"], d["Y"], 3, projections=d["theta"],
                                                                         log=True),
    "sliced_partial_cost_curve": lambda d: T.sliced_partial_cost_curve(d["X"], d["Y"], projections=d["theta"],
                                                                       log=True),
    "partial_wasserstein_path": lambda d: T.partial_wasserstein_path(d["X"], d["Y"], log=True),
    "partial_wasserstein_path_precomputed": lambda d: T.partial_wasserstein_path(d["M"], metric="precomputed",
                                                                                 log=True),
    "partial_assignment": lambda d: T.partial_assignment(d["M"], 3, log=True),
    "minibatch_partial_ot": lambda d: T.minibatch_partial_ot(d["X"], d["Y"], 3, 2, 0.7, rng=0, return_plan=True,
                                                             log=True),
    "minibatch_partial_ot_entropic": lambda d: T.minibatch_partial_ot(d["X"], d["Y"], 3, 2, 0.7, reg=0.1, rng=0,
                                                                      bomb=True, return_plan=True, log=True),
    "conditional_coupling": lambda d: T.conditional_coupling(d["X"][:5], d["Y"], d["c0"][:5], d["c1"],
                                                             target_ratio=0.3, ratio_tol=0.2, log=True),
    "condition_ratio": lambda d: T.condition_ratio(d["M"], d["M"] ** 2, 0.5),
    **_embedding_calls(),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_inputs_are_not_modified_nor_aliased_by_results(name):
    d = _inputs(np.random.default_rng(7))
    before = {k: v.copy() for k, v in d.items()}
    out = CALLS[name](d)
    for k in d:
        assert np.array_equal(d[k], before[k]), f"{name} modified its input {k}"
    kept = _snapshot(out)
    for v in d.values():
        v *= -3.0  # the caller reuses its buffers
        v += 11.0
    assert _equal(out, kept), f"{name}: a result changed when the caller overwrote its inputs"


def test_lopt_embedding_copies_the_reference():
    # lopt_embedding(...).X0 was the caller's X0 although documented as a copy
    rng = np.random.default_rng(0)
    X0, X = rng.standard_normal((4, 2)), rng.standard_normal((5, 2))
    p0 = np.full(4, 0.25)
    emb = T.lopt_embedding(X0, p0, X, [], lam=1.0)
    assert emb.X0 is not X0 and not np.shares_memory(emb.X0, X0) and not np.shares_memory(emb.p0, p0)
    X0[:] = 100.0
    p0[:] = 9.0
    assert np.all(emb.X0 < 100.0) and np.all(emb.p0 == 0.25)
    # and the embedding still pairs with a new embedding of the original reference
    emb2 = T.lopt_embedding(emb.X0, emb.p0, X, [], lam=1.0)
    assert T.lopt_distance(emb, emb2) == pytest.approx(2 * 1.0 * emb.created, abs=1e-12)


# ----------------------------------------------------------------------------- costs at the float limit


def _no_runtime_warning():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error", RuntimeWarning)
    return ctx


def test_path_and_assignment_at_the_float_limit():
    # costs near 1.7e308 made the SSP's potentials overflow: 26 of 200 random 5 x 6 matchings were wrong
    rng = np.random.default_rng(0)
    for _ in range(40):
        M = rng.uniform(-1.0, 1.0, (5, 6)) * 1.7e308
        ctx = _no_runtime_warning()
        try:
            rows, cols = T.partial_assignment(M, 5)
            with pytest.raises(ValueError, match="^M: "):  # the cost itself is beyond the float range
                T.partial_assignment(M, 5, log=True)
        finally:
            ctx.__exit__(None, None, None)
        S = M / 2.0**1000
        r2, c2 = linear_sum_assignment(S)
        assert S[rows, cols].sum() == pytest.approx(S[r2, c2].sum(), rel=1e-12)
    M = rng.uniform(-1.0, 1.0, (5, 6))
    _, costs = T.partial_wasserstein_path(M * 1e307, metric="precomputed")
    _, ref = T.partial_wasserstein_path(M, metric="precomputed")
    assert np.allclose(costs, ref * 1e307, rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="^X_s: "):
        T.partial_wasserstein_path([0.0, 1e200], [3e200, -1e200], metric="euclidean")


@pytest.mark.parametrize("p", [1, 2, 3.5])
def test_one_dimensional_costs_that_would_overflow_are_refused(p):
    # 1-D partial OT returned inf costs (and compared inf - inf candidates) for far-apart points
    x = np.array([0.0, 1e154, 3e154])
    y = np.array([1e154, -1e154])
    scale = 2.0 ** (1023.0 / p - 8)  # the largest spans stay accepted
    ctx = _no_runtime_warning()
    try:
        if p > 1:
            with pytest.raises(ValueError, match="^x_a: "):
                T.partial_wasserstein_1d(x, y, p=p)
            with pytest.raises(ValueError, match="^x_a: "):
                T.partial_cost_curve_1d(x, y, p=p)
            with pytest.raises(ValueError, match="^X_s: "):
                T.sliced_partial_wasserstein(x[:, None], y[:, None], rng=0, p=p)
        xs, ys = x / 3e154 * scale, y / 3e154 * scale
        ix, iy, c = T.partial_wasserstein_1d(xs, ys, p=p)
        ix0, iy0, c0 = T.partial_wasserstein_1d(x / 3e154, y / 3e154, p=p)
        assert np.all(np.isfinite(c)) and np.allclose(c, c0 * scale**p, rtol=1e-9)
    finally:
        ctx.__exit__(None, None, None)


def test_point_cloud_solvers_refuse_overflowing_distances():
    X = np.array([[0.0, 0.0], [1e154, 0.0], [0.0, 3e154]])
    Y = np.array([[1e154, 1e154], [-1e154, 0.0]])
    ctx = _no_runtime_warning()
    try:
        with pytest.raises(ValueError, match="^X_t: "):
            T.lopt_embedding(X, [], Y, [], lam=1e300)
        with pytest.raises(ValueError, match="^X_t: "):
            T.opt_lambda(X, [], Y, [], lam=1e300)
        with pytest.raises(ValueError, match="^lam: "):
            T.lopt_embedding(X / 1e154, [], Y / 1e154, [], lam=1e308)  # 2 lam overflows
        for reg in (0.0, 1e300):
            with pytest.raises(ValueError, match="^metric: "):
                T.minibatch_partial_ot(X, Y, 2, 2, 0.5, reg=reg, rng=0)
        with pytest.raises(ValueError, match="^X_s: "):
            T.conditional_coupling(X[:2], Y, [0, 1], [1, 0], weight=1.0, metric="class")
        with pytest.raises(ValueError, match="^c0: "):
            T.conditional_coupling(X[:2] / 1e154, Y / 1e154, X[:2], Y, weight=1.0, metric="sqeuclidean")
        with pytest.raises(ValueError, match="^weight: "):
            T.conditional_coupling(X[:2] / 1e154, Y / 1e154, X[:2] / 1e154 + 1, Y / 1e154, weight=1e308)
        # an overflowing w C prices a pair out, which is the right count for the ratio
        M = np.array([[1.0, 2.0], [3.0, 0.5]])
        assert T.condition_ratio(M * 1e307, np.ones((2, 2)), 1e308) == 0.0
        rows, cols, log = T.conditional_coupling(X[:2] / 1e154, Y / 1e154, [0, 1], [1, 0], weight=1e307,
                                                 metric="class", log=True)
        assert np.isfinite(log["cost"]) and log["condition_cost"] == 0.0
    finally:
        ctx.__exit__(None, None, None)
