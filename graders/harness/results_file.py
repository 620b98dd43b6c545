"""grader-results.json on disk: read, merge and write it so that no run's result is ever lost.

Several runs may end at once in one folder (two terminals, an editor's test button, `watch`). Each writer
takes a lock file (created with O_EXCL, which works on every OS and file system), reads the file, merges its
own challenges in, writes a temporary file of its own (mkstemp: never shared with another run) and renames it
over the old one (os.replace is atomic), then drops the lock. A reader never sees half a file. A lock left by
a run that died is older than STALE_AFTER seconds and is broken.
"""
from __future__ import annotations

import os
import random
import time
from contextlib import contextmanager
from pathlib import Path

from graders.jsonfiles import read_json_object, write_json_atomically

from .catalog import REPO_ROOT

DEFAULT_RESULTS = REPO_ROOT / "grader-results.json"   # the learner's own file, at the kit's root
STALE_AFTER = 30.0     # seconds; a merge holds the lock for milliseconds
WAIT_AT_MOST = 15.0


class ResultsBusy(OSError):
    """The lock stayed taken (by a live run) for longer than we wait."""


@contextmanager
def locked(path: Path, wait: float = WAIT_AT_MOST, stale_after: float = STALE_AFTER):
    """Hold `<path>.lock` for the duration of the block."""
    lock = path.with_name(path.name + ".lock")
    give_up = time.monotonic() + wait
    while True:
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except (FileExistsError, PermissionError) as error:
            # PermissionError: Windows says so while another run is deleting the lock file.
            if isinstance(error, PermissionError) and not lock.exists() and not os.access(path.parent, os.W_OK):
                raise
            if lock_age(lock) > stale_after:
                lock.unlink(missing_ok=True)   # its owner died holding it
                continue
            if time.monotonic() > give_up:
                raise ResultsBusy(f"{lock} stayed locked for {wait:g} s; if no grader is running, delete it") \
                    from None
            time.sleep(0.01 + random.random() * 0.03)  # jitter: waiting runs do not retry in lockstep
            continue
        try:
            os.write(handle, f"{os.getpid()}\n".encode())
        finally:
            os.close(handle)
        break
    try:
        yield
    finally:
        try:
            lock.unlink()
        except OSError:
            pass


def lock_age(lock: Path) -> float:
    try:
        return time.time() - lock.stat().st_mtime
    except OSError:
        return 0.0  # it just went away: try again at once


def read_results(path: Path) -> dict:
    """The file from earlier runs. An unreadable one is kept aside as .bak, never silently lost."""
    return read_json_object(path, lambda data: isinstance(data, dict) and isinstance(data.get("challenges"), dict))


def update_results(path: Path, change) -> dict:
    """Under the lock: read the file, `change(old) -> new`, write it. Creates the folder when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        data = change(read_results(path))
        write_json_atomically(path, data)
    return data
