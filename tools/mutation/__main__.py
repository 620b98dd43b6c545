"""python -m tools.mutation [SLUG ...] [--all] [-j N] [--record] [--survivors DIR] [--table] [--list] [--from-records]

Mutation testing of the graders: for each challenge, every mutant cosmic-ray makes on the lines the solution
adds to its starter is graded by the challenge's grader, in a private copy; a mutant the grader passes
survived, and is either a missing check or a change that makes no difference (an equivalent, recorded with a
reason in graders/<level>/mutation/<slug>.toml). Prints a table, then each survivor's diff.

    pip install -e ".[test,mutation]"
    python -m tools.mutation caching upload -j 2 --record     # measure two challenges, write their records
    python -m tools.mutation --all -j 2 --record              # all 29 (about an hour on two cores)
    python -m tools.mutation --table                          # the table of graders/README.md, from the records
    python -m tools.mutation caching --list                   # the mutants, without running anything
    python -m tools.mutation caching --from-records           # a record's table and missing checks, run nothing

The exit code is 0 when every measured challenge kills all its mutants but the recorded equivalents.
"""
from __future__ import annotations

import argparse
import datetime
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from graders.ground import KIT_ROOT

from . import records
from .records import Record

README = KIT_ROOT / "graders" / "README.md"
TABLE_START = "<!-- mutation-table:start (python -m tools.mutation --table) -->"
TABLE_END = "<!-- mutation-table:end -->"
DEFAULT_SEED = 18       # fixed, so a record can be replayed: the grader draws its request shapes from it


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.mutation", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slugs", nargs="*", metavar="SLUG", help="challenges to measure")
    parser.add_argument("--all", action="store_true", help="every challenge of the catalog")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="grader runs at once (default 1)")
    parser.add_argument("--record", action="store_true",
                        help="write graders/<level>/mutation/<slug>.toml (keeps its [[equivalent]] entries)")
    parser.add_argument("--survivors", type=Path, metavar="DIR",
                        help="also write DIR/survivors-<slug>.txt as soon as each challenge is done")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"the graders' seed (default {DEFAULT_SEED})")
    parser.add_argument("--table", action="store_true",
                        help="print the records' table and update it in graders/README.md")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--from-records", action="store_true",
                        help="run nothing: the table and the survivors not judged equivalent, from the records")
    args = parser.parse_args(argv)

    catalog = {challenge.slug: challenge for challenge in records.challenges()}
    unknown = [slug for slug in args.slugs if slug not in catalog]
    if unknown:
        parser.error(f"no such challenge: {', '.join(unknown)} (see exercises/catalog.toml)")
    chosen = list(catalog.values()) if args.all else [catalog[slug] for slug in args.slugs]

    if args.table and not chosen:
        print(update_readme_table())
        return 0
    if not chosen:
        parser.error("name a challenge (or --all, or --table)")
    if not args.from_records:
        try:
            import cosmic_ray  # noqa: F401
        except ImportError:
            print('cosmic-ray is not installed: pip install -e ".[test,mutation]"', file=sys.stderr)
            return 2
    if args.list:
        return list_mutants(chosen)
    if args.from_records:
        measured = [record for record in map(records.load, chosen) if record is not None]
        for record in measured:
            if args.survivors:
                args.survivors.mkdir(parents=True, exist_ok=True)
                (args.survivors / f"survivors-{record.slug}.txt").write_text(survivors_text(record), encoding="utf-8")
    else:
        measured = measure(chosen, args.jobs, args.seed, args.record, args.survivors)
    print()
    print(table(measured))
    for record in measured:
        print(survivors_text(record))
    if args.table:
        update_readme_table()
    unmeasured = sorted({c.slug for c in chosen} - {record.slug for record in measured})
    if unmeasured:
        print(f"\nNot measured (see the errors above): {', '.join(unmeasured)}", file=sys.stderr)
    return 1 if unmeasured or any(record.missing_checks() for record in measured) else 0


def list_mutants(chosen) -> int:
    from .mutants import mutants_of_folder
    for challenge in chosen:
        found = mutants_of_folder(records.solution_dir(challenge), records.starter_dir(challenge))
        print(f"{challenge.slug}: {len(found)} mutants")
        for mutant in found:
            print(f"  line {mutant.lineno:4}  {mutant.key}")
    return 0


def measure(chosen, jobs: int, seed: int, record: bool, survivors_dir: Path | None) -> list[Record]:
    """Run every chosen challenge's mutants, `jobs` grader runs at a time; a record per challenge."""
    import cosmic_ray

    from .mutants import mutants_of_folder
    from .runner import CleanRunFailed, Pool, clean_run, is_reached, run_mutant

    tool = f"cosmic-ray {getattr(cosmic_ray, '__version__', '') or _version('cosmic_ray')}"
    pool = Pool()
    done: list[Record] = []
    state = {}    # slug -> dict(outcomes, pending, started, challenge, mutants)

    def with_workspace(function, *arguments):
        workspace = pool.take()
        try:
            return function(workspace, *arguments)
        finally:
            pool.give(workspace)

    def start(workspace, challenge):
        mutants = mutants_of_folder(records.solution_dir(challenge), records.starter_dir(challenge))
        seconds, reached = clean_run(challenge, workspace, seed)
        return challenge, mutants, seconds, reached

    def one(workspace, challenge, mutant, timeout):
        return challenge.slug, run_mutant(challenge, workspace, mutant, seed, timeout)

    def finish(slug):
        entry = state[slug]
        result = make_record(entry, seed, tool)
        done.append(result)
        print(f"[{slug}] done: {result.mutants} mutants, {len(result.survivors)} survived "
              f"({result.not_reached} never reached), {result.timed_out} timed out, "
              f"{time.monotonic() - entry['started']:.0f} s wall, {entry['spent']:.0f} s of grader runs", flush=True)
        if survivors_dir:
            survivors_dir.mkdir(parents=True, exist_ok=True)
            (survivors_dir / f"survivors-{slug}.txt").write_text(survivors_text(result), encoding="utf-8")
        if record:
            path = records.save(result, entry["challenge"])
            print(f"[{slug}] record written: {path.relative_to(KIT_ROOT)}", flush=True)

    from .runner import Outcome, stop_all
    executor = ThreadPoolExecutor(max(1, jobs))
    try:
        futures = set()
        for challenge in chosen:
            state[challenge.slug] = {"challenge": challenge, "outcomes": [], "started": time.monotonic(),
                                     "spent": 0.0}
            futures.add(executor.submit(with_workspace, start, challenge))
        while futures:
            for future in as_completed(list(futures)):
                futures.discard(future)
                value = future.result() if not future.exception() else None
                if future.exception():
                    error = future.exception()
                    if not isinstance(error, CleanRunFailed):
                        raise error
                    print(f"ERROR: {error}", file=sys.stderr, flush=True)
                    continue
                if isinstance(value[1], Outcome):
                    slug, outcome = value
                    entry = state[slug]
                    entry["outcomes"].append(outcome)
                    entry["spent"] += outcome.seconds
                    entry["pending"] -= 1
                    if outcome.status != "killed":
                        print(f"[{slug}] {outcome.status}: {outcome.mutant.key}", flush=True)
                    if entry["pending"] == 0:
                        finish(slug)
                    continue
                challenge, mutants, seconds, reached = value
                entry = state[challenge.slug]
                entry.update(mutants=mutants, clean=seconds, spent=seconds, reached=reached is not None)
                timeout = 3 * seconds + 5
                runnable = [m for m in mutants if is_reached(m, reached)]
                runnable_ids = {id(m) for m in runnable}
                for mutant in mutants:
                    if id(mutant) not in runnable_ids:
                        entry["outcomes"].append(Outcome(mutant, "not reached", 0.0))
                entry["pending"] = len(runnable)
                traced = "" if reached is not None else " (no trace of the clean run: every mutant is run)"
                print(f"[{challenge.slug}] {len(mutants)} mutants, {len(runnable)} on lines the grader runs"
                      f"{traced}; clean run {seconds:.1f} s, timeout {timeout:.0f} s", flush=True)
                if not runnable:
                    finish(challenge.slug)
                for mutant in runnable:
                    futures.add(executor.submit(with_workspace, one, challenge, mutant, timeout))
                break       # as_completed() holds the old set: start again with the new futures
        executor.shutdown()
    except BaseException:               # Ctrl+C or an error: no queued run starts, the running ones are killed
        executor.shutdown(wait=False, cancel_futures=True)
        stop_all()
        raise
    finally:
        pool.close()
    order = [challenge.slug for challenge in chosen]
    return sorted(done, key=lambda r: order.index(r.slug))


def make_record(entry, seed: int, tool: str) -> Record:
    challenge = entry["challenge"]
    outcomes = sorted(entry["outcomes"], key=lambda o: (o.mutant.key.file, o.mutant.lineno, o.mutant.key.operator,
                                                        o.mutant.key.occurrence))
    survivors = [o for o in outcomes if o.status in ("survived", "not reached")]
    old = records.load(challenge)
    result = Record(
        slug=challenge.slug, level=challenge.level, measured=datetime.date.today().isoformat(), tool=tool,
        seed=seed, hashes=records.current_hashes(challenge), mutants=len(outcomes),
        killed=sum(o.status == "killed" for o in outcomes), timed_out=sum(o.status == "timed out" for o in outcomes),
        survived=len(survivors), not_reached=sum(o.status == "not reached" for o in outcomes),
        seconds=round(entry.get("spent", 0.0), 1),
        survivors=[{"file": o.mutant.key.file, "operator": o.mutant.key.operator, "line": o.mutant.key.line,
                    "occurrence": o.mutant.key.occurrence, "lineno": o.mutant.lineno,
                    "reached": o.status != "not reached", "diff": o.mutant.diff} for o in survivors])
    # The judgements carry over for the survivors that are still there; one whose mutant is gone is dropped.
    surviving = {Record.key_of(entry) for entry in result.survivors}
    if old:
        result.equivalents = [e for e in old.equivalents if Record.key_of(e) in surviving]
        for gone in (e for e in old.equivalents if Record.key_of(e) not in surviving):
            print(f"[{challenge.slug}] equivalent no longer a survivor, dropped: {Record.key_of(gone)}", flush=True)
    return result


def table(measured: list[Record]) -> str:
    rows = ["| challenge | mutants | killed | timed out | survived (never run) | equivalent | missing checks | score "
            "| grader runs |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in measured:
        rows.append(f"| {r.slug} | {r.mutants} | {r.killed} | {r.timed_out} | {r.survived} ({r.not_reached}) | "
                    f"{len(r.equivalents)} | {len(r.missing_checks())} | {score_text(r)} | {r.seconds:.0f} s |")
    return "\n".join(rows)


def score_text(record: Record) -> str:
    # cosmic-ray has no operator for string literals: a lesson that is only data (a table of MIME types, an
    # HTML page) makes no mutant at all, and 100% would claim what nobody measured.
    return "no mutants" if record.mutants == 0 else f"{record.score:.1f}%"


def survivors_text(record: Record) -> str:
    """Each missing check (a survivor not judged equivalent) as its own block: the key and the diff."""
    missing = record.missing_checks()
    head = (f"# {record.slug}: {len(missing)} surviving mutants not judged equivalent (of {record.mutants} mutants; "
            f"{len(record.equivalents)} more judged equivalent in graders/{record.level}/mutation/{record.slug}.toml; "
            f"measured {record.measured}, seed {record.seed}, grader sha256 {record.hashes.get('grader', '')[:12]})\n")
    blocks = []
    for entry in missing:
        where = "" if entry["reached"] else "   (the grader never runs this line)"
        blocks.append(f"## {Record.key_of(entry)}, line {entry['lineno']}{where}\n{entry['diff']}")
    return head + "\n" + "\n".join(blocks)


def readme_table() -> str:
    """Each challenge's score from its record, in catalog order; for instructors deciding how far to trust a grader."""
    rows = ["| challenge | level | mutants | killed | equivalent | missing checks | score | measured |",
            "|---|---|---:|---:|---:|---:|---:|---|"]
    for challenge in records.challenges():
        record = records.load(challenge)
        if record is None:
            rows.append(f"| {challenge.slug} | {challenge.level} | | | | | not measured | |")
            continue
        stale = records.stale_parts(record, challenge)
        when = record.measured + (f" (stale: {', '.join(stale)} changed since)" if stale else "")
        rows.append(f"| {challenge.slug} | {challenge.level} | {record.mutants} | {record.killed + record.timed_out} | "
                    f"{len(record.equivalents)} | {len(record.missing_checks())} | {score_text(record)} | {when} |")
    return "\n".join(rows)


def update_readme_table() -> str:
    text = readme_table()
    readme = README.read_text(encoding="utf-8")
    if TABLE_START in readme and TABLE_END in readme:
        before, rest = readme.split(TABLE_START, 1)
        _, after = rest.split(TABLE_END, 1)
        README.write_text(f"{before}{TABLE_START}\n{text}\n{TABLE_END}{after}", encoding="utf-8")
    return text


def _version(name: str) -> str:
    from importlib.metadata import version
    return version(name)


if __name__ == "__main__":
    sys.exit(main())
