"""The starters as shipped, kept inside the kit so that `reset` needs no git (a workshop's zip has none).

- starters.sha256: one line per shipped file under exercises/, `<sha256>  exercises/<path>` (the format of
  `sha256sum`, so `sha256sum -c graders/learner/starters.sha256` checks a kit by hand on Linux);
- starters.zip: the same files' bytes.

Both are built by `python -m tools.make_starters`, and tests/test_starters.py fails when they are out of date.
"""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from graders.ground.catalog import challenge_files

from .kit import KIT_ROOT

HERE = Path(__file__).resolve().parent
ARCHIVE = HERE / "starters.zip"
MANIFEST = HERE / "starters.sha256"


def shipped_paths(root: Path = KIT_ROOT) -> list[str]:
    """Every file under exercises/ that the kit ships, as sorted POSIX paths from the kit's root: the files of
    each challenge's folder by the catalog's one rule, and the catalog itself."""
    exercises = root / "exercises"
    return sorted(f"exercises/{name}" for name in challenge_files(exercises))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(path: Path = MANIFEST) -> dict[str, str]:
    """exercises/<path> -> sha256, from the shipped manifest."""
    hashes = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(None, 1)
            hashes[name.strip().lstrip("*")] = digest
    return hashes


def shipped_bytes(prefix: str, archive: Path = ARCHIVE, manifest: Path = MANIFEST) -> dict[str, bytes]:
    """The shipped files under `prefix` (exercises/<level>/<slug>/), each checked against the manifest."""
    hashes = {name: digest for name, digest in read_manifest(manifest).items() if name.startswith(prefix)}
    files = {}
    with zipfile.ZipFile(archive) as bundle:
        for name in hashes:
            data = bundle.read(name)
            if sha256(data) != hashes[name]:
                raise ValueError(f"{archive.name} holds {name} with other bytes than {manifest.name} says")
            files[name] = data
    return files


def archive_contents(archive: Path = ARCHIVE) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}
