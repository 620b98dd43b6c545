"""The results file never lies and never loses a run: at the kit's root, locked and atomic, never written from
--target solutions, an all-skipped --server-url run keeps an earlier pass, and the fields only grow.

Also the end-of-run messages that go with it: the summary comes last, a finished level names the next one, the
`run:` line works from where the learner is, and a server's 10 MB line never floods the report.
"""
from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT as REPO_ROOT
from graders.ground.catalog import load_catalog
from graders.ground.names import decode_git
from graders.ground.network import lan_address
from graders.ground.results import update_results
from graders.harness import messages
from graders.harness.commands import python_command, quote, shown_path
from graders.harness.results import merge, summary_lines
from graders.supervisor import free_port
from tests.kit_copy import copy_kit, kit_env, run_in

REPO = Path(__file__).resolve().parents[1]

SERVER = """
import argparse, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<h1>Hello</h1>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
ThreadingHTTPServer(({host!r}, parser.parse_args().port), Hello).serve_forever()
"""

HOME_PAGE = """
from graders.harness import expect, fetch

def test_home_page(server):
    answer = fetch(server, "GET", "/", timeout=2)
    expect(answer.status == 200, answer, expected="status 200")
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def pytest_command(tmp_path: Path, target, *options: str) -> list[str]:
    """A grader run on graders written into tmp_path, with the kit's plugin, as tests/test_harness.py does."""
    return [sys.executable, "-m", "pytest", str(target), "-p", "graders.harness.plugin", "-p", "no:cacheprovider",
            "-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path), "--target", str(tmp_path / "target"),
            *options]


def run(tmp_path: Path, target, *options: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(pytest_command(tmp_path, target, *options), cwd=REPO, capture_output=True, text=True,
                          encoding="utf-8", timeout=60, env=env or kit_env(REPO, WSFS_STATE_FILE=str(
                              tmp_path / "state.json")))


# --- six runs ending at once ----------------------------------------------------------------------------

WAITS_FOR_GO = """
import pathlib, time

def test_waits_for_the_others():
    pathlib.Path({ready!r}).touch()
    give_up = time.monotonic() + 30
    while not pathlib.Path({go!r}).exists() and time.monotonic() < give_up:
        time.sleep(0.005)
"""


def test_six_grader_runs_ending_at_once_keep_every_result(tmp_path):
    """Six real pytest runs in one folder, held at a barrier so their results are written at the same moment."""
    go, results = tmp_path / "go", tmp_path / "grader-results.json"
    runs = []
    for number in range(6):
        grader = write(tmp_path / "graders" / "beginner" / f"test_racer{number}.py",
                       WAITS_FOR_GO.format(ready=str(tmp_path / f"ready{number}"), go=str(go)))
        command = pytest_command(tmp_path, grader, "--results", str(results), "-q")
        runs.append(subprocess.Popen(command, cwd=REPO, env=kit_env(REPO, WSFS_STATE_FILE=str(tmp_path / "s.json")),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    deadline = time.monotonic() + 45
    while not all((tmp_path / f"ready{n}").exists() for n in range(6)) and time.monotonic() < deadline:
        time.sleep(0.02)
    go.touch()
    outputs = [process.communicate(timeout=60)[0] for process in runs]
    assert all(process.returncode == 0 for process in runs), "\n".join(outputs)
    data = json.loads(results.read_text(encoding="utf-8"))  # valid JSON: no torn write
    for number in range(6):
        assert data["challenges"][f"racer{number}"]["status"] == "passed", (number, outputs[number])
    assert not list(tmp_path.glob("grader-results.json.*")), "no temporary or lock file is left behind"


def hammer(path: str, worker: int, rounds: int) -> None:
    for round_ in range(rounds):
        key = f"w{worker}-{round_}"
        update_results(Path(path),
                       lambda old, key=key: {"challenges": {**old.get("challenges", {}), key: {"status": "ok"}}})


def test_locked_merges_from_many_processes_lose_nothing(tmp_path):
    """The same read-merge-write, forced into a race: 6 processes x 30 writes each, every one kept."""
    path = tmp_path / "grader-results.json"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=hammer, args=(str(path), n, 30)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert all(worker.exitcode == 0 for worker in workers)
    assert len(json.loads(path.read_text(encoding="utf-8"))["challenges"]) == 180


def test_a_stale_lock_is_broken_and_a_live_one_waited_for(tmp_path):
    from graders.ground import results as results_file
    path = tmp_path / "r.json"
    lock = tmp_path / "r.json.lock"
    lock.write_text("12345\n")
    old = time.time() - results_file.STALE_AFTER - 5
    import os
    os.utime(lock, (old, old))
    update_results(path, lambda old: {"challenges": {"a": {}}})  # the dead run's lock does not block us
    assert not lock.exists() and json.loads(path.read_text())["challenges"] == {"a": {}}
    lock.write_text("12345\n")  # a live run's lock: we wait, then say so in one line
    with pytest.raises(results_file.ResultsBusy):
        with results_file.locked(path, wait=0.3):
            pass


# --- where it is written, and when not ------------------------------------------------------------------

def test_written_at_the_kits_root_from_any_folder_and_never_from_solutions(tmp_path):
    kit = copy_kit(tmp_path / "kit")
    challenge_folder = kit / "exercises" / "beginner" / "time_route"
    done = run_in(kit, "-m", "pytest", "../../../graders/beginner/test_time_route.py", "-p", "no:cacheprovider",
                  cwd=challenge_folder)
    assert done.returncode == 1, done.stdout
    assert not (challenge_folder / "grader-results.json").exists()
    entry = json.loads((kit / "grader-results.json").read_text(encoding="utf-8"))["challenges"]["time_route"]
    assert entry["status"] == "failed" and entry["target"] == "exercises" and entry["runs"] == 1
    # The run: line works from the challenge's folder, where the learner typed.
    assert "run:  python -m pytest ../../../graders/beginner/test_time_route.py" in done.stdout.replace(
        python_command(), "python")

    (kit / "grader-results.json").unlink()
    done = run_in(kit, "-m", "pytest", "graders/beginner/test_time_route.py", "--target", "solutions",
                  "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout
    assert not (kit / "grader-results.json").exists(), "--target solutions wrote the learner's results"
    assert "your results file was not touched" in done.stdout


def test_results_into_a_missing_folder_and_a_name_that_sticks(tmp_path):
    grader = write(tmp_path / "graders" / "beginner" / "test_fine.py", "def test_fine():\n    pass\n")
    results = tmp_path / "new" / "deeper" / "results.json"
    first = run(tmp_path, grader, "--results", str(results), "--learner", "Zoë Ünal")
    assert first.returncode == 0 and "Results saved to" in first.stdout, first.stdout + first.stderr
    assert "Traceback" not in first.stdout + first.stderr
    assert json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))["name"] == "Zoë Ünal"
    second = run(tmp_path, grader, "--results", str(results))  # no --learner: the remembered name
    assert second.returncode == 0, second.stdout
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["learner"] == "Zoë Ünal"
    entry = data["challenges"]["fine"]
    assert entry["runs"] == 2 and entry["first_passed"] and entry["first_passed"] <= entry["finished"]


def test_git_user_name_is_read_as_utf8():
    assert decode_git("Zoë Ünal\n".encode("utf-8")) == "Zoë Ünal"
    assert decode_git(b"Zo\xeb\n") == "Zo\ufffd"  # not UTF-8: replaced, never a crash


# --- merging -------------------------------------------------------------------------------------------

def entry(status: str, **more) -> dict:
    return {"slug": "x", "level": "beginner", "status": status, "passed": 1, "total": 1, "first_failure": None,
            "duration": 0.1, "finished": "2026-11-21T15:09:00+00:00", **more}


def test_merge_keeps_an_earlier_pass_the_first_pass_and_unknown_fields():
    old = {"learner": "Ada", "extra_top": 1,
           "challenges": {"x": entry("passed", runs=1, first_passed="2026-11-20T10:00:00+00:00", mine="kept")}}
    skipped = merge(old, {"x": entry("not run", passed=0)}, "Ada", "2026-11-22T00:00:00+00:00")
    assert skipped["challenges"]["x"]["status"] == "passed" and skipped["challenges"]["x"]["runs"] == 1
    failed = merge(old, {"x": entry("failed")}, "Ada", "2026-11-22T00:00:00+00:00")
    x = failed["challenges"]["x"]
    assert (x["status"], x["runs"], x["first_passed"], x["mine"]) == ("failed", 2, "2026-11-20T10:00:00+00:00",
                                                                       "kept")
    assert failed["extra_top"] == 1, "fields may be added, never dropped"
    # A file from before these fields: its pass counts as the first one.
    older = merge({"challenges": {"x": entry("passed")}}, {"x": entry("passed")}, "Ada", "2026-12-01T00:00:00+00:00")
    assert older["challenges"]["x"]["first_passed"] == "2026-11-21T15:09:00+00:00"


def test_a_server_url_run_with_every_check_skipped_keeps_an_earlier_pass(tmp_path):
    """Boot once (a pass), then point --server-url (without http://) at a server started by hand."""
    write(tmp_path / "target" / "beginner" / "hello" / "server.py", SERVER.format(host="0.0.0.0"))
    grader = write(tmp_path / "graders" / "beginner" / "test_hello.py", HOME_PAGE)
    results = str(tmp_path / "results.json")
    booted = run(tmp_path, grader, "--results", results)
    assert booted.returncode == 0, booted.stdout
    if lan_address():  # a server on 0.0.0.0 passes, with a note about the network
        assert "Note (hello): your server also answers on this machine's network address" in booted.stdout

    port = free_port()
    by_hand = subprocess.Popen([sys.executable, str(tmp_path / "target" / "beginner" / "hello" / "server.py"),
                                "--port", str(port)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                __import__("socket").create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        write(grader, 'def test_logs(server):\n    assert "GET" in server.output()\n')
        skipped = run(tmp_path, grader, "--results", results, "--server-url", f"127.0.0.1:{port}")
        write(grader, HOME_PAGE)
        remote = run(tmp_path, grader, "--results", results, "--server-url", f"127.0.0.1:{port}")
    finally:
        by_hand.kill()
        by_hand.wait()
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout
    assert remote.returncode == 0 and "1 passed" in remote.stdout, remote.stdout  # 127.0.0.1:N is http://...
    hello = json.loads(Path(results).read_text(encoding="utf-8"))["challenges"]["hello"]
    assert hello["status"] == "passed" and hello["runs"] == 2 and hello["target"] == f"http://127.0.0.1:{port}"


# --- what the learner reads at the end ------------------------------------------------------------------

LOUD_CRASH = """
import sys
print("x" * 10_000_000, flush=True)
sys.exit(1)
"""


def test_a_huge_line_is_clipped_and_the_summary_comes_last(tmp_path):
    write(tmp_path / "target" / "beginner" / "loud" / "server.py", LOUD_CRASH)
    grader = write(tmp_path / "graders" / "beginner" / "test_loud.py", HOME_PAGE + """
def test_second(server):
    pass
""")
    done = run(tmp_path, grader, "--results", str(tmp_path / "r.json"))
    output = done.stdout
    assert done.returncode == 1
    assert len(output) < 30_000, f"{len(output)} characters of output"
    assert "(cut: a line of more than 300 characters)" in output
    failed_lines, summary = output.rfind("short test summary info"), output.rfind("your progress")
    assert -1 < failed_lines < summary, output[-3000:]
    after = output[summary:].splitlines()[1:]
    assert after[-1].startswith("=") and "error" in after[-1]  # only pytest's one-line count follows
    assert not any(line.startswith(("FAILED", "ERROR")) for line in after)
    assert f"run:  {python_command()} -m pytest {grader}" in output  # outside the kit: an absolute path


def test_a_finished_level_names_the_next_one():
    catalog = load_catalog()
    first_level = catalog[0].level
    passed = {c.slug: {"slug": c.slug, "level": c.level, "status": "passed"} for c in catalog
              if c.level == first_level}
    levels = [c.level for c in catalog]
    following = next(level for level in levels if level != first_level)
    assert f"nothing left at this level: next, {following}." in "\n".join(summary_lines(passed, [first_level]))


def test_commands_work_where_they_are_printed(tmp_path):
    grader = REPO_ROOT / "graders" / "beginner" / "test_time_route.py"
    assert shown_path(grader, REPO_ROOT) == str(Path("graders/beginner/test_time_route.py"))
    assert shown_path(grader, REPO_ROOT / "exercises") == str(Path("../graders/beginner/test_time_route.py"))
    assert shown_path(grader, tmp_path) == str(grader)  # outside the kit: absolute
    assert quote("my kit/x.py", "linux") == "'my kit/x.py'" and quote("my kit/x.py", "win32") == '"my kit/x.py"'
    assert quote("plain.py", "win32") == "plain.py"

    def which(found):
        return lambda name: found.get(name)
    venv = "/home/ada/kit/.venv/bin/python"
    assert python_command("linux", which({"python": venv}), venv) == "python"
    assert python_command("linux", which({"python": "/usr/bin/python", "python3": "/home/ada/kit/.venv/bin/python3"}),
                          venv) == "python3"
    assert python_command("linux", which({"python": "/usr/bin/python"}), venv) == venv  # another Python: full path
    windows = r"C:\Users\Ada\AppData\Local\Programs\Python\Python312\python.exe"
    assert python_command("win32", which({"py": r"C:\Windows\py.exe"}), windows) == "py"
    assert python_command("win32", which({}), r"C:\Program Files\Python\python.exe") == \
        r'"C:\Program Files\Python\python.exe"'


def test_a_question_mark_ends_the_sentence():
    with pytest.raises(messages.GraderFailure) as failure:
        messages.fail(expected="the server to keep serving after answering?")
    assert failure.value.headline == "Expected the server to keep serving after answering?"
    with pytest.raises(messages.GraderFailure) as failure:
        messages.fail(expected="status 200", got="404")
    assert failure.value.headline == "Expected status 200, but got 404."
