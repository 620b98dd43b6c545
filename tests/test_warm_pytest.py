"""The warm pytest that grades the buggy copies (tests/warm_pytest.py): a run forked from it must be what
`python -m pytest` is, in its output, its exit code and its end when it overruns its time."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.kit_copy import REPO, pytest_of_its_own
from tests.warm_pytest import CAN_FORK, WarmPytest

pytestmark = pytest.mark.skipif(not CAN_FORK, reason="the warm pytest forks on Linux only; elsewhere it is pytest")

TESTS = '''
import os, time
def test_passes():
    assert os.environ["WARM_PROBE"] == "seen"
def test_fails():
    assert 1 + 1 == 3, "a message the learner reads"
def test_sleeps():
    if os.environ.get("WARM_SLEEP"):
        with open(os.environ["WARM_SLEEP"], "w") as pid:
            pid.write(str(os.getpid()))
        time.sleep(60)
'''


def without_timing(output: str) -> str:
    return re.sub(r" in [0-9.]+s", " in Ns", output)


@pytest.fixture
def warm():
    warm = WarmPytest()
    yield warm
    warm.close()


def test_a_warm_run_prints_what_a_cold_run_prints_and_ends_with_its_code(warm, tmp_path):
    (tmp_path / "test_probe.py").write_text(TESTS, encoding="utf-8")
    args = [str(tmp_path / "test_probe.py"), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path)]
    env = {**pytest_of_its_own(os.environ), "WARM_PROBE": "seen", "PYTHONIOENCODING": "utf-8"}
    cold = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=60)
    code, output = warm.run(args, env, timeout=60)
    assert (code, without_timing(output)) == (cold.returncode, without_timing(cold.stdout + cold.stderr))
    assert code == 1 and "a message the learner reads" in output and "2 passed" in output
    assert warm.run([*args, "-k", "nothing_matches"], env, timeout=60)[0] == 5     # pytest's "no tests ran"


def test_a_run_past_its_time_is_killed_and_the_next_run_still_answers(warm, tmp_path):
    (tmp_path / "test_probe.py").write_text(TESTS, encoding="utf-8")
    args = [str(tmp_path / "test_probe.py"), "-q", "-p", "no:cacheprovider", "-k", "sleeps", "--rootdir",
            str(tmp_path)]
    env = {**pytest_of_its_own(os.environ), "WARM_SLEEP": str(tmp_path / "pid")}
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        warm.run(args, env, timeout=6)      # time enough to reach the sleeping test on a busy machine
    assert time.monotonic() - started < 15
    assert (tmp_path / "pid").exists(), "the run never reached its test in 6 s"
    run = Path(f"/proc/{(tmp_path / 'pid').read_text()}")
    deadline = time.monotonic() + 5
    while run.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not run.exists(), "the run that overran is still running"
    assert warm.run(args, {**env, "WARM_SLEEP": ""}, timeout=60)[0] == 0
