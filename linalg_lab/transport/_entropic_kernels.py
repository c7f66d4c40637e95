"""Numba kernels of entropic partial OT: Dykstra's iteration as dual block ascent.

The plan is ``gamma_ij = exp((f_i + g_j + lam - M_ij) / reg)`` with row and
column potentials ``f, g <= 0`` and a mass potential ``lam``. One Dykstra
cycle of Benamou et al. (2015) (rows, columns, mass) is, for KL projections,
the exact maximisation of the dual over ``f``, then ``g``, then ``lam``:

* rows: ``f_i = min(0, reg log a_i - reg log sum_j exp((g_j + lam - M_ij) / reg))``;
* columns: the same with ``b`` and ``f``;
* mass: ``lam += reg (log m - log sum gamma)``.

Log-domain stability with O(n m) multiply-adds per cycle (Schmitzer's
absorption, "Stabilized sparse scaling algorithms", 2019): a kernel
``K_ij = exp((f0_i + g0_j + lam0 - M_ij) / reg)`` is stored for potentials
``(f0, g0, lam0)`` absorbed at some earlier cycle, and the cycle works with the
scalings ``exp((f - f0) / reg)`` etc.; whenever one of them leaves
``[e^-TAU, e^TAU]`` the current potentials are absorbed (one pass of ``exp``).
A row or column sum below ``SMALL`` (its mass has underflowed in ``K``) is
recomputed by an exact log-sum-exp when it decides the update; such a row's
contributions are then computed exactly too. The row pass also accumulates the
column sums needed by the column step, so a cycle reads ``M``/``K`` once.

:func:`blocks` runs the other cycle of the same dual ascent: ``(f, lam)`` then
``(g, lam)`` maximised jointly (water filling, :func:`_cap_scale`), two passes
per cycle; the driver switches to it when the three-projection cycle stalls.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TAU = 100.0  # absorb when a log-scaling exceeds this: entries lost to underflow in K stay < 1e-308 * e^(2 TAU)
SMALL = 1e-200  # below this a sum may have lost its significant terms to underflow in K
_LOG_SMALL = math.log(SMALL)

_opts = dict(cache=True, nogil=True)


@njit(**_opts)
def _lse_row(M, i, shift_i, g, lam, inv):
    """log sum_j exp((shift_i + g_j + lam - M_ij) * inv), exactly."""
    m = M.shape[1]
    mx = -np.inf
    for j in range(m):
        x = (shift_i + g[j] + lam - M[i, j]) * inv
        if x > mx:
            mx = x
    s = 0.0
    for j in range(m):
        s += math.exp((shift_i + g[j] + lam - M[i, j]) * inv - mx)
    return mx + math.log(s)


@njit(**_opts)
def _lse_col(M, j, f, shift_j, lam, inv):
    """log sum_i exp((f_i + shift_j + lam - M_ij) * inv), exactly."""
    n = M.shape[0]
    mx = -np.inf
    for i in range(n):
        x = (f[i] + shift_j + lam - M[i, j]) * inv
        if x > mx:
            mx = x
    s = 0.0
    for i in range(n):
        s += math.exp((f[i] + shift_j + lam - M[i, j]) * inv - mx)
    return mx + math.log(s)


@njit(**_opts)
def _row_pass(M, K, absorb, vs, loga, f, f0, g, lam, inv, reg, check, rows_eq, f_new, col, col_old, row_res):
    """The row projection of one cycle and the column sums it leaves behind.

    Computes ``f_new`` from ``(f0, g, lam)`` (through ``K`` and the column
    scalings ``vs``, or through ``exp`` when ``absorb``, storing ``K``), the
    column sums ``col`` of the plan with ``f_new``, and when ``check`` also the
    column sums ``col_old`` and row violations ``row_res`` of the plan with ``f``.
    ``rows_eq``: the rows are equalities (``m = sum a``), ``f`` is not clipped.
    (A parallel version over row blocks, each with its own column sums, was
    measured 3 to 25 times slower on the 2 shared cores of the development
    machine: the pass is memory-bound, so it is serial.)
    """
    n, m = M.shape
    col[:] = 0.0
    col_old[:] = 0.0
    for i in range(n):
        s = 0.0
        if absorb:
            for j in range(m):
                k = math.exp((f0[i] + g[j] + lam - M[i, j]) * inv)  # vs = 1 right after an absorption
                K[i, j] = k
                s += k
        else:
            for j in range(m):
                s += K[i, j] * vs[j]
        exact = False
        if s >= SMALL:
            logs = math.log(s)
        elif not rows_eq and f0[i] + reg * (loga[i] - _LOG_SMALL) >= 0.0:
            # log s <= log SMALL: the update min(0, ...) is 0 whatever the exact value
            logs = _LOG_SMALL if s <= 0.0 else math.log(s)
        else:
            logs = _lse_row(M, i, f0[i], g, lam, inv)
            exact = True
        fi = f0[i] + reg * (loga[i] - logs)
        if not rows_eq:
            fi = min(0.0, fi)
        f_new[i] = fi
        lu = (fi - f0[i]) * inv
        if check:
            # current row sum and the sum after this row's projection: their gap is the row's violation
            r = math.exp(logs + (f[i] - f0[i]) * inv)
            target = loga[i] if rows_eq else min(loga[i], logs - f0[i] * inv)
            row_res[i] = abs(r - math.exp(target))
        if exact or abs(lu) > TAU:
            for j in range(m):
                col[j] += math.exp((fi + g[j] + lam - M[i, j]) * inv)
                if check:
                    col_old[j] += math.exp((f[i] + g[j] + lam - M[i, j]) * inv)
        elif check:
            u = math.exp(lu)
            uo = math.exp((f[i] - f0[i]) * inv)
            for j in range(m):
                kv = K[i, j] * vs[j]
                col[j] += u * kv
                col_old[j] += uo * kv
        else:
            u = math.exp(lu)
            for j in range(m):
                col[j] += u * (K[i, j] * vs[j])


@njit(**_opts)
def _log_total(M, f, g, lam, inv):
    """log sum_ij exp((f_i + g_j + lam - M_ij) * inv), exactly."""
    n, m = M.shape
    mx = -np.inf
    for i in range(n):
        for j in range(m):
            x = (f[i] + g[j] + lam - M[i, j]) * inv
            if x > mx:
                mx = x
    s = 0.0
    for i in range(n):
        for j in range(m):
            s += math.exp((f[i] + g[j] + lam - M[i, j]) * inv - mx)
    return mx + math.log(s)


@njit(**_opts)
def _col_violation(M, f, g, lam, inv, logb, col_old, cols_eq):
    """Largest column violation of the current plan, from its column sums ``col_old``."""
    worst = 0.0
    for j in range(M.shape[1]):
        c = col_old[j]
        if c < SMALL and (cols_eq or g[j] < 0.0):
            logc = _lse_col(M, j, f, g[j], lam, inv)  # a saturated column whose mass underflowed: exact
        elif c > 0.0:
            logc = math.log(c)
        else:
            continue
        target = logb[j] if cols_eq else min(logb[j], logc - g[j] * inv)
        v = abs(math.exp(logc) - math.exp(target))
        if v > worst:
            worst = v
    return worst


@njit(**_opts)
def cold_start_mass_potential(M, mass, reg):
    """``lam`` such that ``exp((lam - M) / reg)`` has total mass ``m`` (POT's first plan)."""
    n, m = M.shape
    return reg * (math.log(mass) - _log_total(M, np.zeros(n), np.zeros(m), 0.0, 1.0 / reg))


@njit(**_opts)
def _stabilise(f, f0, g, g0, lam, lam0, inv, vs, absorb):
    """Absorb the potentials into the stored kernel when asked or when a log-scaling passes TAU, else
    refresh the column scalings ``vs`` against it; returns (absorbed, the absorbed mass potential)."""
    if not absorb:
        worst = 0.0
        for i in range(f.shape[0]):
            worst = max(worst, abs(f[i] - f0[i]))
        for j in range(g.shape[0]):
            worst = max(worst, abs(g[j] - g0[j] + lam - lam0))
        absorb = worst * inv > TAU
    if absorb:
        f0[:] = f
        g0[:] = g
        vs[:] = 1.0
        return True, lam
    for j in range(g.shape[0]):
        vs[j] = math.exp((g[j] - g0[j] + lam - lam0) * inv)
    return False, lam0


@njit(**_opts)
def dykstra(M, a, b, mass, reg, f, g, lams, K, f0, g0, fresh, max_iter, stop_thr, check_every, err, rows_eq, cols_eq):
    """Run at most ``max_iter`` cycles from the potentials ``(f, g, lams[0])``, updated in place.

    ``K, f0, g0, lams[1]`` are the absorbed kernel and its potentials, kept
    between calls (``fresh`` forces an absorption first, as on the first call).
    Every ``check_every`` cycles the violation of the current plan (see
    ``entropic_partial_wasserstein``) is appended to ``err``; the run stops once
    it is ``<= stop_thr``. ``rows_eq`` / ``cols_eq``: that side's constraints
    are equalities (``m = sum a`` / ``m = sum b``; its potentials are not clipped
    at 0). Returns ``(cycles done, err entries, absorptions)``.
    """
    n, m = M.shape
    inv = 1.0 / reg
    loga = np.log(a)
    logb = np.log(b)
    logm = math.log(mass)
    lam = lams[0]
    lam0 = lams[1]
    vs = np.ones(m)
    f_new = np.empty(n)
    col = np.empty(m)
    col_old = np.empty(m)
    row_res = np.zeros(n)
    absorb = fresh
    n_absorb = 0
    n_err = 0
    it = 0
    while it < max_iter:
        absorb, lam0 = _stabilise(f, f0, g, g0, lam, lam0, inv, vs, absorb)
        n_absorb += absorb
        check = it % check_every == 0
        _row_pass(M, K, absorb, vs, loga, f, f0, g, lam, inv, reg, check, rows_eq, f_new, col, col_old, row_res)
        absorb = False
        if check:
            total = 0.0
            for j in range(m):
                total += col_old[j]
            v = max(row_res.max(), _col_violation(M, f, g, lam, inv, logb, col_old, cols_eq), abs(total - mass))
            err[n_err] = v
            n_err += 1
            if v <= stop_thr:
                break
        f[:] = f_new
        # column projection, then the mass projection (both O(m) from the sums of the row pass)
        total = 0.0
        for j in range(m):
            c = col[j]
            if c >= SMALL:
                logc = math.log(c)
            elif not cols_eq and g[j] + reg * (logb[j] - _LOG_SMALL) >= 0.0:
                logc = _LOG_SMALL if c <= 0.0 else math.log(c)
            else:
                logc = _lse_col(M, j, f, g[j], lam, inv)
            gj = g[j] + reg * (logb[j] - logc)
            if not cols_eq:
                gj = min(0.0, gj)
            total += math.exp(logc + (gj - g[j]) * inv)
            g[j] = gj
        lam += reg * (logm - math.log(total))
        it += 1
    lams[0] = lam
    lams[1] = lam0
    return it, n_err, n_absorb


@njit(**_opts)
def _cap_scale(logcap, logs, mass):
    """``log theta`` with ``sum_i min(cap_i, theta s_i) = mass`` (water filling; inputs as logs).

    The left side is increasing and piecewise linear in ``theta``, with kinks at
    ``cap_i / s_i``: taking the kinks in increasing order, the first candidate
    ``theta_k = (mass - caps of the k first) / (s of the others)`` that does not
    pass the next kink is the solution.
    """
    n = logs.shape[0]
    br = logcap - logs
    order = np.argsort(br)
    # suffix sums of s in the log domain: the s_i can span far more than the float range (small reg),
    # and a suffix that underflowed against the largest s would skip the right candidate
    lsuf = np.full(n + 1, -np.inf)
    for k in range(n - 1, -1, -1):
        x = logs[order[k]]
        y = lsuf[k + 1]
        hi = max(x, y)
        lsuf[k] = hi if hi == -np.inf else hi + math.log(math.exp(x - hi) + math.exp(y - hi))
    pre = 0.0
    for k in range(n):
        rest = mass - pre
        if rest > 0.0 and lsuf[k] > -np.inf:
            lt = math.log(rest) - lsuf[k]
            if lt <= br[order[k]]:
                return lt
        pre += math.exp(logcap[order[k]])
    return br[order[n - 1]]


@njit(**_opts)
def _block_pass(M, K, absorb, vs, f, f0, g, lam, inv, check, logs, col_old):
    """Row sums ``log s_i = log sum_j exp((g_j + lam - M_ij) / reg)`` (exact), and on checks ``col_old``.

    ``col_old``: column sums of the current plan (potentials ``f``).
    """
    n, m = M.shape
    col_old[:] = 0.0
    for i in range(n):
        s = 0.0
        if absorb:
            for j in range(m):
                k = math.exp((f0[i] + g[j] + lam - M[i, j]) * inv)
                K[i, j] = k
                s += k
        else:
            for j in range(m):
                s += K[i, j] * vs[j]
        exact = s < SMALL or s > 1.0 / SMALL
        logs[i] = (_lse_row(M, i, f0[i], g, lam, inv) if exact else math.log(s)) - f0[i] * inv
        if check:
            lu = (f[i] - f0[i]) * inv
            if exact or abs(lu) > TAU:
                for j in range(m):
                    col_old[j] += math.exp((f[i] + g[j] + lam - M[i, j]) * inv)
            else:
                u = math.exp(lu)
                for j in range(m):
                    col_old[j] += u * (K[i, j] * vs[j])


@njit(**_opts)
def _col_pass(M, K, f, f0, g, g0, lam, lam0, inv, logt):
    """Column sums ``log t_j = log sum_i exp((f_i + lam - M_ij) / reg)`` through ``K`` (exact where needed)."""
    n, m = M.shape
    col = np.zeros(m)
    vs = np.empty(m)
    far = False
    for j in range(m):
        lv = (g[j] - g0[j] + lam - lam0) * inv
        far = far or abs(lv) > TAU
        vs[j] = math.exp(lv)
    for i in range(n):
        lu = (f[i] - f0[i]) * inv
        if far or abs(lu) > TAU:
            for j in range(m):
                col[j] += math.exp((f[i] + g[j] + lam - M[i, j]) * inv)
        else:
            u = math.exp(lu)
            for j in range(m):
                col[j] += u * (K[i, j] * vs[j])
    for j in range(m):
        c = col[j]
        if c < SMALL or c > 1.0 / SMALL:
            logt[j] = _lse_col(M, j, f, 0.0, lam, inv)
        else:
            logt[j] = math.log(c) - g[j] * inv


@njit(**_opts)
def blocks(M, a, b, mass, reg, f, g, lams, K, f0, g0, fresh, max_iter, stop_thr, check_every, err, rows_eq, cols_eq):
    """Like :func:`dykstra` with two blocks: ``(f, lam)`` then ``(g, lam)``, each maximised exactly.

    For fixed ``g`` the best ``(f, lam)`` gives row sums ``min(a_i, theta s_i)``
    adding up to ``m`` (``theta`` by water filling, :func:`_cap_scale`): the
    mass is never overshot, which is what makes the three-projection cycle
    slow when ``m`` is close to ``sum a`` or ``sum b``. Two passes over ``K``
    per cycle (rows, then columns); same dual, same optimum.
    """
    n, m = M.shape
    inv = 1.0 / reg
    loga = np.log(a)
    logb = np.log(b)
    lam = lams[0]
    lam0 = lams[1]
    vs = np.ones(m)
    logs = np.empty(n)
    logt = np.empty(m)
    col_old = np.empty(m)
    absorb = fresh
    n_absorb = 0
    n_err = 0
    it = 0
    while it < max_iter:
        absorb, lam0 = _stabilise(f, f0, g, g0, lam, lam0, inv, vs, absorb)
        n_absorb += absorb
        check = it % check_every == 0
        _block_pass(M, K, absorb, vs, f, f0, g, lam, inv, check, logs, col_old)
        absorb = False
        if check:
            worst = 0.0
            total = 0.0
            for i in range(n):
                lr = logs[i] + f[i] * inv  # log of the current row sum
                total += math.exp(lr)
                target = loga[i] if rows_eq else min(loga[i], logs[i])
                worst = max(worst, abs(math.exp(lr) - math.exp(target)))
            v = max(worst, _col_violation(M, f, g, lam, inv, logb, col_old, cols_eq), abs(total - mass))
            err[n_err] = v
            n_err += 1
            if v <= stop_thr:
                break
        # (f, lam) block
        lt = 0.0 if rows_eq else _cap_scale(loga, logs, mass)
        lam += reg * lt
        for i in range(n):
            fi = reg * (loga[i] - logs[i] - lt)
            f[i] = fi if rows_eq else min(0.0, fi)
        # (g, lam) block
        _col_pass(M, K, f, f0, g, g0, lam, lam0, inv, logt)
        lt = 0.0 if cols_eq else _cap_scale(logb, logt, mass)
        lam += reg * lt
        for j in range(m):
            gj = reg * (logb[j] - logt[j] - lt)
            g[j] = gj if cols_eq else min(0.0, gj)
        it += 1
    lams[0] = lam
    lams[1] = lam0
    return it, n_err, n_absorb


@njit(**_opts)
def plan_and_violation(M, a, b, mass, reg, f, g, lam, rows_eq, cols_eq):
    """The plan of potentials ``(f, g, lam)``, its violation (as in :func:`dykstra`) and its constraint excess.

    The excess is ``max(max(r - a), max(c - b), |sum - m|)`` (``r, c`` the row
    and column sums): how far the plan is from feasible.
    """
    n, m = M.shape
    inv = 1.0 / reg
    P = np.empty((n, m))
    col = np.zeros(m)
    worst = 0.0
    total = 0.0
    over = 0.0
    for i in range(n):
        r = 0.0
        for j in range(m):
            x = math.exp((f[i] + g[j] + lam - M[i, j]) * inv)
            P[i, j] = x
            r += x
            col[j] += x
        total += r
        over = max(over, r - a[i])
        if r >= SMALL or not (rows_eq or f[i] < 0.0):
            lr = math.log(r) if r > 0.0 else -np.inf
        else:
            lr = _lse_row(M, i, f[i], g, lam, inv)  # a saturated row whose mass underflowed: exact
        target = math.log(a[i]) if rows_eq else min(math.log(a[i]), lr - f[i] * inv)
        worst = max(worst, abs(math.exp(lr) - math.exp(target)))
    logb = np.log(b)
    worst = max(worst, _col_violation(M, f, g, lam, inv, logb, col, cols_eq))
    excess = max(over, abs(total - mass))
    for j in range(m):
        excess = max(excess, col[j] - b[j])
    return P, max(worst, abs(total - mass)), excess


@njit(**_opts)
def round_in_place(P, a, b, mass):
    """Round the plan ``P`` (entries ``>= 0``) onto ``{rows <= a, columns <= b, total = mass}``, in place.

    Altschuler, Weed and Rigollet's rounding adapted to partial constraints
    (see :func:`linalg_lab.transport._feasible.round_partial_plan`), in two
    or three passes over ``P``: rows scaled down to ``a``, columns to ``b``,
    then the whole plan scaled down to ``mass`` or the missing mass added as
    a rank-one plan on the spare row and column capacities.
    """
    n, m = P.shape
    x = np.ones(n)
    col = np.zeros(m)
    for i in range(n):
        r = 0.0
        for j in range(m):
            if not P[i, j] > 0.0:  # also NaN
                P[i, j] = 0.0
            r += P[i, j]
        if r > a[i]:
            x[i] = a[i] / r
        for j in range(m):
            col[j] += x[i] * P[i, j]
    y = np.ones(m)
    for j in range(m):
        if col[j] > b[j]:
            y[j] = b[j] / col[j]
    row = np.zeros(n)
    col[:] = 0.0
    total = 0.0
    for i in range(n):
        s = 0.0
        for j in range(m):
            v = x[i] * P[i, j] * y[j]
            P[i, j] = v
            s += v
            col[j] += v
        row[i] = s
        total += s
    if total > mass:
        f = mass / total
        for i in range(n):
            for j in range(m):
                P[i, j] *= f
    elif total < mass:
        ra = np.maximum(a - row, 0.0)
        rb = np.maximum(b - col, 0.0)
        sa = ra.sum()
        sb = rb.sum()
        if sa > 0.0 and sb > 0.0:
            d = (mass - total) / (sa * sb)
            for i in range(n):
                u = d * ra[i]
                for j in range(m):
                    P[i, j] += u * rb[j]
