"""The learner's own state, in one small file at the kit's root that git ignores: learner-state.json.

    {"name": "Ada Lovelace", "hints_seen": {"post_form": 2},
     "board": {"url": "http://10.0.0.5:8000", "code": "KM7R-W2QD", "key": "x3v...(32 random characters)"}}

The results file (grader-results.json) stays what the graders write; this file holds what only the learner
decides: their name, how many hints they asked for, and the workshop board they joined, with the random
learner key that proves to that board that this laptop's posts are this learner's (the board gives a name to
the first key that posts under it). Standard library only.
Writes are atomic (a temporary file, then a rename), so an interrupted write never leaves half a file, and a
file that cannot be read is kept aside as .bak and treated as empty, never a crash.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from graders.ground.files import read_json_object, write_json_atomically

from . import KIT_ROOT

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


def new_learner_key() -> str:
    """128 random bits, as 22 URL-safe characters: nobody guesses it, and it is only ever sent to the board."""
    return secrets.token_urlsafe(16)


def is_learner_key(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_\-]{16,128}", value) is not None


def board_key(path: Path | None = None) -> str | None:
    """The learner key of the joined board, made and saved now if the board was joined before keys existed;
    None when no board is joined."""
    state = load_state(path)
    board = state.get("board")
    if not isinstance(board, dict):
        return None
    if not is_learner_key(board.get("key")):
        board = dict(board, key=new_learner_key())
        update_state(path, board=board)
    return board["key"]
