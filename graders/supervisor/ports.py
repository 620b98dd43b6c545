"""A free port for a server the kit is about to start, that no other run of the kit is handed too.

The OS picks the port (bind to port 0), and we close the probe so the server can bind it. Between the two, a
second or more on a busy machine, the port is free again, and the OS picks at random from about 14,000: with
the kit's tests on two workers, two servers are sometimes given the same port. The one that binds first answers
the other's grader, which then reports another server's 404 as the learner's mistake. So each port handed out
is noted in a folder every kit process on this machine shares, and a port noted in the last HELD seconds is
passed over. The note is only among ourselves: another program that binds a port meanwhile is not stopped.
"""
from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
HELD = 120.0          # seconds a port stays ours: a server on a loaded machine binds its port well within that
TRIES = 50
_pruned: set[Path] = set()    # folders this process has cleared of old notes


def notes_folder(platform: str = sys.platform, temp: str | None = None, user: str | None = None) -> Path:
    """Per user: on POSIX the temporary folder is shared (/tmp), and another user's folder is not ours to write.
    Windows gives each user a temporary folder of their own."""
    temp = temp or tempfile.gettempdir()
    if platform == "win32":
        return Path(temp) / "wsfs-ports"
    return Path(temp) / f"wsfs-ports-{user if user is not None else os.getuid()}"


def os_free_port(host: str = HOST) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def claim(folder: Path, port: int, now: float) -> bool:
    """True if no kit process was handed `port` in the last HELD seconds; it is then noted as ours."""
    note = folder / str(port)
    try:
        os.close(os.open(note, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        pass
    except OSError:
        return True               # a note we cannot write: take the OS's pick, as without notes
    try:
        if now - note.stat().st_mtime < HELD:
            return False
        os.utime(note, (now, now))    # an old note: the port is ours again
        return True
    except OSError:
        return False              # the note changed under us: another process is claiming it right now


def prune(folder: Path, now: float) -> None:
    """Remove the notes of an earlier day's runs, so the folder does not grow to a file per port."""
    for note in folder.iterdir():
        try:
            if now - note.stat().st_mtime > 100 * HELD:
                note.unlink()
        except OSError:
            pass                  # another process pruned it first


def free_port(host: str = HOST, folder: Path | None = None, pick=os_free_port, now=time.time) -> int:
    """A port nobody uses now, and no other kit process was given lately (parallel runs must not collide)."""
    folder = folder or notes_folder()
    try:
        folder.mkdir(exist_ok=True)
        if folder not in _pruned:
            _pruned.add(folder)
            prune(folder, now())
    except OSError:
        return pick(host)         # no folder we can write to: the OS's pick alone is still nearly always right
    port = pick(host)
    for _ in range(TRIES):
        if claim(folder, port, now()):
            return port
        port = pick(host)
    return port
