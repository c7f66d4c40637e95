"""Input validation for the factorization family, in one place.

Every public function of :mod:`linalg_lab.factorization` passes its arguments
through these helpers, so that bad input fails early with a ``ValueError`` or
``TypeError`` that names the argument and says what was expected, instead of
an ``IndexError`` or a silent NaN from deep inside LAPACK.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

__all__ = [
    "check_matrix",
    "check_rows",
    "check_int",
    "check_rtol",
    "check_rng",
    "check_choice",
    "check_indices",
]


def _describe(x) -> str:
    return type(x).__name__


def check_matrix(
    A,
    name: str,
    *,
    allow_sparse: bool = False,
    allow_operator: bool = False,
    allow_empty: bool = False,
):
    """Return ``A`` as a finite, real, 2-D float64 matrix.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator
        The input.
    name : str
        Argument name used in error messages.
    allow_sparse : bool
        Keep ``scipy.sparse`` input sparse (as CSR, float64). When False,
        sparse input is converted to a dense array.
    allow_operator : bool
        Accept a :class:`scipy.sparse.linalg.LinearOperator` (returned as is;
        its entries cannot be checked here).
    allow_empty : bool
        Accept a dimension of size zero (for example a factor with no columns).

    Returns
    -------
    numpy.ndarray, scipy.sparse.csr_array or LinearOperator

    Raises
    ------
    TypeError
        ``A`` is None, not numeric, or complex.
    ValueError
        ``A`` is not 2-D, is empty, or has NaN or infinite entries.
    """
    if A is None:
        raise TypeError(f"{name} must be a 2-D array_like of real numbers, got None")
    if isinstance(A, LinearOperator):
        if not allow_operator:
            raise TypeError(
                f"{name} must be a 2-D array_like of real numbers, got a LinearOperator"
            )
        if len(A.shape) != 2:
            raise ValueError(f"{name} must be 2-D, got shape {A.shape}")
        if np.issubdtype(np.dtype(A.dtype), np.complexfloating):
            raise TypeError(f"{name} must be real, got dtype {A.dtype}")
        if not allow_empty and min(A.shape) == 0:
            raise ValueError(f"{name} must be non-empty, got shape {A.shape}")
        return A
    if sp.issparse(A):
        if np.issubdtype(A.dtype, np.complexfloating):
            raise TypeError(f"{name} must be real, got dtype {A.dtype}")
        if A.ndim != 2:
            raise ValueError(f"{name} must be 2-D, got shape {A.shape}")
        try:
            S = sp.csr_array(A, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must have real numeric entries ({exc})") from None
        if not _all_finite(S.data):
            raise ValueError(f"{name} contains non-finite entries (NaN or inf)")
        if not allow_empty and min(S.shape) == 0:
            raise ValueError(f"{name} must be non-empty, got shape {S.shape}")
        return S if allow_sparse else S.toarray()
    try:
        arr = np.asarray(A)
    except Exception as exc:  # pragma: no cover - exotic array-likes
        raise TypeError(f"{name} must be array_like, got {_describe(A)} ({exc})") from None
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must have real numeric entries, got dtype {arr.dtype}"
            ) from None
        if np.iscomplexobj(arr):  # pragma: no cover - object arrays of complex
            raise TypeError(f"{name} must be real")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {arr.shape}")
    arr = np.asarray(arr, dtype=np.float64)
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must be non-empty, got shape {arr.shape}")
    if not _all_finite(arr):
        raise ValueError(f"{name} contains non-finite entries (NaN or inf)")
    return arr


def _all_finite(arr: np.ndarray) -> bool:
    """All entries finite, without an ``arr``-sized temporary in the usual case.

    A NaN or an infinity makes the sum non-finite, so a finite sum proves all
    entries finite; only a non-finite sum (possibly an overflow of finite
    entries) needs the elementwise check.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(arr.sum()):
            return True
    return bool(np.all(np.isfinite(arr)))


def check_rows(M: np.ndarray, name: str, rows: int, what: str) -> None:
    """Raise ``ValueError`` unless ``M`` has ``rows`` rows (``what`` explains why)."""
    if M.shape[0] != rows:
        raise ValueError(
            f"{name} must have {rows} rows ({what}), got shape {tuple(M.shape)}"
        )


def check_int(k, name: str, lo: int, hi: int | None = None, hi_text: str = "") -> int:
    """Return ``k`` as an ``int`` in ``[lo, hi]``.

    Raises ``TypeError`` for a non-integer (``bool`` and floats included) and
    ``ValueError`` for a value out of range; ``hi_text`` describes the upper
    bound in the message (for example ``"min(m, n) = 7"``).
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(k)} {k!r}")
    k = int(k)
    if k < lo or (hi is not None and k > hi):
        upper = f" and <= {hi_text or hi}" if hi is not None else ""
        raise ValueError(f"{name} must be >= {lo}{upper}, got {k}")
    return k


def check_rtol(rtol, name: str = "rtol") -> float | None:
    """Return ``rtol`` as a float in ``[0, 1)`` or None."""
    if rtol is None:
        return None
    if isinstance(rtol, bool) or not isinstance(rtol, numbers.Real):
        raise TypeError(f"{name} must be a real number or None, got {_describe(rtol)}")
    rtol = float(rtol)
    if not np.isfinite(rtol) or rtol < 0 or rtol >= 1:
        raise ValueError(f"{name} must satisfy 0 <= {name} < 1, got {rtol}")
    return rtol


def check_rng(rng) -> np.random.Generator:
    """``numpy.random.default_rng(rng)`` with an error message naming ``rng``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool):
        raise TypeError("rng must be None, an int seed or a numpy.random.Generator, got bool")
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "rng must be None, an int seed or a numpy.random.Generator, "
            f"got {_describe(rng)} ({exc})"
        ) from None


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_indices(idx, name: str, size: int, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``idx`` as a 1-D array of distinct integers in ``[0, size)``."""
    if idx is None:
        raise TypeError(f"{name} must be a sequence of integers, got None")
    arr = np.asarray(idx)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        if allow_empty:
            return arr.astype(np.intp)
        raise ValueError(f"{name} must not be empty")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must contain integers, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= size:
        raise ValueError(f"{name} must contain indices in [0, {size}), got {arr.tolist()}")
    if np.unique(arr).size != arr.size:
        raise ValueError(f"{name} must not contain repeated indices")
    return arr.astype(np.intp)
