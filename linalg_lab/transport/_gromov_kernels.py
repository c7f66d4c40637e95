"""Numba kernels of the restricted partial-OT LP in :mod:`linalg_lab.transport.gromov` (one pass over the costs).

* :func:`candidates`: the arcs whose reduced cost ``M_ij - u_i - v_j`` is at
  most a threshold, marked in a boolean mask (the arc set of a restricted
  solve);
* :func:`price`: the arcs outside the mask whose reduced cost is negative,
  with those costs (the arcs that would enter the basis of the full
  problem: none means the restricted optimum is optimal).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def candidates(M, u, v, tau, inset):
    """Mark ``inset[i * n' + j]`` where ``M_ij - u_i - v_j <= tau``; returns how many were marked."""
    n, nt = M.shape
    count = 0
    for i in range(n):
        ui = u[i]
        base = i * nt
        for j in range(nt):
            if M[i, j] - ui - v[j] <= tau:
                inset[base + j] = True
                count += 1
    return count


@njit(cache=True, nogil=True)
def price(M, u, v, inset):
    """Flat indices and reduced costs of the arcs outside ``inset`` with ``M_ij - u_i - v_j < 0``."""
    n, nt = M.shape
    out = np.empty(16, np.int64)
    red = np.empty(16)
    k = 0
    for i in range(n):
        ui = u[i]
        base = i * nt
        for j in range(nt):
            r = M[i, j] - ui - v[j]
            if r < 0.0 and not inset[base + j]:
                if k == out.size:
                    out2 = np.empty(2 * k, np.int64)
                    red2 = np.empty(2 * k)
                    out2[:k] = out
                    red2[:k] = red
                    out, red = out2, red2
                out[k] = base + j
                red[k] = r
                k += 1
    return out[:k], red[:k]
