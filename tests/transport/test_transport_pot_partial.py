"""POT's own partial-OT tests (``test/test_partial.py`` of POT 0.9.7), run against linalg_lab.transport.

Every check of POT's file, written again here, with each ``ot.partial.<f>``
replaced by ours (``T.<f>``); POT stays the reference where the file compares
with another POT function (``ot.gromov``, ``ot.dist``). Only the numpy backend
applies (our functions are numpy in, numpy out), so POT's ``nx`` fixture is
numpy and its two torch gradient tests have no counterpart here (they test
POT's autodiff backends).

Two deliberate differences, each stated in our docstrings and checked here
instead of POT's assertion:

* ``partial_wasserstein_lagrange`` accepts masses that do not sum to 1 (POT
  raises a ValueError): we check that the plan is the LP optimum (against
  scipy's HiGHS) instead;
* ``partial_wasserstein_1d`` with 2-D points raises a ValueError naming the
  argument (POT: an AssertionError).
"""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest
import scipy as sp
from scipy.optimize import linprog

from linalg_lab import transport as T


def _noisy_clouds():
    n_samples, n_noise = 20, 20
    mu = np.array([0, 0])
    cov = np.array([[1, 0], [0, 2]])
    rng = np.random.RandomState(42)
    xs = ot.datasets.make_2D_samples_gauss(n_samples, mu, cov, random_state=rng)
    xs = np.append(xs, (rng.rand(n_noise, 2) + 1) * 4).reshape((-1, 2))
    xt = ot.datasets.make_2D_samples_gauss(n_samples, mu, cov, random_state=rng)
    xt = np.append(xt, (rng.rand(n_noise, 2) + 1) * -3).reshape((-1, 2))
    M = ot.dist(xs, xt)
    p = ot.unif(n_samples + n_noise)
    q = ot.unif(n_samples + n_noise)
    return M, p, q, rng


def _lagrange_lp(a, b, M, reg_m):
    """min <G, M - reg_m> s.t. G 1 <= a, G^T 1 <= b, G >= 0, by scipy's HiGHS (an independent reference)."""
    n, nt = M.shape
    A = np.vstack([np.kron(np.eye(n), np.ones(nt)), np.kron(np.ones(n), np.eye(nt))])
    res = linprog((M - reg_m).ravel(), A_ub=A, b_ub=np.concatenate([a, b]), bounds=(0, None), method="highs")
    assert res.status == 0
    return res.fun


def test_raise_errors():
    M, p, q, rng = _noisy_clouds()
    # POT: ValueError for masses outside the simplex. Ours solves the problem (a deliberate difference): the
    # plan meets its constraints and is the LP optimum
    G, log = T.partial_wasserstein_lagrange(p + 1, q, M, 1, log=True)
    assert np.all(G.sum(axis=1) <= p + 1 + 1e-12) and np.all(G.sum(axis=0) <= q + 1e-12)
    assert log["objective"] == pytest.approx(_lagrange_lp(p + 1, q, M, 1.0), rel=1e-9, abs=1e-12)

    with pytest.raises(ValueError, match="^m: "):
        T.partial_wasserstein(p, q, M, m=2, log=True)
    with pytest.raises(ValueError, match="^m: "):
        T.partial_wasserstein(p, q, M, m=-1, log=True)
    with pytest.raises(ValueError, match="^m: "):
        T.entropic_partial_wasserstein(p, q, M, reg=1, m=2, log=True)
    with pytest.raises(ValueError, match="^m: "):
        T.entropic_partial_wasserstein(p, q, M, reg=1, m=-1, log=True)
    with pytest.raises(ValueError, match="^m: "):
        T.partial_gromov_wasserstein(M, M, p, q, m=2, log=True)
    with pytest.raises(ValueError, match="^m: "):
        T.partial_gromov_wasserstein(M, M, p, q, m=-1, log=True)
    with pytest.raises(ValueError, match="^m: "):
        T.entropic_partial_gromov_wasserstein(M, M, p, q, reg=1, m=2, log=True)
    with pytest.raises(ValueError, match="^m: "):
        T.entropic_partial_gromov_wasserstein(M, M, p, q, reg=1, m=-1, log=True)
    # POT: AssertionError; ours: a ValueError naming the argument (a deliberate difference)
    with pytest.raises(ValueError, match="^x_a: "):
        T.partial_wasserstein_1d(rng.randn(20, 2), rng.randn(20, 2))


def test_partial_wasserstein_lagrange():
    M, p, q, _ = _noisy_clouds()
    for reg_m in (1, 100):
        G, log = T.partial_wasserstein_lagrange(p, q, M, reg_m, log=True)
        ref, ref_log = ot.partial.partial_wasserstein_lagrange(p, q, M, reg_m, log=True)
        # beyond POT's test (which only calls): the same cost as POT's, and POT's log keys
        assert log["cost"] == pytest.approx(float(ref_log["cost"]), rel=1e-9, abs=1e-14)
        assert set(ref_log) <= set(log)


def test_partial_wasserstein():
    M, p, q, _ = _noisy_clouds()
    m = 0.5
    w0, log0 = T.partial_wasserstein(p, q, M, m=m, log=True)
    w, log = T.entropic_partial_wasserstein(p, q, M, reg=1, m=m, log=True, verbose=True)
    np.testing.assert_equal(w0.sum(axis=1) - p <= 1e-5, [True] * len(p))
    np.testing.assert_equal(w0.sum(axis=0) - q <= 1e-5, [True] * len(q))
    np.testing.assert_allclose(np.sum(w0), m, atol=1e-04)
    np.testing.assert_allclose(np.sum(w), m, atol=1e-04)

    w0, log0 = T.partial_wasserstein2(p, q, M, m=m, log=True)
    w0_val = T.partial_wasserstein2(p, q, M, m=m, log=False)
    G = log0["T"]
    np.testing.assert_allclose(w0, w0_val, atol=1e-1, rtol=1e-1)
    np.testing.assert_equal(G.sum(axis=1) - p <= 1e-5, [True] * len(p))
    np.testing.assert_equal(G.sum(axis=0) - q <= 1e-5, [True] * len(q))
    np.testing.assert_allclose(np.sum(G), m, atol=1e-04)

    empty = np.zeros(0)
    w = T.partial_wasserstein(empty, empty, M=M, m=None)
    np.testing.assert_equal(w.sum(axis=1) - p <= 1e-5, [True] * len(p))
    np.testing.assert_equal(w.sum(axis=0) - q <= 1e-5, [True] * len(q))
    np.testing.assert_allclose(np.sum(w), 1, atol=1e-04)

    w0 = T.entropic_partial_wasserstein(empty, empty, M=M, reg=10, m=None)
    np.testing.assert_equal(w0.sum(axis=1) - p <= 1e-5, [True] * len(p))
    np.testing.assert_equal(w0.sum(axis=0) - q <= 1e-5, [True] * len(q))
    np.testing.assert_allclose(np.sum(w0), 1, atol=1e-04)


def test_partial_wasserstein_pot_log_and_duals():
    """Beyond POT's file: POT's log keys with the same values, and POT's duals mapped onto ours (documented map)."""
    M, p, q, _ = _noisy_clouds()
    G, log = T.partial_wasserstein(p, q, M, 0.5, log=True)
    ref, ref_log = ot.partial.partial_wasserstein(p, q, M, 0.5, log=True)
    assert set(ref_log) <= set(log)
    for key in ("cost", "partial_w_dist"):
        assert log[key] == pytest.approx(float(ref_log[key]), rel=1e-12)
    assert log["result_code"] == ref_log["result_code"] and log["warning"] == ref_log["warning"]
    np.testing.assert_allclose(G, ref, atol=1e-15)
    # the documented map takes POT's raw potentials to a dual solution in our normalisation: u, v <= 0,
    # u_i + v_j + mass_dual <= M_ij, dual objective = cost (the dual is not unique here: noise points far away
    # leave saturated rows with slack, so the map is compared through these conditions, not entry by entry)
    u, v = ref_log["u"] - ref_log["u"].max(), ref_log["v"] - ref_log["v"].max()
    t = ref_log["u"].max() + ref_log["v"].max()
    for uu, vv, tt in ((u, v, t), (log["u"], log["v"], log["mass_dual"])):
        assert uu.max() <= 0 and vv.max() <= 0
        assert (M - uu[:, None] - vv[None, :] - tt).min() >= -1e-9
        assert p @ uu + q @ vv + 0.5 * tt == pytest.approx(log["cost"], rel=1e-9)


def test_partial_wasserstein_pot_signature_extras():
    """Beyond POT's file: **kwargs reach ot.emd, verbose prints, float32 stays float32, positional order is POT's."""
    M, p, q, _ = _noisy_clouds()
    G = T.partial_wasserstein(p, q, M, 0.5, 1, False, numThreads=1)
    np.testing.assert_allclose(G, ot.partial.partial_wasserstein(p, q, M, 0.5, 1, False, numThreads=1), atol=1e-15)
    with pytest.raises(TypeError, match="^bogus: "):
        T.partial_wasserstein(p, q, M, 0.5, bogus=1)
    # a limit passed through **kwargs as POT users do (numItermax reaches the network simplex)
    with pytest.raises(RuntimeError, match="numItermax"):
        T.partial_wasserstein(p, q, M, 0.5, numItermax=3)
    f32 = [x.astype(np.float32) for x in (p, q, M)]
    for fn in (T.partial_wasserstein, T.partial_wasserstein_lagrange):
        ours, pots = fn(*f32, 0.5), getattr(ot.partial, fn.__name__)(*f32, 0.5)
        assert ours.dtype == pots.dtype == np.float32
    assert T.entropic_partial_wasserstein(*f32, 1.0, 0.5).dtype == np.float32
    assert isinstance(T.partial_wasserstein2(*f32, 0.5), np.float32)
    assert T.partial_gromov_wasserstein(f32[2], f32[2], f32[0], f32[1], 0.5).dtype == np.float32


def test_verbose_prints(capsys):
    M, p, q, _ = _noisy_clouds()
    T.partial_wasserstein(p, q, M, 0.5, verbose=True)
    T.entropic_partial_wasserstein(p, q, M, 1.0, 0.5, verbose=True)
    out = capsys.readouterr().out
    assert "partial_wasserstein: 40 x 40 problem" in out and "It.  |Err" in out


def test_partial_gromov_wasserstein():
    rng = np.random.RandomState(42)
    n_samples, n_noise = 20, 10
    p = ot.unif(n_samples + n_noise)
    q = ot.unif(n_samples + n_noise)
    mu_s = np.array([0, 0])
    cov_s = np.array([[1, 0], [0, 1]])
    mu_t = np.array([0, 0, 0])
    cov_t = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    xs = ot.datasets.make_2D_samples_gauss(n_samples, mu_s, cov_s, random_state=rng)
    xs = np.concatenate((xs, ((rng.rand(n_noise, 2) + 1) * 4)), axis=0)
    P = sp.linalg.sqrtm(cov_t)
    xt = rng.randn(n_samples, 3).dot(P) + mu_t
    xt = np.concatenate((xt, ((rng.rand(n_noise, 3) + 1) * 10)), axis=0)
    xt2 = xs[::-1].copy()
    C1 = ot.dist(xs, xs)
    C3 = ot.dist(xt2, xt2)

    m = 2 / 3
    res0, log0 = T.partial_gromov_wasserstein(C1, C3, p, q, m=m, log=True, verbose=True)
    np.testing.assert_allclose(res0, 0, atol=1e-1, rtol=1e-1)

    C1 = sp.spatial.distance.cdist(xs, xs)
    C2 = sp.spatial.distance.cdist(xt, xt)
    m = 1
    res0, log0 = T.partial_gromov_wasserstein(C1, C2, p, q, m=m, log=True)
    G = ot.gromov.gromov_wasserstein(C1, C2, p, q, "square_loss")
    np.testing.assert_allclose(G, res0, atol=1e-04)
    res, log = T.entropic_partial_gromov_wasserstein(C1, C2, p, q, 10, m=m, log=True)
    G = ot.gromov.entropic_gromov_wasserstein(C1, C2, p, q, "square_loss", epsilon=10)
    np.testing.assert_allclose(G, res, atol=1e-02)

    w0, log0 = T.partial_gromov_wasserstein2(C1, C2, p, q, m=m, log=True)
    w0_val = T.partial_gromov_wasserstein2(C1, C2, p, q, m=m, log=False)
    np.testing.assert_allclose(w0, w0_val, atol=1e-1, rtol=1e-1)

    m = 2 / 3
    res0, log0 = T.partial_gromov_wasserstein(C1, C2, p, q, m=m, log=True)
    res, log = T.entropic_partial_gromov_wasserstein(C1, C2, p, q, 100, m=m, log=True)
    # POT's test compares row sums with p exactly; ours meet the constraints up to the rounding of the masses
    slack = 1e-15
    np.testing.assert_equal(res0.sum(1) <= p + slack, [True] * len(p))
    np.testing.assert_equal(res0.sum(0) <= q + slack, [True] * len(q))
    np.testing.assert_allclose(np.sum(res0), m, atol=1e-04)
    np.testing.assert_equal(res.sum(1) <= p + 1e-9, [True] * len(p))
    np.testing.assert_equal(res.sum(0) <= q + 1e-9, [True] * len(q))
    np.testing.assert_allclose(np.sum(res), m, atol=1e-04)


def test_partial_wasserstein_1d():
    n_samples = 20
    rng = np.random.RandomState(42)
    xs = rng.randn(n_samples, 1)
    xt = rng.randn(n_samples, 1)
    ind_xs_half, ind_xt_half, marginal_costs_half = T.partial_wasserstein_1d(
        xs, xt, n_transported_samples=n_samples // 2, p=1)
    ind_xs, ind_xt, marginal_costs = T.partial_wasserstein_1d(xs, xt, p=1)
    np.testing.assert_allclose(marginal_costs_half, marginal_costs[: n_samples // 2], atol=1e-04)
    np.testing.assert_allclose(np.sum(np.abs(np.sort(xs[ind_xs_half]) - np.sort(xt[ind_xt_half]))),
                               np.sum(marginal_costs_half), atol=1e-04)

    n = 20
    x = rng.rand(n)
    y = rng.rand(n)
    M = ot.dist(x[:, None], y[:, None], metric="minkowski", p=1)
    indices_x, indices_y, marginal_costs = T.partial_wasserstein_1d(x, y, n_transported_samples=n)
    costs = np.cumsum(marginal_costs)
    for i in [1, 5, 10]:
        np.testing.assert_allclose(costs[i - 1] / n, T.partial_wasserstein2([], [], M, m=i / n), atol=1e-8)
        t = T.partial_wasserstein([], [], M, m=i / n)
        ind_x, ind_y = np.where(t > 1e-6)
        np.testing.assert_array_equal(np.sort(indices_x[:i]), np.sort(ind_x))
        np.testing.assert_array_equal(np.sort(indices_y[:i]), np.sort(ind_y))


@pytest.mark.parametrize("reg", [10.0, 1.0])
def test_entropic_partial_wasserstein_logscale_matches_old_at_large_reg(reg):
    rng = np.random.RandomState(0)
    n = 20
    a = rng.rand(n)
    a /= a.sum()
    b = rng.rand(n)
    b /= b.sum()
    M = ot.dist(rng.rand(n, 2), rng.rand(n, 2))
    G_old = T.entropic_partial_wasserstein(a, b, M, reg=reg, m=0.5, numItermax=2000)
    G_log = T.entropic_partial_wasserstein_logscale(a, b, M, reg=reg, m=0.5, numItermax=2000)
    np.testing.assert_allclose(G_old, G_log, atol=1e-10, rtol=1e-10)
    np.testing.assert_allclose(G_log.sum(), 0.5, atol=1e-10)
    # beyond POT's file: POT's plan after its 2000 cycles (converged at these reg)
    np.testing.assert_allclose(G_log, ot.partial.entropic_partial_wasserstein(a, b, M, reg, 0.5, numItermax=2000),
                               atol=1e-9)


@pytest.mark.parametrize("reg", [0.1, 0.05, 0.01, 5e-3, 1e-3, 5e-4])
def test_entropic_partial_wasserstein_logscale_no_nan_at_small_reg(reg):
    rng = np.random.RandomState(1)
    n = 50
    a = rng.rand(n)
    a /= a.sum()
    b = rng.rand(n)
    b /= b.sum()
    M = ot.dist(rng.rand(n, 2), rng.rand(n, 2)) * 50.0
    with warnings.catch_warnings():
        # numItermax = 2000 (POT's test) may end before our 1e-9 tolerance at the smallest reg: then the plan
        # is rounded onto the constraints and a ConvergenceWarning says so; the checks below hold either way
        warnings.simplefilter("ignore", T.ConvergenceWarning)
        G = T.entropic_partial_wasserstein_logscale(a, b, M, reg=reg, m=0.6, numItermax=2000)
    assert np.isfinite(G).all()
    np.testing.assert_allclose(G.sum(), 0.6, atol=5e-3)


def test_entropic_partial_wasserstein_logscale_approaches_exact_at_small_reg():
    rng = np.random.RandomState(3)
    n = 30
    a = np.ones(n) / n
    b = np.ones(n) / n
    M = ot.dist(rng.rand(n, 2), rng.rand(n, 2))
    G_exact = T.partial_wasserstein(a, b, M, m=0.5)
    G_log = T.entropic_partial_wasserstein_logscale(a, b, M, reg=1e-3, m=0.5, numItermax=5000)
    cost_exact = float((G_exact * M).sum())
    cost_log = float((G_log * M).sum())
    assert cost_log >= cost_exact - 1e-6
    assert cost_log - cost_exact < 0.01


def test_entropic_partial_wasserstein_logscale_log_dict():
    rng = np.random.RandomState(2)
    n = 10
    a = rng.rand(n)
    a /= a.sum()
    b = rng.rand(n)
    b /= b.sum()
    M = ot.dist(rng.rand(n, 2), rng.rand(n, 2))
    G, log = T.entropic_partial_wasserstein_logscale(a, b, M, reg=0.1, m=0.5, log=True)
    assert "err" in log and "partial_w_dist" in log
    assert np.isfinite(G).all()


def test_entropic_partial_wasserstein_logscale_input_validation():
    n = 10
    a = np.ones(n) / n
    M = np.ones((n, n))
    with pytest.raises(ValueError, match="^m: "):
        T.entropic_partial_wasserstein_logscale(a, a, M, reg=0.1, m=-1.0)
    with pytest.raises(ValueError, match="^m: "):
        T.entropic_partial_wasserstein_logscale(a, a, M, reg=0.1, m=2.0)


def _partial_problem(seed=7, n=20, m=0.5, scale=1.0):
    rng = np.random.RandomState(seed)
    a = rng.rand(n)
    a /= a.sum()
    b = rng.rand(n)
    b /= b.sum()
    M = ot.dist(rng.rand(n, 2), rng.rand(n, 2)) * scale
    return a, b, M, m


def test_entropic_partial_wasserstein_method_default_is_sinkhorn():
    a, b, M, m = _partial_problem()
    np.testing.assert_array_equal(T.entropic_partial_wasserstein(a, b, M, reg=1.0, m=m),
                                  T.entropic_partial_wasserstein(a, b, M, reg=1.0, m=m, method="sinkhorn"))
    # POT's positional order: the 6th argument is the method
    np.testing.assert_array_equal(T.entropic_partial_wasserstein(a, b, M, 1.0, m, "sinkhorn", 2000),
                                  T.entropic_partial_wasserstein(a, b, M, reg=1.0, m=m, numItermax=2000))


@pytest.mark.parametrize("reg", [1.0, 0.05])
def test_entropic_partial_wasserstein_method_sinkhorn_log_matches_logscale(reg):
    a, b, M, m = _partial_problem(scale=50.0)
    G_wrap = T.entropic_partial_wasserstein(a, b, M, reg=reg, m=m, method="sinkhorn_log", numItermax=2000)
    G_log = T.entropic_partial_wasserstein_logscale(a, b, M, reg=reg, m=m, numItermax=2000)
    np.testing.assert_array_equal(G_wrap, G_log)


def test_entropic_partial_wasserstein_method_is_case_insensitive():
    a, b, M, m = _partial_problem()
    np.testing.assert_array_equal(T.entropic_partial_wasserstein(a, b, M, reg=1.0, m=m, method="sinkhorn_log"),
                                  T.entropic_partial_wasserstein(a, b, M, reg=1.0, m=m, method="Sinkhorn_Log"))


def test_entropic_partial_wasserstein_method_log_dict():
    a, b, M, m = _partial_problem(n=10)
    for method in ("sinkhorn", "sinkhorn_log"):
        G, log = T.entropic_partial_wasserstein(a, b, M, reg=0.1, m=m, method=method, log=True)
        assert "err" in log and "partial_w_dist" in log
        assert np.isfinite(G).all()
        # beyond POT's file: the same value as POT's under its key (its plan after 10^4 cycles)
        ref, ref_log = ot.partial.entropic_partial_wasserstein(a, b, M, 0.1, m, method, 10000, 0.0, False, True)
        assert log["partial_w_dist"] == pytest.approx(float(ref_log["partial_w_dist"]), rel=1e-7)


def test_entropic_partial_wasserstein_method_invalid():
    a, b, M, m = _partial_problem(n=10)
    with pytest.raises(ValueError, match="^method: "):
        T.entropic_partial_wasserstein(a, b, M, reg=0.1, m=m, method="not_a_solver")
    with pytest.raises(TypeError, match="^method: "):
        T.entropic_partial_wasserstein(a, b, M, reg=0.1, m=m, method=3)
