"""Commands the kit prints for a learner to paste: they must work in the terminal where they are printed.

Three things vary: the word that starts Python (`python`, `python3`, Windows' `py`, or a full path), how a
path is quoted (POSIX shells and Windows' cmd/PowerShell quote differently), and where the learner is (a
path relative to their folder when they are inside the kit, else an absolute one). Each OS-specific choice
is a small function that takes the platform as a parameter, so every branch is tested on any machine.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

from graders.ground import KIT_ROOT

# Set by `python -m graders check`, which runs pytest from the kit's root: the folder the learner typed in,
# so that the commands a grader run prints work there.
SHOWN_FROM = "WSFS_SHOWN_FROM"


def learners_folder(invocation_dir: Path) -> Path:
    return Path(os.environ.get(SHOWN_FROM) or invocation_dir)


def python_command(platform: str = sys.platform, which=shutil.which, executable: str = sys.executable) -> str:
    """`python` when that name runs this very interpreter (the same folder, so the same virtual environment),
    else `python3`; on Windows `py` when `python` is not on PATH; else this interpreter's full path."""
    names = ("python",) if platform == "win32" else ("python", "python3")
    for name in names:
        found = which(name)
        if found and same_folder(found, executable):
            return name
    if platform == "win32" and which("py") and not which("python"):
        return "py"  # python.org's installer without "Add to PATH": py is how Windows runs Python then
    return quote(executable, platform)


def same_folder(a: str, b: str) -> bool:
    # Not samefile(): a venv's python is a symlink to the system one, which would run without the venv.
    return os.path.normcase(os.path.dirname(os.path.abspath(a))) == \
        os.path.normcase(os.path.dirname(os.path.abspath(b)))


WINDOWS_SPECIAL = re.compile(r'[\s&|<>^()%!"\'`;,]')


def quote(word: str, platform: str = sys.platform) -> str:
    """One word of a command, quoted only when it needs it: 'single' for POSIX shells, "double" for Windows
    (where a double quote inside is written \", as programs such as curl.exe read their arguments)."""
    if platform == "win32":
        if word and not WINDOWS_SPECIAL.search(word):
            return word
        # Backslashes count only before a quote (and before the closing one): there, each is doubled.
        escaped = re.sub(r'(\\*)"', lambda m: m.group(1) * 2 + '\\"', word)
        return '"' + re.sub(r'(\\+)$', lambda m: m.group(1) * 2, escaped) + '"'
    return shlex.quote(word)


def curl_name(platform: str = sys.platform) -> str:
    """In Windows PowerShell, `curl` is another program (Invoke-WebRequest); `curl.exe` is the real one."""
    return "curl.exe" if platform == "win32" else "curl"


def shown_path(path: Path, cwd: Path | None = None, root: Path = KIT_ROOT) -> str:
    """`path` as the learner should type it: relative to their folder when both are inside the kit (that works
    from where they are), else absolute (that works from anywhere)."""
    path, cwd = Path(path).absolute(), Path(cwd or Path.cwd()).absolute()
    if is_inside(path, root) and is_inside(cwd, root):
        try:
            return os.path.relpath(path, cwd)
        except ValueError:  # Windows: another drive
            pass
    return str(path)


def is_inside(path: Path, root: Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
        return True
    except (ValueError, OSError):
        return False


def command_line(*words: str, cwd: Path | None = None, platform: str = sys.platform) -> str:
    """`python -m pytest <path>` and the like: Path arguments are shown from `cwd`, and every word is quoted."""
    shown = [shown_path(w, cwd) if isinstance(w, Path) else w for w in words]
    return " ".join([python_command(platform)] + [quote(w, platform) for w in shown])


def set_variable(name: str, value: str, platform: str = sys.platform) -> str:
    """How to set an environment variable in this terminal."""
    if platform == "win32":
        return f'set {name}={value}   (PowerShell: $env:{name}="{value}")'
    return f"export {name}={shlex.quote(value)}"
