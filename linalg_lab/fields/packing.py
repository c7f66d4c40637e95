"""The one row packer: integer rows over F2, F3 or Z_T to bit-plane words, and back.

A row of ``n`` coefficients becomes ``planes x nw`` words, ``nw = ceil(n / 64)``:
bit ``j % 64`` of word ``j // 64`` in plane 0 is set where entry j is +1 (over F2:
odd), in plane 1 where it is -1 (over F3: 2 mod 3). F2 has one plane. This is
the layout of :mod:`linalg_lab.fields.words` (one word per plane) and of the
packed elimination in :mod:`linalg_lab.fields.elimination` (many words).

Examples
--------
>>> import numpy as np
>>> from linalg_lab.fields.packing import pack_rows, unpack_rows
>>> w = pack_rows(np.array([[1, 0, -1, 1]]), "F3")
>>> w.shape, [int(x) for x in w[0, :, 0]]
((1, 2, 1), [9, 4])
>>> unpack_rows(w, 4, "F3")
array([[ 1,  0, -1,  1]])
"""

from __future__ import annotations

import numpy as np

from .rings import Ring, as_ring


def planes(ring) -> int:
    """Number of bit planes of a packed vector over ``ring`` (1 for F2, 2 for F3 and Z_T)."""
    ring = as_ring(ring)
    if ring is Ring.F2:
        return 1
    if ring in (Ring.F3, Ring.ZT):
        return 2
    raise ValueError(f"ring: packed words exist over F2, F3 and ZT, got {ring}")


def _bits_to_words(bits: np.ndarray, nw: int) -> np.ndarray:
    """0/1 array (..., n) -> uint64 words (..., nw), bit j of word j // 64 = entry j."""
    lead = bits.shape[:-1]
    n = bits.shape[-1]
    full = np.zeros(lead + (nw * 64,), np.uint8)
    full[..., :n] = bits
    # packbits is big-endian within a byte and we want bit 0 first: reverse each 64-bit group
    grouped = full.reshape(lead + (nw, 64))[..., ::-1]
    return np.packbits(grouped, axis=-1).view(">u8").astype(np.uint64).reshape(lead + (nw,))


def pack_rows(rows, ring, nw: int | None = None) -> np.ndarray:
    """Pack integer rows (m, n) into words (m, planes, nw).

    Entries are read in ``ring``: over F2 modulo 2, over F3 modulo 3, over Z_T
    they must lie in {-1, 0, 1} (``ValueError`` otherwise). ``nw`` defaults to
    ``ceil(n / 64)`` (at least 1).
    """
    ring = as_ring(ring)
    rows = np.asarray(rows)
    if rows.ndim != 2:
        raise ValueError(f"rows: expected a 2-D array, got shape {rows.shape}")
    rows = rows.astype(np.int64)
    m, n = rows.shape
    need = max(1, -(-n // 64))
    nw = need if nw is None else nw
    if nw < need:
        raise ValueError(f"nw: {n} coefficients need {need} words, got {nw}")
    if ring is Ring.F2:
        return _bits_to_words((rows & 1).astype(np.uint8), nw).reshape(m, 1, nw)
    if ring is Ring.F3:
        r = rows % 3
        pos, neg = r == 1, r == 2
    elif ring is Ring.ZT:
        if rows.size and (rows.min() < -1 or rows.max() > 1):
            raise ValueError("rows: entries over ZT must lie in {-1, 0, 1}")
        pos, neg = rows == 1, rows == -1
    else:
        raise ValueError(f"ring: packed words exist over F2, F3 and ZT, got {ring}")
    out = np.empty((m, 2, nw), np.uint64)
    out[:, 0] = _bits_to_words(pos.astype(np.uint8), nw)
    out[:, 1] = _bits_to_words(neg.astype(np.uint8), nw)
    return out


def unpack_rows(words, ncols: int, ring) -> np.ndarray:
    """Inverse of :func:`pack_rows`: words (m, planes, nw) -> integer rows (m, ncols).

    Over F2 entries are 0/1, over F3 and Z_T -1/0/1.
    """
    ring = as_ring(ring)
    words = np.asarray(words, dtype=np.uint64)
    if words.ndim != 3:
        raise ValueError(f"words: expected shape (m, planes, nw), got {words.shape}")
    m, pl, nw = words.shape
    if ncols > 64 * nw:
        raise ValueError(f"ncols: {nw} words hold at most {64 * nw} coefficients, got {ncols}")
    # big-endian bytes, most significant bit first: reversing each 64-bit group puts bit 0 first
    b = np.unpackbits(words.astype(">u8").view(np.uint8).reshape(m, pl, nw, 8), axis=-1)
    bits = b[..., ::-1].reshape(m, pl, nw * 64)[:, :, :ncols].astype(np.int64)
    if ring is Ring.F2:
        return bits[:, 0]
    if pl != 2:
        raise ValueError(f"words: {ring} needs 2 planes, got {pl}")
    return bits[:, 0] - bits[:, 1]
