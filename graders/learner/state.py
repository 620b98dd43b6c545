"""The learner's own state, in one small file at the kit's root that git ignores: learner-state.json.

    {"name": "Ada Lovelace", "hints_seen": {"post_form": 2}, "board": {"url": "http://10.0.0.5:8000", "code": "ABCD"}}

The results file (grader-results.json) stays what the graders write; this file holds what only the learner
decides: their name, how many hints they asked for, and the workshop board they joined. Standard library only.
Writes are atomic (a temporary file, then a rename), so an interrupted write never leaves half a file, and a
file that cannot be read is kept aside as .bak and treated as empty, never a crash.
"""
from __future__ import annotations

import os
from pathlib import Path

from graders.jsonfiles import read_json_object, write_json_atomically

KIT_ROOT = Path(__file__).resolve().parents[2]
STATE_FILE = KIT_ROOT / "learner-state.json"
# Another file, for the kit's own tests: they run graders with --learner and must not rename the developer.
OVERRIDE = "WSFS_STATE_FILE"


def state_file() -> Path:
    return Path(os.environ.get(OVERRIDE) or STATE_FILE)


def load_state(path: Path | None = None) -> dict:
    """The saved state, or {} when there is none (or it is unreadable: then it is kept as .bak)."""
    return read_json_object(Path(path or state_file()))


def save_state(state: dict, path: Path | None = None) -> None:
    write_json_atomically(Path(path or state_file()), state)


def update_state(path: Path | None = None, **changes) -> dict:
    """Load, change the given keys, save; return the new state. update_state(name="Ada")."""
    state = load_state(path)
    state.update(changes)
    save_state(state, path)
    return state
