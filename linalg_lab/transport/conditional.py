"""Condition-aware mini-batch OT couplings for flow matching (C^2OT, Cheng & Schwing 2025).

Mini-batch OT couplings (prior sample ``x0_i`` <-> data sample ``x1_j``) make
flow-matching paths straighter, but when the model is conditioned they skew
the prior: the prior points that OT hands to a condition are no longer
distributed like the prior. C^2OT adds a condition term to the cost,

    cost[i, j] = |x0_i - x1_j|^2 + w * C[i, j],

with ``C`` a condition cost (cosine distance, squared Euclidean distance, or
a 0/1 class mismatch), and solves the assignment with
:func:`scipy.optimize.linear_sum_assignment`. The weight ``w`` can be given,
or searched so that a target fraction ``r`` of pairs stays "not priced out"
(see :func:`conditional_coupling`).

References
----------
.. [1] H. K. Cheng and A. Schwing, "The curse of conditions: analyzing and
   improving optimal transport for conditional flow-based generation",
   arXiv:2503.10636, 2025.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from ._api import renamed_keywords
from ..validation import EPS, check_bool, check_choice, check_int, check_matrix, check_real
from ._feasible import ConvergenceWarning

__all__ = ["conditional_coupling", "condition_ratio"]

_METRICS = ("cosine", "sqeuclidean", "class")


def _flat(x, name: str, n: int | None = None, what: str = "") -> np.ndarray:
    """``x`` as a float64 ``(n, features)`` array (a 1-D array: one feature per point)."""
    arr = check_matrix(x, name, dtype=np.float64, ndim=None)
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected an array with one row per point, got a scalar")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name}: expected {n} rows ({what}), got shape {arr.shape}")
    return arr.reshape(arr.shape[0], -1)


def _labels(c, name: str, n: int, what: str) -> np.ndarray:
    kind = np.asarray(c).dtype.kind if c is not None else None
    # text labels are kept as text (the "numeric" default of check_matrix refuses them)
    dtype = str if kind == "U" else bytes if kind == "S" else None
    arr = check_matrix(c, name, dtype=dtype, ndim=None)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected 1-D class labels, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{name}: expected {n} rows ({what}), got shape {arr.shape}")
    return arr


def _unit_rows(c: np.ndarray, name: str) -> np.ndarray:
    norms = np.linalg.norm(c, axis=1)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(f"{name}: row {int(zero[0])} has norm 0; the cosine metric needs nonzero condition vectors")
    return c / norms[:, None]  # a new array: the caller's conditions are never normalised in place


def _condition_cost(c0, c1, metric: str, n0: int, n1: int) -> np.ndarray:
    """The condition cost ``C >= 0`` (n0 x n1); equal conditions cost exactly 0."""
    if metric == "class":
        a = _labels(c0, "c0", n0, "one per point of x0")
        b = _labels(c1, "c1", n1, "one per point of x1")
        return (a[:, None] != b[None, :]).astype(np.float64)
    a = _flat(c0, "c0", n0, "one per point of x0")
    b = _flat(c1, "c1", n1, "one per point of x1")
    if b.shape[1] != a.shape[1]:
        raise ValueError(f"c1: expected {a.shape[1]} condition features per point (as c0), got shape "
                         f"{np.shape(c1)}")
    if metric == "sqeuclidean":
        with np.errstate(over="ignore"):
            C = cdist(a, b, "sqeuclidean")
        if not np.all(np.isfinite(C)):
            raise ValueError("c0: squared distances between the conditions c0 and c1 exceed the float range; rescale "
                             "them")
        return C
    C = 1.0 - _unit_rows(a, "c0") @ _unit_rows(b, "c1").T
    # 1 - <u, u> is a few ulps off 0: equal directions must cost exactly 0, and C must stay >= 0
    C[C <= 8 * EPS] = 0.0
    return C


def condition_ratio(M, C, weight) -> float:
    """The C^2OT ratio ``r(w)``: the fraction of pairs that the condition term does not price out.

    With ``p = min(n0, n1)``, a pair ``(i, j)``, ``j < p``, counts when its
    conditioned cost is no larger than the cost data point ``j`` has in the
    independent coupling given by the input order,
    ``M[i, j] + w * C[i, j] <= M[j, j]``, and ``r(w)`` is the fraction of the
    ``n0 * p`` such pairs that count (the authors' rule, their ``M_diag``
    comparison). ``r(0)`` is about 1/2 for independent batches; as ``C >= 0``,
    ``r`` is a nonincreasing step function of ``w``, down to the fraction of
    pairs with ``C[i, j] == 0`` and ``M[i, j] <= M[j, j]``.

    Parameters
    ----------
    M, C : array_like, shape (n0, n1)
        Point cost (squared distances) and condition cost (``>= 0``).
    weight : float >= 0

    Returns
    -------
    float

    References
    ----------
    .. [1] H. K. Cheng and A. Schwing, arXiv:2503.10636, 2025 (the search
       for ``w`` in their code).

    Examples
    --------
    >>> import numpy as np
    >>> M = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> condition_ratio(M, C, 0.0), condition_ratio(M, C, 2.0)
    (1.0, 0.5)
    """
    M = check_matrix(M, "M", dtype=np.float64, ndim=2)
    C = check_matrix(C, "C", dtype=np.float64, ndim=2, shape=M.shape)
    if C.min() < 0:
        raise ValueError(f"C: expected condition costs >= 0, got a minimum of {C.min():g}")
    w = check_real(weight, "weight", minimum=0)
    return _ratio(_slack(M), C[:, : min(M.shape)], w)


def _slack(M: np.ndarray) -> np.ndarray:
    """``M[j, j] - M[i, j]`` for ``j < min(n0, n1)``: a pair counts while ``w C[i, j]`` stays within it."""
    p = min(M.shape)
    return np.diagonal(M)[:p][None, :] - M[:, :p]


def _ratio(slack: np.ndarray, Cp: np.ndarray, w: float) -> float:
    with np.errstate(over="ignore"):  # w C beyond the float range is inf, which prices the pair out: correct
        return float(np.count_nonzero(w * Cp <= slack)) / slack.size


def _search_weight(slack, Cp, target, start, tol, max_iter, max_weight):
    """Doubling then bisection on the nonincreasing step function ``r(w)``; returns ``(w, r, evaluations)``."""
    evals = 1
    r0 = _ratio(slack, Cp, 0.0)
    if r0 <= target:  # no weight raises r above r(0)
        return 0.0, r0, evals
    best = (abs(r0 - target), 0.0, r0)
    low, high = 0.0, start
    while True:  # bracket: r(low) > target >= r(high)
        r = _ratio(slack, Cp, high)
        evals += 1
        best = min(best, (abs(r - target), high, r))
        if r <= target:
            break
        low = high
        if high >= max_weight or evals > max_iter:
            return high, r, evals
        high = min(2.0 * high, max_weight)
    if best[0] <= tol:
        return best[1], best[2], evals
    for _ in range(max_iter):
        mid = 0.5 * (low + high)
        if not low < mid < high:  # the bracket is one float wide
            break
        r = _ratio(slack, Cp, mid)
        evals += 1
        best = min(best, (abs(r - target), mid, r))
        if abs(r - target) <= tol:
            break
        if r > target:
            low = mid
        else:
            high = mid
    return best[1], best[2], evals


@renamed_keywords(x0="X_s", x1="X_t")
def conditional_coupling(X_s, X_t, c0, c1, weight=None, target_ratio=None, metric="cosine", *, ratio_tol=1e-3,
                         numItermax=100, max_weight=1e8, log=False):
    """C^2OT: the optimal assignment for ``|x0_i - x1_j|^2 + weight * C(c0_i, c1_j)``.

    Parameters
    ----------
    X_s : array_like, shape (n0, ...)
        Prior samples (trailing axes are flattened into features).
    X_t : array_like, shape (n1, ...)
        Data samples, with the same trailing shape as ``X_s``.
    c0, c1 : array_like, shape (n0, ...) and (n1, ...)
        Conditions of the prior and data samples (often the same array):
        vectors for ``"cosine"`` and ``"sqeuclidean"`` (trailing axes
        flattened; a 1-D array is one scalar per point), 1-D labels of any
        dtype for ``"class"``. Never modified (the cosine metric normalises
        copies).
    weight : float >= 0, optional
        The condition weight ``w``. With ``target_ratio`` too it is where the
        search starts. ``weight=0`` is the plain OT assignment.
    target_ratio : float in [0, 1], optional
        Search ``w`` so that :func:`condition_ratio` ``r(w)`` is within
        ``ratio_tol`` of it: ``r(w)`` is the fraction of pairs ``(i, j)``,
        ``j < min(n0, n1)``, with ``M[i, j] + w C[i, j] <= M[j, j]``, that is,
        pairs whose conditioned cost the condition term has not raised above
        the cost data point ``j`` has in the independent coupling given by the
        input order. The authors use ``r = 0.2`` (image features) and ``0.05``
        (continuous toy conditions).
    metric : {"cosine", "sqeuclidean", "class"}, default "cosine"
        Condition cost: ``1 - <c0_i, c1_j> / (|c0_i| |c1_j|)`` (zero vectors
        are refused), ``|c0_i - c1_j|^2``, or ``0`` for equal labels and ``1``
        otherwise. Equal conditions cost exactly 0 in all three.
    ratio_tol : float >= 0, default 1e-3
        Absolute tolerance on the ratio.
    numItermax : int >= 1, default 100
        Most evaluations of ``r`` in each phase (doubling, bisection).
    max_weight : float > 0, default 1e8
        The doubling stops here (a target below ``r(inf)`` cannot be met).
    log : bool, default False
        Also return a dict: ``"T"`` (the plan: 1 on each pair, a
        ``scipy.sparse.csr_array``), ``"cost"`` (its total conditioned
        cost), ``"weight"`` (the weight used), ``"ratio"`` (its
        ``r(weight)``), ``"target_ratio"``, ``"transport_cost"`` (sum of squared distances over
        the pairs), ``"condition_cost"`` (sum of ``C`` over the pairs),
        ``"n_evaluations"`` (evaluations of ``r``; 0 without search),
        ``"ratio_met"`` (whether ``|ratio - target_ratio| <= ratio_tol``;
        None without a target).

    Returns
    -------
    rows, cols : ndarray of int, shape (min(n0, n1),)
        The pairs ``(X_s[rows[t]], X_t[cols[t]])``, rows ascending (as
        :func:`scipy.optimize.linear_sum_assignment`; for square batches
        ``rows`` is ``arange(n)`` and ``cols`` a permutation).
    log : dict
        Only with ``log=True``.

    Warns
    -----
    ConvergenceWarning
        The search did not bring ``r(w)`` within ``ratio_tol`` of
        ``target_ratio`` (see Notes); ``log["ratio_met"]`` is then False.

    Raises
    ------
    ValueError
        Bad shapes or values (the message names the argument); squared
        distances (``X_s``, ``c0``) or conditioned costs (``weight``, or
        ``max_weight`` after a search) beyond the float range, which the
        assignment would otherwise read as forbidden pairs.

    Notes
    -----
    ``r(w)`` is a nonincreasing step function of ``w`` (``C >= 0``), so the
    search (the authors' method) doubles ``w`` from ``weight`` (default: the
    mean squared distance over the mean positive condition cost) until
    ``r(w) <= target_ratio`` and then bisects; each evaluation is
    ``O(n0 n1)`` and needs no assignment. A target at or above ``r(0)`` gives
    ``w = 0``; one below ``r(inf)`` (pairs with ``C = 0`` that count), or one
    that falls inside a jump of ``r`` (ties, tiny batches), cannot be met
    within ``ratio_tol``: the weight with the closest ratio found is used,
    the log reports its ratio and ``ratio_met = False``, and a
    ``ConvergenceWarning`` says so. With class labels and a weight larger than any
    difference of transport costs, pairs are made within classes whenever the
    class counts allow (``weight > n * max |x0_i - x1_j|^2`` is enough).

    References
    ----------
    .. [1] H. K. Cheng and A. Schwing, "The curse of conditions: analyzing
       and improving optimal transport for conditional flow-based
       generation", arXiv:2503.10636, 2025.

    Examples
    --------
    >>> import numpy as np
    >>> X_s = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> X_t = np.array([[0.1], [1.1], [2.1], [3.1]])
    >>> labels = np.array([0, 1, 0, 1])
    >>> conditional_coupling(X_s, X_t, labels, labels, weight=0.0, metric="class")[1].tolist()
    [0, 1, 2, 3]
    >>> conditional_coupling(X_s, X_t, labels, labels[::-1], weight=100.0, metric="class")[1].tolist()
    [1, 0, 3, 2]
    """
    metric = check_choice(metric, "metric", _METRICS)
    X0 = _flat(X_s, "X_s")
    X1 = _flat(X_t, "X_t")
    if np.shape(X_t)[1:] != np.shape(X_s)[1:]:
        raise ValueError(f"X_t: expected samples of shape {np.shape(X_s)[1:]} (as X_s), got shape {np.shape(X_t)}")
    n0, n1 = X0.shape[0], X1.shape[0]
    if weight is None and target_ratio is None:
        raise ValueError("weight: expected a weight >= 0 or a target_ratio, got neither")
    w = None if weight is None else check_real(weight, "weight", minimum=0)
    target = None if target_ratio is None else check_real(target_ratio, "target_ratio", minimum=0, maximum=1)
    tol = check_real(ratio_tol, "ratio_tol", minimum=0)
    max_iter = check_int(numItermax, "numItermax", minimum=1)
    w_max = check_real(max_weight, "max_weight", minimum=0, strict_minimum=True)
    log = check_bool(log, "log")

    with np.errstate(over="ignore"):
        M = cdist(X0, X1, "sqeuclidean")
    if not np.all(np.isfinite(M)):
        raise ValueError("X_s: squared distances between X_s and X_t exceed the float range; rescale the samples")
    C = _condition_cost(c0, c1, metric, n0, n1)
    slack, Cp = _slack(M), C[:, : min(n0, n1)]
    evals = 0
    if target is not None:
        if w is None or w == 0:
            positive = C[C > 0]
            scale = float(M.mean() / positive.mean()) if positive.size else 1.0
            start = scale if scale > 0 else 1.0
        else:
            start = w
        w, ratio, evals = _search_weight(slack, Cp, target, min(start, w_max), tol, max_iter, w_max)
        met = abs(ratio - target) <= tol
        if not met:
            warnings.warn(f"conditional_coupling: target_ratio {target:g} not met within ratio_tol {tol:g}: the "
                          f"closest ratio found is {ratio:g} (weight {w:g}; see log['ratio_met'])", ConvergenceWarning,
                          stacklevel=2)
    else:
        ratio = _ratio(slack, Cp, w)
        met = None
    with np.errstate(over="ignore"):
        cost = M + w * C if w > 0 else M
    if not np.all(np.isfinite(cost)):
        # an infinite entry would be a forbidden pair to linear_sum_assignment, not a large cost
        name = "weight" if target is None else "max_weight"
        raise ValueError(f"{name}: the conditioned costs |X_s - X_t|^2 + w C exceed the float range at w = {w:g}; "
                         "use a smaller weight")
    rows, cols = linear_sum_assignment(cost)
    if not log:
        return rows, cols
    from scipy.sparse import csr_array

    return rows, cols, {
        "T": csr_array((np.ones(len(rows)), (rows, cols)), shape=cost.shape),
        "weight": float(w),
        "ratio": ratio,
        "target_ratio": target,
        "cost": float(cost[rows, cols].sum()),
        "transport_cost": float(M[rows, cols].sum()),
        "condition_cost": float(C[rows, cols].sum()),
        "n_evaluations": evals,
        "ratio_met": met,
    }
