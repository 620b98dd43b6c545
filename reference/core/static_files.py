"""Map a URL path to a file under static/, safely. No I/O beyond looking at the file system.

The classic bug: open(root + path) happily serves /../../etc/passwd. Attackers encode the dots
(%2e%2e), the slash (..%2f), add NUL bytes or backslashes. We decide on the decoded path's parts,
then check the resolved file really lies inside the root (which also catches symlinks, and a sibling
folder such as static-private/ that a startswith() check would let through).
"""
from pathlib import Path

STATIC_ROOT = Path(__file__).resolve().parents[2] / "static"


def resolve(url_path: str, root: Path = STATIC_ROOT) -> Path | None:
    """The file to serve for a decoded URL path, or None when there is none (or it is off limits)."""
    if "\x00" in url_path or "\\" in url_path:
        return None
    parts = [part for part in url_path.split("/") if part]   # "//etc/passwd" becomes etc/passwd
    if any(part in (".", "..") or ":" in part for part in parts):   # ":" would be a Windows drive
        return None
    root = root.resolve()
    candidate = root.joinpath(*parts)
    if candidate.is_dir():
        candidate = candidate / "index.html"
    elif not candidate.suffix and not candidate.exists():
        candidate = candidate.with_name(candidate.name + ".html")    # /about serves about.html
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root) or not real.is_file():
        return None
    return real
