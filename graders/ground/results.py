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
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from graders.ground.files import read_json_object, write_json_atomically

from . import KIT_ROOT
from .console import TERMINAL_ESCAPE
from .names import clean_name

DEFAULT_RESULTS = KIT_ROOT / "grader-results.json"   # the learner's own file, at the kit's root
STALE_AFTER = 30.0     # seconds; a merge holds the lock for milliseconds
WAIT_AT_MOST = 15.0

# The statuses the file records. A learner reads two more: "not tried" (never graded) and "reset" (the starter
# is back: a "not run" entry that carries the time of its reset).
PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"
STATUSES = (PASSED, FAILED, NOT_RUN)
NOT_TRIED, RESET = "not tried", "reset"
NOT_RUN_ENTRY = {"status": NOT_RUN, "passed": 0, "total": 0, "first_failure": None, "duration": 0.0,
                 "finished": None, "target": None, "seed": None, "runs": 0, "first_passed": None}
SLUG = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
MAX_CHALLENGES = 200
MAX_FAILURE = 2000
MAX_SHORT = 64          # timestamps, versions
MAX_TARGET = 500        # a --target may be a path


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


def is_results(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("challenges"), dict)


def read_results(path: Path, keep_aside: bool = True) -> dict:
    """The file from earlier runs, or {}. A writer (keep_aside) keeps an unreadable one as .bak before it
    writes over it, never silently lost; a reader that only shows progress changes nothing."""
    if keep_aside:
        return read_json_object(path, is_results)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if is_results(data) else {}


def update_results(path: Path, change) -> dict:
    """Under the lock: read the file, `change(old) -> new`, write it. Creates the folder when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        data = change(read_results(path))
        write_json_atomically(path, data)
    return data


def status_of(entry: dict | None) -> str:
    """An entry as a learner reads it: passed, failed, reset or not tried."""
    status = (entry or {}).get("status")
    if status in (PASSED, FAILED):
        return status
    return RESET if (entry or {}).get("reset") else NOT_TRIED


def merge_run(old: dict, finished: dict, learner: str, now: str, kit_version: str, catalog=()) -> dict:
    """Earlier runs' entries, with this run's on top. Fields this kit does not know are kept, never dropped."""
    challenges = dict(old.get("challenges", {}))
    for challenge in catalog:
        challenges.setdefault(challenge.slug, {"slug": challenge.slug, "level": challenge.level, **NOT_RUN_ENTRY})
    for slug, entry in finished.items():
        before = challenges.get(slug, {})
        if entry["status"] == NOT_RUN and before.get("status") in (PASSED, FAILED):
            continue  # every check was skipped (--server-url): nothing was graded, the earlier result stands
        earlier_pass = before.get("first_passed") or (before.get("finished") if before.get("status") == PASSED
                                                      else None)
        challenges[slug] = {"slug": slug, "level": entry["level"], **NOT_RUN_ENTRY, **before, **entry,
                            "runs": int(before.get("runs") or 0) + 1,
                            "first_passed": earlier_pass or (now if entry["status"] == PASSED else None)}
    return {**old, "learner": learner, "kit_version": kit_version, "updated": now, "challenges": challenges}


@dataclass(frozen=True)
class RunOutcome:
    """What became of a run's results: saved to `path`, or not, and why. The recorder returns it; the board
    post, the summary and the learner's command read it. Nobody decides by reading a message's words."""
    saved: bool
    why: str                    # one of the reasons below
    path: Path | None = None
    error: str = ""

    SAVED, INTERRUPTED, PARTIAL, KITS_SOLUTIONS, NOT_WRITTEN = \
        "saved", "interrupted", "partial", "the kit's solutions", "could not be written"


class SchemaError(ValueError):
    """Why a body is not a results file, in words the sender can act on."""


def learner_of(data: dict) -> str:
    try:
        return clean_name(data.get("learner"))
    except ValueError as error:
        raise SchemaError(str(error)) from None


def validate_results(data) -> dict:
    """A clean copy of a results file, or SchemaError naming the first problem."""
    if not isinstance(data, dict):
        raise SchemaError(f"a results file is a JSON object, not {type(data).__name__ if data is not None else 'null'}")
    if "challenges" not in data:
        raise SchemaError("no 'challenges': this is not a grader results file")
    challenges = data["challenges"]
    if not isinstance(challenges, dict):
        raise SchemaError("'challenges' must be an object keyed by challenge slug")
    if len(challenges) > MAX_CHALLENGES:
        raise SchemaError(f"'challenges' has {len(challenges)} entries; at most {MAX_CHALLENGES} are accepted")
    clean = {"learner": learner_of(data),
             "kit_version": optional_text(data, "kit_version", MAX_SHORT),
             "updated": optional_text(data, "updated", MAX_SHORT),
             "challenges": {}}
    for slug, entry in challenges.items():
        if not SLUG.fullmatch(slug):
            raise SchemaError(f"challenge {shorten(slug)!r} is not a slug (letters, digits, _ . -, at most 64)")
        clean["challenges"][slug] = validate_entry(slug, entry)
    return clean


def validate_entry(slug: str, entry) -> dict:
    where = f"challenges.{slug}"
    if not isinstance(entry, dict):
        raise SchemaError(f"{where} must be an object")
    status = entry.get("status")
    if status not in STATUSES:
        raise SchemaError(f"{where}.status must be one of {', '.join(STATUSES)}, not {shorten(status)!r}")
    level = entry.get("level")
    if level is not None and not (isinstance(level, str) and SLUG.fullmatch(level)):
        raise SchemaError(f"{where}.level must be a level name such as beginner")
    clean = {"slug": slug, "level": level, "status": status}
    for field in ("passed", "total", "runs"):
        clean[field] = optional_count(entry, field, where)
    for field, limit in (("first_failure", MAX_FAILURE), ("finished", MAX_SHORT), ("first_passed", MAX_SHORT),
                         ("target", MAX_TARGET)):
        clean[field] = optional_text(entry, field, limit, where)
    if clean["first_failure"]:         # a grader's headline holds no escape sequences: these came from elsewhere
        clean["first_failure"] = TERMINAL_ESCAPE.sub("", clean["first_failure"])
    seed = entry.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise SchemaError(f"{where}.seed must be a whole number or null")
    clean["seed"] = seed
    duration = entry.get("duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, (int, float))
                                 or not 0 <= duration < 1e7):
        raise SchemaError(f"{where}.duration must be a number of seconds")
    clean["duration"] = duration
    return clean


def optional_count(entry: dict, field: str, where: str) -> int | None:
    value = entry.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise SchemaError(f"{where}.{field} must be a whole number from 0 up")
    return value


def optional_text(entry: dict, field: str, limit: int, where: str = "") -> str | None:
    value = entry.get(field)
    if value is None:
        return None
    name = f"{where}.{field}" if where else field
    if not isinstance(value, str):
        raise SchemaError(f"{name} must be text or null")
    if len(value) > limit:
        raise SchemaError(f"{name} is longer than {limit} characters")
    return value


def shorten(value, limit: int = 40):
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def own_work(target: str | None) -> bool:
    """Did this entry grade the learner's own folder? `exercises` (or a path ending in it), or no target
    recorded (files from before the field existed)."""
    if target is None:
        return True
    last = re.split(r"[\\/]", target.strip().rstrip("\\/"))[-1]
    return last == "exercises"


def flag_reason(results: dict) -> str | None:
    """Why a learner is not counted: they graded something other than their own work."""
    others = sorted({entry["target"] for entry in results["challenges"].values() if not own_work(entry.get("target"))})
    if not others:
        return None
    return "graded --target " + ", ".join(shorten(target, 30) for target in others)
