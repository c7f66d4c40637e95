"""A/B flip rates of two checkouts in one process, interleaved burst by burst.

Usage:  python benchmarks/ab_flip_rate.py BASE_DIR [NEW_DIR] [--bursts 60] [--flips 200000] [--only '3x3x3 F3']

Both checkouts' ``linalg_lab`` packages are copied under other names
(``ab_base``, ``ab_new``) into a temporary folder and imported side by side.
For every configuration, one walker of each walks in alternating bursts of
``--flips`` flips (order swapped every burst), timed with the thread's CPU
clock: both see the same machine at the same moments, so the drift and the
load of this shared VM cancel in the ratio. The table gives the median
flips/s of each and the median of the per-pair ratios NEW/BASE. Used to show
that a refactor of the kernels keeps the flip rate (issue P6: within 3%).
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = [("gg 3x3x3 F2", "3x3x3", "F2", 0), ("gg 3x3x3 F3", "3x3x3", "F3", 0),
           ("gg 4x4x4 F2", "4x4x4", "F2", 0), ("C3 gg 5x5x5 F2 (3 cubes)", "5x5x5", "F2", 3)]


def _import(tree: Path, name: str, folder: Path):
    shutil.rmtree(folder / name, ignore_errors=True)
    # copy2 keeps the files' times, so numba's cache of this folder stays valid from one run to the next
    shutil.copytree(tree / "linalg_lab", folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    # the package names itself in a few absolute imports: point them at the copy
    for f in (folder / name).rglob("*.py"):
        text = f.read_text()
        if "linalg_lab." in text:
            f.write_text(text.replace('"linalg_lab.', f'"{name}.'))
    return importlib.import_module(name)


def _walker(pkg, name, sizes, ring, cubes, seed):
    naive = importlib.import_module(f"{name}.tensors").naive_scheme
    if cubes:
        sym = importlib.import_module(f"{name}.flipgraph.symmetric")
        n = int(sizes.split("x")[0])
        w = sym.SymmetricWalker(sym.expand(n, ring, *sym.cyclic_start(n, ring, cubes)), seed)
        w.walk(200_000, plateau=16_667)
    else:
        w = importlib.import_module(f"{name}.flipgraph").Walker(naive("gg", sizes, ring), seed)
        w.walk(200_000, plateau=20_000)        # leave the naive scheme (and compile)
    return w


def _burst(w, flips) -> float:
    t = time.thread_time()
    n = w.walk(flips, plateau=0)
    return n / (time.thread_time() - t)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", type=Path)
    ap.add_argument("new", type=Path, nargs="?", default=Path(__file__).resolve().parents[1])
    ap.add_argument("--bursts", type=int, default=60)
    ap.add_argument("--flips", type=int, default=200_000)
    ap.add_argument("--only", default="", help="the configurations whose label contains this, e.g. '3x3x3 F3'")
    args = ap.parse_args()
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "linalg-lab" / "numba-ab"))
    folder = Path(tempfile.gettempdir()) / "linalg-lab-ab-flip-rate"
    folder.mkdir(exist_ok=True)
    sys.path.insert(0, str(folder))
    try:
        pkgs = {"A": ("ab_base", _import(args.base, "ab_base", folder)),
                "B": ("ab_new", _import(args.new, "ab_new", folder))}
        print(f"{'configuration':<28} {'before (flips/s)':>17} {'after (flips/s)':>16} {'after/before':>13}")
        for label, sizes, ring, cubes in CONFIGS:
            if args.only not in label:
                continue
            ws = {k: _walker(pkg, name, sizes, ring, cubes, 0) for k, (name, pkg) in pkgs.items()}
            rates = {"A": [], "B": []}
            ratios = []
            for i in range(args.bursts):
                order = "AB" if i % 2 == 0 else "BA"
                got = {k: _burst(ws[k], args.flips) for k in order}
                for k in "AB":
                    rates[k].append(got[k])
                ratios.append(got["B"] / got["A"])
            print(f"{label:<28} {statistics.median(rates['A']):>17.4g} {statistics.median(rates['B']):>16.4g} "
                  f"{statistics.median(ratios):>13.3f}", flush=True)
    finally:
        for name in ("ab_base", "ab_new"):
            shutil.rmtree(folder / name, ignore_errors=True)


if __name__ == "__main__":
    main()
