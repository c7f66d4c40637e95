"""Standard schemes as :class:`Scheme` values: the naive scheme of any code and Strassen's 2x2x2.

The factor matrices themselves are built in :mod:`linalg_lab.tensors.naive`
(``naive_factors``, ``strassen_factors``); this module only wraps them, so
that :mod:`linalg_lab.tensors` never has to import :mod:`linalg_lab.schemes`.
"""

from __future__ import annotations

from ..tensors.naive import naive_factors, strassen_factors
from .scheme import Scheme


def naive_scheme(code, sizes, ring="Z") -> Scheme:
    """The naive scheme of ``code`` at ``sizes``: one product per pair of parameters that meet.

    Parameters
    ----------
    code : str
        Tensor code (e.g. ``"gg"``, ``"ss"``).
    sizes : str or sequence of int
        ``(n1, n2, n3)`` or ``"n1xn2xn3"``.
    ring : {"F2", "F3", "ZT", "Z", "Q"}, default "Z"

    Examples
    --------
    >>> naive_scheme("gg", "2x2x2", "F2").rank
    8
    >>> naive_scheme("ss", (2, 2, 2)).rank
    7
    """
    return Scheme(code, sizes, ring, *naive_factors(code, sizes))


def strassen_scheme(ring="Z") -> Scheme:
    """Strassen's rank-7 scheme for ``gg 2x2x2`` (entries in Z_T, so valid over every ring).

    Examples
    --------
    >>> s = strassen_scheme("F3")
    >>> s.rank, bool(s.verify())
    (7, True)
    """
    return Scheme("gg", (2, 2, 2), ring, *strassen_factors())
