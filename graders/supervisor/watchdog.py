"""The watchdog of one caller (pytest, the benchmark, the board's tests):  python -S watchdog.py

Why it exists: if the caller is killed outright (SIGKILL, a closed terminal, an IDE's stop button), no cleanup
code in it runs, and its servers would keep their ports forever. So the first time a caller starts a server, it
also starts this small process, with a pipe on its stdin (the "lifeline"). For each server the caller writes
"+PID" when it started it and "-PID" when it stopped it. When the pipe closes, on purpose or because the caller
died, the read below ends and we stop every server still listed: its process group and every descendant.

One watchdog serves all of a caller's servers, so a server costs one process, not two. It runs in a session of
its own (a closed terminal's SIGHUP and a Ctrl+C do not reach it) and as a script with `python -S`: standard
library only, so it starts in a few milliseconds. POSIX only: on Windows a Job Object does this (windows_job.py).
"""
import signal
import sys

if __package__:     # imported, by the tests that read its protocol
    from .process_tree import signal_group, stop_groups
else:               # run as a script, as the supervisor does: this file's folder is on sys.path
    from process_tree import signal_group, stop_groups


def listed_until_eof(lines) -> set[int]:
    """The servers still listed when the lifeline closes: each "+PID" adds one, each "-PID" takes it off."""
    servers: set[int] = set()
    for line in lines:
        sign, number = line[:1], line[1:].strip()
        if number.isdigit():
            (servers.add if sign == b"+" else servers.discard)(int(number))
    return servers


def main() -> None:
    for name in ("SIGINT", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    servers = listed_until_eof(sys.stdin.buffer)    # blocks until the caller closes the pipe or dies
    stop_groups(servers, gone=lambda: not any(signal_group(leader, 0) for leader in servers))


if __name__ == "__main__":
    main()
