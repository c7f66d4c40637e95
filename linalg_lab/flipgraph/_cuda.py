"""CUDA batch walks: one GPU thread per walk, from the move bodies of :mod:`._kernels`.

The walk (:func:`._kernels.walk`, with flip, reduction, plus transition, split
and the pending-check stack under it) is compiled a second time as a CUDA
device function by :func:`linalg_lab._targets.cuda_functions`: the same Python
source, no copy. The kernel here only picks its walk out of the batch.

On the device a batch is stored *batch-last* (every field of
:class:`~.state.WalkerState` with the batch axis moved to the end), so that the
threads of a warp, which run neighbouring walks, read neighbouring words:
word ``q`` of walk ``i`` sits at ``q * batch + i``. On the host a batch is
batch-first (:func:`.state.allocate` with ``batch=``); :class:`DeviceBatch`
converts on the way in and out. Each walk carries its own generator state
(``rng``), so a batch walked here and the same batch walked on the CPU
(:func:`.batch.walk_batch`) draw the same numbers and end in the same state.

Nothing here is imported by the package unless a CUDA walk is asked for.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._targets import assumed_device, cuda_functions, simulator
from . import _kernels as K
from .state import M_RANK, WalkerState

_KERNEL = None
cuda = None


def _walk_kernel():
    """The batch walk kernel (compiled by numba-cuda on its first launch)."""
    global _KERNEL, cuda
    if _KERNEL is not None:
        return _KERNEL
    # a module global, not a local: the simulator swaps the global name ``cuda`` of a kernel for its fake
    from numba import cuda

    (walk,) = cuda_functions(K.walk)

    @cuda.jit
    def walk_batch(F, S, meta, keys, sgen, cnt, head, fpos, tslot, nxt, prv, flist, stack, rng, params,
                   bestF, bestS, done):
        i = cuda.grid(1)
        if i < done.shape[0]:
            st = WalkerState(F[:, :, i], S[:, i], meta[:, i], keys[:, :, :, i], sgen[:, :, i], cnt[:, :, i],
                             head[:, :, i], fpos[:, :, i], tslot[:, i], nxt[:, i], prv[:, i], flist[:, i],
                             stack[:, i], rng[:, i], params[:, i], bestF[:, :, i], bestS[:, i])
            done[i] = walk(st)

    _KERNEL = walk_batch
    return walk_batch


def batch_last(state: WalkerState) -> WalkerState:
    """A batch-first host state as contiguous batch-last arrays (the device layout), copied."""
    return WalkerState(*(np.ascontiguousarray(np.moveaxis(a, 0, -1)) for a in state))


def batch_first(state: WalkerState) -> WalkerState:
    """The inverse of :func:`batch_last`."""
    return WalkerState(*(np.ascontiguousarray(np.moveaxis(a, -1, 0)) for a in state))


class DeviceBatch:
    """A batch of walks resident on the GPU.

    Parameters
    ----------
    state : WalkerState
        A batch-first host batch (every walk initialised, e.g. stacked from
        :class:`~.walker.Walker` states); copied to the device once.
    threads_per_block : int, default 128

    Notes
    -----
    Between launches only what is asked for crosses the bus: :meth:`meta`
    (the per-walk counters: rank, best rank, flips, ...), and the rows that
    :meth:`download` or :meth:`upload` name.
    """

    def __init__(self, state: WalkerState, threads_per_block: int = 128):
        from numba import cuda

        self._cuda = cuda
        self.size = int(state.F.shape[0])
        self.threads = max(1, min(int(threads_per_block), self.size))   # no idle threads in a small batch
        if simulator():
            # the simulator runs one OS thread per CUDA thread of a block and polls them all under the GIL,
            # which on a loaded machine slows a block of 8 walks by orders of magnitude: one walk per block
            self.threads = 1
        self.dev = WalkerState(*(cuda.to_device(a) for a in batch_last(state)))
        self._done = cuda.device_array(self.size, dtype=np.int64)

    def walk(self) -> np.ndarray:
        """One launch: every walk runs up to its ``params[P_MAX_FLIPS]`` flips; returns the flips done per walk."""
        blocks = (self.size + self.threads - 1) // self.threads
        with warnings.catch_warnings():
            # the simulator runs the bodies on numpy scalars, whose (intended) uint64 wrap-around warns
            warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning)
            _walk_kernel()[blocks, self.threads](*self.dev, self._done)
        return self._done.copy_to_host()

    def meta(self) -> np.ndarray:
        """The counters of every walk, ``(batch, META_SIZE)`` (a small copy: no factors)."""
        return np.ascontiguousarray(self.dev.meta.copy_to_host().T)

    def ranks(self) -> np.ndarray:
        return self.meta()[:, M_RANK]

    # -- the batch executor's transfers (host: a batch-first state whose rows the walkers hold) ---------
    def _pull(self, host: WalkerState, names) -> None:
        for name in names:
            getattr(host, name)[...] = np.moveaxis(getattr(self.dev, name).copy_to_host(), -1, 0)

    def pull_meta(self, host: WalkerState) -> None:
        """Counters into ``host`` (rank, best rank, flips, ...): a few hundred bytes per walk."""
        self._pull(host, ("meta",))

    def pull_schemes(self, host: WalkerState) -> None:
        """Current and best factors and signs into ``host``."""
        self._pull(host, ("F", "S", "bestF", "bestS", "meta"))

    def pull_all(self, host: WalkerState) -> None:
        self._pull(host, WalkerState._fields)

    def push(self, host: WalkerState, everything: bool) -> None:
        """``host`` to the device: every field after a load on the host, else the parameters only."""
        if everything:
            self.upload(host)
        else:
            self.dev.params.copy_to_device(np.ascontiguousarray(np.moveaxis(host.params, 0, -1)))

    def download(self) -> WalkerState:
        """The whole batch back on the host, batch-first."""
        return batch_first(WalkerState(*(a.copy_to_host() for a in self.dev)))

    def upload(self, state: WalkerState) -> None:
        """Replace the whole batch on the device by a batch-first host batch of the same shapes."""
        for dev, host in zip(self.dev, batch_last(state)):
            if dev.shape != host.shape:
                raise ValueError(f"state: shape {host.shape} does not match the device batch's {dev.shape}")
            dev.copy_to_device(host)


def default_batch(walk_bytes: int) -> int:
    """Walks in a default GPU batch: the device's resident threads (multiprocessors x threads per
    multiprocessor), fewer when their states would take more than half of its free memory; 4 under the
    simulator, which runs one OS thread per walk."""
    from .._targets import simulator

    if simulator():
        return 4
    from numba import cuda as real_cuda

    dev = real_cuda.get_current_device()
    resident = int(dev.MULTIPROCESSOR_COUNT) * int(dev.MAX_THREADS_PER_MULTI_PROCESSOR)
    free, _ = real_cuda.current_context().get_memory_info()
    return max(1, min(resident, int(free // 2 // max(1, int(walk_bytes)))))


def compile_ptx(cc=(9, 0), *, units: int = 8, tables: int = 3, hbits: int = 7) -> str:
    """PTX of the batch walk kernel for compute capability ``cc``: a compile check that needs no GPU.

    Needs numba-cuda (the ``cuda`` extra) but no driver or device; not
    available under the simulator (which compiles nothing).

    Examples
    --------
    >>> "walk_batch" in compile_ptx()          # doctest: +SKIP
    True
    """
    from numba import cuda as real_cuda
    from numba import typeof

    from .state import allocate

    sample = batch_last(allocate(units, tables, hbits, batch=2))
    sig = tuple(typeof(a) for a in sample) + (typeof(np.zeros(2, np.int64)),)
    with assumed_device(tuple(cc)):
        ptx, _ = real_cuda.compile_ptx(_walk_kernel().py_func, sig, device=False, cc=tuple(cc))
    return ptx


__all__ = ["DeviceBatch", "batch_first", "batch_last", "compile_ptx", "default_batch"]
