"""Partial Gromov-Wasserstein: the same values as POT's from the same initial plan, a stationary point, masses kept."""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from linalg_lab import transport as T


def _clouds(n, nt, seed):
    rng = np.random.default_rng(seed)
    xs = np.concatenate([rng.standard_normal((n - n // 3, 2)), rng.uniform(4, 8, (n // 3, 2))])
    xt = np.concatenate([rng.standard_normal((nt - nt // 3, 3)), rng.uniform(10, 20, (nt // 3, 3))])
    return cdist(xs, xs), cdist(xt, xt)


def _pot(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # POT's deprecation notice for ot.partial's GW functions
        return getattr(ot.partial, fn)(*args, **kwargs)


def _half_gradient(C1, C2, G):
    """POT's linearisation 1/2 grad L(G), computed directly (independent of the solver's incremental updates)."""
    return 0.5 * ((C1**2) @ G.sum(1))[:, None] + 0.5 * (G.sum(0) @ C2**2)[None, :] - C1 @ G @ C2.T


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(4, 25), nt=st.integers(4, 25), frac=st.floats(0.1, 1.0), seed=st.integers(0, 10**6),
       weights=st.booleans())
def test_same_value_as_pot_and_stationary(n, nt, frac, seed, weights):
    C1, C2 = _clouds(n, nt, seed)
    rng = np.random.default_rng(seed + 1)
    p = rng.uniform(0.2, 1.0, n) if weights else np.full(n, 1.0 / n)
    q = rng.uniform(0.2, 1.0, nt) if weights else np.full(nt, 1.0 / nt)
    p, q = p / p.sum(), q / q.sum()
    m = frac * min(p.sum(), q.sum())
    # generic problems only: with uniform masses and m a multiple of a point's mass, the linear problems are
    # degenerate and their optimal vertices can tie to the last bit (n = 20, n2 = 4, m = 0.1: two vertices 4e-18
    # apart at the fourth step), where any rounding other than POT's own can pick the other one
    if not weights:
        assume(min(abs(m * k - round(m * k)) for k in (n, nt)) > 1e-6)
    inputs = [x.copy() for x in (C1, C2, p, q)]
    value, log = T.partial_gromov_wasserstein2(C1, C2, p, q, m=m, log=True)
    ref = _pot("partial_gromov_wasserstein2", C1, C2, p, q, m=m)
    # the same iteration from POT's initial plan: the same local optimum
    assert value == pytest.approx(ref, rel=1e-6, abs=1e-12)
    G = log["T"]
    # masses respected
    assert G.min() >= 0
    assert np.all(G.sum(1) <= p + 1e-12) and np.all(G.sum(0) <= q + 1e-12)
    assert G.sum() == pytest.approx(m, rel=1e-9)
    # a stationary point: the Frank-Wolfe gap <grad, G - V> with V the best vertex (POT's LP as reference)
    H = _half_gradient(C1, C2, G)
    V = ot.partial.partial_wasserstein(p, q, H, m=m)
    gap = 2 * float(np.sum(H * (G - V)))
    assert gap <= 1e-6 * max(value, 1e-12) + 1e-12
    # the value reported is the loss of the plan returned (computed here from scratch)
    assert value == pytest.approx(float(np.sum(H * G)), rel=1e-9, abs=1e-15)
    # inputs unchanged
    for before, after in zip(inputs, (C1, C2, p, q)):
        np.testing.assert_array_equal(before, after)


def test_same_plan_as_pot_with_given_g0():
    C1, C2 = _clouds(30, 24, 3)
    p, q = ot.unif(30), ot.unif(24)
    rng = np.random.default_rng(0)
    G0 = rng.random((30, 24))
    G0 *= 0.4 / G0.sum()
    G0 = np.minimum(G0, 0.4 / (30 * 24) * 2)  # feasible: small entries
    G0 *= 0.3 / G0.sum()
    G0_copy = G0.copy()
    ours = T.partial_gromov_wasserstein(C1, C2, p, q, m=0.3, G0=G0)
    ref = _pot("partial_gromov_wasserstein", C1, C2, p, q, m=0.3, G0=G0)
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    np.testing.assert_array_equal(G0, G0_copy)


def test_log_keys_are_pots_with_the_same_values():
    C1, C2 = _clouds(20, 20, 1)
    p, q = ot.unif(20), ot.unif(20)
    _, log = T.partial_gromov_wasserstein(C1, C2, p, q, m=0.6, log=True)
    _, ref = _pot("partial_gromov_wasserstein", C1, C2, p, q, m=0.6, log=True)
    assert set(ref) <= set(log)
    np.testing.assert_allclose(log["err"], ref["err"], rtol=1e-9, atol=1e-15)
    assert log["partial_gw_dist"] == pytest.approx(float(ref["partial_gw_dist"]), rel=1e-9)
    v, vlog = T.partial_gromov_wasserstein2(C1, C2, p, q, m=0.6, log=True)
    assert {"T", "partial_gw_dist"} <= set(vlog) and v == vlog["partial_gw_dist"]
    # the losses after each step decrease (Frank-Wolfe with exact line search is a descent method)
    assert np.all(np.diff(log["loss"]) <= 1e-12 * abs(log["loss"][0]))


@pytest.mark.parametrize("reg", [100.0, 10.0])
def test_entropic_matches_pot_iteration(reg):
    C1, C2 = _clouds(20, 15, 2)
    p, q = ot.unif(20), ot.unif(15)
    inputs = [x.copy() for x in (C1, C2, p, q)]
    # equal numbers of outer steps; POT's inner solve runs its 1000 cycles, ours to a violation of 1e-12
    with pytest.warns(T.ConvergenceWarning, match="numItermax = 5 outer steps"):  # 5 steps do not reach tol
        G, log = T.entropic_partial_gromov_wasserstein(C1, C2, p, q, reg, m=0.5, numItermax=5, log=True,
                                                       stopThr=1e-12)
    assert not log["converged"] and log["inner_converged"]
    assert log["cost"] == log["partial_gw_dist"] and np.array_equal(log["T"], G)
    ref = _pot("entropic_partial_gromov_wasserstein", C1, C2, p, q, reg, m=0.5, numItermax=5)
    np.testing.assert_allclose(G, ref, atol=1e-9)
    assert np.all(G.sum(1) <= p + 1e-12) and np.all(G.sum(0) <= q + 1e-12)
    assert G.sum() == pytest.approx(0.5, abs=1e-12)
    with pytest.warns(T.ConvergenceWarning):
        v = T.entropic_partial_gromov_wasserstein2(C1, C2, p, q, reg, m=0.5, numItermax=5, stopThr=1e-12)
    vref = _pot("entropic_partial_gromov_wasserstein2", C1, C2, p, q, reg, m=0.5, numItermax=5)
    assert v == pytest.approx(float(vref), rel=1e-8)
    for before, after in zip(inputs, (C1, C2, p, q)):
        np.testing.assert_array_equal(before, after)


def test_zero_mass_and_errors():
    C1, C2 = _clouds(6, 5, 0)
    p, q = ot.unif(6), ot.unif(5)
    assert np.all(T.partial_gromov_wasserstein(C1, C2, p, q, m=0.0) == 0)
    assert T.partial_gromov_wasserstein2(C1, C2, p, q, m=0.0) == 0.0
    with pytest.raises(ValueError, match="^C1: "):
        T.partial_gromov_wasserstein(C1[:, :3], C2, p, q)
    with pytest.raises(ValueError, match="^G0: "):
        T.partial_gromov_wasserstein(C1, C2, p, q, G0=np.ones((5, 5)))
    with pytest.raises(ValueError, match="^G0: "):
        T.partial_gromov_wasserstein(C1, C2, p, q, G0=-np.ones((6, 5)))
    with pytest.raises(ValueError, match="^reg: "):
        T.entropic_partial_gromov_wasserstein(C1, C2, p, q, 0.0)
    with pytest.raises(TypeError, match="^bogus: "):
        T.partial_gromov_wasserstein(C1, C2, p, q, bogus=1)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 30), nt=st.integers(2, 30), frac=st.floats(0.0, 1.0), seed=st.integers(0, 10**6),
       weights=st.booleans(), zeros=st.booleans())
def test_tree_lp_finds_the_dense_optimum(n, nt, frac, seed, weights, zeros):
    """The LP steps after the first return the optimal vertex of the full partial LP: the tree simplex started
    from the previous step's optimal tree (the first tree holds POT's dense vertex of another cost).

    Reference: POT's dense solve of the same problem. Generic costs (uniform random), so the optimal vertex is
    unique and the plans agree; the LP values agree to rounding.
    """
    from linalg_lab.transport.gromov import _TreeLP

    rng = np.random.default_rng(seed)
    p = rng.uniform(0.2, 1.0, n) if weights else np.full(n, 1.0)
    q = rng.uniform(0.2, 1.0, nt) if weights else np.full(nt, 1.0)
    if zeros:
        p[0] = 0.0
    p, q = p / p.sum(), q / q.sum()
    m = frac * min(p.sum(), q.sum())
    assume(m > 1e-3)
    lp = _TreeLP(p, q, m)
    # costs >= 0, as GW gradients are (sums of squares); POT's dummy cost, 100 max(M), assumes it
    M0 = rng.uniform(0.0, 1.0, (n, nt))
    assert lp.start(_pot("partial_wasserstein", p, q, M0, m=m))
    for step in range(1, 4):  # successive costs: each solve starts from the previous optimal tree
        M = rng.uniform(0.0, 1.0, (n, nt)) + step * rng.uniform(0, 1, (n, 1))
        M_copy = M.copy()
        V = lp.solve(M).dense()
        ref = _pot("partial_wasserstein", p, q, M, m=m)
        np.testing.assert_array_equal(M, M_copy)
        assert V.min() >= 0
        assert np.all(V.sum(1) <= p + 1e-12) and np.all(V.sum(0) <= q + 1e-12)
        assert V.sum() == pytest.approx(m, rel=1e-12)
        assert float(np.sum(V * M)) == pytest.approx(float(np.sum(ref * M)), rel=1e-10, abs=1e-13)
        np.testing.assert_allclose(V, ref, atol=1e-12)
    assert lp.tree is not None  # the tree simplex never hit its pivot limit


@pytest.mark.parametrize("n, nt, m", [(40, 40, 0.5), (40, 40, 0.61), (50, 50, 1.0), (30, 45, 0.37)])
def test_monge_start_leads_to_pots_first_vertex(n, nt, m):
    """With uniform masses and the product plan, the first LP starts from the non-crossing matching of the
    Monge half gradient: a feasible plan of mass m, which the tree simplex makes POT's dense optimum."""
    from linalg_lab.transport.gromov import _monge_start, _TreeLP

    C1, C2 = _clouds(n, nt, n + nt)
    w = 1.0 / max(n, nt)
    p, q = np.full(n, w), np.full(nt, w)
    G0 = np.outer(p, q) * m / (p.sum() * q.sum())
    ar, bc = 0.5 * (C1**2 @ G0.sum(1)), 0.5 * (G0.sum(0) @ C2**2)
    x, y = C1 @ p, C2 @ q
    s = m / (p.sum() * q.sum())
    M = ar[:, None] + bc[None, :] - s * np.outer(x, y)
    V0 = _monge_start(ar, bc, x, y, s, w, m, M)
    assert V0 is not None and V0.min() >= 0 and V0.sum() == pytest.approx(m, rel=1e-12)
    assert np.all(V0.sum(1) <= p + 1e-15) and np.all(V0.sum(0) <= q + 1e-15)
    lp = _TreeLP(p, q, m)
    assert lp.start(V0)
    V = lp.solve(M).dense()
    ref = _pot("partial_wasserstein", p, q, M, m=m)
    assert float(np.sum(V * M)) == pytest.approx(float(np.sum(ref * M)), rel=1e-12)
    np.testing.assert_allclose(V, ref, atol=1e-12)


@pytest.mark.parametrize("sizes", [(60, 50), (60, 60)])
def test_tree_path_same_value_as_pot(monkeypatch, sizes):
    """The whole Frank-Wolfe run with the tree simplex (forced on a small problem; with equal uniform masses the
    first step from the Monge start) ends at POT's value and plan."""
    from linalg_lab.transport import gromov

    monkeypatch.setattr(gromov, "_TREE_MIN_SIZE", 0)
    n, nt = sizes
    C1, C2 = _clouds(n, nt, 7)
    p, q = ot.unif(n), ot.unif(nt)
    starts = []
    monge_start = gromov._monge_start
    monkeypatch.setattr(gromov, "_monge_start", lambda *a: starts.append(1) or monge_start(*a))
    for m in (0.3, 0.61, 0.7, 0.75, 1.0):
        value, log = T.partial_gromov_wasserstein2(C1, C2, p, q, m=m, log=True)
        ref = _pot("partial_gromov_wasserstein2", C1, C2, p, q, m=m, log=True)
        assert log["lp_solves"] >= log["n_iter"] - 1  # every step but perhaps the first by the tree simplex
        assert value == pytest.approx(float(ref[0]), rel=1e-9)
        np.testing.assert_allclose(log["T"], ref[1]["T"], atol=1e-12)
        assert log["converged"]
    assert len(starts) == (5 if n == nt else 0)


def test_failed_monge_start_falls_back_to_the_dense_first_step(monkeypatch):
    """Should the Monge start fail, the first step is POT's dense solve, made optimal by the tree simplex."""
    from linalg_lab.transport import gromov

    monkeypatch.setattr(gromov, "_TREE_MIN_SIZE", 0)
    monkeypatch.setattr(gromov, "_monge_start", lambda *a: None)
    C1, C2 = _clouds(60, 60, 3)
    p = q = ot.unif(60)
    value, log = T.partial_gromov_wasserstein2(C1, C2, p, q, m=0.61, log=True)
    ref = _pot("partial_gromov_wasserstein2", C1, C2, p, q, m=0.61, log=True)
    assert log["lp_solves"] >= log["n_iter"]  # the first step's vertex went through the tree simplex too
    assert value == pytest.approx(float(ref[0]), rel=1e-9)
    np.testing.assert_allclose(log["T"], ref[1]["T"], atol=1e-12)


def test_unconverged_frank_wolfe_warns_and_says_so():
    C1, C2 = _clouds(20, 18, 5)
    p, q = ot.unif(20), ot.unif(18)
    with pytest.warns(T.ConvergenceWarning, match="numItermax = 1 Frank-Wolfe steps"):
        G, log = T.partial_gromov_wasserstein(C1, C2, p, q, m=0.5, numItermax=1, log=True)
    assert not log["converged"] and log["n_iter"] == 1
    # the plan is still feasible: a convex combination of G0 and one vertex
    assert np.all(G.sum(1) <= p + 1e-12) and np.all(G.sum(0) <= q + 1e-12) and G.sum() == pytest.approx(0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", T.ConvergenceWarning)  # a converged run is silent
        _, log = T.partial_gromov_wasserstein(C1, C2, p, q, m=0.5, log=True)
    assert log["converged"]
