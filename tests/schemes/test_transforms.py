"""Transforms of gg schemes (GL action, format permutations, transposition) and the reference moves.

References: galois (F2, F3) and sympy (Z_T, Z, Q) matrices for the GL action; exact
verification against the tensor for every result; the trilinear form tr(A B X^T)
for the permutations, on arbitrary (not exact) factors, which pins the formulas.
"""

import itertools
from fractions import Fraction

import galois
import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.lifting._pool import gg_symmetry, random_flips
from linalg_lab.schemes import (
    Scheme, canonical_key, gl_action, naive_scheme, permute, rank_profile, rotate, sandwich, strassen_scheme,
    transpose, unit_normal,
)
from linalg_lab.schemes import moves

RINGS = ["F2", "F3", "ZT", "Z", "Q"]
ORDERS = list(itertools.permutations(range(3)))
sizes = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))


# ----------------------------------------------------------------------------- helpers
def _signed_permutation(n, rng):
    return (np.eye(n, dtype=np.int64)[rng.permutation(n)] * rng.choice([-1, 1], size=n)[:, None]).astype(np.int64)


def _invertible(ring, n, rng):
    """A random matrix invertible over the ring (over Z_T a signed permutation, which keeps entries ternary)."""
    if ring in ("F2", "F3"):
        gf = galois.GF(2 if ring == "F2" else 3)
        while True:
            a = rng.integers(0, gf.order, size=(n, n))
            if np.linalg.matrix_rank(gf(a)) == n:
                return a
    if ring == "ZT":
        return _signed_permutation(n, rng)
    if ring == "Z":
        m = _signed_permutation(n, rng)
        for _ in range(3 if n > 1 else 0):
            i, j = rng.choice(n, size=2, replace=False)
            e = np.eye(n, dtype=np.int64)
            e[i, j] = int(rng.choice([-1, 1]))
            m = e @ m
        return m
    while True:
        a = np.array([[Fraction(int(rng.integers(-3, 4)), int(rng.integers(1, 4))) for _ in range(n)]
                      for _ in range(n)], dtype=object)
        if sympy.Matrix(a.tolist()).det() != 0:
            return a


def _start(ring, n, scrambled, rng):
    """The naive scheme of gg n over the ring, or a scrambled one (random flips, or a GL action over Q)."""
    s = naive_scheme("gg", n, ring)
    if not scrambled:
        return s
    if ring == "Q":
        return gl_action(s, *(_invertible("Q", k, rng) for k in n))
    return random_flips(s, 20, rng)


def _product(ring, a, b):
    p = {"F2": 2, "F3": 3}.get(ring)
    out = np.asarray(a, dtype=object) @ np.asarray(b, dtype=object)
    return out % p if p else out


def _blocks(s):
    n1, n2, n3 = s.n
    return [np.asarray(f).reshape(s.rank, *shape) for f, shape in zip(s.factors, ((n1, n2), (n2, n3), (n1, n3)))]


# ----------------------------------------------------------------------------- GL action
@settings(max_examples=40, deadline=None)
@given(ring=st.sampled_from(RINGS), n=sizes, scrambled=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_gl_action_is_exact_and_matches_an_independent_computation(ring, n, scrambled, seed):
    rng = np.random.default_rng(seed)
    s = _start(ring, n, scrambled, rng)
    P, Q, R = (_invertible(ring, k, rng) for k in n)
    t = gl_action(s, P, Q, R)
    assert t.verify(), t.verify().describe()
    assert t.ring == s.ring and t.rank == s.rank and t.n == s.n
    assert rank_profile(t) == rank_profile(s)
    # the factors P^T U Q^-T, Q^T V R^-T, P^-1 W R, computed with galois / sympy
    if ring in ("F2", "F3"):
        gf = galois.GF(2 if ring == "F2" else 3)
        Pm, Qm, Rm = (gf(np.asarray(m, dtype=np.int64) % gf.order) for m in (P, Q, R))
        inv = np.linalg.inv
        refs = [lambda x: Pm.T @ x @ inv(Qm).T, lambda x: Qm.T @ x @ inv(Rm).T, lambda x: inv(Pm) @ x @ Rm]
        for ref, old, new in zip(refs, _blocks(s), _blocks(t)):
            for r in range(s.rank):
                want = ref(gf(np.asarray(old[r], dtype=np.int64) % gf.order))
                assert np.array_equal(np.asarray(want, dtype=np.int64), np.asarray(new[r], dtype=np.int64) % gf.order)
    else:
        Pm, Qm, Rm = (sympy.Matrix(np.asarray(m, dtype=object).tolist()) for m in (P, Q, R))
        refs = [lambda x: Pm.T * x * Qm.inv().T, lambda x: Qm.T * x * Rm.inv().T, lambda x: Pm.inv() * x * Rm]
        for ref, old, new in zip(refs, _blocks(s), _blocks(t)):
            for r in range(s.rank):
                want = ref(sympy.Matrix(old[r].tolist()).applyfunc(sympy.nsimplify))
                assert [Fraction(int(x.p), int(x.q)) for x in want] == [Fraction(x) for x in new[r].flat]


@settings(max_examples=30, deadline=None)
@given(ring=st.sampled_from(RINGS), n=sizes, seed=st.integers(0, 2**32 - 1))
def test_composing_two_actions_is_the_action_of_the_products(ring, n, seed):
    rng = np.random.default_rng(seed)
    s = _start(ring, n, True, rng)
    m1 = [_invertible(ring, k, rng) for k in n]
    m2 = [_invertible(ring, k, rng) for k in n]
    twice = gl_action(gl_action(s, *m1), *m2)
    assert twice == gl_action(s, *(_product(ring, a, b) for a, b in zip(m1, m2)))     # a right action
    # and acting by the inverses undoes it
    inverses = [np.array(sympy.Matrix(np.asarray(a, dtype=object).tolist()).inv_mod(3 if ring == "F3" else 2).tolist(),
                         dtype=np.int64) if ring in ("F2", "F3")
                else np.array([[Fraction(int(x.p), int(x.q)) for x in row]
                               for row in sympy.Matrix(np.asarray(a, dtype=object).tolist()).inv().tolist()], dtype=object)
                for a in m1]
    assert canonical_key(gl_action(gl_action(s, *m1), *inverses)) == canonical_key(s)


@settings(max_examples=20, deadline=None)
@given(n=sizes, seed=st.integers(0, 2**32 - 1))
def test_gl_action_is_the_documented_change_of_variables(n, seed):
    # on arbitrary factors (not an exact scheme): S'(A, B) = P^-1 S(P A Q^-1, Q B R^-1) R
    rng = np.random.default_rng(seed)
    n1, n2, n3 = n
    rank = 4
    s = Scheme("gg", n, "Q", *(rng.integers(-2, 3, size=(rank, d)) for d in (n1 * n2, n2 * n3, n1 * n3)))
    P, Q, R = (_invertible("Q", k, rng) for k in n)
    Pi, Qi, Ri = (np.array(sympy.Matrix(m.tolist()).inv().tolist(), dtype=object) for m in (P, Q, R))
    Pi, Qi, Ri = (np.vectorize(lambda x: Fraction(int(x.p), int(x.q)), otypes=[object])(m) for m in (Pi, Qi, Ri))
    a = rng.integers(-3, 4, size=(n1, n2)).astype(object)
    b = rng.integers(-3, 4, size=(n2, n3)).astype(object)
    got = gl_action(s, P, Q, R).multiply(a, b)
    want = Pi @ s.multiply(P @ a @ Qi, Q @ b @ Ri) @ R
    assert np.array_equal(got, want)


def test_gl_action_over_zt_stays_ternary_or_refuses():
    s = strassen_scheme("ZT")
    rng = np.random.default_rng(5)
    t = gl_action(s, *(_signed_permutation(2, rng) for _ in range(3)))
    assert t.ring.value == "ZT" and t.verify()
    eye = np.eye(2, dtype=int)
    with pytest.raises(ValueError, match="leaves Z_T"):
        gl_action(s, [[1, 2], [0, 1]], eye, eye)
    # the same shear is fine over Z
    z = gl_action(strassen_scheme("Z"), [[1, 2], [0, 1]], eye, eye)
    assert z.verify() and max(int(np.abs(f).max()) for f in z.factors) == 2


def test_gl_action_errors_name_the_argument():
    s = strassen_scheme("F2")
    eye = np.eye(2, dtype=int)
    with pytest.raises(ValueError, match="P: not invertible over F2"):
        gl_action(s, [[1, 1], [1, 1]], eye, eye)
    with pytest.raises(ValueError, match="Q: expected a 2x2 matrix"):
        gl_action(s, eye, np.eye(3, dtype=int), eye)
    with pytest.raises(TypeError, match="R: expected integer entries"):
        gl_action(s, eye, eye, np.eye(2))
    with pytest.raises(TypeError, match="P: entry \\(0, 0\\) is a bool"):
        gl_action(s, [[True, False], [False, True]], eye, eye)
    with pytest.raises(ValueError, match="P: not invertible over Z"):
        gl_action(strassen_scheme("Z"), [[2, 0], [0, 1]], eye, eye)
    assert gl_action(strassen_scheme("Q"), [[2, 0], [0, "1/3"]], eye, eye).verify()
    with pytest.raises(ValueError, match="scheme: the GL action is defined for general products"):
        gl_action(naive_scheme("ss", (2, 2, 2), "F2"), eye, eye, eye)
    with pytest.raises(TypeError, match="scheme: expected a Scheme"):
        gl_action("strassen", eye, eye, eye)


def test_old_names_are_the_one_action():
    assert sandwich is gl_action
    rng = np.random.default_rng(1)
    s = random_flips(naive_scheme("gg", (2, 3, 2), "Z"), 10, rng)
    mats = [_invertible("Z", k, rng) for k in s.n]
    invs = [np.array(sympy.Matrix(m.tolist()).inv().tolist(), dtype=np.int64) for m in mats]
    # gg_symmetry keeps its argument order: (P, Q, R) in the docstring's sense are the inverses given last
    assert gg_symmetry(s, *mats, *invs) == gl_action(s, *invs)
    t = gg_symmetry(strassen_scheme("ZT"), *([[[1, 1], [0, 1]]] * 3), *([[[1, -1], [0, 1]]] * 3))
    assert t.ring.value == "Z" and t.verify()           # as before: a Z_T scheme is acted on over Z
    with pytest.raises(ValueError, match="q_inv: not the inverse of q"):
        gg_symmetry(s, *mats, invs[0], mats[1], invs[2])


# ----------------------------------------------------------------------------- permutations of the format
@settings(max_examples=60, deadline=None)
@given(ring=st.sampled_from(RINGS), n=sizes, scrambled=st.booleans(), order=st.sampled_from(ORDERS),
       seed=st.integers(0, 2**32 - 1))
def test_every_ordering_of_the_format_is_exact(ring, n, scrambled, order, seed):
    s = _start(ring, n, scrambled, np.random.default_rng(seed))
    t = permute(s, order)
    assert t.n == tuple(n[i] for i in order)
    assert t.ring == s.ring and t.rank == s.rank
    assert t.verify(), t.verify().describe()


@settings(max_examples=30, deadline=None)
@given(n=sizes, o1=st.sampled_from(ORDERS), o2=st.sampled_from(ORDERS), seed=st.integers(0, 2**32 - 1))
def test_permutations_compose_and_pin_the_trilinear_form(n, o1, o2, seed):
    rng = np.random.default_rng(seed)
    n1, n2, n3 = n
    # arbitrary factors: a wrong formula would show even where an exact scheme could hide it
    s = Scheme("gg", n, "Z", *(rng.integers(-2, 3, size=(3, d)) for d in (n1 * n2, n2 * n3, n1 * n3)))
    a, b, x = (rng.integers(-3, 4, size=shape) for shape in ((n1, n2), (n2, n3), (n1, n3)))
    form = int(np.sum(s.multiply(a, b) * x))                    # <S(A, B), X>
    assert int(np.sum(rotate(s).multiply(b, x.T) * a.T)) == form
    assert int(np.sum(transpose(s).multiply(b.T, a.T) * x.T)) == form
    assert np.array_equal(transpose(s).multiply(b.T, a.T), s.multiply(a, b).T)
    twice = permute(permute(s, o1), o2)
    order = tuple(o1[i] for i in o2)                  # new index m is old index order[m]
    assert twice.n == tuple(n[i] for i in order)
    a2, b2, x2 = _operands(order, a, b, x)
    assert int(np.sum(twice.multiply(a2, b2) * x2)) == form


def _operands(order, a, b, x):
    """The operands (A', B', X') of the permuted format: the old matrices read through the new indices.

    tr(A B X^T) sums A[i,j] B[j,k] X[i,k]; A' has the new indices (0, 1), i.e. the old (order[0], order[1]).
    """
    old = {(0, 1): a, (1, 2): b, (0, 2): x}
    out = []
    for p, q in ((0, 1), (1, 2), (0, 2)):
        i, j = order[p], order[q]
        out.append(old[(i, j)] if (i, j) in old else old[(j, i)].T)
    return out


def test_rotations_and_transposition_are_involutions_of_the_right_order():
    s = random_flips(naive_scheme("gg", (1, 2, 3), "F3"), 10, np.random.default_rng(2))
    assert rotate(rotate(rotate(s))) == s
    assert transpose(transpose(s)) == s
    assert permute(s, (0, 1, 2)) == s
    assert permute(s, (1, 2, 0)) == rotate(s) and permute(s, (2, 1, 0)) == transpose(s)
    q = gl_action(naive_scheme("gg", (2, 1, 2), "Q"), [[1, "1/2"], [0, 1]], [[3]], [[1, 0], [1, 1]])
    assert transpose(transpose(q)) == q and transpose(q).verify()


def test_permute_errors():
    s = naive_scheme("gg", (1, 2, 3), "F2")
    with pytest.raises(ValueError, match="order: expected a permutation"):
        permute(s, (0, 1, 1))
    with pytest.raises(TypeError, match="order: expected a permutation"):
        permute(s, 3)
    with pytest.raises(TypeError, match="order: expected a permutation"):
        permute(s, (0.0, 1, 2))
    with pytest.raises(ValueError, match="scheme: transposition is defined for general products"):
        transpose(naive_scheme("ug", (2, 2, 2), "F2"))


# ----------------------------------------------------------------------------- reference moves
def _shared_pairs(s):
    """(m, r, t) for every pair of terms whose factors m agree up to a unit."""
    out = []
    for m, f in enumerate(s.factors):
        _, normal = unit_normal(f, s.ring)
        for r, t in itertools.combinations(range(s.rank), 2):
            if np.array_equal(normal[r], normal[t]) and normal[r].any():
                out.append((m, r, t))
    return out


@settings(max_examples=30, deadline=None)
@given(ring=st.sampled_from(["F2", "F3"]), n=st.sampled_from([(2, 2, 2), (2, 3, 2), (1, 3, 3)]),
       seed=st.integers(0, 2**32 - 1))
def test_reference_moves_are_exact_scheme_maps(ring, n, seed):
    rng = np.random.default_rng(seed)
    s = naive_scheme("gg", n, ring)
    flips = 0
    for _ in range(15):
        pairs = _shared_pairs(s)
        if not pairs:
            break
        m, r, t = pairs[int(rng.integers(len(pairs)))]
        b = (m + 1 + int(rng.integers(2))) % 3
        before = canonical_key(s)
        s = moves.flip(s, m, r, t, b)
        assert s.verify() and s.rank == naive_scheme("gg", n, ring).rank
        zero_factor = any(not row.any() for f in s.factors for row in np.asarray(f))
        assert canonical_key(s) != before or zero_factor
        flips += 1
    assert flips > 0                        # the naive scheme always has terms sharing a factor
    reduced = moves.reduce(s)
    assert reduced.verify() and reduced.rank <= s.rank
    assert all(np.asarray(f).any(axis=1).all() for f in reduced.factors)
    assume(reduced.rank >= 2)
    r1, r2 = (int(x) for x in rng.choice(reduced.rank, size=2, replace=False))
    bigger = moves.plus(reduced, r1, r2, int(rng.integers(3)))
    assert bigger.verify() and bigger.rank == reduced.rank + 1


def test_reduce_merges_split_terms_and_drops_zero_ones():
    s = naive_scheme("gg", (2, 2, 2), "F3")
    u = np.vstack([s.u, s.u[:1], s.u[1:2]])
    v = np.vstack([s.v, s.v[:1], s.v[1:2]])
    w = np.vstack([s.w, -s.w[:1], 0 * s.w[1:2]])
    w[0] = 2 * s.w[0]                                   # (u0, v0, 2 w0) + (u0, v0, -w0) = (u0, v0, w0)
    split = Scheme("gg", (2, 2, 2), "F3", u, v, w)
    assert split.rank == 10 and split.verify()
    assert canonical_key(moves.reduce(split)) == canonical_key(s)


def test_reference_move_errors():
    s = naive_scheme("gg", (2, 2, 2), "F2")
    with pytest.raises(ValueError, match="r, s: terms 0 and 7 do not share factor 0"):
        moves.flip(s, 0, 0, 7, 1)
    with pytest.raises(ValueError, match="b: must differ"):
        moves.flip(s, 0, 0, 1, 0)
    with pytest.raises(ValueError, match="s: must differ"):
        moves.flip(s, 0, 1, 1, 2)
    with pytest.raises(ValueError, match="r: expected a term index"):
        moves.flip(s, 0, 8, 1, 2)
    with pytest.raises(ValueError, match="scheme: the reference moves work over F2 and F3"):
        moves.reduce(strassen_scheme("Z"))
    with pytest.raises(ValueError, match="rot: expected 0, 1 or 2"):
        moves.plus(s, 0, 1, 3)
