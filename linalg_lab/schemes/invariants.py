"""Invariants of schemes under the symmetries of matrix multiplication.

Two schemes for ``gg n1xn2xn3`` are equivalent when one is the other
transformed by invertible matrices (P, Q, R) (the GL action, "sandwiching",
:func:`linalg_lab.schemes.transforms.gl_action`; ``sandwich`` here is its
historical name): ``A -> P A Q^-1, B -> Q B R^-1``, so ``AB -> P AB R^-1``.
The flip graph is invariant under this action, so equivalent schemes are
equally (un)promising starts for a search, and an invariant tells which
family a search is stuck in: every rank-49 4x4 scheme that the default search
reaches has the factor-rank profile of Strassen x Strassen, while
AlphaTensor's rank 47 has none of its (4, 4, 4) or twelve (2, 2, 2) terms.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..fields.elimination import exact_rank as _exact_rank
from ..fields.rings import Ring
from .scheme import Scheme
from .transforms import gl_action


def _matrix_shapes(scheme: Scheme):
    if scheme.code != "gg":
        raise ValueError(f"scheme: factor matrices are defined for general products (gg), got {scheme.code!r}")
    n1, n2, n3 = scheme.n
    return (n1, n2), (n2, n3), (n1, n3)


def factor_ranks(scheme: Scheme) -> np.ndarray:
    """Matrix rank of every factor of a ``gg`` scheme, over the scheme's field.

    Factor r of position u is the ``n1 x n2`` matrix ``U[r].reshape(n1, n2)``
    (the linear form ``A -> sum U[r,a] A.flat[a]``), likewise V (``n2 x n3``) and
    W (``n1 x n3``, the output convention). Ranks are over F_p for F2/F3
    schemes and over Q otherwise.

    Parameters
    ----------
    scheme : Scheme
        A scheme of a general product ``gg``.

    Returns
    -------
    numpy.ndarray
        ``(rank, 3)`` integer array: the ranks of the u, v and w factors of each term.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> factor_ranks(strassen_scheme("F2"))[0]
    array([2, 2, 2])
    """
    if not isinstance(scheme, Scheme):
        raise TypeError(f"scheme: expected a Scheme, got {type(scheme).__name__}")
    shapes = _matrix_shapes(scheme)
    p = scheme.ring.characteristic or 0
    out = np.zeros((scheme.rank, 3), dtype=np.int64)
    for m, (f, shape) in enumerate(zip(scheme.factors, shapes)):
        for r in range(scheme.rank):
            out[r, m] = _exact_rank(np.asarray(f[r]).reshape(shape), p)
    return out


def rank_profile(scheme: Scheme) -> tuple:
    """The multiset of sorted factor-rank triples, an invariant of equivalent schemes.

    Invariant under the GL action (:func:`~linalg_lab.schemes.transforms.gl_action`), under reordering terms and
    under moving scalars between factors; for square products also under the
    cyclic rotation of the three factors (the triples are sorted).

    Returns
    -------
    tuple of ((int, int, int), int)
        ``((ranks, count), ...)`` sorted, e.g. Strassen's
        ``(((1, 1, 1), 6), ((2, 2, 2), 1))``.

    Examples
    --------
    >>> from linalg_lab.schemes import naive_scheme, strassen_scheme
    >>> rank_profile(strassen_scheme("F2"))
    (((1, 1, 1), 6), ((2, 2, 2), 1))
    >>> rank_profile(naive_scheme("gg", "2x2x2", "F2"))
    (((1, 1, 1), 8),)
    """
    counts = Counter(tuple(sorted(int(x) for x in row)) for row in factor_ranks(scheme))
    return tuple(sorted(counts.items()))


#: The GL action under its historical name; see :func:`linalg_lab.schemes.transforms.gl_action`.
sandwich = gl_action
