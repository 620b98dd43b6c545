"""The learner's name in the results file: --learner (remembered), else the remembered one, else git's
user.name, else the login name. Standard library only."""
from __future__ import annotations

import getpass
import subprocess

from . import state as learner_state


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
