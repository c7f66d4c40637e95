"""linalg_lab.transport.partial: exact partial OT against POT and scipy's linprog; duals, limits, bad input."""

import warnings

import numpy as np
import ot
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from linalg_lab.transport.partial import partial_wasserstein, partial_wasserstein2, partial_wasserstein_lagrange

TOL = 1e-9


def raises(exc, name):
    return pytest.raises(exc, match=rf"^{name}: ")


def problem(seed, n, nt, *, zeros=False, negative=False, normalise=True):
    """Random masses (some zero when asked) and a cost matrix (with negative entries when asked)."""
    rng = np.random.default_rng(seed)
    a, b = rng.random(n) + 0.05, rng.random(nt) + 0.05
    if zeros:
        a[rng.random(n) < 0.3] = 0.0
        b[rng.random(nt) < 0.3] = 0.0
        a[rng.integers(n)] += 0.5
        b[rng.integers(nt)] += 0.5
    if normalise:
        a, b = a / a.sum(), b / b.sum()
    M = rng.random((n, nt)) * 2.0 - (0.7 if negative else 0.0)
    return a, b, M


def clouds(n, nt=None, seed=0):
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((n, 2)), rng.standard_normal((nt or n, 2)) + 1.0
    return ot.dist(X, Y)


def linprog_partial(a, b, M, m=None, reg_m=None):
    """Value of the partial OT LP (fixed mass m, or reward reg_m) by HiGHS."""
    n, nt = M.shape
    rows = np.kron(np.eye(n), np.ones(nt))
    cols = np.kron(np.ones(n), np.eye(nt))
    A_ub, b_ub = np.vstack([rows, cols]), np.concatenate([a, b])
    if reg_m is None:
        res = linprog(M.ravel(), A_ub=A_ub, b_ub=b_ub, A_eq=np.ones((1, n * nt)), b_eq=[m], method="highs")
    else:
        res = linprog((M - reg_m).ravel(), A_ub=A_ub, b_ub=b_ub, method="highs")
    assert res.status == 0
    return res.fun


def assert_feasible(plan, a, b, m=None, tol=1e-12):
    assert plan.min() >= -tol
    assert np.all(plan.sum(axis=1) <= a + tol)
    assert np.all(plan.sum(axis=0) <= b + tol)
    if m is not None:
        assert abs(plan.sum() - m) <= tol * max(1.0, m) * 10


shapes = st.tuples(st.integers(1, 12), st.integers(1, 12))
seeds = st.integers(0, 2**32 - 1)
fractions = st.floats(0.0, 1.0)


# ----------------------------------------------------------------------------- POT's own checks, restated
@settings(deadline=None, max_examples=25)
@given(shape=shapes, seed=seeds, frac=fractions, zeros=st.booleans())
def test_plan_respects_the_marginals_and_moves_m(shape, seed, frac, zeros):
    a, b, M = problem(seed, *shape, zeros=zeros)
    m = frac * min(a.sum(), b.sum())
    plan = partial_wasserstein(a, b, M, m=m)
    assert plan.shape == M.shape and plan.flags.c_contiguous
    assert_feasible(plan, a, b, m)


def test_value_with_and_without_log_agree():
    a, b, M = problem(1, 20, 15)
    value = partial_wasserstein2(a, b, M, m=0.4)
    value_log, log = partial_wasserstein2(a, b, M, m=0.4, log=True)
    plan, plan_log = partial_wasserstein(a, b, M, m=0.4, log=True)
    assert value == value_log == log["cost"] == plan_log["partial_w_dist"]
    assert np.array_equal(log["T"], plan)
    assert value == pytest.approx(float((plan * M).sum()), rel=1e-13)
    assert log["result_code"] == 1 and log["warning"] is None


def test_uniform_masses_and_no_m_transport_everything():
    M = clouds(30, 40)
    plan = partial_wasserstein([], [], M)
    assert plan.sum() == pytest.approx(1.0, abs=1e-12)
    assert partial_wasserstein2([], [], M) == pytest.approx(ot.emd2([], [], M), rel=1e-12)
    plan = partial_wasserstein_lagrange([], [], M)  # POT's default reward max(M) + 1 moves everything
    assert plan.sum() == pytest.approx(1.0, abs=1e-12)


def test_zero_mass_moves_nothing():
    a, b, M = problem(2, 5, 6)
    plan, log = partial_wasserstein(a, b, M, m=0, log=True)
    assert not plan.any() and log["cost"] == 0.0


# ----------------------------------------------------------------------------- values against POT and linprog
@settings(deadline=None, max_examples=25)
@given(shape=shapes, seed=seeds, frac=st.floats(0.01, 1.0), negative=st.booleans())
def test_value_equals_linprog(shape, seed, frac, negative):
    a, b, M = problem(seed, *shape, zeros=True, negative=negative, normalise=False)
    m = frac * min(a.sum(), b.sum())
    value = partial_wasserstein2(a, b, M, m=m)
    assert value == pytest.approx(linprog_partial(a, b, M, m=m), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize(("n", "nt", "m"), [(50, 70, 0.3), (200, 150, 0.5), (400, 400, 0.9), (1000, 1000, 0.5)])
def test_value_equals_pots_on_gaussian_clouds(n, nt, m):
    M = clouds(n, nt, seed=n)
    a, b = np.full(n, 1 / n), np.full(nt, 1 / nt)
    ref = ot.partial.partial_wasserstein2(a, b, M, m=m, numItermax=10**8)
    assert partial_wasserstein2(a, b, M, m=m) == pytest.approx(ref, rel=TOL)


@settings(deadline=None, max_examples=15)
@given(shape=shapes, seed=seeds, frac=st.floats(0.01, 1.0))
def test_value_equals_pots_on_random_problems(shape, seed, frac):
    a, b, M = problem(seed, *shape)
    m = frac * min(a.sum(), b.sum())
    ref = ot.partial.partial_wasserstein2(a, b, M, m=m)
    assert partial_wasserstein2(a, b, M, m=m) == pytest.approx(ref, rel=TOL, abs=1e-15)


@pytest.mark.parametrize("nb_dummies", [1, 3, 50])
def test_the_number_of_dummies_changes_nothing_but_speed(nb_dummies):
    M = clouds(120, 90, seed=3)
    auto = partial_wasserstein2([], [], M, m=0.5)
    assert partial_wasserstein2([], [], M, m=0.5, nb_dummies=nb_dummies) == pytest.approx(auto, rel=1e-12)


@settings(deadline=None, max_examples=20)
@given(shape=shapes, seed=seeds, frac=st.floats(0.0, 1.0), zeros=st.booleans(), negative=st.booleans())
def test_duals_certify_optimality(shape, seed, frac, zeros, negative):
    a, b, M = problem(seed, *shape, zeros=zeros, negative=negative)
    m = frac * min(a.sum(), b.sum())
    plan, log = partial_wasserstein(a, b, M, m=m, log=True)
    u, v, t = log["u"], log["v"], log["mass_dual"]
    assert u.max() <= 0 and v.max() <= 0
    assert (u[:, None] + v[None, :] + t - M).max() <= 1e-12
    assert a @ u + b @ v + m * t == pytest.approx(log["cost"], abs=1e-12)


# ----------------------------------------------------------------------------- Lagrangian form
@settings(deadline=None, max_examples=25)
@given(shape=shapes, seed=seeds, reg_m=st.floats(-0.5, 2.5), zeros=st.booleans())
def test_lagrange_equals_linprog_and_pot(shape, seed, reg_m, zeros):
    a, b, M = problem(seed, *shape, zeros=zeros)
    plan, log = partial_wasserstein_lagrange(a, b, M, reg_m=reg_m, log=True)
    assert_feasible(plan, a, b)
    assert log["objective"] == pytest.approx(linprog_partial(a, b, M, reg_m=reg_m), rel=1e-7, abs=1e-9)
    assert log["objective"] == pytest.approx(log["cost"] - reg_m * log["mass"], abs=1e-12)
    pot = ot.partial.partial_wasserstein_lagrange(a, b, M, reg_m=reg_m)
    assert log["objective"] == pytest.approx(float((pot * (M - reg_m)).sum()), rel=TOL, abs=1e-12)
    # mass moves only where it gains; the duals certify the objective
    assert np.all(plan[M >= reg_m] == 0)
    u, v = log["u"], log["v"]
    assert u.max() <= 0 and v.max() <= 0 and (u[:, None] + v[None, :] - M + reg_m).max() <= 1e-12
    assert a @ u + b @ v == pytest.approx(log["objective"], abs=1e-12)


def test_lagrange_accepts_masses_off_the_simplex():
    a, b, M = problem(4, 8, 9, normalise=False)  # sums above 1: POT refuses, the problem is well posed
    _, log = partial_wasserstein_lagrange(a, b, M, reg_m=1.0, log=True)
    assert log["objective"] == pytest.approx(linprog_partial(a, b, M, reg_m=1.0), rel=1e-8)


def test_lagrange_moves_nothing_when_nothing_gains():
    a, b, M = problem(5, 6, 7)
    plan, log = partial_wasserstein_lagrange(a, b, M, reg_m=float(M.min()), log=True)
    assert not plan.any() and log["objective"] == 0.0


# ----------------------------------------------------------------------------- limits
def test_a_stop_at_the_iteration_limit_is_an_error_naming_numItermax():
    M = clouds(100, seed=6)
    with pytest.raises(RuntimeError, match=r"^numItermax: .*numItermax = 10 .*larger numItermax"):
        partial_wasserstein([], [], M, m=0.5, numItermax=10)
    with pytest.raises(RuntimeError, match=r"^numItermax: "):
        partial_wasserstein_lagrange([], [], M, reg_m=1.0, numItermax=10)


def test_the_default_limit_grows_with_the_problem_and_accepts_pots_float_spelling():
    M = clouds(600, seed=7)
    _, log = partial_wasserstein([], [], M, m=0.5, log=True)
    assert log["numItermax"] > 100_000
    value = partial_wasserstein2([], [], M, m=0.5, numItermax=1e7)
    assert value == pytest.approx(log["cost"], rel=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("n", [5000, 8000])
def test_default_call_succeeds_where_pots_default_stops(n):
    M = clouds(n, seed=n)
    plan, log = partial_wasserstein([], [], M, m=0.5, log=True)
    assert log["result_code"] == 1 and plan.sum() == pytest.approx(0.5, abs=1e-9)


# ----------------------------------------------------------------------------- inputs are never modified
@settings(deadline=None, max_examples=15)
@given(shape=shapes, seed=seeds, frac=fractions, reg_m=st.floats(-1, 3))
def test_inputs_are_not_modified(shape, seed, frac, reg_m):
    a, b, M = problem(seed, *shape, zeros=True)
    assume(min(a.sum(), b.sum()) > 0)
    copies = [x.copy() for x in (a, b, M)]
    partial_wasserstein(a, b, M, m=frac * min(a.sum(), b.sum()), log=True)
    partial_wasserstein2(a, b, M, log=True)
    partial_wasserstein_lagrange(a, b, M, reg_m=reg_m, log=True)
    for x, y in zip((a, b, M), copies):
        assert np.array_equal(x, y)


# ----------------------------------------------------------------------------- bad input
GOOD = problem(8, 3, 4)


@pytest.mark.parametrize("fn", [partial_wasserstein, partial_wasserstein2, partial_wasserstein_lagrange])
@pytest.mark.parametrize(("arg", "value", "exc"), [
    ("a", [0.5, -0.1, 0.6], ValueError),
    ("a", [0.5, np.nan, 0.5], ValueError),
    ("b", [0.5, np.inf, 0.5, 0.1], ValueError),
    ("a", [0.5, 0.5], ValueError),          # not one entry per row of M
    ("M", np.ones(4), ValueError),           # not a matrix
    ("M", np.array([[0, 1, 2, np.nan]] * 3), ValueError),
    ("nb_dummies", 0, ValueError),
    ("nb_dummies", 1.5, TypeError),
    ("numItermax", 0, ValueError),
    ("log", 1, TypeError),
])
def test_bad_input_names_the_argument(fn, arg, value, exc):
    a, b, M = GOOD
    kwargs = dict(a=a, b=b, M=M)
    kwargs[arg] = value
    with raises(exc, arg):
        fn(**kwargs)


@pytest.mark.parametrize("m", [-0.1, 1.2, np.nan, np.inf, "half"])
def test_bad_mass_names_m(m):
    a, b, M = GOOD
    with raises((ValueError, TypeError), "m"):
        partial_wasserstein(a, b, M, m=m)


@pytest.mark.parametrize("reg_m", [np.nan, np.inf, "1", [1.0]])
def test_bad_reward_names_reg_m(reg_m):
    a, b, M = GOOD
    with raises((ValueError, TypeError), "reg_m"):
        partial_wasserstein_lagrange(a, b, M, reg_m=reg_m)


def test_no_warning_leaks_from_the_solver():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        partial_wasserstein([], [], clouds(40), m=0.3)


# ----------------------------------------------------------------------------- P0: adversarial problems


@st.composite
def adversarial(draw):
    """Masses over many magnitudes, integer or zero masses, costs of any sign and scale, ties, all-negative costs."""
    n, nt = draw(shapes)
    rng = np.random.default_rng(draw(seeds))
    kind = draw(st.sampled_from(["uniform", "magnitudes", "integers", "unbalanced"]))
    if kind == "uniform":
        a, b = rng.random(n), rng.random(nt)
    elif kind == "magnitudes":
        a, b = 10.0 ** rng.uniform(-12, 0, n), 10.0 ** rng.uniform(-12, 0, nt)
    elif kind == "integers":
        a, b = rng.integers(0, 3, n).astype(float), rng.integers(0, 3, nt).astype(float)
    else:
        a, b = rng.random(n) * 1e6, rng.random(nt) * 1e-3
    assume(a.sum() > 0 and b.sum() > 0)
    M = rng.standard_normal((n, nt)) * 10.0 ** rng.uniform(-3, 3)
    if draw(st.booleans()):
        M = np.round(M)  # ties
    if draw(st.booleans()):
        M = -np.abs(M) - 1.0  # all costs negative
    m = draw(st.sampled_from([0.0, 1.0, draw(st.floats(0.0, 1.0))])) * min(a.sum(), b.sum())
    return a, b, M, m


@settings(deadline=None, max_examples=60)
@given(adversarial())
def test_adversarial_problems_are_feasible_and_certified(problem_):
    # the plan meets its constraints and the duals certify its optimality (strong duality), relative to the data's
    # scale; POT's network simplex called a balanced problem with all costs negative infeasible, and the
    # "unreachable" branch raised RuntimeError (here for m = sum a = sum b with all costs negative)
    a, b, M, m = problem_
    plan, log = partial_wasserstein(a, b, M, m=m, log=True)
    scale = max(a.sum(), b.sum())
    assert_feasible(plan, a, b, m, tol=1e-12 * scale)
    u, v, t = log["u"], log["v"], log["mass_dual"]
    big = np.abs(M).max() or 1.0  # the solver's cost scale (its dummy cost is 2 max|M|, or 1 for M = 0)
    assert u.max() <= 0 and v.max() <= 0
    assert (u[:, None] + v[None, :] + t - M).max() <= 1e-11 * big
    assert a @ u + b @ v + m * t == pytest.approx(log["cost"], abs=1e-11 * big * scale)
    # the Lagrangian form on the same data, with a reward of either sign
    reg_m = float(np.random.default_rng(int(m * 1e6) % 2**32).normal()) * big
    plan, log = partial_wasserstein_lagrange(a, b, M, reg_m, log=True)
    assert_feasible(plan, a, b, tol=1e-12 * scale)
    u, v = log["u"], log["v"]
    assert u.max() <= 0 and v.max() <= 0
    assert (u[:, None] + v[None, :] - (M - reg_m)).max() <= 1e-11 * (big + abs(reg_m))
    assert a @ u + b @ v == pytest.approx(log["objective"], abs=1e-11 * (big + abs(reg_m)) * scale)


def test_all_negative_costs_at_full_mass():
    # found by the test above: ot.emd reports "Problem infeasible" for balanced problems with all costs < 0
    plan, log = partial_wasserstein([1.0], [1.0], [[-32.0]], m=1.0, log=True)
    assert plan.tolist() == [[1.0]] and log["cost"] == -32.0
    a, b = np.array([0.0, 0.0, 2.0]), np.array([1.0, 0.0, 1.0, 0.0])
    M = np.array([[128.8, -12.9, -187.1, 51.0], [-119.6, 44.1, -175.3, -56.4], [-54.2, -99.2, -31.7, 69.2]])
    plan, log = partial_wasserstein(a, b, M, m=2.0, log=True)
    assert np.array_equal(plan[2], [1.0, 0.0, 1.0, 0.0]) and log["cost"] == pytest.approx(-54.2 - 31.7, abs=1e-12)


@pytest.mark.parametrize("scale", [1e306, 1e307, 2.0**1022, -1e307])
def test_huge_costs_are_solved_in_scaled_units(scale):
    # M = [[1, 2], [3, 4]] * 1e307 raised "Problem infeasible" (the dummy cost 2 max(M) overflowed); 1e306 worked
    a, b, M = problem(5, 4, 3)
    m = 0.6
    ref, ref_log = partial_wasserstein(a, b, M * np.sign(scale), m=m, log=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan, log = partial_wasserstein(a, b, M * scale, m=m, log=True)
    assert np.abs(plan - ref).max() <= 1e-12
    assert log["cost"] == pytest.approx(ref_log["cost"] * abs(scale), rel=1e-12)
    for key in ("u", "v", "mass_dual"):
        assert np.allclose(log[key], ref_log[key] * abs(scale), rtol=1e-9, atol=1e-12 * abs(scale))
    assert partial_wasserstein2(a, b, M * scale, m=m) == pytest.approx(ref_log["cost"] * abs(scale), rel=1e-12)
    plan = partial_wasserstein([0.5, 0.5], [0.5, 0.5], [[1.0, 2.0], [3.0, 4.0]] * np.array(1e307), m=0.7)
    assert plan.sum() == pytest.approx(0.7)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_lagrange_huge_costs_give_finite_duals(sign):
    # M = +-5e307 gave NaN duals with no warning
    M = np.array([[-1.0, -1.0], [1.0, 1.0]]) * sign * 5e307
    a = b = np.array([0.5, 0.5])
    for reg_m in (None, 0.0, 5e307, -5e307):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            plan, log = partial_wasserstein_lagrange(a, b, M, reg_m, log=True)
        assert all(np.all(np.isfinite(log[k])) for k in ("u", "v", "cost", "objective"))
        r = log["reg_m"]
        assert log["u"].max() <= 0 and log["v"].max() <= 0
        assert (log["u"][:, None] + log["v"][None, :] - (M - r)).max() <= 1e-12 * 1e308
        assert a @ log["u"] + b @ log["v"] == pytest.approx(log["objective"], rel=1e-12, abs=1e296)
        if reg_m is None:
            assert plan.sum() == pytest.approx(1.0)  # POT's default moves min(sum a, sum b)
        else:
            ref = partial_wasserstein_lagrange(a, b, M / 5e307, reg_m / 5e307)
            assert np.abs(plan - ref).max() <= 1e-12
    # duals beyond the float range are refused, naming M
    with raises(ValueError, "M"):
        partial_wasserstein_lagrange([1.0, 1.0], [1.0, 1.0], [[1.7e308, -1.7e308], [-1.7e308, 1.7e308]], 1.7e308,
                                     log=True)
