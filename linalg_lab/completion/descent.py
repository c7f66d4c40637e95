"""A small limited-memory BFGS descent with a backtracking (Armijo) line search.

Written here rather than calling :func:`scipy.optimize.minimize`: the fits of
:mod:`.one_sided` have only ``d r`` unknowns, and the compiled L-BFGS-B
routine spends most of its time in tiny multithreaded BLAS calls, which on a
busy machine costs milliseconds per iteration; these numpy vector operations
cost microseconds.
"""

from __future__ import annotations

from collections import deque

import numpy as np

__all__ = ["lbfgs"]


def lbfgs(f, x0, *, max_iter: int = 1000, tol: float = 1e-9, memory: int = 10, callback=None):
    """Minimise a smooth ``f`` (returning ``(value, gradient)``) from ``x0``.

    Stops when ``max|grad| <= tol`` or when a step lowers ``f`` by no more
    than ``tol * max(1, |f|)`` (relative stagnation), or after ``max_iter``
    iterations.

    Parameters
    ----------
    f : callable
        ``f(x) -> (float, ndarray)``.
    x0 : numpy.ndarray
        Start (not modified).
    max_iter : int
    tol : float
    memory : int
        Number of correction pairs kept.
    callback : callable, optional
        ``callback(x)`` after every iteration.

    Returns
    -------
    x : numpy.ndarray
    n_iter : int
    converged : bool
        Stopped by a tolerance (or by a failed line search at a point whose
        gradient is below ``1e-6`` times the initial one) rather than by
        ``max_iter``.

    References
    ----------
    .. [1] J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed.,
       Springer, 2006, Algorithm 7.4 (two-loop recursion) and 3.1 (backtracking).

    Examples
    --------
    >>> import numpy as np
    >>> x, it, ok = lbfgs(lambda x: (float(((x - 3.0) ** 2).sum()), 2 * (x - 3.0)), np.zeros(4))
    >>> np.allclose(x, 3.0), ok
    (True, True)
    """
    x = np.array(x0, dtype=np.float64)
    fx, g = f(x)
    g0 = float(np.max(np.abs(g))) if g.size else 0.0
    S, Y = deque(maxlen=memory), deque(maxlen=memory)
    it = 0
    for it in range(1, max_iter + 1):
        if not np.max(np.abs(g)) > tol:
            return x, it - 1, True
        # two-loop recursion: p = -H g
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(S), reversed(Y)):
            a = (s @ q) / (y @ s)
            alphas.append(a)
            q -= a * y
        if S:
            q *= (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1])
        else:
            q /= max(1.0, float(np.linalg.norm(g)))  # first step: at most unit length
        for (s, y), a in zip(zip(S, Y), reversed(alphas)):
            q += (a - (y @ q) / (y @ s)) * s
        p = -q
        slope = float(g @ p)
        if not slope < 0:  # lost descent: restart from steepest descent
            S.clear(), Y.clear()
            p, slope = -g, -float(g @ g)
        step = 1.0
        for _ in range(60):
            x_new = x + step * p
            f_new, g_new = f(x_new)
            if np.isfinite(f_new) and f_new <= fx + 1e-4 * step * slope:
                break
            step *= 0.5
        else:  # no decrease possible at working precision: converged only if nearly stationary
            return x, it, bool(np.max(np.abs(g)) <= max(tol, 1e-6 * g0))
        s, y = x_new - x, g_new - g
        if s @ y > 1e-12 * float(np.sqrt((s @ s) * (y @ y))):
            S.append(s)
            Y.append(y)
        decrease = fx - f_new
        x, fx, g = x_new, f_new, g_new
        if callback is not None:
            callback(x)
        if decrease <= tol * max(1.0, abs(fx)):
            return x, it, True
    return x, it, False
