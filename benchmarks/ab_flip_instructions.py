"""A/B of the walk kernel by counted work per flip: instructions, cache misses, branch mispredictions (valgrind).

Usage:  python benchmarks/ab_flip_instructions.py BASE_DIR [NEW_DIR] [--flips 1000000] [--configs ...]

On this shared 2-core machine one and the same walk's flip rate swings by a
quarter between processes, so wall-clock A/Bs of a few percent do not settle.
Counted work does: each checkout walks the same walk (naive scheme, seed 0,
200,000 flips of warm-up with plus transitions, then ``--flips`` flips without)
under ``valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes``, instrumented only around
the counted flips (a tiny C helper issues callgrind's start/stop requests: nothing
before them is instrumented, so the interpreter's start costs little time), and
the table gives instructions, D1 and last-level misses and (simulated) branch
mispredictions per flip and the ratios
new / base. The counts do not depend on the machine's load. Both checkouts are
compiled for the same CPU (``NUMBA_CPU_NAME``, default ``x86-64-v3``: valgrind
does not decode AVX-512) into their own numba cache, warmed natively first.
The walks must end in the same state in both checkouts (the kernels are
bit-identical for the same seed); the script says so when they do not.

``--search SEED ...`` counts the search loop as a user runs it instead
(``search(..., workers=1, max_flips=FLIPS)``, the autopilot off): kernel,
Python loop, pool and verification together, per flip. There the same seed may
walk another path in each checkout, so read the ratios over several seeds.

Needs ``valgrind`` (with ``valgrind/callgrind.h``) and a C compiler.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

CONFIGS = ["3x3x3:F2", "3x3x3:F3", "4x4x4:F2"]

CTL = r"""
#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void stop(void) { CALLGRIND_DUMP_STATS; CALLGRIND_STOP_INSTRUMENTATION; }
"""

PROBE = r"""
import ctypes, sys, zlib
import numpy as np
from linalg_lab.flipgraph import Walker
from linalg_lab.tensors import naive_scheme
sizes, ring, n, lib = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
vg = ctypes.CDLL(lib) if lib != "-" else None
w = Walker(naive_scheme("gg", sizes, ring), np.random.default_rng(0))
w.walk(200_000, plateau=20_000)
w.walk(1_000, plateau=0)
if vg: vg.start()
done = 0
while done < n:
    done += w.walk(min(200_000, n - done), plateau=0)
if vg: vg.stop()
s = w.scheme()
print("flips", done, "state", zlib.crc32(b"".join(a.tobytes() for a in (s.u, s.v, s.w))))
"""

SEARCH_PROBE = r"""
import ctypes, inspect, sys, zlib
from linalg_lab.flipgraph import search
sizes, ring, n, lib, seed, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
vg = ctypes.CDLL(lib) if lib != "-" else None
params = inspect.signature(search).parameters
kw = {"rng" if "rng" in params else "seed": seed}
if "autopilot" in params:
    kw["autopilot"] = False          # the loop as the base walked it
search("gg", sizes, ring, target_rank=target, workers=1, max_flips=1 << 20, **kw)     # compile and warm up
if vg: vg.start()
r = search("gg", sizes, ring, target_rank=target, workers=1, max_flips=n, **kw)
if vg: vg.stop()
print("flips", r.flips, "state", r.rank)
"""

FIELDS = ("Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw", "Bc", "Bcm", "Bi", "Bim")


def counted(tree: Path, sizes: str, ring: str, flips: int, lib: Path, work: Path, env: dict, seed=None) -> dict:
    out = work / f"cg-{tree.name}-{sizes}-{ring}-{seed}.out"
    probe = [PROBE] if seed is None else [SEARCH_PROBE]
    extra = [] if seed is None else [str(seed), "15" if sizes == "3x3x3" else "40"]
    cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=yes", "--cache-sim=yes",
           "--branch-sim=yes",
           f"--callgrind-out-file={out}", sys.executable, "-c", *probe, sizes, ring, str(flips), str(lib), *extra]
    run = subprocess.run(cmd, capture_output=True, text=True, env=dict(env, PYTHONPATH=str(tree)), cwd=work, check=False)
    m = re.search(r"Collected : ([\d ]+)", run.stderr)
    if run.returncode or m is None:
        raise RuntimeError(f"{tree}: {sizes} {ring}: valgrind failed:\n{run.stderr[-2000:]}")
    counts = dict(zip(FIELDS, map(int, m.group(1).split())))
    done, state = run.stdout.split()[1], run.stdout.split()[3]
    counts["flips"], counts["state"] = int(done), state
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("base", type=Path)
    ap.add_argument("new", type=Path, nargs="?", default=Path(__file__).resolve().parents[1])
    ap.add_argument("--flips", type=int, default=1_000_000)
    ap.add_argument("--configs", nargs="*", default=CONFIGS, help="SIZES:RING, e.g. 3x3x3:F2")
    ap.add_argument("--cpu-name", default="x86-64-v3")
    ap.add_argument("--search", type=int, nargs="*", default=None, metavar="SEED",
                    help="count whole search loops instead (search(..., workers=1, max_flips=FLIPS) with these "
                         "seeds, the autopilot off): kernel, Python loop, pool and verification per flip; the "
                         "two checkouts need not walk the same path from one seed")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="ab-instr-"))
    (work / "ctl.c").write_text(CTL)
    lib = work / "libctl.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(lib), str(work / "ctl.c")], check=True)
    cache = Path(os.environ.get("NUMBA_CACHE_DIR", Path.home() / ".cache" / "linalg-lab" / "numba"))
    env = dict(os.environ, NUMBA_CPU_NAME=args.cpu_name, NUMBA_CACHE_DIR=f"{cache}-{args.cpu_name}")
    trees = [args.base.resolve(), args.new.resolve()]
    for tree in trees:                 # compile natively once (under valgrind a cold compile takes hours)
        for cfg in args.configs:
            sizes, ring = cfg.split(":")
            subprocess.run([sys.executable, "-c", PROBE, sizes, ring, "1000", "-"], check=True, cwd=work,
                           env=dict(env, PYTHONPATH=str(tree)), capture_output=True)
    print(f"base {trees[0]}\nnew  {trees[1]}\n{args.flips} counted flips per walk, NUMBA_CPU_NAME={args.cpu_name}")
    print(f"{'walk':<14} {'':>5} {'instr/flip':>11} {'D1 miss/flip':>13} {'LL miss/flip':>13} {'mispred/flip':>13}  same walk")
    runs = [(cfg, None) for cfg in args.configs] if args.search is None else \
        [(cfg, seed) for cfg in args.configs for seed in args.search]
    for cfg, seed in runs:
        sizes, ring = cfg.split(":")
        got = [counted(t, sizes, ring, args.flips, lib, work, env, seed) for t in trees]
        per = [{k: c[k] / c["flips"] for k in ("Ir",)} |
               {"D1": (c["D1mr"] + c["D1mw"]) / c["flips"], "LL": (c["DLmr"] + c["DLmw"]) / c["flips"],
                "BM": (c["Bcm"] + c["Bim"]) / c["flips"]}
               for c in got]
        same = got[0]["state"] == got[1]["state"] and got[0]["flips"] == got[1]["flips"]
        for label, p in zip(("base", "new"), per):
            print(f"gg {sizes} {ring:<3} {label:>5} {p['Ir']:11.1f} {p['D1']:13.3f} {p['LL']:13.4f} {p['BM']:13.3f}"
                  + ("" if seed is None else f"  seed {seed}"))
        ratio = [per[1][k] / per[0][k] if per[0][k] else float("nan") for k in ("Ir", "D1", "LL", "BM")]
        print(f"{'':<14} {'ratio':>5} {ratio[0]:11.3f} {ratio[1]:13.3f} {ratio[2]:13.3f} {ratio[3]:13.3f}  {'-' if seed is not None else 'yes' if same else 'NO'}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
