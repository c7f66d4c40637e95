"""A/B of our side of the transport benchmark's rows between two source trees (interleaved processes, medians).

The calls that ``benchmarks/transport.py`` times for us in its exact, entropic and path parts (exact partial
OT at n = 2000 and 3000, the entropic rows, 1-D p = 2 and p = 1, the whole path, ``partial_assignment``, C^2OT,
LOPT at K = 20, N = 500), each process pinned to core 0 and importing ``linalg_lab`` from the tree it is given;
the processes alternate base, new, new, base, ... Prints, per case, the median time of each tree and the ratio
after / before: a check that a ratio against POT that moved between two runs of the benchmark moved with POT
(load, pinning), not with our code.

Usage::

    git archive <commit> linalg_lab | tar -x -C /tmp/transport-base
    python benchmarks/_transport_ab_rows.py /tmp/transport-base . ROUNDS REPEAT [NAME_PART]

``NAME_PART`` keeps the cases whose name contains it.
"""
import json
import os
import statistics
import subprocess
import sys
CHILD = r'''
import inspect, json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from linalg_lab.transport import partial_wasserstein
from linalg_lab.transport.entropic import entropic_partial_wasserstein as E
from linalg_lab.transport.one_d import partial_wasserstein_1d
from linalg_lab.transport.lopt import lopt_distances, lopt_embedding
from linalg_lab.transport.path import partial_assignment, partial_wasserstein_path
from linalg_lab.transport.conditional import conditional_coupling
params = inspect.signature(E).parameters
repeat = int(sys.argv[1])
def dist(x, y): return ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=2)
def g2(n, seed=0):
    rng = np.random.default_rng(seed); return dist(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + 1.0)
def ent(n, seed=0):
    rng = np.random.default_rng(seed); M = dist(rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + 1.0)
    return np.full(n, 1.0 / n), np.full(n, 1.0 / n), M
cases = {}
for n in (2000, 3000):
    M = g2(n); cases[f"exact partial n={n} m=0.5"] = (lambda M=M: partial_wasserstein([], [], M, m=0.5))
a, b, M4 = ent(400); cases["entropic converged n=400"] = lambda: E(a, b, M4, 0.05 * M4.max(), 0.8, **{k: v for k, v in dict(stopThr=1e-9).items() if k in params})
for n in (1000, 2000):
    a_, b_, Mn = ent(n)
    kw = {k: v for k, v in dict(numItermax=20, stopThr=0, rounding=False).items() if k in params}
    cases[f"entropic 20 cycles n={n}"] = (lambda a_=a_, b_=b_, Mn=Mn, kw=kw: E(a_, b_, Mn, 0.01 * Mn.max(), 0.8, **kw))
cases["entropic reg=1e-3 n=400"] = lambda: E(a, b, M4, 1e-3 * M4.max(), 0.8)
rng = np.random.default_rng(0); x, y = rng.normal(size=20000), rng.normal(size=20000) + 0.3
cases["1-D n=20000 p=2"] = lambda: partial_wasserstein_1d(x, y, p=2)
cases["1-D n=20000 p=1"] = lambda: partial_wasserstein_1d(x, y, p=1)
rng = np.random.default_rng(0); Mp = dist(rng.standard_normal((1000, 2)), rng.standard_normal((1000, 2)) + 0.5)
cases["path n=1000"] = lambda: partial_wasserstein_path(Mp, metric="precomputed")
rng = np.random.default_rng(1); Ma = dist(rng.standard_normal((1000, 2)), rng.standard_normal((1000, 2)) + 0.5)
cases["partial_assignment n=1000 k=500"] = lambda: partial_assignment(Ma, 500)
rng = np.random.default_rng(2); x0, x1, c = rng.standard_normal((256, 8)), rng.standard_normal((256, 8)), rng.standard_normal((256, 16))
cases["C2OT batch 256"] = lambda: conditional_coupling(x0, x1, c, c, target_ratio=0.2, metric="cosine")
rng = np.random.default_rng(5)
clouds = [rng.standard_normal((500, 2)) @ (0.7 * rng.standard_normal((2, 2))) + rng.uniform(-3, 3, 2) for _ in range(20)]
X0 = 2.0 * rng.standard_normal((500, 2))
cases["LOPT K=20 N=500"] = lambda: lopt_distances([lopt_embedding(X0, [], Y, [], 5.0) for Y in clouds])
out = {}
sel = sys.argv[2] if len(sys.argv) > 2 else ''
for name, fn in cases.items():
    if sel not in name:
        continue
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    out[name] = ts
print(json.dumps(out))
'''
if len(sys.argv) < 5:
    raise SystemExit(__doc__)
base, new, rounds, repeat = sys.argv[1], os.path.abspath(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
SEL = sys.argv[5] if len(sys.argv) > 5 else ''
times = {"base": {}, "new": {}}
for r in range(rounds):
    order = (("base", base), ("new", new)) if r % 2 == 0 else (("new", new), ("base", base))
    for side, tree in order:
        env = dict(os.environ, PYTHONPATH=tree)
        p = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", CHILD, str(repeat), SEL], env=env, capture_output=True, text=True, check=True)
        for k, v in json.loads(p.stdout.strip().splitlines()[-1]).items():
            times[side].setdefault(k, []).extend(v)
    print(f"round {r + 1} done", file=sys.stderr, flush=True)
print("| case | before (s) | after (s) | after / before |")
print("|---|---|---|---|")
for k in times["base"]:
    tb, tn = statistics.median(times["base"][k]), statistics.median(times["new"][k])
    print(f"| {k} | {tb:.4f} | {tn:.4f} | {tn / tb:.3f} |")
