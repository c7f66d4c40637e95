"""Lifting schemes from F2/F3 to Z_T, Z and Q.

- :func:`hensel_lift`: Hensel lifting of the Brent equations from F_p to
  Z/(p^(steps+1)) with packed GF(p) elimination (p = 2, 3);
- :func:`rational_reconstruction`: the small fraction congruent to a residue;
- :func:`canonicalize`: canonical scaling of rank-one terms, and the ring a
  scheme needs (Z_T, Z or Q);
- :func:`ternary_lift`: signs for an F2 scheme that make it exact over Z
  (propagation and backtracking), or a proof that none exist;
- :func:`lift`: all of the above behind one call, returning a :class:`LiftResult`.

The verified catalogue ``schemes/`` and the literature table moved to
:mod:`linalg_lab.schemes.catalogue` and :mod:`linalg_lab.schemes.known_ranks`
(``linalg_lab.lifting.catalogue`` and ``linalg_lab.lifting.known_ranks`` still
import them); the GL action used by :mod:`linalg_lab.lifting._pool` is
:func:`linalg_lab.schemes.gl_action`.

References
----------
M. Kauers and J. Moosbauer, "Flip graphs for matrix multiplication", ISSAC 2023.
K. Khoruzhii, P. Gelss and S. Pokutta, "Faster algorithms for structured matrix
multiplication via flip graph search", 2025.
P. S. Wang, M. J. T. Guy and J. H. Davenport, "P-adic reconstruction of
rational numbers", ACM SIGSAM Bulletin 16(2), 1982.

Examples
--------
>>> from linalg_lab.schemes import strassen_scheme
>>> from linalg_lab.lifting import lift
>>> res = lift(strassen_scheme("F2"), to="Z")
>>> res.ok, res.ring_needed
(True, 'ZT')
"""

from .canonical import canonical_term, canonicalize, ring_of_entries
from .hensel import HenselLift, JacobianRecord, brent_jacobian, column_order, hensel_lift, max_steps
from .lift import TARGETS, LiftResult, lift
from .reconstruct import default_bound, rational_reconstruction, rational_reconstruction_array
from .ternary import TernaryLift, ternary_lift

__all__ = [
    "HenselLift", "JacobianRecord", "LiftResult", "TARGETS", "TernaryLift",
    "brent_jacobian", "canonical_term", "canonicalize", "column_order", "default_bound",
    "hensel_lift", "lift", "max_steps", "rational_reconstruction", "rational_reconstruction_array",
    "ring_of_entries", "ternary_lift",
]
