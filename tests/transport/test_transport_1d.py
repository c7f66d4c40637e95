"""Exact 1-D partial OT for every k: the LP for every k, brute force, POT, structure of the answer, bad input."""

import numpy as np
import ot
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment, linprog

from linalg_lab.transport.one_d import partial_cost_curve_1d, partial_wasserstein_1d


def _lp_costs(x, y, p):
    """C(k) for k = 0..min(n, n2) from the partial-transport LP (scipy's HiGHS), one solve per k."""
    n, n2 = len(x), len(y)
    C = (np.abs(x[:, None] - y[None, :]) ** p).ravel()
    A = np.zeros((n + n2, n * n2))
    for i in range(n):
        A[i, i * n2:(i + 1) * n2] = 1
    for j in range(n2):
        A[n + j, j::n2] = 1
    out = [0.0]
    for k in range(1, min(n, n2) + 1):
        res = linprog(C, A_ub=A, b_ub=np.ones(n + n2), A_eq=np.ones((1, n * n2)), b_eq=[k], bounds=(0, None),
                      method="highs", options=dict(primal_feasibility_tolerance=1e-10,
                                                   dual_feasibility_tolerance=1e-10))
        assert res.status == 0
        out.append(res.fun)
    return np.array(out)


def _sorted_cost(x, y, p):
    return float(np.sum(np.abs(np.sort(x) - np.sort(y)) ** p))


points = st.one_of(
    st.lists(st.integers(-4, 4).map(float), min_size=1, max_size=8),  # many ties
    st.lists(st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=8),
)


@settings(deadline=None, max_examples=60)
@given(x=points, y=points, p=st.sampled_from([1.0, 2.0, 1.5, 3.0]))
def test_every_k_equals_the_lp(x, y, p):
    x, y = np.array(x), np.array(y)
    curve = partial_cost_curve_1d(x, y, p)
    ref = _lp_costs(x, y, p)
    scale = max(1.0, float(np.abs(ref).max()))
    assert np.allclose(curve, ref, rtol=0, atol=1e-9 * scale)


@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 40), n2=st.integers(1, 40), p=st.sampled_from([1, 2, 1.5]))
def test_indices_and_costs_are_consistent(seed, n, n2, p):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=n2) + rng.uniform(-2, 2)
    ix, iy, costs = partial_wasserstein_1d(x, y, p=p)
    K = min(n, n2)
    assert len(ix) == len(iy) == len(costs) == K
    assert len(set(ix.tolist())) == K and len(set(iy.tolist())) == K  # each point joins once
    assert ix.dtype == iy.dtype == np.int64
    cum = np.cumsum(costs)
    for k in range(1, K + 1):  # the first k indices realise C(k)
        assert cum[k - 1] == pytest.approx(_sorted_cost(x[ix[:k]], y[iy[:k]], p), rel=1e-9, abs=1e-12)
    assert np.all(np.diff(costs) >= -1e-9 * max(1.0, abs(costs).max()))  # convex in k
    # truncating is a prefix of the full run
    k = int(rng.integers(0, K + 1))
    ix2, iy2, c2 = partial_wasserstein_1d(x, y, k, p)
    assert np.array_equal(ix2, ix[:k]) and np.array_equal(iy2, iy[:k]) and np.array_equal(c2, costs[:k])


@settings(deadline=None, max_examples=20)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 60), n2=st.integers(1, 60), p=st.sampled_from([1, 2, 1.5]))
def test_full_matching_equals_assignment(seed, n, n2, p):
    # k = min(n, n2): a rectangular assignment problem, solved by scipy's linear_sum_assignment
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 5, n), rng.uniform(1, 4, n2)
    C = np.abs(x[:, None] - y[None, :]) ** p
    r, c = linear_sum_assignment(C)
    assert partial_cost_curve_1d(x, y, p)[-1] == pytest.approx(C[r, c].sum(), rel=1e-10, abs=1e-12)


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 200), n2=st.integers(1, 200), p=st.sampled_from([1, 2]))
def test_same_costs_as_pot(seed, n, n2, p):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=n2) + 0.5
    ours = partial_cost_curve_1d(x, y, p)
    ref = np.concatenate([[0.0], np.cumsum(ot.partial.partial_wasserstein_1d(x, y, p=p)[2])])
    # POT forms some marginal costs as differences of larger sums: compare at the scale of the total
    assert np.allclose(ours, ref, rtol=0, atol=1e-9 * max(1.0, ref[-1]))


@settings(deadline=None, max_examples=20)
@given(x=points, y=points, shift=st.floats(-5, 5), p=st.sampled_from([1.0, 2.0]))
def test_curve_properties_and_inputs_unchanged(x, y, shift, p):
    x, y = np.array(x), np.array(y)
    xc, yc = x.copy(), y.copy()
    curve = partial_cost_curve_1d(x, y, p)
    assert np.array_equal(x, xc) and np.array_equal(y, yc)
    assert curve[0] == 0 and len(curve) == min(len(x), len(y)) + 1
    scale = 1e-9 * max(1.0, curve[-1])
    assert np.all(np.diff(curve) >= -scale) and np.all(np.diff(curve, 2) >= -scale)  # non-decreasing, convex
    assert np.allclose(partial_cost_curve_1d(y, x, p), curve, atol=scale)  # symmetric
    assume(abs(shift) > 0)
    assert np.allclose(partial_cost_curve_1d(x + shift, y + shift, p), curve, atol=1e-6 * max(1.0, curve[-1]))


def test_shapes_and_edge_cases():
    x = np.array([[0.0], [2.0], [5.0]])
    ix, iy, c = partial_wasserstein_1d(x, [1.0, 5.0])
    assert ix.tolist() == [2, 0] and iy.tolist() == [1, 0] and c.tolist() == [0.0, 1.0]
    ix, iy, c = partial_wasserstein_1d([], [1.0, 2.0])
    assert len(ix) == len(iy) == len(c) == 0
    assert partial_cost_curve_1d([3.0], [3.0]).tolist() == [0.0, 0.0]
    # p = 2 on a known case: the outlier is left out until the end
    assert partial_cost_curve_1d([0.0, 1.0, 10.0], [0.5, 1.5, 2.0], p=2).tolist() == [0.0, 0.25, 0.5, 64.5]


def test_large_p2_matches_pot_quickly():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=3000), rng.normal(size=2500) + 0.3
    ours = partial_cost_curve_1d(x, y, 2)
    ref = np.cumsum(ot.partial.partial_wasserstein_1d(x, y, p=2)[2])
    assert np.abs(ours[1:] - ref).max() <= 1e-9 * ref[-1]


@pytest.mark.parametrize(("args", "name", "exc"), [
    (([0.0, np.nan], [1.0]), "x_a", ValueError),
    (([0.0], [np.inf]), "x_b", ValueError),
    ((np.zeros((3, 2)), [1.0]), "x_a", ValueError),
    (([0.0, 1.0], [1.0], 2), "n_transported_samples", ValueError),
    (([0.0, 1.0], [1.0], -1), "n_transported_samples", ValueError),
    (([0.0, 1.0], [1.0], 1.0), "n_transported_samples", TypeError),
    (([0.0, 1.0], [1.0], None, 0.5), "p", ValueError),
    (([0.0, 1.0], [1.0], None, "2"), "p", TypeError),
])
def test_bad_input_names_the_argument(args, name, exc):
    with pytest.raises(exc, match=f"^{name}:"):
        partial_wasserstein_1d(*args)
    if len(args) < 3 or args[2] is None:
        with pytest.raises(exc, match=f"^{name}:"):  # the same names as partial_wasserstein_1d's (POT's)
            partial_cost_curve_1d(*args[:2], *args[3:])
