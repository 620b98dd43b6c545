"""Rebuild graders/learner/starters.zip and starters.sha256 from exercises/: the starters as shipped, which
`python -m graders reset` puts back. Run it after changing any file under exercises/:

    python -m tools.make_starters            # rewrite both (from the kit's folder)
    python -m tools.make_starters --check    # exit 1 if either is out of date

The archive is reproducible (sorted names, a fixed date, fixed permissions), so rebuilding an unchanged
exercises/ gives the same bytes with the same zlib. Up to date means the same files with the same bytes inside,
which does not depend on the zlib version.
"""
from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

from graders.ground import KIT_ROOT
from graders.learner.starters import (
    ARCHIVE,
    MANIFEST,
    archive_contents,
    sha256,
    shipped_paths,
)

FIXED_DATE = (1980, 1, 1, 0, 0, 0)   # the earliest a zip can hold


def build(root: Path = KIT_ROOT) -> tuple[bytes, str]:
    """(the archive's bytes, the manifest's text) for the files under root/exercises."""
    buffer, lines = io.BytesIO(), []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
        for name in shipped_paths(root):
            data = (root / name).read_bytes()
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o100644 << 16
            bundle.writestr(info, data)
            lines.append(f"{sha256(data)}  {name}\n")
    return buffer.getvalue(), "".join(lines)


def problems(root: Path = KIT_ROOT) -> list[str]:
    """What differs between exercises/ and the shipped copies (empty when they agree)."""
    names = shipped_paths(root)
    found = []
    listed = MANIFEST.read_text(encoding="utf-8") if MANIFEST.exists() else ""
    if listed != build(root)[1]:
        found.append(f"{MANIFEST.relative_to(KIT_ROOT)} does not list exercises/ as it is")
    inside = archive_contents() if ARCHIVE.exists() else {}
    for name in sorted(set(names) | set(inside)):
        if name not in inside:
            found.append(f"{ARCHIVE.name} lacks {name}")
        elif name not in names:
            found.append(f"{ARCHIVE.name} holds {name}, which exercises/ does not")
        elif inside[name] != (root / name).read_bytes():
            found.append(f"{ARCHIVE.name} holds other bytes for {name}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether they are up to date")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        print("\n".join(found) + "\nRun python -m tools.make_starters to rebuild them." if found else
              "The shipped starters are up to date.")
        return 1 if found else 0
    archive, manifest = build()
    ARCHIVE.write_bytes(archive)
    MANIFEST.write_text(manifest, encoding="utf-8", newline="\n")
    print(f"Wrote {ARCHIVE.relative_to(KIT_ROOT)} ({len(archive)} bytes) and {MANIFEST.relative_to(KIT_ROOT)} "
          f"({manifest.count(chr(10))} files).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
