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
