"""Entropic partial OT on the GPU (device="cuda"), checked without a GPU: the simulator and a PTX compile."""

import importlib.util
import json

import numpy as np
import pytest

from linalg_lab._targets import cuda_status
from linalg_lab.transport import entropic_partial_wasserstein

SIMULATED = r'''
import json, warnings, numpy as np
from linalg_lab.transport import entropic_partial_wasserstein
rng = np.random.default_rng(7)
out = []
# (n, m, reg as a fraction of max M, transported fraction of the smaller mass)
for n, m_, reg, frac in ((5, 7, 0.1, 0.5), (6, 4, 0.02, 0.8), (4, 4, 0.05, 0.999), (3, 5, 0.05, 1.0),
                         (4, 3, 4e-3, 0.6)):
    a = rng.random(n) + 0.1; a /= a.sum()
    b = rng.random(m_) + 0.1; b /= b.sum() * (1.3 if frac == 1.0 else 1.0)
    M = rng.random((n, m_))
    m = frac * min(a.sum(), b.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Pc, lc = entropic_partial_wasserstein(a, b, M, reg, m, log=True, accelerate=False)
        Pg, lg = entropic_partial_wasserstein(a, b, M, reg, m, log=True, device="cuda")
    out.append({"diff": float(np.abs(Pc - Pg).max()), "iters": [lc["n_iter"], lg["n_iter"]],
                "stages": [lc["n_stages"], lg["n_stages"]], "converged": [lc["converged"], lg["converged"]],
                "rows": float((Pg.sum(1) - a).max()), "cols": float((Pg.sum(0) - b).max()),
                "mass": float(abs(Pg.sum() - m))})
print(json.dumps(out))
'''


def test_simulated_gpu_cycles_give_the_cpu_cycles_plan(run_python):
    cases = json.loads(run_python(SIMULATED, simulator=True).strip().splitlines()[-1])
    assert len(cases) == 5
    for c in cases:
        # the same cycles in the same order: the same number of them, the same plan up to rounding
        assert c["iters"][0] == c["iters"][1] and c["stages"][0] == c["stages"][1], c
        assert c["diff"] < 1e-12, c
        assert all(c["converged"]), c
        assert c["rows"] < 1e-8 and c["cols"] < 1e-8 and c["mass"] < 1e-8, c


@pytest.mark.skipif(importlib.util.find_spec("numba_cuda") is None, reason="the cuda extra (numba-cuda) is not installed")
def test_reduction_kernels_compile_for_hopper(run_python):
    out = run_python("from linalg_lab.transport._entropic_cuda import compile_ptx; p = compile_ptx((9, 0)); "
                     "print('.target sm_90' in p, p.count('.entry'))")
    assert out.split() == ["True", "2"]


def test_device_argument_is_checked():
    a = [0.5, 0.5]
    with pytest.raises(ValueError, match="^device"):
        entropic_partial_wasserstein(a, a, np.eye(2), 0.1, 0.5, device="gpu")
    if not cuda_status()[0]:
        with pytest.raises(ValueError, match="^device: 'cuda' needs a usable NVIDIA GPU"):
            entropic_partial_wasserstein(a, a, np.eye(2), 0.1, 0.5, device="cuda")
        P = entropic_partial_wasserstein(a, a, np.eye(2), 0.1, 0.5, device="auto")
        assert np.isclose(P.sum(), 0.5)
