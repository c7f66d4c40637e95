"""Meta-factorization: matrix decompositions as solutions of matrix equations.

Karpowicz's meta-factorization writes a factorization ``A = F G H^T`` of an
``m x n`` matrix as the solution of three linear matrix equations:

* the projector equations ``F Y^T F = F`` and ``H^T X H^T = H^T``, with the
  particular solutions ``Y^T = (B^T F)^+ B^T`` and ``X = D (H^T D)^+`` built
  from sketch (test) matrices ``B`` (m x p) and ``D`` (n x q), which make
  ``F Y^T`` and ``X H^T`` oblique projectors;
* the reconstruction equation ``F G H^T = A``, solvable iff
  ``F Y^T A X H^T = A``, with general solution
  ``G = Y^T A X + W - Y^T F W H^T X`` for an arbitrary ``W``.

SVD, QR, UTV, CUR, Nystrom and CR are the instances of
:mod:`linalg_lab.factorization.classic`.
"""

from __future__ import annotations

import warnings
from functools import cached_property

import numpy as np

from ..validation import EPS, check_rtol, check_tolerance
from .tolerance import _float_matrix, _pinv, _rank

__all__ = ["MetaFactorization", "meta_factorize"]

#: Default relative residual below which the reconstruction equation counts as solved.
DEFAULT_SOLVE_TOL = float(np.sqrt(EPS))


def _relres(R: np.ndarray, M: np.ndarray) -> float:
    den = float(np.linalg.norm(M))
    num = float(np.linalg.norm(R))
    if den == 0.0:
        return 0.0 if num == 0.0 else float("inf")
    return num / den


class MetaFactorization:
    """Result of :func:`meta_factorize`: ``A ~ F @ G @ H.T``.

    Attributes
    ----------
    F : numpy.ndarray, shape (m, k1)
        Left factor.
    G : numpy.ndarray, shape (k1, k2)
        Core: the general solution ``Y^T A X + W - Y^T F W H^T X``.
    H : numpy.ndarray, shape (n, k2)
        Right factor (``H^T`` multiplies from the right).
    Yt : numpy.ndarray, shape (k1, m)
        ``Y^T = (B^T F)^+ B^T`` (``F^+`` when ``B`` is None).
    X : numpy.ndarray, shape (n, k2)
        ``X = D (H^T D)^+`` (``(H^T)^+`` when ``D`` is None).
    projector_residuals : tuple of float
        ``(||F Y^T F - F|| / ||F||, ||H^T X H^T - H^T|| / ||H||)``, Frobenius.
    solvability_residual : float
        ``||F Y^T A X H^T - A|| / ||A||``: zero iff ``F G H^T = A`` is solvable.
    reconstruction_residual : float
        ``||F G H^T - A|| / ||A||`` for the returned ``G``.
    solvable : bool
        ``solvability_residual <= solve_tol``.
    projectors_hold : bool
        ``rank(B^T F) = rank(F)`` and ``rank(H^T D) = rank(H)`` (numerical
        ranks at the cutoff ``rtol``): the condition under which ``Yt`` and
        ``X`` solve the projector equations (up to rounding, which
        ``projector_residuals`` shows: about ``eps cond(F)``). Always True
        without sketches. When False, :func:`meta_factorize` has warned.
    solve_tol : float
        The threshold used for ``solvable`` and ``projectors_hold``.
    """

    def __init__(self, F, G, H, Yt, X, projector_residuals, solvability_residual,
                 reconstruction_residual, solve_tol, projectors_hold=True):
        self.F = F
        self.G = G
        self.H = H
        self.Yt = Yt
        self.X = X
        self.projector_residuals = projector_residuals
        self.solvability_residual = solvability_residual
        self.reconstruction_residual = reconstruction_residual
        self.solve_tol = solve_tol
        self.solvable = bool(solvability_residual <= solve_tol)
        self.projectors_hold = bool(projectors_hold)

    @cached_property
    def left_projector(self) -> np.ndarray:
        """The oblique projector ``F Y^T`` (m x m), formed on first access."""
        return self.F @ self.Yt

    @cached_property
    def right_projector(self) -> np.ndarray:
        """The oblique projector ``X H^T`` (n x n), formed on first access."""
        return self.X @ self.H.T

    def toarray(self) -> np.ndarray:
        """The reconstruction ``F G H^T`` as a dense ``m x n`` array."""
        return (self.F @ self.G) @ self.H.T

    def __repr__(self) -> str:
        m, k1 = self.F.shape
        n, k2 = self.H.shape
        return (
            f"MetaFactorization(shape=({m}, {n}), core=({k1}, {k2}), "
            f"solvable={self.solvable}, "
            f"solvability_residual={self.solvability_residual:.2e})"
        )


def meta_factorize(A, F, H, B=None, D=None, W=None, *, rtol=None, solve_tol=None):
    """Solve the projector and reconstruction equations of a meta-factorization.

    Given ``A`` (m x n) and factors ``F`` (m x k1), ``H`` (n x k2), computes
    the particular solutions of the projector equations

    * ``F Y^T F = F``:       ``Y^T = (B^T F)^+ B^T``
    * ``H^T X H^T = H^T``:   ``X = D (H^T D)^+``

    tests solvability of ``F G H^T = A`` (solvable iff ``F Y^T A X H^T = A``)
    and returns the general core ``G = Y^T A X + W - Y^T F W H^T X``.

    Parameters
    ----------
    A : array_like, shape (m, n)
        Matrix to factor (sparse input is densified).
    F : array_like, shape (m, k1)
        Left factor.
    H : array_like, shape (n, k2)
        Right factor.
    B : array_like, shape (m, p), optional
        Left sketch. None means ``B = F``, computed as ``Y^T = F^+`` (same
        value, without squaring the condition number of ``F``).
    D : array_like, shape (n, q), optional
        Right sketch. None means ``D = H``, computed as ``X = (H^T)^+``.
    W : array_like, shape (k1, k2), optional
        Free parameter of the general solution; None means ``W = 0``.
    rtol : float or None, optional
        Rank tolerance of the small pseudoinverses: singular values below
        ``max(rtol, max(m, n) * eps) * sigma_max`` are dropped (see
        :func:`~linalg_lab.factorization.rank_cutoff`).
    solve_tol : float or None, optional
        Relative residual below which ``F G H^T = A`` counts as solvable;
        default ``sqrt(eps) ~ 1.5e-8``. Rounding in an exact factorization
        gives residuals near ``eps * cond``; a rank-``k`` truncation gives at
        least ``sigma_{k+1} / ||A||_F``.

    Returns
    -------
    MetaFactorization
        With ``G``, ``Yt``, ``X``, the projectors ``left_projector = F Y^T``
        and ``right_projector = X H^T``, and the residuals of both equations.
        It holds copies of ``F`` and ``H``; no argument is modified.

    Raises
    ------
    ValueError
        Non-finite entries or mismatched shapes (the message names the
        argument).

    Warns
    -----
    RuntimeWarning
        When a projector equation fails (``projectors_hold`` is False): the
        sketch ``B`` (or ``D``) does not see all of ``F`` (or ``H``), so
        ``Y^T`` (or ``X``) is not a solution. A reconstruction that is not
        solvable (a truncated factorization) is not a failure: ``solvable``
        reports it, without a warning.

    Notes
    -----
    ``F Y^T F = F`` holds iff ``rank(B^T F) = rank(F)``; the residuals tell
    whether it did. When both projector equations hold, every ``W`` gives the
    same product ``F G H^T = F Y^T A X H^T``.

    References
    ----------
    .. [1] M. P. Karpowicz, "A theory of meta-factorization",
       arXiv:2111.14385, 2021.
    .. [2] R. Penrose, "A generalized inverse for matrices", *Proc. Cambridge
       Philos. Soc.* 51 (1955) 406-413 (solvability of ``A X B = C``).

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.factorization import meta_factorize
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))
    >>> C, R = A[:, :2], A[:2, :]          # two columns, two rows
    >>> mf = meta_factorize(A, C, R.T)     # optimal CUR core C^+ A R^+
    >>> mf.solvable, np.allclose(mf.toarray(), A)
    (True, True)
    """
    return _meta_factorize(A, F, H, B, D, W, rtol=rtol, solve_tol=solve_tol, warn=True)


def _meta_factorize(A, F, H, B=None, D=None, W=None, *, rtol=None, solve_tol=None, warn=True, stacklevel=3):
    """The body of :func:`meta_factorize`; ``warn=False`` for instances whose sketches lose rank by design."""
    A = _float_matrix(A, "A")
    m, n = A.shape
    # the result keeps F and H: own copies, so that later changes to the caller's arrays do not reach it
    F = _float_matrix(F, "F", allow_empty=True, shape=(m, None), copy=True)   # m rows, as A
    H = _float_matrix(H, "H", allow_empty=True, shape=(n, None), copy=True)   # n rows: the columns of A
    k1, k2 = F.shape[1], H.shape[1]
    rtol = check_rtol(rtol)
    solve_tol = check_tolerance(solve_tol, "solve_tol", default=DEFAULT_SOLVE_TOL)
    size = max(m, n)

    hold = True  # rank(B^T F) = rank(F) and rank(H^T D) = rank(H); trivially so without sketches
    if B is None:
        Yt = _pinv(F, rtol, size)
    else:
        B = _float_matrix(B, "B", allow_empty=True, shape=(m, None))
        BtF = B.T @ F
        Yt = _pinv(BtF, rtol, size) @ B.T
        hold = _rank(BtF, rtol, size) == _rank(F, rtol, size)
    if D is None:
        X = _pinv(H.T, rtol, size)
    else:
        D = _float_matrix(D, "D", allow_empty=True, shape=(n, None))
        HtD = H.T @ D
        X = D @ _pinv(HtD, rtol, size)
        hold = hold and _rank(HtD, rtol, size) == _rank(H, rtol, size)

    G = (Yt @ A) @ X
    base = F @ G @ H.T  # F Y^T A X H^T
    solvability = _relres(base - A, A)
    if W is not None:
        W = _float_matrix(W, "W", allow_empty=True, shape=(k1, k2))   # columns of F x columns of H
        G = G + W - (Yt @ F) @ W @ (H.T @ X)
        reconstruction = _relres(F @ G @ H.T - A, A)
    else:
        reconstruction = solvability

    proj = (
        _relres(F @ (Yt @ F) - F, F),
        _relres((H.T @ X) @ H.T - H.T, H),
    )
    mf = MetaFactorization(F, G, H, Yt, X, proj, solvability, reconstruction, solve_tol, projectors_hold=hold)
    if warn and not hold:
        warnings.warn(
            f"meta_factorize: the projector equations F Y^T F = F, H^T X H^T = H^T fail: the sketch B (or D) "
            f"loses rank on F (or H) (relative residuals {proj[0]:.2e}, {proj[1]:.2e})",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
    return mf
