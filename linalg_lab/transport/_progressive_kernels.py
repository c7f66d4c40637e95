"""Numba kernels of the progressive partial OT scaling loop (P^2OT, SeLa, UOT pseudo-labels).

The augmented plan is ``Q_ij = exp((f_i + g_j - C_ij) / eps)`` on ``K`` real
columns plus, optionally, one virtual column ``xi_i = exp((f_i + gv - cv_i) / eps)``.
One iteration is the alternating maximisation of the dual:

* rows (equalities): ``f_i = eps log r_i - eps log(sum_j exp((g_j - C_ij)/eps) + exp((gv - cv_i)/eps))``;
* real columns (KL penalty of weight ``lam`` towards ``beta_j``, exponent
  ``p = lam / (lam + eps)``; ``p = 1`` is an equality, ``p = 0`` no constraint):
  ``g_j = p (eps log beta_j - eps log sum_i exp((f_i - C_ij)/eps))``;
* virtual column (equality): ``gv = eps log beta_v - eps log sum_i exp((f_i - cv_i)/eps)``.

Log-domain stability at O(NK) multiply-adds per iteration (Schmitzer's
absorption, "Stabilized sparse scaling algorithms for entropy regularized
transport problems", SIAM J. Sci. Comput. 2019): a kernel
``Kt_ij = exp((f0_i + g0_j - C_ij) / eps)`` is stored for potentials absorbed
at an earlier iteration and the loop works with the scalings
``u = exp((f - f0)/eps)``, ``v = exp((g - g0)/eps)``; when a scaling leaves
``[e^-TAU, e^TAU]`` the potentials are absorbed (one pass of ``exp``). A row or
column sum below ``SMALL`` (its significant terms underflowed in ``Kt``) is
recomputed by an exact log-sum-exp, and that row or column of ``Kt`` rebuilt.
The row pass also accumulates the column sums, so one iteration reads ``Kt``
once (each row is used twice while it is in cache).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TAU = 100.0
SMALL = 1e-200
_fm = {"reassoc", "contract", "arcp", "nsz"}  # vectorisable sums; NaN/inf semantics kept


@njit(cache=True, nogil=True)
def rebuild(C, cv, f, g, gv, eps, virtual, Kt, kv):
    """``Kt = exp((f_i + g_j - C_ij)/eps)``, ``kv = exp((f_i + gv - cv_i)/eps)`` (in place)."""
    n, k = C.shape
    inv = 1.0 / eps
    for i in range(n):
        for j in range(k):
            Kt[i, j] = math.exp((f[i] + g[j] - C[i, j]) * inv)
        kv[i] = math.exp((f[i] + gv - cv[i]) * inv) if virtual else 0.0


@njit(cache=True, nogil=True)
def _row_potential(C, cv, i, g, gv, r_i, eps, virtual):
    """Exact ``f_i`` of the row update (log-sum-exp over the real and virtual columns)."""
    k = C.shape[1]
    inv = 1.0 / eps
    mx = -np.inf
    for j in range(k):
        x = (g[j] - C[i, j]) * inv
        if x > mx:
            mx = x
    if virtual:
        x = (gv - cv[i]) * inv
        if x > mx:
            mx = x
    s = 0.0
    for j in range(k):
        s += math.exp((g[j] - C[i, j]) * inv - mx)
    if virtual:
        s += math.exp((gv - cv[i]) * inv - mx)
    return eps * (math.log(r_i) - mx - math.log(s))


@njit(cache=True, nogil=True)
def _col_lse(C, j, F, eps):
    """``log sum_i exp((F_i - C_ij)/eps)`` exactly (``F`` the full row potentials)."""
    n = C.shape[0]
    inv = 1.0 / eps
    mx = -np.inf
    for i in range(n):
        x = (F[i] - C[i, j]) * inv
        if x > mx:
            mx = x
    if mx == -np.inf:
        return mx
    s = 0.0
    for i in range(n):
        s += math.exp((F[i] - C[i, j]) * inv - mx)
    return mx + math.log(s)


@njit(cache=True, nogil=True, fastmath=_fm)
def _row_pass(Kt, kv, u, v, vv, r, s, virtual):
    """Fused row update and column sums; returns the virtual column's sum and the first
    row whose kernel sum fell below ``SMALL * r_i`` (-1 if none; the pass stops there)."""
    n, k = Kt.shape
    for j in range(k):
        s[j] = 0.0
    sv = 0.0
    for i in range(n):
        t = 0.0
        for j in range(k):
            t += Kt[i, j] * v[j]
        if virtual:
            t += kv[i] * vv
        if not (t > SMALL * r[i]):
            return sv, i
        ui = r[i] / t
        u[i] = ui
        for j in range(k):
            s[j] += Kt[i, j] * ui
        if virtual:
            sv += kv[i] * ui
    return sv, -1


@njit(cache=True, nogil=True)
def _absorb(f, g, u, v, eps):
    for i in range(f.shape[0]):
        f[i] += eps * math.log(u[i])
        u[i] = 1.0
    for j in range(g.shape[0]):
        g[j] += eps * math.log(v[j])
        v[j] = 1.0


@njit(cache=True, nogil=True)
def scaling_loop(C, cv, r, beta, beta_v, p, eps, virtual, max_iter, tol, f, g, gv_in, Kt, kv, u, v, depth):
    """Run the stabilised scaling loop; ``f``, ``g``, ``Kt``, ``kv``, ``u``, ``v`` are updated in place.

    On entry ``Kt``/``kv`` must hold the kernel of ``(f, g, gv_in)`` and ``u = v = 1``.
    Stops when the l1 change of the column sums that the next column update would
    make is ``<= tol`` (the rows are exact then), or after ``max_iter`` iterations.
    The plan on exit is ``u_i Kt_ij v_j`` (real) and ``u_i kv_i vv`` (virtual); the
    full potentials are ``f + eps log u``, ``g + eps log v`` and ``gv + eps log vv``.

    With absorbed column potentials ``g`` the KL column update in scaling form is
    ``v_j = (beta_j / s_j)^p exp(-(1 - p) g_j / eps)``, ``s_j = sum_i u_i Kt_ij``.

    ``depth > 0``: Anderson acceleration (type II, ``depth`` differences) of the
    fixed-point map ``log v -> log v_new`` on the K (+1 virtual) column
    log-scalings; the rows stay exact after every pass, so any mixed point is
    a valid iterate and the stopping test is unchanged. The history is reset
    when the column error more than doubles, and a mixed step that moves a
    log-scaling 30 further than the plain step is replaced by the plain step;
    when the error has not reached a new low for ``20 depth + 100`` iterations the
    loop falls back to plain scaling (which decreases the dual monotonically).
    Differences of log-scalings are invariant under absorption, so the
    history survives it (the last point is re-referenced).

    Returns ``(gv, vv, n_iter, err)``.
    """
    n, k = C.shape
    s = np.zeros(k)
    damp = np.empty(k)
    for j in range(k):
        damp[j] = math.exp(-(1.0 - p) * g[j] / eps)
    gv = gv_in
    vv = 1.0
    err = np.inf
    it = 0
    F = np.empty(n)
    lo = math.exp(-TAU)
    hi = math.exp(TAU)
    k1 = k + 1 if virtual else k
    xs = np.zeros(k1)
    ts = np.zeros(k1)
    xn = np.zeros(k1)
    res = np.zeros(k1)
    x_prev = np.zeros(k1)
    r_prev = np.zeros(k1)
    mdep = max(depth, 1)
    dX = np.zeros((mdep, k1))
    dR = np.zeros((mdep, k1))
    count = 0
    slot = 0
    have_prev = False
    err_prev = np.inf
    best = np.inf
    stall = 0
    accel = depth > 0
    while it < max_iter:
        it += 1
        # ---- rows (exact), fused with the column sums
        retries = 0
        while True:
            sv, bad = _row_pass(Kt, kv, u, v, vv, r, s, virtual)
            if bad < 0:
                break
            # the row's kernel sum underflowed: absorb, recompute that row exactly, rebuild
            for j in range(k):
                x_prev[j] -= math.log(v[j])
            if virtual:
                x_prev[k] -= math.log(vv)
            _absorb(f, g, u, v, eps)
            if virtual:
                gv += eps * math.log(vv)
                vv = 1.0
            f[bad] = _row_potential(C, cv, bad, g, gv, r[bad], eps, virtual)
            rebuild(C, cv, f, g, gv, eps, virtual, Kt, kv)
            for j in range(k):
                damp[j] = math.exp(-(1.0 - p) * g[j] / eps)
            retries += 1
            if retries > n + 1:  # pragma: no cover - every row is repaired at most once a pass
                break
        # ---- columns: the change of the column sums the update would make
        err = 0.0
        exact = False
        if p > 0.0:
            for j in range(k):
                if s[j] > SMALL:
                    err += s[j] * abs(v[j] - (beta[j] / s[j]) ** p * damp[j])
                else:
                    exact = True
        if virtual:
            if sv > SMALL:
                err += abs(sv * vv - beta_v)
            else:
                exact = True
        if exact:
            err = np.inf
        if err <= tol:
            break
        if exact:
            # some column sum underflowed: absorb, update every column in log domain, rebuild
            have_prev = False
            count = 0
            for i in range(n):
                f[i] += eps * math.log(u[i])
                u[i] = 1.0
                F[i] = f[i]
            if p > 0.0:
                for j in range(k):
                    if s[j] > SMALL:
                        g[j] = p * (eps * math.log(beta[j] / s[j]) + g[j])
                    else:
                        g[j] = p * (eps * math.log(beta[j]) - eps * _col_lse(C, j, F, eps))
                    v[j] = 1.0
            else:
                for j in range(k):
                    g[j] += eps * math.log(v[j])
                    v[j] = 1.0
            if virtual:
                mx = -np.inf
                for i in range(n):
                    x = (F[i] - cv[i]) / eps
                    if x > mx:
                        mx = x
                acc = 0.0
                for i in range(n):
                    acc += math.exp((F[i] - cv[i]) / eps - mx)
                gv = eps * (math.log(beta_v) - mx - math.log(acc))
                vv = 1.0
            rebuild(C, cv, f, g, gv, eps, virtual, Kt, kv)
            for j in range(k):
                damp[j] = math.exp(-(1.0 - p) * g[j] / eps)
            continue
        # ---- the plain column update (in log-scalings), possibly Anderson-mixed
        for j in range(k):
            xs[j] = math.log(v[j])
            ts[j] = p * math.log(beta[j] / s[j]) + math.log(damp[j]) if p > 0.0 else xs[j]
        if virtual:
            xs[k] = math.log(vv)
            ts[k] = math.log(beta_v / sv)
        for j in range(k1):
            res[j] = ts[j] - xs[j]
            xn[j] = ts[j]
        if accel:
            if err < best * (1.0 - 1e-3):
                best = err
                stall = 0
            else:
                stall += 1
                if stall > 20 * depth + 100:  # no progress: plain scaling for the rest of the solve
                    accel = False
        if accel:
            if have_prev and err <= 2.0 * err_prev:
                for j in range(k1):
                    dX[slot, j] = xs[j] - x_prev[j]
                    dR[slot, j] = res[j] - r_prev[j]
                slot = (slot + 1) % depth
                count = min(count + 1, depth)
            else:
                count = 0
                slot = 0
            if count > 0:
                M = np.zeros((count, count))
                rhs = np.zeros(count)
                for a1 in range(count):
                    for a2 in range(a1, count):
                        acc = 0.0
                        for j in range(k1):
                            acc += dR[a1, j] * dR[a2, j]
                        M[a1, a2] = acc
                        M[a2, a1] = acc
                    acc = 0.0
                    for j in range(k1):
                        acc += dR[a1, j] * res[j]
                    rhs[a1] = acc
                tr = 0.0
                for a1 in range(count):
                    tr += M[a1, a1]
                for a1 in range(count):
                    M[a1, a1] += 1e-10 * tr + 1e-300
                gam = np.linalg.solve(M, rhs)
                wild = False
                for j in range(k1):
                    acc = xs[j] + res[j]
                    for a1 in range(count):
                        acc -= gam[a1] * (dX[a1, j] + dR[a1, j])
                    if not (abs(acc - ts[j]) <= 30.0):
                        wild = True
                    xn[j] = acc
                if wild:
                    for j in range(k1):
                        xn[j] = ts[j]
                    count = 0
                    slot = 0
            for j in range(k1):
                x_prev[j] = xs[j]
                r_prev[j] = res[j]
            have_prev = True
            err_prev = err
        big = False
        for j in range(k):
            vj = math.exp(xn[j])
            v[j] = vj
            if not (lo < vj < hi):
                big = True
        if virtual:
            vv = math.exp(xn[k])
            if not (lo < vv < hi):
                big = True
        if not big:
            for i in range(n):
                if not (lo < u[i] < hi):
                    big = True
                    break
        if big:
            # absorb from the log-scalings themselves (exp(xn) may have under- or overflowed)
            for j in range(k):
                x_prev[j] -= xn[j]
                g[j] += eps * xn[j]
                v[j] = 1.0
            if virtual:
                x_prev[k] -= xn[k]
                gv += eps * xn[k]
                vv = 1.0
            for i in range(n):
                f[i] += eps * math.log(u[i])
                u[i] = 1.0
            rebuild(C, cv, f, g, gv, eps, virtual, Kt, kv)
            for j in range(k):
                damp[j] = math.exp(-(1.0 - p) * g[j] / eps)
    return gv, vv, it, err


@njit(cache=True, nogil=True)
def init_rows(C, cv, g, gv, virtual, f):
    """``f_i = min_j (C_ij - g_j)`` (virtual column included): each row's largest kernel entry is 1."""
    n, k = C.shape
    for i in range(n):
        m = np.inf
        for j in range(k):
            x = C[i, j] - g[j]
            if x < m:
                m = x
        if virtual:
            x = cv[i] - gv
            if x < m:
                m = x
        f[i] = m
