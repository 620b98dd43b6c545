"""The load generator, and the cores it and the server run on.

A Python load generator on the same two cores as a Python server measures itself as much as the server.
So the benchmark prefers wrk (written in C, event-driven), then ab (Apache's), and falls back to its own
stdlib generator (loadgen.py) where neither is installed. Where the OS allows it (Linux, with taskset, and
at least two cores) the server gets one core and the generator another, so neither steals the other's time.

Each function takes what it depends on (the platform, the cores, a `which`) as a parameter, so every branch
is tested on any machine.
"""
from __future__ import annotations

import math
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from graders.supervisor import ServerProcess

GENERATORS = ("wrk", "ab", "stdlib")
INSTALL = "apt install wrk apache2-utils, or brew install wrk (ab comes with macOS)"


def choose(wanted: str, which=shutil.which) -> str:
    """The generator to use: `wanted`, or for "auto" the first installed of wrk, ab, stdlib.
    Raises LookupError, with how to install it, when the one wanted is missing."""
    if wanted == "auto":
        return next(name for name in GENERATORS if name == "stdlib" or which(name))
    if wanted != "stdlib" and not which(wanted):
        raise LookupError(f"{wanted} is not installed ({INSTALL}); --generator auto uses what is there")
    return wanted


@dataclass(frozen=True)
class Cores:
    generator: int
    server: int


def plan_cores(platform: str = sys.platform, cores: list[int] | None = None, which=shutil.which) -> Cores | None:
    """One core for the generator, another for the server; None where we cannot pin (then nothing is).

    Only Linux has taskset. macOS has no way to pin a process to a core, and Windows' `start /affinity`
    goes through cmd.exe and detaches the process from us, so there we run unpinned."""
    cores = available_cores() if cores is None else cores
    if not platform.startswith("linux") or len(cores) < 2 or which("taskset") is None:
        return None
    return Cores(generator=cores[0], server=cores[1])


def why_unpinned(platform: str, cores: list[int], which=shutil.which) -> str:
    if not platform.startswith("linux"):
        return f"{platform} has no taskset"
    if len(cores) < 2:
        return "one core only"
    return "taskset is not installed" if which("taskset") is None else "pinning was possible"


def available_cores() -> list[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))       # the cores we may use, which may be fewer than exist
    return list(range(os.cpu_count() or 1))


def pinned(command: list[str], core: int | None) -> list[str]:
    """`command`, run on one core (taskset -c N command...), or as it is when core is None."""
    return list(command) if core is None else ["taskset", "-c", str(core), *command]


def wrk_command(url: str, concurrency: int, seconds: float, timeout: float, threads: int = 1) -> list[str]:
    """One connection per request (Connection: close), `concurrency` connections open at once.

    One thread per core the generator has: more threads on one core only take turns."""
    return ["wrk", f"-t{min(threads, concurrency)}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s",
            f"--timeout={max(1, math.ceil(timeout))}s", "--latency", "-H", "Connection: close", url]


def ab_command(url: str, requests: int, concurrency: int, time_limit: float, timeout: float) -> list[str]:
    """ab's HTTP/1.0 without -k is one request per connection. -r keeps going after a failed read; -t
    before -n bounds the time while -n sets the count (ab reads its options in order)."""
    return ["ab", "-r", "-t", str(max(1, math.ceil(time_limit))), "-n", str(requests),
            "-c", str(min(concurrency, requests)), "-s", str(max(1, math.ceil(timeout))), url]


def run_tool(command: list[str], log: Path, deadline: float) -> tuple[int | None, str]:
    """Run a generator to its end; (its exit code, its output). None for the code when it overran the
    deadline and was killed. It runs under the supervisor, like a server: if we die, it dies."""
    tool = ServerProcess(command, log)
    tool.start()
    try:
        tool.wait_for_exit(deadline)
        code = tool.exit_code
    finally:
        tool.stop()
    return code, tool.output()


class pinned_here:
    """Run this process's own thread on one core for a while: for the stdlib generator, which runs here.
    A no-op where the OS cannot pin (core None, or no sched_setaffinity)."""

    def __init__(self, core: int | None):
        self.core, self.before = core, None

    def __enter__(self):
        if self.core is not None and hasattr(os, "sched_setaffinity"):
            self.before = os.sched_getaffinity(0)
            os.sched_setaffinity(0, {self.core})
        return self

    def __exit__(self, *exc) -> None:
        if self.before is not None:
            os.sched_setaffinity(0, self.before)
