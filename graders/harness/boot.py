"""Booting a learner's server as a real process on a free port, and stopping it for sure.

The process itself is run by graders/supervisor (pytest -> server.py, and a watchdog). This module adds what a
learner needs when it goes wrong: in plain words, why the server did not start, and how to run it by hand.
"""
from __future__ import annotations

import os
import socket
import sys
import urllib.parse
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT
from graders.ground.network import lan_address
from graders.supervisor import HOST, ServerFailed, ServerProcess, exit_codes, free_port

from .messages import GraderFailure, clip_tail, indent

TAIL_BYTES = 64_000   # the end of a server's log is enough for its last lines, whatever it printed before
EXPOSED = ("your server also answers on this machine's network address ({address}), so others on the same "
           "network (a workshop's Wi-Fi) can reach it: it listens on 0.0.0.0 or ''. Bind '127.0.0.1' instead.")


TRY_IT_PORT = 8002   # the port of every "Try it" line and printed curl command


class LocalServer:
    host = HOST

    def __init__(self, script: Path, log_dir: Path, args=(), env=None, boot_timeout: float = 5.0,
                 unbuffered: bool = True):
        self.script, self.log_dir, self.args = Path(script), Path(log_dir), [str(a) for a in args]
        self.unbuffered = unbuffered   # False only where flushing stdout is itself the lesson
        self.extra_env, self.boot_timeout = dict(env or {}), boot_timeout
        self.process: ServerProcess | None = None
        self.port, self.starts = 0, 0
        self.network_note = ""   # set when the server can be reached from the network, not only from 127.0.0.1

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self.port, self.starts = free_port(), self.starts + 1
        python = [sys.executable, "-u"] if self.unbuffered else [sys.executable]
        command = [*python, str(self.script), "--port", str(self.port), *self.args]
        # PYTHONPATH: a starter imports `reference` from the kit, even when --target points outside it.
        path = os.pathsep.join(filter(None, [str(KIT_ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PORT": str(self.port), "PYTHONIOENCODING": "utf-8", "PYTHONPATH": path}
        env.pop("PYTHONUNBUFFERED", None)
        if self.unbuffered:
            env["PYTHONUNBUFFERED"] = "1"
        self.process = ServerProcess(command, self.log_dir / f"server-output-{self.starts}.log",
                                     {**env, **self.extra_env}, cwd=KIT_ROOT)
        self.process.start()
        self.wait_until_ready()
        if self.starts == 1:
            self.network_note = exposure_note(self.port)

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    def wait_until_ready(self) -> None:
        """Ready when a TCP connect succeeds; fail at once if the process exits, or at the deadline."""
        try:
            self.process.wait_until_listening(self.port, self.boot_timeout, self.host)
        except ServerFailed:
            if self.exit_code is None:
                raise GraderFailure(
                    f"Your server is running, but nothing accepted a connection on {self.host}:{self.port} "
                    f"within {self.boot_timeout:g} s.\nThe grader started it with --port {self.port} (and "
                    f"PORT={self.port} in its environment): it must listen on exactly that port, on 127.0.0.1. "
                    f"It printed:\n{indent(self.tail())}{self.run_it_yourself()}") from None
            raise GraderFailure(self.exit_story("before accepting connections") + self.run_it_yourself()) from None

    def exit_story(self, when: str) -> str:
        """'Your server exited with code 1 <when>; it printed: ...', in words a beginner understands."""
        code = self.exit_code
        story = f"Your server {exit_codes.describe(code)} {when}; it printed:\n{indent(self.tail())}"
        if code == 0:
            story += "\nA server should keep running: does your code reach its accept loop (or serve_forever())?"
        return story

    def try_it_command(self) -> str:
        """How the learner starts this server by hand, on the port the printed curl lines use."""
        try:
            script = self.script.resolve().relative_to(KIT_ROOT)
        except ValueError:
            script = self.script
        return " ".join(["python", str(script), "--port", str(TRY_IT_PORT), *self.args])

    @property
    def shown_url(self) -> str:
        """The URL printed in curl lines: the grader's own port is gone once the run ends; 8002 is the
        Try-it port, where the learner can start the server and paste the line."""
        return f"http://{self.host}:{TRY_IT_PORT}"

    def run_it_yourself(self) -> str:
        return f"\n\nTo see it yourself, run from {KIT_ROOT}:\n    {self.try_it_command()}"

    @property
    def exit_code(self) -> int | None:
        return self.process.exit_code if self.process else None

    def wait_for_exit(self, seconds: float) -> None:
        if self.process:
            self.process.wait_for_exit(seconds)

    def output(self) -> str:
        """Everything the server printed so far, stdout and stderr together."""
        return self.process.output() if self.process else ""

    def tail(self, n: int = 20) -> str:
        """The last `n` lines it printed, each cut to a readable width (read from the end of its log only)."""
        if self.process is None:
            return ""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - TAIL_BYTES))
                data = log.read()
        except OSError:
            return ""
        return clip_tail(data.decode("utf-8", "replace").replace("\r\n", "\n"), n)

    def restart(self) -> None:
        """Stop and boot again, on a new port (the old one may linger in TIME_WAIT): read .url afterwards."""
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process:
            self.process.stop()


class RemoteServer:
    """A server the learner started by hand (--server-url): nothing to boot, and its output is not ours to see."""

    exit_code = None
    network_note = ""

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        self.url, self.host, self.port = url.rstrip("/"), parts.hostname or "127.0.0.1", parts.port or 80
        self.shown_url = self.url   # the learner's own server stays where it is: curl lines can use it as is

    def try_it_command(self) -> str:
        return ""

    def check_reachable(self) -> None:
        try:
            socket.create_connection((self.host, self.port), timeout=2).close()
        except OSError as error:
            raise GraderFailure(f"Nothing answers at {self.url} ({error}). Start your server first, or run the "
                                "grader without --server-url so it starts the server itself.") from None
        if self.host in ("127.0.0.1", "localhost"):
            self.network_note = exposure_note(self.port)

    def output(self) -> str:
        pytest.skip("this check reads your server's output, which the grader cannot see with --server-url; "
                    "run without --server-url to include it")

    def tail(self, n: int = 20) -> str:
        return ""

    def restart(self) -> None:
        pytest.skip("this check restarts the server, which the grader cannot do with --server-url")

    def wait_for_exit(self, seconds: float) -> None:
        pass


def exposure_note(port: int) -> str:
    """A note when a server on 127.0.0.1:`port` also accepts connections on this machine's network address.
    Cheap (one connect on the local machine, which never leaves it) and never a failure."""
    address = lan_address()
    if address is None:
        return ""
    try:
        socket.create_connection((address, port), timeout=0.3).close()
    except OSError:
        return ""
    return EXPOSED.format(address=address)
