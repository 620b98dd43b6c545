"""Is this a results file? One validator for the report (which skips a bad file) and the board (which answers
400 with the reason), so both accept exactly the same thing.

The format only grows (fields are added, never renamed): unknown fields are ignored, known ones are checked
for type and size, and a clean copy holding only the known fields is returned. Sizes are bounded because the
board stores what a laptop in the room sends it.
"""
from __future__ import annotations

import re
import unicodedata

STATUSES = ("passed", "failed", "not run")
SLUG = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_NAME = 80
MAX_CHALLENGES = 200
MAX_FAILURE = 2000
MAX_SHORT = 64          # timestamps, versions
MAX_TARGET = 500        # a --target may be a path


class SchemaError(ValueError):
    """Why a body is not a results file, in words the sender can act on."""


# What a terminal would obey rather than print: escape sequences (CSI such as ESC[2J, OSC such as a window title,
# and the two-byte ones), then any control character left.
TERMINAL_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]?"
                             r"|\x9d[^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -~]?")


def invisible(character: str) -> bool:
    """Bidirectional overrides and isolates, zero-width spaces and joiners, soft hyphens: all Unicode "format"
    characters (Cf). In a name they only make two names that look alike, or text that runs backwards."""
    return unicodedata.category(character) == "Cf"


def terminal_text(text) -> str:
    """A learner-supplied string made safe to print in a terminal: escape sequences removed, every other
    control and format character shown as nothing, so a results file can never clear, retitle or hide the
    instructor's screen."""
    text = TERMINAL_ESCAPE.sub("", str(text))
    return "".join(ch for ch in CONTROL.sub(" ", text) if not invisible(ch)).replace("\t", " ")


def script_of(character: str) -> str | None:
    """The writing system of a letter, from its Unicode name ("CYRILLIC CAPITAL LETTER A" -> CYRILLIC). Chinese,
    Japanese and Korean are one group: a Japanese name mixes kanji and kana by nature."""
    if not character.isalpha():
        return None
    word = unicodedata.name(character, "UNKNOWN").split()[0]
    return "CJK" if word in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC", "HALFWIDTH") else word


def mixes_scripts(name: str) -> bool:
    """Does the name mix writing systems, like "Аda" with a Cyrillic А? Such a name may imitate another one:
    the board marks it (it does not refuse it: "Lei 李" is a real name)."""
    return len({script_of(ch) for ch in name} - {None}) > 1


def name_key(name: str) -> str:
    """The one spelling two names share when they are the same name: "ADA", "ada" and a full-width "Ａda"."""
    return unicodedata.normalize("NFKC", name).casefold()


def clean_name(value) -> str:
    """A learner's name as shown to the room: control and invisible characters removed, spaces collapsed."""
    if not isinstance(value, str):
        raise SchemaError("'learner' must be a name (a string)")
    value = TERMINAL_ESCAPE.sub("", value)                  # "\x1b[31mAda" is Ada, not "[31mAda"
    visible = "".join(ch for ch in unicodedata.normalize("NFC", value) if not invisible(ch))
    name = " ".join(CONTROL.sub(" ", visible).split())
    if not name:
        raise SchemaError("'learner' is empty: give a name with --learner NAME or python -m graders join URL --name NAME")
    if len(name) > MAX_NAME:
        raise SchemaError(f"'learner' is longer than {MAX_NAME} characters")
    return name


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
    clean = {"learner": clean_name(data.get("learner")),
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
