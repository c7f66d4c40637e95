"""Entropic partial OT: POT's problem and iterates, marginal constraints, the stopping rule, small reg, bad input."""

import warnings

import numpy as np
import ot
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.transport import ConvergenceWarning
from linalg_lab.transport.entropic import entropic_partial_wasserstein, entropic_partial_wasserstein2


def _problem(seed, n, n2, d=2, uniform=False, shift=1.0):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(n, d))
    xt = rng.normal(size=(n2, d)) + shift
    M = ot.dist(xs, xt)
    if uniform:
        return np.full(n, 1.0 / n), np.full(n2, 1.0 / n2), M
    a = rng.uniform(0.2, 1.0, n)
    b = rng.uniform(0.2, 1.0, n2)
    return a / a.sum(), b / b.sum() * rng.uniform(0.8, 1.2), M


def _assert_feasible(G, a, b, m, tol=1e-9):
    """Rows <= a, columns <= b, total = m (to ``tol``), entries >= 0 and finite."""
    assert np.all(np.isfinite(G)) and np.all(G >= 0)
    assert np.all(G.sum(axis=1) <= a + tol) and np.all(G.sum(axis=0) <= b + tol)
    assert abs(G.sum() - m) <= tol


def _violation(a, b, M, reg, m, G, log):
    """The documented violation, recomputed in numpy from the plan and the log-potentials."""
    r, c = G.sum(axis=1), G.sum(axis=0)
    full_a, full_b = m >= a.sum() * (1 - 1e-12), m >= b.sum() * (1 - 1e-12)
    with np.errstate(over="ignore", invalid="ignore"):
        tr = a if full_a else np.where(r > 0, np.minimum(a, r * np.exp(-log["log_u"])), 0.0)
        tc = b if full_b else np.where(c > 0, np.minimum(b, c * np.exp(-log["log_v"])), 0.0)
    return max(np.abs(r - tr).max(), np.abs(c - tc).max(), abs(G.sum() - m))


# ----------------------------------------------------------------------------- POT's problem and iterates


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**31), n=st.integers(2, 25), n2=st.integers(2, 25), frac=st.floats(0.1, 0.9),
       iters=st.integers(1, 40))
def test_same_iterates_as_pot(seed, n, n2, frac, iters):
    # stopThr = 0 runs exactly `iters` cycles: POT's iterates (its row, column and mass projections)
    # (rounding=False: the last iterate itself, flagged by a ConvergenceWarning as it is off the constraints)
    a, b, M = _problem(seed, n, n2)
    m = frac * min(a.sum(), b.sum())
    reg = 0.05 * M.max()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        G, log = entropic_partial_wasserstein(a, b, M, reg, m, numItermax=iters, stopThr=0, rounding=False, log=True)
    ref = ot.partial.entropic_partial_wasserstein(a, b, M, reg, m, numItermax=iters)
    assert np.abs(G - ref).max() <= 1e-10 * ref.max()
    assert not log["rounded"] and log["n_stages"] == 1 and log["n_iter"] <= iters
    # by default the same run returns that iterate rounded onto the constraint set
    R, rlog = entropic_partial_wasserstein(a, b, M, reg, m, numItermax=iters, stopThr=0, log=True)
    assert rlog["rounded"] == (not log["converged"] and log["excess"] > 0)
    _assert_feasible(R, a, b, m)
    assert np.abs(R - G).sum() <= 2 * (M.shape[0] + M.shape[1] + 1) * log["excess"] + 1e-12


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**31), n=st.integers(2, 20), n2=st.integers(2, 20), frac=st.floats(0.1, 0.9),
       regf=st.sampled_from([0.05, 0.1, 0.5]))
def test_converged_plan_matches_pot(seed, n, n2, frac, regf):
    a, b, M = _problem(seed, n, n2)
    m = frac * min(a.sum(), b.sum())
    reg = regf * M.max()
    G, log = entropic_partial_wasserstein(a, b, M, reg, m, stopThr=1e-13, numItermax=100000, log=True)
    assert log["converged"] and log["violation"] <= 1e-13
    # POT run until its iterate stops changing
    ref, ref_log = ot.partial.entropic_partial_wasserstein(a, b, M, reg, m, numItermax=20000, stopThr=1e-15,
                                                           log=True)
    assume(ref_log["err"][-1] <= 1e-15)
    assert np.abs(G - ref).max() <= 1e-6 * ref.max()


def test_balanced_mass_is_sinkhorn():
    # m = sum a = sum b: the problem is balanced entropic OT, POT's sinkhorn is an independent reference
    a, b, M = _problem(3, 30, 40, uniform=True)
    reg = 0.05 * M.max()
    G = entropic_partial_wasserstein(a, b, M, reg, stopThr=1e-13)
    ref = ot.sinkhorn(a, b, M, reg, stopThr=1e-14, numItermax=100000)
    assert np.abs(G - ref).max() <= 1e-8 * ref.max()
    assert np.allclose(G.sum(axis=1), a, atol=1e-13) and np.allclose(G.sum(axis=0), b, atol=1e-13)


# ----------------------------------------------------------------------------- constraints and the stopping rule


@settings(deadline=None, max_examples=20)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 30), n2=st.integers(1, 30), frac=st.floats(0.0, 1.0),
       regf=st.sampled_from([0.01, 0.05, 0.2]), zeros=st.booleans())
def test_marginals_mass_and_violation(seed, n, n2, frac, regf, zeros):
    a, b, M = _problem(seed, n, n2)
    if zeros and n > 1:
        a[0] = 0.0  # a row of zero mass gets nothing
    m = frac * min(a.sum(), b.sum())
    reg = regf * M.max()
    thr = 1e-10
    G, log = entropic_partial_wasserstein(a, b, M, reg, m, stopThr=thr, log=True)
    assert np.all(np.isfinite(G)) and np.all(G >= 0)
    assert np.all(G.sum(axis=1) <= a + thr) and np.all(G.sum(axis=0) <= b + thr)
    assert abs(G.sum() - m) <= thr
    assert log["converged"] and log["violation"] <= thr
    assert _violation(a, b, M, reg, m, G, log) <= thr * (1 + 1e-6) + 1e-15
    if zeros and n > 1:
        assert np.all(G[0] == 0) and log["log_u"][0] == -np.inf
    # the log-potentials give the plan back
    with np.errstate(invalid="ignore"):
        P = np.exp(log["log_u"][:, None] + log["log_v"][None, :] + log["log_mass"] - M / reg)
    assert np.allclose(np.nan_to_num(P), G, rtol=1e-9, atol=1e-300) if m > 0 else np.all(G == 0)
    assert np.all(log["log_u"] <= 0) and np.all(log["log_v"] <= 0)


@pytest.mark.parametrize("m_frac", [0.3, 0.8, 1.0])
def test_small_reg_converges(m_frac):
    # reg = 1e-3 max(M): exp(-M / reg) underflows (POT's default solver gives NaN); ours reaches 1e-9
    a, b, M = _problem(0, 60, 50, uniform=True)
    reg = 1e-3 * M.max()
    m = m_frac * min(a.sum(), b.sum())
    G, log = entropic_partial_wasserstein(a, b, M, reg, m, log=True)
    assert log["converged"] and log["violation"] < 1e-9
    assert np.all(np.isfinite(G))
    assert np.all(G.sum(axis=1) <= a + 1e-9) and np.all(G.sum(axis=0) <= b + 1e-9)
    # near the exact partial OT cost: 0 <= <G, M> - OPT <= reg * m * log(n n2 / m) (entropy range)
    exact = ot.partial.partial_wasserstein2(a, b, M, m) if m_frac < 1 else ot.emd2(a, b, M)
    value = float(np.sum(G * M))
    assert -1e-9 <= value - exact <= reg * m * np.log(M.size / m) + 1e-9


def test_near_full_mass_needs_the_block_cycles():
    # m close to min(sum a, sum b) at small reg: the three-projection cycles overshoot the mass and stall,
    # the (f, lam) / (g, lam) block cycles that take over when they stagnate do not
    a, b, M = _problem(0, 60, 50, uniform=True)
    reg = 1e-3 * M.max()
    G, log = entropic_partial_wasserstein(a, b, M, reg, 0.99, numItermax=2000, log=True)
    assert log["converged"] and log["violation"] < 1e-9 and log["n_block_cycles"] > 0
    with pytest.warns(UserWarning, match="stopThr"):
        _, plain = entropic_partial_wasserstein(a, b, M, reg, 0.99, numItermax=2000, log=True, accelerate=False)
    assert plain["violation"] > 1e-6 and plain["n_block_cycles"] == plain["n_newton"] == 0


@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 30), frac=st.floats(0.01, 1.0), spread=st.floats(0.0, 30.0))
def test_water_filling(seed, n, frac, spread):
    # theta with sum_i min(cap_i, theta s_i) = mass, the mass step of the block cycles
    from linalg_lab.transport._entropic_kernels import _cap_scale

    rng = np.random.default_rng(seed)
    logcap = rng.normal(size=n) - 3
    logs = spread * rng.normal(size=n)
    mass = frac * np.exp(logcap).sum()
    theta = np.exp(_cap_scale(logcap, logs, mass))
    assert np.minimum(np.exp(logcap), theta * np.exp(logs)).sum() == pytest.approx(mass, rel=1e-9)


def test_warns_when_not_converged():
    a, b, M = _problem(1, 20, 20)
    with pytest.warns(UserWarning, match="stopThr"):
        G, log = entropic_partial_wasserstein(a, b, M, 1e-3 * M.max(), 0.5, numItermax=3, stopThr=1e-14, log=True)
    assert not log["converged"] and log["n_iter"] == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        entropic_partial_wasserstein(a, b, M, 1e-3 * M.max(), 0.5, numItermax=3, stopThr=1e-14, warn=False)
        entropic_partial_wasserstein(a, b, M, 1e-3 * M.max(), 0.5, numItermax=3, stopThr=0)


def test_zero_mass_and_uniform_defaults():
    _, _, M = _problem(2, 5, 4)
    G, log = entropic_partial_wasserstein([], [], M, 0.1, 0.0, log=True)
    assert np.all(G == 0) and log["partial_w_dist"] == 0.0 and log["converged"]
    G = entropic_partial_wasserstein([], [], M, 0.5 * M.max(), stopThr=1e-12)
    assert np.allclose(G.sum(axis=1), 0.2, atol=1e-12) and abs(G.sum() - 1.0) < 1e-12  # m = min(1, 1)


# ----------------------------------------------------------------------------- value, log and inputs


@settings(deadline=None, max_examples=10)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 15), n2=st.integers(1, 15), frac=st.floats(0.0, 1.0))
def test_value_log_and_inputs_unchanged(seed, n, n2, frac):
    a, b, M = _problem(seed, n, n2)
    m = frac * min(a.sum(), b.sum())
    copies = [x.copy() for x in (a, b, M)]
    reg = 0.05 * M.max()
    G = entropic_partial_wasserstein(a, b, M, reg, m)
    G2, log = entropic_partial_wasserstein(a, b, M, reg, m, log=True)
    v = entropic_partial_wasserstein2(a, b, M, reg, m)
    v2, log2 = entropic_partial_wasserstein2(a, b, M, reg, m, log=True)
    assert np.array_equal(G, G2) and np.array_equal(G, log2["plan"])
    assert v == v2 == log["partial_w_dist"] == pytest.approx(float(np.sum(G * M)), rel=1e-12, abs=1e-300)
    for x, c in zip((a, b, M), copies):
        assert np.array_equal(x, c)


def test_lists_and_ints_accepted():
    G = entropic_partial_wasserstein([1, 2], [2, 1], [[0, 1], [1, 0]], 1, 2)
    assert G.dtype == np.float64 and abs(G.sum() - 2) < 1e-9


@pytest.mark.parametrize(("kwargs", "name"), [
    (dict(reg=0), "reg"), (dict(reg=-1.0), "reg"), (dict(reg=np.nan), "reg"),
    (dict(m=-0.1), "m"), (dict(m=2.0), "m"),
    (dict(a=[0.5, -0.5, 1.0]), "a"), (dict(b=[np.inf, 0.5]), "b"), (dict(a=[0.5, 0.5]), "a"),
    (dict(M=np.ones((3, 3))), "b"), (dict(M=[[0.0, np.nan], [1, 1], [1, 1]]), "M"), (dict(M=np.ones(3)), "M"),
    (dict(numItermax=-1), "numItermax"), (dict(stopThr=-1e-9), "stopThr"),
])
def test_bad_input_names_the_argument(kwargs, name):
    args = dict(a=[0.25, 0.25, 0.5], b=[0.5, 0.5], M=np.ones((3, 2)), reg=0.1, m=0.5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"^{name}:"):
        entropic_partial_wasserstein(**args)


@pytest.mark.parametrize(("kwargs", "name"), [(dict(numItermax=1.5), "numItermax"), (dict(log=1), "log"),
                                              (dict(reg="0.1"), "reg")])
def test_bad_types_name_the_argument(kwargs, name):
    args = dict(a=[0.5, 0.5], b=[0.5, 0.5], M=np.ones((2, 2)), reg=0.1, m=0.5)
    args.update(kwargs)
    with pytest.raises(TypeError, match=f"^{name}:"):
        entropic_partial_wasserstein2(**args)
