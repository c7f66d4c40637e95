"""SVD, QR, UTV, CUR, Nystrom and CR as meta-factorizations, against numpy/scipy/sympy."""

import warnings

import numpy as np
import pytest
import scipy.linalg as sla
import sympy
from hypothesis import given
from hypothesis import strategies as st

from linalg_lab.factorization import (
    cr,
    cur,
    meta_factorize,
    numerical_rank,
    nystrom,
    pivoted_qr,
    truncated_svd,
    utv,
)


def _low_rank(rng, m, n, r, cond=10.0):
    U = sla.qr(rng.standard_normal((m, r)), mode="economic")[0]
    V = sla.qr(rng.standard_normal((n, r)), mode="economic")[0]
    s = np.geomspace(cond, 1.0, r) if r else np.zeros(0)
    return (U * s) @ V.T


@st.composite
def low_rank(draw, max_dim=9):
    m = draw(st.integers(1, max_dim))
    n = draw(st.integers(1, max_dim))
    r = draw(st.integers(1, min(m, n)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return _low_rank(rng, m, n, r), r


def _close(X, Y, rtol=1e-10):
    scale = max(1.0, float(np.abs(Y).max()) if Y.size else 1.0)
    return np.allclose(X, Y, atol=rtol * scale, rtol=0)


# ---------------------------------------------------------------- SVD


@given(low_rank())
def test_truncated_svd_numerical_rank_and_diagonal_core(data):
    A, r = data
    f = truncated_svd(A)
    assert f.s.size == r
    assert _close(f.s, sla.svdvals(A)[:r])
    assert _close(f.G, np.diag(f.s))
    assert f.meta.solvable and _close(f.toarray(), A)
    assert _close(f.U.T @ f.U, np.eye(r)) and _close(f.Vt @ f.Vt.T, np.eye(r))


def test_truncated_svd_eckart_young():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((12, 9))
    s = sla.svdvals(A)
    for k in (1, 4, 8):
        f = truncated_svd(A, k)
        assert np.isclose(np.linalg.norm(A - f.toarray(), 2), s[k])
        assert not f.meta.solvable  # the rank-k equation has no exact solution
        # the oblique projectors are the orthogonal ones U_k U_k^T, V_k V_k^T
        assert _close(f.meta.left_projector, f.U @ f.U.T)
        assert _close(f.meta.right_projector, f.Vt.T @ f.Vt)


def test_truncated_svd_rtol_lowers_rank():
    A = np.diag([1.0, 1e-3, 1e-9])
    assert truncated_svd(A).s.size == 3
    assert truncated_svd(A, rtol=1e-6).s.size == 2


# ---------------------------------------------------------------- QR


@given(low_rank())
def test_pivoted_qr_mixing_core_is_inverse_of_R11(data):
    A, r = data
    f = pivoted_qr(A)
    Q, R, perm = sla.qr(A, mode="economic", pivoting=True)
    assert f.rank == r
    assert np.array_equal(f.perm, perm)
    R11 = R[:r, :r]
    assert _close(f.G @ R11, np.eye(r), 1e-9)
    assert _close(f.toarray(), A, 1e-9)
    # interpolation matrix: identity on the pivot columns
    T = f.interpolation_matrix
    assert _close(T[:, perm[:r]], np.eye(r), 1e-9)
    assert _close(f.C @ T, A, 1e-9)


def test_pivoted_qr_truncation_equals_scipy_truncated_qr():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((10, 8))
    Q, R, perm = sla.qr(A, mode="economic", pivoting=True)
    k = 4
    f = pivoted_qr(A, k)
    Ak = np.empty_like(A)
    Ak[:, perm] = Q[:, :k] @ R[:k]
    assert _close(f.toarray(), Ak)
    assert _close(f.G, np.linalg.inv(R[:k, :k]))


# ---------------------------------------------------------------- UTV


@given(low_rank())
def test_utv_is_lower_triangular_and_orthonormal(data):
    A, r = data
    f = utv(A)
    assert f.T.shape == (r, r)
    assert _close(np.triu(f.G, 1), np.zeros((r, r)), 1e-9)  # meta core is triangular
    assert _close(f.U.T @ f.U, np.eye(r)) and _close(f.V.T @ f.V, np.eye(r))
    assert _close(f.U @ f.T @ f.V.T, A, 1e-9)


def test_utv_truncation_matches_pivoted_qr_error():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((9, 7))
    k = 3
    assert np.isclose(
        np.linalg.norm(A - utv(A, k).toarray()),
        np.linalg.norm(A - pivoted_qr(A, k).toarray()),
    )


# ---------------------------------------------------------------- CUR


@given(low_rank())
def test_cur_optimal_core(data):
    A, r = data
    f = cur(A)
    assert f.U.shape == (r, r)
    C, R = A[:, f.cols], A[f.rows, :]
    assert np.array_equal(f.C, C) and np.array_equal(f.R, R)
    ref = np.linalg.lstsq(C, A, rcond=None)[0]
    ref = np.linalg.lstsq(R.T, ref.T, rcond=None)[0].T  # C^+ A R^+
    assert _close(f.U, ref, 1e-8)
    assert _close(f.toarray(), A, 1e-9)


@given(low_rank())
def test_cur_cross_core_is_inverse_of_intersection(data):
    A, r = data
    f = cur(A, core="cross")
    Aij = A[np.ix_(f.rows, f.cols)]
    assert _close(f.U, np.linalg.inv(Aij), 1e-8)
    assert _close(f.toarray(), A, 1e-9)


def test_cur_optimal_beats_cross_and_cross_interpolates():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((15, 12))  # full rank: both are approximations
    rows, cols = [0, 3, 7, 9], [1, 2, 5, 11]
    opt = cur(A, rows=rows, cols=cols)
    cross = cur(A, rows=rows, cols=cols, core="cross")
    err = lambda f: np.linalg.norm(A - f.toarray())  # noqa: E731
    assert err(opt) <= err(cross) + 1e-12
    Ax = cross.toarray()  # skeleton approximation reproduces the chosen rows and columns
    assert np.allclose(Ax[rows], A[rows]) and np.allclose(Ax[:, cols], A[:, cols])
    # the cross core comes from meta_factorize with selection sketches
    S_I, S_J = np.eye(15)[:, rows], np.eye(12)[:, cols]
    mf = meta_factorize(A, A[:, cols], A[rows].T, B=S_I, D=S_J)
    assert np.allclose(mf.G, np.linalg.inv(A[np.ix_(rows, cols)]))


def test_cur_cross_warns_when_the_intersection_loses_rank():
    # rank 2: columns 0, 1 independent, but rows 0, 1 see them through one direction only
    A = np.array([[1.0, 1.0, 2.0], [2.0, 2.0, 4.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    with pytest.warns(RuntimeWarning, match="does not interpolate"):
        f = cur(A, rows=[0, 1], cols=[0, 1], core="cross")
    assert not f.meta.projectors_hold
    assert not np.allclose(f.toarray()[:, [0, 1]], A[:, [0, 1]])  # the stated interpolation indeed fails
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = cur(A, rows=[0, 2], cols=[0, 1], core="cross")
    assert g.meta.projectors_hold and np.allclose(g.toarray(), A)


def test_cur_rejects_bad_indices():
    A = np.ones((4, 3))
    with pytest.raises(ValueError, match="^rows: expected indices in"):
        cur(A, rows=[0, 4], cols=[0, 1])
    with pytest.raises(ValueError, match="^cols: expected distinct indices"):
        cur(A, rows=[0, 1], cols=[1, 1])
    with pytest.raises(ValueError, match="^core: expected one of 'optimal', 'cross', got 'best'"):
        cur(A, core="best")


# ---------------------------------------------------------------- Nystrom


def test_nystrom_matches_naive_formula_and_is_exact_on_low_rank():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((20, 14))
    f = nystrom(A, 5, rng=0)
    B, D = f.B, f.D
    assert B.shape == (20, 8) and D.shape == (14, 5)  # oversampling l = 1.5 k
    naive = A @ D @ np.linalg.pinv(B.T @ A @ D, rcond=1e-13) @ B.T @ A
    assert _close(f.toarray(), naive, 1e-9)
    assert _close(f.G, f.meta.G, 1e-9)  # QR route == meta-factorization route
    A4 = _low_rank(rng, 20, 14, 4)
    assert _close(nystrom(A4, 6, rng=1).toarray(), A4, 1e-10)


def test_nystrom_explicit_sketches_and_reproducibility():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((10, 8))
    B, D = rng.standard_normal((10, 4)), rng.standard_normal((8, 3))
    f = nystrom(A, None, B=B, D=D)
    assert f.G.shape == (3, 4)
    assert np.allclose(nystrom(A, 3, rng=5).toarray(), nystrom(A, 3, rng=5).toarray())
    with pytest.raises(ValueError, match="^k: expected an integer >= 1 and <= min"):
        nystrom(A, 9)
    with pytest.raises(ValueError, match="^D: expected 8 rows, got shape"):
        nystrom(A, 3, D=np.ones((7, 3)))


# ---------------------------------------------------------------- CR


@st.composite
def integer_low_rank(draw):
    m = draw(st.integers(1, 6))
    n = draw(st.integers(1, 6))
    r = draw(st.integers(0, min(m, n)))
    ent = st.integers(-3, 3)
    X = draw(st.lists(st.lists(ent, min_size=r, max_size=r), min_size=m, max_size=m))
    Y = draw(st.lists(st.lists(ent, min_size=n, max_size=n), min_size=r, max_size=r))
    X = np.array(X, dtype=np.int64).reshape(m, r)
    Y = np.array(Y, dtype=np.int64).reshape(r, n)
    return X @ Y


@given(integer_low_rank())
def test_cr_matches_sympy_rref(A):
    rref, pivots = sympy.Matrix(A.tolist()).rref()
    r = len(pivots)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # small integer matrices are not borderline
        f = cr(A)
    assert f.pivots.tolist() == list(pivots)
    assert np.array_equal(f.C, A[:, list(pivots)].astype(float))
    R_exact = np.array(rref[:r, :].tolist(), dtype=float).reshape(r, A.shape[1])
    assert np.allclose(f.R, R_exact, atol=1e-10)
    assert np.allclose(f.C @ f.R, A, atol=1e-10)
    assert np.allclose(f.G, np.eye(r), atol=1e-10)  # meta core of CR is I_r


def test_cr_rank_tolerance():
    A = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-10]])
    assert cr(A).pivots.tolist() == [0, 1]
    f = cr(A, rtol=1e-6)
    assert f.pivots.tolist() == [0] and f.R.shape == (1, 2)


def test_cr_warns_when_greedy_count_differs_from_svd_rank():
    # Kahan matrix: every column keeps a residual >= 1.2e-2, yet sigma_min is tiny
    n = 40
    c, s = np.cos(1.2), np.sin(1.2)
    K = np.diag(s ** np.arange(n)) @ (np.eye(n) - c * np.triu(np.ones((n, n)), 1))
    with pytest.warns(RuntimeWarning, match="pivot columns found but the SVD numerical rank"):
        f = cr(K, rtol=1e-5)  # sigma_min / sigma_max = 1.3e-7
    assert f.pivots.size == n and numerical_rank(K, rtol=1e-5) == n - 1
    assert np.allclose(f.C @ f.R, K, atol=1e-12)


def test_cr_ill_conditioned_pivots_do_not_add_spurious_rank():
    # two nearly parallel columns and a third exactly in their span: with the
    # plain residual test rounding noise amplified by cond(C) could pass as rank
    rng = np.random.default_rng(11)
    a = rng.standard_normal(6)
    b = a + 1e-6 * rng.standard_normal(6)
    A = np.column_stack([a, b, 3.0 * b - 2.0 * a, rng.standard_normal(6)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = cr(A)
    assert f.pivots.tolist() == [0, 1, 3]
    assert np.allclose(f.C @ f.R, A, atol=1e-12)
