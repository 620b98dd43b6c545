"""The challenge catalog (exercises/catalog.toml) and how a grader file maps to its challenge."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG = REPO_ROOT / "exercises" / "catalog.toml"
LEVELS = ("foundations", "beginner", "intermediate", "advanced")


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
        return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"
