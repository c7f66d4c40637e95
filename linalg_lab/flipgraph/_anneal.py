"""Numba kernel of the naive-count annealer: flips and elementary sandwiches at constant rank, dense factors.

The walk of :func:`linalg_lab.flipgraph.optimize.anneal_additions`. A scheme
is held as three dense ``int8`` factor matrices (R x nU, R x nV, R x nW,
``gg`` layouts ``U[r, i*n2+j]``, ``V[r, j*n3+k]``, ``W[r, i*n3+k]``) and its
cost is the number of nonzero coefficients (Perminov's naive count plus the
constant ``2R + outputs``). A step proposes one move, computes its change of
cost without building anything, and accepts it by the Metropolis rule at
temperature ``temp`` (moves that do not raise the cost are always taken):

- a flip (Kauers and Moosbauer, "Flip graphs for matrix multiplication",
  arXiv 2212.01175): terms r and s with ``x_s = sigma x_r`` at one position
  become ``x (x) (y_r + l sigma y_s) (x) z_r`` and ``x_s (x) y_s (x) (z_s - l z_r)``,
  ``l`` in {+1, -1}; a flip that would leave {-1, 0, 1} over Z_T, or zero a
  term (a reduction: the rank is kept here), is refused;
- an elementary sandwich ``I + s E_ij`` on one of the three index spaces
  (the isotropy ``A -> P A Q^-1``, ``B -> Q B R^-1``), whose inverse
  ``I - s E_ij`` is ternary too.

Rings: 0 Z_T (entries must stay in {-1, 0, 1}), 2 F2, 3 F3 (entries reduced).
"""

from __future__ import annotations

import numpy as np
from numba import njit

RING_ZT, RING_F2, RING_F3 = 0, 2, 3


@njit(cache=True)
def _red(x, ring):
    if ring == RING_F2:
        return x & 1 if x >= 0 else (-x) & 1
    if ring == RING_F3:
        y = x % 3
        return y - 3 if y == 2 else y
    return x


@njit(cache=True)
def _nnz(a):
    c = 0
    for r in range(a.shape[0]):
        for j in range(a.shape[1]):
            if a[r, j] != 0:
                c += 1
    return c


@njit(cache=True)
def _copy(src, dst):
    for r in range(src.shape[0]):
        for j in range(src.shape[1]):
            dst[r, j] = src[r, j]


@njit(cache=True)
def _sandwich_delta(F, rows, cols, q, tgt, src, sign, axis, ring, apply):
    """Change of nonzeros of ``F[:, tgt-slice] += sign * F[:, src-slice]`` (F read as R x rows x cols).

    ``axis`` 1: the slices are rows ``tgt``/``src`` of each term's matrix; 2: columns.
    Returns (delta, ok); with ``apply`` the change is made (only call with apply once ok).
    """
    R = F.shape[0]
    delta = 0
    n = cols if axis == 1 else rows
    for r in range(R):
        for t in range(n):
            if axis == 1:
                it, isrc = tgt * cols + t, src * cols + t
            else:
                it, isrc = t * cols + tgt, t * cols + src
            b = F[r, isrc]
            if b == 0:
                continue
            a = F[r, it]
            x = _red(a + sign * b, ring)
            if ring == RING_ZT and (x > 1 or x < -1):
                return 0, False
            if apply:
                F[r, it] = x
            delta += (1 if x != 0 else 0) - (1 if a != 0 else 0)
    return delta, True


@njit(cache=True)
def _row_nnz(X, r):
    c = 0
    for k in range(X.shape[1]):
        if X[r, k] != 0:
            c += 1
    return c


@njit(cache=True)
def _drop(U, V, W, r, rk):
    """Delete term r of the rk active ones (the last moves into its slot); returns rk - 1."""
    last = rk - 1
    if r != last:
        for X in (U, V, W):
            for k in range(X.shape[1]):
                X[r, k] = X[last, k]
    for X in (U, V, W):
        for k in range(X.shape[1]):
            X[last, k] = 0
    return last


@njit(cache=True)
def anneal_walk(U, V, W, rk, R, n1, n2, n3, ring, steps, temp, p_sandwich, p_plus, seed,
                bestU, bestV, bestW, best_cost):
    """Run ``steps`` proposals on the first ``rk`` terms of (U, V, W) in place.

    The arrays have room for more terms than ``R``: a plus transition (Arai,
    Ichikawa and Hukushima, "Adaptive flip graph algorithm", arXiv 2312.17960)
    ``a(x)b(x)c + a'(x)b'(x)c' = (a-a')(x)b(x)c + a'(x)(b-b')(x)c + a'(x)b'(x)(c+c')``
    adds a term (taken with probability ``p_plus`` per step while there is
    room), and a flip that zeroes a term removes it while the rank is above
    ``R``. The cheapest scheme met at rank ``R`` is kept in best* (R rows).

    Returns ``(rk, cost, best_cost, flips, sandwiches, plus, reductions)``;
    ``best_cost`` is the count of best* on entry.
    """
    np.random.seed(seed)
    cap = U.shape[0]
    mats = (U, V, W)
    cost = _nnz(U) + _nnz(V) + _nnz(W)
    if rk == R and cost < best_cost:
        best_cost = cost
        for X, B in ((U, bestU), (V, bestV), (W, bestW)):
            for r in range(R):
                for k in range(X.shape[1]):
                    B[r, k] = X[r, k]
    cand = np.empty(cap, np.int64)
    csign = np.empty(cap, np.int64)
    nflips = 0
    nsand = 0
    nplus = 0
    nred = 0
    dims = (n1, n2, n3)
    for _ in range(steps):
        u = np.random.random()
        if u < p_plus and rk < cap:
            # ---- plus transition on terms r, t: positions (p0, p1, p2) a random rotation/reflection
            r = np.random.randint(rk)
            t = np.random.randint(rk - 1)
            if t >= r:
                t += 1
            p0 = np.random.randint(3)
            if np.random.random() < 0.5:
                p1, p2 = (p0 + 1) % 3, (p0 + 2) % 3
            else:
                p1, p2 = (p0 + 2) % 3, (p0 + 1) % 3
            eps = 1 if (ring == RING_F2 or np.random.random() < 0.5) else -1
            A, B, C = mats[p0], mats[p1], mats[p2]
            ok = True
            za = True
            zb = True
            zc = True
            for k in range(A.shape[1]):
                x = _red(A[r, k] - eps * A[t, k], ring)
                if ring == RING_ZT and (x > 1 or x < -1):
                    ok = False
                    break
                if x != 0:
                    za = False
            if ok:
                for k in range(B.shape[1]):
                    x = _red(B[r, k] - eps * B[t, k], ring)
                    if ring == RING_ZT and (x > 1 or x < -1):
                        ok = False
                        break
                    if x != 0:
                        zb = False
            if ok:
                for k in range(C.shape[1]):
                    x = _red(C[r, k] + C[t, k], ring)
                    if ring == RING_ZT and (x > 1 or x < -1):
                        ok = False
                        break
                    if x != 0:
                        zc = False
            if not ok or za or zb or zc:
                continue
            # new term n: eps a' (x) (b - eps b') (x) c ; r: (a - eps a') (x) b (x) c ; t: a' (x) b' (x) (c + c')
            nw = rk
            before = _row_nnz(A, r) + _row_nnz(C, t)
            for k in range(A.shape[1]):
                A[nw, k] = _red(eps * A[t, k], ring)
            for k in range(B.shape[1]):
                B[nw, k] = _red(B[r, k] - eps * B[t, k], ring)
            for k in range(C.shape[1]):
                C[nw, k] = C[r, k]
            for k in range(A.shape[1]):
                A[r, k] = _red(A[r, k] - eps * A[t, k], ring)
            for k in range(C.shape[1]):
                C[t, k] = _red(C[t, k] + C[r, k], ring)
            rk += 1
            cost += _row_nnz(A, r) + _row_nnz(C, t) - before + _row_nnz(A, nw) + _row_nnz(B, nw) + _row_nnz(C, nw)
            nplus += 1
        elif u < p_plus + p_sandwich:
            # ---- elementary sandwich I + s E_ij on space q (the unused rows above rk are zero)
            q = np.random.randint(3)
            nq = dims[q]
            if nq < 2:
                continue
            i = np.random.randint(nq)
            j = np.random.randint(nq - 1)
            if j >= i:
                j += 1
            s = 1 if (ring == RING_F2 or np.random.random() < 0.5) else -1
            # space 0: U rows j += s U rows i ; W rows i -= s W rows j
            # space 1: U cols i -= s U cols j ; V rows j += s V rows i
            # space 2: V cols i -= s V cols j ; W cols j += s W cols i
            if q == 0:
                d1, ok1 = _sandwich_delta(U, n1, n2, q, j, i, s, 1, ring, False)
                d2, ok2 = _sandwich_delta(W, n1, n3, q, i, j, -s, 1, ring, False)
            elif q == 1:
                d1, ok1 = _sandwich_delta(U, n1, n2, q, i, j, -s, 2, ring, False)
                d2, ok2 = _sandwich_delta(V, n2, n3, q, j, i, s, 1, ring, False)
            else:
                d1, ok1 = _sandwich_delta(V, n2, n3, q, i, j, -s, 2, ring, False)
                d2, ok2 = _sandwich_delta(W, n1, n3, q, j, i, s, 2, ring, False)
            if not (ok1 and ok2):
                continue
            delta = d1 + d2
            if delta > 0 and (temp <= 0.0 or np.random.random() >= np.exp(-delta / temp)):
                continue
            if q == 0:
                _sandwich_delta(U, n1, n2, q, j, i, s, 1, ring, True)
                _sandwich_delta(W, n1, n3, q, i, j, -s, 1, ring, True)
            elif q == 1:
                _sandwich_delta(U, n1, n2, q, i, j, -s, 2, ring, True)
                _sandwich_delta(V, n2, n3, q, j, i, s, 1, ring, True)
            else:
                _sandwich_delta(V, n2, n3, q, i, j, -s, 2, ring, True)
                _sandwich_delta(W, n1, n3, q, j, i, s, 2, ring, True)
            cost += delta
            nsand += 1
        else:
            # ---- flip (a reduction when it zeroes a term and the rank is above R)
            r = np.random.randint(rk)
            m = np.random.randint(3)
            X = mats[m]
            L = X.shape[1]
            nc = 0
            for t in range(rk):
                if t == r:
                    continue
                sg = 0
                same = True
                for k in range(L):
                    a = X[r, k]
                    b = X[t, k]
                    if sg == 0:
                        if a != 0 or b != 0:
                            if a == 0 or b == 0:
                                same = False
                                break
                            sg = 1 if a == b else -1
                            if ring == RING_F2:
                                sg = 1
                    elif _red(b - sg * a, ring) != 0:
                        same = False
                        break
                if same and sg != 0:
                    cand[nc] = t
                    csign[nc] = sg
                    nc += 1
            if nc == 0:
                continue
            pick = np.random.randint(nc)
            s_ = cand[pick]
            sigma = csign[pick]          # x_s = sigma x_r
            if np.random.random() < 0.5:
                b_, c_ = (m + 1) % 3, (m + 2) % 3
            else:
                b_, c_ = (m + 2) % 3, (m + 1) % 3
            lam = 1 if (ring == RING_F2 or np.random.random() < 0.5) else -1
            Y = mats[b_]
            Z = mats[c_]
            # y_r += lam * sigma * y_s ; z_s -= lam * z_r
            delta = 0
            ok = True
            zero_y = True
            for k in range(Y.shape[1]):
                a = Y[r, k]
                x = _red(a + lam * sigma * Y[s_, k], ring)
                if ring == RING_ZT and (x > 1 or x < -1):
                    ok = False
                    break
                if x != 0:
                    zero_y = False
                delta += (1 if x != 0 else 0) - (1 if a != 0 else 0)
            if not ok:
                continue
            zero_z = True
            for k in range(Z.shape[1]):
                a = Z[s_, k]
                x = _red(a - lam * Z[r, k], ring)
                if ring == RING_ZT and (x > 1 or x < -1):
                    ok = False
                    break
                if x != 0:
                    zero_z = False
                delta += (1 if x != 0 else 0) - (1 if a != 0 else 0)
            if not ok or (zero_y and zero_z):
                continue
            if (zero_y or zero_z) and rk <= R:
                continue                  # a reduction below the rank asked for: not this walk's question
            if zero_y:
                delta -= _row_nnz(X, r) + _row_nnz(Z, r)     # term r disappears (its y row is already counted)
            if zero_z:
                delta -= _row_nnz(X, s_) + _row_nnz(Y, s_)
            if delta > 0 and not (zero_y or zero_z) and (temp <= 0.0 or np.random.random() >= np.exp(-delta / temp)):
                continue
            for k in range(Y.shape[1]):
                Y[r, k] = _red(Y[r, k] + lam * sigma * Y[s_, k], ring)
            for k in range(Z.shape[1]):
                Z[s_, k] = _red(Z[s_, k] - lam * Z[r, k], ring)
            cost += delta
            if zero_y:
                rk = _drop(U, V, W, r, rk)
                nred += 1
            elif zero_z:
                rk = _drop(U, V, W, s_, rk)
                nred += 1
            else:
                nflips += 1
        if rk == R and cost < best_cost:
            best_cost = cost
            for X, B in ((U, bestU), (V, bestV), (W, bestW)):
                for r in range(R):
                    for k in range(X.shape[1]):
                        B[r, k] = X[r, k]
    return rk, cost, best_cost, nflips, nsand, nplus, nred
