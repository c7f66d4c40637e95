"""One API across the transport family (P14): the plan and the value under one key each, point clouds X_s, X_t.

Every function with ``log=True`` reports its plan as ``log["T"]`` (None where a
function has no plan between the inputs: the sliced ones) and its value as
``log["cost"]``; the cost is checked against the plan and the cost matrix
recomputed here. Point-cloud keywords renamed to ``X_s, X_t`` (``x_a, x_b``
in 1-D, POT's names) still work under their old names, with a
DeprecationWarning, and give the same result.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist

from linalg_lab import transport as T

RNG = np.random.default_rng(0)
XS, XT = RNG.normal(size=(12, 2)), RNG.normal(size=(10, 2)) + 0.5
A, B = np.full(12, 1 / 12), np.full(10, 1 / 10)
M = cdist(XS, XT, "sqeuclidean")
C1, C2 = cdist(XS, XS), cdist(XT, XT)
P = RNG.dirichlet(np.ones(3), size=12)


def _dense(plan):
    return plan.toarray() if sp.issparse(plan) else plan


CASES = {
    "partial_wasserstein": (lambda: T.partial_wasserstein(A, B, M, 0.5, log=True), M),
    "partial_wasserstein2": (lambda: T.partial_wasserstein2(A, B, M, 0.5, log=True), M),
    "partial_wasserstein_lagrange": (lambda: T.partial_wasserstein_lagrange(A, B, M, 1.0, log=True), M),
    "entropic_partial_wasserstein": (lambda: T.entropic_partial_wasserstein(A, B, M, 0.1, 0.5, log=True), M),
    "entropic_partial_wasserstein2": (lambda: T.entropic_partial_wasserstein2(A, B, M, 0.1, 0.5, log=True), M),
    "entropic_partial_wasserstein_logscale": (
        lambda: T.entropic_partial_wasserstein_logscale(A, B, M, 0.1, 0.5, log=True), M),
    "partial_gromov_wasserstein": (lambda: T.partial_gromov_wasserstein(C1, C2, A, B, 0.5, log=True), None),
    "partial_gromov_wasserstein2": (lambda: T.partial_gromov_wasserstein2(C1, C2, A, B, 0.5, log=True), None),
    "entropic_partial_gromov_wasserstein": (
        lambda: T.entropic_partial_gromov_wasserstein(C1, C2, A, B, 1.0, 0.5, log=True), None),
    "entropic_partial_gromov_wasserstein2": (
        lambda: T.entropic_partial_gromov_wasserstein2(C1, C2, A, B, 1.0, 0.5, log=True), None),
    "partial_assignment": (lambda: T.partial_assignment(M, 5, log=True), M),
    "partial_wasserstein_path": (lambda: T.partial_wasserstein_path(XS, XT, log=True), M),
    "minibatch_partial_ot": (lambda: T.minibatch_partial_ot(XS, XT, 4, 3, 0.5, rng=0, return_plan=True, log=True),
                             None),
    "conditional_transport": (lambda: T.conditional_transport(XS, XT, log=True), M),
    "progressive_partial_ot": (lambda: T.progressive_partial_ot(P, 0.5, log=True), -np.log(P)),
    "sela_pseudo_labels": (lambda: T.sela_pseudo_labels(P, log=True), -np.log(P)),
    "uot_pseudo_labels": (lambda: T.uot_pseudo_labels(P, log=True), -np.log(P)),
    "semantic_progressive_partial_ot": (
        lambda: T.semantic_progressive_partial_ot(P, 0.5, T.similarity_graph(XS, 3), log=True), -np.log(P)),
    "sliced_partial_wasserstein": (lambda: T.sliced_partial_wasserstein(XS, XT, 5, log=True, rng=0), None),
    "sliced_partial_cost_curve": (lambda: T.sliced_partial_cost_curve(XS, XT, log=True, rng=0), None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_plan_and_cost_under_one_key_each(name):
    call, cost_matrix = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", T.ConvergenceWarning)
        out = call()
    result, log = out[:-1], out[-1]
    assert "T" in log and "cost" in log
    if name.startswith("sliced"):
        assert log["T"] is None
        np.testing.assert_array_equal(log["cost"], result[0])
        return
    plan = _dense(log["T"])
    assert plan.ndim == 2 and plan.min() >= 0
    if name.endswith("2") or name in ("minibatch_partial_ot", "conditional_transport"):
        assert log["cost"] == result[0]  # the value returned
    elif not sp.issparse(log["T"]) and name not in ("partial_assignment", "partial_wasserstein_path"):
        np.testing.assert_array_equal(plan, result[0])  # the plan returned
    if cost_matrix is not None:
        assert log["cost"] == pytest.approx(float(np.sum(plan * cost_matrix)), rel=1e-9, abs=1e-12)
    if "gromov" in name:
        assert log["cost"] == log["partial_gw_dist"]
        H = 0.5 * ((C1**2) @ plan.sum(1))[:, None] + 0.5 * (plan.sum(0) @ C2**2)[None, :] - C1 @ plan @ C2.T
        assert log["cost"] == pytest.approx(float(np.sum(H * plan)), rel=1e-9)
    if name == "conditional_coupling":
        pass


def test_conditional_coupling_plan_and_cost():
    c0, c1 = RNG.normal(size=(12, 3)), RNG.normal(size=(12, 3))
    Y = RNG.normal(size=(12, 2))
    rows, cols, log = T.conditional_coupling(XS, Y, c0, c1, 1.0, log=True)
    plan = log["T"].toarray()
    assert np.array_equal(np.argwhere(plan), np.c_[rows, cols])
    assert log["cost"] == pytest.approx(log["transport_cost"] + 1.0 * log["condition_cost"], rel=1e-12)


RENAMED = [
    (T.minibatch_partial_ot, dict(X=XS, Y=XT), dict(X_s=XS, X_t=XT), dict(batch_size=4, n_batches=2, mass=0.5, rng=0)),
    (T.opt_lambda, dict(X=XS, Y=XT), dict(X_s=XS, X_t=XT), dict(p=[], q=[], lam=1.0)),
    (lambda **kw: T.lopt_embedding(**kw).U, dict(X0=XS, X=XT), dict(X_s=XS, X_t=XT), dict(p0=[], p=[], lam=1.0)),
    (T.partial_wasserstein_path, dict(X=XS, Y=XT), dict(X_s=XS, X_t=XT), {}),
    (T.conditional_transport, dict(X=XS, Y=XT), dict(X_s=XS, X_t=XT), {}),
    (T.conditional_coupling, dict(x0=XS[:10], x1=XT), dict(X_s=XS[:10], X_t=XT),
     dict(c0=np.arange(10) % 2, c1=np.arange(10) % 3 % 2, weight=1.0, metric="class")),
    (T.partial_cost_curve_1d, dict(x=XS[:, 0], y=XT[:, 0]), dict(x_a=XS[:, 0], x_b=XT[:, 0]), {}),
]


@pytest.mark.parametrize("fn, old, new, rest", RENAMED, ids=lambda x: getattr(x, "__name__", ""))
def test_old_point_cloud_keywords_are_deprecated_aliases(fn, old, new, rest):
    expected = fn(**new, **rest)
    with pytest.warns(DeprecationWarning, match="deprecated; call it"):
        got = fn(**old, **rest)
    for e, g in zip(expected if isinstance(expected, tuple) else (expected,),
                    got if isinstance(got, tuple) else (got,)):
        np.testing.assert_array_equal(e, g)
    with pytest.raises(TypeError, match="got both"):
        fn(**old, **new, **rest)


def test_mlp_navigator_keywords():
    nav = T.MLPNavigator(n_steps=2, rng=0).fit(X_s=XS, X_t=XT)
    with pytest.warns(DeprecationWarning):
        D = nav.distance(X=XS, Y=XT)
    np.testing.assert_array_equal(D, nav.distance(XS, XT))


def test_point_clouds_are_named_x_s_x_t_everywhere():
    """Every public function taking two point clouds names them X_s, X_t (the 1-D ones x_a, x_b, POT's)."""
    import inspect

    clouds = {"X", "Y", "x0", "x1", "x", "y", "Xs", "Xt", "X1", "X2"}
    for name in T.__all__:
        obj = getattr(T, name)
        if not callable(obj) or inspect.isclass(obj):
            continue
        params = set(inspect.signature(obj).parameters)
        if name == "similarity_graph":  # one cloud, not a pair
            params -= {"X"}
        assert not params & clouds, (name, params & clouds)
    for meth in (T.MLPNavigator.fit, T.MLPNavigator.distance):
        assert {"X_s", "X_t"} <= set(inspect.signature(meth).parameters)
