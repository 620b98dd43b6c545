"""The watchdog between pytest and a learner's server:  python launcher.py <server command...>

Why it exists: if pytest is killed outright (SIGKILL, a closed terminal, an IDE's stop button), no cleanup code
in pytest runs, and the learner's server would keep its port forever. So pytest starts this small process
instead, with a pipe on its stdin (the "lifeline") that pytest never writes to. When pytest closes the pipe,
on purpose or because it died, the read below returns end-of-file and we stop the server.

The launcher runs as the leader of its own process group (pytest starts it in a new session), and the server
and anything it starts inherit that group, so one signal to the group reaches them all.
It exits with the server's own exit code (or dies of the same signal), so pytest can report it.
Standard library only, and run as a file, so it starts in a few milliseconds.
"""
import os
import signal
import subprocess
import sys
import threading

POSIX = os.name == "posix"


def main(command: list[str]) -> None:
    if POSIX and os.getpgrp() != os.getpid():
        os.setsid()  # lead our own group, so that killing "our group" can never reach whoever started us
    group = {} if POSIX else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL, **group)
    if POSIX:
        # Ignore SIGTERM only after the server started, so the server keeps the default behaviour.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    lifeline_cut = threading.Event()
    threading.Thread(target=wait_for_eof, args=(lifeline_cut,), daemon=True).start()
    while not lifeline_cut.wait(0.05):
        code = server.poll()
        if code is not None:
            exit_like(code)
    stop(server)


def wait_for_eof(lifeline_cut: threading.Event) -> None:
    try:
        while os.read(sys.stdin.fileno(), 1024):  # blocks until pytest closes the pipe or dies
            pass
    except OSError:
        pass
    lifeline_cut.set()


def stop(server: subprocess.Popen) -> None:
    """Terminate, wait a moment, then kill: the whole group, so no child of the server survives."""
    if POSIX:
        os.killpg(os.getpgrp(), signal.SIGTERM)
        try:
            server.wait(1.0)
        except subprocess.TimeoutExpired:
            pass
        os.killpg(os.getpgrp(), signal.SIGKILL)  # stragglers, and this launcher too
    else:
        try:
            os.kill(server.pid, signal.CTRL_BREAK_EVENT)  # Windows' closest thing to SIGTERM
            server.wait(1.0)
        except (OSError, subprocess.TimeoutExpired):
            pass
        subprocess.run(["taskkill", "/T", "/F", "/PID", str(server.pid)], capture_output=True)


def exit_like(code: int) -> None:
    if code < 0 and POSIX:  # the server died of a signal: die of the same one so pytest can name it
        if -code != signal.SIGKILL:  # SIGKILL cannot be handled, so it needs no reset
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code)  # at once: a normal exit would wait on the thread blocked in read()


if __name__ == "__main__":
    main(sys.argv[1:])
