"""Dynamic Kronecker projection maintenance (Song, Yang, Yang & Zhang, ICML 2023).

``P = B^T (B B^T)^{-1} B`` for ``B = A (W kron I)`` or ``B = A (W^1/2 kron
W^1/2)``, with ``A`` the ``m x n^2`` matrix of the ``vec(A_i)^T`` and ``W``
symmetric positive semidefinite, maintained under changes of ``W`` without
forming any ``n^2 x n^2`` object.

Public API:

* :class:`KroneckerProjection` -- ``update(W_new)``, ``update_low_rank(U, C)``
  (``W + U C U^T``), ``query(h)`` (``P h``, exact), and with ``sketch=``
  ``query_sketch(h)`` / ``query_coordinates(h, index)`` (JL sketches of the
  output, median estimates).
* :func:`vec`, :func:`unvec` -- the column-stacking convention used throughout.
* :func:`sketch_sizes` -- sketch size and count for accuracy ``eps`` and failure probability ``delta``.

Arguments are checked by :mod:`linalg_lab.validation`.
"""

from .constraints import unvec, vec
from .kronecker import KroneckerProjection
from .sketch import sketch_sizes

__all__ = ["KroneckerProjection", "sketch_sizes", "unvec", "vec"]
