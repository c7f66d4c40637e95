"""Tensors of bilinear maps: general and structured matrix products.

Codes and parameter orders follow DESIGN.md section 3.

Examples
--------
>>> from linalg_lab.tensors import matmul_tensor, tensor_dims
>>> tensor_dims("gt", "4x4x4")
(16, 16, 10)
"""

from .build import matmul_tensor, tensor_dims
from .codes import CODES, GRAM_CODES, PRODUCT_CODES, TensorCode, parse_sizes, tensor_code
from .naive import naive_factors, strassen_factors
from .structure import STRUCTURES, operand_map, structured_matrix, strict_upper_index, upper_index


def naive_scheme(code, sizes, ring="Z"):
    """The naive scheme of ``code`` at ``sizes`` as a :class:`linalg_lab.schemes.Scheme`."""
    from ..schemes import Scheme

    u, v, w = naive_factors(code, sizes)
    return Scheme(code, sizes, ring, u, v, w)


def strassen_scheme(ring="Z"):
    """Strassen's rank-7 scheme for 2x2x2 as a :class:`linalg_lab.schemes.Scheme`."""
    from ..schemes import Scheme

    u, v, w = strassen_factors()
    return Scheme("gg", (2, 2, 2), ring, u, v, w)


__all__ = [
    "CODES", "GRAM_CODES", "PRODUCT_CODES", "STRUCTURES", "TensorCode",
    "matmul_tensor", "naive_factors", "naive_scheme", "operand_map", "parse_sizes",
    "strassen_factors", "strassen_scheme", "strict_upper_index", "structured_matrix",
    "tensor_code", "tensor_dims", "upper_index",
]
