"""Known schemes: the naive (definition) scheme of any code and Strassen's 2x2x2."""

from __future__ import annotations

import numpy as np

from .build import matmul_tensor


def naive_factors(code, sizes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Factor matrices (U, V, W) of the naive scheme: one product per nonzero of the tensor.

    Terms that share the pair (x_a, y_b) are merged, so the rank is the number
    of distinct pairs (a, b) with a nonzero tensor slice (e.g. n1*n2*n3 for
    ``gg``, and fewer for structured products, where the structure makes
    products coincide). Coefficients are in {-1, 0, 1}.
    """
    t = matmul_tensor(code, sizes)
    nu, nv, nw = t.shape
    pairs = [(a, b) for a in range(nu) for b in range(nv) if np.any(t[a, b])]
    r = len(pairs)
    u = np.zeros((r, nu), dtype=np.int64)
    v = np.zeros((r, nv), dtype=np.int64)
    w = np.zeros((r, nw), dtype=np.int64)
    for idx, (a, b) in enumerate(pairs):
        u[idx, a] = 1
        v[idx, b] = 1
        w[idx] = t[a, b]
    return u, v, w


def strassen_factors() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strassen's rank-7 scheme for ``gg 2x2x2`` in the output convention."""
    # parameters: a = (a11, a12, a21, a22), b likewise, c = (c11, c12, c21, c22)
    u = np.array([[1, 0, 0, 1], [0, 0, 1, 1], [1, 0, 0, 0], [0, 0, 0, 1],
                  [1, 1, 0, 0], [-1, 0, 1, 0], [0, 1, 0, -1]], dtype=np.int64)
    v = np.array([[1, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, -1], [-1, 0, 1, 0],
                  [0, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1]], dtype=np.int64)
    w = np.array([[1, 0, 0, 1], [0, 0, 1, -1], [0, 1, 0, 1], [1, 0, 1, 0],
                  [-1, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]], dtype=np.int64)
    return u, v, w
