"""Scheme invariants and the sandwich action: exactness, invariance, and galois / sympy as references."""

from pathlib import Path

import galois
import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from linalg_lab.schemes import load_scheme
from linalg_lab.schemes.invariants import factor_ranks, rank_profile, sandwich
from linalg_lab.tensors import naive_scheme, strassen_scheme

CATALOGUE = Path(__file__).resolve().parents[2] / "schemes"


def _schemes(ring):
    return [strassen_scheme(ring), naive_scheme("gg", "2x3x4", ring), load_scheme(CATALOGUE / "gg" / f"gg-3x3x3-r23-{ring}.json")]


def _invertible(rng, n, p):
    GF = galois.GF(p)
    while True:
        a = rng.integers(0, p, size=(n, n))
        if np.linalg.matrix_rank(GF(a)) == n:
            return a


@settings(max_examples=25, deadline=None)
@given(ring=st.sampled_from(["F2", "F3"]), which=st.integers(0, 2), seed=st.integers(0, 2**32 - 1))
def test_sandwich_is_exact_and_keeps_the_profile(ring, which, seed):
    s = _schemes(ring)[which]
    p = s.ring.characteristic
    rng = np.random.default_rng(seed)
    n1, n2, n3 = s.n
    t = sandwich(s, _invertible(rng, n1, p), _invertible(rng, n2, p), _invertible(rng, n3, p))
    assert t.verify(), t.verify().describe()
    assert t.rank == s.rank
    assert rank_profile(t) == rank_profile(s)


@pytest.mark.parametrize("ring", ["F2", "F3"])
def test_factor_ranks_agree_with_galois(ring):
    GF = galois.GF(2 if ring == "F2" else 3)
    for s in _schemes(ring):
        n1, n2, n3 = s.n
        ranks = factor_ranks(s)
        for m, shape in enumerate([(n1, n2), (n2, n3), (n1, n3)]):
            for r in range(s.rank):
                ref = np.linalg.matrix_rank(GF(np.asarray(s.factors[m][r], dtype=np.int64).reshape(shape) % GF.order))
                assert ranks[r, m] == ref


def test_factor_ranks_over_q_agree_with_sympy():
    s = load_scheme(CATALOGUE / "gg" / "gg-3x3x3-r23-ZT.json")
    ranks = factor_ranks(s)
    for m in range(3):
        for r in range(s.rank):
            assert ranks[r, m] == sympy.Matrix(np.asarray(s.factors[m][r]).reshape(3, 3).tolist()).rank()


def test_profiles_of_known_schemes():
    assert rank_profile(naive_scheme("gg", "3x3x3", "F2")) == (((1, 1, 1), 27),)
    assert rank_profile(strassen_scheme("ZT")) == (((1, 1, 1), 6), ((2, 2, 2), 1))


def test_strassen_squared_is_not_alphatensor(fixtures_dir):
    from linalg_lab.schemes import load_cyclic_json, load_terms

    s47 = load_terms(fixtures_dir / "km_444-47-mod2.exp")
    s49 = load_cyclic_json(fixtures_dir / "perminov_4x4x4_m49_ZT.json")
    assert rank_profile(s49) == (((1, 1, 1), 36), ((2, 2, 2), 12), ((4, 4, 4), 1))    # Strassen x Strassen
    prof47 = dict(rank_profile(s47))
    assert (4, 4, 4) not in prof47 and prof47[(2, 2, 2)] == 8 and sum(prof47.values()) == 47


def test_bad_input_names_the_argument():
    s = strassen_scheme("F2")
    with pytest.raises(ValueError, match="P: not invertible"):
        sandwich(s, [[1, 1], [1, 1]], np.eye(2, dtype=int), np.eye(2, dtype=int))
    with pytest.raises(ValueError, match="Q: expected a 2x2"):
        sandwich(s, np.eye(2, dtype=int), np.eye(3, dtype=int), np.eye(2, dtype=int))
    with pytest.raises(ValueError, match="P: not invertible over ZT"):     # the action is over every ring now
        sandwich(strassen_scheme("ZT"), [[2, 0], [0, 1]], np.eye(2, dtype=int), np.eye(2, dtype=int))
    with pytest.raises(ValueError, match="scheme: factor matrices are defined for general products"):
        factor_ranks(naive_scheme("ug", "2x2x2", "F2"))
    with pytest.raises(TypeError, match="scheme: expected a Scheme"):
        rank_profile("strassen")
