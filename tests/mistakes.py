"""Buggy copies: a kit solution (or starter) with one realistic mistake put in, graded as a learner grades it.

A mistake is a list of text substitutions, each of which must match exactly once, so a changed solution fails
the test loudly instead of silently testing nothing. The grader runs on the copy from a --target folder outside
the kit, limited with -k to the check that should catch it, and the test reads the failure a learner reads. Each
run is a pytest process of its own, forked from a warm one (tests/warm_pytest.py) where the OS allows.

    MISTAKES = [Mistake("HEAD sends the body", "route_decorator", ((old, new),), "head", ("never carries a body",))]

    @pytest.fixture(scope="module")
    def graded(tmp_path_factory):
        return grade_all(MISTAKES, tmp_path_factory)

    @pytest.mark.parametrize("mistake", MISTAKES, ids=str)
    def test_the_grader_names_the_mistake(graded, mistake):
        assert_caught(mistake, *graded[mistake.name])
"""
from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from graders.ground import KIT_ROOT as ROOT
from graders.ground.catalog import load_catalog
from tests.warm_pytest import warm_pytest

LEVELS = {challenge.slug: challenge.level for challenge in load_catalog()}


@dataclass
class Mistake:
    name: str
    slug: str
    substitutions: tuple[tuple[str, str], ...]
    check: str                  # -k: the grader's test (or tests) that must catch it
    words: tuple[str, ...]      # what the learner must read
    source: str = "solutions"   # or "exercises": the mistake is made on the starter
    file: str = "server.py"     # the file of the challenge's folder that the substitutions change

    def __str__(self) -> str:
        return self.name


def grade(mistake: Mistake, folder: Path, extra: tuple[str, ...] = ()) -> tuple[int, str]:
    """Put the mistake into a copy of the challenge's folder under folder/, run its grader: (exit code, output)."""
    level = LEVELS[mistake.slug]
    original = ROOT / mistake.source / level / mistake.slug
    copy = folder / "target" / level / mistake.slug
    shutil.copytree(original, copy, ignore=shutil.ignore_patterns("__pycache__"))
    text = (original / mistake.file).read_text(encoding="utf-8")
    for old, new in mistake.substitutions:
        if text.count(old) != 1:
            return -1, (f"the {mistake.source} file changed ({text.count(old)} matches): "
                        f"put this mistake in again: {old!r}")
        text = text.replace(old, new)
    (copy / mistake.file).write_text(text, encoding="utf-8")
    return warm_pytest().run(
        [f"graders/{level}/test_{mistake.slug}.py", "--target", str(folder / "target"), "--results",
         str(folder / "results.json"), "-p", "no:cacheprovider", "-q", "-k", mistake.check, *extra],
        dict(os.environ), timeout=180)


def grade_all(mistakes, tmp_path_factory, workers: int = 3) -> dict[str, tuple[int, str]]:
    """Every case graded once, a few at a time: each run is mostly pytest starting and a server booting."""
    folders = [tmp_path_factory.mktemp("mistake") for _ in mistakes]
    with ThreadPoolExecutor(workers) as pool:
        return dict(zip((m.name for m in mistakes), pool.map(grade, mistakes, folders), strict=False))


def assert_caught(mistake: Mistake, code: int, output: str) -> None:
    assert code != -1, output
    assert code == 1, f"the grader did not catch {mistake.name}:\n{output[-3000:]}"
    assert "passed" not in output.splitlines()[-1], output[-3000:]      # the selected check failed
    for words in mistake.words:
        assert words in output, f"{words!r} missing from what the learner reads:\n{output[-4000:]}"
    assert "Traceback (most recent call last)" not in output.split("Your server")[0], "the kit itself crashed"
