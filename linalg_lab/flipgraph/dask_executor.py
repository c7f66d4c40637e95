"""Searches beyond one machine: the walks as Dask tasks, the pool on the driver.

:class:`DaskExecutor` runs the pure step of :mod:`.executor`
(:func:`~.executor.advance`: load if asked, walk one chunk, report) as Dask
tasks. The walker's state travels with the task and comes back with its
report (a few hundred kilobytes at most, numpy buffers out of band), so a
worker holds nothing between steps: the pool, the restart policy, the
checkpoint and the catalogue stay on the driver, and the driver's state is the
only state there is.

- Every step has its own key (run, walker, step), so ``submit``'s default
  ``pure=True`` never merges two steps and a resubmission is the same step.
- Results stream back through ``as_completed(..., with_results=True,
  raise_errors=False)``. A step that failed (its worker died: ``KilledWorker``;
  a scheduler restart or a lost connection: ``FutureCancelledError``; or it
  raised) is submitted again from the walker's last state, which the driver
  still has: a dead worker costs at most that step.
- **A worker is not trusted.** Every scheme a report carries is verified again
  on the driver before the coordinator sees it; a wrong one is dropped and
  logged (``refused`` counts them), never offered to the pool.
- **One protocol for CPU and GPU workers.** A task is a *group* of walkers
  with one request each (:func:`run_steps`); the reports come back in the same
  order. A CPU worker steps the group's walkers one after the other; a GPU
  worker (``device="cuda"``: tasks go only to workers started with
  ``--resources GPU=1``) walks the group as one batch on its GPU, one thread
  per walk (:func:`~.batch.advance_group`), with the same move bodies.
- :class:`NumbaWarmup`, a worker plugin registered by :meth:`DaskExecutor.prepare`,
  points ``NUMBA_CACHE_DIR`` at the driver's cache folder (where workers share
  its file system) and compiles the kernels once per worker process, also on
  workers that join or restart during the run.

Nothing here is imported by ``import linalg_lab``; it needs the ``dist``
extra (``pip install "linalg-lab[dist]"``).

References
----------
Dask distributed documentation: futures, ``as_completed``, worker plugins.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid

from distributed.diagnostics.plugin import WorkerPlugin

from ..schemes.scheme import Scheme
from ..validation import check_choice, check_int
from .executor import Executor, advance

log = logging.getLogger(__name__)


class NumbaWarmup(WorkerPlugin):
    """Worker plugin: the numba cache folder, and the flip-graph kernels compiled at worker start.

    Parameters
    ----------
    cache_dir : str, optional
        ``NUMBA_CACHE_DIR`` for the worker (set before its first compilation).
    """

    name = "linalg-lab-numba-warmup"

    def __init__(self, cache_dir: str | None = None):
        self.cache_dir = cache_dir

    def setup(self, worker=None):
        if self.cache_dir:
            os.environ.setdefault("NUMBA_CACHE_DIR", self.cache_dir)
        import numpy as np

        from ..schemes.standard import naive_scheme
        from .walker import Walker

        for ring in ("F2", "F3", "ZT"):
            Walker(naive_scheme("gg", "2x2x2", ring), np.random.default_rng(0)).walk(10, plateau=5)
        if worker is not None and getattr(worker.state, "total_resources", {}).get("GPU"):
            # a GPU worker: its batch kernel too (the first launch compiles it)
            from .._targets import cuda_status
            from .batch import advance_group
            from .executor import StepRequest

            if cuda_status()[0]:
                w = Walker(naive_scheme("gg", "2x2x2", "F2"), np.random.default_rng(0), direct=False)
                advance_group([w], [StepRequest(1)], "cuda")


def run_steps(walkers, requests, step=advance, device: str = "cpu") -> list:
    """One task: a step of each walker of a group, reports in the same order (each carries its walker).

    ``device="cuda"``: the group walks as batches on the worker's GPU
    (:func:`~.batch.advance_group`); ``"cpu"``: ``step(walker, request)`` for
    each walker in turn.
    """
    if device == "cuda":
        from .batch import advance_group

        return advance_group(walkers, requests, "cuda")
    return [step(w, r) for w, r in zip(walkers, requests)]


def cluster_executor(scheduler, device: str = "cpu", batch=None) -> "DaskExecutor":
    """The executor of ``--scheduler ADDRESS [--device cuda] [--batch N]``: ``device`` and ``batch`` describe
    the cluster's workers (``"cuda"``: GPU workers, each task a group of ``batch`` walks, default 1024;
    ``"auto"`` and ``"cpu"``: CPU workers, one walker per task)."""
    device = check_choice(device, "device", ("cpu", "cuda", "auto"))
    if device == "cuda":
        group = 1024 if batch is None else check_int(batch, "batch", minimum=1)
        return DaskExecutor(scheduler, device="cuda", group=group)
    if batch is not None:
        raise ValueError("batch: the walks per task of GPU workers; give it with device='cuda'")
    return DaskExecutor(scheduler)


def _connection_errors() -> tuple:
    """The exceptions by which distributed says that the scheduler cannot be reached."""
    from distributed.comm.core import CommClosedError

    return (CommClosedError, TimeoutError)


def _client(client_or_address):
    from distributed import Client

    if isinstance(client_or_address, Client):
        return client_or_address, False
    if isinstance(client_or_address, str):
        return Client(client_or_address), True
    raise TypeError(f"client: expected a distributed.Client or a scheduler address such as 'tcp://host:8786', "
                    f"got {type(client_or_address).__name__}")


class DaskExecutor(Executor):
    """Run the walkers' steps as tasks on a Dask cluster; the coordinator stays here.

    Parameters
    ----------
    client : distributed.Client or str
        A client, or the scheduler's address (``"tcp://HOST:PORT"``; a client
        is opened for the run and closed after it).
    step : callable, default :func:`~.executor.advance`
        One walker's step on a CPU worker: ``step(walker, request) -> StepReport``.
        Only tests change it.
    group : int, default 1
        Walkers per task (:func:`run_steps`). On GPU workers, make it the
        batch a GPU walks at once (thousands); their steps then advance in
        lock-step, one task per group.
    device : {"cpu", "cuda"}, default "cpu"
        Where the tasks walk: ``"cuda"`` sends them only to workers that
        declare a GPU (``dask worker ... --resources GPU=1``), which walk each
        group as one batch on their GPU.
    chunk : int, default 2**24
        Flips per step when the search's ``chunk`` is not given: a task
        should last about a second, long against its round trip (the
        walker's state both ways and the scheduler's bookkeeping).
    max_failures : int, default 20
        Failed steps of one walker in a row before the run stops with an error.
    tick_seconds : float, default 0.05
        How often the calling thread runs the coordinator's tick (progress,
        time limit, checkpoints).

    Attributes
    ----------
    steps : int
        Steps (tasks) completed.
    lost : str or None
        Why the connection to the scheduler was lost, when it was: the run
        then ends early and cleanly, with the best scheme found so far.
    resubmitted : int
        Steps submitted again after a failure.
    refused : int
        Reports whose scheme failed the driver's verification.

    Examples
    --------
    >>> from distributed import Client, LocalCluster                     # doctest: +SKIP
    >>> from linalg_lab.flipgraph import search                          # doctest: +SKIP
    >>> with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:  # doctest: +SKIP
    ...     res = search("gg", "3x3x3", "F2", target_rank=23, executor=DaskExecutor(client))
    """

    #: walkers built for this executor use hashed factor tables: their state travels with every task
    compact_tables = True

    def __init__(self, client, *, step=advance, group: int = 1, device: str = "cpu", chunk: int = 1 << 24,
                 max_failures: int = 20, tick_seconds: float = 0.05):
        self.client_arg = client
        self.group = check_int(group, "group", minimum=1)
        self.device = check_choice(device, "device", ("cpu", "cuda"))
        if self.device == "cuda" and step is not advance:
            raise ValueError("step: a GPU worker walks its group with the batch kernel; step is for CPU workers")
        self.chunk = check_int(chunk, "chunk", minimum=1)
        if not callable(step):
            raise TypeError(f"step: expected a callable step(walker, request), got {type(step).__name__}")
        self.step = step
        self.max_failures = int(max_failures)
        self.tick_seconds = float(tick_seconds)
        self.steps = 0
        self.lost = None
        self.resubmitted = 0
        self.refused = 0
        self._client = None
        self._owned = False

    def _connect(self):
        if self._client is None:
            self._client, self._owned = _client(self.client_arg)
        return self._client

    def prepare(self, walkers) -> None:
        client = self._connect()
        client.register_plugin(NumbaWarmup(os.environ.get("NUMBA_CACHE_DIR")), name=NumbaWarmup.name)

    def _trusted(self, report) -> bool:
        """Re-verify every scheme of a report on the driver; drop the report's schemes when one fails."""
        ok = True
        for name in ("best", "current"):
            s = getattr(report, name)
            if s is None:
                continue
            if not isinstance(s, Scheme) or not s.verify():
                ok = False
        if not ok:
            self.refused += 1
            log.warning("a worker returned a scheme that does not verify: refused (report dropped)")
        return ok

    def run(self, walkers, coordinator) -> None:
        from distributed import as_completed

        client = self._connect()
        run_id = uuid.uuid4().hex[:12]
        walkers = list(walkers)
        n = len(walkers)
        groups = [list(range(k, min(k + self.group, n))) for k in range(0, n, self.group)]
        steps = [0] * len(groups)
        failures = [0] * len(groups)
        pending: dict[str, tuple] = {}          # key -> (group, members, requests, future)
        ac = as_completed([], with_results=True, raise_errors=False)
        lock = threading.Lock()
        extra = {"resources": {"GPU": 1}} if self.device == "cuda" else {}

        def submit(g, members, requests):
            steps[g] += 1
            key = f"flipgraph-step-{run_id}-{g}-{steps[g]}"
            future = client.submit(run_steps, [walkers[i] for i in members], requests, self.step, self.device,
                                   key=key, pure=False, **extra)
            with lock:
                pending[key] = (g, members, requests, future)
            ac.add(future)

        def failed(g, members, requests, why):
            failures[g] += 1
            if failures[g] > self.max_failures:
                raise RuntimeError(f"walkers {members}: {failures[g]} failed or refused steps in a row; last: {why}")
            self.resubmitted += 1
            log.info("walkers %s: step failed (%s); submitted again from their last states", members, why)
            submit(g, members, requests)

        def consume():
            try:
                for future, result in ac:
                    with lock:
                        g, members, requests, _ = pending.pop(future.key)
                    if coordinator.stopped:
                        continue
                    if isinstance(result, BaseException) or future.status in ("error", "cancelled"):
                        failed(g, members, requests, repr(result))
                        continue
                    if not isinstance(result, list) or len(result) != len(members) \
                            or not all(self._trusted(r) for r in result):
                        failed(g, members, requests, "a report refused")   # the same step, from the states before it
                        continue
                    failures[g] = 0
                    self.steps += 1
                    nxt_members, nxt = [], []
                    for i, rep in zip(members, result):
                        walkers[i] = rep.walker
                        req = coordinator.receive(i, rep)
                        if req is not None:
                            nxt_members.append(i)
                            nxt.append(req)
                    if nxt:
                        submit(g, nxt_members, nxt)
            except (OSError, *_connection_errors()) as exc:
                # the scheduler is gone: end the run cleanly, the driver keeps (and the caller writes) its best
                self.lost = f"{type(exc).__name__}: {exc}"
                log.warning("lost the Dask scheduler (%s): the run ends with the best scheme found so far", exc)
            except BaseException as exc:         # surface it in the caller
                coordinator.fail(exc)
            finally:
                coordinator.stop()

        try:
            for g, members in enumerate(groups):
                firsts = [(i, coordinator.first(i)) for i in members]
                firsts = [(i, r) for i, r in firsts if r is not None]
                if firsts:
                    submit(g, [i for i, _ in firsts], [r for _, r in firsts])
            consumer = threading.Thread(target=consume, daemon=True, name="flipgraph-dask-results")
            consumer.start()
            while not coordinator.wait(self.tick_seconds):
                coordinator.tick()
        finally:
            coordinator.stop()
            with lock:
                futures = [p[-1] for p in pending.values()]
            if futures:
                client.cancel(futures)
            ac.clear()
            if self._owned:
                self._client.close()
                self._client = None


__all__ = ["DaskExecutor", "NumbaWarmup", "cluster_executor", "run_steps"]
