"""The caller's end of the lifeline to its watchdog (watchdog.py says why there is one). Standard library only.

    lifeline.hold(server_pid)      # after starting a server in a new session
    lifeline.release(server_pid)   # after stopping it

The watchdog is started on the first hold, once per process (a forked child starts its own). If it was killed,
the next hold starts another and lists every server still held. On Windows there is no watchdog: the Job Object
that holds each server (windows_job.py) ends it when the caller dies.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

WATCHDOG = Path(__file__).with_name("watchdog.py")


class Lifeline:
    def __init__(self, enabled: bool = os.name == "posix"):
        self.enabled = enabled
        self.lock = threading.Lock()
        self.watchdog: subprocess.Popen | None = None
        self.owner = 0                  # the process that started the watchdog
        self.held: set[int] = set()

    def hold(self, pid: int) -> None:
        with self.lock:
            self.held.add(pid)
            self._send(f"+{pid}\n")

    def release(self, pid: int) -> None:
        with self.lock:
            self.held.discard(pid)
            self._send(f"-{pid}\n")

    def close(self) -> None:
        """At exit, after every server stopped: the watchdog reads the end of the pipe and exits too."""
        with self.lock:
            if self.watchdog is not None and self.owner == os.getpid():
                self.watchdog.stdin.close()
            self.watchdog = None

    def _send(self, line: str) -> None:
        if not self.enabled:
            return
        try:
            self._pipe().write(line.encode())
        except OSError:                 # the watchdog is gone: a new one, told all we hold
            self.watchdog = None
            self._pipe().write("".join(f"+{pid}\n" for pid in self.held).encode())

    def _pipe(self):
        if self.watchdog is None or self.owner != os.getpid():
            # -S: no site-packages to read at start; it needs the standard library only. A session of its own: a
            # closed terminal or a Ctrl+C must not stop it before it has stopped the servers.
            self.watchdog = subprocess.Popen([sys.executable, "-S", str(WATCHDOG)], stdin=subprocess.PIPE,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, bufsize=0,
                                             start_new_session=True)
            self.owner = os.getpid()
        return self.watchdog.stdin


lifeline = Lifeline()
