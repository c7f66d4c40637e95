"""The per-walker progress both coordinators share (flipgraph.tracker.WalkerTracker)."""

from hypothesis import given
from hypothesis import strategies as st

from linalg_lab.flipgraph.tracker import WalkerTracker
from linalg_lab.schemes import strassen_scheme


@given(st.lists(st.integers(1, 40), min_size=1, max_size=30))
def test_progress_is_true_exactly_at_a_new_low(ranks):
    t = WalkerTracker(1)
    low = None
    for k, r in enumerate(ranks):
        assert t.progress(0, r, flips=k) == (low is None or r < low)
        low = r if low is None else min(low, r)
        assert t.best[0] == low


@given(st.integers(8, 60), st.lists(st.integers(1, 60), max_size=10))
def test_a_walker_reports_each_rank_below_the_best_once(best, reported):
    t = WalkerTracker(2)
    assert t.below(0, best) == best
    low = best
    for r in reported:
        if r < t.below(0, best):
            t.offer(0, r)
            low = min(low, r)
        assert t.below(0, best) == low
    assert t.below(1, best) == best              # the other walker is not affected


def test_a_new_path_forgets_what_was_reported():
    t = WalkerTracker(1)
    t.offer(0, 5)
    assert t.below(0, 9) == 5
    t.load(0, strassen_scheme("F2"), flips=10)
    assert t.below(0, 9) == 9 and t.best[0] == 7 and t.since[0] == 10
