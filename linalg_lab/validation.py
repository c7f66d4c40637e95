"""Argument checks and tolerance rules shared by the families of linalg-lab.

Every public function checks its arguments through these helpers (in the
manner of scikit-learn's ``utils.validation``), so that bad input fails early
and every message reads alike: it starts with the argument's name and says
what was expected and what was given,
``"k: expected an integer >= 1, got 0"``. A wrong *type* raises
:class:`TypeError`, a wrong *value* (range, shape, NaN, an unknown choice)
raises :class:`ValueError`.

This module imports nothing else from the package, so any layer may use it.
It holds the checks that several families share; a check only one family
needs lives in that family (``linalg_lab/<family>/_checks.py``: the masses,
cost matrices and point clouds of :mod:`linalg_lab.transport`, the weight
matrix of :mod:`linalg_lab.projection`), built on these.

Checks
------
- :func:`check_int`, :func:`check_real`, :func:`check_bool`: scalars
  (``bool`` is never an integer or a number here).
- :func:`check_choice`: one of a fixed set of values.
- :func:`check_instance`: an object of a given class (a ``Scheme``, a path).
- :func:`check_rng`: ``None``, a seed, a ``SeedSequence`` or a
  ``numpy.random.Generator`` -> a ``Generator``.
- :func:`check_tolerance`: a finite number ``>= 0`` (or a default);
  :func:`check_rtol`: a relative rank tolerance in ``[0, 1)`` or None.
- :func:`check_matrix`, :func:`check_vector`: arrays (shape, dtype,
  finiteness, sparse matrices, ``LinearOperator``).
- :func:`check_indices`: distinct integer indices into an axis.
- :func:`positional_deprecated`: a parameter made keyword-only (``rng``)
  still accepted positionally for one release, with a ``DeprecationWarning``.

Tolerance rule
--------------
A singular value ``sigma`` of an ``m x n`` matrix counts as nonzero iff

    sigma > cutoff = max(rtol, max(m, n) * eps) * sigma_max

with ``eps`` the float64 machine epsilon and ``rtol`` a user choice (``None``:
only the size term, the default of ``numpy.linalg.matrix_rank``). See
:func:`rank_cutoff` and :func:`relative_cutoff`.

Examples
--------
>>> import numpy as np
>>> from linalg_lab.validation import check_int, check_matrix
>>> check_int(np.int64(3), "k", minimum=1)
3
>>> check_int(True, "k")
Traceback (most recent call last):
    ...
TypeError: k: expected an integer, got bool True
>>> check_matrix(np.ones(3), "A")
Traceback (most recent call last):
    ...
ValueError: A: expected a 2-D array, got shape (3,)
"""

from __future__ import annotations

import functools
import inspect
import numbers
import operator
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

__all__ = [
    "EPS",
    "check_bool",
    "check_choice",
    "check_indices",
    "check_instance",
    "check_int",
    "check_matrix",
    "check_real",
    "check_rng",
    "check_rtol",
    "check_tolerance",
    "check_vector",
    "positional_deprecated",
    "rank_cutoff",
    "relative_cutoff",
]

#: float64 machine epsilon (2.2e-16).
EPS = float(np.finfo(np.float64).eps)


def _got(value) -> str:
    """``"float 2.5"``: the type and the value, as the tail of a message."""
    if value is None:
        return "None"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _bounds(minimum, maximum, strict_minimum=False, strict_maximum=False, maximum_text=None) -> str:
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if strict_minimum else '>='} {minimum}")
    if maximum is not None:
        parts.append(f"{'<' if strict_maximum else '<='} {maximum_text or maximum}")
    return (" " + " and ".join(parts)) if parts else ""


# ----------------------------------------------------------------------------- scalars


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def check_int(value, name: str, *, minimum=None, maximum=None, maximum_text: str | None = None) -> int:
    """Return ``value`` as a Python ``int`` in ``[minimum, maximum]``.

    Parameters
    ----------
    value : int or numpy integer
        ``bool`` and floats (even ``2.0``) are refused.
    name : str
        Argument name for the messages.
    minimum, maximum : int, optional
        Inclusive bounds.
    maximum_text : str, optional
        How to describe ``maximum`` in the message, e.g. ``"min(m, n) = 3"``.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        ``value`` is not an integer (``bool`` included).
    ValueError
        ``value`` is out of range.

    Examples
    --------
    >>> check_int(5, "k", minimum=1, maximum=3, maximum_text="min(m, n) = 3")
    Traceback (most recent call last):
        ...
    ValueError: k: expected an integer >= 1 and <= min(m, n) = 3, got 5
    """
    if _is_bool(value) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {_got(value)}")
    k = operator.index(value)
    if (minimum is not None and k < minimum) or (maximum is not None and k > maximum):
        raise ValueError(f"{name}: expected an integer{_bounds(minimum, maximum, maximum_text=maximum_text)}, got {k}")
    return k


def check_real(value, name: str, *, minimum=None, maximum=None, strict_minimum: bool = False,
               strict_maximum: bool = False, allow_inf: bool = False) -> float:
    """Return ``value`` as a Python ``float`` within the bounds.

    Parameters
    ----------
    value : real number
        ``int``, ``float``, ``fractions.Fraction`` or a numpy real scalar;
        ``bool``, ``str`` and complex numbers are refused.
    name : str
        Argument name for the messages.
    minimum, maximum : float, optional
        Bounds, inclusive unless ``strict_minimum`` / ``strict_maximum``.
    allow_inf : bool, default False
        Accept ``+-inf`` (NaN is always refused).

    Returns
    -------
    float

    Raises
    ------
    TypeError
        ``value`` is not a real number.
    ValueError
        NaN, an infinity (unless allowed), or out of range.

    Examples
    --------
    >>> check_real(0.5, "alpha", minimum=0, strict_minimum=True)
    0.5
    >>> check_real(float("nan"), "alpha")
    Traceback (most recent call last):
        ...
    ValueError: alpha: expected a number, got nan
    """
    if _is_bool(value) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {_got(value)}")
    x = float(value)
    if np.isnan(x):
        raise ValueError(f"{name}: expected a number, got nan")
    if np.isinf(x) and not allow_inf:
        raise ValueError(f"{name}: expected a finite number, got {x}")
    low = minimum is not None and (x <= minimum if strict_minimum else x < minimum)
    high = maximum is not None and (x >= maximum if strict_maximum else x > maximum)
    if low or high:
        what = "a number" if allow_inf else "a finite number"
        raise ValueError(f"{name}: expected {what}{_bounds(minimum, maximum, strict_minimum, strict_maximum)}, got {x}")
    return x


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a Python ``bool``; anything but ``bool``/``numpy.bool_`` is a TypeError.

    Examples
    --------
    >>> check_bool(np.True_, "verify")
    True
    """
    if not _is_bool(value):
        raise TypeError(f"{name}: expected True or False, got {_got(value)}")
    return bool(value)


def check_instance(value, name: str, types, what: str | None = None):
    """Return ``value`` if it is an instance of ``types`` (a class or a tuple of classes).

    ``what`` describes the expected kind in the message (default: the class
    names joined by "or").

    Raises
    ------
    TypeError
        ``value`` is of another type.

    Examples
    --------
    >>> from pathlib import Path
    >>> check_instance("x.json", "path", (str, Path), "a path")
    'x.json'
    >>> check_instance(3, "path", (str, Path), "a path")
    Traceback (most recent call last):
        ...
    TypeError: path: expected a path, got int 3
    """
    if not isinstance(value, types):
        if what is None:
            classes = types if isinstance(types, tuple) else (types,)
            what = " or ".join(f"a {c.__name__}" for c in classes)
        raise TypeError(f"{name}: expected {what}, got {_got(value)}")
    return value


def check_choice(value, name: str, choices):
    """Return ``value`` if it is one of ``choices``.

    When every choice is a string, a string ``value`` is matched ignoring
    case and the canonical spelling (the one in ``choices``) is returned; an
    exact match wins over a case-insensitive one. Otherwise ``value`` must
    equal one of the choices.

    Raises
    ------
    ValueError
        ``value`` is not one of the choices (the message lists them).

    Examples
    --------
    >>> check_choice("gaussian", "kind", ("gaussian", "select"))
    'gaussian'
    >>> check_choice("zt", "to", ("Q", "Z", "ZT"))
    'ZT'
    >>> check_choice("hadamard", "kind", ("gaussian", "select"))
    Traceback (most recent call last):
        ...
    ValueError: kind: expected one of 'gaussian', 'select', got 'hadamard'
    """
    options = list(choices)
    for c in options:
        if type(c) is type(value) and c == value:
            return c
    if isinstance(value, str) and options and all(isinstance(c, str) for c in options):
        folded = [c for c in options if c.casefold() == value.casefold()]
        if len(folded) == 1:
            return folded[0]
    for c in options:  # equal values of other types (numpy scalars, str-valued enums)
        try:
            if c == value:
                return c
        except Exception:  # pragma: no cover - objects with exotic __eq__
            continue
    listed = ", ".join(repr(str(c)) if isinstance(c, str) else repr(c) for c in options)
    raise ValueError(f"{name}: expected one of {listed}, got {value!r}")


def check_rng(rng, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``rng``.

    Parameters
    ----------
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None``: fresh OS entropy; an integer ``>= 0`` (not ``bool``) or a
        ``SeedSequence``: a seeded generator; a ``Generator`` is returned as
        is (its state is shared with the caller).
    name : str, default "rng"

    Raises
    ------
    TypeError
        Any other type (``bool``, floats, ``RandomState`` included).
    ValueError
        A negative seed.

    Examples
    --------
    >>> g = check_rng(7)
    >>> check_rng(g) is g
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if _is_bool(rng) or not isinstance(rng, (numbers.Integral, np.integer)):
        raise TypeError(
            f"{name}: expected None, an integer seed, a numpy.random.SeedSequence or a numpy.random.Generator, "
            f"got {_got(rng)}"
        )
    seed = operator.index(rng)
    if seed < 0:
        raise ValueError(f"{name}: expected a seed >= 0, got {seed}")
    return np.random.default_rng(seed)


def check_tolerance(value, name: str, *, default=None, maximum=None, strict_maximum: bool = False):
    """Return a tolerance: a finite ``float >= 0`` (``<= maximum`` when given).

    Parameters
    ----------
    value : real number or None
        ``None`` selects ``default``.
    name : str
    default : float or None, optional
        Returned (unchecked) for ``value=None``; ``None`` lets the caller
        keep "no tolerance given" apart from any number.
    maximum : float, optional
        Upper bound, exclusive when ``strict_maximum`` (e.g. ``rtol < 1``).

    Returns
    -------
    float, or ``default`` when ``value`` is None

    Raises
    ------
    TypeError
        Not a real number.
    ValueError
        Negative, NaN, infinite or above ``maximum``.

    Examples
    --------
    >>> check_tolerance(None, "tol", default=1e-12)
    1e-12
    >>> check_tolerance(1.0, "rtol", maximum=1, strict_maximum=True)
    Traceback (most recent call last):
        ...
    ValueError: rtol: expected a finite number >= 0 and < 1, got 1.0
    """
    if value is None:
        return default
    return check_real(value, name, minimum=0, maximum=maximum, strict_maximum=strict_maximum)


def check_rtol(rtol, name: str = "rtol") -> float | None:
    """A relative rank tolerance: ``None`` (size term only) or a float in ``[0, 1)``.

    Examples
    --------
    >>> check_rtol(None) is None, check_rtol(1e-10)
    (True, 1e-10)
    """
    return check_tolerance(rtol, name, maximum=1, strict_maximum=True)


# ----------------------------------------------------------------------------- arrays


def _all_finite(arr: np.ndarray) -> bool:
    """All entries finite, without an array-sized temporary in the usual case.

    A NaN or an infinity makes the sum non-finite, so a finite sum proves
    every entry finite; only a non-finite sum (perhaps an overflow of finite
    entries) needs the elementwise check.
    """
    if arr.dtype.kind not in "fc" or arr.size == 0:
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(arr.sum()):
            return True
    return bool(np.all(np.isfinite(arr)))


def _shape_text(shape) -> str:
    inner = ", ".join("*" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _check_shape(name: str, got: tuple, ndim, shape) -> None:
    if ndim is not None and len(got) != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {got}")
    if shape is None:
        return
    shape = tuple(shape)
    if len(shape) != len(got) or any(s is not None and s != g for s, g in zip(shape, got)):
        fixed = [i for i, s in enumerate(shape) if s is not None]
        if len(shape) == 2 == len(got) and len(fixed) == 1:
            what = f"{shape[0]} rows" if fixed == [0] else f"{shape[1]} columns"
        elif len(shape) == 1 == len(got):
            what = f"{shape[0]} entries"
        else:
            what = f"shape {_shape_text(shape)}"
        raise ValueError(f"{name}: expected {what}, got shape {got}")


def _target_dtype(current: np.dtype, dtype):
    """The dtype to convert to (None: keep ``current``)."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype == "numeric":
        if current.kind in "biuf":
            return None
        return np.dtype(np.float64)
    if isinstance(dtype, (tuple, list)):
        wanted = [np.dtype(d) for d in dtype]
        return None if current in wanted else wanted[0]
    target = np.dtype(dtype)
    return None if target == current else target


def _convert(name: str, arr, target: np.dtype | None, source_kind: str):
    """``arr.astype(target)`` with the type and value errors of this module."""
    if source_kind == "c" and target is not None and target.kind != "c":
        raise TypeError(f"{name}: expected real entries, got dtype {arr.dtype}")
    if source_kind in "USVMm" and (target is None or target.kind != source_kind):
        raise TypeError(f"{name}: expected numeric entries, got dtype {arr.dtype}")
    if target is None:
        return arr
    if target.kind in "iu" and source_kind == "f" and not _all_finite(arr if not sp.issparse(arr) else arr.tocoo().data):
        raise ValueError(f"{name}: contains NaN or inf")
    try:
        out = arr.astype(target)
    except OverflowError:
        raise ValueError(f"{name}: entries out of range for dtype {target}") from None
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected numeric entries, got dtype {arr.dtype} ({exc})") from None
    if target.kind in "iu" and source_kind in "fO":
        # a float or an exact fraction must not be truncated silently
        same = (out != arr) if not sp.issparse(arr) else (out != arr).nnz
        if np.any(same):
            raise ValueError(f"{name}: expected integer entries, got non-integer values")
    return out


def _operator(A, name, ndim, shape, allow_empty):
    if ndim not in (None, 2) or len(A.shape) != 2:
        raise ValueError(f"{name}: expected a {ndim or 2}-D array, got a LinearOperator of shape {A.shape}")
    _check_shape(name, tuple(A.shape), 2, shape)
    if A.dtype is not None and np.dtype(A.dtype).kind == "c":
        raise TypeError(f"{name}: expected real entries, got a LinearOperator of dtype {A.dtype}")
    if not allow_empty and min(A.shape) == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {A.shape}")
    return A


def _sparse(A, name, accept_sparse, dtype, ndim, shape, finite, allow_empty, copy):
    if accept_sparse is False or accept_sparse is None:
        raise TypeError(
            f"{name}: expected a dense array, got a sparse {type(A).__name__}; convert it with .toarray()"
        )
    if accept_sparse is not True:
        formats = [accept_sparse] if isinstance(accept_sparse, str) else list(accept_sparse)
        if A.format not in formats:
            A = A.asformat(formats[0])
            copy = False
    _check_shape(name, tuple(A.shape), ndim, shape)
    target = _target_dtype(A.dtype, dtype)
    out = _convert(name, A, target, A.dtype.kind)
    if finite and not _all_finite(out.data if out.format not in ("lil", "dok") else out.tocoo().data):
        raise ValueError(f"{name}: contains NaN or inf")
    if not allow_empty and 0 in out.shape:
        raise ValueError(f"{name}: expected a non-empty array, got shape {out.shape}")
    return out.copy() if copy and out is A else out


def check_matrix(A, name: str, *, accept_sparse=False, dtype="numeric", ndim=2, shape=None, finite: bool = True,
                 allow_empty: bool = False, copy: bool = False, accept_operator: bool = False):
    """Check an array argument and return it as a numpy array (or a sparse matrix).

    Parameters
    ----------
    A : array_like, scipy.sparse matrix/array or LinearOperator
        The input. Nested lists are converted with :func:`numpy.asarray`.
    name : str
        Argument name for the messages.
    accept_sparse : bool, str or sequence of str, default False
        False: a sparse input is a TypeError (naming the argument). True:
        kept sparse, in its own format. A format name (``"csr"``) or a list
        of them: kept sparse, converted to the first format unless it is
        already one of them.
    dtype : "numeric", None, dtype or sequence of dtypes, default "numeric"
        ``"numeric"``: bool, integer and float arrays are kept as they are;
        object arrays are converted to float64 (TypeError if that fails, so
        exact ``Fraction`` entries need ``dtype=object``). ``None``: any
        dtype is kept. A dtype: converted to it; a conversion to an integer
        dtype refuses non-integer values (ValueError) instead of truncating
        them. A sequence: kept if the dtype is one of them, else converted to
        the first. Complex entries are a TypeError unless the target is
        complex (or ``dtype=None``); strings, bytes and dates are a TypeError
        unless asked for by ``dtype``.
    ndim : int or None, default 2
        Required number of dimensions (None: any).
    shape : tuple, optional
        Required shape; ``None`` entries match any size, e.g. ``(m, None)``
        for "m rows".
    finite : bool, default True
        Refuse NaN and infinite entries (float and complex arrays).
    allow_empty : bool, default False
        Accept an axis of length zero.
    copy : bool, default False
        Return an array that does not share memory with ``A``.
    accept_operator : bool, default False
        Accept a :class:`scipy.sparse.linalg.LinearOperator` (returned as is
        after checking its shape and dtype; its entries cannot be checked).

    Returns
    -------
    numpy.ndarray, scipy.sparse matrix/array or LinearOperator

    Raises
    ------
    TypeError
        ``A`` is None, sparse when not accepted, a LinearOperator when not
        accepted, not numeric, or complex.
    ValueError
        Wrong number of dimensions or shape, empty, NaN or inf, non-integer
        values for an integer dtype, a ragged nested list.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> check_matrix([[1, 2], [3, 4]], "A", dtype=np.float64).dtype
    dtype('float64')
    >>> check_matrix(sp.eye(3, format="csr"), "A", accept_sparse=True).format
    'csr'
    >>> check_matrix([[1.0, np.nan]], "A")
    Traceback (most recent call last):
        ...
    ValueError: A: contains NaN or inf
    >>> check_matrix(np.ones((2, 3)), "F", shape=(4, None))
    Traceback (most recent call last):
        ...
    ValueError: F: expected 4 rows, got shape (2, 3)
    """
    if A is None:
        raise TypeError(f"{name}: expected an array, got None")
    if isinstance(A, LinearOperator):
        if not accept_operator:
            raise TypeError(f"{name}: expected an array, got a LinearOperator")
        return _operator(A, name, ndim, shape, allow_empty)
    if sp.issparse(A):
        return _sparse(A, name, accept_sparse, dtype, ndim, shape, finite, allow_empty, copy)
    try:
        arr = np.asarray(A)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"{name}: expected a rectangular array, got a ragged {type(A).__name__} ({exc})") from None
    except Exception as exc:  # pragma: no cover - exotic array-likes
        raise TypeError(f"{name}: expected an array, got {type(A).__name__} ({exc})") from None
    if arr.dtype == object and arr.ndim == 0:
        raise TypeError(f"{name}: expected an array, got {_got(A)}")
    out = _convert(name, arr, _target_dtype(arr.dtype, dtype), arr.dtype.kind)
    _check_shape(name, out.shape, ndim, shape)
    if not allow_empty and out.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {out.shape}")
    if finite and not _all_finite(out):
        raise ValueError(f"{name}: contains NaN or inf")
    if copy and np.may_share_memory(out, A if isinstance(A, np.ndarray) else arr):
        out = out.copy()
    return out


def check_vector(x, name: str, *, size=None, dtype="numeric", finite: bool = True, allow_empty: bool = False,
                 copy: bool = False):
    """Check a 1-D array argument (see :func:`check_matrix`); ``size`` fixes its length.

    Examples
    --------
    >>> check_vector([1, 2, 3], "x", size=4)
    Traceback (most recent call last):
        ...
    ValueError: x: expected 4 entries, got shape (3,)
    """
    return check_matrix(x, name, dtype=dtype, ndim=1, shape=None if size is None else (size,), finite=finite,
                        allow_empty=allow_empty, copy=copy)


def check_indices(idx, name: str, size: int, *, allow_empty: bool = False, unique: bool = True) -> np.ndarray:
    """Return ``idx`` as a 1-D ``intp`` array of indices in ``[0, size)`` (distinct when ``unique``).

    Raises
    ------
    TypeError
        None, or entries that are not integers.
    ValueError
        Not 1-D, empty (unless allowed), out of range, or repeated.

    Examples
    --------
    >>> check_indices([2, 0], "rows", 3)
    array([2, 0])
    >>> check_indices([0, 3], "rows", 3)
    Traceback (most recent call last):
        ...
    ValueError: rows: expected indices in [0, 3), got [0, 3]
    """
    if idx is None:
        raise TypeError(f"{name}: expected a sequence of integers, got None")
    if sp.issparse(idx) or isinstance(idx, LinearOperator):
        raise TypeError(f"{name}: expected a sequence of integers, got {type(idx).__name__}")
    arr = np.asarray(idx)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        if allow_empty:
            return arr.astype(np.intp)
        raise ValueError(f"{name}: expected at least one index, got none")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer entries, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= size:
        raise ValueError(f"{name}: expected indices in [0, {size}), got {arr.tolist()}")
    if unique and np.unique(arr).size != arr.size:
        raise ValueError(f"{name}: expected distinct indices, got {arr.tolist()}")
    return arr.astype(np.intp)



# ----------------------------------------------------------------------------- tolerance rule


def relative_cutoff(size: int, rtol: float | None = None) -> float:
    """``max(rtol, size * eps)``: the rank cutoff relative to ``sigma_max`` (no checks).

    ``size`` is ``max(m, n)`` of the matrix whose rounding floor counts (a
    small sketch of a big matrix inherits the big one's); ``rtol=None`` means
    the size term only.

    Examples
    --------
    >>> relative_cutoff(10) == 10 * EPS
    True
    >>> relative_cutoff(10, 1e-8)
    1e-08
    """
    floor = max(int(size), 1) * EPS
    return floor if rtol is None else max(float(rtol), floor)


def rank_cutoff(sigma_max, shape, rtol=None) -> float:
    """Absolute singular-value cutoff for numerical rank decisions.

    Parameters
    ----------
    sigma_max : float
        Largest singular value of the matrix (finite, ``>= 0``).
    shape : tuple of int
        Shape ``(m, n)`` of the matrix (only ``max(m, n)`` is used).
    rtol : float or None, optional
        Relative tolerance in ``[0, 1)``; None means ``max(m, n) * eps`` only.

    Returns
    -------
    float
        ``max(rtol, max(m, n) * eps) * sigma_max``.

    References
    ----------
    .. [1] G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed.,
       Johns Hopkins, 2013, Section 5.4.1 (numerical rank).

    Examples
    --------
    >>> rank_cutoff(2.0, (4000, 3000)) / 2.0 == 4000 * 2.0**-52
    True
    """
    rtol = check_rtol(rtol)
    sigma_max = check_real(sigma_max, "sigma_max", minimum=0)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError(f"shape: expected a tuple of integers, got {_got(shape)}")
    if len(shape) == 0:
        raise ValueError("shape: expected a non-empty tuple, got ()")
    dims = [check_int(d, "shape", minimum=0) for d in shape]
    return relative_cutoff(max(dims), rtol) * sigma_max


# ----------------------------------------------------------------------------- keyword-only arguments


def positional_deprecated(*names: str):
    """Decorator: keyword-only parameters ``names`` still accepted positionally, with a ``DeprecationWarning``.

    For one release after a signature made ``rng`` (and what follows it)
    keyword-only: the decorated function is declared with the new signature
    (``def f(A, k=None, *, rng=None, rtol=None)``), and a call that passes
    more positional arguments than it declares has the extra ones bound, in
    order, to ``names``. Such a call warns; a keyword call pays one length
    test. ``inspect.signature`` and the documentation show the new signature.

    Raises
    ------
    TypeError
        More extra positional arguments than ``names``, or a name given both
        positionally and by keyword (as Python would).

    Examples
    --------
    >>> import warnings
    >>> @positional_deprecated("rng", "rtol")
    ... def f(A, k=None, *, rng=None, rtol=None):
    ...     return k, rng, rtol
    >>> f(1, 2, rng=3)
    (2, 3, None)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f(1, 2, 3, 1e-8)
    (2, 3, 1e-08)
    >>> print(caught[0].category.__name__, caught[0].message)
    DeprecationWarning f: pass rng, rtol by keyword (rng=..., rtol=...); positional rng, rtol will be refused in the next release
    """
    def decorate(func):
        params = inspect.signature(func).parameters.values()
        n_pos = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        qualname = func.__name__

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if len(args) > n_pos:
                extra = args[n_pos:]
                if len(extra) > len(names):
                    raise TypeError(f"{qualname}() takes at most {n_pos + len(names)} positional arguments "
                                    f"({len(args)} given)")
                given = names[:len(extra)]
                for name, value in zip(given, extra):
                    if name in kwargs:
                        raise TypeError(f"{qualname}() got multiple values for argument {name!r}")
                    kwargs[name] = value
                listed = ", ".join(given)
                warnings.warn(f"{qualname}: pass {listed} by keyword ({', '.join(n + '=...' for n in given)}); "
                              f"positional {listed} will be refused in the next release", DeprecationWarning,
                              stacklevel=2)
                args = args[:n_pos]
            return func(*args, **kwargs)

        return wrapper

    return decorate


# ----------------------------------------------------------------------------- moved checks

#: Checks that moved into their family: name -> module (importable from here for one release, with a warning).
_MOVED = {
    "check_cost_matrix": "linalg_lab.transport._checks",
    "check_histogram": "linalg_lab.transport._checks",
    "check_mass": "linalg_lab.transport._checks",
    "check_points": "linalg_lab.transport._checks",
    "check_transport_problem": "linalg_lab.transport._checks",
    "check_symmetric_psd": "linalg_lab.projection._checks",
}


def __getattr__(name):
    if name in _MOVED:
        import importlib

        warnings.warn(f"linalg_lab.validation.{name} moved to {_MOVED[name]}; import it from there "
                      "(this alias goes in the next release)", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
