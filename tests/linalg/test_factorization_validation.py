"""Bad input raises ValueError / TypeError naming the argument, for every public function.

The messages come from :mod:`linalg_lab.validation`: "<name>: expected ..., got ...".
"""

import numpy as np
import pytest
import scipy.sparse as sp

import linalg_lab.factorization as fz

GOOD = np.arange(12.0).reshape(4, 3) + np.eye(4, 3)
NAN = GOOD.copy()
NAN[1, 2] = np.nan
INF = GOOD.copy()
INF[0, 0] = -np.inf

# every public function taking a matrix A first, with the extra arguments it needs
ONE_MATRIX = {
    "truncated_svd": lambda A: fz.truncated_svd(A),
    "pivoted_qr": lambda A: fz.pivoted_qr(A),
    "utv": lambda A: fz.utv(A),
    "cur": lambda A: fz.cur(A),
    "nystrom": lambda A: fz.nystrom(A, 2, rng=0),
    "cr": lambda A: fz.cr(A),
    "pinv": lambda A: fz.pinv(A),
    "pinv_via_cr": lambda A: fz.pinv_via_cr(A),
    "numerical_rank": lambda A: fz.numerical_rank(A),
    "randomized_pinv": lambda A: fz.randomized_pinv(A, 2, rng=0),
    "meta_factorize": lambda A: fz.meta_factorize(A, np.ones((4, 1)), np.ones((3, 1))),
}


@pytest.mark.parametrize("name", sorted(ONE_MATRIX))
@pytest.mark.parametrize("bad", [NAN, INF], ids=["nan", "inf"])
def test_non_finite_entries(name, bad):
    with pytest.raises(ValueError, match=r"^A: contains NaN or inf$"):
        ONE_MATRIX[name](bad)


@pytest.mark.parametrize("name", sorted(ONE_MATRIX))
def test_not_two_dimensional(name):
    with pytest.raises(ValueError, match=r"^A: expected a 2-D array, got shape \(3,\)$"):
        ONE_MATRIX[name](np.ones(3))


@pytest.mark.parametrize("name", sorted(ONE_MATRIX))
def test_type_errors(name):
    with pytest.raises(TypeError, match=r"^A: expected an array, got None$"):
        ONE_MATRIX[name](None)
    with pytest.raises(TypeError, match=r"^A: expected numeric entries, got dtype <U1"):
        ONE_MATRIX[name]([["a", "b"], ["c", "d"]])
    with pytest.raises(TypeError, match=r"^A: expected real entries, got dtype complex128"):
        ONE_MATRIX[name](GOOD + 1j)


@pytest.mark.parametrize("name", sorted(set(ONE_MATRIX) - {"pinv", "numerical_rank"}))
def test_empty(name):
    with pytest.raises(ValueError, match=r"^A: expected a non-empty array, got shape \(0, 3\)"):
        ONE_MATRIX[name](np.ones((0, 3)))


def test_empty_pinv_like_numpy():
    assert fz.pinv(np.ones((0, 3))).shape == (3, 0)
    assert fz.numerical_rank(np.ones((2, 0))) == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: fz.truncated_svd(GOOD, 4),
        lambda: fz.pivoted_qr(GOOD, 4),
        lambda: fz.utv(GOOD, 0),
        lambda: fz.cur(GOOD, 5),
        lambda: fz.nystrom(GOOD, 4),
        lambda: fz.randomized_pinv(GOOD, 4),
    ],
)
def test_k_out_of_range_names_k(call):
    with pytest.raises(ValueError, match=r"^k: expected an integer >= 1 and <= min\(m, n\) = 3, got"):
        call()


@pytest.mark.parametrize("k", [True, 2.0, "2"])
def test_k_must_be_integer(k):
    with pytest.raises(TypeError, match="^k: expected an integer, got "):
        fz.truncated_svd(GOOD, k)


@pytest.mark.parametrize("rtol", [-1e-3, 1.0, np.nan])
def test_rtol_range(rtol):
    with pytest.raises(ValueError, match="^rtol: expected a (finite )?number"):
        fz.pinv(GOOD, rtol)


def test_rtol_type():
    with pytest.raises(TypeError, match="^rtol: expected a real number, got str 'small'"):
        fz.pinv(GOOD, "small")


def test_pinv_helpers_shapes():
    with pytest.raises(ValueError, match=r"^X: expected shape \(3, 4\), got shape \(4, 3\)"):
        fz.penrose_residuals(GOOD, np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"^l: expected an integer >= 1 and <= m = 4, got 5"):
        fz.nystrom(GOOD, 2, l=5)
    with pytest.raises(ValueError, match=r"^B: expected 4 rows, got shape \(3, 2\)"):
        fz.nystrom(GOOD, 2, B=np.ones((3, 2)))
    with pytest.raises(ValueError, match="^kind: expected one of 'gaussian', 'sparse_sign', 'select', got 'hadamard'"):
        fz.sketch_matrix(5, 2, "hadamard")
    with pytest.raises(ValueError, match="^k: expected an integer >= 1 and <= size = 5, got 6"):
        fz.sketch_matrix(5, 6)
    with pytest.raises(ValueError, match="^sigma_max: expected a finite number >= 0, got -1.0"):
        fz.rank_cutoff(-1.0, (2, 2))


def test_inputs_that_are_accepted():
    # integer, boolean, nested lists and sparse input are fine
    assert fz.numerical_rank([[1, 2], [2, 4]]) == 1
    assert fz.numerical_rank(np.eye(3, dtype=bool)) == 3
    assert fz.pinv(sp.eye(3, format="csr")).shape == (3, 3)
    assert fz.truncated_svd(sp.csr_matrix(GOOD)).s.size == 3


def test_sparse_input_is_densified_where_lapack_needs_it_and_kept_where_products_suffice():
    S = sp.random(40, 30, density=0.2, random_state=1, format="coo") + sp.eye(40, 30)
    assert np.allclose(fz.pinv(S), fz.pinv(S.toarray()))
    op = fz.randomized_pinv(S.tocsc(), 30, rng=0)
    assert np.allclose(op.toarray(), fz.pinv(S.toarray()))


@pytest.mark.parametrize("rng", [True, 1.5, "seed", np.random.RandomState(0)])
def test_rng_of_the_wrong_type(rng):
    with pytest.raises(TypeError, match="^rng: expected None, an integer seed"):
        fz.sketch_matrix(5, 2, rng=rng)


def test_negative_seed_is_a_value_error():
    with pytest.raises(ValueError, match="^rng: expected a seed >= 0, got -1"):
        fz.nystrom(GOOD, 2, rng=-1)


def test_rank_cutoff_is_the_validation_rule():
    from linalg_lab.validation import rank_cutoff

    assert fz.rank_cutoff is rank_cutoff
