"""Run a server in a child process, and never leave it behind. The graders, the benchmark and the kit's tests
all start their servers here.

    with running("async_server", ["--delay", "0.1"], log=Path("async.log")) as port:
        ...                             # talk to 127.0.0.1:port; on the way out the server is stopped

The server is the caller's own child, leading a process group of its own, so its exit code is the caller's to
read. If the caller dies before it can stop the server, its watchdog does (watchdog.py says how; on Windows, a
Job Object). The rules are pytest-xprocess's and werkzeug's: output goes to a file, never to a pipe nobody reads
(a full pipe freezes a chatty server); the server is ready when a TCP connect succeeds, and an early exit is
noticed at once; stopping is terminate, a short wait, then kill, of the whole process group and every process
below the server. Standard library only: the benchmark needs nothing else.
"""
from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from graders.ground import KIT_ROOT

from .lifeline import lifeline
from .ports import HOST, free_port
from .process_tree import TERMINATE_GRACE, stop_groups
from .windows_job import end_job, hold_in_job

POSIX = os.name == "posix"
CREATE_NEW_PROCESS_GROUP = 0x200    # subprocess has the name on Windows only

_running: set[ServerProcess] = set()            # stopped at interpreter exit, whatever else happened


class ServerFailed(Exception):
    """The server exited, or never listened."""


def new_group(platform: str = sys.platform, ctrl_c_ignored: bool = False) -> dict:
    """Popen's options for a server in a group of its own: a new session (POSIX) or process group (Windows). A
    Ctrl+C in the terminal then reaches the caller only, which stops the server in order, and one signal to the
    group reaches the server and all it started. A server must hear Ctrl+C as a learner's terminal sends it,
    even when its caller ignores SIGINT (a shell's background job does): an ignored signal stays ignored."""
    if platform == "win32":
        return {"creationflags": CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True, **({"preexec_fn": hear_ctrl_c} if ctrl_c_ignored else {})}


def hear_ctrl_c() -> None:
    """In the server's process, before it starts: SIGINT back to its default, so Python installs its handler."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ctrl_c_ignored_here() -> bool:
    return POSIX and signal.getsignal(signal.SIGINT) == signal.SIG_IGN


class ServerProcess:
    """One server command, in a child process. Read `exit_code`, `output()`; call `stop()` (always)."""

    def __init__(self, command: list[str], log_path: Path, env: dict[str, str] | None = None, cwd: Path = KIT_ROOT):
        self.command, self.log_path, self.env, self.cwd = [str(c) for c in command], Path(log_path), env, cwd
        self.process: subprocess.Popen | None = None
        self.job = None                         # Windows: the Job Object that holds the server and its children

    def start(self) -> None:
        with open(self.log_path, "wb") as log:  # the children keep their own handle to it
            self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, cwd=self.cwd, env=self.env,
                                            **new_group(ctrl_c_ignored=ctrl_c_ignored_here()))
        self.job = hold_in_job(self.process._handle) if not POSIX else None
        _running.add(self)                      # stopped at exit, even if the line below fails
        lifeline.hold(self.process.pid)         # from here on, the server dies with us

    @property
    def pid(self) -> int | None:
        """The server's own process (it leads its group), or None before start()."""
        return self.process.pid if self.process else None

    @property
    def exit_code(self) -> int | None:
        return self.process.poll() if self.process and self in _running else None

    def wait_until_listening(self, port: int, deadline: float = 10.0, host: str = HOST) -> None:
        """Return once a TCP connect succeeds; raise ServerFailed at once if it exits, or at the deadline."""
        try:
            wait_until_listening(port, lambda: self.exit_code, deadline, host)
        except ServerFailed as error:
            raise ServerFailed(f"{error}: {self.last_line()}") from None

    def wait_for_exit(self, seconds: float) -> None:
        give_up = time.monotonic() + seconds
        while self.exit_code is None and time.monotonic() < give_up:
            time.sleep(0.02)

    def output(self) -> str:
        """Everything the server printed so far, stdout and stderr together."""
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data.decode("utf-8", "replace").replace("\r\n", "\n")

    def last_line(self) -> str:
        lines = self.output().strip().splitlines()
        return lines[-1] if lines else "(no output)"

    def stop(self) -> None:
        """Terminate the server's group, wait a moment, then kill it and every process below the server.

        A Ctrl+C meanwhile waits until the server is gone, then is raised again."""
        if self.process is None or self not in _running:
            return
        _running.discard(self)
        with deferred_ctrl_c():
            if POSIX:
                stop_groups({self.process.pid}, gone=lambda: self.process.poll() is not None)
            else:
                stop_on_windows(self.process, self.job)
            try:
                self.process.wait(2)
            except subprocess.TimeoutExpired:
                pass
            lifeline.release(self.process.pid)


def wait_until_listening(port: int, exit_code, deadline: float = 10.0, host: str = HOST) -> None:
    """Poll with TCP connects until one succeeds. `exit_code()` is None while the process runs."""
    give_up = time.monotonic() + deadline
    while exit_code() is None:
        try:
            socket.create_connection((host, port), timeout=0.25).close()
            return
        except OSError:
            if time.monotonic() > give_up:
                raise ServerFailed(f"it did not listen on port {port} within {deadline:g} s") from None
            time.sleep(0.02)
    raise ServerFailed(f"it exited with code {exit_code()}")


@contextmanager
def deferred_ctrl_c():
    """Hold a Ctrl+C until the block is done (only the main thread may set signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    interrupted = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt


def stop_on_windows(process: subprocess.Popen, job) -> None:
    """Ctrl+Break (Windows' closest thing to SIGTERM), a moment's wait, then end the job: the whole tree, children
    whose parent is gone included. taskkill is the fallback where no job could be made."""
    try:
        os.kill(process.pid, signal.CTRL_BREAK_EVENT)
        process.wait(TERMINATE_GRACE)
    except (OSError, subprocess.TimeoutExpired):
        pass
    end_job(job)
    if job is None or process.poll() is None:
        subprocess.run(["taskkill", "/T", "/F", "/PID", str(process.pid)], capture_output=True)


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()
    lifeline.close()


@contextmanager
def running(module: str, args: list[str], log: Path, env: dict[str, str] | None = None):
    """Start `python -m reference.<module> --port N <args>` on a free port N; yield N; always stop it."""
    port = free_port()
    command = [sys.executable, "-u", "-m", f"reference.{module}", "--port", str(port), *args]
    server = ServerProcess(command, log, {**os.environ, **(env or {})})
    server.start()
    try:
        server.wait_until_listening(port)
        yield port
    finally:
        server.stop()
