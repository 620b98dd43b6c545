"""grader-results.json on disk: read, merge and write it so that no run's result is ever lost.

Several runs may end at once in one folder (two terminals, an editor's test button, `watch`). Each writer
takes a lock file (created with O_EXCL, which works on every OS and file system), reads the file, merges its
own challenges in, writes a temporary file of its own (mkstemp: never shared with another run) and renames it
over the old one (os.replace is atomic), then drops the lock. A reader never sees half a file. A lock left by
a run that died is older than STALE_AFTER seconds and is broken.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

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
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("challenges"), dict):
        return data
    try:
        shutil.copyfile(path, path.with_name(path.name + ".bak"))
    except OSError:
        pass
    return {}


def write_atomically(path: Path, data: dict) -> None:
    """A temporary file of our own in the same folder, then an atomic rename over `path`."""
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            json.dump(data, out, indent=2, ensure_ascii=False)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, file_mode(path))  # mkstemp makes it private (0600); a results file is shared
        replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def file_mode(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o644


def replace(source: str, target: Path, attempts: int = 50) -> None:
    """os.replace, retried for a moment: on Windows it fails while another program has the file open."""
    for attempt in range(attempts):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.02)


def update_results(path: Path, change) -> dict:
    """Under the lock: read the file, `change(old) -> new`, write it. Creates the folder when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        data = change(read_results(path))
        write_atomically(path, data)
    return data
