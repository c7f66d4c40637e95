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

from .._targets import cuda_status
from ..validation import check_bool, check_choice, check_int
from . import _kernels as K
from .executor import Executor, prepare, report, walk_options, wants_current
from .state import (M_RING, M_SYM, P_MARGIN, P_MAX_FLIPS, P_PLATEAU, P_SPLIT, P_STOP_AT_DROP, P_TARGET, WalkerState, select)


def use_gpu(device, executor=None) -> bool:
    """Whether the walks go to a GPU (``device`` "cpu", "cuda" or "auto"); a ValueError naming ``device``
    says why one cannot be used, or that an ``executor`` was given as well."""
    device = check_choice(device, "device", ("cpu", "cuda", "auto"))
    if device == "cpu":
        return False
    if executor is not None:
        raise ValueError("device, executor: give one of them (an executor decides where the walks run)")
    usable, why = cuda_status()
    if device == "cuda" and not usable:
        raise ValueError(f"device: 'cuda' needs a usable NVIDIA GPU, and here {why}")
    return usable


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


def replicate(state: WalkerState, count: int, rng=None) -> WalkerState:
    """A batch of ``count`` copies of one walk's state, each with its own generator seed.

    The quick way to a large batch (thousands of walks from one start): no
    walker object per walk.
    """
    count = check_int(count, "count", minimum=1)
    g = np.random.default_rng(rng)
    batch = WalkerState(*(np.repeat(a[None], count, axis=0) for a in state))
    batch.rng[:, 0] = g.integers(1, 2**63 - 1, size=count, dtype=np.int64).astype(np.uint64)
    return batch


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
        one = select(batch, i)
        done[i] = K.walk_for(int(one.meta[M_RING]), bool(one.meta[M_SYM]))(one)
    return done


def walk_group(walkers, requests, backend):
    """One step of each walker (:func:`~.executor.prepare`, then the walk), walkers of one state shape
    walked as one batch by ``backend(host_batch)``; returns (the walkers after the step, flips per walker).

    The walkers may hold different formats, rings and kinds (a meta search):
    each shape of state is its own batch, sent out and brought back whole.
    """
    walkers = [prepare(w, r) for w, r in zip(walkers, requests)]   # a new format may need a new walker
    groups: dict[tuple, list] = {}
    for i, (w, r) in enumerate(zip(walkers, requests)):
        w.configure(r.flips, **walk_options(r))
        groups.setdefault(tuple(a.shape for a in w.st), []).append(i)
    done = [0] * len(walkers)
    for members in groups.values():
        host = stack_states([walkers[i].st for i in members])
        b = backend(host)
        flips = b.walk()
        b.pull_all(host)
        for k, i in enumerate(members):
            for mine, theirs in zip(walkers[i].st, host):
                mine[...] = theirs[k]
            done[i] = int(flips[k])
    return walkers, done


def advance_group(walkers, requests, device: str = "cpu", threads_per_block: int = 128) -> list:
    """The pure step of :func:`~.executor.advance` for a group of walkers, walked as batches on ``device``.

    One task of a distributed search (:class:`~.dask_executor.DaskExecutor`)
    is this call: on a CPU worker the group walks with the CPU kernel, on a
    GPU worker (``device="cuda"``) as batches on its GPU, one thread per
    walk; the payload and the reports (each carrying its walker) are the same.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.schemes import naive_scheme
    >>> from linalg_lab.flipgraph.walker import Walker
    >>> from linalg_lab.flipgraph.executor import StepRequest
    >>> ws = [Walker(naive_scheme("gg", "2x2x2", "F2"), np.random.default_rng(s)) for s in range(2)]
    >>> reps = advance_group(ws, [StepRequest(2000, target=7, report_below=8)] * 2)
    >>> [r.best_rank for r in reps], all(r.best.verify() for r in reps)
    ([7, 7], True)
    """
    device = check_choice(device, "device", ("cpu", "cuda"))
    requests = list(requests)
    if len(requests) != len(walkers):
        raise ValueError(f"requests: one per walker, got {len(requests)} for {len(walkers)} walkers")
    if device == "cpu":
        backend = HostBatch
    else:
        from ._cuda import DeviceBatch

        def backend(host):
            return DeviceBatch(host, threads_per_block)
    walked, done = walk_group(walkers, requests, backend)
    return [report(w, r, n) for w, r, n in zip(walked, requests, done)]


class HostBatch:
    """The CPU side of :class:`BatchExecutor`: the batch walked in place by the CPU kernel, no transfers."""

    def __init__(self, host: WalkerState):
        self.host = host

    def walk(self) -> np.ndarray:
        return walk_batch(self.host)

    def push(self, host, everything) -> None:
        pass

    def pull_meta(self, host) -> None:
        pass

    pull_schemes = pull_all = pull_meta


class BatchExecutor(Executor):
    """All walkers in one batch, walked in lock-step: one launch per step of every walker.

    Around each launch the executor applies the step rules of
    :mod:`.executor` (:func:`~.executor.prepare` on the request side,
    :func:`~.executor.report` on the report side) to every walker, so the
    pool, the restart policy and the checkpoints of a search are the same as
    with threads. Only the counters come back after a launch; the factors of
    the walks whose report needs a scheme (a new best, a collected scheme)
    come back when some walk needs one, and the whole batch goes out again
    only after a restart loaded a scheme on the host.

    Parameters
    ----------
    device : {"cpu", "cuda"}
        ``"cuda"``: the batch lives on the GPU (:class:`._cuda.DeviceBatch`,
        one thread per walk); ``"cpu"``: the CPU kernel walks it, one walk
        after the other (the reference the GPU batch is checked against).
    threads_per_block : int, default 128
    compact_tables : bool, optional
        Walkers built for this executor (by :func:`~.search.search`) use
        hashed factor tables (``Walker(direct=False)``), small enough for
        thousands of walks; default True on the GPU, False on the CPU.

    grouped : bool, default False
        For walkers of many formats (the meta search, whose walkers change
        format, ring and kind): each step, the walkers are grouped by the
        shapes of their states and each group walks as one batch, sent out
        and brought back whole. Without it every walker must keep one
        format, ring and capacity (a search), and a request that would need
        another walker raises a ValueError; the batch then stays on the
        device between steps.
    """

    def __init__(self, device: str = "cpu", threads_per_block: int = 128, compact_tables: bool | None = None,
                 grouped: bool = False):
        self.device = check_choice(device, "device", ("cpu", "cuda"))
        self.grouped = check_bool(grouped, "grouped")
        self.threads_per_block = check_int(threads_per_block, "threads_per_block", minimum=1, maximum=1024)
        self.compact_tables = (self.device == "cuda") if compact_tables is None else check_bool(compact_tables,
                                                                                                "compact_tables")
        self.launches = 0

    def _backend(self, host: WalkerState):
        if self.device == "cpu":
            return HostBatch(host)
        from ._cuda import DeviceBatch

        return DeviceBatch(host, self.threads_per_block)

    def prepare(self, walkers) -> None:
        if self.device == "cuda":
            # the first launch compiles the kernel: do it before the search's clock starts
            host = stack_states([walkers[0].st])
            set_params(host, flips=0)
            self._backend(host).walk()

    def run(self, walkers, coordinator) -> None:
        walkers = list(walkers)
        launch = self._grouped_launch if self.grouped else self._resident_launch(walkers)
        try:
            requests = [coordinator.first(i) for i in range(len(walkers))]
            while not coordinator.stopped:
                active = [i for i, r in enumerate(requests) if r is not None]
                if not active:
                    break
                done = launch(walkers, requests, active)
                for i in active:
                    requests[i] = coordinator.receive(i, report(walkers[i], requests[i], done[i]))
                coordinator.tick()
        finally:
            coordinator.stop()

    def _grouped_launch(self, walkers, requests, active) -> dict:
        """One step of every active walker, one batch per shape of walker state, sent and fetched whole."""
        walked, done = walk_group([walkers[i] for i in active], [requests[i] for i in active],
                                  self._backend)
        self.launches += len({tuple(a.shape for a in w.st) for w in walked})
        for k, i in enumerate(active):
            walkers[i] = walked[k]
        return dict(zip(active, done))

    def _resident_launch(self, walkers):
        """The step of a batch that stays on the device: the walkers hold rows of one host batch."""
        host = stack_states([w.st for w in walkers])
        for i, w in enumerate(walkers):
            w.bind(select(host, i))
        backend = self._backend(host)

        def launch(walkers, requests, active):
            loads = any(requests[i].load is not None for i in active)
            if loads:
                backend.pull_all(host)       # the host copy must be current before it is sent back
            host.params[:, P_MAX_FLIPS] = 0  # walks without a request sit this launch out
            for i in active:
                req = requests[i]
                w = prepare(walkers[i], req)
                if w is not walkers[i]:
                    raise ValueError("executor: a batch walks one format, ring and capacity; this step asked "
                                     f"for another walker ({w.tc.label()} over {w.ring})")
                w.configure(req.flips, **walk_options(req))
            backend.push(host, loads)
            done = backend.walk()
            self.launches += 1
            backend.pull_meta(host)
            if any(walkers[i].best_rank < requests[i].report_below or wants_current(requests[i], walkers[i].rank)
                   for i in active):
                backend.pull_schemes(host)
            return done

        return launch

__all__ = ["BatchExecutor", "HostBatch", "advance_group", "replicate", "set_params", "stack_states", "use_gpu", "walk_batch",
           "walk_group"]
