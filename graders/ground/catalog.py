"""The challenge catalog (exercises/catalog.toml) and how a grader file maps to its challenge."""
from __future__ import annotations

import fnmatch
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from . import KIT_ROOT

CATALOG = KIT_ROOT / "exercises" / "catalog.toml"
LEVELS = ("foundations", "beginner", "intermediate", "advanced")


# What belongs to a challenge's folder, one rule for watch, reset, solution and the shipped starters: every
# file but what Python, editors and operating systems write beside the learner's own files.
NOT_A_CHALLENGE_FOLDER = {"__pycache__", "node_modules"}
NOT_A_CHALLENGE_FILE = ("*.pyc", "*.pyo", "*~", "*.swp", "*.swo", "*.swx", ".#*", "#*#", "*.tmp", "*.bak", "4913",
                        ".DS_Store", "Thumbs.db", "*.crswap")


def belongs_to_challenge(relative: str | Path) -> bool:
    """Is this path (relative to a challenge's folder) one of its files? Hidden folders (.git, .idea, .vscode)
    and editors' swap and backup files are not."""
    parts = Path(relative).parts
    if any(part in NOT_A_CHALLENGE_FOLDER or part.startswith(".") for part in parts[:-1]):
        return False
    return bool(parts) and not any(fnmatch.fnmatch(parts[-1], pattern) for pattern in NOT_A_CHALLENGE_FILE)


def challenge_files(folder: Path) -> dict[str, Path]:
    """relative POSIX path -> path, for every file of a challenge's folder (see belongs_to_challenge)."""
    found = {}
    for where, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if f not in NOT_A_CHALLENGE_FOLDER and not f.startswith(".")]
        for name in files:
            relative = Path(where, name).relative_to(folder)
            if belongs_to_challenge(relative):
                found[relative.as_posix()] = Path(where, name)
    return found


@dataclass(frozen=True)
class Hint:
    name: str      # what a grader calls it: hint="read_body"
    text: str


@dataclass(frozen=True)
class Challenge:
    slug: str
    level: str
    title: str = ""
    summary: str = ""
    hints: tuple[Hint, ...] = field(default=())

    @property
    def key(self) -> str:
        return f"{self.level}/{self.slug}"

    def hint(self, name: str | None) -> tuple[int, Hint] | None:
        """(its position, the hint) for a name; None names the first hint, the gentlest nudge."""
        for number, hint in enumerate(self.hints):
            if name is None or hint.name == name:
                return number, hint
        return None


def level_order(level: str) -> tuple[int, str]:
    """Sort key for levels: the catalog's order, then any other level by name."""
    return (LEVELS.index(level) if level in LEVELS else len(LEVELS), level)


@functools.lru_cache(maxsize=None)
def load_catalog() -> tuple[Challenge, ...]:
    """All challenges in catalog order; empty if the catalog is missing (hints are then simply absent)."""
    if not CATALOG.is_file():
        return ()
    entries = tomllib.loads(CATALOG.read_text(encoding="utf-8")).get("challenge", [])
    return tuple(
        Challenge(e["slug"], e["level"], e.get("title", ""), e.get("summary", ""),
                  tuple(Hint(h["name"], h["text"]) for h in e.get("hints", ())))
        for e in entries
    )


@functools.lru_cache(maxsize=None)
def catalog_words() -> dict[str, str]:
    """The catalog's own words, outside any challenge: `welcome` (a first run) and `final_words` (the last pass)."""
    if not CATALOG.is_file():
        return {}
    data = tomllib.loads(CATALOG.read_text(encoding="utf-8"))
    return {key: value.strip() for key, value in data.items() if isinstance(value, str)}


def challenge_for(grader_path: str | Path) -> Challenge | None:
    """graders/<level>/test_<slug>.py -> its Challenge (a bare one if the catalog does not list it yet)."""
    path = Path(grader_path)
    if not path.name.startswith("test_") or path.suffix != ".py":
        return None
    level, slug = path.parent.name, path.stem[len("test_"):]
    for challenge in load_catalog():
        if (challenge.level, challenge.slug) == (level, slug):
            return challenge
    return Challenge(slug, level) if level in LEVELS else None


def read_kit_version() -> str:
    try:
        return tomllib.loads((KIT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"
