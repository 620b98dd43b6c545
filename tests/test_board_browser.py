"""The live board in a real headless Chromium, driven through the DevTools protocol (tools/chromium.py, with the
`websockets` client): the page shows the learners, a new result appears within 2 s without a reload, and a
learner named <script>alert(1)</script> is shown as text and runs nothing.

Skipped, with the reason, where no Chromium is installed. CI installs Debian's `chromium` (.ci/run)."""
import re
import time

import pytest

from graders.instructor.board_server import STREAMS_PER_ADDRESS
from tests.board_helpers import CODE, SLUGS, RunningBoard, processes_mentioning, results
from tests.test_board import raw_stream
from tools.chromium import Chromium, candidates, find_chromium

XSS_NAMES = ["<script>alert(1)</script>", '<img src=x onerror="window.pwned=1;alert(2)">']
XSS_FAILURE = '<img src=x onerror="window.pwned=2"> expected status 200'
FIRST, SECOND = SLUGS[0], SLUGS[1]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    find_chromium() is None,
    reason="no Chromium found (looked for chromium, chromium-browser, google-chrome): install one, e.g. Debian's "
           "`apt-get install chromium`, or set CHROMIUM=/path/to/chrome")]

NAMES = "Array.from(document.querySelectorAll('#heat .learner-name')).map(cell => cell.textContent)"


@pytest.fixture
def board(tmp_path):
    with RunningBoard(tmp_path, None, "--code", CODE) as running:
        yield running


@pytest.fixture
def browser(tmp_path):
    with Chromium(tmp_path) as chromium:       # its whole process group is killed on the way out
        yield chromium
    assert processes_mentioning(str(chromium.profile)) == [], "a Chromium process outlived the test"


def test_the_page_shows_both_learners_and_updates_within_2_s_without_a_reload(board, browser):
    assert board.post(results("Ada Lovelace", {FIRST: "passed"})).status_code == 201
    assert board.post(results("Grace Hopper",
                              {FIRST: "GET /x/417: expected status 200, but got 404."})).status_code == 201
    page = browser.open(board.url + "/")
    page.wait_for(f"{NAMES}.length == 2")
    assert page.evaluate(NAMES) == ["Ada Lovelace", "Grace Hopper"]
    assert page.evaluate("document.querySelector('#heat tr[data-name=\"Ada Lovelace\"] td.cell').className") \
        == "cell passed"
    failures = page.evaluate("document.getElementById('failures').textContent")
    assert "1 of 1 failing: GET /x/417: expected status 200" in failures, failures   # a real example, not /x/N

    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    started = time.monotonic()
    assert board.post(results("Lin Chen", {FIRST: "passed"})).status_code == 201
    page.wait_for(f"{NAMES}.includes('Lin Chen')", timeout=2.0)
    assert time.monotonic() - started < 2.0
    started = time.monotonic()
    assert board.post(results("Grace Hopper", {FIRST: "passed", SECOND: "passed"},
                              finished="2026-11-21T16:00:00+00:00")).status_code == 201
    page.wait_for("document.querySelectorAll('#heat tr[data-name=\"Grace Hopper\"] td.cell.passed').length == 2",
                  timeout=2.0)
    assert time.monotonic() - started < 2.0
    assert page.evaluate("window.sameDocument") is True
    assert page.evaluate(NAMES) == ["Ada Lovelace", "Grace Hopper", "Lin Chen"]
    assert page.evaluate("document.getElementById('status').textContent") == "live"


def test_a_learner_named_script_is_shown_as_text_and_runs_nothing(board, browser):
    for name in XSS_NAMES:
        assert board.post(results(name, {FIRST: XSS_FAILURE})).status_code == 201
    page = browser.open(board.url + "/")
    page.wait_for(f"{NAMES}.length == 2")
    assert sorted(page.evaluate(NAMES)) == sorted(XSS_NAMES)      # the exact text, angle brackets and all
    assert "<img src=x onerror=" in page.evaluate("document.getElementById('failures').textContent")
    assert page.evaluate("document.scripts.length") == 1          # only the page's own script
    assert page.evaluate("document.querySelectorAll('#heat img, #failures img').length") == 0
    time.sleep(0.3)                                               # an onerror would have fired by now
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.events("Page.javascriptDialogOpening") == []      # no alert() ever opened


def test_a_stuck_learner_is_marked_on_the_page(tmp_path, browser):
    with RunningBoard(tmp_path, None, "--code", CODE, "--stuck-minutes", "0.02") as board:   # 1.2 s
        failing = results("Ada Lovelace", {FIRST: "GET /a/1: expected status 200, but got 404."}, runs=1)
        assert board.post(failing).status_code == 201
        page = browser.open(board.url + "/")
        page.wait_for(f"{NAMES}.length == 1")
        assert page.evaluate("document.querySelectorAll('#heat tr.stuck').length") == 0
        time.sleep(1.3)
        again = results("Ada Lovelace", {FIRST: "GET /a/7: expected status 200, but got 500."}, runs=2)
        assert board.post(again).status_code == 201
        note = page.wait_for("document.querySelector('#heat tr.stuck td.note')?.textContent", timeout=2.0)
        assert re.fullmatch(rf"⚠ stuck \d+ s on {FIRST}", note), note


STATUS = "document.getElementById('status').textContent"


def test_attack_4_the_projector_recovers_within_10_s_after_a_503(board, browser):
    """Issue 19, attack 4: Chromium's EventSource gives up for good after a 503; the page must not."""
    assert board.post(results("Ada Lovelace", {FIRST: "passed"})).status_code == 201
    hogs = [raw_stream(board.port) for _ in range(STREAMS_PER_ADDRESS)]     # every stream this address may hold
    try:
        assert all(hog.recv(12) == b"HTTP/1.1 200" for hog in hogs)
        page = browser.open(board.url + "/")
        page.wait_for(f"{STATUS} === 'reconnecting…' && window.boardConnects >= 2", timeout=10)
        assert page.evaluate(f"{NAMES}.length") == 0                         # it was refused: nothing drawn yet
    finally:
        for hog in hogs:
            hog.close()
    started = time.monotonic()
    page.wait_for(f"{NAMES}.length == 1 && {STATUS} === 'live'", timeout=10)
    assert time.monotonic() - started < 10


def test_the_projector_recovers_within_10_s_after_a_board_restart(board, browser):
    assert board.post(results("Ada Lovelace", {FIRST: "passed"})).status_code == 201
    page = browser.open(board.url + "/")
    page.wait_for(f"{NAMES}.length == 1 && {STATUS} === 'live'")
    page.evaluate("window.sameDocument = true")
    board.stop()
    page.wait_for(f"{STATUS} === 'reconnecting…'", timeout=10)
    time.sleep(3)                                                       # down a while: the page backs off
    board.start(same_port=True)
    started = time.monotonic()
    assert board.post(results("Grace Hopper", {FIRST: "passed"})).status_code == 201
    page.wait_for(f"{NAMES}.includes('Grace Hopper') && {STATUS} === 'live'", timeout=10)
    assert time.monotonic() - started < 10 and page.evaluate("window.sameDocument") is True


def test_attack_8_tostring_is_a_name_and_a_mixed_script_name_is_marked(board, browser):
    assert board.post(results("\u0410da Lovelace", {FIRST: "passed"})).status_code == 201    # a Cyrillic А
    assert board.post(results("Ada Lovelace", {FIRST: "passed"})).status_code == 201
    page = browser.open(board.url + "/")
    page.wait_for(f"{NAMES}.length == 2")
    marks = page.evaluate("Array.from(document.querySelectorAll('#heat tr.learner')).map("
                          "row => [row.dataset.name, !!row.querySelector('.mixed')])")
    assert sorted(marks) == [["Ada Lovelace", False], ["\u0410da Lovelace", True]]
    # The board never serves a column it does not know, but the page must not trust that either: draw one
    # named after what every JavaScript object inherits.
    page.evaluate("""render({version: 99, posts_accepted: 1, stuck_minutes: 10,
        levels: [{level: "advanced", slugs: ["toString", "__proto__", "constructor"]}],
        challenges: [{slug: "toString", passed: 0, failed: 0}],
        learners: [{name: "Ada", counted: true, cells: {}, failures: {}, passed: 0, stuck: null}]})""")
    cells = page.evaluate("Array.from(document.querySelectorAll('#heat td.cell')).map(td => [td.className, td.title])")
    assert cells == [["cell not-tried", f"Ada, {slug}: not tried"] for slug in ("toString", "__proto__", "constructor")]
    assert page.events("Runtime.exceptionThrown") == []


def test_the_instructors_page_releases_a_name_and_hides_its_key(board, browser):
    assert board.post(results("Ada Lovelace", {FIRST: "passed"})).status_code == 201
    key = re.search(r"/#instructor=([A-Za-z0-9_-]+)\n", board.output()).group(1)
    page = browser.open(f"{board.url}/#instructor={key}")
    page.wait_for("document.querySelectorAll('button.release').length == 1")
    assert page.evaluate("location.href") == board.url + "/"             # the key left the address bar
    page.evaluate("window.confirm = () => true; document.querySelector('button.release').click()")
    page.wait_for(f"{STATUS} === 'released Ada Lovelace'")
    assert board.post(results("Ada Lovelace", {}), key="another-laptop-key-0001").status_code == 201
    projector = browser.open(board.url + "/")                            # without the key: no buttons
    projector.wait_for(f"{NAMES}.length == 1")
    assert projector.evaluate("document.querySelectorAll('button.release').length") == 0


def test_chromium_is_looked_for_under_each_platforms_names():
    assert candidates("linux")[:3] == ["chromium", "chromium-browser", "google-chrome"]
    assert any(name.endswith("Google Chrome") for name in candidates("darwin"))
    assert any(name.endswith("chrome.exe") for name in candidates("win32"))
