"""linalg_lab.validation: every check accepts what it should and names the argument when it refuses."""

from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.sparse.linalg import aslinearoperator

from linalg_lab.validation import (
    EPS,
    check_bool,
    check_choice,
    check_indices,
    check_int,
    check_matrix,
    check_real,
    check_rng,
    check_rtol,
    check_tolerance,
    check_vector,
    rank_cutoff,
    relative_cutoff,
)

names = st.from_regex(r"[a-z][a-z_0-9]{0,8}", fullmatch=True)
int_dtypes = st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64])
not_integers = st.one_of(
    st.booleans(), st.just(np.True_), st.floats(allow_nan=True), st.text(max_size=3), st.none(),
    st.complex_numbers(), st.lists(st.integers(), max_size=2), st.fractions(),
)
not_reals = st.one_of(st.booleans(), st.just(np.False_), st.text(max_size=3), st.none(),
                      st.complex_numbers(), st.lists(st.floats(), max_size=2))


def raises(exc, name):
    """pytest.raises for ``exc`` with a message that starts with ``name: ``."""
    return pytest.raises(exc, match=rf"^{name}: ")


# ----------------------------------------------------------------------------- integers
@given(name=names, value=st.integers(-10**6, 10**6), dtype=st.one_of(st.none(), int_dtypes))
def test_check_int_accepts_python_and_numpy_integers(name, value, dtype):
    if dtype is not None:
        info = np.iinfo(dtype)
        assume(info.min <= value <= info.max)
        value = dtype(value)
    out = check_int(value, name)
    assert type(out) is int and out == int(value)


@given(name=names, value=not_integers)
def test_check_int_refuses_non_integers_with_a_type_error(name, value):
    with raises(TypeError, name):
        check_int(value, name)


@given(name=names, value=st.integers(-100, 100), lo=st.integers(-50, 50), width=st.integers(0, 40))
def test_check_int_range(name, value, lo, width):
    hi = lo + width
    if lo <= value <= hi:
        assert check_int(value, name, minimum=lo, maximum=hi) == value
    else:
        with raises(ValueError, name):
            check_int(value, name, minimum=lo, maximum=hi)


def test_check_int_messages():
    with pytest.raises(TypeError, match=r"^k: expected an integer, got bool True$"):
        check_int(True, "k")
    with pytest.raises(TypeError, match=r"^k: expected an integer, got float 2.0$"):
        check_int(2.0, "k")
    with pytest.raises(ValueError, match=r"^k: expected an integer >= 1 and <= min\(m, n\) = 3, got 4$"):
        check_int(4, "k", minimum=1, maximum=3, maximum_text="min(m, n) = 3")


# ----------------------------------------------------------------------------- reals, bools
@given(name=names, x=st.floats(allow_nan=False, allow_infinity=False),
       kind=st.sampled_from([float, np.float64, np.float32, Fraction, "int"]))
def test_check_real_accepts_finite_reals(name, x, kind):
    if kind == "int":
        value = int(x)
    elif kind is Fraction:
        value = Fraction(x)
    else:
        with np.errstate(over="ignore"):   # float32 overflows to inf: assumed away
            value = kind(x)
        assume(np.isfinite(value))
    out = check_real(value, name)
    assert type(out) is float and out == float(value)


@given(name=names, value=not_reals)
def test_check_real_refuses_non_reals_with_a_type_error(name, value):
    with raises(TypeError, name):
        check_real(value, name)


@given(name=names, sign=st.sampled_from([1, -1]))
def test_check_real_nan_and_inf(name, sign):
    with raises(ValueError, name):
        check_real(float("nan"), name, allow_inf=True)
    with raises(ValueError, name):
        check_real(sign * np.inf, name)
    assert check_real(sign * np.inf, name, allow_inf=True) == sign * np.inf


@given(x=st.floats(-10, 10), lo=st.floats(-5, 5), strict=st.booleans())
def test_check_real_minimum(x, lo, strict):
    ok = x > lo if strict else x >= lo
    if ok:
        assert check_real(x, "x", minimum=lo, strict_minimum=strict) == x
    else:
        with raises(ValueError, "x"):
            check_real(x, "x", minimum=lo, strict_minimum=strict)


@given(name=names, value=st.one_of(st.integers(), st.floats(), st.text(max_size=2), st.none()))
def test_check_bool(name, value):
    assert check_bool(True, name) is True and check_bool(np.False_, name) is False
    with raises(TypeError, name):
        check_bool(value, name)


# ----------------------------------------------------------------------------- tolerances
@given(name=names, tol=st.floats(0, 1e300), default=st.one_of(st.none(), st.floats(0, 1)))
def test_check_tolerance(name, tol, default):
    assert check_tolerance(tol, name) == tol
    assert check_tolerance(None, name, default=default) == default
    with raises(ValueError, name):
        check_tolerance(-tol - 1e-300, name)


@given(rtol=st.floats(allow_nan=True))
def test_check_rtol_is_in_zero_one(rtol):
    if 0 <= rtol < 1:
        assert check_rtol(rtol) == rtol
    else:
        with raises(ValueError, "rtol"):
            check_rtol(rtol)
    with raises(TypeError, "rtol"):
        check_rtol("1e-3")


# ----------------------------------------------------------------------------- choices
CHOICES = ("gaussian", "sparse_sign", "Select")


@given(which=st.sampled_from(CHOICES), flips=st.lists(st.booleans(), min_size=11, max_size=11))
def test_check_choice_ignores_case_and_returns_the_canonical_spelling(which, flips):
    spelled = "".join(c.upper() if f else c.lower() for c, f in zip(which, flips))
    assert check_choice(spelled, "kind", CHOICES) == which


@given(value=st.one_of(st.text(max_size=6), st.integers(), st.none()))
def test_check_choice_refuses_others_and_lists_the_choices(value):
    assume(not (isinstance(value, str) and value.casefold() in {c.casefold() for c in CHOICES}))
    with pytest.raises(ValueError, match=r"^kind: expected one of 'gaussian', 'sparse_sign', 'Select', got "):
        check_choice(value, "kind", CHOICES)


def test_check_choice_of_non_strings_is_exact():
    assert check_choice(2, "d", (1, 2)) == 2
    assert check_choice(np.int64(1), "d", (1, 2)) == 1
    with raises(ValueError, "d"):
        check_choice(3, "d", (1, 2))
    assert check_choice("a", "x", ("a", "A")) == "a" and check_choice("A", "x", ("a", "A")) == "A"


# ----------------------------------------------------------------------------- rng
@given(seed=st.integers(0, 2**64))
def test_check_rng_seeds_like_default_rng(seed):
    assert check_rng(seed).integers(2**62) == np.random.default_rng(seed).integers(2**62)
    ss = np.random.SeedSequence(seed)
    assert check_rng(ss).random() == np.random.default_rng(np.random.SeedSequence(seed)).random()


def test_check_rng_returns_a_generator_as_is_and_accepts_none():
    g = np.random.default_rng(1)
    assert check_rng(g) is g
    assert isinstance(check_rng(None), np.random.Generator)
    assert isinstance(check_rng(np.uint8(3)), np.random.Generator)


@given(name=names, value=st.one_of(st.booleans(), st.floats(), st.text(max_size=3), st.just(np.random.RandomState(0)),
                                   st.just(np.random.PCG64(0)), st.lists(st.integers(0, 5), max_size=2)))
def test_check_rng_refuses_other_types(name, value):
    with raises(TypeError, name):
        check_rng(value, name)


@given(seed=st.integers(max_value=-1))
def test_check_rng_refuses_negative_seeds(seed):
    with pytest.raises(ValueError, match=rf"^rng: expected a seed >= 0, got {seed}$"):
        check_rng(seed)


# ----------------------------------------------------------------------------- matrices
finite_matrices = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int8, np.bool_]),
    shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
    elements={"allow_nan": False, "allow_infinity": False},
)


@given(A=finite_matrices)
def test_check_matrix_keeps_numeric_arrays(A):
    out = check_matrix(A, "A")
    assert out.dtype == A.dtype and np.array_equal(out, A)
    f = check_matrix(A.tolist(), "A", dtype=np.float64)
    assert f.dtype == np.float64 and np.array_equal(f, A.astype(np.float64))


@given(A=finite_matrices, data=st.data())
def test_check_matrix_refuses_nan_and_inf(A, data):
    B = A.astype(np.float64)
    i, j = data.draw(st.integers(0, B.shape[0] - 1)), data.draw(st.integers(0, B.shape[1] - 1))
    B[i, j] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    with pytest.raises(ValueError, match=r"^A: contains NaN or inf$"):
        check_matrix(B, "A")
    assert check_matrix(B, "A", finite=False) is B


@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3), name=names)
def test_check_matrix_ndim(shape, name):
    A = np.zeros(shape)
    if len(shape) == 2:
        assert check_matrix(A, name) is A
    else:
        with pytest.raises(ValueError, match=rf"^{name}: expected a 2-D array, got shape {repr(shape)}".replace("(", r"\(").replace(")", r"\)")):
            check_matrix(A, name)
    assert check_matrix(A, name, ndim=None) is A


def test_check_matrix_messages_and_types():
    with pytest.raises(ValueError, match=r"^A: expected a 2-D array, got shape \(3,\)$"):
        check_matrix(np.ones(3), "A")
    with pytest.raises(TypeError, match=r"^A: expected an array, got None$"):
        check_matrix(None, "A")
    with pytest.raises(TypeError, match=r"^A: expected real entries, got dtype complex128$"):
        check_matrix(np.ones((2, 2)) * 1j, "A")
    with pytest.raises(TypeError, match=r"^A: expected numeric entries, got dtype <U1$"):
        check_matrix([["a", "b"]], "A")
    with pytest.raises(TypeError, match=r"^A: expected an array, got dict"):
        check_matrix({}, "A")
    with pytest.raises(ValueError, match=r"^A: expected a rectangular array, got a ragged list"):
        check_matrix([[1, 2], [3]], "A")
    with pytest.raises(ValueError, match=r"^A: expected a non-empty array, got shape \(0, 3\)$"):
        check_matrix(np.ones((0, 3)), "A")
    assert check_matrix(np.ones((0, 3)), "A", allow_empty=True).shape == (0, 3)
    assert check_matrix(np.ones((2, 2)) * 1j, "A", dtype=None).dtype == np.complex128


def test_check_matrix_object_and_integer_dtypes():
    F = np.array([[Fraction(1, 2), 1]], dtype=object)
    assert check_matrix(F, "u", dtype=object) is F                       # exact entries kept
    assert check_matrix(F, "u").tolist() == [[0.5, 1.0]]                 # "numeric": to float64
    assert check_matrix([[1.0, -2.0]], "u", dtype=np.int64).tolist() == [[1, -2]]
    with pytest.raises(ValueError, match=r"^u: expected integer entries"):
        check_matrix([[1.5, 2.0]], "u", dtype=np.int64)
    with pytest.raises(ValueError, match=r"^u: expected integer entries"):
        check_matrix(F, "u", dtype=np.int64)
    with pytest.raises(ValueError, match=r"^u: entries out of range"):
        check_matrix(np.array([[2**70]], dtype=object), "u", dtype=np.int64)
    assert check_matrix(np.eye(2, dtype=np.int32), "u", dtype=(np.int64, np.int32)).dtype == np.int32


@given(A=finite_matrices, shape_mask=st.tuples(st.booleans(), st.booleans()))
def test_check_matrix_shape_with_wildcards(A, shape_mask):
    want = tuple(s if keep else None for s, keep in zip(A.shape, shape_mask))
    assert check_matrix(A, "A", shape=want) is A
    wrong = tuple((s + 1) if s is not None else 7 for s in want)
    assume(any(w != s for w, s in zip(wrong, A.shape)))
    with raises(ValueError, "A"):
        check_matrix(A, "A", shape=wrong)


@given(A=finite_matrices)
def test_check_matrix_copy(A):
    out = check_matrix(A, "A", copy=True)
    assert not np.may_share_memory(out, A) and np.array_equal(out, A)


@given(fmt=st.sampled_from(["csr", "csc", "coo", "lil", "dok", "bsr", "dia"]), m=st.integers(1, 6),
       n=st.integers(1, 6), density=st.floats(0, 1), matrix=st.booleans())
def test_sparse_is_kept_sparse_when_accepted_and_refused_otherwise(fmt, m, n, density, matrix):
    S = sp.random(m, n, density=density, format=fmt, random_state=0)
    if not matrix:
        S = sp.csr_array(S).asformat(fmt)
    out = check_matrix(S, "A", accept_sparse=True)
    assert sp.issparse(out) and out.format == fmt and out is S
    conv = check_matrix(S, "A", accept_sparse=("csr", "csc"))
    assert conv.format == (fmt if fmt in ("csr", "csc") else "csr")
    assert np.array_equal(conv.toarray(), S.toarray())
    with pytest.raises(TypeError, match=r"^A: expected a dense array, got a sparse"):
        check_matrix(S, "A")
    assert check_matrix(S, "A", accept_sparse=True, copy=True) is not S


def test_sparse_dtype_and_finiteness():
    S = sp.csr_matrix(np.array([[1, 0], [0, 2]]))
    assert check_matrix(S, "A", accept_sparse=True, dtype=np.float64).dtype == np.float64
    bad = sp.csr_matrix(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match=r"^A: contains NaN or inf$"):
        check_matrix(bad, "A", accept_sparse=True)
    with pytest.raises(TypeError, match=r"^A: expected real entries"):
        check_matrix(sp.csr_matrix(np.eye(2) * 1j), "A", accept_sparse=True)
    with pytest.raises(ValueError, match=r"^A: expected 3 rows"):
        check_matrix(S, "A", accept_sparse=True, shape=(3, None))


def test_linear_operators_only_when_accepted():
    op = aslinearoperator(np.ones((3, 2)))
    assert check_matrix(op, "A", accept_operator=True) is op
    with pytest.raises(TypeError, match=r"^A: expected an array, got a LinearOperator$"):
        check_matrix(op, "A")
    with pytest.raises(ValueError, match=r"^A: expected 4 rows"):
        check_matrix(op, "A", accept_operator=True, shape=(4, None))


# ----------------------------------------------------------------------------- vectors and indices
@given(x=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e6, 1e6)), extra=st.integers(1, 3))
def test_check_vector(x, extra):
    assert check_vector(x, "x", size=x.size) is x
    with pytest.raises(ValueError, match=rf"^x: expected {x.size + extra} entries, got shape \({x.size},\)$"):
        check_vector(x, "x", size=x.size + extra)
    with pytest.raises(ValueError, match=r"^x: expected a 1-D array"):
        check_vector(x[None, :], "x")


@given(size=st.integers(1, 20), data=st.data())
def test_check_indices(size, data):
    idx = data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=size, unique=True))
    assert check_indices(idx, "rows", size).tolist() == idx
    with raises(ValueError, "rows"):
        check_indices(idx + [size], "rows", size)
    with raises(ValueError, "rows"):
        check_indices(idx + idx[:1], "rows", size)
    assert check_indices(idx + idx[:1], "rows", size, unique=False).tolist() == idx + idx[:1]
    with raises(TypeError, "rows"):
        check_indices([float(i) for i in idx], "rows", size)


# ----------------------------------------------------------------------------- the tolerance rule
@given(A=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8),
                    elements=st.floats(-100, 100)), low_rank=st.booleans())
def test_rank_cutoff_agrees_with_numpy_matrix_rank(A, low_rank):
    if low_rank:
        A = np.outer(A[:, 0], A[0])
    s = np.linalg.svd(A, compute_uv=False)
    rank = int(np.count_nonzero(s > rank_cutoff(s[0], A.shape))) if s[0] > 0 else 0
    assert rank == np.linalg.matrix_rank(A)   # numpy's default: sigma_max * max(m, n) * eps


@given(smax=st.floats(0, 1e300), m=st.integers(1, 10**6), n=st.integers(1, 10**6),
       rtol=st.one_of(st.none(), st.floats(0, 1, exclude_max=True)))
def test_rank_cutoff_rule(smax, m, n, rtol):
    floor = max(m, n) * EPS
    expect = (floor if rtol is None else max(rtol, floor)) * smax
    assert rank_cutoff(smax, (m, n), rtol) == expect
    assert relative_cutoff(max(m, n), rtol) * smax == expect


def test_rank_cutoff_arguments():
    with raises(ValueError, "sigma_max"):
        rank_cutoff(-1.0, (2, 2))
    with raises(ValueError, "rtol"):
        rank_cutoff(1.0, (2, 2), rtol=1.0)
    with raises(TypeError, "shape"):
        rank_cutoff(1.0, 3)
    with raises(ValueError, "shape"):
        rank_cutoff(1.0, ())


# ----------------------------------------------------------------------------- family checks
def test_family_checks_live_in_their_family_and_keep_naming_the_argument():
    from linalg_lab.projection._checks import check_symmetric_psd
    from linalg_lab.transport._checks import (
        check_cost_matrix,
        check_histogram,
        check_mass,
        check_points,
        check_transport_problem,
    )

    assert check_histogram(None, "a", 4).tolist() == [0.25] * 4
    with raises(ValueError, "b"):
        check_histogram([0.5, -0.1], "b", 2)
    assert check_cost_matrix([[0, 1], [1, 0]], "C").flags.c_contiguous
    with raises(ValueError, "C"):
        check_cost_matrix([[0.0, np.inf]], "C")
    a, b, M = check_transport_problem([], [0.25, 0.75], np.ones((3, 2)))
    assert np.allclose(a, 1 / 3) and b.tolist() == [0.25, 0.75] and M.shape == (3, 2)
    with raises(ValueError, "b"):
        check_transport_problem([], [1.0, 0.0, 0.0], np.ones((3, 2)))
    assert check_mass(None, a, b) == pytest.approx(1.0)
    with raises(ValueError, "m"):
        check_mass(2.0, a, b)
    assert check_points([1.0, 2.0, 3.0], "X_s").shape == (3, 1)
    with raises(ValueError, "X_t"):
        check_points(np.ones((2, 2, 2)), "X_t")
    with raises(ValueError, "W"):
        check_symmetric_psd([[1.0, 2.0], [2.0, 1.0]], "W")


def test_moved_checks_still_resolve_from_validation_with_a_deprecation_warning():
    import linalg_lab.validation as v
    from linalg_lab.projection import _checks as pc
    from linalg_lab.transport import _checks as tc

    for name in ("check_histogram", "check_cost_matrix", "check_transport_problem", "check_mass", "check_points"):
        assert name not in v.__all__
        with pytest.warns(DeprecationWarning, match=f"{name} moved to linalg_lab.transport._checks"):
            assert getattr(v, name) is getattr(tc, name)
    with pytest.warns(DeprecationWarning, match="linalg_lab.projection._checks"):
        assert v.check_symmetric_psd is pc.check_symmetric_psd
    assert not hasattr(v, "check_nothing")


def test_positional_deprecated_binds_extra_positional_arguments_in_order_and_warns():
    import inspect
    import warnings

    from linalg_lab.validation import positional_deprecated

    @positional_deprecated("rng", "rtol")
    def f(A, k=None, *, rng=None, rtol=None, other=0):
        """Doc."""
        return A, k, rng, rtol, other

    assert f.__doc__ == "Doc." and list(inspect.signature(f).parameters) == ["A", "k", "rng", "rtol", "other"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(1, 2, rng=3, other=5) == (1, 2, 3, None, 5)  # keywords: no warning
        assert f(1) == (1, None, None, None, 0)
    with pytest.warns(DeprecationWarning, match=r"^f: pass rng by keyword \(rng=\.\.\.\)"):
        assert f(1, 2, 3) == (1, 2, 3, None, 0)
    with pytest.warns(DeprecationWarning, match="pass rng, rtol by keyword"):
        assert f(1, 2, 3, 4, other=6) == (1, 2, 3, 4, 6)
    with pytest.raises(TypeError, match="multiple values for argument 'rtol'"):
        f(1, 2, 3, 4, rtol=4)
    with pytest.raises(TypeError, match="at most 4 positional arguments"):
        f(1, 2, 3, 4, 5)
