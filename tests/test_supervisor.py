"""The one process supervisor (graders/supervisor): whatever happens to its caller, no server outlives it.

The caller is a real Python process that starts real servers through the supervisor, prints their ports,
and waits. We then end the caller the rude ways (SIGKILL, SIGHUP: a closed terminal) and check that the ports
stop answering, including for a child that left the process group with setsid(), and that one watchdog serves
all of a caller's servers.
"""
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT as ROOT
from graders.supervisor import CREATE_NEW_PROCESS_GROUP, ServerProcess, free_port, hear_ctrl_c, new_group
from graders.supervisor.watchdog import listed_until_eof
from tests.kit_copy import processes_mentioning

POSIX = os.name == "posix"

CALLER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from graders.supervisor import running
    with running("async_server", [], Path(sys.argv[1])) as port:
        print(port, flush=True)
        time.sleep(60)
""")

# Three servers; the caller kills its watchdog after the first when asked to (argv[2]), so the next start must
# bring up another that lists all three.
CALLER_OF_THREE = textwrap.dedent("""
    import os, signal, sys, time
    from pathlib import Path
    from graders.supervisor import running
    from graders.supervisor.lifeline import lifeline
    with running("async_server", [], Path(sys.argv[1] + "1")) as one:
        if sys.argv[2] == "kill-watchdog":
            os.kill(lifeline.watchdog.pid, signal.SIGKILL)
            lifeline.watchdog.wait()
        with running("blocking_server", [], Path(sys.argv[1] + "2")) as two:
            with running("routing_server", [], Path(sys.argv[1] + "3")) as three:
                print(one, two, three, flush=True)
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


def watchdogs_of(pid: int) -> list[str]:
    return [line for line in processes_mentioning("watchdog.py") if parent_of(int(line.split()[0])) == pid]


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None                 # it exited meanwhile (other tests' watchdogs come and go)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads parent links from /proc (Linux)")
@pytest.mark.parametrize("watchdog", ["kept", "kill-watchdog"])
def test_one_watchdog_serves_all_of_a_callers_servers_and_a_killed_one_is_replaced(watchdog, tmp_path):
    caller = subprocess.Popen([sys.executable, "-c", CALLER_OF_THREE, str(tmp_path / "server.log"), watchdog],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        ports = [int(port) for port in caller.stdout.readline().split()]
        assert len(ports) == 3 and all(answers(port) for port in ports)
        assert len(watchdogs_of(caller.pid)) == 1, processes_mentioning("watchdog.py")
        caller.kill()
        caller.wait(timeout=5)
        assert all(gone_within(port, 5) for port in ports), f"a server outlived its caller ({watchdog})"
    finally:
        if caller.poll() is None:
            caller.kill()
            caller.wait()


def test_the_watchdog_stops_the_servers_still_listed_when_its_pipe_closes():
    assert listed_until_eof([b"+10\n", b"+11\n", b"-10\n", b"+12\n", b"\n", b"+x\n"]) == {11, 12}
    assert listed_until_eof([]) == set()


def test_a_server_leads_a_group_of_its_own_and_hears_ctrl_c_even_when_its_caller_ignores_it():
    assert new_group("linux") == {"start_new_session": True}
    assert new_group("darwin", ctrl_c_ignored=True) == {"start_new_session": True, "preexec_fn": hear_ctrl_c}
    assert new_group("win32") == {"creationflags": CREATE_NEW_PROCESS_GROUP} and CREATE_NEW_PROCESS_GROUP == 0x200


@pytest.mark.skipif(not POSIX, reason="SIGINT ignored, and the default SIGINT, are POSIX")
def test_a_server_started_by_a_caller_that_ignores_ctrl_c_still_stops_on_ctrl_c(tmp_path):
    caller = textwrap.dedent("""
        import signal, sys, time
        from pathlib import Path
        from graders.supervisor import ServerProcess, free_port
        signal.signal(signal.SIGINT, signal.SIG_IGN)                 # as a shell's background job starts
        port = free_port()
        server = ServerProcess([sys.executable, "-m", "reference.async_server", "--port", str(port)],
                               Path(sys.argv[1]))
        server.start()
        server.wait_until_listening(port)
        server.process.send_signal(signal.SIGINT)
        server.wait_for_exit(5)
        print(server.exit_code)
        server.stop()
    """)
    done = subprocess.run([sys.executable, "-c", caller, str(tmp_path / "log")], cwd=ROOT, capture_output=True,
                          text=True, timeout=30)
    assert done.stdout.strip() not in ("None", ""), done.stdout + done.stderr


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
