"""Flip-graph moves: validity for every tensor code, and agreement with the pure-Python reference."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from flip_reference import flip as ref_flip
from flip_reference import plus as ref_plus
from flip_reference import reduce_all, term_set
from flip_reference import split as ref_split
from linalg_lab.flipgraph import Walker
from linalg_lab.schemes import Scheme
from linalg_lab.tensors import CODES, naive_scheme


def sizes_for(code, n):
    return (n, n, n) if code[0] != "g" or code[1] != "g" else (n, n + 1, n)


def terms_of(scheme, p):
    return [tuple(np.asarray(x, dtype=np.int64) % p for x in t) for t in zip(*scheme.factors)]


def scheme_of(terms, like):
    u, v, w = (np.array([t[k] for t in terms], dtype=np.int64).reshape(len(terms), -1) for k in range(3))
    return Scheme(like.code, like.n, like.ring, u, v, w)


@given(code=st.sampled_from(CODES), n=st.integers(2, 3), ring=st.sampled_from(["F2", "F3"]),
       seed=st.integers(0, 2**32 - 1), plateau=st.sampled_from([0, 50, 500]))
def test_walks_preserve_validity(code, n, ring, seed, plateau):
    start = naive_scheme(code, sizes_for(code, n), ring)
    w = Walker(start, seed, headroom=8)
    for _ in range(4):
        w.walk(300, plateau=plateau, margin=4)
        s = w.scheme()
        assert s.verify(), (code, ring, seed)
        assert w.best().verify()
        assert w.best_rank <= start.rank


def random_flip(w, rng):
    """A flip ``(m, r, t, b)`` drawn among all pairs of terms that share factor m; None when there is none."""
    rank = w.scheme().rank
    words = w.words()
    pairs = [(m, r, t) for m in range(3) for r in range(rank) for t in range(rank)
             if r != t and np.array_equal(words[r, m], words[t, m])]
    if not pairs:
        return None
    m, r, t = pairs[int(rng.integers(len(pairs)))]
    b = int((m + 1 + rng.integers(2)) % 3)
    return m, r, t, b


@given(ring=st.sampled_from(["F2", "F3"]), code=st.sampled_from(["gg", "ug", "gt", "ss", "kg"]),
       seed=st.integers(0, 2**32 - 1))
def test_kernel_flip_matches_reference(ring, code, seed):
    p = 2 if ring == "F2" else 3
    rng = np.random.default_rng(seed)
    w = Walker(naive_scheme(code, sizes_for(code, 3), ring), seed)
    w.walk(int(rng.integers(0, 200)))
    flips = 0
    for _ in range(10):
        mv = random_flip(w, rng)
        if mv is None:
            break
        flips += 1
        before = w.scheme()
        ref = ref_flip(terms_of(before, p), *mv, p)
        red = w.flip(*mv)
        after = w.scheme()
        assert after.verify()
        if red == 0:
            assert term_set(after, p) == term_set(scheme_of(ref, before), p)
        else:
            reduced = reduce_all(ref, p)
            assert after.rank == len(reduced)
            assert scheme_of(reduced, before).verify()
    assert flips > 0, "no flip was compared with the reference"


@given(ring=st.sampled_from(["F2", "F3"]), seed=st.integers(0, 2**32 - 1), rot=st.integers(0, 2))
def test_kernel_plus_matches_reference(ring, seed, rot):
    p = 2 if ring == "F2" else 3
    rng = np.random.default_rng(seed)
    w = Walker(naive_scheme("gg", (2, 3, 2), ring), seed, headroom=4)
    w.walk(50)
    s = w.scheme()
    # a plus transition needs two terms that share no factor
    words = w.words()
    pairs = [(r1, r2) for r1 in range(s.rank) for r2 in range(s.rank)
             if r1 != r2 and all(not np.array_equal(words[r1, m], words[r2, m]) for m in range(3))]
    assume(pairs)
    r1, r2 = pairs[int(rng.integers(len(pairs)))]
    ref = ref_plus(terms_of(s, p), r1, r2, rot, p)
    red = w.plus(r1, r2, rot)
    after = w.scheme()
    assert after.verify()
    if red == 0:
        assert after.rank == s.rank + 1
        assert term_set(after, p) == term_set(scheme_of(ref, s), p)
    else:
        assert after.rank == len(reduce_all(ref, p))


@given(ring=st.sampled_from(["F2", "F3"]), seed=st.integers(0, 2**32 - 1), m=st.integers(0, 2),
       code=st.sampled_from(["gg", "ug", "kg"]))
def test_kernel_split_matches_reference(ring, seed, m, code):
    p = 2 if ring == "F2" else 3
    rng = np.random.default_rng(seed)
    w = Walker(naive_scheme(code, sizes_for(code, 2), ring), seed, headroom=4)
    w.walk(50)
    s = w.scheme()
    words = w.words()
    pairs = [(r, q) for r in range(s.rank) for q in range(s.rank)
             if r != q and words[q, m].any() and not np.array_equal(words[r, m], words[q, m])]
    assume(pairs)
    r, q = pairs[int(rng.integers(len(pairs)))]
    ref = ref_split(terms_of(s, p), r, m, q, p)
    assert w.split(r, m, q) == 0
    after = w.scheme()
    assert after.verify() and after.rank == s.rank + 1
    assert term_set(after, p) == term_set(scheme_of(ref, s), p)


@given(code=st.sampled_from(CODES), ring=st.sampled_from(["F2", "F3"]), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_walks_with_splits_preserve_validity(code, ring, seed):
    start = naive_scheme(code, sizes_for(code, 2), ring)
    w = Walker(start, seed, headroom=8)
    for _ in range(3):
        w.walk(400, plateau=40, margin=4, split=60)
        assert w.scheme().verify() and w.best().verify()
    if start.rank >= 4:                   # (tiny tensors may never leave their start)
        assert w.plus_transitions > 0


def test_reduction_merges_and_drops():
    s = naive_scheme("gg", (2, 2, 2), "F3")
    # term 0 split as (u0, v0, 2 w0) + (u0, v0, -w0), plus a term with a zero factor
    u = np.vstack([s.u, s.u[:1], s.u[1:2]])
    v = np.vstack([s.v, s.v[:1], s.v[1:2]])
    w = np.vstack([s.w, -s.w[:1], 0 * s.w[1:2]])
    w[0] = 2 * s.w[0]
    split = Scheme("gg", (2, 2, 2), "F3", u, v, w)
    assert split.rank == 10 and split.verify()
    walker = Walker(split, 0)
    assert walker.rank == 8 and walker.scheme().verify()
    assert term_set(walker.scheme(), 3) == term_set(s, 3)


def test_walker_errors():
    with pytest.raises(ValueError, match="F2, F3 or ZT"):
        Walker(naive_scheme("gg", (2, 2, 2), "Z"), 0)
    w = Walker(naive_scheme("gg", (2, 2, 2), "F2"), 0)
    with pytest.raises(ValueError, match="distinct terms"):
        w.flip(0, 0, 0, 1)
    with pytest.raises(ValueError, match="do not share"):
        w.flip(0, 0, 7, 1)


@settings(max_examples=10, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT"]), seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 80))
def test_direct_and_hashed_tables_walk_alike(ring, seed, flips):
    # the flip list's order depends on the sequence of moves only, never on where a factor sits in its
    # table, so both layouts take the same walk until a hashed table is first rebuilt (beyond 80 flips here)
    import linalg_lab.flipgraph.walker as W

    walks = []
    saved = W.DIRECT_SLACK_BITS
    for slack in (64, -64):                       # all direct, then all hashed
        W.DIRECT_SLACK_BITS = slack
        try:
            w = Walker(naive_scheme("gg", (2, 3, 2), ring), seed)
        finally:
            W.DIRECT_SLACK_BITS = saved
        assert (w.direct > 0) == (slack > 0)
        w.walk(flips, plateau=40, margin=3)
        walks.append((w.scheme(), w.flips, w.plus_transitions))
    (a, fa, pa), (b, fb, pb) = walks
    assert (fa, pa) == (fb, pb)
    assert np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v) and np.array_equal(a.w, b.w)
    assert a.verify()

