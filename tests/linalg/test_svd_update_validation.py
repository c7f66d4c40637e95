"""TruncatedSVDState: bad input raises an error naming the argument."""

import numpy as np
import pytest
import scipy.sparse as sp

from linalg_lab.svd_update import TruncatedSVDState


@pytest.fixture
def state():
    rng = np.random.default_rng(0)
    return TruncatedSVDState.from_matrix(rng.standard_normal((6, 5)), 2)


def test_update_shapes(state):
    with pytest.raises(ValueError, match=r"^E: expected 5 columns"):
        state.add_rows(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"^E: expected 6 rows"):
        state.add_columns(np.ones((5, 1)))
    with pytest.raises(ValueError, match=r"^D: expected 6 rows"):
        state.update(np.ones((5, 1)), np.ones((5, 1)))
    with pytest.raises(ValueError, match=r"^E: expected 5 rows"):
        state.update(np.ones((6, 1)), np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"^E: expected 2 columns \(as many as D\)"):
        state.update(np.ones((6, 2)), np.ones((5, 1)))
    with pytest.raises(ValueError, match=r"^E: expected a 2-D array"):
        state.add_rows(np.ones(5))


def test_empty_updates(state):
    with pytest.raises(ValueError, match=r"^E: expected a non-empty array"):
        state.add_rows(np.ones((0, 5)))
    with pytest.raises(ValueError, match=r"^E: expected a non-empty array"):
        state.add_rows(sp.csr_array((0, 5)))
    with pytest.raises(ValueError, match=r"^D: expected a non-empty array"):
        state.update(np.ones((6, 0)), np.ones((5, 0)))


def test_non_finite_updates(state):
    E = np.ones((1, 5))
    E[0, 2] = np.nan
    with pytest.raises(ValueError, match=r"^E: contains NaN or inf"):
        state.add_rows(E)
    with pytest.raises(ValueError, match=r"^E: contains NaN or inf"):
        state.add_columns(sp.csr_array(np.array([[np.inf]] * 6)))
    with pytest.raises(ValueError, match=r"^D: contains NaN or inf"):
        state.update(np.full((6, 1), np.inf), np.ones((5, 1)))
    with pytest.raises(ValueError, match=r"^A: contains NaN or inf"):
        TruncatedSVDState.from_matrix(np.array([[1.0, np.nan], [0.0, 1.0]]), 1)


def test_rank_out_of_range():
    A = np.ones((4, 3))
    with pytest.raises(ValueError, match=r"^k: expected an integer >= 1 and <= min\(m, n\) = 3, got 4"):
        TruncatedSVDState.from_matrix(A, 4)
    with pytest.raises(ValueError, match=r"^k: expected an integer >= 1"):
        TruncatedSVDState.from_matrix(A, 0)
    with pytest.raises(TypeError, match=r"^k: expected an integer"):
        TruncatedSVDState.from_matrix(A, 2.0)
    with pytest.raises(ValueError, match=r"^k: expected an integer < min\(m, n\) = 3 for solver='svds'"):
        TruncatedSVDState.from_matrix(A, 3, solver="svds")
    with pytest.raises(ValueError, match=r"^U: expected at least k = 3 rows"):
        TruncatedSVDState(np.eye(2, 3), np.ones(3), np.eye(4, 3))


def test_bad_factors():
    U, V = np.eye(4)[:, :2], np.eye(3)[:, :2]
    with pytest.raises(ValueError, match=r"^U: expected orthonormal columns"):
        TruncatedSVDState(2 * U, [1.0, 1.0], V)
    with pytest.raises(ValueError, match=r"^V: expected orthonormal columns"):
        TruncatedSVDState(U, [1.0, 1.0], V + 0.1)
    with pytest.raises(ValueError, match=r"^s: expected singular values >= 0"):
        TruncatedSVDState(U, [1.0, -1.0], V)
    with pytest.raises(ValueError, match=r"^s: expected 2 entries"):
        TruncatedSVDState(U, [1.0], V)
    with pytest.raises(ValueError, match=r"^V: expected 2 columns"):
        TruncatedSVDState(U, [1.0, 1.0], np.eye(3))
    with pytest.raises(TypeError, match=r"^U: expected a dense array"):
        TruncatedSVDState(sp.csr_array(U), [1.0, 1.0], V)


def test_bad_options(state):
    A = np.eye(3)
    with pytest.raises(ValueError, match=r"^method: expected one of"):
        TruncatedSVDState.from_matrix(A, 1, method="brand")
    with pytest.raises(ValueError, match=r"^method: expected one of"):
        state.add_rows(np.ones((1, 5)), method="exact")
    with pytest.raises(ValueError, match=r"^l: expected an integer >= 1"):
        state.add_rows(np.ones((1, 5)), method="gkl", l=0)
    with pytest.raises(ValueError, match=r"^power_iters: expected an integer >= 0"):
        TruncatedSVDState.from_matrix(A, 1, power_iters=-1)
    with pytest.raises(ValueError, match=r"^max_cond: expected a number > 1"):
        TruncatedSVDState.from_matrix(A, 1, max_cond=1.0)
    with pytest.raises(TypeError, match=r"^rng: expected None, an integer seed"):
        TruncatedSVDState.from_matrix(A, 1, rng=1.5)
    with pytest.raises(ValueError, match=r"^solver: expected one of"):
        TruncatedSVDState.from_matrix(A, 1, solver="lobpcg")


def test_bad_indices(state):
    with pytest.raises(ValueError, match=r"^rows: expected indices in \[0, 6\)"):
        state.reconstruct(rows=[6])
    with pytest.raises(ValueError, match=r"^columns: expected indices in \[0, 5\)"):
        state.reconstruct(rows=[0], columns=[-1])
    with pytest.raises(TypeError, match=r"^rows: expected integer entries"):
        state.reconstruct(rows=[0.5])


def test_failed_update_leaves_the_state_unchanged(state):
    before, shape = state.toarray(), state.shape
    with pytest.raises(ValueError):
        state.add_rows(np.full((1, 5), np.nan))
    assert state.shape == shape and np.array_equal(state.toarray(), before) and state.n_updates == 0
