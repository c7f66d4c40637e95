"""Packed word arithmetic over F2, F3 and Z_T = {-1, 0, 1}: the one place it is written.

A vector of up to 64 coefficients is held in two ``uint64`` words, its
*planes*: bit j of plane 0 is set where coefficient j is +1, bit j of plane 1
where it is -1. Over F2 plane 1 is always zero (1 = -1) and addition is XOR.
F3 and Z_T share the representation; they differ in addition only: over F3
1 + 1 = -1, over Z_T a sum that would leave {-1, 0, 1} is a failure, and the
move that asked for it is not applied (Perminov's ternary flip graph).

Every function here is a small ``numba`` function that LLVM inlines into its
callers (the flip kernels, the lifting kernels), written with plain word
operations only, so that CUDA device functions can be compiled from the same
source. A ring is passed as its integer code (:data:`RING_F2`, :data:`RING_F3`,
:data:`RING_ZT`; ``Ring.code``), never as a characteristic: Z_T has none.

Examples
--------
>>> import numpy as np
>>> from linalg_lab.fields.words import RING_F3, RING_ZT, add
>>> one, zero = np.uint64(1), np.uint64(0)
>>> add(RING_F3, one, zero, one, zero)        # 1 + 1 = -1 in F3: plane 1
(True, 0, 1)
>>> add(RING_ZT, one, zero, one, zero)[0]     # 1 + 1 = 2 is not ternary
False
"""

from __future__ import annotations

import numpy as np
from .._targets import kernel

RING_F2 = 0
RING_F3 = 1
RING_ZT = 2
#: ring code -> name, for messages
RING_NAMES = ("F2", "F3", "ZT")

ZERO = np.uint64(0)
ONE = np.uint64(1)

# plain numba functions: LLVM inlines them into the kernels (numba-level inlining would only cost compile time)
_inline = dict(cache=True, _nrt=False)


@kernel(**_inline)
def add(ring, a0, a1, b0, b1):
    """``(ok, c0, c1)`` with ``c = a + b``; ``ok`` is False only over Z_T where an entry would be +-2."""
    if ring == RING_F2:
        return True, a0 ^ b0, ZERO
    if ring == RING_F3:
        # GF(3) in six word operations
        t = (a0 | b1) ^ (a1 | b0)
        return True, (a1 | b1) ^ t, (a0 | b0) ^ t
    # Z_T: 1 + 1 and -1 + -1 overflow; otherwise the sum of the supports minus the cancellations
    over = (a0 & b0) | (a1 & b1)
    return over == ZERO, (a0 | b0) & ~(a1 | b1), (a1 | b1) & ~(a0 | b0)


@kernel(**_inline)
def negate(ring, a0, a1):
    """``-a`` (the planes swap; over F2, -a = a)."""
    if ring == RING_F2:
        return a0, a1
    return a1, a0


@kernel(**_inline)
def subtract(ring, a0, a1, b0, b1):
    """``(ok, c0, c1)`` with ``c = a - b`` (failure as in :func:`add`)."""
    n0, n1 = negate(ring, b0, b1)
    return add(ring, a0, a1, n0, n1)


@kernel(**_inline)
def scale(s, a0, a1):
    """``s * a`` for a sign ``s`` = +-1 (never called with -1 over F2, where signs are all +1)."""
    if s < 0:
        return a1, a0
    return a0, a1


@kernel(**_inline)
def normalise(a0, a1):
    """``(sign, c0, c1)`` with ``a = sign * c`` and the first nonzero coefficient of ``c`` equal to +1.

    The zero vector gives sign +1. Over F2 the sign is always +1.
    """
    x = a0 | a1
    if x == ZERO:
        return 1, a0, a1
    low = x & (~x + ONE)
    if a1 & low:
        return -1, a1, a0
    return 1, a0, a1


@kernel(**_inline)
def is_zero(a0, a1):
    return (a0 | a1) == ZERO


@kernel(**_inline)
def equal(a0, a1, b0, b1):
    return a0 == b0 and a1 == b1


@kernel(**_inline)
def equal_up_to_sign(a0, a1, b0, b1):
    """True when ``a = b`` or ``a = -b``."""
    return (a0 == b0 and a1 == b1) or (a0 == b1 and a1 == b0)


@kernel(cache=True, _nrt=False)
def popcount(x):
    """Number of set bits of a ``uint64`` word."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@kernel(cache=True, _nrt=False)
def lowest_bit(x):
    """Index of the lowest set bit of a nonzero word."""
    return popcount((x & (~x + ONE)) - ONE)
