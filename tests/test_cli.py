"""How a person runs the servers: the list, `python reference/x.py`, Ctrl+C, and a busy port."""
import os
import signal
import socket
import subprocess
import sys

import pytest

from reference.__main__ import SERVERS
from graders.supervisor import ROOT, free_port, wait_until_listening
from tests.reference_helpers import get


def test_python_m_reference_lists_every_server():
    listing = subprocess.run([sys.executable, "-m", "reference"], cwd=ROOT, capture_output=True, text=True,
                             timeout=20).stdout
    for name in SERVERS:
        assert f"python -m reference.{name}" in listing
    assert sorted(SERVERS) == sorted(p.stem for p in (ROOT / "reference").glob("*_server.py"))


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


def test_a_busy_port_gives_one_line_to_act_on():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "reference.async_server", "--port", str(port)],
                                cwd=ROOT, capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert f"port {port} is already in use" in result.stderr and "Traceback" not in result.stderr
