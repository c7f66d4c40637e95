r"""Pseudo-labels for imbalanced clustering by progressive partial OT (P^2OT, SP^2OT) and its baselines.

Given the class predictions ``P`` (N samples x K clusters) of a model, a
pseudo-label plan ``Q`` (N x K, masses) is the solution of an entropic
transport problem with the cost ``C = -log P``. Balanced Sinkhorn
pseudo-labelling (SeLa, Asano et al. 2020) forces every cluster to the size
``1/K``; for long-tailed data this splits the head clusters and fills the
tail ones with head samples. P^2OT (Zhang, Ren & He, ICLR 2024) instead

* transports only a fraction ``rho`` of the mass (the most confident
  samples; ``rho`` grows during training, :func:`progressive_rho`), and
* replaces the cluster-size equality by a KL penalty towards ``rho b``:

.. math::

    \min_{Q \ge 0,\ Q 1 \le a,\ 1^T Q 1 = \rho\, |a|}
      \langle Q, C\rangle + \lambda\, \mathrm{KL}(Q^T 1 \,\|\, \rho |a| b)
      + \varepsilon \sum_{ij} \hat Q_{ij} (\log \hat Q_{ij} - 1),

with ``\hat Q = [Q, \xi]`` the plan augmented by a virtual cluster
``\xi = a - Q 1`` (cost 0) that takes the untransported mass ``(1 - rho) |a|``.
On the augmented plan the rows are equalities, the virtual column an
equality and the real columns a KL penalty (generalised KL,
``KL(x||y) = sum x log(x/y) - x + y``), so the problem is an unbalanced OT
problem solved by the scaling algorithm of Chizat et al. (2018): rows
``u = a / (K v)``, real columns ``v = (rho |a| b / K^T u)^(lam / (lam + eps))``,
virtual column ``v = (1 - rho) |a| / K^T u``. Here it runs in the stabilised
log domain (absorption of Schmitzer 2019, numba, O(NK) memory and
multiply-adds per iteration), so small ``reg`` and N up to 10^5 work.

SP^2OT (Zhang, Ren & He, arXiv:2404.03446) adds a semantic term
``-lam_s <S, Q Q^T>`` for a sample-similarity graph ``S`` and solves the
non-convex problem by majorization-minimization: each step re-solves P^2OT
with the cost linearised at the current plan, ``C - lam_s (S + S^T) Q_t``
(:func:`semantic_progressive_partial_ot`).

Baselines in the same conventions: :func:`sela_pseudo_labels` (``rho = 1``,
cluster sizes fixed) and :func:`uot_pseudo_labels` (``rho = 1``, KL on the
cluster sizes, no virtual cluster). :func:`matched_accuracy` scores labels
against the truth after the Hungarian matching of clusters to classes.

References
----------
.. [1] C. Zhang, H. Ren and X. He, "P^2OT: Progressive partial optimal
   transport for deep imbalanced clustering", ICLR 2024, arXiv:2401.09266.
.. [2] C. Zhang, H. Ren and X. He, "SP^2OT: Semantic-regularized progressive
   partial optimal transport for imbalanced clustering", arXiv:2404.03446.
.. [3] Y. M. Asano, C. Rupprecht and A. Vedaldi, "Self-labelling via
   simultaneous clustering and representation learning", ICLR 2020.
.. [4] L. Chizat, G. Peyre, B. Schmitzer and F.-X. Vialard, "Scaling
   algorithms for unbalanced optimal transport problems", Math. Comp. 2018.
.. [5] B. Schmitzer, "Stabilized sparse scaling algorithms for entropy
   regularized transport problems", SIAM J. Sci. Comput. 41(3), 2019.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment

from ..validation import (
    check_bool,
    check_choice,
    check_int,
    check_matrix,
    check_real,
    check_tolerance,
    check_vector,
)
from . import _progressive_kernels as _k
from ._feasible import ConvergenceWarning, round_partial_plan

__all__ = [
    "long_tailed_sizes",
    "matched_accuracy",
    "progressive_partial_ot",
    "progressive_rho",
    "sela_pseudo_labels",
    "semantic_progressive_partial_ot",
    "similarity_graph",
    "uot_pseudo_labels",
]

_P_FLOOR = 1e-300  # a zero probability is read as this (cost 690.8), so that every cluster stays reachable


# ----------------------------------------------------------------------------- helpers


def progressive_rho(t, T, rho0=0.1, steepness=5.0):
    r"""The P^2OT mass schedule ``rho_t = rho0 + (1 - rho0) exp(-steepness (1 - t/T)^2)``.

    It starts near ``rho0`` (plus ``(1 - rho0) e^-steepness``), ramps up
    smoothly and reaches 1 at ``t = T`` (the "sigmoid ramp-up" of [1]_).

    Parameters
    ----------
    t : int or float or array_like
        Step(s), ``0 <= t <= T`` (values above ``T`` give 1).
    T : int or float
        Total number of steps, ``> 0``.
    rho0 : float, default 0.1
        Initial fraction, ``0 < rho0 <= 1``.
    steepness : float, default 5.0
        ``>= 0``.

    Returns
    -------
    float or numpy.ndarray

    References
    ----------
    .. [1] C. Zhang, H. Ren and X. He, ICLR 2024, arXiv:2401.09266.

    Examples
    --------
    >>> from linalg_lab.transport import progressive_rho
    >>> round(progressive_rho(0, 100), 4), progressive_rho(100, 100)
    (0.1061, 1.0)
    """
    T = check_real(T, "T", minimum=0, strict_minimum=True)
    rho0 = check_real(rho0, "rho0", minimum=0, maximum=1, strict_minimum=True)
    steepness = check_real(steepness, "steepness", minimum=0)
    scalar = np.ndim(t) == 0
    if scalar:
        tt = np.array([check_real(t, "t", minimum=0)])
    else:
        tt = check_vector(np.ravel(t), "t", dtype=np.float64)
        if (tt < 0).any():
            raise ValueError("t: expected steps >= 0")
    x = np.minimum(tt / T, 1.0)
    out = rho0 + (1.0 - rho0) * np.exp(-steepness * (1.0 - x) ** 2)
    return float(out[0]) if scalar else out.reshape(np.shape(t))


def long_tailed_sizes(N, K, imbalance=0.01):
    r"""Cluster sizes ``n_k`` proportional to ``imbalance^(k/(K-1))``, ``k = 0..K-1``, summing to ``N``.

    The long-tailed protocol of [1]_ (``n_k = n_max imbalance^(k/(K-1))``,
    head/tail ratio ``1/imbalance``) with ``n_max`` chosen so that there are
    ``N`` samples in all (largest-remainder rounding; every size is at least
    1, so ``N >= K``).

    References
    ----------
    .. [1] C. Zhang, H. Ren and X. He, ICLR 2024, arXiv:2401.09266.

    Examples
    --------
    >>> from linalg_lab.transport import long_tailed_sizes
    >>> long_tailed_sizes(1000, 5, 0.01).tolist()
    [683, 217, 69, 23, 8]
    """
    K = check_int(K, "K", minimum=1)
    N = check_int(N, "N", minimum=K, maximum_text=None)
    imbalance = check_real(imbalance, "imbalance", minimum=0, maximum=1, strict_minimum=True)
    w = imbalance ** (np.arange(K) / max(K - 1, 1))
    extra = (N - K) * w / w.sum()  # one sample each, the rest in proportion
    sizes = 1 + np.floor(extra).astype(np.int64)
    rest = N - int(sizes.sum())
    if rest:
        sizes[np.argsort(-(extra - np.floor(extra)), kind="stable")[:rest]] += 1
    return sizes


def matched_accuracy(y_true, y_pred, *, per_class=False):
    """Accuracy after the best one-to-one matching of predicted clusters to classes (Hungarian).

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
        True classes and predicted clusters (any nonnegative integers).
    per_class : bool, default False
        Return the per-class accuracy (recall of each true class, in the
        order of ``numpy.unique(y_true)``) instead of the overall one.

    Returns
    -------
    float or numpy.ndarray
        The overall accuracy, or the per-class accuracies (their mean is the
        "mean per-class accuracy" of imbalanced clustering). The matching
        maximises the number of correctly matched samples.

    Examples
    --------
    >>> from linalg_lab.transport import matched_accuracy
    >>> matched_accuracy([0, 0, 1, 1, 2], [2, 2, 0, 1, 1])
    0.8
    >>> matched_accuracy([0, 0, 1, 1, 2], [2, 2, 0, 1, 1], per_class=True).tolist()
    [1.0, 0.5, 1.0]
    """
    yt = check_vector(y_true, "y_true", dtype=np.int64)
    yp = check_vector(y_pred, "y_pred", dtype=np.int64, size=yt.shape[0])
    per_class = check_bool(per_class, "per_class")
    if yt.min() < 0:
        raise ValueError("y_true: expected nonnegative integer labels")
    if yp.min() < 0:
        raise ValueError("y_pred: expected nonnegative integer labels")
    classes, ti = np.unique(yt, return_inverse=True)
    clusters, pi = np.unique(yp, return_inverse=True)
    counts = np.zeros((classes.size, clusters.size), dtype=np.int64)
    np.add.at(counts, (ti, pi), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    hit = np.zeros(classes.size)
    hit[rows] = counts[rows, cols]
    if per_class:
        return hit / np.bincount(ti, minlength=classes.size)
    return float(hit.sum() / yt.size)


def similarity_graph(X, n_neighbors=20, sigma=None):
    r"""A sparse sample-similarity graph for SP^2OT: Gaussian kernel on the ``n_neighbors`` nearest neighbours.

    ``S_ij = exp(-|x_i - x_j|^2 / (2 sigma^2))`` for the ``n_neighbors``
    nearest neighbours ``j != i`` of each ``i`` (k-d tree), 0 elsewhere; the
    diagonal is empty. ``S`` is not symmetric in general.

    Parameters
    ----------
    X : array_like, shape (N, d)
        Features.
    n_neighbors : int, default 20
        ``1 <= n_neighbors < N``.
    sigma : float, optional
        Kernel width ``> 0``; default the median neighbour distance.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (N, N)

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import similarity_graph
    >>> S = similarity_graph(np.array([[0.0], [1.0], [3.0]]), n_neighbors=1, sigma=1.0)
    >>> S.toarray().round(3).tolist()
    [[0.0, 0.607, 0.0], [0.607, 0.0, 0.0], [0.0, 0.135, 0.0]]
    """
    from scipy.spatial import cKDTree

    X = check_matrix(X, "X", dtype=np.float64, ndim=None)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X: expected a 2-D array (samples x features), got shape {X.shape}")
    n = X.shape[0]
    k = check_int(n_neighbors, "n_neighbors", minimum=1, maximum=n - 1, maximum_text=f"N - 1 = {n - 1}")
    dist, idx = cKDTree(X).query(X, k=k + 1)
    # drop each point itself (the first neighbour unless there are duplicates at distance 0)
    keep = idx != np.arange(n)[:, None]
    rows_keep = keep.sum(axis=1)
    fix = rows_keep > k
    keep[fix, -1] = False  # no self among the k+1: drop the farthest
    dist = dist[keep].reshape(n, k)
    idx = idx[keep].reshape(n, k)
    if sigma is None:
        sigma = float(np.median(dist))
        if sigma == 0.0:
            sigma = 1.0
    else:
        sigma = check_real(sigma, "sigma", minimum=0, strict_minimum=True)
    w = np.exp(-(dist ** 2) / (2.0 * sigma ** 2))
    return sp.csr_matrix((w.ravel(), idx.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))


# ----------------------------------------------------------------------------- the solver


def _cost_from(P, kind: str, name: str) -> np.ndarray:
    if kind == "proba":
        arr = check_matrix(P, name, dtype=(np.float64, np.float32))
        if (arr < 0).any():
            raise ValueError(f"{name}: probabilities must be >= 0 (pass kind='cost' for a cost matrix)")
        if arr.shape[1] < 1:
            raise ValueError(f"{name}: expected at least one cluster column")
        C = np.maximum(arr, _P_FLOOR, dtype=np.float64)
        np.log(C, out=C)
        np.negative(C, out=C)
        return C
    C = check_matrix(P, name, dtype=np.float64)
    return np.ascontiguousarray(C)


def _masses(a, b, N: int, K: int):
    if a is None or (np.ndim(a) == 1 and np.size(a) == 0):
        r = np.full(N, 1.0 / N)
    else:
        r = check_vector(a, "a", dtype=np.float64, size=N, copy=True)
        if (r < 0).any() or r.sum() <= 0:
            raise ValueError("a: expected sample masses >= 0 with a positive sum")
    if b is None or (np.ndim(b) == 1 and np.size(b) == 0):
        q = np.full(K, 1.0 / K)
    else:
        q = check_vector(b, "b", dtype=np.float64, size=K, copy=True)
        if (q <= 0).any():
            raise ValueError("b: expected a cluster prior with entries > 0")
        q = q / q.sum()
    return r, q


def _exponent(reg: float, reg_m: float) -> float:
    if math.isinf(reg_m):
        return 1.0
    return reg_m / (reg_m + reg)


def _solve(C, cv, r, beta, beta_v, reg, p, virtual, numItermax, stopThr, g0=None, gv0=0.0, depth=5):
    """Run the scaling loop on the rows with positive mass; returns a dict (plan, virtual share, potentials, ...)."""
    N, K = C.shape
    live = r > 0
    all_live = bool(live.all())
    Cl = C if all_live else np.ascontiguousarray(C[live])
    cvl = cv if all_live else np.ascontiguousarray(cv[live])
    rl = r if all_live else r[live]
    n = Cl.shape[0]
    g = np.zeros(K) if (g0 is None or p == 0.0) else np.array(g0, dtype=np.float64)
    gv = float(gv0) if virtual else 0.0
    f = np.empty(n)
    _k.init_rows(Cl, cvl, g, gv, virtual, f)
    Kt = np.empty((n, K))
    kv = np.empty(n)
    _k.rebuild(Cl, cvl, f, g, gv, reg, virtual, Kt, kv)
    u = np.ones(n)
    v = np.ones(K)
    mass = float(r.sum())
    gv, vv, it, err = _k.scaling_loop(Cl, cvl, rl, beta, beta_v, p, reg, virtual, int(numItermax),
                                      float(stopThr) * mass, f, g, gv, Kt, kv, u, v, int(depth))
    Kt *= u[:, None]
    Kt *= v[None, :]
    xi = kv * u * vv if virtual else np.zeros(n)
    F = f + reg * np.log(u)
    G = g + reg * np.log(v)
    Gv = gv + reg * math.log(vv) if virtual else 0.0
    if not all_live:
        Q = np.zeros((N, K))
        Q[live] = Kt
        xi_full = np.zeros(N)
        xi_full[live] = xi
        F_full = np.full(N, -np.inf)
        F_full[live] = F
        Kt, xi, F = Q, xi_full, F_full
    return dict(plan=Kt, virtual=xi, F=F, G=G, Gv=Gv, n_iter=int(it), err=float(err) / mass,
                converged=bool(err <= float(stopThr) * mass))


def _round(Q, r, beta, total, exact_columns):
    """Round onto ``Q 1 <= r``, ``1^T Q 1 = total`` (and ``Q^T 1 = beta`` when ``exact_columns``)."""
    if exact_columns:
        return round_partial_plan(Q, r, beta, total)
    c = Q.sum(axis=0)
    slack = max(total - float(c.sum()), 0.0)
    return round_partial_plan(Q, r, c + slack, total)


def _objective(Q, xi, C, cv, reg, reg_m, beta):
    """``<C,Q> + <cv,xi> + reg sum Qhat (log Qhat - 1) + reg_m KL(Q^T 1 || beta)`` (KL omitted for reg_m = inf)."""
    def ent(x):
        x = x[x > 0]
        return float(np.sum(x * (np.log(x) - 1.0)))

    val = float(np.sum(Q * C)) + float(xi @ cv) + reg * (ent(Q) + ent(xi))
    if not math.isinf(reg_m) and reg_m > 0:
        c = Q.sum(axis=0)
        pos = c > 0
        val += reg_m * float(np.sum(c[pos] * np.log(c[pos] / beta[pos])) - c.sum() + beta.sum())
    return val


def _check_common(reg, reg_m, numItermax, stopThr, verbose, log):
    reg = check_real(reg, "reg", minimum=0, strict_minimum=True)
    reg_m = check_real(reg_m, "reg_m", minimum=0, allow_inf=True)
    numItermax = check_int(numItermax, "numItermax", minimum=1)
    stopThr = check_tolerance(stopThr, "stopThr")
    check_bool(verbose, "verbose")
    check_bool(log, "log")
    return reg, reg_m, numItermax, stopThr


def _reg_stages(C, reg):
    """Epsilon-scaling stages above ``reg`` (factor 4 apart, from a tenth of the typical cost gap), or none.

    The gap is the median over (at most 1000) rows of ``median_j C_ij - min_j C_ij``; stages are used only
    when ``reg`` is below a hundredth of it, where plain scaling needs very many iterations.
    """
    rows = C if C.shape[0] <= 1000 else C[:: C.shape[0] // 1000]
    gap = float(np.median(np.median(rows, axis=1) - rows.min(axis=1)))
    if not (reg * 100.0 < gap):
        return []
    stages = []
    e = reg * 4.0
    while e < gap / 10.0:
        stages.append(e)
        e *= 4.0
    return stages[::-1]


def _ppot(C, rho, reg, reg_m, r, q, numItermax, stopThr, cv=None, g0=None, gv0=0.0, rounding=True, depth=5):
    N, K = C.shape
    mass = float(r.sum())
    beta = rho * mass * q
    virtual = rho < 1.0
    beta_v = (1.0 - rho) * mass
    if cv is None:
        cv = np.zeros(N)
    stages = _reg_stages(C, reg) if g0 is None else []
    used = 0
    for e in stages:  # epsilon scaling: solve coarsely at larger reg, warm-start the potentials
        pre = _solve(C, cv, r, beta, beta_v, e, _exponent(e, reg_m), virtual, max(numItermax - used, 1),
                     max(stopThr, 1e-3), g0=g0, gv0=gv0, depth=depth)
        used += pre["n_iter"]
        g0, gv0 = pre["G"], pre["Gv"]
    p = _exponent(reg, reg_m)
    res = _solve(C, cv, r, beta, beta_v, reg, p, virtual, max(numItermax - used, 1), stopThr, g0=g0, gv0=gv0,
                 depth=depth)
    res["n_iter"] += used
    res["reg_stages"] = stages + [reg]
    Q = res["plan"]
    if rounding:
        Q = _round(Q, r, beta, rho * mass, exact_columns=math.isinf(reg_m))
        res["virtual"] = np.maximum(r - Q.sum(axis=1), 0.0)
        res["plan"] = Q
    res["beta"] = beta
    return res


def _finish(res, C, reg, reg_m, log, verbose, name):
    if not res["converged"]:
        warnings.warn(f"{name}: the scaling loop stopped at numItermax before the column sums settled "
                      f"(err {res['err']:.3g}); the plan was rounded onto the constraints", ConvergenceWarning,
                      stacklevel=3)
    if verbose:
        print(f"{name}: {res['n_iter']} iterations, err {res['err']:.3g}")
    if not log:
        return res["plan"]
    cv = res.pop("cv", None)
    out = dict(res)
    Q = out.pop("plan")
    out["objective"] = _objective(Q, out["virtual"], C, np.zeros(C.shape[0]) if cv is None else cv, reg, reg_m,
                                  out["beta"])
    out["T"] = Q
    out["cost"] = float(np.sum(Q * C)) if Q.size else 0.0
    return Q, out


def progressive_partial_ot(P, rho, reg=0.1, reg_m=1.0, *, kind="proba", a=None, b=None, numItermax=1000,
                           stopThr=1e-6, accelerate=True, verbose=False, log=False):
    r"""Progressive partial OT pseudo-labels (P^2OT): transport a fraction ``rho`` of the samples, KL on cluster sizes.

    Solves (see the module docstring)

    .. math::

        \min_{Q \ge 0,\ Q 1 \le a,\ 1^T Q 1 = \rho |a|}
        \langle Q, C\rangle + \lambda\, \mathrm{KL}(Q^T 1 \| \rho |a| b)
        + \varepsilon \sum \hat Q (\log \hat Q - 1),
        \qquad \hat Q = [Q,\ a - Q 1],

    with ``C = -log P`` (``kind="proba"``) or ``C = P`` (``kind="cost"``),
    ``lambda = reg_m`` and ``epsilon = reg``, by the stabilised scaling
    algorithm on the plan augmented by a virtual cluster (cost 0, mass
    ``(1 - rho) |a|``).

    Parameters
    ----------
    P : array_like, shape (N, K)
        Predicted probabilities (``>= 0``; a zero is read as 1e-300) or, with
        ``kind="cost"``, any finite cost matrix. Float32 is accepted; the
        solve is in float64.
    rho : float
        Fraction of the mass to transport, ``0 < rho <= 1``.
    reg : float, default 0.1
        Entropic regularisation ``epsilon > 0`` (the authors' default 0.1).
    reg_m : float, default 1.0
        KL weight ``lambda`` on the cluster sizes, ``>= 0``: ``inf`` fixes the
        sizes to ``rho |a| b`` (partial OT with fixed cluster marginal), ``0``
        leaves them free.
    kind : {"proba", "cost"}, default "proba"
    a : array_like, shape (N,), optional
        Sample masses ``>= 0`` (default uniform ``1/N``). Rows of mass 0
        get 0.
    b : array_like, shape (K,), optional
        Cluster prior ``> 0`` (normalised to sum 1; default uniform).
    numItermax : int, default 1000
    stopThr : float, default 1e-6
        Stop when one more column update would change the column sums by at
        most ``stopThr |a|`` in l1 (the rows are exact then).
    accelerate : bool, default True
        Anderson acceleration (depth 5) of the column updates, with
        safeguards (history reset when the error grows, plain step when the
        mixed one jumps); it usually cuts the iterations ten-fold. False:
        the plain alternating scaling of the authors.
    verbose : bool, default False
    log : bool, default False
        Also return a dict.

    Returns
    -------
    Q : numpy.ndarray, shape (N, K)
        The plan (masses): ``Q 1 <= a``, total mass ``rho |a|`` (exactly, up
        to rounding: the last iterate is rounded onto the constraints, which
        moves it by at most the stopping error), columns ``rho |a| b`` when
        ``reg_m = inf``. ``Q.argmax(1)`` are the pseudo-labels and ``(Q 1) / a``
        the transported fraction of each sample (its confidence).
    log : dict
        Only with ``log=True``: ``T`` (the plan ``Q`` returned: the
        family's key for the plan), ``cost`` (its transport cost ``<Q,
        C>``), ``virtual`` (the virtual cluster's share
        ``a - Q 1``, sum ``(1 - rho) |a|``), ``F``, ``G``, ``Gv`` (dual
        potentials of the unrounded plan, ``Q_ij = exp((F_i + G_j - C_ij)/reg)``),
        ``n_iter``, ``err`` (relative l1 column change at the stop),
        ``converged``, ``objective`` (of the returned plan), ``beta``
        (the cluster-size target ``rho |a| b``) and ``reg_stages`` (the
        epsilon-scaling stages: for ``reg`` below a hundredth of the typical
        cost gap the problem is first solved at larger ``reg``, 4x apart,
        and the potentials warm-start the next stage; ``n_iter`` counts all
        stages).

    Warns
    -----
    ConvergenceWarning
        ``numItermax`` was reached first (``log["converged"]`` is False).

    Raises
    ------
    ValueError, TypeError
        A bad argument (the message names it).

    See Also
    --------
    semantic_progressive_partial_ot, sela_pseudo_labels, uot_pseudo_labels, progressive_rho

    References
    ----------
    .. [1] C. Zhang, H. Ren and X. He, "P^2OT: Progressive partial optimal
       transport for deep imbalanced clustering", ICLR 2024.
    .. [2] L. Chizat, G. Peyre, B. Schmitzer and F.-X. Vialard, "Scaling
       algorithms for unbalanced optimal transport problems", Math. Comp. 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import progressive_partial_ot
    >>> P = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    >>> Q, log = progressive_partial_ot(P, rho=0.5, stopThr=1e-12, log=True)
    >>> round(float(Q.sum()), 12), round(float(log["virtual"].sum()), 12)
    (0.5, 0.5)
    >>> bool((Q.sum(axis=1) <= 0.25 + 1e-15).all()), Q.argmax(axis=1).tolist()
    (True, [0, 0, 0, 1])
    """
    kind = check_choice(kind, "kind", ("proba", "cost"))
    C = _cost_from(P, kind, "P")
    rho = check_real(rho, "rho", minimum=0, maximum=1, strict_minimum=True)
    reg, reg_m, numItermax, stopThr = _check_common(reg, reg_m, numItermax, stopThr, verbose, log)
    r, q = _masses(a, b, *C.shape)
    depth = 5 if check_bool(accelerate, "accelerate") else 0
    res = _ppot(C, rho, reg, reg_m, r, q, numItermax, stopThr, depth=depth)
    return _finish(res, C, reg, reg_m, log, verbose, "progressive_partial_ot")


def sela_pseudo_labels(P, reg=0.1, *, kind="proba", a=None, b=None, numItermax=1000, stopThr=1e-6, accelerate=True,
                       verbose=False, log=False):
    r"""Balanced Sinkhorn pseudo-labels (SeLa): every sample transported, cluster sizes fixed to ``|a| b``.

    The baseline of P^2OT: ``progressive_partial_ot`` with ``rho = 1`` and
    ``reg_m = inf``, i.e. entropic OT between the samples (masses ``a``) and
    the clusters (sizes ``|a| b``, default uniform) with cost ``-log P``.

    Parameters and returns are those of :func:`progressive_partial_ot`
    (without ``rho`` and ``reg_m``); the plan has row sums ``a`` and column
    sums ``|a| b`` (rounded onto both exactly).

    References
    ----------
    .. [1] Y. M. Asano, C. Rupprecht and A. Vedaldi, "Self-labelling via
       simultaneous clustering and representation learning", ICLR 2020.
    .. [2] M. Cuturi, "Sinkhorn distances", NeurIPS 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import sela_pseudo_labels
    >>> Q = sela_pseudo_labels(np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]]))
    >>> Q.sum(axis=0).round(12).tolist(), Q.argmax(axis=1).tolist()
    ([0.5, 0.5], [0, 0, 1, 1])
    """
    kind = check_choice(kind, "kind", ("proba", "cost"))
    C = _cost_from(P, kind, "P")
    reg, reg_m, numItermax, stopThr = _check_common(reg, math.inf, numItermax, stopThr, verbose, log)
    r, q = _masses(a, b, *C.shape)
    depth = 5 if check_bool(accelerate, "accelerate") else 0
    res = _ppot(C, 1.0, reg, math.inf, r, q, numItermax, stopThr, depth=depth)
    return _finish(res, C, reg, math.inf, log, verbose, "sela_pseudo_labels")


def uot_pseudo_labels(P, reg=0.1, reg_m=1.0, *, kind="proba", a=None, b=None, numItermax=1000, stopThr=1e-6,
                      accelerate=True, verbose=False, log=False):
    r"""Unbalanced OT pseudo-labels: every sample transported, KL penalty ``reg_m`` on the cluster sizes.

    ``progressive_partial_ot`` with ``rho = 1`` (no virtual cluster): rows
    are equalities (``Q 1 = a``), the column sums are pulled towards
    ``|a| b`` by ``reg_m KL(Q^T 1 || |a| b)``.

    Parameters and returns are those of :func:`progressive_partial_ot`
    (without ``rho``).

    References
    ----------
    .. [1] L. Chizat, G. Peyre, B. Schmitzer and F.-X. Vialard, "Scaling
       algorithms for unbalanced optimal transport problems", Math. Comp. 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import uot_pseudo_labels
    >>> Q = uot_pseudo_labels(np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]]))
    >>> Q.sum(axis=1).round(12).tolist(), Q.argmax(axis=1).tolist()
    ([0.25, 0.25, 0.25, 0.25], [0, 0, 1, 1])
    """
    kind = check_choice(kind, "kind", ("proba", "cost"))
    C = _cost_from(P, kind, "P")
    reg, reg_m, numItermax, stopThr = _check_common(reg, reg_m, numItermax, stopThr, verbose, log)
    r, q = _masses(a, b, *C.shape)
    depth = 5 if check_bool(accelerate, "accelerate") else 0
    res = _ppot(C, 1.0, reg, reg_m, r, q, numItermax, stopThr, depth=depth)
    return _finish(res, C, reg, reg_m, log, verbose, "uot_pseudo_labels")


def _gershgorin_negative(S) -> float:
    """An upper bound on ``max(0, -lambda_min((S + S^T)/2))`` (Gershgorin discs)."""
    Ss = (S + S.T) * 0.5
    d = Ss.diagonal()
    off = np.asarray(abs(Ss).sum(axis=1)).ravel() - np.abs(d)
    return float(max(0.0, np.max(off - d)))


def semantic_progressive_partial_ot(P, rho, S, reg_s=None, reg=0.1, reg_m=1.0, *, kind="proba", a=None, b=None,
                                    majorizer="auto", numItermax=1000, stopThr=1e-6, numItermaxOuter=100,
                                    stopThrOuter=1e-6, accelerate=True, verbose=False, log=False):
    r"""Semantic-regularised progressive partial OT (SP^2OT) by majorization-minimization.

    Minimises the P^2OT objective (see :func:`progressive_partial_ot`) minus
    a semantic term that rewards similar samples with similar labels,

    .. math::

        F(Q) = \mathrm{P^2OT}(Q) - \lambda_s \langle S, Q Q^T\rangle ,

    over the same constraint set. The quadratic term is linearised at the
    current plan ``Q_t`` (gradient ``-lam_s (S + S^T) Q_t``) and P^2OT is
    re-solved with the cost ``C - lam_s (S + S^T) Q_t`` (the authors' step).
    That linearisation majorises ``F`` when ``(S + S^T)/2`` is positive
    semidefinite; otherwise the remainder is bounded by
    ``lam_s mu |Q - Q_t|_F^2`` with ``mu = max(0, -lambda_min)`` (here a
    Gershgorin bound), and ``|x - y|^2 <= 2 max(x, y) KL(x || y)`` turns it
    into the proximal term ``tau KL(Qhat || Qhat_t)``, ``tau = 2 lam_s mu max(a)``,
    which the scaling solver absorbs as ``reg + tau`` and the cost
    ``C_lin - tau log Qhat_t``. Minimising a majoriser that touches ``F`` at
    ``Q_t`` never increases ``F`` (up to the inner tolerance).

    Parameters
    ----------
    P, rho, reg, reg_m, kind, a, b, numItermax, stopThr, accelerate, verbose, log
        As in :func:`progressive_partial_ot` (``numItermax``/``stopThr`` are
        for each inner solve).
    S : array_like or scipy.sparse matrix, shape (N, N)
        Sample similarities (finite; e.g. :func:`similarity_graph`). Sparse
        input keeps the cost of a step at O(nnz(S) K).
    reg_s : float, optional
        Weight ``lam_s >= 0`` of the semantic term; default ``1000 (1 - rho)``
        (the authors' schedule for batches with uniform masses).
    majorizer : {"auto", "linear", "proximal"}, default "auto"
        ``"linear"``: the authors' linearised step (monotone when ``S`` is
        PSD); ``"proximal"``: always the proximal majoriser (monotone for any
        ``S``, slower steps); ``"auto"``: the linear step, replaced by the
        proximal one from the same ``Q_t`` when it would increase ``F``.
    numItermaxOuter : int, default 100
        Majorization steps at most.
    stopThrOuter : float, default 1e-6
        Stop when ``F`` decreases by less than this in a step.

    Returns
    -------
    Q : numpy.ndarray, shape (N, K)
    log : dict
        With ``log=True``: the keys of :func:`progressive_partial_ot` (of the
        last inner solve) and ``history`` (``F`` after each step, the
        starting P^2OT plan first), ``steps`` (``"linear"``/``"proximal"`` per
        step), ``n_outer``, ``reg_s`` and ``outer_converged`` (the objective
        changed by less than ``stopThrOuter`` within ``numItermaxOuter``
        steps; otherwise a
        :class:`~linalg_lab.transport.ConvergenceWarning` is issued).

    References
    ----------
    .. [1] C. Zhang, H. Ren and X. He, "SP^2OT: Semantic-regularized
       progressive partial optimal transport for imbalanced clustering",
       arXiv:2404.03446.
    .. [2] D. R. Hunter and K. Lange, "A tutorial on MM algorithms", The
       American Statistician 58(1), 2004.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import semantic_progressive_partial_ot, similarity_graph
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 0.1, (6, 2)), rng.normal(1, 0.1, (3, 2))]
    >>> P = np.full((9, 2), 0.5)
    >>> P[0] = [0.9, 0.1]; P[6] = [0.1, 0.9]
    >>> Q, log = semantic_progressive_partial_ot(P, 0.8, similarity_graph(X, 2), reg_s=50.0, log=True)
    >>> Q.argmax(axis=1).tolist(), bool(np.all(np.diff(log["history"]) <= 1e-9))
    ([0, 0, 0, 0, 0, 0, 1, 1, 1], True)
    """
    kind = check_choice(kind, "kind", ("proba", "cost"))
    C = _cost_from(P, kind, "P")
    N, K = C.shape
    rho = check_real(rho, "rho", minimum=0, maximum=1, strict_minimum=True)
    reg, reg_m, numItermax, stopThr = _check_common(reg, reg_m, numItermax, stopThr, verbose, log)
    Sm = check_matrix(S, "S", accept_sparse="csr", dtype=np.float64, shape=(N, N))
    Sm = sp.csr_matrix(Sm)
    reg_s = 1000.0 * (1.0 - rho) if reg_s is None else check_real(reg_s, "reg_s", minimum=0)
    majorizer = check_choice(majorizer, "majorizer", ("auto", "linear", "proximal"))
    numItermaxOuter = check_int(numItermaxOuter, "numItermaxOuter", minimum=0)
    stopThrOuter = check_tolerance(stopThrOuter, "stopThrOuter")
    r, q = _masses(a, b, N, K)
    depth = 5 if check_bool(accelerate, "accelerate") else 0
    Ssym = (Sm + Sm.T).tocsr()
    zeros = np.zeros(N)
    mu = _gershgorin_negative(Sm) if majorizer != "linear" else 0.0
    tau = 2.0 * reg_s * mu * float(r.max())

    def value(res):
        Q, xi = res["plan"], res["virtual"]
        return _objective(Q, xi, C, zeros, reg, reg_m, res["beta"]) - reg_s * float(np.sum((Sm @ Q) * Q))

    def log_plan(res, Cs, cvs, eps):
        """log Qhat of an (unrounded) solve from its potentials, exactly."""
        lq = (res["F"][:, None] + res["G"][None, :] - Cs) / eps
        lxi = (res["F"] + res["Gv"] - cvs) / eps if rho < 1.0 else None
        return lq, lxi

    res = _ppot(C, rho, reg, reg_m, r, q, numItermax, stopThr, rounding=False, depth=depth)
    Cs, cvs, eps_s = C, zeros, reg
    Fval = value(res)
    history, steps = [Fval], []
    unconverged = not res["converged"]
    outer_converged = numItermaxOuter == 0  # no outer step asked for: nothing left unconverged
    for _ in range(numItermaxOuter):
        Clin = C - reg_s * (Ssym @ res["plan"])
        trial = None
        if majorizer in ("auto", "linear"):
            trial = _ppot(Clin, rho, reg, reg_m, r, q, numItermax, stopThr, g0=res["G"], gv0=res["Gv"],
                          rounding=False, depth=depth)
            trial_cs = (Clin, zeros, reg)
            Ft = value(trial)
            kind_step = "linear"
            if majorizer == "auto" and Ft > Fval and tau > 0:
                trial = None
        if trial is None:
            lq, lxi = log_plan(res, Cs, cvs, eps_s)
            Cp = Clin - tau * lq
            cvp = -tau * lxi if lxi is not None else zeros
            eps_p = reg + tau
            trial = _ppot(Cp, rho, eps_p, reg_m, r, q, numItermax, stopThr, cv=cvp, rounding=False, depth=depth)
            trial_cs = (Cp, cvp, eps_p)
            Ft = value(trial)
            kind_step = "proximal"
        unconverged |= not trial["converged"]
        res = trial
        Cs, cvs, eps_s = trial_cs
        history.append(Ft)
        steps.append(kind_step)
        decrease = Fval - Ft
        Fval = Ft
        if abs(decrease) < stopThrOuter:
            outer_converged = True
            break
    beta = res["beta"]
    res["plan"] = _round(res["plan"], r, beta, rho * float(r.sum()), exact_columns=math.isinf(reg_m))
    res["virtual"] = np.maximum(r - res["plan"].sum(axis=1), 0.0)
    res["converged"] = not unconverged
    if not outer_converged:
        warnings.warn(f"semantic_progressive_partial_ot: stopped at numItermaxOuter = {numItermaxOuter} outer steps "
                      f"with the objective still changing by more than stopThrOuter = {stopThrOuter:g}; raise "
                      "numItermaxOuter", ConvergenceWarning, stacklevel=2)
    if not log:
        return _finish(res, C, reg, reg_m, False, verbose, "semantic_progressive_partial_ot")
    Q, out = _finish(res, C, reg, reg_m, True, verbose, "semantic_progressive_partial_ot")
    out["objective"] = value({"plan": Q, "virtual": out["virtual"], "beta": beta})
    out.update(history=np.array(history), steps=steps, n_outer=len(steps), reg_s=reg_s,
               outer_converged=outer_converged)
    return Q, out
