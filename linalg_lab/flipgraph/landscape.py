"""What the flip graph looks like around a scheme: how many flips it has.

A flip needs two terms whose factors in one position are equal up to a unit
of the ring (over F3 and Z_T up to sign). A scheme without such a pair is an
*isolated hole*: no flip leaves it, only a plus transition (rank + 1), and a
walk that climbs out falls back into it within a few flips. Low rank levels
of 4x4x4 over F2 are made of such holes (Strassen x Strassen's 49 is one), so
a pool search that restarts from them has no level to walk; the autopilot
reads this from the pool's best schemes (:func:`isolated`).

The count is invariant under the GL action (which maps equal factors to equal
factors), so it describes the scheme's equivalence class, not its coordinates.

Examples
--------
>>> from linalg_lab.schemes import naive_scheme, strassen_scheme
>>> flip_pairs(naive_scheme("gg", "2x2x2", "F2"))     # each a_ij is in 2 terms, each b_jk, each c_ki
12
>>> flip_pairs(strassen_scheme("F2")), isolated([strassen_scheme("F2")])     # Strassen's scheme is a hole
(0, True)
"""

from __future__ import annotations

from collections import Counter

from ..schemes.identity import unit_normal
from ..schemes.scheme import Scheme


def flip_pairs(scheme: Scheme) -> int:
    """The number of flip pairs: pairs of terms with equal factors (up to a unit) in one position.

    Over Z_T some of these flips would create a coefficient of absolute value 2
    and are refused by the walk; they are counted all the same.
    """
    if not isinstance(scheme, Scheme):
        raise TypeError(f"scheme: expected a Scheme, got {type(scheme).__name__}")
    pairs = 0
    for f in scheme.factors:
        counts = Counter(tuple(r.tolist()) for r in unit_normal(f, scheme.ring)[1])
        pairs += sum(c * (c - 1) // 2 for c in counts.values())
    return pairs


def isolated(schemes) -> bool:
    """True when every scheme given is an isolated hole (no flip pair); False for none given."""
    schemes = list(schemes)
    return bool(schemes) and all(flip_pairs(s) == 0 for s in schemes)


__all__ = ["flip_pairs", "isolated"]
