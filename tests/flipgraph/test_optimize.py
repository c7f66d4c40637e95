"""The additive-complexity minimiser: exact, never worse, and Strassen's 18 for 2x2 matrices."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linalg_lab.cli import main as cli_main
from linalg_lab.flipgraph import Walker, search
from linalg_lab.flipgraph.optimize import _apply_sandwich, _sandwich_moves, optimize_additions, sandwich_descent
from linalg_lab.fields.rings import Ring
from linalg_lab.schemes import additive_complexity, gl_action, load_scheme, naive_scheme, save_scheme


@settings(max_examples=6, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT"]), method=st.sampled_from(["walk", "plateau"]),
       seed=st.integers(0, 2**32 - 1))
def test_minimiser_is_exact_and_never_worse(ring, method, seed):
    w = Walker(naive_scheme("gg", "3x3x3", ring), seed)
    w.walk(20_000, plateau=2_000, margin=3)            # a scheme with room to improve
    start = w.scheme()
    res = optimize_additions(start, time_limit=None, max_flips=40_000, rng=seed, chunk=2_000, method=method)
    s = res.scheme
    assert s.verify() and s.ring == start.ring and s.rank <= start.rank
    assert res.before == additive_complexity(start) and res.after == additive_complexity(s)
    # never worse in (rank, additions): fewer additions at the same rank, or a lower rank (a reduction)
    assert (s.rank, res.after) <= (start.rank, res.before)
    if ring == "ZT":
        assert all(np.abs(np.asarray(a)).max() <= 1 for a in s.factors)


def test_cost_walk_keeps_the_count_of_nonzeros():
    w = Walker(naive_scheme("gg", "3x3x3", "ZT"), 5)
    w.walk(30_000, plateau=3_000, margin=3)
    w.load(w.scheme())
    w.cost_walk(5_000)
    best = w.best()
    assert w.best_nonzeros == sum(int(np.count_nonzero(a)) for a in best.factors)


def test_minimiser_brings_2x2x2_rank_7_to_strassens_18():
    found = [search("gg", "2x2x2", "ZT", target_rank=7, rng=s, workers=1).best for s in range(4)]
    start = max(found, key=additive_complexity)
    assert additive_complexity(start) > 18                 # a costlier rank-7 scheme to start from
    res = optimize_additions(start, time_limit=None, max_flips=4096 * 150, rng=0)
    assert res.scheme.rank == 7 and res.scheme.verify() and res.after <= 18


def test_optimize_command_and_recorded_count(tmp_path, capsys):
    s = search("gg", "2x2x2", "ZT", target_rank=7, rng=0, workers=1).best
    path = save_scheme(s, tmp_path)
    assert json.loads(path.read_text())["provenance"]["additions"] == additive_complexity(s)
    rc = cli_main(["optimize", str(path), "--out", str(tmp_path / "out"), "--time-limit", "1", "--seed", "0"])
    assert rc == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    t = load_scheme(last["path"])
    assert last["additions_before"] == additive_complexity(s) and last["additions"] == additive_complexity(t)
    assert t.rank == 7 and json.loads(open(last["path"]).read())["provenance"]["additions"] == last["additions"]


def test_minimiser_errors():
    s = naive_scheme("gg", "2x2x2", "ZT")
    with pytest.raises(ValueError, match="time_limit, max_flips"):
        optimize_additions(s, time_limit=None)
    with pytest.raises(TypeError, match="scheme"):
        optimize_additions("s")
    with pytest.raises(ValueError, match="F2, F3 or ZT"):
        optimize_additions(naive_scheme("gg", "2x2x2", "Q"), max_flips=10)


def _factors3(s):
    n, R = s.n, s.rank
    return [np.array(s.u, dtype=np.int64).reshape(R, n[0], n[1]), np.array(s.v, dtype=np.int64).reshape(R, n[1], n[2]),
            np.array(s.w, dtype=np.int64).reshape(R, n[0], n[2])]


@settings(max_examples=8, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT"]), sizes=st.sampled_from(["2x3x4", "3x3x3", "4x2x3"]),
       seed=st.integers(0, 2**31 - 1))
def test_sandwich_moves_are_the_gl_action_and_their_scores_exact(ring, sizes, seed):
    w = Walker(naive_scheme("gg", sizes, ring), seed)
    w.walk(5_000, plateau=1_000, margin=3)
    s = w.scheme()
    mats = _factors3(s)
    moves = _sandwich_moves(mats, s.n, s.ring)
    assert moves or s.ring is Ring.ZT               # over F2 / F3 every elementary sandwich is allowed
    for delta, q, i, j, sign in moves[:: max(1, len(moves) // 12)]:
        elem = [np.eye(k, dtype=np.int64) for k in s.n]
        elem[q][i, j] = sign
        t = gl_action(s, *elem)                       # the reference (refuses to leave Z_T, as the scores do)
        got = _apply_sandwich(mats, s.n, s.ring, q, i, j, sign)
        assert [np.array_equal(g.reshape(s.rank, -1), np.asarray(f)) for g, f in zip(got, t.factors)] == [True] * 3
        assert additive_complexity(t) - additive_complexity(s) == delta
    # a ZT move left out of the list is one that gl_action refuses
    if s.ring is Ring.ZT:
        listed = {m[1:] for m in moves}
        for q in range(3):
            for i in range(s.n[q]):
                for j in range(s.n[q]):
                    for sign in (1, -1):
                        if i != j and (q, i, j, sign) not in listed:
                            elem = [np.eye(k, dtype=np.int64) for k in s.n]
                            elem[q][i, j] = sign
                            with pytest.raises(ValueError):
                                gl_action(s, *elem)


@settings(max_examples=6, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT"]), seed=st.integers(0, 2**31 - 1))
def test_sandwich_descent_is_exact_and_never_worse(ring, seed):
    w = Walker(naive_scheme("gg", "3x3x4", ring), seed)
    w.walk(20_000, plateau=2_000, margin=3)
    s = w.scheme()
    t = sandwich_descent(s, seed, plateau=10)
    assert t.verify() and t.rank == s.rank and t.ring == s.ring
    assert additive_complexity(t) <= additive_complexity(s)
    # at the end no single elementary sandwich lowers the count
    assert min((m[0] for m in _sandwich_moves(_factors3(t), t.n, t.ring)), default=0) >= 0


def test_descent_errors():
    with pytest.raises(ValueError, match="scheme: expected a gg scheme over F2, F3 or ZT"):
        sandwich_descent(naive_scheme("gg", "2x2x2", "Z"))
    with pytest.raises(ValueError, match="plateau"):
        sandwich_descent(naive_scheme("gg", "2x2x2", "ZT"), plateau=-1)
    with pytest.raises(ValueError, match="margin"):
        optimize_additions(naive_scheme("gg", "2x2x2", "ZT"), max_flips=10, margin=-1)


# ------------------------------------------------------------------ annealing
from linalg_lab.flipgraph.optimize import anneal_additions, anneal_reduced  # noqa: E402
from linalg_lab.schemes import random_sandwich, strassen_scheme  # noqa: E402


@settings(max_examples=8, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT"]), fmt=st.sampled_from(["2x2x2", "2x2x3", "2x3x3"]),
       extra=st.integers(0, 2), seed=st.integers(0, 2**32 - 1))
def test_annealing_is_exact_keeps_the_rank_and_is_never_worse(ring, fmt, extra, seed):
    w = Walker(naive_scheme("gg", fmt, ring), seed)
    w.walk(5_000, plateau=1_000, margin=3)
    start = w.scheme()
    res = anneal_additions(start, time_limit=None, max_steps=60_000, rng=seed, chunk=5_000, plus=0.01,
                           extra=extra, temperature=(0.5, 4.0), patience=3)
    s = res.scheme
    assert s.verify() and s.ring == start.ring and s.rank == start.rank
    assert res.before == additive_complexity(start) and res.after == additive_complexity(s) <= res.before
    if ring == "ZT":
        assert all(np.abs(np.asarray(a)).max() <= 1 for a in s.factors)


def test_annealing_brings_a_sandwiched_strassen_back_to_18():
    s = random_sandwich(strassen_scheme("ZT"), np.random.default_rng(3), 10)
    assert additive_complexity(s) > 18
    res = optimize_additions(s, time_limit=None, max_flips=400_000, rng=0, method="anneal")
    assert res.after <= 18 and res.scheme.rank == 7 and res.scheme.verify()


def test_anneal_reduced_finds_winograd_and_checks_arguments():
    res = anneal_reduced(strassen_scheme("ZT"), time_limit=None, max_samples=300, rng=0)
    assert res.before == 18 and res.after == 15 == res.program.additions and res.program.check() == ""
    with pytest.raises(ValueError, match="time_limit, max_samples"):
        anneal_reduced(strassen_scheme("ZT"), time_limit=None)
    with pytest.raises(ValueError, match="scheme: expected a gg scheme over F2, F3 or ZT"):
        anneal_additions(naive_scheme("gg", "2x2x2", "Z"), max_steps=10)
    with pytest.raises(ValueError, match="temperature"):
        anneal_additions(strassen_scheme("ZT"), max_steps=10, temperature=(2.0, 1.0))
    with pytest.raises(ValueError, match="method"):
        optimize_additions(strassen_scheme("ZT"), max_flips=10, method="sa")


# ------------------------------------------------------------------ the plateau walk (excursions through rank R + 1)
import itertools  # noqa: E402

from linalg_lab.flipgraph.optimize import plateau_additions  # noqa: E402


def _ternary(s):
    return all(np.abs(np.asarray(a)).max(initial=0) <= 1 for a in s.factors)


@settings(max_examples=8, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT"]), fmt=st.sampled_from(["2x2x2", "2x2x3", "2x3x3"]),
       walk=st.sampled_from([None, "own"]), pool=st.integers(1, 3), slack=st.integers(0, 3),
       seed=st.integers(0, 2**32 - 1))
def test_plateau_walk_is_exact_never_worse_and_counts_right(ring, fmt, walk, pool, slack, seed):
    w = Walker(naive_scheme("gg", fmt, ring), seed)
    w.walk(5_000, plateau=1_000, margin=3)                 # some scheme of a low rank, with room to improve
    start = w.scheme()
    seen = []
    res = plateau_additions(start, time_limit=None, max_flips=60_000, rng=seed, pool=pool, slack=slack, polish=500,
                            walk_ring=ring if walk == "own" else None,
                            on_improve=lambda s, c: seen.append((s, c)))
    s = res.scheme
    assert s.verify() and s.ring == start.ring and s.n == start.n
    assert res.before == additive_complexity(start) and res.after == additive_complexity(s)
    assert (s.rank, res.after) <= (start.rank, res.before)
    if ring == "ZT":
        assert _ternary(s)
    # every checkpoint handed out was exact, over the start's ring, and strictly better than the one before
    keys = [(start.rank, res.before)] + [(t.rank, c) for t, c in seen]
    assert all(t.verify() and t.ring == start.ring and c == additive_complexity(t) for t, c in seen)
    assert all(b < a for a, b in itertools.pairwise(keys))
    if seen:
        assert seen[-1][0] == s
    st_ = res.stats
    assert st_["returns"] <= st_["excursions"] and st_["improvements"] == len(seen)
    assert res.provenance()["additions"] == res.after


def test_plateau_walk_brings_a_sandwiched_strassen_back_to_18():
    # Strassen's scheme has no two terms sharing a factor: no flip at rank 7; a sandwiched copy costs more
    s = random_sandwich(strassen_scheme("ZT"), np.random.default_rng(3), 10)
    assert additive_complexity(s) > 18
    res = plateau_additions(s, time_limit=None, max_flips=200_000, rng=1)
    assert res.after == 18 and res.scheme.rank == 7 and res.scheme.ring is Ring.ZT and res.scheme.verify()
    assert res.stats["returns"] > 0


def test_plateau_walk_goes_below_the_flips_and_sandwiches_at_rank_r():
    # a 3x3x3 rank-23 Z_T scheme of the search: the walk at rank 23 (method="walk") stops at 107 additions with this
    # budget, the excursions through rank 24 (over F2, sign-lifted) go lower with the same budget
    start = search("gg", "3x3x3", "ZT", target_rank=23, rng=1, workers=1).best
    plain = optimize_additions(start, time_limit=None, max_flips=300_000, rng=0, method="walk")
    res = optimize_additions(start, time_limit=None, max_flips=300_000, rng=0)          # the plateau walk
    assert res.scheme.rank == 23 and res.scheme.ring is Ring.ZT and res.scheme.verify() and _ternary(res.scheme)
    assert res.after < plain.after <= res.before
    assert res.stats["returns"] > 0 and res.stats["lifts"] >= res.stats["improvements"] > 0


def test_plateau_walk_drops_what_does_not_lift():
    # with a sign search of one decision nothing lifts unless propagation alone settles it: never a wrong scheme
    s = random_sandwich(strassen_scheme("ZT"), np.random.default_rng(3), 10)
    res = plateau_additions(s, time_limit=None, max_flips=50_000, rng=2, lift_nodes=1)
    assert res.scheme.verify() and res.scheme.ring is Ring.ZT and res.after == additive_complexity(res.scheme)
    assert res.stats["lifts"] == res.stats["improvements"] + res.stats["lift_failures"]
    assert res.after <= res.before


def test_plateau_walk_errors():
    s = strassen_scheme("ZT")
    with pytest.raises(ValueError, match="time_limit, max_flips"):
        plateau_additions(s, time_limit=None)
    with pytest.raises(ValueError, match="walk_ring"):
        plateau_additions(s, max_flips=10, walk_ring="F3")
    with pytest.raises(ValueError, match="walk_ring"):
        plateau_additions(strassen_scheme("F2"), max_flips=10, walk_ring="ZT")
    with pytest.raises(ValueError, match="F2, F3 or ZT"):
        plateau_additions(naive_scheme("gg", "2x2x2", "Q"), max_flips=10)
    with pytest.raises(ValueError, match="margin"):
        plateau_additions(s, max_flips=10, margin=0)
    with pytest.raises(TypeError, match="scheme"):
        plateau_additions("s", max_flips=10)


@pytest.mark.parametrize("name,published", [("gg-2x5x5-r40-ZT.json", 273), ("gg-5x5x5-r93-ZT.json", 843)])
def test_catalogue_naive_counts_stay_at_or_below_perminovs(name, published):
    # the plateau walk's schemes in the catalogue (docs/results/schemes.md, naive counts): exact, ternary, cheaper
    from pathlib import Path
    s = load_scheme(Path(__file__).resolve().parents[2] / "schemes" / "gg" / name)
    assert s.ring is Ring.ZT and s.verify() and _ternary(s)
    assert additive_complexity(s) <= published
