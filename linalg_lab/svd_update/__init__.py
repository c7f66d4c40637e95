"""Updating a truncated SVD as a sparse matrix grows or changes (Deng et al., ICLR 2024).

:class:`TruncatedSVDState` keeps ``A_k = U diag(s) V^T`` of rank ``k`` and
updates it for appended rows (:meth:`~TruncatedSVDState.add_rows`), appended
columns (:meth:`~TruncatedSVDState.add_columns`) and low-rank changes
``A + D E^T`` (:meth:`~TruncatedSVDState.update`), with sparse or dense
updates. Methods:

* ``"sparse"`` -- Deng et al.: ``U = U' K_u``, ``V = V' K_v`` with small
  factors, the update's orthogonal complement kept implicit as "sparse block
  minus a combination of singular vectors"; exact (equal to Zha-Simon) and
  touching only the rows the update touches.
* ``"gkl"``, ``"rpi"`` -- the same with the complement approximated by ``l``
  Golub-Kahan-Lanczos vectors (Vecharynski & Saad) or ``l`` randomized
  power-iteration vectors (Yamazaki et al.), for large batches.
* ``"zha-simon"`` -- the classical dense reference (Zha & Simon 1999).

Arguments are checked by :mod:`linalg_lab.validation`; sparse inputs stay
sparse and are never modified.
"""

from .state import DEFAULT_MAX_COND, METHODS, TruncatedSVDState

__all__ = ["TruncatedSVDState", "METHODS", "DEFAULT_MAX_COND"]
