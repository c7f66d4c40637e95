"""Straight-line programs for schemes, and the common-subexpression reducer.

A scheme written out directly costs Perminov's naive count of additions
(:func:`~linalg_lab.schemes.additive_complexity`). Sums shared between
products cost less: Winograd's form of Strassen's algorithm needs 15
additions instead of 18. A :class:`StraightLineProgram` computes a scheme in
three stages, each a :class:`LinearProgram`:

- the A side: fresh variables ``s = c1 x_i + c2 x_j`` over the entries of A
  and earlier fresh variables, then the R left operands ``U[r] . x`` as
  sparse forms over originals and fresh variables;
- the B side: the same for the right operands ``V[r] . y``;
- the output side: fresh partial sums of products, then each output
  ``z[g] = sum_r W[r, g] m_r`` over products and fresh sums.

The number of additions (and subtractions) of a linear program is
``sum(len(form) - 1)`` over its fresh variables and its nonzero rows;
scalings by coefficients other than +-1 are free, as in the naive count.
Every program here is checked exactly: expanding it symbolically gives back
``U``, ``V`` and ``W^T`` (:meth:`StraightLineProgram.check`).

:func:`reduce_additions` finds a program by pair elimination: the pair of
(signed) variables that occurs in most rows becomes a fresh variable, until
no pair occurs twice. The first pass breaks ties deterministically; further
passes alternate between breaking ties at random and, with probability
``slack`` per choice, drawing the pair among all that occur at least twice
with weight (occurrences)**3 (randomised greedy with restarts, in the spirit
of the strategies of Perminov, "Parallel Heuristic Exploration for Additive
Complexity Reduction in Fast Matrix Multiplication", arXiv 2512.13365). On
his published reduced schemes the weighted draw closes part of the gap to his
counts (2x4x5 rank 33: 114 -> 112). Every other pass works on the transposed
matrix and transposes the program back (Tellegen's principle: a program for
``M^T`` read backwards computes ``M`` with as many additions up to a
constant), which finds the sharings that 4x4x4 rank 49 (163 -> 159) and
2x5x5 rank 40 (154 -> 153) needed. The
three sides are independent, so each keeps its own best pass. With
``sandwiches`` it also walks the scheme's orbit under ternary sandwiches
(:func:`~linalg_lab.schemes.random_sandwich`), accepting moves that do not
raise the reduced count: that turns Strassen's scheme (18 additions, no
shared pair) into one needing 15, Winograd's count (Probert: optimal for 7
products).

Files: :meth:`StraightLineProgram.to_reduced_json` writes Perminov's reduced
JSON (``u_fresh``, ``v_fresh``, ``w_fresh``, then ``u``, ``v``, ``w``; fresh
indices continue after the originals; ``w`` rows in his cyclic order
``k*n1 + i`` for ``gg``), :func:`program_from_reduced_json` reads it back.

Examples
--------
>>> from linalg_lab.schemes import strassen_scheme
>>> p = reduce_additions(strassen_scheme("ZT"), sandwiches=300, rng=1)
>>> p.additions, p.check()       # Strassen's own form needs 18; a sandwiched one 15
(15, '')
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..fields.rings import Ring
from ..tensors.codes import tensor_code
from ..validation import check_instance, check_int, check_real, check_rng
from .cost import additive_complexity
from .scheme import Scheme
from .variables import input_names, output_names

#: Identifier written into a reduced-JSON file by :meth:`StraightLineProgram.to_reduced_json`.
PROGRAM_FORMAT = "linalg-lab/program-1"


def _coef(c):
    """An exact coefficient: int, or Fraction when not integral."""
    if isinstance(c, Fraction):
        return c.numerator if c.denominator == 1 else c
    if isinstance(c, (bool, np.bool_)):
        raise TypeError(f"coefficient: expected a number, got bool {c}")
    if isinstance(c, (int, np.integer)):
        return int(c)
    if isinstance(c, float) and c == int(c):
        return int(c)
    if isinstance(c, str):
        f = Fraction(c)
        return f.numerator if f.denominator == 1 else f
    raise TypeError(f"coefficient: expected an integer or a fraction, got {type(c).__name__} {c!r}")


def _ratio(a, b):
    """``b / a`` exactly (int when integral)."""
    if isinstance(a, int) and isinstance(b, int) and (a == 1 or a == -1):
        return b * a
    return _coef(Fraction(b) / Fraction(a))


@dataclass(frozen=True)
class LinearProgram:
    """One side of a straight-line program: fresh variables, then target rows.

    Attributes
    ----------
    inputs : int
        Number of original variables (indices ``0 .. inputs-1``).
    fresh : tuple of tuple of (int, coefficient)
        Fresh variable ``k`` has index ``inputs + k`` and is the sparse form
        ``sum c * var[i]`` over indices below its own.
    rows : tuple of tuple of (int, coefficient)
        The targets, sparse forms over originals and fresh variables.
    """

    inputs: int
    fresh: tuple
    rows: tuple

    def __post_init__(self):
        n = self.inputs
        for k, form in enumerate(self.fresh):
            for i, c in form:
                if not 0 <= i < n + k:
                    raise ValueError(f"fresh: variable {n + k} uses index {i}, expected one below {n + k}")
                if c == 0:
                    raise ValueError(f"fresh: variable {n + k} has a zero coefficient at index {i}")
        top = n + len(self.fresh)
        for r, form in enumerate(self.rows):
            for i, c in form:
                if not 0 <= i < top:
                    raise ValueError(f"rows: row {r} uses index {i}, expected one below {top}")

    @property
    def additions(self) -> int:
        """Additions and subtractions: ``len(form) - 1`` summed over fresh variables and nonzero rows."""
        return sum(len(f) - 1 for f in self.fresh) + sum(len(r) - 1 for r in self.rows if r)

    def expand(self) -> list:
        """The rows as dense lists of exact coefficients over the originals."""
        n = self.inputs
        dense = [[1 if j == i else 0 for j in range(n)] for i in range(n)]
        for form in self.fresh:
            dense.append(_combine(form, dense, n))
        return [_combine(form, dense, n) for form in self.rows]

    def evaluate(self, x):
        """Apply the program to the list (or array along axis 0) ``x`` of input values; the row values."""
        vals = list(x[: self.inputs]) if not isinstance(x, list) else list(x)
        if len(vals) != self.inputs:
            raise ValueError(f"x: expected {self.inputs} values, got {len(vals)}")
        for form in self.fresh:
            vals.append(_apply(form, vals))
        return [_apply(form, vals) for form in self.rows]


def _combine(form, dense, n):
    out = [0] * n
    for i, c in form:
        row = dense[i]
        for j in range(n):
            if row[j]:
                out[j] += c * row[j]
    return [_coef(x) if isinstance(x, Fraction) else x for x in out]


def _scale(v, c):
    """``v * c`` exactly where it can be: an integral coefficient as an int (exact on ints, Fractions and integer
    arrays), a fraction as a Fraction on exact values and as a float on float arrays."""
    if isinstance(c, Fraction):
        if c.denominator == 1:
            c = int(c.numerator)
        elif not isinstance(v, (Fraction, int)):
            c = float(c)
    return v * c


def _apply(form, vals):
    acc = None
    for i, c in form:
        t = vals[i] if c == 1 else -vals[i] if c == -1 else _scale(vals[i], c)
        acc = t if acc is None else acc + t
    return 0 if acc is None else acc


# ------------------------------------------------------------------ pair elimination
def _key(i, ci, j, cj):
    """Pair key with i < j: (i, j, cj / ci); a row holding ci at i gets ci * fresh."""
    return (i, j, _ratio(ci, cj)) if i < j else (j, i, _ratio(cj, ci))


def _eliminate(rows, inputs, rng=None, slack=0.0):
    """Pair elimination on ``rows`` (list of dicts index -> coefficient); returns (fresh, rows).

    ``rng`` None: the most frequent pair, ties broken by the smallest key.
    Otherwise each choice is, with probability ``slack``, a pair drawn among
    all pairs that occur at least twice with weight (occurrences)**3, and
    otherwise one of the most frequent pairs drawn uniformly.
    """
    rows = [dict(r) for r in rows]
    pairs: dict = {}
    for r, row in enumerate(rows):
        items = sorted(row.items())
        for a in range(len(items)):
            i, ci = items[a]
            for b in range(a + 1, len(items)):
                j, cj = items[b]
                pairs.setdefault(_key(i, ci, j, cj), set()).add(r)
    fresh = []
    nxt = inputs
    while True:
        best = max((len(s) for s in pairs.values()), default=0)
        if best < 2:
            break
        if rng is None:
            key = min(k for k, s in pairs.items() if len(s) == best)
        elif slack and rng.random() < slack:
            cands = [k for k, s in pairs.items() if len(s) >= 2]
            weights = np.array([len(pairs[k]) for k in cands], dtype=float) ** 3
            key = cands[int(rng.choice(len(cands), p=weights / weights.sum()))]
        else:
            cands = [k for k, s in pairs.items() if len(s) == best]
            key = cands[int(rng.integers(len(cands)))]
        i, j, ratio = key
        t = nxt
        nxt += 1
        fresh.append(((i, 1), (j, ratio)))
        for r in list(pairs[key]):
            row = rows[r]
            a = row[i]
            for k, ck in row.items():
                for (p, cp) in ((i, a), (j, row[j])):
                    if k == p:
                        continue
                    s = pairs.get(_key(p, cp, k, ck))
                    if s is not None:
                        s.discard(r)
                        if not s:
                            del pairs[_key(p, cp, k, ck)]
            del row[i], row[j]
            for k, ck in row.items():
                pairs.setdefault(_key(k, ck, t, a), set()).add(r)
            row[t] = a
        pairs.pop(key, None)
    return fresh, rows


def _rows_of(matrix):
    return [{j: _coef(c) for j, c in enumerate(row) if c != 0} for row in matrix]


def _transpose(fresh, rows, inputs):
    """Tellegen's transposition: from a program for M (``inputs`` originals) one for M^T, as (fresh, rows).

    The program's graph with its edges reversed: the rows of M become the
    originals, fresh variable k becomes fresh variable ``len(fresh) - 1 - k``
    (the sum of what it fed), the originals become the rows. A graph with E
    edges, F fresh nodes, p nonzero rows and q used originals costs E - F - p
    additions and its transpose E - F - q, so both programs are equally good
    up to the constant p - q. Fresh variables of one term are inlined.
    """
    p, F = len(rows), len(fresh)
    out = [[] for _ in range(inputs + F)]
    for k, form in enumerate(fresh):
        for i, c in form:
            out[i].append((p + F - 1 - k, c))
    for r, form in enumerate(rows):
        for i, c in (form.items() if isinstance(form, dict) else form):
            out[i].append((r, c))
    new_fresh = [out[inputs + k] for k in reversed(range(F))]
    new_rows = [out[i] for i in range(inputs)]
    # inline fresh variables of a single term; split longer ones into a chain of sums of two
    # (c0 x0 + c1 x1 + c2 x2 = c0 * ((x0 + (c1/c0) x1) + (c2/c0) x2)), renumbering
    subst, kept = {}, []
    for k, form in enumerate(new_fresh):
        form = _substitute(form, subst)
        if len(form) == 1:
            subst[p + k] = form
            continue
        (i0, c0), rest = form[0], form[1:]
        prev = i0
        for j, c in rest:
            kept.append(((prev, 1), (j, _ratio(c0, c))))
            prev = p + len(kept) - 1
        subst[p + k] = [(prev, c0)]
    return kept, [dict(_substitute(form, subst)) for form in new_rows]


def _substitute(form, subst):
    acc: dict = {}
    for i, c in form:
        for j, d in subst.get(i, [(i, 1)]):
            acc[j] = _coef(Fraction(acc.get(j, 0)) + Fraction(c) * Fraction(d))
    return [(j, c) for j, c in acc.items() if c != 0]


def _linear_program(matrix, inputs, rng, restarts, deadline, slack=0.5) -> LinearProgram:
    rows = _rows_of(matrix)
    nrows = len(rows)
    # the transposed problem: reduce M^T, transpose the program back (it finds other sharings)
    trows = [{} for _ in range(inputs)]
    for r, row in enumerate(rows):
        for j, c in row.items():
            trows[j][r] = c
    best = None
    for attempt in range(restarts):
        if attempt and deadline is not None and time.perf_counter() > deadline:
            break
        # passes: deterministic greedy on M, then on M^T; then randomised ones alternating between M and M^T,
        # between ties at random and the weighted choice with slack
        transposed = attempt % 2 == 1
        g = None if attempt < 2 else rng
        sl = slack if (attempt // 2) % 2 else 0.0
        if transposed:
            tf, tr = _eliminate(trows, nrows, g, sl)
            fresh, out = _transpose(tf, tr, nrows)
        else:
            fresh, out = _eliminate(rows, inputs, g, sl)
        cost = sum(len(f) - 1 for f in fresh) + sum(len(r) - 1 for r in out if r)
        if best is None or cost < best[0]:
            best = (cost, fresh, out)
    _, fresh, out = best
    return LinearProgram(inputs, tuple(tuple(f) for f in fresh),
                         tuple(tuple(sorted(r.items(), key=lambda t: -t[0])) for r in out))


# ------------------------------------------------------------------ the program
class StraightLineProgram:
    """A scheme computed with shared sums: three :class:`LinearProgram` sides.

    Build one with :func:`reduce_additions` or :func:`program_from_reduced_json`;
    the constructor checks it exactly against ``scheme`` (``ValueError`` naming
    the side that does not expand to its factor).

    Parameters
    ----------
    scheme : Scheme
        The scheme the program computes (verified exactly over its ring).
    u, v : LinearProgram
        Left and right operands: ``u.inputs == nU``, ``len(u.rows) == R`` (likewise v).
    w : LinearProgram
        Outputs from products: ``w.inputs == R``, ``len(w.rows) == nW`` (output order).
    """

    def __init__(self, scheme: Scheme, u: LinearProgram, v: LinearProgram, w: LinearProgram):
        check_instance(scheme, "scheme", Scheme)
        for name, side in (("u", u), ("v", v), ("w", w)):
            check_instance(side, name, LinearProgram)
        self.scheme, self.u, self.v, self.w = scheme, u, v, w
        problem = self.check()
        if problem:
            raise ValueError(problem)

    @property
    def additions(self) -> int:
        """Additions and subtractions of the whole program."""
        return self.u.additions + self.v.additions + self.w.additions

    @property
    def naive(self) -> int:
        """The scheme's naive count (Perminov's definition)."""
        return additive_complexity(self.scheme)

    def sides(self) -> dict:
        """Additions per side: ``{"u": .., "v": .., "w": ..}``."""
        return {"u": self.u.additions, "v": self.v.additions, "w": self.w.additions}

    def check(self) -> str:
        """Exact check: '' when the scheme verifies and each side expands to U, V, W^T; else the reason."""
        s = self.scheme
        ver = s.verify()
        if not ver:
            return f"scheme: does not verify over {s.ring}: {ver.describe()}"
        nU, nV, nW = s.dims
        targets = {"u": (self.u, nU, s.rank, s.u), "v": (self.v, nV, s.rank, s.v),
                   "w": (self.w, s.rank, nW, np.asarray(s.w, dtype=object).T)}
        p = s.ring.characteristic if s.ring.is_finite_field else 0
        for name, (side, inputs, nrows, want) in targets.items():
            if side.inputs != inputs:
                return f"{name}: expected {inputs} original variables, got {side.inputs}"
            if len(side.rows) != nrows:
                return f"{name}: expected {nrows} rows, got {len(side.rows)}"
            got = side.expand()
            for r in range(nrows):
                for j in range(inputs):
                    a, b = Fraction(got[r][j]), Fraction(want[r][j])
                    if (a != b) if not p else (a.denominator != 1 or (a.numerator - int(b)) % p):
                        return (f"{name}: row {r} expands to coefficient {got[r][j]} at index {j}, "
                                f"the scheme has {want[r][j]}")
        return ""

    def __bool__(self) -> bool:       # a constructed program is always exact
        return True

    def __repr__(self) -> str:
        return (f"StraightLineProgram({self.scheme.tc.label()} rank {self.scheme.rank} over {self.scheme.ring}: "
                f"{self.additions} additions, naive {self.naive})")

    # ---------------------------------------------------------- evaluation
    def evaluate(self, x, y):
        """The outputs for parameter vectors ``x``, ``y`` (lists or arrays whose first axis is the parameter).

        Works on anything that adds, subtracts and multiplies (numbers,
        numpy blocks along a leading axis, Fractions).
        """
        a = self.u.evaluate(list(x))
        b = self.v.evaluate(list(y))
        m = [p * q for p, q in zip(a, b)]
        return self.w.evaluate(m)

    # ---------------------------------------------------------- text
    def to_text(self) -> str:
        """The program as readable lines: fresh sums, products, fresh partial sums, outputs."""
        s = self.scheme
        xs, ys, zs = input_names(s.tc, 0), input_names(s.tc, 1), output_names(s.tc)
        lines = [f"# {s.tc.label()} rank {s.rank} over {s.ring}: {self.additions} additions "
                 f"(A {self.u.additions}, B {self.v.additions}, C {self.w.additions}; naive {self.naive})"]
        xn = list(xs) + [f"s{k + 1}" for k in range(len(self.u.fresh))]
        yn = list(ys) + [f"t{k + 1}" for k in range(len(self.v.fresh))]
        mn = [f"m{r + 1}" for r in range(s.rank)] + [f"q{k + 1}" for k in range(len(self.w.fresh))]
        for k, f in enumerate(self.u.fresh):
            lines.append(f"s{k + 1} = {_text(f, xn)}")
        for k, f in enumerate(self.v.fresh):
            lines.append(f"t{k + 1} = {_text(f, yn)}")
        for r in range(s.rank):
            lines.append(f"m{r + 1} = ({_text(self.u.rows[r], xn)})({_text(self.v.rows[r], yn)})")
        for k, f in enumerate(self.w.fresh):
            lines.append(f"q{k + 1} = {_text(f, mn)}")
        for g, z in enumerate(zs):
            lines.append(f"{z} = {_text(self.w.rows[g], mn)}")
        return "\n".join(lines) + "\n"

    # ---------------------------------------------------------- files
    def to_reduced_json(self) -> str:
        """Perminov's reduced JSON (``w`` rows in his cyclic order for ``gg``), plus ``format`` and ``tensor``."""
        s = self.scheme
        order = _cyclic_order(s) if s.code == "gg" else list(range(s.dims[2]))
        wrows = [self.w.rows[g] for g in order]
        z2 = s.ring is Ring.F2
        data_head = {"format": PROGRAM_FORMAT, "tensor": s.code, "n": list(s.n), "m": s.rank, "ring": s.ring.value,
                     "z2": z2, "complexity": {"naive": self.naive, "reduced": self.additions}}
        parts = [json.dumps(data_head)[:-1]]
        for name, forms in (("u_fresh", self.u.fresh), ("u", self.u.rows), ("v_fresh", self.v.fresh),
                            ("v", self.v.rows), ("w_fresh", self.w.fresh), ("w", wrows)):
            body = ",\n".join("    " + _form_json(f) for f in forms)
            parts.append(f'"{name}": [\n{body}\n  ]' if forms else f'"{name}": []')
        return parts[0] + ",\n  " + ",\n  ".join(parts[1:]) + "\n}\n"


def _cyclic_order(s: Scheme) -> list:
    """Output indices (ours, i*n3 + k) listed in the cyclic order k*n1 + i."""
    n1, _, n3 = s.n
    return [i * n3 + k for k in range(n3) for i in range(n1)]


def _form_json(form) -> str:
    return "[" + ", ".join(f'{{"index": {i}, "value": {json.dumps(c if isinstance(c, int) else str(c))}}}'
                           for i, c in form) + "]"


def _text(form, names) -> str:
    from .equations import _linear
    if not form:
        return "0"
    coefs = {}
    for i, c in form:
        coefs[i] = coefs.get(i, 0) + c
    idx = list(coefs)
    return _linear([coefs[i] for i in idx], [names[i] for i in idx])


# ------------------------------------------------------------------ reading Perminov's reduced JSON
def _forms(data, key, where):
    raw = data.get(key)
    if not isinstance(raw, list):
        raise ValueError(f"{where}: '{key}': expected a list of sparse forms, got {type(raw).__name__}")
    out = []
    for r, form in enumerate(raw):
        if not isinstance(form, list):
            raise ValueError(f"{where}: '{key}' entry {r}: expected a list of {{index, value}} objects")
        terms = []
        for t in form:
            if not isinstance(t, dict) or "index" not in t or "value" not in t:
                raise ValueError(f"{where}: '{key}' entry {r}: expected {{\"index\": i, \"value\": c}}, got {t!r}")
            i = t["index"]
            if isinstance(i, bool) or not isinstance(i, int) or i < 0:
                raise ValueError(f"{where}: '{key}' entry {r}: index {i!r} is not an integer >= 0")
            try:
                c = _coef(t["value"])
            except (TypeError, ValueError, ZeroDivisionError):
                raise ValueError(f"{where}: '{key}' entry {r}: value {t['value']!r} is not a number") from None
            if c != 0:
                terms.append((i, c))
        out.append(tuple(terms))
    return tuple(out)


def program_from_reduced_json(data, *, ring=None, source: str = "<reduced json>") -> StraightLineProgram:
    """Read Perminov's reduced JSON (a dict or its text): expand the fresh variables, verify, keep the program.

    The ``w`` rows are read in the cyclic order ``k*n1 + i`` or, failing
    that, in the output order ``i*n3 + k``: whichever verifies exactly. The
    ring is ``ring`` if given, else the one the coefficients imply (ZT for
    {-1, 0, 1}, Z, Q), falling back to F2 (``z2`` files) or F3.

    Raises
    ------
    ValueError
        Naming the key and entry of a malformed form, or saying that the
        program verifies in no convention.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> p = reduce_additions(strassen_scheme("ZT"))
    >>> q = program_from_reduced_json(p.to_reduced_json())
    >>> q.additions == p.additions and q.scheme == p.scheme
    True
    """
    from .importers import _build_candidates
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{source}: not JSON: line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
    n = data.get("n")
    if isinstance(n, int) and not isinstance(n, bool):
        n = [n, n, n]
    if not (isinstance(n, list) and len(n) == 3 and all(isinstance(k, int) and not isinstance(k, bool) and k >= 1
                                                        for k in n)):
        raise ValueError(f"{source}: 'n': expected three sizes [n1, n2, n3], got {n!r}")
    m = data.get("m")
    n1, _, n3 = n
    code = data.get("tensor", "gg")
    try:
        nu, nv, nw = tensor_code(code, tuple(n)).dims
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: 'tensor': {exc}") from None
    sides = {}
    for name, inputs in (("u", nu), ("v", nv), ("w", m)):
        fresh = _forms(data, f"{name}_fresh", source) if f"{name}_fresh" in data else ()
        rows = _forms(data, name, source)
        try:
            sides[name] = LinearProgram(inputs, fresh, rows)
        except ValueError as exc:
            raise ValueError(f"{source}: '{name}': {exc}") from None
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise ValueError(f"{source}: 'm': expected the rank (an integer >= 1), got {m!r}")
    for name, want in (("u", m), ("v", m), ("w", nw)):
        if len(sides[name].rows) != want:
            raise ValueError(f"{source}: '{name}': expected {want} rows, got {len(sides[name].rows)}")
    U = np.array(sides["u"].expand(), dtype=object).reshape(m, nu)
    V = np.array(sides["v"].expand(), dtype=object).reshape(m, nv)
    Wt = np.array(sides["w"].expand(), dtype=object).reshape(nw, m)
    if ring is None and data.get("ring") is not None:
        ring = data["ring"]
    cyc = [i * n3 + k for k in range(n3) for i in range(n1)]       # row q of the file is output cyc[q]
    orders = [("output order i*n3+k" if code == "gg" else "output order", list(range(nw)))]
    if code == "gg":
        orders.insert(0, ("cyclic order k*n1+i", cyc))
    reasons = []
    for label, order in orders:
        W = np.empty((m, nw), dtype=object)
        for q, g in enumerate(order):
            W[:, g] = Wt[q]
        try:
            scheme, why = _build_candidates(n, U, V, W, ring, data.get("z2") is True, code)
        except (TypeError, ValueError) as exc:
            scheme, why = None, str(exc)
        if scheme is None:
            reasons.append(f"{label}: {why}")
            continue
        wrows = [None] * nw
        for q, g in enumerate(order):
            wrows[g] = sides["w"].rows[q]
        w = LinearProgram(m, sides["w"].fresh, tuple(wrows))
        return StraightLineProgram(scheme, sides["u"], sides["v"], w)
    raise ValueError(f"{source}: the program verifies in no convention ({'; '.join(reasons)})")


def load_program(path, *, ring=None) -> StraightLineProgram:
    """Read a reduced-JSON file (Perminov's or ours) with :func:`program_from_reduced_json`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return program_from_reduced_json(text, ring=ring, source=str(path))


def is_program_file(path) -> bool:
    """True when ``path`` holds a JSON object with ``u_fresh`` (a reduced-JSON program)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "u_fresh" in data


def store_program(program: StraightLineProgram, folder, stem: str) -> tuple[Path, bool]:
    """Write ``program`` as ``<stem>_reduced.json`` into ``folder`` without replacing any file; ``(path, written)``.

    A file of that name holding the same program (same sides) is kept; a
    different one gives this program a content-hash suffix.
    """
    import hashlib

    from .io import _create_new, output_folder
    check_instance(program, "program", StraightLineProgram)
    folder = output_folder(folder, "folder")
    text = program.to_reduced_json()
    digest = hashlib.sha1(text.encode()).hexdigest()
    for tag in ("", f"_{digest[:8]}", f"_{digest[:16]}", f"_{digest}"):
        target = folder / f"{stem}{tag}_reduced.json"
        try:
            if target.read_text(encoding="utf-8") == text:
                return target, False
        except (OSError, UnicodeDecodeError):
            pass
        if not target.exists() and _create_new(target, text):
            return target, True
    raise ValueError(f"folder: every name for {stem}_reduced.json in {folder} is taken by other files")


# ------------------------------------------------------------------ the reducer
def reduce_additions(scheme: Scheme, *, restarts: int = 32, time_limit: float | None = None, rng=None,
                     sandwiches: int = 0, slack: float = 0.5) -> StraightLineProgram:
    """A verified straight-line program for ``scheme`` with few additions (common-subexpression reduction).

    Parameters
    ----------
    scheme : Scheme
        Any verified scheme (every ring; coefficients other than +-1 are free scalings).
    restarts : int
        Pair-elimination passes per side (the first deterministic greedy, the
        others randomised); default 32.
    time_limit : float, optional
        Seconds: passes and sandwich steps stop when it runs out (at least one
        pass per side runs). The time left for the passes is shared between
        the three sides: each gets an equal part of what the sides before it
        left (with ``restarts`` large, the limit decides the passes).
    rng : None, int, SeedSequence or Generator
    sandwiches : int
        Steps of a walk over the scheme's sandwich orbit (``gg`` over ZT,
        F3 or F2): each step moves the cheapest scheme so far by one to three
        random elementary sandwiches and keeps the result when its reduced
        count is no larger. 0 (default): reduce ``scheme`` as it is.
    slack : float
        Probability, per choice of a weighted pass (every other randomised
        pass), of drawing the pair among all pairs occurring at least twice
        (weight: occurrences cubed) instead of among the most frequent.

    Returns
    -------
    StraightLineProgram
        Checked exactly. Its ``scheme`` is ``scheme`` itself unless
        ``sandwiches`` found a cheaper one of the same rank in its orbit.

    Examples
    --------
    >>> from linalg_lab.schemes import naive_scheme
    >>> p = reduce_additions(naive_scheme("gg", "2x2x2", "ZT"))
    >>> p.additions, p.naive
    (4, 4)
    """
    from .transforms import random_sandwich

    check_instance(scheme, "scheme", Scheme)
    restarts = check_int(restarts, "restarts", minimum=1)
    sandwiches = check_int(sandwiches, "sandwiches", minimum=0)
    slack = check_real(slack, "slack", minimum=0.0, maximum=1.0)
    if time_limit is not None:
        time_limit = check_real(time_limit, "time_limit", minimum=0.0, strict_minimum=True)
    g = check_rng(rng)
    ver = scheme.verify()
    if not ver:
        raise ValueError(f"scheme: expected a scheme that verifies over {scheme.ring}, got: {ver.describe()}")
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    if sandwiches and scheme.code == "gg" and scheme.ring in (Ring.ZT, Ring.F2, Ring.F3):
        quick = max(1, min(4, restarts))
        best, cost = scheme, _program(scheme, g, quick, None, slack).additions
        for _ in range(sandwiches):
            if deadline is not None and time.perf_counter() > deadline:
                break
            cand = random_sandwich(best, g, int(g.integers(1, 4)))
            c = _program(cand, g, quick, None, slack).additions
            if c <= cost:
                best, cost = cand, c
        scheme = best
    return _program(scheme, g, restarts, deadline, slack)


def _program(scheme, g, restarts, deadline, slack) -> StraightLineProgram:
    """The three sides reduced in turn; a deadline is shared out: each side gets an equal part of what is left."""
    nU, nV, nW = scheme.dims
    R = scheme.rank
    sides = []
    for k, (matrix, inputs) in enumerate(((scheme.u, nU), (scheme.v, nV),
                                          (np.asarray(scheme.w, dtype=object).T, R))):
        part = None if deadline is None else time.perf_counter() + (deadline - time.perf_counter()) / (3 - k)
        sides.append(_linear_program(matrix, inputs, g, restarts, part, slack))
    return StraightLineProgram(scheme, *sides)
