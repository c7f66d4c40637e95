"""reduce_additions with a time limit: every side gets passes, on a fake clock (no wall-clock assertion)."""

import itertools
from types import SimpleNamespace

import numpy as np
import pytest

from linalg_lab.schemes import program, random_sandwich, reduce_additions
from linalg_lab.tensors import naive_scheme, strassen_scheme


@pytest.fixture
def counted(monkeypatch):
    """A clock that advances one second per reading, and the passes each side made."""
    clock = itertools.count(0.0, 1.0)
    monkeypatch.setattr(program, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    made, passes = [0], []
    elim, lin = program._eliminate, program._linear_program

    def eliminate(*args, **kw):
        made[0] += 1
        return elim(*args, **kw)

    def linear(*args, **kw):
        before = made[0]
        out = lin(*args, **kw)
        passes.append(made[0] - before)
        return out

    monkeypatch.setattr(program, "_eliminate", eliminate)
    monkeypatch.setattr(program, "_linear_program", linear)
    return passes


def test_the_time_limit_is_shared_between_the_sides(counted):
    # one clock reading per pass: 30 "seconds" are about 10 passes per side (before: all to the A side)
    scheme = random_sandwich(naive_scheme("gg", (2, 3, 4), "ZT"), np.random.default_rng(3), 8)
    p = reduce_additions(scheme, restarts=10**6, time_limit=30, rng=0)
    assert p.check() == "" and p.additions <= p.naive
    assert len(counted) == 3
    assert all(5 <= c <= 12 for c in counted), counted


def test_a_spent_limit_still_runs_one_pass_per_side(counted):
    p = reduce_additions(strassen_scheme("ZT"), restarts=10**6, time_limit=1e-9, rng=0)
    assert counted == [1, 1, 1]
    q = reduce_additions(strassen_scheme("ZT"), restarts=1)
    assert (p.u.additions, p.v.additions, p.w.additions) == (q.u.additions, q.v.additions, q.w.additions)
