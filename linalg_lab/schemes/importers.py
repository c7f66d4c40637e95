"""Importers for published scheme formats (all in the *cyclic* convention) and the term exporter.

In the cyclic convention a scheme for ``<n1, n2, n3>`` lists, for each product,
the coefficient ``c_ki`` of the output entry (i, k): the third factor indexes
C transposed. Our :class:`Scheme` uses the output convention (W indexes the
output (i, k) directly, DESIGN.md section 3), so the importers transpose.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..fields.rings import Ring, as_ring
from .scheme import Scheme

_GUESS_ORDER = (Ring.ZT, Ring.Z, Ring.Q, Ring.F2, Ring.F3)


def cyclic_to_output(w_cyclic, n1: int, n3: int) -> np.ndarray:
    """Columns ``k*n1 + i`` (cyclic) -> ``i*n3 + k`` (output convention)."""
    w_cyclic = np.asarray(w_cyclic, dtype=object)
    r = w_cyclic.shape[0]
    return w_cyclic.reshape(r, n3, n1).transpose(0, 2, 1).reshape(r, n1 * n3)


def output_to_cyclic(w, n1: int, n3: int) -> np.ndarray:
    """Inverse of :func:`cyclic_to_output`."""
    w = np.asarray(w, dtype=object)
    r = w.shape[0]
    return w.reshape(r, n1, n3).transpose(0, 2, 1).reshape(r, n1 * n3)


def _with_ring(n, u, v, w, ring, source: str) -> Scheme:
    """Build a ``gg`` scheme in the given ring, or guess the ring by exact verification."""
    if ring is not None:
        return Scheme("gg", n, as_ring(ring), u, v, w)
    entries = {x for a in (u, v, w) for x in np.asarray(a, dtype=object).flat}
    fractional = any(isinstance(x, Fraction) and x.denominator != 1 for x in entries)
    for cand in _GUESS_ORDER:
        if fractional and cand is not Ring.Q:
            continue
        if cand is Ring.ZT and not entries <= {-1, 0, 1}:
            continue
        if cand is Ring.F2 and not entries <= {0, 1}:
            continue
        s = Scheme("gg", n, cand, u, v, w)
        if s.verify():
            return s
    raise ValueError(f"{source}: the scheme verifies over none of ZT, Z, Q, F2, F3; pass ring= to import it anyway")


# ---------------------------------------------------------------- one term per line
_VAR = re.compile(r"^([abc])(?:_?(\d+)_(\d+)|(\d)(\d))$")
_COEF = re.compile(r"^(\d+(?:/\d+)?)$")


def _split_top(s: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _parse_linear_form(text: str, where: str) -> tuple[str, dict]:
    """``'a11 - 2*a23 + 1/2 a31'`` -> ('a', {(0, 0): 1, (1, 2): -2, (2, 0): 1/2})."""
    s = text.replace(" ", "")
    if s.startswith("(") and s.endswith(")"):
        s = s[1:-1]
    if not s:
        raise ValueError(f"{where}: empty factor")
    terms = re.findall(r"([+-]?)([^+-]+)", s)
    if "".join(sign + body for sign, body in terms) != s:
        raise ValueError(f"{where}: cannot read factor {text!r}")
    letter, form = None, {}
    for sign, body in terms:
        pieces = [p for p in re.split(r"\*", body) if p]
        coef, var = Fraction(1), None
        for p in pieces:
            m = _VAR.match(p)
            if m:
                if var is not None:
                    raise ValueError(f"{where}: a term of {text!r} has two variables")
                var = m
            elif _COEF.match(p):
                coef *= Fraction(p)
            else:
                m2 = re.match(r"^(\d+(?:/\d+)?)([abc].*)$", p)  # '2a11'
                if m2 and _VAR.match(m2.group(2)):
                    coef *= Fraction(m2.group(1))
                    var = _VAR.match(m2.group(2))
                else:
                    raise ValueError(f"{where}: cannot read term {p!r} of factor {text!r}")
        if var is None:
            raise ValueError(f"{where}: term {body!r} of {text!r} has no variable")
        lt = var.group(1)
        if letter is not None and lt != letter:
            raise ValueError(f"{where}: factor {text!r} mixes variables {letter} and {lt}")
        letter = lt
        i, j = (var.group(2), var.group(3)) if var.group(2) else (var.group(4), var.group(5))
        i, j = int(i) - 1, int(j) - 1
        if i < 0 or j < 0:
            raise ValueError(f"{where}: indices are 1-based, got {var.group(0)!r}")
        form[(i, j)] = form.get((i, j), 0) + (-coef if sign == "-" else coef)
    return letter, form


def parse_terms(text: str, n=None, ring=None, source: str = "<text>") -> Scheme:
    """Read a scheme written one product per line, ``(a11+a23)*(b12-b31)*(c21)``.

    The third factor is in the cyclic convention: ``c_ki`` is the coefficient
    of the product in output (i, k). Lines that are blank or start with ``#``
    are skipped. A factor of one variable may omit its parentheses;
    coefficients may be written ``2*a11``, ``2a11`` or ``1/2*a11``; indices are
    1-based, ``a12`` or ``a1_12`` when a size exceeds 9.

    Parameters
    ----------
    text : str
    n : (n1, n2, n3), optional
        Sizes; inferred from the largest indices when omitted.
    ring : str, optional
        The ring; when omitted the first of ZT, Z, Q, F2, F3 over which the
        scheme verifies exactly is taken.
    """
    forms = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}, line {lineno}"
        parts = _split_top(line, "*") if line.count("(") else None
        if parts is None or len(parts) != 3:
            # factors without parentheses: split at '*' that precede a variable letter of a new factor
            parts = _split_factors(line)
        if len(parts) != 3:
            raise ValueError(f"{where}: expected three factors (a...)*(b...)*(c...), got {line!r}")
        byletter = {}
        for p in parts:
            letter, form = _parse_linear_form(p.strip(), where)
            if letter in byletter:
                raise ValueError(f"{where}: two factors in {letter}")
            byletter[letter] = form
        forms.append((byletter["a"], byletter["b"], byletter["c"]))
    if not forms:
        raise ValueError(f"{source}: no products found")
    if n is None:
        n1 = max([i for fa, _, _ in forms for (i, _) in fa] + [j for _, _, fc in forms for (_, j) in fc]) + 1
        n2 = max([j for fa, _, _ in forms for (_, j) in fa] + [i for _, fb, _ in forms for (i, _) in fb]) + 1
        n3 = max([j for _, fb, _ in forms for (_, j) in fb] + [i for _, _, fc in forms for (i, _) in fc]) + 1
        n = (n1, n2, n3)
    n1, n2, n3 = n
    r = len(forms)
    u = np.zeros((r, n1 * n2), dtype=object)
    v = np.zeros((r, n2 * n3), dtype=object)
    w = np.zeros((r, n1 * n3), dtype=object)
    for t, (fa, fb, fc) in enumerate(forms):
        for (i, j), c in fa.items():
            _check(i < n1 and j < n2, source, t, f"a{i+1}{j+1}", n)
            u[t, i * n2 + j] = c
        for (j, k), c in fb.items():
            _check(j < n2 and k < n3, source, t, f"b{j+1}{k+1}", n)
            v[t, j * n3 + k] = c
        for (k, i), c in fc.items():  # cyclic: c_ki belongs to output (i, k)
            _check(k < n3 and i < n1, source, t, f"c{k+1}{i+1}", n)
            w[t, i * n3 + k] = c
    u, v, w = (_simplify(a) for a in (u, v, w))
    return _with_ring(tuple(n), u, v, w, ring, source)


def _split_factors(line: str) -> list[str]:
    out, cur = [], ""
    for tok in _split_top(line, "*"):
        if cur and re.match(r"^\s*\(?\s*[+-]?\s*[abc]", tok) and _letter(cur) != _letter(tok):
            out.append(cur)
            cur = tok
        else:
            cur = f"{cur}*{tok}" if cur else tok
    out.append(cur)
    return out


def _letter(s: str) -> str | None:
    m = re.search(r"[abc]", s)
    return m.group(0) if m else None


def _check(ok: bool, source: str, t: int, var: str, n) -> None:
    if not ok:
        raise ValueError(f"{source}: product {t + 1} uses {var}, outside sizes {n}")


def _simplify(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    for idx, x in np.ndenumerate(a):
        out[idx] = int(x) if (isinstance(x, int) or x.denominator == 1) else x
    return out


def load_terms(path, n=None, ring=None) -> Scheme:
    """Read a one-product-per-line file (e.g. Kauers-Moosbauer ``.exp``); see :func:`parse_terms`."""
    path = Path(path)
    return parse_terms(path.read_text(encoding="utf-8"), n=n, ring=ring, source=str(path))


def _fmt_coef_term(c, name: str) -> str:
    c = Fraction(c)
    if c == 1:
        return f"+{name}"
    if c == -1:
        return f"-{name}"
    sign = "-" if c < 0 else "+"
    return f"{sign}{abs(c)}*{name}"


def to_terms(scheme: Scheme) -> str:
    """Write a ``gg`` scheme one product per line in the cyclic convention (inverse of :func:`parse_terms`)."""
    if scheme.code != "gg":
        raise ValueError(f"scheme: the one-term-per-line format is for general products (gg), got {scheme.code!r}")
    n1, n2, n3 = scheme.n
    wide = max(scheme.n) > 9

    def name(letter, i, j):
        return f"{letter}{i+1}_{j+1}" if wide else f"{letter}{i+1}{j+1}"

    lines = []
    for r in range(scheme.rank):
        fa = [_fmt_coef_term(scheme.u[r, p], name("a", *divmod(p, n2))) for p in range(n1 * n2) if scheme.u[r, p] != 0]
        fb = [_fmt_coef_term(scheme.v[r, p], name("b", *divmod(p, n3))) for p in range(n2 * n3) if scheme.v[r, p] != 0]
        fc = []
        for k in range(n3):
            for i in range(n1):
                c = scheme.w[r, i * n3 + k]
                if c != 0:
                    fc.append(_fmt_coef_term(c, name("c", k, i)))
        lines.append("*".join("(" + "".join(f).lstrip("+") + ")" for f in (fa, fb, fc)))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- AlphaTensor .npz
def load_alphatensor_npz(path, key=None, ring=None):
    """Read AlphaTensor's factorization dictionaries (``factorizations_f2.npz`` / ``_r.npz``).

    Each entry ``'n1,n2,n3'`` holds the factors ``u (n1*n2, R)``, ``v (n2*n3, R)``,
    ``w (n3*n1, R)``, with w in the cyclic convention (row ``k*n1 + i`` is output
    (i, k)). The file stores object arrays, so it is read with
    ``allow_pickle=True``: load only files you trust.

    Parameters
    ----------
    path : str or Path
    key : str or tuple, optional
        ``"4,4,4"`` or ``(4, 4, 4)``: return that one scheme. By default a dict
        ``{(n1, n2, n3): Scheme}`` of every entry.
    ring : str, optional
        Ring of the schemes; guessed by exact verification when omitted.
    """
    path = Path(path)
    with np.load(path, allow_pickle=True) as data:
        keys = list(data.keys())
        if key is not None:
            k = key if isinstance(key, str) else ",".join(map(str, key))
            if k not in keys:
                raise ValueError(f"key: {k!r} is not in {path} (it has {', '.join(keys)})")
            keys = [k]
        out = {}
        for k in keys:
            try:
                n = tuple(int(x) for x in k.split(","))
            except ValueError:
                raise ValueError(f"{path}: entry {k!r} is not named 'n1,n2,n3'") from None
            fac = data[k]
            if len(fac) != 3:
                raise ValueError(f"{path}: entry {k!r} does not hold three factor matrices")
            uu, vv, ww = (np.asarray(f).astype(np.int64).T.astype(object) for f in fac)
            n1, _, n3 = n
            out[n] = _with_ring(n, uu, vv, cyclic_to_output(ww, n1, n3), ring, f"{path}[{k}]")
    if key is not None:
        return next(iter(out.values()))
    return out


# ---------------------------------------------------------------- cyclic JSON
def load_cyclic_json(path, ring=None) -> Scheme:
    """Read a JSON scheme with ``n``, ``u``, ``v``, ``w`` (rows per product) in the cyclic convention.

    This is the format of Perminov's FastMatrixMultiplication repository
    (``w[r][k*n1 + i]`` is the coefficient of product r in output (i, k));
    entries may be ints or ``"p/q"`` strings. A ``z2: true`` field means the
    scheme is over F2, used when ``ring`` is not given.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
    for key in ("n", "u", "v", "w"):
        if key not in data:
            raise ValueError(f"{path}: field '{key}' is missing")
    n = tuple(int(x) for x in data["n"])
    if len(n) != 3:
        raise ValueError(f"{path}: field 'n' must hold three sizes")
    n1, _, n3 = n
    mats = []
    for key in "uvw":
        try:
            mats.append(np.array([[Fraction(x) if isinstance(x, str) else x for x in row] for row in data[key]], dtype=object))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: field '{key}': {exc}") from None
    if "m" in data and int(data["m"]) != len(mats[0]):
        raise ValueError(f"{path}: field 'm' is {data['m']} but 'u' has {len(mats[0])} rows")
    if ring is None and data.get("z2") is True:
        ring = "F2"
    u, v, w = (_simplify(a) for a in mats)
    return _with_ring(n, u, v, cyclic_to_output(w, n1, n3), ring, str(path))
