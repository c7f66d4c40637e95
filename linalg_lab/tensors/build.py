"""Dense integer tensors of bilinear maps (general and structured matrix products)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .codes import TensorCode, tensor_code
from .structure import operand_map


@lru_cache(maxsize=64)
def _tensor_cached(code: str, n: tuple[int, int, int]) -> np.ndarray:
    tc = TensorCode(code, n)
    n1, n2, n3 = n
    a_map = operand_map(code[0], n1, n2)                       # (n1, n2, nU)
    if tc.is_gram:
        b_map = operand_map(code[0], n1, n2).transpose(1, 0, 2)  # B = X^T, a second copy of X
    else:
        b_map = operand_map(code[1], n2, n3)                   # (n2, n3, nV)
    nu, nv, nw = tc.dims
    # full[a, b, i, k] = sum_j A_map[i, j, a] * B_map[j, k, b]: the coefficient of x_a y_b in C[i, k]
    full = np.einsum("ija,jkb->abik", a_map, b_map)
    t = np.zeros((nu, nv, nw), dtype=np.int64)
    for i in range(n1):
        for k in range(n3):
            g = tc.output_index(i, k)
            if g is not None:
                t[:, :, g] = full[:, :, i, k]
    t.setflags(write=False)
    return t


def matmul_tensor(code, sizes) -> np.ndarray:
    """The tensor ``T`` of a (structured) matrix product.

    ``z[g] = sum_{a,b} T[a, b, g] x[a] y[b]`` where x parametrises A (or X),
    y parametrises B (or the second copy of X for ``X X^T`` codes) and z lists
    the outputs, as on the Conventions page of the documentation.

    Parameters
    ----------
    code : str
        A tensor code (``"gg"``, ``"ug"``, ..., ``"gt"``, ...).
    sizes : str or sequence of int
        ``"n1xn2xn3"`` or ``(n1, n2, n3)``.

    Returns
    -------
    numpy.ndarray
        Read-only int64 array of shape ``(nU, nV, nW)``.

    Examples
    --------
    >>> from linalg_lab.tensors import matmul_tensor
    >>> matmul_tensor("gg", "2x2x2").shape
    (4, 4, 4)
    >>> int(matmul_tensor("gg", "2x2x2").sum())
    8
    """
    tc = tensor_code(code, sizes)
    return _tensor_cached(tc.code, tc.n)


def tensor_dims(code, sizes) -> tuple[int, int, int]:
    """``(nU, nV, nW)`` of a tensor code at the given sizes."""
    return tensor_code(code, sizes).dims
