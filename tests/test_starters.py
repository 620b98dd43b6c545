"""The starters as shipped (graders/learner/starters.zip and starters.sha256), which `python -m graders reset`
puts back, match exercises/ byte for byte. After changing a starter: python -m tools.make_starters."""
from graders.ground import KIT_ROOT as ROOT
from graders.learner.starters import (
    ARCHIVE,
    archive_contents,
    read_manifest,
    sha256,
    shipped_paths,
)
from tools.make_starters import problems

FIX = "run python -m tools.make_starters after changing anything under exercises/"


def test_the_manifest_lists_every_shipped_starter_file_with_its_hash():
    manifest = read_manifest()
    assert sorted(manifest) == shipped_paths(), FIX
    for name, digest in manifest.items():
        assert sha256((ROOT / name).read_bytes()) == digest, f"{name} changed: {FIX}"


def test_the_archive_holds_exactly_the_shipped_bytes():
    inside = archive_contents(ARCHIVE)
    assert sorted(inside) == shipped_paths(), FIX
    for name, data in inside.items():
        assert data == (ROOT / name).read_bytes(), f"{name} differs from the archive: {FIX}"
    assert problems() == []
