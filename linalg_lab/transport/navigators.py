r"""Conditional transport (CT, Zheng & Zhou 2021): forward and backward navigators between two samples.

CT compares two distributions ``mu`` (points ``x_i``, masses ``a_i``) and
``nu`` (points ``y_j``, masses ``b_j``) through two conditional transport
plans ("navigators") built from a navigator distance ``d``:

* forward ``pi(y_j | x_i) = b_j exp(-d(x_i, y_j)) / sum_l b_l exp(-d(x_i, y_l))``
  (each row a distribution over the ``y``'s);
* backward ``pi(x_i | y_j) = a_i exp(-d(x_i, y_j)) / sum_l a_l exp(-d(x_l, y_j))``
  (each column a distribution over the ``x``'s);

and the CT cost with the point-to-point cost ``c`` (squared Euclidean here)

.. math::

    CT_\rho = \rho \sum_i a_i \sum_j \pi(y_j|x_i)\, c_{ij}
            + (1 - \rho) \sum_j b_j \sum_i \pi(x_i|y_j)\, c_{ij}.

The navigator distance is either fixed, ``d = c / tau``, or learned: a small
network of the squared feature difference, fitted by gradient steps on the
CT cost (numpy, :class:`MLPNavigator`). Unlike OT, no marginal constraint
ties the two plans: the forward plan's column sums are data-driven, which is
what PUTM (:func:`linalg_lab.transport.transductive_fewshot`) uses for
imbalanced classes.

References
----------
.. [1] H. Zheng and M. Zhou, "Exploiting chain rule and Bayes' theorem to
   compare probability distributions", NeurIPS 2021, arXiv:2012.14100.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from ._api import renamed_keywords
from ..validation import (
    check_bool,
    check_int,
    check_matrix,
    check_real,
    check_rng,
    check_vector,
)
from ._checks import check_points

__all__ = ["MLPNavigator", "conditional_transport", "navigator_plans"]


def _weights(w, name: str, n: int) -> np.ndarray:
    if w is None or (np.ndim(w) == 1 and np.size(w) == 0):
        return np.full(n, 1.0 / n)
    arr = check_vector(w, name, dtype=np.float64, size=n, copy=True)
    if (arr < 0).any() or arr.sum() <= 0:
        raise ValueError(f"{name}: expected masses >= 0 with a positive sum")
    return arr / arr.sum()


def _problem(X, Y, a, b, rho):
    """The checked arguments of a CT problem: two point clouds of one dimension, their weights, ``rho``."""
    X = check_points(X, "X_s")
    Y = check_points(Y, "X_t")
    if Y.shape[1] != X.shape[1]:
        raise ValueError(f"X_t: expected {X.shape[1]} features (as X_s), got shape {Y.shape}")
    return (X, Y, _weights(a, "a", X.shape[0]), _weights(b, "b", Y.shape[0]),
            check_real(rho, "rho", minimum=0, maximum=1))


def _sqdist(X, Y) -> np.ndarray:
    C = (X * X).sum(1)[:, None] - 2.0 * (X @ Y.T) + (Y * Y).sum(1)[None, :]
    return np.maximum(C, 0.0)


def navigator_plans(D, a, b):
    """Forward (row-stochastic) and backward (column-stochastic) navigator plans of a distance matrix ``D``.

    ``forward[i, j] = pi(y_j | x_i)`` proportional to ``b_j exp(-D_ij)``,
    ``backward[i, j] = pi(x_i | y_j)`` proportional to ``a_i exp(-D_ij)``
    (computed with log-sum-exp; a zero mass gets probability 0).

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import navigator_plans
    >>> fw, bw = navigator_plans(np.array([[0.0, np.log(3)]]), np.array([1.0]), np.array([0.5, 0.5]))
    >>> fw.round(3).tolist(), bw.tolist()
    ([[0.75, 0.25]], [[1.0, 1.0]])
    """
    D = check_matrix(D, "D", dtype=np.float64)
    a = check_vector(a, "a", dtype=np.float64, size=D.shape[0])
    b = check_vector(b, "b", dtype=np.float64, size=D.shape[1])
    with np.errstate(divide="ignore"):
        la, lb = np.log(a), np.log(b)
    Lf = lb[None, :] - D
    Lf = Lf - logsumexp(Lf, axis=1, keepdims=True)
    Lb = la[:, None] - D
    Lb = Lb - logsumexp(Lb, axis=0, keepdims=True)
    return np.exp(Lf), np.exp(Lb)


def _ct_terms(C, fw, bw, a, b, rho):
    forward = float(a @ (fw * C).sum(1))
    backward = float(b @ (bw * C).sum(0))
    return rho * forward + (1.0 - rho) * backward, forward, backward


class MLPNavigator:
    r"""A learned navigator distance ``d(x, y) = softplus(w2^T tanh(W1 (x - y)^2 + b1) + b2)`` (numpy).

    ``(x - y)^2`` is the elementwise squared difference; ``softplus`` keeps
    the distance positive. Fitted by Adam steps on the CT cost of the
    navigator plans (:meth:`fit`; gradients written out by hand).

    Parameters
    ----------
    hidden : int, default 16
        Hidden units.
    lr : float, default 0.01
        Adam step size.
    n_steps : int, default 20
        Gradient steps per call of :meth:`fit` (the fit continues from the
        current weights: PUTM refits a few steps per EM iteration).
    scale : float, optional
        Initial slope: the network starts near ``d = scale * |x - y|^2``
        (default ``1 / median(|x - y|^2)`` of the first fit).
    rng : None, int or numpy.random.Generator
        For the initial weights.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import MLPNavigator
    >>> nav = MLPNavigator(hidden=4, rng=0)
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> D = nav.fit(X, X, rho=0.5).distance(X, X)
    >>> D.shape, bool((D > 0).all())
    ((2, 2), True)
    """

    def __init__(self, hidden=16, lr=0.01, n_steps=20, scale=None, rng=None):
        self.hidden = check_int(hidden, "hidden", minimum=1)
        self.lr = check_real(lr, "lr", minimum=0, strict_minimum=True)
        self.n_steps = check_int(n_steps, "n_steps", minimum=0)
        self.scale = None if scale is None else check_real(scale, "scale", minimum=0, strict_minimum=True)
        self._rng = check_rng(rng)
        self.params = None
        self._adam = None
        self.history = []

    def _init(self, dim: int, scale: float):
        H = self.hidden
        W1 = np.abs(self._rng.normal(scale=0.1, size=(H, dim))) / dim
        W1[0] = 1.0 / dim  # one unit starts on the mean squared difference
        b1 = np.zeros(H)
        w2 = self._rng.normal(scale=0.01, size=H)
        # tanh(W1 z) ~ W1 z near 0: start near d = scale |x - y|^2 through the first unit
        w2[0] = scale * dim
        b2 = 0.0
        self.params = dict(W1=W1, b1=b1, w2=w2, b2=np.array(b2))
        self._adam = {k: (np.zeros_like(v, dtype=np.float64), np.zeros_like(v, dtype=np.float64))
                      for k, v in self.params.items()}
        self._t = 0

    def _forward(self, X, Y):
        Z = (X[:, None, :] - Y[None, :, :]) ** 2  # (n, m, dim)
        p = self.params
        Hpre = Z @ p["W1"].T + p["b1"]
        Hh = np.tanh(Hpre)
        s = Hh @ p["w2"] + p["b2"]
        D = np.logaddexp(0.0, s)  # softplus
        return D, (Z, Hh, s)

    @renamed_keywords(X="X_s", Y="X_t")
    def distance(self, X_s, X_t):
        """The navigator distance matrix ``d(x_i, y_j)`` (n x m) between the points ``X_s`` and ``X_t``."""
        X, Y = X_s, X_t
        if self.params is None:
            raise ValueError("MLPNavigator: call fit() first (or pass navigator='learned')")
        X = check_points(X, "X_s")
        Y = check_points(Y, "X_t")
        if Y.shape[1] != X.shape[1] or X.shape[1] != self.params["W1"].shape[1]:
            raise ValueError(f"X_t: expected {self.params['W1'].shape[1]} features, got shapes {X.shape}, {Y.shape}")
        return self._forward(X, Y)[0]

    def loss_and_grad(self, X, Y, a, b, rho, C):
        """The CT cost of the current navigator and its gradient with respect to the parameters."""
        D, (Z, Hh, s) = self._forward(X, Y)
        fw, bw = navigator_plans(D, a, b)
        loss, _, _ = _ct_terms(C, fw, bw, a, b, rho)
        # d loss / d D: forward rows and backward columns are softmaxes of -D
        cf = (fw * C).sum(1, keepdims=True)
        cb = (bw * C).sum(0, keepdims=True)
        G = -rho * a[:, None] * fw * (C - cf) - (1.0 - rho) * b[None, :] * bw * (C - cb)
        Gs = G * (1.0 / (1.0 + np.exp(-s)))  # softplus'
        p = self.params
        grad = dict(w2=np.einsum("nm,nmh->h", Gs, Hh), b2=np.array(Gs.sum()))
        Gpre = Gs[:, :, None] * p["w2"][None, None, :] * (1.0 - Hh ** 2)
        grad["b1"] = Gpre.sum((0, 1))
        grad["W1"] = np.einsum("nmh,nmd->hd", Gpre, Z)
        return loss, grad

    @renamed_keywords(X="X_s", Y="X_t")
    def fit(self, X_s, X_t, a=None, b=None, rho=0.5, C=None):
        """Take ``n_steps`` Adam steps that lower the CT cost between ``(X_s, a)`` and ``(X_t, b)``; returns self."""
        X, Y, a, b, rho = _problem(X_s, X_t, a, b, rho)
        C = _sqdist(X, Y) if C is None else C
        if self.params is None:
            scale = self.scale
            if scale is None:
                med = float(np.median(C))
                scale = 1.0 / med if med > 0 else 1.0
            self._init(X.shape[1], scale)
        b1, b2, e = 0.9, 0.999, 1e-8
        for _ in range(self.n_steps):
            loss, grad = self.loss_and_grad(X, Y, a, b, rho, C)
            self.history.append(loss)
            self._t += 1
            for k, g in grad.items():
                m, v = self._adam[k]
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * g * g
                step = self.lr * (m / (1 - b1 ** self._t)) / (np.sqrt(v / (1 - b2 ** self._t)) + e)
                self.params[k] = self.params[k] - step
        return self


@renamed_keywords(X="X_s", Y="X_t")
def conditional_transport(X_s, X_t, a=None, b=None, rho=0.5, navigator="distance", tau=1.0, *, rng=None, log=False):
    r"""The conditional transport cost ``CT_rho`` between two weighted samples, with both navigator plans.

    Parameters
    ----------
    X_s : array_like, shape (n, d)
        Points of the first distribution (a 1-D array: one feature).
    X_t : array_like, shape (m, d)
        Points of the second one.
    a, b : array_like, optional
        Masses ``>= 0`` (normalised; default uniform).
    rho : float, default 0.5
        Weight of the forward term, ``0 <= rho <= 1``.
    navigator : {"distance", "learned"} or MLPNavigator, default "distance"
        ``"distance"``: ``d = c / tau`` with ``c`` the squared Euclidean cost;
        ``"learned"``: a fresh :class:`MLPNavigator` fitted on ``(X_s, X_t)``
        (its default steps; ``rng`` seeds it); an :class:`MLPNavigator`: used
        as it is if fitted, else fitted first.
    tau : float, default 1.0
        Temperature of the distance navigator, ``> 0``.
    rng : None, int or numpy.random.Generator
        Only for ``navigator="learned"``.
    log : bool, default False
        Also return a dict with ``T`` (the plan: the joint ``rho diag(a)
        forward + (1 - rho) backward diag(b)``, total mass 1; the family's
        key for the plan), ``cost`` (``CT_rho``, the value returned; the
        family's key for the value), ``forward`` (n x m, rows sum to 1:
        ``pi(y_j|x_i)``), ``backward`` (n x m, columns sum to 1:
        ``pi(x_i|y_j)``), ``M`` (the cost matrix c), ``distance`` (d),
        ``forward_cost``, ``backward_cost`` and ``navigator``. (Before the
        family's log keys were made one, the plan was ``plan`` and the cost
        matrix ``cost``.)

    Returns
    -------
    float or (float, dict)
        ``CT_rho = rho sum_i a_i sum_j fw_ij c_ij + (1 - rho) sum_j b_j sum_i bw_ij c_ij``.

    References
    ----------
    .. [1] H. Zheng and M. Zhou, "Exploiting chain rule and Bayes' theorem to
       compare probability distributions", NeurIPS 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import conditional_transport
    >>> X_s = np.array([[0.0], [1.0]]); X_t = np.array([[0.0], [1.0]])
    >>> ct, log = conditional_transport(X_s, X_t, tau=0.1, log=True)
    >>> round(ct, 6), log["forward"].sum(1).tolist(), log["backward"].sum(0).tolist()
    (4.5e-05, [1.0, 1.0], [1.0, 1.0])
    """
    X_s, X_t, a, b, rho = _problem(X_s, X_t, a, b, rho)
    log = check_bool(log, "log")
    C = _sqdist(X_s, X_t)
    nav = None
    if isinstance(navigator, MLPNavigator):
        nav = navigator
        if nav.params is None:
            nav.fit(X_s, X_t, a, b, rho, C)
        D = nav.distance(X_s, X_t)
    elif isinstance(navigator, str) and navigator in ("distance", "learned"):
        if navigator == "distance":
            tau = check_real(tau, "tau", minimum=0, strict_minimum=True)
            D = C / tau
        else:
            nav = MLPNavigator(rng=rng).fit(X_s, X_t, a, b, rho, C)
            D = nav.distance(X_s, X_t)
    else:
        raise ValueError(f"navigator: expected 'distance', 'learned' or an MLPNavigator, got {navigator!r}")
    fw, bw = navigator_plans(D, a, b)
    ct, forward, backward = _ct_terms(C, fw, bw, a, b, rho)
    if not log:
        return ct
    plan = rho * a[:, None] * fw + (1.0 - rho) * bw * b[None, :]
    return ct, dict(T=plan, cost=ct, forward=fw, backward=bw, M=C, distance=D, forward_cost=forward,
                    backward_cost=backward, navigator=nav)
