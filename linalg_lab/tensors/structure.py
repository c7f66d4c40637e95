"""Parametrisations of structured matrices (see the Conventions page of the documentation).

A structured n x n matrix is a linear function of a parameter vector. For a
structure letter and a shape, :func:`operand_map` returns the integer array
``M`` of shape ``(rows, cols, nparams)`` with ``X[i, j] = sum_p M[i, j, p] x[p]``.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_choice

STRUCTURES = {
    "g": "general",
    "u": "upper triangular",
    "l": "lower triangular",
    "s": "symmetric",
    "k": "skew-symmetric",
    "w": "skew-symmetric with free diagonal",
}


def upper_index(i: int, j: int, n: int) -> int:
    """Index of (i, j), i <= j, in the row-major upper-triangle order of an n x n matrix."""
    return i * (2 * n - i - 1) // 2 + j


def strict_upper_index(i: int, j: int, n: int) -> int:
    """Index of (i, j), i < j, in the row-major strictly-upper order of an n x n matrix."""
    return i * (2 * n - i - 1) // 2 + (j - i - 1)


def num_params(letter: str, rows: int, cols: int) -> int:
    """Number of parameters of a ``rows x cols`` matrix with structure ``letter``."""
    if letter == "g":
        return rows * cols
    n = rows
    if letter == "k":
        return n * (n - 1) // 2
    return n * (n + 1) // 2


def param_of(letter: str, i: int, j: int, n_rows: int, n_cols: int) -> tuple[int, int] | None:
    """(parameter index, sign) of entry (i, j), or None where the entry is identically 0."""
    if letter == "g":
        return i * n_cols + j, 1
    n = n_rows
    lo, hi = min(i, j), max(i, j)
    if letter == "u":
        return (upper_index(i, j, n), 1) if i <= j else None
    if letter == "l":
        return (upper_index(j, i, n), 1) if i >= j else None
    if letter == "s":
        return upper_index(lo, hi, n), 1
    if letter == "k":
        if i == j:
            return None
        return strict_upper_index(lo, hi, n), (1 if i < j else -1)
    if letter == "w":
        return upper_index(lo, hi, n), (1 if i <= j else -1)
    raise ValueError(f"letter: expected one of {', '.join(map(repr, STRUCTURES))}, got {letter!r}")


def operand_map(letter: str, rows: int, cols: int) -> np.ndarray:
    """Integer array ``M`` (rows, cols, nparams) with ``X[i, j] = sum_p M[i, j, p] x[p]``."""
    letter = check_choice(letter, "letter", tuple(STRUCTURES))
    if letter != "g" and rows != cols:
        raise ValueError(f"cols: expected {rows} (a {STRUCTURES[letter]} operand is square), got {rows}x{cols}")
    m = np.zeros((rows, cols, num_params(letter, rows, cols)), dtype=np.int64)
    for i in range(rows):
        for j in range(cols):
            ps = param_of(letter, i, j, rows, cols)
            if ps is not None:
                m[i, j, ps[0]] = ps[1]
    return m


def structured_matrix(letter: str, params, rows: int, cols: int) -> np.ndarray:
    """The ``rows x cols`` matrix with structure ``letter`` and parameter vector ``params``."""
    m = operand_map(letter, rows, cols)
    params = np.asarray(params)
    if params.shape != (m.shape[2],):
        raise ValueError(f"params: expected {m.shape[2]} parameters, got shape {params.shape}")
    return np.tensordot(m, params, axes=([2], [0]))
