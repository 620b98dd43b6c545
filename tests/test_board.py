"""The live workshop board, run for real: `python -m graders board` on a free port, its SQLite file
in a temporary folder, learners posting with the kit's own client (graders/harness/board_post.py) and with
real grader runs, and everything read back through the board's JSON API over HTTP."""
import csv
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
import requests

from graders.ground.names import mixes_scripts
from graders.ground.state import OVERRIDE
from graders.ground.state import OVERRIDE as STATE_ENV
from graders.harness.board_post import board_address, post_results
from graders.instructor.board_app import BoardApp
from graders.instructor.board_server import (
    STREAMS_PER_ADDRESS,
    WRITE_DEADLINE,
    announcement,
    bind_host,
    valid_code,
)
from graders.instructor.board_store import (
    CODE_LETTERS,
    BoardStore,
    normal_code,
    shown_code,
)
from reference.core.request_parser import Request
from tests.board_helpers import CODE, ROOT, SLUGS, RunningBoard, key_of, results
from tests.kit_copy import pytest_of_its_own

XSS = "<script>alert(1)</script>"
FIRST, SECOND = SLUGS[0], SLUGS[1]


@pytest.fixture
def board(tmp_path):
    with RunningBoard(tmp_path, None, "--code", CODE) as running:
        yield running


def test_two_learners_post_with_the_kit_client_and_the_api_reports_both(board):
    assert board.code == CODE
    for name, statuses in [("Ada Lovelace", {FIRST: "passed",
                                             SECOND: "GET /contact: expected status 200, but got 404."}),
                           ("Grace Hopper", {FIRST: "GET /x: expected Content-Type: image/webp, but got text/plain."})]:
        outcome = post_results(board.url, CODE, results(name, statuses), key=key_of(name))
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


def write_state(tmp_path: Path, board_url: str, code: str, name: str = "Grace Hopper", key: str | None = None,
                file: str = "learner-state.json") -> Path:
    state = tmp_path / file
    board = {"url": board_url, "code": code, **({"key": key} if key else {})}
    state.write_text(json.dumps({"name": name, "hints_seen": {}, "board": board}), encoding="utf-8")
    return state


# The tiny servers of tests/broken_servers, each graded under a beginner challenge of the catalog (a board keeps
# only its own catalog's challenges).
AS_CHALLENGE = {"good": "new_page", "crash_at_start": "time_route"}


def grader_run(tmp_path: Path, state: Path, server: str = "good", *options: str) -> subprocess.CompletedProcess:
    """A real grader run, as a learner makes it: a tiny grader boots a tiny real server from a copy of
    tests/broken_servers, with the learner's state (and so the joined board) in `state`."""
    target = tmp_path / "exercises"
    slug = AS_CHALLENGE[server]
    if not (target / "beginner" / slug).exists():
        shutil.copytree(ROOT / "tests" / "broken_servers" / "beginner" / server, target / "beginner" / slug)
    grader = tmp_path / "graders" / "beginner" / f"test_{slug}.py"
    grader.parent.mkdir(parents=True, exist_ok=True)
    grader.write_text("from graders.harness import expect, fetch\n\n"
                      "def test_home_page(server):\n"
                      "    answer = fetch(server, 'GET', '/', timeout=2)\n"
                      "    expect(answer.status == 200, answer, expected='status 200')\n", encoding="utf-8")
    env = {**pytest_of_its_own(os.environ), STATE_ENV: str(state), "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "pytest", str(grader), "-p", "graders.harness.plugin", "-p", "no:cacheprovider",
               "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path), "--target", str(target),
               "--results", str(tmp_path / "results.json"), *options]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=90)


def test_a_run_of_the_kits_solutions_never_posts_even_with_the_state_elsewhere(board, tmp_path):
    """Issue 21's bug: with the state file named by WSFS_STATE_FILE, a --target solutions run posted the
    solutions' results to the joined board, because the post looked for the words "not saved" in a note.
    Now the recorder's outcome says whether the run was saved, and a kit's-solutions run never is."""
    state = write_state(tmp_path, board.url, CODE, key=key_of("Grace"), file="elsewhere-state.json")
    env = {**pytest_of_its_own(os.environ), STATE_ENV: str(state), "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run([sys.executable, "-m", "pytest", "graders/beginner/test_time_route.py", "--target",
                          "solutions", "-p", "no:cacheprovider", "-q"], cwd=ROOT, env=env, capture_output=True,
                         text=True, encoding="utf-8", timeout=90)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "your results file was not touched" in run.stdout and "Workshop board" not in run.stdout, run.stdout
    assert board.learner("Grace Hopper") is None, "the kit's solutions reached the board"


def test_a_real_grader_run_posts_to_the_joined_board(board, tmp_path):
    state = write_state(tmp_path, board.url + "/", CODE, key=key_of("Grace"))   # as `join` stores it (a / is fine)
    run = grader_run(tmp_path, state)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Workshop board: your results reached {board.url} (as Grace Hopper)." in run.stdout
    grace = board.learner("Grace Hopper")                   # the name given to `join`, not --learner
    assert grace is not None and grace["cells"]["new_page"] == "passed"

    run = grader_run(tmp_path, state, "crash_at_start")       # a failing run reaches the board too
    assert run.returncode == 1 and "Workshop board: your results reached" in run.stdout
    grace = board.learner("Grace Hopper")
    assert grace["cells"]["time_route"] == "failed" and grace["cells"]["new_page"] == "passed"
    assert "exited with code 1" in grace["failures"]["time_route"]
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
    outcome = post_results(f"http://127.0.0.1:{closed_port}", CODE, results("Ada", {FIRST: "passed"}))
    assert not outcome.ok and "nothing is listening" in outcome.message and time.monotonic() - started < 1.0

    # Something accepts the connection and never answers: the post gives up after about a second.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        outcome = post_results(url, CODE, results("Ada", {FIRST: "passed"}), key=key_of("Ada"))
        assert not outcome.ok and "no answer within 1 s" in outcome.message
        assert time.monotonic() - started < 1.5

        # In a real grader run: the run still passes, and the board costs exactly one line.
        run = grader_run(tmp_path, write_state(tmp_path, url, CODE))
        assert run.returncode == 0, run.stdout + run.stderr
        board_lines = [line for line in run.stdout.splitlines() if "Workshop board" in line]
        assert board_lines == [f"Workshop board: could not post to {url}: no answer within 1 s. "
                               f"Your results are saved here anyway."], run.stdout
        saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
        assert saved["challenges"]["new_page"]["status"] == "passed"


def test_the_board_address_from_the_state_file():
    assert board_address({"url": "http://10.0.0.5:8000/", "code": "ABCD"}) == ("http://10.0.0.5:8000", "ABCD")
    assert board_address({"url": "http://10.0.0.5:8000/?code=WXYZ"}) == ("http://10.0.0.5:8000", "WXYZ")
    for unusable in (None, {}, {"url": "ftp://x/", "code": "A"}, {"url": "http://x:1/"}, {"url": 5, "code": "A"}):
        assert board_address(unusable) is None


def test_wrong_code_403_oversized_413_invalid_400(board):
    good = results("Ada", {FIRST: "passed"})
    for code in ("WXYZ-WXYZ", ""):
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
    assert board.api()["learners"] == []
    assert board.api()["refused"] == {"400": 3, "403": 2, "404": 1, "405": 1, "413": 1}
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
        assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", code), code
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
    with RunningBoard(tmp_path, None, "--code", CODE, "--stuck-minutes", "0.02") as board:   # 1.2 s
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
    assert f"python -m graders join http://127.0.0.1:{board.port}/?code={CODE}" in output
    assert "Learner names are shown to everyone who sees the page." in output
    lan = "\n".join(announcement(True, 8000, "WXYZ", Path("b.sqlite3"), "192.168.1.20"))
    assert "every network interface (0.0.0.0)" in lan
    assert "python -m graders join http://192.168.1.20:8000/?code=WXYZ" in lan
    assert (bind_host(False), bind_host(True)) == ("127.0.0.1", "0.0.0.0")


def test_a_busy_port_and_a_bad_db_are_one_line(board, tmp_path):
    busy = subprocess.run([sys.executable, "-m", "graders", "board", "--port", str(board.port),
                           "--db", str(tmp_path / "x.sqlite3")], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert busy.returncode == 1 and f"port {board.port} is already in use" in busy.stdout and not busy.stderr
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not a database" * 100)
    bad = subprocess.run([sys.executable, "-m", "graders", "board", "--db", str(tmp_path / "junk.sqlite3")],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "cannot use" in bad.stdout and "Traceback" not in bad.stderr


# --- issue 19: the board in a room of strangers. Each test names the attack it closes. ---------------------------

class Clock:
    """A clock the test moves by hand: a minute of throttling takes no time."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def app_with_store(tmp_path: Path, clock=None) -> BoardApp:
    return BoardApp(BoardStore(tmp_path / "unit.sqlite3"), CODE, clock=clock or Clock())


def request(method: str, path: str, query: str = "", headers: dict | None = None, body: bytes = b"") -> Request:
    headers = {name.lower(): value for name, value in (headers or {}).items()}
    return Request(method, path + ("?" + query if query else ""), path, query, "HTTP/1.1", headers, body)


def post_request(data: dict, code: str = CODE, key: str | None = None) -> Request:
    return request("POST", "/api/results", f"code={code}",
                   {"Content-Type": "application/json", "X-Learner-Key": key or key_of(data["learner"])},
                   json.dumps(data).encode())


def test_attack_1_the_join_code_has_40_bits_and_reads_aloud_as_xxxx_xxxx(tmp_path):
    assert len(set(CODE_LETTERS)) == 32 and not set("IO01") & set(CODE_LETTERS)   # 5 bits a symbol, none misread
    codes = {BoardStore(tmp_path / f"{n}.sqlite3").join_code() for n in range(20)}
    assert len(codes) == 20 and all(len(code) == 8 and set(code) <= set(CODE_LETTERS) for code in codes)   # 40 bits
    assert shown_code("KM7RW2QD") == "KM7R-W2QD" and normal_code(" km7r-w2qd ") == "KM7RW2QD"
    old = BoardStore(tmp_path / "old.sqlite3")
    old.set_meta("code", "ABCD")                                  # a 4-letter code from an older board is replaced
    assert len(old.join_code()) == 8
    assert not valid_code("ABCD") and valid_code("ABCD-EFGH")     # an instructor's own code is as long


def test_attack_1_a_guess_is_checked_only_when_the_throttle_allows_and_every_429_is_the_same(tmp_path):
    clock = Clock()
    app = app_with_store(tmp_path, clock)
    ada = results("Ada", {FIRST: "passed"})
    answers = [app.handle(post_request(ada, code=f"WRNG-{n:04d}"), "10.0.0.9") for n in range(12)]
    assert [a.status for a in answers] == [403] * 10 + [429] * 2
    # Throttled, the right code is not even looked at: the answer is the same 429, byte for byte.
    right = app.handle(post_request(ada), "10.0.0.9")
    assert right.status == 429 and right.encode() == answers[-1].encode()
    assert app.handle(post_request(ada), "10.0.0.8").status == 201            # another address is not slowed
    for _ in range(12):                                                       # a learner's own limit: the same 429
        last = app.handle(post_request(ada), "10.0.0.8")
    assert last.status == 429 and last.encode() == answers[-1].encode()
    clock.now += 6                                                            # a minute later... one more guess
    assert app.handle(post_request(ada, code="abcd efgh"), "10.0.0.9").status == 201   # typed loosely: fine


def test_attack_1_one_address_gets_at_most_60_guesses_checked_a_minute(tmp_path):
    clock = Clock()
    app = app_with_store(tmp_path, clock)
    ada = results("Ada", {FIRST: "passed"})
    checked = 0
    for step in range(6000):                                  # 100 guesses a second for a minute
        clock.now += 0.01
        checked += app.handle(post_request(ada, code=f"WRNG-{step:04d}"), "10.0.0.9").status == 403
    assert checked <= 60, checked
    assert checked in (19, 20)                                # 10 at once, then one every 6 s


def test_attack_2_a_name_belongs_to_the_first_key_and_the_instructor_can_release_it(board):
    ada = results("Ada Lovelace", {FIRST: "passed"})
    assert board.post(ada).status_code == 201
    for impostor in ("Ada Lovelace", "ada lovelace", "ＡＤＡ Lovelace", "Ada\u200b Lovelace", "Ada \u202dLovelace"):
        answer = board.post(results(impostor, {FIRST: "GET /: expected status 200"}), key=key_of("Eve"))
        assert answer.status_code == 409 and "choose another name" in answer.json()["error"], impostor
    answer = board.post(ada, key="")                                          # no key at all
    assert answer.status_code == 409 and "python -m graders join" in answer.json()["error"]
    assert board.learner("Ada Lovelace")["cells"][FIRST] == "passed" and len(board.api()["learners"]) == 1
    # The instructor releases the name (say Ada's laptop died): the next key owns it; her results stay.
    released = subprocess.run([sys.executable, "-m", "graders", "board", "--db", str(board.db), "--release",
                               "ada lovelace"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert released.returncode == 0 and "Released 'ada lovelace'" in released.stdout, released.stdout
    assert board.post(results("Ada Lovelace", {SECOND: "passed"}), key=key_of("new laptop")).status_code == 201
    assert board.learner("Ada Lovelace")["cells"] == {**board.learner("Ada Lovelace")["cells"], FIRST: "passed",
                                                      SECOND: "passed"}
    assert board.post(ada).status_code == 409                                 # the old key no longer owns it
    again = subprocess.run([sys.executable, "-m", "graders", "board", "--db", str(board.db), "--release", "Nobody"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "nothing to release" in again.stdout


def test_attack_2_the_board_orders_results_by_arrival_not_by_the_learners_clock(board):
    pinned = results("Ada", {FIRST: "GET /: expected status 200, but got 500."}, finished="~~~~")
    assert board.post(pinned).status_code == 201
    later = results("Ada", {FIRST: "passed"}, finished="2020-01-01T00:00:00+00:00")   # a laptop clock years behind
    assert board.post(later).status_code == 201
    assert board.learner("Ada")["cells"][FIRST] == "passed"
    # A post that did not run a challenge keeps what the board had for it.
    assert board.post(results("Ada", {SECOND: "passed"})).status_code == 201
    assert board.learner("Ada")["cells"][FIRST] == "passed" and board.learner("Ada")["cells"][SECOND] == "passed"


def column_bomb(name: str, columns: int = 170) -> dict:
    data = results(name, {FIRST: "x" * 1900})
    for n in range(columns):
        data["challenges"][f"made_up_{name[-4:]}_{n}"] = {"status": "failed", "level": "advanced",
                                                          "first_failure": "y" * 100}
    return data


def test_attack_3_a_column_bomb_is_dropped_and_counted(board):
    sizes = []
    for n in range(30):
        assert board.post(column_bomb(f"Bomber {n:04d}")).status_code == 201
    started = time.monotonic()
    answer = requests.get(f"{board.url}/api/board", timeout=10)
    took = time.monotonic() - started
    data = answer.json()
    sizes.append(len(answer.content))
    assert [c["slug"] for c in data["challenges"]] == SLUGS                  # the catalog's columns, no more
    assert data["dropped_challenges"] == 30 * 170
    assert all(set(learner["cells"]) == set(SLUGS) for learner in data["learners"])
    assert all(len(text) <= 300 for learner in data["learners"] for text in learner["failures"].values())
    assert len(answer.content) < 200_000 and took < 2.0, (len(answer.content), took)


def test_attack_4_one_address_cannot_take_every_stream(board):
    hogs = [raw_stream(board.port, source="127.0.0.2") for _ in range(STREAMS_PER_ADDRESS)]
    try:
        assert all(hog.recv(12) == b"HTTP/1.1 200" for hog in hogs)
        refused = raw_stream(board.port, source="127.0.0.2")
        assert refused.recv(12) == b"HTTP/1.1 503"
        refused.close()
        projector = raw_stream(board.port)                                   # 127.0.0.1: still served
        assert projector.recv(12) == b"HTTP/1.1 200"
        projector.close()
    finally:
        for hog in hogs:
            hog.close()


def raw_stream(port: int, source: str = "127.0.0.1", rcvbuf: int | None = None, method: str = "GET") -> socket.socket:
    client = socket.socket()
    client.settimeout(10)
    if rcvbuf:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    client.bind((source, 0))
    client.connect(("127.0.0.1", port))
    client.sendall(f"{method} /events HTTP/1.1\r\nHost: board\r\n\r\n".encode())
    return client


def test_attack_5_a_reader_that_never_reads_is_dropped_after_the_write_deadline(board):
    for n in range(25):                                            # a board worth ~200 KB a snapshot
        assert board.post(results(f"Learner {n}", {slug: f"GET /{slug}: expected status 200 " + "z" * 250
                                                   for slug in SLUGS})).status_code == 201
    slow = raw_stream(board.port, rcvbuf=4096)
    time.sleep(0.5)
    for n in range(25):                                            # each change sends every page the board again
        board.post(results(f"Learner {n}", {slug: "passed" for slug in SLUGS[:n % 5 + 1]}))
    time.sleep(WRITE_DEADLINE + 2.0)                               # the slow reader is dropped meanwhile...
    received, started = 0, time.monotonic()
    try:
        while chunk := slow.recv(65536):                           # ...so reading now ends, at EOF or a reset
            received += len(chunk)
            assert time.monotonic() - started < 10, "the board kept the slow reader's stream open"
    except ConnectionResetError:
        pass
    finally:
        slow.close()
    assert received < 25 * len(requests.get(f"{board.url}/api/board", timeout=5).content)


def test_attack_6_refused_requests_never_rebuild_the_snapshot(tmp_path):
    app = app_with_store(tmp_path)
    assert app.handle(post_request(results("Ada", {FIRST: "passed"})), "10.0.0.1").status == 201
    builds = []
    real = app.store.snapshot
    app.store.snapshot = lambda minutes: builds.append(1) or real(minutes)
    for n in range(200):                                            # 404s and board reads, interleaved
        assert app.handle(request("GET", f"/nothing-{n}"), "10.0.0.2").status == 404
        board = json.loads(app.handle(request("GET", "/api/board"), "10.0.0.3").body)
    assert len(builds) <= 2, len(builds)                            # once (twice if a second ticked over)
    assert board["refused"]["404"] == 200                           # and the counters are still current
    assert app.handle(post_request(results("Bo", {FIRST: "passed"})), "10.0.0.1").status == 201
    learners = json.loads(app.handle(request("GET", "/api/board"), "10.0.0.3").body)["learners"]
    assert [learner["name"] for learner in learners] == ["Ada", "Bo"]       # a new post is a new snapshot at once


def test_attack_7_blank_lines_before_a_request_line_count_toward_the_head_limit(board):
    with socket.create_connection(("127.0.0.1", board.port), timeout=5) as flood:
        started = time.monotonic()
        answer = b""
        try:
            for _ in range(40):                                    # up to 160 KB of nothing but CRLFs
                flood.sendall(b"\r\n" * 2048)
                time.sleep(0.005)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = flood.recv(100)
        except ConnectionResetError:
            pass
    assert answer.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400")), answer   # the core refuses a blank-line flood
    assert time.monotonic() - started < 3.0                         # not the 10 s read timeout
    assert board.post(results("Ada", {FIRST: "passed"})).status_code == 201


def test_attack_8_names_lose_invisible_characters_and_mixed_scripts_are_marked(board):
    assert board.post(results("Gr\u200bace \u202eHopper\u2066", {FIRST: "passed"})).status_code == 201
    assert board.post(results("\u0410da Lovelace", {FIRST: "passed"})).status_code == 201    # a Cyrillic А
    assert board.post(results("Zoë Ünal", {FIRST: "passed"})).status_code == 201
    names = {learner["name"]: learner["mixed_scripts"] for learner in board.api()["learners"]}
    assert names == {"Grace Hopper": False, "\u0410da Lovelace": True, "Zoë Ünal": False}
    assert board.post(results("Grace Hopper", {}), key=key_of("Eve")).status_code == 409     # it is Grace's name
    assert mixes_scripts("Hiro 山田") and not mixes_scripts("山田 たろう") and not mixes_scripts("李雷")


def test_attack_8_a_challenge_named_tostring_is_only_a_name(board):
    data = results("Ada", {FIRST: "passed"})
    data["challenges"]["toString"] = {"status": "passed"}
    data["challenges"]["__proto__"] = {"status": "failed"}
    assert board.post(data).status_code == 201
    api = board.api()
    assert "toString" not in [c["slug"] for c in api["challenges"]] and api["dropped_challenges"] == 2
    script = requests.get(board.url + "/", timeout=5).text
    assert "learner.cells[slug]" not in script and "learner.failures[slug]" not in script   # own(), not obj[key]


def test_attack_10_head_events_json_content_type_and_a_damaged_file_is_one_line(tmp_path):
    with RunningBoard(tmp_path, None, "--code", CODE) as board:
        head = raw_stream(board.port, method="HEAD")
        answer = b""
        while chunk := head.recv(4096):
            answer += chunk
        head.close()
        assert answer.startswith(b"HTTP/1.1 200") and b"text/event-stream" in answer and answer.endswith(b"\r\n\r\n")
        data = json.dumps(results("Ada", {FIRST: "passed"}))
        for content_type in (None, "text/plain", "application/x-www-form-urlencoded"):
            answer = requests.post(f"{board.url}/api/results", params={"code": CODE}, data=data, timeout=5,
                                   headers={"X-Learner-Key": key_of("Ada"), "Content-Type": content_type})
            assert answer.status_code == 415 and "application/json" in answer.json()["error"], content_type
        assert board.post(results("Ada", {FIRST: "passed"})).status_code == 201
        # Damaged under the running board: another program writes to it (so the board must read it again),
        # then the file is overwritten.
        with closing(sqlite3.connect(board.db)) as other:
            other.execute("INSERT OR REPLACE INTO meta VALUES ('touched', 'yes')")
            other.commit()
            other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with open(board.db, "r+b") as file:
            file.write(b"this is not a database any more" * 4000)
        for _ in range(6):                                                  # six pages (re)connecting
            stream = raw_stream(board.port)
            stream.recv(4096)
            stream.close()
            requests.get(f"{board.url}/api/board", timeout=5)
        time.sleep(0.3)
        output = board.output()
    assert "Traceback" not in output, output
    trouble = [line for line in output.splitlines() if line.startswith("The board could not")]
    assert len(trouble) == 1, output                                        # one line, however many pages ask
    assert all("DatabaseError" in line or "malformed" in line or "not a database" in line for line in trouble), output


def test_join_makes_a_learner_key_and_a_second_laptop_cannot_take_the_name(board, tmp_path):
    def join(state: Path, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, OVERRIDE: str(state), "PYTHONIOENCODING": "utf-8"}
        return subprocess.run([sys.executable, "-m", "graders", "join", f"{board.url}/?code={CODE.lower()}", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)

    mine, theirs = tmp_path / "mine.json", tmp_path / "theirs.json"
    assert join(mine, "--name", "Grace Hopper").returncode == 0
    key = json.loads(mine.read_text(encoding="utf-8"))["board"]["key"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", key)                             # 128 random bits
    assert join(mine, "--name", "Grace Hopper").returncode == 0                # joining again keeps the key
    assert json.loads(mine.read_text(encoding="utf-8"))["board"]["key"] == key
    run = grader_run(tmp_path, mine)
    assert run.returncode == 0 and "your results reached" in run.stdout, run.stdout + run.stderr
    assert join(theirs, "--name", "grace hopper").returncode == 0              # another laptop, the same name
    assert json.loads(theirs.read_text(encoding="utf-8"))["board"]["key"] != key
    run = grader_run(tmp_path, theirs)
    assert run.returncode == 0, run.stdout + run.stderr                        # the run itself is not failed
    lines = [line for line in run.stdout.splitlines() if "Workshop board" in line]
    assert len(lines) == 1 and "409" in lines[0] and "choose another name" in lines[0], run.stdout


def test_a_state_joined_before_keys_existed_gets_one_at_its_next_run(board, tmp_path):
    state = write_state(tmp_path, board.url, CODE, name="Lin Chen")           # no key in it
    run = grader_run(tmp_path, state)
    assert run.returncode == 0 and "your results reached" in run.stdout, run.stdout + run.stderr
    key = json.loads(state.read_text(encoding="utf-8"))["board"]["key"]
    assert board.post(results("Lin Chen", {FIRST: "passed"}), key=key).status_code == 201
    assert board.post(results("Lin Chen", {FIRST: "passed"})).status_code == 409


def test_attack_2_the_page_can_release_a_name_only_with_the_instructors_key(board):
    key = re.search(r"/#instructor=([A-Za-z0-9_-]+)\n", board.output()).group(1)
    assert board.post(results("Ada", {FIRST: "passed"})).status_code == 201

    def release(name: str, given: str) -> requests.Response:
        return requests.post(f"{board.url}/api/release", json={"name": name}, headers={"X-Instructor-Key": given},
                             timeout=5)

    for wrong in ("", "x" * 22, board.code):
        assert release("Ada", wrong).status_code == 403
    assert board.post(results("Ada", {}), key=key_of("new laptop")).status_code == 409
    assert release("ada", key).status_code == 200
    assert board.post(results("Ada", {}), key=key_of("new laptop")).status_code == 201
    assert release("Nobody", key).status_code == 404
