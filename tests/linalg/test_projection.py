"""Kronecker projection maintenance: exactness against a dense B (numpy.kron), updates, sketches, bad input."""

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.projection import KroneckerProjection, sketch_sizes, unvec, vec
from linalg_lab.projection.constraints import check_constraints
from linalg_lab.projection._checks import check_symmetric_psd


def _sqrtm(W):
    lam, Q = np.linalg.eigh(W)
    return (Q * np.sqrt(np.maximum(lam, 0))) @ Q.T


def _dense_B(A, W, form, S=None):
    """The m x n^2 matrix B, built with np.kron from the column-major vecs of the A_i (S: a given W^1/2)."""
    n = W.shape[0]
    Af = np.stack([a.ravel(order="F") for a in A])
    S = _sqrtm(W) if S is None else S
    K = np.kron(W, np.eye(n)) if form == "w_i" else np.kron(S, S)
    return Af @ K


def _dense_query(A, W, form, h):
    B = _dense_B(A, W, form)
    return np.linalg.pinv(B, rcond=1e-12) @ (B @ h)  # B^+ B h = B^T (B B^T)^{-1} B h at full row rank


def _random_psd(rng, n, rank=None):
    X = rng.standard_normal((n, n if rank is None else rank))
    return X @ X.T / n + (1e-1 * np.eye(n) if rank is None else 0.0)


def _as_input(A, kind, density, rng):
    if density < 1:
        A = A * (rng.random(A.shape) < density)
    if kind == "array":
        return A
    if kind == "list":
        return list(A)
    if kind == "list_sparse":
        return [sp.csr_matrix(a) for a in A]
    flat = np.stack([a.ravel(order="F") for a in A])
    return flat if kind == "flat" else sp.csr_matrix(flat)


KINDS = ["array", "list", "list_sparse", "flat", "flat_sparse"]
FORMS = ["w_i", "sqrt_w"]


def _rel(x, ref):
    return np.linalg.norm(x - ref) / max(np.linalg.norm(ref), 1e-300)


# ----------------------------------------------------------------------------- conventions


def test_vec_is_column_stacking_and_kron_identity():
    rng = np.random.default_rng(0)
    A, X, B = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((5, 2))
    np.testing.assert_allclose(vec(A @ X @ B), np.kron(B.T, A) @ vec(X), atol=1e-12)
    np.testing.assert_array_equal(unvec(vec(X[:4, :4]), 4), X[:4, :4])
    batch = rng.standard_normal((3, 4, 4))
    np.testing.assert_array_equal(unvec(vec(batch), 4), batch)
    np.testing.assert_array_equal(vec(batch)[:, 1], vec(batch[1]))


@pytest.mark.parametrize("kind", KINDS)
def test_constraint_layouts_agree(kind):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((5, 4, 4))
    C = check_constraints(_as_input(A, kind, 0.6 if "sparse" in kind else 1.0, np.random.default_rng(2)))
    ref = A * (np.random.default_rng(2).random(A.shape) < 0.6) if "sparse" in kind else A
    X = rng.standard_normal((4, 3))
    np.testing.assert_allclose(C.dense(), np.stack([a.ravel(order="F") for a in ref]))
    np.testing.assert_allclose(C.xt_times(X), np.einsum("ak,iac->kic", X, ref), atol=1e-12)
    np.testing.assert_allclose(C.xt_times_t(X), np.einsum("ak,ica->kic", X, ref), atol=1e-12)
    assert C.sparse == ("sparse" in kind)
    if C.sparse:
        assert sp.issparse(C.flat) and sp.issparse(C.stack) and sp.issparse(C.stack_t)


# ----------------------------------------------------------------------------- exactness


@settings(deadline=None, max_examples=30)
@given(st.integers(2, 6), st.integers(1, 12), st.sampled_from(FORMS), st.sampled_from(KINDS),
       st.sampled_from([1.0, 0.5]), st.integers(0, 2**31 - 1))
def test_query_and_gram_match_dense(n, m, form, kind, density, seed):
    assume(m <= n * n)
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n, n))
    Ain = _as_input(A, kind, density, np.random.default_rng(seed + 1))
    A = np.stack([np.asarray(a.todense() if sp.issparse(a) else a) for a in check_constraints(Ain).dense()
                  .reshape(m, n, n).transpose(0, 2, 1)])  # the matrices actually given
    assume(np.linalg.matrix_rank(A.reshape(m, -1)) == m)
    W = _random_psd(rng, n)
    proj = KroneckerProjection(Ain, W, form=form)
    B = _dense_B(A, W, form)
    assume(np.linalg.cond(B @ B.T) < 1e8)
    np.testing.assert_allclose(proj.gram, B @ B.T, rtol=1e-10, atol=1e-10 * np.abs(B @ B.T).max())
    h = rng.standard_normal((n * n, 3))
    out = proj.query(h)
    ref = B.T @ np.linalg.solve(B @ B.T, B @ h)
    assert _rel(out, ref) < 1e-9
    np.testing.assert_allclose(proj.query(h[:, 1]), out[:, 1], rtol=1e-12, atol=1e-12)
    # a projector: idempotent and symmetric
    assert _rel(proj.query(out), out) < 1e-9
    g = rng.standard_normal(n * n)
    assert abs(proj.query(g) @ h[:, 0] - g @ out[:, 0]) <= 1e-9 * np.linalg.norm(g) * np.linalg.norm(h[:, 0])


@settings(deadline=None, max_examples=25)
@given(st.integers(3, 6), st.integers(1, 10), st.sampled_from(FORMS), st.sampled_from(["array", "list_sparse"]),
       st.lists(st.integers(1, 3), min_size=1, max_size=4), st.integers(0, 2**31 - 1))
def test_low_rank_updates_match_a_fresh_computation(n, m, form, kind, ranks, seed):
    assume(m <= n * n)
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n, n))
    W = _random_psd(rng, n)
    proj = KroneckerProjection(_as_input(A, kind, 1.0, rng), W, form=form)
    for k in ranks:
        k = min(k, n)
        U = rng.standard_normal((n, k))
        # a symmetric C that may be indefinite but keeps W PSD: shrink the negative part
        C = rng.standard_normal((k, k))
        C = (C + C.T) / 2
        lam, Q = np.linalg.eigh(C)
        lam[lam < 0] *= 0.01 * np.linalg.eigvalsh(W)[0] / max(1.0, np.linalg.norm(U, 2) ** 2)
        C = (Q * lam) @ Q.T
        proj.update_low_rank(U, C)
        W = W + U @ C @ U.T
    assert proj.n_updates == len(ranks)
    np.testing.assert_allclose(proj.W, (W + W.T) / 2, atol=1e-12 * np.abs(W).max())
    fresh = KroneckerProjection(A, W, form=form)
    assert np.abs(proj.gram - fresh.gram).max() <= 1e-10 * np.abs(fresh.gram).max()
    h = rng.standard_normal(n * n)
    assume(np.linalg.cond(fresh.gram) < 1e8)
    assert _rel(proj.query(h), _dense_query(A, W, form, h)) < 1e-8


@pytest.mark.parametrize("form", FORMS)
def test_update_takes_the_low_rank_path_for_small_changes(form):
    rng = np.random.default_rng(3)
    n, m = 8, 12
    A = rng.standard_normal((m, n, n))
    W = _random_psd(rng, n)
    proj = KroneckerProjection(A, W, form=form)
    u = rng.standard_normal((n, 1))
    proj.update(W + u @ u.T)  # rank 1 <= n/4: incremental
    assert proj.n_updates == 1
    h = rng.standard_normal(n * n)
    assert _rel(proj.query(h), _dense_query(A, W + u @ u.T, form, h)) < 1e-10
    W2 = _random_psd(rng, n)
    proj.update(W2)  # full rank change: recomputed
    assert proj.n_updates == 0
    assert _rel(proj.query(h), _dense_query(A, W2, form, h)) < 1e-10
    before = proj.gram.copy()
    proj.update(W2.copy())  # no change
    np.testing.assert_array_equal(proj.gram, before)
    np.testing.assert_allclose(proj.refresh().gram, KroneckerProjection(A, W2, form=form).gram, rtol=1e-13)


@pytest.mark.parametrize("form", FORMS)
def test_rank_deficient_b_gives_the_orthogonal_projector(form):
    rng = np.random.default_rng(4)
    n, m = 5, 8
    A = rng.standard_normal((m, n, n))
    A[-1] = A[0] + 2 * A[1]  # dependent rows of A, so B B^T is singular
    W = _random_psd(rng, n, rank=3)  # singular W too
    proj = KroneckerProjection(A, W, form=form)
    # W^1/2 of a singular W is ill-conditioned (rounding-level eigenvalues of W become sqrt(eps)-level ones), so
    # the reference uses the projection's own W^1/2
    B = _dense_B(A, W, form, S=np.array(proj.sqrt_w))
    s = sla.svdvals(B)
    r = int(np.sum(s > 1e-9 * s[0]))
    assert proj.rank == r < m
    h = rng.standard_normal(n * n)
    assert _rel(proj.query(h), np.linalg.pinv(B, rcond=1e-9) @ (B @ h)) < 1e-10


def test_inputs_are_not_modified_or_shared():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((4, 3, 3))
    W = _random_psd(rng, 3)
    A0, W0 = A.copy(), W.copy()
    proj = KroneckerProjection(A, W)
    h = rng.standard_normal(9)
    h0, out = h.copy(), proj.query(h)
    U, C = rng.standard_normal((3, 1)), np.eye(1)
    U0 = U.copy()
    proj.update_low_rank(U, C)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_array_equal(h, h0)
    np.testing.assert_array_equal(U, U0)
    A[:] = 0.0  # the caller's array changes afterwards: the projection keeps its own copy
    W[:] = 0.0
    fresh = KroneckerProjection(A0, W0 + U0 @ U0.T)
    np.testing.assert_allclose(proj.query(h), fresh.query(h), rtol=1e-10)
    with pytest.raises(ValueError):
        proj.W[0, 0] = 1.0  # read only
    assert out.shape == (9,)


def test_sparse_input_stays_sparse_and_matches_dense():
    rng = np.random.default_rng(6)
    n, m = 10, 15
    mats = [sp.random(n, n, density=0.1, random_state=int(s), format="csr") + sp.eye(n) * (i == 0)
            for i, s in enumerate(rng.integers(0, 2**31, m))]
    W = _random_psd(rng, n)
    sparse = KroneckerProjection(mats, W, form="w_i")
    dense = KroneckerProjection(np.stack([a.toarray() for a in mats]), W, form="w_i")
    assert sparse._A.sparse and sp.issparse(sparse._A.flat)
    h = rng.standard_normal(n * n)
    np.testing.assert_allclose(sparse.query(h), dense.query(h), rtol=1e-10, atol=1e-12)
    U = rng.standard_normal((n, 2))
    sparse.update_low_rank(U, np.eye(2))
    dense.update_low_rank(U, np.eye(2))
    np.testing.assert_allclose(sparse.gram, dense.gram, rtol=1e-11)


def test_symmetric_constraints_take_the_symmetric_shortcut():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((6, 5, 5))
    A = A + A.transpose(0, 2, 1)
    W = _random_psd(rng, 5)
    proj = KroneckerProjection(A, W)
    assert proj._A.symmetric
    U = rng.standard_normal((5, 2))
    proj.update_low_rank(U, np.diag([1.0, 0.5]))
    fresh = KroneckerProjection(A, W + U @ np.diag([1.0, 0.5]) @ U.T)
    np.testing.assert_allclose(proj.gram, fresh.gram, rtol=1e-11)


# ----------------------------------------------------------------------------- sketches


@pytest.mark.parametrize("kind", ["gaussian", "sparse_sign"])
@pytest.mark.parametrize("form", FORMS)
def test_sketches_are_r_times_the_exact_output(kind, form):
    rng = np.random.default_rng(8)
    n, m = 5, 7
    A = rng.standard_normal((m, n, n))
    W = _random_psd(rng, n)
    proj = KroneckerProjection(A, W, form=form, sketch=kind, sketch_size=16, n_sketches=3, rng=1)
    h = rng.standard_normal((n * n, 2))
    R = proj._R.toarray() if sp.issparse(proj._R) else proj._R
    assert R.shape == (48, n * n)
    np.testing.assert_allclose(proj.query_sketch(h), (R @ proj.query(h)).reshape(3, 16, 2), atol=1e-10)
    U = rng.standard_normal((n, 1))
    proj.update_low_rank(U, np.eye(1))  # the sketch of B^T follows the update (in place for "w_i")
    np.testing.assert_allclose(proj.query_sketch(h[:, 0]), (R @ proj.query(h[:, 0])).reshape(3, 16), atol=1e-10)


@pytest.mark.parametrize("kind", ["gaussian", "sparse_sign"])
def test_median_coordinates_meet_the_accuracy_bound(kind):
    rng = np.random.default_rng(9)
    n, m = 6, 10
    A = rng.standard_normal((m, n, n))
    W = _random_psd(rng, n)
    eps, delta = 0.5, 0.05
    proj = KroneckerProjection(A, W, sketch=kind, eps=eps, delta=delta, rng=2)
    assert (proj.sketch_size, proj.n_sketches) == sketch_sizes(eps, delta) == (24, 55)
    h = rng.standard_normal(n * n)
    x = proj.query(h)
    idx = np.arange(n * n)
    est = proj.query_coordinates(h, idx)
    assert np.max(np.abs(est - x)) <= eps * np.linalg.norm(x)
    block = proj.query_coordinates(np.stack([h, 2 * h], axis=1), idx[:5])
    np.testing.assert_allclose(block[:, 1], 2 * block[:, 0], rtol=1e-10)


# ----------------------------------------------------------------------------- bad input


def _proj(**kw):
    rng = np.random.default_rng(0)
    return KroneckerProjection(rng.standard_normal((3, 3, 3)), np.eye(3), **kw)


@pytest.mark.parametrize("call,exc,name", [
    (lambda: KroneckerProjection(None, np.eye(3)), TypeError, "A_mats"),
    (lambda: KroneckerProjection([], np.eye(3)), ValueError, "A_mats"),
    (lambda: KroneckerProjection([np.eye(3), np.eye(2)], np.eye(3)), ValueError, r"A_mats\[1\]"),
    (lambda: KroneckerProjection(np.ones((2, 3, 4)), np.eye(3)), ValueError, "A_mats"),
    (lambda: KroneckerProjection(np.ones((2, 8)), np.eye(3)), ValueError, "A_mats"),
    (lambda: KroneckerProjection(np.full((2, 3, 3), np.nan), np.eye(3)), ValueError, "A_mats"),
    (lambda: KroneckerProjection([sp.csr_matrix(np.full((3, 3), np.inf))], np.eye(3)), ValueError, r"A_mats\[0\]"),
    (lambda: KroneckerProjection(np.ones((2, 3, 3)), np.eye(4)), ValueError, "W"),
    (lambda: KroneckerProjection(np.ones((2, 3, 3)), -np.eye(3)), ValueError, "W"),
    (lambda: KroneckerProjection(np.ones((2, 3, 3)), np.triu(np.ones((3, 3)))), ValueError, "W"),
    (lambda: KroneckerProjection(np.ones((2, 3, 3)), np.full((3, 3), np.nan)), ValueError, "W"),
    (lambda: KroneckerProjection(np.ones((2, 3, 3)), sp.eye(3)), TypeError, "W"),
    (lambda: _proj(form="w"), ValueError, "form"),
    (lambda: _proj(sketch="hadamard"), ValueError, "sketch"),
    (lambda: _proj(sketch="gaussian", eps=0), ValueError, "eps"),
    (lambda: _proj(sketch="gaussian", delta=1.5), ValueError, "delta"),
    (lambda: _proj(sketch="gaussian", sketch_size=0), ValueError, "sketch_size"),
    (lambda: _proj(rtol=2.0), ValueError, "rtol"),
    (lambda: _proj().update_low_rank(np.ones((3, 0)), np.ones((0, 0))), ValueError, "U"),
    (lambda: _proj().update_low_rank(np.ones((3, 4)), np.eye(4)), ValueError, "U"),
    (lambda: _proj().update_low_rank(np.ones((2, 1)), np.eye(1)), ValueError, "U"),
    (lambda: _proj().update_low_rank(np.ones((3, 1)), np.eye(2)), ValueError, "C"),
    (lambda: _proj().update_low_rank(np.ones((3, 2)), np.array([[1.0, 2.0], [0.0, 1.0]])), ValueError, "C"),
    (lambda: _proj().update_low_rank(np.ones((3, 1)), -2 * np.eye(1)), ValueError, "C"),
    (lambda: _proj().update_low_rank(np.full((3, 1), np.nan), np.eye(1)), ValueError, "U"),
    (lambda: _proj().update(-np.eye(3)), ValueError, "W_new"),
    (lambda: _proj().update(np.eye(2)), ValueError, "W_new"),
    (lambda: _proj().query(np.ones(8)), ValueError, "h"),
    (lambda: _proj().query(np.full(9, np.inf)), ValueError, "h"),
    (lambda: _proj().query_coordinates(np.ones(9), [0]), ValueError, "sketch"),
    (lambda: _proj(sketch="gaussian").query_coordinates(np.ones(9), [9]), ValueError, "index"),
    (lambda: _proj(sketch="gaussian").query_sketch(np.ones(10)), ValueError, "h"),
])
def test_bad_input_names_the_argument(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}:"):
        call()


def test_check_symmetric_psd():
    W = check_symmetric_psd(np.array([[2.0, 1.0], [1.0, 2.0 + 1e-17]]), "W")
    assert np.array_equal(W, W.T)
    assert check_symmetric_psd(np.zeros((3, 3)), "W").shape == (3, 3)
    with pytest.raises(ValueError, match="^W: expected a square matrix"):
        check_symmetric_psd(np.ones((2, 3)), "W")
    with pytest.raises(ValueError, match=r"^W: expected shape \(4, 4\)"):
        check_symmetric_psd(np.eye(3), "W", size=4)


# ----------------------------------------------------------------------------- issue P0, item 2: singular W


def _exact_sqrt_on_range(X):
    """``(X X^T)^1/2`` built on an orthonormal basis of range(X): no rounding-level eigenvalues to take roots of."""
    Q = np.linalg.qr(X)[0]
    lam, V = np.linalg.eigh(Q.T @ (X @ X.T) @ Q)  # r x r, positive definite
    R = Q @ V
    return (R * np.sqrt(lam)) @ R.T


def test_issue_rank_one_w():
    # the reported case: W = x x^T, n = 6, m = 2; B = A (S kron S) has rank 1 (every S A_i S is a multiple of x x^T)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((6, 1))
        A = rng.standard_normal((2, 6, 6))
        W = x @ x.T
        for form in FORMS:
            proj = KroneckerProjection(A, W, form=form)
            S = _exact_sqrt_on_range(x)
            B = _dense_B(A, W, form, S=S)
            assert proj.rank == (1 if form == "sqrt_w" else 2)
            h = rng.standard_normal(36)
            assert np.linalg.norm(proj.query(h) - np.linalg.pinv(B, rcond=1e-8) @ (B @ h)) < 1e-10 * np.linalg.norm(h)
        assert np.abs(proj.sqrt_w - S).max() < 1e-12 * np.abs(S).max()


@settings(deadline=None, max_examples=40)
@given(n=st.integers(2, 7), rank_frac=st.floats(0.0, 1.0), m=st.integers(1, 14), form=st.sampled_from(FORMS),
       log_scale=st.floats(-3.0, 3.0), seed=st.integers(0, 2**32 - 1))
def test_singular_w_rank_and_query_match_a_dense_reference(n, rank_frac, m, form, log_scale, seed):
    rng = np.random.default_rng(seed)
    r = 1 + int(rank_frac * (n - 2))  # 1 <= r < n: W singular
    X = rng.standard_normal((n, r)) * 10.0**log_scale
    assume(np.linalg.cond(X) < 1e3)  # nonzero eigenvalues of W well above its rounding level
    W = X @ X.T
    A = rng.standard_normal((m, n, n)) * 10.0**-log_scale
    B = _dense_B(A, W, form, S=_exact_sqrt_on_range(X))  # np.kron of the exact factors
    s2 = sla.svdvals(B) ** 2 / sla.svdvals(B)[0] ** 2
    assume(not np.any((s2 > 1e-14) & (s2 < 1e-8)))  # a clear gap between the rank and the rounding level
    proj = KroneckerProjection(A, W, form=form)
    assert proj.rank == int(np.sum(s2 > 1e-11))
    H = rng.standard_normal((n * n, 2))
    P = np.linalg.pinv(B, rcond=1e-5) @ B  # the orthogonal projector onto the row space of B
    assert _rel(proj.query(H), P @ H) < 1e-9
    # the same after a low-rank update that keeps W singular (a change inside its range)
    c = rng.standard_normal((r, 1))
    proj.update_low_rank(X @ c, np.eye(1))
    X2 = X @ np.linalg.cholesky(np.eye(r) + c @ c.T)  # X2 X2^T = W + (X c)(X c)^T, same range as X
    B2 = _dense_B(A, X2 @ X2.T, form, S=_exact_sqrt_on_range(X2))
    s2 = sla.svdvals(B2) ** 2 / sla.svdvals(B2)[0] ** 2
    assume(not np.any((s2 > 1e-14) & (s2 < 1e-8)))
    assert proj.rank == int(np.sum(s2 > 1e-11))
    assert _rel(proj.query(H), np.linalg.pinv(B2, rcond=1e-5) @ (B2 @ H)) < 1e-9
