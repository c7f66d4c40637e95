"""Mini-batch partial optimal transport (m-POT) and its batch-of-mini-batches variant (BoMb).

Mini-batch OT replaces one large transport problem between point clouds by an
average over random pairs of mini-batches; with ``m`` points per batch each
problem costs little, but every batch plan has to move all of its mass, so
points are matched to whatever the other batch happens to hold. m-POT
(Nguyen et al. 2022) solves partial OT on each pair instead, moving only a
fraction ``mass`` of the batch mass, which leaves such misspecified matches
out. ``mass = 1`` is plain mini-batch OT (Fatras et al. 2020).

BoMb (Nguyen et al. 2022, "On transportation of mini-batches") draws ``k``
source and ``k`` target batches, computes the ``k x k`` matrix of batch
transport costs and solves OT between the two sets of batches (uniform
weights: an assignment), so that batches are paired by similarity instead of
at random. It costs ``k^2`` batch problems instead of ``k``.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from ._api import renamed_keywords
from ..validation import check_bool, check_int, check_matrix, check_real, check_rng
from ._feasible import ConvergenceWarning
from .partial import _frobenius, partial_wasserstein

__all__ = ["minibatch_partial_ot"]


def _cost_fn(metric, X, Y):
    """``cdist`` with ``metric``, checked once on one pair so that a bad metric is named as such."""
    try:
        cdist(X[:1], Y[:1], metric=metric)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"metric: not usable by scipy.spatial.distance.cdist ({exc})") from None
    def cost(ix, iy):
        with np.errstate(over="ignore", invalid="ignore"):
            C = np.ascontiguousarray(cdist(X[ix], Y[iy], metric=metric), dtype=np.float64)
        if not np.all(np.isfinite(C)):
            raise ValueError("metric: the batch costs between points of X and Y are not all finite (an overflow, "
                             "or a metric that returns NaN or inf); rescale the points")
        return C
    return cost


def _batch_solver(batch_size, mass, reg, numItermax, stopThr):
    """A function ``C -> (value, plan, converged)`` for one pair of batches with uniform masses ``1 / batch_size``."""
    w = np.full(batch_size, 1.0 / batch_size)
    if reg == 0:
        def solve(C):
            plan, log = partial_wasserstein(w, w, C, m=mass, numItermax=numItermax, log=True)
            return log["cost"], plan, True
        return solve
    try:  # written alongside this module; imported on first use
        from .entropic import entropic_partial_wasserstein
    except ImportError as exc:  # pragma: no cover - depends on the package's state
        raise ImportError(f"reg: reg > 0 needs linalg_lab.transport.entropic ({exc})") from None
    kwargs = {k: v for k, v in (("numItermax", numItermax), ("stopThr", stopThr)) if v is not None}

    def solve_entropic(C):
        # an unconverged batch plan comes back rounded onto its constraints; the caller warns once for all
        plan, log = entropic_partial_wasserstein(w, w, C, reg, m=mass, log=True, warn=False, **kwargs)
        return _frobenius(plan, C), plan, bool(log["converged"])
    return solve_entropic


@renamed_keywords(X="X_s", Y="X_t")
def minibatch_partial_ot(X_s, X_t, batch_size, n_batches, mass, reg=0.0, rng=None, metric="sqeuclidean", bomb=False,
                         return_plan=False, numItermax=None, stopThr=None, log=False):
    r"""Mini-batch partial OT (m-POT) between point clouds: the average of partial OT over random batch pairs.

    For each of ``n_batches`` pairs, ``batch_size`` points are drawn without
    replacement from ``X_s`` and from ``X_t``; with uniform masses ``1 /
    batch_size`` on each batch, partial OT moving ``mass`` is solved on the
    batch cost matrix. The value is the average of the batch costs
    :math:`\langle \gamma_b, C_b \rangle` and the plan the average of the batch
    plans placed in the ``n x n'`` matrix.

    Parameters
    ----------
    X_s : array_like, shape (n, d)
        Source points (uniform weights).
    X_t : array_like, shape (n', d)
        Target points (uniform weights).
    batch_size : int
        Points per batch, ``1 <= batch_size <= min(n, n')``.
    n_batches : int
        Number of batch pairs (with ``bomb=True``: ``k`` source and ``k``
        target batches, ``k^2`` batch problems).
    mass : float
        Fraction of each batch's mass to move, in ``(0, 1]``; 1 is plain
        mini-batch OT.
    reg : float, default 0
        0: exact partial OT (:func:`~linalg_lab.transport.partial_wasserstein`).
        ``> 0``: entropic partial OT with this regularisation
        (``linalg_lab.transport.entropic.entropic_partial_wasserstein``).
    rng : None, int, SeedSequence or Generator
        Source of the batches.
    metric : str or callable, default "sqeuclidean"
        Ground cost, as understood by :func:`scipy.spatial.distance.cdist`.
    bomb : bool, default False
        Batch of mini-batches: pair the ``k`` source and ``k`` target batches
        by an optimal assignment on their ``k x k`` batch costs, then average
        over the assigned pairs.
    return_plan : bool, default False
        Also return the averaged plan as a ``scipy.sparse.csr_array`` of shape
        ``(n, n')``.
    numItermax, stopThr : optional
        Passed to the batch solver (``stopThr`` to the entropic one only);
        None keeps the solver's default.
    log : bool, default False
        Also return a dict: ``cost`` (the value returned), ``T`` (the
        averaged plan with ``return_plan``, else None), ``values`` (cost of
        every batch problem solved:
        ``(n_batches,)``, or ``(k, k)`` with ``bomb``), ``converged`` (same
        shape: whether each batch problem met its tolerance; always true for
        ``reg = 0``), ``source_batches`` and
        ``target_batches`` (index arrays, one row per batch) and, with
        ``bomb``, ``assignment`` (the target batch paired with each source
        batch).

    Returns
    -------
    value : float
    plan : scipy.sparse.csr_array, only if ``return_plan``
    log : dict, only if ``log``

    Raises
    ------
    ValueError
        Bad arguments, or batch costs that are not finite (``metric``).

    Warns
    -----
    ConvergenceWarning
        ``reg > 0`` and some entropic batch problems did not reach
        ``stopThr`` within ``numItermax`` (``log["converged"]``); their plans
        are the solver's rounding onto the batch constraints.

    Notes
    -----
    Each averaged batch plan moves ``mass`` (exactly, or within the entropic
    solver's ``stopThr`` when it converged) and keeps each batch point's row
    and column sums within ``1 / batch_size``; the averaged plan therefore
    moves ``mass`` as well, and a point's row sum is capped by how often it
    was drawn: ``count_i / (batch_size * n_batches)``.

    References
    ----------
    .. [1] K. Nguyen, D. Nguyen, T. Pham and N. Ho, "Improving mini-batch
       optimal transport via partial transportation", ICML 2022.
    .. [2] K. Nguyen, D. Nguyen, Q. Nguyen, T. Pham, H. Bui, D. Phung, T. Le
       and N. Ho, "On transportation of mini-batches: a hierarchical
       approach", ICML 2022 (BoMb-OT).
    .. [3] K. Fatras, Y. Zine, R. Flamary, R. Gribonval and N. Courty,
       "Learning with minibatch Wasserstein", AISTATS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_s, X_t = rng.standard_normal((200, 2)), rng.standard_normal((150, 2)) + 1.0
    >>> value, plan = minibatch_partial_ot(X_s, X_t, 50, 8, mass=0.7, rng=0, return_plan=True)
    >>> plan.shape, round(float(plan.sum()), 12)
    ((200, 150), 0.7)
    >>> value < minibatch_partial_ot(X_s, X_t, 50, 8, mass=1.0, rng=0)
    True
    """
    X_s = check_matrix(X_s, "X_s", dtype=np.float64)
    X_t = check_matrix(X_t, "X_t", dtype=np.float64)
    if X_t.shape[1] != X_s.shape[1]:
        raise ValueError(f"X_t: expected points of dimension {X_s.shape[1]} (as X_s's), got shape {X_t.shape}")
    n, nt = X_s.shape[0], X_t.shape[0]
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=min(n, nt),
                           maximum_text=f"min(len(X_s), len(X_t)) = {min(n, nt)}")
    n_batches = check_int(n_batches, "n_batches", minimum=1)
    mass = check_real(mass, "mass", minimum=0, strict_minimum=True, maximum=1)
    reg = check_real(reg, "reg", minimum=0)
    rng = check_rng(rng)
    bomb, return_plan, log = (check_bool(v, name) for v, name in
                              ((bomb, "bomb"), (return_plan, "return_plan"), (log, "log")))
    if stopThr is not None:
        stopThr = check_real(stopThr, "stopThr", minimum=0)
    cost = _cost_fn(metric, X_s, X_t)
    solve = _batch_solver(batch_size, mass, reg, numItermax, stopThr)

    src = np.stack([rng.choice(n, batch_size, replace=False) for _ in range(n_batches)])
    tgt = np.stack([rng.choice(nt, batch_size, replace=False) for _ in range(n_batches)])
    info = {"source_batches": src, "target_batches": tgt}
    plans = {}
    if bomb:
        values = np.empty((n_batches, n_batches))
        converged = np.ones((n_batches, n_batches), dtype=bool)
        for i in range(n_batches):
            for j in range(n_batches):
                values[i, j], plan, converged[i, j] = solve(cost(src[i], tgt[j]))
                if return_plan:
                    plans[i, j] = sp.coo_array(plan)  # sparse: a batch plan has at most ~2 batch_size entries
        _, assignment = linear_sum_assignment(values)
        pairs = list(enumerate(assignment))
        value = float(values[np.arange(n_batches), assignment].mean())
        info["assignment"] = assignment
    else:
        values = np.empty(n_batches)
        converged = np.ones(n_batches, dtype=bool)
        for i in range(n_batches):
            values[i], plan, converged[i] = solve(cost(src[i], tgt[i]))
            if return_plan:
                plans[i, i] = sp.coo_array(plan)
        pairs = [(i, i) for i in range(n_batches)]
        value = float(values.mean())
    info["values"] = values
    info["converged"] = converged
    info["cost"] = value
    if not converged.all() and (stopThr is None or stopThr > 0):  # stopThr = 0: a fixed count of cycles, asked for
        warnings.warn(f"minibatch_partial_ot: {int((~converged).sum())} of {converged.size} entropic batch problems "
                      "did not reach stopThr within numItermax (their plans were rounded onto the constraints; see "
                      "log['converged']); raise numItermax or reg", ConvergenceWarning, stacklevel=2)
    out = [value]
    if return_plan:
        rows = np.concatenate([src[i][plans[i, j].row] for i, j in pairs])
        cols = np.concatenate([tgt[j][plans[i, j].col] for i, j in pairs])
        data = np.concatenate([plans[i, j].data for i, j in pairs]) / n_batches
        out.append(sp.coo_array((data, (rows, cols)), shape=(n, nt)).tocsr())
    info["T"] = out[1] if return_plan else None
    if log:
        out.append(info)
    return out[0] if len(out) == 1 else tuple(out)
