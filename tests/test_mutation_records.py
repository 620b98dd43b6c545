"""The mutation records (graders/<level>/mutation/<slug>.toml) are fresh and at the bar, for every challenge.

CI does not run cosmic-ray (an hour on two cores); it reads what `python -m tools.mutation SLUG --record`
measured. A record is stale when the solution, the starter or the grader changed since it was measured (a
grader change cannot land without its mutation run); it is below the bar when a surviving mutant is not judged
equivalent (a missing check: add the check, do not list it). To refresh a record:

    pip install -e ".[test,mutation]"
    python -m tools.mutation SLUG --record      # then judge each survivor it prints
"""
from __future__ import annotations

import pytest

from tools.mutation import records

CHALLENGES = records.challenges()

# Challenges without a fresh record at the bar yet. This list may only shrink: a challenge listed here that has
# a fresh record at the bar fails, so take it off when its record lands.
NOT_YET_MEASURED: set[str] = set()   # every challenge is measured and at the bar; keep it so


def problems(challenge) -> list[str]:
    """What keeps the challenge's record from passing: nothing when it is fresh and at the bar."""
    record = records.load(challenge)
    path = records.record_file(challenge).relative_to(records.KIT_ROOT)
    if record is None:
        return [f"{path} is missing: run `python -m tools.mutation {challenge.slug} --record`"]
    found = []
    stale = records.stale_parts(record, challenge)
    if stale:
        found.append(f"{path} is stale: the {', '.join(stale)} changed since it was measured on {record.measured}; "
                     f"run `python -m tools.mutation {challenge.slug} --record`")
    for entry in record.missing_checks():
        where = "" if entry["reached"] else " (the grader never runs this line)"
        found.append(f"a surviving mutant is not judged equivalent, the grader misses it{where}: "
                     f"{records.Record.key_of(entry)}\n{entry['diff']}")
    for entry in record.equivalents:
        if not str(entry.get("reason", "")).strip():
            found.append(f"an equivalent has no reason: {records.Record.key_of(entry)}")
    return found


@pytest.mark.parametrize("challenge", CHALLENGES, ids=lambda c: c.slug)
def test_the_mutation_record_is_fresh_and_at_the_bar(challenge):
    found = problems(challenge)
    if challenge.slug in NOT_YET_MEASURED:
        assert found, (f"{challenge.slug} has a fresh record at the bar: take it off NOT_YET_MEASURED in "
                       f"{__file__} so that it stays there")
        pytest.xfail(f"{challenge.slug} is on NOT_YET_MEASURED: " + found[0].splitlines()[0])
    assert not found, "\n\n".join(found)


def test_the_list_names_only_challenges():
    assert NOT_YET_MEASURED <= {challenge.slug for challenge in CHALLENGES}


@pytest.mark.parametrize("challenge", CHALLENGES, ids=lambda c: c.slug)
def test_a_record_is_consistent(challenge):
    """Counts add up, each equivalent judges a measured survivor, and the record names its own challenge."""
    record = records.load(challenge)
    if record is None:
        pytest.skip("no record")
    assert (record.slug, record.level) == (challenge.slug, challenge.level)
    assert record.killed + record.timed_out + record.survived == record.mutants
    assert len(record.survivors) == record.survived
    surviving = {records.Record.key_of(entry) for entry in record.survivors}
    for entry in record.equivalents:
        assert records.Record.key_of(entry) in surviving, f"an equivalent that did not survive: {entry}"


def test_a_record_reads_back_as_it_was_written(tmp_path):
    """The record writer is hand-made TOML: quotes, backslashes, control characters and diffs survive it."""
    tricky = 'if x == "\\\\" or y == \'\'\'\x07:'
    survivor = {"file": "server.py", "operator": "ReplaceComparisonOperator_Eq_Is", "line": tricky, "occurrence": 1,
                "lineno": 12, "reached": False,
                "diff": '--- a/server.py\n+++ b/server.py\n-    a == "\\\\"\n+    a is "\\\\"\n'}
    record = records.Record(slug="caching", level="advanced", measured="2026-12-07", tool="cosmic-ray 8.7.0", seed=18,
                            hashes={"solution": "a", "starter": "b", "grader": "c"}, mutants=3, killed=2, survived=1,
                            survivors=[survivor], equivalents=[{**{k: survivor[k] for k in
                                                                   ("file", "operator", "line", "occurrence")},
                                                                "reason": 'the empty str is a singleton: "" '}])
    text = records.dumps(record)
    data = records.tomllib.loads(text)
    assert data["survivor"] == [survivor]
    assert records.Record.key_of(data["equivalent"][0]) == records.Record.key_of(survivor)
    assert record.missing_checks() == [] and record.score == 100.0


def test_mutants_are_made_on_the_lesson_lines_only_and_named_without_line_numbers():
    pytest.importorskip("cosmic_ray")
    from tools.mutation.mutants import lesson_lines, mutants_of_source

    starter = "def f(x):\n    # TODO: compare\n    return False\n\n\ndef g(y):\n    return y == 1\n"
    solution = "def f(x):\n    return x == 1   # the lesson\n\n\ndef g(y):\n    return y == 1\n"
    assert lesson_lines(starter, solution) == {2}
    found = mutants_of_source(solution, "server.py", starter)
    assert found and all(mutant.lineno == 2 for mutant in found)
    keys = {str(mutant.key) for mutant in found}
    assert "server.py: ReplaceComparisonOperator_Eq_NotEq #0 on `return x == 1`" in keys
    # The same text on another line (g's) counts in the occurrence, so a key means one place in the file.
    moved = mutants_of_source("# a new first line\n" + solution, "server.py", starter)
    assert {str(mutant.key) for mutant in moved} == keys
