"""`solution SLUG [--yes]`: the diff from the learner's files to the kit's solution.

Before the challenge has passed it asks first: a solution read too early answers the question before the
learner has had it, and the lesson is in the asking.
"""
from __future__ import annotations

import difflib
from pathlib import Path

from graders.ground.catalog import Challenge
from graders.ground.results import PASSED

from .kit import KIT_ROOT, Progress, UserError, cli_command, solution_dir, starter_dir
from .reset import confirm, learner_files


def solution(progress: Progress, challenge: Challenge, assume_yes: bool = False) -> int:
    theirs, ours = starter_dir(challenge), solution_dir(challenge)
    if not ours.is_dir():
        raise UserError(f"The kit has no solution for {challenge.slug} ({ours.relative_to(KIT_ROOT)} is missing).")
    if progress.status(challenge) != PASSED and not assume_yes:
        print(f"{challenge.slug} has not passed yet. Reading the solution now spoils the lesson: the diff answers "
              "the question before you have wrestled with it.")
        print(f"A hint goes one step at a time: {cli_command('hint', challenge.slug)}")
        if not confirm("Show the solution anyway? [y/N] "):
            print("Not shown.")
            return 1
    diff = folder_diff(theirs, ours)
    if not diff:
        print(f"Your files in {theirs.relative_to(KIT_ROOT).as_posix()}/ are the same as the kit's solution.")
        return 0
    print("".join(diff), end="")
    return 0


def folder_diff(theirs: Path, ours: Path) -> list[str]:
    """A unified diff, file by file, from the learner's folder to the solution's (lines starting with + are
    what the solution has and the learner's file does not)."""
    mine, solved = learner_files(theirs), learner_files(ours)
    lines = []
    for name in sorted(mine.keys() | solved.keys()):
        before, after = read(mine.get(name)), read(solved.get(name))
        left = f"{theirs.relative_to(KIT_ROOT).as_posix()}/{name}"
        right = f"{ours.relative_to(KIT_ROOT).as_posix()}/{name}"
        if before == after:
            continue
        if isinstance(before, bytes) or isinstance(after, bytes):
            lines.append(f"Binary files {left} and {right} differ\n")
            continue
        diff = list(difflib.unified_diff(before or [], after or [], left if name in mine else "/dev/null",
                                         right if name in solved else "/dev/null"))
        lines += [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff]
    return lines


def read(path: Path | None) -> list[str] | bytes | None:
    if path is None:
        return None
    data = path.read_bytes()
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return data
