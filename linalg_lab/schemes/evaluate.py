"""Exact evaluation of a scheme's tensor ``sum_r U[r] (x) V[r] (x) W[r]``: the one routine behind verification.

Every exact verification of a scheme in the package goes through
:func:`scaled_product`: :meth:`Scheme.verify` (via :func:`brent_failures`) and
the importers (via :func:`brent_product`).

How it stays exact and fast
---------------------------
- Over Q each row is scaled to integers by the lcm of its own denominators
  (``U[r] = U'[r] / du[r]``, likewise ``V`` and ``W``). With ``D`` a common
  multiple of the term denominators ``q[r] = du[r] dv[r] dw[r]``, the integer
  rows ``U'[r]``, ``V'[r]`` and ``W'[r] * (D / q[r])`` give ``D * sum`` exactly.
  Scaling rows rather than whole matrices keeps the integers small.
- The integer contraction runs in float64 BLAS when the sum over the terms of
  ``max|U'[r]| max|V'[r]| max|W''[r]|`` is below 2**53. That sum bounds every
  partial sum of every entry, in any order, so every intermediate value is an
  integer that float64 holds exactly (a fused multiply-add rounds once, to the
  same integer).
- Past that bound the contraction runs modulo primes small enough that each
  modular contraction again stays below 2**53 in float64, and the entries are
  recovered by Chinese remaindering (in Python integers past 2**62). The
  primes' product exceeds twice the bound, so the recovery is exact.

Examples
--------
>>> from fractions import Fraction
>>> import numpy as np
>>> u = np.array([[Fraction(1, 2), 0]], dtype=object)
>>> v = np.array([[1, Fraction(1, 3)]], dtype=object)
>>> w = np.array([[6]])
>>> p, d = scaled_product(u, v, w)
>>> d, p[:, :, 0].tolist()
(6, [[18, 6], [0, 0]])
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import isqrt, lcm, prod

import numpy as np

from ..fields.rings import as_ring
from ..tensors.build import matmul_tensor

_FLOAT_EXACT = 2**53  # integers up to this are exact in float64
_INT64_SAFE = 2**62   # int64 holds this, and a sum of two such values, without overflow
_BLOCK = 1 << 21      # entries of one (terms, rows of u, columns of v) block of the contraction
_PRIME_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)  # Miller-Rabin: deterministic below 3.3e24


# ---------------------------------------------------------------- integer rows
def _entry(name: str, r: int, c: int, x):
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return int(x)
    raise TypeError(f"{name}: row {r}, column {c}: expected an integer or a Fraction, got {x!r}")


def _int_array(rows: list, shape: tuple) -> np.ndarray:
    """Nested lists of Python ints as int64, or as an object array when an entry reaches 2**62."""
    big = any(abs(x) >= _INT64_SAFE for row in rows for x in row)
    arr = np.empty(shape, dtype=object) if big else np.array(rows, dtype=np.int64).reshape(shape)
    if big:
        for i, row in enumerate(rows):
            arr[i, :] = row
    return arr


def _matrix(name: str, a) -> np.ndarray:
    a = a if isinstance(a, np.ndarray) else np.asarray(a, dtype=object)
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D matrix (rank x columns), got {a.ndim} dimensions")
    if a.dtype != object and a.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer or Fraction entries, got dtype {a.dtype}")
    return a


def integer_rows(a, name: str = "a") -> tuple[np.ndarray, list[int]]:
    """``(A, d)`` with ``A[r] = d[r] * a[r]`` integral and ``d[r]`` the lcm of row r's denominators.

    Parameters
    ----------
    a : array_like
        A matrix of ints and Fractions (int64, or an object array).
    name : str
        The argument name used in error messages.

    Returns
    -------
    A : ndarray
        int64, or an object array of Python ints when an entry reaches 2**62.
    d : list of int
        One positive denominator per row (all 1 for an integer matrix).

    Examples
    --------
    >>> from fractions import Fraction
    >>> A, d = integer_rows([[Fraction(1, 2), Fraction(1, 3)], [2, 0]])
    >>> A.tolist(), d
    ([[3, 2], [2, 0]], [6, 1])
    """
    a = _matrix(name, a)
    if a.dtype.kind == "u" and a.size and a.max() >= _INT64_SAFE:
        a = a.astype(object)
    if a.dtype != object:
        return a.astype(np.int64), [1] * len(a)
    rows, dens = [], []
    for r, row in enumerate(a.tolist()):
        # ints and Fractions pass as they are; anything else is checked (and numpy integers converted)
        row = [x if type(x) is int or type(x) is Fraction else _entry(name, r, c, x) for c, x in enumerate(row)]
        d = lcm(1, *(x.denominator for x in row if isinstance(x, Fraction)))
        rows.append([x.numerator * (d // x.denominator) for x in row])
        dens.append(d)
    return _int_array(rows, a.shape), dens


def _row_maxabs(a: np.ndarray) -> list[int]:
    if a.dtype == object:
        return [max(map(abs, row), default=0) for row in a.tolist()]
    return np.abs(a).max(axis=1, initial=0).tolist()


def _scale_rows(a: np.ndarray, mult: list[int]) -> np.ndarray:
    """Row r of the integer matrix ``a`` times ``mult[r]``, in int64 while that is exact."""
    if all(m == 1 for m in mult):
        return a
    top = max(m * x for m, x in zip(mult, _row_maxabs(a)))
    if a.dtype != object and max(mult) < _INT64_SAFE and top < _INT64_SAFE:
        return a * np.array(mult, dtype=np.int64)[:, None]
    out = a.astype(object) * np.array(mult, dtype=object)[:, None]
    return out if top >= _INT64_SAFE else out.astype(np.int64)


# ---------------------------------------------------------------- the integer contraction
def integer_product(u, v, w) -> np.ndarray:
    """``sum_r u[r] (x) v[r] (x) w[r]`` for integer matrices, exactly.

    Float64 BLAS when every partial sum is provably below 2**53; otherwise a
    multi-modular contraction with exact recovery (see the module docstring).

    Parameters
    ----------
    u, v, w : array_like
        Integer matrices (int64, or object arrays of Python ints) with the
        same number of rows.

    Returns
    -------
    ndarray
        Shape ``(u.shape[1], v.shape[1], w.shape[1])``: int64, or Python ints
        (object) when an entry may reach 2**62.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> p = integer_product(*strassen_scheme().factors)
    >>> int(p.sum()), p.dtype.name
    (8, 'int64')
    """
    mats = []
    for name, a in zip("uvw", (u, v, w)):
        a, d = integer_rows(a, name)
        if any(x != 1 for x in d):
            raise ValueError(f"{name}: expected integer entries, got fractions (use scaled_product)")
        mats.append(a)
    return _integer_product(*mats)


def _integer_product(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    if not len(u) == len(v) == len(w):
        raise ValueError(f"u, v, w: must have the same number of rows (the rank), got {len(u)}, {len(v)}, {len(w)}")
    shape = (u.shape[1], v.shape[1], w.shape[1])
    terms = [x * y * z for x, y, z in zip(_row_maxabs(u), _row_maxabs(v), _row_maxabs(w))]
    keep = [r for r, t in enumerate(terms) if t]  # a term with a zero row adds nothing (and may hold huge entries)
    bound = sum(terms)
    if not keep:
        return np.zeros(shape, dtype=np.int64)
    u, v, w = u[keep], v[keep], w[keep]
    if bound < _FLOAT_EXACT:
        # each kept row's entries are bounded by its term's bound, so the conversion is exact
        return _contract(*(a.astype(np.float64) for a in (u, v, w))).astype(np.int64)
    return _multimodular(u, v, w, bound)


def _contract(u: np.ndarray, v: np.ndarray, w: np.ndarray, p: int = 0) -> np.ndarray:
    """The contraction in float64 BLAS, blocked over the rows of u; with ``p``, u and v are
    int64 residues and each product ``u[r, a] v[r, b]`` is reduced mod p before the sum over r."""
    r, nu, nv, nw = len(u), u.shape[1], v.shape[1], w.shape[1]
    wf = w.astype(np.float64)
    out = np.empty((nu, nv, nw), dtype=np.float64)
    step = max(1, _BLOCK // max(1, r * nv))
    for a0 in range(0, nu, step):
        blk = u[:, a0:a0 + step, None] * v[:, None, :]
        if p:
            blk = _symmetric(blk % p, p).astype(np.float64)
        out[a0:a0 + step] = (blk.reshape(r, -1).T @ wf).reshape(-1, nv, nw)
    return out


def _symmetric(res: np.ndarray, p: int) -> np.ndarray:
    """Residues in [0, p) -> representatives in [-(p-1)/2, (p-1)/2]."""
    return res - p * (res > p // 2)


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for q in _PRIME_BASES:
        if n % q == 0:
            return n == q
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for q in _PRIME_BASES:
        x = pow(q, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _primes_below(limit: int):
    """The primes <= limit, largest first."""
    n = limit
    while n >= 2:
        if _is_prime(n):
            yield n
        n -= 1


def _multimodular(u: np.ndarray, v: np.ndarray, w: np.ndarray, bound: int) -> np.ndarray:
    """The exact contraction of integer matrices whose partial sums are bounded by ``bound``."""
    # residues lie in [-h, h]: products reduced mod p stay within h, and r * h**2 partial sums within 2**53
    h = isqrt((_FLOAT_EXACT - 1) // len(u))
    primes, residues = [], []
    for p in _primes_below(2 * h + 1):
        red = [_symmetric(np.asarray(a % p).astype(np.int64), p) for a in (u, v, w)]
        residues.append(_contract(*red, p=p).astype(np.int64) % p)
        primes.append(p)
        if prod(primes) > 2 * bound:
            break
    else:
        raise ValueError(f"u, v, w: too many terms ({len(u)}) for the modular contraction")
    return _crt(residues, primes, bound)


def _crt(residues: list, primes: list, bound: int) -> np.ndarray:
    """The integers of absolute value <= bound with the given residues (Garner's mixed radix)."""
    digits = [residues[0]]
    for k in range(1, len(primes)):
        pk = primes[k]
        acc = digits[-1] % pk  # the mixed-radix number of the digits so far, mod pk
        for j in range(k - 2, -1, -1):
            acc = (acc * primes[j] + digits[j]) % pk
        inv = pow(prod(primes[:k]) % pk, -1, pk)
        digits.append((residues[k] - acc) % pk * inv % pk)
    m = prod(primes)
    wide = m >= _INT64_SAFE
    x = digits[-1].astype(object) if wide else digits[-1]
    for j in range(len(primes) - 2, -1, -1):
        x = x * primes[j] + digits[j]
    x = np.where(x > m // 2, x - m, x)
    return x.astype(np.int64) if wide and bound < _INT64_SAFE else x


# ---------------------------------------------------------------- the sparse contraction
_SPARSE_LIMIT = 1 << 23   # contributions of one sparse contraction (about 40 bytes each while it runs)
_DENSE_LIMIT = 1 << 24    # entries of a tensor summed into one float64 array (128 MiB)
_SPARSE_GAIN = 256        # the sparse contraction is used when R nU nV nW is this many times its contributions


def _nonzeros(a: np.ndarray):
    """Row, column and value of each nonzero entry of an int64 matrix, in row-major order."""
    r, c = np.nonzero(a)
    return r, c, a[r, c]


def _pairs(ra, ka, va, rb, kb, vb, rows: int, width: int):
    """Every pair of entries i of a and j of b in one row: row, key ``ka[i] * width + kb[j]`` and value
    ``va[i] * vb[j]`` (``ra`` and ``rb`` ascending; the pairs come out with ascending rows)."""
    cb = np.bincount(rb, minlength=rows)
    sb = np.cumsum(cb) - cb                      # where row r starts among b's entries
    reps = cb[ra]                                # the partners of each entry of a
    total = int(reps.sum())
    ia = np.repeat(np.arange(len(ra)), reps)
    first = np.cumsum(reps) - reps               # where each entry of a starts among the pairs
    jb = np.arange(total) - np.repeat(first - sb[ra], reps)
    return ra[ia], ka[ia] * width + kb[jb], va[ia] * vb[jb]


def _accumulate(keys: np.ndarray, vals: np.ndarray, size: int, bound: int):
    """Sum the values of equal keys (all below ``size``; every partial sum at most ``bound`` in size):
    (ascending distinct keys, their sums), zero sums dropped.

    Many contributions into a small tensor are counted with one float64
    bincount, exact since every partial sum is an integer below 2**53; else
    the keys are sorted and the sums taken in int64.
    """
    if not len(keys):
        return keys, vals
    if bound < _FLOAT_EXACT and size <= _DENSE_LIMIT and 8 * len(keys) >= size:
        acc = np.bincount(keys, weights=vals, minlength=size)
        nz = np.flatnonzero(acc)
        return nz, acc[nz].astype(np.int64)
    order = np.argsort(keys, kind="stable")
    keys, vals = keys[order], vals[order]
    start = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    keys, sums = keys[start], np.add.reduceat(vals, start)
    keep = sums != 0
    return keys[keep], sums[keep]


def sparse_product(u, v, w, *, always: bool = False):
    """The nonzero entries of ``sum_r u[r] (x) v[r] (x) w[r]`` as ``(keys, values)``, exactly, or None.

    ``keys`` are the flat indices ``(a * nV + b) * nW + g`` in ascending order
    and ``values`` their int64 sums. Each term contributes the products of its
    rows' nonzero entries only, so a sparse scheme (a Kronecker power of
    Strassen's, most published ones) costs ``sum_r nnz(u[r]) nnz(v[r]) nnz(w[r])``
    instead of ``R nU nV nW``. Exact: the sum over the terms of
    ``max|u[r]| max|v[r]| max|w[r]|`` is below 2**62, and it bounds every
    product and every partial sum in int64, in any order.

    None when that bound does not hold, an entry is not int64, the
    contributions exceed 2**23, or (unless ``always``) the scheme is too dense
    for the sparse way to pay: ``R nU nV nW`` below 256 times the
    contributions. The callers then use the dense contraction
    (:func:`integer_product`).
    """
    mats = [np.asarray(a) for a in (u, v, w)]
    if any(a.ndim != 2 or a.dtype.kind not in "iu" for a in mats) or not len(mats[0]) == len(mats[1]) == len(mats[2]):
        return None
    u, v, w = (a.astype(np.int64, copy=False) for a in mats)
    rows = len(u)
    count = 1
    for a in (u, v, w):
        count = count * np.count_nonzero(a, axis=1)
    count = int(count.sum(dtype=np.float64))
    if count > _SPARSE_LIMIT or (not always and count * _SPARSE_GAIN > rows * u.shape[1] * v.shape[1] * w.shape[1]):
        return None
    terms = [x * y * z for x, y, z in zip(_row_maxabs(u), _row_maxabs(v), _row_maxabs(w))]
    bound = sum(terms)
    if bound >= _INT64_SAFE:
        return None
    (ru, ku, vu), (rv, kv, vv), (rw, kw, vw) = (_nonzeros(a) for a in (u, v, w))
    r, k, x = _pairs(ru, ku, vu, rv, kv, vv, rows, v.shape[1])
    _, k, x = _pairs(r, k, x, rw, kw, vw, rows, w.shape[1])
    return _accumulate(k, x, u.shape[1] * v.shape[1] * w.shape[1], bound)


@lru_cache(maxsize=16)
def _sparse_tensor(code: str, n: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The nonzero entries of a tensor as ``(keys, values)`` (see :func:`sparse_product`), without the dense
    tensor for ``gg`` (``T[(i, j), (j, k), (i, k)] = 1``)."""
    n1, n2, n3 = n
    if code == "gg":
        i, j, k = (x.ravel() for x in np.meshgrid(np.arange(n1), np.arange(n2), np.arange(n3), indexing="ij"))
        keys = np.sort(((i * n2 + j) * (n2 * n3) + j * n3 + k) * (n1 * n3) + i * n3 + k)
        out = keys, np.ones(len(keys), dtype=np.int64)
    else:
        t = matmul_tensor(code, n)
        keys = np.flatnonzero(t)
        out = keys, t.ravel()[keys].astype(np.int64)
    for a in out:
        a.setflags(write=False)
    return out


def _mismatch(pk, pv, tk, tv, d: int):
    """Where ``P != d T`` (both sparse, keys ascending): ``(keys, P there, T there)``; None on int64 overflow."""
    if d != 1 and (d >= _INT64_SAFE or d * int(np.abs(tv).max(initial=0)) >= _INT64_SAFE):
        return None
    keys = np.union1d(pk, tk)
    p = np.zeros(len(keys), dtype=np.int64)
    t = np.zeros(len(keys), dtype=np.int64)
    p[np.searchsorted(keys, pk)] = pv
    t[np.searchsorted(keys, tk)] = tv
    bad = p != t * d
    return keys[bad], p[bad], t[bad]


def _sparse_failures(u, v, w, tk, tv, shape, d: int, ring):
    """:func:`brent_failures` on integer rows (W's already scaled to ``d``) by the sparse contraction, or None."""
    got = sparse_product(u, v, w)
    if got is None:
        return None
    bad = _mismatch(*got, tk, tv, d)
    if bad is None:
        return None
    keys, p, t = bad
    if ring.is_finite_field:
        c = ring.characteristic
        keep = (p - t) % c != 0
        keys, p, t = keys[keep], p[keep], t[keep]
        got = [int(x) for x in ring.canonical(p % c)] if len(p) else []
    else:
        got = [_plain(Fraction(int(x), d)) for x in p.tolist()]
    a, rest = np.divmod(keys, shape[1] * shape[2])
    b, g = np.divmod(rest, shape[2])
    return [(int(i), int(j), int(k), x, int(e)) for i, j, k, x, e in zip(a, b, g, got, t.tolist())]


def row_failures(rows, code: str, n, ring) -> list[tuple]:
    """The failing Brent equations of a scheme given by its integer rows (:meth:`Scheme.integer_rows`).

    ``rows`` is ``((U', du), (V', dv), (W', dw))``; the scheme is
    ``U'[r] / du[r]`` and so on. The sums are taken with the W rows scaled to
    the common denominator ``d`` (``d * sum == d * T``, exactly): sparsely
    (:func:`sparse_product`) when it applies, else by the dense contraction.
    Returns the failures as :func:`brent_failures` does.
    """
    ring = as_ring(ring)
    (u, du), (v, dv), (w, dw) = rows
    q = [a * b * c for a, b, c in zip(du, dv, dw)]
    d = lcm(1, *q)
    if d != 1 and ring.is_finite_field:
        raise ValueError(f"u, v, w: fractions are not entries of {ring}")
    w = _scale_rows(w, [d // x for x in q])
    shape = (u.shape[1], v.shape[1], w.shape[1])
    tk, tv = _sparse_tensor(code, tuple(n))
    fails = _sparse_failures(u, v, w, tk, tv, shape, d, ring)
    if fails is not None:
        return fails
    return _dense_failures(_integer_product(u, v, w), d, matmul_tensor(code, n), ring)


# ---------------------------------------------------------------- rational schemes
def scaled_product(u, v, w, scale=None) -> tuple[np.ndarray, int]:
    """``(P, d)`` with ``P = d * sum_r u[r] (x) v[r] (x) w[r]`` exact and integral.

    Parameters
    ----------
    u, v, w : array_like
        Matrices of ints and Fractions with one row per term.
    scale : int, optional
        The multiplier ``d``: a positive common multiple of every term's
        denominator ``du[r] dv[r] dw[r]`` (row denominators, see
        :func:`integer_rows`). By default their lcm, the smallest choice.

    Returns
    -------
    P : ndarray
        Shape ``(nU, nV, nW)``, int64 or Python ints (object).
    d : int

    Raises
    ------
    ValueError
        If ``scale`` is not a multiple of every term's denominator, or the
        matrices have different numbers of rows.
    TypeError
        If an entry is neither an integer nor a Fraction.
    """
    ui, vi, wi, d = _scaled_rows(u, v, w, scale)
    return _integer_product(ui, vi, wi), d


def _scaled_rows(u, v, w, scale=None):
    """``(U', V', W'', d)``: the integer rows of :func:`scaled_product`, W's scaled to the multiplier ``d``."""
    (ui, du), (vi, dv), (wi, dw) = (integer_rows(a, name) for name, a in zip("uvw", (u, v, w)))
    if not len(ui) == len(vi) == len(wi):
        raise ValueError(f"u, v, w: must have the same number of rows (the rank), got {len(ui)}, {len(vi)}, {len(wi)}")
    q = [a * b * c for a, b, c in zip(du, dv, dw)]
    if scale is None:
        d = lcm(1, *q)
    else:
        if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, (int, np.integer)):
            raise TypeError(f"scale: expected a positive integer, got {type(scale).__name__}")
        d = int(scale)
        bad = next((r for r, x in enumerate(q) if d <= 0 or d % x), None)
        if bad is not None:
            raise ValueError(f"scale: expected a positive multiple of every term's denominator, "
                             f"got {d} (term {bad} has denominator {q[bad]})")
    return ui, vi, _scale_rows(wi, [d // x for x in q]), d


def brent_product(u, v, w) -> tuple[np.ndarray, int]:
    """``(P, d)`` with ``P = d * sum_r u[r] (x) v[r] (x) w[r]`` exact and integral.

    ``d`` is the product of the lcms of the denominators of ``u``, ``v`` and
    ``w`` (the importers' convention); the evaluation is :func:`scaled_product`.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> p, d = brent_product(*strassen_scheme().factors)
    >>> d, int(p[0, 0, 0])
    (1, 1)
    """
    d = 1
    for name, a in zip("uvw", (u, v, w)):
        a = _matrix(name, a)
        if a.dtype == object:
            d *= lcm(1, *(x.denominator for x in a.flat if isinstance(x, Fraction)))
    return scaled_product(u, v, w, scale=d)


def _times(t: np.ndarray, d: int) -> np.ndarray:
    if d == 1:
        return t
    small = d * max(1, int(np.abs(t).max(initial=0))) < _INT64_SAFE
    return t * d if small else t.astype(object) * d


def brent_failures(u, v, w, t, ring) -> list[tuple]:
    """The Brent equations ``sum_r u[r, a] v[r, b] w[r, g] = t[a, b, g]`` that fail over ``ring``.

    Parameters
    ----------
    u, v, w : array_like
        Factor matrices (ints; over Q also Fractions).
    t : ndarray
        The integer tensor, shape ``(nU, nV, nW)``.
    ring : Ring or str
        Over F2 and F3 the equations are taken modulo p; otherwise exactly.

    Returns
    -------
    list of tuple
        ``(a, b, g, got, expected)`` per failing equation, in index order;
        ``got`` is an int (reduced to the ring's representative over F2 / F3)
        or, over Q, a Fraction when it is not an integer.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> from linalg_lab.tensors import matmul_tensor
    >>> u, v, w = strassen_scheme().factors
    >>> brent_failures(u, v, 2 * w, matmul_tensor("gg", (2, 2, 2)), "Z")[:1]
    [(0, 0, 0, 2, 1)]
    """
    ring = as_ring(ring)
    t = np.asarray(t)
    ui, vi, wi, d = _scaled_rows(u, v, w)
    shape = (ui.shape[1], vi.shape[1], wi.shape[1])
    if shape != t.shape:
        raise ValueError(f"t: expected shape {shape} for these factors, got {t.shape}")
    if ring.is_finite_field and d != 1:
        raise ValueError(f"u, v, w: fractions are not entries of {ring}")
    if t.dtype.kind in "iu" and not (t.size and (t.max() >= _INT64_SAFE or t.min() <= -_INT64_SAFE)):
        tk = np.flatnonzero(t)
        fails = _sparse_failures(ui, vi, wi, tk, t.ravel()[tk].astype(np.int64), shape, d, ring)
        if fails is not None:
            return fails
    return _dense_failures(_integer_product(ui, vi, wi), d, t, ring)


def _dense_failures(p: np.ndarray, d: int, t: np.ndarray, ring) -> list[tuple]:
    if ring.is_finite_field:
        if d != 1:
            raise ValueError(f"u, v, w: fractions are not entries of {ring}")
        c = ring.characteristic
        bad = np.argwhere((p - t) % c != 0)
        got = [int(ring.canonical(np.int64(p[a, b, g] % c))) for a, b, g in bad]
    else:
        bad = np.argwhere(p != _times(t, d))
        got = [_plain(Fraction(int(p[a, b, g]), d)) for a, b, g in bad]
    return [(int(a), int(b), int(g), x, int(t[a, b, g])) for (a, b, g), x in zip(bad, got)]


def _plain(x: Fraction):
    return int(x) if x.denominator == 1 else x
