"""A pytest kept warm, for the buggy copies: each grader run is a fresh process forked from one that has already
imported pytest, its plugins and the graders' harness, so a run skips the ~0.4 s of CPU that importing them
costs. The kit's tests grade about a hundred copies; each run is still a process of its own, with its own
arguments, environment, output and exit code, and its servers booted and stopped as in any grader run.

    code, output = warm_pytest().run(["graders/foundations/test_go_async.py", "--target", ...], env, timeout=180)

Linux only: macOS forbids some system libraries after fork() (urllib's proxy lookup among them), and Windows has
no fork(). Elsewhere run() starts `python -m pytest` itself. The warm process is `python -m tests.warm_pytest`.
"""
from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as NoAnswerInTime  # not yet the builtin TimeoutError on 3.10
from pathlib import Path

from tests.kit_copy import REPO, pytest_of_its_own

CAN_FORK = sys.platform.startswith("linux")


class WarmPytest:
    """The caller's side: one warm process per test worker, started on first use, ended at exit."""

    def __init__(self):
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.waiting: dict[int, Future] = {}
        self.next_id = 0

    def run(self, args: list[str], env: dict, timeout: float) -> tuple[int, str]:
        """`python -m pytest <args>` from the kit's root: (exit code, stdout and stderr together)."""
        if not CAN_FORK:
            done = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=REPO, env=env, capture_output=True,
                                  text=True, encoding="utf-8", timeout=timeout)
            return done.returncode, done.stdout + done.stderr
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "output.txt"
            number, answer = self.send({"args": args, "env": env, "output": str(output)})
            try:
                code = answer.result(timeout)
            except NoAnswerInTime:
                self.send({"kill": number})
                raise subprocess.TimeoutExpired(["pytest", *args], timeout) from None
            if not output.exists():              # the warm process itself died (code -1): say so, no traceback
                return code, "the warm pytest ended before this run could start"
            return code, output.read_text(encoding="utf-8", errors="replace")

    def send(self, job: dict) -> tuple[int, Future]:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.start()
            number, answer = self.next_id, Future()
            if "kill" not in job:
                job["id"] = number
                self.waiting[number] = answer
                self.next_id += 1
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
            return number, answer

    def start(self) -> None:
        env = {**pytest_of_its_own(os.environ), "PYTHONIOENCODING": "utf-8"}
        self.process = subprocess.Popen([sys.executable, "-m", "tests.warm_pytest"], cwd=REPO, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        threading.Thread(target=self.read_answers, args=(self.process,), daemon=True).start()

    def read_answers(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            job, code = map(int, line.split())
            with self.lock:
                answer = self.waiting.pop(job, None)
            if answer is not None:
                answer.set_result(code)
        with self.lock:                          # the warm process is gone: nobody else will answer
            for answer in self.waiting.values():
                answer.set_result(-1)
            self.waiting.clear()

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()           # it ends its runs still going, and exits
            self.process.wait(10)


_warm: WarmPytest | None = None


def warm_pytest() -> WarmPytest:
    global _warm
    if _warm is None:
        _warm = WarmPytest()
        atexit.register(_warm.close)
    return _warm


# --- the warm process -------------------------------------------------------------------------------------

def serve() -> None:
    """Read jobs on stdin; fork a run for each; answer "<job> <exit code>" on stdout as each run ends."""
    import select
    import signal

    # What every run needs, imported once, here. Not the plugins a run names with -p (pytest_timeout): pytest
    # rewrites their asserts as it imports them, and warns when it finds them imported already.
    import pytest  # noqa: F401
    from _pytest.config import default_plugins
    for name in default_plugins:
        __import__(f"_pytest.{name}")
    import graders.harness.clients  # noqa: F401  requests, h11, websockets
    import graders.harness.plugin  # noqa: F401

    runs: dict[int, int] = {}                    # pid -> job
    pending, open_ = b"", True
    while open_ or runs:
        ready, _, _ = select.select([0] if open_ else [], [], [], 0.02 if runs else None)
        if ready:
            data = os.read(0, 1 << 16)           # raw reads: a buffered readline would hide a second job
            open_, pending = bool(data), pending + data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                job = json.loads(line)
                if "kill" in job:
                    for pid in [pid for pid, number in runs.items() if number == job["kill"]]:
                        os.kill(pid, signal.SIGKILL)
                    continue
                pid = os.fork()
                if pid == 0:
                    run_in_this_fork(job)
                runs[pid] = job["id"]
            if not open_:                        # the caller has gone: end what still runs
                for pid in runs:
                    os.kill(pid, signal.SIGKILL)
        while runs:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            print(runs.pop(pid), os.waitstatus_to_exitcode(status), flush=True)


def run_in_this_fork(job: dict) -> None:
    """As `python -m pytest <args>` would: the job's environment, output to its file, its exit code. Never returns."""
    import pytest
    code = 3
    try:
        os.environ.clear()
        os.environ.update(job["env"])
        nothing = os.open(os.devnull, os.O_RDONLY)
        output = os.open(job["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        for source, target in ((nothing, 0), (output, 1), (output, 2)):
            os.dup2(source, target)
        sys.argv = ["pytest", *job["args"]]
        code = pytest.console_main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    finally:
        try:
            atexit._run_exitfuncs()              # the supervisor stops any server left, as at a normal exit
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


if __name__ == "__main__":
    serve()
