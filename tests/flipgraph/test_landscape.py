"""Flip pairs and isolated holes (:mod:`linalg_lab.flipgraph.landscape`) against a pairwise count."""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.flipgraph.landscape import flip_pairs, isolated
from linalg_lab.flipgraph.walker import Walker
from linalg_lab.schemes import naive_scheme, product, random_sandwich, strassen_scheme

UNITS = {"F2": (1,), "F3": (1, -1), "ZT": (1, -1)}


def pairwise(scheme) -> int:
    """Terms r < s and a position where one factor is a unit times the other, tested one pair at a time."""
    ring = scheme.ring
    n = 0
    for f in scheme.factors:
        f = np.asarray(f, dtype=np.int64)
        for r, s in itertools.combinations(range(len(f)), 2):
            n += any(ring.equal(c * f[r], f[s]).all() for c in UNITS[ring.value])
    return n


@settings(max_examples=25, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT"]), sizes=st.sampled_from(["2x2x2", "2x2x3", "2x3x3"]),
       seed=st.integers(0, 2**32 - 1), flips=st.integers(0, 400))
def test_flip_pairs_counts_what_a_pairwise_comparison_counts(ring, sizes, seed, flips):
    # random walks give schemes with repeated factors, signs and mixed supports
    w = Walker(naive_scheme("gg", sizes, ring), np.random.default_rng(seed))
    w.walk(flips, plateau=50, margin=2)
    s = w.scheme()
    assert s.verify()
    assert flip_pairs(s) == pairwise(s)


@settings(max_examples=15, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT"]), seed=st.integers(0, 2**32 - 1), count=st.integers(1, 6))
def test_the_count_is_invariant_under_the_gl_action(ring, seed, count):
    s = naive_scheme("gg", "2x3x3", ring)
    moved = random_sandwich(s, np.random.default_rng(seed), count)
    assume(moved is not s)
    assert moved.verify() and flip_pairs(moved) == flip_pairs(s) == pairwise(moved)


def test_strassen_and_strassen_squared_are_holes_and_the_naive_scheme_is_not():
    s = strassen_scheme("F2")
    assert flip_pairs(s) == 0 and isolated([s])
    s2 = product(s, s)
    assert s2.rank == 49 and s2.verify() and isolated([s2])
    naive = naive_scheme("gg", "4x4x4", "F2")
    assert flip_pairs(naive) == pairwise(naive) == 3 * 16 * (4 * 3 // 2)   # each entry in 4 terms, 3 positions
    assert not isolated([naive]) and not isolated([s, naive]) and not isolated([])


def test_flip_pairs_checks_its_argument():
    with pytest.raises(TypeError, match="^scheme"):
        flip_pairs(np.zeros((3, 3)))
