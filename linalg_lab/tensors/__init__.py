"""Tensors of bilinear maps: general and structured matrix products.

Conventions (in full on the documentation's Conventions page): a bilinear map ``z = f(x, y)`` has the
tensor ``T`` with ``z[g] = sum_{a,b} T[a, b, g] x[a] y[b]``. A code is two
letters, the structures of A and of B (``g`` general, ``u`` upper, ``l``
lower triangular, ``s`` symmetric, ``k`` skew, ``w`` skew with a free
diagonal), or a letter and ``t`` for ``C = X X^T``. Sizes are ``n1 x n2`` for
A and ``n2 x n3`` for B. The general product ``gg`` has
``T[i*n2 + j, j*n3 + k, i*n3 + k] = 1``.

Layering: this package sits directly above :mod:`linalg_lab.fields` and never
imports :mod:`linalg_lab.schemes` when it is imported. ``naive_scheme`` and
``strassen_scheme`` live in :mod:`linalg_lab.schemes.standard`; they are
reachable from here too, imported on first use.

Examples
--------
>>> from linalg_lab.tensors import matmul_tensor, tensor_dims
>>> tensor_dims("gt", "4x4x4")
(16, 16, 10)
"""

import importlib as _importlib

from .build import matmul_tensor, tensor_dims
from .codes import CODES, GRAM_CODES, PRODUCT_CODES, TensorCode, parse_sizes, tensor_code
from .naive import naive_factors, strassen_factors
from .structure import STRUCTURES, operand_map, structured_matrix, strict_upper_index, upper_index

# Scheme-valued helpers belong to the layer above; import them only when asked for.
_FROM_SCHEMES = ("naive_scheme", "strassen_scheme")


def __getattr__(name):
    if name in _FROM_SCHEMES:
        return getattr(_importlib.import_module("linalg_lab.schemes.standard"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CODES", "GRAM_CODES", "PRODUCT_CODES", "STRUCTURES", "TensorCode",
    "matmul_tensor", "naive_factors", "naive_scheme", "operand_map", "parse_sizes",
    "strassen_factors", "strassen_scheme", "strict_upper_index", "structured_matrix",
    "tensor_code", "tensor_dims", "upper_index",
]
