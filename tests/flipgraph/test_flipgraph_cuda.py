"""The CUDA batch walk: the same move bodies as the CPU walk, checked without a GPU.

The simulated GPU batch (numba's CUDA simulator, in its own process since it
must be switched on before numba is imported) and the CPU batch walk, given the
same batch, must end in the same state, array for array; a PTX compile for
compute capability 9.0 checks that the bodies are valid CUDA (no GPU needed).
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

SIMULATED = r'''
import json, numpy as np
from linalg_lab.schemes import naive_scheme
from linalg_lab.flipgraph.walker import Walker
from linalg_lab.flipgraph.symmetric import SymmetricWalker, fresh_start
from linalg_lab.flipgraph.batch import stack_states, set_params, walk_batch
from linalg_lab.flipgraph._cuda import DeviceBatch
from linalg_lab.flipgraph.state import WalkerState, M_RANK, M_FLIPS, M_PLUS, M_REDUCTIONS
from linalg_lab._targets import cuda_status
out = {"status": cuda_status(), "cases": []}
# (size, ring, symmetric, walks, direct tables): direct-addressed and hashed factor tables both
cases = [("2x2x2", "F2", False, 6, True), ("3x3x3", "F2", False, 2, False), ("3x3x3", "F3", False, 2, True),
         ("3x3x3", "ZT", False, 2, True), ("3x3x3", "F2", True, 2, True), ("3x3x3", "ZT", True, 2, True)]
for size, ring, sym, count, direct in cases:
    if sym:
        walkers = [SymmetricWalker(fresh_start(3, ring), np.random.default_rng(s)) for s in range(count)]
    else:
        walkers = [Walker(naive_scheme("gg", size, ring), np.random.default_rng(s), direct=direct) for s in range(count)]
    cpu = stack_states([w.st for w in walkers])
    # a short plateau and a margin make the walks take plus transitions and splits too
    set_params(cpu, flips=150, target=0, plateau=30, margin=3, split=30)
    gpu = WalkerState(*(a.copy() for a in cpu))
    done_cpu = walk_batch(cpu)
    batch = DeviceBatch(gpu, threads_per_block=4)
    done_gpu = batch.walk()
    back = batch.download()
    differ = [n for n, a, b in zip(WalkerState._fields, cpu, back) if not np.array_equal(a, b)]
    exact = []
    for i, w in enumerate(walkers):
        for name, a in zip(WalkerState._fields, back):
            getattr(w.st, name)[...] = a[i]
        s = w.scheme()
        exact.append(bool(s.verify()) and (ring != "ZT" or all(int(abs(x).max()) <= 1 for x in s.factors)))
    out["cases"].append({"case": [size, ring, sym], "differ": differ, "done_cpu": done_cpu.tolist(),
                         "done_gpu": done_gpu.tolist(), "exact": exact,
                         "meta_gpu": batch.meta()[:, [M_RANK, M_FLIPS, M_PLUS, M_REDUCTIONS]].tolist()})

# the whole search on the simulated GPU against the batch executor's CPU reference: same seeds, same result
from linalg_lab.flipgraph import search
from linalg_lab.flipgraph.batch import BatchExecutor
runs = []
for size, ring, target, sym in (("2x2x2", "F2", 7, None), ("2x2x2", "ZT", 7, None)):
    gpu = search("gg", size, ring, target_rank=target, rng=5, device="cuda", batch=3, symmetry=sym, max_flips=20000,
                 chunk=2000)
    cpu = search("gg", size, ring, target_rank=target, rng=5, workers=3, executor=BatchExecutor("cpu", compact_tables=True),
                 symmetry=sym, max_flips=20000, chunk=2000)
    runs.append({"case": [size, ring, sym], "gpu": [gpu.rank, gpu.flips, gpu.device, bool(gpu.best.verify())],
                 "cpu": [cpu.rank, cpu.flips, cpu.device], "same_best": gpu.best == cpu.best,
                 "same_history": [h[1:] for h in gpu.history] == [h[1:] for h in cpu.history]})
out["searches"] = runs

# the meta search on the simulated GPU: walkers of several formats, one batch per shape each step
from linalg_lab.flipgraph import meta_search
meta = meta_search("2..2", "ZT", time_limit=1.0, rng=0, device="cuda", batch=2, chunk=300, progress=False)
out["meta"] = {"table": meta.summary()["table"], "exact": all(s.verify() for s in meta.best.values())}
print(json.dumps(out))
'''


def test_simulated_gpu_batch_ends_where_the_cpu_batch_does(run_python):
    out = json.loads(run_python(SIMULATED, simulator=True).strip().splitlines()[-1])
    assert out["status"][0]
    assert len(out["cases"]) == 6
    for case in out["cases"]:
        assert case["differ"] == [], case["case"]
        assert case["done_cpu"] == case["done_gpu"]
        assert all(case["exact"]), case["case"]
        assert all(flips >= 150 for _, flips, _, _ in case["meta_gpu"])
    # the walks did move: ranks changed or plus transitions happened somewhere
    assert any(plus > 0 for case in out["cases"] for _, _, plus, _ in case["meta_gpu"])
    assert out["meta"]["exact"] and out["meta"]["table"][0][0] == "2x2x2", out["meta"]
    for run in out["searches"]:
        assert run["gpu"][3] and run["gpu"][2] == "cuda (3 walks)", run
        assert run["gpu"][:2] == run["cpu"][:2] and run["same_best"] and run["same_history"], run


def test_cli_search_reaches_its_target_on_the_simulated_gpu(tmp_path):
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "linalg_lab.cli", "search", "gg", "2x2x2", "--ring", "F2",
                           "--target-rank", "7", "--device", "cuda", "--batch", "8", "--seed", "1", "--quiet",
                           "--out", str(out)], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["rank"] == 7 and info["target_reached"]
    from linalg_lab.schemes import load_scheme

    s = load_scheme(info["path"])
    assert s.rank == 7 and s.verify()
    assert json.loads(open(info["path"]).read())["provenance"]["device"] == "cuda (8 walks)"


@pytest.mark.skipif(importlib.util.find_spec("numba_cuda") is None, reason="the cuda extra (numba-cuda) is not installed")
def test_batch_walk_kernel_compiles_for_hopper(run_python):
    out = run_python("from linalg_lab.flipgraph._cuda import compile_ptx; p = compile_ptx((9, 0)); "
                     "print('.target sm_90' in p, '.entry' in p and 'walk_batch' in p)")
    assert out.split() == ["True", "True"]


def test_batch_executor_on_the_cpu_repeats_the_thread_executor():
    # one walker: the lock-step batch and the thread take the same steps in the same order
    from linalg_lab.flipgraph import search
    from linalg_lab.flipgraph.batch import BatchExecutor

    for ring, sym in (("F2", None), ("ZT", None), ("F2", "C3")):
        a = search("gg", "3x3x3", ring, target_rank=23, rng=3, workers=1, symmetry=sym, max_flips=2_000_000)
        b = search("gg", "3x3x3", ring, target_rank=23, rng=3, workers=1, symmetry=sym, max_flips=2_000_000,
                   executor=BatchExecutor("cpu"))
        assert (a.rank, a.flips) == (b.rank, b.flips)
        assert a.best == b.best and a.best.verify()
        assert [h[1:] for h in a.history] == [h[1:] for h in b.history]


def test_device_arguments_are_checked():
    from linalg_lab._targets import cuda_status
    from linalg_lab.flipgraph import search
    from linalg_lab.flipgraph.batch import BatchExecutor

    with pytest.raises(ValueError, match="^device"):
        search("gg", "2x2x2", "F2", target_rank=7, device="gpu")
    with pytest.raises(ValueError, match="^batch"):
        search("gg", "2x2x2", "F2", target_rank=7, batch=8)
    with pytest.raises(ValueError, match="^device, executor"):
        search("gg", "2x2x2", "F2", target_rank=7, device="auto", executor=BatchExecutor("cpu"))
    with pytest.raises(ValueError, match="^device"):
        BatchExecutor("gpu")
    if not cuda_status()[0]:
        with pytest.raises(ValueError, match="^device: 'cuda' needs a usable NVIDIA GPU"):
            search("gg", "2x2x2", "F2", target_rank=7, device="cuda")
        assert search("gg", "2x2x2", "F2", target_rank=7, device="auto", rng=0, workers=1).device == "cpu"


def test_grouped_batch_executor_runs_the_meta_search(tmp_path):
    # walkers change format and kind: each step walks one batch per shape of walker state
    from linalg_lab.flipgraph import meta_search
    from linalg_lab.flipgraph.batch import BatchExecutor
    from linalg_lab.schemes import load_scheme

    ex = BatchExecutor("cpu", grouped=True)
    res = meta_search("2..3", "ZT", time_limit=30, workers=2, rng=0, executor=ex, out=tmp_path / "bests",
                      progress=False)
    assert res.summary()["matched"] == 4 and ex.launches > 0
    files = sorted((tmp_path / "bests").glob("*.json"))
    assert files and all(load_scheme(f).verify() for f in files)
    with pytest.raises(ValueError, match="^batch"):
        meta_search("2..2", "ZT", time_limit=1, batch=4)
