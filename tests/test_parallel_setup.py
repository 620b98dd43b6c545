"""The kit's own tests run in parallel (tests/conftest.py): a module of buggy copies stays on one worker, so its
fixture grades every case once. This went silently wrong once (the workers never heard of loadgroup)."""
import os
import subprocess
import sys

from tests.conftest import default_workers
from tests.kit_copy import REPO, XDIST, pytest_of_its_own

PROBE = '''
import os

import pytest


@pytest.mark.parametrize("case", range(8))
def test_case(case, tmp_path_factory):
    with open(os.environ["PROBE_LOG"], "a") as log:
        log.write(os.environ.get("PYTEST_XDIST_WORKER", "none") + "\\n")
'''


def test_two_workers_per_core_and_never_more_than_four():
    assert [default_workers(cores) for cores in (None, 1, 2, 3, 16)] == [2, 2, 4, 4, 4]


def test_a_mistakes_module_runs_on_one_worker(tmp_path):
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n", encoding="utf-8")
    (tmp_path / "test_probe_mistakes.py").write_text(PROBE, encoding="utf-8")
    log = tmp_path / "workers.log"
    env = {**pytest_of_its_own(os.environ), "PROBE_LOG": str(log), "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-m", "pytest", str(tmp_path), "-p", "no:cacheprovider", "-q",
                          "--rootdir", str(tmp_path), *XDIST, "-n", "3"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    workers = log.read_text().split()
    assert len(workers) == 8 and set(workers) <= {"gw0", "gw1", "gw2"}, workers
    assert len(set(workers)) == 1, f"one module's tests spread over workers {sorted(set(workers))}"
