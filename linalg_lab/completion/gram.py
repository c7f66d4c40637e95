"""Estimates of the Gram matrix ``X^T X`` from the co-observed entries of a tall matrix.

Each row ``i`` observing columns ``j`` and ``k`` contributes ``x_ij x_ik``.
Writing ``Sigma = X^T X / n`` (the per-row second moment), the estimators
of an entry ``Sigma_jk`` observed in ``N_jk >= 1`` rows are

* ``"ratio"``: ``S_jk / N_jk``, the mean over the co-observing rows
  (normalised by the *count*, a ratio estimator);
* ``"ipw"``: ``S_jk / (n p)`` with ``p`` the probability that a row
  observes a given pair, estimated as the average over all pairs (inverse
  probability weighting; unbiased under uniform sampling);
* ``"correlation"``: the sample correlation of the pair's own samples,
  ``S_jk / sqrt(D_jk D_kj)``, rescaled by the diagonal estimates,
  ``sqrt(Sigma_jj Sigma_kk)``. The diagonal is seen in far more rows than
  any pair, and the correlation is estimated with variance
  ``(1 - rho^2)^2 / N`` instead of ``(1 + rho^2) / N`` for Gaussian rows,
  so strongly correlated columns (the low-rank case) gain most.

The diagonal is ``sum x_ij^2`` over the rows observing ``j`` divided by their
number (``"ipw"``: by ``n`` times the overall observation rate). Entries never
co-observed are unknown; :func:`estimate_gram` returns them as NaN (or as
zero) together with the mask of observed entries.

References
----------
.. [1] S. Cao, P. Liang and G. Valiant, "One-sided Matrix Completion from
   Two Observations Per Row", ICML 2023, arXiv:2306.04049.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_bool, check_choice
from .observations import PairStatistics, observed_entries, pair_statistics

__all__ = ["ESTIMATORS", "estimate_gram", "gram_entries"]

ESTIMATORS = ("ratio", "ipw", "correlation")


def gram_entries(stats: PairStatistics, estimator: str = "ratio"):
    """Estimates of ``Sigma = X^T X / n`` at the observed entries.

    Parameters
    ----------
    stats : PairStatistics
    estimator : {"ratio", "ipw", "correlation"}

    Returns
    -------
    diag : numpy.ndarray, shape (d,)
        ``Sigma_jj`` (0 for a column never observed; see ``stats.col_count``).
    off : numpy.ndarray
        ``Sigma_jk`` for the pairs ``(stats.J, stats.K)``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from linalg_lab.completion.observations import pair_statistics
    >>> S = sp.csr_matrix(([1.0, 2.0, 3.0, 4.0], [0, 1, 0, 1], [0, 2, 4]), shape=(2, 2))
    >>> diag, off = gram_entries(pair_statistics(S), "ratio")
    >>> diag.tolist(), off.tolist()
    ([5.0, 10.0], [7.0])
    """
    estimator = check_choice(estimator, "estimator", ESTIMATORS)
    seen = stats.col_count > 0
    diag = np.zeros(stats.d)
    if estimator == "ipw":
        rate = stats.nnz / float(stats.n * stats.d)
        diag = stats.col_sumsq / (stats.n * rate)
        n_pairs = stats.d * (stats.d - 1) / 2.0
        pair_rate = stats.row_pairs / (stats.n * n_pairs) if n_pairs else 1.0
        return diag, stats.cross / (stats.n * pair_rate)
    diag[seen] = stats.col_sumsq[seen] / stats.col_count[seen]
    if estimator == "ratio":
        return diag, stats.cross / stats.count
    norm = np.sqrt(stats.sumsq_j * stats.sumsq_k)
    rho = np.divide(stats.cross, norm, out=np.zeros_like(norm), where=norm > 0)
    return diag, np.clip(rho, -1.0, 1.0) * np.sqrt(diag[stats.J] * diag[stats.K])


def estimate_gram(X, estimator: str = "ratio", *, fill_nan: bool = True):
    """Estimate ``X^T X`` (scaled to all ``n`` rows) from the co-observed entries.

    Parameters
    ----------
    X : scipy.sparse matrix or numpy.ma.MaskedArray, shape (n, d)
        The observations (see :func:`~linalg_lab.completion.observations.observed_entries`).
    estimator : {"ratio", "ipw", "correlation"}, default "ratio"
        See the module text.
    fill_nan : bool, default True
        Unobserved entries as NaN (True) or 0 (False).

    Returns
    -------
    gram : numpy.ndarray, shape (d, d)
        Symmetric estimate of ``X^T X``.
    observed : numpy.ndarray of bool, shape (d, d)
        Which entries were co-observed in at least one row.

    References
    ----------
    .. [1] S. Cao, P. Liang and G. Valiant, "One-sided Matrix Completion from
       Two Observations Per Row", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ma.masked_invalid([[1.0, 2.0, np.nan], [3.0, np.nan, 1.0], [np.nan, 2.0, 2.0]])
    >>> G, seen = estimate_gram(X)
    >>> G.round(2).tolist()
    [[15.0, 6.0, 9.0], [6.0, 12.0, 12.0], [9.0, 12.0, 7.5]]
    >>> bool(seen.all())
    True
    """
    fill_nan = check_bool(fill_nan, "fill_nan")
    stats = pair_statistics(observed_entries(X))
    diag, off = gram_entries(stats, estimator)
    d = stats.d
    G = np.full((d, d), np.nan if fill_nan else 0.0)
    seen = np.zeros((d, d), dtype=bool)
    idx = np.arange(d)
    obs = stats.col_count > 0
    G[idx[obs], idx[obs]] = diag[obs]
    G[stats.J, stats.K] = G[stats.K, stats.J] = off
    seen[idx[obs], idx[obs]] = True
    seen[stats.J, stats.K] = seen[stats.K, stats.J] = True
    return G * stats.n, seen
