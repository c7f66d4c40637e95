"""The seams of the search: settings, restart policies, the pool keyed by format, the pure step and executors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linalg_lab.cli import build_parser
from linalg_lab.flipgraph import (Executor, Restart, SchemePool, SearchSettings, StepRequest, ThreadExecutor,
                                  Walker, advance, search)
from linalg_lab.flipgraph.campaign import _SEARCH_KEYS
from linalg_lab.flipgraph.pool import scheme_key
from linalg_lab.flipgraph.settings import SETTINGS
from linalg_lab.flipgraph.state import allocate, select
from linalg_lab.tensors import naive_scheme, strassen_scheme


class SequentialExecutor(Executor):
    """Every walker's steps in turn in the calling thread: a second, independent executor."""

    def run(self, walkers, coordinator):
        requests = [coordinator.first(i) for i in range(len(walkers))]
        while any(r is not None for r in requests) and not coordinator.stopped:
            for i, w in enumerate(walkers):
                if requests[i] is not None:
                    report = advance(w, requests[i])
                    walkers[i] = report.walker
                    requests[i] = coordinator.receive(i, report)
            coordinator.tick()


def _fingerprint(res):
    return res.rank, res.flips, res.plus_transitions, [scheme_key(s) for s in res.schemes], [r for _, _, r in res.history]


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_one_walker_search_is_reproducible_and_executor_independent(seed):
    kw = dict(rng=seed, workers=1, max_flips=400_000, chunk=20_000, keep=3)
    a = search("gg", "3x3x3", "F2", **kw)
    b = search("gg", "3x3x3", "F2", **kw)
    c = search("gg", "3x3x3", "F2", executor=SequentialExecutor(), **kw)
    assert a.flips >= 400_000 and a.rank < 27
    assert _fingerprint(a) == _fingerprint(b) == _fingerprint(c)
    assert all(s.verify() for s in a.schemes)


def test_sequential_executor_runs_several_walkers_to_the_target():
    res = search("gg", "3x3x3", "F2", target_rank=23, rng=5, workers=3, executor=SequentialExecutor(), keep=2)
    assert res.target_reached and res.rank == 23 and len(res.schemes) == 2
    assert len({scheme_key(s) for s in res.schemes}) == 2 and all(s.verify() for s in res.schemes)


def test_seed_is_an_alias_of_rng():
    kw = dict(workers=1, max_flips=200_000, chunk=10_000)
    with pytest.warns(DeprecationWarning, match="^seed"):
        old = search("gg", "3x3x3", "F3", seed=11, **kw)
    assert _fingerprint(old) == _fingerprint(search("gg", "3x3x3", "F3", rng=11, **kw))


def test_advance_is_a_step_of_the_walker_only():
    s = naive_scheme("gg", "3x3x3", "F2")
    w1, w2 = Walker(s, 3), Walker(s, 3)
    req = StepRequest(50_000, plateau=2_000, margin=3, report_below=27, collect_at=0)
    r1, r2 = advance(w1, req), advance(w2, req)
    assert r1.flips == r2.flips == 50_000 == r1.total_flips
    assert (r1.rank, r1.best_rank, r1.plus_transitions) == (r2.rank, r2.best_rank, r2.plus_transitions)
    assert r1.best is not None and r1.best.rank == r1.best_rank < 27 and r1.best.verify()
    assert r1.current is None
    # a load request restarts the walk from the given scheme, keeping the counters
    r3 = advance(w1, StepRequest(0, load=s, snapshot=True))
    assert r3.flips == 0 and r3.total_flips == 50_000 and r3.rank == 27 and r3.current.rank == 27


def test_pool_is_keyed_by_format():
    pool = SchemePool(keep=2)
    n222, n333 = naive_scheme("gg", "2x2x2", "F2"), naive_scheme("gg", "3x3x3", "F2")
    assert not pool.offer(n222) and not pool.offer(n333)     # the first scheme of a format is no improvement
    assert pool.offer(strassen_scheme("F2"), flips=10)
    f2, f3 = ("gg", (2, 2, 2), n222.ring), ("gg", (3, 3, 3), n333.ring)
    assert pool.best_rank(f2) == 7 and pool.best_rank(f3) == 27
    assert pool.history(f2)[0][1:] == (10, 7) and pool.history(f3) == []
    assert pool.schemes(f2)[0].rank == 7 and pool.pick(f3, np.random.default_rng(0)).rank == 27
    bad = strassen_scheme("F2").with_factors(*(np.zeros_like(a) for a in strassen_scheme("F2").factors))
    with pytest.raises(RuntimeError, match="does not verify"):
        pool.offer(bad.with_factors(bad.u[:6], bad.v[:6], bad.w[:6]))


def test_restart_from_given_schemes_and_policies():
    s = naive_scheme("gg", "3x3x3", "F2")
    res = search("gg", "3x3x3", "F2", target_rank=23, rng=3, workers=2, restart=Restart.given([s]), time_limit=60)
    assert res.target_reached and res.best.verify()
    res = search("gg", "3x3x3", "F2", symmetry="C3", target_rank=23, rng=3, workers=2, restart=Restart.fresh(2),
                 time_limit=60)
    assert res.rank <= 26 and res.best.verify()
    with pytest.raises(TypeError, match="restart"):
        Restart.given([1, 2])


def test_settings_are_the_single_source_of_defaults():
    parser = build_parser()
    help_text = " ".join(parser._subparsers._group_actions[0].choices["search"].format_help().split())
    for s in SETTINGS:
        assert "--" + s.name.replace("_", "-") in help_text
        assert s.describe_defaults() in help_text
        assert s.name in _SEARCH_KEYS
        assert f"{s.name} :" in search.__doc__ and s.describe_defaults() in " ".join(search.__doc__.split())
    assert SearchSettings.resolve("pool").as_dict() == {s.name: s.default("pool") for s in SETTINGS}
    with pytest.raises(ValueError, match="follow"):
        SearchSettings.resolve("pool", follow=2.0)
    with pytest.raises(TypeError, match="plateau"):
        SearchSettings.resolve("pool", plateau=1.5)
    with pytest.raises(TypeError, match="bogus"):
        SearchSettings.resolve("pool", bogus=1)


def test_ring_specific_defaults_apply_only_to_their_ring():
    from linalg_lab.fields.rings import Ring

    # Z_T descents need longer paths: independent descents and the C3 walk over Z_T default to 3e8
    assert SearchSettings.resolve("start", "ZT").path_limit == SearchSettings.resolve("C3", Ring.ZT).path_limit == 300_000_000
    assert SearchSettings.resolve("start", "F2").path_limit == SearchSettings.resolve("start").path_limit == 10_000_000
    assert SearchSettings.resolve("C3", "F3").path_limit == 33_000_000
    assert SearchSettings.resolve("pool", "ZT") == SearchSettings.resolve("pool")
    assert SearchSettings.resolve("C3-small", "ZT").path_limit == 1_000_000
    assert SearchSettings.resolve("start", "ZT", path_limit=5).path_limit == 5          # given values win


@given(units=st.integers(1, 40), tables=st.sampled_from([1, 3]), hbits=st.integers(7, 10), batch=st.integers(1, 5))
def test_state_layout_with_a_batch_axis(units, tables, hbits, batch):
    one = allocate(units, tables, hbits)
    many = allocate(units, tables, hbits, batch=batch)
    for a, b in zip(one, many):
        assert b.shape == (batch,) + a.shape and b.dtype == a.dtype
        assert np.array_equal(b[batch - 1], a)
    view = select(many, batch - 1)
    view.F[0, 0] = 7
    assert many.F[batch - 1, 0, 0] == 7       # views, not copies


def test_thread_executor_surfaces_worker_errors():
    class Broken(ThreadExecutor):
        @staticmethod
        def _loop(i, walker, coordinator):
            coordinator.fail(ValueError("boom"))

    with pytest.raises(ValueError, match="boom"):
        search("gg", "2x2x2", "F2", target_rank=6, workers=2, rng=0, executor=Broken(), time_limit=5)


def test_pool_keeps_the_cheaper_scheme_among_equal_ranks():
    from linalg_lab.schemes import additive_complexity
    costly = max((search("gg", "2x2x2", "ZT", target_rank=7, rng=s, workers=1).best for s in range(4)),
                 key=additive_complexity)
    cheap = strassen_scheme("ZT")
    assert additive_complexity(costly) > additive_complexity(cheap) == 18
    pool = SchemePool(keep=1)
    fmt = ("gg", (2, 2, 2), cheap.ring)
    pool.offer(costly)
    assert not pool.offer(cheap)                    # same rank: no improvement, but it takes the costlier's place
    assert pool.schemes(fmt) == [cheap]
    assert not pool.offer(costly) and pool.schemes(fmt) == [cheap]
    two = SchemePool(keep=2)
    two.offer(costly)
    two.offer(cheap)
    assert [additive_complexity(s) for s in two.schemes(fmt)] == sorted(additive_complexity(s) for s in (costly, cheap))


def test_advance_to_another_format_gives_a_new_walker():
    w = Walker(naive_scheme("gg", "2x2x2", "ZT"), 0)
    rep = advance(w, StepRequest(1000, plateau=100, load=naive_scheme("gg", "2x2x3", "ZT")))
    assert rep.walker is not w and rep.walker.tc.n == (2, 2, 3) and rep.walker.scheme().verify()
    same = advance(rep.walker, StepRequest(10, load=naive_scheme("gg", "2x2x3", "ZT")))
    assert same.walker is rep.walker


def test_advance_beyond_the_walkers_capacity_gives_a_new_walker():
    # a fresh descent loads the naive scheme into a walker built for a low-rank scheme of its format
    w = Walker(strassen_scheme("ZT"), 0, headroom=0)
    naive = naive_scheme("gg", "2x2x2", "ZT")
    assert w.fits(strassen_scheme("ZT")) and not w.fits(naive) and not w.fits(naive_scheme("gg", "2x2x3", "ZT"))
    with pytest.raises(ValueError, match="capacity"):
        w.load(naive)
    rep = advance(w, StepRequest(0, load=naive, snapshot=True))
    assert rep.walker is not w and rep.walker.fits(naive) and rep.current.rank == 8 and rep.current.verify()


def test_keeps_says_whether_advance_loads_or_builds_a_walker():
    from linalg_lab.flipgraph.executor import keeps
    from linalg_lab.flipgraph.symmetric import SymmetricWalker, fresh_start, orbits_of
    start = fresh_start(3, "F2", 23)
    sym = SymmetricWalker(start, np.random.default_rng(0))
    general = Walker(naive_scheme("gg", "3x3x3", "F2"), 0)
    walked = Walker(naive_scheme("gg", "3x3x3", "F2"), 1)
    walked.walk(20000, plateau=1000)
    assert keeps(sym, start) and keeps(sym, start, SymmetricWalker) and not keeps(sym, start, Walker)
    with pytest.raises(ValueError):
        orbits_of(walked.scheme())          # a walked scheme has lost the cyclic symmetry
    assert not sym.fits(walked.scheme())
    for w, s, t in [(sym, start, None), (general, start, SymmetricWalker), (general, naive_scheme("gg", "2x2x2", "F2"), None)]:
        rep = advance(w, StepRequest(0, load=s, walker_type=t))
        assert (rep.walker is w) == keeps(w, s, t)
