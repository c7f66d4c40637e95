"""Straight-line programs and the common-subexpression reducer: exact, never worse, Winograd's 15, files, CLI."""

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linalg_lab.cli import main as cli_main
from linalg_lab.flipgraph import Walker
from linalg_lab.flipgraph.optimize import optimize_reduced
from linalg_lab.schemes import Scheme, additive_complexity, gl_action, load_scheme, naive_scheme, save_scheme, strassen_scheme
from linalg_lab.schemes.program import (
    LinearProgram, StraightLineProgram, load_program, program_from_reduced_json, reduce_additions, store_program,
)


def _walked(ring, sizes, seed, flips=3_000):
    w = Walker(naive_scheme("gg", sizes, ring), seed)
    w.walk(flips, plateau=1_000, margin=3)
    return w.scheme()


def _over(scheme, ring, seed):
    """``scheme`` (ZT) over Z (moved by ``I + 2 E_ij`` sandwiches: coefficients 2, 3, ...) or over Q
    (rows of U scaled by c, of W by 1/c: fractional coefficients)."""
    g = np.random.default_rng(seed)
    if ring == "Z":
        mats = [np.eye(k, dtype=np.int64) for k in scheme.n]
        q = int(g.integers(3))
        mats[q][0, 1] = 2
        return gl_action(Scheme("gg", scheme.n, "Z", *scheme.factors), *mats)
    u, v, w = (np.array(a, dtype=object) for a in scheme.factors)
    for r in range(scheme.rank):
        c = int(g.choice([-1, 2, 3]))
        u[r] = u[r] * c
        w[r] = w[r] * Fraction(1, c)
    return Scheme("gg", scheme.n, ring, u, v, w)


def _dense(side):
    return np.array(side.expand(), dtype=object)


@settings(max_examples=12, deadline=None)
@given(ring=st.sampled_from(["F2", "F3", "ZT", "Z", "Q"]), sizes=st.sampled_from(["2x2x3", "3x3x3", "2x3x4"]),
       seed=st.integers(0, 2**31 - 1), restarts=st.integers(1, 6))
def test_program_expands_exactly_and_is_never_worse(ring, sizes, seed, restarts):
    base = _walked("ZT" if ring in ("Z", "Q") else ring, sizes, seed)
    scheme = _over(base, ring, seed) if ring in ("Z", "Q") else base
    assume(scheme.verify())
    p = reduce_additions(scheme, restarts=restarts, rng=seed)
    assert p.scheme is scheme and p.check() == ""
    # symbolic expansion gives back U, V and W^T (mod p over F2 / F3)
    mod = {"F2": 2, "F3": 3}.get(ring)
    for got, want in ((_dense(p.u), scheme.u), (_dense(p.v), scheme.v), (_dense(p.w), np.asarray(scheme.w).T)):
        diff = got - np.asarray(want, dtype=object)
        assert all((x % mod == 0) if mod else x == 0 for x in diff.flat)
    # every fresh variable is a sum of two signed earlier variables; the count is what the program spends
    for side in (p.u, p.v, p.w):
        assert all(len(f) == 2 for f in side.fresh)
        assert side.additions == len(side.fresh) + sum(len(r) - 1 for r in side.rows if r)
    assert p.additions <= additive_complexity(scheme) == p.naive
    # running the program on integers gives the matrix product (over the integers for Z / ZT / Q)
    g = np.random.default_rng(seed)
    n1, n2, n3 = scheme.n
    a, b = g.integers(-5, 6, (n1, n2)), g.integers(-5, 6, (n2, n3))
    z = p.evaluate([Fraction(int(t)) for t in a.ravel()], [Fraction(int(t)) for t in b.ravel()])
    want = (a @ b).ravel()
    if mod:
        assert all((Fraction(zz) - int(ww)) % mod == 0 for zz, ww in zip(z, want))
    else:
        assert [Fraction(zz) for zz in z] == [Fraction(int(ww)) for ww in want]


def test_strassen_reaches_winograds_15_and_naive_stays_at_its_count():
    s = strassen_scheme("ZT")
    assert reduce_additions(s).additions == 18                 # no pair occurs twice in Strassen's own form
    p = reduce_additions(s, sandwiches=300, rng=1)
    assert p.additions == 15 and p.scheme.rank == 7 and p.scheme.verify() and p.check() == ""
    assert p.sides()["u"] == 4 and p.sides()["v"] == 4 and p.sides()["w"] == 7
    assert reduce_additions(naive_scheme("gg", "2x2x2", "ZT")).additions == 4


def test_optimize_reduced_is_never_worse_and_finds_15():
    res = optimize_reduced(strassen_scheme("ZT"), time_limit=None, max_flips=5_000, rng=0)
    assert res.before == 18 and res.after == 15 and res.program.check() == ""
    start = _walked("ZT", "3x3x3", 3, flips=20_000)
    res = optimize_reduced(start, time_limit=None, max_flips=3_000, rng=1, chunk=100, restarts=1)
    assert res.after <= res.before <= additive_complexity(start)
    assert res.scheme.rank == start.rank and res.scheme.verify()


def test_a_tampered_program_is_refused_naming_the_side():
    p = reduce_additions(strassen_scheme("ZT"), sandwiches=300, rng=1)
    rows = list(p.v.rows)
    rows[0] = rows[0][:-1]                                     # drop one term of the first right operand
    with pytest.raises(ValueError, match="^v: row 0 expands"):
        StraightLineProgram(p.scheme, p.u, LinearProgram(p.v.inputs, p.v.fresh, tuple(rows)), p.w)
    with pytest.raises(ValueError, match="fresh: variable 4 uses index 4"):
        LinearProgram(4, (((0, 1), (4, 1)),), ())
    with pytest.raises(ValueError, match="rows: row 0 uses index 9"):
        LinearProgram(4, (), (((9, 1),),))


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["gt", "ug", "kg", "sk", "ss", "uu", "ww", "st"]), st.integers(2, 3),
       st.sampled_from(["ZT", "Z", "Q", "F2", "F3"]), st.integers(0, 2**16))
def test_reduced_json_of_a_structured_scheme_reads_back(code, n, ring, seed):
    # structured codes have other input/output counts than n1*n2, n2*n3, n1*n3: the reader takes them
    # from the tensor code the file names
    w = Walker(naive_scheme(code, (n, n, n), "ZT" if ring in ("Z", "Q") else ring), seed)
    w.walk(2_000, plateau=500, margin=2)
    scheme = w.scheme()
    if ring in ("Z", "Q"):
        scheme = Scheme(code, scheme.n, ring, *scheme.factors)
    p = reduce_additions(scheme, restarts=2, rng=seed)
    q = program_from_reduced_json(p.to_reduced_json())
    assert q.scheme == scheme and q.additions == p.additions and q.scheme.tc.dims == scheme.tc.dims
    assert q.scheme.verify()


@pytest.mark.parametrize("sizes", ["2x3x4", "3x3x3", "4x2x3"])
def test_reduced_json_round_trip_in_perminovs_layout(sizes):
    scheme = _walked("ZT", sizes, 11)
    p = reduce_additions(scheme, restarts=8, rng=0)
    data = json.loads(p.to_reduced_json())
    n1, _, n3 = scheme.n
    assert data["complexity"] == {"naive": p.naive, "reduced": p.additions}
    assert len(data["w"]) == n1 * n3 and len(data["u"]) == len(data["v"]) == scheme.rank
    # fresh indices continue after the originals
    for key, first in (("u_fresh", n1 * scheme.n[1]), ("w_fresh", scheme.rank)):
        for k, form in enumerate(data[key]):
            assert all(t["index"] < first + k for t in form)
    for key in ("format", "tensor", "ring"):                   # his files carry none of our extra keys
        del data[key]
    q = program_from_reduced_json(data)
    assert q.scheme == scheme and q.additions == p.additions
    # the same file with its w rows in output order (i*n3 + k) is read too, settled by verification
    order = [i * n3 + k for k in range(n3) for i in range(n1)]
    back = [None] * (n1 * n3)
    for q_row, g in enumerate(order):
        back[g] = data["w"][q_row]
    data["w"] = back
    assert program_from_reduced_json(data).scheme == scheme


def test_a_handwritten_perminov_file_imports():
    # Winograd's form, written by hand in his reduced layout: A: s1 = a21 + a22, s2 = s1 - a11, s3 = a11 - a21,
    # s4 = a12 - s2; B: t1 = b12 - b11, t2 = b22 - t1, t3 = b22 - b12, t4 = t2 - b21; products
    # m1 = a11 b11, m2 = a12 b21, m3 = s4 b22, m4 = a22 t4, m5 = s1 t1, m6 = s2 t2, m7 = s3 t3;
    # C: u2 = m1 + m6, u3 = u2 + m7, u4 = u2 + m5; c11 = m1 + m2, c12 = u4 + m3, c21 = u3 - m4, c22 = u3 + m5.
    def f(*pairs):
        return [{"index": i, "value": c} for i, c in pairs]
    doc = {
        "n": [2, 2, 2], "m": 7, "z2": False, "complexity": {"naive": 24, "reduced": 15},
        "u_fresh": [f((2, 1), (3, 1)), f((4, 1), (0, -1)), f((0, 1), (2, -1)), f((1, 1), (5, -1))],
        "u": [f((0, 1)), f((1, 1)), f((7, 1)), f((3, 1)), f((4, 1)), f((5, 1)), f((6, 1))],
        "v_fresh": [f((1, 1), (0, -1)), f((3, 1), (4, -1)), f((3, 1), (1, -1)), f((5, 1), (2, -1))],
        "v": [f((0, 1)), f((2, 1)), f((3, 1)), f((7, 1)), f((4, 1)), f((5, 1)), f((6, 1))],
        "w_fresh": [f((0, 1), (5, 1)), f((7, 1), (6, 1)), f((7, 1), (4, 1))],
        # cyclic order: rows c11, c21, c12, c22
        "w": [f((0, 1), (1, 1)), f((8, 1), (3, -1)), f((9, 1), (2, 1)), f((8, 1), (4, 1))],
    }
    p = program_from_reduced_json(json.dumps(doc))
    assert p.additions == 15 and p.naive == 24 and p.scheme.ring.value == "ZT"
    a, b = np.array([[1, 2], [3, 4]]), np.array([[5, -6], [7, 8]])
    assert p.evaluate(list(a.ravel()), list(b.ravel())) == list((a @ b).ravel())


def test_malformed_reduced_json_is_refused_with_the_reason():
    p = reduce_additions(strassen_scheme("ZT"), sandwiches=300, rng=1)
    good = json.loads(p.to_reduced_json())
    with pytest.raises(ValueError, match="not JSON: line 1"):
        program_from_reduced_json("{")
    bad = dict(good, u_fresh=[[{"index": 99, "value": 1}, {"index": 0, "value": 1}]] + good["u_fresh"][1:])
    with pytest.raises(ValueError, match="'u': fresh: variable 4 uses index 99"):
        program_from_reduced_json(bad)
    bad = dict(good, v=good["v"][:-1])
    with pytest.raises(ValueError, match="'v': expected 7 rows, got 6"):
        program_from_reduced_json(bad)
    bad = dict(good, w=[good["w"][0][::-1][1:]] + good["w"][1:])
    with pytest.raises(ValueError, match="verifies in no convention"):
        program_from_reduced_json(bad)
    bad = dict(good, u=[[{"index": 0}]] + good["u"][1:])
    with pytest.raises(ValueError, match="'u' entry 0: expected"):
        program_from_reduced_json(bad)
    with pytest.raises(ValueError, match="'n': expected three sizes"):
        program_from_reduced_json(dict(good, n=[2, 2]))


def test_reducer_errors_name_the_argument():
    with pytest.raises(TypeError, match="scheme"):
        reduce_additions("s")
    with pytest.raises(ValueError, match="restarts"):
        reduce_additions(strassen_scheme(), restarts=0)
    with pytest.raises(ValueError, match="time_limit"):
        reduce_additions(strassen_scheme(), time_limit=0)
    with pytest.raises(ValueError, match="slack"):
        reduce_additions(strassen_scheme(), slack=2.0)


def test_reduce_command_show_and_verify(tmp_path, capsys):
    src = save_scheme(strassen_scheme("ZT"), tmp_path / "in")
    out = tmp_path / "out"
    assert cli_main(["reduce", str(src), "--out", str(out), "--sandwiches", "300", "--seed", "1"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["naive"] == additive_complexity(load_scheme(last["scheme"])) and last["reduced"] == 15
    prog = load_program(last["path"])
    assert prog.additions == 15 and prog.scheme == load_scheme(last["scheme"])
    assert cli_main(["verify", str(out)]) == 0
    assert "15 additions, is exact" in capsys.readouterr().out
    assert cli_main(["show", last["path"], "--program"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# gg 2x2x2 rank 7 over ZT: 15 additions") and "c22 = " in text
    assert cli_main(["show", str(src), "--program"]) == 0        # a scheme file: reduced on the fly
    assert "18 additions" in capsys.readouterr().out.splitlines()[0]
    # a second run writes nothing new; a foreign file under the program's name is never replaced
    assert cli_main(["reduce", str(src), "--out", str(out), "--sandwiches", "300", "--seed", "1"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["path"] == last["path"]
    foreign = tmp_path / "f"
    foreign.mkdir()
    (foreign / "x_reduced.json").write_text("not mine")
    path, written = store_program(prog, foreign, "x")
    assert written and path.name != "x_reduced.json" and (foreign / "x_reduced.json").read_text() == "not mine"
    assert load_program(path).additions == 15


def test_the_recorded_3x3x3_rank_23_program():
    """benchmarks/results holds the shortest 3x3x3 rank-23 program our search found: 58 additions (the record)."""
    from pathlib import Path

    from linalg_lab.schemes import load_program

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "gg-3x3x3-r23-ZT_reduced.json"
    p = load_program(path)
    assert p.scheme.n == (3, 3, 3) and p.scheme.rank == 23 and p.scheme.verify() and p.check() == ""
    assert p.additions == 58 == sum(p.sides().values()) < p.naive
    assert all(len(f) == 2 for side in (p.u, p.v, p.w) for f in side.fresh)


def test_program_evaluates_exactly_with_integral_coefficients_beyond_one():
    # hypothesis found it (Z, 3x3x3, seed 2512): a pair coefficient of 2 multiplied Fraction inputs as a float
    base = _walked("ZT", "3x3x3", 2512)
    scheme = _over(base, "Z", 2512)
    assert scheme.verify()
    p = reduce_additions(scheme, restarts=1, rng=2512)
    g = np.random.default_rng(2512)
    a, b = g.integers(-5, 6, (3, 3)), g.integers(-5, 6, (3, 3))
    z = p.evaluate([Fraction(int(t)) for t in a.ravel()], [Fraction(int(t)) for t in b.ravel()])
    assert all(isinstance(x, (Fraction, int)) for x in z)
    assert [Fraction(x) for x in z] == [Fraction(int(w)) for w in (a @ b).ravel()]
