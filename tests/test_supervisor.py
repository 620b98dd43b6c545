"""The one process supervisor (graders/supervisor): whatever happens to its caller, no server outlives it.

The caller is a real Python process that starts a real server through the supervisor, prints the server's
port, and waits. We then end the caller the rude ways (SIGKILL, SIGHUP: a closed terminal) and check that
the port stops answering, including for a child that left the process group with setsid().
"""
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from graders.ground import KIT_ROOT as ROOT
from graders.supervisor import ServerProcess, free_port

POSIX = os.name == "posix"

CALLER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from graders.supervisor import running
    with running("async_server", [], Path(sys.argv[1])) as port:
        print(port, flush=True)
        time.sleep(60)
""")

# A server that starts a daemon-like child in a new session (setsid): it leaves the process group, so a
# signal to the group misses it. The child listens on the port given; the parent just waits.
ESCAPING_SERVER = textwrap.dedent("""
    import os, socket, sys, time
    port = int(sys.argv[sys.argv.index("--port") + 1])
    if os.fork() == 0:
        os.setsid()
        listener = socket.create_server(("127.0.0.1", port))
        while True:
            conn, _ = listener.accept()
            conn.close()
    time.sleep(60)
""")


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def gone_within(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while answers(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(not POSIX, reason="sends POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGHUP], ids=["sigkill", "sighup"])
def test_a_server_dies_with_its_caller(signum, tmp_path):
    caller = subprocess.Popen([sys.executable, "-c", CALLER, str(tmp_path / "server.log")], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        port = int(caller.stdout.readline())
        assert answers(port)
        caller.send_signal(signum)
        caller.wait(timeout=5)
        assert gone_within(port, 5), f"the server on port {port} outlived its caller's {signum.name}"
    finally:
        if caller.poll() is None:
            caller.kill()
            caller.wait()


@pytest.mark.skipif(not POSIX or not hasattr(os, "fork"), reason="setsid() and fork() are POSIX")
def test_a_child_that_left_the_group_is_stopped_too(tmp_path):
    script = tmp_path / "escaping_server.py"
    script.write_text(ESCAPING_SERVER, encoding="utf-8")
    port = free_port()
    server = ServerProcess([sys.executable, str(script), "--port", str(port)], tmp_path / "out.log")
    server.start()
    try:
        server.wait_until_listening(port, deadline=5)
    finally:
        server.stop()
    assert gone_within(port, 3), "a child that called setsid() kept the port after stop()"


def test_an_early_exit_is_reported_with_the_last_line(tmp_path):
    from graders.supervisor import ServerFailed
    server = ServerProcess([sys.executable, "-c", "print('no such page'); raise SystemExit(3)"], tmp_path / "log")
    server.start()
    try:
        with pytest.raises(ServerFailed, match="exited with code 3: no such page"):
            server.wait_until_listening(free_port(), deadline=5)
    finally:
        server.stop()
