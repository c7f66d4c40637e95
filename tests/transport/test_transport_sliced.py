"""Sliced partial OT: exact properties (the projection average by brute force, 1-D input, zero, monotone in mass)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linalg_lab.transport.one_d import partial_cost_curve_1d
from linalg_lab.transport.sliced import sliced_partial_cost_curve, sliced_partial_wasserstein


def _brute_partial(x, y, k, p):
    """Least cost of a one-to-one matching of k points of x with k points of y, by enumeration."""
    if k == 0:
        return 0.0
    best = np.inf
    for I in itertools.combinations(range(len(x)), k):
        for J in itertools.permutations(range(len(y)), k):
            best = min(best, float(np.sum(np.abs(x[list(I)] - y[list(J)]) ** p)))
    return best


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 5), n2=st.integers(1, 5), d=st.integers(1, 3),
       p=st.sampled_from([1.0, 2.0, 1.5]), L=st.integers(1, 3))
def test_equals_the_projection_average_by_brute_force(seed, n, n2, d, p, L):
    rng = np.random.default_rng(seed)
    Xs, Xt = rng.normal(size=(n, d)), rng.normal(size=(n2, d))
    theta = rng.normal(size=(d, L))
    curve, log = sliced_partial_cost_curve(Xs, Xt, p=p, projections=theta, log=True)
    for k in range(min(n, n2) + 1):
        ref = np.mean([_brute_partial(Xs @ theta[:, l], Xt @ theta[:, l], k, p) for l in range(L)])
        assert curve[k] == pytest.approx(ref, rel=1e-9, abs=1e-12)
        assert sliced_partial_wasserstein(Xs, Xt, k, p=p, projections=theta) == pytest.approx(curve[k], rel=1e-12,
                                                                                               abs=1e-15)
    assert np.array_equal(log["projections"], theta) and log["curves"].shape == (L, min(n, n2) + 1)


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 30), n2=st.integers(1, 30), p=st.sampled_from([1.0, 2.0]))
def test_one_dimensional_input_is_the_1d_solver(seed, n, n2, p):
    # on the line the unit directions are +1 and -1, and |x - y|^p does not see the sign
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=n2)
    ref = partial_cost_curve_1d(x, y, p)
    for k in range(len(ref)):
        assert sliced_partial_wasserstein(x, y, k, n_projections=3, p=p, rng=seed) == pytest.approx(
            ref[k], rel=1e-12, abs=1e-15)
    assert np.allclose(sliced_partial_cost_curve(x[:, None], y[:, None], 4, p, rng=1), ref, rtol=1e-12, atol=1e-15)


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 40), n2=st.integers(1, 40), d=st.integers(1, 4),
       p=st.sampled_from([1.0, 2.0, 1.5]))
def test_deterministic_monotone_zero_and_inputs_unchanged(seed, n, n2, d, p):
    rng = np.random.default_rng(seed)
    Xs, Xt = rng.normal(size=(n, d)), rng.normal(size=(n2, d)) + 1.0
    copies = Xs.copy(), Xt.copy()
    curve = sliced_partial_cost_curve(Xs, Xt, 7, p, rng=seed)
    assert np.array_equal(curve, sliced_partial_cost_curve(Xs, Xt, 7, p, rng=seed))  # a fixed seed repeats
    gen = np.random.default_rng(seed)
    assert np.array_equal(curve, sliced_partial_cost_curve(Xs, Xt, 7, p, rng=gen))
    assert np.array_equal(Xs, copies[0]) and np.array_equal(Xt, copies[1])
    scale = 1e-9 * max(1.0, curve[-1])
    assert curve[0] == 0 and np.all(np.diff(curve) >= -scale) and np.all(np.diff(curve, 2) >= -scale)
    k = min(n, n2)
    value, log = sliced_partial_wasserstein(Xs, Xt, k, 7, p, rng=seed, log=True)
    assert value == pytest.approx(curve[k], rel=1e-12) and log["projected_costs"].shape == (7,)
    assert np.allclose(np.linalg.norm(log["projections"], axis=0), 1.0)
    # identical clouds: zero for every k (the identity matching is available on every line)
    assert np.all(sliced_partial_cost_curve(Xs, Xs, 5, p, rng=seed) == 0)


def test_partial_ignores_outliers():
    # 20 points matched up to a small shift, plus 5 far outliers on the target side
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    Y = np.concatenate([X + 0.01, rng.normal(size=(5, 3)) + 50])
    value = sliced_partial_wasserstein(X, Y, 20, 30, 2, rng=0)
    assert value <= 20 * 0.01**2 * 3 + 1e-12  # never worse than the planted matching on any line
    assert sliced_partial_wasserstein(X, Y, n_projections=30, p=2, rng=0) == value  # default k = min(n, n2) = 20


@pytest.mark.parametrize(("kwargs", "name", "exc"), [
    (dict(X_s=np.ones((3, 2)), X_t=np.ones((3, 3))), "X_t", ValueError),
    (dict(X_s=[[np.nan, 0.0]]), "X_s", ValueError),
    (dict(X_s=np.ones((2, 2, 2))), "X_s", ValueError),
    (dict(n_transported_samples=4), "n_transported_samples", ValueError),
    (dict(n_projections=0), "n_projections", ValueError),
    (dict(p=0.5), "p", ValueError),
    (dict(projections=np.ones((3, 2))), "projections", ValueError),
    (dict(rng=-1), "rng", ValueError),
    (dict(rng=1.5), "rng", TypeError),
    (dict(log="yes"), "log", TypeError),
])
def test_bad_input_names_the_argument(kwargs, name, exc):
    args = dict(X_s=np.ones((3, 2)), X_t=np.zeros((4, 2)))
    args.update(kwargs)
    with pytest.raises(exc, match=f"^{name}:"):
        sliced_partial_wasserstein(**args)
