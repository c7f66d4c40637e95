"""Sliced partial optimal transport: exact 1-D partial costs averaged over random directions.

Both point clouds are projected on unit directions ``theta``; on each line the
exact partial cost of matching ``k`` points of one cloud to ``k`` of the other
(unit masses, cost ``|x - y|^p``) comes from
:func:`~linalg_lab.transport.one_d.partial_wasserstein_1d`, which gives every
``k`` in one run, and the costs are averaged over the directions.
"""

from __future__ import annotations

import numpy as np

from ..validation import (
    check_bool,
    check_int,
    check_matrix,
    check_real,
    check_rng,
)
from ._checks import check_points
from .one_d import _solve

__all__ = ["sliced_partial_wasserstein", "sliced_partial_cost_curve"]


def sliced_partial_wasserstein(X_s, X_t, n_transported_samples=None, n_projections=50, p=2, *, projections=None,
                               rng=None, log=False):
    r"""Sliced partial transport cost: the 1-D partial cost of ``k`` pairs, averaged over directions.

    .. math::
        SP_p(X_s, X_t; k) = \frac{1}{L} \sum_{l=1}^{L} C_{\theta_l}(k), \qquad
        C_\theta(k) = \min_{|I| = |J| = k,\ \sigma: I \to J} \sum_{i \in I}
        |\langle \theta, x_i - y_{\sigma(i)} \rangle|^p,

    the least cost of matching ``k`` source points to ``k`` target points one
    to one after projection on ``theta`` (unit masses, as in
    :func:`~linalg_lab.transport.one_d.partial_wasserstein_1d`; divide by ``n``
    for masses ``1/n``). No ``1/p`` power is taken, so the value is
    non-decreasing and convex in ``k``. Each ``C_theta`` is exact.

    Parameters
    ----------
    X_s : array_like, shape (n, d) or (n,)
        Source points (a 1-D array is ``d = 1``).
    X_t : array_like, shape (n2, d) or (n2,)
        Target points, same ``d``.
    n_transported_samples : int, optional
        ``k`` in ``[0, min(n, n2)]``; default ``min(n, n2)``.
    n_projections : int, default 50
        Number of random directions (ignored when ``projections`` is given).
    p : float, default 2
        Power of the cost, ``>= 1``.
    projections : array_like, shape (d, L), optional
        The directions as columns, used as given (for unit directions pass unit
        columns); default ``n_projections`` directions drawn uniformly on the
        sphere (normalised Gaussian vectors) from ``rng``.
    rng : None, int, SeedSequence or numpy.random.Generator
        Source of the random directions.
    log : bool, default False
        Also return ``{"cost": the value, "T": None, "projections": (d, L) array, "projected_costs": (L,)
        array}`` (``T`` is None: a sliced distance has no plan between the clouds themselves).

    Returns
    -------
    float, or ``(float, dict)`` with ``log=True``

    Raises
    ------
    ValueError
        Non-finite points, different dimensions, ``k`` out of range, ``p < 1``,
        ``n_projections < 1``, ``projections`` of the wrong shape, projected
        points so far apart that the costs can exceed the float range (see
        :func:`~linalg_lab.transport.one_d.partial_wasserstein_1d`); the
        message names the argument.

    See Also
    --------
    sliced_partial_cost_curve : every ``k`` at once.

    References
    ----------
    .. [1] N. Bonneel and D. Coeurjolly, "SPOT: sliced partial optimal
       transport", ACM Trans. Graph. 38(4), 2019.
    .. [2] Y. Bai, B. Schmitzer, M. Thorpe and S. Kolouri, "Sliced optimal
       partial transport", CVPR 2023.
    .. [3] L. Chapel and R. Tavenard, "One for all and all for one: efficient
       computation of partial Wasserstein distances on the line", ICLR 2025.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    >>> float(sliced_partial_wasserstein(X, X, 2, rng=0))
    0.0
    >>> Y = X + [0.5, 0.0]
    >>> theta = np.array([[1.0], [0.0]])  # the first axis only
    >>> float(sliced_partial_wasserstein(X, Y, 2, p=1, projections=theta))
    1.0
    """
    curves, theta, kmax = _projected_curves(X_s, X_t, n_transported_samples, n_projections, p, projections, rng,
                                            "n_transported_samples")
    log = check_bool(log, "log")
    per = curves[:, kmax]
    value = float(per.mean())
    if log:
        return value, {"cost": value, "T": None, "projections": theta, "projected_costs": per}
    return value


def sliced_partial_cost_curve(X_s, X_t, n_projections=50, p=2, *, projections=None, rng=None, log=False):
    r"""Sliced partial costs for every ``k = 0, ..., min(n, n2)`` (one 1-D run per direction).

    ``curve[k]`` is :func:`sliced_partial_wasserstein` with ``k`` pairs and the
    same directions; the curve is non-decreasing and convex, ``curve[0] = 0``.
    Arguments as there; with ``log=True`` also returns ``{"cost": the mean curve, "T": None,
    "projections": (d, L), "curves": (L, min(n, n2) + 1)}`` (the curve of each direction).

    References
    ----------
    .. [1] N. Bonneel and D. Coeurjolly, "SPOT: sliced partial optimal
       transport", ACM Trans. Graph. 38(4), 2019.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    >>> theta = np.array([[1.0], [0.0]])
    >>> sliced_partial_cost_curve(X, X + [0.5, 0.0], p=1, projections=theta).tolist()
    [0.0, 0.5, 1.0, 1.5]
    """
    curves, theta, _ = _projected_curves(X_s, X_t, None, n_projections, p, projections, rng, "n_transported_samples")
    log = check_bool(log, "log")
    mean = curves.mean(axis=0)
    if log:
        return mean, {"cost": mean, "T": None, "projections": theta, "curves": curves}
    return mean


def _projected_curves(X_s, X_t, k, n_projections, p, projections, rng, k_name):
    """Per-direction cost curves up to ``k`` pairs: ``(curves (L, k + 1), directions (d, L), k)``."""
    Xs = check_points(X_s, "X_s")
    Xt = check_points(X_t, "X_t")
    d = Xs.shape[1]
    if Xt.shape[1] != d:
        raise ValueError(f"X_t: expected points of dimension {d} (as X_s), got shape {Xt.shape}")
    top = min(len(Xs), len(Xt))
    if k is None:
        k = top
    else:
        k = check_int(k, k_name, minimum=0, maximum=top, maximum_text=f"min(len(X_s), len(X_t)) = {top}")
    p = check_real(p, "p", minimum=1)
    if projections is None:
        n_projections = check_int(n_projections, "n_projections", minimum=1)
        gen = check_rng(rng)
        theta = gen.standard_normal((d, n_projections))
        theta /= np.linalg.norm(theta, axis=0, keepdims=True)
    else:
        theta = check_matrix(projections, "projections", dtype=np.float64, ndim=2, shape=(d, None), copy=True)
    ps = np.ascontiguousarray((Xs @ theta).T)
    pt = np.ascontiguousarray((Xt @ theta).T)
    curves = np.zeros((theta.shape[1], k + 1))
    if not (np.all(np.isfinite(ps)) and np.all(np.isfinite(pt))):
        raise ValueError("X_s: the projections of the points on the directions exceed the float range; rescale the "
                         "points")
    for col in range(theta.shape[1]):
        np.cumsum(_solve(ps[col], pt[col], k, p, "X_s", terms=theta.shape[1])[2], out=curves[col, 1:])
    return curves, theta, k
