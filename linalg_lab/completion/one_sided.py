"""One-sided matrix completion: the right singular space of a tall matrix seen two entries per row.

For a tall ``n x d`` matrix ``X`` with only a few observed entries per row
the left singular vectors are hopeless, but ``X^T X`` -- and so the right
singular vectors and the singular values -- can be recovered (Cao, Liang &
Valiant, ICML 2023). :func:`one_sided_complete`

1. aggregates, for each pair of columns observed together in some row, the
   co-observation statistics (:mod:`.observations`) and estimates the
   observed entries of ``Sigma = X^T X / n`` (:mod:`.gram`);
2. fits a positive semidefinite rank-``r`` matrix ``U U^T`` to the observed
   entries by gradient-based descent (L-BFGS) on a weighted least-squares
   loss plus the incoherence penalty
   ``penalty / d * sum_j max(0, ||u_j||^2 - alpha)^2`` with ``alpha =
   incoherence * mean_j Sigma_jj`` (no row of ``U`` may carry much more than
   its share of the energy; this is what makes the unobserved entries
   determined), starting from the top eigenvectors of the zero-filled,
   rescaled estimate;
3. with ``loss="likelihood"`` (the default) refines the fit by maximising
   the pairwise Gaussian (quasi-)likelihood of the co-observed pairs under
   ``Sigma = U U^T + eta I``: each pair ``(j, k)`` contributes
   ``N_jk / 2 (log det Sigma_2 + tr(Sigma_2^{-1} C_jk))`` with ``C_jk`` the
   2 x 2 second-moment matrix of its own samples. The score is linear in
   the data, so the fit stays consistent for non-Gaussian rows; for
   Gaussian-like rows it weighs every pair by its true precision, which
   the moment estimates cannot (on the issue's benchmark it more than halves
   the subspace error);
4. returns the right singular vectors and the singular values of
   ``sqrt(n) U`` (the estimate of ``X``'s), and the fraction of the ``d^2``
   Gram entries that were observed.

Only the ``O(sum_i m_i^2)`` pair statistics and ``d x d`` (or ``d x r``)
arrays are ever formed; the ``n x d`` matrix stays sparse.

References
----------
.. [1] S. Cao, P. Liang and G. Valiant, "One-sided Matrix Completion from
   Two Observations Per Row", ICML 2023, arXiv:2306.04049.
.. [2] R. Ge, J. D. Lee and T. Ma, "Matrix Completion has No Spurious Local
   Minimum", NeurIPS 2016 (the incoherence regulariser).
.. [3] C. Varin, N. Reid and D. Firth, "An overview of composite likelihood
   methods", Statistica Sinica 21 (2011) (pairwise likelihood).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

from ..exceptions import ConvergenceWarning
from ..validation import check_choice, check_int, check_real, check_rng, check_tolerance
from .descent import lbfgs
from .gram import ESTIMATORS, gram_entries
from .observations import PairStatistics, observed_entries, pair_statistics

__all__ = ["LOSSES", "WEIGHTS", "OneSidedCompletion", "one_sided_complete"]

LOSSES = ("likelihood", "squares")
WEIGHTS = ("variance", "count")

#: Least-squares misfit (relative RMS) below which the estimates count as exactly fitted (no likelihood stage).
EXACT_FIT_RMS = 1e-7
#: Smallest floor of ``eta`` relative to the mean diagonal (bounds the conditioning of the pairwise likelihood).
MIN_NOISE_FLOOR = 1e-6

#: Largest ``d`` whose initial ``d x d`` estimate is decomposed densely (above: ``eigsh``).
DENSE_INIT_MAX_D = 3000


@dataclass(frozen=True)
class OneSidedCompletion:
    """Result of :func:`one_sided_complete` (and of the baselines).

    Attributes
    ----------
    components : numpy.ndarray, shape (d, r)
        Estimated top right singular vectors of ``X`` (orthonormal columns).
    singular_values : numpy.ndarray, shape (r,)
        Estimated top singular values of ``X``, descending.
    observed_fraction : float
        Fraction of the ``d^2`` entries of ``X^T X`` co-observed in some row.
    factor : numpy.ndarray, shape (d, r)
        ``X^T X ~ factor @ factor.T``
        (``components * singular_values``).
    method : str
        ``"one_sided/<loss>"``, ``"zero_filled_svd"`` or ``"soft_impute"``.
    n_iter : int
        Descent iterations (all stages).
    converged : bool
        Whether the last stage met its tolerance before ``max_iter``.
    noise_variance : float
        ``eta * n``: the fitted isotropic part of ``X^T X`` beyond rank ``r``
        (likelihood loss; 0 otherwise).
    left_vectors : numpy.ndarray or None, shape (n, r)
        Left singular vectors (baselines that estimate ``X`` itself only).
    """

    components: np.ndarray
    singular_values: np.ndarray
    observed_fraction: float
    factor: np.ndarray
    method: str
    n_iter: int = 0
    converged: bool = True
    noise_variance: float = 0.0
    left_vectors: np.ndarray | None = None

    def gram(self) -> np.ndarray:
        """The completed rank-``r`` estimate of ``X^T X`` (``d x d``)."""
        return self.factor @ self.factor.T


def result_from_factor(U: np.ndarray, n: int, observed_fraction: float, method: str, **extra) -> OneSidedCompletion:
    """Package a factor with ``X^T X / n ~ U U^T``: components and singular values from its thin SVD."""
    Q, s, _ = sla.svd(U, full_matrices=False)
    # fix the sign of each singular vector (largest entry positive) for reproducible output
    flip = np.sign(Q[np.argmax(np.abs(Q), axis=0), np.arange(Q.shape[1])])
    flip[flip == 0] = 1.0
    Q = Q * flip
    sv = np.sqrt(n) * s
    return OneSidedCompletion(components=Q, singular_values=sv, observed_fraction=float(observed_fraction),
                              factor=Q * sv, method=method, **extra)


# ----------------------------------------------------------------------------- initialisation


def _spectral_init(stats: PairStatistics, diag, off, rank, rng) -> np.ndarray:
    """Top-``rank`` eigenpairs of the zero-filled estimate, unobserved entries compensated by 1/p."""
    d = stats.d
    n_pairs = d * (d - 1) / 2.0
    p = stats.J.size / n_pairs if n_pairs else 1.0
    off_scaled = off / p if p > 0 else off
    if d <= DENSE_INIT_MAX_D:
        M = np.diag(diag)
        M[stats.J, stats.K] = M[stats.K, stats.J] = off_scaled
        w, V = sla.eigh(M, subset_by_index=(d - rank, d - 1))
    else:
        M = sp.coo_matrix((np.concatenate([off_scaled, off_scaled, diag]),
                           (np.concatenate([stats.J, stats.K, np.arange(d)]),
                            np.concatenate([stats.K, stats.J, np.arange(d)]))), shape=(d, d)).tocsr()
        w, V = eigsh(M, k=rank, which="LA", v0=rng.standard_normal(d))
    U = V * np.sqrt(np.maximum(w, 0.0))
    # directions with no positive curvature start small and random, not at the zero saddle
    weak = w <= 1e-8 * max(float(w.max()), 1e-300)
    if np.any(weak):
        U[:, weak] = 1e-3 * rng.standard_normal((d, int(weak.sum()))) / np.sqrt(d)
    return U[:, ::-1]


# ----------------------------------------------------------------------------- losses


class _Problem:
    """Pair index arrays and the incoherence penalty shared by both losses (normalised units)."""

    def __init__(self, stats: PairStatistics, rank: int, alpha: float, penalty: float):
        self.d, self.r = stats.d, rank
        self.J, self.K = stats.J, stats.K
        m = self.J.size
        # sparse scatter matrices: E_J.T @ Z adds the rows of Z into rows J
        self.EJ = sp.csr_matrix((np.ones(m), (self.J, np.arange(m))), shape=(self.d, m))
        self.EK = sp.csr_matrix((np.ones(m), (self.K, np.arange(m))), shape=(self.d, m))
        self.alpha, self.penalty = alpha, penalty

    def pair_products(self, U):
        return np.einsum("ij,ij->i", U[self.J], U[self.K])

    def scatter(self, coef, U):
        """Gradient of ``sum_e coef_e u_J.u_K`` with respect to ``U``."""
        return self.EJ @ (coef[:, None] * U[self.K]) + self.EK @ (coef[:, None] * U[self.J])

    def regulariser(self, U, sq):
        excess = np.maximum(sq - self.alpha, 0.0)
        val = self.penalty / self.d * float(excess @ excess)
        grad = (4.0 * self.penalty / self.d) * excess[:, None] * U
        return val, grad


def _squares_objective(prob: _Problem, diag_y, diag_w, off_y, off_w):
    def f(x):
        U = x.reshape(prob.d, prob.r)
        sq = np.einsum("ij,ij->i", U, U)
        rd = sq - diag_y
        ro = prob.pair_products(U) - off_y
        val = 0.5 * (float(diag_w @ (rd * rd)) + float(off_w @ (ro * ro)))
        grad = (2.0 * diag_w * rd)[:, None] * U + prob.scatter(off_w * ro, U)
        rv, rg = prob.regulariser(U, sq)
        return val + rv, (grad + rg).ravel()

    return f


def _likelihood_objective(prob: _Problem, stats: PairStatistics, scale: float, eta_floor: float):
    total = float(stats.count.sum() + stats.single_count.sum())
    N = stats.count / total
    a = stats.sumsq_j / stats.count / scale  # per-sample second moments of the pair's own samples
    b = stats.sumsq_k / stats.count / scale
    c = stats.cross / stats.count / scale
    c1 = stats.single_count / total
    q1 = stats.single_sumsq / total / scale
    d, r = prob.d, prob.r

    def f(x):
        U = x[:-1].reshape(d, r)
        eta = eta_floor + np.exp(x[-1])
        sq = np.einsum("ij,ij->i", U, U)
        A = sq[prob.J] + eta
        B = sq[prob.K] + eta
        C = prob.pair_products(U)
        det = A * B - C * C
        q = B * a - 2.0 * C * c + A * b
        val = 0.5 * float(N @ (np.log(det) + q / det))
        inv, inv2 = 1.0 / det, q / (det * det)
        gA = 0.5 * N * ((B + b) * inv - B * inv2)
        gB = 0.5 * N * ((A + a) * inv - A * inv2)
        gC = N * (-(C + c) * inv + C * inv2)
        As = sq + eta
        val += 0.5 * float(c1 @ np.log(As) + np.sum(q1 / As))
        gs = 0.5 * (c1 / As - q1 / (As * As))
        gsq = np.bincount(prob.J, gA, d) + np.bincount(prob.K, gB, d) + gs  # d val / d ||u_j||^2
        grad = 2.0 * gsq[:, None] * U + prob.scatter(gC, U)
        geta = float(gA.sum() + gB.sum() + gs.sum()) * (eta - eta_floor)
        rv, rg = prob.regulariser(U, sq)
        return val + rv, np.concatenate([(grad + rg).ravel(), [geta]])

    return f


def _minimise(f, x0, max_iter, tol, callback=None):
    return lbfgs(f, x0, max_iter=max_iter, tol=tol, callback=callback)


def _variance_weights(stats, diag, U0, estimator):
    """Inverse variances of the entry estimates under Gaussian rows, from the initial fit."""
    s = np.maximum(diag, 1e-12 * max(float(diag.max()), 1e-300))
    prod = s[stats.J] * s[stats.K]
    c = np.einsum("ij,ij->i", U0[stats.J], U0[stats.K])
    rho2 = np.minimum(c * c / prod, 0.75)  # cap: a near-singular pair must not take over the fit
    if estimator == "correlation":
        var = prod * (1.0 - rho2) ** 2
    else:
        var = prod * (1.0 + rho2)
    return stats.col_count / (2.0 * s * s), stats.count / var


# ----------------------------------------------------------------------------- public


def one_sided_complete(X, rank, *, loss: str = "likelihood", estimator: str = "ratio", weights: str = "variance",
                       incoherence: float = 10.0, penalty: float = 1.0, noise_floor: float = 3e-3,
                       max_iter: int = 1000, tol: float = 1e-9, rng=None) -> OneSidedCompletion:
    """Right singular vectors and singular values of a tall matrix observed in a few entries per row.

    Parameters
    ----------
    X : scipy.sparse matrix or numpy.ma.MaskedArray, shape (n, d)
        The observations: the stored entries of a sparse matrix (explicit
        zeros are observed zeros), or the unmasked entries of a masked array.
        At least one row must observe two entries. Never modified.
    rank : int
        Target rank ``r``, ``1 <= r <= min(n, d)``.
    loss : {"likelihood", "squares"}, default "likelihood"
        ``"squares"``: the paper's weighted least squares on the estimated
        Gram entries (with the incoherence penalty). ``"likelihood"``: that
        fit refined by the pairwise Gaussian quasi-likelihood (see the module
        text).
    estimator : {"ratio", "ipw", "correlation"}, default "ratio"
        Gram entry estimator for the least-squares stage (:mod:`.gram`).
    weights : {"variance", "count"}, default "variance"
        Least-squares weights: the number of co-observations ``N_jk``, or
        that divided by the entry's variance under Gaussian rows (estimated
        from the spectral initialisation).
    incoherence : float, default 10.0
        ``alpha / mean_j Sigma_jj``: rows of ``U`` with ``||u_j||^2`` above
        ``alpha`` are penalised (``inf``: no penalty).
    penalty : float, default 1.0
        Weight of the incoherence penalty (0: none).
    noise_floor : float, default 3e-3
        Likelihood loss: ``eta`` is kept above ``noise_floor`` times the
        RMS misfit of the least-squares stage (both relative to ``mean_j
        Sigma_jj``; at least 1e-6). Pairs seen in a single row would otherwise
        pull the fit towards singular pair covariances; for nearly exact
        data the floor is tiny, and data fitted exactly by the least-squares
        stage skip the likelihood stage.
    max_iter : int, default 1000
        Iteration limit of each descent stage.
    tol : float, default 1e-9
        Gradient tolerance of the descent (normalised units).
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Only used to start directions the data leave flat (see the module code)
        and the sparse eigensolver for ``d > 3000``.

    Returns
    -------
    OneSidedCompletion
        ``components`` (d x r), ``singular_values`` (r,), ``observed_fraction``,
        ``factor``, ``n_iter``, ``converged``, ``noise_variance``.

    Raises
    ------
    TypeError
        ``X`` is not sparse or masked; bad option types.
    ValueError
        Non-finite observations, ``rank`` out of range, no row with two
        observations, an unknown option.

    Warns
    -----
    linalg_lab.ConvergenceWarning
        When a descent stage stops at ``max_iter`` before its tolerance
        (``converged`` False). ``components`` are orthonormal and
        ``singular_values`` descending and ``>= 0`` in every case.

    References
    ----------
    .. [1] S. Cao, P. Liang and G. Valiant, "One-sided Matrix Completion from
       Two Observations Per Row", ICML 2023, arXiv:2306.04049.
    .. [2] R. Ge, J. D. Lee and T. Ma, "Matrix Completion has No Spurious
       Local Minimum", NeurIPS 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.completion import one_sided_complete, random_instance, sin_theta
    >>> X, V, _ = random_instance(4000, 12, 2, rng=0)   # two observed entries per row
    >>> res = one_sided_complete(X, 2)
    >>> res.components.shape, bool(sin_theta(res.components, V) < 0.1)
    ((12, 2), True)
    >>> res.observed_fraction
    1.0
    """
    S = observed_entries(X)
    n, d = S.shape
    rank = check_int(rank, "rank", minimum=1, maximum=min(n, d), maximum_text=f"min(n, d) = {min(n, d)}")
    loss = check_choice(loss, "loss", LOSSES)
    estimator = check_choice(estimator, "estimator", ESTIMATORS)
    weights = check_choice(weights, "weights", WEIGHTS)
    incoherence = check_real(incoherence, "incoherence", minimum=0, strict_minimum=True, allow_inf=True)
    penalty = check_real(penalty, "penalty", minimum=0)
    noise_floor = check_real(noise_floor, "noise_floor", minimum=0, strict_minimum=True)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_tolerance(tol, "tol")
    rng = check_rng(rng)

    stats = pair_statistics(S)
    if stats.row_pairs == 0:
        raise ValueError("X: no row has two observed entries, so no off-diagonal entry of X^T X can be estimated")
    diag, off = gram_entries(stats, estimator)
    seen = stats.col_count > 0
    scale = float(diag[seen].mean())
    if not scale > 0:  # every observation is zero: the zero matrix explains the data
        return result_from_factor(np.zeros((d, rank)), n, stats.observed_fraction, f"one_sided/{loss}")
    diag, off = diag / scale, off / scale
    alpha = incoherence * float(diag[seen].mean()) if np.isfinite(incoherence) else np.inf
    prob = _Problem(stats, rank, alpha, penalty if np.isfinite(alpha) else 0.0)

    U0 = _spectral_init(stats, diag, off, rank, rng)
    if weights == "count":
        wd, wo = stats.col_count.copy(), stats.count.copy()
    else:
        wd, wo = _variance_weights(stats, diag, U0, estimator)
    total = float(wd.sum() + wo.sum())
    x, iters, converged = _minimise(_squares_objective(prob, diag, wd / total, off, wo / total), U0.ravel(),
                                    max_iter, tol)
    U = x.reshape(d, rank)
    eta = 0.0
    # the likelihood refines noisy entry estimates; estimates that a rank-r PSD matrix already fits to rounding
    # (exact data) are returned as they are
    ro = prob.pair_products(U) - off
    rms = float(np.sqrt(ro @ ro / ro.size)) if ro.size else 0.0
    if loss == "likelihood" and rms > EXACT_FIT_RMS:
        # eta's floor follows the misfit of the least-squares stage: larger where pairs are seen in few rows (there
        # the likelihood alone would favour singular pair covariances), ~0 for nearly exact data (no bias)
        mean_diag = float(diag[seen].mean())
        eta_floor = max(noise_floor * rms, MIN_NOISE_FLOOR) * mean_diag
        sq = np.einsum("ij,ij->i", U, U)
        eta0 = max(float(np.mean(np.maximum(diag - sq, 0.0)[seen])), eta_floor)
        f = _likelihood_objective(prob, stats, scale, eta_floor)
        x, it2, converged = _minimise(f, np.concatenate([U.ravel(), [np.log(eta0)]]), max_iter, tol)
        U, eta = x[:-1].reshape(d, rank), eta_floor + float(np.exp(x[-1]))
        iters += it2
    if not converged:
        warnings.warn(f"one_sided_complete: the descent stopped at max_iter = {max_iter} before meeting tol = "
                      f"{tol:.1e}; the result is flagged converged=False (raise max_iter)", ConvergenceWarning,
                      stacklevel=2)
    return result_from_factor(U * np.sqrt(scale), n, stats.observed_fraction, f"one_sided/{loss}", n_iter=iters,
                              converged=converged, noise_variance=eta * scale * n)
