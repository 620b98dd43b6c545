"""The watchdog between a caller (pytest, the benchmark) and a server:  python launcher.py <server command...>

Why it exists: if the caller is killed outright (SIGKILL, a closed terminal, an IDE's stop button), no cleanup
code in it runs, and the server would keep its port forever. So the caller starts this small process instead,
with a pipe on its stdin (the "lifeline") that the caller never writes to. When the caller closes the pipe, on
purpose or because it died, the read below returns end-of-file and we stop the server.

The launcher leads its own process group (the caller starts it in a new session), and the server and anything
it starts inherit that group, so one signal to the group reaches them all. A child that left the group (with
setsid(), as a daemon does) is found by its parent links and stopped too.
It exits with the server's own exit code (or dies of the same signal), so the caller can report it.
Standard library only, and run as a file, so it starts in a few milliseconds.
"""
import os
import signal
import subprocess
import sys
import threading

if __package__:     # imported (the asgi grader reads process_table)
    from .exit_codes import for_os_exit
    from .windows_job import end_job, hold_in_job
else:               # run as a script, as the supervisor does: this file's folder is on sys.path
    from exit_codes import for_os_exit
    from windows_job import end_job, hold_in_job

POSIX = os.name == "posix"


def main(command: list[str]) -> None:
    if POSIX and os.getpgrp() != os.getpid():
        os.setsid()  # lead our own group, so that killing "our group" can never reach whoever started us
    # A server must hear Ctrl+C as a learner's terminal sends it, even when whoever started the grader ignores
    # SIGINT (a shell's background job does): an ignored signal would stay ignored in the server.
    group = {"preexec_fn": hear_ctrl_c} if POSIX else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL, **group)
    # Windows: a job holds the server and all it starts; if this launcher dies, Windows ends them all.
    job = hold_in_job(server._handle) if not POSIX else None
    if POSIX:
        # Ignore SIGTERM and SIGHUP only after the server started, so the server keeps the default behaviour.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    lifeline_cut = threading.Event()
    threading.Thread(target=wait_for_eof, args=(lifeline_cut,), daemon=True).start()
    while not lifeline_cut.wait(0.05):
        code = server.poll()
        if code is not None:
            stop_descendants()         # the server is gone; whatever it started must not outlive it
            exit_like(code)
    stop(server, job)


def wait_for_eof(lifeline_cut: threading.Event) -> None:
    try:
        while os.read(sys.stdin.fileno(), 1024):  # blocks until the caller closes the pipe or dies
            pass
    except OSError:
        pass
    lifeline_cut.set()


def hear_ctrl_c() -> None:
    """In the server's process, before it starts: SIGINT back to its default, so Python installs its handler."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop(server: subprocess.Popen, job=None) -> None:
    """Terminate, wait a moment, then kill: the whole group and every descendant, so nothing survives."""
    if POSIX:
        escaped = descendants(os.getpid())
        os.killpg(os.getpgrp(), signal.SIGTERM)
        try:
            server.wait(1.0)
        except subprocess.TimeoutExpired:
            pass
        kill_all(escaped | descendants(os.getpid()))
        os.killpg(os.getpgrp(), signal.SIGKILL)  # stragglers, and this launcher too
    else:
        try:
            os.kill(server.pid, signal.CTRL_BREAK_EVENT)  # Windows' closest thing to SIGTERM
            server.wait(1.0)
        except (OSError, subprocess.TimeoutExpired):
            pass
        end_job(job)                             # the whole tree, children whose parent is gone included
        subprocess.run(["taskkill", "/T", "/F", "/PID", str(server.pid)], capture_output=True)


def stop_descendants() -> None:
    if POSIX:
        kill_all(descendants(os.getpid()))


def descendants(root: int) -> set[int]:
    """Every process below `root`, found by parent links: a child that called setsid() is still our child."""
    children: dict[int, list[int]] = {}
    for pid, ppid in process_table():
        children.setdefault(ppid, []).append(pid)
    found, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def process_table() -> list[tuple[int, int]]:
    """(pid, parent pid) of every process: /proc on Linux, `ps` elsewhere (macOS, the BSDs)."""
    if os.path.isdir("/proc/self"):
        table = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as stat:
                        # "pid (name) state ppid ...": the name may hold spaces and parentheses, so split after it.
                        ppid = int(stat.read().rpartition(b")")[2].split()[1])
                    table.append((int(entry), ppid))
                except (OSError, ValueError, IndexError):
                    pass  # it exited while we looked
        return table
    try:
        listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [(int(pid), int(ppid)) for pid, ppid in (line.split() for line in listing.splitlines() if line.strip())]


def kill_all(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def exit_like(code: int) -> None:
    if code < 0 and POSIX:  # the server died of a signal: die of the same one so the caller can name it
        if -code != signal.SIGKILL:  # SIGKILL cannot be handled, so it needs no reset
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(for_os_exit(code))  # at once: a normal exit would wait on the thread blocked in read()


if __name__ == "__main__":
    main(sys.argv[1:])
