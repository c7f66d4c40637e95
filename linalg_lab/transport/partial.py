"""Exact partial optimal transport, reduced to balanced OT and solved by POT's network simplex.

Partial OT with a fixed transported mass ``m``,

    min <gamma, M>   s.t.  gamma >= 0,  gamma 1 <= a,  gamma^T 1 <= b,  1^T gamma 1 = m,

is balanced OT once dummy points are added (Chapel et al. 2020): dummy
columns receive the ``sum(a) - m`` units of ``a`` that stay put, dummy rows
send the ``sum(b) - m`` units of ``b``, real-to-dummy costs are 0 and
dummy-to-dummy costs large enough that no mass takes that route. The
Lagrangian form (Caffarelli & McCann 2010)

    min <gamma, M - reg_m>   s.t.  gamma >= 0,  gamma 1 <= a,  gamma^T 1 <= b

is the same construction with dummy masses ``sum(b)`` and ``sum(a)`` and a
zero dummy-to-dummy cost. Both are solved by :func:`ot.emd`, the network
simplex of Bonneel et al. (2011), the field's standard exact solver.

Two choices differ from POT's ``ot.partial`` and make the solves succeed and
run faster:

* The dummy mass is spread over several dummy points (``nb_dummies=None``
  chooses the count per side from the sizes and masses). With one dummy
  point carrying half the mass, the simplex makes many more and costlier
  pivots through that single node; on 2-D Gaussian clouds with uniform
  masses and ``m = 0.5`` it is 3 to 8 times slower than with the automatic
  count (measured here at n = 1500 to 3000).
* The iteration limit ``numItermax`` defaults to the number of arcs of the
  augmented problem (at least 100000 and 100 per node), not a fixed 100000:
  the number of pivots grows faster than the number of points, and a fixed
  limit makes POT's call fail at n = 5000 with a message that blames the
  dummy points. Measured here, the pivots needed were 0.4% to 5% of the
  arcs for square problems (n = 200 to 1000; the share falls as n grows)
  and 1.5 to 12 per node for every shape tried.
  Where the limit is reached anyway, a ``RuntimeError`` names ``numItermax``
  and the limit used; no approximate plan is returned silently.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..validation import check_bool, check_int, check_real
from ._checks import check_mass, check_transport_problem

__all__ = ["partial_wasserstein", "partial_wasserstein2", "partial_wasserstein_lagrange"]

#: Smallest default iteration limit (POT's fixed default).
MIN_ITER = 100_000

#: The default limit is at least this many iterations per node (for thin problems, n' << n).
NODE_FACTOR = 100

#: Dummy points per side are capped at ``DUMMY_FACTOR * sqrt(max(n, n'))`` (and a tenth of the side).
DUMMY_FACTOR = 4.0

#: Costs above this are divided by a power of two before the solve (the dummy cost 2 max|M| and the dual
#: potentials, sums of costs, must stay finite); below it the costs are used as given (no copy).
HUGE_COST = 2.0**500

# ot.emd's result codes (POT's network simplex)
_INFEASIBLE, _OPTIMAL, _UNBOUNDED, _MAX_ITER = 0, 1, 2, 3


def _check_nb_dummies(nb_dummies):
    return None if nb_dummies is None else check_int(nb_dummies, "nb_dummies", minimum=1)


def _check_num_iter(numItermax):
    # POT's users write numItermax=1e7: an integral float is accepted as that integer
    if isinstance(numItermax, float) and numItermax.is_integer():
        numItermax = int(numItermax)
    return None if numItermax is None else check_int(numItermax, "numItermax", minimum=1)


#: ot.emd's arguments that the exact solvers set themselves (the rest may be passed through ``**kwargs``).
_EMD_OWN = ("a", "b", "M", "numItermax", "log")


def _emd_kwargs(kwargs: dict, where: str) -> dict:
    """The extra keywords for :func:`ot.emd` (POT's ``**kwargs``), checked against its signature."""
    if not kwargs:
        return {}
    import inspect

    import ot

    allowed = set(inspect.signature(ot.emd).parameters) - set(_EMD_OWN)
    for key in kwargs:
        if key not in allowed:
            raise TypeError(f"{key}: {where} got an unexpected keyword argument (extra keywords go to ot.emd, "
                            f"which accepts {', '.join(sorted(allowed))} here)")
    return dict(kwargs)


def _out_dtype(M) -> np.dtype:
    """The result's dtype, as POT's: that of ``M`` when it is a float32 or float64 array, else float64."""
    dt = getattr(M, "dtype", None)
    if dt is not None and np.dtype(dt) in (np.dtype(np.float32), np.dtype(np.float64)):
        return np.dtype(dt)
    return np.dtype(np.float64)


def _as_dtype(x, dtype: np.dtype):
    """``x`` (array or float) in ``dtype``: arrays converted (no copy for float64); a float stays a Python
    float for float64 and becomes a numpy scalar of ``dtype`` otherwise."""
    if isinstance(x, np.ndarray):
        return x if x.dtype == dtype else x.astype(dtype)
    return float(x) if dtype == np.float64 else dtype.type(x)


def _dummy_count(dummy_mass: float, real_mass: float, n_real: int, n_side: int, nb_dummies) -> int:
    """Dummy points added to a side of ``n_side`` real points, serving ``n_real`` points of the other side.

    0 without dummy mass, else ``nb_dummies``, or about one per real point a
    dummy serves (a dummy of mass D serves about D / mean(real mass) of
    them), at most ``DUMMY_FACTOR sqrt(max(n, n'))`` and a tenth of the side
    (so that the augmented problem has at most about 20% more arcs).
    """
    if dummy_mass <= 0:
        return 0
    if nb_dummies is not None:
        return nb_dummies
    serves = dummy_mass / (real_mass / n_real) if real_mass > 0 else 1.0
    cap = min(math.ceil(DUMMY_FACTOR * math.sqrt(max(n_real, n_side))), n_side // 10)
    return int(max(1, min(cap, math.ceil(serves))))


def _support(x: np.ndarray):
    """Indices of the positive entries, or None when all are positive (no copy needed)."""
    pos = x > 0
    return None if pos.all() else np.flatnonzero(pos)


def _augmented_emd(a, b, block, dummy_row_mass, dummy_col_mass, corner, nb_dummies, numItermax, where,
                   emd_kwargs=None, keep_potentials=False):
    """Solve the balanced problem ``[[block, 0], [0, corner]]`` with dummy rows / columns of the given masses.

    ``block`` is the real cost block (already restricted to positive masses).
    Returns ``(plan, u, v, U, V, log)``: the real block of the plan, the real
    potentials, the largest dummy-row and dummy-column potentials (None for a
    side without dummies) and ot.emd's log. ``emd_kwargs`` (checked by
    :func:`_emd_kwargs`) go to :func:`ot.emd`; with ``keep_potentials`` the
    augmented problem's potentials are ``log["potentials"]`` (for a warm
    start of the next solve through ``potentials_init``).
    """
    import ot  # POT is a dependency; imported here so that the module loads fast

    n, nt = block.shape
    kr = _dummy_count(dummy_row_mass, float(b.sum()), nt, n, nb_dummies)
    kc = _dummy_count(dummy_col_mass, float(a.sum()), n, nt, nb_dummies)
    n1, n2 = n + kr, nt + kc
    limit = max(MIN_ITER, n1 * n2, NODE_FACTOR * (n1 + n2)) if numItermax is None else numItermax
    # one float64 C-contiguous buffer, filled in place: ot.emd uses it without a copy
    cost = np.empty((n1, n2))
    # POT's network simplex reports a balanced problem whose costs are all negative as infeasible (ot.emd
    # failed on 526 of 758 random such problems here); without dummy points (m = sum a = sum b) the real
    # block is the whole problem, and moving all its costs by a constant moves the cost of every plan by
    # the same amount: solve with max cost 0, give the columns' potentials the shift back
    shift = 0.0
    if kr == kc == 0 and block.size and float(block.max()) < 0:
        shift = float(block.max())
        np.subtract(block, shift, out=cost)
    else:
        cost[:n, :nt] = block
    cost[:n, nt:] = 0.0
    cost[n:, :nt] = 0.0
    cost[n:, nt:] = corner
    a_ext = np.concatenate([a, np.full(kr, dummy_row_mass / kr if kr else 0.0)])
    b_ext = np.concatenate([b, np.full(kc, dummy_col_mass / kc if kc else 0.0)])
    with warnings.catch_warnings():
        # the result code is checked below and turned into an error naming the argument
        warnings.simplefilter("ignore", UserWarning)
        options = {"check_marginals": False, **(emd_kwargs or {})}
        gamma, log = ot.emd(a_ext, b_ext, cost, numItermax=limit, log=True, **options)
    del cost
    code = int(log["result_code"])
    if code == _MAX_ITER:
        raise RuntimeError(
            f"numItermax: {where} stopped at the network simplex's iteration limit numItermax = {limit} before "
            f"reaching optimality (augmented problem of {n1} x {n2}); pass a larger numItermax, e.g. {10 * limit}"
        )
    if code != _OPTIMAL:  # pragma: no cover - the augmented problem is feasible and bounded by construction
        raise RuntimeError(f"{where}: the network simplex reported {log['warning']!r} (result code {code})")
    plan = np.ascontiguousarray(gamma[:n, :nt])
    del gamma
    u, v = np.asarray(log["u"], dtype=np.float64), np.asarray(log["v"], dtype=np.float64)
    v[:nt] += shift  # u_i + v_j <= M_ij - shift for the shifted costs
    U = float(u[n:].max()) if kr else None
    V = float(v[nt:].max()) if kc else None
    info = {"result_code": code, "warning": log["warning"], "numItermax": limit, "nb_dummies": (kr, kc)}
    if keep_potentials:
        info["potentials"] = (u.copy(), v.copy() if shift == 0.0 else v - np.where(np.arange(len(v)) < nt, shift, 0))
    return plan, u[:n].copy(), v[:nt].copy(), U, V, info


def _abs_max(M: np.ndarray) -> float:
    """``max|M|`` without the temporary ``|M|`` (two reductions instead of a copy of a large matrix)."""
    return max(float(M.max()), -float(M.min())) if M.size else 0.0


def _cost_scale(top: float) -> float:
    """1, or a power of two near ``top`` when ``top > HUGE_COST`` (dividing by it is exact in floating point)."""
    if not top > HUGE_COST:
        return 1.0
    return math.ldexp(1.0, math.frexp(top)[1] - 1)


def _unscale(scale: float, where: str, **values):
    """``values`` times ``scale`` (arrays and floats), refusing results beyond the float range."""
    out = []
    for name, x in values.items():
        with np.errstate(over="ignore"):
            y = x * scale if scale != 1.0 else x
        if not np.all(np.isfinite(y)):
            raise ValueError(f"M: the {name} of {where} exceeds the float range at this cost scale "
                             f"(max|M| = {scale:.3g} or more); divide M by a constant (the plan does not change)")
        out.append(y)
    return out


def _frobenius(A, B) -> float:
    """``<A, B>`` by einsum: ``np.vdot`` goes to a threaded BLAS that can stall for ms on a busy machine."""
    return float(np.einsum("ij,ij->", A, B))


def _scatter(sub, rows, cols, shape):
    """Embed the block ``sub`` (on ``rows`` x ``cols``; None = all) in a zero matrix of ``shape``."""
    if rows is None and cols is None:
        return sub
    full = np.zeros(shape)
    full[np.ix_(np.arange(shape[0]) if rows is None else rows, np.arange(shape[1]) if cols is None else cols)] = sub
    return full


def _fill_duals(f, g, M, shift, rows, cols):
    """Feasible potentials ``<= 0`` for the rows / columns left out of the solve (zero mass or pruned).

    ``f_i + g_j <= M_ij - shift`` must hold everywhere; the missing entries get
    the largest value that keeps it, capped at 0.
    """
    n, nt = M.shape
    if rows is not None:
        out = np.setdiff1d(np.arange(n), rows)
        if out.size:
            f[out] = np.minimum(0.0, (M[out] - shift - g[None, :]).min(axis=1))
    if cols is not None:
        out = np.setdiff1d(np.arange(nt), cols)
        if out.size:
            g[out] = np.minimum(0.0, (M[:, out] - shift - f[:, None]).min(axis=0))
    return f, g


def partial_wasserstein(a, b, M, m=None, nb_dummies=None, log=False, *, numItermax=None, verbose=False, **kwargs):
    r"""Exact partial optimal transport plan: move mass ``m`` from ``a`` to ``b`` at least cost.

    Solves

    .. math::
        \min_{\gamma \ge 0} \langle \gamma, M \rangle \quad \text{s.t.} \quad
        \gamma 1 \le a, \quad \gamma^T 1 \le b, \quad 1^T \gamma 1 = m

    by balanced OT with dummy points, solved exactly by :func:`ot.emd`.

    A drop-in for ``ot.partial.partial_wasserstein``: POT's arguments in
    POT's order (``a, b, M, m, nb_dummies, log, **kwargs``, the extra
    keywords going to :func:`ot.emd`), ``log`` keys a superset of POT's with
    the same ``cost`` / ``partial_w_dist`` / ``result_code`` / ``warning``,
    and the plan in ``M``'s dtype (float32 stays float32). Differences: the
    default ``nb_dummies`` (see below), an iteration limit that fits the
    size, and the normalisation of the duals ``u``, ``v`` (see ``log``).

    Parameters
    ----------
    a : array_like, shape (n,)
        Source masses (``>= 0``, finite); empty means uniform ``1/n``.
    b : array_like, shape (n',)
        Target masses; empty means uniform ``1/n'``.
    M : array_like, shape (n, n')
        Finite cost matrix (any sign).
    m : float, optional
        Transported mass in ``[0, min(sum a, sum b)]``; None transports
        ``min(sum a, sum b)``.
    nb_dummies : int, optional
        Dummy points on each side that has dummy mass. None (default) chooses
        per side about one dummy per real point it serves, at most
        ``4 sqrt(max(n, n'))`` and a tenth of that side's points; POT's
        default is 1 (same cost, slower on large problems).
    log : bool, default False
        Also return a dict.
    numItermax : int, optional (keyword only)
        Network-simplex iteration limit. None (default): the number of arcs
        of the augmented problem, at least 100000 and 100 per node. (POT
        users pass it through ``**kwargs`` to ``ot.emd``: the same spelling
        works here.)
    verbose : bool, default False (keyword only)
        Print one line on the solve (augmented size, dummy points, limit,
        result).
    **kwargs
        Passed to :func:`ot.emd`, as in POT (e.g. ``numThreads``,
        ``center_dual``); an argument that ``ot.emd`` does not take is a
        ``TypeError`` naming it.

    Returns
    -------
    gamma : numpy.ndarray, shape (n, n')
        Optimal plan (a new C-contiguous array, in ``M``'s dtype when that is
        float32 or float64, else float64): entries ``>= 0``, rows
        ``<= a``, columns ``<= b``, total ``m``, up to the rounding of the
        masses (about ``1e-15 max(sum a, sum b)``); there is no approximate
        result, a solve that does not reach optimality raises.
    log : dict, only if ``log=True``
        ``T`` (the plan returned: the family's key for the plan), ``cost``
        (= ``partial_w_dist``, :math:`\langle\gamma, M\rangle`), ``mass``
        (the mass moved), dual potentials ``u`` (n,), ``v`` (n',) and
        ``mass_dual`` with ``u <= 0``, ``v <= 0``, ``u_i + v_j + mass_dual <=
        M_ij`` and ``a.u + b.v + m * mass_dual = cost`` (up to rounding);
        ``result_code`` (1: optimal), ``warning`` (None), ``numItermax`` (the
        limit used) and ``nb_dummies`` (dummy rows, dummy columns). The number
        of pivots made is not reported by ``ot.emd``.

        *POT's duals.* POT's ``log["u"]``, ``log["v"]`` are the raw network
        simplex potentials of its augmented problem (cut to the real points),
        normalised by ``ot.emd``'s centring instead of by ``max(u) = 0``.
        When ``m`` is below both ``sum(a)`` and ``sum(b)``, a dual solution
        in our normalisation is obtained from POT's by

        ``u = u_POT - max(u_POT)``, ``v = v_POT - max(v_POT)``,
        ``mass_dual = max(u_POT) + max(v_POT)``

        (a row that keeps mass back is tight on its arc to the dummy
        column, so the dummy's potential is ``-max(u_POT)``); where the dual
        solution is unique this gives ours exactly, elsewhere both are
        optimal duals. Compare potentials through this map, not entry by
        entry.

    Raises
    ------
    ValueError
        Invalid masses, cost matrix or ``m`` (the message names the argument);
        with ``log=True``, a cost or dual potential beyond the float range
        (costs near it; names ``M``).
    RuntimeError
        The network simplex reached ``numItermax`` before optimality (the
        message names ``numItermax`` and the limit used).

    See Also
    --------
    partial_wasserstein2 : the value.
    partial_wasserstein_lagrange : penalised mass instead of fixed mass.

    Notes
    -----
    Dummy-to-dummy costs are ``2 max|M|`` (1 for a zero ``M``): any value
    above ``max(0, -min M)`` keeps mass off that route, so the plan moves
    exactly ``m``, negative costs included. Rows and columns of zero mass
    are left out of the solve. Costs above ``2^500`` are divided by a power
    of two first (exact; the plan does not change) so that the dummy cost
    and the potentials stay finite; the cost and duals are reported in the
    units of ``M``. A balanced problem (``m = sum a = sum b`` on the
    support) whose costs are all negative is solved with its costs shifted
    to a maximum of 0 (POT's network simplex reports such problems
    infeasible).

    References
    ----------
    .. [1] L. Chapel, M. Z. Alaya and G. Gasso, "Partial optimal transport with
       applications on positive-unlabeled learning", NeurIPS 2020.
    .. [2] L. A. Caffarelli and R. J. McCann, "Free boundaries in optimal
       transport and Monge-Ampere obstacle problems", Annals of Mathematics
       171 (2010), 673-730.
    .. [3] N. Bonneel, M. van de Panne, S. Paris and W. Heidrich, "Displacement
       interpolation using Lagrangian mass transport", ACM TOG 30(6), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = [0.1, 0.2], [0.1, 0.1]
    >>> M = [[0.0, 1.0], [2.0, 3.0]]
    >>> partial_wasserstein(a, b, M, m=0.1).round(2)
    array([[0.1, 0. ],
           [0. , 0. ]])
    >>> partial_wasserstein(a, b, M).round(2)
    array([[0.1, 0. ],
           [0. , 0.1]])
    """
    dtype = _out_dtype(M)
    a, b, M = check_transport_problem(a, b, M)
    m = check_mass(m, a, b)
    nb_dummies = _check_nb_dummies(nb_dummies)
    numItermax = _check_num_iter(numItermax)
    log = check_bool(log, "log")
    verbose = check_bool(verbose, "verbose")
    emd_kwargs = _emd_kwargs(kwargs, "partial_wasserstein")
    # the plan is invariant under M -> M / s: huge costs are solved in units of s, duals and cost reported in M's
    top = _abs_max(M)
    scale = _cost_scale(top)
    if scale != 1.0:
        M = M / scale
        top /= scale
    if m == 0.0:
        plan, f, g, t = np.zeros(M.shape), np.zeros(M.shape[0]), np.zeros(M.shape[1]), float(M.min())
        info = {"result_code": _OPTIMAL, "warning": None, "numItermax": 0, "nb_dummies": (0, 0)}
    else:
        rows, cols = _support(a), _support(b)
        block = M if rows is None and cols is None else M[np.ix_(
            np.arange(M.shape[0]) if rows is None else rows, np.arange(M.shape[1]) if cols is None else cols)]
        a_s = a if rows is None else a[rows]
        b_s = b if cols is None else b[cols]
        big = top if block is M else _abs_max(block)
        corner = 2.0 * big if big > 0 else 1.0  # finite: big <= HUGE_COST here
        sub, u, v, U, V, info = _augmented_emd(
            a_s, b_s, block, float(b_s.sum()) - m, float(a_s.sum()) - m, corner, nb_dummies, numItermax,
            "partial_wasserstein", emd_kwargs)
        # a side without dummies moves all its mass: any shift keeping u <= 0 (or v <= 0) is optimal
        V = -float(u.max()) if V is None else V
        U = -float(v.max()) if U is None else U
        t = -(U + V)
        f, g = np.zeros(M.shape[0]), np.zeros(M.shape[1])
        f[slice(None) if rows is None else rows] = np.minimum(u + V, 0.0)
        g[slice(None) if cols is None else cols] = np.minimum(v + U, 0.0)
        f, g = _fill_duals(f, g, M, t, rows, cols)
        plan = _scatter(sub, rows, cols, M.shape)
    if verbose:
        _report("partial_wasserstein", info, plan, M, scale)
    if not log:
        return _as_dtype(plan, dtype)
    cost, f, g, t = _unscale(scale, "partial_wasserstein", cost=_frobenius(plan, M), u=f, v=g, mass_dual=t)
    plan = _as_dtype(plan, dtype)
    info.update(cost=_as_dtype(cost, dtype), partial_w_dist=_as_dtype(cost, dtype), mass=float(plan.sum()),
                u=_as_dtype(f, dtype), v=_as_dtype(g, dtype), mass_dual=t, T=plan)
    return plan, info


def _report(where, info, plan, M, scale):
    """The ``verbose`` line of the exact solvers."""
    kr, kc = info["nb_dummies"]
    print(f"{where}: {M.shape[0]} x {M.shape[1]} problem, {kr} + {kc} dummy points, numItermax {info['numItermax']}, "
          f"result code {info['result_code']}, mass {float(plan.sum()):.6g}, cost {_frobenius(plan, M) * scale:.6g}")


def partial_wasserstein2(a, b, M, m=None, nb_dummies=None, log=False, *, numItermax=None, verbose=False, **kwargs):
    r"""Exact partial optimal transport value :math:`\langle \gamma, M \rangle` (see :func:`partial_wasserstein`).

    Same arguments as :func:`partial_wasserstein` (POT's, in POT's order).

    Returns
    -------
    cost : float
        In ``M``'s dtype (a numpy scalar) when that is float32 or float64.
    log : dict, only if ``log=True``
        As in :func:`partial_wasserstein` (the plan under ``"T"``, POT's key).

    References
    ----------
    .. [1] L. Chapel, M. Z. Alaya and G. Gasso, "Partial optimal transport with
       applications on positive-unlabeled learning", NeurIPS 2020.

    Examples
    --------
    >>> a, b = [0.1, 0.2], [0.1, 0.1]
    >>> M = [[0.0, 1.0], [2.0, 3.0]]
    >>> round(partial_wasserstein2(a, b, M, m=0.1), 6), round(partial_wasserstein2(a, b, M), 6)
    (0.0, 0.3)
    """
    plan, info = partial_wasserstein(a, b, M, m=m, nb_dummies=nb_dummies, log=True, numItermax=numItermax,
                                     verbose=verbose, **kwargs)
    if check_bool(log, "log"):
        return info["cost"], info
    return info["cost"]


def partial_wasserstein_lagrange(a, b, M, reg_m=None, nb_dummies=None, log=False, *, numItermax=None, verbose=False,
                                 **kwargs):
    r"""Partial optimal transport with a reward ``reg_m`` per unit of mass moved (the Lagrangian form).

    Solves

    .. math::
        \min_{\gamma \ge 0} \langle \gamma, M - \mathrm{reg\_m} \rangle \quad \text{s.t.} \quad
        \gamma 1 \le a, \quad \gamma^T 1 \le b:

    mass moves between ``i`` and ``j`` only where ``M_ij < reg_m``, as in
    POT's ``partial_wasserstein_lagrange``. With ``reg_m = 2 lambda``, adding
    ``lambda (sum a + sum b)`` to the objective gives the optimal partial
    transport ``OPT_lambda`` of Bai et al. (2023).

    Parameters
    ----------
    a, b, M : array_like
        Masses and finite cost matrix as in :func:`partial_wasserstein`.
        Unlike POT's version, which raises a ValueError unless ``a`` and
        ``b`` each sum to 1, any nonnegative masses are accepted (the
        problem is well posed for any masses; a deliberate difference).
    reg_m : float, optional
        Reward per unit of mass (any finite number). None: POT's default
        ``max(M) + 1`` (a few ulps above ``max(M)`` where ``max(M) + 1``
        rounds to ``max(M)``), which moves ``min(sum a, sum b)``.
    nb_dummies, log, numItermax, verbose, **kwargs
        As in :func:`partial_wasserstein` (POT's order: ``a, b, M, reg_m,
        nb_dummies, log, **kwargs``).

    Returns
    -------
    gamma : numpy.ndarray, shape (n, n')
    log : dict, only if ``log=True``
        ``T`` (the plan returned), ``cost`` (:math:`\langle\gamma,
        M\rangle`, POT's meaning),
        ``objective`` (:math:`\langle\gamma, M - \mathrm{reg\_m}\rangle`),
        ``mass``, ``reg_m``, dual potentials ``u <= 0``, ``v <= 0`` with
        ``u_i + v_j <= M_ij - reg_m`` and ``a.u + b.v = objective``, and
        ``result_code``, ``warning``, ``numItermax``, ``nb_dummies``.

    Raises
    ------
    ValueError, RuntimeError
        As in :func:`partial_wasserstein` (``reg_m`` NaN or infinite:
        ValueError). The plan is optimal and feasible up to rounding, or an
        error is raised; costs or ``reg_m`` above ``2^500`` are solved in
        scaled units as there.

    Notes
    -----
    Rows and columns with no cost below ``reg_m`` never move mass and are
    left out of the solve (as POT does).

    References
    ----------
    .. [1] L. A. Caffarelli and R. J. McCann, "Free boundaries in optimal
       transport and Monge-Ampere obstacle problems", Annals of Mathematics
       171 (2010), 673-730.
    .. [2] Y. Bai, B. Schmitzer, M. Thorpe and S. Kolouri, "Sliced optimal
       partial transport", CVPR 2023 (the dummy-point LP form).

    Examples
    --------
    >>> a, b = [0.1, 0.2], [0.1, 0.1]
    >>> M = [[0.0, 1.0], [2.0, 3.0]]
    >>> partial_wasserstein_lagrange(a, b, M, reg_m=2).round(2)
    array([[0.1, 0. ],
           [0. , 0. ]])
    """
    dtype = _out_dtype(M)
    a, b, M = check_transport_problem(a, b, M)
    given = reg_m is not None
    reg_m = check_real(reg_m, "reg_m") if given else None
    nb_dummies = _check_nb_dummies(nb_dummies)
    numItermax = _check_num_iter(numItermax)
    log = check_bool(log, "log")
    verbose = check_bool(verbose, "verbose")
    emd_kwargs = _emd_kwargs(kwargs, "partial_wasserstein_lagrange")
    # huge costs (or reward) are solved in units of a power of two s; duals and values reported in M's units
    top = max(_abs_max(M), abs(reg_m) if given else 0.0)
    scale = _cost_scale(top)
    if scale != 1.0:
        M = M / scale
    if given:
        reg_m_s = reg_m / scale
    else:
        # POT's default max(M) + 1, in M's scaled units; at least a few ulps above max(M), so that every pair
        # gains and min(sum a, sum b) moves even where max(M) + 1 rounds to max(M)
        top_s = float(M.max())
        reg_m_s = top_s + max(1.0 / scale, 4.0 * float(np.spacing(abs(top_s))))
    # rows / columns that can gain from moving mass (and have some)
    rows = np.flatnonzero((a > 0) & (M.min(axis=1) < reg_m_s))
    cols = np.flatnonzero((b > 0) & (M.min(axis=0) < reg_m_s))
    f, g = np.zeros(M.shape[0]), np.zeros(M.shape[1])
    if rows.size == 0 or cols.size == 0:
        plan = np.zeros(M.shape)
        info = {"result_code": _OPTIMAL, "warning": None, "numItermax": 0, "nb_dummies": (0, 0)}
        # zero duals on the masses (no pair of them gains); rows / columns without mass get feasible values
        f, g = _fill_duals(f, g, M, reg_m_s, np.flatnonzero(a > 0), np.flatnonzero(b > 0))
    else:
        block = M[np.ix_(rows, cols)]
        block -= reg_m_s
        a_s, b_s = a[rows], b[cols]
        sub, u, v, U, V, info = _augmented_emd(
            a_s, b_s, block, float(b_s.sum()), float(a_s.sum()), 0.0, nb_dummies, numItermax,
            "partial_wasserstein_lagrange", emd_kwargs)
        f[rows] = np.minimum(u + V, 0.0)
        g[cols] = np.minimum(v + U, 0.0)
        full_rows = None if rows.size == M.shape[0] else rows
        full_cols = None if cols.size == M.shape[1] else cols
        f, g = _fill_duals(f, g, M, reg_m_s, full_rows, full_cols)
        plan = _scatter(sub, full_rows, full_cols, M.shape)
    if verbose:
        _report("partial_wasserstein_lagrange", info, plan, M, scale)
    if not log:
        return _as_dtype(plan, dtype)
    cost_s = _frobenius(plan, M)
    mass = float(plan.sum())
    cost, objective, f, g = _unscale(scale, "partial_wasserstein_lagrange", cost=cost_s,
                                     objective=cost_s - reg_m_s * mass, u=f, v=g)
    reg_m = reg_m if given else reg_m_s * scale
    plan = _as_dtype(plan, dtype)
    info.update(cost=_as_dtype(cost, dtype), objective=objective, mass=mass, reg_m=reg_m, u=_as_dtype(f, dtype),
                v=_as_dtype(g, dtype), T=plan)
    return plan, info
