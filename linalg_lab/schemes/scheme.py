"""The :class:`Scheme` value type: a rank-R decomposition of a bilinear-map tensor."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm

import numpy as np

from ..fields.rings import Ring, as_ring, parse_rational
from ..tensors.build import matmul_tensor
from ..tensors.codes import TensorCode, tensor_code
from ..tensors.structure import operand_map
from .evaluate import integer_rows, row_failures, scaled_product
from .variables import input_names, output_names

_INT64_SAFE = 2**62


def _as_factor(name: str, value, ring: Ring, cols: int) -> tuple[np.ndarray, tuple | None]:
    """Validate one factor matrix and store it in the ring's representation.

    Returns the matrix and, over Q when it holds fractions, its integer rows
    ``(A, d)`` (``A[r] = d[r] * matrix[r]``, ``d[r]`` the lcm of row r's
    denominators); None otherwise (the matrix is its own integer form).
    """
    if ring is Ring.Q and isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == cols:
        if value.dtype.kind in "iu":         # integers: no Fraction per entry
            return _as_integers(name, value, Ring.Z), None
        if value.dtype == object:
            fast = _rational_fast(name, value)
            if fast is not None:
                return fast
    if isinstance(value, np.ndarray) and value.dtype == object:
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: not a rectangular matrix ({exc})") from None
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, cols)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D matrix (rank x {cols}), got {arr.ndim} dimensions")
    if arr.shape[1] != cols:
        raise ValueError(f"{name}: expected {cols} columns for this tensor, got {arr.shape[1]}")
    if ring is Ring.Q:
        out = np.empty(arr.shape, dtype=object)
        for idx, x in np.ndenumerate(arr):
            try:
                out[idx] = x if isinstance(x, Fraction) else parse_rational(x.item() if hasattr(x, "item") else x)
            except ValueError as exc:
                raise ValueError(f"{name}: row {idx[0]}, column {idx[1]}: {exc}") from None
        if all(f.denominator == 1 for f in out.flat):
            return _as_integers(name, out, Ring.Z), None
        return _rational_fast(name, out) or (_readonly(out), None)
    return _as_integers(name, arr, ring), None


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _rational_fast(name: str, arr: np.ndarray):
    """An object matrix of rationals as (matrix of ints and Fractions, integer rows), without a Fraction per entry.

    Only entries that are not Python ints are looked at one by one (a Fraction
    with denominator 1 becomes an int; strings 'p/q' and numpy integers are
    parsed); the integer rows are then formed with numpy. None when an entry
    reaches 2**62 (the general path handles it) or cannot be read (the general
    path names it).
    """
    rows, cols = arr.shape
    flat = arr.ravel().tolist()
    odd = [k for k, x in enumerate(flat) if type(x) is not int]          # noqa: E721 (bool is no int here)
    fracs = {}
    for k in odd:
        x = flat[k]
        if type(x) is not Fraction:
            if isinstance(x, (bool, np.bool_, float, np.floating)) or not isinstance(x, (int, np.integer, str)):
                return None
            try:
                x = parse_rational(x.item() if hasattr(x, "item") else x)
            except ValueError:
                return None
        if x.denominator == 1:
            flat[k] = int(x.numerator)
        else:
            fracs[k] = x
            flat[k] = 0
    try:
        ints = np.array(flat, dtype=np.int64).reshape(rows, cols) if flat else np.zeros((rows, cols), np.int64)
    except OverflowError:
        return None
    if ints.size and (ints.max() >= _INT64_SAFE or ints.min() <= -_INT64_SAFE):
        return None
    if not fracs:
        return _as_integers(name, ints, Ring.Z), None
    den = [1] * rows
    for k, f in fracs.items():
        r = k // cols
        den[r] = lcm(den[r], f.denominator)
    if max(den) >= _INT64_SAFE or int(np.abs(ints).max(axis=1, initial=0).max(initial=0)) * max(den) >= _INT64_SAFE:
        return None
    num = ints * np.array(den, dtype=np.int64)[:, None]
    out = ints.astype(object).ravel()
    numf = num.ravel()
    for k, f in fracs.items():
        d = den[k // cols]
        if abs(f.numerator) * (d // f.denominator) >= _INT64_SAFE:
            return None
        numf[k] = f.numerator * (d // f.denominator)
        out[k] = f
    num.setflags(write=False)
    return _readonly(out.reshape(rows, cols)), (num, den)


def _from_rows(name: str, rows, ring: Ring, cols: int) -> tuple[np.ndarray, tuple | None]:
    """A factor given as integer rows ``(A, d)`` (``A[r] / d[r]``): the matrix and its integer rows.

    Everything is done on the arrays, with one Fraction per distinct entry
    ``p/q`` that is not an integer. The rows are brought to lowest terms
    (``d[r]`` the lcm of row r's denominators), as :func:`integer_rows` makes
    them. Rows that do not fit in int64, or fractions over a ring other than
    Q, go the general way (which also names a bad entry).
    """
    try:
        a, d = rows
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected integer rows (A, d), a matrix and one denominator per row") from None
    a, d = np.asarray(a), np.asarray(d)
    if a.ndim == 1 and a.size == 0:
        a = a.reshape(0, cols)
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D matrix (rank x {cols}), got {a.ndim} dimensions")
    if a.shape[1] != cols:
        raise ValueError(f"{name}: expected {cols} columns for this tensor, got {a.shape[1]}")
    if d.shape != (len(a),) or not (d.dtype.kind in "iu" or d.dtype == object):
        raise ValueError(f"{name}: expected one integer denominator per row ({len(a)}), got shape {d.shape}")
    if len(d) and min(d.tolist()) < 1:
        r = int(np.flatnonzero(np.asarray([x < 1 for x in d.tolist()]))[0])
        raise ValueError(f"{name}: row {r}: the denominator must be a positive integer, got {d[r]!r}")
    fits = a.dtype.kind in "iu" and d.dtype.kind in "iu" and not (a.size and (a.max() >= _INT64_SAFE or
                                                                           a.min() <= -_INT64_SAFE)) \
        and not (len(d) and d.max() >= _INT64_SAFE)
    if not fits or (ring is not Ring.Q and len(d) and d.max() > 1):
        full = np.empty(a.shape, dtype=object)
        for r, (row, q) in enumerate(zip(a.tolist(), d.tolist())):
            full[r] = [Fraction(int(x), int(q)) if q != 1 else x for x in row]
        return _as_factor(name, full, ring, cols)
    a, d = a.astype(np.int64), d.astype(np.int64)
    if not len(d) or d.max() == 1:
        return _as_integers(name, a, ring), None
    g = np.gcd(np.gcd.reduce(a, axis=1), d)          # lowest terms: d[r] the lcm of the row's denominators
    a, d = a // g[:, None], d // g
    if d.max() == 1:
        return _as_integers(name, a, ring), None
    frac = np.flatnonzero(d > 1)
    sub = a[frac]
    gg = np.gcd(sub, d[frac][:, None])
    p, q = sub // gg, d[frac][:, None] // gg
    out = a.astype(object)
    block = p.astype(object)
    i, j = np.nonzero(q > 1)
    if len(i):
        pairs, inv = np.unique(np.stack([p[i, j], q[i, j]]), axis=1, return_inverse=True)
        fracs = np.empty(pairs.shape[1], dtype=object)
        fracs[:] = [Fraction(int(x), int(y)) for x, y in pairs.T.tolist()]
        block[i, j] = fracs[inv.ravel()]
    out[frac] = block
    a.setflags(write=False)
    return _readonly(out), (a, d.tolist())


def _as_integers(name: str, arr: np.ndarray, ring: Ring) -> np.ndarray:
    """Integer entries as int64 when every one is below 2**62 in size, else as Python ints (object).

    The bound leaves int64 room for one sum of two entries; wider values
    (big floats, uint64, int64 near its limits) go the exact way instead of
    wrapping around.
    """
    if arr.dtype == bool or (arr.dtype.kind not in "iuO"):
        if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            # an integral float is an exact integer, however large: int() keeps it
            if np.abs(arr).max() >= _INT64_SAFE:
                arr = np.array([int(x) for x in arr.flat], dtype=object).reshape(arr.shape)
            else:
                arr = arr.astype(np.int64)
        elif arr.size:
            raise ValueError(f"{name}: entries must be integers over {ring}, got dtype {arr.dtype}")
        else:
            arr = arr.astype(np.int64)
    if arr.dtype.kind in "iu" and arr.size and (arr.max() >= _INT64_SAFE or arr.min() <= -_INT64_SAFE):
        arr = arr.astype(object)
    if arr.dtype == object:
        vals = []
        for idx, x in np.ndenumerate(arr):
            if isinstance(x, Fraction) and x.denominator == 1:
                x = x.numerator
            if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
                raise ValueError(f"{name}: row {idx[0]}, column {idx[1]}: expected an integer over {ring}, got {x!r}")
            vals.append(int(x))
        big = max((abs(x) for x in vals), default=0) >= _INT64_SAFE
        arr = np.array(vals, dtype=object if big else np.int64).reshape(arr.shape)
    else:
        arr = arr.astype(np.int64)
    if ring.is_finite_field:
        arr = np.asarray(ring.canonical(np.asarray(arr % ring.characteristic, dtype=np.int64)), dtype=np.int64)
    elif ring is Ring.ZT and arr.size and np.abs(arr).max() > 1:
        r, c = np.argwhere(np.abs(arr) > 1)[0]
        raise ValueError(f"{name}: row {r}, column {c}: entry {arr[r, c]} is not in Z_T = {{-1, 0, 1}}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class Verification:
    """Outcome of an exact verification of a scheme against its tensor.

    Attributes
    ----------
    ok : bool
        True when every Brent equation holds over the scheme's ring.
    failures : list of tuple
        ``(a, b, g, got, expected)`` for each failing equation
        ``sum_r U[r,a] V[r,b] W[r,g] = T[a,b,g]``.
    """

    ok: bool
    failures: list = field(default_factory=list)
    names: tuple = ((), (), ())

    def __bool__(self) -> bool:
        return self.ok

    def describe(self, limit: int = 5) -> str:
        """A short human-readable account: 'exact' or the first failing equations."""
        if self.ok:
            return "exact"
        xs, ys, zs = self.names
        lines = [f"{len(self.failures)} Brent equation(s) fail"]
        for a, b, g, got, exp in self.failures[:limit]:
            lines.append(f"  coefficient of {xs[a]}*{ys[b]} in {zs[g]}: got {got}, expected {exp}")
        if len(self.failures) > limit:
            lines.append(f"  ... and {len(self.failures) - limit} more")
        return "\n".join(lines)


class Scheme:
    """A rank-R scheme ``T[a,b,g] = sum_r U[r,a] V[r,b] W[r,g]`` over a ring.

    Parameters
    ----------
    code : str
        Tensor code (see the Conventions page of the documentation), e.g. ``"gg"``.
    sizes : str or sequence of int
        ``(n1, n2, n3)`` or ``"n1xn2xn3"``.
    ring : {"F2", "F3", "ZT", "Z", "Q"} or Ring
        The coefficient ring. Over F2 and F3 integer entries are reduced to the
        representatives {0, 1} and {-1, 0, 1}; over ZT they must lie in
        {-1, 0, 1}; over Q they may be ints, Fractions or ``"p/q"`` strings.
    u, v, w : array_like
        Factor matrices of shapes (R, nU), (R, nV), (R, nW) in the output
        convention (W indexes the output parameters directly).

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> s = strassen_scheme()
    >>> s.rank, bool(s.verify())
    (7, True)
    """

    __slots__ = ("tc", "ring", "u", "v", "w", "_rows", "_checked")

    def __init__(self, code, sizes, ring, u, v, w):
        self.tc: TensorCode = tensor_code(code, sizes)
        self.ring: Ring = as_ring(ring)
        nu, nv, nw = self.tc.dims
        self.u, ru = _as_factor("u", u, self.ring, nu)
        self.v, rv = _as_factor("v", v, self.ring, nv)
        self.w, rw = _as_factor("w", w, self.ring, nw)
        self._rows = (ru, rv, rw)
        self._checked = None
        if not (len(self.u) == len(self.v) == len(self.w)):
            raise ValueError(
                f"u, v, w: must have the same number of rows (the rank), got {len(self.u)}, {len(self.v)}, {len(self.w)}"
            )

    @classmethod
    def from_integer_rows(cls, code, sizes, ring, u, v, w) -> Scheme:
        """The scheme whose factors are given as integer rows: ``u = (U', du)`` means ``U[r] = U'[r] / du[r]``.

        The inverse of :meth:`integer_rows`: ``U'`` an integer matrix, ``du``
        one positive integer per row (likewise ``v`` and ``w``). The rows are
        kept (in lowest terms) for verification and writing, and the factors
        are formed on the arrays: an importer of a large rational scheme never
        builds a Fraction per entry. Over F2, F3, ZT and Z every denominator
        must be 1.

        Examples
        --------
        >>> import numpy as np
        >>> from linalg_lab.schemes import strassen_scheme
        >>> s = strassen_scheme("Q")
        >>> u, v, w = s.integer_rows()
        >>> half = Scheme.from_integer_rows("gg", (2, 2, 2), "Q", u, v, (w[0], np.full(7, 2)))
        >>> half.w[0, 0], half.integer_rows()[2][1][0]
        (Fraction(1, 2), 2)
        """
        self = cls.__new__(cls)
        self.tc = tensor_code(code, sizes)
        self.ring = as_ring(ring)
        nu, nv, nw = self.tc.dims
        self.u, ru = _from_rows("u", u, self.ring, nu)
        self.v, rv = _from_rows("v", v, self.ring, nv)
        self.w, rw = _from_rows("w", w, self.ring, nw)
        self._rows = (ru, rv, rw)
        self._checked = None
        if not (len(self.u) == len(self.v) == len(self.w)):
            raise ValueError(
                f"u, v, w: must have the same number of rows (the rank), got {len(self.u)}, {len(self.v)}, {len(self.w)}"
            )
        return self

    # -- basic properties -------------------------------------------------
    @property
    def code(self) -> str:
        return self.tc.code

    @property
    def n(self) -> tuple[int, int, int]:
        return self.tc.n

    @property
    def rank(self) -> int:
        return len(self.u)

    @property
    def dims(self) -> tuple[int, int, int]:
        return self.tc.dims

    @property
    def tensor(self) -> np.ndarray:
        return matmul_tensor(self.code, self.n)

    @property
    def is_rational(self) -> bool:
        """True if some entry is a non-integer rational (only possible over Q)."""
        return any(max(d) > 1 for _, d in self.integer_rows() if d)

    def integer_rows(self) -> tuple:
        """``((U', du), (V', dv), (W', dw))``: each factor as integer rows and one denominator per row.

        ``U'[r] = du[r] * U[r]`` is integral and ``du[r]`` is the lcm of the
        denominators in row r (all 1 for an integer scheme); see
        :func:`~linalg_lab.schemes.integer_rows`. Computed once per scheme
        (with numpy, when the scheme was built from rationals) and used by
        verification and by the scheme-file writer.
        """
        rows = self._rows
        if any(r is None for r in rows):
            full = []
            for r, a, name in zip(rows, self.factors, "uvw"):
                if r is None:
                    r = (a, [1] * len(a)) if a.dtype != object else integer_rows(a, name)
                full.append(r)
            rows = self._rows = tuple(full)
        return rows

    def __repr__(self) -> str:
        return f"Scheme({self.code!r}, {'x'.join(map(str, self.n))}, ring={self.ring.value}, rank={self.rank})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, Scheme):
            return NotImplemented
        return (
            self.tc == other.tc
            and self.ring == other.ring
            and all(a.shape == b.shape and bool(np.all(a == b)) for a, b in zip(self.factors, other.factors))
        )

    __hash__ = None  # mutable-looking arrays inside: not hashable

    @property
    def factors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.u, self.v, self.w

    def with_factors(self, u, v, w, ring=None) -> "Scheme":
        """A new scheme of the same tensor with other factors (and optionally another ring)."""
        return Scheme(self.code, self.n, self.ring if ring is None else ring, u, v, w)

    # -- exact verification ------------------------------------------------
    def product_tensor(self) -> np.ndarray:
        """``sum_r U[r,a] V[r,b] W[r,g]`` computed exactly (int64, or Python ints / Fractions).

        The evaluation is :func:`~linalg_lab.schemes.evaluate.scaled_product`.
        """
        p, d = scaled_product(*self.factors)
        if d == 1:
            return p
        out = np.empty(p.shape, dtype=object)
        for idx, x in np.ndenumerate(p):
            f = Fraction(int(x), d)
            out[idx] = f if f.denominator != 1 else int(f)
        return out

    def verify(self) -> Verification:
        """Check every Brent equation exactly over the scheme's ring.

        Over F2 and F3 the equations are taken modulo p; over ZT, Z and Q they
        are exact integer / rational identities. The evaluation is
        :func:`~linalg_lab.schemes.evaluate.row_failures` (rows scaled to
        integers over Q; a sparse int64 accumulation or integer BLAS, each
        where provably exact).

        Returns
        -------
        Verification
            Truthy iff the scheme is exact; lists the failing equations otherwise.
        """
        if self._checked is not None and self._frozen():
            return self._checked
        # the integer rows, W's scaled to the common denominator d: d * sum == d * T, exactly
        failures = row_failures(self.integer_rows(), self.code, self.n, self.ring)
        check = Verification(not failures, failures, (input_names(self.tc, 0), input_names(self.tc, 1),
                                                      output_names(self.tc)))
        if self._frozen():
            self._checked = check
        return check

    def _frozen(self) -> bool:
        """True while no factor array has been made writable again (so a kept verification still holds)."""
        return not any(a.flags.writeable for a in self.factors)

    def _mark_verified(self) -> None:
        """Record that an exact evaluation elsewhere (an importer's) found the scheme exact over its ring."""
        if self._frozen():
            self._checked = Verification(True, [], (input_names(self.tc, 0), input_names(self.tc, 1),
                                                    output_names(self.tc)))

    def is_valid(self) -> bool:
        """``bool(self.verify())``."""
        return self.verify().ok

    # -- using the scheme ----------------------------------------------------
    def evaluate(self, x, y) -> np.ndarray:
        """Apply the bilinear map to parameter vectors: ``z = W^T ((U x) * (V y))``."""
        x = np.asarray(x)
        y = np.asarray(y)
        nu, nv, _ = self.dims
        if x.shape != (nu,):
            raise ValueError(f"x: expected {nu} parameters, got shape {x.shape}")
        if y.shape != (nv,):
            raise ValueError(f"y: expected {nv} parameters, got shape {y.shape}")
        m = (self.u.astype(object) @ x.astype(object)) * (self.v.astype(object) @ y.astype(object))
        z = self.w.astype(object).T @ m
        return self.ring.canonical(z.astype(np.int64)) if self.ring.is_finite_field else z

    def multiply(self, a, b=None) -> np.ndarray:
        """Multiply matrices with the scheme: ``A @ B`` (or ``X @ X.T`` for ``?t`` codes).

        The operands are read through their structure (only the parameters the
        structure uses are read: e.g. the upper triangle of an upper-triangular
        A). The result is the full n1 x n3 matrix (exact, object dtype for Q).
        """
        n1, n2, n3 = self.n
        code = self.code
        a = np.asarray(a)
        if a.shape != (n1, n2):
            raise ValueError(f"a: expected shape {(n1, n2)}, got {a.shape}")
        x = _params_of(code[0], a)
        if self.tc.is_gram:
            if b is not None:
                raise ValueError("b: a C = X X^T scheme takes one operand")
            y = x
        else:
            if b is None:
                raise ValueError("b: missing second operand")
            b = np.asarray(b)
            if b.shape != (n2, n3):
                raise ValueError(f"b: expected shape {(n2, n3)}, got {b.shape}")
            y = _params_of(code[1], b)
        z = self.evaluate(x, y)
        c = np.zeros((n1, n3), dtype=z.dtype)
        for i in range(n1):
            for k in range(n3):
                g = self.tc.output_index(i, k)
                if g is not None:
                    c[i, k] = z[g]
                    if self.tc.is_gram:
                        c[k, i] = z[g]
        return c


def _plain(x: Fraction):
    return int(x) if x.denominator == 1 else x


def _params_of(letter: str, mat: np.ndarray) -> np.ndarray:
    """Parameter vector of a structured matrix: each parameter read at an entry holding it with sign +1."""
    m = operand_map(letter, *mat.shape)
    out = np.zeros(m.shape[2], dtype=mat.dtype if mat.dtype != bool else np.int64)
    for p in range(m.shape[2]):
        i, j = np.argwhere(m[:, :, p] == 1)[0]
        out[p] = mat[i, j]
    return out
