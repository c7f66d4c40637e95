"""Rational reconstruction: the fraction r/s with small |r| and s that is congruent to a mod m.

For a modulus ``m`` and the bound ``N = floor(sqrt(m / 2))`` there is at most
one fraction ``r/s`` with ``|r| <= N``, ``0 < s <= N``, ``gcd(s, m) = 1`` and
``r = s a (mod m)``; the extended Euclidean algorithm on ``(m, a)``, stopped at
the first remainder ``<= N``, finds it.

References
----------
.. [1] P. S. Wang, "A p-adic algorithm for univariate partial fractions",
   SYMSAC 1981.
.. [2] P. S. Wang, M. J. T. Guy and J. H. Davenport, "P-adic reconstruction of
   rational numbers", ACM SIGSAM Bulletin 16(2), 1982.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, isqrt

import numpy as np

from ..validation import check_int
from . import _kernels as K


def default_bound(m: int) -> int:
    """``floor(sqrt(m / 2))``: the numerator and denominator bound for modulus ``m`` (Wang, Guy & Davenport).

    Examples
    --------
    >>> default_bound(2**11), default_bound(3**11)
    (32, 297)
    """
    return isqrt(m // 2)


def _check_modulus(m) -> int:
    return check_int(m, "m", minimum=2)


def _check_bound(bound, m: int) -> int:
    return default_bound(m) if bound is None else check_int(bound, "bound", minimum=1)


def rational_reconstruction(a, m, bound=None) -> Fraction | None:
    """The fraction r/s congruent to ``a`` modulo ``m`` with ``|r|, s <= bound``, or None.

    Parameters
    ----------
    a : int
        A residue modulo ``m`` (any representative).
    m : int
        The modulus (for p-adic lifts ``p^k``), ``m >= 2``.
    bound : int, optional
        Bound on ``|r|`` and ``s``; default ``floor(sqrt(m / 2))``, for which the
        answer is unique when it exists.

    Returns
    -------
    fractions.Fraction or None
        ``r/s`` in lowest terms with ``s`` prime to ``m``, or None when no such
        fraction lies within the bound.

    References
    ----------
    Wang, Guy & Davenport, "P-adic reconstruction of rational numbers" (1982).

    Examples
    --------
    >>> rational_reconstruction(2**11 - 1, 2**11)
    Fraction(-1, 1)
    >>> rational_reconstruction(1024, 2**11) is None  # no fraction with |r|, s <= 32 and s odd
    True
    >>> rational_reconstruction((3**11 + 1) // 2, 3**11)  # the inverse of 2
    Fraction(1, 2)
    """
    m = _check_modulus(m)
    a = check_int(a, "a")
    n = _check_bound(bound, m)
    r0, r1 = m, a % m
    t0, t1 = 0, 1
    while r1 > n:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        t0, t1 = t1, t0 - q * t1
    if t1 == 0 or abs(t1) > n or gcd(r1, t1) != 1 or gcd(t1, m) != 1:
        return None
    return Fraction(r1, t1)


def rational_reconstruction_array(a, m, bound=None) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`rational_reconstruction` (numba kernel, ``m < 2**62``).

    Parameters
    ----------
    a : array_like of int
        Residues modulo ``m``.
    m : int
    bound : int, optional
        Default ``floor(sqrt(m / 2))``.

    Returns
    -------
    num, den : numpy.ndarray of int64
        Same shape as ``a``; ``den == 0`` where no fraction within the bound exists.

    Examples
    --------
    >>> num, den = rational_reconstruction_array([0, 1, -1, 88574], 3**11)
    >>> num.tolist(), den.tolist()
    ([0, 1, -1, 1], [1, 1, 1, 2])
    """
    m = _check_modulus(m)
    if m >= 2**62:
        raise ValueError(f"m: expected a modulus < 2**62 for the vectorised form, got {m}")
    arr = np.asarray(a)
    if arr.dtype.kind not in "iu":
        if arr.dtype != object:
            raise TypeError(f"a: expected integer residues, got dtype {arr.dtype}")
        # Python integers of any size: reduce them exactly before the int64 kernel
        arr = np.array([check_int(x, "a") % m for x in arr.flat], dtype=np.int64).reshape(arr.shape)
    n = _check_bound(bound, m)
    flat = np.ascontiguousarray((arr.astype(np.int64) % m).reshape(-1))
    num, den = K.rational_reconstruct_array(flat, np.int64(m), np.int64(n))
    return num.reshape(arr.shape), den.reshape(arr.shape)
