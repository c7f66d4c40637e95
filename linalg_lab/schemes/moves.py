"""The flip-graph moves in plain Python over F2 and F3: the slow reference the kernels are tested against.

Kauers and Moosbauer's moves on a scheme, each a map from one exact scheme to
another of the same tensor:

- :func:`flip`: two terms sharing a factor (up to sign) in position ``m``
  trade a summand in position ``b``; the rank stays, unless a factor becomes
  zero (then :func:`reduce` lowers it);
- :func:`reduce`: drop terms with a zero factor and merge two terms whose
  factors agree (up to sign) in two positions, until none is left;
- :func:`plus`: the plus transition, rank + 1, which leaves a plateau;
- :func:`split`: a term's factor a written as a' + (a - a'), a' another
  term's factor in the same position: rank + 1 (Perminov's ternary moves).

The term-level functions (:func:`flip_terms`, :func:`plus_terms`,
:func:`split_terms`, :func:`reduce_terms`) work on lists of ``(u, v, w)`` integer vectors, the
form the kernel tests compare move by move. The fast moves are the numba
kernels of :mod:`linalg_lab.flipgraph`.

References
----------
.. [1] M. Kauers and J. Moosbauer, "Flip graphs for matrix multiplication", ISSAC 2023.
.. [2] J. Arai, Y. Ichikawa and K. Hukushima, "Adaptive flip graph algorithm for
   matrix multiplication", ISSAC 2024 (the plus transition).
.. [3] A. I. Perminov, "Fast matrix multiplication via ternary meta flip
   graphs", 2025 (splits and sandwiches on the ternary flip graph).

Examples
--------
>>> from linalg_lab.schemes import canonical_key, naive_scheme
>>> s = naive_scheme("gg", "2x2x2", "F2")
>>> t = flip(s, 0, 0, 1, 2)            # terms 0 and 1 share u = a11
>>> bool(t.verify()), t.rank, canonical_key(t) != canonical_key(s)
(True, 8, True)
"""

from __future__ import annotations

import numpy as np

from ..fields.rings import Ring
from .scheme import Scheme


def _prime(scheme: Scheme) -> int:
    if not isinstance(scheme, Scheme):
        raise TypeError(f"scheme: expected a Scheme, got {type(scheme).__name__}")
    if scheme.ring not in (Ring.F2, Ring.F3):
        raise ValueError(f"scheme: the reference moves work over F2 and F3, got {scheme.ring}")
    return scheme.ring.characteristic


def _normal(x, p):
    """(sign, x normalised so that its first nonzero entry is 1) over F_p, p in {2, 3}."""
    x = np.asarray(x, dtype=np.int64) % p
    nz = np.flatnonzero(x)
    if len(nz) == 0 or x[nz[0]] == 1:
        return 1, x
    return -1, (-x) % p


def signed_terms(terms, p):
    """Each term as ``(sign, [u, v, w])`` with all three factors normalised: the kernels' representation."""
    out = []
    for t in terms:
        sign, fs = 1, []
        for x in t:
            s, y = _normal(x, p)
            sign *= s
            fs.append(y)
        out.append((sign, fs))
    return out


def term_set(scheme, p):
    """Sorted list of terms, each with the first nonzero of u and of v made 1 (mod p)."""
    out = []
    for sign, (u, v, w) in signed_terms(zip(*scheme.factors), p):
        out.append((tuple(u), tuple(v), tuple((sign * w) % p)))
    return sorted(out)


def terms_of(scheme: Scheme) -> list:
    """The terms of an F2 / F3 scheme as ``(u, v, w)`` tuples of int64 vectors mod p."""
    p = _prime(scheme)
    return [tuple(np.asarray(x, dtype=np.int64) % p for x in t) for t in zip(*scheme.factors)]


def from_terms(terms, like: Scheme) -> Scheme:
    """The scheme of ``like``'s tensor and ring holding ``terms``."""
    dims = like.dims
    u, v, w = (np.array([np.asarray(t[k], dtype=np.int64) for t in terms], dtype=np.int64).reshape(len(terms), dims[k])
               for k in range(3))
    return Scheme(like.code, like.n, like.ring, u, v, w)


def flip_terms(terms, m, r, s, b, p):
    """Kauers-Moosbauer flip on terms r, s sharing position m (up to sign).

    In the signed representation (every factor normalised, one sign per
    term) the sign goes into position b: a (x) B_r (x) c_r + a (x) B_s (x) c_s =
    a (x) (B_r + B_s) (x) c_r + a (x) B_s (x) (c_s - c_r), with B = sign * b.
    """
    c = 3 - m - b
    st = signed_terms(terms, p)
    (sr, fr), (ss, fs) = st[r], st[s]
    if not np.array_equal(fr[m], fs[m]):
        raise ValueError(f"r, s: terms {r} and {s} do not share factor {m} (up to sign)")
    br, bs = (sr * fr[b]) % p, (ss * fs[b]) % p
    new_r = list(fr)
    new_r[b] = (br + bs) % p
    new_s = list(fs)
    new_s[b] = bs
    new_s[c] = (fs[c] - fr[c]) % p
    out = list(terms)
    out[r] = tuple(new_r)
    out[s] = tuple(new_s)
    return out


def plus_terms(terms, r1, r2, rot, p):
    """Plus transition on r1, r2 with the roles (u, v, w) rotated by rot: rank + 1.

    (u1, v1, W1) + (u2, v2, W2) = (u1 + u2, v1, W1) + (u2, v2, W2 - W1) + (u2, v2 - v1, W1),
    u, v normalised and W = sign * w.
    """
    mu, mv, mw = rot, (rot + 1) % 3, (rot + 2) % 3
    st = signed_terms(terms, p)
    (s1, a), (s2, b) = st[r1], st[r2]
    a = list(a)
    b = list(b)
    a[mw] = (s1 * a[mw]) % p
    b[mw] = (s2 * b[mw]) % p
    t1 = [None] * 3
    t2 = [None] * 3
    t3 = [None] * 3
    t1[mu], t1[mv], t1[mw] = (a[mu] + b[mu]) % p, a[mv], a[mw]
    t2[mu], t2[mv], t2[mw] = b[mu], b[mv], (b[mw] - a[mw]) % p
    t3[mu], t3[mv], t3[mw] = b[mu], (b[mv] - a[mv]) % p, a[mw]
    out = [x for i, x in enumerate(terms) if i not in (r1, r2)]
    return out + [tuple(t1), tuple(t2), tuple(t3)]


def split_terms(terms, r, m, s, p):
    """Split term r by term s's factor a' in position m: (a, b, c) = (a', b, c) + (a - a', b, c), rank + 1.

    a' is taken normalised (first nonzero entry 1), as the kernels store it;
    the first half replaces term r and the second is appended.
    """
    st = signed_terms(terms, p)
    (sr, fr), (_, fs) = st[r], st[s]
    if np.array_equal(fr[m], fs[m]) or not fs[m].any():
        raise ValueError(f"s: term {s}'s factor {m} is zero or equal to term {r}'s; the split would be trivial")
    first, second = list(fr), list(fr)
    first[m] = fs[m]
    second[m] = (fr[m] - fs[m]) % p
    k = (m + 1) % 3                      # the sign of term r goes into another position
    first[k] = (sr * first[k]) % p
    second[k] = (sr * second[k]) % p
    out = list(terms)
    out[r] = tuple(first)
    return out + [tuple(second)]


def reduce_terms(terms, p):
    """Drop terms with a zero factor and merge terms equal (up to sign) in two positions, until none is left."""
    terms = [tuple(np.array(x) % p for x in t) for t in terms]
    changed = True
    while changed:
        changed = False
        terms = [t for t in terms if all(np.any(x) for x in t)]
        st = signed_terms(terms, p)
        for i in range(len(terms)):
            for j in range(i + 1, len(terms)):
                (si, fi), (sj, fj) = st[i], st[j]
                for m3 in range(3):
                    q = [k for k in range(3) if k != m3]
                    if all(np.array_equal(fi[k], fj[k]) for k in q):
                        new = list(fi)
                        new[m3] = (si * fi[m3] + sj * fj[m3]) % p
                        terms = [t for k, t in enumerate(terms) if k not in (i, j)] + [tuple(new)]
                        changed = True
                        break
                if changed:
                    break
            if changed:
                break
    return terms


def _check_term(name: str, r, rank: int) -> int:
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {type(r).__name__}")
    if not 0 <= r < rank:
        raise ValueError(f"{name}: expected a term index in [0, {rank}), got {r}")
    return int(r)


def _check_position(name: str, m) -> int:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)):
        raise TypeError(f"{name}: expected 0, 1 or 2, got {type(m).__name__}")
    if m not in (0, 1, 2):
        raise ValueError(f"{name}: expected 0, 1 or 2 (u, v, w), got {m}")
    return int(m)


def flip(scheme: Scheme, m: int, r: int, s: int, b: int) -> Scheme:
    """The flip of terms ``r`` and ``s`` sharing factor ``m``, changing their factors ``b`` and the third.

    Parameters
    ----------
    scheme : Scheme
        Over F2 or F3.
    m : {0, 1, 2}
        The shared position (u, v, w); the two factors must agree up to sign.
    r, s : int
        Two distinct term indices.
    b : {0, 1, 2}
        The position that receives ``r``'s summand, ``b != m``.

    Returns
    -------
    Scheme
        The same rank and tensor; not reduced (a factor may have become zero:
        apply :func:`reduce`).

    Examples
    --------
    >>> from linalg_lab.schemes import naive_scheme
    >>> s = naive_scheme("gg", "2x2x2", "F3")
    >>> bool(flip(s, 0, 0, 1, 1).verify())
    True
    """
    p = _prime(scheme)
    m, b = _check_position("m", m), _check_position("b", b)
    if b == m:
        raise ValueError(f"b: must differ from the shared position m = {m}")
    r, s = _check_term("r", r, scheme.rank), _check_term("s", s, scheme.rank)
    if r == s:
        raise ValueError(f"s: must differ from r = {r}")
    return from_terms(flip_terms(terms_of(scheme), m, r, s, b, p), scheme)


def reduce(scheme: Scheme) -> Scheme:
    """The scheme with zero terms dropped and mergeable terms merged (the rank can only fall).

    Examples
    --------
    >>> from linalg_lab.schemes import naive_scheme
    >>> s = naive_scheme("gg", "2x2x2", "F2")
    >>> doubled = s.with_factors(s.u[[0, 0, 0]], s.v[[0, 0, 0]], s.w[[0, 0, 0]])   # 3 x the same term
    >>> reduce(doubled).rank
    1
    """
    p = _prime(scheme)
    return from_terms(reduce_terms(terms_of(scheme), p), scheme)


def plus(scheme: Scheme, r1: int, r2: int, rot: int = 0) -> Scheme:
    """The plus transition on terms ``r1``, ``r2``: an exact scheme of rank + 1.

    Parameters
    ----------
    scheme : Scheme
        Over F2 or F3.
    r1, r2 : int
        Two distinct term indices.
    rot : {0, 1, 2}
        Rotation of the roles (u, v, w) in the identity
        ``(u1, v1, W1) + (u2, v2, W2) = (u1 + u2, v1, W1) + (u2, v2, W2 - W1) + (u2, v2 - v1, W1)``.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> t = plus(strassen_scheme("F2"), 0, 1)
    >>> t.rank, bool(t.verify())
    (8, True)
    """
    p = _prime(scheme)
    r1, r2 = _check_term("r1", r1, scheme.rank), _check_term("r2", r2, scheme.rank)
    if r1 == r2:
        raise ValueError(f"r2: must differ from r1 = {r1}")
    rot = _check_position("rot", rot)
    return from_terms(plus_terms(terms_of(scheme), r1, r2, rot, p), scheme)


def split(scheme: Scheme, r: int, m: int, s: int) -> Scheme:
    """Split term ``r`` by term ``s``'s factor in position ``m``: an exact scheme of rank + 1.

    Examples
    --------
    >>> from linalg_lab.schemes import naive_scheme
    >>> t = split(naive_scheme("gg", "2x2x2", "F3"), 0, 1, 1)
    >>> t.rank, bool(t.verify())
    (9, True)
    """
    p = _prime(scheme)
    r, s = _check_term("r", r, scheme.rank), _check_term("s", s, scheme.rank)
    if r == s:
        raise ValueError(f"s: must differ from r = {r}")
    m = _check_position("m", m)
    return from_terms(split_terms(terms_of(scheme), r, m, s, p), scheme)
