"""Flip-graph search over F2 and F3 (Kauers & Moosbauer; Arai, Ichikawa & Hukushima)."""

from .walker import Walker

__all__ = ["Walker"]
