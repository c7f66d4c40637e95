"""Tensor builders against an independent construction: numpy products of structured matrices."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linalg_lab.tensors import (
    CODES, GRAM_CODES, matmul_tensor, naive_factors, strassen_factors, tensor_code, tensor_dims,
)


def upper(i, j, n):
    return i * (2 * n - i - 1) // 2 + j


def random_structured(letter, rows, cols, rng):
    """A random integer matrix with the structure, and its parameter vector per DESIGN.md, built directly."""
    m = rng.integers(-4, 5, size=(rows, cols))
    n = rows
    if letter == "g":
        return m, m.ravel()
    if letter == "u":
        a = np.triu(m)
        return a, np.array([a[i, j] for i in range(n) for j in range(i, n)])
    if letter == "l":
        a = np.tril(m)
        return a, np.array([a[j, i] for i in range(n) for j in range(i, n)])
    if letter == "s":
        a = np.triu(m) + np.triu(m, 1).T
        return a, np.array([a[i, j] for i in range(n) for j in range(i, n)])
    if letter == "k":
        a = np.triu(m, 1) - np.triu(m, 1).T
        return a, np.array([a[i, j] for i in range(n) for j in range(i + 1, n)])
    if letter == "w":
        a = np.triu(m) - np.triu(m, 1).T
        return a, np.array([a[i, j] for i in range(n) for j in range(i, n)])
    raise AssertionError(letter)


def valid_sizes(code, n1, n2, n3):
    if code[0] != "g":
        n2 = n1
    if code[1] == "t":
        n3 = n1
    elif code[1] != "g":
        n3 = n2
    return n1, n2, n3


@given(code=st.sampled_from(CODES), n=st.tuples(*[st.integers(1, 4)] * 3), seed=st.integers(0, 2**32 - 1))
def test_tensor_matches_numpy_product(code, n, seed):
    rng = np.random.default_rng(seed)
    n1, n2, n3 = valid_sizes(code, *n)
    t = matmul_tensor(code, (n1, n2, n3))
    a, x = random_structured(code[0], n1, n2, rng)
    if code[1] == "t":
        b, y = a.T, x
    else:
        b, y = random_structured(code[1], n2, n3, rng)
    z = np.einsum("abg,a,b->g", t, x, y)
    c = a @ b
    if code == "uu" or code[1] == "t":
        expected = np.array([c[i, k] for i in range(n1) for k in range(i, n3)])
        if code == "uu":
            assert np.all(np.tril(c, -1) == 0)
    else:
        expected = c.ravel()
    assert np.array_equal(z, expected)
    assert t.shape == tensor_dims(code, (n1, n2, n3))


def test_general_tensor_entries():
    n1, n2, n3 = 2, 3, 4
    t = matmul_tensor("gg", (n1, n2, n3))
    expected = np.zeros_like(t)
    for i in range(n1):
        for j in range(n2):
            for k in range(n3):
                expected[i * n2 + j, j * n3 + k, i * n3 + k] = 1
    assert np.array_equal(t, expected)


@pytest.mark.parametrize("code,sizes,dims", [
    ("gg", "3x3x3", (9, 9, 9)), ("ug", "4x4x4", (10, 16, 16)), ("gt", "4x4x4", (16, 16, 10)),
    ("kg", "3x3x3", (3, 9, 9)), ("uu", "3x3x3", (6, 6, 6)), ("ss", "2x2x2", (3, 3, 4)),
])
def test_dims(code, sizes, dims):
    assert tensor_dims(code, sizes) == dims


@pytest.mark.parametrize("code,sizes,needle", [
    ("zz", (2, 2, 2), "^code: expected one of 'gg'"), ("gg", (0, 2, 2), "^sizes: expected three positive"),
    ("ug", (2, 3, 3), "^sizes: expected n1 == n2"), ("gu", (2, 2, 2), "^code: expected one of"),
    ("ss", (2, 2, 3), "^sizes: expected n2 == n3"), ("gt", (2, 3, 4), "^sizes: expected n3 == n1"),
    ("gg", "3x3", "^sizes: expected three sizes"), ("gg", "axbxc", "^sizes: expected 'N1xN2xN3'"),
])
def test_invalid_codes_and_sizes(code, sizes, needle):
    with pytest.raises(ValueError, match=needle):
        tensor_code(code, sizes)


@pytest.mark.parametrize("code,sizes,name", [
    (("g", "g"), (2, 2, 2), "code"), (None, (2, 2, 2), "code"), ("gg", (2.5, 2, 2), "sizes"),
    ("gg", (True, 2, 2), "sizes"), ("gg", 3, "sizes"), ("gg", None, "sizes"),
])
def test_wrong_types_are_type_errors(code, sizes, name):
    with pytest.raises(TypeError, match=rf"^{name}: expected "):
        tensor_code(code, sizes)


def test_codes_ignore_case_and_numpy_sizes_are_integers():
    assert tensor_code("GG", np.array([2, 3, 4])) == tensor_code("gg", "2x3x4")


@pytest.mark.parametrize("code", CODES)
def test_naive_rank_counts_distinct_products(code):
    sizes = (3, 3, 3)
    u, v, w = naive_factors(code, sizes)
    t = matmul_tensor(code, sizes)
    assert len(u) == int(np.count_nonzero(np.abs(t).sum(axis=2)))
    if code == "gg":
        assert len(u) == 27
    if code in GRAM_CODES:
        assert np.all(np.abs(w) <= 1)


def test_strassen_is_rank_7():
    u, v, w = strassen_factors()
    assert u.shape == (7, 4)
    assert np.array_equal(np.einsum("ra,rb,rg->abg", u, v, w), matmul_tensor("gg", "2x2x2"))


def test_importing_tensors_does_not_import_schemes():
    # tensors is the lower layer: it reaches the Scheme-valued helpers only when they are asked for
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = str(Path(__file__).resolve().parents[2])     # this checkout's package, not an installed one
    env = {**os.environ, "PYTHONPATH": repo + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = (
        "import sys, linalg_lab.tensors as t\n"
        "assert 'linalg_lab.schemes' not in sys.modules, sorted(m for m in sys.modules if m.startswith('linalg_lab'))\n"
        "from linalg_lab.tensors import naive_scheme, strassen_scheme\n"
        "import linalg_lab.schemes.standard as std\n"
        "assert naive_scheme is std.naive_scheme and strassen_scheme is std.strassen_scheme\n"
        "assert t.__file__.startswith(%r), t.__file__\n"
        "print('ok')\n" % repo
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=repo, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_unknown_attribute_of_tensors_is_an_attribute_error():
    import linalg_lab.tensors as t

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        t.nope  # noqa: B018
