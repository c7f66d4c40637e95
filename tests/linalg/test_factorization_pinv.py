"""Pseudoinverses: Penrose conditions, the three formulas for A = CR, the cutoff rule."""

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given
from hypothesis import strategies as st

from linalg_lab.factorization import (
    cr,
    numerical_rank,
    penrose_residuals,
    pinv,
    pinv_cr,
    pinv_product,
    pinv_via_cr,
    randomized_pinv,
    rank_cutoff,
)

EPS = np.finfo(float).eps
PENROSE_TOL = 1e-10


def _orth(rng, n, r):
    return sla.qr(rng.standard_normal((n, r)), mode="economic")[0]


@st.composite
def well_conditioned(draw, max_dim=10, min_rank=0):
    """A = U diag(s) V^T with cond <= 10, any shape and rank, scaled by 1e-3..1e3."""
    m = draw(st.integers(1, max_dim))
    n = draw(st.integers(1, max_dim))
    r = draw(st.integers(min(min_rank, min(m, n)), min(m, n)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    s = rng.uniform(1.0, 10.0, r) * scale
    A = (_orth(rng, m, r) * s) @ _orth(rng, n, r).T
    return A, r, rng


def _assert_penrose(A, X):
    res = penrose_residuals(A, X)
    assert max(res) <= PENROSE_TOL, res


@given(well_conditioned())
def test_pinv_penrose_and_rank(data):
    A, r, _ = data
    X, rank = pinv(A, return_rank=True)
    assert rank == r == numerical_rank(A)
    _assert_penrose(A, X)
    assert np.allclose(X, np.linalg.pinv(A, rcond=1e-10), atol=1e-10 * np.abs(X).max(initial=1))


@given(well_conditioned())
def test_pinv_via_cr_penrose(data):
    A, r, _ = data
    _assert_penrose(A, pinv_via_cr(A))


@given(well_conditioned(min_rank=1))
def test_pinv_cr_formula1_penrose_with_full_rank_factors(data):
    A, r, rng = data
    # any full-rank factorization A = C R: C = A V_r T, R = T^-1 V_r^T with T well conditioned
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    T = _orth(rng, r, r) * rng.uniform(1.0, 3.0, r)
    C = (U[:, :r] * s[:r]) @ T
    R = np.linalg.solve(T, Vt[:r])
    _assert_penrose(A, pinv_cr(C, R))
    _assert_penrose(A, pinv_product(C, R))


@given(well_conditioned(min_rank=1), st.integers(1, 4))
def test_pinv_product_formula2_penrose_with_dependent_factors(data, extra):
    A, r, rng = data
    m, n = A.shape
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    p = r + extra
    N = _orth(rng, p, r).T  # r x p, orthonormal rows
    C = (U[:, :r] * s[:r]) @ N  # m x p, rank r < p: dependent columns
    Z = rng.standard_normal((p, n))
    R = N.T @ Vt[:r] + (np.eye(p) - N.T @ N) @ Z  # p x n with C R = A
    assert np.allclose(C @ R, A, atol=1e-12 * np.abs(A).max())
    _assert_penrose(A, pinv_product(C, R))
    with pytest.raises(ValueError, match="^C: expected independent columns"):
        pinv_cr(C, R)


@given(well_conditioned())
def test_randomized_pinv_penrose(data):
    A, r, rng = data
    m, n = A.shape
    k = min(r + 3, m, n)
    op = randomized_pinv(A, k, rng=rng)
    assert op.rank_conditions_observed
    _assert_penrose(A, op.toarray())


@given(well_conditioned(), st.sampled_from(["sparse_sign", "select"]), st.integers(0, 3))
def test_randomized_pinv_flag_is_reliable_for_other_sketches(data, sketch, extra):
    # sparse sign and selection sketches may miss the rank on tiny matrices;
    # whenever the operator says the rank conditions held, the result is A^+
    A, r, rng = data
    m, n = A.shape
    k = min(max(r, 1) + extra, m, n)
    op = randomized_pinv(A, k, sketch=sketch, rng=rng)
    if op.rank_conditions_observed:
        _assert_penrose(A, op.toarray())
    else:
        assert op.ranks[0] < r or op.ranks[1] < r or op.residual_estimate > 1e-8


def test_formula1_counterexample():
    C = np.array([[1.0, 1.0]])
    R = np.array([[1.0], [0.0]])
    A = C @ R  # [[1]]
    naive = np.linalg.pinv(R, rcond=1e-12) @ np.linalg.pinv(C, rcond=1e-12)
    assert np.allclose(naive, 0.5)  # R^+ C^+ is wrong ...
    assert np.allclose(pinv_product(C, R), 1.0)  # ... formula 2 is right
    assert np.allclose(pinv(A), 1.0)
    with pytest.raises(ValueError, match="^C: expected independent columns.*pinv_product"):
        pinv_cr(C, R)
    with pytest.raises(ValueError, match="^R: expected independent rows"):
        pinv_cr(np.eye(2), np.array([[1.0, 2.0], [2.0, 4.0]]))


def test_cr_based_formula_literal_and_orthogonalized_agree():
    rng = np.random.default_rng(0)
    A = rng.integers(-4, 5, (6, 3)) @ rng.integers(-4, 5, (3, 7)).astype(float)
    f = cr(A)
    C, R = f.C, f.R
    literal = R.T @ np.linalg.inv(C.T @ A @ R.T) @ C.T
    assert np.allclose(pinv_via_cr(A, orthogonalize=False), literal)
    assert np.allclose(pinv_via_cr(A), literal)
    assert np.allclose(pinv_cr(C, R), literal)


def test_pinv_product_shape_errors():
    with pytest.raises(ValueError, match=r"^R: expected 2 rows, got shape \(3, 4\)"):
        pinv_product(np.ones((3, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="^C: expected at least one row"):
        pinv_product(np.ones((0, 2)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="^C: contains NaN or inf"):
        pinv_cr(np.full((2, 1), np.nan), np.ones((1, 2)))


def test_zero_matrix_has_zero_pseudoinverse():
    A = np.zeros((3, 4))
    assert np.array_equal(pinv(A), np.zeros((4, 3)))
    assert np.array_equal(pinv_via_cr(A), np.zeros((4, 3)))
    assert np.allclose(randomized_pinv(A, 2, rng=0).toarray(), 0)
    assert max(penrose_residuals(A, pinv(A))) == 0


# ---------------------------------------------------------------- the cutoff rule


def test_rank_cutoff_rule():
    assert rank_cutoff(3.0, (4000, 3000)) == 4000 * EPS * 3.0
    assert rank_cutoff(3.0, (10, 20), rtol=1e-6) == 1e-6 * 3.0
    assert rank_cutoff(3.0, (10, 20), rtol=1e-20) == 20 * EPS * 3.0  # never below the floor
    with pytest.raises(ValueError, match="^rtol"):
        rank_cutoff(1.0, (2, 2), rtol=1.5)


def test_pinv_cutoff_is_relative_and_adjustable():
    A = np.diag([1.0, 1e-8, 1e-17])
    X, r = pinv(A, return_rank=True)
    assert r == 2 and np.isclose(X[1, 1], 1e8) and X[2, 2] == 0
    X, r = pinv(A, rtol=1e-6, return_rank=True)
    assert r == 1 and X[1, 1] == 0
    # invariant under scaling: the cutoff is relative to sigma_max
    assert pinv(1e-200 * A, return_rank=True)[1] == 2


def test_exactly_low_rank_product_keeps_its_rank():
    # rounding noise of a product X Y^T sits near eps * sigma_max; a fixed
    # 1e-15 relative cutoff (numpy's default) can count it, ours never does
    rng = np.random.default_rng(1)
    A = rng.standard_normal((400, 7)) @ rng.standard_normal((7, 300))
    s = sla.svdvals(A)
    assert s[7] > 0  # the noise is there
    assert numerical_rank(A) == 7
    assert s[7] / s[0] < 400 * EPS


@pytest.mark.slow
def test_numpy_default_cutoff_fails_on_4000x3000_rank50_ours_does_not():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4000, 50)) @ rng.standard_normal((50, 3000))
    s = sla.svdvals(A)
    assert int(np.count_nonzero(s > 1e-15 * s[0])) > 50  # numpy.linalg.pinv's rank
    assert int(np.count_nonzero(s > rank_cutoff(s[0], A.shape))) == 50
