"""The coefficient rings of linalg-lab: F2, F3, Z_T = {-1, 0, 1}, Z and Q.

A :class:`Ring` knows how to check that an array holds valid entries, how to
bring integers into its canonical representatives, and whether two integer
arrays are equal in it. Entries of F3 are written with representatives
-1, 0, 1 (as in scheme files); Z_T is a *set* of coefficients whose
arithmetic is that of Z (a scheme over Z_T is a scheme over Z with entries in
{-1, 0, 1}).
"""

from __future__ import annotations

import enum
from fractions import Fraction

import numpy as np


class Ring(str, enum.Enum):
    """A coefficient ring of a scheme."""

    F2 = "F2"
    F3 = "F3"
    ZT = "ZT"
    Z = "Z"
    Q = "Q"

    def __str__(self) -> str:  # "F2", not "Ring.F2"
        return self.value

    @property
    def characteristic(self) -> int:
        """2 for F2, 3 for F3, 0 for the others (arithmetic of Z or Q)."""
        return {"F2": 2, "F3": 3}.get(self.value, 0)

    @property
    def code(self) -> int:
        """The ring code of the packed kernels (:mod:`linalg_lab.fields.words`): F2, F3 and ZT only."""
        codes = {"F2": 0, "F3": 1, "ZT": 2}    # RING_F2, RING_F3, RING_ZT
        if self.value not in codes:
            raise ValueError(f"ring: packed arithmetic exists over F2, F3 and ZT, got {self.value}")
        return codes[self.value]

    @property
    def is_finite_field(self) -> bool:
        return self.characteristic != 0

    @property
    def entries(self) -> tuple[int, ...] | None:
        """The allowed entry values as written in files, or None if unbounded."""
        return {"F2": (0, 1), "F3": (-1, 0, 1), "ZT": (-1, 0, 1)}.get(self.value)

    def canonical(self, a):
        """Map integer entries to this ring's representatives (F2: {0,1}, F3: {-1,0,1}).

        For ZT, Z and Q the entries are returned unchanged.
        """
        p = self.characteristic
        if p == 2:
            return np.asarray(a, dtype=np.int64) % 2
        if p == 3:
            r = np.asarray(a, dtype=np.int64) % 3
            return np.where(r == 2, -1, r)
        return a

    def equal(self, a, b) -> np.ndarray:
        """Elementwise equality of two integer (or Fraction) arrays in this ring."""
        p = self.characteristic
        diff = np.asarray(a) - np.asarray(b)
        if p:
            return (diff % p) == 0
        return diff == 0


RINGS = tuple(r.value for r in Ring)


def as_ring(ring) -> Ring:
    """Return ``ring`` as a :class:`Ring`, accepting a Ring or its name (case-insensitive)."""
    if isinstance(ring, Ring):
        return ring
    if not isinstance(ring, str):
        raise TypeError(f"ring: expected one of {', '.join(RINGS)} (a Ring or its name), got {type(ring).__name__}")
    key = ring.strip().upper()
    if key == "Z_T":
        key = "ZT"
    for r in Ring:
        if r.value.upper() == key:
            return r
    raise ValueError(f"ring: expected one of {', '.join(RINGS)}, got {ring!r}")


def parse_rational(value) -> Fraction:
    """Parse a scheme-file entry over Q: an int or a string 'p/q' (also accepts Fraction)."""
    if isinstance(value, bool):
        raise ValueError(f"expected an integer or 'p/q', got {value!r}")
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            pass
    raise ValueError(f"expected an integer or 'p/q', got {value!r}")
