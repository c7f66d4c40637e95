"""Linear optimal partial transport (LOPT): embed point clouds against one reference, compare them linearly.

Optimal partial transport with a mass penalty (Bai et al. 2023),

    OPT_lam(mu, nu) = min_gamma <C, gamma> + lam (|mu| + |nu| - 2 |gamma|),
    gamma >= 0,  gamma 1 <= p_mu,  gamma^T 1 <= p_nu,   C_ij = |x_i - y_j|^2,

is POT's Lagrangian partial OT with ``reg_m = 2 lam`` plus the constant
``lam (|mu| + |nu|)``. Against a fixed reference ``(X0, p0)``, a measure
``(X, p)`` is embedded by its optimal plan: ``p_hat = gamma 1`` (the reference
mass that is transported), the barycentric displacement ``U_i = (gamma X)_i /
p_hat_i - X0_i`` (zero where nothing is transported), and the mass that the
plan leaves in ``nu`` (created along the way from the reference). Two
embeddings are compared without solving another transport problem:

    LOPT_lam = sum_i min(|U1_i - U2_i|^2, 2 lam) min(p_hat1_i, p_hat2_i)
               + lam (sum_i |p_hat1_i - p_hat2_i| + created_1 + created_2),

so K measures need K OPT solves instead of K (K - 1) / 2. The same
embeddings give a displacement interpolation between two measures
(:func:`lopt_interpolate`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.spatial.distance import cdist

from ._api import renamed_keywords
from ..validation import check_instance, check_matrix, check_real
from ._checks import check_histogram
from .partial import partial_wasserstein_lagrange

__all__ = ["LOPTEmbedding", "lopt_distance", "lopt_distances", "lopt_embedding", "lopt_interpolate", "opt_lambda"]


class LOPTEmbedding(NamedTuple):
    """The LOPT embedding of a measure ``(X, p)`` against a reference ``(X0, p0)``.

    Attributes
    ----------
    U : numpy.ndarray, shape (N0, d)
        Barycentric displacement of each reference point (zero where nothing
        is transported).
    p_hat : numpy.ndarray, shape (N0,)
        Reference mass transported, ``gamma 1``.
    created : float
        Mass of the measure left out of the plan, ``|p| - |p_hat|``.
    destroyed : numpy.ndarray, shape (N0,)
        Reference mass left out of the plan, ``p0 - p_hat``.
    X_created, p_created : numpy.ndarray
        The measure's points with mass left out of the plan, and that mass
        (used by :func:`lopt_interpolate`).
    X0, p0 : numpy.ndarray
        The reference (copies).
    lam : float
        The mass penalty.
    opt : float
        ``OPT_lam(reference, measure)``.
    """

    U: np.ndarray
    p_hat: np.ndarray
    created: float
    destroyed: np.ndarray
    X_created: np.ndarray
    p_created: np.ndarray
    X0: np.ndarray
    p0: np.ndarray
    lam: float
    opt: float


def _cloud(X, p, names):
    # copies: an embedding keeps the reference, and no later change to the caller's arrays may reach it
    X = check_matrix(X, names[0], dtype=np.float64, copy=True)
    return X, check_histogram(p, names[1], X.shape[0])


def _sq_dist(X, Y, name="X"):
    """Squared Euclidean distances from the differences (the |x|^2 + |y|^2 - 2 x.y expansion cancels badly)."""
    with np.errstate(over="ignore"):
        C = cdist(X, Y, "sqeuclidean")
    if not np.all(np.isfinite(C)):
        raise ValueError(f"{name}: squared distances to the other cloud's points exceed the float range; rescale "
                         "the points (and lam by the square of the factor)")
    return C


def _check_lam(lam, name="lam"):
    # 2 lam is the reward per unit of mass passed to the solver: it must be finite too
    return check_real(lam, name, minimum=0, strict_minimum=True, maximum=np.finfo(np.float64).max / 2)


def _opt_plan(X0, p0, X, p, lam, nb_dummies, numItermax, name="X"):
    if X.shape[1] != X0.shape[1]:
        raise ValueError(f"{name}: expected points of dimension {X0.shape[1]} (as the reference's), got shape "
                         f"{X.shape}")
    C = _sq_dist(X0, X, name)
    plan, log = partial_wasserstein_lagrange(p0, p, C, reg_m=2.0 * lam, nb_dummies=nb_dummies,
                                             numItermax=numItermax, log=True)
    with np.errstate(over="ignore"):
        value = log["objective"] + lam * (float(p0.sum()) + float(p.sum()))
    if not np.isfinite(value):
        raise ValueError(f"lam: OPT_lam = {value} is beyond the float range at this penalty and these masses")
    return plan, value


@renamed_keywords(X="X_s", Y="X_t")
def opt_lambda(X_s, p, X_t, q, lam, nb_dummies=None, numItermax=None):
    r"""Optimal partial transport ``OPT_lam`` between two point clouds (squared Euclidean cost).

    .. math::
        \mathrm{OPT}_\lambda = \min_{\gamma \ge 0,\ \gamma 1 \le p,\ \gamma^T 1 \le q}
        \langle C, \gamma \rangle + \lambda (|p| + |q| - 2 |\gamma|)

    Parameters
    ----------
    X_s : array_like, shape (N, d)
    p : array_like, shape (N,)
        Masses (empty: uniform ``1/N``).
    X_t : array_like, shape (M, d)
    q : array_like, shape (M,)
    lam : float
        Mass penalty, ``> 0``: moving a unit of mass further than
        ``sqrt(2 lam)`` costs more than destroying and creating it.
    nb_dummies, numItermax
        As in :func:`linalg_lab.transport.partial_wasserstein_lagrange`.

    Returns
    -------
    float

    References
    ----------
    .. [1] Y. Bai, I. Medri, R. Diaz Martin, R. Shahroz and S. Kolouri,
       "Linear optimal partial transport embedding", ICML 2023.

    Examples
    --------
    >>> X_s = [[0.0, 0.0], [1.0, 0.0]]
    >>> X_t = [[0.0, 0.5], [5.0, 0.0]]
    >>> round(opt_lambda(X_s, [], X_t, [], lam=1.0), 6)  # one pair moved (0.25 * 0.5), the rest destroyed / created
    1.125
    """
    X_s, p = _cloud(X_s, p, ("X_s", "p"))
    X_t, q = _cloud(X_t, q, ("X_t", "q"))
    return _opt_plan(X_s, p, X_t, q, _check_lam(lam), nb_dummies, numItermax, "X_t")[1]


@renamed_keywords(X0="X_s", X="X_t")
def lopt_embedding(X_s, p0, X_t, p, lam, nb_dummies=None, numItermax=None) -> LOPTEmbedding:
    r"""Embed the measure ``(X_t, p)`` against the reference ``(X_s, p0)`` (Bai et al. 2023).

    The reference is the source of the partial transport problem solved,
    ``OPT_lam((X_s, p0), (X_t, p))``, hence the family's source / target
    names (the embedding keeps the paper's ``X0``, ``p0`` for the reference).

    Parameters
    ----------
    X_s : array_like, shape (N0, d)
        Reference points (formerly ``X0``, still accepted as a keyword with a
        DeprecationWarning).
    p0 : array_like, shape (N0,)
        Reference masses (empty: uniform ``1/N0``).
    X_t : array_like, shape (N, d)
        The measure's points (formerly ``X``).
    p : array_like, shape (N,)
        Its masses (empty: uniform ``1/N``); the total need not equal ``|p0|``.
    lam : float
        Mass penalty ``> 0`` (see :func:`opt_lambda`).
    nb_dummies, numItermax
        Passed to the exact solver
        (:func:`linalg_lab.transport.partial_wasserstein_lagrange`).

    Returns
    -------
    LOPTEmbedding
        Holds copies: later changes to the caller's arrays do not reach it.

    Raises
    ------
    ValueError
        Bad arguments (the message names them), including squared distances
        beyond the float range (``X_t``) and ``lam > max float / 2``.

    References
    ----------
    .. [1] Y. Bai, I. Medri, R. Diaz Martin, R. Shahroz and S. Kolouri,
       "Linear optimal partial transport embedding", ICML 2023.

    Examples
    --------
    >>> X0 = [[0.0, 0.0], [1.0, 0.0]]
    >>> emb = lopt_embedding(X0, [], [[0.0, 0.5], [5.0, 0.0]], [], lam=1.0)
    >>> emb.U.tolist(), emb.p_hat.tolist(), emb.created
    ([[0.0, 0.5], [0.0, 0.0]], [0.5, 0.0], 0.5)
    """
    X0, p0 = _cloud(X_s, p0, ("X_s", "p0"))
    X, p = _cloud(X_t, p, ("X_t", "p"))
    lam = _check_lam(lam)
    plan, value = _opt_plan(X0, p0, X, p, lam, nb_dummies, numItermax, "X_t")
    np.maximum(plan, 0.0, out=plan)
    p_hat = plan.sum(axis=1)
    moved = p_hat > 0
    U = np.zeros_like(X0)
    U[moved] = (plan[moved] @ X) / p_hat[moved, None] - X0[moved]
    left = np.maximum(p - plan.sum(axis=0), 0.0)
    keep = left > 0
    return LOPTEmbedding(U=U, p_hat=p_hat, created=float(max(p.sum() - p_hat.sum(), 0.0)),
                         destroyed=np.maximum(p0 - p_hat, 0.0), X_created=X[keep], p_created=left[keep],
                         X0=X0, p0=p0, lam=lam, opt=value)


def _pair(emb1, emb2, lam):
    check_instance(emb1, "emb1", LOPTEmbedding, "an LOPTEmbedding")
    check_instance(emb2, "emb2", LOPTEmbedding, "an LOPTEmbedding")
    if emb1.X0.shape != emb2.X0.shape or not (np.array_equal(emb1.X0, emb2.X0)
                                              and np.array_equal(emb1.p0, emb2.p0)):
        raise ValueError("emb2: embedded against another reference than emb1")
    return _common_lam(lam, (emb1.lam, emb2.lam))


def _common_lam(lam, lams):
    if lam is None:
        if len(set(lams)) > 1:
            raise ValueError(f"lam: the embeddings were made with different penalties {sorted(set(lams))}; pass lam")
        return lams[0]
    return _check_lam(lam)


def lopt_distance(emb1, emb2, lam=None) -> float:
    r"""The LOPT discrepancy between two embeddings against the same reference.

    .. math::
        \sum_i \min(|U^1_i - U^2_i|^2, 2\lambda) \min(\hat p^1_i, \hat p^2_i)
        + \lambda \Big(\sum_i |\hat p^1_i - \hat p^2_i| + c_1 + c_2\Big)

    with ``c`` the created masses. It approximates ``OPT_lam`` between the two
    measures, and equals ``OPT_lam(reference, measure)`` when ``emb1`` embeds
    the reference itself and the measure's plan is a map.

    Parameters
    ----------
    emb1, emb2 : LOPTEmbedding
    lam : float, optional
        Default: the embeddings' (which must then agree).

    Returns
    -------
    float

    References
    ----------
    .. [1] Y. Bai, I. Medri, R. Diaz Martin, R. Shahroz and S. Kolouri,
       "Linear optimal partial transport embedding", ICML 2023.

    Examples
    --------
    >>> X0 = [[0.0, 0.0], [1.0, 0.0]]
    >>> ref = lopt_embedding(X0, [], X0, [], lam=1.0)
    >>> emb = lopt_embedding(X0, [], [[0.0, 0.5], [5.0, 0.0]], [], lam=1.0)
    >>> lopt_distance(ref, ref), round(lopt_distance(ref, emb), 6), round(emb.opt, 6)
    (0.0, 1.125, 1.125)
    """
    lam = _pair(emb1, emb2, lam)
    return float(_distance(emb1, emb2.U[None], emb2.p_hat[None], np.array([emb2.created]), lam)[0])


def _distance(emb, U, p_hat, created, lam):
    """Distances from ``emb`` to a stack of embeddings given as ``U`` (K, N0, d), ``p_hat`` (K, N0), ``created``."""
    with np.errstate(over="ignore"):  # a squared distance beyond the float range is capped at 2 lam anyway
        sq = ((U - emb.U[None]) ** 2).sum(axis=2)
    moved = (np.minimum(sq, 2.0 * lam) * np.minimum(p_hat, emb.p_hat[None])).sum(axis=1)
    return moved + lam * (np.abs(p_hat - emb.p_hat[None]).sum(axis=1) + created + emb.created)


def lopt_distances(embeddings, lam=None) -> np.ndarray:
    """All pairwise LOPT discrepancies of K embeddings against one reference: a symmetric (K, K) matrix.

    Parameters
    ----------
    embeddings : sequence of LOPTEmbedding
    lam : float, optional
        Default: the embeddings' (which must then agree).

    Returns
    -------
    numpy.ndarray, shape (K, K)
        The diagonal is set to 0 (:func:`lopt_distance` of an embedding
        with itself is ``2 lam created``: created mass is never matched).

    References
    ----------
    .. [1] Y. Bai, I. Medri, R. Diaz Martin, R. Shahroz and S. Kolouri,
       "Linear optimal partial transport embedding", ICML 2023.

    Examples
    --------
    >>> X0 = [[0.0, 0.0], [1.0, 0.0]]
    >>> embs = [lopt_embedding(X0, [], Y, [], lam=1.0) for Y in ([[0.0, 0.5], [5.0, 0.0]], X0)]
    >>> lopt_distances(embs).round(6).tolist()
    [[0.0, 1.125], [1.125, 0.0]]
    """
    embs = list(embeddings)
    if not embs:
        raise ValueError("embeddings: expected at least one LOPTEmbedding, got none")
    for e in embs:
        check_instance(e, "embeddings", LOPTEmbedding, "a sequence of LOPTEmbedding")
        _pair(embs[0], e, 1.0)  # same reference
    lam = _common_lam(lam, tuple(e.lam for e in embs))
    U = np.stack([e.U for e in embs])
    p_hat = np.stack([e.p_hat for e in embs])
    created = np.array([e.created for e in embs])
    K = len(embs)
    D = np.zeros((K, K))
    for k in range(K - 1):
        D[k, k + 1:] = _distance(embs[k], U[k + 1:], p_hat[k + 1:], created[k + 1:], lam)
    return D + D.T


def lopt_interpolate(emb1, emb2, t, lam=None):
    r"""The measure at time ``t`` on the LOPT interpolation between two embedded measures.

    With ``w = min(p_hat1, p_hat2)``: mass ``w_i`` moves along the straight
    line from ``X0_i + U1_i`` to ``X0_i + U2_i`` (where ``|U1_i - U2_i|^2 <
    2 lam``; further apart it fades out at the first end and in at the other,
    as moving it would cost more than ``2 lam``); the excess ``p_hat1 - w``
    and the mass created for measure 1 fade out as ``1 - t``; the excess
    ``p_hat2 - w`` and the mass created for measure 2 fade in as ``t``. At
    ``t = 0`` this is measure 1 with its transported part replaced by its
    barycentric projection (measure 1 itself when its plan is a map); the
    total mass is ``(1 - t) |nu1| + t |nu2|``.

    Parameters
    ----------
    emb1, emb2 : LOPTEmbedding
        Embeddings against the same reference.
    t : float
        Time in ``[0, 1]``.
    lam : float, optional
        Default: the embeddings' (which must then agree).

    Returns
    -------
    points : numpy.ndarray, shape (K, d)
    masses : numpy.ndarray, shape (K,)
        Positive masses (zero-mass atoms are dropped).

    References
    ----------
    .. [1] Y. Bai, I. Medri, R. Diaz Martin, R. Shahroz and S. Kolouri,
       "Linear optimal partial transport embedding", ICML 2023 (Section 5,
       point-cloud interpolation).

    Examples
    --------
    >>> X0 = [[0.0, 0.0], [1.0, 0.0]]
    >>> e1 = lopt_embedding(X0, [], X0, [], lam=1.0)
    >>> e2 = lopt_embedding(X0, [], [[0.0, 1.0], [1.0, 1.0]], [], lam=1.0)
    >>> points, masses = lopt_interpolate(e1, e2, 0.5)
    >>> points.tolist(), masses.tolist()
    ([[0.0, 0.5], [1.0, 0.5]], [0.5, 0.5])
    """
    lam = _pair(emb1, emb2, lam)
    t = check_real(t, "t", minimum=0, maximum=1)
    A, B = emb1.X0 + emb1.U, emb2.X0 + emb2.U
    w = np.minimum(emb1.p_hat, emb2.p_hat)
    move = (((emb1.U - emb2.U) ** 2).sum(axis=1) < 2.0 * lam) & (w > 0)
    parts = [
        ((1.0 - t) * A[move] + t * B[move], w[move]),
        (A, (1.0 - t) * (emb1.p_hat - np.where(move, w, 0.0))),  # excess of 1 (and w where too far to move)
        (B, t * (emb2.p_hat - np.where(move, w, 0.0))),
        (emb1.X_created, (1.0 - t) * emb1.p_created),
        (emb2.X_created, t * emb2.p_created),
    ]
    points = np.concatenate([x for x, _ in parts])
    masses = np.concatenate([m for _, m in parts])
    keep = masses > 0
    return points[keep], masses[keep]
