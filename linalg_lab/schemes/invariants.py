"""Invariants of schemes under the symmetries of matrix multiplication, and the symmetries themselves.

Two schemes for ``gg n1xn2xn3`` are equivalent when one is the other
transformed by invertible matrices (P, Q, R) ("sandwiching"):
``A -> P A Q^-1, B -> Q B R^-1``, so ``AB -> P AB R^-1``. The flip graph is
invariant under this action, so equivalent schemes are equally (un)promising
starts for a search, and an invariant tells which family a search is stuck in:
every rank-49 4x4 scheme that the default search reaches has the factor-rank
profile of Strassen x Strassen, while AlphaTensor's rank 47 has none of its
(4, 4, 4) or twelve (2, 2, 2) terms.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np

from ..fields.elimination import exact_rank as _exact_rank
from ..fields.elimination import row_reduce as _row_reduce
from ..fields.rings import Ring
from .scheme import Scheme


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
    >>> from linalg_lab.tensors import strassen_scheme
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

    Invariant under sandwiching (:func:`sandwich`), under reordering terms and
    under moving scalars between factors; for square products also under the
    cyclic rotation of the three factors (the triples are sorted).

    Returns
    -------
    tuple of ((int, int, int), int)
        ``((ranks, count), ...)`` sorted, e.g. Strassen's
        ``(((1, 1, 1), 6), ((2, 2, 2), 1))``.

    Examples
    --------
    >>> from linalg_lab.tensors import naive_scheme, strassen_scheme
    >>> rank_profile(strassen_scheme("F2"))
    (((1, 1, 1), 6), ((2, 2, 2), 1))
    >>> rank_profile(naive_scheme("gg", "2x2x2", "F2"))
    (((1, 1, 1), 8),)
    """
    counts = Counter(tuple(sorted(int(x) for x in row)) for row in factor_ranks(scheme))
    return tuple(sorted(counts.items()))


def _field_matrix(name: str, mat, size: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    """(mat mod p, its inverse mod p), checking shape and invertibility."""
    a = np.asarray(mat)
    if a.shape != (size, size) or a.dtype.kind not in "iub":
        raise ValueError(f"{name}: expected a {size}x{size} integer matrix, got shape {a.shape} and dtype {a.dtype}")
    a = a.astype(np.int64) % p
    aug = [row + [int(i == j) for j in range(size)] for i, row in enumerate(a.tolist())]
    if _row_reduce(aug, p)[:size] != list(range(size)):
        raise ValueError(f"{name}: not invertible over F{p}")
    return a, np.array([row[size:] for row in aug], dtype=np.int64)


def sandwich(scheme: Scheme, P, Q, R) -> Scheme:
    """The equivalent scheme under ``A -> P A Q^-1``, ``B -> Q B R^-1`` (so ``AB -> P AB R^-1``).

    The new scheme computes ``AB = P^-1 S(P A Q^-1, Q B R^-1) R``: its factors
    are ``P^T U Q^-T``, ``Q^T V R^-T`` and ``P^-1 W R`` (each term's factor as a
    matrix). Flips, reductions and factor ranks commute with this action.

    Parameters
    ----------
    scheme : Scheme
        A ``gg`` scheme over F2 or F3.
    P, Q, R : array_like
        Invertible integer matrices of sizes n1, n2, n3 (taken mod p).

    Returns
    -------
    Scheme
        A scheme of the same tensor, ring and rank.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.tensors import strassen_scheme
    >>> s = sandwich(strassen_scheme("F2"), [[1, 1], [0, 1]], np.eye(2, dtype=int), [[0, 1], [1, 0]])
    >>> bool(s.verify()), rank_profile(s) == rank_profile(strassen_scheme("F2"))
    (True, True)
    """
    if not isinstance(scheme, Scheme):
        raise TypeError(f"scheme: expected a Scheme, got {type(scheme).__name__}")
    if scheme.ring not in (Ring.F2, Ring.F3):
        raise ValueError(f"scheme: sandwich is implemented over F2 and F3, got {scheme.ring}")
    (n1, n2), (_, n3), _ = _matrix_shapes(scheme)
    p = scheme.ring.characteristic
    P, Pi = _field_matrix("P", P, n1, p)
    Q, Qi = _field_matrix("Q", Q, n2, p)
    R, Ri = _field_matrix("R", R, n3, p)
    u = np.asarray(scheme.u, dtype=np.int64).reshape(-1, n1, n2)
    v = np.asarray(scheme.v, dtype=np.int64).reshape(-1, n2, n3)
    w = np.asarray(scheme.w, dtype=np.int64).reshape(-1, n1, n3)
    u2 = (P.T @ u @ Qi.T) % p
    v2 = (Q.T @ v @ Ri.T) % p
    w2 = (Pi @ w @ R) % p
    return scheme.with_factors(u2.reshape(scheme.rank, -1), v2.reshape(scheme.rank, -1), w2.reshape(scheme.rank, -1))
