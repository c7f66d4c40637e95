"""Importers for published scheme formats (all in the *cyclic* convention) and the term exporter.

In the cyclic convention a scheme for ``<n1, n2, n3>`` lists, for each product,
the coefficient ``c_ki`` of the output entry (i, k): the third factor indexes
C transposed. Our :class:`Scheme` uses the output convention (W indexes the
output (i, k) directly, see the Conventions page of the documentation), so the importers transpose.

Three formats are read whole:

- one product per line (Kauers and Moosbauer's ``.exp`` files and the
  ``.txt`` schemes of their later repositories): :func:`parse_terms`,
  :func:`load_terms`;
- AlphaTensor's factor dictionaries ``factorizations_f2.npz`` and
  ``factorizations_r.npz`` (floats such as 0.5 become exact Fractions):
  :func:`load_alphatensor_npz`;
- JSON with ``n``, ``u``, ``v``, ``w`` (Perminov's format):
  :func:`load_cyclic_json`.

Without ``ring=`` the ring is the one the entries imply (integers in
{-1, 0, 1}: ZT, other integers: Z, any non-integer: Q), checked by one exact
evaluation of the Brent equations; a scheme with integer entries that is not
exact over Z but is modulo 2 (entries in {0, 1}) or modulo 3 is read over F2
or F3.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..fields.rings import Ring, as_ring
from ..tensors.build import matmul_tensor
from .evaluate import _integer_product, _mismatch, _scale_rows, _sparse_tensor, brent_product, sparse_product
from .scheme import Scheme

#: Floats are read as the nearest rational with a denominator up to this bound ...
MAX_DENOMINATOR = 64
#: ... when they lie within this relative distance of it (float32 arrays get a bound suited to their precision).
RATIONAL_RTOL = 1e-9
#: A float that is exactly a dyadic rational with a denominator up to this bound is taken as it is.
MAX_DYADIC_DENOMINATOR = 2**16

_INT64_SAFE = 2**62


# ---------------------------------------------------------------- conventions
def cyclic_to_output(w_cyclic, n1: int, n3: int) -> np.ndarray:
    """Columns ``k*n1 + i`` (cyclic) -> ``i*n3 + k`` (output convention)."""
    return _cyclic_to_output(np.asarray(w_cyclic, dtype=object), n1, n3)


def output_to_cyclic(w, n1: int, n3: int) -> np.ndarray:
    """Inverse of :func:`cyclic_to_output`."""
    w = np.asarray(w, dtype=object)
    return w.reshape(len(w), n1, n3).transpose(0, 2, 1).reshape(len(w), n1 * n3)


def _cyclic_to_output(w, n1: int, n3: int):
    if isinstance(w, Rows):
        return Rows(_cyclic_to_output(w.num, n1, n3), w.den)
    return w.reshape(len(w), n3, n1).transpose(0, 2, 1).reshape(len(w), n1 * n3)


# ---------------------------------------------------------------- exact rational matrices as arrays
@dataclass(frozen=True)
class Rows:
    """An exact rational matrix held as arrays: row r is ``num[r] / den[r]``.

    ``num`` is int64 of shape (R, ...) and ``den`` int64 of shape (R,), each
    row's denominator the lcm of its entries' (some are above 1). The
    importers of large files pass rational factors on in this form, to
    :meth:`Scheme.from_integer_rows`, instead of a Fraction per entry.
    """

    num: np.ndarray
    den: np.ndarray

    @property
    def shape(self) -> tuple:
        return self.num.shape

    def __len__(self) -> int:
        return len(self.num)

    def reshape(self, *shape) -> Rows:
        return Rows(self.num.reshape(*shape), self.den)

    def transpose(self, *axes) -> Rows:
        """Transposes within each row (``axes[0]`` must be 0)."""
        if axes[0] != 0:
            raise ValueError("axes: a transposition of Rows keeps the rows first")
        return Rows(self.num.transpose(*axes), self.den)

    def objects(self) -> np.ndarray:
        """The entries as an object array of ints and Fractions."""
        out = np.empty(self.num.shape, dtype=object)
        for r, (row, d) in enumerate(zip(self.num.reshape(len(self.num), -1).tolist(), self.den.tolist())):
            out[r] = np.array([x // d if x % d == 0 else Fraction(x, d) for x in row], dtype=object).reshape(
                self.num.shape[1:])
        return out


def _row_lcm(rows: np.ndarray, q: np.ndarray, count: int):
    """The lcm of the denominators ``q`` that fall in each of ``count`` rows (1 where none), or None past 2**61."""
    den = np.ones(count, dtype=np.int64)
    if not len(q):
        return den
    if q.min() < 1 or q.max() >= 2**31:
        return None
    key = np.unique(rows.astype(np.int64) * 2**31 + q)         # distinct (row, denominator) pairs
    r, d = key // 2**31, key % 2**31
    if np.bincount(r, weights=np.log2(d), minlength=count).max() >= 61:   # the lcm is at most their product
        return None
    np.lcm.at(den, r, d)
    return den


def _rational_rows(ints: np.ndarray, r, c, p, q, which=None):
    """An exact matrix from integer entries and fractions ``p/q`` at (r[k], c[k]): int64 when no fraction
    remains after reduction, else :class:`Rows`; None when it does not fit in int64.

    With ``which``, ``p`` and ``q`` list distinct values and entry k is ``p[which[k]] / q[which[k]]``.
    """
    p, q = list(p), list(q)
    if p and (max(map(abs, p)) >= _INT64_SAFE or max(q) >= 2**31 or min(q) < 1):
        return None
    p, q = np.array(p, dtype=np.int64), np.array(q, dtype=np.int64)
    if which is not None:
        p, q = p[which], q[which]
    g = np.gcd(p, q)
    p, q = p // g, q // g
    den = _row_lcm(r, q, len(ints))
    if den is None:
        return None
    if not len(q) or den.max() == 1:
        out = ints.copy()
        out[r, c] = p
        return out
    m = den[r] // q
    top = int(np.abs(ints).max(initial=0)) * int(den.max())
    if top >= _INT64_SAFE or (len(p) and int((np.abs(p) * m).max()) >= _INT64_SAFE):
        return None
    num = ints * den[:, None]
    num[r, c] = p * m
    return Rows(num, den)


# ---------------------------------------------------------------- exact rationals from floats
def float_to_rational(x: float, rtol: float = RATIONAL_RTOL):
    """The exact value a float in a published file stands for, or None.

    Integral floats give ints; a dyadic rational with a denominator up to
    :data:`MAX_DYADIC_DENOMINATOR` (0.5, 0.125, ...) is taken exactly; any other
    float must lie within ``rtol`` (relative) of a rational with a denominator
    up to :data:`MAX_DENOMINATOR` (0.333... -> 1/3). None for anything else.

    Examples
    --------
    >>> float_to_rational(-0.125), float_to_rational(1 / 3), float_to_rational(0.1234567891)
    (Fraction(-1, 8), Fraction(1, 3), None)
    """
    x = float(x)
    if not math.isfinite(x):
        return None
    if x.is_integer():
        return int(x)
    exact = Fraction(x)
    if exact.denominator <= MAX_DYADIC_DENOMINATOR:
        return exact
    near = exact.limit_denominator(MAX_DENOMINATOR)
    if near != 0 and abs(exact - near) <= rtol * abs(near):
        return near
    return None


def _exact_matrix(a, label: str, where: str, transposed: bool = False):
    """A factor matrix as int64 (all integers), :class:`Rows` (fractions), or an object array of ints and Fractions.

    Floats go through :func:`float_to_rational` (once per distinct value); a
    float that stands for no small rational raises a ValueError naming
    ``where``, ``label`` (e.g. ``factor u``) and the entry's (row, column) in
    the file. ``transposed``: return the matrix transposed (positions in
    messages stay those of ``a``, the file's matrix).
    """
    if isinstance(a, Rows):
        return a
    a = np.asarray(a)
    if a.dtype.kind == "f":
        rtol = max(RATIONAL_RTOL, 16 * float(np.finfo(a.dtype).eps))
        integral = np.isfinite(a) & (a == np.rint(a))
        if a.size and np.any(np.abs(a[integral]) >= _INT64_SAFE):
            raise ValueError(f"{where}: {label} has an entry of magnitude 2**62 or more")
        ints = np.zeros(a.shape, dtype=np.int64)
        ints[integral] = a[integral]
        if integral.all():
            return ints.T if transposed else ints
        idx = np.nonzero(~integral)                                     # in the file's order
        uniq, inv = np.unique(a[idx], return_inverse=True)
        vals = [float_to_rational(x, rtol) for x in uniq.tolist()]       # one per distinct value
        inv = inv.ravel()
        if any(x is None for x in vals):
            k = next(k for k, j in enumerate(inv.tolist()) if vals[j] is None)
            at = tuple(int(i[k]) for i in idx)
            raise ValueError(_not_rational(where, label, at, a[at], rtol))
        fr = np.empty(len(vals), dtype=object)
        fr[:] = vals
        got = fr[inv]
        if a.ndim == 2:
            r, c = (idx[1], idx[0]) if transposed else idx
            rows = _rational_rows(ints.T if transposed else ints, r, c, [x.numerator for x in vals],
                                  [x.denominator for x in vals], inv)
            if rows is not None:
                return rows
        out = ints.astype(object)
        out[idx] = got
        return out.T if transposed else out
    out = _exact_other(a, label, where)
    return out.T if transposed else out


def _exact_other(a: np.ndarray, label: str, where: str) -> np.ndarray:
    if a.dtype.kind in "biu":
        if a.size and a.dtype.kind in "iu" and (a.max() >= _INT64_SAFE or a.min() <= -_INT64_SAFE):
            return np.array([int(x) for x in a.flat], dtype=object).reshape(a.shape)   # no wrap-around
        return a.astype(np.int64)
    if a.dtype == object:
        flat = a.ravel().tolist()
        if set(map(type, flat)) <= {int} and _small(flat):      # the common case: plain integers
            return np.array(flat, dtype=np.int64).reshape(a.shape)
        odd = [k for k, x in enumerate(flat) if type(x) is not int]      # noqa: E721 (bool must not pass)
        seen = {}                                     # a string read once however often it occurs
        got = []
        for k in odd:
            x = flat[k]
            v = seen.get(x) if type(x) is str else None
            if v is None:
                v = _exact_entry(x, label, tuple(int(i) for i in np.unravel_index(k, a.shape)), where)
                if type(x) is str:
                    seen[x] = v
            got.append(v)
        if a.ndim == 2 and odd:
            rows = _exact_rows(flat, odd, got, a.shape)
            if rows is not None:
                return rows
        out = a.copy()
        fo = out.reshape(-1)
        for k, v in zip(odd, got):
            fo[k] = v
        return _narrow(out)
    raise ValueError(f"{where}: {label} has entries of dtype {a.dtype}, expected numbers")


def _not_rational(where: str, label: str, idx, x, rtol: float) -> str:
    return (f"{where}: {label}, entry {tuple(int(i) for i in idx)} = {float(x)!r} is not within {rtol:g} "
            f"(relative) of a rational with denominator <= {MAX_DENOMINATOR}")


def _exact_rows(flat: list, odd: list, got: list, shape: tuple):
    """A matrix of ints with the entries ``got`` (ints and Fractions) at the flat positions ``odd`` as int64 or
    :class:`Rows`; None when something does not fit in int64."""
    ints = flat.copy()
    for k in odd:
        ints[k] = 0
    try:
        ints = np.array(ints, dtype=np.int64).reshape(shape)
    except (OverflowError, TypeError, ValueError):
        return None
    if ints.size and (ints.max() >= _INT64_SAFE or ints.min() <= -_INT64_SAFE):
        return None
    r, c = np.divmod(np.array(odd, dtype=np.int64), shape[1])
    return _rational_rows(ints, r, c, [x.numerator for x in got], [x.denominator for x in got])


def _exact_entry(x, label: str, idx, where: str):
    if isinstance(x, (bool, np.bool_, int, np.integer)):
        return int(x)
    if isinstance(x, Fraction):
        return int(x) if x.denominator == 1 else x
    if isinstance(x, str):
        try:
            f = Fraction(x.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{where}: {label}, entry {tuple(idx)}: cannot read {x!r} as a number") from None
        return int(f) if f.denominator == 1 else f
    if isinstance(x, (float, np.floating)):
        q = float_to_rational(x)
        if q is None:
            raise ValueError(_not_rational(where, label, idx, x, RATIONAL_RTOL))
        return q
    raise ValueError(f"{where}: {label}, entry {tuple(idx)}: expected a number, got {type(x).__name__}")


def _narrow(a: np.ndarray) -> np.ndarray:
    """An object array of ints and Fractions, as int64 when it holds only (small) integers."""
    if a.dtype != object:
        return a
    flat = a.ravel().tolist()
    if not set(map(type, flat)) <= {int}:            # a Fraction (or anything else) stays as it is
        if any(isinstance(x, Fraction) for x in flat):
            return a
    try:
        return np.array(flat, dtype=np.int64).reshape(a.shape) if _small(flat) else a
    except (OverflowError, TypeError):
        return a


def _small(flat: list) -> bool:
    """Every entry of a list of integers below 2**62 in size."""
    return not flat or (max(flat) < _INT64_SAFE and min(flat) > -_INT64_SAFE)


# ---------------------------------------------------------------- one exact check, ring from the entries
def _maxabs(a: np.ndarray) -> int:
    if a.dtype != object:
        return int(np.abs(a).max(initial=0))
    flat = a.ravel().tolist()
    return max(abs(max(flat, default=0)), abs(min(flat, default=0)))


# brent_product (the exact evaluation, shared with Scheme.verify) lives in .evaluate and is re-exported here


def _holds(p: np.ndarray, d: int, t: np.ndarray, ring: Ring) -> bool:
    """Does the scaled product ``p = d * sum`` equal the tensor ``t`` over ``ring``?"""
    if ring.is_finite_field:
        if d != 1:
            return False
        return bool(np.all((p - t) % ring.characteristic == 0))
    return bool(np.all(p == (t * d if d < _INT64_SAFE else t.astype(object) * d)))


def _evaluation(rows, n):
    """One exact evaluation of the Brent equations from integer rows; a test ``ring -> bool`` of whether they hold.

    The sum ``d * sum_r U[r] (x) V[r] (x) W[r]`` (W's rows scaled to the common
    denominator ``d``) is formed once: sparsely when that is exact and small
    (:func:`~linalg_lab.schemes.evaluate.sparse_product`, only the entries
    where it differs from ``d * T`` are kept), else densely.
    """
    (ui, du), (vi, dv), (wi, dw) = rows
    q = [a * b * c for a, b, c in zip(du, dv, dw)]
    d = math.lcm(1, *q)
    wi = _scale_rows(wi, [d // x for x in q])
    got = sparse_product(ui, vi, wi)
    bad = _mismatch(*got, *_sparse_tensor("gg", tuple(n)), d) if got is not None else None
    if bad is not None:
        _, p, t = bad

        def holds(ring: Ring) -> bool:
            if ring.is_finite_field:
                return d == 1 and bool(np.all((p - t) % ring.characteristic == 0))
            return not len(p)
        return holds
    p = _integer_product(ui, vi, wi)
    t = matmul_tensor("gg", n)
    return lambda ring: _holds(p, d, t, ring)


def _scheme(code: str, n, ring, mats) -> Scheme:
    """The Scheme of exact factors (int64, :class:`Rows` or object arrays); from integer rows when some are Rows."""
    if not any(isinstance(a, Rows) for a in mats):
        return Scheme(code, n, ring, *mats)
    if any(not isinstance(a, Rows) and a.dtype == object for a in mats):      # a huge integer: the general way
        return Scheme(code, n, ring, *(a.objects() if isinstance(a, Rows) else a for a in mats))
    return Scheme.from_integer_rows(code, n, ring, *((a.num, a.den) if isinstance(a, Rows) else
                                                     (a, np.ones(len(a), dtype=np.int64)) for a in mats))


def _implied_ring(mats) -> Ring:
    """ZT if every entry is in {-1, 0, 1}, Z if every entry is an integer, Q otherwise."""
    if any(isinstance(a, Rows) or (a.dtype == object and Fraction in set(map(type, a.ravel().tolist())))
           for a in mats):
        return Ring.Q
    return Ring.ZT if all(_maxabs(a) <= 1 for a in mats) else Ring.Z


def _only_01(mats) -> bool:
    return all(bool(np.all((a == 0) | (a == 1))) for a in mats)


def _build(n, u, v, w, ring, source: str, verify: bool = True) -> Scheme:
    """A ``gg`` scheme from exact factors (output convention), in ``ring`` or the ring the entries imply.

    The Brent equations are evaluated once, on the scheme's integer rows
    (:meth:`Scheme.integer_rows`); without ``ring`` a scheme with integer
    entries that fails over Z is read over F2 (entries in {0, 1}) or F3 when it
    holds modulo 2 or 3. The scheme returned keeps that verification, so
    writing it (:func:`~linalg_lab.schemes.save_scheme`) does not evaluate again.
    """
    mats = (u, v, w)  # int64, Rows, or object arrays holding a Fraction or a huge integer (see _exact_matrix)
    if ring is not None:
        ring = as_ring(ring)
        try:
            scheme = _scheme("gg", n, ring, mats)
        except ValueError as exc:  # entries the ring cannot hold (a fraction over Z, a 2 over ZT)
            raise ValueError(f"{source}: {exc}") from None
        if verify and not scheme.verify():
            raise ValueError(f"{source}: the scheme does not verify over {ring}: {_failures(scheme)}; "
                             "pass verify=False to import it anyway")
        return scheme
    implied = _implied_ring(mats)
    first = _scheme("gg", n, implied, mats)
    holds = _evaluation(first.integer_rows(), n)
    for cand in (implied, Ring.F2, Ring.F3):
        if cand.is_finite_field and (implied is Ring.Q or (cand is Ring.F2 and not _only_01(mats))):
            continue
        if holds(cand):
            scheme = first if cand is implied else _scheme("gg", n, cand, mats)
            scheme._mark_verified()
            return scheme
    also = "" if implied is Ring.Q else " nor modulo 2 or 3"
    raise ValueError(f"{source}: the scheme does not verify over {implied}{also} "
                     f"({_failures(first)}); pass ring= and verify=False to import it anyway")


def _build_candidates(n, u, v, w, ring, z2: bool = False, code: str = "gg"):
    """``(scheme, None)`` when the exact factors (output convention) verify, else ``(None, reason)``.

    Used by importers that must try several conventions: the first that
    verifies wins, and the reasons of the others are reported when none does.
    """
    mats = [a if isinstance(a, Rows) else _narrow(a if isinstance(a, np.ndarray) else np.asarray(a, dtype=object))
            for a in (u, v, w)]
    if ring is None and z2:
        ring = "F2"
    try:
        if code != "gg":
            s = _scheme(code, tuple(n), as_ring(ring or _implied_ring(mats)), mats)
            ver = s.verify()
            return (s, None) if ver else (None, f"does not verify over {s.ring}: {_failures(s)}")
        return _build(tuple(n), *mats, ring, "scheme"), None
    except ValueError as exc:
        return None, str(exc).removeprefix("scheme: ")


def _failures(scheme: Scheme) -> str:
    return scheme.verify().describe(limit=2).replace("\n ", ";")


# ---------------------------------------------------------------- one product per line: tokens
@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "var", "op" ('+', '-', '*', '/'), "(" or ")", "end"
    text: str
    col: int  # 1-based column in the line
    value: object = None  # Fraction for "num"; (letter, i, j) 0-based for "var"


class TermSyntaxError(ValueError):
    """A line of a one-product-per-line file that cannot be read; the message names file, line, column and reason."""


def _tokenize(line: str, fail) -> list[_Token]:
    """Split one line into numbers, variables ``a12`` / ``a1_12``, operators and parentheses."""
    toks, i = [], 0
    while i < len(line):
        ch = line[i]
        if ch.isspace():
            i += 1
        elif ch in "+-*/":
            toks.append(_Token("op", ch, i + 1))
            i += 1
        elif ch in "()":
            toks.append(_Token(ch, ch, i + 1))
            i += 1
        elif ch.isdigit():
            j = i
            while j < len(line) and line[j].isdigit():
                j += 1
            if j < len(line) and line[j] == "." and j + 1 < len(line) and line[j + 1].isdigit():
                j += 1
                while j < len(line) and line[j].isdigit():
                    j += 1
            toks.append(_Token("num", line[i:j], i + 1, Fraction(line[i:j])))
            i = j
        elif ch in "abc":
            j = i + 1
            if j < len(line) and line[j] == "_":
                j += 1
            k = j
            while k < len(line) and (line[k].isdigit() or line[k] == "_"):
                k += 1
            digits = line[j:k]
            parts = digits.split("_")
            if len(parts) == 2 and all(p.isdigit() for p in parts):
                idx = (int(parts[0]), int(parts[1]))
            elif len(digits) == 2 and digits.isdigit() and line[i + 1] != "_":
                idx = (int(digits[0]), int(digits[1]))
            else:
                got = line[i:max(k, i + 1)]
                why = "write a1_12 when an index exceeds 9" if len(digits) > 2 and digits.isdigit() else \
                    "expected a letter a, b or c and two indices, e.g. a12 or a1_12"
                fail(i + 1, f"cannot read variable {got!r} ({why})")
            if idx[0] < 1 or idx[1] < 1:
                fail(i + 1, f"indices are 1-based, got {line[i:k]!r}")
            toks.append(_Token("var", line[i:k], i + 1, (ch, idx[0] - 1, idx[1] - 1)))
            i = k
        else:
            fail(i + 1, f"unexpected character {ch!r}")
    toks.append(_Token("end", "end of line", len(line) + 1))
    return toks


# ---------------------------------------------------------------- one product per line: values
@dataclass
class _Value:
    """A constant times a product of linear forms, one per letter (a constant has none).

    A value with exactly one letter keeps its constant inside the form, so that
    ``(2*a11)`` stays a factor with coefficient 2.
    """

    coef: Fraction
    forms: dict  # letter -> {(i, j): Fraction}

    def normalised(self) -> "_Value":
        if len(self.forms) == 1 and self.coef != 1:
            (letter, form), = self.forms.items()
            return _Value(Fraction(1), {letter: {k: c * self.coef for k, c in form.items()}})
        return self


def _describe(x: _Value) -> str:
    if not x.forms:
        return "a constant"
    if len(x.forms) == 1:
        return f"a linear form in {next(iter(x.forms))}"
    return f"a product of factors in {', '.join(sorted(x.forms))}"


def _add(x: _Value, y: _Value, sign: int, fail, col: int) -> _Value:
    if not x.forms and not y.forms:
        return _Value(x.coef + sign * y.coef, {})
    if len(x.forms) == 1 and len(y.forms) == 1:
        (lx, fx), = x.forms.items()
        (ly, fy), = y.forms.items()
        if lx != ly:
            fail(col, f"a factor mixes variables {lx} and {ly}")
        out = dict(fx)
        for k, c in fy.items():
            out[k] = out.get(k, 0) + sign * c
        return _Value(Fraction(1), {lx: out})
    if len(x.forms) > 1 or len(y.forms) > 1:
        fail(col, "a sum of products is not one product (write one product per line)")
    fail(col, f"cannot add {_describe(x)} and {_describe(y)}")


def _mul(x: _Value, y: _Value, fail, col: int) -> _Value:
    both = sorted(set(x.forms) & set(y.forms))
    if both:
        fail(col, f"two factors in {both[0]}")
    return _Value(x.coef * y.coef, {**x.forms, **y.forms}).normalised()


class _LineParser:
    """Recursive descent over the tokens of one line.

    Grammar (juxtaposition multiplies, as in ``2 b31`` or ``(a11) (b12) (c21)``)::

        sum     := product (('+' | '-') product)*
        product := unary (('*' | '/' | <juxtaposition>) unary)*
        unary   := ('+' | '-') unary | primary
        primary := number | variable | '(' sum ')'
    """

    def __init__(self, tokens, fail):
        self.toks, self.pos, self.fail = tokens, 0, fail
        self.depth = 0

    @property
    def tok(self) -> _Token:
        return self.toks[self.pos]

    def parse(self) -> _Value:
        val = self.sum()
        if self.tok.kind != "end":
            hint = " (missing '(')" if self.tok.kind == ")" else ""
            self.fail(self.tok.col, f"unexpected {self.tok.text!r}{hint}")
        return val

    def sum(self) -> _Value:
        val = self.product()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.tok
            self.pos += 1
            val = _add(val, self.product(), 1 if op.text == "+" else -1, self.fail, op.col)
        return val

    def product(self) -> _Value:
        val = self.unary()
        while True:
            tok = self.tok
            if tok.kind == "op" and tok.text == "*":
                self.pos += 1
                val = _mul(val, self.unary(), self.fail, tok.col)
            elif tok.kind == "op" and tok.text == "/":
                self.pos += 1
                den = self.unary()
                if den.forms or den.coef == 0:
                    self.fail(tok.col, "division by " + ("zero" if not den.forms else _describe(den)))
                val = _Value(val.coef / den.coef, val.forms).normalised()
            elif tok.kind in ("num", "var", "("):
                val = _mul(val, self.unary(), self.fail, tok.col)
            elif (tok.kind == "op" and tok.text in "+-" and val.forms
                  and (self.depth == 0 or self.toks[self.pos - 1].kind == ")") and self._signed_factor(val)):
                continue
            else:
                return val

    def _signed_factor(self, val: _Value) -> bool:
        """Factors side by side with a sign before the next one, ``(a11 - a14) -b13 (c13 + c33)``.

        At a '+' or '-' after a factor (at the top level of the line, or after a
        closing parenthesis): when what follows the sign is a factor in
        letters none of which ``val`` has, the sign belongs to that factor and the
        two multiply (True, ``val`` updated in place); otherwise the parser goes
        back to the sign, which is then an addition (False).
        """
        start, depth = self.pos, self.depth
        try:
            nxt = self.unary()
        except TermSyntaxError:
            self.pos, self.depth = start, depth
            return False
        if not nxt.forms or set(nxt.forms) & set(val.forms):
            self.pos = start
            return False
        got = _mul(val, nxt, self.fail, self.toks[start].col)
        val.coef, val.forms = got.coef, got.forms
        return True

    def unary(self) -> _Value:
        tok = self.tok
        if tok.kind == "op" and tok.text in "+-":
            self.pos += 1
            val = self.unary()
            return val if tok.text == "+" else _Value(-val.coef, val.forms).normalised()
        return self.primary()

    def primary(self) -> _Value:
        tok = self.tok
        self.pos += 1
        if tok.kind == "num":
            return _Value(tok.value, {})
        if tok.kind == "var":
            letter, i, j = tok.value
            return _Value(Fraction(1), {letter: {(i, j): Fraction(1)}})
        if tok.kind == "(":
            if self.tok.kind == ")":
                self.fail(tok.col, "empty parentheses")
            self.depth += 1
            val = self.sum()
            self.depth -= 1
            if self.tok.kind != ")":
                self.fail(self.tok.col, f"expected ')' to close the '(' at column {tok.col}, got {self.tok.text!r}")
            self.pos += 1
            return val
        self.fail(tok.col, f"expected a number, a variable or '(', got {tok.text!r}")


def parse_product(line: str, where: str = "<line>") -> tuple[dict, dict, dict]:
    """Read one product ``(a...)*(b...)*(c...)`` into three linear forms ``{(i, j): coefficient}``.

    Every form of the published files is accepted: factors joined by ``*`` or
    by juxtaposition, single variables without parentheses, coefficients
    ``2*b12``, ``2b12``, ``2 b12``, ``1/2*b12``, and a sign or constant in front
    of the whole product, ``-(a25*(-b11+2*b12+b13)*c12)``. A constant that
    multiplies one factor stays in it (``2*a11*b11*c11``: 2 in the a factor);
    any other (``-(...)``, ``2*(...)``, ``...*2``) goes into the c factor.
    Indices are 1-based (0-based in the result).

    Raises
    ------
    TermSyntaxError
        A ``ValueError`` naming ``where``, the column, the reason and the line.

    Examples
    --------
    >>> fa, fb, fc = parse_product("-(a25*(-b11+2*b12)*c12)")
    >>> fa, fb, fc
    ({(1, 4): Fraction(1, 1)}, {(0, 0): Fraction(-1, 1), (0, 1): Fraction(2, 1)}, {(0, 1): Fraction(-1, 1)})
    """

    def fail(col, reason):
        raise TermSyntaxError(f"{where}, column {col}: {reason}: {line.strip()!r}")

    val = _LineParser(_tokenize(line, fail), fail).parse()
    if set(val.forms) != {"a", "b", "c"}:
        got = ", ".join(sorted(val.forms)) or "none"
        fail(1, f"expected three factors, one in each of a, b and c, got factors in {got}")
    forms = {}
    for letter in "abc":
        scale = val.coef if letter == "c" else 1
        form = {k: c * scale for k, c in val.forms[letter].items() if c != 0}
        if not form:
            fail(1, f"the factor in {letter} is zero")
        forms[letter] = form
    return forms["a"], forms["b"], forms["c"]


# ---------------------------------------------------------------- one product per line: files
def parse_terms(text: str, n=None, ring=None, source: str = "<text>", *, verify: bool = True,
                repair: bool = False, with_convention: bool = False):
    """Read a scheme written one product per line, ``(a11+a23)*(b12-b31)*(c21)``.

    The published files write the third factor in the cyclic convention
    (``c_ki`` is the coefficient of the product in output (i, k)); that
    convention is tried first, then the others of
    :data:`~linalg_lab.schemes.formats.CONVENTIONS` (``c_ik`` for output
    (i, k); every variable's indices swapped), and the first under which the
    scheme verifies exactly is kept. Lines that are blank or start with ``#``
    are skipped; each other line is one product in any of the published forms
    (see :func:`parse_product`): ``a11*(b12+b13)*c21``,
    ``(a13 - a32) (b12 + 2 b31) (-c13 + c45)``, ``-(a25*(-b11+2*b12+b13)*c12)``.
    Indices are 1-based, ``a12`` or ``a1_12`` when a size exceeds 9.

    Parameters
    ----------
    text : str
    n : (n1, n2, n3), optional
        Sizes; inferred from the largest indices when omitted.
    ring : str, optional
        The ring; by default the one the entries imply (ZT, Z or Q, or F2 / F3
        for schemes that hold only modulo 2 / 3), checked exactly once.
    source : str
        Names the text in error messages (the file name).
    verify : bool
        With ``ring`` given, False skips the exact check (the cyclic
        convention is then assumed).
    repair : bool
        Drop surplus closing parentheses at the end of a line (a few published
        files have them, e.g. ``(a11 - a14) -b13 (c13 + c33))``); the scheme is
        still verified exactly. Default False: such a line is refused.
    with_convention : bool
        Return ``(scheme, convention)``, the name of the convention that verified.

    Raises
    ------
    ValueError
        For a malformed line (:class:`TermSyntaxError`, naming the line number,
        the column, the reason and the line), indices outside ``n`` (in every
        convention), or a scheme that verifies in no convention (with the
        reason for each).

    Examples
    --------
    >>> s = parse_terms("(a11)*(b11)*(c11)\\n-(a12*b21*(-c11))")
    >>> s.n, s.rank, s.ring.value
    ((1, 2, 1), 2, 'ZT')
    """
    forms = []
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if repair:
            stripped = _drop_surplus_parentheses(stripped)
        try:
            forms.append((lineno, parse_product(stripped, f"{source}, line {lineno}")))
        except TermSyntaxError as exc:
            if repair or _drop_surplus_parentheses(stripped) == stripped:
                raise
            raise TermSyntaxError(f"{exc} (surplus ')' at the end of the line: repair=True, or "
                                  "linalg-lab import --repair, drops them)") from None
    if not forms:
        raise ValueError(f"{source}: no products found")
    from .formats import CONVENTIONS, _short

    def listed_sizes(conv):
        """Sizes n for ``conv``: given, or each the largest index that lands on it, plus one."""
        if n is not None:
            return tuple(int(x) for x in n)
        dims = conv.listed_shapes((0, 1, 2))        # which size each listed row / column index runs over
        top = [0, 0, 0]
        for _, fs in forms:
            for f, (dr, dc) in zip(fs, dims):
                for x, y in f:
                    top[dr] = max(top[dr], x + 1)
                    top[dc] = max(top[dc], y + 1)
        return tuple(top)

    def factors(conv):
        """The factors (output convention) of the listed variables read in ``conv``, or a reason."""
        sizes = listed_sizes(conv)
        shapes = conv.listed_shapes(sizes)
        r = len(forms)
        listed = [np.zeros((r, *sh), dtype=object) for sh in shapes]
        for t, (lineno, fs) in enumerate(forms):
            for f, letter, arr, (rows, cols) in zip(fs, "abc", listed, shapes):
                for (x, y), c in f.items():
                    if not (x < rows and y < cols):
                        return sizes, None, (f"{source}, line {lineno}: uses {letter}{x + 1}{y + 1}, "
                                             f"outside sizes {sizes}")
                    arr[t, x, y] = c
        u, v, w = conv.to_output(*listed)
        return sizes, [_exact_matrix(a, f"factor {name}", source) for a, name in zip((u, v, w), "uvw")], None

    if not verify and ring is not None:
        conv = CONVENTIONS[0]
        sizes, mats, why = factors(conv)
        if mats is None:
            raise ValueError(why)
        scheme = _build(sizes, *mats, ring, source, verify)
        return (scheme, f"{conv.name} (assumed, not verified)") if with_convention else scheme
    reasons = []
    for conv in CONVENTIONS:
        sizes, mats, why = factors(conv)
        if mats is not None:
            scheme, why = _build_candidates(sizes, *mats, ring)
            if scheme is not None:
                return (scheme, conv.name) if with_convention else scheme
        reasons.append(f"{conv.name}: {why if not reasons else _short(why)}")
    raise ValueError(f"{source}: the scheme verifies in no convention ({'; '.join(reasons)})")


def _drop_surplus_parentheses(line: str) -> str:
    """``line`` without the closing parentheses at its end that no '(' opened."""
    surplus = line.count(")") - line.count("(")
    while surplus > 0 and line.endswith(")"):
        line = line[:-1].rstrip()
        surplus -= 1
    return line


def load_terms(path, n=None, ring=None, *, verify: bool = True, repair: bool = False,
               with_convention: bool = False):
    """Read a one-product-per-line file (e.g. Kauers-Moosbauer ``.exp``); see :func:`parse_terms`."""
    path = Path(path)
    return parse_terms(path.read_text(encoding="utf-8"), n=n, ring=ring, source=str(path), verify=verify,
                       repair=repair, with_convention=with_convention)


def _fmt_coef_term(c, name: str) -> str:
    c = Fraction(c)
    if c == 1:
        return f"+{name}"
    if c == -1:
        return f"-{name}"
    sign = "-" if c < 0 else "+"
    return f"{sign}{abs(c)}*{name}"


def to_terms(scheme: Scheme) -> str:
    """Write a ``gg`` scheme one product per line in the cyclic convention (inverse of :func:`parse_terms`)."""
    if scheme.code != "gg":
        raise ValueError(f"scheme: the one-term-per-line format is for general products (gg), got {scheme.code!r}")
    n1, n2, n3 = scheme.n
    wide = max(scheme.n) > 9

    def name(letter, i, j):
        return f"{letter}{i+1}_{j+1}" if wide else f"{letter}{i+1}{j+1}"

    lines = []
    for r in range(scheme.rank):
        fa = [_fmt_coef_term(scheme.u[r, p], name("a", *divmod(p, n2))) for p in range(n1 * n2) if scheme.u[r, p] != 0]
        fb = [_fmt_coef_term(scheme.v[r, p], name("b", *divmod(p, n3))) for p in range(n2 * n3) if scheme.v[r, p] != 0]
        fc = []
        for k in range(n3):
            for i in range(n1):
                c = scheme.w[r, i * n3 + k]
                if c != 0:
                    fc.append(_fmt_coef_term(c, name("c", k, i)))
        lines.append("*".join("(" + "".join(f).lstrip("+") + ")" for f in (fa, fb, fc)))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- AlphaTensor .npz
def alphatensor_keys(path) -> list[str]:
    """The entry names ``'n1,n2,n3'`` of an AlphaTensor ``.npz`` file, in file order (nothing is unpickled)."""
    path = Path(path)
    _require_npz(path)
    with zipfile.ZipFile(path) as zf:
        return [name[:-4] for name in zf.namelist() if name.endswith(".npy")]


def _require_npz(path: Path) -> None:
    # np.load(allow_pickle=True) would unpickle a file that is not a zip archive: refuse it first
    if not zipfile.is_zipfile(path):
        if not path.exists():
            raise FileNotFoundError(2, "No such file or directory", str(path))
        raise ValueError(f"{path}: not an .npz archive")


def _npz_sizes(key: str, path) -> tuple[int, int, int]:
    parts = key.split(",")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"{path}: entry {key!r} is not named 'n1,n2,n3'")
    return tuple(int(p) for p in parts)


def _alphatensor_entry(n, fac, ring, where: str, verify: bool) -> Scheme:
    n1, n2, n3 = n
    if len(fac) != 3:
        raise ValueError(f"{where}: expected three factor matrices u, v, w, got {len(fac)}")
    mats = []
    for name, f, rows in zip("uvw", fac, (n1 * n2, n2 * n3, n3 * n1)):
        f = np.asarray(f)
        if f.ndim != 2 or f.shape[0] != rows:
            raise ValueError(f"{where}: factor {name} has shape {f.shape}, expected ({rows}, rank)")
        mats.append(_exact_matrix(f, f"factor {name}", where, transposed=True))
    if not mats[0].shape[0] == mats[1].shape[0] == mats[2].shape[0]:
        raise ValueError(f"{where}: the factors have {', '.join(str(m.shape[0]) for m in mats)} columns, "
                         "expected one per product (the rank)")
    u, v, w = mats
    return _build(n, u, v, _cyclic_to_output(w, n1, n3), ring, where, verify)


def load_alphatensor_npz(path, key=None, ring=None, *, verify: bool = True):
    """Read AlphaTensor's factorization dictionaries (``factorizations_f2.npz`` / ``_r.npz``).

    Each entry ``'n1,n2,n3'`` holds the factors ``u (n1*n2, R)``, ``v (n2*n3, R)``,
    ``w (n3*n1, R)``, with w in the cyclic convention (row ``k*n1 + i`` is output
    (i, k)). Float entries are read exactly (:func:`float_to_rational`: 0.5 is
    1/2), and a float that stands for no small rational is refused with the
    entry named. The file stores object arrays, so it is read with
    ``allow_pickle=True``: load only files you trust.

    Parameters
    ----------
    path : str or Path
    key : str or tuple, optional
        ``"4,4,4"`` or ``(4, 4, 4)``: return that one scheme. By default a dict
        ``{(n1, n2, n3): Scheme}`` of every entry.
    ring : str, optional
        Ring of the schemes; by default the ring each entry's values imply
        (ZT, Z, Q; F2 / F3 for schemes exact only modulo 2 / 3).
    verify : bool
        With ``ring`` given, False skips the exact check.
    """
    path = Path(path)
    _require_npz(path)
    with np.load(path, allow_pickle=True) as data:
        keys = list(data.keys())
        if key is not None:
            k = key if isinstance(key, str) else ",".join(map(str, key))
            if k not in keys:
                raise ValueError(f"key: {k!r} is not in {path} (it has {', '.join(keys)})")
            keys = [k]
        out = {}
        for k in keys:
            n = _npz_sizes(k, path)
            out[n] = _alphatensor_entry(n, data[k], ring, f"{path}[{k}]", verify)
    if key is not None:
        return next(iter(out.values()))
    return out


# ---------------------------------------------------------------- cyclic JSON
def _int_matrix(rows: list, cols: int) -> np.ndarray | None:
    """Rows of JSON integers as one int64 array (numpy reads them, no Python object per entry), or None."""
    if not rows:
        return None
    try:
        arr = np.array(rows)
    except (ValueError, TypeError, OverflowError):
        return None
    return arr if arr.dtype == np.int64 and arr.shape == (len(rows), cols) else None


def load_cyclic_json(path, ring=None, *, verify: bool = True, with_convention: bool = False):
    """Read a JSON scheme with ``n``, ``u``, ``v``, ``w`` (rows per product), the database's full JSON.

    This is the format of Perminov's FastMatrixMultiplication repository, in
    the cyclic convention (``w[r][k*n1 + i]`` is the coefficient of product r
    in output (i, k)). That convention is tried first, then the others of
    :data:`~linalg_lab.schemes.formats.CONVENTIONS` (``w[r][i*n3 + k]``;
    every matrix flattened column by column), and the first under which the
    scheme verifies exactly is kept; a file that verifies in none is refused
    with the reason for each. Entries may be ints, ``"p/q"`` strings or floats
    (read as :func:`float_to_rational`). A ``z2: true`` field means the scheme
    is over F2, used when ``ring`` is not given. With ``ring`` given,
    ``verify=False`` skips the check and assumes the cyclic convention;
    ``with_convention`` returns ``(scheme, convention)``.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
    return _cyclic_json(data, path, ring, verify, with_convention)


def _cyclic_json(data, path: Path, ring=None, verify: bool = True, with_convention: bool = False):
    """:func:`load_cyclic_json` on the parsed JSON ``data`` of the file ``path``."""
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(data).__name__}")
    for key in ("n", "u", "v", "w"):
        if key not in data:
            raise ValueError(f"{path}: field '{key}' is missing")
    try:
        n = tuple(int(x) for x in data["n"])
    except (TypeError, ValueError):
        raise ValueError(f"{path}: field 'n' must hold three sizes, got {data['n']!r}") from None
    if len(n) != 3:
        raise ValueError(f"{path}: field 'n' must hold three sizes, got {data['n']!r}")
    n1, n2, n3 = n
    mats = []
    for key, cols in zip("uvw", (n1 * n2, n2 * n3, n3 * n1)):
        rows = data[key]
        if not isinstance(rows, list) or not all(isinstance(row, list) and len(row) == cols for row in rows):
            raise ValueError(f"{path}: field '{key}' must be a list of rows of {cols} entries")
        arr = _int_matrix(rows, cols)
        if arr is None:
            arr = np.empty((len(rows), cols), dtype=object)
            for r, row in enumerate(rows):
                arr[r] = row
        mats.append(_exact_matrix(arr, f"field '{key}'", str(path)))
    if "m" in data and int(data["m"]) != len(mats[0]):
        raise ValueError(f"{path}: field 'm' is {data['m']} but 'u' has {len(mats[0])} rows")
    z2 = ring is None and data.get("z2") is True
    if z2:
        ring = "F2"
    u, v, w = mats
    if not verify and ring is not None:
        scheme = _build(n, u, v, _cyclic_to_output(w, n1, n3), ring, str(path), verify)
        return (scheme, "cyclic (assumed, not verified)") if with_convention else scheme
    from .formats import _resolve

    def listed(layout, shapes):
        return tuple(x.reshape(len(x), *sh) for x, sh in zip(mats, shapes))

    found = _resolve(listed, ring, str(path), z2, sizes=n, layouts=[None])
    return found if with_convention else found[0]
