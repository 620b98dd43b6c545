"""graders/ is four houses on floors, and no import runs up a floor (see graders/ground/__init__.py):

    ground      graders/ground, graders/supervisor          imports nothing else of the kit
    harness     graders/harness, graders/conftest.py        the ground
    specs       graders/<level>/*.py                        the ground and the harness
    top         graders/learner, graders/instructor         the ground and the harness; never each other
    entry       graders/__main__.py                         the one place that knows both top houses

Like the core's no-I/O test, this reads every import (ast) rather than trusting a convention.
"""
import ast
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT

GRADERS = KIT_ROOT / "graders"
LEVELS = ("foundations", "beginner", "intermediate", "advanced")
ALLOWED = {
    "ground": {"ground"},
    "harness": {"ground", "harness"},
    "specs": {"ground", "harness", "specs"},
    "learner": {"ground", "harness", "learner"},
    "instructor": {"ground", "harness", "instructor"},
    "entry": {"ground", "harness", "learner", "instructor", "entry"},
}


def house_of_file(path: Path, root: Path = KIT_ROOT) -> str:
    parts = path.relative_to(root / "graders").parts
    if parts[0] in ("ground", "supervisor"):
        return "ground"
    if parts[0] == "harness" or parts == ("conftest.py",):
        return "harness"
    if parts[0] in LEVELS:
        return "specs"
    if parts[0] in ("learner", "instructor"):
        return parts[0]
    return "entry"                                   # graders/__init__.py, graders/__main__.py


def house_of_module(module: str) -> str | None:
    """The house a `graders...` module lives in; None for anything outside graders/."""
    parts = module.split(".")
    if parts[0] != "graders":
        return None
    if len(parts) == 1:
        return "entry"
    if parts[1] in ("ground", "supervisor"):
        return "ground"
    if parts[1] in ("harness", "conftest"):
        return "harness"
    if parts[1] in LEVELS:
        return "specs"
    if parts[1] in ("learner", "instructor"):
        return parts[1]
    return "entry"


def imported_modules(path: Path, root: Path = KIT_ROOT) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file, relative ones resolved against its package."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                names = [f"{module}.{alias.name}" for alias in node.names] if not node.module else [module]
                found += [(node.lineno, name) for name in names]
            elif node.module:
                found.append((node.lineno, node.module))
    return found


def climbs(path: Path, root: Path = KIT_ROOT) -> list[str]:
    """`root` is the kit's folder the file is in (a test puts a file of its own in a folder of its own)."""
    house = house_of_file(path, root)
    return [f"{path.relative_to(root)}:{line} ({house}) imports {module} ({other})"
            for line, module in imported_modules(path, root)
            if (other := house_of_module(module)) is not None and other not in ALLOWED[house]]


FILES = sorted(GRADERS.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(GRADERS).as_posix())
def test_no_import_runs_up_a_floor(path):
    assert not climbs(path), "\n".join(climbs(path))


def test_the_ground_needs_nothing_but_the_standard_library():
    """`python -m graders` must start, and say what is missing, before pytest and requests are installed."""
    outside = {"pytest", "requests", "h11", "websockets", "urllib3", "trustme", "starlette"}
    for path in sorted((GRADERS / "ground").rglob("*.py")) + sorted((GRADERS / "supervisor").rglob("*.py")):
        for line, module in imported_modules(path):
            assert module.split(".")[0] not in outside, f"{path.relative_to(KIT_ROOT)}:{line} imports {module}"


def test_the_reader_notices_a_climb(tmp_path):
    # Never in the kit's own graders/: another worker reads that folder at the same moment.
    fake = tmp_path / "graders" / "ground" / "zz_climber_for_test.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from graders.harness import fetch\nfrom ..learner import kit\n", encoding="utf-8")
    found = climbs(fake, tmp_path)
    assert len(found) == 2, found
