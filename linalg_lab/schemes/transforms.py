"""Transforms of ``gg`` schemes: the GL action, the permutations of a format, transposition.

Every map here takes a :class:`Scheme` for ``gg n1 x n2 x n3`` and returns a
scheme of the same rank, exact over the same ring, with no search involved.

The GL action (:func:`gl_action`) of invertible matrices ``(P, Q, R)`` of
sizes ``(n1, n2, n3)`` is the change of variables

    ``A -> P A Q^-1``,  ``B -> Q B R^-1``,  so  ``C = AB -> P C R^-1``:

the new scheme computes ``AB = P^-1 S(P A Q^-1, Q B R^-1) R`` with the old
scheme ``S``. With every factor read as a matrix (``U_r`` is ``n1 x n2``,
``V_r`` is ``n2 x n3``, ``W_r`` is ``n1 x n3``, row-major) the new factors are

    ``U_r -> P^T U_r Q^-T``,  ``V_r -> Q^T V_r R^-T``,  ``W_r -> P^-1 W_r R``.

The matrices must be invertible over the ring: mod p over F2 and F3, with an
integer inverse (determinant +-1) over Z_T and Z, any invertible rational
matrix over Q. Over Z_T the result must stay in {-1, 0, 1} (signed
permutation matrices always do); otherwise it is an error.

The six orderings of a format (:func:`permute`) come from two maps:
the cyclic rotation ``(n1, n2, n3) -> (n2, n3, n1)``, from
``tr(A B C^T) = tr(B C^T A)``, takes ``(U_r, V_r, W_r)`` to
``(V_r, W_r^T, U_r^T)``; the transposition ``(n1, n2, n3) -> (n3, n2, n1)``
(:func:`transpose`), from ``(AB)^T = B^T A^T``, takes them to
``(V_r^T, U_r^T, W_r^T)``.

Examples
--------
>>> from linalg_lab.schemes import strassen_scheme, naive_scheme
>>> s = gl_action(strassen_scheme("Z"), [[1, 1], [0, 1]], [[0, 1], [1, 0]], [[1, 0], [-1, 1]])
>>> s.ring.value, bool(s.verify())
('Z', True)
>>> t = permute(naive_scheme("gg", "2x3x4", "F3"), (2, 0, 1))
>>> t.n, bool(t.verify())
((4, 2, 3), True)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..fields.elimination import row_reduce
from ..fields.rings import Ring, as_ring, parse_rational
from .scheme import Scheme


def _check_gg(scheme, what: str) -> None:
    if not isinstance(scheme, Scheme):
        raise TypeError(f"scheme: expected a Scheme, got {type(scheme).__name__}")
    if scheme.code != "gg":
        raise ValueError(f"scheme: {what} is defined for general products (gg), got {scheme.code!r}")


def _entries(name: str, mat, size: int, ring: Ring) -> list[list]:
    """The entries of a ``size x size`` matrix as Python ints (Fractions over Q), checked."""
    a = np.asarray(mat, dtype=object) if not isinstance(mat, np.ndarray) else mat
    if a.shape != (size, size):
        raise ValueError(f"{name}: expected a {size}x{size} matrix, got shape {a.shape}")
    if a.dtype.kind not in "iuO":
        raise TypeError(f"{name}: expected integer entries{' or fractions' if ring is Ring.Q else ''}, got dtype {a.dtype}")
    out = []
    for i, row in enumerate(a.tolist()):
        vals = []
        for j, x in enumerate(row):
            if isinstance(x, bool):
                raise TypeError(f"{name}: entry ({i}, {j}) is a bool, expected an integer")
            if ring is Ring.Q:
                try:
                    x = x if isinstance(x, Fraction) else parse_rational(x)
                except (TypeError, ValueError) as exc:
                    raise TypeError(f"{name}: entry ({i}, {j}): {exc}") from None
            elif isinstance(x, Fraction) and x.denominator == 1:
                x = int(x)
            elif not isinstance(x, (int, np.integer)):
                raise TypeError(f"{name}: entry ({i}, {j}) is {x!r}, expected an integer over {ring}")
            vals.append(x if isinstance(x, Fraction) else int(x))
        out.append(vals)
    return out


def ring_matrix(name: str, mat, size: int, ring) -> tuple[np.ndarray, np.ndarray]:
    """``(M, M^-1)`` over ``ring``, exact: int64 mod p over F2 / F3, Python ints over Z_T / Z, Fractions over Q.

    Raises
    ------
    ValueError
        If the shape is wrong or ``M`` is not invertible over the ring (over
        Z_T and Z: its inverse is not integral).
    TypeError
        If an entry is not an integer (not a rational over Q).

    Examples
    --------
    >>> m, mi = ring_matrix("P", [[2, 1], [1, 1]], 2, "Z")
    >>> mi.tolist()
    [[1, -1], [-1, 2]]
    """
    ring = as_ring(ring)
    rows = _entries(name, mat, size, ring)
    p = ring.characteristic if ring.is_finite_field else 0
    if p:
        rows = [[x % p for x in row] for row in rows]
        aug = [row + [int(i == j) for j in range(size)] for i, row in enumerate(rows)]
    else:
        aug = [[Fraction(x) for x in row] + [Fraction(int(i == j)) for j in range(size)] for i, row in enumerate(rows)]
    if row_reduce(aug, p)[:size] != list(range(size)):
        raise ValueError(f"{name}: not invertible over {ring}")
    inv = [row[size:] for row in aug]
    if p:
        return np.array(rows, dtype=np.int64).reshape(size, size), np.array(inv, dtype=np.int64).reshape(size, size)
    if ring is not Ring.Q:
        if any(x.denominator != 1 for row in inv for x in row):
            raise ValueError(f"{name}: not invertible over {ring} (determinant is not +-1); use ring Q")
        inv = [[int(x) for x in row] for row in inv]
    return _object(rows, size), _object(inv, size)


def _object(rows: list, size: int) -> np.ndarray:
    out = np.empty((size, size), dtype=object)
    for i, row in enumerate(rows):
        for j, x in enumerate(row):
            out[i, j] = x
    return out


def _blocks(scheme: Scheme, exact: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The factors as stacks of matrices ``(rank, rows, cols)``; object dtype when ``exact``."""
    n1, n2, n3 = scheme.n
    shapes = ((n1, n2), (n2, n3), (n1, n3))
    return tuple(np.asarray(f, dtype=object if exact else f.dtype).reshape(scheme.rank, *shape)
                 for f, shape in zip(scheme.factors, shapes))


def gl_action(scheme: Scheme, P, Q, R) -> Scheme:
    """The equivalent scheme under ``A -> P A Q^-1``, ``B -> Q B R^-1`` (so ``C -> P C R^-1``).

    See the module docstring for the convention and the new factors
    ``P^T U_r Q^-T``, ``Q^T V_r R^-T`` and ``P^-1 W_r R``. Flips, reductions
    and factor ranks commute with this action. It is a right action:
    ``gl_action(gl_action(s, P1, Q1, R1), P2, Q2, R2) == gl_action(s, P1 P2, Q1 Q2, R1 R2)``.

    Parameters
    ----------
    scheme : Scheme
        A ``gg`` scheme over F2, F3, ZT, Z or Q.
    P, Q, R : array_like
        Matrices of sizes n1, n2, n3, invertible over the scheme's ring
        (integers mod p over F2 / F3; integers with an integer inverse over
        Z_T and Z; ints, Fractions or ``"p/q"`` strings over Q).

    Returns
    -------
    Scheme
        A scheme of the same tensor, ring and rank.

    Raises
    ------
    ValueError
        A matrix is not invertible over the ring, or over Z_T the result has
        an entry outside {-1, 0, 1}.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.schemes import strassen_scheme
    >>> s = gl_action(strassen_scheme("F2"), [[1, 1], [0, 1]], np.eye(2, dtype=int), [[0, 1], [1, 0]])
    >>> bool(s.verify()), s.ring.value
    (True, 'F2')
    """
    _check_gg(scheme, "the GL action")
    ring = scheme.ring
    n1, n2, n3 = scheme.n
    P, Pi = ring_matrix("P", P, n1, ring)
    Q, Qi = ring_matrix("Q", Q, n2, ring)
    R, Ri = ring_matrix("R", R, n3, ring)
    u, v, w = _blocks(scheme, exact=not ring.is_finite_field)
    u2 = P.T @ u @ Qi.T
    v2 = Q.T @ v @ Ri.T
    w2 = Pi @ w @ R
    if ring.is_finite_field:
        u2, v2, w2 = (a % ring.characteristic for a in (u2, v2, w2))
    elif ring is Ring.ZT:
        for name, a in (("u", u2), ("v", v2), ("w", w2)):
            if a.size and max(abs(x) for x in a.flat) > 1:
                raise ValueError(f"P, Q, R: the transformed {name} leaves Z_T = {{-1, 0, 1}}; "
                                 f"act on the scheme over Z instead")
    rank = scheme.rank
    return scheme.with_factors(u2.reshape(rank, -1), v2.reshape(rank, -1), w2.reshape(rank, -1))


def random_sandwich(scheme: Scheme, rng, count: int = 1) -> Scheme:
    """``scheme`` moved by ``count`` random elementary isotropies ``I +- E_ij`` (``gg`` schemes).

    Each step picks one of A, B, C's index spaces and an elementary matrix
    ``I + s E_ij`` (``s = 1`` over F2, else a random sign), whose inverse
    ``I - s E_ij`` is ternary too, and applies it by :func:`gl_action`. Over
    Z_T a step that would take a coefficient out of {-1, 0, 1} is skipped
    (Perminov's random ternary sandwiching), so the result may be ``scheme``
    itself. The rank and exactness never change.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.schemes import naive_scheme
    >>> t = random_sandwich(naive_scheme("gg", "3x3x3", "ZT"), np.random.default_rng(0), count=5)
    >>> t.rank, bool(t.verify()), set(np.unique(t.u)) <= {-1, 0, 1}
    (27, True, True)
    """
    _check_gg(scheme, "a random sandwich")
    n = scheme.n
    which = [q for q in range(3) if n[q] >= 2]
    for _ in range(count if which else 0):
        mats = [np.eye(k, dtype=np.int64) for k in n]
        q = which[int(rng.integers(len(which)))]
        i, j = rng.choice(n[q], 2, replace=False)
        mats[q][i, j] = 1 if scheme.ring is Ring.F2 else int(rng.choice([-1, 1]))
        try:
            scheme = gl_action(scheme, *mats)
        except ValueError:              # over Z_T some coefficient would leave {-1, 0, 1}
            continue
    return scheme


def _matrices(scheme: Scheme, u, v, w, sizes) -> Scheme:
    rank = scheme.rank
    return Scheme("gg", sizes, scheme.ring, u.reshape(rank, -1), v.reshape(rank, -1), w.reshape(rank, -1))


def rotate(scheme: Scheme) -> Scheme:
    """The cyclic rotation: a ``gg (n2, n3, n1)`` scheme from a ``gg (n1, n2, n3)`` one.

    Factors ``(U_r, V_r, W_r) -> (V_r, W_r^T, U_r^T)``, from ``tr(A B C^T) = tr(B C^T A)``.

    Examples
    --------
    >>> from linalg_lab.schemes import naive_scheme
    >>> rotate(naive_scheme("gg", "2x3x4", "Z")).n
    (3, 4, 2)
    """
    _check_gg(scheme, "rotation")
    n1, n2, n3 = scheme.n
    u, v, w = _blocks(scheme, exact=False)
    return _matrices(scheme, v, w.transpose(0, 2, 1), u.transpose(0, 2, 1), (n2, n3, n1))


def transpose(scheme: Scheme) -> Scheme:
    """The transposed scheme: ``gg (n3, n2, n1)`` from ``gg (n1, n2, n3)``, by ``(AB)^T = B^T A^T``.

    Factors ``(U_r, V_r, W_r) -> (V_r^T, U_r^T, W_r^T)``.

    Examples
    --------
    >>> from linalg_lab.schemes import naive_scheme
    >>> t = transpose(naive_scheme("gg", "2x3x4", "Q"))
    >>> t.n, bool(t.verify())
    ((4, 3, 2), True)
    """
    _check_gg(scheme, "transposition")
    n1, n2, n3 = scheme.n
    u, v, w = _blocks(scheme, exact=False)
    return _matrices(scheme, v.transpose(0, 2, 1), u.transpose(0, 2, 1), w.transpose(0, 2, 1), (n3, n2, n1))


def _moves_for(order: tuple) -> tuple[int, bool]:
    """(rotations, then transpose?) that take the sizes (n1, n2, n3) to (n[order[0]], n[order[1]], n[order[2]])."""
    for t in (False, True):
        o = (0, 1, 2)
        for k in range(3):
            if (o[::-1] if t else o) == order:
                return k, t
            o = (o[1], o[2], o[0])
    raise AssertionError("unreachable: the rotations and a transposition generate S3")  # pragma: no cover


def permute(scheme: Scheme, order) -> Scheme:
    """A scheme for the format ``(n[order[0]], n[order[1]], n[order[2]])`` from one for ``n``.

    Parameters
    ----------
    scheme : Scheme
        A ``gg`` scheme over any ring.
    order : sequence of int
        A permutation of ``(0, 1, 2)``: ``(1, 2, 0)`` is the cyclic rotation
        (:func:`rotate`), ``(2, 1, 0)`` the transposition (:func:`transpose`);
        the others are compositions of those.

    Returns
    -------
    Scheme
        Same ring and rank, exact when ``scheme`` is.

    Examples
    --------
    >>> from linalg_lab.schemes import naive_scheme
    >>> s = naive_scheme("gg", "2x3x4", "F2")
    >>> [permute(s, o).n for o in [(0, 2, 1), (1, 0, 2)]]
    [(2, 4, 3), (3, 2, 4)]
    """
    try:
        order = tuple(order)
    except TypeError:
        raise TypeError(f"order: expected a permutation of (0, 1, 2), got {order!r}") from None
    if any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in order):
        raise TypeError(f"order: expected a permutation of (0, 1, 2), got {order!r}")
    order = tuple(int(i) for i in order)
    if sorted(order) != [0, 1, 2]:
        raise ValueError(f"order: expected a permutation of (0, 1, 2), got {order!r}")
    _check_gg(scheme, "a permutation of the format")
    k, t = _moves_for(order)
    for _ in range(k):
        scheme = rotate(scheme)
    return transpose(scheme) if t else scheme
