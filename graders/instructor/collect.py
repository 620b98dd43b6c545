"""Read many results files, as an instructor collects them: by e-mail, on a USB stick, in a shared folder.

Every file that cannot be used is reported in one line and skipped: not JSON, cut short, not a results file,
or one that fails validation. A file from another kit version is read anyway (the format only grows) and said
so. Two files with the same learner name are merged, keeping each challenge's latest result, and said so.
Nothing here raises for a bad file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from graders.ground.catalog import read_kit_version
from graders.ground.results import SchemaError, validate_results

MAX_FILE = 5 * 1024 * 1024     # a results file is a few kilobytes; anything this big is something else


@dataclass
class Collected:
    results: list[dict] = field(default_factory=list)   # validated, one per learner (duplicates merged)
    notes: list[str] = field(default_factory=list)      # one line per file skipped, merged or read with care
    files: int = 0                                      # how many files were looked at


def find_files(paths: list[str | Path]) -> tuple[list[Path], list[str]]:
    """Files named on the command line, plus every *.json under the folders named."""
    found, notes = [], []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not inside:
                notes.append(f"{path}: no .json files in this folder")
            found += inside
        elif path.is_file():
            found.append(path)
        else:
            notes.append(f"{path}: no such file or folder")
    unique = list(dict.fromkeys(p.resolve() for p in found))   # a file named twice is read once
    return unique, notes


def read_one(path: Path, kit_version: str) -> tuple[dict | None, str | None]:
    """(validated results, None), or (results, a note), or (None, why it was skipped)."""
    try:
        if path.stat().st_size > MAX_FILE:
            return None, f"{path}: skipped, {path.stat().st_size // 1024} KB is too big for a results file"
        raw = path.read_bytes()
    except OSError as error:
        return None, f"{path}: skipped, could not read it ({error.strerror or error})"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, f"{path}: skipped, not UTF-8 text (is it a results file?)"
    if not text.strip():
        return None, f"{path}: skipped, the file is empty"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        ending = text.rstrip()
        if error.pos >= len(ending) or not ending.endswith(("}", "]")):
            return None, f"{path}: skipped, truncated: the JSON stops before its end (copied while a run wrote it?)"
        return None, f"{path}: skipped, not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
    except RecursionError:
        return None, f"{path}: skipped, nested too deeply to be a results file"
    try:
        results = validate_results(data)
    except SchemaError as error:
        return None, f"{path}: skipped, {error}"
    written_by = results.get("kit_version")
    if written_by != kit_version:
        return results, (f"{path}: written by kit {written_by or '(unknown version)'}, this is kit {kit_version}: "
                         f"read anyway (the format only grows)")
    return results, None


def merge_same_learner(copies: list[tuple[Path, dict]]) -> dict:
    """One learner's files merged: each challenge keeps the entry graded last."""
    merged = dict(copies[0][1])
    challenges: dict[str, dict] = {}
    for _, results in copies:
        for slug, entry in results["challenges"].items():
            kept = challenges.get(slug)
            if kept is None or graded_later(entry, kept):
                challenges[slug] = entry
    merged["challenges"] = challenges
    merged["updated"] = max((r.get("updated") or "" for _, r in copies), default="") or None
    return merged


def graded_later(entry: dict, kept: dict) -> bool:
    if kept["status"] == "not run" and entry["status"] != "not run":
        return True
    if entry["status"] == "not run":
        return False
    return (entry.get("finished") or "") > (kept.get("finished") or "")


def collect(paths: list[str | Path], kit_version: str | None = None) -> Collected:
    kit_version = kit_version or read_kit_version()
    files, notes = find_files(paths)
    collected = Collected(notes=notes, files=len(files))
    by_learner: dict[str, list[tuple[Path, dict]]] = {}
    for path in files:
        try:
            results, note = read_one(path, kit_version)
        except Exception as error:  # a bad file must never stop the report; say what happened and go on
            results, note = None, f"{path}: skipped, unexpected problem reading it ({type(error).__name__}: {error})"
        if note:
            collected.notes.append(note)
        if results is not None:
            by_learner.setdefault(results["learner"].casefold(), []).append((path, results))
    for copies in by_learner.values():
        if len(copies) > 1:
            names = ", ".join(str(path) for path, _ in copies)
            collected.notes.append(f"{copies[0][1]['learner']}: {len(copies)} files with this name ({names}) "
                                   f"merged, each challenge keeping its latest result")
        collected.results.append(merge_same_learner(copies))
    return collected
