"""Generated code for a scheme: a recursive fast matrix multiplication in plain numpy.

:func:`python_source` writes a standalone Python module (numpy only) that
applies a scheme's reduced straight-line program
(:func:`~linalg_lab.schemes.program.reduce_additions`) recursively: one
level splits ``A`` (m x k) into ``n1 x n2`` blocks and ``B`` (k x n) into
``n2 x n3`` blocks, forms the shared sums, computes the R block products
(recursively, with ``matmul`` below the last level or below ``cutoff``) and
assembles ``C`` from the shared partial sums of products. Sizes that the
format does not divide are padded with zeros to the next multiple at each
level (the padding is cut off again), so any compatible shapes work.
:func:`compile` executes that source and returns the function, so the
callable and the written file are the same code.

:func:`c_source` writes the same recursion as standalone C99 for ``double``
and ``int64`` (no BLAS: a blocked triple loop below the cutoff; the rows,
columns and inner slices the format does not divide are peeled off rather
than padded; a product's buffer is reused once its last use is past), and
:func:`compile_c` compiles it with the system C compiler and calls it
through ctypes.

Exactness: on integer arrays (every integer dtype, computed in that dtype as
``numpy.matmul`` does) the result equals ``A @ B`` whenever no intermediate
overflows; the schemes must have integer coefficients (``ZT`` or ``Z``) for
that. On floating arrays the error obeys the usual bound of Strassen-like
algorithms; :func:`error_bound` states the one the tests use.

Examples
--------
>>> import numpy as np
>>> from linalg_lab.schemes import strassen_scheme
>>> f = compile(strassen_scheme("ZT"), levels=2, cutoff=1)
>>> A = np.arange(35).reshape(5, 7); B = np.arange(42).reshape(7, 6) - 20
>>> bool(np.array_equal(f(A, B), A @ B))
True
"""

from __future__ import annotations

import builtins
from fractions import Fraction

import numpy as np

from ..fields.rings import Ring
from ..validation import check_instance, check_int
from .program import StraightLineProgram, reduce_additions
from .scheme import Scheme


def _program_of(scheme) -> StraightLineProgram:
    if isinstance(scheme, StraightLineProgram):
        prog = scheme
    else:
        check_instance(scheme, "scheme", (Scheme, StraightLineProgram))
        prog = None
    s = prog.scheme if prog is not None else scheme
    if s.code != "gg":
        raise ValueError(f"scheme: code generation is for general products (gg), got {s.code}")
    if s.ring in (Ring.F2, Ring.F3):
        raise ValueError(f"scheme: a scheme over {s.ring} is not a scheme over the integers or reals; "
                         "lift it first (ZT, Z or Q)")
    return prog if prog is not None else reduce_additions(s, restarts=16, rng=0)


def _term(c, name) -> tuple[str, str]:
    """(sign, text) of ``c * name``."""
    if c == 1:
        return "+", name
    if c == -1:
        return "-", name
    c = Fraction(c)
    mag = abs(c)
    lit = str(mag.numerator) if mag.denominator == 1 else f"({mag.numerator} / {mag.denominator})"
    return ("-" if c < 0 else "+"), f"{lit} * {name}"


def _expr(form, names) -> str:
    if not form:
        return "0"
    out = ""
    for k, (i, c) in enumerate(form):
        sign, text = _term(c, names[i])
        out += (("-" if sign == "-" else "") + text) if k == 0 else f" {sign} {text}"
    return out


def python_source(scheme, *, name: str = "multiply", levels: int = 1, cutoff: int = 64) -> str:
    """Standalone Python (numpy) source of ``name(A, B, levels=1, cutoff=64)`` applying ``scheme`` recursively.

    Parameters
    ----------
    scheme : Scheme or StraightLineProgram
        A ``gg`` scheme over ZT, Z or Q (reduced first when a Scheme is given),
        or its program.
    name : str
        Name of the function (a Python identifier).
    levels, cutoff : int
        Defaults of the generated function's ``levels`` and ``cutoff``.

    Returns
    -------
    str
        The module's text; it imports only numpy.
    """
    levels = check_int(levels, "levels", minimum=0)
    cutoff = check_int(cutoff, "cutoff", minimum=1)
    prog = _program_of(scheme)
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name: expected a Python identifier, got {name!r}")
    s = prog.scheme
    n1, n2, n3 = s.n
    R = s.rank
    needs_fraction = any(isinstance(c, Fraction) for side in (prog.u, prog.v, prog.w)
                         for form in side.fresh + side.rows for _, c in form)
    xa = [f"a{i}{j}" for i in range(n1) for j in range(n2)] + [f"s{k}" for k in range(len(prog.u.fresh))]
    yb = [f"b{j}{k}" for j in range(n2) for k in range(n3)] + [f"t{k}" for k in range(len(prog.v.fresh))]
    mm = [f"m{r}" for r in range(R)] + [f"q{k}" for k in range(len(prog.w.fresh))]
    L = [
        f'"""Fast matrix multiplication: {s.tc.label()} rank {R} over {s.ring}, {prog.additions} additions per level.',
        "",
        "Generated by linalg-lab (linalg_lab.schemes.codegen.python_source). Exact on integer arrays",
        "(computed in their dtype, as numpy.matmul does); on floats within a Strassen-like error bound.",
        '"""',
        "",
        "import numpy as np",
        "",
        f"FORMAT = ({n1}, {n2}, {n3})",
        f"RANK = {R}",
        "",
        "",
        f"def {name}(A, B, levels={levels}, cutoff={cutoff}):",
        f'    """A @ B by the scheme, ``levels`` times recursively; numpy.matmul below ``cutoff`` (any side)."""',
        "    A = np.asarray(A)",
        "    B = np.asarray(B)",
        "    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:",
        "        raise ValueError(f'A, B: expected matrices of compatible shapes, got {A.shape} and {B.shape}')",
        "    dtype = np.result_type(A, B)",
        "    if dtype.kind not in 'iuf':",
        "        raise TypeError(f'A, B: expected integer or floating arrays, got dtype {dtype}')",
        "    return _rec(A.astype(dtype, copy=False), B.astype(dtype, copy=False), int(levels), int(cutoff))",
        "",
        "",
        "def _rec(A, B, levels, cutoff):",
        "    m, k = A.shape",
        "    n = B.shape[1]",
        "    if levels <= 0 or min(m, k, n) < max(cutoff, 1) or m < FORMAT[0] or k < FORMAT[1] or n < FORMAT[2]:",
        "        return A @ B",
        f"    bm, bk, bn = -(-m // {n1}), -(-k // {n2}), -(-n // {n3})",
        f"    if (bm * {n1}, bk * {n2}) != (m, k):",
        f"        P = np.zeros((bm * {n1}, bk * {n2}), dtype=A.dtype)",
        "        P[:m, :k] = A",
        "        A = P",
        f"    if (bk * {n2}, bn * {n3}) != (k, n):",
        f"        P = np.zeros((bk * {n2}, bn * {n3}), dtype=B.dtype)",
        "        P[:k, :n] = B",
        "        B = P",
    ]
    for i in range(n1):
        for j in range(n2):
            L.append(f"    a{i}{j} = A[{i} * bm:{i + 1} * bm, {j} * bk:{j + 1} * bk]")
    for j in range(n2):
        for k in range(n3):
            L.append(f"    b{j}{k} = B[{j} * bk:{j + 1} * bk, {k} * bn:{k + 1} * bn]")
    base = n1 * n2
    for k, form in enumerate(prog.u.fresh):
        L.append(f"    {xa[base + k]} = {_expr(form, xa)}")
    base = n2 * n3
    for k, form in enumerate(prog.v.fresh):
        L.append(f"    {yb[base + k]} = {_expr(form, yb)}")
    for r in range(R):
        L.append(f"    m{r} = _rec({_expr(prog.u.rows[r], xa)}, {_expr(prog.v.rows[r], yb)}, levels - 1, cutoff)")
    for k, form in enumerate(prog.w.fresh):
        L.append(f"    q{k} = {_expr(form, mm)}")
    L.append(f"    C = np.empty((bm * {n1}, bn * {n3}), dtype=A.dtype)")
    for i in range(n1):
        for k in range(n3):
            form = prog.w.rows[i * n3 + k]
            L.append(f"    C[{i} * bm:{i + 1} * bm, {k} * bn:{k + 1} * bn] = {_expr(form, mm)}")
    L.append("    return C[:m, :n]")
    text = "\n".join(L) + "\n"
    if needs_fraction:
        text = text.replace('"""\n\nimport numpy as np', '"""\n\nimport numpy as np\n\n# rational coefficients '
                            'are written as (p / q): floats only', 1)
    return text


def compile(scheme, levels: int = 1, cutoff: int = 64, *, name: str = "multiply"):  # noqa: A001 - the issue's name
    """A callable ``f(A, B)`` computing ``A @ B`` with ``scheme`` applied recursively ``levels`` times.

    Parameters
    ----------
    scheme : Scheme or StraightLineProgram
        A ``gg`` scheme over ZT, Z or Q (reduced by
        :func:`~linalg_lab.schemes.program.reduce_additions` when a Scheme is given).
    levels : int
        Recursion levels (0: plain ``numpy.matmul``).
    cutoff : int
        Below this size (any of m, k, n of a block product) ``numpy.matmul`` is used.

    Returns
    -------
    callable
        ``f(A, B)`` for integer or floating 2-D arrays of compatible shapes
        (any sizes: padded to the format at each level); the result has
        ``numpy.result_type(A, B)``. Its ``__source__`` is the generated module.
        Rational coefficients (schemes over Q) are for floating arrays only.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.schemes import strassen_scheme
    >>> f = compile(strassen_scheme("ZT"), levels=1, cutoff=1)
    >>> A = np.eye(3); B = np.arange(9.0).reshape(3, 3)
    >>> bool(np.allclose(f(A, B), B))
    True
    """
    levels = check_int(levels, "levels", minimum=0)
    cutoff = check_int(cutoff, "cutoff", minimum=1)
    prog = _program_of(scheme)
    src = python_source(prog, name=name)
    env: dict = {"__name__": f"linalg_lab_generated_{name}", "__builtins__": builtins}
    exec(builtins.compile(src, f"<linalg-lab {prog.scheme.tc.label()} r{prog.scheme.rank}>", "exec"), env)
    inner = env[name]
    rational = any(isinstance(c, Fraction) for side in (prog.u, prog.v, prog.w)
                   for form in side.fresh + side.rows for _, c in form)

    def f(A, B):
        A = np.asarray(A)
        B = np.asarray(B)
        if rational and levels and np.result_type(A, B).kind != "f":
            raise TypeError("A, B: this scheme has rational coefficients: give floating arrays")
        return inner(A, B, levels, cutoff)

    f.__source__ = src
    f.__doc__ = f"A @ B by {prog.scheme.tc.label()} rank {prog.scheme.rank} ({prog.additions} additions), " \
                f"{levels} level(s), matmul below {cutoff}."
    f.program = prog
    return f


def error_bound(scheme, A, B, levels: int) -> float:
    """A bound on ``max |f(A, B) - A @ B|`` for floating arrays, the one the tests use.

    ``(k + 1) * eps * max|A| * max|B| * k * (gu * gv * gw) ** levels``, with
    ``gu``, ``gv`` the largest row 1-norm of U, V (growth of the operands per
    level), ``gw`` the largest column 1-norm of W, ``k`` the inner size and
    ``eps`` the unit roundoff of the result's dtype: the classical bound for
    ``matmul`` scaled by the growth of the entries through the levels
    (Higham, *Accuracy and Stability of Numerical Algorithms*, sec. 23.2.2).
    """
    prog = _program_of(scheme)
    s = prog.scheme
    A, B = np.asarray(A), np.asarray(B)
    k = A.shape[1]
    gu = max(sum(abs(Fraction(c)) for c in row) for row in s.u)
    gv = max(sum(abs(Fraction(c)) for c in row) for row in s.v)
    gw = max(sum(abs(Fraction(c)) for c in col) for col in np.asarray(s.w, dtype=object).T)
    eps = np.finfo(np.result_type(A, B, np.float16)).eps
    return float((k + 1) * eps * np.abs(A).max(initial=0) * np.abs(B).max(initial=0) * k
                 * float(gu * gv * gw) ** levels)


# ------------------------------------------------------------------ C
_C_TYPES = {"f64": ("double", "double"), "i64": ("uint64_t", "int64_t")}


def _c_lit(c, ctype) -> str:
    """Magnitude literal of coefficient ``c`` (not +-1) in the generated C type."""
    c = abs(Fraction(c))
    if c.denominator == 1:
        return f"(({ctype}){c.numerator})"
    return f"(({ctype}){c.numerator}.0 / {c.denominator}.0)"


def _c_sum(form, refs, ctype) -> str:
    """Right-hand side ``sum c * p_v[j]`` of a block loop; ``refs[i]`` names the row pointer of variable i."""
    out = ""
    for k, (i, c) in enumerate(form):
        neg = Fraction(c) < 0
        term = f"{refs[i]}[j]" if abs(Fraction(c)) == 1 else f"{_c_lit(c, ctype)} * {refs[i]}[j]"
        out += (("-" if neg else "") + term) if k == 0 else (f" - {term}" if neg else f" + {term}")
    return out


def _c_block_loop(dst, form, vars_, rows, cols, ctype, indent="    ") -> list:
    """Lines computing block ``dst = sum c * var`` elementwise; ``vars_[i]`` = (pointer, leading dimension)."""
    used = sorted({i for i, _ in form})
    refs = {i: f"p{n}" for n, i in enumerate(used)}
    L = [f"{indent}for (int64_t i = 0; i < {rows}; i++) {{",
         f"{indent}    {ctype} *restrict d = {dst[0]} + i * {dst[1]};"]
    for i in used:
        L.append(f"{indent}    const {ctype} *restrict {refs[i]} = {vars_[i][0]} + i * {vars_[i][1]};")
    body = _c_sum(form, refs, ctype) if form else f"({ctype})0"
    L.append(f"{indent}    for (int64_t j = 0; j < {cols}; j++) d[j] = {body};")
    L.append(f"{indent}}}")
    return L


def _schedule(prog):
    """Order of the output side: after each product, the fresh sums and outputs that became computable.

    Returns ``(events, slots, last)``: ``events[r]`` lists ("q", k) / ("z", g) ready after product r;
    ``slots`` maps each product and fresh sum to a buffer slot (slots reused once their value is dead);
    the number of slots is ``max(slots.values()) + 1``.
    """
    R = prog.scheme.rank
    nq = len(prog.w.fresh)
    deps = {("q", k): {i for i, _ in f} for k, f in enumerate(prog.w.fresh)}
    deps.update({("z", g): {i for i, _ in f} for g, f in enumerate(prog.w.rows)})
    done, events, order = set(), [], []
    pending = [("q", k) for k in range(nq)] + [("z", g) for g in range(len(prog.w.rows))]
    for r in range(R):
        done.add(r)
        ev = []
        progress = True
        while progress:
            progress = False
            for item in list(pending):
                if deps[item] <= done:
                    ev.append(item)
                    pending.remove(item)
                    if item[0] == "q":
                        done.add(R + item[1])
                    progress = True
        events.append(ev)
        order.append(("m", r))
        order.extend(ev)
    # liveness over variable indices (products 0..R-1, fresh sums R..R+nq-1)
    last = {}
    for pos, item in enumerate(order):
        if item[0] != "m":
            for i in deps[item]:
                last[i] = pos
    slots, free, nslots = {}, [], 0
    for pos, item in enumerate(order):
        var = item[1] if item[0] == "m" else (R + item[1] if item[0] == "q" else None)
        if var is not None:
            if free:
                slots[var] = free.pop()
            else:
                slots[var] = nslots
                nslots += 1
        if item[0] != "m":
            for i in deps[item]:
                if last[i] == pos:
                    free.append(slots[i])
        if var is not None and var not in last:       # a product no output uses (never in a valid scheme)
            free.append(slots[var])
    return events, slots, nslots


def c_source(scheme, *, name: str = "multiply", levels: int = 1, cutoff: int = 64) -> str:
    """Standalone C99 source applying ``scheme``'s reduced program recursively, for double and int64.

    The file defines (``NAME`` standing for ``name``)::

        int NAME_f64(const double *A, const double *B, double *C,
                     int64_t m, int64_t k, int64_t n, int levels, int64_t cutoff);
        int NAME_i64(const int64_t *A, const int64_t *B, int64_t *C,
                     int64_t m, int64_t k, int64_t n, int levels, int64_t cutoff);

    for row-major contiguous ``A`` (m x k), ``B`` (k x n) and ``C`` (m x n),
    returning 0, or -1 when a work buffer could not be allocated. Each level
    splits the largest part of the matrices that the format divides into
    ``n1 x n2`` and ``n2 x n3`` blocks, forms the program's shared sums, computes
    the R block products recursively and assembles ``C`` from the shared
    partial sums of products (each product's buffer is reused as soon as its
    last use is past); the rows, columns and inner slices left over are peeled
    off and done by the base kernel, a blocked triple loop, which also runs
    below ``levels`` and whenever ``min(m, k, n) < cutoff``. The integer
    version computes modulo 2**64 (in ``uint64_t``), so it wraps exactly like
    ``numpy.matmul`` on int64 (and, cast down, on every narrower integer type);
    it is only written when the coefficients are integers. ``NAME_LEVELS`` and
    ``NAME_CUTOFF`` are macros with ``levels`` and ``cutoff``.

    Parameters
    ----------
    scheme : Scheme or StraightLineProgram
        A ``gg`` scheme over ZT, Z or Q (reduced first when a Scheme is given), or its program.
    name : str
        Prefix of the functions (a C identifier).
    levels, cutoff : int
        Values of the ``NAME_LEVELS`` and ``NAME_CUTOFF`` macros.

    Returns
    -------
    str
        The source; it needs only the C standard library (``cc -O3 -c``).
    """
    levels = check_int(levels, "levels", minimum=0)
    cutoff = check_int(cutoff, "cutoff", minimum=1)
    prog = _program_of(scheme)
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise ValueError(f"name: expected a C identifier, got {name!r}")
    s = prog.scheme
    n1, n2, n3 = s.n
    R = s.rank
    integral = all(Fraction(c).denominator == 1 for side in (prog.u, prog.v, prog.w)
                   for form in side.fresh + side.rows for _, c in form)
    events, slots, nslots = _schedule(prog)
    nS, nT = len(prog.u.fresh), len(prog.v.fresh)
    up = name.upper()
    L = [f"/* Fast matrix multiplication: {s.tc.label()} rank {R} over {s.ring}, {prog.additions} additions "
         "per level.",
         " *",
         " * Generated by linalg-lab (linalg_lab.schemes.codegen.c_source). Standalone C99:",
         " *   cc -O3 -march=native -shared -fPIC -o libmm.so this_file.c",
         f" * {name}_f64 (double){' and ' + name + '_i64 (int64, computed modulo 2**64 like numpy)' if integral else ''}:",
         " * C = A B for row-major contiguous A (m x k), B (k x n), C (m x n); returns 0, or -1 when out of memory.",
         " */",
         "#include <stdint.h>",
         "#include <stdlib.h>",
         "#include <string.h>",
         "",
         f"#define {up}_LEVELS {levels}",
         f"#define {up}_CUTOFF {cutoff}",
         ""]
    for tag, (ctype, api) in _C_TYPES.items():
        if tag == "i64" and not integral:
            continue
        L += _c_type_block(prog, name, tag, ctype, api, events, slots, nslots, nS, nT)
    return "\n".join(L) + "\n"


def _c_type_block(prog, name, tag, ctype, api, events, slots, nslots, nS, nT) -> list:
    s = prog.scheme
    n1, n2, n3 = s.n
    R = s.rank
    rec = f"{name}_rec_{tag}"
    gemm = f"{name}_gemm_{tag}"
    L = [f"/* ---------------------------------------------------------------- {api} */",
         f"static void {gemm}(const {ctype} *restrict A, int64_t lda, const {ctype} *restrict B, int64_t ldb,",
         f"                   {ctype} *restrict C, int64_t ldc, int64_t m, int64_t k, int64_t n, int acc)",
         "{",
         "    /* C (+)= A B, blocked i-k-j loops (the inner loop runs along rows of B and C); each 128 x 512",
         "       block of B is first copied into a contiguous buffer (strided rows of a power-of-two leading",
         "       dimension would all fall into the same cache sets) */",
         f"    {ctype} pack[128 * 512];",
         "    if (!acc)",
         f"        for (int64_t i = 0; i < m; i++) memset(C + i * ldc, 0, (size_t)n * sizeof({ctype}));",
         "    for (int64_t j0 = 0; j0 < n; j0 += 512) {",
         "        int64_t j1 = j0 + 512 < n ? j0 + 512 : n, w = j1 - j0;",
         "        for (int64_t p0 = 0; p0 < k; p0 += 128) {",
         "            int64_t p1 = p0 + 128 < k ? p0 + 128 : k;",
         "            for (int64_t p = p0; p < p1; p++)",
         f"                memcpy(pack + (p - p0) * w, B + p * ldb + j0, (size_t)w * sizeof({ctype}));",
         "            for (int64_t i = 0; i < m; i++) {",
         f"                {ctype} *restrict c = C + i * ldc + j0;",
         f"                const {ctype} *a = A + i * lda;",
         "                for (int64_t p = p0; p < p1; p++) {",
         f"                    const {ctype} ap = a[p];",
         f"                    const {ctype} *restrict b = pack + (p - p0) * w;",
         "                    for (int64_t j = 0; j < w; j++) c[j] += ap * b[j];",
         "                }",
         "            }",
         "        }",
         "    }",
         "}",
         "",
         f"static int {rec}(const {ctype} *A, int64_t lda, const {ctype} *B, int64_t ldb, {ctype} *C, int64_t ldc,",
         "                  int64_t m, int64_t k, int64_t n, int levels, int64_t cutoff)",
         "{",
         f"    if (levels <= 0 || m < cutoff || k < cutoff || n < cutoff || m < {n1} || k < {n2} || n < {n3}) {{",
         f"        {gemm}(A, lda, B, ldb, C, ldc, m, k, n, 0);",
         "        return 0;",
         "    }",
         f"    const int64_t bm = m / {n1}, bk = k / {n2}, bn = n / {n3};",
         f"    const int64_t m0 = bm * {n1}, k0 = bk * {n2}, n0 = bn * {n3};",
         f"    /* work: {nS} A-side sums (bm x bk), {nT} B-side sums (bk x bn), one operand each side, "
         f"{nslots} product buffers (bm x bn) */",
         f"    const size_t sa = (size_t)(bm * bk), sb = (size_t)(bk * bn), sc = (size_t)(bm * bn);",
         f"    {ctype} *work = ({ctype} *)malloc(({nS + 1} * sa + {nT + 1} * sb + {nslots} * sc) * sizeof({ctype}));",
         "    if (!work) return -1;",
         f"    {ctype} *S = work, *X = S + {nS} * sa, *T = X + sa, *Y = T + {nT} * sb, *M = Y + sb;",
         "    int rc = 0;"]
    # variables of the A side: blocks a_ij (pointer, ld) then fresh s_k
    avars = [(f"(A + {i} * bm * lda + {j} * bk)", "lda") for i in range(n1) for j in range(n2)]
    avars += [(f"(S + {k} * sa)", "bk") for k in range(nS)]
    bvars = [(f"(B + {j} * bk * ldb + {k} * bn)", "ldb") for j in range(n2) for k in range(n3)]
    bvars += [(f"(T + {k} * sb)", "bn") for k in range(nT)]
    base = n1 * n2
    for k, form in enumerate(prog.u.fresh):
        L.append(f"    /* s{k} */")
        L += _c_block_loop(avars[base + k], form, avars, "bm", "bk", ctype)
    base = n2 * n3
    for k, form in enumerate(prog.v.fresh):
        L.append(f"    /* t{k} */")
        L += _c_block_loop(bvars[base + k], form, bvars, "bk", "bn", ctype)
    mvars = {}
    for var, slot in slots.items():
        mvars[var] = (f"(M + {slot} * sc)", "bn")

    def operand(form, vars_, tmp, ld, rows, cols):
        if len(form) == 1 and form[0][1] == 1:
            return vars_[form[0][0]], []
        return (tmp, ld), _c_block_loop((tmp, ld), form, vars_, rows, cols, ctype)

    for r in range(R):
        (xa, xld), lx = operand(prog.u.rows[r], avars, "X", "bk", "bm", "bk")
        (yb, yld), ly = operand(prog.v.rows[r], bvars, "Y", "bn", "bk", "bn")
        L.append(f"    /* m{r} */")
        L += lx + ly
        L.append(f"    if ({rec}({xa}, {xld}, {yb}, {yld}, {mvars[r][0]}, bn, bm, bk, bn, levels - 1, cutoff)) "
                 "{ rc = -1; goto done; }")
        for kind, idx in events[r]:
            if kind == "q":
                L.append(f"    /* q{idx} */")
                L += _c_block_loop(mvars[R + idx], prog.w.fresh[idx], mvars, "bm", "bn", ctype)
            else:
                i, k = divmod(idx, n3)
                L.append(f"    /* C{i}{k} */")
                L += _c_block_loop((f"(C + {i} * bm * ldc + {k} * bn)", "ldc"), prog.w.rows[idx], mvars,
                                   "bm", "bn", ctype)
    L += ["    /* the parts the format does not divide: inner remainder, right columns, bottom rows */",
          f"    if (k0 < k) {gemm}(A + k0, lda, B + k0 * ldb, ldb, C, ldc, m0, k - k0, n0, 1);",
          f"    if (n0 < n) {gemm}(A, lda, B + n0, ldb, C + n0, ldc, m0, k, n - n0, 0);",
          f"    if (m0 < m) {gemm}(A + m0 * lda, lda, B, ldb, C + m0 * ldc, ldc, m - m0, k, n, 0);",
          "done:",
          "    free(work);",
          "    return rc;",
          "}",
          "",
          f"int {name}_{tag}(const {api} *A, const {api} *B, {api} *C, int64_t m, int64_t k, int64_t n,",
          f"{' ' * (len(name) + 9)}int levels, int64_t cutoff)",
          "{",
          "    if (m <= 0 || n <= 0) return 0;",
          "    if (k <= 0) {",
          f"        memset(C, 0, (size_t)(m * n) * sizeof({api}));",
          "        return 0;",
          "    }",
          f"    return {rec}((const {ctype} *)A, k, (const {ctype} *)B, n, ({ctype} *)C, n, m, k, n, levels,"
          " cutoff < 1 ? 1 : cutoff);",
          "}",
          ""]
    return L


def find_c_compiler():
    """The C compiler ``compile_c`` uses: ``$CC`` if set, else the first of cc, gcc, clang on the PATH; None if none."""
    import os
    import shutil

    for cand in ([os.environ["CC"]] if os.environ.get("CC") else []) + ["cc", "gcc", "clang"]:
        found = shutil.which(cand)
        if found:
            return found
    return None


def compile_c(scheme, levels: int = 1, cutoff: int = 64, *, name: str = "multiply", compiler: str | None = None,
              flags=("-O3", "-march=native")):
    """Compile :func:`c_source` with the system C compiler and return ``f(A, B)`` calling it through ctypes.

    Parameters
    ----------
    scheme : Scheme or StraightLineProgram
        As for :func:`c_source`.
    levels, cutoff : int
        Recursion levels and the size below which the base kernel runs.
    name : str
        Prefix of the C functions.
    compiler : str, optional
        Path or name of the compiler (default: :func:`find_c_compiler`).
    flags : sequence of str
        Optimisation flags; when the compiler refuses them the source is
        compiled again with ``-O2`` alone.

    Returns
    -------
    callable
        ``f(A, B)`` for 2-D arrays of compatible shapes: floating arrays are
        computed in double (the result has ``numpy.result_type(A, B)``),
        integer arrays in int64 modulo 2**64 and cast back to the result type,
        which is exactly ``A @ B`` as numpy computes it, wrap-around included.
        Its ``__source__`` is the C text, ``library`` the loaded ctypes library.

    Raises
    ------
    RuntimeError
        No C compiler, or the compilation failed (with the compiler's message).
    """
    import ctypes
    import os
    import subprocess
    import tempfile

    levels = check_int(levels, "levels", minimum=0)
    cutoff = check_int(cutoff, "cutoff", minimum=1)
    prog = _program_of(scheme)
    src = c_source(prog, name=name, levels=levels, cutoff=cutoff)
    cc = compiler or find_c_compiler()
    if cc is None:
        raise RuntimeError("compile_c: no C compiler found (set CC, or install cc, gcc or clang)")
    with tempfile.TemporaryDirectory(prefix="linalg-lab-c-") as tmp:
        cpath, lib = os.path.join(tmp, f"{name}.c"), os.path.join(tmp, f"lib{name}.so")
        with open(cpath, "w", encoding="utf-8") as fh:
            fh.write(src)
        err = ""
        for opts in (list(flags), ["-O2"]):
            run = subprocess.run([cc, *opts, "-std=c99", "-shared", "-fPIC", "-o", lib, cpath],
                                 capture_output=True, text=True)
            if run.returncode == 0:
                break
            err = run.stderr.strip()
        else:
            raise RuntimeError(f"compile_c: {cc} failed: {err}")
        dll = ctypes.CDLL(lib)          # mapped now: the file may go
    integral = f"{name}_i64" in src
    i64 = ctypes.c_int64
    fns = {}
    for tag, ct in (("f64", ctypes.c_double), ("i64", ctypes.c_int64)):
        if tag == "i64" and not integral:
            continue
        fn = getattr(dll, f"{name}_{tag}")
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.POINTER(ct)] * 3 + [i64, i64, i64, ctypes.c_int, i64]
        fns[tag] = (fn, ct)

    def f(A, B):
        A = np.asarray(A)
        B = np.asarray(B)
        if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
            raise ValueError(f"A, B: expected matrices of compatible shapes, got {A.shape} and {B.shape}")
        dtype = np.result_type(A, B)
        if dtype.kind not in "iuf":
            raise TypeError(f"A, B: expected integer or floating arrays, got dtype {dtype}")
        tag = "f64" if dtype.kind == "f" else "i64"
        if tag not in fns:
            raise TypeError("A, B: this scheme has rational coefficients: give floating arrays")
        fn, ct = fns[tag]
        work = np.float64 if tag == "f64" else np.int64
        a = np.ascontiguousarray(A, dtype=work)
        b = np.ascontiguousarray(B, dtype=work)
        m, k = a.shape
        n = b.shape[1]
        c = np.empty((m, n), dtype=work)
        p = ctypes.POINTER(ct)
        rc = fn(a.ctypes.data_as(p), b.ctypes.data_as(p), c.ctypes.data_as(p), m, k, n, levels, cutoff)
        if rc:
            raise MemoryError("the generated C code could not allocate its work buffers")
        return c if c.dtype == dtype else c.astype(dtype)

    f.__source__ = src
    f.library = dll
    f.program = prog
    f.__doc__ = (f"A @ B by {prog.scheme.tc.label()} rank {prog.scheme.rank} ({prog.additions} additions), "
                 f"generated C, {levels} level(s), base kernel below {cutoff}.")
    return f
