"""Bit-packed schemes over F2 and F3: the representation the flip-graph kernels walk on.

A factor (one row of U, V or W) with at most 64 coefficients is stored as
machine words: over F2 one ``uint64`` (bit j = coefficient j); over F3 two bit
planes (plane 0: coefficient 1, plane 1: coefficient 2 = -1). Arrays have shape
``(rank, planes)`` with ``planes`` = 1 for F2 and 2 for F3.

Over F3 each term is normalised so that the first nonzero coefficient of u and
of v is +1, the signs moving into w; two factors equal up to sign are then
equal as words, which is what makes flips findable by plain lookup.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fields.packing import pack_rows as _pack
from ..fields.packing import unpack_rows as _unpack
from ..fields.rings import Ring
from ..tensors.codes import TensorCode, tensor_code
from .identity import packed_key
from .scheme import Scheme

MAX_PACKED = 64


@dataclass
class PackedScheme:
    """Factors of a scheme over F2 or F3 as words; see the module docstring."""

    tc: TensorCode
    ring: Ring
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray

    @property
    def planes(self) -> int:
        return 1 if self.ring is Ring.F2 else 2

    @property
    def rank(self) -> int:
        return len(self.u)

    def key(self) -> bytes:
        """A canonical key: equal for schemes that differ only in the order of their terms and signs
        (:func:`linalg_lab.schemes.identity.packed_key`)."""
        return packed_key(self.u, self.v, self.w, self.ring)


def _check_packable(scheme: Scheme) -> None:
    if scheme.ring not in (Ring.F2, Ring.F3):
        raise ValueError(f"scheme: packing needs a scheme over F2 or F3, got {scheme.ring}; reduce it first")
    if max(scheme.dims) > MAX_PACKED:
        raise ValueError(
            f"scheme: {scheme.tc.label()} has factors of {max(scheme.dims)} coefficients; "
            f"packed kernels support at most {MAX_PACKED} per factor for now"
        )


def pack_rows(rows: np.ndarray, ring: Ring) -> np.ndarray:
    """Pack integer rows of at most 64 entries into one word per plane: shape (m, planes).

    The single-word view of :func:`linalg_lab.fields.packing.pack_rows`.
    """
    return _pack(rows, ring, 1)[:, :, 0]


def unpack_rows(words: np.ndarray, cols: int, ring: Ring) -> np.ndarray:
    """Inverse of :func:`pack_rows`: integer rows with the ring's representatives."""
    return _unpack(np.asarray(words, dtype=np.uint64)[:, :, None], cols, ring)


def _normalise_f3(u: np.ndarray, v: np.ndarray, w: np.ndarray):
    u, v, w = u.copy(), v.copy(), w.copy()
    for a in (u, v):
        nz = a != 0
        first = np.where(nz.any(axis=1), a[np.arange(len(a)), nz.argmax(axis=1)], 1)
        a *= first[:, None]          # first nonzero becomes +1 (entries are +-1, so s*s = 1)
        w *= first[:, None]
    return u, v, ((w + 1) % 3) - 1


def pack(scheme: Scheme) -> PackedScheme:
    """Pack a scheme over F2 or F3 (normalising signs over F3).

    Raises
    ------
    ValueError
        If the ring is not F2/F3, or a factor has more than 64 coefficients.

    Examples
    --------
    >>> from linalg_lab.tensors import naive_scheme
    >>> p = pack(naive_scheme("gg", "2x2x2", "F2"))
    >>> p.u.shape, p.u.dtype
    ((8, 1), dtype('uint64'))
    """
    _check_packable(scheme)
    u, v, w = (np.asarray(a, dtype=np.int64) for a in scheme.factors)
    if scheme.ring is Ring.F3:
        u, v, w = _normalise_f3(u, v, w)
    return PackedScheme(scheme.tc, scheme.ring, pack_rows(u, scheme.ring), pack_rows(v, scheme.ring), pack_rows(w, scheme.ring))


def unpack(packed: PackedScheme) -> Scheme:
    """The :class:`Scheme` held by a :class:`PackedScheme`."""
    nu, nv, nw = packed.tc.dims
    return Scheme(
        packed.tc.code, packed.tc.n, packed.ring,
        unpack_rows(packed.u, nu, packed.ring),
        unpack_rows(packed.v, nv, packed.ring),
        unpack_rows(packed.w, nw, packed.ring),
    )


def from_words(code, sizes, ring, u, v, w) -> PackedScheme:
    """Wrap word arrays (e.g. from a kernel) as a :class:`PackedScheme`."""
    return PackedScheme(tensor_code(code, sizes), Ring(ring) if not isinstance(ring, Ring) else ring,
                        np.asarray(u, np.uint64), np.asarray(v, np.uint64), np.asarray(w, np.uint64))
