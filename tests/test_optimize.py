"""The additive-complexity minimiser: exact, never worse, and Strassen's 18 for 2x2 matrices."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linalg_lab.cli import main as cli_main
from linalg_lab.flipgraph import Walker, search
from linalg_lab.flipgraph.optimize import optimize_additions
from linalg_lab.schemes import additive_complexity, load_scheme, naive_scheme, save_scheme


@settings(max_examples=6, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT"]), seed=st.integers(0, 2**32 - 1))
def test_minimiser_is_exact_and_never_worse(ring, seed):
    w = Walker(naive_scheme("gg", "3x3x3", ring), seed)
    w.walk(20_000, plateau=2_000, margin=3)            # a scheme with room to improve
    start = w.scheme()
    res = optimize_additions(start, time_limit=None, max_flips=40_000, rng=seed, chunk=2_000)
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
    res = optimize_additions(start, time_limit=None, max_flips=4096 * 1500, rng=0)
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
