"""Coefficient rings (F2, F3, Z_T, Z, Q) and packed finite-field arithmetic."""

from .rings import RINGS, Ring, as_ring, parse_rational

__all__ = ["RINGS", "Ring", "as_ring", "parse_rational"]
