"""Mutation records: graders/<level>/mutation/<slug>.toml, what CI reads instead of running cosmic-ray.

Standard library only (plus tomli on 3.10), so the CI test reads records without the `mutation` extra.

A record says what one run measured (counts, every survivor with its diff) on which files (sha256 of the
solution's folder, the starter's folder and the grader), and which survivors a person judged EQUIVALENT, each
with a reason. A mutant is named by a stable key, (file, operator, the stripped text of its line, occurrence
among the same operator on the same text), never by a line number alone, so an edit elsewhere in the file does
not orphan a judgement.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from graders.ground import KIT_ROOT
from graders.ground.catalog import Challenge, load_catalog

SKIPPED = ("__pycache__",)


def challenges() -> list[Challenge]:
    return list(load_catalog())


def solution_dir(challenge: Challenge, root: Path = KIT_ROOT) -> Path:
    return root / "solutions" / challenge.level / challenge.slug


def starter_dir(challenge: Challenge, root: Path = KIT_ROOT) -> Path:
    return root / "exercises" / challenge.level / challenge.slug


def grader_file(challenge: Challenge, root: Path = KIT_ROOT) -> Path:
    return root / "graders" / challenge.level / f"test_{challenge.slug}.py"


def record_file(challenge: Challenge, root: Path = KIT_ROOT) -> Path:
    return root / "graders" / challenge.level / "mutation" / f"{challenge.slug}.toml"


def grader_files(challenge: Challenge, root: Path = KIT_ROOT) -> list[Path]:
    """The grader, and the helper modules beside it that it names (first_server_checks, a probe app...):
    a change in any of them changes what the grader checks."""
    grader = grader_file(challenge, root)
    text = grader.read_text(encoding="utf-8")
    helpers = [path for path in sorted(grader.parent.glob("*.py"))
               if not path.name.startswith(("test_", "__")) and re.search(rf"\b{path.stem}\b", text)]
    return [grader, *helpers]


def folder_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*")
                  if path.is_file() and not any(part in SKIPPED for part in path.relative_to(folder).parts)
                  and path.suffix != ".pyc")


def digest(files: list[Path], base: Path) -> str:
    """sha256 over each file's path (relative to base) and bytes, so a renamed or added file counts too.
    Line endings are normalised: a checkout with CRLFs (git on Windows) is the same code."""
    hasher = hashlib.sha256()
    for path in files:
        hasher.update(path.relative_to(base).as_posix().encode() + b"\0")
        hasher.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return hasher.hexdigest()


def current_hashes(challenge: Challenge, root: Path = KIT_ROOT) -> dict[str, str]:
    return {
        "solution": digest(folder_files(solution_dir(challenge, root)), solution_dir(challenge, root)),
        "starter": digest(folder_files(starter_dir(challenge, root)), starter_dir(challenge, root)),
        "grader": digest(grader_files(challenge, root), root / "graders"),
    }


@dataclass(frozen=True)
class Key:
    """A mutant's stable name."""
    file: str          # relative to the challenge's folder: server.py, frames.py
    operator: str      # cosmic-ray's operator name, e.g. ReplaceComparisonOperator_Eq_Is
    line: str          # the mutated line of the solution, stripped
    occurrence: int    # among mutants of this operator on lines of this same text in this file, in order

    def __str__(self) -> str:
        return f"{self.file}: {self.operator} #{self.occurrence} on `{self.line}`"


@dataclass
class Record:
    slug: str
    level: str
    measured: str = ""
    tool: str = ""
    seed: int = 0
    hashes: dict = field(default_factory=dict)
    mutants: int = 0
    killed: int = 0
    timed_out: int = 0
    survived: int = 0
    not_reached: int = 0
    seconds: float = 0.0
    survivors: list = field(default_factory=list)     # dicts: file, operator, line, occurrence, lineno, reached, diff
    equivalents: list = field(default_factory=list)   # dicts: file, operator, line, occurrence, reason

    @staticmethod
    def key_of(entry: dict) -> Key:
        return Key(entry["file"], entry["operator"], entry["line"], int(entry["occurrence"]))

    def equivalent_keys(self) -> set[Key]:
        return {self.key_of(entry) for entry in self.equivalents}

    def missing_checks(self) -> list[dict]:
        """Survivors nobody judged equivalent: each one is a check the grader lacks."""
        accepted = self.equivalent_keys()
        return [entry for entry in self.survivors if self.key_of(entry) not in accepted]

    @property
    def score(self) -> float:
        """Killed (timeouts included) out of the mutants that can be killed: equivalents are not counted."""
        judged = self.mutants - len(self.equivalents)
        return 100.0 if judged <= 0 else round(100.0 * (self.killed + self.timed_out) / judged, 1)


def load(challenge: Challenge, root: Path = KIT_ROOT) -> Record | None:
    path = record_file(challenge, root)
    if not path.exists():
        return None
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    counts = data.get("counts", {})
    return Record(
        slug=data["slug"], level=data["level"], measured=data.get("measured", ""), tool=data.get("tool", ""),
        seed=data.get("seed", 0), hashes=data.get("hashes", {}),
        mutants=counts.get("mutants", 0), killed=counts.get("killed", 0), timed_out=counts.get("timed_out", 0),
        survived=counts.get("survived", 0), not_reached=counts.get("not_reached", 0),
        seconds=counts.get("seconds", 0.0),
        survivors=data.get("survivor", []), equivalents=data.get("equivalent", []))


def stale_parts(record: Record, challenge: Challenge, root: Path = KIT_ROOT) -> list[str]:
    """Which of solution, starter and grader changed since the record was measured."""
    now = current_hashes(challenge, root)
    return [name for name in ("solution", "starter", "grader") if record.hashes.get(name) != now[name]]


def _toml_string(text: str) -> str:
    """A TOML basic string (one line): escapes for backslash, quote and control characters."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_multiline(text: str) -> str:
    """A TOML literal multi-line string when the text allows it (diffs read as they are), else a basic one."""
    if "'''" not in text and not any(ord(c) < 0x20 and c not in "\n\t" for c in text):
        return "'''\n" + text + "'''"
    return _toml_string(text)


def dumps(record: Record) -> str:
    lines = [
        f"# Mutation record of the {record.slug} grader, written by `python -m tools.mutation {record.slug} --record`.",
        "# Measured survivors are [[survivor]]; a person judges each one: add a check to the grader for it, or",
        "# copy its file, operator, line and occurrence into an [[equivalent]] with a one-line reason (re-recording",
        "# keeps the [[equivalent]] entries). tests/test_mutation_records.py fails while a survivor is not equivalent",
        "# or when the solution, the starter or the grader changed since `measured`.",
        f"slug = {_toml_string(record.slug)}",
        f"level = {_toml_string(record.level)}",
        f"measured = {_toml_string(record.measured)}",
        f"tool = {_toml_string(record.tool)}",
        f"seed = {record.seed}",
        f"score = {record.score}   # % of the mutants that can be killed (not equivalents) that the grader kills",
        "",
        "[hashes]  # sha256 of the files measured (see tools/mutation/records.py: digest)",
    ]
    lines += [f"{name} = {_toml_string(record.hashes[name])}" for name in ("solution", "starter", "grader")]
    lines += [
        "",
        "[counts]",
        f"mutants = {record.mutants}",
        f"killed = {record.killed}",
        f"timed_out = {record.timed_out}",
        f"survived = {record.survived}",
        f"not_reached = {record.not_reached}   # survivors on a line the grader never runs",
        f"seconds = {record.seconds}",
    ]
    for entry in record.equivalents:
        lines += ["", "[[equivalent]]"] + [f"{name} = {_toml_value(entry[name])}"
                                           for name in ("file", "operator", "line", "occurrence", "reason")]
    for entry in record.survivors:
        lines += ["", "[[survivor]]"] + [f"{name} = {_toml_value(entry[name])}"
                                         for name in ("file", "operator", "line", "occurrence", "lineno", "reached")]
        lines.append(f"diff = {_toml_multiline(entry['diff'])}")
    return "\n".join(lines) + "\n"


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return _toml_string(str(value))


def save(record: Record, challenge: Challenge, root: Path = KIT_ROOT) -> Path:
    path = record_file(challenge, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(record), encoding="utf-8")
    return path
