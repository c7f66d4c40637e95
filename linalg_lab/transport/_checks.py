"""Argument checks of the transport family: masses, cost matrices, point clouds.

Moved here from :mod:`linalg_lab.validation` (which keeps the checks shared by
several families, on which these are built); the messages read alike, starting
with the argument's name: ``"b: expected masses >= 0, got a minimum of -0.1"``.

- :func:`check_histogram`: a mass vector (empty or None: uniform weights, POT's convention).
- :func:`check_cost_matrix`: a finite 2-D float64 cost matrix.
- :func:`check_transport_problem`: ``(a, b, M)`` checked together.
- :func:`check_mass`: the transported mass ``m`` of a partial problem.
- :func:`check_points`: a point cloud as an ``(n, d)`` float64 array.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_int, check_matrix, check_real

__all__ = ["check_cost_matrix", "check_histogram", "check_mass", "check_points", "check_transport_problem"]


def check_histogram(a, name: str, size: int, *, copy: bool = True) -> np.ndarray:
    """A mass vector of length ``size`` as float64 (empty or None: uniform ``1/size``).

    The masses must be finite and ``>= 0``; POT's convention that an empty
    ``a`` means uniform weights is kept. A copy is returned by default so that
    no caller's array is ever modified by a solver.

    Examples
    --------
    >>> check_histogram([], "a", 4)
    array([0.25, 0.25, 0.25, 0.25])
    >>> check_histogram([0.5, -0.1], "b", 2)
    Traceback (most recent call last):
        ...
    ValueError: b: expected masses >= 0, got a minimum of -0.1
    """
    size = check_int(size, "size", minimum=1)
    if a is None or (np.ndim(a) == 1 and len(a) == 0):
        return np.full(size, 1.0 / size)
    arr = check_matrix(a, name, dtype=np.float64, ndim=1, shape=(size,), copy=copy)
    low = float(arr.min())
    if low < 0:
        raise ValueError(f"{name}: expected masses >= 0, got a minimum of {low:g}")
    return arr


def check_cost_matrix(M, name: str = "M") -> np.ndarray:
    """A finite, non-empty 2-D float64 cost matrix (C-contiguous; the input is never modified).

    Examples
    --------
    >>> check_cost_matrix([[0, 1], [1, 0]]).dtype
    dtype('float64')
    """
    arr = check_matrix(M, name, dtype=np.float64, ndim=2)
    return np.ascontiguousarray(arr)


def check_transport_problem(a, b, M, *, names=("a", "b", "M")):
    """Check ``(a, b, M)`` together: ``M`` of shape ``(len(a), len(b))``, masses as in :func:`check_histogram`.

    Returns float64 copies ``(a, b, M)``; an empty ``a`` or ``b`` becomes
    uniform over the rows or columns of ``M``.

    Examples
    --------
    >>> a, b, M = check_transport_problem([], [], [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    >>> a.round(3).tolist(), b.tolist()
    ([0.333, 0.333, 0.333], [0.5, 0.5])
    >>> check_transport_problem([0.5, 0.5], [], [[0.0, 1.0]])
    Traceback (most recent call last):
        ...
    ValueError: a: expected 1 entries (one per row of M), got shape (2,)
    """
    na, nb, nm = names
    M = check_cost_matrix(M, nm)
    n, m = M.shape
    for arr_name, arr, size, what in ((na, a, n, "row"), (nb, b, m, "column")):
        if arr is not None and np.ndim(arr) == 1 and len(arr) not in (0, size):
            raise ValueError(f"{arr_name}: expected {size} entries (one per {what} of {nm}), got shape {np.shape(arr)}")
    return check_histogram(a, na, n), check_histogram(b, nb, m), M


def check_mass(m, a: np.ndarray, b: np.ndarray, name: str = "m", *, default_full: bool = True) -> float:
    """The transported mass: ``0 <= m <= min(sum a, sum b)`` (None: that minimum when ``default_full``).

    Examples
    --------
    >>> import numpy as np
    >>> check_mass(None, np.ones(2) / 2, np.ones(3) / 3)
    1.0
    >>> check_mass(1.5, np.ones(2) / 2, np.ones(3) / 3)
    Traceback (most recent call last):
        ...
    ValueError: m: expected a mass in [0, min(sum a, sum b)] = [0, 1], got 1.5
    """
    top = float(min(a.sum(), b.sum()))
    if m is None:
        if default_full:
            return top
        raise TypeError(f"{name}: expected a number, got None")
    value = check_real(m, name)
    # sums of float masses carry rounding; accept m up to that slack and clip
    slack = 1e-12 * max(1.0, top)
    if value < 0 or value > top + slack:
        raise ValueError(f"{name}: expected a mass in [0, min(sum a, sum b)] = [0, {top:g}], got {value:g}")
    return min(value, top)


def check_points(X, name: str) -> np.ndarray:
    """A point cloud as an ``(n, d)`` float64 array: a 1-D array is ``n`` points on a line.

    Examples
    --------
    >>> check_points([1.0, 2.0], "X").shape
    (2, 1)
    """
    arr = check_matrix(X, name, dtype=np.float64, ndim=None)
    if arr.ndim == 1:
        return arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected points of shape (n, d) or (n,), got shape {arr.shape}")
    return arr
