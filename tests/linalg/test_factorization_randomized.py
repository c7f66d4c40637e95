"""randomized_pinv: agreement with A^+, Nystrom/cross identities, inputs, operator algebra."""

import warnings

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from linalg_lab.factorization import (
    RandomizedPinv,
    penrose_residuals,
    pinv,
    randomized_pinv,
    sketch_matrix,
    sparse_sign_matrix,
)


def _low_rank(rng, m, n, r):
    return rng.standard_normal((m, r)) @ rng.standard_normal((r, n))


def _relerr(X, Y):
    return np.linalg.norm(X - Y) / np.linalg.norm(Y)


def _tsvd_pinv(A, r):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return (Vt[:r].T / s[:r]) @ U[:, :r].T


@pytest.fixture(scope="module")
def tall():
    rng = np.random.default_rng(0)
    return _low_rank(rng, 240, 180, 12)


@pytest.mark.parametrize("sketch", ["gaussian", "sparse_sign", "select"])
def test_agrees_with_truncated_svd_pinv(tall, sketch):
    op = randomized_pinv(tall, 20, sketch=sketch, rng=1)
    assert isinstance(op, LinearOperator) and op.shape == (180, 240)
    assert op.ranks == (12, 12, 12)
    assert op.rank_conditions_observed and op.saturated
    assert op.residual_estimate < 1e-12
    assert _relerr(op.toarray(), _tsvd_pinv(tall, 12)) < 1e-10


def test_operator_algebra_matches_dense(tall):
    op = randomized_pinv(tall, 16, l=20, rng=2)
    X = op.toarray()
    rng = np.random.default_rng(3)
    y, Y = rng.standard_normal(240), rng.standard_normal((240, 3))
    z, Z = rng.standard_normal(180), rng.standard_normal((180, 2))
    assert np.allclose(op @ y, X @ y) and np.allclose(op.matmat(Y), X @ Y)
    assert np.allclose(op.rmatvec(z), X.T @ z) and np.allclose(op.T @ Z, X.T @ Z)
    assert np.allclose(op.T.toarray(), X.T) and np.allclose(op.H @ z, X.T @ z)
    assert op.V.shape == (180, 12) and op.U.shape == (240, 12) and op.K.shape == (12, 12)
    # least-squares solution of A x = b through the factored operator
    b = tall @ rng.standard_normal(180)
    assert np.allclose(tall @ (op @ b), b)


def test_dense_sparse_and_operator_inputs_agree():
    rng = np.random.default_rng(4)
    S = sp.random(120, 90, density=0.02, random_state=5, format="csr")
    D = S.toarray()
    ref = pinv(D)
    r = np.linalg.matrix_rank(D)
    k = min(r + 10, 90)
    for A in (D, S, sp.csc_matrix(S), aslinearoperator(S)):
        for sketch in ("gaussian", "sparse_sign", "select"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                op = randomized_pinv(A, 90, sketch=sketch, rng=rng)
            assert bool(caught) == (not op.rank_conditions_observed)
            if sketch != "select":  # a full-width random sketch always sees all of A
                assert op.rank_conditions_observed, (type(A), sketch)
            if op.rank_conditions_observed:
                assert _relerr(op.toarray(), ref) < 1e-9
    op = randomized_pinv(aslinearoperator(D), k, rng=0)
    assert op.ranks[0] == r


def test_square_sketches_give_pinv_of_generalized_nystrom():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((30, 25))  # full rank 25 > k: rank conditions fail
    k = 8
    P, Q = rng.standard_normal((30, k)), rng.standard_normal((25, k))
    with pytest.warns(RuntimeWarning, match="rank conditions .* were not observed"):
        op = randomized_pinv(A, sketch=(P, Q), rng=0)
    assert op.sketch == "explicit" and (op.k, op.l) == (k, k)
    assert not op.rank_conditions_observed
    AN = A @ Q @ np.linalg.inv(P.T @ A @ Q) @ P.T @ A
    assert _relerr(op.toarray(), pinv(AN)) < 1e-9
    # formula 3 written out literally
    lit = pinv(P.T @ A) @ (P.T @ A @ Q) @ pinv(A @ Q)
    assert _relerr(op.toarray(), lit) < 1e-9


def test_selection_gives_pinv_of_cross_approximation():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((20, 16))
    rows, cols = np.array([1, 4, 9, 13, 17]), np.array([0, 2, 3, 8, 15])
    with pytest.warns(RuntimeWarning, match="not A\\^\\+"):
        op = randomized_pinv(A, sketch=(rows, cols), rng=0)
    assert op.sketch == "select" and np.array_equal(op.rows, rows)
    cross = A[:, cols] @ np.linalg.inv(A[np.ix_(rows, cols)]) @ A[rows]
    assert _relerr(op.toarray(), pinv(cross)) < 1e-9
    assert not op.rank_conditions_observed


def test_selection_can_miss_the_rank_and_says_so():
    # rank 2 matrix whose second direction lives only in row 0 and column 0
    A = np.zeros((12, 10))
    A[1:, 1:] = 1.0
    A[0, 0] = 1.0
    with pytest.warns(RuntimeWarning, match="residual_estimate"):
        op = randomized_pinv(A, sketch=(np.arange(1, 6), np.arange(1, 6)), rng=0)
    assert op.ranks == (1, 1, 1) and op.saturated  # ranks agree and saturate ...
    assert not op.rank_conditions_observed  # ... but the probes see the missing part
    assert op.residual_estimate > 0.1
    op0 = randomized_pinv(A, sketch=(np.arange(1, 6), np.arange(1, 6)), n_probes=0)
    # no probes: ranks only, which a selection can fool (the documented limit of n_probes=0)
    assert op0.residual_estimate is None and op0.rank_conditions_observed
    # the random selection of the adaptive mode grows until the probes see all of A
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ad = randomized_pinv(A, sketch="select", rng=0)
    assert ad.rank_conditions_observed and _relerr(ad.toarray(), np.linalg.pinv(A)) < 1e-12


def test_too_small_sketch_is_flagged(tall):
    with pytest.warns(RuntimeWarning, match="k or l is probably below rank"):
        op = randomized_pinv(tall, 8, rng=0)
    assert op.ranks == (8, 8, 8) and not op.saturated and op.draws == 1  # no use drawing again
    assert not op.rank_conditions_observed and op.residual_estimate > 1e-3


def test_adaptive_k_from_tolerance():
    rng = np.random.default_rng(8)
    A = _low_rank(rng, 200, 150, 40)
    op = randomized_pinv(A, rng=1)
    assert op.k == 64 and op.ranks == (40, 40, 40) and op.rank_conditions_observed
    assert _relerr(op.toarray(), _tsvd_pinv(A, 40)) < 1e-10
    # decaying spectrum: a looser tolerance stops earlier, at a smaller rank
    U = sla.qr(rng.standard_normal((200, 150)), mode="economic")[0]
    V = sla.qr(rng.standard_normal((150, 150)), mode="economic")[0]
    B = (U * 10.0 ** -np.arange(150.0)) @ V.T
    loose = randomized_pinv(B, rtol=10**-6.5, rng=2)  # cutoff between sigma_7 and sigma_8
    assert loose.k == 16 and loose.ranks[0] == 7
    with pytest.warns(RuntimeWarning, match="max_k = 8"):
        assert randomized_pinv(B, max_k=8, rng=2).k == 8


def test_reproducible_with_seed(tall):
    a = randomized_pinv(tall, 15, rng=42).toarray()
    b = randomized_pinv(tall, 15, rng=np.random.default_rng(42)).toarray()
    assert np.array_equal(a, b)


def test_penrose_on_wide_full_rank():
    rng = np.random.default_rng(9)
    A = rng.standard_normal((5, 40))
    op = randomized_pinv(A, 5, rng=0)
    assert op.rank_conditions_observed
    assert max(penrose_residuals(A, op)) < 1e-10


def test_sketch_matrix_kinds():
    G = sketch_matrix(50, 6, rng=0)
    assert G.shape == (50, 6) and isinstance(G, np.ndarray)
    S = sketch_matrix(50, 6, "sparse_sign", rng=0, zeta=3)
    assert sp.issparse(S) and S.format == "csc" and S.nnz == 150
    assert np.all((S.toarray() != 0).sum(axis=1) == 3)  # zeta nonzeros per row, +-1/sqrt(zeta) (unit rows)
    assert np.allclose(np.abs(S.data), 1 / np.sqrt(3)) and np.allclose(np.linalg.norm(S.toarray(), axis=1), 1.0)
    E = sketch_matrix(50, 6, "select", rng=0)
    assert np.all(E.sum(axis=0) == 1) and E.sum() == 6


def test_bad_arguments_name_the_argument(tall):
    with pytest.raises(ValueError, match="^k: expected an integer >= 1 and <= min\\(m, n\\) = 180, got 181"):
        randomized_pinv(tall, 181)
    with pytest.raises(ValueError, match="^l: expected an integer >= 1"):
        randomized_pinv(tall, 10, l=0)
    with pytest.raises(TypeError, match="^k: expected an integer, got float 2.5"):
        randomized_pinv(tall, 2.5)
    with pytest.raises(ValueError, match="^sketch: expected one of 'gaussian'"):
        randomized_pinv(tall, 10, sketch="fourier")
    with pytest.raises(ValueError, match="^sketch\\[0\\] \\(P\\): expected 240 rows"):
        randomized_pinv(tall, sketch=(np.ones((10, 3)), np.ones((180, 3))))
    with pytest.raises(ValueError, match="^k: expected None or 3 \\(the columns of the explicit sketch\\), got 4"):
        randomized_pinv(tall, 4, sketch=(np.ones((240, 3)), np.ones((180, 3))))
    with pytest.raises(ValueError, match="^l: expected None when k is None"):
        randomized_pinv(tall, l=5)
    with pytest.raises(TypeError, match="^rng: expected None, an integer seed"):
        randomized_pinv(tall, 5, rng="seed")
    bad = sp.csr_matrix(np.array([[1.0, np.inf], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="^A: contains NaN or inf"):
        randomized_pinv(bad, 1)
    nan_op = LinearOperator((4, 3), matvec=lambda x: np.full(4, np.nan),
                            rmatvec=lambda y: np.full(3, np.nan), dtype=float)
    with pytest.raises(ValueError, match="^A: contains NaN or inf \\(found in the sketch"):
        randomized_pinv(nan_op, 2)
    no_adjoint = LinearOperator((4, 3), matvec=lambda x: np.ones(4) * x.sum(), dtype=float)
    with pytest.raises(TypeError, match="^A: expected a LinearOperator with rmatvec"):
        randomized_pinv(no_adjoint, 2)


def test_repr_and_class(tall):
    op = randomized_pinv(tall, 14, rng=0)
    assert isinstance(op, RandomizedPinv) and op.rank == 12
    assert "rank_conditions_observed=True" in repr(op)


@pytest.mark.slow
def test_issue_target_4000x3000_rank50():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((4000, 50)), rng.standard_normal((3000, 50))
    A = X @ Y.T
    op = randomized_pinv(A, 60, rng=1)
    assert op.ranks == (50, 50, 50) and op.rank_conditions_observed
    # reference: exact SVD of the rank-50 product from its factors
    Qx, Rx = np.linalg.qr(X)
    Qy, Ry = np.linalg.qr(Y)
    u, s, vt = np.linalg.svd(Rx @ Ry.T)
    ref = ((Qy @ vt.T) / s) @ (Qx @ u).T
    assert _relerr(op.toarray(), ref) < 1e-10


# ----------------------------------------------------------------------------- issue P0, item 3: no silent wrong result


def _call_recording(*args, **kwargs):
    """``(op, warned)``: the operator and whether randomized_pinv warned that its conditions failed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        op = randomized_pinv(*args, **kwargs)
    return op, any(issubclass(w.category, RuntimeWarning) and "randomized_pinv" in str(w.message) for w in caught)


def _test_matrix(rng, m, n, r, structured):
    """Rank ``r`` with singular values in [1, 2]; ``structured``: a scaled partial permutation (0/1 pattern),
    where +-1 and selection sketches lose rank with high probability."""
    if structured:
        A = np.zeros((m, n))
        A[rng.choice(m, r, replace=False), rng.choice(n, r, replace=False)] = rng.uniform(1.0, 2.0, r)
        return A
    U = np.linalg.qr(rng.standard_normal((m, r)))[0]
    V = np.linalg.qr(rng.standard_normal((n, r)))[0]
    return (U * rng.uniform(1.0, 2.0, r)) @ V.T


def test_issue_sparse_sign_with_k_equal_to_the_rank():
    # the reported case: 20 x 4 of full rank, k = l = 4, and the adaptive default on a 5 x 4 matrix
    A = np.random.default_rng(0).standard_normal((20, 4))
    B = np.random.default_rng(1).standard_normal((5, 4))
    for seed in range(20):
        for sketch in ("sparse_sign", "gaussian", "select"):
            op, warned = _call_recording(A, 4, sketch=sketch, rng=seed)
            assert not warned and op.rank_conditions_observed
            assert _relerr(op.toarray(), np.linalg.pinv(A)) < 1e-12
            op, warned = _call_recording(B, sketch=sketch, rng=seed)
            assert not warned and _relerr(op.toarray(), np.linalg.pinv(B)) < 1e-12


def test_sketches_that_lost_rank_are_drawn_again():
    # a 4 x 4 identity block in a 40 x 30 zero matrix: P^T A is a 4 x 4 matrix of random signs (k = 4 < m),
    # singular about half of the time
    A = np.zeros((40, 30))
    A[:4, :4] = np.eye(4)
    redrawn = 0
    for seed in range(20):
        op, warned = _call_recording(A, 4, sketch="sparse_sign", rng=seed)
        assert warned == (not op.rank_conditions_observed)
        redrawn += op.draws > 1
        if not warned:
            assert _relerr(op.toarray(), np.linalg.pinv(A)) < 1e-12
    assert redrawn >= 5
    # one draw only: some seeds fail, and each failure warns
    failures = 0
    for seed in range(20):
        op, warned = _call_recording(A, 4, sketch="sparse_sign", rng=seed, max_draws=1)
        assert warned == (not op.rank_conditions_observed)
        failures += warned
    assert failures >= 5


SHAPES = [(20, 4), (4, 20), (5, 4), (4, 5), (30, 20), (20, 30), (12, 12), (1, 6), (6, 1), (2, 2)]


@settings(deadline=None, max_examples=60)
@given(shape=st.sampled_from(SHAPES), sketch=st.sampled_from(["gaussian", "sparse_sign", "select"]),
       structured=st.booleans(), rank_frac=st.floats(0.0, 1.0), k_mode=st.sampled_from(["adaptive", "rank", "any"]),
       zeta=st.integers(1, 8), seed=st.integers(0, 2**31 - 1))
def test_result_is_the_pseudoinverse_unless_it_warns(shape, sketch, structured, rank_frac, k_mode, zeta, seed):
    m, n = shape
    rng = np.random.default_rng(seed)
    r = 1 + int(rank_frac * (min(m, n) - 1))
    A = _test_matrix(rng, m, n, r, structured)
    if k_mode == "adaptive":
        k = None
    elif k_mode == "rank":
        k = r
    else:
        k = int(rng.integers(1, min(m, n) + 1))
    op, warned = _call_recording(A, k, sketch=sketch, zeta=zeta, rng=seed)
    assert warned == (not op.rank_conditions_observed)
    if not warned:
        assert _relerr(op.toarray(), np.linalg.pinv(A, rcond=1e-10)) < 1e-10
    if k is not None and k < r:
        assert warned  # a sketch smaller than the rank can never give A^+
    if k is None and sketch == "gaussian":
        assert not warned  # the adaptive mode reaches min(m, n), where a side is the identity


# ----------------------------------------------------------------------------- the one sparse sign builder
@settings(deadline=None, max_examples=40)
@given(d=st.integers(1, 40), n=st.integers(1, 30), zeta=st.integers(1, 12), copies=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_sparse_sign_columns_are_exactly_sparse_and_unit(d, n, zeta, copies, seed):
    S = sparse_sign_matrix(d, n, zeta=zeta, rng=seed, n_sketches=copies)
    z = min(zeta, d)
    assert S.shape == (copies * d, n) and S.nnz == copies * n * z
    D = S.toarray()
    for c in range(copies):  # every column of every sketch: exactly z nonzeros, in distinct rows, +-1/sqrt(z)
        block = D[c * d:(c + 1) * d]
        assert np.all((block != 0).sum(axis=0) == z)
        assert np.allclose(np.abs(block[block != 0]), 1 / np.sqrt(z))
    assert np.allclose(np.linalg.norm(D, axis=0), np.sqrt(copies))
    again = sparse_sign_matrix(d, n, zeta=zeta, rng=seed, n_sketches=copies).toarray()
    assert np.array_equal(D, again)  # the same seed, the same sketch


def test_sparse_sign_is_an_isometry_in_expectation():
    # E[S^T S] = I: the mean of S^T S over T independent draws, against the standard error of its entries
    d, n, zeta, T = 12, 9, 3, 4000
    mean = np.zeros((n, n))
    rng = np.random.default_rng(0)
    for _ in range(T):
        S = sparse_sign_matrix(d, n, zeta=zeta, rng=rng).toarray()
        mean += S.T @ S
    mean /= T
    assert np.allclose(np.diag(mean), 1.0)  # exactly 1 per draw (unit columns)
    off = mean[~np.eye(n, dtype=bool)]
    # an off-diagonal entry of one draw has mean 0 and variance (rows shared) / z^2 <= 1 / z
    assert np.max(np.abs(off)) < 5 * np.sqrt(1.0 / zeta / T)
    # E ||S x||^2 = ||x||^2 for a fixed x
    x = np.arange(1.0, n + 1)
    norms = [np.linalg.norm(sparse_sign_matrix(d, n, zeta=zeta, rng=rng) @ x) ** 2 for _ in range(T)]
    assert abs(np.mean(norms) / (x @ x) - 1) < 5 * np.std(norms) / np.sqrt(T) / (x @ x)


def test_sparse_sign_rows_are_spread_over_the_blocks():
    # block construction: the z rows of a column lie one in each of z contiguous blocks, each row reachable
    d, n, zeta = 10, 2000, 3
    S = sparse_sign_matrix(d, n, zeta=zeta, rng=1)
    starts = (np.arange(zeta + 1) * d) // zeta
    rows = S.indices.reshape(n, zeta)  # CSC: the rows of each column, sorted
    rows = np.sort(rows, axis=1)
    for b in range(zeta):
        assert np.all((rows[:, b] >= starts[b]) & (rows[:, b] < starts[b + 1]))
    counts = np.bincount(S.indices, minlength=d)
    assert np.all(counts > 0)
    signs = np.sign(S.data)
    assert abs(signs.mean()) < 5 / np.sqrt(signs.size)


def test_sparse_sign_is_the_builder_behind_both_families():
    from linalg_lab.projection.sketch import sketch_matrices

    R = sketch_matrices("sparse_sign", 6, 4, 15, np.random.default_rng(3), zeta=2)
    ref = sparse_sign_matrix(6, 15, zeta=2, rng=np.random.default_rng(3), n_sketches=4)
    assert np.array_equal(R.toarray(), ref.toarray())
    P = sketch_matrix(15, 6, "sparse_sign", rng=np.random.default_rng(3), zeta=2)
    assert np.array_equal(P.toarray(), sparse_sign_matrix(6, 15, zeta=2, rng=np.random.default_rng(3)).toarray().T)


@pytest.mark.parametrize(("kwargs", "exc", "name"), [
    ({"d": 0, "n": 3}, ValueError, "d"), ({"d": 3, "n": 2.0}, TypeError, "n"),
    ({"d": 3, "n": 3, "zeta": 0}, ValueError, "zeta"), ({"d": 3, "n": 3, "n_sketches": 0}, ValueError, "n_sketches"),
    ({"d": 3, "n": 3, "rng": -1}, ValueError, "rng"),
])
def test_sparse_sign_bad_arguments_name_the_argument(kwargs, exc, name):
    with pytest.raises(exc, match=f"^{name}: "):
        sparse_sign_matrix(**kwargs)


def test_rng_and_rtol_are_keyword_only_with_a_deprecated_positional_form():
    import inspect

    params = inspect.signature(randomized_pinv).parameters
    assert params["rng"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["rtol"].kind is inspect.Parameter.KEYWORD_ONLY
    A = np.random.default_rng(4).standard_normal((30, 3)) @ np.random.default_rng(5).standard_normal((3, 20))
    ref = randomized_pinv(A, 6, None, "sparse_sign", rng=7, rtol=1e-10).toarray()
    with pytest.warns(DeprecationWarning, match="randomized_pinv: pass rng, rtol by keyword"):
        old = randomized_pinv(A, 6, None, "sparse_sign", 7, 1e-10)
    assert np.array_equal(old.toarray(), ref)  # the same call, the same result
    with pytest.warns(DeprecationWarning, match="pass rng by keyword"):
        assert np.array_equal(randomized_pinv(A, 6, None, "sparse_sign", 7, rtol=1e-10).toarray(), ref)
    with pytest.raises(TypeError, match="multiple values for argument 'rng'"):
        randomized_pinv(A, 6, None, "gaussian", 7, rng=7)
    with pytest.raises(TypeError, match="at most 6 positional arguments"):
        randomized_pinv(A, 6, None, "gaussian", 7, 1e-10, 4)
