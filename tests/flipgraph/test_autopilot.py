"""The autopilot's policy: who gets compute, when it escalates, what explicit flags switch off.

The policy is tested on its own decisions (flip counts, not wall clock), then
end to end on small formats with a tiny patience.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linalg_lab.flipgraph import autopilot as ap
from linalg_lab.flipgraph import search
from linalg_lab.flipgraph.autopilot import Autopilot, strategies_for
from linalg_lab.flipgraph.landscape import isolated
from linalg_lab.flipgraph.portfolio import Portfolio
from linalg_lab.flipgraph.symmetric import SymmetricWalker
from linalg_lab.schemes import naive_scheme
from linalg_lab.tensors import tensor_code


def _strategies(ring="F2", sizes="3x3x3", **pinned):
    tc = tensor_code("gg", sizes)
    return strategies_for(tc, ring, None, [naive_scheme("gg", sizes, ring)], pinned)


# ----------------------------------------------------------------------------- portfolio
def test_every_strategy_is_tried_once_in_escalation_order():
    p = Portfolio(["a", "b", "c"])
    assert [p.choose(100) for _ in range(3)] == ["a", "b", "c"]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2), st.integers(1, 5), st.integers(0, 2**31))
def test_the_strategy_that_improves_gets_most_of_the_compute(winner, rate, seed):
    """A strategy that wins one stint in ``rate`` (the others never) ends with the most stints."""
    arms = ["pool", "deep", "descents"]
    p = Portfolio(arms)
    rng = np.random.default_rng(seed)
    for _ in range(300):
        a = p.choose(1000)
        wins = int(arms.index(a) == winner and rng.random() < 1 / rate)
        p.record(a, 1000, wins)
    stints = {a: p.stats[a].stints for a in arms}
    assert max(stints, key=stints.get) == arms[winner]
    assert stints[arms[winner]] > 150
    # and the others are never dropped for good: each keeps being tried
    assert all(stints[a] >= 2 for a in arms)


def test_without_any_win_the_compute_is_shared_evenly():
    p = Portfolio(["a", "b", "c", "d"])
    for _ in range(400):
        p.record(p.choose(10), 10, 0)
    counts = [p.stats[a].stints for a in "abcd"]
    assert max(counts) - min(counts) <= 1


def test_portfolio_checks_its_arguments():
    with pytest.raises(ValueError, match="^arms"):
        Portfolio([])
    p = Portfolio(["a"])
    with pytest.raises(ValueError, match="^allowed"):
        p.choose(10, allowed=["z"])


# ----------------------------------------------------------------------------- autopilot
def test_no_portfolio_before_the_search_stalls():
    pilot = Autopilot(_strategies(), 2, patience=1000, min_stint=100)
    # improvements keep coming: every walker stays on the first strategy
    flips = 0
    for k in range(50):
        flips += 50
        pilot.improved(k % 2, flips)
        assert pilot.step(k % 2, flips // 2, flips, 0.0) is None
    assert not pilot.engaged and pilot.current == ["pool", "pool"]


def test_a_stall_starts_the_portfolio_and_escalates_through_every_strategy():
    strategies = _strategies()
    names = [s.name for s in strategies]
    pilot = Autopilot(strategies, 1, patience=1000, min_stint=100)
    assert pilot.step(0, 500, 500, 1.0) is None and not pilot.engaged
    seen, walker_flips, flips = ["pool"], 500, 500
    for _ in range(2000):
        walker_flips += 1000
        flips += 1000
        new = pilot.step(0, walker_flips, flips, 2.0)
        if new is not None:
            pilot.begin(0, walker_flips)
            seen.append(new.name)
    assert pilot.engaged_at == 2.0
    assert seen[:len(names)] == names        # pool (continued), then each in escalation order
    decisions = pilot.summary()["decisions"]
    assert decisions[0]["strategy"] == "stalled"
    assert {d["strategy"] for d in decisions[1:]} == set(names)


def test_stints_lengthen_while_the_search_stays_stalled():
    pilot = Autopilot(_strategies(), 1, patience=1000, min_stint=100)
    lengths, wf = [], 0
    for flips in range(2000, 200_000, 2000):
        wf = flips
        new = pilot.step(0, wf, flips, 0.0)
        if new is not None:
            pilot.begin(0, wf)
        lengths.append(pilot.stint_length[0])
    lengths = [x for x in lengths if x]
    assert lengths == sorted(lengths) and lengths[-1] > 10 * lengths[0]


def test_an_improvement_is_credited_to_the_strategy_of_its_stint():
    pilot = Autopilot(_strategies(), 1, patience=10, min_stint=1000)
    new = pilot.step(0, 100, 100, 0.0)                 # stalled on pool: the stall counts against it
    assert new.name == "deep" and pilot.portfolio.stats["pool"].flips == 100
    pilot.begin(0, 0)
    pilot.improved(0, 300)
    assert pilot.step(0, 500, 500, 0.0) is None        # within deep's stint
    pilot.step(0, 5000, 5000, 0.0)                    # deep's stint ended with a win
    assert pilot.portfolio.stats["deep"].wins == 1 and pilot.portfolio.stats["pool"].wins == 0


def test_strategies_per_format_and_ring():
    names = lambda ring, sizes, **kw: [s.name for s in _strategies(ring, sizes, **kw)]     # noqa: E731
    assert names("F2", "3x3x3") == ["pool", "deep", "descents", "C3"]
    assert names("ZT", "3x3x3") == ["pool", "deep", "descents", "C3", "lift"]
    assert names("F3", "2x3x4") == ["pool", "deep", "descents"]        # C3 needs a square product, n >= 3
    # explicit settings hold in every strategy; strategies they make identical collapse
    strategies = _strategies("F2", "3x3x3", margin=5)
    assert all(s.settings.margin == 5 for s in strategies)
    assert names("F2", "2x2x3", plateau=30_000, margin=8, path_limit=10**8) == ["pool", "descents"]
    c3 = _strategies("F2", "4x4x4")[3]
    assert c3.walker is SymmetricWalker and c3.starts[0].verify()
    lift = _strategies("ZT", "2x2x3")[-1]
    assert lift.ring.value == "F2" and lift.starts[0].ring.value == "F2"


# ----------------------------------------------------------------------------- search
def test_explicit_restart_or_symmetry_switches_the_autopilot_off():
    r = search("gg", "2x2x2", "F2", target_rank=7, rng=1, workers=1, restart="start")
    assert r.autopilot is None
    r = search("gg", "2x2x2", "F2", target_rank=7, rng=1, workers=1, autopilot=False)
    assert r.autopilot is None
    r = search("gg", "2x2x2", "F2", target_rank=7, rng=1, workers=1)
    assert r.autopilot is not None and r.autopilot["engaged_at"] is None     # no stall on the way to 7
    with pytest.raises(ValueError, match="^autopilot"):
        search("gg", "3x3x3", "F2", target_rank=23, symmetry="C3", autopilot=True)


@pytest.mark.parametrize("ring, sizes", [("ZT", "3x3x3"), ("F2", "3x3x3")])
def test_a_stalled_search_plays_every_strategy_and_keeps_exact_schemes(monkeypatch, ring, sizes):
    # a tiny patience and short stints: within 2.5e7 flips the portfolio runs every strategy,
    # the C3 walk and (over Z_T) the lifted F2 descents included, on one walker
    monkeypatch.setattr(ap, "PATIENCE", 1 << 18)
    monkeypatch.setattr(ap, "MIN_STINT", 1 << 19)
    r = search("gg", sizes, ring, target_rank=19, rng=3, workers=1, max_flips=25_000_000, chunk=1 << 16)
    assert r.best.verify() and r.best.ring.value == ring and r.rank <= 23
    assert all(s.verify() and s.ring.value == ring for s in r.schemes)
    a = r.autopilot
    assert a["engaged_at"] is not None
    played = {d["strategy"] for d in a["decisions"]} - {"stalled"}
    assert played == set(a["strategies"])
    assert sum(v["flips"] for v in a["portfolio"].values()) <= r.flips


def test_cli_search_records_the_autopilot_in_the_provenance(tmp_path, monkeypatch):
    import json

    from linalg_lab.cli import main

    rc = main(["search", "gg", "2x2x2", "--ring", "F2", "--target-rank", "7", "--seed", "1", "--workers", "1",
               "--quiet", "--out", str(tmp_path)])
    assert rc == 0
    data = json.loads(next(tmp_path.glob("*.json")).read_text())
    prov = data.get("provenance", {})
    assert "autopilot" in prov and set(prov["autopilot"]["portfolio"]) >= {"pool", "deep", "descents"}
    rc = main(["search", "gg", "2x2x2", "--ring", "F2", "--target-rank", "7", "--seed", "1", "--workers", "1",
               "--quiet", "--no-autopilot", "--out", str(tmp_path / "plain")])
    assert rc == 0
    data = json.loads(next((tmp_path / "plain").glob("*.json")).read_text())
    assert "autopilot" not in data.get("provenance", {})


# ----------------------------------------------------------------------------- meta search stints
def test_stint_slots_open_up_when_hopping_stops_paying():
    from linalg_lab.flipgraph.stints import StintScheduler

    s = StintScheduler(walkers=8, patience=1000)
    assert s.slots(500) == 2                       # a quarter while hopping pays
    assert s.slots(5000) == 7                      # all but one once it stopped
    s.hop_improved((2, 3, 3), 5000)
    assert s.slots(5500) == 2
    assert s.slots(10_001) == 7                    # patience: max(1000, flips at the last hop improvement)
    assert StintScheduler(walkers=2, patience=10).slots(100) == 1       # one walker always hops


def test_a_pair_s_stints_double_while_they_win_nothing_and_an_improvement_extends_one():
    from linalg_lab.flipgraph.settings import SearchSettings
    from linalg_lab.flipgraph.stints import STINT_FIRST, STINT_MAX, Stints

    st = Stints({(3, 4, 4): 38, (3, 3, 3): 23}, "ZT", SearchSettings.resolve(), 2, descents=True)
    pair = ("descent", (3, 4, 4))
    st.begin(0, *pair, flips=1000)
    assert not st.over(0, 1000 + STINT_FIRST) and st.over(0, 1001 + STINT_FIRST)
    st.won(0, 1000 + STINT_FIRST)                               # an improvement: the count starts again
    assert not st.over(0, 1000 + 2 * STINT_FIRST)
    st.reached(0, 45, 1000 + 2 * STINT_FIRST)                   # a new low of the stint: progress too
    st.reached(0, 45, 1000 + 3 * STINT_FIRST)                   # the same rank again: none
    assert not st.over(0, 1000 + 3 * STINT_FIRST) and st.over(0, 1001 + 3 * STINT_FIRST)
    st.end(0, 1000 + 3 * STINT_FIRST)
    lengths = [st.length[pair]]
    for _ in range(20):                                          # each stint of the pair doubles the next
        st.begin(1, *pair, flips=0)
        assert st.over(1, st.length[pair] + 1)
        st.end(1, st.length[pair] + 1)
        lengths.append(st.length[pair])
    assert lengths[:3] == [2 * STINT_FIRST, 4 * STINT_FIRST, 8 * STINT_FIRST]
    assert max(lengths) == lengths[-1] == STINT_MAX
    assert st.length[("descent", (3, 3, 3))] == STINT_FIRST     # other pairs keep theirs
    assert st.scheduler.summary()["descent 3x4x4"] == {"stints": 21, "flips": 3 * STINT_FIRST + sum(
        lengths[:-1]) + 20, "wins": 1}


def test_the_stint_scheduler_prefers_far_formats_and_what_made_their_best():
    from linalg_lab.flipgraph.stints import StintScheduler

    s = StintScheduler(walkers=2)
    pairs = [("descent", (3, 4, 4)), ("descent", (2, 5, 5)), ("lift", (2, 5, 5))]
    gap = {(3, 4, 4): 1 / 38, (2, 5, 5): 2 / 40}
    first = [s.choose(pairs, gap, 100) for _ in range(3)]
    assert first[0][1] == (2, 5, 5) and sorted(first) == sorted(pairs)     # each once, the farthest format first
    for p in pairs:
        s.record(*p, flips=100, wins=int(p == ("lift", (2, 5, 5))))
    picks = [s.choose(pairs, gap, 100) for _ in range(30)]
    assert max(set(picks), key=picks.count) == ("lift", (2, 5, 5))
    assert s.summary()["lift 2x5x5"]["wins"] == 1


def test_anchors_keep_the_leading_strategy_and_follow_a_winner():
    pilot = Autopilot(_strategies(), 2, patience=10, min_stint=1000)
    assert pilot.anchors == 1 and Autopilot(_strategies(), 1).anchors == 0
    assert pilot.step(0, 100, 100, 0.0) is None            # the anchor goes on along its path, on pool
    assert pilot.current[0] == "pool" and pilot.stint_start[0] == 100
    explorer = pilot.step(1, 100, 200, 0.0)
    assert explorer.name == "deep"                         # the explorer opens with what was not played
    pilot.begin(1, 0)
    pilot.improved(1, 300)
    pilot.step(1, 5000, 5300, 0.0)                         # deep's stint ends with a win
    assert pilot.portfolio.leader() == "deep"
    new = pilot.step(0, 100 + 10_000, 15_000, 0.0)         # the anchor's stint ends: it follows the winner
    assert new is not None and new.name == "deep"


def test_an_isolated_best_starts_the_portfolio_at_once_led_by_the_independent_strategies():
    pilot = Autopilot(_strategies("F2", "4x4x4"), 2, patience=10**12, min_stint=1000)
    pilot.improved(0, 500, isolated=False, seconds=0.5)
    assert not pilot.engaged and pilot.step(0, 300, 600, 0.6) is None      # far from a stall
    pilot.improved(1, 800, isolated=True, seconds=1.0)                     # e.g. Strassen x Strassen's 49
    assert pilot.engaged_at == 1.0 and pilot.summary()["decisions"][0]["strategy"] == "isolated"
    assert pilot.portfolio.arms == ["descents", "C3", "pool", "deep"]
    anchor = pilot.step(0, 400, 900, 1.1)
    assert anchor.name == "descents"                                     # the anchor leads with descents
    pilot.begin(0, 400)
    explorer = pilot.step(1, 400, 1000, 1.1)
    assert explorer.name == "descents"                                   # and the explorer tries them first
    pilot.begin(1, 400)
    explorer = pilot.step(1, 400 + 10_000, 11_000, 1.2)
    assert explorer.name == "C3"                                         # then what it has not played
    # a later hole changes nothing more; a win moves the lead as before
    pilot.improved(0, 12_000, isolated=True, seconds=1.3)
    assert [d["strategy"] for d in pilot.summary()["decisions"]].count("isolated") == 1


def test_wins_above_a_level_of_holes_are_forgotten_when_the_search_reaches_it():
    pilot = Autopilot(_strategies("F2", "4x4x4"), 2, patience=10, min_stint=1000)
    pilot.step(0, 100, 100, 0.0)                           # stalled: the portfolio starts on pool
    pilot.improved(0, 300)                                 # the anchor's pool stint wins ...
    pilot.step(0, 100 + 5000, 5400, 0.0)
    assert pilot.portfolio.leader() == "pool"
    pilot.improved(0, 6000, isolated=True, seconds=2.0)    # ... and its next win lands in a hole
    assert pilot.portfolio.leader() == "descents"
    assert all(st.wins == 0 for st in pilot.portfolio.stats.values())
    assert pilot.summary()["decisions"][-1]["strategy"] == "isolated"
    new = pilot.step(0, 100 + 5000 + 10_000, 20_000, 2.1)  # the anchor's stint ends: descents lead now
    assert new.name == "descents" and pilot.portfolio.stats["pool"].wins == 0


def test_a_search_whose_best_is_a_hole_turns_to_independent_walks():
    # 2x2x2 over F2 falls into Strassen's 7, a hole; without a target the search goes on from there
    r = search("gg", "2x2x2", "F2", rng=2, workers=1, max_flips=3_000_000, chunk=1 << 16)
    assert r.rank == 7 and r.best.verify() and isolated([r.best])
    a = r.autopilot
    assert a["engaged_at"] is not None and a["decisions"][0]["strategy"] == "isolated"
    played = [d["strategy"] for d in a["decisions"][1:]]
    assert played[0] == "descents"
    # with a target the search stops at the hole without starting the portfolio
    r = search("gg", "2x2x2", "F2", target_rank=7, rng=2, workers=1)
    assert r.autopilot["engaged_at"] is None
