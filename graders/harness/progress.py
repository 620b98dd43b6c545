"""Progress as a learner reads it: statuses per challenge, bars per level, what comes next.

Shared by the end-of-run summary (results.py) and `python -m graders`, so both say the same thing. Nothing
here imports pytest: `python -m graders status` starts in a blink.
"""
from __future__ import annotations

import sys

from .catalog import LEVELS, Challenge, load_catalog

PASSED, FAILED, NOT_TRIED, RESET = "passed", "failed", "not tried", "reset"


def status_of(entry: dict | None) -> str:
    """A results-file entry -> passed, failed, reset or not tried (the file says "not run"; a reset entry is
    "not run" with the time of its reset, since the starter is back and nothing of it has been graded)."""
    status = (entry or {}).get("status")
    if status in (PASSED, FAILED):
        return status
    return RESET if (entry or {}).get("reset") else NOT_TRIED


def level_order(level: str):
    return (LEVELS.index(level) if level in LEVELS else len(LEVELS), level)


def levels_of(catalog: tuple[Challenge, ...]) -> list[str]:
    return sorted({c.level for c in catalog}, key=level_order)


def next_level(level: str, catalog: tuple[Challenge, ...] | None = None) -> str | None:
    """The level after `level` that has challenges, or None after the last."""
    later = [other for other in levels_of(catalog if catalog is not None else load_catalog())
             if level_order(other) > level_order(level)]
    return later[0] if later else None


def can_print(text: str, stream=None) -> bool:
    try:
        text.encode(getattr(stream or sys.stdout, "encoding", None) or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def bar(passed: int, total: int, stream=None) -> str:
    """████░░░░: 8 cells for a level of 4 (two each), one cell each for bigger levels; # and - where the
    console cannot print blocks (an old Windows code page)."""
    full, empty = ("█", "░") if can_print("█░", stream) else ("#", "-")
    cells = max(1, 8 // max(total, 1))
    return full * cells * passed + empty * cells * (total - passed)


def bar_line(level: str, passed: int, total: int, stream=None) -> str:
    return f"{level:<13} {bar(passed, total, stream)}  {passed}/{total}"
