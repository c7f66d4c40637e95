"""Raw flip rate, side by side: flip-cpd's C++ walk against our ``Walker``, one core each.

Usage:  python benchmarks/flipcpd_rate.py [--flipcpd PATH] [--rounds 5] [--cpu 0] [--rows 333-F2 444-F2 333-F3]

P12 ('Raw speed') asks for a per-core flip rate of at least 1.2x flip-cpd's on
gg 3x3x3 F2, gg 4x4x4 F2 and gg 3x3x3 F3, measured on the same machine. This
script runs both tools in one go, alternating them (peer first on even rounds,
ours first on odd ones), every measurement a fresh process pinned with
``taskset -c CPU``, and prints the medians over ``--rounds`` and their ratio.
Without ``--flipcpd`` it measures our rate only and says the peer was not measured.

Building flip-cpd (Khoruzhii, Gelss & Pokutta, github.com/khoruzhii/flip-cpd;
built from commit 9eeb17f in a temporary folder, never part of this repository)::

    # a copy of the source, e.g. `git clone https://github.com/khoruzhii/flip-cpd /tmp/flipcpd`
    # (here: `git --git-dir=<mirror> archive HEAD | tar x -C /tmp/flipcpd`)
    cd /tmp/flipcpd
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release      # its CMakeLists: C++20, -O3, no -march flags
    cmake --build build -j2 --target search2 search3    # binaries land in /tmp/flipcpd/bin/
    python benchmarks/flipcpd_rate.py --flipcpd /tmp/flipcpd/bin

``--flipcpd`` takes the ``search2`` binary, or a folder holding ``search2`` and
``search3`` (directly, or in its ``bin/``). The tensors flip-cpd reads
(``data/tensors/gg-NNN.npy`` + ``.meta.json``, the COO format of its
``scripts/generator.py``: alpha = i*n+j, beta = j*n+k, gamma = i*n+k) are
written by this script into a temporary working folder.

How flip-cpd's rate is read (it prints no flip count; facts from its
``src/search.cpp``): ``search2 NAME -t 1 -s 1 -f F -m A --stop A`` descends
from the naive scheme with one thread, a pool of 1, attempts of at most F
flips and at most A attempts per rank level. Each loop step of an attempt is
exactly one flip (a random pair sharing a factor, then a rank recount; no
plus transitions without ``--plus``), and an attempt returns early only when
the rank drops. At the first level where all A attempts fail (printed
"Failed to find schemes of rank r-1"), every attempt walked exactly F flips,
so that level's line "Completed A attempts in X s" gives the rate A*F/X. X is
printed to 0.1 s, so F is chosen to make X several seconds; X also holds
flip-cpd's per-attempt set-up (six 16 MB hash tables zero-filled per attempt,
about 1% at the default F = 3e7, A = 2), which belongs to its walk as shipped.

Ours: a fresh interpreter builds ``Walker(naive_scheme("gg", SIZES, RING))``,
descends with pure flips (``plateau=0``) until the rank stalls (2e6 flips
without a drop), as flip-cpd's walk does, then times A walks of F flips. The
rank at which each tool was timed is printed.

Clocks: the machine is shared, so the headline rate divides by CPU time
(ours: ``time.thread_time``; flip-cpd: its process's utime + stime over the
stalled level, read from /proc as the level starts, with stdout made
line-buffered by ``stdbuf -oL``, and from ``wait4`` at exit). The wall-clock
rates (ours ``perf_counter``, flip-cpd's own printed level time) are shown in
brackets; they agree with the CPU rates when nothing else ran on the core.

What is comparable and what is not:
- Both walks are pure flip walks (no plus transitions, no splits) from the
  naive scheme at the rank where that walk stalls, one thread, pinned to one CPU.
- A flip is the same move in both (two terms sharing a factor; one of the two
  other factors summed, the last one subtracted). flip-cpd draws the pair
  weighted by flippable *values* across the three positions (as we do: one
  entry per value held by two or more terms), with an mt19937 generator.
- Reductions differ: flip-cpd looks for none. A term whose factor becomes zero
  is removed; two terms equal in two positions stay until a random flip
  between them zeroes one. We check, after every flip, the two changed
  factors for a zero and for a now-shared value, and merge at once. Our walk
  reaches a given rank in fewer flips; the per-flip work is larger by that check.
- flip-cpd recounts the rank (a scan over all term slots ever used) after each
  flip; we keep the rank as a counter.
- With plus transitions switched on (flip-cpd ``--plus -p 50000``, ours
  ``plateau=50000``) one move in 5e4 is a plus transition; it does not change
  the flip rate measurably, and flip-cpd lets the rank climb without bound
  where we stop at ``best + margin``, so the plus-free walk is what is timed.
- Not included: flip-cpd's pool bookkeeping and verification between levels,
  our Python-level search loop. This is the kernel's raw speed, nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

# row: (label, n, ring, F flips per attempt, A attempts)
ROWS = {
    "333-F2": ("gg 3x3x3 F2", 3, "F2", 30_000_000, 2),
    "444-F2": ("gg 4x4x4 F2", 4, "F2", 30_000_000, 2),
    "333-F3": ("gg 3x3x3 F3", 3, "F3", 30_000_000, 2),
}

PROBE = r"""
import json, sys, time
from linalg_lab.flipgraph import Walker
from linalg_lab.tensors import naive_scheme
n, ring, flips, attempts, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
w = Walker(naive_scheme("gg", f"{n}x{n}x{n}", ring), seed)
# descend with pure flips until the rank stalls for 2e6 flips (compiles the kernel on the way)
last, stall = w.rank, 0
while stall < 2_000_000:
    w.walk(500_000, plateau=0)
    stall = stall + 500_000 if w.rank == last else 0
    last = w.rank
done, secs, wall = 0, 0.0, 0.0
for _ in range(attempts):
    t, c = time.perf_counter(), time.thread_time()
    done += w.walk(flips, plateau=0)
    secs += time.thread_time() - c
    wall += time.perf_counter() - t
print(json.dumps({"rate": done / secs, "wall_rate": done / wall, "rank": w.rank, "flips": done, "seconds": secs}))
"""


def find_binaries(path: str) -> dict[str, Path]:
    """search2 / search3 from a binary or a folder (itself, its bin/, its build/)."""
    p = Path(path).expanduser().resolve()
    if p.is_file():
        folder = p.parent
        found = {"F2": p, "F3": p.with_name(p.name.replace("2", "3"))}
    else:
        for folder in (p, p / "bin", p / "build", p / "build" / "bin"):
            if (folder / "search2").is_file():
                break
        found = {"F2": folder / "search2", "F3": folder / "search3"}
    missing = [str(b) for b in found.values() if not (b.is_file() and os.access(b, os.X_OK))]
    if missing:
        raise SystemExit(f"--flipcpd: no flip-cpd binary at {', '.join(missing)} (build search2 and search3; see the docstring)")
    return found


def write_tensor(root: Path, n: int) -> str:
    """gg-nnn in flip-cpd's COO format (its scripts/generator.py conventions)."""
    name = f"gg-{n}{n}{n}"
    rows = [(i * n + j, j * n + k, i * n + k, 1) for i in range(n) for j in range(n) for k in range(n)]
    d = root / "data" / "tensors"
    d.mkdir(parents=True, exist_ok=True)
    np.save(d / f"{name}.npy", np.array(rows, dtype=np.int8))
    meta = {"name": name, "nU": n * n, "nV": n * n, "nW": n * n, "op": "gg", "n1": n, "n2": n, "n3": n}
    (d / f"{name}.meta.json").write_text(json.dumps(meta))
    return name


LEVEL_START = re.compile(r"=== Searching for rank (\d+) ===")
LEVEL_END = re.compile(r"Completed (\d+) attempts in ([0-9.]+)s")
LEVEL_FOUND = re.compile(r"Found (\d+) candidate")
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a running process, from /proc (clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peer_rate(binary: Path, workdir: Path, name: str, flips: int, attempts: int, cpu: int) -> dict:
    """flip-cpd's rate at its first stalled level: wall time as it prints it, CPU time from /proc.

    stdout is line-buffered (stdbuf) so that the CPU time at the start of each level is read as the
    level begins; the CPU time at the end is the child's total from wait4 (after the stalled level
    the process only prints its summary and exits).
    """
    cmd = ["taskset", "-c", str(cpu), "stdbuf", "-oL", str(binary), name, "-t", "1", "-s", "1",
           "-f", str(flips), "-m", str(attempts), "--stop", str(attempts)]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, text=True, bufsize=1)
    levels, lines = [], []
    for line in proc.stdout:
        lines.append(line)
        if m := LEVEL_START.search(line):
            levels.append({"target": int(m.group(1)), "cpu0": _cpu_seconds(proc.pid)})
        elif (m := LEVEL_END.search(line)) and levels:
            levels[-1].update(attempts=int(m.group(1)), wall=float(m.group(2)))
        elif (m := LEVEL_FOUND.search(line)) and levels:
            levels[-1]["found"] = int(m.group(1))
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"flip-cpd failed ({proc.returncode}):\n{''.join(lines)[-2000:]}")
    failed = [lv for lv in levels if lv.get("found") == 0]
    if not failed:
        raise RuntimeError(f"flip-cpd found no stalled level (every level succeeded):\n{''.join(lines)[-2000:]}")
    lv = failed[-1]
    if lv is not levels[-1]:
        raise RuntimeError("flip-cpd went on after a failed level")
    done = lv["attempts"] * flips
    cpu_secs = usage.ru_utime + usage.ru_stime - lv["cpu0"]
    return {"rate": done / cpu_secs, "wall_rate": done / lv["wall"], "rank": lv["target"] + 1, "flips": done,
            "seconds": cpu_secs}


def our_rate(n: int, ring: str, flips: int, attempts: int, cpu: int, seed: int) -> dict:
    repo = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(["taskset", "-c", str(cpu), sys.executable, "-c", PROBE, str(n), ring, str(flips),
                          str(attempts), str(seed)], capture_output=True, text=True, env=env, check=True, cwd="/")
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flipcpd", help="flip-cpd's search2 binary, or the folder holding search2 and search3")
    ap.add_argument("--rounds", type=int, default=5, help="measurements per tool and row (median)")
    ap.add_argument("--cpu", type=int, default=0, help="the CPU every measurement is pinned to")
    ap.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the flips per attempt (quick checks: 0.1)")
    args = ap.parse_args(argv)
    bins = find_binaries(args.flipcpd) if args.flipcpd else None
    print(f"machine: {machine()}; every run pinned to CPU {args.cpu}; medians of {args.rounds} runs per tool")
    results = {}
    with tempfile.TemporaryDirectory(prefix="flipcpd-rate-") as tmp:
        work = Path(tmp)
        for key in args.rows:
            label, n, ring, flips, attempts = ROWS[key]
            flips = max(100_000, int(flips * args.scale))
            name = write_tensor(work, n) if bins else None
            peer, ours = [], []
            for r in range(args.rounds):
                order = ("peer", "ours") if r % 2 == 0 else ("ours", "peer")
                for who in order:
                    if who == "peer" and bins:
                        peer.append(peer_rate(bins[ring], work, name, flips, attempts, args.cpu))
                        print(f"  {label} round {r}: flip-cpd {peer[-1]['rate']:.4g} flips/s at rank {peer[-1]['rank']}",
                              flush=True)
                    elif who == "ours":
                        ours.append(our_rate(n, ring, flips, attempts, args.cpu, seed=r))
                        print(f"  {label} round {r}: Walker   {ours[-1]['rate']:.4g} flips/s at rank {ours[-1]['rank']}",
                              flush=True)
            results[key] = (label, peer, ours)
    print()
    print("flips per second of one core: CPU time (wall clock in brackets); ranks: where each walk was timed")
    print(f"{'configuration':<14} {'flip-cpd':>22} {'ranks':>6} {'Walker':>22} {'ranks':>6} {'Walker/flip-cpd':>22}")
    for key in args.rows:
        label, peer, ours = results[key]
        med = lambda runs, k: statistics.median(x[k] for x in runs)
        span = lambda runs: f"{min(x['rank'] for x in runs)}-{max(x['rank'] for x in runs)}"
        o, ow = med(ours, "rate"), med(ours, "wall_rate")
        ours_txt = f"{o:.3g} ({ow:.3g})"
        if peer:
            p, pw = med(peer, "rate"), med(peer, "wall_rate")
            print(f"{label:<14} {f'{p:.3g} ({pw:.3g})':>22} {span(peer):>6} {ours_txt:>22} {span(ours):>6} "
                  f"{f'{o / p:.2f} ({ow / pw:.2f})':>22}")
        else:
            print(f"{label:<14} {'not measured':>22} {'':>6} {ours_txt:>22} {span(ours):>6} {'-':>22}")
    if not bins:
        print("\nflip-cpd was not measured (no --flipcpd given): the ratio column is empty. Build it as the docstring says.")
    else:
        print("\ntarget (P12 'Raw speed'): Walker/flip-cpd >= 1.2 on every row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
