"""`check [SLUG]`: run a challenge's grader exactly as `python -m pytest graders/<level>/test_<slug>.py` would."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from graders.harness.catalog import Challenge
from graders.harness.commands import SHOWN_FROM, command_line

from .kit import KIT_ROOT, grader_file


def grader_command(challenge: Challenge, *extra: str) -> list[str]:
    """This interpreter (the one with the kit's packages), from the kit's root, so its pyproject applies."""
    return [sys.executable, "-m", "pytest", str(grader_file(challenge).relative_to(KIT_ROOT)), *extra]


def check(challenge: Challenge, seed: int | None = None) -> int:
    extra = ["--seed", str(seed)] if seed is not None else []
    print(f"Grading {challenge.slug}: {command_line('-m', 'pytest', grader_file(challenge), *extra)}", flush=True)
    process = subprocess.Popen(grader_command(challenge, *extra), cwd=KIT_ROOT, env=shown_from_here())
    return wait_for(process)


def shown_from_here() -> dict:
    """The environment for a grader run from the kit's root that prints its commands for the learner's folder."""
    return {**os.environ, SHOWN_FROM: os.getcwd()}


def wait_for(process: subprocess.Popen) -> int:
    """Its exit status. On Ctrl+C (which pytest, in the same terminal, receives too) give it time to stop its
    server, then make sure it is gone, and raise KeyboardInterrupt again."""
    try:
        return process.wait()
    except KeyboardInterrupt:
        stop(process)
        raise


def stop(process: subprocess.Popen, grace: float = 5.0) -> None:
    try:
        try:
            process.wait(0.5)
            return
        except subprocess.TimeoutExpired:
            interrupt(process)
        process.wait(grace)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        pass
    finally:
        if process.poll() is None:
            process.kill()  # its servers' launchers see their lifeline cut and stop them
            process.wait()


def interrupt(process: subprocess.Popen, platform: str = sys.platform) -> None:
    """A Ctrl+C for one child: SIGINT on POSIX; on Windows a console Ctrl+C cannot be aimed at one process,
    so terminate it (its servers still stop: their launchers notice the lifeline)."""
    try:
        if platform == "win32":
            process.terminate()
        else:
            os.kill(process.pid, signal.SIGINT)
    except OSError:
        pass
