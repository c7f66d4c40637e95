import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("LINALG_LAB_FIXTURES", REPO.parent / "shared" / "fixtures"))


@pytest.fixture
def fixtures_dir():
    if not FIXTURES.is_dir():
        pytest.skip(f"published scheme fixtures not found at {FIXTURES} (set LINALG_LAB_FIXTURES)")
    return FIXTURES


def _run_python(code: str, *, simulator: bool = False, timeout: float = 600) -> str:
    """Run ``code`` in a fresh interpreter (with numba's CUDA simulator on, or surely off); its stdout.

    The simulator must be switched on before numba is imported, hence a process
    of its own; a PTX compile must run with it off.
    """
    import subprocess
    import sys

    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture
def run_python():
    """``run_python(code, simulator=False)``: stdout of ``code`` run in a fresh interpreter."""
    return _run_python


def _kill_campaign_after_checkpoint(toml, after_seconds: float = 1.0, timeout: float = 120) -> dict:
    """Start ``linalg-lab campaign toml``, SIGKILL it once its checkpoint has ``seconds_used > after_seconds``;
    returns that checkpoint (the campaign's output folder is ``run`` beside the file)."""
    import json
    import signal
    import subprocess
    import sys
    import time

    p = subprocess.Popen([sys.executable, "-m", "linalg_lab.cli", "campaign", str(toml), "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ck = Path(toml).parent / "run" / "checkpoint.json"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if ck.exists() and json.loads(ck.read_text())["seconds_used"] > after_seconds:
            break
        time.sleep(0.2)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return json.loads(ck.read_text())


@pytest.fixture
def kill_campaign_after_checkpoint():
    """``kill_campaign_after_checkpoint(toml)``: run a campaign, kill -9 it after a checkpoint, return that."""
    return _kill_campaign_after_checkpoint


def _cli_until_progress(argv, timeout: float = 120, poll: float = 0.05):
    """Start ``linalg-lab argv`` and return ``(process, stderr so far)`` once its progress bar shows a rank
    (or it ended, or ``timeout`` passed); stderr keeps filling in the background, byte by byte."""
    import subprocess
    import sys
    import threading
    import time

    p = subprocess.Popen([sys.executable, "-m", "linalg_lab.cli", *argv], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    err = bytearray()

    def read_stderr():
        for b in iter(lambda: p.stderr.read(1), b""):
            err.extend(b)

    threading.Thread(target=read_stderr, daemon=True).start()
    deadline = time.time() + timeout
    while b"rank" not in err and time.time() < deadline and p.poll() is None:   # the progress bar: searching
        time.sleep(poll)
    return p, err


@pytest.fixture
def cli_until_progress():
    """``cli_until_progress(argv)``: a running ``linalg-lab`` command and its stderr, once it is searching."""
    return _cli_until_progress
