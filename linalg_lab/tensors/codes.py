"""Tensor codes: which bilinear maps linalg-lab knows (see the Conventions page of the documentation)."""

from __future__ import annotations

from dataclasses import dataclass

from ..validation import check_choice, check_instance
from .structure import STRUCTURES, num_params, upper_index

#: Products C = A B: structure of A, structure of B.
PRODUCT_CODES = ("gg", "ug", "sg", "kg", "wg", "uu", "us", "uk", "uw", "ul", "ss", "sk", "sw", "kk", "ww")
#: Products C = X X^T: structure of X, then ``t``.
GRAM_CODES = ("gt", "ut", "st", "kt", "wt")
CODES = PRODUCT_CODES + GRAM_CODES


@dataclass(frozen=True)
class TensorCode:
    """A validated tensor code with its sizes.

    Attributes
    ----------
    code : str
        Two letters, e.g. ``"gg"`` or ``"gt"``.
    n : tuple of int
        ``(n1, n2, n3)``: A is n1 x n2, B is n2 x n3, C is n1 x n3.
    """

    code: str
    n: tuple[int, int, int]

    @property
    def is_gram(self) -> bool:
        """True for C = X X^T codes."""
        return self.code[1] == "t"

    @property
    def dims(self) -> tuple[int, int, int]:
        """(nU, nV, nW): number of parameters of x, y and of outputs z."""
        n1, n2, n3 = self.n
        a = self.code[0]
        nu = num_params(a, n1, n2)
        if self.is_gram:
            return nu, nu, n1 * (n1 + 1) // 2
        nv = num_params(self.code[1], n2, n3)
        nw = n1 * (n1 + 1) // 2 if self.code == "uu" else n1 * n3
        return nu, nv, nw

    def output_index(self, i: int, k: int) -> int | None:
        """Output parameter of C[i, k], or None when (i, k) is not an output."""
        n1, _, n3 = self.n
        if self.is_gram or self.code == "uu":
            return upper_index(i, k, n1) if i <= k else None
        return i * n3 + k

    def label(self) -> str:
        return f"{self.code} {'x'.join(map(str, self.n))}"


def parse_sizes(sizes) -> tuple[int, int, int]:
    """Accept ``"3x3x3"``, ``(3, 3, 3)`` or ``[3, 3, 3]``; return a tuple of three positive ints.

    Raises
    ------
    TypeError
        ``sizes`` is neither a string nor a sequence, or holds something
        other than integers (``bool`` and floats included).
    ValueError
        A string that is not ``"N1xN2xN3"``, not three sizes, or a size < 1.

    Examples
    --------
    >>> parse_sizes("2x3x4"), parse_sizes([2, 3, 4])
    ((2, 3, 4), (2, 3, 4))
    >>> parse_sizes((2, 0, 2))
    Traceback (most recent call last):
        ...
    ValueError: sizes: expected three positive integers, got (2, 0, 2)
    """
    if isinstance(sizes, str):
        parts = sizes.lower().replace("*", "x").split("x")
        try:
            vals = tuple(int(p) for p in parts)
        except ValueError:
            raise ValueError(f"sizes: expected 'N1xN2xN3', got {sizes!r}") from None
    else:
        try:
            vals = tuple(sizes)
        except TypeError:
            raise TypeError(f"sizes: expected 'N1xN2xN3' or three integers, got {type(sizes).__name__} "
                            f"{sizes!r}") from None
        for v in vals:
            if isinstance(v, bool) or not hasattr(v, "__index__"):
                raise TypeError(f"sizes: expected three integers, got {type(v).__name__} {v!r} in {sizes!r}")
        vals = tuple(int(v) for v in vals)
    if len(vals) != 3:
        raise ValueError(f"sizes: expected three sizes n1, n2, n3, got {len(vals)} ({sizes!r})")
    if any(v <= 0 for v in vals):
        raise ValueError(f"sizes: expected three positive integers, got {vals}")
    return vals  # type: ignore[return-value]


def tensor_code(code, sizes) -> TensorCode:
    """Validate a code and sizes together and return a :class:`TensorCode`.

    Raises
    ------
    TypeError
        For a code that is not a string, or sizes that are not integers (see
        :func:`parse_sizes`).
    ValueError
        For an unknown code, a non-positive size, a structured operand that is
        not square, or an ``X X^T`` code whose sizes are not ``(n1, n2, n1)``.

    Examples
    --------
    >>> tensor_code("GT", "3x2x3")
    TensorCode(code='gt', n=(3, 2, 3))
    """
    if isinstance(code, TensorCode):
        return code
    code = check_choice(check_instance(code, "code", str, "a tensor code such as 'gg'"), "code", CODES)
    n1, n2, n3 = parse_sizes(sizes)
    a, b = code
    if a != "g" and n1 != n2:
        raise ValueError(
            f"sizes: expected n1 == n2 (code {code!r} has a square {STRUCTURES[a]} A), got {n1}x{n2}x{n3}"
        )
    if b == "t":
        if n3 != n1:
            raise ValueError(f"sizes: expected n3 == n1 (code {code!r} is C = X X^T with X n1 x n2), "
                             f"got {n1}x{n2}x{n3}")
    elif b != "g" and n2 != n3:
        raise ValueError(
            f"sizes: expected n2 == n3 (code {code!r} has a square {STRUCTURES[b]} B), got {n1}x{n2}x{n3}"
        )
    return TensorCode(code, (n1, n2, n3))
