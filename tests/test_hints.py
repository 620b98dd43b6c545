"""Graders name the hint that fits each check, and every name they use exists in the catalog.

A grader refers to a hint by its name, never by its position, so reordering the catalog can never show the
wrong hint. The last hint of a challenge is almost the answer: it comes only from `python -m graders hint`,
so no grader may name it.
"""
import ast

import pytest

from graders.ground import KIT_ROOT as ROOT
from graders.ground.catalog import load_catalog
from graders.harness.messages import hint_text

CHALLENGES = {c.slug: c for c in load_catalog()}
GRADERS = sorted((ROOT / "graders").glob("*/test_*.py"))
HARNESS_HINT_TAKERS = {"expect": "hint", "fail": "hint", "with_advice": "hint"}


def hint_names_used(source: str) -> list[tuple[int, str]]:
    """(line, name) for every string a grader passes where a hint goes: a `*hint` keyword, a positional
    argument that lands on a `*hint` parameter of a function in the module, or a `*hint` parameter's default."""
    tree = ast.parse(source)
    parameters: dict[str, list[str]] = {}        # function or method name -> its positional parameter names
    used = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = [a.arg for a in node.args.posonlyargs + node.args.args]
            parameters[node.name] = names[1:] if names[:1] == ["self"] else names
            defaults = node.args.defaults
            for name, default in zip(names[len(names) - len(defaults):], defaults, strict=False):
                if name.endswith("hint") and isinstance(default, ast.Constant) and isinstance(default.value, str):
                    used.append((node.lineno, default.value))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if (keyword.arg or "").endswith("hint") and isinstance(keyword.value, ast.Constant) \
                    and isinstance(keyword.value.value, str):
                used.append((node.lineno, keyword.value.value))
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for name, argument in zip(parameters.get(called, []), node.args, strict=False):
            if name.endswith("hint") and isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                used.append((node.lineno, argument.value))
    return used


@pytest.mark.parametrize("grader", GRADERS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_hint_a_grader_names_exists_and_is_not_the_answer(grader):
    challenge = CHALLENGES[grader.stem.removeprefix("test_")]
    names = [hint.name for hint in challenge.hints]
    used = hint_names_used(grader.read_text(encoding="utf-8"))
    assert used, "a grader should point its checks at the hints that fit them"
    for line, name in used:
        where = f"{grader.relative_to(ROOT)}:{line}"
        assert name == "" or name in names, f"{where} names hint {name!r}; {challenge.slug} has {names}"
        assert name != names[-1], f"{where} names the last hint, {name!r}: that one is only for `hint`"


def test_the_finder_sees_keywords_positionals_and_defaults():
    source = ("def check(x, hint='a'):\n    pass\n"
              "def test(s):\n    check(1, 'b')\n    expect(True, hint='c')\n    check(2, hint='d')\n")
    assert sorted(name for _, name in hint_names_used(source)) == ["a", "b", "c", "d"]


def test_hint_names_are_unique_within_a_challenge():
    for challenge in CHALLENGES.values():
        names = [hint.name for hint in challenge.hints]
        assert len(names) == len(set(names)), f"{challenge.slug} repeats a hint name: {names}"
        assert all(name.isidentifier() for name in names), f"{challenge.slug}: names like read_body: {names}"


def test_a_failure_shows_the_named_hint_the_first_by_default_and_never_the_last():
    challenge = CHALLENGES["post_form"]
    first, second, last = challenge.hints[0], challenge.hints[1], challenge.hints[-1]
    assert f"Hint 2/{len(challenge.hints)}" in hint_text(challenge, second.name)
    assert first.text.split()[0] in hint_text(challenge, "")          # fail() without hint= gives ""
    assert hint_text(challenge, last.name) == ""
    assert hint_text(challenge, None) == ""                             # a boot failure names no hint
    assert hint_text(challenge, "no_such_hint") == ""


def test_reordering_the_catalog_keeps_each_checks_hint(tmp_path):
    from graders.ground.catalog import Challenge, Hint
    hints = (Hint("a", "first"), Hint("b", "second"), Hint("c", "answer"))
    swapped = Challenge("x", "beginner", hints=(hints[1], hints[0], hints[2]))
    assert "second" in hint_text(swapped, "b") and "Hint 1/3" in hint_text(swapped, "b")


def names_a_grader_uses(grader) -> set[str]:
    """The hint names a grader's checks can show: its own, and those of the helper modules beside it that it
    imports (graders/foundations/first_server_checks.py). "" is the first hint, shown when none is named."""
    source = grader.read_text(encoding="utf-8")
    sources = [source]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            helper = grader.parent / f"{node.module.split('.')[-1]}.py"
            if helper.is_file() and helper != grader:
                sources.append(helper.read_text(encoding="utf-8"))
    return {name for text in sources for _, name in hint_names_used(text)}


def unused_hints(challenge, used: set[str]) -> list[str]:
    """Every hint but the last (the answer, shown only by `hint`) must be shown by at least one check."""
    names = [hint.name for hint in challenge.hints[:-1]]
    if "" in used and names:
        used = used | {names[0]}
    return [name for name in names if name not in used]


@pytest.mark.parametrize("grader", GRADERS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_hint_but_the_answer_has_a_check_behind_it(grader):
    challenge = CHALLENGES[grader.stem.removeprefix("test_")]
    missing = unused_hints(challenge, names_a_grader_uses(grader))
    assert not missing, (f"{challenge.slug}'s hints {missing} are never shown by a check of "
                         f"{grader.relative_to(ROOT)}: each hint needs a check that fails when its advice is ignored")


def test_the_coverage_check_notices_an_unused_hint():
    from graders.ground.catalog import Challenge, Hint
    challenge = Challenge("x", "beginner", hints=(Hint("a", "1"), Hint("b", "2"), Hint("c", "3"), Hint("d", "4")))
    assert unused_hints(challenge, {"a", "b"}) == ["c"]
    assert unused_hints(challenge, {"", "b", "c"}) == []          # "" is the first hint
    assert unused_hints(challenge, {"b", "c", "d"}) == ["a"]      # naming the answer covers nothing
