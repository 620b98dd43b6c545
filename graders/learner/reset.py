"""`reset SLUG [--yes]`: put a starter back exactly as shipped, without git, after a dated backup.

Nothing is ever lost: the learner's folder is copied to backups/<slug>-<date>-<time>/ first, and the copy is
checked byte for byte. If the backup cannot be written, nothing is changed.
"""
from __future__ import annotations

import datetime
import os
import shutil
import time
from pathlib import Path

from graders.ground.catalog import Challenge, challenge_files
from graders.ground.files import write_atomically
from graders.ground.results import DEFAULT_RESULTS, NOT_RUN, update_results

from .kit import BACKUPS, KIT_ROOT, UserError, cli_command, show, starter_dir
from .starters import ARCHIVE, shipped_bytes

SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc")


def confirm(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:  # no terminal to answer from: the safe answer
        print()
        return False


def folder_name(path: Path) -> str:
    return show(path) + os.sep


def reset(challenge: Challenge, assume_yes: bool = False) -> int:
    folder = starter_dir(challenge)
    shipped = shipped_files(challenge)
    mine = learner_files(folder)
    changed = sorted(name for name in shipped if name not in mine or mine[name].read_bytes() != shipped[name])
    added = sorted(name for name in mine if name not in shipped)
    if not changed and not added:
        print(f"{folder_name(folder)} is already exactly as shipped: nothing to do.")
        return 0
    print(f"This puts {folder_name(folder)} back as shipped: {describe(changed, added)}.")
    print(f"Your files there are copied to {folder_name(BACKUPS)} first.")
    if not assume_yes and not confirm("Reset it? [y/N] "):
        print("Nothing changed.")
        return 1
    backup = back_up(folder) if mine else None
    restore(folder, shipped, mine)
    mark_reset(challenge)
    print(f"Reset {folder_name(folder)} to the starter as shipped.")
    if backup:
        print(f"Your files are in {folder_name(backup)}")
    print(f"Grade it again with {cli_command('check', challenge.slug)}")
    return 0


def mark_reset(challenge: Challenge) -> None:
    """The results file says the challenge is reset (not passed: the starter is back), and keeps first_passed."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")

    def change(results: dict) -> dict:
        entries = dict(results.get("challenges", {}))
        entries[challenge.slug] = {**entries.get(challenge.slug, {"slug": challenge.slug, "level": challenge.level}),
                                   "status": NOT_RUN, "passed": 0, "first_failure": None, "reset": now}
        return {**results, "challenges": entries}
    try:
        update_results(DEFAULT_RESULTS, change)
    except OSError as error:
        print(f"(Could not mark it as reset in {show(DEFAULT_RESULTS)}: {error})")


def describe(changed: list[str], added: list[str]) -> str:
    parts = []
    if changed:
        parts.append(f"{len(changed)} file{'s' * (len(changed) != 1)} changed ({', '.join(changed)})")
    if added:
        parts.append(f"{len(added)} added ({', '.join(added)}) will be removed")
    return " and ".join(parts)


def shipped_files(challenge: Challenge) -> dict[str, bytes]:
    """relative path inside the challenge's folder -> the bytes the kit shipped."""
    prefix = f"exercises/{challenge.level}/{challenge.slug}/"
    try:
        files = shipped_bytes(prefix)
    except (OSError, KeyError, ValueError) as error:
        raise UserError(f"The kit's copy of the shipped starters ({ARCHIVE.relative_to(KIT_ROOT)}) cannot be read: "
                        f"{error}.\nNothing was changed. Download the kit again to get it back.") from None
    if not files:
        raise UserError(f"The kit has no shipped copy of {challenge.slug} (a challenge added after the kit was "
                        "packed?). Nothing was changed. Its author rebuilds the copies with "
                        "`python -m tools.make_starters`.")
    return {name[len(prefix):]: data for name, data in files.items()}


def learner_files(folder: Path) -> dict[str, Path]:
    return challenge_files(folder)


def back_up(folder: Path) -> Path:
    """Copy the folder to a new dated backup folder and check the copy; refuse (UserError) if that fails."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup, number = BACKUPS / f"{folder.name}-{stamp}", 1
    while backup.exists():
        number += 1
        backup = BACKUPS / f"{folder.name}-{stamp}-{number}"
    try:
        BACKUPS.mkdir(exist_ok=True)
        shutil.copytree(folder, backup, ignore=SKIPPED)
        if not same_files(learner_files(folder), learner_files(backup)):
            raise OSError("the copy differs from your files")
    except OSError as error:
        raise UserError(f"Could not write the backup to {show(backup)}: {error}\nNothing was changed. Make room "
                        f"on the disk or fix the permissions of {show(BACKUPS)}, then run the reset again.") from None
    return backup


def same_files(mine: dict[str, Path], copy: dict[str, Path]) -> bool:
    """The same names with the same bytes (not only sizes and dates)."""
    return mine.keys() == copy.keys() and all(mine[name].read_bytes() == copy[name].read_bytes() for name in mine)


def restore(folder: Path, shipped: dict[str, bytes], mine: dict[str, Path]) -> None:
    for name, path in mine.items():
        if name not in shipped:
            path.unlink()
    for name, data in shipped.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data, 0o644)  # either the learner's file or the shipped one, never half of each
    for where, _folders, _files in os.walk(folder, topdown=False):
        if where != str(folder) and not os.listdir(where):
            os.rmdir(where)  # a folder the learner added, now empty
