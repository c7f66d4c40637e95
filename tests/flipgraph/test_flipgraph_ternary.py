"""Flip-graph walks over Z_T = {-1, 0, 1}: exact over Z, never a coefficient outside the ternary set."""

import json

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.cli import main as cli_main
from linalg_lab.fields import Ring
from linalg_lab.flipgraph import SymmetricWalker, Walker, search
from linalg_lab.flipgraph.symmetric import cyclic_start, expand, orbits_of
from linalg_lab.schemes import Scheme, load_scheme, naive_scheme
from linalg_lab.tensors import CODES


def _ternary(s: Scheme) -> bool:
    return all(set(np.unique(np.asarray(a, dtype=np.int64)).tolist()) <= {-1, 0, 1} for a in s.factors)


@given(code=st.sampled_from(CODES), n=st.integers(2, 3), seed=st.integers(0, 2**32 - 1),
       plateau=st.sampled_from([0, 50, 500]))
def test_ternary_walks_stay_exact_and_ternary(code, n, seed, plateau):
    start = naive_scheme(code, (n, n, n), "ZT")
    w = Walker(start, seed, headroom=8)
    for _ in range(4):
        w.walk(300, plateau=plateau, margin=4)
        s = w.scheme()
        assert s.ring is Ring.ZT and _ternary(s)
        assert s.verify(), (code, seed)          # exact over Z
        assert w.best().verify() and w.best_rank <= start.rank


@given(code=st.sampled_from(CODES), n=st.integers(2, 3), seed=st.integers(0, 2**32 - 1), split=st.sampled_from([50, 100]))
@settings(max_examples=30, deadline=None)
def test_ternary_walks_with_splits_stay_exact_and_ternary(code, n, seed, split):
    start = naive_scheme(code, (n, n, n), "ZT")
    w = Walker(start, seed, headroom=8)
    for _ in range(4):
        w.walk(300, plateau=30, margin=4, split=split)
        s = w.scheme()
        assert _ternary(s) and s.verify(), (code, seed)
    if start.rank >= 4:                   # (tiny tensors may never leave their start)
        assert w.plus_transitions > 0


@settings(max_examples=100, deadline=None)
@given(code=st.sampled_from(["gg", "ug"]), seed=st.integers(0, 2**32 - 1), m=st.integers(0, 2))
def test_a_ternary_split_keeps_the_tensor_or_changes_nothing(code, seed, m):
    w = Walker(naive_scheme(code, (2, 2, 2), "ZT"), seed, headroom=4)
    w.walk(60)
    before = w.scheme()
    rng = np.random.default_rng(seed)
    r, q = rng.choice(before.rank, 2, replace=False)
    words = w.words()
    assume(words[q, m].any() and not np.array_equal(words[r, m], words[q, m]))
    refused = w.rejected                  # the walk may have refused flips already
    res = w.split(int(r), m, int(q))
    after = w.scheme()
    assert _ternary(after)
    assert np.array_equal(after.product_tensor(), before.product_tensor())
    if res < 0:
        assert after == before and w.rejected == refused + 1
    else:
        assert after.rank == before.rank + 1


@st.composite
def _sharing_pair(draw):
    """Two Z_T terms (u, v1, w1), (u, v2, w2) sharing u, as a 2-term 'scheme' of gg 2x2x2."""
    vec = st.lists(st.integers(-1, 1), min_size=4, max_size=4).filter(any)
    u, v1, v2, w1, w2 = (draw(vec) for _ in range(5))
    return Scheme("gg", (2, 2, 2), "ZT", np.array([u, u]), np.array([v1, v2]), np.array([w1, w2]))


@settings(max_examples=200, deadline=None)
@given(pair=_sharing_pair(), b=st.sampled_from([1, 2]), order=st.booleans())
def test_a_ternary_flip_keeps_the_sum_of_terms_or_changes_nothing(pair, b, order):
    w = Walker(pair, 0)
    before = w.scheme()
    red = None
    if w.rank == 2:                 # (else the two terms merged or vanished when loaded: nothing to flip)
        red = w.flip(0, *((0, 1) if order else (1, 0)), b)
    after = w.scheme()
    assert _ternary(after)
    assert np.array_equal(after.product_tensor(), pair.product_tensor())
    if red is not None and red < 0:
        assert w.rejected == 1 and w.flips == 0 and after == before


def test_ternary_flip_takes_the_other_multiplier_when_the_sum_overflows():
    # v1 + v2 = (2, 1, -1, 0) leaves Z_T; v1 - v2 = (0, 1, 1, 0) and w1 + w2 do not
    pair = Scheme("gg", (2, 2, 2), "ZT", np.array([[1, 0, 0, 0], [1, 0, 0, 0]]),
                  np.array([[1, 1, 0, 0], [1, 0, -1, 0]]), np.array([[1, 0, 0, 0], [0, 1, 0, 0]]))
    w = Walker(pair, 0)
    assert w.flip(0, 0, 1, 1) == 0 and w.rejected == 0
    after = w.scheme()
    assert _ternary(after) and np.array_equal(after.product_tensor(), pair.product_tensor())
    assert sorted(map(tuple, np.abs(after.v).tolist())) == [(0, 1, 1, 0), (1, 0, 1, 0)]


def test_ternary_search_reaches_laderman_rank_over_z():
    res = search("gg", "3x3x3", "ZT", target_rank=23, rng=4, workers=2, time_limit=120)
    assert res.target_reached and res.best.ring is Ring.ZT and _ternary(res.best)
    a, b = np.random.default_rng(0).integers(-50, 50, (2, 3, 3))
    assert np.array_equal(res.best.multiply(a, b), a @ b)        # a scheme over Z, usable as it is


def test_ternary_search_errors():
    with pytest.raises(ValueError, match="not a Z_T scheme"):
        search("gg", "2x2x2", "ZT", target_rank=7, start=naive_scheme("gg", "2x2x2", "Z").with_factors(
            *(2 * np.asarray(a) for a in naive_scheme("gg", "2x2x2", "Z").factors[:2]),
            naive_scheme("gg", "2x2x2", "Z").w))
    with pytest.raises(ValueError, match="scheme is over F2"):
        search("gg", "2x2x2", "ZT", target_rank=7, start=naive_scheme("gg", "2x2x2", "F2"))


def test_cli_ternary_search(tmp_path, capsys):
    rc = cli_main(["search", "gg", "2x2x2", "--ring", "ZT", "--target-rank", "7", "--seed", "1", "--workers", "1",
                   "--out", str(tmp_path), "--quiet"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    s = load_scheme(out["path"])
    assert s.ring is Ring.ZT and s.rank == 7 and s.verify() and _ternary(s)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cubes=st.integers(1, 3), flips=st.integers(1, 3000))
def test_ternary_symmetric_walks_stay_invariant_exact_and_ternary(seed, cubes, flips):
    w = SymmetricWalker(expand(3, "ZT", *cyclic_start(3, "ZT", cubes)), seed)
    w.walk(flips, plateau=200, margin=6)
    s = w.scheme()
    assert s.ring is Ring.ZT and _ternary(s) and s.verify()
    fixed, orbits = orbits_of(s)                  # still invariant under the cyclic shift
    assert len(fixed) + 3 * len(orbits) == s.rank == w.rank


def test_ternary_symmetric_search_reaches_23():
    res = search("gg", "3x3x3", "ZT", target_rank=23, symmetry="C3", rng=2, workers=2, time_limit=120)
    assert res.target_reached and _ternary(res.best) and res.best.verify()
    orbits_of(res.best)


@settings(max_examples=25, deadline=None)
@given(sizes=st.sampled_from([(2, 2, 2), (2, 3, 2), (3, 3, 3)]), ring=st.sampled_from(["F2", "F3", "ZT"]),
       seed=st.integers(0, 2**32 - 1), count=st.integers(1, 6))
def test_random_sandwiches_keep_the_rank_exactness_and_the_ternary_set(sizes, ring, seed, count):
    from linalg_lab.schemes import random_sandwich

    start = naive_scheme("gg", sizes, ring)
    moved = random_sandwich(start, np.random.default_rng(seed), count)
    assert moved.rank == start.rank and moved.verify()
    if ring == "ZT":
        assert _ternary(moved)


def test_search_with_sandwiched_restarts_reaches_laderman_over_zt():
    res = search("gg", "3x3x3", "ZT", target_rank=23, rng=5, workers=1, path_limit=20_000, sandwich=3, split=20,
                 time_limit=60)
    assert res.rank == 23 and _ternary(res.best) and res.best.verify()
