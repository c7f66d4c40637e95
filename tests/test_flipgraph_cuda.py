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
cases = [("2x2x2", "F2", False, 8), ("3x3x3", "F3", False, 4), ("3x3x3", "ZT", False, 4), ("3x3x3", "F2", True, 4),
         ("3x3x3", "ZT", True, 2)]
for size, ring, sym, count in cases:
    if sym:
        walkers = [SymmetricWalker(fresh_start(3, ring), np.random.default_rng(s)) for s in range(count)]
    else:
        walkers = [Walker(naive_scheme("gg", size, ring), np.random.default_rng(s)) for s in range(count)]
    cpu = stack_states([w.st for w in walkers])
    # a short plateau and a margin make the walks take plus transitions and splits too
    set_params(cpu, flips=250, target=0, plateau=40, margin=3, split=30)
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
print(json.dumps(out))
'''


def test_simulated_gpu_batch_ends_where_the_cpu_batch_does():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    proc = subprocess.run([sys.executable, "-c", SIMULATED], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["status"][0]
    assert len(out["cases"]) == 5
    for case in out["cases"]:
        assert case["differ"] == [], case["case"]
        assert case["done_cpu"] == case["done_gpu"]
        assert all(case["exact"]), case["case"]
        assert all(flips >= 250 for _, flips, _, _ in case["meta_gpu"])
    # the walks did move: ranks changed or plus transitions happened somewhere
    assert any(plus > 0 for case in out["cases"] for _, _, plus, _ in case["meta_gpu"])


@pytest.mark.skipif(importlib.util.find_spec("numba_cuda") is None, reason="the cuda extra (numba-cuda) is not installed")
def test_batch_walk_kernel_compiles_for_hopper():
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    code = ("from linalg_lab.flipgraph._cuda import compile_ptx; p = compile_ptx((9, 0)); "
            "print('.target sm_90' in p, '.entry' in p and 'walk_batch' in p)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["True", "True"]
