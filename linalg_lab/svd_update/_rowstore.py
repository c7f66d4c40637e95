"""A growable dense row store: the factor ``U'`` (or ``V'``) of an updated SVD.

Adding rows to the matrix appends rows to ``U'``; a buffer with spare
capacity makes that amortised ``O(rows appended)`` instead of a copy of the
whole factor per batch. The buffer grows with ``ndarray.resize`` (a
``realloc``, which for large blocks remaps pages instead of copying, so the
peak memory stays near the factor's size) and falls back to a copy when the
array cannot be resized in place. Products with a small ``k x k`` matrix are
done in row blocks, in place, so no temporary of the factor's size is made.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RowStore"]

#: Rows per block for in-place products (about 4 MiB for k = 64).
BLOCK_ROWS = 8192
#: Capacity growth factor when appending.
GROWTH = 1.5


class RowStore:
    """Rows ``X`` (``size x k``, float64) with cheap appends and in-place ``X <- X K``.

    Private: the buffer is never handed out, so resizing it is safe.
    """

    def __init__(self, X: np.ndarray, *, copy: bool = True):
        X = np.asarray(X, dtype=np.float64)
        self._buf = np.array(X, order="C", copy=True) if copy or not X.flags.c_contiguous else X
        self._size = X.shape[0]

    @property
    def size(self) -> int:
        return self._size

    @property
    def width(self) -> int:
        return self._buf.shape[1]

    @property
    def nbytes(self) -> int:
        return self._buf.nbytes

    def rows(self) -> np.ndarray:
        """A read-only view of the stored rows (valid until the next append)."""
        view = self._buf[: self._size]
        view.flags.writeable = False
        return view

    def take(self, idx) -> np.ndarray:
        """A copy of the rows ``idx``."""
        return self._buf[: self._size][idx]

    def add_at(self, idx: np.ndarray, delta: np.ndarray) -> None:
        """``X[idx] += delta`` for distinct row indices ``idx``."""
        self._buf[idx] += delta

    def append(self, new_rows: np.ndarray) -> None:
        """Append the rows of ``new_rows`` (``s x k``)."""
        s = new_rows.shape[0]
        need = self._size + s
        if need > self._buf.shape[0]:
            self._reserve(max(need, int(GROWTH * self._buf.shape[0]) + 1))
        self._buf[self._size: need] = new_rows
        self._size = need

    def _reserve(self, capacity: int) -> None:
        try:
            self._buf.resize((capacity, self.width), refcheck=True)
        except ValueError:  # a view of the buffer is alive somewhere: copy instead
            new = np.empty((capacity, self.width))
            new[: self._size] = self._buf[: self._size]
            self._buf = new

    def right_multiply(self, K: np.ndarray) -> None:
        """``X <- X K`` in place, block by block (``K`` is ``k x k``)."""
        for i in range(0, self._size, BLOCK_ROWS):
            j = min(i + BLOCK_ROWS, self._size)
            self._buf[i:j] = self._buf[i:j] @ K

    def gram(self) -> np.ndarray:
        """``X^T X`` (``k x k``)."""
        X = self._buf[: self._size]
        return X.T @ X
