"""Booting a learner's server as a real process on a free port, and stopping it for sure.

The process tree is  pytest -> launcher.py -> server.py  (see launcher.py for why). The server's output goes
to a log file, never to a pipe nobody reads: a full pipe would freeze a chatty server mid-print.
"""
from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from .catalog import REPO_ROOT
from .messages import GraderFailure, indent

POSIX = os.name == "posix"
LAUNCHER = Path(__file__).with_name("launcher.py")
NEW_GROUP = {"start_new_session": True} if POSIX else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
_running: set[LocalServer] = set()  # stopped at interpreter exit, whatever else happened


def free_port() -> int:
    """A port nobody uses right now: the OS picks it, so parallel runs (pytest -n 2) do not collide."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalServer:
    host = "127.0.0.1"

    def __init__(self, script: Path, log_dir: Path, args=(), env=None, boot_timeout: float = 5.0,
                 unbuffered: bool = True):
        self.script, self.log_dir, self.args = Path(script), Path(log_dir), [str(a) for a in args]
        self.unbuffered = unbuffered   # False only where flushing stdout is itself the lesson
        self.extra_env, self.boot_timeout = dict(env or {}), boot_timeout
        self.process: subprocess.Popen | None = None
        self.port, self.starts = 0, 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self.port, self.starts = free_port(), self.starts + 1
        self.log_path = self.log_dir / f"server-output-{self.starts}.log"
        python = [sys.executable, "-u"] if self.unbuffered else [sys.executable]
        command = [*python, str(self.script), "--port", str(self.port), *self.args]
        # PYTHONPATH: a starter imports `reference` from the kit, even when --target points outside it.
        path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PORT": str(self.port), "PYTHONIOENCODING": "utf-8", "PYTHONPATH": path}
        env.pop("PYTHONUNBUFFERED", None)
        if self.unbuffered:
            env["PYTHONUNBUFFERED"] = "1"
        with open(self.log_path, "wb") as log:  # the children keep their own handle to it
            self.process = subprocess.Popen([sys.executable, str(LAUNCHER), *command], stdin=subprocess.PIPE,
                                            stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
                                            env={**env, **self.extra_env}, **NEW_GROUP)
        _running.add(self)
        self.wait_until_ready()

    def wait_until_ready(self) -> None:
        """Ready when a TCP connect succeeds; fail at once if the process exits, or at the deadline."""
        deadline = time.monotonic() + self.boot_timeout
        while self.exit_code is None:
            try:
                socket.create_connection((self.host, self.port), timeout=0.25).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise GraderFailure(
                        f"Your server is running, but nothing accepted a connection on {self.host}:{self.port} "
                        f"within {self.boot_timeout:g} s.\nThe grader started it with --port {self.port} (and "
                        f"PORT={self.port} in its environment): it must listen on exactly that port, on 127.0.0.1. "
                        f"It printed:\n{indent(self.tail())}{self.run_it_yourself()}") from None
                time.sleep(0.02)
        raise GraderFailure(self.exit_story("before accepting connections") + self.run_it_yourself())

    def exit_story(self, when: str) -> str:
        """'Your server exited with code 1 <when>; it printed: ...', in words a beginner understands."""
        code = self.exit_code
        how = f"exited with code {code}"
        if code < 0:
            try:
                how = f"was killed by signal {-code} ({signal.Signals(-code).name})"
            except ValueError:
                how = f"was killed by signal {-code}"
        story = f"Your server {how} {when}; it printed:\n{indent(self.tail())}"
        if code == 0:
            story += "\nA server should keep running: does your code reach its accept loop (or serve_forever())?"
        return story

    def run_it_yourself(self) -> str:
        try:
            script = self.script.resolve().relative_to(REPO_ROOT)
        except ValueError:
            script = self.script
        command = " ".join(["python", str(script), "--port", "8002", *self.args])
        return f"\n\nTo see it yourself, run from {REPO_ROOT}:\n    {command}"

    @property
    def exit_code(self) -> int | None:
        return self.process.poll() if self.process and self in _running else None

    def wait_for_exit(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.exit_code is None and time.monotonic() < deadline:
            time.sleep(0.02)

    def output(self) -> str:
        """Everything the server printed so far, stdout and stderr together."""
        data = self.log_path.read_bytes() if self.starts else b""
        return data.decode("utf-8", "replace").replace("\r\n", "\n")

    def tail(self, n: int = 20) -> str:
        return "\n".join(self.output().splitlines()[-n:])

    def restart(self) -> None:
        """Stop and boot again, on a new port (the old one may linger in TIME_WAIT): read .url afterwards."""
        self.stop()
        self.start()

    def stop(self) -> None:
        """Cut the lifeline (the launcher then terminates, waits, kills), then kill the group as a backstop."""
        if self.process is None or self not in _running:
            return
        _running.discard(self)
        try:
            self.process.stdin.close()
            self.process.wait(3)
        except (OSError, subprocess.TimeoutExpired):
            pass
        kill_group(self.process.pid)
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            pass


def kill_group(leader_pid: int) -> None:
    if POSIX:
        try:
            os.killpg(leader_pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is already empty
    else:
        subprocess.run(["taskkill", "/T", "/F", "/PID", str(leader_pid)], capture_output=True)


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()


class RemoteServer:
    """A server the learner started by hand (--server-url): nothing to boot, and its output is not ours to see."""

    exit_code = None

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        self.url, self.host, self.port = url.rstrip("/"), parts.hostname or "127.0.0.1", parts.port or 80

    def check_reachable(self) -> None:
        try:
            socket.create_connection((self.host, self.port), timeout=2).close()
        except OSError as error:
            raise GraderFailure(f"Nothing answers at {self.url} ({error}). Start your server first, or run the "
                                "grader without --server-url so it starts the server itself.") from None

    def output(self) -> str:
        pytest.skip("this check reads your server's output, which the grader cannot see with --server-url; "
                    "run without --server-url to include it")

    def tail(self, n: int = 20) -> str:
        return ""

    def restart(self) -> None:
        pytest.skip("this check restarts the server, which the grader cannot do with --server-url")

    def wait_for_exit(self, seconds: float) -> None:
        pass
