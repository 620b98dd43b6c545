"""`check [SLUG]`: run a challenge's grader exactly as `python -m pytest graders/<level>/test_<slug>.py` would."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile

from graders.ground.catalog import Challenge
from graders.ground.results import FAILED, PASSED
from graders.harness.commands import SHOWN_FROM, command_line

from .kit import KIT_ROOT, Progress, challenges, cli_command, grader_file
from .status import level_bars, mark

# The plugins a grader needs, named: with autoloading off, whatever else pytest finds installed on the
# learner's machine (hypothesis, trio, anyio...) is never imported, which saves a second or more per run.
NEEDED_PLUGINS = ("-p", "pytest_timeout")
XDIST = ("-p", "xdist.plugin")


def grader_command(challenge: Challenge, *extra: str) -> list[str]:
    """This interpreter (the one with the kit's packages), from the kit's root, so its pyproject applies."""
    plugins = NEEDED_PLUGINS + (XDIST if any(o == "-n" or o.startswith(("-n", "--numprocesses")) for o in extra)
                                else ())
    return [sys.executable, "-m", "pytest", *plugins, str(grader_file(challenge).relative_to(KIT_ROOT)), *extra]


def check(challenge: Challenge, options: list[str] = ()) -> int:
    print(f"Grading {challenge.slug}: {command_line('-m', 'pytest', grader_file(challenge), *options)}", flush=True)
    process = subprocess.Popen(grader_command(challenge, *options), cwd=KIT_ROOT, env=shown_from_here())
    return wait_for(process)


def check_all(progress: Progress, level: str | None = None, options: list[str] = ()) -> int:
    """Every challenge (of one level) in catalog order, one line each, then the bars: rustlings' check-all."""
    chosen = [c for c in challenges() if level in (None, c.level)]
    width = max(len(c.slug) for c in chosen)
    failing = 0
    print(f"Grading {len(chosen)} challenges{f' of the {level} level' if level else ''}, in order...", flush=True)
    for challenge in chosen:
        code, entry, _output = run_quietly(challenge, options)
        passed = code == 0 and entry.get("status") == PASSED
        failing += not passed
        if entry:
            score = f"{entry.get('passed', 0)}/{entry.get('total', 0)}"
            words = "passes" if passed else shorten(entry.get("first_failure") or "fails", 80)
        else:
            score, words = "-", f"could not be graded (pytest exit status {code})"
        print(f"  {mark(PASSED if passed else FAILED)} {challenge.slug:<{width}}  {score:>5}  {words}", flush=True)
    print()
    for line in level_bars(Progress.load()):
        print(line)
    print(f"\n{len(chosen) - failing} of {len(chosen)} pass." + (f" `{cli_command('check')}` grades the first one "
          "left, with the whole report." if failing else ""))
    return 1 if failing else 0


def shorten(text: str, width: int) -> str:
    """The first line, cut at a word to fit one row of the table."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3].rsplit(" ", 1)[0] + "..."


def run_quietly(challenge: Challenge, options: list[str] = ()) -> tuple[int, dict, str]:
    """(pytest's exit status, this run's results entry or {} when it wrote none, its output)."""
    runs_before = Progress.load().entry(challenge).get("runs") or 0
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(grader_command(challenge, "-q", "-p", "no:cacheprovider", *options),
                                   cwd=KIT_ROOT, env=shown_from_here(), stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        code = wait_for(process)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    entry = Progress.load().entry(challenge)
    return code, (entry if (entry.get("runs") or 0) > runs_before else {}), text


def shown_from_here() -> dict:
    """The environment for a grader run from the kit's root that prints its commands for the learner's folder."""
    return {**os.environ, SHOWN_FROM: os.getcwd(), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


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
            process.kill()  # its servers' watchdog sees the lifeline cut and stops them
            process.wait()


def interrupt(process: subprocess.Popen, platform: str = sys.platform) -> None:
    """A Ctrl+C for one child: SIGINT on POSIX; on Windows a console Ctrl+C cannot be aimed at one process,
    so terminate it (its servers still stop: their watchdog notices the lifeline)."""
    try:
        if platform == "win32":
            process.terminate()
        else:
            os.kill(process.pid, signal.SIGINT)
    except OSError:
        pass
