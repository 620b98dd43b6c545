"""Map a URL path to a file under static/, safely. No I/O beyond looking at the file system.

The classic bug: open(root + path) happily serves /../../etc/passwd. Attackers encode the dots
(%2e%2e), the slash (..%2f), add NUL bytes or backslashes. We decide on the decoded path's parts, then
walk down from the root one part at a time, so that a symlink can never lead outside it (nor can a sibling
folder such as static-private/, which a startswith(root) check on strings would let through).

Every request looks here, so it makes few system calls: the root is resolved once, and each part of the
path costs one lstat().
"""
import functools
import os
import stat
from pathlib import Path

STATIC_ROOT = Path(__file__).resolve().parents[2] / "static"


def resolve(url_path: str, root: Path = STATIC_ROOT) -> Path | None:
    """The file to serve for a decoded URL path, or None when there is none (or it is off limits)."""
    found = locate(url_path, root)
    return Path(found[0]) if found else None


def locate(url_path: str, root: Path = STATIC_ROOT) -> tuple[str, os.stat_result] | None:
    """resolve(), as (path, its os.stat() result): a server can tell from the stat whether the file changed."""
    if "\x00" in url_path or "\\" in url_path:
        return None
    parts = [part for part in url_path.split("/") if part]   # "//etc/passwd" becomes etc/passwd
    if "." in parts or ".." in parts or ":" in url_path:     # ":" would be a Windows drive
        return None
    base = real_root(root)
    found = walk(base, parts)
    if found is None and parts and "." not in parts[-1]:
        found = walk(base, parts[:-1] + [parts[-1] + ".html"])      # /about serves about.html
    return found


@functools.lru_cache(maxsize=8)
def real_root(root: Path) -> str:
    """The root with every symlink resolved: once per folder, not once per request."""
    return os.path.realpath(root)


def walk(base: str, parts: list[str]) -> tuple[str, os.stat_result] | None:
    """base/part/part..., checked one part at a time; a folder means its index.html."""
    path, info = base, None
    try:
        for part in parts:
            path, info = step(base, path + os.sep + part)    # a part never holds a separator
        if info is None or stat.S_ISDIR(info.st_mode):
            path, info = step(base, path + os.sep + "index.html")
    except OSError:     # missing, not a folder, a name too long for the file system, or off limits
        return None
    return (path, info) if stat.S_ISREG(info.st_mode) else None


def step(base: str, path: str) -> tuple[str, os.stat_result]:
    """(path, its stat); a symlink is followed, but only while it stays inside base."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        path = os.path.realpath(path)
        if not path.startswith(base + os.sep):
            raise PermissionError(f"{path} is outside {base}")
        info = os.stat(path)
    return path, info
