"""`python -m graders`, verb by verb, end to end, as a learner runs it: in a copy of the kit (made without git,
like a workshop's zip), never in the real exercises/. `watch` runs in a real pseudo-terminal and is stopped
with a real Ctrl+C.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest

from graders.ground.catalog import load_catalog
from graders.harness.commands import set_variable
from graders.learner import doctor, watch
from graders.learner.join import parse_board_url
from graders.learner.kit import UserError
from tests.kit_copy import copy_kit, graders, kit_env, processes_mentioning

CATALOG = load_catalog()
FIRST = CATALOG[0]
BY_SLUG = {c.slug: c for c in CATALOG}
TIME_ROUTE = BY_SLUG["time_route"]   # a quick grader (about a second)


@pytest.fixture
def kit(tmp_path) -> Path:
    return copy_kit(tmp_path / "my kit")   # a space in the path: printed commands must quote it


def write_results(kit: Path, statuses: dict[str, str]) -> None:
    challenges = {slug: {"slug": slug, "level": BY_SLUG[slug].level, "status": status, "passed": 1, "total": 2,
                         "first_failure": "GET /: expected status 200" if status == "failed" else None}
                  for slug, status in statuses.items()}
    (kit / "grader-results.json").write_text(json.dumps({"learner": "Ada", "challenges": challenges}),
                                             encoding="utf-8")


def no_traceback(done) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr


# --- status, next, list ------------------------------------------------------------------------------

def test_status_shows_progress_and_the_next_challenge_from_any_folder(kit):
    done = graders(kit)
    assert done.returncode == 0, done.stderr
    assert FIRST.title in done.stdout and FIRST.summary[:40] in done.stdout
    starter = Path("exercises", FIRST.level, FIRST.slug, "server.py")
    assert f"Edit:      {starter}" in done.stdout
    assert "python -m graders check" in done.stdout.replace(sys.executable, "python")
    assert f"0/{sum(c.level == FIRST.level for c in CATALOG)}" in done.stdout

    inside = kit / "exercises" / FIRST.level
    done = graders(kit, "next", cwd=inside)  # paths printed from where the learner is
    assert f"Edit:      {Path(FIRST.slug, 'server.py')}" in done.stdout, done.stdout
    assert f"{Path('..', '..', 'graders', FIRST.level, f'test_{FIRST.slug}.py')}" in done.stdout


def test_list_shows_the_statuses_from_the_results_file(kit):
    passed, failed, untried = CATALOG[0].slug, CATALOG[1].slug, CATALOG[2].slug
    write_results(kit, {passed: "passed", failed: "failed"})
    done = graders(kit, "list")
    assert done.returncode == 0, done.stderr
    lines = {line.split()[1]: line for line in done.stdout.splitlines() if line.startswith("  ")}
    assert list(lines) == [c.slug for c in CATALOG], "every challenge, in catalog order"
    assert "passed" in lines[passed] and "failed" in lines[failed] and "not tried" in lines[untried]
    assert "<- next" in lines[failed]
    status = graders(kit).stdout
    assert "1 of 2 checks passed" in status and "expected status 200" in status


def test_list_filters_todo_done_and_level(kit):
    write_results(kit, {CATALOG[0].slug: "passed", CATALOG[1].slug: "failed"})
    def slugs(*args):
        done = graders(kit, "list", *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return [line.split()[1] for line in done.stdout.splitlines() if line.startswith("  ")]
    assert slugs("--done") == [CATALOG[0].slug]
    assert slugs("--todo") == [c.slug for c in CATALOG[1:]]
    assert slugs("--level", "beginner") == [c.slug for c in CATALOG if c.level == "beginner"]
    assert slugs("--todo", "--level", FIRST.level) == [c.slug for c in CATALOG[1:] if c.level == FIRST.level]
    refused = graders(kit, "list", "--todo", "--done")
    assert refused.returncode == 2 and "choose one" in refused.stdout + refused.stderr
    no_traceback(refused)


def test_the_welcome_comes_once_and_the_verbs_are_listed_once(kit):
    first, second = graders(kit), graders(kit)
    assert "Welcome to Web Servers from Scratch" in first.stdout
    assert "Welcome" not in second.stdout
    helped = graders(kit, "--help").stdout
    for verb in ("status", "list", "next", "hint", "check", "watch", "reset", "solution", "doctor", "join",
                 "report", "board"):
        assert f"\n  {verb}" in helped, verb


def test_reset_shows_as_reset_and_not_passed_and_keeps_the_first_pass(kit):
    write_results(kit, {TIME_ROUTE.slug: "passed"})
    path = kit / "grader-results.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    results["challenges"][TIME_ROUTE.slug]["first_passed"] = "2026-12-01T10:00:00+00:00"
    path.write_text(json.dumps(results), encoding="utf-8")
    (kit / "exercises" / TIME_ROUTE.level / TIME_ROUTE.slug / "server.py").write_text("# mine\n", encoding="utf-8")
    assert graders(kit, "reset", TIME_ROUTE.slug, "--yes").returncode == 0
    entry = json.loads(path.read_text(encoding="utf-8"))["challenges"][TIME_ROUTE.slug]
    assert entry["status"] != "passed" and entry["first_passed"] == "2026-12-01T10:00:00+00:00"
    listed = [line for line in graders(kit, "list").stdout.splitlines() if f" {TIME_ROUTE.slug} " in line]
    assert "reset" in listed[0] and "passed" not in listed[0], listed
    assert f"{TIME_ROUTE.level}" in graders(kit).stdout and "0/" in graders(kit).stdout


# --- hint ----------------------------------------------------------------------------------------------

def test_hint_advances_one_at_a_time_and_remembers(kit):
    hints = FIRST.hints
    first = graders(kit, "hint")
    assert f"Hint 1/{len(hints)}" in first.stdout and hints[0].text[:30] in first.stdout
    second = graders(kit, "hint", FIRST.slug)
    assert f"Hint 2/{len(hints)}" in second.stdout and "Hint 1/" not in second.stdout
    state = json.loads((kit / "learner-state.json").read_text(encoding="utf-8"))
    assert state["hints_seen"] == {FIRST.slug: 2}
    seen = graders(kit, "hint", "--all")
    assert "Hint 1/" in seen.stdout and "Hint 2/" in seen.stdout and "Hint 3/" not in seen.stdout
    for _ in range(len(hints)):
        last = graders(kit, "hint")
    assert f"Hint {len(hints)}/{len(hints)}" in last.stdout and "last hint" in last.stdout  # only here


# --- check ---------------------------------------------------------------------------------------------

def test_check_runs_the_grader_and_passes_its_exit_status_through(kit):
    done = graders(kit, "check", TIME_ROUTE.slug, cwd=kit / "exercises")
    assert done.returncode == 1, done.stdout  # the untouched starter fails
    assert "test_time_route.py" in done.stdout and "your progress" in done.stdout
    results = json.loads((kit / "grader-results.json").read_text(encoding="utf-8"))
    assert results["challenges"]["time_route"]["status"] == "failed"
    assert not (kit / "exercises" / "grader-results.json").exists()


def test_check_passes_the_graders_options_through(kit):
    """`check SLUG --server-url 127.0.0.1:PORT -k WORDS` reaches pytest: a learner's own running server."""
    import socket as socket_module
    with socket_module.socket() as idle:
        idle.bind(("127.0.0.1", 0))
        port = idle.getsockname()[1]
    done = graders(kit, "check", TIME_ROUTE.slug, "--server-url", f"127.0.0.1:{port}", "-k", "time")
    no_traceback(done)
    assert "unrecognized arguments" not in done.stdout + done.stderr
    assert f"Nothing answers at http://127.0.0.1:{port}" in done.stdout, done.stdout[-2000:]
    refused = graders(kit, "list", "--server-url", "x")
    assert refused.returncode == 2 and "unrecognized arguments" in refused.stdout + refused.stderr


def test_check_all_grades_each_challenge_of_a_level_in_one_line(kit):
    for challenge in CATALOG:
        if challenge.level == "beginner" and challenge.slug != TIME_ROUTE.slug:
            shutil.copytree(kit / "solutions" / "beginner" / challenge.slug,
                            kit / "exercises" / "beginner" / challenge.slug, dirs_exist_ok=True)
    done = graders(kit, "check", "--level", "beginner", timeout=120)
    assert done.returncode == 1, done.stdout        # time_route's starter still fails
    rows = [line for line in done.stdout.splitlines() if line.startswith("  ") and "/" in line]
    assert [row.split()[1] for row in rows] == [c.slug for c in CATALOG if c.level == "beginner"], done.stdout
    assert all("passes" in row for row in rows if TIME_ROUTE.slug not in row)
    assert "beginner" in done.stdout and "3 of 4 pass." in done.stdout


def test_hints_that_hold_code_keep_their_lines():
    from graders.learner.hints import wrap_keeping_code
    text = "The loop, whole:\n    while True:\n        conn, _ = listener.accept()\nThen " + "word " * 40
    lines = wrap_keeping_code(text, 60, "", "    ")
    assert lines[1:3] == ["        while True:", "            conn, _ = listener.accept()"]
    assert all(len(line) <= 60 for line in lines)
    for challenge in CATALOG:            # no hint flattens Python onto one line with ';'
        for hint in challenge.hints:
            assert "; while " not in hint.text and "; try:" not in hint.text, (challenge.slug, hint.name)


# --- watch, in a real terminal -------------------------------------------------------------------------

class Terminal:
    """A pseudo-terminal running one command: read what it prints, type into it."""

    def __init__(self, argv: list[str], cwd: Path, env: dict):
        import pty
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the command
            os.chdir(cwd)
            os.execve(argv[0], argv, env)
        self.seen = ""

    def wait_for(self, text: str, seconds: float) -> float:
        started = deadline = time.monotonic()
        deadline += seconds
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} did not appear within {seconds} s; the screen:\n{self.seen}")
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if ready:
                try:
                    self.seen += os.read(self.fd, 65536).decode("utf-8", "replace")
                except OSError:  # the command exited
                    raise AssertionError(f"it exited before {text!r}; the screen:\n{self.seen}") from None
        return time.monotonic() - started

    def exit_status(self, seconds: float = 10) -> int | None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.05)
        return None

    def close(self) -> None:
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal is POSIX (watch runs on Windows too)")


def no_process_left(kit: Path) -> None:
    deadline = time.monotonic() + 5
    while processes_mentioning(str(kit)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_mentioning(str(kit)), "a process was left behind"


@POSIX_ONLY
def test_watch_goes_from_a_crash_to_a_pass_waits_for_n_and_stops_cleanly_on_ctrl_c(kit):
    write_results(kit, {c.slug: "passed" for c in CATALOG[:CATALOG.index(TIME_ROUTE)]})
    starter = kit / "exercises" / "beginner" / "time_route" / "server.py"
    starter.write_text(starter.read_text(encoding="utf-8").replace("def main(", "def main(:", 1), encoding="utf-8")
    terminal = Terminal([sys.executable, "-m", "graders", "watch"], kit, kit_env(kit))
    try:
        terminal.wait_for("Keys: h hint", 10)
        terminal.wait_for("for saves (q or Ctrl+C to stop", 30)    # a SyntaxError: the server never starts
        assert "SyntaxError" in terminal.seen, terminal.seen       # and watch shows what it printed
        assert "short test summary" not in terminal.seen, terminal.seen
        shutil.copyfile(kit / "solutions" / "beginner" / "time_route" / "server.py", starter)  # the learner saves
        took = terminal.wait_for("time_route passes all", 15)
        assert took < 8, f"the pass line came {took:.1f} s after the save"
        terminal.wait_for("Press n for the next challenge", 5)
        time.sleep(1.0)
        following = CATALOG[CATALOG.index(TIME_ROUTE) + 1]
        assert f"On to: {following.slug}" not in terminal.seen, "it left the challenge without being told"
        os.write(terminal.fd, b"?")
        terminal.wait_for("? these keys.", 15)
        os.write(terminal.fd, b"h")
        terminal.wait_for("Hint 1/", 15)
        os.write(terminal.fd, b"n")
        terminal.wait_for(f"On to: {following.slug}", 15)
        terminal.wait_for(f"Grading {following.slug}", 15)
        os.write(terminal.fd, b"\x03")  # Ctrl+C, while the next challenge's grader runs
        terminal.wait_for("Stopped watching.", 15)
        assert terminal.exit_status() == 0
    finally:
        terminal.close()
    no_process_left(kit)
    results = json.loads((kit / "grader-results.json").read_text(encoding="utf-8"))
    assert results["challenges"]["time_route"]["status"] == "passed"


@POSIX_ONLY
def test_watch_keys_list_and_quit_and_the_terminal_is_restored(kit):
    import termios
    terminal = Terminal([sys.executable, "-m", "graders", "watch", TIME_ROUTE.slug], kit, kit_env(kit))
    try:
        before = termios.tcgetattr(terminal.fd)
        terminal.wait_for("for saves (q or Ctrl+C", 30)
        os.write(terminal.fd, b"l")
        terminal.wait_for(f"{CATALOG[-1].slug}", 15)
        os.write(terminal.fd, b"q")
        terminal.wait_for("Stopped watching.", 15)
        after = termios.tcgetattr(terminal.fd)
        assert terminal.exit_status() == 0
    finally:
        terminal.close()
    assert after[3] == before[3], "the terminal was left in cbreak mode (no echo)"
    no_process_left(kit)


def test_watch_given_a_passed_challenge_stays_on_it_when_piped(kit):
    """Piped (no terminal), watch SLUG still never leaves SLUG: a pass does not jump to another challenge."""
    shutil.copyfile(kit / "solutions" / "beginner" / "time_route" / "server.py",
                    kit / "exercises" / "beginner" / "time_route" / "server.py")
    import subprocess
    process = subprocess.Popen([sys.executable, "-m", "graders", "watch", TIME_ROUTE.slug], cwd=kit,
                               env=kit_env(kit), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    seen = ""
    try:
        deadline = time.monotonic() + 30
        while "for saves" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.5)
            if ready:   # raw reads: a buffered readline() would keep lines that select() no longer sees
                seen += os.read(process.stdout.fileno(), 65536).decode("utf-8", "replace")
        time.sleep(1.0)    # long enough to have moved on, were it going to
        ready, _, _ = select.select([process.stdout], [], [], 0)
        if ready:
            seen += os.read(process.stdout.fileno(), 65536).decode("utf-8", "replace")
    finally:
        process.kill()
        process.wait()
    assert "time_route passes all" in seen and "Watching exercises" in seen, seen
    assert "On to:" not in seen, seen
    no_process_left(kit)


def test_watch_shows_the_servers_last_lines_when_it_crashed():
    output = ("E   Your server exited with code 1 before accepting connections; it printed:\n"
              "    Traceback (most recent call last):\n      File \"server.py\", line 3\n"
              "    SyntaxError: expected ':'\n\n(checked at x)\n")
    assert watch.server_lines(output) == ["    Traceback (most recent call last):", '      File "server.py", line 3',
                                          "    SyntaxError: expected ':'"]
    listening = "Your server printed (last lines):\n    listening on http://127.0.0.1:1/\n"
    assert watch.server_lines(listening) == []     # a healthy server's banner is not news


def test_watch_skips_what_editors_and_python_write(tmp_path):
    (tmp_path / "__pycache__").mkdir()
    for name in ("server.py", "notes.html", "__pycache__/server.cpython-311.pyc", ".server.py.swp", "server.py~",
                 "4913", "#server.py#"):
        (tmp_path / name).write_text("x")
    assert set(watch.snapshot(tmp_path)) == {"server.py", "notes.html"}


# --- reset ---------------------------------------------------------------------------------------------

def test_reset_restores_the_shipped_bytes_and_keeps_a_backup(kit):
    folder = kit / "exercises" / TIME_ROUTE.level / TIME_ROUTE.slug
    shipped = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    (folder / "server.py").write_text("my broken work\n", encoding="utf-8")
    (folder / "notes.txt").write_text("my notes\n", encoding="utf-8")

    asked = graders(kit, "reset", TIME_ROUTE.slug, stdin="n\n")
    assert asked.returncode == 1 and "Nothing changed" in asked.stdout
    assert (folder / "server.py").read_text(encoding="utf-8") == "my broken work\n"

    done = graders(kit, "reset", TIME_ROUTE.slug, "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == shipped, "exactly as shipped"
    backups = list((kit / "backups").iterdir())
    assert len(backups) == 1 and backups[0].name.startswith("time_route-")
    assert (backups[0] / "server.py").read_text(encoding="utf-8") == "my broken work\n"
    assert (backups[0] / "notes.txt").read_text(encoding="utf-8") == "my notes\n"
    assert f"{Path('backups', backups[0].name)}" in done.stdout

    again = graders(kit, "reset", TIME_ROUTE.slug, "--yes")
    assert again.returncode == 0 and "already exactly as shipped" in again.stdout


def test_reset_refuses_when_the_backup_cannot_be_written(kit):
    folder = kit / "exercises" / TIME_ROUTE.level / TIME_ROUTE.slug
    (folder / "server.py").write_text("my work\n", encoding="utf-8")
    (kit / "backups").write_text("a file where the backup folder should go\n")  # fails as root too
    done = graders(kit, "reset", TIME_ROUTE.slug, "--yes")
    assert done.returncode == 2 and "Could not write the backup" in done.stderr and "Nothing was changed" in done.stderr
    assert (folder / "server.py").read_text(encoding="utf-8") == "my work\n"
    no_traceback(done)


# --- solution ------------------------------------------------------------------------------------------

def test_solution_asks_before_a_pass_and_shows_the_diff(kit):
    refused = graders(kit, "solution", TIME_ROUTE.slug, stdin="\n")
    assert refused.returncode == 1 and "spoils the lesson" in refused.stdout and "+++" not in refused.stdout
    shown = graders(kit, "solution", TIME_ROUTE.slug, "--yes")
    assert shown.returncode == 0
    assert "--- exercises/beginner/time_route/server.py" in shown.stdout
    assert "+++ solutions/beginner/time_route/server.py" in shown.stdout and "\n+" in shown.stdout
    write_results(kit, {TIME_ROUTE.slug: "passed"})
    after_a_pass = graders(kit, "solution", TIME_ROUTE.slug)
    assert after_a_pass.returncode == 0 and "spoils" not in after_a_pass.stdout and "+++" in after_a_pass.stdout


# --- doctor --------------------------------------------------------------------------------------------

def test_doctor_reports_a_proxy_problem_and_a_busy_port(kit):
    healthy = graders(kit, "doctor")
    assert healthy.returncode == 0, healthy.stdout
    assert all(line.split()[0] in ("ok", "warning", "problem", "fix:") for line in healthy.stdout.splitlines()[:-2]
               if line.strip())
    assert "ok       the kit is installed" in healthy.stdout

    busy = socket.socket()
    try:
        busy.bind(("127.0.0.1", 8002))
        busy.listen(1)
    except OSError:
        pass  # something else already holds 8002: the warning is expected all the same
    try:
        env = kit_env(kit, HTTP_PROXY="http://proxy.example:3128")
        done = graders(kit, "doctor", env=env)
    finally:
        busy.close()
    assert done.returncode == 1, done.stdout
    assert "problem  HTTP_PROXY set, but NO_PROXY does not cover 127.0.0.1 and localhost" in done.stdout
    assert "fix: export NO_PROXY=127.0.0.1,localhost" in done.stdout
    assert "warning  port 8002 is busy" in done.stdout


def test_proxy_rules_and_the_fix_for_each_os():
    assert doctor.proxy({}).level == "ok"
    assert doctor.proxy({"https_proxy": "http://p:1", "no_proxy": "localhost,127.0.0.1"}).level == "ok"
    assert doctor.proxy({"ALL_PROXY": "socks5://p:1", "NO_PROXY": "*"}).level == "ok"
    assert doctor.proxy({"HTTP_PROXY": "http://p:1", "NO_PROXY": "127.0.0.0/8,.localhost"}).level == "ok"
    partly = doctor.proxy({"HTTP_PROXY": "http://p:1", "NO_PROXY": "localhost"}, platform="win32")
    assert partly.level == "problem" and partly.fix.startswith("set NO_PROXY=localhost,127.0.0.1")
    assert set_variable("PYTHONUTF8", "1", "darwin") == "export PYTHONUTF8=1"
    assert "$env:PYTHONUTF8" in set_variable("PYTHONUTF8", "1", "win32")


def test_a_console_that_cannot_print_utf8_gets_a_warning_with_its_fix():
    import io
    old_windows_console = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    finding = doctor.console(old_windows_console, platform="win32")
    assert finding.level == "warning" and "set PYTHONUTF8=1" in finding.fix
    assert doctor.console(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")).level == "ok"
    assert doctor.python_version((3, 9, 18)).level == "problem" and doctor.python_version((3, 10, 0)).level == "ok"


# --- join, and bad input -------------------------------------------------------------------------------

def test_join_remembers_the_board_and_the_name(kit):
    done = graders(kit, "join", "http://10.0.0.5:8000/?code=ABCD", "--name", "Ada Lovelace")
    assert done.returncode == 0, done.stderr
    state = json.loads((kit / "learner-state.json").read_text(encoding="utf-8"))
    key = state["board"].pop("key")                  # the learner key `join` made (issue 19): random, 22 characters
    assert len(key) == 22 and state["board"] == {"url": "http://10.0.0.5:8000/", "code": "ABCD"}
    assert state["name"] == "Ada Lovelace"
    assert "Ada Lovelace" in graders(kit).stdout
    bad = graders(kit, "join", "http://10.0.0.5:8000/")
    assert bad.returncode == 2 and "no join code" in bad.stderr
    no_traceback(bad)
    assert parse_board_url("10.0.0.5:8000/?code=XY")["url"] == "http://10.0.0.5:8000/"
    with pytest.raises(UserError):
        parse_board_url("http://:80/?code=A")


def test_an_unknown_challenge_lists_close_matches_without_a_traceback(kit):
    done = graders(kit, "hint", "time_rout")
    assert done.returncode == 2 and "Did you mean: time_route" in done.stderr
    no_traceback(done)
    for args in (["reset"], ["frobnicate"], ["check", "--seed", "x"]):
        done = graders(kit, *args)
        assert done.returncode == 2 and "--help" in done.stderr, (args, done.stderr)
        no_traceback(done)


@pytest.mark.skipif(os.name != "posix", reason="a shell pipeline into head")
def test_a_closed_pipe_is_not_a_traceback(kit):
    import subprocess
    for reader in ("head -1", "true"):  # reads a line and leaves; leaves at once
        done = subprocess.run(f"{sys.executable} -m graders list | {reader}", shell=True, cwd=kit,
                              env=kit_env(kit), capture_output=True, text=True, timeout=30)
        assert done.stderr == "", done.stderr


def test_wsfs_is_the_console_script():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["wsfs"] == "graders.__main__:main"
    from graders.__main__ import main
    assert main(["list"]) == 0


def test_one_rule_says_what_belongs_to_a_challenge(kit):
    """watch, reset and solution agree: an editor's server.py~ and .server.py.swp are not the learner's work."""
    folder = kit / "exercises" / TIME_ROUTE.level / TIME_ROUTE.slug
    for name in ("server.py~", ".server.py.swp", "#server.py#"):
        (folder / name).write_text("editor's\n", encoding="utf-8")
    (folder / "server.py").write_text("# mine\n", encoding="utf-8")
    shown = graders(kit, "solution", TIME_ROUTE.slug, "--yes").stdout
    assert "server.py~" not in shown and ".swp" not in shown and "server.py" in shown, shown
    asked = graders(kit, "reset", TIME_ROUTE.slug, stdin="n\n").stdout
    assert "will be removed" not in asked and "server.py~" not in asked, asked
    assert set(watch.snapshot(folder)) == {p.relative_to(folder).as_posix() for p in folder.rglob("*")
                                           if p.is_file() and p.name in ("server.py",) or p.suffix == ".html"}
