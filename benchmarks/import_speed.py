"""Import speed: published files -> verified scheme files, the path of ``linalg-lab import``.

Each case loads a file with the importer that ``linalg-lab import`` uses, verifies it exactly and writes
it with ``save_scheme`` into a fresh folder (one call per scheme, as the command does). Cases:

- ``real npz``: AlphaTensor's ``factorizations_r.npz`` (93 formats up to 12x12x12, 8.7 million
  entries), when ``--real PATH`` names it;
- ``synthetic 12x12x12 Q (npz)``: a rational 12x12x12 scheme (naive, moved by a dyadic sandwich and
  rescaled term by term with powers of two) stored as AlphaTensor floats;
- ``16x16x16 ZT (.m)`` / ``(.json)``: Strassen's scheme to the fourth Kronecker power (rank 2401) in
  the nested-list and full-JSON formats of Perminov's database;
- ``16x16x16 Q (.m)``: the same with terms scaled by 1/2 and 2 (``p/q`` entries).

Run (timings under the shared lock, on one core)::

    flock /tmp/linalg-lab-bench.lock taskset -c 0 python benchmarks/import_speed.py [--real PATH]

To compare against another tree, run the same command with ``PYTHONPATH`` pointing at it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np


def _dyadic_gl(k, rng):
    low = np.tril(rng.integers(-1, 2, (k, k)), -1) + np.eye(k, dtype=np.int64)
    inv = np.eye(k, dtype=np.int64)
    for i in range(k):
        for j in range(i):
            inv[i] -= low[i, j] * inv[j]
    e = rng.integers(-1, 2, k).astype(float)
    return np.diag(2.0 ** e) @ low, inv @ np.diag(2.0 ** -e)


def synthetic_npz(path: Path, n=(12, 12, 12), seed=0) -> None:
    """AlphaTensor's layout: key 'n1,n2,n3' -> (u (n1 n2, R), v (n2 n3, R), w (n3 n1, R)) floats, w cyclic."""
    from linalg_lab.schemes import naive_scheme
    rng = np.random.default_rng(seed)
    n1, n2, n3 = n
    base = naive_scheme("gg", n, "Z")
    (p, pi), (q, qi), (r, ri) = (_dyadic_gl(k, rng) for k in n)
    u = (p.T @ base.u.reshape(-1, n1, n2) @ qi.T).reshape(base.rank, -1)
    v = (q.T @ base.v.reshape(-1, n2, n3) @ ri.T).reshape(base.rank, -1)
    w = (pi @ base.w.reshape(-1, n1, n3) @ r)
    a, b = (2.0 ** rng.integers(-2, 3, (base.rank, 1)) * rng.choice([-1, 1], (base.rank, 1)) for _ in range(2))
    u, v = u * a, v * b
    w = (w / (a * b)[:, :, None]).transpose(0, 2, 1).reshape(base.rank, -1)     # cyclic: row k*n1 + i
    fac = np.empty(3, dtype=object)
    fac[0], fac[1], fac[2] = u.T, v.T, w.T
    np.savez_compressed(path, **{",".join(map(str, n)): fac})


def strassen_16(ring="ZT"):
    from linalg_lab.schemes import Scheme, product, strassen_scheme
    s = strassen_scheme("ZT")
    s4 = product(product(s, s), product(s, s))
    if ring == "ZT":
        return s4
    u, v, w = (a.astype(object) for a in s4.factors)
    for t in range(s4.rank):
        c = Fraction(1, 2) if t % 2 else Fraction(2)
        u[t], w[t] = u[t] * c, w[t] / c
    return Scheme("gg", s4.n, "Q", u, v, w)


def import_file(path: Path, out: Path) -> int:
    """What ``linalg-lab import PATH --out OUT`` does, scheme by scheme; the number written."""
    from linalg_lab.schemes import save_scheme
    from linalg_lab.schemes.commands import published_schemes
    count = 0
    for label, load in published_schemes(path):
        got = load()
        scheme = got[0] if isinstance(got, tuple) else got
        save_scheme(scheme, out, tag="bench", provenance={"method": "import", "parent": label})
        count += 1
    return count


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=None, help="AlphaTensor's factorizations_r.npz")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    import linalg_lab
    from linalg_lab.schemes.formats import to_nested, to_perminov_json
    work = Path(tempfile.mkdtemp(prefix="import-speed-"))
    cases = []
    if args.real is not None:
        cases.append(("real npz (AlphaTensor factorizations_r)", args.real))
    synthetic_npz(work / "synthetic12.npz")
    cases.append(("synthetic 12x12x12 Q (npz)", work / "synthetic12.npz"))
    zt, q = strassen_16("ZT"), strassen_16("Q")
    (work / "s16_ZT.m").write_text(to_nested(zt))
    (work / "s16_ZT.json").write_text(to_perminov_json(zt))
    (work / "s16_Q.m").write_text(to_nested(q))
    cases += [("16x16x16 ZT (.m)", work / "s16_ZT.m"), ("16x16x16 ZT (.json)", work / "s16_ZT.json"),
              ("16x16x16 Q (.m)", work / "s16_Q.m")]
    print(f"linalg_lab from {Path(linalg_lab.__file__).parent}", file=sys.stderr)
    print(f"{'case':44s} {'schemes':>7s} {'seconds':>8s}")
    for name, path in cases:
        best = None
        for k in range(args.repeat):
            out = work / f"out-{len(name)}-{k}-{time.monotonic_ns()}"
            t0 = time.perf_counter()
            count = import_file(path, out)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        print(f"{name:44s} {count:7d} {best:8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
