"""The race (hack time, issue 23): `python -m graders race` and the board's race view.

A short race of the go_async solution against the floor with the stdlib generator; a server that answers
wrong bytes gets no time; the board takes race scores only while the race is open, keeps each learner's best,
checks them like results; and a posted score appears on /race in a real Chromium (slow)."""
import json
import re
import subprocess
import sys

import pytest
import requests

from graders.ground import KIT_ROOT
from graders.learner import race
from graders.learner.kit import Progress, UserError, find
from tests.board_helpers import CODE, RunningBoard, key_of, processes_mentioning
from tools.chromium import Chromium, find_chromium

GO_ASYNC = KIT_ROOT / "solutions" / "foundations" / "go_async" / "server.py"


@pytest.mark.parametrize("source, kind", [
    ("import asyncio\n", "asyncio"),
    ("import selectors, socket\n", "selectors"),
    ("import socket\nimport threading\n", "threads"),
    ("from http.server import ThreadingHTTPServer\n", "threads"),
    ("from concurrent.futures import ThreadPoolExecutor\n", "threads"),
    ("import socket\n", "blocking"),
    ("import asyncio, os\nos.fork()\n", "processes"),
    ("import socket\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n", "processes"),
])
def test_the_kind_of_server_is_read_from_its_imports(source, kind):
    assert race.server_kind(source) == kind


def test_the_kit_solutions_are_of_their_kind():
    kinds = {slug: race.server_kind(race.server_script(find(slug), "solutions").read_text())
             for slug in ("go_async", "concurrency")}
    assert kinds == {"go_async": "asyncio", "concurrency": "threads"}


def test_a_short_race_of_go_async_against_the_floor(tmp_path):
    """Bounded: 3 rounds of 0.4 s of each, plus the boots. The grader must pass first."""
    assert race.grader_passes(find("go_async"), "solutions") == (True, "")
    settings = race.Settings(seconds=0.4, generator="stdlib", logs=tmp_path)
    kind, (score,) = race.race_server(GO_ASYNC, ["a"], settings, say=lambda *a, **k: None)
    assert kind == "asyncio"
    assert not score.void, score.void
    assert score.versus == "floor" and score.x > 0.05 and score.rate > 10, score
    assert score.errors == 0 and len(score.rounds) == race.ROUNDS
    assert "x" in score.line(kind) and "floor" in score.line(kind)


def test_a_server_that_answers_wrong_bytes_gets_no_time(tmp_path):
    source = GO_ASYNC.read_text()
    wrong = source.replace('STATIC = Path(__file__).resolve().parents[3] / "static"',
                           f'STATIC = Path({str(KIT_ROOT / "static")!r})')
    # One realistic slip: a newline added at the end of every page (as print() or a template would).
    wrong = wrong.replace("file.read_bytes(), method)", 'file.read_bytes().replace(b"</html>", b"</html>\\n"), method)')
    assert wrong.count("</html>") == 2 and "parents[3]" not in wrong
    script = tmp_path / "server.py"
    script.write_text(wrong)
    settings = race.Settings(seconds=0.3, generator="stdlib", logs=tmp_path)
    with pytest.raises(UserError) as refused:
        race.race_server(script, ["a"], settings, say=lambda *a, **k: None)
    assert "No time: GET / did not answer exactly static/index.html" in refused.value.message
    assert processes_mentioning(str(script)) == []


def scores(x=1.5, scenario="a", kind="asyncio"):
    return {"learner": "Ada", "slug": "go_async",
            "scores": [{"scenario": scenario, "x": x, "versus": "floor", "requests_per_s": 1000 * x,
                        "p99_ms": 12.5, "errors": 0, "kind": kind}]}


def post(board, data, key=None):
    return requests.post(f"{board.url}/api/race", params={"code": CODE}, data=json.dumps(data),
                         headers={"Content-Type": "application/json", "X-Learner-Key": key or key_of("Ada")},
                         timeout=5, proxies={"http": None})


def switch(board, opened: bool):
    """`board --race-open` / `--race-closed`, on the running board's file: it answers and exits at once."""
    done = subprocess.run([sys.executable, "-m", "graders", "board", "--db", str(board.db),
                           "--race-open" if opened else "--race-closed"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("is open" if opened else "is closed") in done.stdout


@pytest.fixture
def board(tmp_path):
    with RunningBoard(tmp_path, None, "--code", CODE) as running:
        yield running


def test_the_board_takes_race_scores_only_while_open_and_keeps_the_best(board):
    assert post(board, scores()).status_code == 403                       # closed until the instructor opens it
    switch(board, True)
    assert post(board, scores(1.5)).status_code == 201
    assert post(board, scores(0.9)).status_code == 201                    # worse: the best stays
    assert post(board, scores(2.0, "c", "threads")).status_code == 201
    race_data = board.api()["race"]
    assert race_data["open"] is True
    assert [(r["name"], r["x"], r["kind"]) for r in race_data["scenarios"]["a"]] == [("Ada", 1.5, "asyncio")]
    assert race_data["scenarios"]["c"][0]["x"] == 2.0
    assert post(board, scores(), key=key_of("someone else")).status_code == 409   # the name is Ada's laptop's
    assert post(board, dict(scores(), slug="no_such_challenge")).status_code == 400
    assert post(board, scores(kind="<script>")).status_code == 400
    assert post(board, scores(x=float("inf"))).status_code == 400
    switch(board, False)
    assert post(board, scores(3.0)).status_code == 403
    assert board.api()["race"]["scenarios"]["a"][0]["x"] == 1.5           # closing keeps what was posted


def test_a_joined_learner_posts_the_race_with_the_kit_client(board, tmp_path, monkeypatch):
    monkeypatch.setenv("WSFS_STATE_FILE", str(tmp_path / "state.json"))
    (tmp_path / "state.json").write_text(json.dumps(
        {"name": "Grace", "board": {"url": board.url + "/", "code": CODE, "key": key_of("Grace")}}))
    switch(board, True)
    said = []
    score = race.Score("b", 2100.0, 1.31, "floor", 20.0, 0, 5000)
    race.post_scores("go_async", "selectors", [score, race.Score("c", 0, 0, "ideal", None, 0, 0, void="no /slow")],
                     say=said.append)
    assert "reached" in said[-1], said
    assert [(r["name"], r["x"], r["kind"]) for r in board.api()["race"]["scenarios"]["b"]] == \
        [("Grace", 1.31, "selectors")]


@pytest.mark.slow
@pytest.mark.skipif(find_chromium() is None, reason="no Chromium found: install one, or set CHROMIUM=/path/to/chrome")
def test_a_race_post_appears_on_the_race_view_in_chromium(board, tmp_path):
    switch(board, True)
    with Chromium(tmp_path) as browser:
        page = browser.open(board.url + "/race")
        page.wait_for("document.getElementById('race-state').textContent.startsWith('open')")
        assert page.evaluate("getComputedStyle(document.getElementById('heat')).display") == "none"
        evil = dict(scores(1.7), learner="<img src=x onerror=window.pwned=1>")
        assert post(board, evil, key=key_of("evil")).status_code == 201
        page.wait_for("document.querySelectorAll('#race section[data-scenario=a] tr.racer').length == 1", timeout=2.0)
        row = page.evaluate("document.querySelector('#race section[data-scenario=a] tr.racer').textContent")
        assert row == "1.<img src=x onerror=window.pwned=1>x1.701700asyncio", row
        assert page.evaluate("window.pwned === undefined")
        assert page.evaluate("document.getElementById('race-switch')") is None     # no key, no button
        key = re.search(r"/#instructor=([A-Za-z0-9_-]+)", board.output()).group(1)
        instructor = browser.open(f"{board.url}/race#instructor={key}")
        instructor.wait_for("document.getElementById('race-switch') !== null")
        assert "instructor" not in instructor.evaluate("location.href")            # the key leaves the address bar
        instructor.evaluate("document.getElementById('race-switch').click()")
        page.wait_for("document.getElementById('race-state').textContent.startsWith('closed')", timeout=3.0)
        assert post(board, scores(2.5)).status_code == 403
    assert processes_mentioning(str(browser.profile)) == []


def test_race_help_and_the_default_challenge():
    done = subprocess.run([sys.executable, "-m", "graders", "race", "--help"], capture_output=True, text=True,
                          timeout=30, cwd=KIT_ROOT)
    assert done.returncode == 0 and "--scenario" in done.stdout and "--seconds" in done.stdout, done.stderr
    passed = {slug: {"status": "passed"} for slug in ("hello_socket", "serve_files", "go_async", "time_route")}
    progress = Progress({"challenges": passed}, {})
    assert race.default_challenge(progress).slug == "time_route"
    assert race.serves_the_site(find("go_async"))
    with pytest.raises(UserError, match="Nothing to race yet"):
        race.default_challenge(Progress({"challenges": {}}, {}))


def test_wrk_and_ab_keep_the_connection_only_in_scenario_b():
    settings = race.Settings(seconds=2)
    url = "http://127.0.0.1:9/"
    assert "Connection: close" in race.tool_command("wrk", url, 10, False, settings)
    kept = race.tool_command("wrk", url, 50, True, settings)
    assert "Connection: close" not in kept and "-H" not in kept and kept[-1] == url
    assert "-k" not in race.tool_command("ab", url, 10, False, settings)
    assert race.tool_command("ab", url, 50, True, settings)[:2] == ["ab", "-k"]


@pytest.mark.parametrize("slug", ["hello_socket", "route_decorator", "new_page", "https", "wsgi", "asgi"])
def test_challenges_whose_site_is_not_static_do_not_race(slug):
    assert not race.serves_the_site(find(slug))
    with pytest.raises(UserError, match="cannot race"):
        race.race(Progress({"challenges": {}}, {}), slug, "a", 1.0)


def test_a_server_that_fails_its_grader_gets_no_time_and_the_first_failure(monkeypatch):
    from graders.learner import check
    monkeypatch.setattr(check, "run_quietly", lambda challenge, options=(): (
        1, {"status": "failed", "first_failure": "GET /about: expected 200\nthe rest"}, "1 failed"))
    assert race.grader_passes(find("go_async"), "exercises") == (False, "GET /about: expected 200")
    with pytest.raises(UserError, match="No time: go_async does not pass its grader: GET /about: expected 200"):
        race.race(Progress({"challenges": {}}, {}), "go_async", "a", 1.0)
