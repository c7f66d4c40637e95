"""Meta-factorization, pseudoinverses of products, randomized pseudoinverse.

Matrix decompositions as solutions of linear matrix equations (Karpowicz,
"A theory of meta-factorization", arXiv:2111.14385) and the pseudoinverse of
a product A = CR (Karpowicz & Strang, arXiv:2305.01716).

Public API (flat, functional):

* :func:`meta_factorize` -- projector equations ``F Y^T F = F``,
  ``H^T X H^T = H^T`` and reconstruction ``F G H^T = A``.
* instances: :func:`truncated_svd`, :func:`pivoted_qr`, :func:`utv`,
  :func:`cur`, :func:`nystrom`, :func:`cr`.
* pseudoinverses: :func:`pinv` (SVD with explicit cutoff), :func:`pinv_cr`
  (``R^+ C^+``, full-rank factors only), :func:`pinv_product`
  (``(C^+ C R)^+ (C R R^+)^+``, always), :func:`pinv_via_cr`
  (``R^T (C^T A R^T)^{-1} C^T``), :func:`randomized_pinv` (factored
  ``(P^T A)^+ (P^T A Q) (A Q)^+``).
* tolerances and checks: :func:`rank_cutoff`, :func:`numerical_rank`,
  :func:`penrose_residuals`, :func:`sketch_matrix`, :func:`sparse_sign_matrix`
  (the project's one sparse sign embedding, also behind the sketches of
  :mod:`linalg_lab.projection`).

Every rank decision uses the cutoff
``max(rtol, max(m, n) * eps) * sigma_max`` (:func:`linalg_lab.validation.rank_cutoff`;
arguments are checked by :mod:`linalg_lab.validation`).
"""

from .classic import (
    CRFactorization,
    CURFactorization,
    LowRankFactorization,
    NystromFactorization,
    QRFactorization,
    SVDFactorization,
    UTVFactorization,
    cr,
    cur,
    nystrom,
    pivoted_qr,
    truncated_svd,
    utv,
)
from .meta import MetaFactorization, meta_factorize
from .pinv_product import pinv_cr, pinv_product, pinv_via_cr
from .randomized import RandomizedPinv, randomized_pinv, sketch_matrix, sparse_sign_matrix
from .tolerance import numerical_rank, penrose_residuals, pinv, rank_cutoff

__all__ = [
    # meta-factorization
    "meta_factorize",
    "MetaFactorization",
    # classic instances
    "truncated_svd",
    "pivoted_qr",
    "utv",
    "cur",
    "nystrom",
    "cr",
    "LowRankFactorization",
    "SVDFactorization",
    "QRFactorization",
    "UTVFactorization",
    "CURFactorization",
    "NystromFactorization",
    "CRFactorization",
    # pseudoinverses
    "pinv",
    "pinv_cr",
    "pinv_product",
    "pinv_via_cr",
    "randomized_pinv",
    "RandomizedPinv",
    "sketch_matrix",
    "sparse_sign_matrix",
    # tolerances and checks
    "rank_cutoff",
    "numerical_rank",
    "penrose_residuals",
]
