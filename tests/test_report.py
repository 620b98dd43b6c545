"""The class report: `python -m graders report FILES_OR_DIRS... [--csv OUT] [--html OUT]`.

A folder of generated results files, broken ones included, goes through the real command in a subprocess; the
table is read as printed, the CSV parsed back with `csv`, the HTML with `html.parser`.
"""
import csv
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from graders.ground.catalog import load_catalog, read_kit_version
from graders.ground.results import SchemaError, validate_results
from graders.instructor.classroom import build_classroom
from graders.instructor.collect import collect
from graders.instructor.failures import failure_key
from graders.instructor.report import csv_text, render_table

REPO = Path(__file__).resolve().parents[1]
CATALOG = load_catalog()
SLUGS = [c.slug for c in CATALOG]
XSS = "<script>alert(1)</script>"


def results(learner, statuses, target="exercises", kit_version=None, finished="2026-11-21T15:09:00+00:00"):
    """A results file as the graders write it; statuses: slug -> 'passed' or a failure headline."""
    challenges = {}
    for challenge in CATALOG:
        given = statuses.get(challenge.slug)
        status = "not run" if given is None else "passed" if given == "passed" else "failed"
        challenges[challenge.slug] = {
            "slug": challenge.slug, "level": challenge.level, "status": status, "passed": 3, "total": 4,
            "first_failure": given if status == "failed" else None, "duration": 0.2,
            "finished": finished if given else None, "target": target, "seed": 42, "runs": 1, "first_passed": None}
    for slug, given in statuses.items():
        if slug not in challenges:      # a challenge this catalog does not know
            challenges[slug] = {"slug": slug, "level": "advanced", "status": "passed" if given == "passed" else
                                "failed", "first_failure": None if given == "passed" else given}
    return {"learner": learner, "kit_version": kit_version or read_kit_version(), "updated": finished,
            "challenges": challenges}


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def class_folder(tmp_path):
    """Five learners (one of them in two files), one flagged, and six files that cannot be used."""
    first, second, third = SLUGS[0], SLUGS[1], SLUGS[2]
    folder = tmp_path / "collected"
    write(folder / "ada.json", results("Ada Lovelace", {first: "passed", second: "passed",
                                                        third: "GET /x/417: expected status 200, but got 404."}))
    write(folder / "zoe.json", results("Zoë Ünal", {first: "passed",
                                                     second: "GET /contact: expected a <title> "
                                                             "that contains 'Contact'"}))
    write(folder / "sub" / "lei.json", results("李雷", {first: "GET /files/a.webp: expected Content-Type image/webp, "
                                                              "but got application/octet-stream.",
                                                       third: "GET /x/8: expected status 200, but got 500.",
                                                       "my_own_challenge": "passed"}))
    write(folder / "xss.json", results(XSS, {first: "passed"}))
    # Grace sent two files: the later one has her pass of `second`.
    write(folder / "grace-monday.json", results("Grace Hopper", {first: "passed", second: "GET /: expected 'x'"},
                                                finished="2026-11-20T10:00:00+00:00"))
    write(folder / "grace-tuesday.json", results("grace hopper", {second: "passed"},
                                                 finished="2026-11-21T10:00:00+00:00"))
    write(folder / "cheat.json", results("Carl Cheat", {s: "passed" for s in SLUGS}, target="solutions"))
    write(folder / "old.json", results("Old Timer", {first: "passed"}, kit_version="0.0.1"))
    write(folder / "truncated.json", json.dumps(results("Cut Short", {first: "passed"}))[:150])
    write(folder / "malformed.json", '{"learner": "Broken", "challenges": {,}}')
    write(folder / "empty.json", "")
    write(folder / "package.json", {"name": "not-a-results-file"})
    write(folder / "badstatus.json", {"learner": "Bad Status", "challenges": {first: {"status": "great"}}})
    (folder / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    return folder


def run_report(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "graders", "report", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8", timeout=60,
                          env={**__import__("os").environ, "PYTHONIOENCODING": "utf-8"})


def test_report_prints_the_table_and_writes_csv_and_html(class_folder, tmp_path):
    out_csv, out_html = tmp_path / "class.csv", tmp_path / "class.html"
    run = run_report(class_folder, "--csv", out_csv, "--html", out_html)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    lines = run.stdout.splitlines()

    # The table: one row per counted learner, with its symbols and totals per level.
    rows = {name: next(line for line in lines if line.startswith(name[:10]))
            for name in ("Ada Lovelace", "Zoë Ünal", "李雷", "Grace Hopper", "Old Timer")}
    assert rows["Ada Lovelace"].count("✓") == 2 and rows["Ada Lovelace"].count("✗") == 1
    assert "2/4" in rows["Ada Lovelace"]                        # beginner: 2 of 4 passed
    assert rows["Grace Hopper"].count("✓") == 2                # two files merged: first and second passed
    assert any(line.startswith("<script>alert(1)</sc") for line in lines)
    assert not any(line.startswith("Carl Cheat") for line in lines)    # flagged: not a row, not counted
    assert "5 learners" not in lines[0] and lines[0].startswith("Class report: 6 learners (1 more flagged")

    # Per challenge: passed counts and the most common first failure, grouped by the check.
    summary = next(line for line in lines if f" {SLUGS[2]} " in line and "passed" in line)
    assert "0/6 passed" in summary and "2 of 2 failing: GET /x/" in summary and "/x/N" not in summary  # a real example
    first = next(line for line in lines if f" {SLUGS[0]} " in line and "passed" in line)
    assert "5/6 passed" in first                               # Ada, Zoë, the XSS name, Grace, Old Timer
    assert "Carl Cheat: graded --target solutions" in run.stdout

    # Every bad file in one line, and the duplicate merged, each said once.
    notes = run.stdout.split("one line each):")[1].splitlines()
    for name, words in [("truncated.json", "truncated"), ("malformed.json", "not valid JSON"),
                        ("empty.json", "empty"), ("package.json", "not a grader results file"),
                        ("badstatus.json", "status must be one of"), ("binary.json", "not UTF-8"),
                        ("old.json", "written by kit 0.0.1")]:
        assert sum(name in note and words in note for note in notes) == 1, (name, notes)
    assert sum("2 files with this name" in note and "merged" in note for note in notes) == 1

    # The CSV: UTF-8 with a BOM (Excel), one row per learner, flagged ones marked as not counted.
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    by_name = {row["learner"]: row for row in table}
    assert set(by_name) == {"Ada Lovelace", "Zoë Ünal", "李雷", XSS, "Grace Hopper", "Old Timer", "Carl Cheat"}
    assert by_name["Ada Lovelace"][SLUGS[0]] == "passed" and by_name["Ada Lovelace"][SLUGS[2]] == "failed"
    assert by_name["Ada Lovelace"][SLUGS[3]] == "not tried" and by_name["Ada Lovelace"]["counted"] == "yes"
    assert by_name["Carl Cheat"]["counted"].startswith("no: graded --target solutions")
    assert by_name["李雷"]["my_own_challenge"] == "passed"     # a challenge the catalog does not know: a column too
    assert by_name["Grace Hopper"]["passed (of %d)" % (len(SLUGS) + 1)] == "2"

    # The HTML: parsed, every learner and every challenge there, nothing from the network, the XSS name as text.
    page = out_html.read_text(encoding="utf-8")
    parsed = PageText()
    parsed.feed(page)
    for name in ("Ada Lovelace", "Zoë Ünal", "李雷", XSS, "Grace Hopper", "Old Timer", "Carl Cheat"):
        assert name in parsed.texts, name
    for slug in SLUGS + ["my_own_challenge"]:
        assert slug in parsed.texts, slug
    assert parsed.scripts == 0 and not parsed.external, parsed.external
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and XSS not in page
    assert {"passed", "failed", "not-tried"} <= parsed.cell_classes      # the heat map's three colours


class PageText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts, self.scripts, self.external, self.cell_classes = set(), 0, [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.scripts += tag == "script"
        for name in ("src", "href"):
            if attrs.get(name):
                self.external.append(attrs[name])
        if tag == "td" and "cell" in (attrs.get("class") or ""):
            self.cell_classes.update(attrs["class"].split())

    def handle_data(self, data):
        if data.strip():
            self.texts.add(data.strip())


def test_a_folder_of_nothing_usable_says_so_and_fails_cleanly(tmp_path):
    write(tmp_path / "broken.json", "{")
    run = run_report(tmp_path, tmp_path / "missing")
    assert run.returncode == 1
    assert "No results file could be read" in run.stdout
    assert "missing: no such file or folder" in run.stdout and "broken.json: skipped, truncated" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_an_unwritable_output_is_one_line_not_a_traceback(class_folder, tmp_path):
    run = run_report(class_folder, "--csv", tmp_path / "no" / "such" / "folder" / "x.csv")
    assert run.returncode == 1 and "Could not write" in run.stdout and "Traceback" not in run.stderr


def test_failures_are_grouped_by_the_check_not_the_text():
    same = ["GET /search?q=cats42: expected the body 'You searched for: cats42', but got 'None'.",
            "GET /search?q=dogs7: expected the body 'You searched for: dogs7', but got '404 page'."]
    assert failure_key(same[0]).startswith("GET /search?q=") and "expected the body '…'" in failure_key(same[0])
    assert failure_key("Your server exited with code 1 before accepting connections") == \
        failure_key("Your server exited with code 2 before accepting connections")
    assert failure_key("GET /x/1: expected status 200, but got 404.") == \
        failure_key("GET /x/99: expected status 200, but got 500.")
    assert failure_key("GET /x: expected status 200") != failure_key("GET /x: expected Content-Type: text/html")
    assert failure_key("GET /x: expected status 200") != failure_key("GET /x: expected status 404")
    assert failure_key("GET /: expected charset=utf-8") == "GET /: expected charset=utf-8"     # not utf-N
    assert failure_key("GET /a: expected a log line like \"GET /a HTTP/1.1\" 200 558") == \
        failure_key("GET /a: expected a log line like \"GET /a HTTP/1.1\" 200 731")             # sizes vary
    assert failure_key("GET /time: expected about 2026-11-21T15:09:00+00:00 (within 5 s)") == \
        failure_key("GET /time: expected about 2026-11-21T16:10:42Z (within 5 s)")
    assert failure_key("Your server exited with code 1 before accepting connections; it printed: NameError: x") == \
        "Your server exited with code N before accepting connections"
    assert failure_key(None) == failure_key("") == "(no message)"


def test_the_most_common_first_failure_wins_and_ties_are_stable():
    rows = [results(f"L{i}", {SLUGS[0]: text}) for i, text in enumerate([
        "GET /a/1: expected status 200, but got 404.", "GET /a/2: expected status 200, but got 500.",
        "GET /a/3: expected Content-Type: text/html, but got text/plain.", "passed"])]
    room = build_classroom([validate_results(r) for r in rows])
    summary = room.summaries[SLUGS[0]]
    assert (summary.passed, summary.failed, summary.tried) == (1, 3, 4)
    assert summary.failure == "GET /a/N: expected status 200" and summary.failure_count == 2


def test_validation_names_the_problem():
    good = results("Ada", {SLUGS[0]: "passed"})
    assert validate_results(good)["learner"] == "Ada"
    for broken, words in [([], "JSON object"), ({"learner": "Ada"}, "no 'challenges'"),
                          ({**good, "learner": ""}, "empty"), ({**good, "learner": "x" * 81}, "longer than 80"),
                          ({**good, "challenges": {"../etc": {"status": "passed"}}}, "not a slug"),
                          ({**good, "challenges": {"a": {"status": "passed", "passed": -1}}}, "whole number"),
                          ({**good, "challenges": {"a": {"status": "passed", "first_failure": 5}}}, "text or null")]:
        with pytest.raises(SchemaError, match=words):
            validate_results(broken)
    # Control characters are taken out of names, so a name cannot forge lines in the terminal table.
    assert validate_results({**good, "learner": "Ada\n\x1b[31mEvil"})["learner"] == "Ada Evil"


def test_the_table_falls_back_to_ascii_where_the_console_cannot_print_symbols(class_folder):
    room = build_classroom(collect([class_folder]).results)
    text = render_table(room, encoding="cp437")
    assert "✓" not in text and "+" in text and "x" in text
    assert render_table(room, encoding="utf-8").count("✓") > 5


def test_csv_cells_never_run_as_spreadsheet_formulas():
    room = build_classroom([validate_results(results("=HYPERLINK(\"http://evil\")", {SLUGS[0]: "passed"}))])
    row = list(csv.reader(csv_text(room).splitlines()))[1]
    assert row[0].startswith("'=")


ESCAPES = ["\x1b[2J\x1b[H", "\x1b]0;owned\x07", "\x1b[8m", "\x9b31m", "\x1b]8;;http://evil/\x1b\\", "\x07", "\u202e"]


def test_attack_9_the_report_prints_no_terminal_escapes_from_any_learner_string(tmp_path):
    """Issue 19, attack 9: a results file whose texts hold escape sequences must not clear, retitle or hide the
    instructor's terminal. Every learner-supplied string is printed clean: names, failures, targets, notes."""
    first, second = SLUGS[0], SLUGS[1]
    folder = tmp_path / "escapes"
    hidden = "".join(ESCAPES)
    write(folder / "a.json", results(f"Mal{hidden}lory", {first: f"GET /: expected status 200{hidden}, but got 500.",
                                                           second: f"{hidden}GET /x: expected 'a'"}))
    write(folder / "b.json", results(f"Tr{hidden}udy", {first: "passed"}, target=f"solutions{hidden}"))
    write(folder / "c.json", results(f"Ol{hidden}d", {first: "passed"}, kit_version=f"0.0.1{hidden}"[:60]))
    write(folder / "d.json", {"learner": "Bad", "challenges": {first: {"status": f"great{hidden}"}}})
    run = run_report(folder)
    assert run.returncode == 0, run.stderr
    for escape in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert escape not in run.stdout, (escape, run.stdout)
    assert "Mal lory" in run.stdout and "Tr udy" in run.stdout            # the names themselves stay readable
    assert "expected status 200 (" in run.stdout or "expected status 200\n" in run.stdout or \
        "failing: GET /: expected status 200" in run.stdout


def test_the_most_common_failure_is_grouped_by_its_check_and_shown_in_a_learners_words():
    """Issue 22, item 11: the report (and the board) showed the grouping key, "within N s ... like N - - [TIME]"."""
    def results(name, when, size):
        return {"learner": name, "challenges": {"request_logging": {
            "slug": "request_logging", "level": "beginner", "status": "failed", "target": "exercises",
            "first_failure": f"GET /about: expected a log line like 127.0.0.1 - - [{when}] \"GET /about HTTP/1.1\" "
                             f"200 {size}, but got nothing"}}}
    room = build_classroom([results("Ada", "07/Dec/2026:10:00:01 +0000", 1234),
                            results("Grace", "07/Dec/2026:10:02:09 +0000", 1234)])
    summary = room.summaries["request_logging"]
    assert summary.failure_count == 2, "the two failures are one check"
    table = render_table(room)
    assert "[07/Dec/2026:10:0" in table and "[TIME]" not in table and "like N - -" not in table, table
