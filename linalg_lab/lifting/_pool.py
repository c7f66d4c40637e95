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
from ..schemes import Scheme


def reduce_mod(scheme: Scheme, ring) -> Scheme:
    """The reduction of an integer scheme (ZT or Z, or Q with denominators prime to p) to F2 or F3.

    Examples
    --------
    >>> from linalg_lab.tensors import strassen_scheme
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
    """Transform a ``gg`` scheme by ``(A, B, C) -> (P A Q^-1, Q B R^-1, P C R^-1)``.

    The new factors are ``U_r -> P^-T U_r Q^T``, ``V_r -> Q^-T V_r R^T`` and
    ``W_r -> P W_r R^-1`` (factors read as matrices); with integer matrices
    and integer inverses the result is exact over the same ring.
    """
    if scheme.code != "gg":
        raise ValueError(f"scheme: basis changes are implemented for code 'gg', got {scheme.code!r}")
    n1, n2, n3 = scheme.n
    rank = scheme.rank
    u = np.asarray(scheme.u, dtype=np.int64).reshape(rank, n1, n2)
    v = np.asarray(scheme.v, dtype=np.int64).reshape(rank, n2, n3)
    w = np.asarray(scheme.w, dtype=np.int64).reshape(rank, n1, n3)
    u2 = np.einsum("ia,rab,jb->rij", p_inv.T, u, q)
    v2 = np.einsum("ia,rab,jb->rij", q_inv.T, v, r)
    w2 = np.einsum("ia,rab,bj->rij", p, w, r_inv)
    ring = Ring.Z if scheme.ring is Ring.ZT else scheme.ring
    return scheme.with_factors(u2.reshape(rank, -1), v2.reshape(rank, -1), w2.reshape(rank, -1), ring=ring)


def random_gg_symmetry(scheme: Scheme, rng=None) -> Scheme:
    """:func:`gg_symmetry` with random unimodular P, Q, R."""
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
        if p == 3:
            keys = [_f3_key(row) for row in a]
        else:
            keys = [row.tobytes() for row in a]
        groups: dict = {}
        for t, k in enumerate(keys):
            groups.setdefault(k, []).append(t)
        cand = [ts for ts in groups.values() if len(ts) > 1]
        if not cand:
            continue
        ts = cand[int(g.integers(len(cand)))]
        r, s = (int(x) for x in g.choice(ts, size=2, replace=False))
        b, c = facs[(pos + 1) % 3], facs[(pos + 2) % 3]
        # make factor pos of s equal to that of r (over F3 they may differ by sign)
        sign = 1
        if p == 3 and not np.array_equal(a[r] % 3, a[s] % 3):
            sign = -1
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


def _f3_key(row: np.ndarray) -> bytes:
    r = row % 3
    nz = np.flatnonzero(r)
    if len(nz) and r[nz[0]] == 2:
        r = (-r) % 3
    return r.tobytes()


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
        key = _key(s)
        if key in seen:
            continue
        seen.add(key)
        out.append(s)
    return out


def _key(s: Scheme) -> bytes:
    rows = np.concatenate([np.asarray(a, dtype=np.int64) for a in s.factors], axis=1)
    order = np.lexsort(rows.T[::-1])
    return rows[order].tobytes()
