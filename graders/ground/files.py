"""Small JSON files that must never be half-written or lost: the results file and the learner's state.

Standard library only, so `python -m graders` works before the graders' packages are installed.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path


def read_json_object(path: Path, is_valid=lambda data: isinstance(data, dict)) -> dict:
    """The object in the file, or {} when there is none. A file that cannot be read, or is not what is_valid
    expects, is kept aside as <name>.bak first: never silently lost."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        data = None
    if is_valid(data):
        return data
    try:
        shutil.copyfile(path, Path(path).with_name(Path(path).name + ".bak"))
    except OSError:
        pass
    return {}


def write_json_atomically(path: Path, data: dict) -> None:
    """The object as UTF-8 JSON, written atomically (write_atomically)."""
    write_atomically(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """A temporary file of our own in the same folder (never a shared fixed name), flushed to the disk, then an
    atomic rename over `path`: a reader sees the old file or the new one, never half of either. The file keeps
    the mode of the one it replaces (0644 for a new one) unless `mode` is given."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode if mode is not None else file_mode(path))   # mkstemp makes it private (0600)
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
