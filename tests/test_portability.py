"""Windows and macOS, tested on any OS: each OS-specific choice is a small function that takes the platform.

What this machine can really do is done for real: a cp1252 console, a CRLF checkout, a non-ASCII git name
given as raw UTF-8 bytes. What only Windows can do (a Job Object, NTSTATUS exit codes) is checked as far as
it goes without Windows: the code paths, the structures' sizes, and the values they produce.
"""
import ctypes
import errno
import os
import shutil
import subprocess
import sys

import pytest
import requests

from graders.ground import KIT_ROOT as ROOT
from graders.harness.clients import curl_line
from graders.harness.commands import quote
from graders.supervisor import exit_codes, windows_job
from reference import async_server, cli, httpd_server

# --- printed commands -------------------------------------------------------------------------------

def prepared(method: str, url: str, **options):
    return requests.Request(method, url, **options).prepare()


def test_curl_lines_are_quoted_for_the_shell_they_are_printed_in():
    request = prepared("POST", "http://127.0.0.1:8002/search?q=a&page=2", json={"text": "it's \"x\""})
    posix, windows = curl_line(request, "linux"), curl_line(request, "win32")
    assert posix.startswith("curl -i -X POST 'http://127.0.0.1:8002/search?q=a&page=2' ")
    assert windows.startswith('curl.exe -i -X POST "http://127.0.0.1:8002/search?q=a&page=2" ')
    assert "'" not in windows.replace("it's", "")                    # cmd does not know single quotes
    assert windows.endswith('--data-binary "{\\"text\\": \\"it\'s \\\\\\"x\\\\\\"\\"}"')


@pytest.mark.parametrize("word, windows", [
    ("plain", "plain"),
    ("two words", '"two words"'),
    ("a&b", '"a&b"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("C:\\Program Files\\x", '"C:\\Program Files\\x"'),
    ("", '""'),
])
def test_windows_quoting_follows_the_rules_programs_read_their_arguments_by(word, windows):
    assert quote(word, "win32") == windows


def test_windows_quoting_round_trips_through_the_standard_splitter():
    # subprocess.list2cmdline is CPython's implementation of the same MSVCRT rules, in the other direction.
    for word in ['{"text": "x"}', 'back\\slash "quoted"', "a b\\", 'two\\\\" q', "a\\b c"]:
        assert quote(word, "win32") == subprocess.list2cmdline([word])


# --- exit codes --------------------------------------------------------------------------------------

def test_an_ntstatus_is_shown_in_hex_with_its_meaning():
    ctrl_c = 0xC000013A
    assert exit_codes.describe(ctrl_c, "win32") == "exited with code 0xC000013A (STATUS_CONTROL_C_EXIT: " \
                                                  "stopped by Ctrl+C or a closed window)"
    assert exit_codes.describe(ctrl_c - 2**32, "win32").startswith("exited with code 0xC000013A")
    assert exit_codes.describe(-9, "linux") == "was killed by signal 9 (SIGKILL)"
    assert exit_codes.describe(1, "win32") == "exited with code 1"


# --- the Job Object ---------------------------------------------------------------------------------

def test_the_job_limits_have_windows_layout_and_ask_for_kill_on_close():
    limits = windows_job.kill_on_close_limits()
    assert limits.BasicLimitInformation.LimitFlags == 0x2000
    if ctypes.sizeof(ctypes.c_void_p) == 8:      # the sizes Windows' headers give on 64-bit
        assert ctypes.sizeof(windows_job.JOBOBJECT_BASIC_LIMIT_INFORMATION) == 64
        assert ctypes.sizeof(windows_job.JOBOBJECT_EXTENDED_LIMIT_INFORMATION) == 144


def test_no_job_is_made_where_there_are_process_groups():
    assert windows_job.hold_in_job(1234, "linux") is None
    windows_job.end_job(None, "darwin")          # nothing to end, and no error


# --- ports -------------------------------------------------------------------------------------------

def os_error(number: int, winerror: int | None = None) -> OSError:
    error = OSError(number, os.strerror(number))
    if winerror is not None:
        error.winerror = winerror
    return error


def test_a_reserved_port_on_windows_names_the_command_that_lists_them():
    message = cli.port_problem(os_error(errno.EACCES, 10013), "async_server", 8002, "win32")
    assert "netsh int ipv4 show excludedportrange protocol=tcp" in message and "--port 8080" in message
    assert "administrator" in cli.port_problem(os_error(errno.EACCES), "async_server", 80, "linux")
    assert "already in use" in cli.port_problem(os_error(errno.EADDRINUSE), "async_server", 8002, "linux")
    assert cli.port_problem(os_error(errno.ENOENT), "async_server", 8002, "linux") is None


def test_macos_asks_whether_anything_listens_before_binding():
    def answering(address, timeout):
        class Connection:
            def close(self):
                pass
        return Connection()

    def refusing(address, timeout):
        raise ConnectionRefusedError

    assert cli.taken_by_another_server(8002, "darwin", answering) is True
    assert cli.taken_by_another_server(8002, "darwin", refusing) is False
    assert cli.taken_by_another_server(8002, "linux", answering) is False   # there, the bind says so itself


def test_reuse_address_is_off_on_windows_only():
    assert httpd_server.reuse_address_is_safe("win32") is False
    assert httpd_server.reuse_address_is_safe("linux") and httpd_server.reuse_address_is_safe("darwin")


# --- asyncio on Windows -------------------------------------------------------------------------------

class RecordingLoop:
    def __init__(self):
        self.reported = []

    def default_exception_handler(self, context):
        self.reported.append(context)


def test_a_client_reset_is_not_reported_but_a_real_error_is():
    loop = RecordingLoop()
    async_server.quiet_connection_resets(loop, {"message": "WinError 10054", "exception": ConnectionResetError()})
    async_server.quiet_connection_resets(loop, {"message": "aborted", "exception": ConnectionAbortedError()})
    assert loop.reported == []
    async_server.quiet_connection_resets(loop, {"message": "a bug", "exception": ZeroDivisionError()})
    assert [c["message"] for c in loop.reported] == ["a bug"]


# --- consoles and checkouts -------------------------------------------------------------------------

def run_grader_in(kit, target: str, *args: str, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, "--target", target,
                           "--results", str(kit / "results.json")], cwd=kit, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_a_cp1252_console_shows_the_failure_readably(tmp_path):
    """pytest re-encodes a failure it cannot print with unicode-escape: the whole text became one line of
    escapes. Now only the characters the console lacks are escaped, and the rest stays as it was written."""
    grader = tmp_path / "graders" / "beginner" / "test_mime_types.py"
    grader.parent.mkdir(parents=True)
    grader.write_text("from graders.harness import expect, fetch\n\n"
                      "def test_tokyo(server):\n"
                      "    answer = fetch(server, 'GET', '/')\n"
                      "    expect(False, answer, expected='a page about \u6771\u4eac, caf\u00e9')\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", str(grader), "-p", "graders.harness.plugin",
                           "-p", "no:cacheprovider", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
                           "--target", str(ROOT / "solutions"), "--results", str(tmp_path / "r.json")],
                          cwd=ROOT, capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"})
    output = done.stdout.decode("cp1252")
    assert "a page about \\u6771\\u4eac, caf\u00e9" in output, output[-2000:]
    assert "\nWe sent" in output.replace("\r\n", "\n"), "the failure was not readable"


def test_a_crlf_checkout_is_graded_against_the_bytes_on_disk(tmp_path):
    """Git for Windows without .gitattributes checks text out with CRLF: the graders compare against the
    files as they are on disk, so a correct server still passes."""
    kit = tmp_path / "kit"
    shutil.copytree(ROOT, kit, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", ".pytest_cache"))
    for page in (kit / "static").rglob("*"):
        if page.suffix in (".html", ".css", ".js", ".txt", ".json", ".svg"):
            page.write_bytes(page.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    done = run_grader_in(kit, "solutions", "graders/beginner/test_mime_types.py", "graders/foundations/"
                         "test_serve_files.py", env={"PYTHONPATH": str(kit)})
    assert done.returncode == 0, done.stdout.decode(errors="replace")[-3000:]


def test_a_git_name_in_utf8_is_read_as_utf8_whatever_the_console():
    from graders.ground.names import decode_git
    assert decode_git("\u0141ukasz \u0410\u043d\u043d\u0430 Jos\u00e9\n".encode("utf-8")) == \
        "\u0141ukasz \u0410\u043d\u043d\u0430 Jos\u00e9"
    assert decode_git(b"bad \x81\x8d byte") == "bad \ufffd\ufffd byte"   # never a crash


def test_gitattributes_keep_text_lf_and_binaries_untouched():
    rules = (ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert "* text=auto eol=lf" in rules
    for pattern in ("*.png", "*.jpg", "*.gif", "*.webp", "*.ico", "*.woff2", "*.zip"):
        assert f"{pattern} binary" in rules
