"""`watch [SLUG]`: grade the challenge, then again on every save in its folder; on a pass, go on to the next.

It polls the folder's files (their modification times and sizes) twice a second: the standard library only,
the same on Linux, macOS and Windows, and cheap for a folder of a few files. It watches only the challenge's
folder, and skips what editors and Python write beside a file (__pycache__, *.pyc, swap and backup files), so
a grader run never triggers another. A burst of saves (an editor's "save all", a formatter) makes one run.
"""
from __future__ import annotations

import fnmatch
import os
import subprocess
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from graders.harness.catalog import Challenge
from graders.harness.messages import clip_tail, hint_text
from graders.harness.progress import can_print

from .check import grader_command, shown_from_here, wait_for
from .kit import KIT_ROOT, Progress, cli_command, show, starter_dir
from .status import instructions

POLL, QUIET, BURST_AT_MOST = 0.5, 0.3, 3.0   # seconds
IGNORED_FOLDERS = {"__pycache__", ".git", ".idea", ".vscode", "node_modules", ".mypy_cache", ".pytest_cache"}
IGNORED_FILES = ("*.pyc", "*.pyo", "*~", "*.swp", "*.swo", "*.swx", ".#*", "#*#", "*.tmp", "*.bak", "4913",
                 ".DS_Store", "Thumbs.db", "*.crswap")


def ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in IGNORED_FILES)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (modification time, size) for every file a learner may have edited."""
    found = {}
    for where, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if f not in IGNORED_FOLDERS]
        for name in files:
            if ignored(name):
                continue
            path = os.path.join(where, name)
            try:
                info = os.stat(path)
            except OSError:
                continue  # deleted while we looked (editors save by write-and-rename)
            found[os.path.relpath(path, folder)] = (info.st_mtime_ns, info.st_size)
    return found


def wait_for_save(folder: Path, baseline: dict) -> dict:
    """Block until the folder differs from `baseline`, then until it has been quiet for a moment."""
    while (current := snapshot(folder)) == baseline:
        time.sleep(POLL)
    give_up = time.monotonic() + BURST_AT_MOST
    while time.monotonic() < give_up:
        time.sleep(QUIET)
        settled = snapshot(folder)
        if settled == current:
            break
        current = settled
    return current


@dataclass
class Outcome:
    code: int
    entry: dict          # this run's entry in the results file, or {} when the run wrote none
    output: str

    @property
    def passed(self) -> bool:
        return self.code == 0 and self.entry.get("status") == "passed"


def run_grader(challenge: Challenge, seed: int | None = None) -> Outcome:
    """One grader run with its output kept aside; the short result comes from the results file it writes."""
    runs_before = Progress.load().entry(challenge).get("runs") or 0
    extra = ["-q", "-p", "no:cacheprovider"] + (["--seed", str(seed)] if seed is not None else [])
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(grader_command(challenge, *extra), cwd=KIT_ROOT, env=shown_from_here(),
                                   stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        code = wait_for(process)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    entry = Progress.load().entry(challenge)
    fresh = (entry.get("runs") or 0) > runs_before
    return Outcome(code, entry if fresh else {}, text)


def clock() -> str:
    return time.strftime("[%H:%M:%S]")


def short_result(challenge: Challenge, outcome: Outcome) -> list[str]:
    entry = outcome.entry
    if outcome.passed:
        party = "🎉" if can_print("🎉") else "**"
        return [f"{clock()} {party} {challenge.slug} passes all {entry.get('total', 0)} checks. Well done!"]
    if not entry or outcome.code not in (0, 1):
        return [f"{clock()} {challenge.slug}: the grader could not run (pytest exit status {outcome.code}). "
                "Its last lines:", clip_tail(outcome.output, 15, 200)]
    lines = [f"{clock()} {challenge.slug}: {entry.get('passed', 0)} of {entry.get('total', 0)} checks pass."]
    if entry.get("first_failure"):
        lines += textwrap.wrap(entry["first_failure"], 100, initial_indent="  ", subsequent_indent="    ")
    hint = hint_text(challenge, entry.get("first_failure_hint")) if entry.get("first_failure_hint") else ""
    if hint:
        lines += textwrap.wrap(" ".join(hint.split()), 100, initial_indent="  ", subsequent_indent="    ")
    lines.append(f"  The whole report: {cli_command('check', challenge.slug)}")
    return lines


def watch(challenge: Challenge, seed: int | None = None) -> int:
    try:
        while True:
            folder = starter_dir(challenge)
            before = snapshot(folder)
            print(f"{clock()} Grading {challenge.slug}...", flush=True)
            outcome = run_grader(challenge, seed)
            for line in short_result(challenge, outcome):
                print(line, flush=True)
            if outcome.passed:
                following = Progress.load().after(challenge)
                if following is None:
                    print("\nEvery challenge has passed. Congratulations: you built a web framework!")
                    return 0
                challenge = following
                print()
                for line in instructions(Progress.load(), challenge, heading="On to", watching=True):
                    print(line)
                print(flush=True)
                continue
            after = snapshot(folder)
            # A .py saved while the grader ran counts as a save; other files that changed meanwhile may have
            # been written by the server itself, and must not start a loop of runs.
            if any(after.get(path) != before.get(path) for path in after.keys() | before.keys()
                   if path.endswith(".py")):
                continue
            print(f"Watching {show(folder)}{os.sep} for saves (Ctrl+C to stop)...", flush=True)
            wait_for_save(folder, after)
    except KeyboardInterrupt:
        print("\nStopped watching.", flush=True)
        return 0
