"""One-sided matrix completion: right singular vectors of a tall matrix seen in two entries per row.

Cao, Liang & Valiant, "One-sided Matrix Completion from Two Observations Per
Row" (ICML 2023). With ``n >> d`` rows and about two observed entries per
row, ``X^T X`` is estimated from the co-observed pairs, completed as a
positive semidefinite low-rank matrix by gradient-based descent with an
incoherence penalty, and its eigenvectors are the right singular vectors.

Public API:

* :func:`one_sided_complete` -- the method (returns :class:`OneSidedCompletion`).
* :func:`estimate_gram` -- the raw estimate of ``X^T X`` (``"ratio"``,
  ``"ipw"`` or ``"correlation"`` weighting) and the mask of observed entries.
* baselines: :func:`zero_filled_svd`, :func:`soft_impute`.
* helpers: :func:`sin_theta` (largest principal angle), :func:`random_instance`
  (the paper's synthetic setting), :func:`observed_entries`.

Inputs are a scipy.sparse matrix whose stored entries are the observations
or a :class:`numpy.ma.MaskedArray`; arguments are checked by
:mod:`linalg_lab.validation`.
"""

from .baselines import soft_impute, zero_filled_svd
from .gram import estimate_gram
from .observations import observed_entries
from .one_sided import OneSidedCompletion, one_sided_complete
from .subspace import sin_theta
from .synthetic import random_instance

__all__ = [
    "OneSidedCompletion",
    "estimate_gram",
    "observed_entries",
    "one_sided_complete",
    "random_instance",
    "sin_theta",
    "soft_impute",
    "zero_filled_svd",
]
