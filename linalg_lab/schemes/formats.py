"""The formats of Perminov's FastMatrixMultiplication database: importers with convention detection, exporters.

That database publishes each scheme for ``<n1, n2, n3>`` in several files. The
index conventions are not written in them; each importer here reads the
factors as they are listed, then tries the conventions below in turn and keeps
the first under which the scheme verifies exactly (one exact evaluation of the
Brent equations per convention). A file that verifies in no convention is
refused with the reason for each.

Conventions (:data:`CONVENTIONS`), for the three matrices listed per product:

- ``cyclic`` (the database's own): the first lists A (n1 x n2), the second B
  (n2 x n3), the third C transposed (n3 x n1): its entry (k, i) is the
  coefficient of the product in output (i, k);
- ``output``: the third lists C itself (n1 x n3), as our :class:`Scheme` does;
- ``cyclic, transposed`` and ``output, transposed``: every matrix listed
  transposed (column-major flattening).

Formats:

- nested lists (``.m``): ``{ {{{u rows}}, {{v rows}}, {{w rows}}}, ... }``,
  one product per line; entries are integers or ``p/q``
  (:func:`parse_nested`, :func:`load_nested`, :func:`to_nested`);
- coefficient rows (``.txt``): a header ``n1 n2 n3 m``, then the entries of
  U, V and W, one factor per line, product by product
  (:func:`parse_coefficients`, :func:`load_coefficients`,
  :func:`to_coefficients`);
- full JSON (``n``, ``m``, ``z2``, ``u``, ``v``, ``w`` and readable
  ``multiplications`` / ``elements``): read by
  :func:`~linalg_lab.schemes.load_cyclic_json`, written by
  :func:`to_perminov_json`;
- reduced JSON (``u_fresh`` ... ``w``): a straight-line program, read by
  :func:`~linalg_lab.schemes.load_program` (which expands the fresh variables
  and verifies), written by :meth:`StraightLineProgram.to_reduced_json`;
- one product per line (``.exp``): :func:`~linalg_lab.schemes.parse_terms`,
  :func:`~linalg_lab.schemes.to_terms`.

:func:`export_text` and :func:`export_scheme` write a scheme (or a program)
in any of them; ``linalg-lab export`` is one call of :func:`export_scheme`.
"""

from __future__ import annotations

import json
import os
import re
from bisect import bisect_right
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..validation import check_bool, check_instance
from .cost import additive_complexity
from .importers import Rows, _build_candidates, _exact_matrix, _rational_rows, _scheme, to_terms
from .io import atomic_write_text
from .scheme import Scheme

#: The formats :func:`export_text` writes.
EXPORT_FORMATS = ("json", "m", "txt", "exp", "reduced")


# ------------------------------------------------------------------ conventions
@dataclass(frozen=True)
class Convention:
    """How the three matrices of a product are listed in a file.

    Attributes
    ----------
    name : str
    cyclic : bool
        The third matrix is C transposed (entry (k, i) for output (i, k)).
    transposed : bool
        Every matrix is listed transposed.
    """

    name: str
    cyclic: bool
    transposed: bool

    def listed_shapes(self, n) -> tuple:
        """Shapes ``(rows, columns)`` of the three listed matrices for sizes ``n``."""
        n1, n2, n3 = n
        a, b = ((n2, n1), (n3, n2)) if self.transposed else ((n1, n2), (n2, n3))
        c = (n3, n1) if self.cyclic != self.transposed else (n1, n3)
        return a, b, c

    def sizes(self, shapes) -> tuple | None:
        """Sizes ``(n1, n2, n3)`` implied by listed shapes, or None when they do not fit together."""
        (ra, ca), (rb, cb), _ = shapes
        n = (ca, cb, rb) if self.transposed else (ra, ca, cb)
        return n if tuple(map(tuple, shapes)) == self.listed_shapes(n) else None

    def to_output(self, ul, vl, wl):
        """Listed (R, rows, cols) arrays -> factors (R, n1 n2), (R, n2 n3), (R, n1 n3) in the output convention."""
        t = (lambda x: x.transpose(0, 2, 1))
        a = t(ul) if self.transposed else ul
        b = t(vl) if self.transposed else vl
        c = t(wl) if self.cyclic != self.transposed else wl
        return tuple(Rows(np.ascontiguousarray(x.num).reshape(len(x), -1), x.den) if isinstance(x, Rows) else
                     np.ascontiguousarray(x).reshape(len(x), -1) for x in (a, b, c))


#: Tried in this order; the first under which a file verifies wins.
CONVENTIONS = (
    Convention("cyclic", True, False),
    Convention("output", False, False),
    Convention("cyclic, transposed", True, True),
    Convention("output, transposed", False, True),
)


def _resolve(listed, ring, source: str, z2: bool = False, sizes=None, layouts=None) -> tuple[Scheme, str]:
    """The first (layout, convention) under which the listed factors verify: ``(scheme, description)``.

    ``listed`` is ``(ul, vl, wl)`` as (R, rows, cols) arrays, or, with
    ``layouts``, a function ``(layout, shapes) -> (ul, vl, wl)`` for flat data
    that must be reshaped per convention (``sizes`` then gives n).
    """
    reasons = []
    for layout in layouts or [None]:
        for conv in CONVENTIONS:
            if layouts is None:
                ul, vl, wl = listed
                n = conv.sizes([x.shape[1:] for x in listed])
                if n is None:
                    reasons.append(f"{conv.name}: the listed shapes {', '.join('x'.join(map(str, x.shape[1:])) for x in listed)} "
                                   "do not fit one format")
                    continue
            else:
                n = sizes
                ul, vl, wl = listed(layout, conv.listed_shapes(n))
            u, v, w = conv.to_output(ul, vl, wl)
            u, v, w = (_exact_matrix(x, f"factor {name}", source) for x, name in zip((u, v, w), "uvw"))
            label = conv.name if layout is None else f"{layout}, {conv.name}"
            scheme, why = _build_candidates(n, u, v, w, ring, z2)
            if scheme is not None:
                return scheme, label
            reasons.append(f"{label}: {why}" if not reasons else f"{label}: {_short(why)}")
    raise ValueError(f"{source}: the scheme verifies in no convention ({'; '.join(reasons)})")


def _short(why: str) -> str:
    """A failure reason cut to its count of failing equations."""
    m = re.search(r"(\d+) Brent equation", why)
    return f"{m.group(1)} Brent equation(s) fail" if m else why[:120]


# ------------------------------------------------------------------ numbers
_NUMBER = re.compile(r"[-+]?\d+(?:/\d+|\.\d+)?$")


def _number(tok: str):
    """An int or an exact Fraction for ``12``, ``-3/4``, ``0.5``; None when ``tok`` is not a number."""
    if not _NUMBER.match(tok):
        return None
    if "/" in tok or "." in tok:
        try:
            f = Fraction(tok)
        except ZeroDivisionError:
            return None
        return f.numerator if f.denominator == 1 else f
    return int(tok)


def _entries(values: list, shape: tuple) -> np.ndarray:
    """A flat list of ints / Fractions / 'p/q' strings as an int64 array, or an object array holding Fractions."""
    if all(type(x) is int for x in values):      # noqa: E721 (bool and Fraction must not pass)
        try:
            return np.array(values, dtype=np.int64).reshape(shape)
        except OverflowError:
            pass
    arr = np.empty(len(values), dtype=object)
    arr[:] = [x if not isinstance(x, str) else _number(x) for x in values]
    return arr.reshape(shape)


# ------------------------------------------------------------------ nested lists (.m)
_NESTED_TOKEN = re.compile(r"\s+|([{},])|([-+]?\d+(?:/\d+|\.\d+)?)|(.)")
_FRACTION = re.compile(r"([-+]?\d+/\d+)")


class _Where:
    """Line and column of offsets in a text (computed on demand, for messages)."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def _nested_strict(text: str, source: str):
    """Parse nested braces with line and column in every message; returns (lists, line of each product)."""
    where = _Where(text)
    stack, top, expect_value = [], None, True
    product_lines = []

    def fail(offset, reason):
        line, col = where(offset)
        all_lines = text.splitlines()
        snippet = all_lines[line - 1].strip() if line <= len(all_lines) else ""
        if len(snippet) > 60:
            snippet = snippet[:57] + "..."
        raise ValueError(f"{source}, line {line}, column {col}: {reason}: {snippet!r}")

    for m in _NESTED_TOKEN.finditer(text):
        brace, num, other = m.groups()
        if brace is None and num is None and other is None:
            continue                                       # white space
        if top is not None:
            fail(m.start(), "text after the closing '}' of the scheme")
        if other is not None:
            fail(m.start(), f"unexpected character {other!r}")
        if num is not None:
            if not stack:
                fail(m.start(), "expected '{' to open the scheme")
            if not expect_value:
                fail(m.start(), f"expected ',' or '}}' before {num!r}")
            value = _number(num)
            if value is None:
                fail(m.start(), f"cannot read {num!r} as a number")
            stack[-1].append(value)
            expect_value = False
        elif brace == "{":
            if stack and not expect_value:
                fail(m.start(), "expected ',' or '}' before '{'")
            if len(stack) == 1:
                product_lines.append(where(m.start())[0])
            new: list = []
            if stack:
                stack[-1].append(new)
            stack.append(new)
            expect_value = True
        elif brace == ",":
            if not stack or expect_value:
                fail(m.start(), "unexpected ','" + (" (a missing entry)" if stack else ""))
            expect_value = True
        else:                                              # '}'
            if not stack:
                fail(m.start(), "unexpected '}' (missing '{')")
            if expect_value and stack[-1]:
                fail(m.start(), "unexpected '}' after ',' (a missing entry)")
            done = stack.pop()
            if not stack:
                top = done
            expect_value = False
    if stack:
        fail(len(text.rstrip()), f"end of text with {len(stack)} '{{' still open")
    if top is None:
        raise ValueError(f"{source}: no scheme found (expected {{ {{{{{{u}}}}, {{{{v}}}}, {{{{w}}}}}}, ... }})")
    return top, product_lines


def _nested_fast(text: str):
    """The same lists through the JSON parser (no positions); None when the text is not plain nested braces."""
    body = _FRACTION.sub(r'"\1"', text) if "/" in text else text
    try:
        return json.loads(body.translate(str.maketrans("{}", "[]")))
    except (json.JSONDecodeError, RecursionError):
        return None


def _check_product(t: int, term, shapes, fail) -> None:
    if not isinstance(term, list) or len(term) != 3:
        fail(t, f"expected three matrices {{{{u}}, {{v}}, {{w}}}}, got "
                f"{len(term) if isinstance(term, list) else 'a number'}")
    for name, mat, shape in zip("uvw", term, shapes):
        if not isinstance(mat, list) or not mat or not all(isinstance(row, list) for row in mat):
            fail(t, f"the {name} matrix is not a list of rows {{{{...}}, {{...}}}}")
        cols = {len(row) for row in mat}
        if len(cols) != 1:
            fail(t, f"the rows of the {name} matrix have different lengths {sorted(cols)}")
        got = (len(mat), len(mat[0]))
        if got != shape:
            fail(t, f"the {name} matrix is {got[0]}x{got[1]}, the first product's is {shape[0]}x{shape[1]}")
        for row in mat:
            for x in row:
                if isinstance(x, (list, bool)) or not isinstance(x, (int, str, Fraction)):
                    fail(t, f"the {name} matrix has an entry {x!r} that is not a number")


def parse_nested(text: str, ring=None, source: str = "<text>", *, verify: bool = True,
                 with_convention: bool = False):
    """Read a scheme written as nested lists (the ``.m`` files of Perminov's database).

    The text is ``{ P1, P2, ... }`` with one product ``{{{u}}, {{v}}, {{w}}}``
    per line, each of u, v, w a matrix ``{{row}, {row}, ...}`` of integers or
    fractions ``p/q``. The database lists A (n1 x n2), B (n2 x n3) and C
    transposed (n3 x n1); the sizes come from the shapes, and the convention
    is settled by exact verification (see :data:`CONVENTIONS`).

    Parameters
    ----------
    text : str
    ring : str, optional
        The ring; by default the one the entries imply (ZT, Z, Q; F2 / F3 for a
        scheme exact only modulo 2 / 3).
    source : str
        Names the text in messages (the file name).
    verify : bool
        With ``ring`` given, False skips the exact check (the database's own
        convention is then assumed).
    with_convention : bool
        Return ``(scheme, convention)``, the name of the convention that verified.

    Returns
    -------
    Scheme
        (or ``(Scheme, str)`` with ``with_convention``)

    Raises
    ------
    ValueError
        A malformed text (naming the line, the column and the reason), products
        of different shapes (naming the product and its line), or a scheme that
        verifies in no convention (with the reason for each).

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> parse_nested(to_nested(strassen_scheme("ZT"))) == strassen_scheme("ZT")
    True
    """
    check_instance(text, "text", str)
    verify = check_bool(verify, "verify")
    quick = _nested_arrays(text)
    if quick is not None:                                 # plain integers and fractions, every product one shape
        listed = quick
        shapes = [x.shape[1:] for x in listed]
        return _nested_scheme(listed, shapes, ring, source, verify, with_convention)
    lists = _nested_fast(text)
    lines = None
    if lists is None or not isinstance(lists, list):
        lists, lines = _nested_strict(text, source)      # raises with the line and column of the fault

    def fail(t, reason):
        nonlocal lines
        if lines is None:
            lines = _nested_strict(text, source)[1]
        where = f", line {lines[t]}" if t < len(lines) else ""
        raise ValueError(f"{source}{where}: product {t + 1}: {reason}")

    if not lists:
        raise ValueError(f"{source}: no products found")
    first = lists[0]
    if not (isinstance(first, list) and len(first) == 3 and all(isinstance(m, list) and m and isinstance(m[0], list)
                                                                for m in first)):
        fail(0, "expected three matrices {{u}, {v}, {w}}")
    shapes = [(len(m), len(m[0])) for m in first]
    for t, term in enumerate(lists):
        _check_product(t, term, shapes, fail)
    r = len(lists)
    listed = tuple(_entries([x for term in lists for row in term[k] for x in row], (r, *shapes[k])) for k in range(3))
    return _nested_scheme(listed, shapes, ring, source, verify, with_convention)


def _nested_scheme(listed, shapes, ring, source: str, verify: bool, with_convention: bool):
    if not verify and ring is not None:
        conv = CONVENTIONS[0]
        n = conv.sizes(shapes)
        if n is None:
            raise ValueError(f"{source}: the listed shapes do not fit the database's convention (cyclic)")
        mats = [_exact_matrix(x, f"factor {k}", source) for x, k in zip(conv.to_output(*listed), "uvw")]
        found = _scheme("gg", n, ring, mats), f"{conv.name} (assumed, not verified)"
    else:
        found = _resolve(listed, ring, source)
    return found if with_convention else found[0]


_PLAIN = re.compile(r"[^ \t\r\n{},0-9/-]")               # a character outside plain nested lists of numbers
_BRACES = bytes.maketrans(b"{}", b"[]")


def _nested_arrays(text: str):
    """The listed matrices of a plain ``.m`` text as arrays, without a Python object per entry; None otherwise.

    Plain: only braces, commas, white space, integers and fractions ``p/q``,
    nested as the format says, every product of one shape, everything in
    int64. The denominators are cut out of the text (on its bytes) and
    the JSON parser reads the rest, the numerators in place; the numbers'
    positions in the text say which entries the fractions are. Anything
    else (None) goes the general way, which names the line and column of a
    fault.
    """
    if _PLAIN.search(text):
        return None
    raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    slash = np.flatnonzero(raw == 47)
    if len(slash):
        digit = np.concatenate(((raw >= 48) & (raw <= 57), [False]))
        numeric = digit | np.concatenate(((raw == 45) | (raw == 47), [False]))       # digits, '-' and '/'
        if slash[0] == 0 or not (digit[slash - 1].all() and digit[slash + 1].all()):
            return None                                    # not 'p/q' with digits on both sides
        end = slash + 1                                    # the last digit of each denominator
        more = digit[end + 1]
        while more.any():
            end = end + more
            more = digit[end + 1]
        if numeric[end + 1].any():
            return None                                    # 'p/q' followed by '-' or '/'
        starts = np.flatnonzero(numeric[:-1] & ~np.concatenate(([False], numeric[:-2])))
        token = np.searchsorted(starts, slash) - 1         # which number each fraction is
        q = [int(text[a + 1:b + 1]) for a, b in zip(slash.tolist(), end.tolist())]
        if min(q) < 1:
            return None                                    # p/0: the general way names it
        size = end - slash + 1
        first = np.cumsum(size) - size
        keep = np.ones(len(raw), dtype=bool)
        keep[np.repeat(slash - first, size) + np.arange(int(size.sum()))] = False
        raw = raw[keep]                                    # the text without '/q'
    try:
        lists = json.loads(raw.tobytes().translate(_BRACES))
    except (json.JSONDecodeError, RecursionError, UnicodeDecodeError):
        return None
    if not isinstance(lists, list) or not lists or not all(type(t) is list and len(t) == 3 for t in lists):
        return None
    listed = []
    for k in range(3):
        try:
            a = np.array([t[k] for t in lists])
        except (ValueError, TypeError, OverflowError):      # ragged, or not numbers
            return None
        if a.dtype != np.int64 or a.ndim != 3 or not a.shape[1] or not a.shape[2]:
            return None
        listed.append(a)
    if not len(slash):
        return tuple(listed)
    sizes = [a.shape[1] * a.shape[2] for a in listed]
    bounds = np.cumsum([0] + sizes)
    term, rest = np.divmod(token, bounds[-1])
    which = np.searchsorted(bounds, rest, side="right") - 1
    q = np.array(q, dtype=object)
    for k in range(3):
        sel = np.flatnonzero(which == k)
        if not len(sel):
            continue
        flat = listed[k].reshape(len(listed[k]), -1)
        r, c = term[sel], rest[sel] - bounds[k]
        got = _rational_rows(flat, r, c, flat[r, c].tolist(), q[sel].tolist())
        if got is None:
            return None
        listed[k] = got.reshape(listed[k].shape)
    return tuple(listed)


def load_nested(path, ring=None, *, verify: bool = True, with_convention: bool = False):
    """Read a nested-list ``.m`` file; see :func:`parse_nested`."""
    path = Path(path)
    return parse_nested(_read(path), ring=ring, source=str(path), verify=verify, with_convention=with_convention)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason})") from None


# ------------------------------------------------------------------ coefficient rows (.txt)
_HEADER = re.compile(r"\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")


def is_coefficient_text(text: str) -> bool:
    """True when the first non-blank line of ``text`` is a header ``n1 n2 n3 m`` (four integers)."""
    for line in text.splitlines():
        if line.strip():
            return bool(_HEADER.match(line))
    return False


def _row_values(line: str, lineno: int, source: str) -> list:
    toks = line.split()
    try:
        return [int(t) for t in toks]
    except ValueError:
        pass
    out = []
    for k, tok in enumerate(toks):
        x = _number(tok)
        if x is None:
            col = line.index(tok) + 1 if tok in line else 1
            raise ValueError(f"{source}, line {lineno}, column {col}: entry {k + 1} {tok!r} is not a number "
                             "(expected an integer or p/q)")
        out.append(x)
    return out


def parse_coefficients(text: str, ring=None, source: str = "<text>", *, verify: bool = True,
                       with_convention: bool = False):
    """Read a scheme from coefficient rows (the ``.txt`` files of Perminov's database).

    The first line is ``n1 n2 n3 m``; then come the entries of U (m products
    of n1 n2 entries), V (m x n2 n3) and W (m x n3 n1), one factor per line in
    the database's files (any line breaks are accepted as long as the number
    of entries is right). Entries are integers or ``p/q``. The layout (product
    by product, or entry by entry) and the convention are settled by exact
    verification.

    Parameters
    ----------
    text : str
    ring : str, optional
        As in :func:`parse_nested`.
    source : str
        Names the text in messages.
    verify : bool
        With ``ring`` given, False skips the exact check (product by product,
        the database's convention, assumed).
    with_convention : bool
        Return ``(scheme, "layout, convention")``.

    Raises
    ------
    ValueError
        A bad header or entry (naming the line), a wrong number of entries
        (naming the line when the file has one line per factor), or a scheme
        that verifies in no layout and convention.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> text = to_coefficients(strassen_scheme("ZT"))
    >>> text.splitlines()[0]
    '2 2 2 7'
    >>> parse_coefficients(text) == strassen_scheme("ZT")
    True
    """
    check_instance(text, "text", str)
    verify = check_bool(verify, "verify")
    lines = text.splitlines()
    numbered = [(k + 1, line) for k, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise ValueError(f"{source}: empty (expected a header line 'n1 n2 n3 m')")
    lineno, header = numbered[0]
    m = _HEADER.match(header)
    if not m or min(int(g) for g in m.groups()) < 1:
        raise ValueError(f"{source}, line {lineno}: expected a header 'n1 n2 n3 m' of four positive integers, "
                         f"got {header.strip()[:60]!r}")
    n1, n2, n3, r = (int(g) for g in m.groups())
    sizes = (n1 * n2, n2 * n3, n3 * n1)
    rows = [(k, _row_values(line, k, source)) for k, line in numbered[1:]]
    total = sum(len(v) for _, v in rows)
    want = r * sum(sizes)
    if total != want:
        if len(rows) == 3:
            for (k, vals), name, size in zip(rows, "uvw", sizes):
                if len(vals) != r * size:
                    raise ValueError(f"{source}, line {k}: the {name} line has {len(vals)} entries, expected "
                                     f"{r * size} ({r} products x {size})")
        raise ValueError(f"{source}: {total} entries after the header, expected {want} "
                         f"({r} products x ({' + '.join(map(str, sizes))}))")
    flat = [x for _, vals in rows for x in vals]
    blocks = (flat[:r * sizes[0]], flat[r * sizes[0]:r * (sizes[0] + sizes[1])], flat[r * (sizes[0] + sizes[1]):])
    per_product = [flat[t * sum(sizes):(t + 1) * sum(sizes)] for t in range(r)]

    def listed(layout, shapes):
        if layout == "product by product":
            data = blocks
        elif layout == "entry by entry":
            data = [np.asarray(_entries(b, (s[0] * s[1], r))).T.ravel().tolist() for b, s in zip(blocks, shapes)]
        else:                        # one line per product: u, v and w of the product side by side
            cut = np.cumsum((0,) + sizes)
            data = [[x for p in per_product for x in p[cut[k]:cut[k + 1]]] for k in range(3)]
        return tuple(_entries(d, (r, *s)) for d, s in zip(data, shapes))

    if not verify and ring is not None:
        conv = CONVENTIONS[0]
        mats = (_exact_matrix(x, f"factor {k}", source)
                for x, k in zip(conv.to_output(*listed("product by product", conv.listed_shapes((n1, n2, n3)))), "uvw"))
        found = _scheme("gg", (n1, n2, n3), ring, list(mats)), "product by product, cyclic (assumed, not verified)"
    else:
        layouts = ["product by product", "entry by entry", "u v w per product"]
        found = _resolve(listed, ring, source, sizes=(n1, n2, n3), layouts=layouts)
    return found if with_convention else found[0]


def load_coefficients(path, ring=None, *, verify: bool = True, with_convention: bool = False):
    """Read a coefficient-rows ``.txt`` file; see :func:`parse_coefficients`."""
    path = Path(path)
    return parse_coefficients(_read(path), ring=ring, source=str(path), verify=verify, with_convention=with_convention)


# ------------------------------------------------------------------ exporters
def _gg(scheme, what: str) -> Scheme:
    check_instance(scheme, "scheme", Scheme)
    if scheme.code != "gg":
        raise ValueError(f"scheme: the {what} format holds general products (gg), got {scheme.code!r}")
    return scheme


def _num(x) -> str:
    if isinstance(x, Fraction) and x.denominator != 1:
        return f"{x.numerator}/{x.denominator}"
    return str(int(x))


def _listed(scheme: Scheme):
    """The database's listed matrices: A (R, n1, n2), B (R, n2, n3), C transposed (R, n3, n1)."""
    n1, n2, n3 = scheme.n
    r = scheme.rank
    return (scheme.u.reshape(r, n1, n2), scheme.v.reshape(r, n2, n3),
            scheme.w.reshape(r, n1, n3).transpose(0, 2, 1))


def to_nested(scheme: Scheme) -> str:
    """The ``.m`` text of a ``gg`` scheme: one product ``{{{u}}, {{v}}, {{w}}}`` per line, w cyclic (n3 x n1).

    Inverse of :func:`parse_nested`.
    """
    scheme = _gg(scheme, "nested-list")

    def mat(a):
        return "{" + ", ".join("{" + ", ".join(_num(x) for x in row) + "}" for row in a) + "}"

    ul, vl, wl = _listed(scheme)
    body = ",\n".join(f"  {{{mat(ul[t])}, {mat(vl[t])}, {mat(wl[t])}}}" for t in range(scheme.rank))
    return "{\n" + body + ("\n" if body else "") + "}\n"


def to_coefficients(scheme: Scheme) -> str:
    """The ``.txt`` text of a ``gg`` scheme: header ``n1 n2 n3 m``, then one line each for U, V and W (cyclic).

    Each line lists its factor product by product (row-major within a
    product). Inverse of :func:`parse_coefficients`.
    """
    scheme = _gg(scheme, "coefficient-rows")
    n1, n2, n3 = scheme.n
    lines = [f"{n1} {n2} {n3} {scheme.rank}"]
    for a in _listed(scheme):
        lines.append(" ".join(_num(x) for x in np.asarray(a).ravel()))
    return "\n".join(lines) + "\n"


def _name(letter, i, j, wide):
    return f"{letter}{i + 1}_{j + 1}" if wide else f"{letter}{i + 1}{j + 1}"


def _readable(coefs, names) -> str:
    parts = []
    for c, name in zip(coefs, names):
        if c == 0:
            continue
        mag = abs(c)
        body = name if mag == 1 else f"{_num(Fraction(mag))}{name}"
        parts.append(("-" if c < 0 else "+") + body)
    if not parts:
        return "0"
    text = " ".join(p[0] + " " + p[1:] for p in parts)[2:]
    return ("-" + text) if parts[0][0] == "-" else text


def to_perminov_json(scheme: Scheme) -> str:
    """Perminov's full JSON for a ``gg`` scheme: ``n``, ``m``, ``z2``, ``complexity``, readable
    ``multiplications`` and ``elements``, then ``u``, ``v``, ``w`` (w cyclic: ``w[r][k*n1 + i]``).

    Entries are integers or ``"p/q"`` strings. Read back by
    :func:`~linalg_lab.schemes.load_cyclic_json`.
    """
    scheme = _gg(scheme, "full JSON")
    n1, n2, n3 = scheme.n
    r = scheme.rank
    wide = max(scheme.n) > 9
    an = [_name("a", i, j, wide) for i in range(n1) for j in range(n2)]
    bn = [_name("b", j, k, wide) for j in range(n2) for k in range(n3)]
    mults = [f"m{t + 1} = ({_readable(scheme.u[t], an)}) * ({_readable(scheme.v[t], bn)})" for t in range(r)]
    mn = [f"m{t + 1}" for t in range(r)]
    elements = [f"{_name('c', i, k, wide)} = {_readable(scheme.w[:, i * n3 + k], mn)}"
                for i in range(n1) for k in range(n3)]
    ul, vl, wl = _listed(scheme)

    def rows(a):
        flat = np.asarray(a).reshape(r, -1)
        return "[\n" + ",\n".join("    [" + ", ".join(_j(x) for x in row) + "]" for row in flat) + "\n  ]" if r else "[]"

    head = json.dumps({"n": list(scheme.n), "m": r, "z2": scheme.ring.value == "F2",
                       "complexity": additive_complexity(scheme)})[:-1]
    parts = [head,
             '"multiplications": ' + json.dumps(mults, indent=4).replace("\n", "\n  "),
             '"elements": ' + json.dumps(elements, indent=4).replace("\n", "\n  "),
             f'"u": {rows(ul)}', f'"v": {rows(vl)}', f'"w": {rows(wl)}']
    return parts[0] + ",\n  " + ",\n  ".join(parts[1:]) + "\n}\n"


def _j(x) -> str:
    if isinstance(x, Fraction) and x.denominator != 1:
        return f'"{x.numerator}/{x.denominator}"'
    return str(int(x))


def export_text(source, fmt: str, *, restarts: int = 8, rng=0) -> str:
    """The text of ``source`` (a :class:`Scheme`, or a :class:`StraightLineProgram`) in format ``fmt``.

    Parameters
    ----------
    source : Scheme or StraightLineProgram
        A program is written as it is in the ``reduced`` format; the other
        formats write its scheme.
    fmt : {"json", "m", "txt", "exp", "reduced"}
        Perminov's full JSON (:func:`to_perminov_json`), nested lists
        (:func:`to_nested`), coefficient rows (:func:`to_coefficients`), one
        product per line (:func:`~linalg_lab.schemes.to_terms`), or the
        reduced JSON of a straight-line program (a scheme is first reduced by
        :func:`~linalg_lab.schemes.reduce_additions` with ``restarts`` and
        ``rng``).

    Raises
    ------
    TypeError
        ``source`` is neither a Scheme nor a program.
    ValueError
        ``fmt`` is not a known format, or the format holds only ``gg`` schemes.
    """
    from .program import StraightLineProgram, reduce_additions
    if not isinstance(source, (Scheme, StraightLineProgram)):
        raise TypeError(f"source: expected a Scheme or a StraightLineProgram, got {type(source).__name__}")
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"fmt: expected one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    scheme = source.scheme if isinstance(source, StraightLineProgram) else source
    if fmt == "reduced":
        program = source if isinstance(source, StraightLineProgram) else reduce_additions(scheme, restarts=restarts,
                                                                                          rng=rng)
        return program.to_reduced_json()
    writer = {"json": to_perminov_json, "m": to_nested, "txt": to_coefficients, "exp": to_terms}[fmt]
    return writer(scheme)


def export_scheme(source, path, fmt: str | None = None, *, overwrite: bool = False, restarts: int = 8,
                  rng=0) -> Path:
    """Write ``source`` to ``path`` in format ``fmt`` atomically (temporary file, then rename); the path.

    Parameters
    ----------
    source : Scheme or StraightLineProgram
        Verified exactly before anything is written.
    path : str or Path
    fmt : str, optional
        One of :data:`EXPORT_FORMATS`; by default from the suffix of ``path``
        (``.m``, ``.txt``, ``.exp``, ``.json``; ``*_reduced.json``: reduced).
    overwrite : bool
        False (default): an existing file is refused (nothing written).
    restarts, rng
        For the ``reduced`` format of a scheme (see :func:`export_text`).

    Raises
    ------
    ValueError
        A scheme that does not verify, an unknown format, a folder or an
        existing file at ``path`` (without ``overwrite``).
    """
    from .program import StraightLineProgram
    check_instance(path, "path", (str, os.PathLike), "a path (str or pathlib.Path)")
    path = Path(path)
    overwrite = check_bool(overwrite, "overwrite")
    if fmt is None:
        fmt = format_from_suffix(path)
    scheme = source.scheme if isinstance(source, StraightLineProgram) else source
    if isinstance(scheme, Scheme):
        check = scheme.verify()
        if not check:
            raise ValueError(f"source: the scheme does not verify over {scheme.ring} (nothing written): "
                             f"{check.describe(limit=2)}")
    text = export_text(source, fmt, restarts=restarts, rng=rng)
    if path.is_dir():
        raise ValueError(f"path: {path} is a folder, expected a file name")
    if os.path.lexists(path) and not overwrite:
        raise ValueError(f"path: {path} exists; not replaced (pass overwrite=True, or --force)")
    return atomic_write_text(path, text)


def format_from_suffix(path) -> str:
    """The export format a file name implies: ``.m``, ``.txt``, ``.exp``, ``.json`` or ``*_reduced.json``."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith("_reduced.json"):
        return "reduced"
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("m", "txt", "exp", "json"):
        return suffix
    raise ValueError(f"path: cannot tell the format from {path.name!r}; pass the format "
                     f"(one of {', '.join(EXPORT_FORMATS)})")


# ------------------------------------------------------------------ one entry point for every published file
def published_loaders(path, ring=None, *, repair: bool = False) -> list:
    """``[(label, loader)]`` for the schemes of a published file.

    ``loader()`` returns ``(scheme_or_program, convention)``: a
    :class:`Scheme`, or a :class:`StraightLineProgram` for a reduced JSON, and
    the name of the convention that verified (None where the format has only
    one). Loading is deferred so that one bad entry of an ``.npz`` does not
    stop the others. By content and suffix: ``.npz`` (AlphaTensor, one entry
    per scheme), ``.json`` (ours, Perminov's full JSON, or a reduced JSON
    program), ``.m`` (nested lists), ``.txt`` (coefficient rows when the first
    line is ``n1 n2 n3 m``, else one product per line), anything else one
    product per line (``repair``: see :func:`~linalg_lab.schemes.parse_terms`).
    """
    from .importers import _cyclic_json, alphatensor_keys, load_alphatensor_npz, parse_terms
    from .io import FORMAT, load_scheme
    from .program import load_program
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return [(f"{path}[{key}]", lambda key=key: (load_alphatensor_npz(path, key=key, ring=ring), "cyclic"))
                for key in alphatensor_keys(path)]
    if suffix == ".json":
        def load_json():
            try:
                data = json.loads(_read(path))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
            if isinstance(data, dict) and data.get("format") == FORMAT:
                s = load_scheme(path, verify=True)
                return (s if ring is None else s.with_factors(*s.factors, ring=ring)), None
            if isinstance(data, dict) and "u_fresh" in data:
                return load_program(path, ring=ring), None
            return _cyclic_json(data, path, ring=ring, with_convention=True)
        return [(str(path), load_json)]
    if suffix == ".m":
        return [(str(path), lambda: load_nested(path, ring=ring, with_convention=True))]

    def load_text():
        text = _read(path)
        if is_coefficient_text(text):
            return parse_coefficients(text, ring=ring, source=str(path), with_convention=True)
        return parse_terms(text, ring=ring, source=str(path), repair=repair, with_convention=True)
    return [(str(path), load_text)]
