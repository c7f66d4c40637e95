"""Meta moves: maps between schemes of different formats (Perminov's meta flip graph).

Each map takes ``gg`` schemes and returns a ``gg`` scheme of another format,
exact over the same ring, with a rank rule:

- :func:`project` (``n -> n - 1`` in one dimension): delete one index of A, B
  or C; terms that vanish are dropped and equal terms merged (:func:`reduce`):
  rank <= R.
- :func:`extend` (``n -> n + 1``): add one index with its naive products:
  rank R + (product of the two other sizes).
- :func:`product` (Kronecker product of two schemes): format
  ``(a1 b1, a2 b2, a3 b3)``, rank ``R_a R_b``.
- :func:`merge` (two schemes that agree in two dimensions, side by side along
  the third): rank ``R_1 + R_2``; :func:`double` is a scheme merged with itself.
- the six orderings of a format: :func:`~linalg_lab.schemes.transforms.permute`.

The maps work over F2, F3, Z_T, Z and Q. Over Z_T every one of them keeps the
coefficients in {-1, 0, 1} (a merge that would create +-2 is not taken).

Index conventions are those of the output convention (the Conventions page of the documentation):
``u`` indexes A's entries ``(i, j)`` as ``i n2 + j``, ``v`` B's ``(j, k)`` as
``j n3 + k``, ``w`` C's ``(i, k)`` as ``i n3 + k``.

Examples
--------
>>> from linalg_lab.schemes import strassen_scheme, naive_scheme
>>> s = product(strassen_scheme("ZT"), strassen_scheme("ZT"))
>>> s.n, s.rank, bool(s.verify())
((4, 4, 4), 49, True)
>>> t = project(naive_scheme("gg", "3x3x3", "F2"), axis=0, index=2)
>>> t.n, t.rank
((2, 3, 3), 18)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..fields.rings import Ring
from ..validation import check_choice, check_instance, check_int
from .identity import unit_normal
from .scheme import _INT64_SAFE, Scheme


def _check(scheme, name: str = "scheme") -> Scheme:
    check_instance(scheme, name, Scheme)
    if scheme.code != "gg":
        raise ValueError(f"{name}: meta moves are defined for general products (gg), got {scheme.code!r}")
    return scheme


def _exact_dtype(*schemes: Scheme):
    """int64 where the factors are, else object (Python ints, Fractions): the moves below stay exact."""
    wide = any(s.ring is Ring.Q or any(f.dtype == object for f in s.factors) for s in schemes)
    return object if wide else np.int64


def _bound(s: Scheme) -> int:
    return max((int(abs(x)) for f in s.factors for x in (f.max(initial=0), f.min(initial=0))), default=0)


def _blocks(s: Scheme, dt=None):
    """Factors as (R, n1, n2), (R, n2, n3), (R, n1, n3) arrays (object dtype over Q or for big integers)."""
    n1, n2, n3 = s.n
    dt = _exact_dtype(s) if dt is None else dt
    return (np.asarray(s.u, dtype=dt).reshape(-1, n1, n2), np.asarray(s.v, dtype=dt).reshape(-1, n2, n3),
            np.asarray(s.w, dtype=dt).reshape(-1, n1, n3))


def _make(ring, n, u, v, w) -> Scheme:
    r = u.shape[0]
    return Scheme("gg", tuple(int(x) for x in n), ring, u.reshape(r, -1), v.reshape(r, -1), w.reshape(r, -1))


# ----------------------------------------------------------------------------- reduction
def _merge_value(ring: Ring, a, b):
    """a + b in the ring's representation, or None when it leaves Z_T."""
    c = a + b
    if ring is Ring.F2:
        return c % 2
    if ring is Ring.F3:
        return ((c + 1) % 3) - 1
    if ring is Ring.ZT and np.abs(c.astype(np.int64)).max(initial=0) > 1:
        return None
    return c


def reduce(scheme: Scheme) -> Scheme:
    """Drop terms with a zero factor and merge terms that agree in two positions (up to units).

    Two terms ``(x, y, c1)`` and ``(x, y, c2)`` become ``(x, y, c1 + c2)``
    (with units moved between the factors first), for every choice of the
    position that differs, until no merge is left. Over Z_T a merge whose sum
    would leave {-1, 0, 1} is not taken.

    Examples
    --------
    >>> from linalg_lab.schemes import naive_scheme
    >>> s = naive_scheme("gg", "2x2x2", "Z")
    >>> w = s.w.copy()
    >>> w[0] += s.w[1]                    # term 0 split: (u0, v0, w0 + w1) + (u0, v0, -w1)
    >>> split = s.with_factors(np.vstack([s.u, s.u[:1]]), np.vstack([s.v, s.v[:1]]), np.vstack([w, -s.w[1:2]]))
    >>> split.rank, bool(split.verify()), reduce(split).rank, bool(reduce(split).verify())
    (9, True, 8, True)
    """
    _check(scheme)
    ring = scheme.ring
    facs = [np.array(a, dtype=_exact_dtype(scheme)) for a in scheme.factors]
    changed = True
    while changed:
        changed = False
        keep = np.array([all(np.any(f[r] != 0) for f in facs) for r in range(len(facs[0]))], dtype=bool)
        facs = [f[keep] for f in facs]
        for m in range(3):                     # the position whose factors are summed
            a, b = [q for q in range(3) if q != m]
            ua, na = unit_normal(facs[a], ring)
            ub, nb = unit_normal(facs[b], ring)
            seen: dict[bytes, int] = {}
            for r in range(len(facs[0])):
                key = repr((na[r].tolist(), nb[r].tolist())).encode()
                if key not in seen:
                    seen[key] = r
                    continue
                t = seen[key]
                # term r = ua ub (na, nb, c_r): fold its units into c before adding
                cr = facs[m][r] * (ua[r] * ub[r]) * _inv(ua[t] * ub[t], ring)
                merged = _merge_value(ring, facs[m][t], cr)
                if merged is None:
                    continue
                facs[m][t] = merged
                facs[m][r] = 0
                changed = True
            if changed:
                break
    return scheme.with_factors(*facs)


def _inv(unit, ring: Ring):
    if ring is Ring.Q:
        return 1 / Fraction(unit)
    return unit        # +-1 over F3, Z_T and Z (and 1 over F2): its own inverse


# ----------------------------------------------------------------------------- project / extend
_AXES = {0: "i (rows of A and C)", 1: "j (columns of A, rows of B)", 2: "k (columns of B and C)"}


def project(scheme: Scheme, axis: int, index: int) -> Scheme:
    """Delete index ``index`` of dimension ``axis`` (0: i, 1: j, 2: k): a scheme for n - 1 there.

    Setting row ``index`` of A (axis 0) to zero leaves the other entries of C
    exact, so the scheme restricted to the remaining indices is a scheme of
    the smaller format; terms that vanish are dropped, then :func:`reduce`.
    """
    _check(scheme)
    axis = check_choice(axis, "axis", (0, 1, 2))
    n = list(scheme.n)
    index = check_int(index, "index", minimum=0, maximum=n[axis] - 1)
    if n[axis] < 2:
        raise ValueError(f"axis: dimension {axis} has size 1; projecting it would leave an empty format")
    u, v, w = _blocks(scheme)
    keep = [x for x in range(n[axis]) if x != index]
    if axis == 0:
        u, w = u[:, keep, :], w[:, keep, :]
    elif axis == 1:
        u, v = u[:, :, keep], v[:, keep, :]
    else:
        v, w = v[:, :, keep], w[:, :, keep]
    n[axis] -= 1
    return reduce(_make(scheme.ring, n, u, v, w))


def extend(scheme: Scheme, axis: int) -> Scheme:
    """Add one index to dimension ``axis`` with its naive products: rank R + (product of the other two sizes)."""
    _check(scheme)
    axis = check_choice(axis, "axis", (0, 1, 2))
    n1, n2, n3 = scheme.n
    big = [n1, n2, n3]
    big[axis] += 1
    u, v, w = _blocks(scheme)
    dt = u.dtype
    U = np.zeros((scheme.rank, big[0], big[1]), dt)
    V = np.zeros((scheme.rank, big[1], big[2]), dt)
    W = np.zeros((scheme.rank, big[0], big[2]), dt)
    U[:, :n1, :n2], V[:, :n2, :n3], W[:, :n1, :n3] = u, v, w
    # the new products: every (i, j, k) that involves the new index
    new = [(i, j, k) for i in range(big[0]) for j in range(big[1]) for k in range(big[2])
           if (i, j, k)[axis] == big[axis] - 1]
    nu = np.zeros((len(new), big[0], big[1]), dt)
    nv = np.zeros((len(new), big[1], big[2]), dt)
    nw = np.zeros((len(new), big[0], big[2]), dt)
    for t, (i, j, k) in enumerate(new):
        nu[t, i, j] = nv[t, j, k] = nw[t, i, k] = 1
    return _make(scheme.ring, big, np.concatenate([U, nu]), np.concatenate([V, nv]), np.concatenate([W, nw]))


# ----------------------------------------------------------------------------- product / merge
def product(a: Scheme, b: Scheme) -> Scheme:
    """The Kronecker product: a scheme for ``(a1 b1, a2 b2, a3 b3)`` of rank ``R_a R_b``.

    A matrix of the big format is read as an ``a1 x a2`` block matrix of
    ``b1 x b2`` blocks (row ``i1 b1 + i2``); term ``(r, s)`` is
    ``(U_r (x) U'_s, V_r (x) V'_s, W_r (x) W'_s)``.
    """
    _check(a, "a")
    _check(b, "b")
    if a.ring is not b.ring:
        raise ValueError(f"b: the schemes must share their ring, got {a.ring} and {b.ring}")
    # each entry of the product is one product of two entries: int64 only while that cannot overflow
    dt = _exact_dtype(a, b)
    if dt is not object and _bound(a) * _bound(b) >= _INT64_SAFE:
        dt = object
    ua, va, wa = _blocks(a, dt)
    ub, vb, wb = _blocks(b, dt)
    n = [x * y for x, y in zip(a.n, b.n)]

    def kron(x, y):
        r1, p, q = x.shape
        r2, s, t = y.shape
        out = np.einsum("rpq,sxy->rspxqy", x, y)
        return out.reshape(r1 * r2, p * s, q * t)

    u, v, w = kron(ua, ub), kron(va, vb), kron(wa, wb)
    if a.ring is Ring.F3:
        u, v, w = (((m + 1) % 3) - 1 for m in (u, v, w))
    return _make(a.ring, n, u, v, w)


def merge(a: Scheme, b: Scheme, axis: int) -> Scheme:
    """Two schemes side by side along dimension ``axis``; they must agree in the other two.

    Axis 0: ``A = [A_a; A_b]``, ``C = [C_a; C_b]`` (B shared); axis 1:
    ``A = [A_a A_b]``, ``B = [B_a; B_b]``, ``C = A_a B_a + A_b B_b``; axis 2:
    ``B = [B_a B_b]``, ``C = [C_a C_b]``. Rank ``R_a + R_b``.
    """
    _check(a, "a")
    _check(b, "b")
    axis = check_choice(axis, "axis", (0, 1, 2))
    if a.ring is not b.ring:
        raise ValueError(f"b: the schemes must share their ring, got {a.ring} and {b.ring}")
    if [x for q, x in enumerate(a.n) if q != axis] != [x for q, x in enumerate(b.n) if q != axis]:
        raise ValueError(f"b: formats {a.tc.label()} and {b.tc.label()} must agree outside dimension {axis}")
    n = list(a.n)
    n[axis] = a.n[axis] + b.n[axis]
    off = a.n[axis]
    dt = _exact_dtype(a, b)
    parts = []
    for s, shift in ((a, 0), (b, off)):
        u, v, w = _blocks(s, dt)
        R = s.rank
        U = np.zeros((R, n[0], n[1]), u.dtype)
        V = np.zeros((R, n[1], n[2]), u.dtype)
        W = np.zeros((R, n[0], n[2]), u.dtype)
        s1, s2, s3 = s.n
        i0, j0, k0 = [(shift if q == axis else 0) for q in range(3)]
        U[:, i0:i0 + s1, j0:j0 + s2] = u
        V[:, j0:j0 + s2, k0:k0 + s3] = v
        W[:, i0:i0 + s1, k0:k0 + s3] = w
        parts.append((U, V, W))
    return _make(a.ring, n, *(np.concatenate([p[m] for p in parts]) for m in range(3)))


def double(scheme: Scheme, axis: int) -> Scheme:
    """The format doubled in one dimension by two copies of the scheme (rank 2R)."""
    return merge(scheme, scheme, axis)


def naive_extension(scheme: Scheme, n) -> Scheme:
    """Extend ``scheme`` one index at a time up to the format ``n`` (each dimension at least as large)."""
    _check(scheme)
    target = tuple(int(x) for x in n)
    if len(target) != 3 or any(t < c for t, c in zip(target, scheme.n)):
        raise ValueError(f"n: expected a format at least {scheme.tc.n} in every dimension, got {n!r}")
    s = scheme
    for axis in range(3):
        while s.n[axis] < target[axis]:
            s = extend(s, axis)
    return s


__all__ = ["double", "extend", "merge", "naive_extension", "product", "project", "reduce"]
