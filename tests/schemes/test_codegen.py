"""Generated code: compile() and the written Python module agree with A @ B (exact on integers, bounded on floats)."""

import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linalg_lab.cli import main as cli_main
from linalg_lab.schemes import Scheme, load_scheme, naive_scheme, save_scheme, strassen_scheme
from linalg_lab.schemes.codegen import compile as compile_scheme
from linalg_lab.schemes.codegen import error_bound, python_source
from linalg_lab.schemes.program import reduce_additions

WINOGRAD = reduce_additions(strassen_scheme("ZT"), sandwiches=300, rng=1)       # 15 additions
LADERMAN = load_scheme("schemes/gg/gg-3x3x3-r23-ZT.json")
RECT = load_scheme("schemes/gg/gg-2x3x4-r20-ZT.json")
FUNCS = {}


def _f(which, levels):
    key = (which, levels)
    if key not in FUNCS:
        src = {"winograd": WINOGRAD, "laderman": LADERMAN, "rect": RECT}[which]
        FUNCS[key] = compile_scheme(src, levels=levels, cutoff=1)
    return FUNCS[key]


@settings(max_examples=25, deadline=None)
@given(which=st.sampled_from(["winograd", "laderman", "rect"]), levels=st.integers(0, 3),
       m=st.integers(1, 40), k=st.integers(1, 40), n=st.integers(1, 40),
       dtype=st.sampled_from(["int64", "int32", "int16", "uint32"]), seed=st.integers(0, 2**31 - 1))
def test_exact_on_integers_for_any_shape(which, levels, m, k, n, dtype, seed):
    g = np.random.default_rng(seed)
    A = g.integers(-20, 21, (m, k)).astype(dtype)
    B = g.integers(-20, 21, (k, n)).astype(dtype)
    C = _f(which, levels)(A, B)
    assert C.dtype == np.result_type(A, B) and C.shape == (m, n)
    assert np.array_equal(C, A @ B)          # wrap-around in small dtypes is the same as numpy.matmul's


@settings(max_examples=20, deadline=None)
@given(which=st.sampled_from(["winograd", "laderman", "rect"]), levels=st.integers(1, 3),
       m=st.integers(3, 60), k=st.integers(3, 60), n=st.integers(4, 60),
       dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**31 - 1))
def test_floats_within_the_stated_bound(which, levels, m, k, n, dtype, seed):
    g = np.random.default_rng(seed)
    A = g.standard_normal((m, k)).astype(dtype)
    B = g.standard_normal((k, n)).astype(dtype)
    C = _f(which, levels)(A, B)
    ref = A.astype(np.float64) @ B.astype(np.float64)
    assert C.dtype == np.dtype(dtype)
    src = {"winograd": WINOGRAD, "laderman": LADERMAN, "rect": RECT}[which]
    assert np.abs(C - ref).max() <= error_bound(src, A, B, levels)


def test_rational_schemes_run_on_floats_only():
    s = strassen_scheme("ZT")
    u, v, w = (np.array(a, dtype=object) for a in s.factors)
    u[0] = u[0] * 2
    w[0] = w[0] * Fraction(1, 2)
    q = Scheme("gg", (2, 2, 2), "Q", u, v, w)
    assert q.verify()
    f = compile_scheme(q, levels=2, cutoff=1)
    A, B = np.arange(36.0).reshape(6, 6), np.ones((6, 5))
    assert np.allclose(f(A, B), A @ B)
    with pytest.raises(TypeError, match="A, B: this scheme has rational coefficients"):
        f(A.astype(int), B.astype(int))


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="scheme: a scheme over F2"):
        compile_scheme(naive_scheme("gg", "2x2x2", "F2"))
    with pytest.raises(ValueError, match="levels"):
        compile_scheme(strassen_scheme(), levels=-1)
    with pytest.raises(TypeError, match="scheme"):
        compile_scheme("x")
    f = compile_scheme(strassen_scheme(), levels=1)
    with pytest.raises(ValueError, match="A, B: expected matrices of compatible shapes"):
        f(np.ones((3, 4)), np.ones((3, 4)))
    with pytest.raises(TypeError, match="A, B: expected integer or floating"):
        f(np.ones((2, 2), dtype=complex), np.ones((2, 2)))


def test_codegen_command_writes_a_standalone_module(tmp_path, capsys):
    src = save_scheme(strassen_scheme("ZT"), tmp_path)
    out = tmp_path / "strassen_mm.py"
    assert cli_main(["codegen", str(src), "--lang", "python", "--levels", "2", "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["path"] == str(out)
    code = ("import numpy as np, strassen_mm as s; g = np.random.default_rng(0); "
            "A = g.integers(-9, 9, (37, 29)); B = g.integers(-9, 9, (29, 41)); "
            "print(bool(np.array_equal(s.multiply(A, B, cutoff=1), A @ B)))")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "True", run.stderr
    assert "levels=2" in out.read_text() and out.read_text() == python_source(strassen_scheme("ZT"), levels=2)
    # a file codegen did not write is never replaced
    other = tmp_path / "mine.py"
    other.write_text("print('mine')\n")
    assert cli_main(["codegen", str(src), "--out", str(other)]) == 2
    assert other.read_text() == "print('mine')\n"
    assert "not replaced" in capsys.readouterr().err


# ------------------------------------------------------------------ C
from linalg_lab.schemes.codegen import c_source, compile_c, find_c_compiler  # noqa: E402

CC = find_c_compiler()
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler (cc, gcc or clang) on this machine")
C_FUNCS = {}


def _fc(which, levels):
    key = (which, levels)
    if key not in C_FUNCS:
        src = {"winograd": WINOGRAD, "laderman": LADERMAN, "rect": RECT}[which]
        C_FUNCS[key] = compile_c(src, levels=levels, cutoff=1)
    return C_FUNCS[key]


@needs_cc
@settings(max_examples=30, deadline=None)
@given(which=st.sampled_from(["winograd", "laderman", "rect"]), levels=st.integers(0, 3),
       m=st.integers(1, 40), k=st.integers(1, 40), n=st.integers(1, 40),
       dtype=st.sampled_from(["int64", "int32", "int16", "uint32"]), seed=st.integers(0, 2**31 - 1))
def test_c_exact_on_integers_for_any_shape(which, levels, m, k, n, dtype, seed):
    g = np.random.default_rng(seed)
    A = g.integers(-20, 21, (m, k)).astype(dtype)
    B = g.integers(-20, 21, (k, n)).astype(dtype)
    C = _fc(which, levels)(A, B)
    assert C.dtype == np.result_type(A, B) and C.shape == (m, n)
    assert np.array_equal(C, A @ B)          # computed modulo 2**64 and cast: numpy's wrap-around too


@needs_cc
def test_c_wraps_like_numpy_on_int64_overflow():
    g = np.random.default_rng(1)
    A = g.integers(-2**62, 2**62, (9, 10))
    B = g.integers(-2**62, 2**62, (10, 7))
    with np.errstate(over="ignore"):
        want = A @ B
    assert np.array_equal(_fc("laderman", 2)(A, B), want)


@needs_cc
@settings(max_examples=20, deadline=None)
@given(which=st.sampled_from(["winograd", "laderman", "rect"]), levels=st.integers(1, 3),
       m=st.integers(3, 70), k=st.integers(3, 70), n=st.integers(4, 70), seed=st.integers(0, 2**31 - 1))
def test_c_floats_within_the_stated_bound(which, levels, m, k, n, seed):
    g = np.random.default_rng(seed)
    A = g.standard_normal((m, k))
    B = g.standard_normal((k, n))
    C = _fc(which, levels)(A, B)
    assert C.dtype == np.float64
    src = {"winograd": WINOGRAD, "laderman": LADERMAN, "rect": RECT}[which]
    assert np.abs(C - A @ B).max() <= error_bound(src, A, B, levels)


@needs_cc
def test_c_rational_scheme_is_double_only():
    s = strassen_scheme("ZT")
    u, v, w = (np.array(a, dtype=object) for a in s.factors)
    u[0] = u[0] * 2
    w[0] = w[0] * Fraction(1, 2)
    q = Scheme("gg", (2, 2, 2), "Q", u, v, w)
    src = c_source(q)
    assert "multiply_f64" in src and "multiply_i64" not in src
    f = compile_c(q, levels=2, cutoff=1)
    A, B = np.arange(36.0).reshape(6, 6), np.ones((6, 5))
    assert np.allclose(f(A, B), A @ B)
    with pytest.raises(TypeError, match="A, B: this scheme has rational coefficients"):
        f(A.astype(int), B.astype(int))


def test_c_source_errors_name_the_argument():
    with pytest.raises(ValueError, match="name: expected a C identifier"):
        c_source(strassen_scheme(), name="my-mm")
    with pytest.raises(ValueError, match="scheme: a scheme over F2"):
        c_source(naive_scheme("gg", "2x2x2", "F2"))
    with pytest.raises(ValueError, match="cutoff"):
        c_source(strassen_scheme(), cutoff=0)


@needs_cc
def test_codegen_command_writes_c_that_compiles(tmp_path, capsys):
    import ctypes

    src = save_scheme(strassen_scheme("ZT"), tmp_path)
    out = tmp_path / "strassen_mm.c"
    assert cli_main(["codegen", str(src), "--lang", "c", "--levels", "2", "--out", str(out)]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["path"] == str(out) and last["lang"] == "c"
    text = out.read_text()
    assert "#define MULTIPLY_LEVELS 2" in text and text == c_source(strassen_scheme("ZT"), levels=2)
    lib = tmp_path / "libmm.so"
    run = subprocess.run([CC, "-O2", "-std=c99", "-Wall", "-Werror", "-shared", "-fPIC", "-o", str(lib), str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    dll = ctypes.CDLL(str(lib))
    p = ctypes.POINTER(ctypes.c_int64)
    dll.multiply_i64.argtypes = [p, p, p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int, ctypes.c_int64]
    g = np.random.default_rng(0)
    A, B = g.integers(-9, 9, (37, 29)), g.integers(-9, 9, (29, 41))
    C = np.empty((37, 41), dtype=np.int64)
    assert dll.multiply_i64(A.ctypes.data_as(p), B.ctypes.data_as(p), C.ctypes.data_as(p), 37, 29, 41, 2, 1) == 0
    assert np.array_equal(C, A @ B)
