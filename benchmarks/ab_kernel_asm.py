"""Are two checkouts' CPU flip-graph kernels the same machine code?

Usage:  python benchmarks/ab_kernel_asm.py BASE_DIR [NEW_DIR]

A refactor that only moves code around (e.g. the decorator indirection that
compiles the move bodies for the CPU and for CUDA, issue P10) should leave the
CPU kernels' machine code as it was; if it does, their flip rate is unchanged
by construction, which no timing on a shared 2-core machine shows as well.
Both packages are imported side by side (as in ab_flip_rate.py), ``walk`` and
``cost_walk`` compiled for a walker state, and their assembly compared after
the package name, mangled symbols and local labels are normalised away.
"""

from __future__ import annotations

import difflib
import importlib
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab_flip_rate import _import  # noqa: E402


def _asm(name: str, kernel: str) -> list[str]:
    K = importlib.import_module(f"{name}.flipgraph._kernels")
    walker = importlib.import_module(f"{name}.flipgraph").Walker
    naive = importlib.import_module(f"{name}.tensors").naive_scheme
    w = walker(naive("gg", "3x3x3", "F2"), np.random.default_rng(0))
    w.walk(10)
    w.cost_walk(10)
    fn = getattr(K, kernel)
    text = fn.inspect_asm(fn.signatures[0])
    text = re.sub(name, "PKG", text)
    text = re.sub(r"_ZN[\w$]+", "SYM", text)
    text = re.sub(r"\.L\w+", "L", text)
    return [line for line in text.splitlines() if line.strip() and not line.strip().startswith((".", "#"))]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or len(argv) > 2:
        print(__doc__)
        return 2
    base, new = Path(argv[0]), Path(argv[1] if len(argv) > 1 else ".")
    folder = Path(tempfile.mkdtemp())
    sys.path.insert(0, str(folder))
    _import(base, "ab_base", folder)
    _import(new, "ab_new", folder)
    same = True
    for kernel in ("walk", "cost_walk"):
        a, b = _asm("ab_base", kernel), _asm("ab_new", kernel)
        print(f"{kernel:<10} base {len(a)} instructions, new {len(b)}: {'identical' if a == b else 'DIFFERENT'}")
        if a != b:
            same = False
            print("\n".join(list(difflib.unified_diff(a, b, lineterm="", n=0))[:20]))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
