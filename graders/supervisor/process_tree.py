"""A server's processes, found and stopped: its process group and every process below it. Standard library only,
and importable as a plain file too, because the watchdog (watchdog.py) runs as a script beside it.

A server leads its own process group (the supervisor starts it in a new session), and whatever it starts belongs
to that group, so one signal to the group reaches them all. A child that left the group (with setsid(), as a
daemon does) is found by its parent links and stopped too.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

TERMINATE_GRACE = 1.0   # seconds between "please stop" (SIGTERM) and SIGKILL


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


def descendants(root: int, table: list[tuple[int, int]] | None = None) -> set[int]:
    """Every process below `root`, found by parent links: a child that called setsid() is still our child."""
    children: dict[int, list[int]] = {}
    for pid, ppid in process_table() if table is None else table:
        children.setdefault(ppid, []).append(pid)
    found, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def kill_all(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def signal_group(leader: int, signum: int) -> bool:
    """Send to the group `leader` leads; False when nobody is left in it."""
    try:
        os.killpg(leader, signum)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def stop_groups(leaders: set[int], gone) -> None:
    """POSIX: terminate each group, give it TERMINATE_GRACE seconds, then kill the groups and every descendant,
    those that left a group included. `gone()` says whether the leaders have exited (the caller can wait on its
    own children; the watchdog, whose they are not, asks the groups)."""
    if not leaders:
        return
    table = process_table()
    escaped = set().union(*(descendants(leader, table) for leader in leaders))
    for leader in leaders:
        signal_group(leader, signal.SIGTERM)
    give_up = time.monotonic() + TERMINATE_GRACE
    while not gone() and time.monotonic() < give_up:
        time.sleep(0.01)
    table = process_table()
    kill_all(escaped.union(*(descendants(leader, table) for leader in leaders)))
    for leader in leaders:
        signal_group(leader, signal.SIGKILL)
