"""What the transport solvers do with a result that does not meet its constraints: one warning class, one rounding.

A solver of the transport family either returns a result that satisfies the
constraints it states, raises, or flags the shortfall in its result *and*
warns with :class:`ConvergenceWarning`. Iterative solvers that stop at their
iteration limit round their last iterate onto the constraint set
(:func:`round_partial_plan`), so that what they return is at least feasible.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import ConvergenceWarning  # the project's one class (linalg_lab.ConvergenceWarning)
from ._entropic_kernels import round_in_place

__all__ = ["ConvergenceWarning", "partial_excess", "round_partial_plan"]


def partial_excess(P, a, b, m) -> float:
    """How far ``P`` is from the partial constraint set: ``max(max(P 1 - a), max(P^T 1 - b), |sum P - m|, -min P)``.

    Examples
    --------
    >>> import numpy as np
    >>> float(partial_excess(np.array([[0.2, 0.0], [0.0, 0.1]]), np.array([0.1, 0.5]), np.array([1.0, 1.0]), 0.3))
    0.1
    """
    if P.size == 0:
        return abs(float(m))
    r, c = P.sum(axis=1), P.sum(axis=0)
    return float(max((r - a).max(initial=0.0), (c - b).max(initial=0.0), abs(float(r.sum()) - m),
                     -P.min(initial=0.0)))


def round_partial_plan(P, a, b, m) -> np.ndarray:
    r"""Round a nonnegative plan onto ``{gamma >= 0: gamma 1 <= a, gamma^T 1 <= b, 1^T gamma 1 = m}``.

    The rounding of Altschuler, Weed and Rigollet (2017) adapted to partial
    constraints: scale down the rows that exceed ``a``, then the columns that
    exceed ``b``; then scale the whole plan down if it carries more than ``m``,
    or add the missing mass ``d`` as the rank-one plan ``d (a - r)(b - c)^T /
    (|a - r| |b - c|)`` on the spare capacities ``a - r`` and ``b - c`` (each
    has at least ``d``, as ``m <= min(sum a, sum b)``). Every step keeps the
    constraints already met, so the result is feasible up to rounding (a few
    ulps of the masses), and it moves the plan by at most
    ``2 (E_r + E_c) + |sum P - m|`` in l1, with ``E_r = sum_i (r_i - a_i)_+``
    and ``E_c`` the same for the columns.

    Parameters
    ----------
    P : numpy.ndarray, shape (n, n2)
        Plan with entries ``>= 0`` (negative and NaN entries are set to 0).
    a, b : numpy.ndarray
        Row and column capacities (``>= 0``).
    m : float
        Mass to transport, ``0 <= m <= min(sum a, sum b)``.

    Returns
    -------
    numpy.ndarray
        A new array.

    References
    ----------
    .. [1] J. Altschuler, J. Weed and P. Rigollet, "Near-linear time
       approximation algorithms for optimal transport via Sinkhorn
       iteration", NeurIPS 2017 (Algorithm 2).

    Examples
    --------
    >>> import numpy as np
    >>> G = round_partial_plan(np.array([[0.5, 0.0], [0.0, 0.0]]), np.array([0.3, 0.3]), np.array([0.4, 0.4]), 0.4)
    >>> G.sum(axis=1).round(12).tolist(), G.sum(axis=0).round(12).tolist(), round(float(G.sum()), 12)
    ([0.3, 0.1], [0.32, 0.08], 0.4)
    """
    G = np.array(P, dtype=np.float64, order="C")  # a copy, rounded in place (two or three passes, numba)
    if m <= 0 or G.size == 0:
        return np.zeros_like(G)
    round_in_place(G, np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), float(m))
    return G
