"""Argument checks of the projection family.

Moved here from :mod:`linalg_lab.validation` (which keeps the shared checks and
the tolerance rule these are built on); messages start with the argument's name.

- :func:`check_symmetric_psd`: a symmetric positive semidefinite weight matrix ``W``.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_matrix, check_rtol, relative_cutoff

__all__ = ["check_symmetric_psd"]


def check_symmetric_psd(W, name: str, *, size=None, rtol=None) -> np.ndarray:
    """A symmetric positive semidefinite matrix as a float64 copy, symmetrised as ``(W + W^T) / 2``.

    Both tests use the cutoff ``c = max(rtol, n * eps) * max|W|`` of
    :func:`relative_cutoff`: ``max|W - W^T| <= c`` and the smallest
    eigenvalue of the symmetrised matrix ``>= -n * c`` (rounding in the
    eigenvalues grows with ``n``).

    Parameters
    ----------
    W : array_like, shape (n, n)
        Dense (a sparse matrix is a TypeError).
    name : str
    size : int, optional
        Required ``n``.
    rtol : float or None
        Relative tolerance in ``[0, 1)`` (None: ``n * eps`` only).

    Returns
    -------
    numpy.ndarray
        A new array; the input is never modified.

    Raises
    ------
    TypeError
        Not a dense numeric array.
    ValueError
        Not square (or not ``size x size``), NaN or inf, not symmetric, or a
        negative eigenvalue below the cutoff.

    Examples
    --------
    >>> check_symmetric_psd([[2.0, 1.0], [1.0, 2.0]], "W").tolist()
    [[2.0, 1.0], [1.0, 2.0]]
    >>> check_symmetric_psd([[1.0, 2.0], [2.0, 1.0]], "W")
    Traceback (most recent call last):
        ...
    ValueError: W: expected a positive semidefinite matrix, got smallest eigenvalue -1
    >>> check_symmetric_psd([[1.0, 0.5], [0.0, 1.0]], "W")
    Traceback (most recent call last):
        ...
    ValueError: W: expected a symmetric matrix, got max |W - W^T| = 0.5
    """
    rtol = check_rtol(rtol)
    shape = (None, None) if size is None else (size, size)
    arr = check_matrix(W, name, dtype=np.float64, shape=shape, copy=True)
    n = arr.shape[0]
    if arr.shape[1] != n:
        raise ValueError(f"{name}: expected a square matrix, got shape {arr.shape}")
    top = float(np.abs(arr).max())
    cut = relative_cutoff(n, rtol) * top
    asym = float(np.abs(arr - arr.T).max())
    if asym > cut:
        raise ValueError(f"{name}: expected a symmetric matrix, got max |{name} - {name}^T| = {asym:.3g}")
    arr = (arr + arr.T) / 2.0
    low = float(np.linalg.eigvalsh(arr)[0]) if n else 0.0
    if low < -n * cut:
        raise ValueError(f"{name}: expected a positive semidefinite matrix, got smallest eigenvalue {low:.3g}")
    return arr
