"""The exact partial-transport cost for every transported mass at once (uniform masses, any dimension).

With equal masses ``w`` on the ``n`` points of ``X`` and on the ``n'`` points
of ``Y``, partial optimal transport of mass ``m = k w`` is a min-cost flow of
value ``k`` with unit capacities (divide by ``w``), and network flows with
integer data have integral optimal solutions: its value is ``w`` times the
minimum cost of a *k-matching* (k disjoint pairs). Successive shortest paths
(SSP) on the assignment flow network builds the min-cost k-matchings for
``k = 1, 2, ...`` one augmentation at a time, so one run of ``O(n^3)`` gives the
whole path ``k -> cost(k)`` — where POT's ``partial_wasserstein`` solves one
linear program per mass. The kernel is in
:mod:`linalg_lab.transport._assignment_kernels`.

Masses: every point carries ``point_mass`` (default ``1 / max(n, n')``), so
the path matches ``ot.partial.partial_wasserstein2(a, b, M, m=k * point_mass)``
with ``a = point_mass * ones(n)`` and ``b = point_mass * ones(n')``; for
``n == n'`` that is POT's uniform ``a = b = 1/n`` and ``m = k/n``.

What is nested and what is not: SSP never un-matches a point, so the points
transported at mass ``k w`` are the first ``k`` of ``row_order`` and of
``col_order`` (an optimal support for every k at once); the *pairing* inside
them may change from one k to the next. :func:`partial_assignment` returns the
optimal k-matching itself (it runs the SSP up to ``k``); equivalently, the
optimal assignment between ``X[row_order[:k]]`` and ``Y[col_order[:k]]``.

Properties (theorems of min-cost flow, asserted in the tests): the costs are
nondecreasing when ``M >= 0`` and convex in ``k`` for any ``M`` (the marginal
cost of one more unit of flow never decreases).

References
----------
.. [1] R. K. Ahuja, T. L. Magnanti and J. B. Orlin, *Network Flows*,
   Prentice Hall, 1993, Sections 9.7 (successive shortest paths) and 12.4
   (the assignment problem).
.. [2] R. Jonker and A. Volgenant, "A shortest augmenting path algorithm for
   dense and sparse linear assignment problems", *Computing* 38, 1987.
.. [3] N. Bonneel and D. Coeurjolly, "SPOT: sliced partial optimal
   transport", *ACM TOG* 38(4), 2019 (the 1-D case, also for every
   mass at once).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from ._api import renamed_keywords
from ..validation import (
    check_bool,
    check_choice,
    check_int,
    check_real,
)
from ._checks import check_cost_matrix, check_points
from ._assignment_kernels import ssp_path
from .partial import _abs_max, _cost_scale

__all__ = ["partial_assignment", "partial_wasserstein_path"]

_METRICS = ("sqeuclidean", "euclidean", "precomputed")


def _cost(X, Y, metric: str) -> np.ndarray:
    metric = check_choice(metric, "metric", _METRICS)
    if metric == "precomputed":
        if Y is not None:
            raise ValueError("X_t: expected None with metric='precomputed' (X_s is the cost matrix)")
        return check_cost_matrix(X, "X_s")
    if Y is None:
        raise TypeError(f"X_t: expected an array of points with metric={metric!r}, got None")
    X = check_points(X, "X_s")
    Y = check_points(Y, "X_t")
    if Y.shape[1] != X.shape[1]:
        raise ValueError(f"X_t: expected points of dimension {X.shape[1]} (as X_s), got shape {Y.shape}")
    # cdist forms the differences, so small distances keep their relative accuracy
    with np.errstate(over="ignore"):
        M = cdist(X, Y, metric)
    if not np.all(np.isfinite(M)):
        raise ValueError(f"X_s: the {metric} distances between points of X_s and X_t exceed the float range; "
                         "rescale the points")
    return M


def _run(M: np.ndarray, kmax: int):
    """SSP on ``M`` with the smaller side as columns; results in ``M``'s orientation.

    Costs above ``HUGE_COST`` are divided by a power of two first (exact; the
    matchings do not change): the kernel's potentials and path lengths are
    sums of costs, which near the float limit overflow and pick wrong
    matchings (26 of 200 random 5 x 6 matrices of costs up to 1.7e308). The
    costs returned are in units of that power of two, which is returned too.
    """
    scale = _cost_scale(_abs_max(M))
    if scale != 1.0:
        M = M / scale
    return (scale, *_ssp(M, kmax))


def _in_units(costs, scale: float, name: str):
    """``costs * scale``, or a ValueError naming ``name`` when that leaves the float range."""
    with np.errstate(over="ignore"):
        out = costs * scale if scale != 1.0 else costs
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name}: the partial transport costs exceed the float range; rescale the costs "
                         "(the matchings do not change)")
    return out


def _ssp(M: np.ndarray, kmax: int):
    n, m = M.shape
    if n <= m:
        costs, row_order, col_order, col4row = ssp_path(M, kmax)
        rows = np.flatnonzero(col4row >= 0)
        cols = col4row[rows]
    else:
        costs, col_order, row_order, row4col = ssp_path(np.ascontiguousarray(M.T), kmax)
        cols = np.flatnonzero(row4col >= 0)
        rows = row4col[cols]
        order = np.argsort(rows)
        rows, cols = rows[order], cols[order]
    return costs, row_order, col_order, rows, cols


@renamed_keywords(X="X_s", Y="X_t")
def partial_wasserstein_path(X_s, X_t=None, metric="sqeuclidean", *, point_mass=None, k_max=None, log=False):
    """Exact partial OT cost for every mass ``k * point_mass``, ``k = 0..min(n, n')``, in one run.

    Parameters
    ----------
    X_s : array_like, shape (n, d) or (n,)
        Source points (a 1-D array: points on a line); with
        ``metric="precomputed"``, the cost matrix ``M`` of shape (n, n').
    X_t : array_like, shape (n', d) or (n',), optional
        Target points; must be None with ``metric="precomputed"``.
    metric : {"sqeuclidean", "euclidean", "precomputed"}, default "sqeuclidean"
        Ground cost ``|x - y|^2`` (POT's ``ot.dist`` default), ``|x - y|``,
        or ``X_s`` is the cost matrix (any finite real entries).
    point_mass : float > 0, optional
        Mass of every point of ``X_s`` and of ``X_t``; default ``1 / max(n, n')``
        (POT's uniform ``1/n`` when ``n == n'``).
    k_max : int, optional
        Stop after ``k_max`` points are transported (default ``min(n, n')``).
    log : bool, default False
        Also return a dict with ``"T"`` (the plan at ``k_max``: ``point_mass``
        on each pair of the optimal ``k_max``-matching, a
        ``scipy.sparse.csr_array``), ``"cost"`` (its cost, ``costs[-1]``),
        ``"matching_costs"`` (the costs divided by
        ``point_mass``: sums of k entries of the cost matrix),
        ``"marginal_costs"`` (their differences), ``"row_order"`` and
        ``"col_order"`` (the point of X_s, of X_t, that enters the support at
        each step; the first k of each are the points transported at mass
        ``k * point_mass``), ``"rows"``/``"cols"`` (the optimal
        ``k_max``-matching, rows ascending) and ``"point_mass"``.

    Returns
    -------
    masses : ndarray, shape (k_max + 1,)
        ``k * point_mass``.
    costs : ndarray, shape (k_max + 1,)
        The optimal partial transport cost at each mass (exact: successive
        shortest paths stop at no tolerance).
    log : dict
        Only with ``log=True``.

    Raises
    ------
    ValueError
        Bad arguments (the message names them); distances between the points
        beyond the float range (``X_s``); costs beyond it (``X_s``, or
        ``point_mass`` when only the scaled costs overflow). Costs above
        ``2^500`` are solved divided by a power of two (exact), as the
        kernel's potentials are sums of costs.

    Notes
    -----
    Successive shortest paths with Johnson potentials, one dense
    ``O(n n')`` Dijkstra per transported point; ``O(min(n, n')^2 max(n, n'))``
    time at worst for the whole path and ``O(n n')`` memory (the cost matrix).
    Each cost is summed afresh from the cost matrix over the current matching,
    so no rounding accumulates along the path. The costs are convex in ``k``
    (nondecreasing too when the costs are ``>= 0``).

    References
    ----------
    .. [1] R. K. Ahuja, T. L. Magnanti and J. B. Orlin, *Network Flows*,
       Prentice Hall, 1993, Sections 9.7 and 12.4.
    .. [2] L. Chapel, M. Z. Alaya and G. Gasso, "Partial optimal transport
       with applications on positive-unlabeled learning", NeurIPS 2020 (the
       partial-Wasserstein problem as POT solves it).

    Examples
    --------
    >>> import numpy as np
    >>> X_s, X_t = np.array([-0.2, 1.0, 3.0]), np.array([0.5, 3.0, 10.0])
    >>> masses, costs = partial_wasserstein_path(X_s, X_t)
    >>> (costs * 3).round(4).tolist()  # point masses 1/3
    [0.0, 0.0, 0.25, 53.49]
    >>> _, _, info = partial_wasserstein_path(X_s, X_t, log=True)
    >>> info["row_order"].tolist(), info["col_order"].tolist()
    ([2, 1, 0], [1, 0, 2])
    """
    M = _cost(X_s, X_t, metric)
    n, m = M.shape
    K = min(n, m)
    kmax = K if k_max is None else check_int(k_max, "k_max", minimum=0, maximum=K,
                                             maximum_text=f"min(n, n') = {K}")
    w = 1.0 / max(n, m) if point_mass is None else check_real(point_mass, "point_mass", minimum=0,
                                                              strict_minimum=True)
    log = check_bool(log, "log")
    scale, matching, row_order, col_order, rows, cols = _run(M, kmax)
    masses = w * np.arange(kmax + 1, dtype=np.float64)
    matching = _in_units(matching, scale, "X_s")
    costs = _in_units(matching, w, "point_mass")
    if not log:
        return masses, costs
    return masses, costs, {
        "T": _sparse_plan(rows, cols, w, M.shape),
        "cost": float(costs[-1]),
        "matching_costs": matching,
        "marginal_costs": np.diff(matching),
        "row_order": row_order,
        "col_order": col_order,
        "rows": rows,
        "cols": cols,
        "point_mass": w,
    }


def partial_assignment(M, k, *, log=False):
    """The optimal k-matching of the cost matrix ``M``: ``k`` disjoint pairs of least total cost.

    The rectangular, partial form of :func:`scipy.optimize.linear_sum_assignment`
    (which is the case ``k = min(n, n')``); with equal point masses ``w`` it is
    the support of an optimal partial transport plan of mass ``k w`` (the plan
    is ``w`` on every returned pair).

    Parameters
    ----------
    M : array_like, shape (n, n')
        Finite cost matrix (any real entries).
    k : int
        Number of pairs, ``0 <= k <= min(n, n')``.
    log : bool, default False
        Also return a dict with ``"T"`` (the plan: 1 on each pair, a
        ``scipy.sparse.csr_array``), ``"cost"`` (``M[rows, cols].sum()``),
        ``"costs"`` (the optimal costs for ``0..k`` pairs), ``"row_order"``
        and ``"col_order"`` (see :func:`partial_wasserstein_path`).

    Returns
    -------
    rows, cols : ndarray of int, shape (k,)
        The pairs ``(rows[t], cols[t])``, rows ascending (as
        ``linear_sum_assignment``).
    log : dict
        Only with ``log=True``.

    Raises
    ------
    ValueError
        Bad arguments; with ``log=True``, matching costs beyond the float
        range (``M``; the pairs themselves are still computed in scaled
        units without ``log``).

    Notes
    -----
    The optimal k-matchings are not nested (a point may change partner as
    ``k`` grows) but their supports are: this runs the successive shortest
    paths of :func:`partial_wasserstein_path` up to ``k``, ``O(k^2 max(n, n'))``.

    References
    ----------
    .. [1] R. K. Ahuja, T. L. Magnanti and J. B. Orlin, *Network Flows*,
       Prentice Hall, 1993, Section 9.7.

    Examples
    --------
    >>> import numpy as np
    >>> M = (np.array([-0.2, 1.0, 3.0])[:, None] - np.array([0.5, 3.0, 10.0])) ** 2
    >>> [r.tolist() for r in partial_assignment(M, 2)]
    [[1, 2], [0, 1]]
    >>> [r.tolist() for r in partial_assignment(M, 3)]  # point 2 changes partner
    [[0, 1, 2], [0, 1, 2]]
    """
    M = check_cost_matrix(M, "M")
    n, m = M.shape
    k = check_int(k, "k", minimum=0, maximum=min(n, m), maximum_text=f"min(n, n') = {min(n, m)}")
    log = check_bool(log, "log")
    scale, costs, row_order, col_order, rows, cols = _run(M, k)
    if not log:
        return rows, cols
    costs = _in_units(costs, scale, "M")
    return rows, cols, {"T": _sparse_plan(rows, cols, 1.0, M.shape), "cost": float(costs[-1]), "costs": costs,
                        "row_order": row_order, "col_order": col_order}


def _sparse_plan(rows, cols, mass, shape):
    """The plan of a matching: ``mass`` on each pair ``(rows[t], cols[t])``, as a scipy.sparse CSR array."""
    from scipy.sparse import csr_array

    return csr_array((np.full(len(rows), float(mass)), (rows, cols)), shape=shape)
