"""The live workshop board, run for real: `python -m graders board` on a free port, its SQLite file
in a temporary folder, learners posting with the kit's own client (graders/harness/board_post.py) and with
real grader runs, and everything read back through the board's JSON API over HTTP."""
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.board_helpers import ROOT, SLUGS, RunningBoard, results
from graders.harness.board_post import STATE_ENV, board_address, post_results
from graders.instructor.board_server import announcement, bind_host

XSS = "<script>alert(1)</script>"
FIRST, SECOND = SLUGS[0], SLUGS[1]


@pytest.fixture
def board(tmp_path):
    with RunningBoard(tmp_path, None, "--code", "ABCD") as running:
        yield running


def test_two_learners_post_with_the_kit_client_and_the_api_reports_both(board):
    assert board.code == "ABCD"
    for name, statuses in [("Ada Lovelace", {FIRST: "passed", SECOND: "GET /contact: expected status 200, but got 404."}),
                           ("Grace Hopper", {FIRST: "GET /x: expected Content-Type: image/webp, but got text/plain."})]:
        outcome = post_results(board.url, "ABCD", results(name, statuses))
        assert outcome.ok and outcome.status == 201, outcome
    data = board.api()
    assert [learner["name"] for learner in data["learners"]] == ["Ada Lovelace", "Grace Hopper"]
    ada = board.learner("Ada Lovelace")
    assert ada["cells"][FIRST] == "passed" and ada["cells"][SECOND] == "failed" and ada["passed"] == 1
    assert ada["cells"][SLUGS[2]] == "not tried" and ada["stuck"] is None
    first = next(c for c in data["challenges"] if c["slug"] == FIRST)
    assert first["passed"] == 1 and first["failed"] == 1
    assert first["failure"] == "GET /x: expected Content-Type: image/webp" and first["failure_count"] == 1
    assert data["posts_accepted"] == 2 and data["version"] == 2


def write_state(tmp_path: Path, board_url: str, code: str, name: str = "Grace Hopper") -> Path:
    state = tmp_path / "learner-state.json"
    state.write_text(json.dumps({"name": name, "hints_seen": {}, "board": {"url": board_url, "code": code}}),
                     encoding="utf-8")
    return state


def grader_run(tmp_path: Path, state: Path, server: str = "good", *options: str) -> subprocess.CompletedProcess:
    """A real grader run, as a learner makes it: a tiny grader boots a tiny real server from a copy of
    tests/broken_servers, with the learner's state (and so the joined board) in `state`."""
    target = tmp_path / "exercises"
    if not (target / "beginner" / server).exists():
        shutil.copytree(ROOT / "tests" / "broken_servers" / "beginner" / server, target / "beginner" / server)
    grader = tmp_path / "graders" / "beginner" / f"test_{server}.py"
    grader.parent.mkdir(parents=True, exist_ok=True)
    grader.write_text("from graders.harness import expect, fetch\n\n"
                      "def test_home_page(server):\n"
                      "    answer = fetch(server, 'GET', '/', timeout=2)\n"
                      "    expect(answer.status == 200, answer, expected='status 200')\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({STATE_ENV: str(state), "PYTHONIOENCODING": "utf-8"})
    command = [sys.executable, "-m", "pytest", str(grader), "-p", "graders.harness.plugin", "-p", "no:cacheprovider",
               "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path), "--target", str(target),
               "--results", str(tmp_path / "results.json"), "--learner", "someone", *options]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=90)


def test_a_real_grader_run_posts_to_the_joined_board(board, tmp_path):
    state = write_state(tmp_path, board.url + "/", "ABCD")     # as `join` stores it (a trailing / is fine)
    run = grader_run(tmp_path, state)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Workshop board: your results reached {board.url} (as Grace Hopper)." in run.stdout
    grace = board.learner("Grace Hopper")                   # the name given to `join`, not --learner
    assert grace is not None and grace["cells"]["good"] == "passed"

    run = grader_run(tmp_path, state, "crash_at_start")       # a failing run reaches the board too
    assert run.returncode == 1 and "Workshop board: your results reached" in run.stdout
    grace = board.learner("Grace Hopper")
    assert grace["cells"]["crash_at_start"] == "failed" and grace["cells"]["good"] == "passed"
    assert "exited with code 1" in grace["failures"]["crash_at_start"]
    assert grace["posts"] == 2

    before = board.api()["posts_accepted"]
    run = grader_run(tmp_path, state, "good", "-k", "home")   # a partial run writes no results: nothing is posted
    assert "Workshop board" not in run.stdout
    assert board.api()["posts_accepted"] == before


def test_a_board_that_is_down_costs_one_line_and_about_a_second(tmp_path):
    # Nothing listens: refused at once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    started = time.monotonic()
    outcome = post_results(f"http://127.0.0.1:{closed_port}", "ABCD", results("Ada", {FIRST: "passed"}))
    assert not outcome.ok and "nothing is listening" in outcome.message and time.monotonic() - started < 1.0

    # Something accepts the connection and never answers: the post gives up after about a second.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        outcome = post_results(url, "ABCD", results("Ada", {FIRST: "passed"}))
        assert not outcome.ok and "no answer within 1 s" in outcome.message
        assert time.monotonic() - started < 1.5

        # In a real grader run: the run still passes, and the board costs exactly one line.
        run = grader_run(tmp_path, write_state(tmp_path, url, "ABCD"))
        assert run.returncode == 0, run.stdout + run.stderr
        board_lines = [line for line in run.stdout.splitlines() if "Workshop board" in line]
        assert board_lines == [f"Workshop board: could not post to {url}: no answer within 1 s. "
                               f"Your results are saved here anyway."], run.stdout
        assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["challenges"]["good"]["status"] == "passed"


def test_the_board_address_from_the_state_file():
    assert board_address({"url": "http://10.0.0.5:8000/", "code": "ABCD"}) == ("http://10.0.0.5:8000", "ABCD")
    assert board_address({"url": "http://10.0.0.5:8000/?code=WXYZ"}) == ("http://10.0.0.5:8000", "WXYZ")
    for unusable in (None, {}, {"url": "ftp://x/", "code": "A"}, {"url": "http://x:1/"}, {"url": 5, "code": "A"}):
        assert board_address(unusable) is None


def test_wrong_code_403_oversized_413_invalid_400(board):
    good = results("Ada", {FIRST: "passed"})
    for code in ("WXYZ", ""):
        answer = board.post(good, code=code)
        assert answer.status_code == 403 and "join code" in answer.json()["error"]
    big = dict(good, padding="x" * 100_000)
    answer = board.post(json.dumps(big).encode(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and "larger than 64 KB" in answer.json()["error"]
    answer = board.post(b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "not valid JSON" in answer.json()["error"]
    answer = board.post(dict(good, challenges={FIRST: {"status": "great"}}))
    assert answer.status_code == 400
    assert answer.json()["error"] == f"challenges.{FIRST}.status must be one of passed, failed, not run, not 'great'"
    answer = board.post(dict(good, learner=""))
    assert answer.status_code == 400 and "'learner' is empty" in answer.json()["error"]
    answer = requests.put(f"{board.url}/api/results", timeout=5)
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
    assert requests.get(f"{board.url}/nowhere", timeout=5).status_code == 404
    assert board.api()["learners"] == [] and board.api()["refused"] == {"400": 3, "403": 2, "404": 1, "405": 1, "413": 1}
    assert board.post(good).status_code == 201                # and the board still works


def test_posts_are_rate_limited_per_learner_and_wrong_codes_per_address(board):
    statuses = [board.post(results("Ada", {FIRST: "passed"}, runs=n)).status_code for n in range(12)]
    assert statuses[:10] == [201] * 10 and statuses[10:] == [429, 429], statuses
    limited = board.post(results("Ada", {FIRST: "passed"}))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert board.post(results("Grace", {FIRST: "passed"})).status_code == 201   # another learner is not slowed
    wrong = [board.post(results("Eve", {}), code="GUESS").status_code for _ in range(12)]
    assert wrong[:10] == [403] * 10 and wrong[10:] == [429, 429], wrong


def test_a_restart_keeps_the_data_and_the_join_code(tmp_path):
    db = tmp_path / "workshop.sqlite3"
    with RunningBoard(tmp_path, db) as first:
        code = first.code                                       # a random code, printed with the join command
        assert len(code) == 4 and code.isalpha() and code.isupper()
        assert first.post(results("Ada", {FIRST: "passed"})).status_code == 201
    with RunningBoard(tmp_path, db) as again:
        assert again.code == code                               # learners who joined before keep posting
        assert again.learner("Ada")["cells"][FIRST] == "passed"
        assert again.post(results("Grace", {FIRST: "passed"}), code=code).status_code == 201
        (tmp_path / "other").mkdir()
        with RunningBoard(tmp_path / "other", tmp_path / "other.sqlite3") as second:   # a second board, own file
            assert second.api()["learners"] == []
            assert second.post(results("Lin", {FIRST: "passed"})).status_code == 201
        assert [learner["name"] for learner in again.api()["learners"]] == ["Ada", "Grace"]
    with RunningBoard(tmp_path, db, "--new-code") as renewed:
        assert renewed.code != code and renewed.post(results("Ada", {}), code=code).status_code == 403


def test_a_learner_whose_same_check_keeps_failing_is_marked_stuck(tmp_path):
    with RunningBoard(tmp_path, None, "--code", "ABCD", "--stuck-minutes", "0.02") as board:   # 1.2 s
        board.post(results("Ada", {FIRST: "GET /a/1: expected status 200, but got 404."}, runs=1))
        board.post(results("Bo", {FIRST: "GET /a/1: expected status 200, but got 404."}, runs=1))
        assert board.learner("Ada")["stuck"] is None
        time.sleep(1.5)
        # Ada fails the same check again (other numbers); Bo has moved on to another check of the same challenge.
        board.post(results("Ada", {FIRST: "GET /a/9: expected status 200, but got 500."}, runs=2))
        board.post(results("Bo", {FIRST: "GET /a/1: expected Content-Type: text/html, but got text/plain."}, runs=2))
        stuck = board.learner("Ada")["stuck"]
        assert stuck["slug"] == FIRST and stuck["check"] == "GET /a/N: expected status 200" and stuck["minutes"] >= 0.02
        assert board.learner("Bo")["stuck"] is None
        board.post(results("Ada", {FIRST: "passed", SECOND: "GET /b: expected status 200"}, runs=3))
        assert board.learner("Ada")["stuck"] is None            # passed, and now on a new check


def test_the_csv_export_is_the_report_csv(board, tmp_path):
    learners = [results("Zoë Ünal", {FIRST: "passed"}), results(XSS, {FIRST: "GET /: expected status 200"}),
                results("Carl", {FIRST: "passed"}, target="solutions")]
    folder = tmp_path / "files"
    folder.mkdir()
    for number, data in enumerate(learners):
        assert board.post(data).status_code == 201
        (folder / f"{number}.json").write_text(json.dumps(data), encoding="utf-8")
    exported = requests.get(f"{board.url}/export.csv", timeout=5)
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    subprocess.run([sys.executable, "-m", "graders", "report", str(folder), "--csv",
                    str(tmp_path / "report.csv")], cwd=ROOT, check=True, capture_output=True, timeout=60)
    assert exported.content == (tmp_path / "report.csv").read_bytes()
    subprocess.run([sys.executable, "-m", "graders", "board", "--db", str(board.db), "--csv",
                    str(tmp_path / "board.csv")], cwd=ROOT, check=True, capture_output=True, timeout=60)
    assert (tmp_path / "board.csv").read_bytes() == exported.content
    rows = list(csv.DictReader(exported.content.decode("utf-8-sig").splitlines()))
    assert {row["learner"]: row["counted"][:2] for row in rows} == {"Zoë Ünal": "ye", XSS: "ye", "Carl": "no"}


def test_names_are_data_in_the_api_and_the_page_is_self_contained(board):
    assert board.post(results(XSS, {FIRST: "passed"})).status_code == 201
    assert board.learner(XSS)["name"] == XSS                    # stored and served as it is, as JSON text
    page = requests.get(board.url + "/", timeout=5)             # the read-only page needs no code
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'sha256-" in page.headers["Content-Security-Policy"]
    script = page.text.split("<script>")[1]
    assert ".innerHTML" not in script and "textContent" in script       # data goes in as text, never as HTML
    assert "src=" not in page.text and "http" not in page.text.split("<body>")[1]   # no external assets


def test_the_board_says_where_it_listens_and_how_to_join(board):
    output = board.output()
    assert "Listening on 127.0.0.1 only: only this computer can reach it. Add --lan" in output
    assert f"python -m graders join http://127.0.0.1:{board.port}/?code=ABCD" in output
    assert "Learner names are shown to everyone who sees the page." in output
    lan = "\n".join(announcement(True, 8000, "WXYZ", Path("b.sqlite3"), "192.168.1.20"))
    assert "every network interface (0.0.0.0)" in lan and "python -m graders join http://192.168.1.20:8000/?code=WXYZ" in lan
    assert (bind_host(False), bind_host(True)) == ("127.0.0.1", "0.0.0.0")


def test_a_busy_port_and_a_bad_db_are_one_line(board, tmp_path):
    busy = subprocess.run([sys.executable, "-m", "graders", "board", "--port", str(board.port),
                           "--db", str(tmp_path / "x.sqlite3")], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert busy.returncode == 1 and f"Port {board.port} is already in use" in busy.stdout and not busy.stderr
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not a database" * 100)
    bad = subprocess.run([sys.executable, "-m", "graders", "board", "--db", str(tmp_path / "junk.sqlite3")],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "cannot use" in bad.stdout and "Traceback" not in bad.stderr
