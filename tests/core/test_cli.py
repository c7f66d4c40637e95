"""The CLI skeleton: naive, verify, show."""

import json
import subprocess
import sys

from linalg_lab.cli import main


def test_naive_then_verify(tmp_path, capsys):
    assert main(["naive", "gg", "3x3x3", "--ring", "Z", "--out", str(tmp_path / "d")]) == 0
    files = list((tmp_path / "d").glob("*.json"))
    assert [f.name for f in files] == ["gg-3x3x3-r27-Z.json"]
    data = json.loads(files[0].read_text())
    assert data["rank"] == 27 and data["ring"] == "Z" and data["n"] == [3, 3, 3]
    capsys.readouterr()
    assert main(["verify", *map(str, files)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("OK")


def test_verify_fails_on_broken_file(tmp_path, capsys):
    main(["naive", "gg", "2x2x2", "--out", str(tmp_path)])
    good = next(tmp_path.glob("*.json"))
    data = json.loads(good.read_text())
    data["w"][0][0] = 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["verify", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert any(line.startswith("FAIL") and "bad.json" in line for line in lines)


def test_show_prints_equations(tmp_path, capsys):
    main(["naive", "gg", "2x2x2", "--out", str(tmp_path)])
    f = next(tmp_path.glob("*.json"))
    capsys.readouterr()
    assert main(["show", str(f)]) == 0
    out = capsys.readouterr().out
    assert "m1 = (a11)(b11)" in out and "c11 = m1 + m3" in out


def test_naive_bad_code(tmp_path, capsys):
    assert main(["naive", "zz", "2x2x2", "--out", str(tmp_path)]) == 2
    assert "code" in capsys.readouterr().err


def test_console_script_entry_point(tmp_path):
    r = subprocess.run([sys.executable, "-m", "linalg_lab.cli", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and "linalg-lab" in r.stdout
