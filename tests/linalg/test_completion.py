"""One-sided matrix completion: statistics and estimators against brute force, recovery, baselines, bad input."""

import warnings

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab import ConvergenceWarning
from linalg_lab.completion import (
    estimate_gram,
    observed_entries,
    one_sided_complete,
    random_instance,
    sin_theta,
    soft_impute,
    zero_filled_svd,
)
from linalg_lab.completion.descent import lbfgs
from linalg_lab.completion.gram import gram_entries
from linalg_lab.completion.observations import pair_statistics


def _masked(rng, n, d, r, p):
    """A rank-r matrix with each entry observed with probability p (masked array) and the dense truth."""
    X = rng.standard_normal((n, r)) @ rng.standard_normal((r, d))
    return np.ma.MaskedArray(X, mask=rng.random((n, d)) >= p), X


def _brute_pairs(Xm):
    """Per pair j < k: (count, sum x_j x_k, sum x_j^2, sum x_k^2) by looping over rows."""
    data, mask = np.ma.getdata(Xm), np.ma.getmaskarray(Xm)
    out = {}
    for i in range(data.shape[0]):
        obs = np.flatnonzero(~mask[i])
        for a in range(obs.size):
            for b in range(a + 1, obs.size):
                j, k = obs[a], obs[b]
                c = out.setdefault((j, k), np.zeros(4))
                c += [1, data[i, j] * data[i, k], data[i, j] ** 2, data[i, k] ** 2]
    return out


shapes = st.tuples(st.integers(1, 40), st.integers(2, 9), st.integers(1, 4), st.floats(0.05, 1.0),
                   st.integers(0, 2**31 - 1))


# ----------------------------------------------------------------------------- statistics and estimators


@settings(deadline=None, max_examples=25)
@given(shapes)
def test_pair_statistics_match_brute_force(case):
    n, d, r, p, seed = case
    Xm, _ = _masked(np.random.default_rng(seed), n, d, min(r, d), p)
    stats = pair_statistics(observed_entries(Xm))
    ref = _brute_pairs(Xm)
    assert sorted(ref) == list(zip(stats.J.tolist(), stats.K.tolist()))
    for t, key in enumerate(zip(stats.J.tolist(), stats.K.tolist())):
        np.testing.assert_allclose([stats.count[t], stats.cross[t], stats.sumsq_j[t], stats.sumsq_k[t]], ref[key],
                                   rtol=1e-12, atol=1e-12)
    mask = np.ma.getmaskarray(Xm)
    data = np.ma.getdata(Xm)
    np.testing.assert_array_equal(stats.col_count, (~mask).sum(0))
    np.testing.assert_allclose(stats.col_sumsq, np.where(mask, 0, data**2).sum(0), atol=1e-12)
    single = (~mask).sum(1) == 1
    np.testing.assert_array_equal(stats.single_count, (~mask[single]).sum(0))
    seen_pairs = (~mask).astype(float).T @ (~mask).astype(float) > 0
    assert stats.observed_fraction == pytest.approx(seen_pairs.mean())


@settings(deadline=None, max_examples=25)
@given(shapes, st.sampled_from(["ratio", "ipw", "correlation"]))
def test_estimate_gram_matches_formulas(case, estimator):
    n, d, r, p, seed = case
    Xm, _ = _masked(np.random.default_rng(seed), n, d, min(r, d), p)
    obs = ~np.ma.getmaskarray(Xm)
    assume(obs.sum(1).max() >= 2)
    data = np.where(obs, np.ma.getdata(Xm), 0.0)
    G, seen = estimate_gram(Xm, estimator)
    ref_seen = obs.T.astype(float) @ obs.astype(float) > 0
    np.testing.assert_array_equal(seen, ref_seen)
    assert np.isnan(G[~seen]).all()
    cnt = obs.T.astype(float) @ obs.astype(float)
    S = data.T @ data
    if estimator == "ipw":
        pd = obs.sum() / (n * d)
        pairs = (cnt.sum() - np.trace(cnt)) / 2
        po = pairs / (n * d * (d - 1) / 2)
        ref = S / po
        np.fill_diagonal(ref, np.diag(S) / pd)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            ref = n * S / cnt
            if estimator == "correlation":
                D = (data**2).T @ obs.astype(float)
                rho = S / np.sqrt(D * D.T)
                rho[~np.isfinite(rho)] = 0.0
                dg = np.diag(ref)
                ref = rho * np.sqrt(np.outer(dg, dg))
                np.fill_diagonal(ref, dg)
    np.testing.assert_allclose(G[seen], ref[seen], rtol=1e-10, atol=1e-10)
    assert np.allclose(G[seen], G.T[seen])


@pytest.mark.parametrize("estimator", ["ratio", "ipw", "correlation"])
def test_fully_observed_gram_is_exact(estimator):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 6))
    G, seen = estimate_gram(np.ma.MaskedArray(X), estimator)
    assert seen.all()
    np.testing.assert_allclose(G, X.T @ X, rtol=1e-12, atol=1e-12)


def test_sparse_and_masked_inputs_agree_and_are_not_modified():
    X, V, _ = random_instance(3000, 15, 2, rng=1)
    dense = X.toarray()
    Xm = np.ma.MaskedArray(dense, mask=X.toarray() == 0)
    Xm.data[Xm.mask] = np.nan  # masked entries may hold anything
    before = (X.data.copy(), X.indices.copy(), X.indptr.copy(), Xm.data.copy(), Xm.mask.copy())
    a = one_sided_complete(X, 2, rng=0)
    b = one_sided_complete(Xm, 2, rng=0)
    np.testing.assert_allclose(a.components, b.components, atol=1e-12)
    for x, y in zip(before, (X.data, X.indices, X.indptr, Xm.data, Xm.mask)):
        np.testing.assert_array_equal(x, y)


def test_observed_entries_keeps_explicit_zeros_and_sums_duplicates():
    coo = sp.coo_matrix(([0.0, 1.0, 2.0, 3.0], ([0, 0, 1, 1], [0, 1, 2, 2])), shape=(2, 3))
    S = observed_entries(coo)
    assert sp.issparse(S) and S.nnz == 3 and S.has_canonical_format
    assert S.toarray().tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 5.0]]
    assert coo.nnz == 4  # the caller's matrix is untouched


# ----------------------------------------------------------------------------- the method


@pytest.mark.parametrize("loss", ["squares", "likelihood"])
def test_fully_observed_low_rank_is_recovered(loss):
    rng = np.random.default_rng(2)
    V = np.linalg.qr(rng.standard_normal((12, 3)))[0]
    X = (rng.standard_normal((400, 3)) * [3.0, 2.0, 1.0]) @ V.T
    res = one_sided_complete(sp.csr_matrix(X), 3, loss=loss)
    ref = sla.svdvals(X)[:3]
    tol = 1e-6 if loss == "squares" else 2e-3  # the likelihood keeps eta >= noise_floor
    assert sin_theta(res.components, V) < tol
    np.testing.assert_allclose(res.singular_values, ref, rtol=tol)
    np.testing.assert_allclose(res.components.T @ res.components, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(res.gram(), (res.components * res.singular_values**2) @ res.components.T)


@pytest.mark.parametrize("loss,bound", [("likelihood", 0.08), ("squares", 0.15)])
def test_two_observations_per_row_recovers_the_right_singular_space(loss, bound):
    X, V, L = random_instance(30000, 40, 3, scales=[3.0, 3.0, 3.0], rng=3)
    res = one_sided_complete(X, 3, loss=loss, rng=0)
    err = sin_theta(res.components, V)
    assert err < bound
    assert err < 0.5 * sin_theta(zero_filled_svd(X, 3).components, V)
    # singular values of X = L V^T are those of L
    np.testing.assert_allclose(res.singular_values, sla.svdvals(L), rtol=0.1)
    assert res.observed_fraction == 1.0 and res.converged


def test_likelihood_beats_the_eigendecomposition_of_the_estimate():
    X, V, _ = random_instance(20000, 40, 3, scales=[3.0, 3.0, 3.0], rng=4)
    G, _ = estimate_gram(X, fill_nan=False)
    eig = sla.eigh(G)[1][:, -3:]
    assert sin_theta(one_sided_complete(X, 3).components, V) < sin_theta(eig, V)


@settings(deadline=None, max_examples=12)
@given(st.integers(200, 1000), st.integers(3, 10), st.integers(1, 3), st.integers(2, 4), st.integers(0, 2**31 - 1),
       st.sampled_from(["likelihood", "squares"]), st.sampled_from(["ratio", "ipw", "correlation"]))
def test_output_invariants(n, d, r, per_row, seed, loss, estimator):
    assume(r <= d and per_row <= d)
    X, V, _ = random_instance(n, d, r, per_row=per_row, rng=seed)
    kw = dict(loss=loss, estimator=estimator, rng=seed)
    res = one_sided_complete(X, r, **kw)
    assert res.components.shape == (d, r) and res.singular_values.shape == (r,)
    np.testing.assert_allclose(res.components.T @ res.components, np.eye(r), atol=1e-10)
    assert np.all(np.diff(res.singular_values) <= 1e-12) and np.all(res.singular_values >= 0)
    assert np.all(np.isfinite(res.factor))
    P = (X != 0).astype(float)
    assert res.observed_fraction == pytest.approx(((P.T @ P).toarray() > 0).mean())
    # the same data scaled by c: the same subspace, singular values times c (to the descent's stopping accuracy:
    # the two runs round differently and stop at different iterations)
    scaled = one_sided_complete(X * 7.0, r, **kw)
    assert sin_theta(scaled.components, res.components) < 1e-3
    np.testing.assert_allclose(scaled.singular_values, 7.0 * res.singular_values, rtol=1e-3, atol=1e-8)


def test_unobserved_columns_and_zero_data():
    X, _, _ = random_instance(2000, 10, 2, rng=5)
    X = sp.hstack([X, sp.csr_matrix((2000, 2))]).tocsr()  # two columns never observed
    res = one_sided_complete(X, 2)
    assert np.allclose(res.components[-2:], 0.0, atol=1e-6)
    zero = sp.csr_matrix((np.zeros(4), ([0, 0, 1, 1], [0, 1, 1, 2])), shape=(3, 3))
    out = one_sided_complete(zero, 1)
    assert np.all(out.singular_values == 0)


# ----------------------------------------------------------------------------- baselines


def test_zero_filled_svd_is_exact_when_fully_observed():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((50, 8))
    res = zero_filled_svd(sp.csr_matrix(X), 3)
    U, s, Vt = sla.svd(X, full_matrices=False)
    np.testing.assert_allclose(res.singular_values, s[:3], rtol=1e-10)
    assert sin_theta(res.components, Vt[:3].T) < 1e-8 and sin_theta(res.left_vectors, U[:, :3]) < 1e-8


def _dense_soft_impute(Xm, rank, lam, iters):
    obs = ~np.ma.getmaskarray(Xm)
    data = np.where(obs, np.ma.getdata(Xm), 0.0)
    L = np.zeros_like(data)
    for _ in range(iters):
        U, s, Vt = sla.svd(np.where(obs, data, L), full_matrices=False)
        s = np.maximum(s[:rank] - lam, 0.0)
        L = (U[:, :rank] * s) @ Vt[:rank]
    return L


@settings(deadline=None, max_examples=10)
@given(st.integers(10, 40), st.integers(3, 8), st.integers(1, 3), st.floats(0.3, 0.9), st.integers(0, 2**31 - 1))
def test_soft_impute_matches_dense_reference(n, d, r, p, seed):
    rng = np.random.default_rng(seed)
    Xm, _ = _masked(rng, n, d, r, p)
    assume((~Xm.mask).any())
    zf = sla.svdvals(np.where(Xm.mask, 0.0, Xm.data))
    assume(zf[0] > 1e-8 and (r >= min(n, d) or zf[r - 1] - zf[r] > 1e-3 * zf[0]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = soft_impute(Xm, r, shrinkage=0.1, max_iter=5, tol=0.0)
    assert bool(caught) == (not res.converged)  # stopped by max_iter: flagged and warned
    L = (res.left_vectors * res.singular_values) @ res.components.T
    ref = _dense_soft_impute(Xm, r, 0.1 * zf[0], 5)
    assert np.linalg.norm(L - ref) <= 1e-6 * max(1.0, np.linalg.norm(ref))


def test_soft_impute_completes_a_well_observed_matrix():
    X, V, _ = random_instance(400, 20, 2, per_row=10, rng=7)
    res = soft_impute(X, 2, shrinkage=0.01, max_iter=200)
    assert sin_theta(res.components, V) < 0.05 and res.method == "soft_impute"


# ----------------------------------------------------------------------------- helpers


@settings(deadline=None, max_examples=20)
@given(st.integers(2, 10), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_sin_theta_matches_scipy_subspace_angles(d, ra, rb, seed):
    assume(ra <= d and rb <= d)
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((d, ra)), rng.standard_normal((d, rb))
    assert sin_theta(A, B) == pytest.approx(np.sin(sla.subspace_angles(A, B).max()), abs=1e-10)


def test_random_instance_observes_distinct_entries_of_l_vt():
    X, V, L = random_instance(200, 7, 2, per_row=3, rng=8)
    assert (X.getnnz(axis=1) == 3).all()
    np.testing.assert_allclose(X.toarray()[X.toarray() != 0], (L @ V.T)[X.toarray() != 0])


def test_lbfgs_minimises_rosenbrock():
    def rosen(x):
        f = 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2
        g = np.array([-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)])
        return f, g

    x, it, ok = lbfgs(rosen, np.array([-1.2, 1.0]), tol=1e-12)
    assert ok and np.allclose(x, 1.0, atol=1e-5)


# ----------------------------------------------------------------------------- bad input


def _X():
    return random_instance(50, 6, 2, rng=0)[0]


@pytest.mark.parametrize("call,exc,name", [
    (lambda: one_sided_complete(_X(), 7), ValueError, "rank"),
    (lambda: one_sided_complete(_X(), 0), ValueError, "rank"),
    (lambda: one_sided_complete(_X(), 1.5), TypeError, "rank"),
    (lambda: one_sided_complete(_X().toarray(), 2), TypeError, "X"),
    (lambda: one_sided_complete(None, 2), TypeError, "X"),
    (lambda: one_sided_complete(sp.csr_matrix(([np.nan, 1.0], ([0, 0], [0, 1])), shape=(2, 2)), 1), ValueError,
     "X"),
    (lambda: one_sided_complete(np.ma.MaskedArray([[np.inf, 1.0]]), 1), ValueError, "X"),
    (lambda: one_sided_complete(sp.eye(4, format="csr"), 1), ValueError, "X"),
    (lambda: one_sided_complete(sp.csr_matrix((0, 3)), 1), ValueError, "X"),
    (lambda: one_sided_complete(_X(), 2, loss="l1"), ValueError, "loss"),
    (lambda: one_sided_complete(_X(), 2, estimator="mean"), ValueError, "estimator"),
    (lambda: one_sided_complete(_X(), 2, weights="none"), ValueError, "weights"),
    (lambda: one_sided_complete(_X(), 2, incoherence=0), ValueError, "incoherence"),
    (lambda: one_sided_complete(_X(), 2, penalty=-1), ValueError, "penalty"),
    (lambda: one_sided_complete(_X(), 2, noise_floor=0), ValueError, "noise_floor"),
    (lambda: one_sided_complete(_X(), 2, max_iter=0), ValueError, "max_iter"),
    (lambda: one_sided_complete(_X(), 2, rng=1.5), TypeError, "rng"),
    (lambda: zero_filled_svd(_X(), 9), ValueError, "rank"),
    (lambda: soft_impute(_X(), 2, shrinkage=-0.1), ValueError, "shrinkage"),
    (lambda: soft_impute(_X(), 2, tol=float("nan")), ValueError, "tol"),
    (lambda: estimate_gram(_X(), "median"), ValueError, "estimator"),
    (lambda: sin_theta(np.ones((3, 1)), np.ones((4, 1))), ValueError, "B"),
    (lambda: random_instance(10, 3, 4), ValueError, "rank"),
])
def test_bad_input_names_the_argument(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}:"):
        call()


def test_gram_entries_rejects_unknown_estimator():
    stats = pair_statistics(observed_entries(_X()))
    with pytest.raises(ValueError, match="^estimator:"):
        gram_entries(stats, "x")


# ----------------------------------------------------------------------------- issue P0: constraints hold or warn


@settings(deadline=None, max_examples=25)
@given(n=st.integers(2, 30), d=st.integers(2, 8), true_rank=st.integers(0, 3), extra=st.integers(0, 3),
       p=st.floats(0.2, 1.0), seed=st.integers(0, 2**31 - 1))
def test_baselines_give_orthonormal_vectors_beyond_the_rank(n, d, true_rank, extra, p, seed):
    # rank above the rank of the observations: zero singular values, whose vectors were zero columns (Z V / s)
    rng = np.random.default_rng(seed)
    rank = min(true_rank + extra, n, d)
    assume(rank >= 1)
    X = rng.standard_normal((n, true_rank)) @ rng.standard_normal((true_rank, d))
    mask = rng.random((n, d)) > p
    mask[0, 0] = False  # at least one observation
    Xm = np.ma.masked_array(X, mask=mask)
    zf = np.where(mask, 0.0, X) / np.sqrt((~mask).sum() / float(n * d))
    ref = sla.svdvals(zf)[:rank]
    res = zero_filled_svd(Xm, rank)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # convergence is not the point here
        si = soft_impute(Xm, rank, max_iter=20)
    for out in (res, si):
        for F in (out.components, out.left_vectors):
            assert np.abs(F.T @ F - np.eye(rank)).max() < 1e-10
        assert np.all(np.diff(out.singular_values) <= 0) and np.all(out.singular_values >= 0)
    np.testing.assert_allclose(res.singular_values, ref, rtol=1e-8, atol=1e-10 * max(ref[0], 1.0))
    # and the factors reproduce the rescaled zero-filled matrix's rank-r part where it is unique
    s_all = sla.svdvals(zf)
    if rank < min(n, d) and s_all[rank - 1] - s_all[rank] > 1e-6 * max(s_all[0], 1e-300):
        U, s, Vt = sla.svd(zf, full_matrices=False)
        L = (res.left_vectors * res.singular_values) @ res.components.T
        assert np.linalg.norm(L - (U[:, :rank] * s[:rank]) @ Vt[:rank]) <= 1e-8 * max(s[0], 1.0)


def test_all_zero_observations_with_a_wide_matrix():
    # d > 3000 takes the sparse SVD, which cannot start on a zero operator
    X = sp.csr_matrix((np.zeros(6), ([0, 0, 1, 1, 2, 2], [0, 5, 9, 3100, 2, 7])), shape=(6, 3200))
    for fn in (zero_filled_svd, soft_impute, one_sided_complete):
        out = fn(X, 2)
        assert np.all(out.singular_values == 0)
        assert np.abs(out.components.T @ out.components - np.eye(2)).max() < 1e-12


def test_unconverged_descent_warns_and_is_flagged():
    X, _, _ = random_instance(500, 8, 2, rng=1)
    with pytest.warns(ConvergenceWarning, match="one_sided_complete: the descent stopped at max_iter = 2"):
        res = one_sided_complete(X, 2, max_iter=2)
    assert not res.converged
    with pytest.warns(ConvergenceWarning, match="soft_impute: not converged after max_iter = 2"):
        assert not soft_impute(X, 2, max_iter=2, tol=0.0).converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert one_sided_complete(X, 2).converged


def test_sin_theta_refuses_dependent_columns():
    A = np.array([[1.0, 2.0], [0.0, 0.0], [1.0, 2.0]])  # rank 1: its QR factor would add a direction
    B = np.eye(3)[:, :2]
    with pytest.raises(ValueError, match="^A: expected independent columns"):
        sin_theta(A, B)
    with pytest.raises(ValueError, match="^B: expected independent columns"):
        sin_theta(B, A)
    with pytest.raises(ValueError, match="^B: expected independent columns"):
        sin_theta(B, np.zeros((3, 1)))


def test_random_instance_refuses_zero_scales():
    with pytest.raises(ValueError, match="^scales: expected nonzero entries"):
        random_instance(10, 4, 2, scales=[1.0, 0.0])


def test_one_convergence_warning_class_for_the_project():
    import linalg_lab.transport as T
    from linalg_lab.exceptions import ConvergenceWarning as Base

    assert ConvergenceWarning is Base is T.ConvergenceWarning
    assert issubclass(ConvergenceWarning, UserWarning) and not issubclass(ConvergenceWarning, RuntimeWarning)
    X, _, _ = random_instance(300, 6, 2, rng=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # an unconverged run becomes an error, a converged one not
        with pytest.raises(ConvergenceWarning, match="soft_impute"):
            soft_impute(X, 2, max_iter=1, tol=0.0)
        with pytest.raises(ConvergenceWarning, match="one_sided_complete"):
            one_sided_complete(X, 2, max_iter=1)
        assert soft_impute(X, 2, max_iter=500, tol=1e-3).converged
