"""TruncatedSVDState: every update against the dense rank-k SVD of the updated matrix and against Zha-Simon."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.svd_update import TruncatedSVDState

TOL = 1e-10
KINDS = ("rows", "columns", "lowrank")


def _rank_k(X, k):
    """Dense reference: the top-k singular values and the rank-k part of X."""
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    s_next = s[k] if s.size > k else 0.0
    return s[:k], (U[:, :k] * s[:k]) @ Vt[:k], s_next


def _sparse(rng, shape, density, fmt="csr"):
    return sp.random(*shape, density=density, format=fmt, rng=rng)


def _apply(state, kind, rng, s, density, fmt="csr"):
    """Apply one update of the given kind; return the dense updated rank-k matrix it targets."""
    Ak = state.toarray()
    m, n = state.shape
    if kind == "rows":
        E = _sparse(rng, (s, n), density, fmt)
        state.add_rows(E)
        return np.vstack([Ak, E.toarray()])
    if kind == "columns":
        E = _sparse(rng, (m, s), density, fmt)
        state.add_columns(E)
        return np.hstack([Ak, E.toarray()])
    D, E = _sparse(rng, (m, s), density, fmt), _sparse(rng, (n, s), density, fmt)
    state.update(D, E)
    return Ak + (D @ E.T).toarray()


def _check_against(state, X, k):
    s_ref, Ak_ref, s_next = _rank_k(X, k)
    scale = max(s_ref[0], 1e-300)
    assert np.abs(state.s - s_ref).max() <= TOL * scale
    assert np.linalg.norm(state.toarray() - Ak_ref) <= TOL * scale * np.sqrt(k)
    for F in (state.U, state.V):
        assert np.abs(F.T @ F - np.eye(k)).max() <= 1e-12


def _gap_ok(X, k):
    s = np.linalg.svd(X, compute_uv=False)
    nxt = s[k] if s.size > k else 0.0
    return s[k - 1] - nxt > 1e-6 * s[0]


@settings(deadline=None, max_examples=30)
@given(m=st.integers(8, 40), n=st.integers(8, 40), k=st.integers(1, 6), s=st.integers(1, 25),
       density=st.floats(0.05, 0.6), kind=st.sampled_from(KINDS), method=st.sampled_from(["sparse", "zha-simon"]),
       seed=st.integers(0, 2**32 - 1))
def test_update_is_exact_rank_k_svd(m, n, k, s, density, kind, method, seed):
    assume(k <= min(m, n))
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    state = TruncatedSVDState.from_matrix(A, k, method=method)
    X = _apply(state, kind, rng, s, density)
    assume(_gap_ok(X, k))
    _check_against(state, X, k)


@settings(deadline=None, max_examples=20)
@given(m=st.integers(10, 50), n=st.integers(10, 50), k=st.integers(1, 5), seed=st.integers(0, 2**32 - 1),
       kinds=st.lists(st.sampled_from(KINDS), min_size=2, max_size=5), density=st.floats(0.02, 0.5))
def test_sparse_method_equals_zha_simon_over_a_sequence(m, n, k, seed, kinds, density):
    assume(k <= min(m, n))
    A = _sparse(np.random.default_rng(seed), (m, n), 0.3)
    ours = TruncatedSVDState.from_matrix(A, k, method="sparse")
    ref = ours.copy()
    ref.method = "zha-simon"
    r1, r2 = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    for kind in kinds:
        size = int(r1.integers(1, 12))
        r2.integers(1, 12)
        X = _apply(ours, kind, r1, size, density)
        _apply(ref, kind, r2, size, density)
    assume(_gap_ok(X, k))
    scale = ref.s[0]
    assert np.abs(ours.s - ref.s).max() <= TOL * scale
    assert np.linalg.norm(ours.toarray() - ref.toarray()) <= TOL * scale * np.sqrt(k)


@settings(deadline=None, max_examples=12)
@given(m=st.integers(10, 40), n=st.integers(60, 120), k=st.integers(1, 4), s=st.integers(50, 90),
       kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32 - 1))
def test_large_batches_are_exact(m, n, k, s, kind, seed):
    # k + s > 48: the core SVD goes through eigh of its Gram matrix (when well conditioned)
    rng = np.random.default_rng(seed)
    state = TruncatedSVDState.from_matrix(rng.standard_normal((m, n)), k)
    X = _apply(state, kind, rng, s, 0.1)
    assume(_gap_ok(X, k))
    _check_against(state, X, k)


def test_large_batch_takes_the_gram_route_and_stays_exact():
    # s = 80 rows with k = 3: the core is (3 + 80) x (3 + r), solved through eigh of its Gram matrix
    rng = np.random.default_rng(3)
    A = rng.standard_normal((60, 200))
    state = TruncatedSVDState.from_matrix(A, 3)
    E = _sparse(rng, (80, 200), 0.05)
    Ak = state.toarray()
    state.add_rows(E)
    _check_against(state, np.vstack([Ak, E.toarray()]), 3)


@pytest.mark.parametrize("method", ["gkl", "rpi"])
def test_approximate_methods_exact_when_the_complement_has_rank_at_most_l(method):
    rng = np.random.default_rng(5)
    A = rng.standard_normal((30, 50))
    state = TruncatedSVDState.from_matrix(A, 4, method=method, l=5, rng=0)
    base = _sparse(rng, (3, 50), 0.3).toarray()
    E = sp.csr_array(base[rng.integers(0, 3, 20)] * rng.uniform(0.5, 2, (20, 1)))  # 20 rows of rank 3
    Ak = state.toarray()
    state.add_rows(E)
    _check_against(state, np.vstack([Ak, E.toarray()]), 4)


@settings(deadline=None, max_examples=20)
@given(m=st.integers(10, 40), n=st.integers(30, 60), k=st.integers(1, 5), s=st.integers(12, 30),
       l=st.integers(1, 8), method=st.sampled_from(["gkl", "rpi"]), kind=st.sampled_from(KINDS),
       seed=st.integers(0, 2**32 - 1))
def test_approximate_methods_give_an_svd_below_the_exact_one(m, n, k, s, l, method, kind, seed):
    # GKL / RPI keep the exact SVD of the update projected on l complement directions:
    # orthonormal factors, and singular values interlacing below the exact ones
    assume(k <= min(m, n))
    rng = np.random.default_rng(seed)
    state = TruncatedSVDState.from_matrix(rng.standard_normal((m, n)), k, method=method, l=l, rng=seed)
    X = _apply(state, kind, rng, s, 0.3)
    s_ref, _, _ = _rank_k(X, k)
    if kind != "lowrank":  # a projected sum A_k + D E^T need not be smaller
        assert np.all(state.s <= s_ref * (1 + 1e-10) + 1e-12)
    for F in (state.U, state.V):
        assert np.abs(F.T @ F - np.eye(k)).max() <= 1e-10
    # the state is a rank-k SVD of a matrix; its values are its singular values
    assert np.allclose(np.linalg.svd(state.toarray(), compute_uv=False)[:k], state.s, rtol=1e-10, atol=1e-12)


def test_rpi_is_reproducible_with_rng():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 40))
    E = _sparse(rng, (25, 40), 0.3)
    out = []
    for _ in range(2):
        st_ = TruncatedSVDState.from_matrix(A, 3, method="rpi", l=4, rng=11)
        st_.add_rows(E)
        out.append(st_.toarray())
    np.testing.assert_array_equal(out[0], out[1])


def test_rank_deficient_updates():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((20, 15))
    for method in ("sparse", "zha-simon", "gkl", "rpi"):
        state = TruncatedSVDState.from_matrix(A, 4, method=method, l=3, rng=0)
        Ak = state.toarray()
        # rows inside the current row space, a repeated row and a zero row
        E = np.vstack([Ak[:3] * 2.0, Ak[:1], np.zeros((1, 15)), rng.standard_normal((1, 15))])
        E = np.vstack([E, E[-1:]])
        state.add_rows(sp.csr_array(E))
        _check_against(state, np.vstack([Ak, E]), 4)
    state = TruncatedSVDState.from_matrix(A, 4)
    s0 = state.s
    state.add_rows(sp.csr_array((3, 15)))  # an all-zero update changes nothing but the shape
    assert state.shape == (23, 15) and np.allclose(state.s, s0, rtol=1e-14)
    assert np.abs(state.U[20:]).max() == 0


def test_initial_rank_below_k():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((12, 2)) @ rng.standard_normal((2, 10))  # rank 2, k = 4
    for method in ("sparse", "zha-simon"):
        state = TruncatedSVDState.from_matrix(A, 4, method=method)
        E = rng.standard_normal((3, 10))
        Ak = state.toarray()
        state.add_rows(E)
        _check_against(state, np.vstack([Ak, E]), 4)


def test_ill_conditioned_k_triggers_reorthogonalisation():
    rng = np.random.default_rng(4)
    A = _sparse(rng, (60, 40), 0.2)
    ours = TruncatedSVDState.from_matrix(A, 5, max_cond=1.05)
    ref = TruncatedSVDState.from_matrix(A, 5, method="zha-simon")
    for _ in range(6):
        E = _sparse(rng, (8, 40), 0.3) * 3.0  # strong new rows rotate the singular vectors
        ours.add_rows(E)
        ref.add_rows(E)
    assert ours.n_reorthogonalizations > 0
    assert max(ours.cond_K) <= 1.05
    assert np.abs(ours.s - ref.s).max() <= TOL * ref.s[0]
    assert np.linalg.norm(ours.toarray() - ref.toarray()) <= TOL * ref.s[0]


def test_reorthogonalize_keeps_the_matrix():
    rng = np.random.default_rng(6)
    state = TruncatedSVDState.from_matrix(_sparse(rng, (50, 30), 0.2), 4)
    for _ in range(3):
        state.add_rows(_sparse(rng, (5, 30), 0.3))
    before, s_before = state.toarray(), state.s
    state.reorthogonalize()
    assert state.cond_K[0] == pytest.approx(1.0) and state.cond_K[1] == pytest.approx(1.0)
    assert np.allclose(state.toarray(), before, atol=1e-13) and np.allclose(state.s, s_before, rtol=1e-13)


def test_reconstruct_rows_and_columns():
    rng = np.random.default_rng(7)
    state = TruncatedSVDState.from_matrix(_sparse(rng, (40, 30), 0.2), 3)
    state.add_rows(_sparse(rng, (6, 30), 0.3))
    full = state.toarray()
    np.testing.assert_allclose(state.reconstruct(rows=[44, 0, 44]), full[[44, 0, 44]], atol=1e-14)
    np.testing.assert_allclose(state.reconstruct(rows=[1], columns=[29, 2]), full[[1]][:, [29, 2]], atol=1e-14)
    np.testing.assert_allclose(state.reconstruct(columns=[5]), full[:, [5]], atol=1e-14)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "array"])
def test_sparse_inputs_are_not_modified(fmt):
    rng = np.random.default_rng(8)
    A = _sparse(rng, (30, 20), 0.3)
    E = _sparse(rng, (5, 20), 0.3, "csr")
    D, F = _sparse(rng, (35, 2), 0.3), _sparse(rng, (20, 2), 0.3)
    if fmt == "array":
        A, E, D, F = (sp.csr_array(X) for X in (A, E, D, F))
    else:
        A, E, D, F = (X.asformat(fmt) for X in (A, E, D, F))
    copies = [X.copy() for X in (A, E, D, F)]
    state = TruncatedSVDState.from_matrix(A, 3)
    state.add_rows(E)
    state.update(D, F)
    state.add_columns(D)
    for X, Y in zip((A, E, D, F), copies):
        assert sp.issparse(X) and X.format == Y.format
        assert (X != Y).nnz == 0


def test_dense_inputs_are_not_modified_and_not_aliased():
    rng = np.random.default_rng(9)
    U = np.linalg.qr(rng.standard_normal((10, 3)))[0]
    V = np.linalg.qr(rng.standard_normal((8, 3)))[0]
    s = np.array([1.0, 3.0, 2.0])
    copies = (U.copy(), s.copy(), V.copy())
    state = TruncatedSVDState.from_factors(U, s, V)
    E = rng.standard_normal((2, 8))
    E_copy = E.copy()
    state.add_rows(E)
    state.update(rng.standard_normal((12, 1)), rng.standard_normal((8, 1)))
    for X, Y in zip((U, s, V, E), (*copies, E_copy)):
        np.testing.assert_array_equal(X, Y)
    U[:] = 0  # the state owns its memory
    assert np.abs(state.U).max() > 0


def test_sparse_update_never_forms_a_dense_n_by_s_block():
    rng = np.random.default_rng(10)
    m, n, s, k = 2000, 40_000, 200, 8
    A = _sparse(rng, (m, n), 2e-4)
    state = TruncatedSVDState.from_matrix(A, k, solver="svds", rng=0)
    E = _sparse(rng, (s, n), 5e-5)
    state.add_rows(E[:2])  # first-call allocations
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        state.add_rows(E)
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - max(before, after) < n * s * 8 / 20  # far below one dense n x s block (64 MB)


def test_many_small_batches_grow_u_and_v():
    rng = np.random.default_rng(11)
    A = _sparse(rng, (20, 15), 0.3)
    state = TruncatedSVDState.from_matrix(A, 3)
    ref = TruncatedSVDState.from_matrix(A, 3, method="zha-simon")
    for i in range(40):
        if i % 3:
            E = _sparse(rng, (1, state.shape[1]), 0.3)
            state.add_rows(E)
            ref.add_rows(E)
        else:
            E = _sparse(rng, (state.shape[0], 1), 0.3)
            state.add_columns(E)
            ref.add_columns(E)
    assert state.shape == ref.shape == (20 + 26, 15 + 14)
    assert np.linalg.norm(state.toarray() - ref.toarray()) <= TOL * ref.s[0]
    for F in (state.U, state.V):
        assert np.abs(F.T @ F - np.eye(3)).max() <= 1e-12


def test_benchmark_protocol_small():
    # the benchmark's protocol at a small size: half the rows first, the rest in batches
    rng = np.random.default_rng(12)
    A = sp.csr_array(_sparse(rng, (3000, 1500), 7e-4))
    ours = TruncatedSVDState.from_matrix(A[:1500], 8, solver="svds", rng=0)
    ref = ours.copy()
    for b in range(10):
        E = A[1500 + 150 * b: 1650 + 150 * b]
        ours.add_rows(E)
        ref.add_rows(E, method="zha-simon")
    assert np.abs(ours.s - ref.s).max() <= TOL * ref.s[0]
    assert np.linalg.norm(ours.toarray() - ref.toarray()) <= TOL * ref.s[0] * np.sqrt(8)


def test_from_matrix_solvers_agree():
    rng = np.random.default_rng(13)
    A = _sparse(rng, (80, 60), 0.2)
    a = TruncatedSVDState.from_matrix(A, 5, solver="svds", rng=0)
    b = TruncatedSVDState.from_matrix(A, 5, solver="dense")
    np.testing.assert_allclose(a.s, b.s, rtol=1e-10)
    np.testing.assert_allclose(a.toarray(), b.toarray(), atol=1e-10)
    c = TruncatedSVDState.from_matrix(A, 60)  # k = min(m, n): dense
    np.testing.assert_allclose(c.toarray(), A.toarray(), atol=1e-12)


# ----------------------------------------------------------------------------- issue P0, item 5: degenerate sparse


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_from_matrix_on_the_zero_sparse_matrix(fmt):
    # ARPACK cannot start on it ("starting vector is zero"); the dense zero matrix always worked
    for shape, k in (((30, 20), 3), ((20, 30), 1), ((6, 5), 4)):
        Z = sp.random(*shape, density=0.0, format=fmt)
        Z_explicit = sp.csr_matrix((np.zeros(3), ([0, 1, 2], [0, 1, 2])), shape=shape)  # stored zeros only
        for A in (Z, Z_explicit):
            for solver in ("auto", "svds", "dense"):
                if solver == "svds" and k >= min(shape):
                    continue
                state = TruncatedSVDState.from_matrix(A, k, solver=solver, rng=0)
                assert state.shape == shape and np.array_equal(state.s, np.zeros(k))
                for F in (state.U, state.V):
                    assert np.abs(F.T @ F - np.eye(k)).max() <= 1e-14
                assert np.abs(state.toarray()).max() == 0
                state.add_rows(sp.csr_matrix(np.ones((1, shape[1]))))  # and it can be updated
                _check_against(state, np.vstack([np.zeros(shape), np.ones((1, shape[1]))]), k)


@settings(deadline=None, max_examples=40)
@given(m=st.integers(1, 30), n=st.integers(1, 30), rank=st.integers(0, 8), k=st.integers(1, 8),
       zero_rows=st.floats(0.0, 0.6), zero_cols=st.floats(0.0, 0.6), solver=st.sampled_from(["auto", "svds", "dense"]),
       seed=st.integers(0, 2**32 - 1))
def test_from_matrix_on_degenerate_sparse_input(m, n, rank, k, zero_rows, zero_cols, solver, seed):
    # zero rows / columns, rank below k, 1 x n and m x 1: the state is the dense rank-k SVD
    assume(k <= min(m, n) and (solver != "svds" or k < min(m, n)))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, rank)) @ rng.standard_normal((rank, n))
    X[rng.random(m) < zero_rows] = 0.0
    X[:, rng.random(n) < zero_cols] = 0.0
    state = TruncatedSVDState.from_matrix(sp.csr_matrix(X), k, solver=solver, rng=seed)
    s_ref, Ak_ref, s_next = _rank_k(X, k)
    scale = max(s_ref[0], 1e-300)
    assert np.abs(state.s - s_ref).max() <= 1e-10 * scale
    for F in (state.U, state.V):
        assert np.abs(F.T @ F - np.eye(k)).max() <= 1e-12
    if s_ref[-1] - s_next > 1e-6 * scale:  # the rank-k part is unique
        assert np.linalg.norm(state.toarray() - Ak_ref) <= 1e-10 * scale * np.sqrt(k)
