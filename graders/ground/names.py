"""The learner's name in the results file: --learner (remembered), else the remembered one, else git's
user.name, else the login name. Standard library only."""
from __future__ import annotations

import getpass
import subprocess
import unicodedata

from . import state as learner_state
from .console import CONTROL, TERMINAL_ESCAPE, invisible

MAX_NAME = 80


def learner_name(given: str | None = None, remember: bool = True) -> str:
    if given:
        if remember:
            try:
                if learner_state.load_state().get("name") != given:
                    learner_state.update_state(name=given)
            except OSError:
                pass  # a read-only kit: the name is still used for this run
        return given
    remembered = learner_state.load_state().get("name")
    if isinstance(remembered, str) and remembered.strip():
        return remembered
    return git_user_name() or login_name()


def git_user_name() -> str:
    try:
        done = subprocess.run(["git", "config", "user.name"], capture_output=True, timeout=5,
                              cwd=learner_state.KIT_ROOT)
    except (OSError, subprocess.SubprocessError):
        return ""
    return decode_git(done.stdout)


def decode_git(output: bytes) -> str:
    # git stores the name as UTF-8, whatever the console's code page (cp1252 on a Windows laptop).
    return output.decode("utf-8", errors="replace").strip()


def login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # getuser raises different errors on different systems when no name is known
        return "unknown"


def script_of(character: str) -> str | None:
    """The writing system of a letter, from its Unicode name ("CYRILLIC CAPITAL LETTER A" -> CYRILLIC). Chinese,
    Japanese and Korean are one group: a Japanese name mixes kanji and kana by nature."""
    if not character.isalpha():
        return None
    word = unicodedata.name(character, "UNKNOWN").split()[0]
    return "CJK" if word in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC", "HALFWIDTH") else word


def mixes_scripts(name: str) -> bool:
    """Does the name mix writing systems, like "Аda" with a Cyrillic А? Such a name may imitate another one:
    the board marks it (it does not refuse it: "Lei 李" is a real name)."""
    return len({script_of(ch) for ch in name} - {None}) > 1


def name_key(name: str) -> str:
    """The one spelling two names share when they are the same name: "ADA", "ada" and a full-width "Ａda"."""
    return unicodedata.normalize("NFKC", name).casefold()


def clean_name(value) -> str:
    """A learner's name as shown to the room: control and invisible characters removed, spaces collapsed."""
    if not isinstance(value, str):
        raise ValueError("'learner' must be a name (a string)")
    value = TERMINAL_ESCAPE.sub("", value)                  # "\x1b[31mAda" is Ada, not "[31mAda"
    visible = "".join(ch for ch in unicodedata.normalize("NFC", value) if not invisible(ch))
    name = " ".join(CONTROL.sub(" ", visible).split())
    if not name:
        raise ValueError("'learner' is empty: give a name with --learner NAME or "
                         "python -m graders join URL --name NAME")
    if len(name) > MAX_NAME:
        raise ValueError(f"'learner' is longer than {MAX_NAME} characters")
    return name
