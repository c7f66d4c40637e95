"""Search, CLI and campaigns of the flip-graph family."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from linalg_lab.flipgraph.settings import SearchSettings

from linalg_lab.flipgraph import search
from linalg_lab.flipgraph.campaign import load_campaign, run_campaign
from linalg_lab.flipgraph import Restart
from linalg_lab.flipgraph.pool import scheme_key as _key
from linalg_lab.schemes import load_scheme, scheme_to_json
from linalg_lab.tensors import naive_scheme, strassen_scheme

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("ring", ["F2", "F3"])
def test_2x2x2_reaches_7(ring):
    res = search("gg", "2x2x2", ring, target_rank=7, rng=3, workers=1, time_limit=30)
    assert res.target_reached and res.rank == 7 and res.best.verify()
    assert res.stopped == "target"


def test_3x3x3_f2_reaches_23():
    res = search("gg", "3x3x3", "F2", target_rank=23, rng=1, workers=2, time_limit=60)
    assert res.target_reached and res.rank == 23 and res.best.verify()
    assert res.history and res.history[-1][2] == 23
    assert [h[2] for h in res.history] == sorted((h[2] for h in res.history), reverse=True)


def test_structured_search_keeps_distinct_schemes():
    res = search("ug", "2x2x2", "F2", target_rank=None, max_flips=300_000, rng=0, workers=2, keep=5)
    assert 1 <= len(res.schemes) <= 5
    keys = {_key(s) for s in res.schemes}
    assert len(keys) == len(res.schemes)
    for s in res.schemes:
        assert s.verify() and s.rank == res.rank and s.code == "ug"


def test_start_from_z_scheme_and_time_limit():
    res = search("gg", "2x2x2", "F3", target_rank=6, time_limit=0.5, rng=0, workers=1, start=strassen_scheme("Z"))
    assert not res.target_reached and res.stopped == "time" and res.rank == 7 and res.best.verify()


@pytest.mark.parametrize("kwargs,needle", [
    (dict(ring="Z", target_rank=7), "ring"),
    (dict(ring="F2"), "at least one"),
    (dict(ring="F2", target_rank=0), "target_rank"),
    (dict(ring="F2", target_rank=7, keep=0), "keep"),
    (dict(ring="F2", target_rank=7, workers=0), "workers"),
    (dict(ring="F2", target_rank=7, time_limit=-1), "time_limit"),
    (dict(ring="F2", target_rank=7, start=naive_scheme("gg", "2x2x3", "F2")), "start"),
    (dict(ring="F2", target_rank=7, plateau=-1), "plateau"),
    (dict(ring="F2", target_rank=7, path_limit=0), "path_limit"),
    (dict(ring="F2", target_rank=7, follow=1.5), "follow"),
])
def test_search_errors(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        search("gg", "2x2x2", **kwargs)


@pytest.mark.parametrize("kwargs,needle", [
    (dict(target_rank=7, margin=2.5), "margin"),
    (dict(target_rank=True), "target_rank"),
    (dict(target_rank=7, keep="3"), "keep"),
    (dict(target_rank=7, restart=3), "restart"),
    (dict(target_rank=7, rng="a"), "rng"),
    (dict(target_rank=7, seed=1, rng=1), "seed, rng"),
    (dict(target_rank=7, executor=object()), "executor"),
])
def test_search_type_errors(kwargs, needle):
    with pytest.raises(TypeError, match=needle):
        search("gg", "2x2x2", "F2", **kwargs)


def test_restart_from_start_runs_independent_descents():
    res = search("gg", "3x3x3", "F2", target_rank=23, rng=2, workers=2, time_limit=60, restart="start")
    assert res.target_reached and res.rank == 23 and res.best.verify()


def test_restart_schemes_larger_than_the_start():
    # walkers start at rank 23, stall at once (path_limit) and restart from a rank-37 scheme (naive plus
    # ten plus transitions): their capacity must hold it, and restarts must never lose the best rank found
    from linalg_lab.flipgraph import Walker

    w = Walker(naive_scheme("gg", "3x3x3", "F2"), 0, headroom=12)
    rng = np.random.default_rng(0)
    while w.rank < 37:
        r1, r2 = (int(x) for x in rng.choice(w.rank, 2, replace=False))
        if not any(np.array_equal(w.words()[r1, m], w.words()[r2, m]) for m in range(3)):
            w.plus(r1, r2, int(rng.integers(3)))
    high = w.scheme()
    assert high.rank == 37 and high.verify()
    s23 = load_scheme(REPO / "schemes" / "gg" / "gg-3x3x3-r23-F2.json")
    res = search("gg", "3x3x3", "F2", target_rank=21, rng=0, workers=2, max_flips=2_000_000, start=s23,
                 restart=high, path_limit=20_000)
    assert res.rank <= 23 and res.best.verify() and res.stopped == "flips"


@pytest.mark.parametrize("kwargs,needle", [
    (dict(restart="bogus"), "restart: expected"),
    (dict(restart=naive_scheme("gg", "2x2x3", "F2")), "restart: scheme is for"),
    (dict(restart=Restart.fresh()), "restart: a fresh cyclic start needs symmetry"),
])
def test_restart_errors(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        search("gg", "2x2x2", "F2", target_rank=7, **kwargs)


def test_campaign_resume_restarts_from_its_start(tmp_path, monkeypatch):
    import linalg_lab.flipgraph.campaign as campaign

    f = tmp_path / "c.toml"
    f.write_text(CAMPAIGN.format(budget=100).replace("seed = 5", 'seed = 5\nrestart = "start"'))
    (tmp_path / "run").mkdir()
    s23 = load_scheme(REPO / "schemes" / "gg" / "gg-3x3x3-r23-F2.json")
    (tmp_path / "run" / "checkpoint.json").write_text(json.dumps(
        {"campaign": str(f), "seconds_used": 1.0, "flips": 10, "schemes": [json.loads(scheme_to_json(s23))]}))
    seen = {}

    def fake_search(*args, **kw):
        seen.update(kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(campaign, "search", fake_search)
    with pytest.raises(KeyboardInterrupt):
        run_campaign(f, progress=False)
    assert seen["start"][0].rank == 23                     # resumes from the checkpoint ...
    assert seen["restart"] == naive_scheme("gg", "3x3x3", "F2")   # ... and restarts from the campaign's start


def run_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "linalg_lab.cli", *args], capture_output=True, text=True, **kw)


def test_cli_search_writes_verified_files(tmp_path):
    r = run_cli("search", "gg", "2x2x2", "--ring", "F2", "--target-rank", "7", "--seed", "1", "--keep", "3",
                "--workers", "2", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    last = json.loads(r.stdout.strip().splitlines()[-1])
    assert last["rank"] == 7 and last["target_reached"] is True and last["flips"] > 0   # 8 -> 7 needs flips
    assert Path(last["path"]).name == "gg-2x2x2-r7-F2.json"
    files = sorted(tmp_path.glob("*.json"))
    assert 1 <= len(files) <= 3
    for f in files:
        assert load_scheme(f).rank == 7


def test_cli_search_walk_settings(tmp_path):
    # the deep-excursion settings of search/kg-3x3x3-F3.toml, from the command line
    r = run_cli("search", "kg", "3x3x3", "--ring", "F3", "--target-rank", "15", "--seed", "1", "--workers", "1",
                "--plateau", "30000", "--margin", "8", "--path-limit", "1e8", "--quiet", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert load_scheme(json.loads(r.stdout.strip().splitlines()[-1])["path"]).rank == 15
    r = run_cli("search", "kg", "3x3x3", "--ring", "F3", "--target-rank", "15", "--margin", "-1", "--quiet",
                "--out", str(tmp_path))
    assert r.returncode == 2 and "margin" in r.stderr
    r = run_cli("search", "kg", "3x3x3", "--ring", "F3", "--target-rank", "15", "--path-limit", "2.5e-1", "--quiet",
                "--out", str(tmp_path))
    assert r.returncode == 2 and "--path-limit" in r.stderr and "whole number" in r.stderr
    r = run_cli("search", "gg", "2x2x2", "--ring", "F2", "--target-rank", "7", "--restart", "start", "--quiet",
                "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    r = run_cli("search", "gg", "2x2x2", "--ring", "F2", "--target-rank", "7", "--restart", "nowhere", "--quiet",
                "--out", str(tmp_path))
    assert r.returncode == 2 and "--restart" in r.stderr


def test_cli_search_time_limit_exit_3(tmp_path):
    r = run_cli("search", "gg", "2x2x2", "--ring", "F2", "--target-rank", "6", "--time-limit", "0.5",
                "--quiet", "--out", str(tmp_path))
    assert r.returncode == 3
    last = json.loads(r.stdout.strip().splitlines()[-1])
    assert last["target_reached"] is False and last["rank"] == 7
    assert load_scheme(last["path"]).verify()


def test_cli_search_ctrl_c_keeps_best(tmp_path, cli_until_progress):
    p, err = cli_until_progress(["search", "gg", "3x3x3", "--ring", "F2", "--target-rank", "19", "--time-limit", "300",
                                 "--out", str(tmp_path)], timeout=240, poll=0.1)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    out = p.stdout.read().decode()
    p.wait(timeout=60)
    assert p.returncode == 130, err.decode()[-2000:]
    last = json.loads(out.strip().splitlines()[-1])
    assert last["target_reached"] is False
    s = load_scheme(last["path"])
    assert s.verify() and s.rank <= 27


CAMPAIGN = """
[tensor]
code = "gg"
sizes = "3x3x3"
ring = "F2"

[search]
target_rank = 19
time_budget = {budget}
workers = 1
seed = 5

[output]
dir = "run"
catalogue = "cat"
checkpoint_interval = 0.3
"""


def test_campaign_checkpoint_and_resume(tmp_path, monkeypatch):
    import linalg_lab.flipgraph.campaign as campaign

    limits = []
    real_search = campaign.search

    def spy(*args, **kw):   # the time budget each run is given
        limits.append(kw["time_limit"])
        return real_search(*args, **kw)

    monkeypatch.setattr(campaign, "search", spy)
    f = tmp_path / "c.toml"
    f.write_text(CAMPAIGN.format(budget=1.5))
    res = run_campaign(f, progress=False)
    assert res.stopped == "time" and res.rank <= 23
    ck = json.loads((tmp_path / "run" / "checkpoint.json").read_text())
    # budget arithmetic, not wall-clock bounds: the first run gets the whole budget and the
    # checkpoint records what it used
    assert limits == [1.5]
    assert ck["seconds_used"] == res.seconds and ck["flips"] == res.flips and ck["schemes"]
    cat = list((tmp_path / "cat" / "gg").glob("gg-3x3x3-r*-F2.json"))
    assert cat and all(load_scheme(c).verify() for c in cat)
    assert load_scheme(tmp_path / "run" / f"gg-3x3x3-r{res.rank}-F2.json").verify()
    # resume with a larger budget: starts from the checkpoint's schemes with the budget left
    f.write_text(CAMPAIGN.format(budget=2.5))
    res2 = run_campaign(f, progress=False)
    assert res2.rank <= res.rank
    assert limits[1] == 2.5 - ck["seconds_used"]
    ck2 = json.loads((tmp_path / "run" / "checkpoint.json").read_text())
    assert ck2["seconds_used"] == ck["seconds_used"] + res2.seconds
    assert ck2["flips"] == ck["flips"] + res2.flips
    # a budget no larger than the seconds already used leaves nothing to run
    f.write_text(CAMPAIGN.format(budget=ck2["seconds_used"]))
    with pytest.raises(ValueError, match="used up"):
        run_campaign(f, progress=False)
    assert len(limits) == 2


def test_campaign_survives_kill_9(tmp_path, kill_campaign_after_checkpoint):
    f = tmp_path / "c.toml"
    f.write_text(CAMPAIGN.format(budget=60))
    ck = tmp_path / "run" / "checkpoint.json"
    data = kill_campaign_after_checkpoint(f)
    assert data["seconds_used"] > 1.0 and data["schemes"]
    c = load_campaign(f)
    from linalg_lab.schemes import scheme_from_dict

    for d in data["schemes"]:
        assert scheme_from_dict(d).verify()
    assert c.checkpoint == ck


def test_campaign_file_errors(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[tensor]\ncode='gg'\nsizes='3x3x3'\nring='F2'\n[search]\nbogus=1\ntime_budget=1\n[output]\ndir='x'\n")
    with pytest.raises(ValueError, match="unknown key"):
        load_campaign(f)
    f.write_text("[tensor]\ncode='gg'\n")
    with pytest.raises(ValueError, match=r"\[search\]"):
        load_campaign(f)


def _shipped(table: bool) -> list:
    """The campaign files of search/ (one target each), or its tables of targets (linalg-lab table)."""
    import tomllib

    return [p for p in sorted((REPO / "search").glob("*.toml")) if ("table" in tomllib.loads(p.read_text())) == table]


@pytest.mark.parametrize("path", _shipped(table=True), ids=lambda p: p.name)
def test_shipped_table_files_parse(path):
    from linalg_lab.flipgraph.table_campaign import load_table, table_targets

    assert table_targets(load_table(path))


@pytest.mark.parametrize("path", _shipped(table=False), ids=lambda p: p.name)
def test_shipped_campaign_files_parse(path):
    c = load_campaign(path)
    assert c.time_budget > 0 and c.ring in ("F2", "F3", "ZT") and c.target_rank is not None
    walk = {k: v for k, v in c.options.items() if k not in ("symmetry", "cubes", "restart")}
    SearchSettings.resolve(**walk)          # every walk setting is known and in range

