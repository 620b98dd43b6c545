"""`status`, `next` and `list`: where the learner stands, and what to do now."""
from __future__ import annotations

import textwrap

from graders.ground.catalog import Challenge
from graders.ground.console import mark
from graders.harness.commands import command_line
from graders.harness.progress import (
    FAILED,
    PASSED,
    bar_line,
    levels_of,
)

from .kit import Progress, challenges, cli_command, grader_file, show, starter_dir


def status(progress: Progress) -> int:
    name = progress.state.get("name") or progress.results.get("learner")
    print("Web Servers from Scratch: your progress" + (f" ({name})" if name else ""))
    print()
    for line in level_bars(progress):
        print(line)
    print()
    return show_next(progress, progress.current())


def level_bars(progress: Progress) -> list[str]:
    lines = []
    for level in levels_of(challenges()):
        at_level = [c for c in challenges() if c.level == level]
        passed = sum(progress.status(c) == PASSED for c in at_level)
        lines.append(bar_line(level, passed, len(at_level)))
    return lines


def next_(progress: Progress) -> int:
    return show_next(progress, progress.current())


def show_next(progress: Progress, challenge: Challenge | None) -> int:
    if challenge is None:
        print("Every challenge has passed. Well done! Compare your servers with the kit's solutions:")
        print(f"    {cli_command('solution', '<slug>')}")
        return 0
    for line in instructions(progress, challenge):
        print(line)
    return 0


def instructions(progress: Progress, challenge: Challenge, heading: str = "Next", watching: bool = False) -> list[str]:
    """A challenge's title, summary, last result, the file to edit, and the commands to try, grade and watch it."""
    lines = [f"{heading}: {challenge.slug} ({challenge.level}) - {challenge.title}".rstrip(" -")]
    if challenge.summary:
        lines += textwrap.wrap(challenge.summary, 100, initial_indent="  ", subsequent_indent="  ")
    entry = progress.entry(challenge)
    if progress.status(challenge) == FAILED:
        lines.append(f"  Last run: {entry.get('passed', 0)} of {entry.get('total', 0)} checks passed.")
        if entry.get("first_failure"):
            lines += textwrap.wrap(f"First failure: {entry['first_failure']}", 100, initial_indent="  ",
                                   subsequent_indent="    ")
    seen, total = progress.hints_seen(challenge), len(challenge.hints)
    server = starter_dir(challenge) / "server.py"
    lines += [
        "",
        f"  Edit:      {show(server)}",
        f"  Try it:    {command_line(server, '--port', '8002')}   (then open http://127.0.0.1:8002/)",
    ]
    if not watching:
        lines += [
            f"  Grade it:  {cli_command('check')}   (the same as "
            f"{command_line('-m', 'pytest', grader_file(challenge))})",
            f"  Watch:     {cli_command('watch')}   (grades it again on every save)",
        ]
    if total:
        lines.append(f"  Stuck?     {cli_command('hint')}   ({seen} of {total} hints seen)")
    return lines


def list_(progress: Progress, todo: bool = False, done: bool = False, level: str | None = None) -> int:
    current = progress.current()
    width = max(len(c.slug) for c in challenges())
    shown = 0
    for each_level in levels_of(challenges()):
        rows = []
        for challenge in (c for c in challenges() if c.level == each_level and level in (None, c.level)):
            state = progress.status(challenge)
            if (todo and state == PASSED) or (done and state != PASSED):
                continue
            here = "   <- next" if current and challenge.slug == current.slug else ""
            rows.append(f"  {mark(state)} {challenge.slug:<{width}}  {state:<9}  {challenge.title}{here}")
        if rows:
            print(each_level)
            print("\n".join(rows))
            shown += len(rows)
    if not shown:
        print("Nothing to list: " + ("every challenge there has passed." if todo else
                                     "no challenge there has passed yet." if done else "no such challenges."))
    return 0
