"""Coefficient rings and their arithmetic: the lowest layer of linalg-lab.

- :mod:`.rings`: the :class:`Ring` enum (F2, F3, Z_T, Z, Q), entry rules, parsing of rationals.
- :mod:`.words`: packed word arithmetic over F2, F3 and Z_T (add, subtract,
  negate, normalise the sign, equality up to sign), small numba functions that
  the CPU kernels inline and that CUDA device functions can be compiled from.
- :mod:`.packing`: the row packer (integer rows <-> bit-plane words, any length).
- :mod:`.elimination`: packed GF(2)/GF(3) elimination and solves, exact
  row reduction mod p and over Q (rank, inverse).

Nothing here imports another part of the package.
"""

from .elimination import exact_inverse, exact_rank, row_reduce
from .packing import pack_rows, planes, unpack_rows
from .rings import RINGS, Ring, as_ring, parse_rational
from .words import RING_F2, RING_F3, RING_NAMES, RING_ZT

__all__ = ["RINGS", "RING_F2", "RING_F3", "RING_NAMES", "RING_ZT", "Ring", "as_ring", "exact_inverse", "exact_rank",
           "pack_rows", "parse_rational", "planes", "row_reduce", "unpack_rows"]
