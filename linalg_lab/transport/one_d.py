"""Exact partial optimal transport on the line, for every transported mass at once.

Two samples of points with unit masses, cost ``|x - y|^p`` (``p >= 1``): the
optimal partial matchings of ``k = 1, 2, ..., min(n, n2)`` pairs are nested,
so one run gives them all, as the order in which points join the matching and
the marginal cost of each step (POT's ``ot.partial.partial_wasserstein_1d``
conventions). The kernel (successive shortest paths that exploit the
non-crossing structure of 1-D matchings, with a heap of candidate pairs) is
:mod:`linalg_lab.transport._one_d_kernels`.
"""

from __future__ import annotations

import math

import numpy as np

from ._api import renamed_keywords
from ..validation import check_int, check_matrix, check_real
from . import _one_d_kernels as _k

__all__ = ["partial_wasserstein_1d", "partial_cost_curve_1d"]


def partial_wasserstein_1d(x_a, x_b, n_transported_samples=None, p=1):
    r"""Exact 1-D partial OT for all transported masses: insertion order and marginal costs.

    For points ``x_a`` (n) and ``x_b`` (n2) with unit masses and cost
    :math:`|x - y|^p`, solves

    .. math::
        C(k) = \min_\gamma \sum_{ij} \gamma_{ij} |x_a[i] - x_b[j]|^p
        \quad \text{s.t.} \quad \gamma 1 \le 1, \ \gamma^T 1 \le 1, \ \gamma \ge 0, \ 1^T \gamma 1 = k

    for ``k = 1, ..., K`` at once (``K = n_transported_samples``). The optimal
    matched sets are nested: step ``k`` adds the point ``indices_x[k-1]`` of
    ``x_a`` and ``indices_y[k-1]`` of ``x_b``, and ``cumsum(marginal_costs)[k-1]
    = C(k)``, the cost of matching the sorted points ``x_a[indices_x[:k]]`` to
    the sorted points ``x_b[indices_y[:k]]``. Same conventions as POT's
    ``ot.partial.partial_wasserstein_1d``.

    The algorithm is successive shortest paths (each step adds the cheapest
    augmenting path), where on the line every path is a pair of consecutive
    free points around a block of matched points; a heap of those pairs gives
    each step in O(log N) plus the length of one loop over a block (module
    :mod:`~linalg_lab.transport._one_d_kernels` has the argument). The work is
    O(N log N) when the samples interleave and grows towards O(N^2) when one lies
    mostly to one side of the other. Exact in the sense of the LP: every
    :math:`C(k)` is the optimum, up to rounding (the marginal costs are
    computed as sums of differences of costs, not as differences of totals).

    Parameters
    ----------
    x_a : array_like, shape (n,) or (n, 1)
        Source points (finite).
    x_b : array_like, shape (n2,) or (n2, 1)
        Target points (finite).
    n_transported_samples : int, optional
        Number of steps ``K`` in ``[0, min(n, n2)]``; default ``min(n, n2)``.
    p : float, default 1
        Power of the cost, ``>= 1`` (``1`` and ``2`` have faster loops).

    Returns
    -------
    indices_x : numpy.ndarray of int64, shape (K,)
        Indices into ``x_a``, in the order they join the matching.
    indices_y : numpy.ndarray of int64, shape (K,)
        Indices into ``x_b``, likewise.
    marginal_costs : numpy.ndarray, shape (K,)
        ``C(k) - C(k - 1)``, non-decreasing (``C`` is convex in ``k``).

    Raises
    ------
    ValueError
        Non-finite points, a second axis other than 1, ``n_transported_samples``
        out of range, ``p < 1``, points so far apart that the costs (or sums of
        them) can exceed the float range, ``4 N range^p >= 2^1023``; the
        message names the argument.

    See Also
    --------
    partial_cost_curve_1d : the costs ``C(0), ..., C(min(n, n2))`` directly.

    References
    ----------
    .. [1] L. Chapel and R. Tavenard, "One for all and all for one: efficient
       computation of partial Wasserstein distances on the line", ICLR 2025.
    .. [2] N. Bonneel and D. Coeurjolly, "SPOT: sliced partial optimal
       transport", ACM Trans. Graph. 38(4), 2019 (non-crossing 1-D matchings).
    .. [3] R. K. Ahuja, T. L. Magnanti and J. B. Orlin, *Network Flows*,
       Prentice Hall, 1993, Section 9.7 (successive shortest paths).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([5.0, -2.0, 4.0])
    >>> y = np.array([-1.0, 1.0, 3.0])
    >>> ix, iy, costs = partial_wasserstein_1d(x, y, n_transported_samples=2)
    >>> ix.tolist(), iy.tolist(), costs.tolist()
    ([1, 2], [0, 2], [1.0, 1.0])
    >>> float(np.sum(np.abs(np.sort(x[ix]) - np.sort(y[iy]))))
    2.0
    """
    xa = _points(x_a, "x_a")
    xb = _points(x_b, "x_b")
    top = min(len(xa), len(xb))
    if n_transported_samples is None:
        kmax = top
    else:
        kmax = check_int(n_transported_samples, "n_transported_samples", minimum=0, maximum=top,
                         maximum_text=f"min(len(x_a), len(x_b)) = {top}")
    p = check_real(p, "p", minimum=1)
    return _solve(xa, xb, kmax, p)


@renamed_keywords(x="x_a", y="x_b")
def partial_cost_curve_1d(x_a, x_b, p=1):
    r"""The optimal partial transport costs ``C(k)``, ``k = 0, ..., min(n, n2)``, between 1-D point sets.

    ``C(k)`` is the least cost of matching ``k`` points of ``x_a`` to ``k``
    points of ``x_b`` one to one, with cost :math:`|x_a - x_b|^p` per pair (unit
    masses; divide by ``n`` for masses ``1/n``). ``C`` is convex and
    non-decreasing, ``C(0) = 0``, and ``C(min(n, n2))`` is the full
    (unbalanced-size) matching cost. One run of
    :func:`partial_wasserstein_1d` gives them all.

    Parameters
    ----------
    x_a, x_b : array_like, shape (n,) / (n2,) (or with a second axis of 1)
        The points (finite).
    p : float, default 1
        Power of the cost, ``>= 1``.

    Returns
    -------
    numpy.ndarray, shape (min(n, n2) + 1,)

    References
    ----------
    .. [1] L. Chapel and R. Tavenard, "One for all and all for one: efficient
       computation of partial Wasserstein distances on the line", ICLR 2025.

    Examples
    --------
    >>> partial_cost_curve_1d([0.0, 1.0, 5.0], [1.5, 4.0], p=2).tolist()
    [0.0, 0.25, 1.25]
    """
    x_a = _points(x_a, "x_a")
    x_b = _points(x_b, "x_b")
    costs = _solve(x_a, x_b, min(len(x_a), len(x_b)), check_real(p, "p", minimum=1), "x_a")[2]
    out = np.zeros(len(costs) + 1)
    np.cumsum(costs, out=out[1:])
    return out


def _solve(xa, xb, kmax, p, name="x_a", terms=1):
    """The kernel on checked float64 points; a ValueError naming ``name`` when the costs can overflow.

    ``terms``: how many such cost curves the caller adds up (sliced OT averages one per direction).
    """
    if kmax == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    z = np.concatenate([xa, xb])
    _check_cost_range(z, p, name, terms)
    order = np.argsort(z, kind="stable")  # ties: x_a's points first, each sample in its own order
    is_y = (order >= len(xa)).astype(np.int64)
    orig = np.where(is_y == 1, order - len(xa), order)
    kind = _k.P_ONE if p == 1 else _k.P_TWO if p == 2 else _k.P_OTHER
    return _k.partial_1d(z[order], is_y, orig, kmax, float(p), kind)


def _check_cost_range(z, p, name, terms=1):
    """Refuse points whose costs ``|x - y|^p`` (or sums of ``2 N`` of them) could leave the float range.

    The kernel compares candidate costs that are sums and differences of
    costs; an overflow there (``inf - inf``) silently picks wrong matchings.
    Rescaling the points is not done here: for ``p > 1`` it would underflow
    the small costs that decide the matching.
    """
    with np.errstate(over="ignore"):
        span = float(z.max()) - float(z.min())
    if span == 0.0:
        return
    if not math.isfinite(span) or p * math.log2(span) + math.log2(4 * len(z) * terms) >= 1023.0:
        raise ValueError(f"{name}: the costs |x - y|^p of these points (range {span:.3g}, p = {p:g}) can exceed the "
                         "float range; rescale the points")


def _points(x, name):
    """A 1-D float64 array of points from shape (n,) or (n, 1)."""
    arr = check_matrix(x, name, dtype=np.float64, ndim=None, allow_empty=True)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected points of shape (n,) or (n, 1), got shape {arr.shape}")
    return np.ascontiguousarray(arr)
