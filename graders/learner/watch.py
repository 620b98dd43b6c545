"""`watch [SLUG]`: grade the challenge, then again on every save in its folder.

In a terminal it takes keys: h the next hint, l the list, c grade now, n the next challenge, q quit, ? the keys.
After a pass it says so and waits for n: a learner may want to keep improving the same server. Piped (an
editor's task, CI), it moves on by itself after a pass, unless it was given a SLUG: it never leaves the
challenge it was given until told.

It polls the folder's files (their modification times and sizes) five times a second: the standard library only,
the same on Linux, macOS and Windows, and cheap for a folder of a few files. It watches only the challenge's
folder, and skips what editors and Python write beside a file (__pycache__, *.pyc, swap and backup files), so
a grader run never triggers another. A burst of saves (an editor's "save all", a formatter) makes one run.
"""
from __future__ import annotations

import os
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from graders.ground.catalog import Challenge, challenge_files
from graders.ground.console import can_print
from graders.harness.messages import clip_tail, hint_text

from .check import run_quietly
from .hints import hint, wrap_keeping_code
from .keys import NoKeys, key_reader
from .kit import Progress, catalog_words, challenges, cli_command, show, starter_dir
from .status import instructions, list_

POLL, QUIET, BURST_AT_MOST = 0.2, 0.2, 3.0   # seconds: a folder of a few files is cheap to poll


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (modification time, size) for every file of the challenge (the catalog's one rule)."""
    found = {}
    for name, path in challenge_files(folder).items():
        try:
            info = os.stat(path)
        except OSError:
            continue  # deleted while we looked (editors save by write-and-rename)
        found[name] = (info.st_mtime_ns, info.st_size)
    return found


def wait_for_save(folder: Path, baseline: dict, keys: NoKeys | None = None) -> str:
    """Block until the folder differs from `baseline` and has then been quiet for a moment ("save"), or until
    a key is pressed (the key)."""
    keys = keys or NoKeys()
    while (current := snapshot(folder)) == baseline:
        key = keys.read(POLL)
        if key and key.lower() in KEYS:
            return key.lower()
    give_up = time.monotonic() + BURST_AT_MOST
    while time.monotonic() < give_up:
        time.sleep(QUIET)
        settled = snapshot(folder)
        if settled == current:
            break
        current = settled
    return "save"


@dataclass
class Outcome:
    code: int
    entry: dict          # this run's entry in the results file, or {} when the run wrote none
    output: str

    @property
    def passed(self) -> bool:
        return self.code == 0 and self.entry.get("status") == "passed"


def run_grader(challenge: Challenge, options: list[str] = ()) -> Outcome:
    """One grader run with its output kept aside; the short result comes from the results file it writes."""
    return Outcome(*run_quietly(challenge, options))


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
        lines += wrap_keeping_code(" ".join(hint.split()))   # hint_text comes wrapped; wrap it to our width
    printed = server_lines(outcome.output)
    if printed:    # under the failure's own "...it printed:" when it has one, else under a heading of ours
        lines += ([] if (entry.get("first_failure") or "").rstrip().endswith(":") else ["  Your server printed:"])
        lines += printed
    lines.append(f"  The whole report: {cli_command('check', challenge.slug)}")
    return lines


SERVER_PRINTED = ("it printed:", "Your server printed (last lines):")


def server_lines(output: str, at_most: int = 12) -> list[str]:
    """The server's own last lines (a traceback, a SyntaxError) from the first failure's report, as shown
    there: the grader indents them under a line that ends "it printed:" or "printed (last lines):"."""
    lines = output.splitlines()
    for number, line in enumerate(lines):
        if line.rstrip().endswith(SERVER_PRINTED):
            block = []
            for following in lines[number + 1:]:
                if not following.startswith("    "):
                    break
                block.append("    " + following.strip("\r\n")[4:])
            crashed = line.rstrip().endswith(SERVER_PRINTED[0]) or any("Error" in line for line in block)
            if crashed and any(line.strip() for line in block):   # not a server that merely said "listening"
                return block[-at_most:]
    return []


KEYS = {"h": "hint", "l": "list", "c": "check now", "n": "next challenge", "q": "quit", "?": "these keys"}


def keys_line() -> str:
    return "Keys: " + ", ".join(f"{key} {what}" for key, what in KEYS.items() if key != "?") + ", ? these keys."


def watch(challenge: Challenge, options: list[str] = (), given: bool = False) -> int:
    """Grade, then wait for a save or a key; see the module's docstring."""
    keys = key_reader()
    try:
        with keys:                           # the terminal is itself again before the goodbye is printed
            code = watch_loop(challenge, list(options), given, keys)
    except KeyboardInterrupt:
        print("\nStopped watching.", flush=True)
        return 0
    if code is None:                         # q
        print("Stopped watching.", flush=True)
        return 0
    return code


def watch_loop(challenge: Challenge, options: list[str], given: bool, keys: NoKeys) -> int | None:
    grade = True
    if keys.interactive:
        print(keys_line(), flush=True)
    while True:
        folder = starter_dir(challenge)
        if grade:
            before = snapshot(folder)
            print(f"{clock()} Grading {challenge.slug}...", flush=True)
            outcome = run_grader(challenge, options)
            for line in short_result(challenge, outcome):
                print(line, flush=True)
            after = snapshot(folder)
            # A .py saved while the grader ran counts as a save; other files that changed meanwhile may have
            # been written by the server itself, and must not start a loop of runs.
            if any(after.get(path) != before.get(path) for path in after.keys() | before.keys()
                   if path.endswith(".py")):
                continue
            if outcome.passed and not keys.interactive and not given:
                following = Progress.load().after(challenge)
                if following is None:
                    print(final_words())
                    return 0
                challenge = move_on(following)
                continue
            if outcome.passed and Progress.load().after(challenge) is None:
                print(final_words(), flush=True)
            elif outcome.passed and keys.interactive:
                print("Press n for the next challenge, or keep improving this one: saves still grade it.",
                      flush=True)
        if grade:   # once after each result; a key's answer (a hint, the list) is followed by the prompt alone
            print(f"Watching {show(folder)}{os.sep} for saves" +
                  (" (q or Ctrl+C to stop, ? for keys)..." if keys.interactive else " (Ctrl+C to stop)..."),
                  flush=True)
        event = wait_for_save(folder, snapshot(folder) if not grade else after, keys)
        grade = event in ("save", "c")
        if event == "q":
            return None
        if event == "?":
            print(keys_line(), flush=True)
        elif event == "h":
            hint(Progress.load(), challenge)
        elif event == "l":
            list_(Progress.load())
        elif event == "n":
            following = Progress.load().after(challenge) or next_in_catalog(challenge)
            if following is None:
                print("There is no other challenge.", flush=True)
            else:
                challenge, grade = move_on(following), True


def move_on(challenge: Challenge) -> Challenge:
    print()
    for line in instructions(Progress.load(), challenge, heading="On to", watching=True):
        print(line)
    print(flush=True)
    return challenge


def next_in_catalog(challenge: Challenge) -> Challenge | None:
    """When every challenge has passed, n still moves on: to the next one in catalog order."""
    catalog = list(challenges())
    index = next((i for i, c in enumerate(catalog) if c.slug == challenge.slug), -1)
    return catalog[(index + 1) % len(catalog)] if len(catalog) > 1 else None


def final_words() -> str:
    return "\n" + (catalog_words("final_words") or
                   "Every challenge has passed. Congratulations: you built a web framework!")
