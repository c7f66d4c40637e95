r"""Transductive few-shot classification under class imbalance: PUTM and its baselines.

A few-shot task has a labelled support set (``n_shot`` examples of each of
``n_way`` classes) and an unlabelled query set whose class proportions are
unknown and, in realistic tasks, imbalanced. Transductive methods use the
query set as a whole. Balanced transport (Sinkhorn with a uniform class
marginal, as in PT-MAP) assumes equal class counts among the queries and
hurts when they are not. PUTM (Tian et al., ICCV 2023) uses conditional
transport instead (:func:`linalg_lab.transport.conditional_transport`): an EM
loop between queries and class prototypes where

* E-step: navigators between the queries and the prototypes, the forward
  one ``pi(k | q_i)`` proportional to ``p_k exp(-d(q_i, mu_k))`` over classes
  (``p`` the current class-proportion estimate) and the backward one
  ``pi(q_i | k)`` proportional to ``exp(-d(q_i, mu_k))`` over queries; the
  query weights are the CT joint plan ``rho fw / n_q + (1 - rho) bw / K``
  (times ``n_q``): ``rho`` mixes the data-driven class marginal of the
  forward plan with the uniform one of the backward plan. The navigator
  distance is ``|q - mu|^2 / tau`` or a small network refitted by a few
  gradient steps on the CT cost at every iteration.
* M-step: ``mu_k <- mu_k + alpha (mu_hat_k - mu_k)``, ``mu_hat_k`` the mean of
  the class-``k`` support features and the queries weighted by their
  class-``k`` weights; ``p`` <- the column means of the query weights.

Prediction: the argmax of the forward navigator. Features are preprocessed
per task: power transform ``(x + 1e-6)^power`` (nonnegative features, e.g.
after a ReLU), L2 normalisation, centring on the task mean, L2 again.

References
----------
.. [1] Z. Tian, H. Lin, L. Liang, J. Liu et al., "Prototypes-oriented
   transductive few-shot learning with conditional transport", ICCV 2023,
   arXiv:2308.03047.
.. [2] Y. Hu, V. Gripon and S. Pateux, "Leveraging the feature distribution
   in transfer-based few-shot learning" (PT-MAP), ICANN 2021.
.. [3] H. Zheng and M. Zhou, "Exploiting chain rule and Bayes' theorem to
   compare probability distributions", NeurIPS 2021.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..validation import check_bool, check_choice, check_int, check_matrix, check_real, check_rng
from ._feasible import ConvergenceWarning
from .navigators import MLPNavigator, _sqdist, navigator_plans
from .progressive import _ppot

__all__ = ["nearest_centroid", "preprocess_features", "transductive_fewshot"]


def _features(X, name: str, dim: int | None = None) -> np.ndarray:
    arr = check_matrix(X, name, dtype=np.float64, ndim=None)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (examples x features), got shape {arr.shape}")
    if dim is not None and arr.shape[1] != dim:
        raise ValueError(f"{name}: expected {dim} features (as support), got shape {arr.shape}")
    return arr


def _task(support, support_labels, query):
    S = _features(support, "support")
    Qr = _features(query, "query", S.shape[1])
    kind = np.asarray(support_labels).dtype.kind if support_labels is not None else None
    # text labels stay text (check_matrix's numeric default refuses them)
    y = check_matrix(support_labels, "support_labels", dtype=str if kind == "U" else bytes if kind == "S" else None,
                     ndim=1)
    if y.shape[0] != S.shape[0]:
        raise ValueError(f"support_labels: expected {S.shape[0]} labels (one per support row), got shape {y.shape}")
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise ValueError("support_labels: expected class labels (integers or strings), got non-integer floats")
    classes, yi = np.unique(y, return_inverse=True)
    return S, Qr, classes, yi


def preprocess_features(support, query, power=0.6):
    """Per-task feature preprocessing: power transform, L2 normalisation, centring on the task mean, L2 again.

    Parameters
    ----------
    support, query : array_like, shape (n, d) and (m, d)
    power : float or None, default 0.6
        Exponent of ``(x + 1e-6)^power`` (the features must be ``>= 0``);
        None skips it.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        New arrays; the inputs are not modified.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import preprocess_features
    >>> s, q = preprocess_features(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), power=None)
    >>> np.linalg.norm(s, axis=1).round(12).tolist(), (s + q).round(12).tolist()
    ([1.0], [[0.0, 0.0]])
    """
    S = _features(support, "support")
    Qr = _features(query, "query", S.shape[1])
    Z = np.vstack([S, Qr])
    if power is not None:
        power = check_real(power, "power", minimum=0, strict_minimum=True)
        if Z.min() < 0:
            raise ValueError("power: the power transform needs nonnegative features (pass power=None)")
        Z = (Z + 1e-6) ** power

    def unit(A):
        n = np.linalg.norm(A, axis=1, keepdims=True)
        return A / np.where(n > 0, n, 1.0)

    Z = unit(Z)
    Z = unit(Z - Z.mean(axis=0))
    return Z[: S.shape[0]].copy(), Z[S.shape[0]:].copy()


def nearest_centroid(support, support_labels, query):
    """The prototype baseline: each query gets the class of the nearest support mean (no transduction).

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import nearest_centroid
    >>> nearest_centroid([[0.0], [0.2], [1.0]], ["a", "a", "b"], [[0.9], [0.1]]).tolist()
    ['b', 'a']
    """
    S, Qr, classes, yi = _task(support, support_labels, query)
    mu = np.stack([S[yi == k].mean(axis=0) for k in range(classes.size)])
    return classes[_sqdist(Qr, mu).argmin(axis=1)]


def transductive_fewshot(support, support_labels, query, method="putm", *, balanced=False, n_iter=50, alpha=None,
                         rho=None, tau="auto", navigator="distance", power=None, rng=None, log=False):
    r"""Transductive few-shot classification: PUTM (conditional transport EM) or a baseline.

    Parameters
    ----------
    support : array_like, shape (n_s, d)
        Labelled features.
    support_labels : array_like, shape (n_s,)
        Their classes (any labels; every class of the task appears).
    query : array_like, shape (n_q, d)
        Unlabelled features to classify.
    method : {"putm", "sinkhorn", "centroid"}, default "putm"
        ``"putm"``: the CT EM of [1]_ (module docstring); ``"sinkhorn"``: the
        same EM with the query weights from balanced Sinkhorn (uniform query
        and class marginals, regularisation ``tau``; PT-MAP's assignment);
        ``"centroid"``: :func:`nearest_centroid` on the preprocessed features.
    balanced : bool, default False
        The task's query classes are known to be balanced: PUTM's default
        ``rho`` becomes 1 (forward plan only) instead of 0.5.
    n_iter : int, default 50
        EM iterations.
    alpha : float, optional
        Prototype step ``0 < alpha <= 1``; default 0.2 for 1-shot tasks, 0.1
        otherwise.
    rho : float, optional
        CT weight of the forward plan, ``0 <= rho <= 1`` (default above).
    tau : float or "auto", default "auto"
        Temperature of the distance navigator ``d = |q - mu|^2 / tau`` (and
        the Sinkhorn regularisation). ``"auto"``: twice the per-feature
        within-class variance (the temperature of an isotropic Gaussian
        mixture), estimated from the distances of the queries to their
        nearest initial prototype and re-estimated in every M-step from the
        weighted support and query residuals (an addition of this library:
        a fixed ``tau`` suits only one feature scale).
    navigator : {"distance", "learned"}, default "distance"
        ``"learned"``: an :class:`MLPNavigator` (starting at ``1/tau``, the
        initial ``tau`` when ``"auto"``) refitted
        by a few Adam steps on the CT cost at every EM iteration.
    power : float or None, default None
        Power transform of :func:`preprocess_features` (e.g. 0.6 for
        nonnegative backbone features); the L2/centring steps always run.
    rng : None, int or numpy.random.Generator
        Seeds the learned navigator.
    log : bool, default False
        Also return a dict: ``proba`` (n_q x n_way, the forward navigator's
        class probabilities), ``prototypes``, ``proportions`` (``p``),
        ``classes``.

    Returns
    -------
    numpy.ndarray, shape (n_q,)
        Predicted labels (values of ``support_labels``).

    Warns
    -----
    ConvergenceWarning
        ``method="sinkhorn"`` only: a balanced Sinkhorn solve stopped at its
        1000 iterations before the 1e-9 tolerance (its plan rounded onto the
        constraints).

    References
    ----------
    .. [1] Z. Tian et al., "Prototypes-oriented transductive few-shot learning
       with conditional transport", ICCV 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.transport import transductive_fewshot
    >>> rng = np.random.default_rng(0)
    >>> means = np.eye(3) * 3
    >>> ys = np.repeat([0, 1, 2], 1); yq = np.array([0] * 10 + [1] * 3 + [2] * 2)
    >>> S = means[ys] + rng.normal(size=(3, 3)); Q = means[yq] + rng.normal(size=(15, 3))
    >>> pred = transductive_fewshot(S, ys, Q, rng=0)
    >>> float(np.mean(pred == yq)) >= 0.8
    True
    """
    S, Qr, classes, yi = _task(support, support_labels, query)
    method = check_choice(method, "method", ("putm", "sinkhorn", "centroid"))
    balanced = check_bool(balanced, "balanced")
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    auto_tau = isinstance(tau, str) and tau == "auto"
    if not auto_tau:
        if isinstance(tau, str):
            raise ValueError(f"tau: expected 'auto' or a number > 0, got {tau!r}")
        tau = check_real(tau, "tau", minimum=0, strict_minimum=True)
    navigator = check_choice(navigator, "navigator", ("distance", "learned"))
    log = check_bool(log, "log")
    K = classes.size
    shots = np.bincount(yi, minlength=K)
    alpha = (0.2 if shots.min() == 1 else 0.1) if alpha is None else check_real(
        alpha, "alpha", minimum=0, maximum=1, strict_minimum=True)
    rho = (1.0 if balanced else 0.5) if rho is None else check_real(rho, "rho", minimum=0, maximum=1)
    S, Qr = preprocess_features(S, Qr, power)
    nq, dim = Qr.shape
    one_hot = np.zeros((S.shape[0], K))
    one_hot[np.arange(S.shape[0]), yi] = 1.0
    sup_sum = one_hot.T @ S
    mu = sup_sum / shots[:, None]
    if auto_tau:
        # twice the per-feature within-class variance (the isotropic Gaussian mixture's temperature),
        # first from the queries' distances to their nearest prototype, then re-estimated in every M-step
        tau = 2.0 * float(_sqdist(Qr, mu).min(axis=1).mean()) / dim
        tau = max(tau, 1e-6)
    if method == "centroid":
        proba = np.exp(-_sqdist(Qr, mu) / tau)
        proba /= proba.sum(1, keepdims=True)
        pred = classes[proba.argmax(1)]
        return (pred, dict(proba=proba, prototypes=mu, proportions=np.full(K, 1.0 / K), classes=classes)) if log \
            else pred
    p = np.full(K, 1.0 / K)
    aq = np.full(nq, 1.0 / nq)
    nav = MLPNavigator(hidden=8, lr=0.01, n_steps=5, scale=1.0 / tau, rng=rng) if navigator == "learned" else None

    def distances(mu):
        C = _sqdist(Qr, mu)
        if nav is None:
            return C, C / tau
        nav.fit(Qr, mu, aq, p, rho, C)
        return C, nav.distance(Qr, mu)

    unconverged = 0
    for _ in range(n_iter):
        C, D = distances(mu)
        if method == "putm":
            fw, bw = navigator_plans(D, aq, p)
            W = rho * fw + (1.0 - rho) * bw * (nq / K)
        else:
            res = _ppot(C, 1.0, tau, np.inf, aq, np.full(K, 1.0 / K), 1000, 1e-9)
            unconverged += not res["converged"]
            W = res["plan"] * nq
        p = W.mean(axis=0)
        p = p / p.sum()
        mu_hat = (sup_sum + W.T @ Qr) / (shots + W.sum(axis=0))[:, None]
        mu = mu + alpha * (mu_hat - mu)
        if auto_tau:
            tau = max(2.0 * float(np.sum(W * C) + np.sum(one_hot * _sqdist(S, mu))) / (dim * (W.sum() + shots.sum())),
                      1e-6)
    C, D = distances(mu)
    if method == "putm":
        proba, _ = navigator_plans(D, aq, p)
    else:
        res = _ppot(C, 1.0, tau, np.inf, aq, np.full(K, 1.0 / K), 1000, 1e-9)
        unconverged += not res["converged"]
        proba = res["plan"] * nq
    if unconverged:
        warnings.warn(f"transductive_fewshot: {unconverged} balanced Sinkhorn solves stopped at 1000 iterations "
                      "before the 1e-9 tolerance (their plans were rounded onto the constraints)",
                      ConvergenceWarning, stacklevel=2)
    pred = classes[proba.argmax(axis=1)]
    if not log:
        return pred
    return pred, dict(proba=proba, prototypes=mu, proportions=p, classes=classes)
