"""Aliasing (issue P0, item 4): no function modifies its inputs, and no object or result shares them.

For every stateful class and every result object of the projection, factorization, svd_update and completion
families that stores (or is built from) caller arrays: the arrays are compared with copies after the call, then
overwritten, and the object must behave exactly as before (same outputs, bit for bit).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import aslinearoperator

from linalg_lab import ConvergenceWarning
from linalg_lab.completion import estimate_gram, one_sided_complete, random_instance, soft_impute, zero_filled_svd
from linalg_lab.factorization import (
    cr,
    cur,
    meta_factorize,
    nystrom,
    penrose_residuals,
    pinv,
    pinv_cr,
    pinv_product,
    pinv_via_cr,
    pivoted_qr,
    randomized_pinv,
    truncated_svd,
    utv,
)
from linalg_lab.projection import KroneckerProjection
from linalg_lab.svd_update import TruncatedSVDState


def _copy(x):
    if sp.issparse(x):
        return x.copy()
    if isinstance(x, np.ma.MaskedArray):
        return x.copy()
    if isinstance(x, list):
        return [_copy(a) for a in x]
    return np.array(x, copy=True)


def _equal(a, b):
    if sp.issparse(a):
        return sp.issparse(b) and a.shape == b.shape and (a != b).nnz == 0 and np.array_equal(a.data, b.data)
    if isinstance(a, np.ma.MaskedArray):
        return np.array_equal(np.ma.getmaskarray(a), np.ma.getmaskarray(b)) and np.array_equal(a.data, b.data)
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return np.array_equal(a, b)


def _clobber(x):
    """Overwrite the caller's array in place (values, sparse data, masks)."""
    if isinstance(x, list):
        for a in x:
            _clobber(a)
    elif sp.issparse(x):
        x.data[:] = 7.0
    elif isinstance(x, np.ma.MaskedArray):
        x.data[...] = 7.0
    elif x.dtype.kind in "iu":
        x[...] = 0
    else:
        x[...] = 7.0


def _check(build, behaviour, *inputs):
    """``build(*inputs)`` leaves the inputs alone; clobbering them afterwards leaves ``behaviour(obj)`` alone."""
    saved = [_copy(x) for x in inputs]
    obj = build(*inputs)
    for x, s in zip(inputs, saved):
        assert _equal(x, s), "an input was modified"
    before = behaviour(obj)
    for x in inputs:
        _clobber(x)
    after = behaviour(obj)
    for b, a in zip(before, after):
        if isinstance(b, np.ndarray):
            assert np.array_equal(a, b), "the result follows the caller's arrays"
        else:
            assert a == b
    return obj


RNG = np.random.default_rng(0)


# ----------------------------------------------------------------------------- projection


def _kron_inputs(kind, m, n):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((m, n, n))
    if kind == "array":
        return A
    if kind == "list":
        return list(A)
    if kind == "list_sparse":
        return [sp.csr_matrix(a) for a in A]
    flat = np.stack([a.ravel(order="F") for a in A])
    return flat if kind == "flat" else sp.csr_matrix(flat)


@pytest.mark.parametrize("m", [1, 4])
@pytest.mark.parametrize("kind", ["array", "list", "list_sparse", "flat", "flat_sparse"])
@pytest.mark.parametrize("form", ["w_i", "sqrt_w"])
def test_kronecker_projection_keeps_copies(kind, m, form):
    n = 4
    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, n))
    W = X @ X.T
    h = rng.standard_normal(n * n)
    U, C = rng.standard_normal((n, 1)), np.eye(1)

    def behaviour(p):
        return p.query(h), np.array(p.gram), np.array(p.W), p.rank

    # the issue's case: an m x n^2 float64 array (and a single (1, n, n) matrix) was kept as a view
    A = _kron_inputs(kind, m, n)
    proj = _check(lambda A, W: KroneckerProjection(A, W, form=form), behaviour, A, W)
    # updates: arguments unchanged and not kept; the maintained Gram matrix equals a fresh one
    _check(lambda U, C: proj.update_low_rank(U, C), behaviour, U, C)
    W2 = np.array(proj.W)
    _check(lambda W2: proj.update(W2), behaviour, W2)
    _check(lambda h: proj.query(h), lambda out: (out,), h)
    fresh = KroneckerProjection(_kron_inputs(kind, m, n), np.array(proj.W), form=form)
    np.testing.assert_allclose(proj.gram, fresh.gram, rtol=1e-10, atol=1e-10 * np.abs(fresh.gram).max())


def test_issue_kronecker_view_of_f():
    # the reported symptom: after the caller zeroes F, query changed while the Gram matrix did not, and
    # update_low_rank on a (1, n, n) array then gave a Gram matrix of 285.8 where a fresh build gave 524.7
    rng = np.random.default_rng(3)
    n = 3
    F = rng.standard_normal((1, n, n))
    X = rng.standard_normal((n, n))
    W = X @ X.T
    proj = KroneckerProjection(F, W)
    F0 = F.copy()
    F[:] = 0.0
    u = rng.standard_normal((n, 1))
    proj.update_low_rank(u, np.eye(1))
    np.testing.assert_allclose(proj.gram, KroneckerProjection(F0, W + u @ u.T).gram, rtol=1e-12)


def test_kronecker_sketched_projection_keeps_copies():
    rng = np.random.default_rng(4)
    n, m = 3, 5
    A = np.stack([a.ravel(order="F") for a in rng.standard_normal((m, n, n))])
    W = np.eye(n)
    h = rng.standard_normal(n * n)
    _check(lambda A, W: KroneckerProjection(A, W, sketch="sparse_sign", rng=0),
           lambda p: (p.query_sketch(h), p.query_coordinates(h, [0, 4])), A, W)


# ----------------------------------------------------------------------------- svd_update


def test_truncated_svd_state_keeps_copies():
    rng = np.random.default_rng(5)
    U = np.linalg.qr(rng.standard_normal((12, 3)))[0]
    V = np.linalg.qr(rng.standard_normal((9, 3)))[0]
    s = np.array([3.0, 2.0, 1.0])  # already sorted: the constructor's reordering is the identity
    behaviour = (lambda st: (st.U, st.V, st.s, st.toarray()))
    state = _check(lambda U, s, V: TruncatedSVDState.from_factors(U, s, V), behaviour, U, s, V)
    for method in ("sparse", "zha-simon", "gkl", "rpi"):
        st = state.copy()
        E = rng.standard_normal((2, 9))
        _check(lambda E: st.add_rows(E, method=method, l=1) or st, behaviour, E)
        Es = sp.random(12 + 2, 2, density=0.3, format="csr", rng=rng)
        _check(lambda Es: st.add_columns(Es, method=method, l=1) or st, behaviour, Es)
        D, E2 = rng.standard_normal((14, 1)), sp.random(11, 1, density=0.5, format="csc", rng=rng)
        _check(lambda D, E2: st.update(D, E2, method=method) or st, behaviour, D, E2)
    st0 = state.copy()  # copy(): independent of the original, both ways
    before = behaviour(st0)
    state.add_rows(np.ones((1, 9)))
    state.update(np.ones((13, 1)), np.ones((9, 1)), method="zha-simon")
    assert all(np.array_equal(a, b) for a, b in zip(before, behaviour(st0)))
    # the views handed out are copies (or read only): writing to them does not reach the state
    before = behaviour(state)
    for view in (state.U, state.V, state.s):
        if view.flags.writeable:
            view[...] = 7.0
    assert all(np.array_equal(a, b) for a, b in zip(before, behaviour(state)))


@pytest.mark.parametrize("solver", ["dense", "svds"])
@pytest.mark.parametrize("sparse", [False, True])
def test_from_matrix_keeps_nothing_of_a(solver, sparse):
    rng = np.random.default_rng(6)
    A = rng.standard_normal((15, 10))
    A = sp.csr_matrix(A) if sparse else A
    _check(lambda A: TruncatedSVDState.from_matrix(A, 3, solver=solver, rng=0),
           lambda st: (st.U, st.V, st.s), A)


# ----------------------------------------------------------------------------- factorization


def test_meta_factorization_keeps_copies():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((8, 3)) @ rng.standard_normal((3, 6))
    F, H = A[:, :3].copy(), A[:3, :].T.copy()
    B, D, Wf = rng.standard_normal((8, 4)), rng.standard_normal((6, 4)), rng.standard_normal((3, 3))
    _check(lambda A, F, H, B, D, Wf: meta_factorize(A, F, H, B=B, D=D, W=Wf),
           lambda mf: (mf.F, mf.H, mf.G, mf.Yt, mf.X, mf.toarray(), mf.left_projector, mf.right_projector,
                       mf.solvable), A, F, H, B, D, Wf)


def _factor_behaviour(f):
    out = [f.F, f.G, f.H, f.toarray(), f.meta.F, f.meta.H]
    for name in ("U", "s", "Vt", "Q", "R", "perm", "T", "V", "C", "rows", "cols", "B", "D", "left", "right",
                 "pivots"):
        if hasattr(f, name):
            out.append(np.array(getattr(f, name)))
    return out


@pytest.mark.parametrize("make", [
    lambda A: truncated_svd(A, 2),
    lambda A: pivoted_qr(A),
    lambda A: utv(A),
    lambda A: cur(A),
    lambda A: cur(A, core="cross"),
    lambda A: cr(A),
    lambda A: nystrom(A, 3, rng=0),
], ids=["svd", "qr", "utv", "cur", "cur_cross", "cr", "nystrom"])
def test_classic_factorizations_keep_nothing_of_a(make):
    rng = np.random.default_rng(8)
    A = rng.standard_normal((9, 3)) @ rng.standard_normal((3, 7))
    _check(make, _factor_behaviour, A)


def test_factorizations_with_given_indices_and_sketches_keep_copies():
    rng = np.random.default_rng(9)
    A = rng.standard_normal((9, 3)) @ rng.standard_normal((3, 7))
    rows, cols = np.array([0, 3, 5]), np.array([1, 2, 6])
    _check(lambda A, rows, cols: cur(A, rows=rows, cols=cols), _factor_behaviour, A, rows, cols)
    B, D = rng.standard_normal((9, 5)), rng.standard_normal((7, 3))
    _check(lambda A, B, D: nystrom(A, 3, B=B, D=D), _factor_behaviour, A, B, D)


@pytest.mark.parametrize("kind", ["dense", "sparse", "operator"])
def test_randomized_pinv_keeps_nothing_of_its_inputs(kind):
    rng = np.random.default_rng(10)
    A = rng.standard_normal((14, 3)) @ rng.standard_normal((3, 10))
    make = {"dense": np.array, "sparse": sp.csr_matrix, "operator": lambda M: aslinearoperator(M.copy())}[kind]

    def behaviour(op):
        return op.toarray(), op.V, op.K, op.U, op.ranks, op.rows, op.cols

    for sketch in ("gaussian", "sparse_sign", "select"):
        if kind == "operator":  # an operator has no entries to compare or clobber; it is not kept either
            op = randomized_pinv(make(A), 6, sketch=sketch, rng=0)
        else:
            op = _check(lambda Ain: randomized_pinv(Ain, 6, sketch=sketch, rng=0), behaviour, make(A))
        assert np.allclose(op.toarray(), np.linalg.pinv(A), atol=1e-10)
    P, Q = rng.standard_normal((14, 5)), sp.random(10, 5, density=0.5, format="csr", rng=rng)
    _check(lambda P, Q: randomized_pinv(A, sketch=(P, Q)), behaviour, P, Q)
    rows, cols = np.array([0, 2, 4, 6, 8]), np.array([9, 1, 3, 5])
    _check(lambda rows, cols: randomized_pinv(A, sketch=(rows, cols), rng=0), behaviour, rows, cols)


def test_pseudoinverses_do_not_modify_their_inputs():
    rng = np.random.default_rng(11)
    C, R = rng.standard_normal((6, 3)), rng.standard_normal((3, 5))
    A = C @ R
    for fn, args in ((pinv, (A,)), (pinv_cr, (C, R)), (pinv_product, (C, R)), (pinv_via_cr, (A,)),
                     (penrose_residuals, (A, np.linalg.pinv(A)))):
        _check(lambda *a: fn(*a), lambda out: (np.asarray(out),), *[_copy(x) for x in args])
    _check(lambda S: pinv(S), lambda out: (out,), sp.csr_matrix(A))


# ----------------------------------------------------------------------------- completion


@pytest.mark.parametrize("as_masked", [False, True])
def test_completion_results_keep_nothing_of_x(as_masked):
    X, _, _ = random_instance(400, 6, 2, per_row=3, rng=0)
    if as_masked:
        dense = X.toarray()
        X = np.ma.masked_array(dense, mask=(X.toarray() == 0))

    def behaviour(res):
        return (res.components, res.singular_values, res.factor, res.gram(), res.observed_fraction,
                res.left_vectors if res.left_vectors is not None else np.zeros(0))

    for fn in (lambda X: one_sided_complete(X, 2, loss="squares", max_iter=200),
               lambda X: zero_filled_svd(X, 2), lambda X: soft_impute(X, 2, max_iter=5)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # few iterations: not converged, and said so
            _check(fn, behaviour, _copy(X))
    _check(lambda X: estimate_gram(X), lambda out: out, _copy(X))


def test_random_instance_keeps_nothing_of_scales():
    scales = np.array([3.0, 1.0])
    _check(lambda s: random_instance(50, 5, 2, scales=s, rng=0), lambda out: (out[0].toarray(), out[1], out[2]),
           scales)
