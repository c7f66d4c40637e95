"""A slow, plain-Python reference of the flip-graph moves over F_p, on lists of integer terms."""

from __future__ import annotations

import numpy as np


def term_set(scheme, p):
    """Multiset of terms, each normalised so that the first nonzero of u and of v is 1 (mod p)."""
    out = []
    for sign, (u, v, w) in signed_terms(zip(*scheme.factors), p):
        out.append((tuple(u), tuple(v), tuple((sign * w) % p)))
    return sorted(out)


def _normal(x, p):
    """(sign, x normalised so that its first nonzero entry is 1) over F_p, p in {2, 3}."""
    x = np.asarray(x, dtype=np.int64) % p
    nz = np.flatnonzero(x)
    if len(nz) == 0 or x[nz[0]] == 1:
        return 1, x
    return -1, (-x) % p


def signed_terms(terms, p):
    """Each term as (sign, [u, v, w]) with all three factors normalised: the kernels' representation."""
    out = []
    for t in terms:
        sign, fs = 1, []
        for x in t:
            s, y = _normal(x, p)
            sign *= s
            fs.append(y)
        out.append((sign, fs))
    return out


def flip(terms, m, r, s, b, p):
    """Kauers-Moosbauer flip on terms r, s sharing position m (up to sign).

    In the signed representation (every factor normalised, one sign per
    term) the sign goes into position b: a (x) B_r (x) c_r + a (x) B_s (x) c_s =
    a (x) (B_r + B_s) (x) c_r + a (x) B_s (x) (c_s - c_r), with B = sign * b.
    """
    c = 3 - m - b
    st = signed_terms(terms, p)
    (sr, fr), (ss, fs) = st[r], st[s]
    assert np.array_equal(fr[m], fs[m])
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


def plus(terms, r1, r2, rot, p):
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


def reduce_all(terms, p):
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
