"""The learner's own state, in one small file at the kit's root that git ignores: learner-state.json.

    {"name": "Ada Lovelace", "hints_seen": {"post_form": 2}, "board": {"url": "http://10.0.0.5:8000", "code": "ABCD"}}

The results file (grader-results.json) stays what the graders write; this file holds what only the learner
decides: their name, how many hints they asked for, and the workshop board they joined. Standard library only.
Writes are atomic (a temporary file, then a rename), so an interrupted write never leaves half a file, and a
file that cannot be read is kept aside as .bak and treated as empty, never a crash.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[2]
STATE_FILE = KIT_ROOT / "learner-state.json"
# Another file, for the kit's own tests: they run graders with --learner and must not rename the developer.
OVERRIDE = "WSFS_STATE_FILE"


def state_file() -> Path:
    return Path(os.environ.get(OVERRIDE) or STATE_FILE)


def load_state(path: Path | None = None) -> dict:
    """The saved state, or {} when there is none (or it is unreadable: then it is kept as .bak)."""
    path = Path(path or state_file())
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict):
        return data
    try:
        shutil.copyfile(path, path.with_name(path.name + ".bak"))
    except OSError:
        pass
    return {}


def save_state(state: dict, path: Path | None = None) -> None:
    path = Path(path or state_file())
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(state, out, indent=2, ensure_ascii=False)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def update_state(path: Path | None = None, **changes) -> dict:
    """Load, change the given keys, save; return the new state. update_state(name="Ada")."""
    state = load_state(path)
    state.update(changes)
    save_state(state, path)
    return state
