"""Self-tests for the grader harness (graders/harness).

Each test writes a tiny grader into a temporary folder, points it with --target at a copy of one of the tiny
servers in tests/broken_servers, and runs pytest on it in a subprocess, exactly as a learner would. Then it
checks three things: the inner run fails (or passes) quickly, the words a beginner reads, and, by reading the
process table rather than trusting the harness, that no server process is left behind.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from tests.kit_copy import XDIST, pytest_of_its_own

REPO = Path(__file__).resolve().parents[1]
SERVERS = REPO / "tests" / "broken_servers"
POSIX = os.name == "posix"

HOME_PAGE_GRADER = """
from graders.harness import expect, fetch

def test_home_page(server):
    answer = fetch(server, "GET", "/", timeout=2)
    expect(answer.status == 200, answer, expected="status 200")
"""


def read_toml(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


CATALOG = read_toml(REPO / "exercises" / "catalog.toml")["challenge"]


class Run:
    def __init__(self, code: int, output: str, seconds: float, results: Path):
        self.code, self.output, self.seconds, self.results = code, output, seconds, results


def grader_command(tmp_path: Path, grader: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "pytest", str(grader), "-p", "graders.harness.plugin", "-p", "no:cacheprovider",
            "-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path), "--target", str(tmp_path / "target"),
            "--results", str(tmp_path / "results.json"), "--learner", "Ada", *options]


def inner_env() -> dict:
    env = {k: v for k, v in pytest_of_its_own(os.environ).items() if k != "PYTHONBREAKPOINT"}
    return {**env, "PYTHONIOENCODING": "utf-8"}


def prepare(tmp_path: Path, server: str, grader_source: str, slug: str = "", level: str = "beginner") -> Path:
    """Copy a tiny server into tmp_path/target/<level>/<slug>/ and write the grader that checks it."""
    slug = slug or server
    if server:
        shutil.copytree(SERVERS / "beginner" / server, tmp_path / "target" / level / slug)
    grader = tmp_path / "graders" / level / f"test_{slug}.py"
    grader.parent.mkdir(parents=True, exist_ok=True)
    grader.write_text(grader_source, encoding="utf-8")
    return grader


def run_grader(tmp_path: Path, server: str, grader_source: str = HOME_PAGE_GRADER, *options: str, **where) -> Run:
    grader = prepare(tmp_path, server, grader_source, **where)
    started = time.monotonic()
    done = subprocess.run(grader_command(tmp_path, grader, *options), cwd=REPO, env=inner_env(),
                          capture_output=True, text=True, encoding="utf-8", timeout=60)
    return Run(done.returncode, done.stdout + done.stderr, time.monotonic() - started, tmp_path / "results.json")


def processes_mentioning(text: str) -> list[str]:
    """Live processes whose command line contains `text`: /proc on Linux, `ps` elsewhere. Zombies do not count."""
    if Path("/proc/self/cmdline").exists():
        found = []
        for entry in Path("/proc").iterdir():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue  # not a process, or it just ended
            if entry.name.isdigit() and text in command:  # a zombie's cmdline is empty
                found.append(f"{entry.name} {command}")
        return found
    if POSIX:
        table = subprocess.run(["ps", "-A", "-o", "pid=,stat=,command="], capture_output=True, text=True).stdout
        return [line for line in table.splitlines() if text in line and "Z" not in line.split()[1]]
    listing = "Get-CimInstance Win32_Process | ForEach-Object { \"$($_.ProcessId) $($_.CommandLine)\" }"
    table = subprocess.run(["powershell", "-NoProfile", "-Command", listing], capture_output=True, text=True).stdout
    return [line for line in table.splitlines() if text in line]


def leftovers(tmp_path: Path, within: float = 3.0) -> list[str]:
    """Server processes of this test still alive after `within` seconds."""
    marker = os.path.join(tmp_path / "target", "")  # with the trailing slash: pytest's own --target has none
    deadline = time.monotonic() + within
    while (found := processes_mentioning(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def expect_failure(run: Run, tmp_path: Path, *words: str, within: float = 10.0) -> None:
    """The inner run failed, its grader took less than `within` seconds, the words are there, nothing is left."""
    assert run.code == 1, run.output
    challenges = json.loads(run.results.read_text(encoding="utf-8"))["challenges"]
    grading_time = sum(c["duration"] for c in challenges.values())  # without pytest's own start-up
    assert grading_time < within, f"took {grading_time:.1f} s\n{run.output}"
    for text in words:
        assert text in run.output, f"{text!r} not in:\n{run.output}"
    assert "graders/harness" not in run.output.replace("\\", "/"), "harness internals leaked:\n" + run.output
    assert not leftovers(tmp_path)


# --- a server that fails to start fails the grader fast, says why first, and leaves nothing running ---

def test_server_that_crashes_at_start(tmp_path):
    run = run_grader(tmp_path, "crash_at_start")
    expect_failure(run, tmp_path, "Your server exited with code 1 before accepting connections; it printed:",
                   "RuntimeError: oops, a bug before the server could start",
                   "To see it yourself, run", "crash_at_start/server.py --port 8002", within=1.5)
    assert run.output.index("exited with code 1") < run.output.index("RuntimeError")


def test_server_that_never_binds(tmp_path):
    run = run_grader(tmp_path, "never_binds")
    expect_failure(run, tmp_path, "Your server is running, but nothing accepted a connection",
                   "it must listen on exactly that port", "thinking very hard...")


def test_server_on_another_port(tmp_path):
    run = run_grader(tmp_path, "wrong_port")
    expect_failure(run, tmp_path, "nothing accepted a connection", "--port", "Listening on http://127.0.0.1:")


def test_server_that_never_answers(tmp_path):
    run = run_grader(tmp_path, "never_answers")
    expect_failure(run, tmp_path, "GET /: no answer within 2 s: your server accepted the connection but sent "
                   "nothing back", "curl -i", "waiting for connections")


def test_server_that_answers_garbage(tmp_path):
    run = run_grader(tmp_path, "answers_garbage")
    expect_failure(run, tmp_path, "the answer does not start with a status line such as HTTP/1.1 200 OK",
                   "hello there, this is not HTTP", within=2)


def test_garbage_through_the_raw_client(tmp_path):
    grader = """
from graders.harness import expect, send_raw

def test_raw(server):
    answer = send_raw(server, b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    expect(answer.status == 200, answer, expected="status 200")
"""
    run = run_grader(tmp_path, "answers_garbage", grader)
    expect_failure(run, tmp_path, "the answer does not start with a status line", "GET / HTTP/1.1\\r\\n",
                   "Your server sent back only:", "hello there, this is not HTTP\\n", within=2)


def test_server_that_crashes_during_the_checks_says_so_first(tmp_path):
    run = run_grader(tmp_path, "crashes_on_request")
    expect_failure(run, tmp_path, "Your server exited with code 1 while the checks ran; it printed:",
                   "ValueError: cannot handle b'/' yet", "What the check saw:", within=2)
    assert run.output.index("exited with code 1") < run.output.index("What the check saw")
    # The crash came before any expect(): the failure still says what the check expects, and its hint.
    assert "(The check that failed: home page.)" in run.output, run.output


def test_missing_server_file_names_the_path(tmp_path):
    run = run_grader(tmp_path, "", slug="no_such_challenge")
    expected = tmp_path / "target" / "beginner" / "no_such_challenge" / "server.py"
    expect_failure(run, tmp_path, "The grader expected your server at", str(expected), "--target", within=1)


# --- a failed check teaches: request, answer with \r\n visible, expectation, hint, seed ---

def test_a_failed_check_teaches(tmp_path):
    grader = """
from graders.harness import expect, fetch, send_raw

def test_search(server, rng):
    term = f"cats{rng.randint(10, 99)}"
    answer = fetch(server, "GET", f"/search?q={term}")
    expect(answer.text == f"You searched for: {term}", answer, expected=f"the body 'You searched for: {term}'")

def test_body_in_pieces(server):
    answer = send_raw(server, [b"GET /search?q=a HTTP/1.1\\r\\n", b"Host: x\\r\\n\\r\\n"], pause=0.2)
    expect(answer.status == 400, answer, expected="status 400", hint="missing")
"""
    run = run_grader(tmp_path, "good", grader, "--seed", "1234", slug="query_params", level="intermediate")
    hints = next(c["hints"] for c in CATALOG if c["slug"] == "query_params")
    expect_failure(run, tmp_path, "GET /search?q=cats", ": expected the body 'You searched for: cats",
                   "We sent:", "curl -i 'http://127.0.0.1:", "Your server answered in", "HTTP/1.0 200 OK\\r\\n",
                   "<h1>Hello</h1>", "Hint 1/4 (query_params):", "--seed 1234", "(checked at ",
                   "-- pause 0.2 s --", "Hint 3/4 (query_params):", within=3)
    assert " ".join(hints[0]["text"].split()[:6]) in " ".join(run.output.split())
    assert "Hint 4/4" not in run.output, "the last hint is almost the answer: only `hint` shows it"
    assert "Traceback" not in run.output and "def test_search" not in run.output


# --- a good server passes; results accumulate; the summary shows progress ---

def test_good_server_passes_writes_results_and_prints_the_summary(tmp_path):
    grader = HOME_PAGE_GRADER + """
def test_logs_each_request(server):
    fetch(server, "GET", "/")
    assert '"GET / HTTP/1.1" 200' in server.output()
"""
    run = run_grader(tmp_path, "good", grader)
    assert run.code == 0, run.output
    assert "2 passed" in run.output and "your progress" in run.output
    beginner_challenges = sum(c["level"] == "beginner" for c in CATALOG) + 1  # the catalog's, and "good"
    assert "beginner      █░" in run.output and f"1/{beginner_challenges}" in run.output
    assert "passed: good" in run.output
    assert not leftovers(tmp_path)

    results = json.loads(run.results.read_text(encoding="utf-8"))
    assert results["learner"] == "Ada" and results["updated"]
    assert results["kit_version"] == read_toml(REPO / "pyproject.toml")["project"]["version"]
    good = results["challenges"]["good"]
    assert set(good) >= {"slug", "level", "status", "passed", "total", "first_failure", "duration", "finished",
                         "first_failure_hint", "target", "seed", "runs", "first_passed"}  # added, never renamed
    assert good["runs"] == 1 and good["first_passed"] == good["finished"] and isinstance(good["seed"], int)
    assert (good["slug"], good["level"], good["status"]) == ("good", "beginner", "passed")
    assert (good["passed"], good["total"]) == (2, 2)
    assert good["first_failure"] is None and good["duration"] > 0 and good["finished"]
    assert results["challenges"]["mime_types"]["status"] == "not run"  # every catalog challenge is listed

    run_grader(tmp_path, "crash_at_start")  # a second run merges into the same file
    results = json.loads(run.results.read_text(encoding="utf-8"))
    assert results["challenges"]["good"]["status"] == "passed"
    crashed = results["challenges"]["crash_at_start"]
    assert crashed["status"] == "failed" and "exited with code 1" in crashed["first_failure"]


def test_output_is_skipped_with_server_url(tmp_path):
    grader = """
def test_logs(server):
    assert "GET" in server.output()
"""
    prepare(tmp_path, "good", "")
    from graders.harness.boot import free_port
    port = free_port()
    by_hand = subprocess.Popen([sys.executable, str(tmp_path / "target" / "beginner" / "good" / "server.py"),
                                "--port", str(port)], stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        run = run_grader(tmp_path, "", grader, "--server-url", f"http://127.0.0.1:{port}", "-rs", slug="good")
    finally:
        by_hand.kill()
        by_hand.wait()
    assert run.code == 0 and "1 skipped" in run.output, run.output
    assert "cannot see with --server-url" in run.output


def test_parallel_runs_under_xdist(tmp_path):
    for slug in ("good", "second_good"):
        prepare(tmp_path, "good", HOME_PAGE_GRADER, slug=slug)
    command = grader_command(tmp_path, tmp_path / "graders", *XDIST, "-n", "2")
    done = subprocess.run(command, cwd=REPO, env=inner_env(), capture_output=True, text=True, encoding="utf-8",
                          timeout=60)
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout + done.stderr
    challenges = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["challenges"]
    assert challenges["good"]["status"] == challenges["second_good"]["status"] == "passed"
    assert not leftovers(tmp_path)


# --- no orphans: a timeout, Ctrl+C, even SIGKILL of pytest itself leave no server behind ---

def test_timeout_stops_the_server(tmp_path):
    grader = """
import time

def test_too_slow(server):
    time.sleep(30)
"""
    run = run_grader(tmp_path, "good", grader, "--timeout", "2")
    expect_failure(run, tmp_path, "Timeout", within=5)


SLEEPING_GRADER = """
import pathlib, time

def test_waits(server):
    pathlib.Path({flag!r}).write_text(str(server.port))
    time.sleep(60)
"""


@pytest.mark.skipif(not POSIX, reason="SIGKILL and SIGINT are POSIX signals")
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGINT"])
def test_killing_pytest_leaves_no_server(tmp_path, signal_name):
    flag = tmp_path / "server-is-up"
    grader = prepare(tmp_path, "good", SLEEPING_GRADER.format(flag=str(flag)))
    pytest_process = subprocess.Popen(grader_command(tmp_path, grader), cwd=REPO, env=inner_env(),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), "the inner grader never started its server"
        assert len(leftovers(tmp_path, within=0)) == 1  # the server
        pytest_process.send_signal(getattr(signal, signal_name))
        pytest_process.wait(15)
        assert leftovers(tmp_path, within=5) == []
    finally:
        pytest_process.kill()
        pytest_process.wait()
