"""Inputs for lifting tests, benchmarks and notebooks: schemes scrambled by exact moves.

These helpers make *other* schemes of the same tensor and rank from one you
hold, without a search: random basis changes of a general product (valid over
Z when the matrices are unimodular), random flips (Kauers & Moosbauer) over
F2 or Z, and reduction modulo p. They are not a search (the rank never
changes); the flip-graph search lives in :mod:`linalg_lab.flipgraph`.
"""

from __future__ import annotations

import numpy as np

from ..fields.rings import Ring, as_ring
from ..schemes import Scheme, canonical_key, gl_action, unit_normal
from ..schemes.transforms import ring_matrix


def reduce_mod(scheme: Scheme, ring) -> Scheme:
    """The reduction of an integer scheme (ZT or Z, or Q with denominators prime to p) to F2 or F3.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> reduce_mod(strassen_scheme(), "F3").ring.value
    'F3'
    """
    ring = as_ring(ring)
    if not ring.is_finite_field:
        raise ValueError(f"ring: expected F2 or F3, got {ring}")
    p = ring.characteristic
    mats = []
    for a in scheme.factors:
        if a.dtype == object:
            out = np.zeros(a.shape, dtype=np.int64)
            for idx, x in np.ndenumerate(a):
                num, den = (x.numerator, x.denominator) if hasattr(x, "denominator") else (int(x), 1)
                if den % p == 0:
                    raise ValueError(f"scheme: entry {x} has a denominator divisible by {p}")
                out[idx] = (num * pow(den, -1, p)) % p
            mats.append(out)
        else:
            mats.append(np.asarray(a, dtype=np.int64) % p)
    return Scheme(scheme.code, scheme.n, ring, *mats)


def random_unimodular(n: int, rng=None, moves: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """A random integer matrix of determinant +-1 and its integer inverse (products of elementary moves)."""
    g = np.random.default_rng(rng)
    m = np.eye(n, dtype=np.int64)
    inv = np.eye(n, dtype=np.int64)
    for _ in range(moves if n > 1 else 0):
        i, j = g.choice(n, size=2, replace=False)
        c = int(g.choice([-1, 1]))
        e = np.eye(n, dtype=np.int64)
        e[i, j] = c
        ei = np.eye(n, dtype=np.int64)
        ei[i, j] = -c
        m = e @ m
        inv = inv @ ei
    perm = g.permutation(n)
    signs = g.choice([-1, 1], size=n)
    d = np.eye(n, dtype=np.int64)[perm] * signs[:, None]
    return d @ m, inv @ np.linalg.inv(d).round().astype(np.int64)


def gg_symmetry(scheme: Scheme, p, q, r, p_inv, q_inv, r_inv) -> Scheme:
    """Transform a ``gg`` scheme by ``(A, B, C) -> (P A Q^-1, Q B R^-1, P C R^-1)`` with ``(P, Q, R) = (p_inv, q_inv, r_inv)``.

    A thin alias of :func:`linalg_lab.schemes.gl_action` applied to the
    inverses: the new factors are ``U_r -> p^-T U_r q^T``,
    ``V_r -> q^-T V_r r^T`` and ``W_r -> p W_r r^-1`` (factors read as
    matrices). ``p_inv`` etc. must be the inverses of ``p`` etc. over the
    ring. A scheme over Z_T is acted on over Z (the result is a Z scheme).
    """
    if not isinstance(scheme, Scheme):
        raise TypeError(f"scheme: expected a Scheme, got {type(scheme).__name__}")
    if scheme.ring is Ring.ZT:
        scheme = scheme.with_factors(*scheme.factors, ring=Ring.Z)
    if scheme.code != "gg":
        raise ValueError(f"scheme: basis changes are implemented for code 'gg', got {scheme.code!r}")
    for name, m, m_inv, size in (("p", p, p_inv, scheme.n[0]), ("q", q, q_inv, scheme.n[1]), ("r", r, r_inv, scheme.n[2])):
        _, inv = ring_matrix(f"{name}_inv", m_inv, size, scheme.ring)
        mat, _ = ring_matrix(name, m, size, scheme.ring)
        if not np.array_equal(inv, mat):
            raise ValueError(f"{name}_inv: not the inverse of {name} over {scheme.ring}")
    return gl_action(scheme, p_inv, q_inv, r_inv)


def random_gg_symmetry(scheme: Scheme, rng=None) -> Scheme:
    """:func:`gg_symmetry` with random unimodular P, Q, R (a Z_T scheme is read over Z)."""
    g = np.random.default_rng(rng)
    n1, n2, n3 = scheme.n
    (p, pi), (q, qi), (r, ri) = (random_unimodular(k, g) for k in (n1, n2, n3))
    return gg_symmetry(scheme, p, q, r, pi, qi, ri)


def random_flips(scheme: Scheme, flips: int, rng=None) -> Scheme:
    """Apply random flips that keep the rank (over F2, F3, ZT or Z; exact over the ring).

    A flip takes two terms with an equal factor in one position, e.g.
    ``u (x) v_r (x) w_r + u (x) v_s (x) w_s = u (x) (v_r + v_s) (x) w_r + u (x) v_s (x) (w_s - w_r)``.
    Flips that would make a factor zero (a reduction) or leave Z_T are skipped.
    """
    g = np.random.default_rng(rng)
    ring = scheme.ring
    p = ring.characteristic
    facs = [np.array(a, dtype=np.int64) for a in scheme.factors]
    done = 0
    tries = 0
    while done < flips and tries < 50 * flips + 100:
        tries += 1
        pos = int(g.integers(3))
        a = facs[pos]
        units, normal = unit_normal(a, ring)     # factors equal up to a unit share one normal row
        groups: dict = {}
        for t, row in enumerate(normal):
            groups.setdefault(row.tobytes(), []).append(t)
        cand = [ts for ts in groups.values() if len(ts) > 1]
        if not cand:
            continue
        ts = cand[int(g.integers(len(cand)))]
        r, s = (int(x) for x in g.choice(ts, size=2, replace=False))
        b, c = facs[(pos + 1) % 3], facs[(pos + 2) % 3]
        # make factor pos of s equal to that of r (they may differ by a sign)
        sign = int(units[r] * units[s])
        nb = b[r] + sign * b[s]
        nc = c[s] - c[r]              # term s: a[s] (x) b[s] (x) c[s] = a[r] (x) (sign b[s]) (x) c[s]
        if p:
            nb %= p
            nc %= p
        if not nb.any() or not nc.any():
            continue
        if ring is Ring.ZT and (np.abs(nb).max() > 1 or np.abs(nc).max() > 1):
            continue
        b[r] = nb
        c[s] = nc
        done += 1
    if p == 3:
        facs = [((f + 1) % 3) - 1 for f in facs]
    return Scheme(scheme.code, scheme.n, ring, *facs)


def scrambled_pool(scheme: Scheme, count: int, ring="F2", flips: int = 200, rng=None) -> list[Scheme]:
    """Distinct schemes over F2/F3 made from ``scheme`` by flips (and basis changes for ``gg`` over Z).

    Parameters
    ----------
    scheme : Scheme
        A scheme over ZT, Z, F2 or F3.
    count : int
        Number of schemes wanted.
    ring : {"F2", "F3"}
        Ring of the output schemes.
    flips : int
        Flips made over the finite field for each scheme (after an exact
        basis change over Z when ``scheme`` is an integer ``gg`` scheme).
    """
    g = np.random.default_rng(rng)
    ring = as_ring(ring)
    seen = set()
    out = []
    for _ in range(20 * count):
        if len(out) == count:
            break
        s = scheme
        if not s.ring.is_finite_field:
            if s.code == "gg":
                s = random_gg_symmetry(s, g)
            s = reduce_mod(s, ring)
        elif s.ring is not ring:
            raise ValueError(f"ring: cannot move a scheme over {s.ring} to {ring}")
        s = random_flips(s, flips, g)
        key = canonical_key(s)
        if key in seen:
            continue
        seen.add(key)
        out.append(s)
    return out

