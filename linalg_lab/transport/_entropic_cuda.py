"""CUDA cycles of entropic partial OT: Dykstra's three projections with log-sum-exp reductions on the GPU.

The same dual block ascent as :func:`._entropic_kernels.dykstra` (rows, columns,
mass; potentials ``f, g <= 0`` clipped unless that side is an equality, a mass
potential ``lam``), with the same check of the violation every ``check_every``
cycles and the same stopping rule, so :func:`~.entropic.entropic_partial_wasserstein`
runs its stages, epsilon scaling, plan and rounding around it unchanged. The
difference is where the sums are taken: the cost matrix stays on the device and
each pass is one kernel, one thread per row (then per column: neighbouring
threads read neighbouring entries of a row) computing an exact log-sum-exp in
one sweep (a running maximum and a rescaled sum), so no kernel matrix is stored
and no absorption is needed. Only the potentials (``O(n + m)``) cross the bus.

Imported only when ``device="cuda"`` is asked for (``pip install "linalg-lab[cuda]"``).
"""

from __future__ import annotations

import math

import numpy as np

from .._targets import simulator

cuda = None        # numba.cuda, imported on first use (a module global: the simulator swaps this name)
_KERNELS = None


def _kernels():
    global cuda, _KERNELS
    if _KERNELS is not None:
        return _KERNELS
    from numba import cuda

    @cuda.jit(device=True)
    def add(x, mx, s):
        """One term into a running log-sum-exp kept as (maximum, sum of exp(term - maximum))."""
        if x > mx:
            return x, s * math.exp(mx - x) + 1.0
        return mx, s + math.exp(x - mx)

    @cuda.jit
    def row_lse(M, f, g, lam, inv, out):
        i = cuda.grid(1)
        if i < M.shape[0]:
            mx, s = -math.inf, 0.0
            for j in range(M.shape[1]):
                mx, s = add((f[i] + lam + g[j] - M[i, j]) * inv, mx, s)
            out[i] = mx + math.log(s)

    @cuda.jit
    def col_lse(M, f, g, lam, inv, out):
        j = cuda.grid(1)
        if j < M.shape[1]:
            mx, s = -math.inf, 0.0
            for i in range(M.shape[0]):
                mx, s = add((f[i] + lam + g[j] - M[i, j]) * inv, mx, s)
            out[j] = mx + math.log(s)

    _KERNELS = (row_lse, col_lse)
    return _KERNELS


class DeviceCycles:
    """Dykstra cycles on the GPU for one cost matrix (kept on the device between stages).

    ``cycle`` has the signature of :func:`._entropic_kernels.dykstra` (the
    kernel arguments ``K, f0, g0, fresh`` are ignored), so the CPU driver
    calls either.
    """

    def __init__(self, M: np.ndarray, threads_per_block: int = 128):
        row_lse, col_lse = _kernels()
        self.row_lse, self.col_lse = row_lse, col_lse
        self.M = cuda.to_device(np.ascontiguousarray(M, dtype=np.float64))
        n, m = M.shape
        self.threads = max(1, min(int(threads_per_block), max(n, m)))
        if simulator():
            self.threads = 1        # see flipgraph._cuda.DeviceBatch: the simulator polls every thread of a block
        self._rows = cuda.device_array(n)
        self._cols = cuda.device_array(m)

    def _lse(self, kernel, out, f, g, lam, inv):
        size = out.shape[0]
        blocks = (size + self.threads - 1) // self.threads
        kernel[blocks, self.threads](self.M, cuda.to_device(f), cuda.to_device(g), lam, inv, out)
        return out.copy_to_host()

    def cycle(self, M, a, b, mass, reg, f, g, lams, K, f0, g0, fresh, max_iter, stop_thr, check_every, err,
              rows_eq, cols_eq):
        """At most ``max_iter`` cycles from ``(f, g, lams[0])``, updated in place; as ``dykstra``."""
        inv = 1.0 / reg
        loga = np.log(a)
        logb = np.log(b)
        logm = math.log(mass)
        lam = float(lams[0])
        n_err = 0
        it = 0
        while it < max_iter:
            s = self._lse(self.row_lse, self._rows, f, g, lam, inv)          # log row sums of the plan
            if it % check_every == 0:
                c = self._lse(self.col_lse, self._cols, f, g, lam, inv)      # log column sums, same plan
                # each side's violation is the gap its projection would close (as the CPU cycles measure it):
                # an excess over a_i, or a row below a_i whose potential is still negative
                row_to = loga if rows_eq else np.minimum(loga, s - f * inv)
                col_to = logb if cols_eq else np.minimum(logb, c - g * inv)
                cols = np.exp(c)
                v = max(float(np.abs(np.exp(s) - np.exp(row_to)).max(initial=0.0)),
                        float(np.abs(cols - np.exp(col_to)).max(initial=0.0)), abs(float(cols.sum()) - mass))
                err[n_err] = v
                n_err += 1
                if v <= stop_thr:
                    break
            f += reg * (loga - s)
            if not rows_eq:
                np.minimum(f, 0.0, out=f)
            c = self._lse(self.col_lse, self._cols, f, g, lam, inv)
            g_new = g + reg * (logb - c)
            if not cols_eq:
                np.minimum(g_new, 0.0, out=g_new)
            total = float(np.exp(c + (g_new - g) * inv).sum())
            g[:] = g_new
            lam += reg * (logm - math.log(total))
            it += 1
        lams[0] = lam
        return it, n_err, 0


def compile_ptx(cc=(9, 0)) -> str:
    """PTX of both reduction kernels for compute capability ``cc`` (a compile check that needs no GPU)."""
    from numba import cuda as real_cuda
    from numba import float64, types

    from .._targets import assumed_device

    sig = (types.float64[:, ::1], types.float64[::1], types.float64[::1], float64, float64, types.float64[::1])
    with assumed_device(tuple(cc)):
        return "\n".join(real_cuda.compile_ptx(k.py_func, sig, device=False, cc=tuple(cc))[0] for k in _kernels())


__all__ = ["DeviceCycles", "compile_ptx"]
