"""Searches on a Dask cluster (loopback only): the same results, faults survived, workers not trusted."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import cloudpickle  # noqa: E402  (comes with distributed)

from linalg_lab.flipgraph import search  # noqa: E402
from linalg_lab.flipgraph.dask_executor import DaskExecutor  # noqa: E402
from linalg_lab.flipgraph.executor import advance  # noqa: E402
from linalg_lab.schemes import load_scheme  # noqa: E402

# the test double below must reach the workers by value: they cannot import this test module
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


def test_search_on_two_workers_reaches_its_target(client):
    ex = DaskExecutor(client)
    res = search("gg", "3x3x3", "F2", target_rank=23, rng=1, workers=2, executor=ex, time_limit=120)
    assert res.target_reached and res.rank == 23 and res.best.verify()
    assert ex.refused == 0


def test_one_walker_on_dask_repeats_the_local_step_loop(client):
    # the same chunk (Dask's default is longer) and the same (hashed) factor tables as a Dask walker
    from linalg_lab.flipgraph.batch import BatchExecutor

    a = search("gg", "3x3x3", "ZT", target_rank=23, rng=4, workers=1, max_flips=3_000_000, chunk=1 << 17,
               executor=BatchExecutor("cpu", compact_tables=True))
    b = search("gg", "3x3x3", "ZT", target_rank=23, rng=4, workers=1, max_flips=3_000_000, chunk=1 << 17,
               executor=DaskExecutor(client))
    assert (a.rank, a.flips) == (b.rank, b.flips)
    assert a.best == b.best and b.best.verify()
    assert [h[1:] for h in a.history] == [h[1:] for h in b.history]


def lying_step(folder, lies=3):
    """A worker step that corrupts the first ``lies`` schemes it reports (one entry of u flipped), wherever
    it runs: each lie claims a token file in ``folder`` (O_EXCL), so exactly ``lies`` are told."""

    def step(walker, request):
        report = advance(walker, request)
        if report.best is not None:
            for k in range(lies):
                try:
                    os.close(os.open(os.path.join(folder, f"lie-{k}"), os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    continue
                s = report.best
                u = np.array(s.u, dtype=np.int64)
                u[0, 0] = 1 - u[0, 0]
                report.best = s.with_factors(u, s.v, s.w)
                break
        return report

    return step


def test_a_lying_worker_is_refused(client, tmp_path):
    ex = DaskExecutor(client, step=lying_step(str(tmp_path)))
    res = search("gg", "3x3x3", "F2", target_rank=23, rng=2, workers=2, executor=ex, time_limit=120)
    assert res.best.verify() and all(s.verify() for s in res.schemes)
    assert res.target_reached
    assert ex.refused == 3       # every lie was caught, and nothing else was refused


def test_a_killed_worker_loses_at_most_its_step(client):
    pids = client.run(os.getpid)
    out = {}

    def run():
        out["res"] = search("gg", "4x4x4", "F2", target_rank=40, rng=3, workers=2, chunk=200_000,
                            executor=DaskExecutor(client), time_limit=8)

    t = threading.Thread(target=run)
    t.start()
    time.sleep(3)
    os.kill(next(iter(pids.values())), signal.SIGKILL)
    t.join(60)
    assert not t.is_alive()
    res = out["res"]
    assert res.stopped == "time" and res.best.verify() and res.rank < 64
    client.wait_for_workers(2, timeout=60)       # the nanny restarted the killed worker


def test_a_cluster_restart_mid_run_is_survived(client):
    # client.restart() cancels every running step (FutureCancelledError, reason "scheduler-restart")
    # and restarts the workers: the steps are submitted again from the walkers' last states
    ex = DaskExecutor(client, chunk=200_000)
    out = {}

    def run():
        # the restarted workers import and warm up again: on a loaded machine that takes seconds
        out["res"] = search("gg", "4x4x4", "F2", target_rank=40, rng=6, workers=2, executor=ex, time_limit=20)

    t = threading.Thread(target=run)
    t.start()
    time.sleep(3)
    flips_before = ex.steps
    client.restart(wait_for_workers=False)
    t.join(90)
    assert not t.is_alive()
    res = out["res"]
    assert res.stopped == "time" and res.best.verify()
    assert ex.steps > flips_before and ex.lost is None
    client.wait_for_workers(2, timeout=60)


def test_cli_search_on_a_scheduler(client, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "linalg_lab.cli", "search", "gg", "2x2x2", "--ring", "ZT",
                           "--target-rank", "7", "--seed", "1", "--quiet", "--scheduler", client.scheduler.address,
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["rank"] == 7 and load_scheme(info["path"]).verify()


def test_bad_client_argument():
    with pytest.raises(TypeError, match="^client"):
        search("gg", "2x2x2", "F2", target_rank=7, executor=DaskExecutor(42))


def test_meta_search_on_dask(client, tmp_path):
    from linalg_lab.flipgraph import meta_search

    ex = DaskExecutor(client)
    res = meta_search("2..3", "ZT", time_limit=30, workers=2, rng=0, executor=ex, out=tmp_path / "bests",
                      progress=False)
    assert res.summary()["matched"] == 4          # 2x2x2 7, 2x2x3 11, 2x3x3 15, 3x3x3 23
    files = sorted((tmp_path / "bests").glob("*.json"))
    assert files and all(load_scheme(f).verify() for f in files)


CAMPAIGN = """
[tensor]
code = "gg"
sizes = "4x4x4"
ring = "F2"

[search]
target_rank = 40
time_budget = {budget}
workers = 2
seed = 5
scheduler = "{address}"

[output]
dir = "run"
checkpoint_interval = 0.3
"""


def test_campaign_on_dask_survives_a_driver_kill_9_and_resumes(client, tmp_path, kill_campaign_after_checkpoint):
    f = tmp_path / "c.toml"
    f.write_text(CAMPAIGN.format(budget=6, address=client.scheduler.address))
    ck = tmp_path / "run" / "checkpoint.json"
    used = kill_campaign_after_checkpoint(f)["seconds_used"]
    assert used > 1.0
    done = subprocess.run([sys.executable, "-m", "linalg_lab.cli", "campaign", str(f), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 3), done.stderr[-2000:]
    data = json.loads(ck.read_text())
    assert data["seconds_used"] >= 6.0 - 0.5 and data["seconds_used"] > used    # resumed, not restarted
    files = sorted((tmp_path / "run").glob("*.json"))
    schemes = [load_scheme(x) for x in files if x.name != "checkpoint.json"]
    assert schemes and all(s.verify() for s in schemes)


def test_gpu_workers_walk_groups_as_batches(tmp_path):
    # a "GPU" worker under numba's CUDA simulator: each task is a group of walks stepped by the batch kernel,
    # through the same task payload as the CPU workers'; every scheme is verified again on the driver
    env = {"NUMBA_ENABLE_CUDASIM": "1", "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", "")}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", resources={"GPU": 1}, env=env) as cluster, \
            distributed.Client(cluster) as c:
        assert c.run(lambda: os.environ.get("NUMBA_ENABLE_CUDASIM")) == {w: "1" for w in c.scheduler_info()["workers"]}
        ex = DaskExecutor(c, device="cuda", group=4)
        res = search("gg", "2x2x2", "F2", target_rank=7, rng=1, workers=4, chunk=300, executor=ex, time_limit=120)
        assert res.target_reached and res.best.verify() and res.rank == 7
        assert ex.steps >= 1 and ex.refused == 0 and ex.resubmitted == 0


def test_cluster_executor_reads_device_and_batch_as_the_workers():
    from linalg_lab.flipgraph.dask_executor import cluster_executor

    ex = cluster_executor("tcp://127.0.0.1:1", "cuda", 256)
    assert (ex.device, ex.group) == ("cuda", 256)
    assert (cluster_executor("tcp://127.0.0.1:1", "auto").device, cluster_executor("tcp://127.0.0.1:1").group) == \
        ("cpu", 1)
    with pytest.raises(ValueError, match="^batch"):
        cluster_executor("tcp://127.0.0.1:1", "cpu", 8)
    with pytest.raises(ValueError, match="^device"):
        cluster_executor("tcp://127.0.0.1:1", "tpu")
    with pytest.raises(ValueError, match="^step"):
        DaskExecutor("tcp://127.0.0.1:1", device="cuda", step=lambda w, r: None)
