"""The kit checks itself: the catalog, the folders and the graders agree; every solution passes its
grader; every untouched starter fails it; and no server outlives a grader run.

The two grader runs happen once per session, in subprocesses, exactly as a learner runs them, on copies of
solutions/ and exercises/ (under pytest-xdist, which also proves parallel runs never collide).
"""
import ast
import difflib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT as ROOT
from graders.ground.catalog import LEVELS
from tests.kit_copy import XDIST, processes_mentioning

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

CATALOG = tomllib.loads((ROOT / "exercises" / "catalog.toml").read_text(encoding="utf-8"))["challenge"]
IDS = [f"{c['level']}/{c['slug']}" for c in CATALOG]


# --- agreement -------------------------------------------------------------------------------------

def test_catalog_entries_are_complete_and_unique():
    slugs = [c["slug"] for c in CATALOG]
    assert len(slugs) == len(set(slugs)), "a slug appears twice"
    for challenge in CATALOG:
        assert challenge["level"] in LEVELS, challenge
        assert challenge["title"] and challenge["summary"], challenge
        assert 3 <= len(challenge["hints"]) <= 6, f"{challenge['slug']}: 3 to 6 hints, the last almost the answer"
    # Foundations first, then beginner, intermediate and advanced: the catalog is the learning order.
    assert [c["level"] for c in CATALOG] == sorted((c["level"] for c in CATALOG), key=LEVELS.index)


@pytest.mark.parametrize("challenge", CATALOG, ids=IDS)
def test_each_challenge_has_starter_solution_and_grader(challenge):
    level, slug = challenge["level"], challenge["slug"]
    starter = ROOT / "exercises" / level / slug / "server.py"
    solution = ROOT / "solutions" / level / slug / "server.py"
    grader = ROOT / "graders" / level / f"test_{slug}.py"
    for path in (starter, solution, grader):
        assert path.is_file(), f"missing {path.relative_to(ROOT)}"
    assert "# TODO:" in starter.read_text(encoding="utf-8"), "a starter marks its lesson with # TODO:"
    assert "# TODO:" not in solution.read_text(encoding="utf-8"), "a solution has every TODO done"
    assert ast.get_docstring(ast.parse(grader.read_text(encoding="utf-8"))), "a grader states what it checks"


def test_no_folder_or_grader_outside_the_catalog():
    known = {(c["level"], c["slug"]) for c in CATALOG}
    for tree in ("exercises", "solutions"):
        found = {(p.parent.parent.name, p.parent.name) for p in (ROOT / tree).glob("*/*/server.py")}
        assert found <= known, f"{tree}/ has challenges the catalog does not list: {found - known}"
    graders = {(p.parent.name, p.stem.removeprefix("test_")) for p in (ROOT / "graders").glob("*/test_*.py")}
    assert graders <= known, f"graders the catalog does not list: {graders - known}"


# graders/instructor/ grades nothing: its live board is the kit's own server, built on reference/core on purpose.
@pytest.mark.parametrize("grader", sorted(p for p in (ROOT / "graders").glob("*/*.py")
                                          if p.parent.name != "instructor"),
                         ids=lambda p: p.name)
def test_graders_never_import_the_code_they_grade(grader):
    for node in ast.walk(ast.parse(grader.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        for name in names:
            assert name.split(".")[0] not in ("reference", "exercises", "solutions"), f"imports {name}"


# --- foundations: the learner writes the socket code, and the four diffs retell the talk -------------

FOUNDATIONS = [c["slug"] for c in CATALOG if c["level"] == "foundations"]
IO_WORDS = ("socket", "asyncio", "await", "async def", "async with", "reader", "writer", "conn", "listener",
            "sleep", "import time", "except", "main()")


def imported_modules(path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


def code_lines(path) -> list[str]:
    """The file's lines after its module docstring (each challenge has its own docstring)."""
    text = path.read_text(encoding="utf-8")
    return text.splitlines()[ast.parse(text).body[1].lineno - 1:]


def test_foundations_is_the_first_level_and_has_the_talks_four_steps():
    assert CATALOG[0]["level"] == LEVELS[0] == "foundations"
    assert FOUNDATIONS == ["hello_socket", "serve_files", "go_async", "route_decorator"]


@pytest.mark.parametrize("tree", ["exercises", "solutions"])
@pytest.mark.parametrize("slug", FOUNDATIONS)
def test_foundations_files_use_the_standard_library_alone(tree, slug):
    for name in imported_modules(ROOT / tree / "foundations" / slug / "server.py"):
        assert name.split(".")[0] in sys.stdlib_module_names, \
            f"{tree}/foundations/{slug}/server.py imports {name}: at this level the learner writes the socket code"


@pytest.mark.parametrize("before, after", list(zip(FOUNDATIONS, FOUNDATIONS[1:], strict=False)))
def test_each_foundations_starter_is_the_previous_solution_plus_todos(before, after):
    solved = code_lines(ROOT / "solutions" / "foundations" / before / "server.py")
    starter = code_lines(ROOT / "exercises" / "foundations" / after / "server.py")
    kept = sum(block.size for block in difflib.SequenceMatcher(None, solved, starter).get_matching_blocks())
    assert kept >= 0.85 * len(solved), f"{after}'s starter keeps only {kept} of {before}'s {len(solved)} lines"


def test_go_async_changes_only_the_io_lines_and_the_sleep():
    starter = (ROOT / "exercises" / "foundations" / "go_async" / "server.py").read_text(encoding="utf-8")
    solution = (ROOT / "solutions" / "foundations" / "go_async" / "server.py").read_text(encoding="utf-8")
    made_async = {line.split("(")[0].replace("async def ", "def ").strip()
                  for line in solution.splitlines() if line.startswith("async def ")}
    for line in difflib.ndiff(starter.splitlines(), solution.splitlines()):
        if line[:2] not in ("- ", "+ "):
            continue
        code = line[2:].split("  #")[0].strip()            # a TODO comment does not make a line an I/O line
        io = any(word in code for word in IO_WORDS) or code.split("(")[0] in made_async
        assert io or code in ("", "try:", "while True:", "continue", 'if os.name != "nt":'), f"not an I/O line: {line}"


# --- both ways -------------------------------------------------------------------------------------

def run_graders(folder: str, where: Path, *extra: str) -> dict:
    """Grade a copy of solutions/ or exercises/ as a learner does. The copy's path is this run's alone, so the
    servers it leaves behind, if any, are told apart from those other tests start at the same moment."""
    target, results = where / folder, where / "results.json"
    shutil.copytree(ROOT / folder, target, ignore=shutil.ignore_patterns("__pycache__"))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "graders", "--target", str(target), "--results", str(results),
         "-p", "no:cacheprovider", "-q", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    data = json.loads(results.read_text(encoding="utf-8"))
    data["output"] = run.stdout + run.stderr
    time.sleep(0.5)                               # a server stopped as the run ended has its moment to go
    data["left_running"] = processes_mentioning(str(target)) if os.name != "nt" else []
    return data


# Every test that reads a whole-kit run does so on one worker, so each run happens once, not once per worker;
# the two runs go to two workers. The first test to ask waits for its run: a minute on a busy machine.
def reads(run: str):
    def mark(test):
        return pytest.mark.xdist_group(run)(pytest.mark.timeout(600)(test))
    return mark


# Both runs under pytest-xdist, which also proves parallel runs never collide. The starters mostly wait out
# deadlines (a server that never answers), so their run takes more workers than it has cores.
@pytest.fixture(scope="session")
def solutions_run(tmp_path_factory):
    return run_graders("solutions", tmp_path_factory.mktemp("solutions-run"), *XDIST, "-n", "2")


@pytest.fixture(scope="session")
def exercises_run(tmp_path_factory):
    return run_graders("exercises", tmp_path_factory.mktemp("exercises-run"), *XDIST, "-n", "4")


@pytest.mark.parametrize("challenge", CATALOG, ids=IDS)
@reads("solutions")
def test_solution_passes_its_grader(solutions_run, challenge):
    result = solutions_run["challenges"].get(challenge["slug"])
    assert result, f"{challenge['slug']} was not graded:\n{solutions_run['output'][-3000:]}"
    assert result["status"] == "passed" and result["passed"] == result["total"] > 0, \
        f"{result}\n{solutions_run['output'][-3000:]}"


@pytest.mark.parametrize("challenge", CATALOG, ids=IDS)
@reads("exercises")
def test_untouched_starter_fails_its_grader_with_a_message(exercises_run, challenge):
    result = exercises_run["challenges"].get(challenge["slug"])
    assert result, f"{challenge['slug']} was not graded:\n{exercises_run['output'][-3000:]}"
    assert result["status"] == "failed" and result["passed"] < result["total"], result
    assert result["first_failure"] and len(result["first_failure"]) > 40, "a failure must explain itself"


def assert_no_server_outlived(run: dict) -> None:
    if os.name == "nt":
        pytest.skip("reads the process table with ps")
    assert run["left_running"] == [], "servers left running:\n" + "\n".join(run["left_running"])


@reads("solutions")
def test_no_server_outlives_the_solutions_run(solutions_run):
    assert_no_server_outlived(solutions_run)


@reads("exercises")
def test_no_server_outlives_the_starters_run(exercises_run):
    assert_no_server_outlived(exercises_run)
