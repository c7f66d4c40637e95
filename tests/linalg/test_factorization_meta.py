"""meta_factorize: projector equations, solvability test, general solution."""

import warnings

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given
from hypothesis import strategies as st

from linalg_lab.factorization import meta_factorize, pinv


def _low_rank(rng, m, n, r, cond=10.0):
    U = sla.qr(rng.standard_normal((m, r)), mode="economic")[0]
    V = sla.qr(rng.standard_normal((n, r)), mode="economic")[0]
    s = np.geomspace(cond, 1.0, r) if r else np.zeros(0)
    return (U * s) @ V.T


@st.composite
def problems(draw):
    m = draw(st.integers(2, 9))
    n = draw(st.integers(2, 9))
    r = draw(st.integers(1, min(m, n)))
    k = draw(st.integers(r, min(m, n)))  # factor width >= rank
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    A = _low_rank(rng, m, n, r)
    return A, r, k, rng


@given(problems())
def test_sketched_projector_equations_and_reconstruction(problem):
    A, r, k, rng = problem
    m, n = A.shape
    # F spans range(A), H spans range(A^T): the reconstruction equation is solvable
    F = A @ rng.standard_normal((n, k))
    H = A.T @ rng.standard_normal((m, k))
    F = sla.qr(F, mode="economic")[0][:, :k] if k > r else F
    B = rng.standard_normal((m, k + 1))
    D = rng.standard_normal((n, k + 2))
    mf = meta_factorize(A, F, H, B, D)
    # the projector equations hold with the particular solutions
    Yt, X = mf.Yt, mf.X
    assert np.allclose(Yt, pinv(B.T @ F) @ B.T, atol=1e-8 * max(1, np.abs(Yt).max()))
    assert np.allclose(X, D @ pinv(H.T @ D), atol=1e-8 * max(1, np.abs(X).max()))
    # ranks of B^T F and F may differ when F has dependent columns: then the
    # equation can fail; here rank(F) = r and rank(B^T F) = r almost surely
    assert max(mf.projector_residuals) < 1e-9
    # oblique projectors are idempotent and fix F / H^T
    P, Pr = mf.left_projector, mf.right_projector
    assert np.allclose(P @ P, P, atol=1e-8 * max(1, np.abs(P).max()))
    assert np.allclose(Pr @ Pr, Pr, atol=1e-8 * max(1, np.abs(Pr).max()))
    assert mf.solvable
    assert mf.solvability_residual < 1e-10
    assert np.allclose(F @ mf.G @ H.T, A, atol=1e-9 * np.abs(A).max())


@given(problems())
def test_general_solution_same_product_for_every_W(problem):
    A, r, k, rng = problem
    m, n = A.shape
    F = A @ rng.standard_normal((n, r))
    H = A.T @ rng.standard_normal((m, r))
    W = rng.standard_normal((r, r))
    mf0 = meta_factorize(A, F, H)
    mfW = meta_factorize(A, F, H, W=W)
    # with full-rank F, H the core is unique: F^+ A (H^T)^+ ... and W - Y^T F W H^T X = 0
    assert np.allclose(mfW.G, mf0.G, atol=1e-8 * max(1, np.abs(mf0.G).max()))
    assert mfW.reconstruction_residual < 1e-10


def test_general_solution_with_redundant_factors_differs_but_reconstructs():
    rng = np.random.default_rng(3)
    A = _low_rank(rng, 7, 6, 2)
    # F with a repeated column: rank(F) = 2 < 3 columns, Y^T F != I
    F0 = A @ rng.standard_normal((6, 2))
    F = np.column_stack([F0, F0[:, 0]])
    H = A.T @ rng.standard_normal((7, 2))
    W = rng.standard_normal((3, 2))
    mf0 = meta_factorize(A, F, H)
    mfW = meta_factorize(A, F, H, W=W)
    assert not np.allclose(mf0.G, mfW.G)  # a genuinely different core ...
    assert np.allclose(F @ mfW.G @ H.T, A, atol=1e-10)  # ... with the same product
    assert max(mfW.projector_residuals) < 1e-12
    assert mfW.reconstruction_residual < 1e-12


def test_default_sketches_give_orthogonal_projectors():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((8, 5))
    F = rng.standard_normal((8, 3))
    H = rng.standard_normal((5, 2))
    mf = meta_factorize(A, F, H)
    P = mf.left_projector
    assert np.allclose(P, P.T) and np.allclose(P, F @ np.linalg.pinv(F, rcond=1e-12))
    G_ref = np.linalg.lstsq(F, A, rcond=None)[0] @ np.linalg.pinv(H.T, rcond=1e-12)
    assert np.allclose(mf.G, G_ref)
    # a generic rank-3/rank-2 pair cannot reproduce a full-rank A
    assert not mf.solvable
    assert mf.solvability_residual > 0.1


def test_solvability_iff_condition():
    rng = np.random.default_rng(1)
    A = _low_rank(rng, 6, 6, 3)
    U, s, Vt = np.linalg.svd(A)
    good = meta_factorize(A, U[:, :3], Vt[:3].T)
    bad = meta_factorize(A, U[:, :2], Vt[:3].T)
    assert good.solvable and not bad.solvable
    # the residual of the truncated one is the discarded singular value
    assert np.isclose(bad.solvability_residual, s[2] / np.linalg.norm(s))


def test_failed_projector_equation_is_reported():
    # B^T F loses rank: B orthogonal to the second column of F
    F = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    B = np.array([[1.0], [0.0], [0.0]])
    A = F @ np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.warns(RuntimeWarning, match="projector equations .* fail"):
        mf = meta_factorize(A, F, np.eye(2), B=B)
    assert mf.projector_residuals[0] > 0.5
    assert not mf.solvable and not mf.projectors_hold
    # the same on the H side, and nothing to warn about when the sketches see everything
    with pytest.warns(RuntimeWarning, match="projector equations"):
        assert not meta_factorize(A.T, np.eye(2), F, D=B).projectors_hold
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        good = meta_factorize(A, F, np.eye(2), B=np.eye(3)[:, :2], D=np.eye(2))
    assert good.projectors_hold and good.solvable
    # an ill-conditioned F: residuals of order eps cond(F), yet the rank condition holds (no warning)
    Fi = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-10], [0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert meta_factorize(Fi @ np.eye(2), Fi, np.eye(2), B=np.eye(3)).projectors_hold


def test_shapes_and_repr():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((5, 4))
    mf = meta_factorize(A, rng.standard_normal((5, 3)), rng.standard_normal((4, 2)))
    assert mf.G.shape == (3, 2)
    assert mf.Yt.shape == (3, 5) and mf.X.shape == (4, 2)
    assert mf.left_projector.shape == (5, 5) and mf.right_projector.shape == (4, 4)
    assert mf.toarray().shape == (5, 4)
    assert "MetaFactorization" in repr(mf)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(F=np.ones((4, 2))), "F"),
        (dict(H=np.ones((3, 2))), "H"),
        (dict(B=np.ones((4, 2))), "B"),
        (dict(D=np.ones((3, 2))), "D"),
        (dict(W=np.ones((3, 3))), "W"),
    ],
)
def test_mismatched_shapes_name_the_argument(kwargs, name):
    args = dict(A=np.ones((5, 4)), F=np.ones((5, 2)), H=np.ones((4, 2)))
    args.update(kwargs)
    with pytest.raises(ValueError, match=rf"^{name}: expected .*, got shape"):
        meta_factorize(**args)


def test_non_finite_and_bad_tolerances():
    A = np.ones((3, 3))
    A[0, 0] = np.nan
    with pytest.raises(ValueError, match="^A: contains NaN or inf"):
        meta_factorize(A, np.ones((3, 1)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="^F: contains NaN or inf"):
        meta_factorize(np.ones((3, 3)), np.full((3, 1), np.inf), np.ones((3, 1)))
    with pytest.raises(ValueError, match="^rtol: expected a finite number >= 0 and < 1"):
        meta_factorize(np.ones((3, 3)), np.ones((3, 1)), np.ones((3, 1)), rtol=-1.0)
    with pytest.raises(ValueError, match="^solve_tol: expected a number, got nan"):
        meta_factorize(np.ones((3, 3)), np.ones((3, 1)), np.ones((3, 1)), solve_tol=np.nan)
