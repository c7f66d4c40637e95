"""Batches of walks: many walkers' states stacked on a leading axis, walked on the CPU or on a GPU.

A batch is one :class:`~.state.WalkerState` whose arrays have a leading batch
axis (walk ``i`` is :func:`~.state.select` ``(batch, i)``). Every walk of a
batch has the same tensor, ring and capacity, so their arrays have the same
shapes. :func:`walk_batch` walks a batch with the CPU kernel, one walk after
the other; :class:`~._cuda.DeviceBatch` walks it on a GPU, one thread per walk,
with the same move bodies compiled for CUDA. Given the same batch both end in
the same state: each walk draws from its own generator state.

Examples
--------
>>> import numpy as np
>>> from linalg_lab.schemes import naive_scheme
>>> from linalg_lab.flipgraph.walker import Walker
>>> walkers = [Walker(naive_scheme("gg", "2x2x2", "F2"), np.random.default_rng(s)) for s in range(3)]
>>> b = stack_states([w.st for w in walkers])
>>> set_params(b, flips=200, target=7)
>>> done = walk_batch(b)
>>> b.F.shape[0], int(done.min()) > 0
(3, True)
"""

from __future__ import annotations

import numpy as np

from . import _kernels as K
from .state import (P_MARGIN, P_MAX_FLIPS, P_PLATEAU, P_SPLIT, P_STOP_AT_DROP, P_TARGET, WalkerState, select)


def stack_states(states) -> WalkerState:
    """One batch from single-walk states of the same shapes (copied)."""
    states = list(states)
    if not states:
        raise ValueError("states: expected at least one walker state")
    for k, st in enumerate(states[1:], 1):
        for name, a, b in zip(WalkerState._fields, st, states[0]):
            if a.shape != b.shape:
                raise ValueError(f"states: state {k} has {name} of shape {a.shape}, state 0 {b.shape} "
                                 "(a batch holds walks of one tensor, ring and capacity)")
    return WalkerState(*(np.stack(arrays) for arrays in zip(*states)))


def set_params(batch: WalkerState, *, flips: int, target: int = 0, plateau: int = 0, margin: int = 2,
               stop_below: int = 0, split: int = 0) -> None:
    """Write the walk parameters of every walk of ``batch`` (as :meth:`.walker.Walker.walk` takes them)."""
    p = batch.params
    p[:, P_MAX_FLIPS] = flips
    p[:, P_TARGET] = target
    p[:, P_PLATEAU] = plateau
    p[:, P_MARGIN] = margin
    p[:, P_STOP_AT_DROP] = stop_below
    p[:, P_SPLIT] = split


def walk_batch(batch: WalkerState) -> np.ndarray:
    """Walk every walk of ``batch`` on the CPU (in place); returns the flips done per walk."""
    n = batch.F.shape[0]
    done = np.zeros(n, dtype=np.int64)
    for i in range(n):
        done[i] = K.walk(select(batch, i))
    return done


__all__ = ["set_params", "stack_states", "walk_batch"]
