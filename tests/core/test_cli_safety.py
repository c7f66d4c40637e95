"""The CLI never loses or destroys data: output paths, campaign files, SIGTERM, no clobbering (issue P0)."""

import importlib
import json
import os
import signal
import threading
import time

import pytest

from linalg_lab.cli import interrupt_signals, main
from linalg_lab.schemes import load_scheme, save_scheme
from linalg_lab.tensors import strassen_scheme

NOTES = "my notes, not a scheme\n"


def _fail_if_called(*args, **kwargs):
    raise AssertionError("the work started although --out is unusable")


def _one_line_error(capsys, *needles):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


# ----------------------------------------------------------------------------- output paths
COMMANDS = {   # argv after the command name (FILE: a scheme file), and the work that must not start
    "search": (["gg", "2x2x2", "--target-rank", "7", "--quiet"], ("linalg_lab.flipgraph.search", "search")),
    "optimize": (["FILE"], ("linalg_lab.flipgraph.optimize", "optimize_additions")),
    "meta": (["--formats", "2x2x2", "--time-limit", "1", "--quiet"], ("linalg_lab.flipgraph.meta_search", "meta_search")),
    "lift": (["FILE", "--to", "Z"], ("linalg_lab.lifting.commands", "lift_files")),
    "import": (["FILE"], ("linalg_lab.schemes.commands", "published_schemes")),
    "naive": (["gg", "2x2x2"], None),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_out_naming_an_existing_file_is_refused_before_the_work(command, tmp_path, capsys, monkeypatch):
    args, work = COMMANDS[command]
    scheme = save_scheme(strassen_scheme("F2"), tmp_path / "in.json")
    if work is not None:     # by module object: the package re-exports functions under the modules' names
        monkeypatch.setattr(importlib.import_module(work[0]), work[1], _fail_if_called)
    for name in ("notes.txt", "other-scheme.json"):     # a scheme file is no folder either
        target = tmp_path / name
        if name.endswith(".json"):
            save_scheme(strassen_scheme("ZT"), target)
        else:
            target.write_text(NOTES)
        before = target.read_bytes()
        argv = [command, *[str(scheme) if a == "FILE" else a for a in args], "--out", str(target)]
        assert main(argv) == 2
        _one_line_error(capsys, f"{command}: --out: ", "is not a folder")
        assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.json", "notes.txt", "other-scheme.json"]


def test_missing_out_folder_is_created_as_a_folder(tmp_path, capsys):
    scheme = save_scheme(strassen_scheme("ZT"), tmp_path / "in.json")
    out = tmp_path / "new" / "dir"
    assert main(["optimize", str(scheme), "--out", str(out) + "/", "--time-limit", "0.2", "--seed", "0"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out.is_dir() and os.path.dirname(last["path"]) == str(out)
    assert load_scheme(last["path"]).verify()
    assert main(["naive", "gg", "2x2x2", "--out", str(tmp_path / "plain")]) == 0     # no trailing slash either
    assert (tmp_path / "plain").is_dir() and len(list((tmp_path / "plain").glob("*.json"))) == 1


def test_meta_checkpoint_that_is_not_one_is_refused_and_kept(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(importlib.import_module("linalg_lab.flipgraph.meta_search"), "MetaCoordinator", _fail_if_called)
    ck = tmp_path / "notes.json"
    ck.write_text('{"mine": true}')
    assert main(["meta", "--formats", "2x2x2", "--time-limit", "1", "--quiet", "--out", str(tmp_path / "o"),
                 "--checkpoint", str(ck)]) == 2
    _one_line_error(capsys, "checkpoint", "not a meta-search checkpoint")
    assert ck.read_text() == '{"mine": true}'


# ----------------------------------------------------------------------------- no clobbering
def test_reruns_into_one_folder_keep_every_file(tmp_path, capsys):
    out = str(tmp_path)
    base = ["search", "gg", "2x2x2", "--ring", "F2", "--target-rank", "7", "--workers", "1", "--quiet", "--out", out]
    assert main([*base, "--keep", "3", "--seed", "1"]) == 0
    first = {p: p.read_bytes() for p in tmp_path.iterdir()}
    assert len(first) >= 2          # 2x2x2 has many distinct rank-7 schemes over F2
    for seed in ("2", "3"):         # reruns with a smaller --keep and other seeds
        assert main([*base, "--keep", "1", "--seed", seed]) == 0
    reported = [json.loads(line)["path"] for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert all(p.read_bytes() == text for p, text in first.items())        # nothing of the first run replaced
    schemes = [load_scheme(p) for p in sorted(tmp_path.iterdir())]
    assert all(s.rank == 7 for s in schemes)
    assert len(schemes) == len({json.dumps([s.u.tolist(), s.v.tolist(), s.w.tolist()]) for s in schemes})
    assert all(os.path.exists(p) for p in reported)
    # identical content is idempotent: naive twice reports one file
    assert main(["naive", "gg", "2x2x2", "--out", str(tmp_path / "n")]) == 0
    assert main(["naive", "gg", "2x2x2", "--out", str(tmp_path / "n")]) == 0
    a, b = capsys.readouterr().out.split()
    assert a == b and len(list((tmp_path / "n").iterdir())) == 1


# ----------------------------------------------------------------------------- campaign files
GOOD = {
    "tensor": {"code": '"gg"', "sizes": '"2x2x2"', "ring": '"F2"'},
    "search": {"target_rank": "7", "time_budget": "5", "workers": "1", "keep": "1", "seed": "1"},
    "output": {"dir": '"run"', "checkpoint_interval": "1"},
}


def campaign_text(**changes):
    """A campaign file; ``changes`` maps 'section.key' to a TOML value (None: drop the key)."""
    sections = {s: dict(keys) for s, keys in GOOD.items()}
    for where, value in changes.items():
        section, key = where.split(".")
        sections.setdefault(section, {})
        if value is None:
            sections[section].pop(key)
        else:
            sections[section][key] = value
    return "".join(f"[{s}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()) for s, keys in sections.items())


BAD_CAMPAIGNS = [
    ({"search.target_rank": '"six"'}, "[search] target_rank: expected an integer"),
    ({"search.workers": '"two"'}, "[search] workers: expected an integer"),
    ({"search.time_budget": "[1]"}, "[search] time_budget: expected a real number"),
    ({"search.time_budget": '"abc"'}, "[search] time_budget: expected a real number, got str 'abc'"),
    ({"search.time_budget": "true"}, "[search] time_budget: expected a real number, got bool True"),
    ({"search.time_budget": None}, "[search] time_budget is missing"),
    ({"search.keep": "2.7"}, "[search] keep: expected an integer, got float 2.7"),
    ({"search.seed": "-4"}, "[search] seed: expected an integer >= 0, got -4"),
    ({"search.rng": "2"}, "[search] seed, rng: give one of them"),
    ({"search.plateau": '"many"'}, "[search] plateau: expected an integer"),
    ({"search.follow": "2.0"}, "[search] follow: expected a finite number >= 0.0 and <= 1.0"),
    ({"search.restart": '"nowhere"'}, "[search] restart: expected one of 'pool', 'start'"),
    ({"search.cubes": "2"}, "[search] cubes: only meaningful with symmetry"),
    ({"search.symmetry": '"C3"', "tensor.sizes": '"2x2x3"'}, "[search] symmetry: the cyclic symmetry needs"),
    ({"search.symmetry": '"C3"', "search.cubes": "7"}, "[search] cubes: expected a number of blocks"),
    ({"output.dir": "5"}, "[output] dir: expected a path (a string), got int 5"),
    ({"output.catalog": '"cat"'}, "[output] unknown key(s) catalog"),
    ({"output.checkpoint_interval": "0"}, "[output] checkpoint_interval: expected a finite number > 0.0"),
    ({"tensor.rings": '"F2"'}, "[tensor] unknown key(s) rings"),
    ({"tensor.ring": '"Q"'}, "[tensor] ring: expected one of 'F2', 'F3', 'ZT'"),
    ({"tensor.code": "3"}, "[tensor] code: expected a tensor code"),
    ({"tensor.sizes": '"2x2"'}, "[tensor] sizes"),
    ({"extra.key": "1"}, "unknown section(s) or key(s) extra"),
]


@pytest.mark.parametrize("changes, needle", BAD_CAMPAIGNS, ids=[next(iter(c)) for c, _ in BAD_CAMPAIGNS])
def test_campaign_file_errors_name_the_key_and_exit_2(changes, needle, tmp_path, capsys, monkeypatch):
    import linalg_lab.flipgraph.campaign as campaign

    monkeypatch.setattr(campaign, "search", _fail_if_called)
    f = tmp_path / "c.toml"
    f.write_text(campaign_text(**changes))
    assert main(["campaign", str(f), "--quiet"]) == 2
    _one_line_error(capsys, f"campaign: {f}: {needle}")
    assert not (tmp_path / "run").exists()


def test_campaign_folders_and_checkpoint_are_checked_before_the_search(tmp_path, capsys, monkeypatch):
    import linalg_lab.flipgraph.campaign as campaign

    monkeypatch.setattr(campaign, "search", _fail_if_called)
    f = tmp_path / "c.toml"
    f.write_text(campaign_text())
    (tmp_path / "run").write_text(NOTES)                 # dir names a file
    assert main(["campaign", str(f), "--quiet"]) == 2
    _one_line_error(capsys, "[output] dir: ", "is not a folder")
    assert (tmp_path / "run").read_text() == NOTES
    (tmp_path / "run").unlink()
    (tmp_path / "run").mkdir()
    ck = tmp_path / "run" / "checkpoint.json"
    ck.write_text('{"something": "else"}')               # a checkpoint.json that is not one
    assert main(["campaign", str(f), "--quiet"]) == 2
    _one_line_error(capsys, "[output] dir: ", "is not a checkpoint of a campaign")
    assert ck.read_text() == '{"something": "else"}'
    ck.unlink()
    f.write_text(campaign_text(**{"search.start": '"missing.json"'}))
    assert main(["campaign", str(f), "--quiet"]) == 2
    _one_line_error(capsys, "[search] start: ", "missing.json")


# ----------------------------------------------------------------------------- signals
def test_sigterm_is_an_interrupt_once_and_the_handlers_are_restored():
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with interrupt_signals() as received:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        assert received == [signal.SIGTERM]
        os.kill(os.getpid(), signal.SIGTERM)      # a second one while the result is written: ignored
        time.sleep(0.05)
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    out = []                                      # outside the main thread nothing is installed
    t = threading.Thread(target=lambda: out.append(interrupt_signals().__enter__()))
    t.start()
    t.join()
    assert out == [[]] and signal.getsignal(signal.SIGTERM) == before[0]


def test_interrupted_optimize_writes_its_best(tmp_path, capsys, monkeypatch):
    from linalg_lab.flipgraph.walker import Walker

    calls = [0]
    real = Walker.cost_walk

    def walk_then_stop(self, n):        # the third chunk is interrupted, as Ctrl-C or SIGTERM would
        calls[0] += 1
        if calls[0] == 3:
            raise KeyboardInterrupt
        return real(self, n)

    monkeypatch.setattr(Walker, "cost_walk", walk_then_stop)
    scheme = save_scheme(strassen_scheme("ZT"), tmp_path / "in.json")
    assert main(["optimize", str(scheme), "--out", str(tmp_path / "o"), "--time-limit", "60", "--seed", "0"]) == 130
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    s = load_scheme(last["path"])
    assert s.verify() and s.rank == 7 and last["additions"] <= last["additions_before"]


def test_sigterm_stops_a_search_and_keeps_its_best(tmp_path, cli_until_progress):
    # a target 2x2x2 cannot reach and a long time limit: only the signal ends it
    p, err = cli_until_progress(["search", "gg", "2x2x2", "--ring", "F2", "--target-rank", "5", "--time-limit", "300",
                                 "--workers", "1", "--seed", "0", "--out", str(tmp_path / "out")])
    assert (tmp_path / "out").is_dir()          # the folder was made before the search
    p.send_signal(signal.SIGTERM)
    out = p.stdout.read().decode()
    p.wait(timeout=60)
    assert p.returncode == 143, err.decode()[-2000:]
    last = json.loads(out.strip().splitlines()[-1])
    assert last["target_reached"] is False and last["rank"] >= 7
    s = load_scheme(last["path"])
    assert s.verify() and s.rank == last["rank"]
