"""Readable equations of a scheme: ``m1 = (a11 + a22)(b11 + b22)``, ``c11 = m1 + m4 - m5 + m7``."""

from __future__ import annotations

from fractions import Fraction

from ..validation import check_instance
from .scheme import Scheme
from .variables import input_names, output_names


def _linear(coefs, names) -> str:
    parts = []
    for c, name in zip(coefs, names):
        if c == 0:
            continue
        c = Fraction(c) if not isinstance(c, Fraction) else c
        mag = abs(c)
        term = name if mag == 1 else f"{mag}*{name}" if mag.denominator != 1 else f"{mag.numerator}{name}"
        parts.append(("- " if c < 0 else "+ ") + term)
    if not parts:
        return "0"
    s = " ".join(parts)
    return s[2:] if s.startswith("+ ") else "-" + s[2:]


def to_equations(scheme: Scheme) -> str:
    """The scheme as a straight-line program: one line per product, then one per output.

    Over F2 every coefficient is 1; over F3 coefficients are written -1, 0, 1.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> print(to_equations(strassen_scheme()).splitlines()[0])
    m1 = (a11 + a22)(b11 + b22)
    """
    check_instance(scheme, "scheme", Scheme)
    xs, ys = input_names(scheme.tc, 0), input_names(scheme.tc, 1)
    zs = output_names(scheme.tc)
    lines = []
    for r in range(scheme.rank):
        lines.append(f"m{r + 1} = ({_linear(scheme.u[r], xs)})({_linear(scheme.v[r], ys)})")
    ms = [f"m{r + 1}" for r in range(scheme.rank)]
    for g, z in enumerate(zs):
        lines.append(f"{z} = {_linear(scheme.w[:, g], ms)}")
    return "\n".join(lines) + "\n"
