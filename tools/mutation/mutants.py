"""The lesson's mutants: cosmic-ray's operators applied to the lines a solution adds to or changes from its starter.

cosmic-ray makes the mutants (its core operators, its parso-based visitor); the lines come from a diff of each
file of the solution's folder against the same file of the starter's folder (a file the starter lacks is all
lesson). A mutant is kept when the node it changes starts on a lesson line.
"""
from __future__ import annotations

import difflib
import io
import tokenize
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cosmic_ray.plugins
import parso.python.tree  # noqa: F401  (imported first: cosmic-ray's plugin loading trips on a circular import otherwise)
from cosmic_ray.ast import ast_nodes, get_ast
from cosmic_ray.mutating import mutate_code

from .records import Key

NEVER_RAISED = 'type("CosmicRayTestingException", (Exception,), {})'


@dataclass
class Mutant:
    key: Key
    lineno: int         # 1-based, in the solution as measured (for the reader; the key is what lasts)
    lines: tuple[int, int]   # first and last line of the mutated node
    code: str           # the whole mutated file
    diff: str           # a unified diff of the change, 1 line of context


def operators():
    """cosmic-ray's core operators that take no arguments, as `cosmic-ray init` uses them without config."""
    for name in cosmic_ray.plugins.operator_names():
        operator_class = cosmic_ray.plugins.get_operator(name)
        if not operator_class.arguments():
            yield name.removeprefix("core/"), operator_class()


def lesson_lines(starter: str | None, solution: str) -> set[int]:
    """1-based numbers of the solution's lines that the starter does not have as they are."""
    if starter is None:
        return set(range(1, solution.count("\n") + 2))
    old, new = starter.splitlines(), solution.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    changed = set()
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            changed.update(range(j1 + 1, j2 + 1))
    # A blank line or a comment is no code to mutate, and a lone bracket is not worth a mention: keep them all
    # anyway; the operators simply find nothing there.
    return changed


def mutants_of_source(code: str, name: str, starter_text: str | None) -> list[Mutant]:
    """Every mutant of file `name` (its text is code) whose node starts on a lesson line."""
    source_lines = code_only(code)
    lesson = lesson_lines(starter_text, code)
    found = []
    seen: Counter = Counter()
    nodes = list(ast_nodes(get_ast(code)))
    for operator_name, operator in operators():
        positions = [(start, end) for node in nodes for start, end in operator.mutation_positions(node)]
        for occurrence, (start, end) in enumerate(positions):
            line_text = source_lines[start[0] - 1]
            # The stable key counts the same operator on the same text, wherever it is (lesson or not), so
            # a judgement survives edits elsewhere.
            nth = seen[(operator_name, line_text)]
            seen[(operator_name, line_text)] += 1
            if start[0] not in lesson:
                continue
            try:
                mutated = mutate_code(code, operator, occurrence)
            # cosmic-ray 8.7's ExceptionReplacer fails on `except socket.timeout`
            except (AttributeError, AssertionError):
                continue
            if mutated is None or mutated == code:
                continue
            # ExceptionReplacer writes a name the server does not define (cosmic-ray's tests import it): an
            # exception class made on the spot means the same, "this handler catches nothing", on the same line.
            mutated = mutated.replace("CosmicRayTestingException", NEVER_RAISED)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")          # `x is ""` is a mutant, not a mistake of ours
                    compile(mutated, name, "exec")
            except SyntaxError:     # a dotted handler (asyncio.TimeoutError) can come out as invalid Python
                continue
            found.append(Mutant(Key(name, operator_name, line_text, nth), start[0], (start[0], end[0]), mutated,
                                unified(code, mutated, name)))
    return found


def code_only(code: str) -> list[str]:
    """Each line without its comment, its runs of spaces made one: the text a mutant's key names, so that
    rewording a comment or re-aligning a line keeps the judgements made on it."""
    lines = code.splitlines()
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.COMMENT:
                row, col = token.start
                lines[row - 1] = lines[row - 1][:col]
    except (tokenize.TokenError, SyntaxError):
        pass
    return [" ".join(line.split()) for line in lines]


def unified(before: str, after: str, name: str) -> str:
    return "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), f"a/{name}", f"b/{name}",
                                          n=1, lineterm="")) + "\n"


def mutants_of_folder(solution: Path, starter: Path) -> list[Mutant]:
    """The mutants of every Python file of a solution's folder, against the starter's file of the same name."""
    found = []
    for path in sorted(solution.rglob("*.py")):
        name = path.relative_to(solution).as_posix()
        if "__pycache__" in name:
            continue
        twin = starter / name
        starter_text = twin.read_text(encoding="utf-8") if twin.exists() else None
        if starter_text == path.read_text(encoding="utf-8"):
            continue                 # handed over as it is: no lesson here
        found += mutants_of_source(path.read_text(encoding="utf-8"), name, starter_text)
    return found
