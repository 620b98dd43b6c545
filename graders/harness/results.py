"""The end of a run: the results file instructors collect, and the progress summary a learner reads.

Only the controlling pytest process records (under pytest-xdist the workers' reports reach it with each test's
user_properties), so the file is written once per run. The format is documented in graders/README.md.
"""
from __future__ import annotations

import datetime
import getpass
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .catalog import LEVELS, REPO_ROOT, load_catalog, read_kit_version


class ResultsRecorder:
    def __init__(self, config: pytest.Config):
        self.config = config
        self.tests: dict[str, dict] = {}  # slug -> {"level", "outcomes": {nodeid: outcome}, "duration", "failure"}
        self.data: dict | None = None
        self.note = ""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if "challenge" not in properties:
            return  # not a grader
        level, slug = properties["challenge"].split("/")
        tally = self.tests.setdefault(slug, {"level": level, "outcomes": {}, "duration": 0.0, "failure": None})
        tally["duration"] += report.duration
        outcomes, before = tally["outcomes"], tally["outcomes"].get(report.nodeid)
        if report.failed:
            outcomes[report.nodeid] = "failed"
            tally["failure"] = tally["failure"] or properties.get("failure")
        elif report.when == "call" and report.passed and before != "failed":
            outcomes[report.nodeid] = "passed"
        elif report.skipped and before is None:
            outcomes[report.nodeid] = "skipped"

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        if not self.tests:
            return
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        finished = {}
        for slug, tally in self.tests.items():
            outcomes = list(tally["outcomes"].values())
            status = "failed" if "failed" in outcomes else "passed" if "passed" in outcomes else "not run"
            finished[slug] = {"slug": slug, "level": tally["level"], "status": status,
                              "passed": outcomes.count("passed"), "total": len(outcomes),
                              "first_failure": tally["failure"], "duration": round(tally["duration"], 3),
                              "finished": now}
        path = Path(self.config.invocation_params.dir, self.config.getoption("results"))
        self.data = merge(read_results(path), finished, learner_name(self.config.getoption("learner")), now)
        option = self.config.option
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            self.note = "The run was interrupted: results not saved."
        elif option.keyword or option.markexpr or getattr(option, "lf", False) or "::" in " ".join(self.config.args):
            self.note = "Only some checks ran (-k, -m, --lf or ::): results not saved."
        else:
            write_results(path, self.data)
            self.note = f"Results saved to {path} for {self.data['learner']}."

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.data is None:
            return
        terminalreporter.write_sep("=", "your progress")
        levels_run = {tally["level"] for tally in self.tests.values()}
        for line in summary_lines(self.data["challenges"], sorted(levels_run, key=level_order)):
            terminalreporter.write_line(line)
        terminalreporter.write_line(self.note)


def level_order(level: str):
    return (LEVELS.index(level) if level in LEVELS else len(LEVELS), level)


def summary_lines(challenges: dict, levels: list[str]) -> list[str]:
    """Per level: a progress bar, what passed, and what to do next with its first hint."""
    full, empty = ("█", "░") if can_print("█░") else ("#", "-")
    catalog, lines = load_catalog(), []
    for level in levels:
        slugs = [c.slug for c in catalog if c.level == level]
        slugs += [s for s, entry in challenges.items() if entry["level"] == level and s not in slugs]
        status = {slug: challenges.get(slug, {}).get("status", "not run") for slug in slugs}
        passed = [slug for slug in slugs if status[slug] == "passed"]
        cells = max(1, 8 // len(slugs))  # 4 challenges -> 2 cells each, like ██████░░
        bar = full * cells * len(passed) + empty * cells * (len(slugs) - len(passed))
        lines.append(f"{level:<13} {bar}  {len(passed)}/{len(slugs)}")
        lines.append(f"  passed: {', '.join(passed) or 'none yet'}")
        failing = [slug for slug in slugs if status[slug] == "failed"] or [s for s in slugs if s not in passed]
        if not failing:
            lines.append("  next:   nothing left at this level. Well done!")
            continue
        slug = failing[0]
        challenge = next((c for c in catalog if c.slug == slug), None)
        lines.append(f"  next:   {slug}" + (f" - {challenge.title}" if challenge else ""))
        if challenge and challenge.hints:
            lines.append(textwrap.fill(f"hint: {challenge.hints[0].text}", 110, initial_indent=" " * 10,
                                       subsequent_indent=" " * 16))
        lines.append(f"          run:  pytest graders/{level}/test_{slug}.py")
    return lines


def can_print(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def read_results(path: Path) -> dict:
    """The file from earlier runs. An unreadable one is kept aside as .bak, never silently lost."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("challenges"), dict):
            return data
    except (OSError, ValueError):
        pass
    shutil.copyfile(path, path.with_name(path.name + ".bak"))
    return {}


def merge(old: dict, finished: dict, learner: str, now: str) -> dict:
    challenges = dict(old.get("challenges", {}))
    for challenge in load_catalog():
        challenges.setdefault(challenge.slug, {"slug": challenge.slug, "level": challenge.level, "status": "not run",
                                               "passed": 0, "total": 0, "first_failure": None, "duration": 0.0,
                                               "finished": None})
    challenges.update(finished)
    return {"learner": learner, "kit_version": read_kit_version(), "updated": now, "challenges": challenges}


def write_results(path: Path, data: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")  # write, then rename: a crash never leaves half a file
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def learner_name(given: str | None) -> str:
    if given:
        return given
    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5,
                              cwd=REPO_ROOT).stdout.strip()
        if name:
            return name
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return getpass.getuser()
    except Exception:  # getuser raises different errors on different systems when no name is known
        return "unknown"
