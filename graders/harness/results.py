"""The end of a run: the results file instructors collect, and the progress summary a learner reads.

Only the controlling pytest process records (under pytest-xdist the workers' reports reach it with each test's
user_properties), so the file is written once per run. The format is documented in graders/README.md; the
locking and the atomic write are in results_file.py.
"""
from __future__ import annotations

import datetime
import textwrap
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT
from graders.ground.catalog import load_catalog, read_kit_version
from graders.ground.names import learner_name
from graders.ground.results import RunOutcome, merge_run, read_results, update_results

from . import options
from .commands import command_line, learners_folder
from .progress import bar_line, hint_to_show, level_order, next_level


class ResultsRecorder:
    def __init__(self, config: pytest.Config):
        self.config = config
        self.tests: dict[str, dict] = {}  # slug -> {"level", "outcomes": {nodeid: outcome}, "duration", "failure"}
        self.notes: dict[str, None] = {}  # printed once each, after the summary (an ordered set)
        self.data: dict | None = None
        self.note = ""
        self.outcome: RunOutcome | None = None   # what became of this run's results: saved or not, and why
        self.title = "your progress"

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = report.user_properties
        found = dict(properties)
        if "challenge" not in found:
            return  # not a grader
        level, slug = found["challenge"].split("/")
        grader = Path(self.config.rootpath, report.nodeid.split("::")[0])
        tally = self.tests.setdefault(slug, {"level": level, "outcomes": {}, "duration": 0.0, "failure": None,
                                             "hint": None, "grader": grader})
        tally["duration"] += report.duration
        outcomes, before = tally["outcomes"], tally["outcomes"].get(report.nodeid)
        if report.failed:
            outcomes[report.nodeid] = "failed"
            if tally["failure"] is None and found.get("failure"):
                tally["failure"], tally["hint"] = found["failure"], found.get("hint")
        elif report.when == "call" and report.passed and before != "failed":
            outcomes[report.nodeid] = "passed"
        elif report.skipped and before is None:
            outcomes[report.nodeid] = "skipped"
        for name, value in properties:
            if name == "note":
                self.notes.setdefault(value)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        if not self.tests:
            return
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        target = options.server_url(self.config) or self.config.getoption("target")
        seed = self.config.stash.get(options.SEED, None)
        finished = {}
        for slug, tally in self.tests.items():
            outcomes = list(tally["outcomes"].values())
            status = "failed" if "failed" in outcomes else "passed" if "passed" in outcomes else "not run"
            finished[slug] = {"slug": slug, "level": tally["level"], "status": status,
                              "passed": outcomes.count("passed"), "total": len(outcomes),
                              "first_failure": tally["failure"], "first_failure_hint": tally["hint"],
                              "duration": round(tally["duration"], 3), "finished": now, "target": target,
                              "seed": seed}
        path = options.results_path(self.config)
        solutions = options.grades_the_kits_solutions(self.config)
        name = learner_name(self.config.getoption("learner"), remember=not solutions)

        def merged(old: dict) -> dict:
            return merge(old, finished, name, now)

        option = self.config.option
        partial = option.keyword or option.markexpr or getattr(option, "lf", False) or \
            "::" in " ".join(self.config.args)
        # Shown even when not saved: this run on top of the learner's earlier ones (the kit's solutions alone).
        self.data = merged({} if solutions else read_results(path))
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            self.outcome = RunOutcome(False, RunOutcome.INTERRUPTED)
            self.note = "The run was interrupted: results not saved."
        elif partial:
            self.outcome = RunOutcome(False, RunOutcome.PARTIAL)
            self.note = "Only some checks ran (-k, -m, --lf or ::): results not saved."
        elif solutions and (self.config.getoption("results") is None or same_file(path, options.DEFAULT_RESULTS)):
            self.outcome = RunOutcome(False, RunOutcome.KITS_SOLUTIONS)
            self.title = "the kit's solutions"
            self.note = ("These were the kit's own solutions (--target solutions): your results file was not "
                         "touched.")
        else:
            try:
                self.data = update_results(path, merged)
                self.outcome = RunOutcome(True, RunOutcome.SAVED, path)
                self.note = f"Results saved to {path} for {self.data['learner']}."
            except OSError as error:
                self.outcome = RunOutcome(False, RunOutcome.NOT_WRITTEN, path, str(error))
                self.note = f"Could not save the results to {path}: {error}"

    # A wrapper that runs first, so its code after `yield` runs last: after pytest's own "short test summary
    # info" (the FAILED lines that -ra adds), which is printed when the terminal reporter's wrapper unwinds.
    # The learner's progress is then the last thing on the screen, above only pytest's one-line count.
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter):
        yield
        if self.data is not None:
            terminalreporter.write_sep("=", self.title)
            levels_run = {tally["level"] for tally in self.tests.values()}
            cwd = learners_folder(self.config.invocation_params.dir)
            graders = {slug: tally["grader"] for slug, tally in self.tests.items()}
            for line in summary_lines(self.data["challenges"], sorted(levels_run, key=level_order), cwd, graders):
                terminalreporter.write_line(line)
            for note in self.notes:
                terminalreporter.write_line(textwrap.fill(note, 110, subsequent_indent="    "))
            terminalreporter.write_line(self.note)


def same_file(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def summary_lines(challenges: dict, levels: list[str], cwd: Path | None = None,
                  graders: dict[str, Path] | None = None) -> list[str]:
    """Per level: a progress bar, what passed, and what to do next with its first hint. `graders` gives the
    grader files of this run (others are where the kit keeps them)."""
    catalog, lines = load_catalog(), []
    for level in levels:
        slugs = [c.slug for c in catalog if c.level == level]
        slugs += [s for s, entry in challenges.items() if entry.get("level") == level and s not in slugs]
        status = {slug: challenges.get(slug, {}).get("status", "not run") for slug in slugs}
        passed = [slug for slug in slugs if status[slug] == "passed"]
        lines.append(bar_line(level, len(passed), len(slugs)))
        lines.append(f"  passed: {', '.join(passed) or 'none yet'}")
        failing = [slug for slug in slugs if status[slug] == "failed"] or [s for s in slugs if s not in passed]
        if not failing:
            after = next_level(level, catalog)
            lines.append(f"  next:   nothing left at this level: next, {after}." if after else
                         "  next:   nothing left at this level, and it was the last one. Well done!")
            continue
        slug = failing[0]
        challenge = next((c for c in catalog if c.slug == slug), None)
        lines.append(f"  next:   {slug}" + (f" - {challenge.title}" if challenge else ""))
        hint = hint_to_show(challenge, challenges.get(slug)) if challenge else None
        if hint:   # the hint the failure showed, so the footer and the failure above it agree
            lines.append(textwrap.fill(f"hint: {hint.text}", 110, initial_indent=" " * 10,
                                       subsequent_indent=" " * 16))
        grader = (graders or {}).get(slug) or KIT_ROOT / "graders" / level / f"test_{slug}.py"
        lines.append(f"          run:  {command_line('-m', 'pytest', grader, cwd=cwd)}")
    return lines


def merge(old: dict, finished: dict, learner: str, now: str) -> dict:
    """This run on top of the earlier ones, by the results model's one rule, with this kit's catalog."""
    return merge_run(old, finished, learner, now, read_kit_version(), load_catalog())
