"""partial_wasserstein_path / partial_assignment against linear_sum_assignment, linprog and POT."""

import numpy as np
import ot
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment, linprog

from linalg_lab.transport.path import partial_assignment, partial_wasserstein_path

TOL = 1e-9


def _cost_matrix(n, m, seed, kind):
    rng = np.random.default_rng(seed)
    if kind == "ties":  # small integers: many equal costs and equal paths
        return rng.integers(0, 4, (n, m)).astype(np.float64)
    if kind == "signed":
        return rng.standard_normal((n, m))
    X, Y = rng.standard_normal((n, 2)), rng.standard_normal((m, 2)) + 0.5
    return ot.dist(X, Y)


def _lp_k_matching(M, k):
    """min <M, G> over 0 <= G, G 1 <= 1, G^T 1 <= 1, sum G = k (the LP relaxation; integral by total unimodularity)."""
    n, m = M.shape
    rows = np.kron(np.eye(n), np.ones(m))
    cols = np.kron(np.ones(n), np.eye(m))
    res = linprog(M.ravel(), A_ub=np.vstack([rows, cols]), b_ub=np.ones(n + m), A_eq=np.ones((1, n * m)),
                  b_eq=[k], bounds=(0, None), method="highs")
    assert res.status == 0
    return res.fun


def _close(a, b, scale):
    return abs(a - b) <= TOL * max(1.0, scale)


shapes = st.tuples(st.integers(1, 7), st.integers(1, 7))
seeds = st.integers(0, 2**32 - 1)
kinds = st.sampled_from(["points", "ties", "signed"])


@settings(deadline=None, max_examples=40)
@given(shape=shapes, seed=seeds, kind=kinds)
def test_path_matches_lsa_and_linprog(shape, seed, kind):
    M = _cost_matrix(*shape, seed, kind)
    before = M.copy()
    K = min(M.shape)
    _, _, info = partial_wasserstein_path(M, metric="precomputed", log=True)
    costs = info["matching_costs"]
    scale = float(np.abs(M).sum())
    assert costs.shape == (K + 1,) and costs[0] == 0
    r, c = linear_sum_assignment(M)
    assert _close(costs[K], M[r, c].sum(), scale)
    for k in range(1, K):
        assert _close(costs[k], _lp_k_matching(M, k), scale)
    # convex in k (marginal costs nondecreasing): a theorem of min-cost flow
    assert np.all(np.diff(costs, 2) >= -TOL * max(1.0, scale))
    if M.min() >= 0:
        assert np.all(np.diff(costs) >= -TOL * max(1.0, scale))
    np.testing.assert_array_equal(M, before)


@settings(deadline=None, max_examples=30)
@given(shape=shapes, seed=seeds, kind=kinds)
def test_partial_assignment_is_an_optimal_k_matching_on_the_nested_support(shape, seed, kind):
    M = _cost_matrix(*shape, seed, kind)
    before = M.copy()
    _, _, info = partial_wasserstein_path(M, metric="precomputed", log=True)
    costs, row_order, col_order = info["matching_costs"], info["row_order"], info["col_order"]
    scale = float(np.abs(M).sum())
    assert sorted(row_order) == sorted(set(row_order.tolist())) and sorted(col_order) == sorted(set(col_order.tolist()))
    for k in range(min(M.shape) + 1):
        rows, cols = partial_assignment(M, k)
        assert len(rows) == len(cols) == k
        assert len(set(rows.tolist())) == k and len(set(cols.tolist())) == k
        assert np.all(np.diff(rows) > 0)
        assert _close(M[rows, cols].sum(), costs[k], scale)
        # the transported points are the first k to enter, whatever k
        assert set(rows.tolist()) == set(row_order[:k].tolist())
        assert set(cols.tolist()) == set(col_order[:k].tolist())
        # and the pairing is the optimal assignment between them
        if k:
            sub = M[np.ix_(row_order[:k], col_order[:k])]
            r, c = linear_sum_assignment(sub)
            assert _close(sub[r, c].sum(), costs[k], scale)
    np.testing.assert_array_equal(M, before)


@settings(deadline=None, max_examples=25)
@given(shape=shapes, seed=seeds)
def test_path_matches_pot_partial_wasserstein2(shape, seed):
    n, m = shape
    assume(min(n, m) >= 2)
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((n, 3)), rng.standard_normal((m, 3))
    Xb, Yb = X.copy(), Y.copy()
    masses, costs = partial_wasserstein_path(X, Y)
    w = 1.0 / max(n, m)
    M = ot.dist(X, Y)
    a, b = np.full(n, w), np.full(m, w)
    for k in range(1, min(n, m)):
        ref = ot.partial.partial_wasserstein2(a, b, M, m=k * w)
        assert masses[k] == pytest.approx(k * w)
        assert costs[k] == pytest.approx(ref, rel=1e-7, abs=1e-12)
    np.testing.assert_array_equal(X, Xb)
    np.testing.assert_array_equal(Y, Yb)


def test_uniform_square_is_pots_uniform_masses_at_m_k_over_n():
    rng = np.random.default_rng(3)
    n = 60
    X, Y = rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + 1.0
    M = ot.dist(X, Y)
    masses, costs = partial_wasserstein_path(M, metric="precomputed")
    a = np.full(n, 1.0 / n)
    for k in (1, 7, 30, 59, 60):
        ref = ot.partial.partial_wasserstein2(a, a, M, m=k / n, numItermax=10**6)
        assert costs[k] == pytest.approx(ref, rel=1e-9)
    r, c = linear_sum_assignment(M)
    assert costs[n] == pytest.approx(M[r, c].sum() / n, rel=1e-12)


@pytest.mark.parametrize("metric", ["sqeuclidean", "euclidean"])
def test_metrics_match_pot_dist(metric):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((9, 4)), rng.standard_normal((6, 4))
    _, costs = partial_wasserstein_path(X, Y, metric=metric, point_mass=1.0)
    _, ref = partial_wasserstein_path(ot.dist(X, Y, metric=metric), metric="precomputed", point_mass=1.0)
    np.testing.assert_allclose(costs, ref, rtol=1e-10, atol=1e-12)


def test_one_dimensional_points_and_pot_1d():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal(40), rng.standard_normal(40) + 0.3
    _, costs = partial_wasserstein_path(x, y, metric="euclidean", point_mass=1.0)
    _, _, marginal = ot.partial.partial_wasserstein_1d(x, y, p=1)
    np.testing.assert_allclose(costs[1:], np.cumsum(marginal), rtol=1e-9)


def test_transposed_problem_swaps_the_orders():
    M = _cost_matrix(8, 5, 11, "points")
    _, c1, i1 = partial_wasserstein_path(M, metric="precomputed", log=True)
    _, c2, i2 = partial_wasserstein_path(M.T, metric="precomputed", log=True)
    np.testing.assert_allclose(c1, c2, rtol=1e-12)
    np.testing.assert_array_equal(i1["row_order"], i2["col_order"])
    np.testing.assert_array_equal(i1["col_order"], i2["row_order"])
    assert np.all(np.diff(i1["rows"]) > 0) and M[i1["rows"], i1["cols"]].sum() == pytest.approx(i1["matching_costs"][-1])


def test_k_max_is_a_prefix_and_point_mass_scales():
    M = _cost_matrix(10, 12, 2, "signed")
    masses, costs = partial_wasserstein_path(M, metric="precomputed", point_mass=0.5)
    m4, c4 = partial_wasserstein_path(M, metric="precomputed", point_mass=0.5, k_max=4)
    np.testing.assert_array_equal(c4, costs[:5])
    np.testing.assert_array_equal(m4, 0.5 * np.arange(5))
    assert masses[-1] == 5.0
    _, c0 = partial_wasserstein_path(M, metric="precomputed", k_max=0)
    assert c0.tolist() == [0.0]


def test_degenerate_shapes():
    _, costs = partial_wasserstein_path([[2.5]], metric="precomputed")
    assert costs.tolist() == [0.0, 2.5]
    rows, cols = partial_assignment(np.ones((1, 4)), 0)
    assert rows.size == cols.size == 0
    rows, cols = partial_assignment(np.arange(4.0)[:, None], 1)
    assert rows.tolist() == [0] and cols.tolist() == [0]


@pytest.mark.parametrize("call, name", [
    (lambda: partial_wasserstein_path(np.ones((3, 2)), np.ones((3, 2)), metric="cosine"), "metric"),
    (lambda: partial_wasserstein_path(np.ones((3, 2)), metric="sqeuclidean"), "X_t"),
    (lambda: partial_wasserstein_path(np.ones((3, 2)), np.ones((3, 2)), metric="precomputed"), "X_t"),
    (lambda: partial_wasserstein_path(np.ones((3, 2)), np.ones((3, 3))), "X_t"),
    (lambda: partial_wasserstein_path(np.ones((3, 2, 2)), np.ones((3, 2, 2))), "X_s"),
    (lambda: partial_wasserstein_path([[np.nan, 1.0]], metric="precomputed"), "X_s"),
    (lambda: partial_wasserstein_path(np.ones((3, 2)), np.ones((4, 2)), k_max=4), "k_max"),
    (lambda: partial_wasserstein_path(np.ones((3, 2)), np.ones((4, 2)), point_mass=0.0), "point_mass"),
    (lambda: partial_wasserstein_path(np.ones((3, 2)), np.ones((4, 2)), log=1), "log"),
    (lambda: partial_assignment(np.ones((3, 2)), 3), "k"),
    (lambda: partial_assignment(np.ones((3, 2)), -1), "k"),
    (lambda: partial_assignment(np.ones(3), 1), "M"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises((TypeError, ValueError), match=f"^{name}: "):
        call()


@pytest.mark.slow
def test_n1000_against_pot_at_twenty_masses():
    rng = np.random.default_rng(0)
    n = 1000
    M = ot.dist(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)))
    _, costs = partial_wasserstein_path(M, metric="precomputed")
    a = np.full(n, 1.0 / n)
    for k in np.linspace(50, 1000, 20).astype(int):
        ref = ot.partial.partial_wasserstein2(a, a, M, m=k / n, numItermax=10**7)
        assert costs[k] == pytest.approx(ref, rel=1e-9)
