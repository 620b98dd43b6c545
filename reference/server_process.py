"""Run a reference server in a subprocess for the benchmark, and never leave it behind.

    with running("async_server", ["--delay", "0.1"], log=Path("async.log")) as port:
        ...                             # talk to 127.0.0.1:port; on the way out the server is stopped

The same three rules as pytest-xprocess and werkzeug's test server: output goes to a file, never to a
pipe nobody reads (a full pipe freezes the server); the server is ready when a TCP connect succeeds,
and an early exit is noticed at once; stopping is terminate, a short wait, then kill, for the whole
process group.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent


class ServerFailed(Exception):
    """The server exited, or never listened."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))           # port 0: the system picks a free one
        return probe.getsockname()[1]


@contextmanager
def running(module: str, args: list[str], log: Path, env: dict[str, str] | None = None):
    """Start `python -m reference.<module> --port N <args>` on a free port N; yield N; always stop it."""
    port = free_port()
    command = [sys.executable, "-u", "-m", f"reference.{module}", "--port", str(port), *args]
    # A new session: the terminal's Ctrl+C reaches the benchmark only, and it stops the server in order.
    group = {"start_new_session": True} if os.name != "nt" else {
        "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, **group)
    try:
        wait_until_listening(process, port, log)
        yield port
    finally:
        stop(process)


def wait_until_listening(process: subprocess.Popen, port: int, log: Path, deadline: float = 10.0) -> None:
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise ServerFailed(f"it exited with code {process.returncode}: {last_line(log)}")
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return                      # a TCP connect succeeded: it is ready
        except OSError:
            time.sleep(0.02)
    raise ServerFailed(f"it did not listen on port {port} within {deadline:.0f} s: {last_line(log)}")


def last_line(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return lines[-1] if lines else "(no output)"


def stop(process: subprocess.Popen) -> None:
    """Terminate, then kill, the server's process group. A Ctrl+C meanwhile waits until it is done."""
    interrupted = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    try:
        signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            signal_group(process, getattr(signal, "SIGKILL", signal.SIGTERM))
            process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt         # now that the server is gone, honour the Ctrl+C


def signal_group(process: subprocess.Popen, signum: int) -> None:
    if process.returncode is not None:
        return                          # already reaped: its number may belong to someone else by now
    if os.name == "nt":
        process.terminate()
        return
    try:
        os.killpg(process.pid, signum)  # the whole group: the server and anything it started
    except ProcessLookupError:
        pass
