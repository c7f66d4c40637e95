"""Additive complexity of a scheme: what it costs in additions when written out directly.

Perminov's count: ``nnz(U) + nnz(V) + nnz(W) - 2 R - (number of outputs)``.
Forming the R left operands takes ``nnz(U) - R`` additions (a linear form
with k terms takes k - 1), the right operands ``nnz(V) - R``, and each output
is a sum of its nonzero products: ``nnz(W) - outputs``. Coefficients other
than +-1 are counted as free scalings, as in that definition.

Examples
--------
>>> from linalg_lab.schemes import strassen_scheme, naive_scheme
>>> additive_complexity(strassen_scheme("ZT"))
18
>>> additive_complexity(naive_scheme("gg", "2x2x2", "ZT"))      # 4 outputs, each a sum of 2 products
4
"""

from __future__ import annotations

import numpy as np

from ..validation import check_instance
from .scheme import Scheme


def additive_complexity(scheme: Scheme) -> int:
    """``nnz(U) + nnz(V) + nnz(W) - 2R - outputs`` (outputs: the number of columns of W)."""
    check_instance(scheme, "scheme", Scheme)
    nnz = sum(int(np.count_nonzero(np.asarray(a) != 0)) for a in scheme.factors)
    return nnz - 2 * scheme.rank - scheme.dims[2]
