"""Where things are in the kit, and where the learner stands: the challenges, their files, their statuses.

The kit's root is found from this package's own location, so `python -m graders` works from any folder.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from graders.ground import KIT_ROOT
from graders.ground import state as learner_state
from graders.ground.catalog import Challenge, load_catalog
from graders.ground.catalog import catalog_words as _catalog_words
from graders.ground.results import DEFAULT_RESULTS, PASSED, read_results, status_of
from graders.harness.commands import command_line, quote, shown_path

BACKUPS = KIT_ROOT / "backups"


class UserError(Exception):
    """Bad input or a refused action: one clear message, exit status 2, never a traceback."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.message, self.code = message, code


def challenges() -> tuple[Challenge, ...]:
    catalog = load_catalog()
    if not catalog:
        raise UserError(f"No challenges found: {KIT_ROOT / 'exercises' / 'catalog.toml'} is missing or empty.")
    return catalog


def find(name: str) -> Challenge:
    """A challenge by slug (or level/slug); an unknown name lists the close matches."""
    name = name.strip().strip("/\\").replace("\\", "/").split("/")[-1]
    catalog = challenges()
    for challenge in catalog:
        if challenge.slug == name:
            return challenge
    slugs = [c.slug for c in catalog]
    close = difflib.get_close_matches(name, slugs, n=3, cutoff=0.5)
    close += [s for s in slugs if name and name in s and s not in close][:3]
    message = f"There is no challenge called {name!r}."
    if close:
        message += " Did you mean: " + ", ".join(close) + "?"
    raise UserError(message + f"\n`{cli_command('list')}` shows them all.")


def starter_dir(challenge: Challenge) -> Path:
    return KIT_ROOT / "exercises" / challenge.level / challenge.slug


def solution_dir(challenge: Challenge) -> Path:
    return KIT_ROOT / "solutions" / challenge.level / challenge.slug


def grader_file(challenge: Challenge) -> Path:
    return KIT_ROOT / "graders" / challenge.level / f"test_{challenge.slug}.py"


@dataclass
class Progress:
    """The results file and the state file, read together."""
    results: dict
    state: dict

    @classmethod
    def load(cls) -> "Progress":
        return cls(read_results_quietly(), learner_state.load_state())

    def entry(self, challenge: Challenge) -> dict:
        entry = self.results.get("challenges", {}).get(challenge.slug)
        return entry if isinstance(entry, dict) else {}

    def status(self, challenge: Challenge) -> str:
        return status_of(self.entry(challenge))

    def current(self) -> Challenge | None:
        """The first challenge not passed yet, in catalog order; None when every one has passed."""
        return next((c for c in challenges() if self.status(c) != PASSED), None)

    def after(self, challenge: Challenge) -> Challenge | None:
        """The next challenge not passed yet after `challenge` (then from the start), or None."""
        catalog = list(challenges())
        index = next((i for i, c in enumerate(catalog) if c.slug == challenge.slug), -1)
        for other in catalog[index + 1:] + catalog[:index + 1]:
            if other.slug != challenge.slug and self.status(other) != PASSED:
                return other
        return None

    def hints_seen(self, challenge: Challenge) -> int:
        seen = self.state.get("hints_seen", {})
        count = seen.get(challenge.slug, 0) if isinstance(seen, dict) else 0
        return max(0, min(int(count) if isinstance(count, int) else 0, len(challenge.hints)))


def read_results_quietly() -> dict:
    """The learner's results file, or {} when there is none. Reading never changes it."""
    return read_results(DEFAULT_RESULTS, keep_aside=False)


INVOKED_AS_WSFS = False   # set by cli.main when the learner typed `wsfs`: then the printed commands say wsfs


def cli_command(*words: str) -> str:
    """`python -m graders <words>` (or `wsfs <words>`) as the learner should type it here."""
    if INVOKED_AS_WSFS:
        return " ".join(["wsfs", *(quote(word) for word in words)])
    return command_line("-m", "graders", *words)


def catalog_words(name: str) -> str:
    """`welcome` or `final_words` from the catalog, or "" when it has none."""
    return _catalog_words().get(name, "")


def show(path: Path) -> str:
    return shown_path(path)

