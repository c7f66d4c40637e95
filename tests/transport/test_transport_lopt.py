"""linalg_lab.transport.lopt: OPT_lambda against POT and the LP form; embeddings, distances, interpolation."""

import numpy as np
import ot
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from linalg_lab.transport.lopt import (
    LOPTEmbedding,
    lopt_distance,
    lopt_distances,
    lopt_embedding,
    lopt_interpolate,
    opt_lambda,
)
from linalg_lab.transport.partial import partial_wasserstein_lagrange

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 9)
lams = st.floats(0.05, 5.0)


def raises(exc, name):
    return pytest.raises(exc, match=rf"^{name}: ")


def cloud(rng, n, d=2, *, shift=0.0, masses=True):
    X = rng.standard_normal((n, d)) + shift
    p = rng.random(n) + 0.1 if masses else np.full(n, 1.0 / n)
    return X, p / (p.sum() if masses else 1.0) * (0.5 + rng.random() if masses else 1.0)


def lopt_lp(X0, p0, X, p, lam):
    """OPT_lambda by HiGHS on LOPT's LP form: one dummy per side, masses |nu| and |mu|, cost C - 2 lam, dummies 0."""
    C = ot.dist(X0, X) - 2 * lam
    n, m = C.shape
    cost = np.zeros((n + 1, m + 1))
    cost[:n, :m] = C
    a = np.append(p0, p.sum())
    b = np.append(p, p0.sum())
    A_eq = np.vstack([np.kron(np.eye(n + 1), np.ones(m + 1)), np.kron(np.ones(n + 1), np.eye(m + 1))])
    res = linprog(cost.ravel(), A_eq=A_eq, b_eq=np.concatenate([a, b]), method="highs")
    assert res.status == 0
    return res.fun + lam * (p0.sum() + p.sum())


# ----------------------------------------------------------------------------- OPT_lambda
@settings(deadline=None, max_examples=25)
@given(seed=seeds, n=sizes, m=sizes, lam=lams)
def test_opt_lambda_is_pots_lagrangian_plus_the_mass_term_and_the_lp_form(seed, n, m, lam):
    rng = np.random.default_rng(seed)
    (X, p), (Y, q) = cloud(rng, n), cloud(rng, m, shift=0.5)
    value = opt_lambda(X, p, Y, q, lam)
    C = ot.dist(X, Y)
    # POT's Lagrangian needs masses in the simplex: scale the problem (OPT is 1-homogeneous in the masses)
    s = 1.0 / max(p.sum(), q.sum())
    pot_plan = ot.partial.partial_wasserstein_lagrange(p * s, q * s, C, reg_m=2 * lam)
    pot = (float((pot_plan * (C - 2 * lam)).sum()) + lam * (p.sum() + q.sum()) * s) / s
    assert value == pytest.approx(pot, rel=1e-9, abs=1e-12)
    assert value == pytest.approx(lopt_lp(X, p, Y, q, lam), rel=1e-7, abs=1e-9)
    # the Lagrangian with reg_m = 2 lam is the same number once the constant is added
    _, log = partial_wasserstein_lagrange(p, q, C, reg_m=2 * lam, log=True)
    assert value == pytest.approx(log["objective"] + lam * (p.sum() + q.sum()), rel=1e-12)


@settings(deadline=None, max_examples=10)
@given(seed=seeds, n=sizes, m=sizes, lam=lams)
def test_opt_lambda_does_not_move_with_a_far_translation(seed, n, m, lam):
    rng = np.random.default_rng(seed)
    (X, p), (Y, q) = cloud(rng, n), cloud(rng, m, shift=0.5)
    shift = np.array([1e6, -3e5])
    assert opt_lambda(X + shift, p, Y + shift, q, lam) == pytest.approx(opt_lambda(X, p, Y, q, lam), rel=1e-9)


def test_opt_lambda_between_far_clouds_destroys_and_creates_everything():
    rng = np.random.default_rng(1)
    (X, p), (Y, q) = cloud(rng, 5), cloud(rng, 6, shift=100.0)
    assert opt_lambda(X, p, Y, q, 1.0) == pytest.approx(p.sum() + q.sum(), rel=1e-12)


# ----------------------------------------------------------------------------- embeddings
@settings(deadline=None, max_examples=20)
@given(seed=seeds, n=sizes, lam=lams)
def test_the_reference_embeds_at_zero_and_is_at_distance_zero(seed, n, lam):
    rng = np.random.default_rng(seed)
    X0, p0 = cloud(rng, n)
    emb = lopt_embedding(X0, p0, X0, p0, lam)
    assert np.abs(emb.U).max() <= 1e-12
    assert np.allclose(emb.p_hat, p0, rtol=1e-12) and emb.created <= 1e-12
    assert lopt_distance(emb, emb) == pytest.approx(0.0, abs=1e-12)
    assert emb.opt == pytest.approx(0.0, abs=1e-12)


@settings(deadline=None, max_examples=10)
@given(seed=seeds, n=sizes, m=sizes, lam=lams)
def test_a_measure_is_apart_from_itself_only_by_its_created_mass(seed, n, m, lam):
    rng = np.random.default_rng(seed)
    (X0, p0), (X, p) = cloud(rng, n), cloud(rng, m, shift=2.0)
    emb = lopt_embedding(X0, p0, X, p, lam)
    assert lopt_distance(emb, emb) == pytest.approx(2 * lam * emb.created, rel=1e-12, abs=1e-15)
    assert lopt_distances([emb, emb])[0, 0] == 0.0  # the matrix helper sets its diagonal to 0


@settings(deadline=None, max_examples=20)
@given(seed=seeds, n=sizes, m=sizes, lam=lams)
def test_embedding_fields_are_consistent(seed, n, m, lam):
    rng = np.random.default_rng(seed)
    (X0, p0), (X, p) = cloud(rng, n), cloud(rng, m, shift=1.0)
    emb = lopt_embedding(X0, p0, X, p, lam)
    assert isinstance(emb, LOPTEmbedding)
    assert emb.U.shape == X0.shape and emb.p_hat.shape == p0.shape
    assert np.all(emb.p_hat <= p0 + 1e-12) and np.allclose(emb.destroyed, p0 - emb.p_hat, atol=1e-15)
    assert emb.created == pytest.approx(p.sum() - emb.p_hat.sum(), abs=1e-12)
    assert emb.p_created.sum() == pytest.approx(emb.created, abs=1e-12)
    assert np.all(emb.U[emb.p_hat == 0] == 0)
    # a displaced reference point lies in the convex hull of the measure: no further than sqrt(2 lam) on average
    moved = emb.p_hat > 0
    assert np.all(((emb.U[moved]) ** 2).sum(axis=1) <= 2 * lam + 1e-9)
    assert emb.opt == pytest.approx(opt_lambda(X0, p0, X, p, lam), rel=1e-12)


@settings(deadline=None, max_examples=20)
@given(seed=seeds, n=sizes, m=sizes, lam=lams)
def test_distance_from_the_reference_is_at_most_opt(seed, n, m, lam):
    rng = np.random.default_rng(seed)
    (X0, p0), (X, p) = cloud(rng, n), cloud(rng, m, shift=0.7)
    ref, emb = lopt_embedding(X0, p0, X0, p0, lam), lopt_embedding(X0, p0, X, p, lam)
    # Jensen: the barycentric projection never costs more than the plan it averages
    assert lopt_distance(ref, emb) <= emb.opt * (1 + 1e-12) + 1e-12


@pytest.mark.parametrize("lam", [0.1, 0.5, 3.0])
def test_distance_from_the_reference_is_opt_when_the_plan_is_a_map(lam):
    rng = np.random.default_rng(2)
    N = 12
    X0, X = rng.standard_normal((N, 2)), rng.standard_normal((N, 2)) + 0.8
    # equal uniform masses and one dummy per side: the optimal vertex moves 0 or 1/N per pair, a map
    ref = lopt_embedding(X0, [], X0, [], lam, nb_dummies=1)
    emb = lopt_embedding(X0, [], X, [], lam, nb_dummies=1)
    assert lopt_distance(ref, emb) == pytest.approx(emb.opt, rel=1e-12)


@settings(deadline=None, max_examples=15)
@given(seed=seeds, n=sizes, m1=sizes, m2=sizes, lam=lams)
def test_distances_are_symmetric_and_the_matrix_agrees(seed, n, m1, m2, lam):
    rng = np.random.default_rng(seed)
    X0, p0 = cloud(rng, n)
    embs = [lopt_embedding(X0, p0, *cloud(rng, m, shift=s), lam) for m, s in ((m1, 0.3), (m2, -0.4), (n, 1.0))]
    D = lopt_distances(embs)
    assert D.shape == (3, 3) and np.all(np.diag(D) == 0) and np.array_equal(D, D.T)
    for i in range(3):
        for j in range(3):
            if i != j:
                assert lopt_distance(embs[i], embs[j]) == pytest.approx(D[i, j], rel=1e-12)
                assert lopt_distance(embs[i], embs[j]) == pytest.approx(lopt_distance(embs[j], embs[i]), rel=1e-12)
    assert np.all(D >= 0)


def test_lopt_tracks_opt_on_gaussian_clouds():
    rng = np.random.default_rng(3)
    X0 = rng.standard_normal((60, 2)) * 2
    clouds = [rng.standard_normal((60, 2)) @ (0.7 * rng.standard_normal((2, 2))) + rng.uniform(-3, 3, 2)
              for _ in range(6)]
    lam = 5.0
    D = lopt_distances([lopt_embedding(X0, [], Y, [], lam) for Y in clouds])
    O = np.array([[opt_lambda(Y, [], Z, [], lam) if i != j else 0.0 for j, Z in enumerate(clouds)]
                  for i, Y in enumerate(clouds)])
    iu = np.triu_indices(6, 1)
    assert np.corrcoef(D[iu], O[iu])[0, 1] > 0.9


# ----------------------------------------------------------------------------- interpolation
@settings(deadline=None, max_examples=20)
@given(seed=seeds, n=sizes, m1=sizes, m2=sizes, lam=lams, t=st.floats(0, 1))
def test_interpolation_mass_is_linear_in_time(seed, n, m1, m2, lam, t):
    rng = np.random.default_rng(seed)
    X0, p0 = cloud(rng, n)
    (X1, p1), (X2, p2) = cloud(rng, m1), cloud(rng, m2, shift=1.0)
    e1, e2 = lopt_embedding(X0, p0, X1, p1, lam), lopt_embedding(X0, p0, X2, p2, lam)
    points, masses = lopt_interpolate(e1, e2, t)
    assert points.shape == (masses.size, 2) and np.all(masses > 0)
    assert masses.sum() == pytest.approx((1 - t) * p1.sum() + t * p2.sum(), rel=1e-12)


def sorted_rows(A):
    return A[np.lexsort(A.T[::-1])]


def test_interpolation_ends_are_the_measures_when_the_plans_are_maps():
    rng = np.random.default_rng(4)
    N = 10
    X0, X1, X2 = rng.standard_normal((N, 2)), rng.standard_normal((N, 2)) + 0.5, rng.standard_normal((N, 2)) - 0.5
    e1, e2 = (lopt_embedding(X0, [], X, [], lam=50.0, nb_dummies=1) for X in (X1, X2))
    for t, X in ((0.0, X1), (1.0, X2)):
        points, masses = lopt_interpolate(e1, e2, t)
        assert np.allclose(masses, 1 / N, rtol=1e-12)
        assert np.allclose(sorted_rows(points), sorted_rows(X), atol=1e-12)
    # halfway, every reference point sits between its two images
    points, _ = lopt_interpolate(e1, e2, 0.5)
    assert np.allclose(sorted_rows(points), sorted_rows(X0 + (e1.U + e2.U) / 2), atol=1e-12)


def merged(points, masses):
    """The measure as sorted (point, mass) rows, atoms at the same point merged."""
    keys, inverse = np.unique(points.round(12), axis=0, return_inverse=True)
    return np.c_[keys, np.bincount(inverse.ravel(), weights=masses)]


def test_interpolation_of_a_measure_with_itself_stands_still():
    rng = np.random.default_rng(5)
    X0, (X, p) = rng.standard_normal((7, 2)), cloud(rng, 9, shift=2.0)
    e = lopt_embedding(X0, [], X, p, lam=1.0)
    assert e.created > 0.1  # some mass is created, so both ends contribute atoms there
    start = merged(*lopt_interpolate(e, e, 0.0))
    assert np.allclose(start, merged(*lopt_interpolate(e, e, 0.3)), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- inputs are never modified
@settings(deadline=None, max_examples=10)
@given(seed=seeds, n=sizes, m=sizes, lam=lams)
def test_inputs_are_not_modified(seed, n, m, lam):
    rng = np.random.default_rng(seed)
    (X0, p0), (X, p) = cloud(rng, n), cloud(rng, m)
    assume(n > 0)
    copies = [x.copy() for x in (X0, p0, X, p)]
    e1 = lopt_embedding(X0, p0, X, p, lam)
    e2 = lopt_embedding(X0, p0, X0, p0, lam)
    fields = [x.copy() for x in (e1.U, e1.p_hat, e2.U, e2.p_hat)]
    opt_lambda(X0, p0, X, p, lam)
    lopt_distance(e1, e2)
    lopt_distances([e1, e2])
    lopt_interpolate(e1, e2, 0.4)
    for x, y in zip((X0, p0, X, p, e1.U, e1.p_hat, e2.U, e2.p_hat), copies + fields):
        assert np.array_equal(x, y)


# ----------------------------------------------------------------------------- bad input
X0_GOOD = np.random.default_rng(6).standard_normal((4, 2))


@pytest.mark.parametrize("lam", [0.0, -1.0, np.nan, np.inf, "1"])
def test_bad_lam_names_lam(lam):
    with raises((ValueError, TypeError), "lam"):
        lopt_embedding(X0_GOOD, [], X0_GOOD, [], lam)
    with raises((ValueError, TypeError), "lam"):
        opt_lambda(X0_GOOD, [], X0_GOOD, [], lam)


@pytest.mark.parametrize(("arg", "value"), [
    ("X_t", np.ones((3, 3))),                 # other dimension than the reference
    ("X_t", np.array([[0.0, np.nan]])),
    ("p", [0.5, -0.5, 1.0, 0.0]),
    ("p", [0.5, 0.5]),
    ("X_s", np.ones(4)),
    ("p0", [np.inf, 0, 0, 0]),
])
def test_bad_clouds_name_the_argument(arg, value):
    kwargs = dict(X_s=X0_GOOD, p0=[], X_t=X0_GOOD, p=[], lam=1.0)
    kwargs[arg] = value
    with raises(ValueError, arg):
        lopt_embedding(**kwargs)


def test_embeddings_against_different_references_or_penalties_are_refused():
    e1 = lopt_embedding(X0_GOOD, [], X0_GOOD + 1, [], 1.0)
    e2 = lopt_embedding(X0_GOOD + 0.1, [], X0_GOOD + 1, [], 1.0)
    e3 = lopt_embedding(X0_GOOD, [], X0_GOOD + 1, [], 2.0)
    with raises(ValueError, "emb2"):
        lopt_distance(e1, e2)
    with raises(ValueError, "emb2"):
        lopt_distances([e1, e2])
    with raises(ValueError, "lam"):
        lopt_distance(e1, e3)
    assert lopt_distance(e1, e3, lam=1.0) >= 0
    with raises(TypeError, "emb1"):
        lopt_distance((e1.U, e1.p_hat), e1)
    with raises(ValueError, "embeddings"):
        lopt_distances([])
    with raises(ValueError, "t"):
        lopt_interpolate(e1, e1, 1.5)
