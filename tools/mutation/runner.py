"""Running a challenge's grader against its mutants, each in a private copy of the challenge's folder.

Why our own runner, with cosmic-ray for the mutants only: `cosmic-ray exec` mutates a file in place and runs
one test command per mutant, one session at a time. Here each worker needs its own copy of the folder (the
grader boots the server from --target; the kit's solutions/ and the learner's exercises/ are never touched),
several challenges run at once, and a mutant on a line the grader never runs can be counted without a run:
the clean run is traced (trace/sitecustomize.py) to learn which lines are reached.

Per mutant: `python -m pytest graders/<level>/test_<slug>.py --target <copy> -x -q`, with the autoloaded pytest
plugins of this machine left out (they cost a second per start), and a timeout of 3x the clean run plus 5 s.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from graders.ground import KIT_ROOT
from graders.ground.catalog import Challenge

from .mutants import Mutant
from .records import solution_dir

TRACE = Path(__file__).resolve().parent / "trace"
POSIX = os.name == "posix"


@dataclass
class Outcome:
    mutant: Mutant
    status: str          # killed, survived, timed out, not reached (a survivor the grader never ran)
    seconds: float
    output: str = ""     # the grader's last lines, for a kill


class Workspace:
    """A private kit for one worker: <tmp>/kit/solutions/<level>/<slug> and a copy of static/ beside it (the
    foundations servers find the site at parents[3] of their file)."""

    def __init__(self, root: Path = KIT_ROOT):
        self.root = root
        self.tmp = Path(tempfile.mkdtemp(prefix="wsfs-mutation-"))
        self.kit = self.tmp / "kit"
        self.target = self.kit / "solutions"
        shutil.copytree(root / "static", self.kit / "static")
        self.results = self.tmp / "results.json"

    def place(self, challenge: Challenge, mutant: Mutant | None) -> Path:
        """A fresh copy of the solution's folder, with the mutant's file written over it."""
        folder = self.target / challenge.level / challenge.slug
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(solution_dir(challenge, self.root), folder, ignore=shutil.ignore_patterns("__pycache__"))
        if mutant is not None:
            (folder / mutant.key.file).write_text(mutant.code, encoding="utf-8")
        return folder

    def remove(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def grader_command(challenge: Challenge, workspace: Workspace, seed: int) -> list[str]:
    return [sys.executable, "-m", "pytest", f"graders/{challenge.level}/test_{challenge.slug}.py",
            "--target", str(workspace.target), "--results", str(workspace.results), "--seed", str(seed),
            "-x", "-q", "-p", "no:cacheprovider", "-p", "pytest_timeout", "-o", "addopts="]


def grader_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MUTATION_"))}
    env.update({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"})
    env.update(extra or {})
    return env


def run_grader(command: list[str], env: dict, cwd: Path, timeout: float) -> tuple[str, float, str]:
    """(passed | failed | timed out, seconds, output). A run past its time is killed with its whole process
    group; the grader's watchdog then sees its lifeline cut and stops the server."""
    started = time.monotonic()
    group = {"start_new_session": True} if POSIX else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, **group)
    RUNNING.add(process)
    try:
        output, _ = process.communicate(timeout=timeout)
        status = "passed" if process.returncode == 0 else "failed"
    except subprocess.TimeoutExpired:
        stop(process)
        output, _ = process.communicate()
        status = "timed out"
    finally:
        RUNNING.discard(process)
    return status, time.monotonic() - started, output.decode("utf-8", "replace")


RUNNING: set[subprocess.Popen] = set()     # grader runs under way, for stop_all() on Ctrl+C


def stop(process: subprocess.Popen) -> None:
    """Kill a grader run and its process group (it leads its own session)."""
    if POSIX:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    else:
        process.kill()


def stop_all() -> None:
    for process in list(RUNNING):
        stop(process)


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


class CleanRunFailed(Exception):
    pass


def clean_run(challenge: Challenge, workspace: Workspace, seed: int) -> tuple[float, set[tuple[str, int]] | None]:
    """Grade the unmutated solution once, traced: (its time, the (file, line) pairs it ran, or None when the
    trace could not be had, so every mutant is run)."""
    folder = workspace.place(challenge, None).resolve()
    trace_out = workspace.tmp / "trace.txt"
    trace_out.unlink(missing_ok=True)
    env = grader_env({"MUTATION_TRACE_DIR": str(folder), "MUTATION_TRACE_OUT": str(trace_out),
                      "PYTHONPATH": os.pathsep.join(filter(None, [str(TRACE), os.environ.get("PYTHONPATH")]))})
    status, seconds, output = run_grader(grader_command(challenge, workspace, seed), env, workspace.root, 600)
    if status != "passed":
        # Tracing slows a server down: a timing check may fail under it. Try once without.
        status, seconds, output = run_grader(grader_command(challenge, workspace, seed), grader_env(),
                                             workspace.root, 600)
        if status != "passed":
            raise CleanRunFailed(f"the unmutated solution does not pass its grader ({status}):\n{tail(output, 30)}")
        return seconds, None
    if not trace_out.exists():
        return seconds, None
    reached = set()
    for line in trace_out.read_text(encoding="utf-8").splitlines():
        path, _, number = line.rpartition(":")
        try:
            reached.add((Path(path).relative_to(folder).as_posix(), int(number)))
        except ValueError:
            continue
    return seconds, reached


def is_reached(mutant: Mutant, reached: set[tuple[str, int]] | None) -> bool:
    """Whether the grader ran any line of the mutated node (a statement spanning lines reports some of them)."""
    if reached is None:
        return True
    first, last = mutant.lines
    return any((mutant.key.file, line) in reached for line in range(first, last + 1))


def run_mutant(challenge: Challenge, workspace: Workspace, mutant: Mutant, seed: int, timeout: float) -> Outcome:
    workspace.place(challenge, mutant)
    status, seconds, output = run_grader(grader_command(challenge, workspace, seed), grader_env(), workspace.root,
                                         timeout)
    verdict = {"passed": "survived", "failed": "killed", "timed out": "timed out"}[status]
    return Outcome(mutant, verdict, seconds, tail(output) if verdict != "survived" else "")


class Pool:
    """Workspaces handed out to threads, one per thread at a time (each grader run is a subprocess)."""

    def __init__(self, root: Path = KIT_ROOT):
        self.root = root
        self.free: list[Workspace] = []
        self.all: list[Workspace] = []
        self.lock = threading.Lock()

    def take(self) -> Workspace:
        with self.lock:
            if self.free:
                return self.free.pop()
        workspace = Workspace(self.root)
        with self.lock:
            self.all.append(workspace)
        return workspace

    def give(self, workspace: Workspace) -> None:
        with self.lock:
            self.free.append(workspace)

    def close(self) -> None:
        for workspace in self.all:
            workspace.remove()
