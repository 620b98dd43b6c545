"""Progress as a learner reads it: statuses per challenge, bars per level, what comes next.

Shared by the end-of-run summary (results.py) and `python -m graders`, so both say the same thing. Nothing
here imports pytest: `python -m graders status` starts in a blink.
"""
from __future__ import annotations

from graders.ground.catalog import Challenge, Hint, level_order, load_catalog
from graders.ground.console import can_print
from graders.ground.results import FAILED, NOT_TRIED, PASSED, RESET, status_of  # noqa: F401 - the learner's words


def levels_of(catalog: tuple[Challenge, ...]) -> list[str]:
    return sorted({c.level for c in catalog}, key=level_order)


def next_level(level: str, catalog: tuple[Challenge, ...] | None = None) -> str | None:
    """The level after `level` that has challenges, or None after the last."""
    later = [other for other in levels_of(catalog if catalog is not None else load_catalog())
             if level_order(other) > level_order(level)]
    return later[0] if later else None


def bar(passed: int, total: int, stream=None) -> str:
    """████░░░░: 8 cells for a level of 4 (two each), one cell each for bigger levels; # and - where the
    console cannot print blocks (an old Windows code page)."""
    full, empty = ("█", "░") if can_print("█░", stream) else ("#", "-")
    cells = max(1, 8 // max(total, 1))
    return full * cells * passed + empty * cells * (total - passed)


def bar_line(level: str, passed: int, total: int, stream=None) -> str:
    return f"{level:<13} {bar(passed, total, stream)}  {passed}/{total}"


def hint_to_show(challenge: Challenge, entry: dict | None) -> Hint | None:
    """The hint a progress footer shows: the one the first failure showed (hint 2, say), else the first.
    Never the last, which is almost the answer."""
    named = (entry or {}).get("first_failure_hint")
    hints = challenge.hints[:-1] if len(challenge.hints) > 1 else challenge.hints
    return next((hint for hint in hints if hint.name == named), hints[0] if hints else None)
