"""`hint [SLUG] [--all]`: one more hint each time, remembered in the state file.

Hints go from a nudge to almost the answer. A failing grader shows the one that fits the failing check, but
never the last: that one is only here, for a learner who asks for it.
"""
from __future__ import annotations

import textwrap

from graders.ground import state as learner_state
from graders.ground.catalog import Challenge

from .kit import Progress, cli_command


def hint(progress: Progress, challenge: Challenge, show_all: bool = False) -> int:
    hints, seen = challenge.hints, progress.hints_seen(challenge)
    if not hints:
        print(f"{challenge.slug} has no hints. Its grader's failures say what each check expected.")
        return 0
    if show_all:
        if not seen:
            print(f"No hints seen yet for {challenge.slug}. `{cli_command('hint', challenge.slug)}` shows the first.")
            return 0
        for number in range(seen):
            print(format_hint(challenge, number))
        if seen < len(hints):
            print(f"\n{len(hints) - seen} more: `{cli_command('hint', challenge.slug)}` shows the next.")
        return 0
    if seen >= len(hints):
        print(format_hint(challenge, len(hints) - 1))
        print(f"\nThat was the last hint, almost the answer. `{cli_command('solution', challenge.slug)}` shows "
              "the kit's solution.")
        return 0
    remember(challenge, seen + 1)
    print(format_hint(challenge, seen))
    if seen + 1 == len(hints):
        print("\nThat was the last hint: it is almost the answer.")
    else:
        print(f"\n`{cli_command('hint')}` again for the next one ({len(hints) - seen - 1} more); "
              f"`{cli_command('hint', '--all')}` shows those you have seen.")
    return 0


def format_hint(challenge: Challenge, number: int) -> str:
    text = f"Hint {number + 1}/{len(challenge.hints)} ({challenge.slug}): {challenge.hints[number].text}"
    return "\n".join(wrap_keeping_code(text, 100, "", "    "))


def wrap_keeping_code(text: str, width: int = 100, first: str = "  ", rest: str = "    ") -> list[str]:
    """Prose is wrapped to `width`; lines indented in the catalog are code and keep their lines and indentation,
    printed as a block (flattened with ';', Python code is no longer Python)."""
    lines, prose = [], []

    def flush():
        if prose:
            lines.extend(textwrap.wrap(" ".join(prose), width, initial_indent=first if not lines else rest,
                                       subsequent_indent=rest))
            prose.clear()
    for line in text.strip("\n").splitlines():
        if line.startswith((" ", "\t")):
            flush()
            lines.append(rest + line.rstrip())
        elif not line.strip():
            flush()
        else:
            prose.append(line.strip())
    flush()
    return lines


def remember(challenge: Challenge, count: int) -> None:
    state = learner_state.load_state()
    seen = state.get("hints_seen") if isinstance(state.get("hints_seen"), dict) else {}
    seen[challenge.slug] = count
    try:
        learner_state.update_state(hints_seen=seen)
    except OSError as error:
        print(f"(Could not remember this in {learner_state.state_file()}: {error})")
