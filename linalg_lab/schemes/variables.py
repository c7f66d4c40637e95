"""Readable names of a tensor's parameters: a11, b23, c12 (1-based), as in published schemes."""

from __future__ import annotations

import numpy as np

from ..tensors.codes import TensorCode
from ..tensors.structure import operand_map


def _entry_name(letter: str, i: int, j: int, wide: bool) -> str:
    return f"{letter}{i + 1}_{j + 1}" if wide else f"{letter}{i + 1}{j + 1}"


def input_names(tc: TensorCode, side: int) -> tuple[str, ...]:
    """Names of the parameters of x (side 0) or y (side 1).

    A structured parameter is named after the entry that holds it with sign +1
    (the upper-triangle entry for u, s, k, w; the lower one for l). For
    ``X X^T`` codes both sides are entries of X and are named ``x..``.
    """
    n1, n2, n3 = tc.n
    wide = max(tc.n) > 9
    if tc.is_gram:
        letter, struct, shape = "x", tc.code[0], (n1, n2)
    elif side == 0:
        letter, struct, shape = "a", tc.code[0], (n1, n2)
    else:
        letter, struct, shape = "b", tc.code[1], (n2, n3)
    m = operand_map(struct, *shape)
    names = []
    for p in range(m.shape[2]):
        i, j = np.argwhere(m[:, :, p] == 1)[0]
        names.append(_entry_name(letter, int(i), int(j), wide))
    return tuple(names)


def output_names(tc: TensorCode) -> tuple[str, ...]:
    """Names of the outputs: ``c{i}{k}`` in output order."""
    n1, _, n3 = tc.n
    wide = max(tc.n) > 9
    names = [""] * tc.dims[2]
    for i in range(n1):
        for k in range(n3):
            g = tc.output_index(i, k)
            if g is not None:
                names[g] = _entry_name("c", i, k, wide)
    return tuple(names)
