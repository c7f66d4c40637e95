"""linalg_lab.transport.minibatch: m-POT and BoMb against per-batch POT solves; plans, options, bad input."""

import itertools

import numpy as np
import ot
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from linalg_lab.transport.minibatch import minibatch_partial_ot

seeds = st.integers(0, 2**32 - 1)


def raises(exc, name):
    return pytest.raises(exc, match=rf"^{name}: ")


def clouds(seed, n=40, nt=30, d=2):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((nt, d)) + 1.0


def batch_cost(X, Y, ix, iy, metric="sqeuclidean"):
    return cdist(X[ix], Y[iy], metric=metric)


# ----------------------------------------------------------------------------- values against per-batch solves
@settings(deadline=None, max_examples=15)
@given(seed=seeds, batch_size=st.integers(1, 25), n_batches=st.integers(1, 5))
def test_mass_one_is_minibatch_ot(seed, batch_size, n_batches):
    X, Y = clouds(seed)
    value, log = minibatch_partial_ot(X, Y, batch_size, n_batches, mass=1.0, rng=seed, log=True)
    ref = [ot.emd2([], [], batch_cost(X, Y, ix, iy)) for ix, iy in zip(log["source_batches"], log["target_batches"])]
    assert np.allclose(log["values"], ref, rtol=1e-12, atol=1e-15)
    assert value == pytest.approx(np.mean(ref), rel=1e-12)


@settings(deadline=None, max_examples=15)
@given(seed=seeds, batch_size=st.integers(1, 25), n_batches=st.integers(1, 4), mass=st.floats(0.05, 1.0))
def test_batch_values_are_pots_partial_ot(seed, batch_size, n_batches, mass):
    X, Y = clouds(seed)
    value, log = minibatch_partial_ot(X, Y, batch_size, n_batches, mass=mass, rng=seed, log=True)
    w = np.full(batch_size, 1 / batch_size)
    for v, ix, iy in zip(log["values"], log["source_batches"], log["target_batches"]):
        ref = ot.partial.partial_wasserstein2(w, w, batch_cost(X, Y, ix, iy), m=min(mass, w.sum()))
        assert v == pytest.approx(ref, rel=1e-9, abs=1e-14)
    assert value == pytest.approx(log["values"].mean(), rel=1e-14)


@settings(deadline=None, max_examples=15)
@given(seed=seeds, batch_size=st.integers(1, 20), n_batches=st.integers(1, 4), mass=st.floats(0.05, 1.0),
       bomb=st.booleans())
def test_the_plan_moves_mass_respects_the_draws_and_costs_the_value(seed, batch_size, n_batches, mass, bomb):
    X, Y = clouds(seed)
    value, plan, log = minibatch_partial_ot(X, Y, batch_size, n_batches, mass=mass, rng=seed, bomb=bomb,
                                            return_plan=True, log=True)
    assert sp.issparse(plan) and plan.shape == (40, 30) and plan.format == "csr"
    dense = plan.toarray()
    assert dense.min() >= 0
    assert dense.sum() == pytest.approx(mass, rel=1e-12)
    # a point carries at most 1 / batch_size per batch it was drawn in
    src_counts = np.bincount(log["source_batches"].ravel(), minlength=40)
    tgt_counts = np.bincount(log["target_batches"].ravel(), minlength=30)
    scale = batch_size * n_batches
    if not bomb:  # with BoMb only the assigned batches count; every source batch is assigned once
        assert np.all(dense.sum(axis=0) <= tgt_counts / scale + 1e-12)
    assert np.all(dense.sum(axis=1) <= src_counts / scale + 1e-12)
    # batch indices are distinct within a batch, so the plan's cost on the full matrix is the value
    assert float((dense * cdist(X, Y, "sqeuclidean")).sum()) == pytest.approx(value, rel=1e-10)


def test_moving_less_mass_costs_less():
    X, Y = clouds(1, 80, 60)
    values = [minibatch_partial_ot(X, Y, 20, 5, mass=s, rng=7) for s in (0.2, 0.5, 0.8, 1.0)]
    assert values == sorted(values)


def test_the_seed_fixes_the_batches():
    X, Y = clouds(2)
    assert minibatch_partial_ot(X, Y, 10, 3, 0.6, rng=5) == minibatch_partial_ot(X, Y, 10, 3, 0.6, rng=5)
    g = np.random.default_rng(5)
    assert minibatch_partial_ot(X, Y, 10, 3, 0.6, rng=g) != minibatch_partial_ot(X, Y, 10, 3, 0.6, rng=g)


# ----------------------------------------------------------------------------- BoMb
@settings(deadline=None, max_examples=10)
@given(seed=seeds, k=st.integers(1, 4), mass=st.floats(0.1, 1.0))
def test_bomb_pairs_batches_by_an_optimal_assignment(seed, k, mass):
    X, Y = clouds(seed)
    value, log = minibatch_partial_ot(X, Y, 8, k, mass=mass, rng=seed, bomb=True, log=True)
    C = log["values"]
    assert C.shape == (k, k)
    w = np.full(8, 1 / 8)
    for i, j in itertools.product(range(k), repeat=2):
        cost = batch_cost(X, Y, log["source_batches"][i], log["target_batches"][j])
        assert C[i, j] == pytest.approx(ot.partial.partial_wasserstein2(w, w, cost, m=min(mass, 1.0)), rel=1e-9)
    best = min(np.mean([C[i, s[i]] for i in range(k)]) for s in itertools.permutations(range(k)))
    assert value == pytest.approx(best, rel=1e-12)
    assert value <= np.mean(np.diag(C)) + 1e-15  # never worse than the random pairing of the same batches
    assert sorted(log["assignment"]) == list(range(k))


# ----------------------------------------------------------------------------- options
@pytest.mark.parametrize("metric", ["euclidean", "cityblock", lambda u, v: float(np.abs(u - v).max())])
def test_metric_is_the_ground_cost(metric):
    X, Y = clouds(3, 20, 20)
    value, log = minibatch_partial_ot(X, Y, 6, 2, mass=0.5, rng=1, metric=metric, log=True)
    w = np.full(6, 1 / 6)
    ref = [ot.partial.partial_wasserstein2(w, w, batch_cost(X, Y, ix, iy, metric), m=0.5)
           for ix, iy in zip(log["source_batches"], log["target_batches"])]
    assert np.allclose(log["values"], ref, rtol=1e-9)


def test_entropic_batches_use_the_entropic_partial_solver():
    entropic = pytest.importorskip("linalg_lab.transport.entropic")
    X, Y = clouds(4, 30, 30)
    value, plan, log = minibatch_partial_ot(X, Y, 10, 3, mass=0.6, reg=0.5, rng=2, return_plan=True, log=True)
    w = np.full(10, 1 / 10)
    for v, ix, iy in zip(log["values"], log["source_batches"], log["target_batches"]):
        C = batch_cost(X, Y, ix, iy)
        ref = entropic.entropic_partial_wasserstein(w, w, C, 0.5, m=0.6)
        assert v == pytest.approx(float((ref * C).sum()), rel=1e-9)
    assert plan.sum() == pytest.approx(0.6, rel=1e-3)
    exact = minibatch_partial_ot(X, Y, 10, 3, mass=0.6, rng=2)
    assert value >= exact * (1 - 1e-6)  # the entropic plan is (nearly) feasible for the same partial problem


# ----------------------------------------------------------------------------- inputs are never modified
@settings(deadline=None, max_examples=10)
@given(seed=seeds, bomb=st.booleans(), mass=st.floats(0.1, 1.0))
def test_inputs_are_not_modified(seed, bomb, mass):
    X, Y = clouds(seed, 15, 12)
    copies = X.copy(), Y.copy()
    minibatch_partial_ot(X, Y, 5, 2, mass, rng=seed, bomb=bomb, return_plan=True, log=True)
    assert np.array_equal(X, copies[0]) and np.array_equal(Y, copies[1])


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("arg", "value", "exc"), [
    ("X_s", np.ones(5), ValueError),
    ("X_s", np.array([[0.0, np.inf]]), ValueError),
    ("X_t", np.ones((5, 3)), ValueError),
    ("batch_size", 0, ValueError),
    ("batch_size", 13, ValueError),
    ("batch_size", 2.0, TypeError),
    ("n_batches", 0, ValueError),
    ("mass", 0.0, ValueError),
    ("mass", 1.5, ValueError),
    ("mass", np.nan, ValueError),
    ("reg", -1.0, ValueError),
    ("rng", -1, ValueError),
    ("rng", 1.5, TypeError),
    ("metric", "no-such-metric", ValueError),
    ("bomb", 1, TypeError),
    ("return_plan", "yes", TypeError),
    ("numItermax", 0, ValueError),
])
def test_bad_input_names_the_argument(arg, value, exc):
    X, Y = clouds(5, 15, 12)
    kwargs = dict(X_s=X, X_t=Y, batch_size=4, n_batches=2, mass=0.5, rng=0)
    kwargs[arg] = value
    with raises(exc, arg):
        minibatch_partial_ot(**kwargs)
