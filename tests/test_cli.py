"""How a person runs the servers: the list, `python reference/x.py`, Ctrl+C, a busy port, and the netcat demo."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from graders.ground import KIT_ROOT as ROOT
from graders.supervisor import free_port, wait_until_listening
from reference.__main__ import DEMOS, SERVERS
from tests.reference_helpers import get


def test_python_m_reference_lists_every_server():
    listing = subprocess.run([sys.executable, "-m", "reference"], cwd=ROOT, capture_output=True, text=True,
                             timeout=20).stdout
    for name in SERVERS:
        assert f"python -m reference.{name}" in listing
    for name in DEMOS:
        assert f"sh reference/{name}" in listing
    assert sorted(SERVERS) == sorted(p.stem for p in (ROOT / "reference").glob("*_server.py"))
    assert sorted(DEMOS) == sorted(p.name for p in (ROOT / "reference").glob("*_server.sh"))


@pytest.mark.skipif(os.name == "nt" or not shutil.which("nc"), reason="the demo needs a POSIX shell and nc")
def test_the_netcat_demo_answers_every_request_with_the_same_page(tmp_path):
    port, log = free_port(), tmp_path / "out.log"
    with open(log, "wb") as out:   # its own session: one signal to the group stops sh and its nc together
        process = subprocess.Popen(["sh", "reference/netcat_server.sh", str(port)], cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        pages = []
        for path in ("/", "/anything/at/all"):
            answer = get_when_listening(port, path, process)
            assert (answer.status_code, answer.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
            pages.append(answer.content)
        assert pages[0] == pages[1] and b"Hello" in pages[0]
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)      # sh and the nc it is waiting on
        except ProcessLookupError:
            pass
        process.wait(timeout=5)
    assert f"http://127.0.0.1:{port}/" in log.read_text()


@pytest.mark.skipif(os.name == "nt", reason="sends SIGINT, which is how Ctrl+C reaches a POSIX process")
@pytest.mark.parametrize("name", list(SERVERS))
def test_runs_as_a_file_prints_its_url_and_says_goodbye_on_ctrl_c(name, tmp_path):
    port, log = free_port(), tmp_path / "out.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-u", f"reference/{name}.py", "--port", str(port)],
                                   cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_listening(port, process.poll, deadline=10)
        assert get(port, "/").status == 200
        process.send_signal(signal.SIGINT)
        process.wait(timeout=5)
    finally:
        process.kill()
        process.wait()
    output = log.read_text()
    assert f"http://127.0.0.1:{port}/" in output
    assert "Bye" in output.splitlines()[-1]
    assert "Traceback" not in output


def get_when_listening(port: int, path: str, process, deadline: float = 10.0) -> requests.Response:
    """GET path once nc listens. nc serves one client and exits, and the loop starts the next nc a moment
    later, so a readiness probe would use up the very answer we want. requests, like curl, reads
    Content-Length bytes and hangs up: nc waits for that before it exits."""
    give_up = time.monotonic() + deadline
    with requests.Session() as session:
        session.trust_env = False          # no proxy between us and 127.0.0.1
        while True:
            assert process.poll() is None, "the netcat demo exited"
            try:
                return session.get(f"http://127.0.0.1:{port}{path}", timeout=5)
            except requests.ConnectionError:
                if time.monotonic() > give_up:
                    raise
                time.sleep(0.05)


def test_a_busy_port_gives_one_line_to_act_on():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "reference.async_server", "--port", str(port)],
                                cwd=ROOT, capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert f"port {port} is already in use" in result.stderr and "Traceback" not in result.stderr
