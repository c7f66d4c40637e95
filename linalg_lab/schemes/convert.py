"""A scheme as galois arrays over GF(p) or as sympy matrices and expressions, and back.

Two views of a :class:`~linalg_lab.schemes.Scheme` for work outside this
package:

- :func:`to_galois`: ``U``, ``V``, ``W`` as :mod:`galois` ``FieldArray``\\ s
  over GF(p) (p = 2 for F2, 3 for F3; any prime for a scheme over ZT, Z or Q,
  reduced modulo p). The returned :class:`GaloisScheme` evaluates the Brent
  equations ``sum_r U[r, a] V[r, b] W[r, g] = T[a, b, g]`` with galois
  arithmetic (:meth:`GaloisScheme.product_tensor`, :meth:`GaloisScheme.verify`),
  and feeds galois' linear algebra (``np.linalg.matrix_rank``, ``row_reduce``,
  ``null_space`` over the field). :func:`from_galois` is the way back.
- :func:`to_sympy`: ``U``, ``V``, ``W`` as :class:`sympy.Matrix` (integers or
  rationals), the input symbols (``a11, a12, ...``, ``b11, ...``; ``x11, ...``
  for ``X X^T`` codes, the names of :func:`~linalg_lab.schemes.to_equations`),
  each product ``m_r = (U[r] . x) (V[r] . y)`` and each output entry
  ``c_g = sum_r W[r, g] m_r`` as a sympy expression, for symbolic work
  (expansion, substitution, common subexpressions, code printing).
  :meth:`SymbolicScheme.residuals` checks the scheme symbolically;
  :func:`from_sympy` builds a scheme from sympy matrices.

:mod:`galois` and :mod:`sympy` are imported on the first call, so that
``import linalg_lab.schemes`` stays cheap.

Examples
--------
>>> from linalg_lab.schemes import strassen_scheme, to_galois, to_sympy
>>> g = to_galois(strassen_scheme(), p=2)        # Strassen's scheme read over GF(2)
>>> g.field.order, g.U.shape, g.verify()
(2, (7, 4), True)
>>> s = to_sympy(strassen_scheme())
>>> s.products[0]
(a11 + a22)*(b11 + b22)
>>> import sympy
>>> sympy.expand(s.outputs[0])                      # c11 = m1 + m4 - m5 + m7, expanded
a11*b11 + a12*b21
>>> s.residuals()
(0, 0, 0, 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..fields.rings import Ring
from ..validation import check_instance, check_int
from .scheme import Scheme
from .variables import input_names, output_names

__all__ = ["GaloisScheme", "SymbolicScheme", "from_galois", "from_sympy", "to_galois", "to_sympy"]


def _is_prime(p: int) -> bool:
    if p < 2:
        return False
    f = 2
    while f * f <= p:
        if p % f == 0:
            return False
        f += 1
    return True


def _mod_p(name: str, arr: np.ndarray, p: int) -> np.ndarray:
    """Integer or Fraction entries as int64 residues in ``[0, p)`` (a denominator must be invertible mod p)."""
    if arr.dtype.kind in "iu":
        return np.mod(arr, p).astype(np.int64)
    out = np.empty(arr.shape, dtype=np.int64)
    for idx, x in np.ndenumerate(arr):
        f = Fraction(x)
        if f.denominator % p == 0:
            raise ValueError(f"{name}: the entry {f} at {idx} has a denominator divisible by p = {p}; "
                             f"choose another prime")
        out[idx] = (f.numerator % p) * pow(f.denominator, -1, p) % p
    return out


# ----------------------------------------------------------------------------- galois


@dataclass(frozen=True, eq=False)
class GaloisScheme:
    """A scheme's factors as galois ``FieldArray``\\ s over GF(p), with its tensor reduced mod p.

    Attributes
    ----------
    field : type
        The galois field class ``galois.GF(p)``.
    U, V, W : galois.FieldArray
        Shapes ``(R, nU)``, ``(R, nV)``, ``(R, nW)`` (the output convention of
        :class:`~linalg_lab.schemes.Scheme`).
    T : galois.FieldArray
        The tensor of the bilinear map, shape ``(nU, nV, nW)``, over GF(p).
    code : str
    n : tuple of int
        The tensor code and sizes of the scheme it came from.
    """

    field: type
    U: object
    V: object
    W: object
    T: object
    code: str
    n: tuple

    @property
    def p(self) -> int:
        """The characteristic of the field."""
        return int(self.field.characteristic)

    @property
    def rank(self) -> int:
        return int(self.U.shape[0])

    def product_tensor(self):
        """``sum_r U[r, a] V[r, b] W[r, g]`` in GF(p): the Khatri-Rao product of ``U, V`` times ``W``.

        Returns
        -------
        galois.FieldArray, shape (nU, nV, nW)
        """
        R, nu = self.U.shape
        nv, nw = self.V.shape[1], self.W.shape[1]
        kr = (self.U[:, :, None] * self.V[:, None, :]).reshape(R, nu * nv)   # row r: U[r] (x) V[r]
        return (kr.T @ self.W).reshape(nu, nv, nw)

    def brent_failures(self) -> list:
        """The ``(a, b, g)`` of the Brent equations that fail over GF(p), in index order."""
        bad = np.argwhere(np.asarray(self.product_tensor() != self.T))
        return [tuple(int(i) for i in idx) for idx in bad]

    def verify(self) -> bool:
        """Whether every Brent equation holds over GF(p) (evaluated with galois arithmetic)."""
        return bool(np.all(self.product_tensor() == self.T))


def to_galois(scheme, p=None) -> GaloisScheme:
    """A scheme's factors as galois ``FieldArray``\\ s over GF(p).

    Parameters
    ----------
    scheme : Scheme
    p : int, optional
        A prime. Default: the characteristic of the scheme's ring (2 for F2,
        3 for F3); required for a scheme over ZT, Z or Q, whose entries are
        reduced modulo ``p`` (a rational entry needs a denominator prime to
        ``p``). A scheme over F2 or F3 is read only over its own field.

    Returns
    -------
    GaloisScheme
        ``field``, ``U``, ``V``, ``W`` and the tensor ``T`` over GF(p), with
        :meth:`~GaloisScheme.verify` (the Brent equations in galois arithmetic).

    Raises
    ------
    TypeError
        ``scheme`` is not a Scheme, ``p`` is not an integer.
    ValueError
        ``p`` is not a prime, differs from the characteristic of an F2 / F3
        scheme, is missing for ZT / Z / Q, or divides a denominator.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.schemes import naive_scheme, to_galois
    >>> g = to_galois(naive_scheme("gg", (2, 2, 2), "F3"))
    >>> g.field.name, g.rank, g.verify()
    ('GF(3)', 8, True)
    >>> int(np.linalg.matrix_rank(g.U))                  # galois' linear algebra over GF(3)
    4
    >>> from linalg_lab.schemes import strassen_scheme
    >>> to_galois(strassen_scheme(), p=5).U[1]            # -1 read in GF(5)
    GF([0, 0, 1, 1], order=5)
    """
    import galois

    check_instance(scheme, "scheme", Scheme, "a Scheme")
    char = scheme.ring.characteristic
    if p is None:
        if not char:
            raise ValueError(f"p: expected a prime for a scheme over {scheme.ring.value} (its entries are reduced "
                             "modulo p), got None")
        p = char
    p = check_int(p, "p", minimum=2)
    if not _is_prime(p):
        raise ValueError(f"p: expected a prime, got {p}")
    if char and p != char:
        raise ValueError(f"p: a scheme over {scheme.ring.value} is read over GF({char}), got p = {p}")
    GF = galois.GF(p)
    U, V, W = (GF(_mod_p(name, a, p)) for name, a in zip("uvw", scheme.factors))
    T = GF(_mod_p("tensor", scheme.tensor, p))
    return GaloisScheme(GF, U, V, W, T, scheme.code, tuple(scheme.n))


def from_galois(U, V, W, code, sizes) -> Scheme:
    """A scheme over F2 or F3 from galois ``FieldArray``\\ s over GF(2) or GF(3).

    Parameters
    ----------
    U, V, W : galois.FieldArray
        Factors over one field, GF(2) or GF(3), shapes ``(R, nU)``,
        ``(R, nV)``, ``(R, nW)``.
    code : str
    sizes : str or sequence of int
        The tensor (as for :class:`~linalg_lab.schemes.Scheme`).

    Returns
    -------
    Scheme
        Over F2 or F3 (F3 entries as the representatives ``{-1, 0, 1}``). Not
        verified: call :meth:`~linalg_lab.schemes.Scheme.verify`.

    Raises
    ------
    TypeError
        A factor is not a galois FieldArray, or the three are over different fields.
    ValueError
        A field other than GF(2) or GF(3) (no ring of schemes holds it).

    Examples
    --------
    >>> from linalg_lab.schemes import from_galois, strassen_scheme, to_galois
    >>> g = to_galois(strassen_scheme(), p=3)
    >>> s = from_galois(g.U, g.V, g.W, "gg", "2x2x2")
    >>> s, bool(s.verify())
    (Scheme('gg', 2x2x2, ring=F3, rank=7), True)
    """
    import galois

    for name, a in zip("UVW", (U, V, W)):
        check_instance(a, name, galois.FieldArray, "a galois FieldArray")
    fields = {type(a) for a in (U, V, W)}
    if len(fields) != 1:
        raise TypeError(f"U, V, W: expected arrays over one field, got {', '.join(sorted(f.name for f in fields))}")
    field = fields.pop()
    ring = {2: Ring.F2, 3: Ring.F3}.get(int(field.order))
    if ring is None:
        raise ValueError(f"U: expected arrays over GF(2) or GF(3) (the rings F2, F3), got {field.name}")
    return Scheme(code, sizes, ring, *(np.asarray(a.view(np.ndarray), dtype=np.int64) for a in (U, V, W)))


# ----------------------------------------------------------------------------- sympy


@dataclass(frozen=True, eq=False)
class SymbolicScheme:
    """A scheme as sympy objects: its factor matrices, the inputs, each product and each output entry.

    Attributes
    ----------
    U, V, W : sympy.Matrix
        The factors (entries ``sympy.Integer`` or ``sympy.Rational``; over F2
        and F3 the ring's representatives, ``{0, 1}`` and ``{-1, 0, 1}``).
    x, y : tuple of sympy.Symbol
        The parameters of the two operands (``a11, ...`` and ``b11, ...``; for
        ``X X^T`` codes both are ``x11, ...``).
    products : tuple of sympy.Expr
        ``m_r = (U[r] . x) (V[r] . y)``, one per rank-one term.
    outputs : tuple of sympy.Expr
        ``c_g = sum_r W[r, g] m_r`` (unexpanded), in output order.
    output_symbols : tuple of sympy.Symbol
        ``c11, c12, ...`` in output order.
    targets : tuple of sympy.Expr
        What each output must equal: ``sum_{a, b} T[a, b, g] x_a y_b``.
    p : int
        The characteristic of the scheme's ring (0 over ZT, Z and Q): the
        identities ``outputs == targets`` hold modulo ``p``.
    """

    U: object
    V: object
    W: object
    x: tuple
    y: tuple
    products: tuple
    outputs: tuple
    output_symbols: tuple
    targets: tuple
    p: int

    def equations(self) -> tuple:
        """The outputs as ``sympy.Eq(c_g, sum_r W[r, g] m_r)``."""
        import sympy

        return tuple(sympy.Eq(c, e, evaluate=False) for c, e in zip(self.output_symbols, self.outputs))

    def residuals(self) -> tuple:
        """``expand(outputs[g] - targets[g])`` (coefficients reduced modulo ``p`` over F2, F3): all 0 iff the scheme is exact."""
        import sympy

        out = []
        for e, t in zip(self.outputs, self.targets):
            d = sympy.expand(e - t)
            if self.p and d != 0:
                gens = self.x + tuple(s for s in self.y if s not in self.x)
                d = sympy.Poly(d, *gens, modulus=self.p).as_expr()
            out.append(d)
        return tuple(out)


def _sympy_entry(x):
    import sympy

    f = Fraction(x)
    return sympy.Integer(f.numerator) if f.denominator == 1 else sympy.Rational(f.numerator, f.denominator)


def to_sympy(scheme) -> SymbolicScheme:
    """A scheme as sympy matrices and expressions, for symbolic work.

    Parameters
    ----------
    scheme : Scheme
        Over any ring (over Q the entries become ``sympy.Rational``).

    Returns
    -------
    SymbolicScheme
        ``U, V, W`` (sympy matrices), the input symbols ``x, y``, the
        ``products`` and ``outputs`` as expressions, the ``targets`` each
        output must equal, :meth:`~SymbolicScheme.equations` and
        :meth:`~SymbolicScheme.residuals`.

    Raises
    ------
    TypeError
        ``scheme`` is not a Scheme.

    Examples
    --------
    >>> import sympy
    >>> from linalg_lab.schemes import strassen_scheme, to_sympy
    >>> s = to_sympy(strassen_scheme())
    >>> s.U.shape, s.x, s.targets[1]
    ((7, 4), (a11, a12, a21, a22), a11*b12 + a12*b22)
    >>> s.equations()[3]
    Eq(c22, a11*(b12 - b22) - b11*(a21 + a22) + (-a11 + a21)*(b11 + b12) + (a11 + a22)*(b11 + b22))
    >>> subs = {v: 1 for v in s.x + s.y}                 # all-ones operands: every c is 2
    >>> [int(c.subs(subs)) for c in s.outputs]
    [2, 2, 2, 2]
    >>> [sympy.expand(r) for r in s.residuals()]
    [0, 0, 0, 0]
    """
    import sympy

    check_instance(scheme, "scheme", Scheme, "a Scheme")
    tc = scheme.tc
    U, V, W = (sympy.Matrix([[_sympy_entry(e) for e in row] for row in a]) if a.shape[0] else sympy.zeros(0, a.shape[1])
               for a in scheme.factors)
    x = tuple(sympy.Symbol(name) for name in input_names(tc, 0))
    y = x if tc.is_gram else tuple(sympy.Symbol(name) for name in input_names(tc, 1))
    cs = tuple(sympy.Symbol(name) for name in output_names(tc))
    xv, yv = sympy.Matrix(x), sympy.Matrix(y)
    products = tuple((U[r, :] * xv)[0, 0] * (V[r, :] * yv)[0, 0] for r in range(scheme.rank))
    outputs = tuple(sympy.Add(*(W[r, g] * products[r] for r in range(scheme.rank))) for g in range(len(cs)))
    T = scheme.tensor
    targets = tuple(
        sympy.Add(*(int(T[a, b, g]) * x[a] * y[b] for a, b in zip(*np.nonzero(T[:, :, g]))))
        for g in range(len(cs))
    )
    return SymbolicScheme(U, V, W, x, y, products, outputs, cs, targets, scheme.ring.characteristic)


def from_sympy(U, V, W, code, sizes, ring="Q") -> Scheme:
    """A scheme from sympy matrices (integer or rational entries).

    Parameters
    ----------
    U, V, W : sympy.Matrix or nested sequences of sympy numbers
        Shapes ``(R, nU)``, ``(R, nV)``, ``(R, nW)``.
    code : str
    sizes : str or sequence of int
    ring : {"F2", "F3", "ZT", "Z", "Q"}, default "Q"
        As for :class:`~linalg_lab.schemes.Scheme` (integers are reduced over
        F2 and F3; rationals need ``"Q"``).

    Returns
    -------
    Scheme
        Not verified: call :meth:`~linalg_lab.schemes.Scheme.verify`.

    Raises
    ------
    ValueError
        A symbolic or irrational entry (the message names the factor and the
        entry), or entries outside the ring.

    Examples
    --------
    >>> from linalg_lab.schemes import from_sympy, strassen_scheme, to_sympy
    >>> s = to_sympy(strassen_scheme())
    >>> half = s.W.copy(); half[0, :] = half[0, :] / 2   # scale a term: U_0 * 2, W_0 / 2
    >>> twice = s.U.copy(); twice[0, :] = twice[0, :] * 2
    >>> q = from_sympy(twice, s.V, half, "gg", "2x2x2", ring="Q")
    >>> q, bool(q.verify()), [str(e) for e in q.w[0]]
    (Scheme('gg', 2x2x2, ring=Q, rank=7), True, ['1/2', '0', '0', '1/2'])
    """
    import sympy

    mats = []
    for name, M in zip("UVW", (U, V, W)):
        M = sympy.Matrix(M)
        rows = []
        for i in range(M.rows):
            row = []
            for j in range(M.cols):
                e = M[i, j]
                if not e.is_Rational:
                    raise ValueError(f"{name}: expected integer or rational entries, got {M[i, j]} at ({i}, {j})")
                f = Fraction(int(e.p), int(e.q))
                row.append(int(f) if f.denominator == 1 else f)
            rows.append(row)
        mats.append(np.array(rows, dtype=object).reshape(M.rows, M.cols))
    return Scheme(code, sizes, ring, *mats)
