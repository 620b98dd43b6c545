"""Helpers for tests that act as a learner: a copy of the kit to work in, and commands run inside it.

The copy is made with shutil.copytree (no git), as a workshop's zip download would be, and the kit's own
package is put on PYTHONPATH, as `pip install -e .` in that copy would. Nothing touches the real exercises/.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LEFT_OUT = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", ".pytest_cache", "*.egg-info", ".venv", "backups",
                                  "grader-results.json*", "learner-state.json*", ".benchmarks", ".ruff_cache")


def copy_kit(destination: Path) -> Path:
    shutil.copytree(REPO, destination, ignore=LEFT_OUT)
    return destination


# A pytest the kit's tests start loads only the plugins the graders use, as `python -m graders check` does. Other
# plugins installed on the machine (hypothesis, anyio, pytest-benchmark...) take no part, and loading them costs
# about a second of CPU per start: the tests start a few hundred. pytest-xdist only for a run that asks for
# workers (`*XDIST, "-n", "2"`), as `python -m graders check` does too.
GRADERS_PLUGINS_ONLY = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_ADDOPTS": "-p pytest_timeout"}
XDIST = ("-p", "xdist.plugin")


def pytest_of_its_own(env) -> dict:
    """`env` without the outer run's PYTEST_ variables (a worker's id, the test running), for a pytest of its own."""
    return {**{k: v for k, v in env.items() if not k.startswith("PYTEST_")}, **GRADERS_PLUGINS_ONLY}


def kit_env(kit: Path, **extra: str) -> dict:
    """The environment of a learner whose kit is installed from `kit` (and nothing of the outer test run)."""
    env = {k: v for k, v in pytest_of_its_own(os.environ).items()
           if not k.startswith("WSFS_") and k not in ("PYTHONPATH", "PYTHONBREAKPOINT")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        env.pop(name, None)
        env.pop(name.lower(), None)
    return {**env, "PYTHONPATH": str(kit), "PYTHONIOENCODING": "utf-8", **extra}


def run_in(kit: Path, *args: str, cwd: Path | None = None, stdin: str = "", timeout: float = 60,
           env: dict | None = None) -> subprocess.CompletedProcess:
    """`python <args>` as a learner types it in `cwd` (default: the kit's root)."""
    return subprocess.run([sys.executable, *args], cwd=cwd or kit, env=env or kit_env(kit), input=stdin,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def graders(kit: Path, *args: str, **options) -> subprocess.CompletedProcess:
    """`python -m graders <args>`."""
    return run_in(kit, "-m", "graders", *args, **options)


def processes_mentioning(text: str) -> list[str]:
    """Live processes whose command line contains `text` (Linux /proc, else ps)."""
    if Path("/proc/self/cmdline").exists():
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if text in command:
                found.append(f"{entry.name} {command}")
        return found
    table = subprocess.run(["ps", "-A", "-o", "pid=,stat=,command="], capture_output=True, text=True).stdout
    return [line for line in table.splitlines() if text in line and "Z" not in line.split()[1]]
