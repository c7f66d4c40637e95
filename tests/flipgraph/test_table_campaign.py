"""Table campaigns (`linalg-lab table`): the structured table walked, lifted, written, resumed."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import linalg_lab.flipgraph.table_campaign as tc
from linalg_lab.cli import main
from linalg_lab.schemes import load_scheme, naive_scheme, save_scheme
from linalg_lab.schemes.catalogue import catalogue_index
from linalg_lab.schemes.known_ranks import known_ranks
from linalg_lab.schemes.structured_table import file_seconds, structured_entries, structured_table_markdown
from linalg_lab.flipgraph.search import SearchResult
from linalg_lab.flipgraph.table_campaign import TableFileError, load_table, run_table, table_targets

REPO = Path(__file__).resolve().parents[2]
# ss 2x2x2: Z 6 and Q 5 (needs 1/2); us 2x2x2: Z 5 = Q; sk 2x2x2: Z 3 = Q
SMALL = {"table": {"codes": ["ss", "us", "sk"], "sizes": [2]},
         "search": {"time_budget": 10, "workers": 1, "seed": 3},
         "output": {"catalogue": "schemes", "state": "runs/state.json", "checkpoint_interval": 0.5}}


def _config(tmp_path, **changes):
    cfg = json.loads(json.dumps(SMALL))
    for key, value in changes.items():
        section, name = key.split("__")
        cfg[section][name] = value
    return cfg


def _state(tmp_path, name="runs/state.json"):
    return json.loads((tmp_path / name).read_text())


def test_small_table_end_to_end_then_resume(tmp_path):
    cfg = _config(tmp_path)
    res = run_table(cfg, base=tmp_path, progress=False)
    labels = sorted(t.label for t in res.targets)
    assert labels == ["sk 2x2x2 Z 3", "ss 2x2x2 Q 5", "ss 2x2x2 Z 6", "us 2x2x2 Z 5"]
    s = res.summary()
    assert s["entries"] == 3 and s["targets"] == 4 and s["reached"] == {"Z": 3, "Q": 3}
    assert s["found"] == 4 and s["skipped"] == 0 and s["not_reached"] == [] and not s["interrupted"]
    assert len(res.written) == 4
    for t in res.targets:
        rec = res.records[t.key]
        assert rec["status"] == "reached" and rec["rank"] <= t.rank and rec["tries"]
        path = tmp_path / "schemes" / rec["file"]
        scheme = load_scheme(path, verify=True)              # verified exactly over its ring
        assert scheme.rank <= t.rank and path.parent.name == t.code
        assert path.name.startswith(f"{t.code}-2x2x2-r{scheme.rank}-{scheme.ring.value}")
        if t.column == "Z":                                   # an integer scheme: exact over Z
            assert scheme.ring.value in ("ZT", "Z")
        else:
            assert scheme.ring.value in ("ZT", "Z", "Q")
        prov = json.loads(path.read_text())["provenance"]
        assert prov["seed"] == rec["tries"][-1]["seed"] and prov["seconds"] >= 0
        assert prov["table"] == "<dict>" and prov["target"] == f"{t.column} {t.rank}"
        assert "structured table campaign" in prov["method"]
    # ss 2x2x2 Q 5 needs 1/2: found over F3 and lifted to Q
    q = load_scheme(tmp_path / "schemes" / res.records["ss-2x2x2-Q"]["file"])
    assert q.rank == 5 and q.ring.value == "Q"
    assert res.records["ss-2x2x2-Q"]["tries"][0]["ring"] == "F3"
    assert res.records["ss-2x2x2-Z"]["tries"][0]["ring"] == "F2"
    # the catalogue index was rewritten, with the structured section
    readme = (tmp_path / "schemes" / "README.md").read_text()
    assert readme == catalogue_index(tmp_path / "schemes")
    assert "| ss 2x2x2 | 6 | 5 | 6* | 5* |" in readme and "| us 2x2x2 | 5 | 5 | 5* | 5* |" in readme
    # resumed: every target is held by the catalogue, nothing is walked or written
    state = _state(tmp_path)
    again = run_table(cfg, base=tmp_path, progress=False)
    assert again.summary()["skipped"] == 4 and again.found == 0 and again.written == []
    assert again.reached == {"Z": 3, "Q": 3}
    assert {k: len(v["tries"]) for k, v in _state(tmp_path)["targets"].items()} == \
        {k: len(v["tries"]) for k, v in state["targets"].items()}
    # a file that went away is searched for again
    (tmp_path / "schemes" / res.records["sk-2x2x2-Z"]["file"]).unlink()
    third = run_table(cfg, base=tmp_path, progress=False)
    assert third.found == 1 and third.summary()["skipped"] == 3
    assert len(_state(tmp_path)["targets"]["sk-2x2x2-Z"]["tries"]) == 2


def test_a_spent_budget_is_not_walked_again_and_a_larger_one_resumes(tmp_path):
    cfg = _config(tmp_path, table__codes=["us"])
    (tmp_path / "runs").mkdir()
    state = {"kind": "structured table", "table": "<dict>",
             "targets": {"us-2x2x2-Z": {"code": "us", "n": [2, 2, 2], "column": "Z", "status": "running",
                                        "seconds": 10.0, "tries": [{"ring": "F2", "seed": 3}]}}}
    (tmp_path / "runs" / "state.json").write_text(json.dumps(state))   # as a kill -9 leaves it
    res = run_table(cfg, base=tmp_path, progress=False)
    rec = res.records["us-2x2x2-Z"]
    assert rec["status"] == "budget spent" and len(rec["tries"]) == 1 and res.written == []
    assert [t.label for t in res.not_reached] == ["us 2x2x2 Z 5"]
    more = run_table(cfg, base=tmp_path, progress=False, time_budget=20)
    rec = more.records["us-2x2x2-Z"]
    assert rec["status"] == "reached" and rec["seconds"] >= 10.0 and len(rec["tries"]) == 2
    assert rec["tries"][1]["seed"] == 3 + 1000                       # a new seed for the new try
    assert more.written and load_scheme(more.written[0]).rank <= 5


def test_a_budget_run_out_keeps_its_best_and_a_later_find_replaces_only_that(tmp_path, monkeypatch):
    real = tc.search

    def short_of_target(code, sizes, ring, target_rank=None, time_limit=None, **kw):   # a walk that stays at 7
        time.sleep(min(time_limit, 0.3))
        s = naive_scheme(code, sizes, ring)
        return SearchResult(best=s, schemes=[s], target_rank=target_rank, target_reached=False, stopped="time")

    cfg = _config(tmp_path, table__codes=["ss"], table__columns=["Z"])
    monkeypatch.setattr(tc, "search", short_of_target)
    first = run_table(cfg, base=tmp_path, progress=False, time_budget=0.7)
    rec = first.records["ss-2x2x2-Z"]
    assert rec["status"] == "budget spent" and rec["rank"] == 7 and len(rec["tries"]) == 1
    ours = tmp_path / "schemes" / rec["file"]
    assert load_scheme(ours).rank == 7 and first.written == [ours]       # the best it has, kept meanwhile
    foreign = save_scheme(naive_scheme("ss", (2, 2, 2), "Z"), tmp_path / "schemes" / "ss", tag="other")
    monkeypatch.setattr(tc, "search", real)
    second = run_table(cfg, base=tmp_path, progress=False, time_budget=10)
    rec = second.records["ss-2x2x2-Z"]
    assert rec["status"] == "reached" and rec["rank"] == 6 and rec["written"] == [rec["file"]]
    assert not ours.exists()                                           # this table's worse file went
    files = sorted(p.name for p in (tmp_path / "schemes" / "ss").glob("*.json"))
    assert files == sorted([foreign.name, Path(rec["file"]).name])     # another's file is never touched


def test_a_stalled_f2_walk_leaves_the_zt_walk_its_turn(tmp_path, monkeypatch):
    calls = []

    def stalls(code, sizes, ring, target_rank=None, time_limit=None, **kw):   # walks its whole limit, short of the rank
        calls.append((ring, time_limit))
        time.sleep(time_limit)
        s = naive_scheme(code, sizes, ring)
        return SearchResult(best=s, schemes=[s], target_rank=target_rank, target_reached=False, stopped="time")

    cfg = _config(tmp_path, table__codes=["ss"], table__columns=["Z"])
    monkeypatch.setattr(tc, "search", stalls)
    # no lift either: the budget rule alone decides (a first lift would compile its kernels in this budget)
    monkeypatch.setattr(tc, "_to_column", lambda scheme, column, seed: (None, "no lift", 0.0, False))
    res = run_table(cfg, base=tmp_path, progress=False, time_budget=1.6)
    assert [ring for ring, _ in calls] == ["F2", "ZT"]
    assert calls[0][1] == pytest.approx(0.8, abs=0.1) and calls[1][1] >= 0.6
    assert res.records["ss-2x2x2-Z"]["status"] == "budget spent"


def test_an_f2_walk_whose_scheme_provably_does_not_lift_leaves_the_rest_to_the_zt_walk(tmp_path, monkeypatch):
    calls = []

    def walk(code, sizes, ring, target_rank=None, time_limit=None, **kw):
        calls.append((ring, time_limit))
        # the F2 walk reaches the rank in 0.6 s; the Z_T walk stops short of it after 0.5 s
        spent = 0.6 if ring == "F2" else min(0.5, time_limit)
        time.sleep(spent)
        s = naive_scheme(code, sizes, ring)
        return SimpleNamespace(rank=target_rank if ring == "F2" else s.rank, schemes=[s], seconds=spent, flips=1,
                               stopped="target" if ring == "F2" else "time", autopilot=None)

    def no_lift(scheme, column, seed):
        return None, "no lift modulo 2^2", 0.0, scheme.ring.value == "F2"

    cfg = _config(tmp_path, table__codes=["ss"], table__columns=["Z"])
    monkeypatch.setattr(tc, "search", walk)
    monkeypatch.setattr(tc, "_to_column", no_lift)
    res = run_table(cfg, base=tmp_path, progress=False, time_budget=3.0)
    rings = [ring for ring, _ in calls]
    assert rings[:4] == ["F2", "ZT", "F2", "ZT"]
    assert calls[1][1] == pytest.approx(2.4, abs=0.15)            # the first pass: Z_T gets what F2 left
    tries = res.records["ss-2x2x2-Z"]["tries"]
    assert tries[0]["lift_proved_none"] and not tries[0].get("capped")
    # the next F2 try walks no longer than the first took to reach the rank
    assert [limit for ring, limit in calls[2:] if ring == "F2"] == [pytest.approx(0.6)] * rings[2:].count("F2")
    assert tries[2]["capped"] == pytest.approx(0.6)


def test_interrupt_keeps_what_was_found_and_stops(tmp_path, monkeypatch):
    real = tc.search

    def interrupted(*args, **kw):
        res = real(*args, **kw)
        res.stopped = "interrupt"                # as Ctrl-C during the walk leaves it
        return res

    monkeypatch.setattr(tc, "search", interrupted)
    res = run_table(_config(tmp_path), base=tmp_path, progress=False)
    assert res.interrupted and len(res.written) == 1
    walked = [k for k, v in res.records.items() if v.get("tries")]
    assert len(walked) == 1                      # the run stopped after the first target
    state = _state(tmp_path)
    assert state["targets"][walked[0]]["status"] == "reached"         # what it found was lifted and kept

    def ctrl_c(*args, **kw):                     # Ctrl-C outside the walk (in a lift)
        raise KeyboardInterrupt

    monkeypatch.setattr(tc, "search", real)
    monkeypatch.setattr(tc, "_to_column", ctrl_c)
    res = run_table(_config(tmp_path), base=tmp_path, progress=False)
    assert res.interrupted and res.written == []
    assert [v["status"] for v in _state(tmp_path)["targets"].values()].count("interrupted") == 1


def test_kill_9_leaves_a_state_to_resume_from(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text('[table]\ncodes = ["kg"]\nsizes = [3]\ncolumns = ["Q"]\n'
                 '[search]\ntime_budget = 60\nworkers = 1\n'
                 '[output]\ncatalogue = "schemes"\nstate = "state.json"\ncheckpoint_interval = 0.2\n')
    p = subprocess.Popen([sys.executable, "-m", "linalg_lab.cli", "table", str(f), "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    state = tmp_path / "state.json"
    deadline = time.time() + 120
    rec = {}
    while time.time() < deadline and p.poll() is None:
        if state.exists():
            rec = json.loads(state.read_text())["targets"].get("kg-3x3x3-Q", {})
            if rec.get("seconds", 0) > 1.0:
                break
        time.sleep(0.1)
    p.send_signal(signal.SIGKILL)
    p.wait()
    if rec.get("status") == "reached":          # kg 3x3x3 Q 14 in under a second: nothing to resume
        pytest.skip("the walk reached rank 14 before it could be killed")
    rec = json.loads(state.read_text())["targets"]["kg-3x3x3-Q"]
    assert rec["status"] == "running" and rec["seconds"] > 1.0 and len(rec["tries"]) == 1
    # resumed with a budget below the time used: nothing is walked, the state says so
    out = subprocess.run([sys.executable, "-m", "linalg_lab.cli", "table", str(f), "--quiet", "--time-budget", "1"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 3, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["not_reached"] == ["kg 3x3x3 Q 14"] and summary["found"] == 0
    rec = json.loads(state.read_text())["targets"]["kg-3x3x3-Q"]
    assert rec["status"] == "budget spent" and len(rec["tries"]) == 1


BAD = [
    ('[search]\ntime_budget = 5\nsead = 1\n[output]\ncatalogue = "s"\n', "[search] unknown key(s) sead"),
    ('[search]\ntime_budget = -1\n[output]\ncatalogue = "s"\n', "[search] time_budget: expected a finite number > 0"),
    ('[search]\ntime_budget = "60"\n[output]\ncatalogue = "s"\n', "[search] time_budget: expected a real number"),
    ('[search]\ntime_budget = { 2 = 0 }\n[output]\ncatalogue = "s"\n', "[search] time_budget.2: expected"),
    ('[search]\ntime_budget = { two = 5 }\n[output]\ncatalogue = "s"\n', "[search] time_budget: expected sizes n"),
    ('[table]\nsizes = [3]\n[search]\ntime_budget = { 2 = 5 }\n[output]\ncatalogue = "s"\n',
     "[search] time_budget: no budget for the selected size(s) 3x3x3"),
    ('[table]\ncodes = ["gg"]\n[search]\ntime_budget = 5\n[output]\ncatalogue = "s"\n', "[table] codes: expected codes"),
    ('[table]\nsizes = [0]\n[search]\ntime_budget = 5\n[output]\ncatalogue = "s"\n', "[table] sizes: expected an integer >= 1"),
    ('[table]\ncolumns = ["R"]\n[search]\ntime_budget = 5\n[output]\ncatalogue = "s"\n', "[table] columns: expected"),
    ('[search]\ntime_budget = 5\nworkers = 0\n[output]\ncatalogue = "s"\n', "[search] workers: expected an integer >= 1"),
    ('[search]\ntime_budget = 5\n[output]\nstate = "x.json"\n', "[output] catalogue is missing"),
    ('[search]\ntime_budget = 5\n', "section [output] is missing"),
    ('[search]\ntime_budget = 5\n[output]\ncatalogue = "s"\nindex = 1\n', "[output] index: expected True or False"),
    ('[tabel]\n[search]\ntime_budget = 5\n[output]\ncatalogue = "s"\n', "unknown section(s) or key(s) tabel"),
    ('[search\ntime_budget = 5\n', "not valid TOML"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_malformed_table_file_is_refused_naming_the_key(tmp_path, capsys, text, message):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(TableFileError) as err:
        run_table(f, progress=False)
    assert str(err.value).startswith(f"{f}: ") and message in str(err.value)
    assert main(["table", str(f), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s").exists() and not (tmp_path / "runs").exists()     # refused before anything


def test_a_state_file_that_is_not_ours_is_refused_and_left(tmp_path):
    (tmp_path / "runs").mkdir()
    other = tmp_path / "runs" / "state.json"
    other.write_text('{"kind": "campaign"}')
    with pytest.raises(TableFileError, match=r"\[output\] state: .* cannot be resumed from"):
        run_table(_config(tmp_path), base=tmp_path, progress=False)
    assert other.read_text() == '{"kind": "campaign"}'


def test_cli_runs_a_selection_and_prints_the_counts(tmp_path, capsys):
    f = tmp_path / "t.toml"
    f.write_text('[search]\ntime_budget = { 2 = 10, 3 = 60 }\nworkers = 1\n'
                 '[output]\ncatalogue = "schemes"\nindex = false\n')
    assert main(["table", str(f), "--codes", "kk,kt", "--sizes", "2", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["entries"] == 2 and summary["reached"] == {"Z": 2, "Q": 2} and summary["found"] == 2
    assert summary["state"] == str(tmp_path / "runs" / "structured" / "state.json")
    assert not (tmp_path / "schemes" / "README.md").exists()           # index = false
    assert sorted(p.name for p in (tmp_path / "schemes").rglob("*.json")) == ["kk-2x2x2-r1-ZT.json",
                                                                              "kt-2x2x2-r1-ZT.json"]


def test_shipped_table_file_selects_the_whole_table():
    c = load_table(REPO / "search" / "structured.toml")
    targets = table_targets(c)
    entries = structured_entries()
    assert len(entries) == sum(1 for (code, _) in known_ranks() if code != "gg") == 67
    assert sum(t.column == "Z" for t in targets) == 67
    assert sorted((t.code, t.n) for t in targets if t.column == "Q") == \
        sorted((e.code, e.n) for e in entries if e.q < e.z)
    assert c.catalogue.resolve() == (REPO / "schemes").resolve() and c.workers == 2


CODES = sorted({e.code for e in structured_entries()})


@given(codes=st.lists(st.sampled_from(CODES), unique=True, max_size=6),
       sizes=st.lists(st.integers(2, 5), unique=True, min_size=1, max_size=4),
       columns=st.lists(st.sampled_from(["Z", "Q"]), unique=True, min_size=1))
def test_selection_is_the_entries_asked_for(codes, sizes, columns):
    assume(codes)
    c = load_table({"search": {"time_budget": {"2": 1, "3": 2, "4": 3, "5": 4}}, "output": {"catalogue": "s"}})
    targets = table_targets(c, codes=codes, sizes=sizes, columns=columns)
    chosen = [e for e in structured_entries() if e.code in codes and e.n[0] in sizes]
    want = [(e.code, e.n, "Z") for e in chosen if "Z" in columns]
    want += [(e.code, e.n, "Q") for e in chosen if "Q" in columns and e.q < e.z]
    assert sorted((t.code, t.n, t.column) for t in targets) == sorted(want)
    for t in targets:
        e = next(x for x in chosen if (x.code, x.n) == (t.code, t.n))
        assert t.rank == e.target(t.column) and t.budget == t.n[0] - 1
        assert len({x.key for x in targets}) == len(targets)


def test_structured_section_counts_ours_against_the_paper(tmp_path):
    root = tmp_path / "schemes"
    f2 = save_scheme(naive_scheme("kk", (2, 2, 2), "F2"), root / "kk", provenance={"seconds": 2.0})
    save_scheme(naive_scheme("kk", (2, 2, 2), "Z"), root / "kk", provenance={"seconds": 0.5, "parent": f2.name})
    save_scheme(naive_scheme("sk", (2, 2, 2), "Q"), root / "sk", provenance={"seconds": 700})
    text = structured_table_markdown(root)
    # a lift's time adds its parent's; Q counts a Z file; sk: ours 3 over Q only, at the paper's 3
    assert "| kk 2x2x2 | 1 | 1 | 1* | 1* | 2.5 s | 2.5 s | [kk-2x2x2-r1-Z.json](kk/kk-2x2x2-r1-Z.json) |" in text
    assert "| sk 2x2x2 | 3 | 3 | - | 3* | - | 11.7 min | [sk-2x2x2-r3-Q.json](sk/sk-2x2x2-r3-Q.json) |" in text
    assert "1 of 67 entries reached over Z, 2 of 67 over Q." in text
    assert "## The structured table" in catalogue_index(root)
    assert file_seconds(f2) == 2.0
