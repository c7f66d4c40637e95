"""Entropic partial optimal transport, in the log domain, with a real stopping rule.

Solves POT's ``entropic_partial_wasserstein`` problem (Benamou et al. 2015):

    min_gamma <gamma, M> + reg sum_ij gamma_ij log gamma_ij
    s.t. gamma 1 <= a,  gamma^T 1 <= b,  1^T gamma 1 = m,  gamma >= 0,

by the same Dykstra / iterated Bregman projections onto the three constraint
sets, written as exact block maximisation of the dual over row potentials
``f <= 0``, column potentials ``g <= 0`` and a mass potential ``lam``, with
``gamma_ij = exp((f_i + g_j + lam - M_ij) / reg)``. The cycles are POT's
(the same plan after the same number of cycles, up to rounding), but

* one cycle costs O(n m) (POT multiplies by dense diagonal matrices: O(n^2 m));
* it stays finite for small ``reg`` (log-domain potentials with Schmitzer's
  absorption: most cycles are multiply-adds on a stored stabilised kernel);
* it stops on a measured violation of the optimality conditions;
* when the cycles stagnate (small ``reg``, or ``m`` near the total mass),
  two-block cycles and projected Newton steps on the same dual take over
  (``accelerate=True``), and a direct solve that stalls is finished by
  epsilon scaling (a decreasing sequence of ``reg``, warm-started);
* what it returns is feasible: a plan that did not converge is rounded onto
  the constraint set, flagged in the log and by a ``ConvergenceWarning``.

The numba kernels are in :mod:`linalg_lab.transport._entropic_kernels`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.linalg as sla

from ..validation import check_bool, check_choice, check_int, check_real, check_tolerance
from ._checks import check_mass, check_transport_problem
from . import _entropic_kernels as _k
from ._feasible import ConvergenceWarning
from .partial import _abs_max, _as_dtype, _out_dtype

__all__ = ["entropic_partial_wasserstein", "entropic_partial_wasserstein2", "entropic_partial_wasserstein_logscale"]

#: POT's names for the solver (``method=``, case-insensitive); both run the solver below (see its docstring).
METHODS = ("sinkhorn", "sinkhorn_log")

_CHECK_EVERY = 10  # cycles between two measurements of the violation (as POT's error checks)
_CHUNK = 100  # cycles between two looks at the convergence rate
_NEWTON_MAX_DIM = 3000  # largest reduced Newton system solved densely (its matrix is dim^2 floats)
_SCALE_START = 2e-2  # its first reg, times (max M - min M)
_SCALE_FACTOR = 0.5  # ratio of two consecutive regs
_STAGE_RTOL = 1e-6  # a stage before the last stops at this violation times m
_STAGE_MAX_ITER = 2000  # and after at most this many cycles
_STUCK_CYCLES = 500  # a direct solve that has not halved its violation in this many cycles anneals instead
_TINY_REG = 1e-250  # reg / max|M| below this: 1 / reg is out of range in the kernels


def entropic_partial_wasserstein(a, b, M, reg, m=None, method="sinkhorn", numItermax=10000, stopThr=1e-9,
                                 verbose=False, log=False, *, accelerate=True, scaling=None, rounding=True,
                                 warn=True, device="cpu"):
    r"""Entropic partial transport plan (POT's problem and cycles), in the log domain, with a stopping rule.

    Solves

    .. math::
        \min_\gamma \langle \gamma, M \rangle + \mathrm{reg} \sum_{ij} \gamma_{ij} \log \gamma_{ij}
        \quad \text{s.t.} \quad \gamma 1 \le a, \ \gamma^T 1 \le b, \ 1^T \gamma 1 = m, \ \gamma \ge 0,

    the problem of ``ot.partial.entropic_partial_wasserstein``, by the same
    iteration (Dykstra's projections onto the three constraint sets, which for
    these KL projections is block coordinate ascent on the dual). The optimal
    plan is :math:`\gamma_{ij} = \exp((f_i + g_j + \lambda - M_{ij}) / \mathrm{reg})`
    with :math:`f, g \le 0`; one cycle updates ``f`` (rows), ``g`` (columns) and
    :math:`\lambda` (mass) in O(n m) operations, in the log domain.

    **A drop-in for POT's.** The arguments are POT's, in POT's order
    (``a, b, M, reg, m, method, numItermax, stopThr, verbose, log``; the
    extras are keyword-only, after them), the plan comes back in ``M``'s
    dtype (float32 stays float32), and ``log`` has POT's keys ``err`` and
    ``partial_w_dist`` (the same value, ``<gamma, M>``; ``err`` holds this
    solver's violations, see below, not POT's change of the plan between
    checks). ``method`` takes POT's names: ``"sinkhorn"`` (POT's default,
    its scaling iteration) and ``"sinkhorn_log"`` (POT's log-domain
    version, also :func:`entropic_partial_wasserstein_logscale`), any case;
    another name is a ValueError. Both run this solver: its cycles are the
    scaling iteration of ``"sinkhorn"`` (multiply-adds on a stored kernel,
    POT's iterates where POT's stay finite), and the log-domain
    stabilisation takes over only where a scaling would leave ``[e^-100,
    e^100]``, which is where POT's ``"sinkhorn"`` returns NaN and its
    ``"sinkhorn_log"`` is needed. The two names therefore give the same plan
    (the name is recorded as ``log["method"]``). The defaults differ from
    POT's on purpose: POT's ``stopThr = 1e-100`` runs all ``numItermax =
    1000`` cycles whatever the accuracy; here the run stops when the
    optimality conditions hold to ``stopThr = 1e-9`` (pass POT's values to
    get its fixed number of cycles).

    **Stopping rule.** Every 10 cycles the *violation* of the current plan is
    measured (absolute, in mass units)::

        violation = max( max_i |r_i - min(a_i, r_i exp(-f_i / reg))|,
                         max_j |c_j - min(b_j, c_j exp(-g_j / reg))|,
                         |sum(gamma) - m| )

    with ``r, c`` the row and column sums of ``gamma``: the largest change that
    one more row, column or mass projection would make to a marginal. It is
    zero exactly at the optimum (rows with ``f_i < 0`` saturated, ``r_i = a_i``;
    the others ``r_i <= a_i``; the same for columns) and bounds the excesses
    ``max(r - a)`` and ``max(c - b)``. The run stops when it is ``<= stopThr``.
    When ``m = sum(a)`` the row constraints can only hold as equalities; the
    row projection is then the plain scaling ``r = a`` (Sinkhorn's, without the
    clipping at 0 that would make the cycle a slow Sinkhorn) and the row term
    reads ``max_i |r_i - a_i|``; likewise for ``m = sum(b)``. (These cycles
    then differ from POT's; for ``m`` below both totals they are POT's.)

    **Small reg.** The kernel ``exp(-M / reg)`` is never formed: a stabilised
    kernel for earlier potentials is stored and refreshed when a scaling leaves
    ``[e^-100, e^100]`` (Schmitzer 2019), and sums that underflow are redone by
    log-sum-exp. When the cycles converge slowly (less than a factor 10 per 100
    cycles, typical below ``reg ~ 1e-2 max(M)``) and ``accelerate`` is true,
    two things take over, both ascent steps on the same concave dual (so the
    limit is the same unique plan):

    * *block cycles*: ``(f, lam)`` jointly, then ``(g, lam)``, each maximised
      exactly (row sums ``min(a_i, theta s_i)`` with ``theta`` found by water
      filling so that they add up to ``m``). The three-projection cycle
      overshoots the mass and then cuts it back, which stalls when ``m`` is
      close to ``sum a`` or ``sum b`` (at ``reg = 1e-3 max(M)``, ``m = 0.99``,
      a violation of 6e-4 after 2000 cycles); the block cycles never do. They
      read the kernel twice per cycle.
    * *projected Newton steps* on the dual (Bertsekas 1982), interleaved: the
      reduced Hessian is solved densely through a Schur complement (so at most
      about 3000 free rows or columns on the smaller side), each potential
      moves by at most ``reg`` per step (a trust region against the
      exponential's overshoot), and a step is kept only if it raises the dual
      objective or lowers the violation. They finish the flat directions of the
      dual (nearly isolated blocks of rows and columns) where cycles crawl.

    On Gaussian clouds at ``reg = 1e-3 max(M)`` the plain cycles stall near a
    violation of 1e-8 after 10^5 cycles, while with ``accelerate`` 1e-9 is
    reached in a few hundred cycles and a few Newton steps (under a second at
    n = 1000).

    **Epsilon scaling.** At smaller ``reg`` (about ``1e-4`` of the cost range
    and below, on small problems already from ``1e-3``) a cold start can leave
    the potentials hundreds of ``reg`` away from the optimum along a flat
    direction of the dual (a plan entry of ``1e-100`` that must become a
    transported share), where cycles and trust-region Newton steps both crawl.
    The standard remedy (Kosowsky & Yuille 1994; Schmitzer 2019) is to solve
    a decreasing sequence of regularisations, ``reg_k = 0.02 (max M - min M)
    / 2^k`` down to ``reg``, each stage warm-started with the potentials of
    the one before (they are in cost units and converge as ``reg -> 0``), the
    stages before the last stopping at a violation of ``1e-6 m``. By default
    (``scaling=None``) it is used only when needed: a direct solve that has not
    halved its smallest violation in 500 cycles is restarted from its current
    potentials as epsilon scaling (``log["restarted"]``); ``scaling=True``
    starts with it, ``scaling=False`` never uses it. Regularisations at which
    the direct solve converges (the usual ``reg >= 1e-2 max(M)``, and most
    problems at ``1e-3 max(M)``) run exactly as without it.

    **What is guaranteed.** The plan is finite and ``>= 0``. If
    ``log["converged"]`` (the violation reached ``stopThr``), its rows exceed
    ``a``, its columns ``b`` and its total ``m`` by at most ``stopThr``. If not
    (``numItermax`` cycles were not enough, or ``stopThr = 0``), the last
    iterate is rounded onto the constraint set (rows ``<= a``, columns ``<=
    b``, total ``= m``, up to a few ulps of the masses; ``log["rounded"]``)
    by the rounding of Altschuler, Weed and Rigollet (2017) adapted to
    partial constraints, and, when ``stopThr > 0``, a
    :class:`~linalg_lab.transport.ConvergenceWarning` says that the
    tolerance was not met. With ``rounding=False`` the last iterate is
    returned as it is, and a ``ConvergenceWarning`` is raised whenever it is
    off the constraints by more than ``stopThr`` (``log["excess"]``).
    Measured on 600 random problems of 2 to 8 points (masses uniform in
    ``[0.01, 1]``, costs uniform in ``[0, 1]``, ``m`` from 5% to 95% of the
    smaller total), all converged to ``1e-9`` at ``reg = 1e-3, 1e-4, 3e-5``
    times ``max(M)``; with ``accelerate=False`` 3 to 6% did not (and were
    rounded, with a warning).

    **Large costs.** ``M`` and ``reg`` are divided by a power of two near
    ``max|M|`` before the solve (exact in floating point), so costs up to the
    largest float work; the cost ``<gamma, M>`` is reported in the units of
    ``M``.

    Parameters
    ----------
    a : array_like, shape (n,)
        Row masses (``>= 0``, finite); empty means uniform ``1/n``.
    b : array_like, shape (n2,)
        Column masses; empty means uniform ``1/n2``.
    M : array_like, shape (n, n2)
        Cost matrix (finite).
    reg : float
        Entropic regularisation, ``> 0``.
    m : float, optional
        Transported mass in ``[0, min(sum a, sum b)]``; default the maximum.
    method : {"sinkhorn", "sinkhorn_log"}, default "sinkhorn"
        POT's solver names (case-insensitive), both mapped onto this solver
        (see above).
    numItermax : int, default 10000
        Maximum number of cycles over all stages (one cycle = the three
        projections, or the two blocks; Newton steps are not counted).
    stopThr : float, default 1e-9
        Stop when the violation is ``<= stopThr`` (absolute, in the units of
        the masses: scale it with them); ``0`` runs exactly ``numItermax`` of
        POT's cycles (as POT's default does) and rounds the last iterate
        (pass ``rounding=False`` for POT's iterate itself).
    verbose : bool, default False
        Print the violation at every measurement (every 10 cycles) in POT's
        two-column format.
    log : bool, default False
        Also return a dict: ``n_iter`` (cycles), ``n_block_cycles`` (how many of
        them were block cycles), ``n_newton`` (accepted Newton steps),
        ``n_absorb`` (kernel refreshes), ``n_stages`` (regularisations solved:
        1 without epsilon scaling), ``restarted`` (a stalled direct solve was
        restarted as epsilon scaling), ``err`` (the violation at each
        measurement), ``violation`` and ``excess`` (the optimality violation
        and the constraint excess ``max(max(r - a), max(c - b), |sum - m|)``
        of the last iterate), ``converged`` (``violation <= stopThr``),
        ``rounded`` (the plan returned is the rounding of the last iterate),
        ``log_u``, ``log_v``, ``log_mass`` (the log-potentials ``f / reg``,
        ``g / reg``, ``lam / reg`` of the last iterate: it is ``exp(log_u[:,
        None] + log_v[None, :] + log_mass - M / reg)``; ``-inf`` for rows or
        columns of zero mass), ``cost`` (``<gamma, M>`` of the plan
        returned; also under POT's key ``partial_w_dist``), ``T`` (the plan
        returned, the family's key for it) and ``method`` (the name asked
        for).
    device : {"cpu", "cuda", "auto"}, default "cpu"
        ``"cuda"``: the cycles run on an NVIDIA GPU (the cost matrix stays on
        the device; each row and column pass is one kernel of exact
        log-sum-exp reductions, :mod:`._entropic_cuda`), with the same stages,
        stopping rule, plan and rounding as on the CPU. Only Dykstra's
        three-projection cycles run there: ``accelerate`` (block cycles and
        Newton steps) is a CPU feature and is ignored. ``"auto"``: the GPU
        when one is usable. A ``ValueError`` naming ``device`` says why no
        GPU can be used.
    accelerate : bool, default True
        Switch to block cycles and Newton steps when the cycles stagnate
        (``False``, or ``stopThr = 0``: POT's cycles only; with ``False`` a
        stalled solve still restarts as epsilon scaling unless
        ``scaling=False``).
    scaling : bool or None, default None
        Epsilon scaling: None uses it when a direct solve stalls, True
        always, False never (see above).
    rounding : bool, default True
        Round an unconverged plan onto the constraint set (see above).
    warn : bool, default True
        Issue the ``ConvergenceWarning`` described above (``False`` leaves
        only the flags in ``log``).

    Returns
    -------
    gamma : numpy.ndarray, shape (n, n2)
        The plan (feasible, or within ``stopThr`` of feasible, as above).
    log : dict
        Only with ``log=True``.

    Raises
    ------
    ValueError
        ``reg <= 0`` or below ``1e-250 max|M|``, ``m`` out of range, negative
        or non-finite masses or costs, ``M`` not of shape ``(len(a),
        len(b))``; the message names the argument.

    Warns
    -----
    ConvergenceWarning
        ``stopThr > 0`` and the violation is still above it after
        ``numItermax`` cycles, or (``rounding=False``) the plan returned is
        off the constraints by more than ``stopThr``.

    See Also
    --------
    entropic_partial_wasserstein2 : the value ``<gamma, M>``.
    ot.partial.entropic_partial_wasserstein : POT's version (same problem and iterates).

    References
    ----------
    .. [1] J.-D. Benamou, G. Carlier, M. Cuturi, L. Nenna and G. Peyré, "Iterative
       Bregman projections for regularized transportation problems", SIAM J. Sci.
       Comput. 37(2), A1111-A1138, 2015 (Proposition 5: partial transport).
    .. [2] B. Schmitzer, "Stabilized sparse scaling algorithms for entropy
       regularized transport problems", SIAM J. Sci. Comput. 41(3), A1443-A1481, 2019.
    .. [3] D. P. Bertsekas, "Projected Newton methods for optimization problems
       with simple constraints", SIAM J. Control Optim. 20(2), 221-246, 1982.
    .. [4] J. J. Kosowsky and A. L. Yuille, "The invisible hand algorithm:
       solving the assignment problem with statistical physics", Neural
       Networks 7(3), 477-490, 1994 (annealing the regularisation).
    .. [5] J. Altschuler, J. Weed and P. Rigollet, "Near-linear time
       approximation algorithms for optimal transport via Sinkhorn
       iteration", NeurIPS 2017 (the rounding).

    Examples
    --------
    >>> import numpy as np
    >>> a, b = [0.1, 0.2], [0.1, 0.1]
    >>> M = [[0.0, 1.0], [2.0, 3.0]]
    >>> np.round(entropic_partial_wasserstein(a, b, M, 1.0, 0.1), 2)
    array([[0.06, 0.02],
           [0.01, 0.  ]])
    >>> G = entropic_partial_wasserstein(a, b, [[0.0, 1.0], [1.0, 0.5]], 0.01, 0.15)
    >>> np.round(G, 3), round(float(G.sum()), 12)
    (array([[0.1 , 0.  ],
           [0.  , 0.05]]), 0.15)

    At a small ``reg`` (the issue's example: a direct solve stalls, epsilon
    scaling finishes it):

    >>> G, log = entropic_partial_wasserstein([0.35, 0.65], [0.13, 0.87], [[0.31, 0.42], [0.83, 0.41]],
    ...                                       1e-4, 0.3, log=True)
    >>> log["converged"], G.sum(axis=1).round(9).tolist(), G.sum(axis=0).round(9).tolist()
    (True, [0.13, 0.17], [0.13, 0.17])
    """
    dtype = _out_dtype(M)
    a, b, M = check_transport_problem(a, b, M)
    reg = check_real(reg, "reg", minimum=0, strict_minimum=True)
    mass = check_mass(m, a, b)
    method = _check_method(method)
    if isinstance(numItermax, float) and numItermax.is_integer():
        numItermax = int(numItermax)  # POT's users write numItermax=1e4
    numItermax = check_int(numItermax, "numItermax", minimum=0)
    stopThr = check_tolerance(stopThr, "stopThr")
    verbose = check_bool(verbose, "verbose")
    log = check_bool(log, "log")
    accelerate = check_bool(accelerate, "accelerate")
    scaling = None if scaling is None else check_bool(scaling, "scaling")
    rounding = check_bool(rounding, "rounding")
    warn = check_bool(warn, "warn")
    on_gpu = _use_gpu(device)

    n, n2 = M.shape
    plan = np.zeros((n, n2))
    log_u = np.full(n, -np.inf)
    log_v = np.full(n2, -np.inf)
    info = dict(n_iter=0, n_block_cycles=0, n_newton=0, n_absorb=0, n_stages=0, err=[], violation=0.0, excess=0.0,
                converged=True, log_mass=-np.inf)
    rows = np.flatnonzero(a > 0)
    cols = np.flatnonzero(b > 0)
    if mass > 0:
        # rows and columns of zero mass carry nothing (f or g = -inf): solve on the support
        whole = len(rows) == n and len(cols) == n2
        Ms = M if whole else np.ascontiguousarray(M[np.ix_(rows, cols)])
        # costs and reg divided by a power of two near max|M|: exact in floating point (the same iterates), and
        # costs near the largest float cannot overflow in f + g + lam - M
        scale = _power_of_two(Ms)
        reg_s = reg / scale
        if not (reg_s >= _TINY_REG and math.isfinite(1.0 / reg_s)):
            raise ValueError(f"reg: expected a regularisation above {_TINY_REG:g} times max|M| = "
                             f"{_abs_max(Ms):g}, got {reg:g}")
        if scale != 1.0:
            Ms = Ms / scale
        cycles = None
        if on_gpu:
            from ._entropic_cuda import DeviceCycles

            cycles = DeviceCycles(Ms)
        P, f, g, lam, info = _solve(a[rows], b[cols], Ms, reg_s, mass, numItermax, stopThr, accelerate, scaling,
                                    verbose, cycles=cycles)
        if whole:
            plan = P
        else:
            plan[np.ix_(rows, cols)] = P
        log_u[rows] = f / reg_s
        log_v[cols] = g / reg_s
        info["log_mass"] = lam / reg_s
    else:
        log_u[rows] = 0.0
        log_v[cols] = 0.0
    info["rounded"] = False
    if not info["converged"] and rounding and info["excess"] > 0:
        _k.round_in_place(plan, a, b, mass)  # the plan is this function's own array
        info["rounded"] = True
    # a tolerance that was not met, or a plan returned outside the constraint set (beyond rounding): say so
    noise = 64 * np.finfo(np.float64).eps * max(float(a.sum()), float(b.sum()))
    loud = (stopThr > 0 and not info["converged"]) or (not info["rounded"] and info["excess"] > stopThr + noise)
    if warn and loud:
        if info["rounded"]:
            what = "the plan was rounded onto the constraint set"
        elif info["excess"] > stopThr + noise:
            what = f"the plan is off the constraints by {info['excess']:.3g}"
        else:
            what = "the plan is feasible but not optimal to stopThr"
        warnings.warn(f"entropic_partial_wasserstein: violation {info['violation']:.3g} > stopThr {stopThr:.3g} "
                      f"after {info['n_iter']} cycles ({what}); raise numItermax or reg", ConvergenceWarning,
                      stacklevel=2)
    if not log:
        return _as_dtype(plan, dtype)
    info["log_u"] = log_u
    info["log_v"] = log_v
    info["partial_w_dist"] = info["cost"] = _as_dtype(_cost(plan, M), dtype)
    info["method"] = method
    plan = _as_dtype(plan, dtype)
    info["T"] = plan
    return plan, info


def _check_method(method) -> str:
    """POT's ``method`` names, case-insensitive (a ValueError naming ``method`` otherwise)."""
    if not isinstance(method, str):
        raise TypeError(f"method: expected a string among {', '.join(map(repr, METHODS))}, got "
                        f"{type(method).__name__} {method!r}")
    name = method.lower()
    if name not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(map(repr, METHODS))} (any case), got {method!r}")
    return name


def entropic_partial_wasserstein_logscale(a, b, M, reg, m=None, numItermax=10000, stopThr=1e-9, verbose=False,
                                          log=False, **kwargs):
    r"""POT's log-domain entry point: :func:`entropic_partial_wasserstein` with ``method="sinkhorn_log"``.

    The same arguments in POT's order (``a, b, M, reg, m, numItermax,
    stopThr, verbose, log``) and the same keyword-only extras
    (``accelerate``, ``scaling``, ``rounding``, ``warn``). This solver is
    stable at any ``reg`` whichever method is named, so this is the same
    plan as the default call.

    References
    ----------
    .. [1] J.-D. Benamou, G. Carlier, M. Cuturi, L. Nenna and G. Peyré, "Iterative
       Bregman projections for regularized transportation problems", SIAM J. Sci.
       Comput. 37(2), A1111-A1138, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> G = entropic_partial_wasserstein_logscale([0.1, 0.2], [0.1, 0.1], [[0.0, 1.0], [2.0, 3.0]], 1.0, 0.1)
    >>> np.round(G, 2)
    array([[0.06, 0.02],
           [0.01, 0.  ]])
    """
    return entropic_partial_wasserstein(a, b, M, reg, m, "sinkhorn_log", numItermax, stopThr, verbose, log, **kwargs)


def _power_of_two(M):
    """A power of two near ``max|M|`` (1 for a zero ``M``)."""
    top = _abs_max(M)
    if top == 0.0 or not math.isfinite(top):
        return 1.0
    return math.ldexp(1.0, math.frexp(top)[1] - 1)  # 2^e <= max|M| < 2^(e + 1): no overflow at the float limit


def _cost(plan, M):
    """``<plan, M>``, summed on ``M`` divided by a power of two when ``M`` is near the float limit."""
    scale = _power_of_two(M)
    if scale <= 2.0 ** 1000:
        return float(np.sum(plan * M))
    return float(np.sum(plan * (M / scale))) * scale


def entropic_partial_wasserstein2(a, b, M, reg, m=None, method="sinkhorn", numItermax=10000, stopThr=1e-9,
                                  verbose=False, log=False, *, accelerate=True, scaling=None, rounding=True,
                                  warn=True, device="cpu"):
    r"""The transport cost ``<gamma, M>`` of :func:`entropic_partial_wasserstein`'s plan.

    Same arguments (in the same order) and stopping rule; the value is in
    ``M``'s dtype. With ``log=True`` returns ``(value, log)`` where ``log``
    is that function's dict (the plan is ``log["T"]``, the value ``log["cost"]``).

    References
    ----------
    .. [1] J.-D. Benamou, G. Carlier, M. Cuturi, L. Nenna and G. Peyré, "Iterative
       Bregman projections for regularized transportation problems", SIAM J. Sci.
       Comput. 37(2), A1111-A1138, 2015.

    Examples
    --------
    >>> M = [[0.0, 1.0], [1.0, 0.5]]
    >>> round(entropic_partial_wasserstein2([0.1, 0.2], [0.1, 0.1], M, 0.01, 0.15), 6)
    0.025
    """
    log = check_bool(log, "log")
    plan, info = entropic_partial_wasserstein(a, b, M, reg, m, method, numItermax, stopThr, verbose, True,
                                              accelerate=accelerate, scaling=scaling, rounding=rounding, warn=warn,
                                              device=device)
    value = info["cost"]
    return (value, info) if log else value


# ----------------------------------------------------------------------------- solver


def _annealing(reg, spread):
    """Epsilon scaling: regularisations from ``_SCALE_START * spread`` down to ``reg`` by factors ``_SCALE_FACTOR``."""
    regs = []
    r = _SCALE_START * spread
    while r > reg / _SCALE_FACTOR:
        regs.append(r)
        r *= _SCALE_FACTOR
    return regs + [reg]


def _use_gpu(device) -> bool:
    """Whether the cycles go to a GPU; a ValueError naming ``device`` says why one cannot be used."""
    device = check_choice(device, "device", ("cpu", "cuda", "auto"))
    if device == "cpu":
        return False
    from .._targets import cuda_status

    usable, why = cuda_status()
    if device == "cuda" and not usable:
        raise ValueError(f"device: 'cuda' needs a usable NVIDIA GPU, and here {why}")
    return usable


def _solve(a, b, M, reg, mass, max_iter, stop_thr, accelerate, scaling, verbose=False, init=None, cycles=None):
    """Solve on the support (masses > 0, ``mass > 0``): one stage per regularisation of the schedule.

    The schedule is ``[reg]`` (a direct solve) or epsilon scaling
    (:func:`_annealing`): each stage starts from the potentials of the one
    before (they are in cost units, so they carry over from one ``reg`` to the
    next), the stages before the last stop at ``_STAGE_RTOL * m``, the last at
    ``stop_thr``. With ``scaling=None`` a direct solve that stops making
    progress (see :func:`_stage`) is restarted, from its current potentials,
    as epsilon scaling. ``init = (f, g, lam)`` starts from those potentials
    (in the units of ``M``; a warm start, e.g. from a nearby problem).
    """
    n, n2 = M.shape
    spread = float(M.max() - M.min())
    regs = _annealing(reg, spread) if scaling and spread > 0 else [reg]
    watch = scaling is None and len(regs) == 1 and spread > 0 and stop_thr > 0
    if init is None:
        f = np.zeros(n)
        g = np.zeros(n2)
        lam = _k.cold_start_mass_potential(M, mass, regs[0])
    else:
        f, g, lam = np.array(init[0], dtype=np.float64), np.array(init[1], dtype=np.float64), float(init[2])
    errs = []
    counts = dict(n_iter=0, n_block_cycles=0, n_newton=0, n_absorb=0, n_stages=0, restarted=False)
    converged = False
    k = 0
    while k < len(regs):
        r = regs[k]
        last = k == len(regs) - 1
        left = max_iter - counts["n_iter"]
        if last:
            budget, thr = left, stop_thr
        else:
            # a stage before the last has to bring the potentials close to its optimum (far from it, the
            # next, smaller reg crawls along flat directions of the dual); it may not use up the cycles
            # that the final stage needs
            budget, thr = min(left // 2, _STAGE_MAX_ITER), max(stop_thr, _STAGE_RTOL * mass)
        counts["n_stages"] += 1
        lam, converged, stuck = _stage(a, b, M, r, mass, f, g, lam, budget, thr, accelerate, watch, errs, counts,
                                       verbose, cycles)
        if stuck:
            # the direct solve crawls: anneal from a larger reg down to reg, from where it is
            watch = False
            counts["restarted"] = True
            regs = _annealing(reg, spread)
            k = 0
            continue
        k += 1
    # equality sides were not clipped: shift their potentials back below 0 (the same plan)
    rows_eq, cols_eq = _full_sides(a, b, mass)
    for x, full in ((f, rows_eq), (g, cols_eq)):
        top = x.max()
        if full and top > 0:
            x -= top
            lam += top
    P, v, excess = _k.plan_and_violation(M, a, b, mass, reg, f, g, lam, rows_eq, cols_eq)
    converged = converged or bool(v <= stop_thr)  # the stopping test passed (on the same plan, up to rounding)
    info = dict(counts, err=errs, violation=float(v), excess=float(excess), converged=converged)
    return P, f, g, float(lam), info


def _stage(a, b, M, reg, mass, f, g, lam, max_iter, stop_thr, accelerate, watch, errs, counts, verbose=False,
           cycles=None):
    """Cycles in chunks at one ``reg`` (Dykstra's, then block cycles and Newton steps once they stagnate).

    Updates ``f, g`` in place, appends the measured violations to ``errs`` and
    adds to ``counts``; returns ``(lam, converged, stuck)``. With ``watch``,
    the stage gives up (``stuck``) when ``_STUCK_CYCLES`` cycles in a row have
    not halved the smallest violation seen: the cycles then crawl along a flat
    direction of the dual (a plan entry that must grow by many orders of
    magnitude), which a larger ``reg`` crosses quickly.
    """
    n, n2 = M.shape
    rows_eq, cols_eq = _full_sides(a, b, mass)
    lams = np.array([lam, 0.0])
    if cycles is None:
        K = np.empty((n, n2))
        f0 = np.empty(n)
        g0 = np.empty(n2)
    else:                      # the device's cycles need no kernel matrix here, and no CPU acceleration
        K = f0 = g0 = None
    it = 0
    fresh = True
    newton = accelerate and stop_thr > 0 and cycles is None
    skip = 0  # chunks to wait before the next Newton attempt (doubles after a failed one)
    backoff = 1
    chunk = _CHUNK
    converged = False
    cycle = _k.dykstra if cycles is None else cycles.cycle
    ref = np.inf  # the smallest violation when the current window of cycles began
    window = 0
    while it < max_iter:
        steps = min(chunk, max_iter - it)
        buf = np.empty(steps // _CHECK_EVERY + 2)
        done, ne, nab = cycle(M, a, b, mass, reg, f, g, lams, K, f0, g0, fresh, steps, stop_thr, _CHECK_EVERY, buf,
                              rows_eq, cols_eq)
        fresh = False
        it += done
        counts["n_iter"] += done
        if cycle is _k.blocks:
            counts["n_block_cycles"] += done
        counts["n_absorb"] += nab
        if verbose:
            _print_errors(counts["n_iter"] - done, buf[:ne], len(errs))
        errs.extend(buf[:ne].tolist())
        if ne and buf[ne - 1] <= stop_thr:
            converged = True
            break
        if watch and ne:
            best = float(buf[:ne].min())
            if best <= 0.5 * ref:
                ref, window = best, 0
            else:
                window += done
                if window >= _STUCK_CYCLES:
                    return float(lams[0]), False, True
        chunk = _CHUNK
        if not newton or it >= max_iter or ne < 2:
            continue
        # rate per cycle over this chunk; stagnating = less than a factor 10 per 100 cycles
        first, last = buf[0], buf[ne - 1]
        slow = not (last < first * 0.1 ** ((ne - 1) * _CHECK_EVERY / 100.0))
        if not slow:
            continue
        # the two-block cycles never overshoot the mass (the three-projection cycle's slow mode when m is
        # near sum a or sum b); from here on use them
        cycle = _k.blocks
        if skip > 0:
            skip -= 1
            continue
        step = _newton_step(a, b, M, reg, mass, f, g, lams[0])
        if step is None:
            skip, backoff = backoff, 2 * backoff
            continue
        f[:], g[:], lams[0], v = step
        counts["n_newton"] += 1
        errs.append(v)
        backoff = 1
        if v <= stop_thr:
            converged = True
            break
        chunk = 2 * _CHECK_EVERY  # a few cycles to settle the active set, then look again
    return float(lams[0]), converged, False


def _print_errors(start, values, seen):
    """``verbose``: one line per measurement, with POT's header every 20 measurements (200 cycles)."""
    for k, err in enumerate(values):
        if (seen + k) % 20 == 0:
            print("{:5s}|{:12s}".format("It.", "Err") + "\n" + "-" * 19)
        print("{:5d}|{:8e}|".format(start + _CHECK_EVERY * (k + 1), float(err)))


def _full_sides(a, b, mass):
    """Whether ``m`` is all of ``a``'s mass / all of ``b``'s: that side's constraints are then equalities."""
    return bool(mass >= a.sum() * (1 - 1e-12)), bool(mass >= b.sum() * (1 - 1e-12))


def _newton_step(a, b, M, reg, mass, f, g, lam):
    """One projected Newton step on the dual (Bertsekas 1982), or None if no step length helps.

    Free variables: ``lam``, the rows with ``f_i < 0`` or ``r_i > a_i`` and
    likewise the columns; the others stay at their bound 0. The Newton system
    ``H d = reg * gradient`` (``H`` the Hessian of ``reg * sum(gamma)`` in the
    free variables) is reduced to the smaller side by a Schur complement.
    When ``m = sum(a)`` every row is saturated at the optimum and ``(f + t,
    lam - t)`` is the same plan: the bound ``f <= 0`` is then no constraint
    (all rows are free, and ``f`` is shifted back below 0 after the step);
    likewise for the columns.
    """
    rows_full, cols_full = _full_sides(a, b, mass)
    P, v0, _ = _k.plan_and_violation(M, a, b, mass, reg, f, g, lam, rows_full, cols_full)
    r = P.sum(axis=1)
    c = P.sum(axis=0)
    total = float(r.sum())
    tiny = 1e-300
    fr = np.flatnonzero((rows_full | (f < 0) | (r > a)) & (r > tiny))
    fc = np.flatnonzero((cols_full | (g < 0) | (c > b)) & (c > tiny))
    if min(len(fr), len(fc)) + 1 > _NEWTON_MAX_DIM:
        return None
    B = P[np.ix_(fr, fc)]
    gr, gc, gt = a[fr] - r[fr], b[fc] - c[fc], mass - total
    # eliminate the larger side: the Schur complement lives on the smaller one (plus lam)
    if len(fr) >= len(fc):
        dr, dc, ddr = _schur_solve(r[fr], B, c[fc], total, gr, gc, gt)
    else:
        dc, dr, ddr = _schur_solve(c[fc], B.T, r[fr], total, gc, gr, gt)
    if dr is None:
        return None
    # trust region: no potential moves by more than reg per step (no plan entry by more than a factor e).
    # The dual is flat along nearly isolated blocks, where the full step is long and the exponentials
    # make it overshoot; capped steps took 4 to 6 times fewer Newton steps on Gaussian clouds at
    # reg = 1e-3 max(M) than backtracking on the full step alone.
    dr = reg * np.clip(dr, -1.0, 1.0)
    dc = reg * np.clip(dc, -1.0, 1.0)
    dl = reg * min(max(ddr, -1.0), 1.0)

    def trial(t):
        f2 = f.copy()
        g2 = g.copy()
        f2[fr] += t * dr
        g2[fc] += t * dc
        lam2 = lam + t * dl
        for x, full in ((f2, rows_full), (g2, cols_full)):
            top = x.max()
            if full and top > 0:
                x -= top  # the same plan, back within the bound
                lam2 += top
            else:
                np.minimum(x, 0.0, out=x)
        with np.errstate(all="ignore"):
            P2, v2, _ = _k.plan_and_violation(M, a, b, mass, reg, f2, g2, lam2, rows_full, cols_full)
            # gain in the dual objective <f, a> + <g, b> + lam m - reg sum(gamma)
            gain = a @ (f2 - f) + b @ (g2 - g) + mass * (lam2 - lam) - reg * (P2.sum() - total)
        return f2, g2, lam2, float(v2), float(gain)

    # accept the first step (1, 1/2, ...) that raises the dual objective beyond rounding (Armijo's test
    # with a zero slope factor), or, where gains drown in rounding near the end, lowers the violation
    noise = 1e-13 * reg * mass + 1e-15 * (abs(a @ f) + abs(b @ g) + abs(mass * lam))
    t = 1.0
    for _ in range(8):
        f2, g2, lam2, v2, gain = trial(t)
        if np.isfinite(v2) and (gain > noise or v2 < v0):
            return f2, g2, lam2, v2
        t *= 0.5
    return None


def _schur_solve(de, E, do, total, ge, go, gt):
    """Solve ``[[diag(de), E, de], [E^T, diag(do), do], [de^T, do^T, total]] x = (ge, go, gt)`` by eliminating ``de``.

    Returns the three blocks of ``x`` (``None`` if the reduced system cannot be solved).
    """
    B = np.concatenate([E, de[:, None]], axis=1)  # coupling of the eliminated block to (other side, lam)
    C = np.zeros((len(do) + 1, len(do) + 1))
    C[np.arange(len(do)), np.arange(len(do))] = do
    C[:-1, -1] = do
    C[-1, :-1] = do
    C[-1, -1] = total
    W = B / de[:, None]
    S = C - B.T @ W
    rhs = np.concatenate([go, [gt]]) - W.T @ ge
    S[np.diag_indices_from(S)] += 1e-13 * max(float(np.abs(np.diag(S)).max()), 1e-300)
    # near-singular systems (a 1 x n problem: its row and the mass potential are one direction) overflow in
    # scipy's 1 x 1 shortcut: no numpy warning may reach the caller, the finiteness test and the line search
    # judge the step
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", sla.LinAlgWarning)
        try:
            y = sla.solve(S, rhs, assume_a="pos", check_finite=False)
        except (sla.LinAlgError, ValueError):
            try:
                y = sla.lstsq(S, rhs, check_finite=False)[0]
            except (sla.LinAlgError, ValueError):
                return None, None, None
        if not np.all(np.isfinite(y)):
            return None, None, None
        xe = (ge - B @ y) / de
    return xe, y[:-1], float(y[-1])
