"""Benchmark the reference servers against a bare asyncio loop (the floor) and against uvicorn.

    python -m tools.bench                          # everyone, scenarios a, b and c (about 7 minutes)
    python -m tools.bench --servers async,routing --scenarios a --repeat 1     # a quick look
    python -m tools.bench --servers blocking,async --scenarios c --json bench.json

Each run starts a fresh server in a subprocess on a free 127.0.0.1 port, drives it with a load generator,
prints one row of the table, then stops the server. The floor (tools/bench/floor.py) runs first in every
scenario, and every row says how its requests/s compare with the floor's ("x floor": 0.82 is 82%).
The peers, uvicorn with h11 and with httptools, run where installed (pip install -e '.[bench]').

The load generator is wrk where installed, else ab, else our own (loadgen.py, standard library only), one
request per connection; on Linux the server and the generator each get a core of their own (taskset).
wrk runs for --seconds; ab and ours send a number of requests. Each measured run follows a warm-up, and
every contender runs --repeat times (3), in turn and each time in a fresh process: its row is the median.
On a shared or virtual machine one process can be 10% faster than the next, so one run proves little.
The scenarios:

  a  the blog post's `ab -n 1000 -c 10`: GETs of a static page, 10 at a time, a connection each
  b  the same at concurrency 100
  c  the talk's lesson in numbers: a slow handler (every request waits 100 ms, --delay 0.1), at 10
     and 100 at a time. A server that waits for one request at a time manages 10 requests/s at best,
     however many clients queue up; one that overlaps the waits goes about as fast as clients arrive.

Every run is bounded in time: by --seconds (wrk) or --duration-limit, and a generator that overruns is
stopped. The exit status is 0, or 1 when a server failed to start or to serve the page, or 130 after Ctrl+C.
"""
import argparse
import asyncio
import json
import os
import platform
import shlex
import signal
import sys
import tempfile
import textwrap
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from graders.supervisor import ServerFailed, ServerProcess, free_port
from tools.bench import contenders, generators, loadgen
from tools.bench.contenders import FLOOR
from tools.bench.report import (
    COLUMNS,
    document,
    error_note,
    format_row,
    from_tool,
    measured,
    median_run,
    not_run,
    ratio,
)
from tools.bench.response_reader import get_request
from tools.bench.tool_output import ToolOutputError, parse_ab, parse_wrk

HOST = loadgen.HOST

# scenario: (what it shows, its concurrency levels, whether the handler is slow)
SCENARIOS = {
    "a": ("the blog post's `ab -n 1000 -c 10`", (10,), False),
    "b": ("the same at concurrency 100", (100,), False),
    "c": ("the talk's lesson, a slow handler", (10, 100), True),
}


@dataclass(frozen=True)
class Run:
    scenario: str
    title: str
    requests: int
    concurrency: int
    delay_s: float     # every request waits this long in the server (its --delay)


def plan_runs(scenarios: list[str], levels: list[int] | None, requests: int | None,
              delay: float) -> list[Run]:
    """The runs to make: each scenario at its concurrency levels (or at `levels`), without repeats."""
    runs: list[Run] = []
    for key in scenarios:
        what, default_levels, slow = SCENARIOS[key]
        for concurrency in levels or default_levels:
            # A slow run gets 20 rounds of the delay: about 2 s for a server that overlaps the waits.
            count = requests or (20 * concurrency if slow else 1000)
            run = Run(key, what, count, concurrency, delay if slow else 0.0)
            if all((r.requests, r.concurrency, r.delay_s) != (count, concurrency, run.delay_s) for r in runs):
                runs.append(run)
    return runs


# --- one run ------------------------------------------------------------------------------------------

def bench_one(name: str, run: Run, args: argparse.Namespace, logs: Path) -> dict:
    """One row: `name` measured in `run`, or a row saying why it could not be."""
    why_not = contenders.cannot_take_part(name)
    if why_not:
        return not_run(name, *why_not, requested(run, args))
    port = free_port()
    command, env = contenders.command(name, port, run.delay_s, args.static, args.path)
    log = logs / f"{name}-{run.scenario}-{run.concurrency}.log"
    try:
        with serving(generators.pinned(command, args.cores and args.cores.server), env, log, port):
            # One request first: a server that cannot serve the page gets one clear line, not 1000 errors.
            probe = asyncio.run(loadgen.fetch(port, get_request(HOST, port, args.path), args.timeout))
            if probe.error:
                why = (f"GET {args.path} answered {probe.status}, not 200" if probe.status else
                       f"GET {args.path}: {probe.error} ({probe.detail})")
                return not_run(name, "failed", why, requested(run, args))
            return load(name, port, run, args, logs)
    except ServerFailed as error:
        return not_run(name, "failed", str(error), requested(run, args))


@contextmanager
def serving(command: list[str], env: dict, log: Path, port: int):
    server = ServerProcess(command, log, {**os.environ, **env})
    server.start()
    try:
        server.wait_until_listening(port)
        yield
    finally:
        server.stop()


def load(name: str, port: int, run: Run, args: argparse.Namespace, logs: Path) -> dict:
    """Drive the server on `port` with the chosen generator; its figures as a row.

    A warm-up comes first (--warmup seconds, a fifth of the requests), and its figures are dropped: a fresh
    process is slower for its first thousands of requests, and every contender is measured at its own pace.
    Not before a slow handler, though: the requests a warm-up leaves queued would eat into the measured run
    of a server that serves 10 a second, and there the lesson is the waits, not the pace."""
    if warms_up(run, args):
        drive(name, port, max(run.concurrency, run.requests // 5), run.concurrency, args.warmup, args, logs)
    limit = args.seconds if args.generator == "wrk" else args.duration_limit
    return drive(name, port, run.requests, run.concurrency, limit, args, logs)


def warms_up(run: Run, args: argparse.Namespace) -> bool:
    return bool(args.warmup) and not run.delay_s


def drive(name: str, port: int, requests: int, concurrency: int, seconds: float, args: argparse.Namespace,
          logs: Path) -> dict:
    """One load: wrk for `seconds`, or `requests` with ab or ours, stopped after `seconds` at most."""
    core = args.cores and args.cores.generator
    count = None if args.generator == "wrk" else requests       # wrk runs for a time, not a count
    if args.generator == "stdlib":
        with generators.pinned_here(core):
            return measured(name, asyncio.run(loadgen.run_load(port, args.path, requests, concurrency,
                                                               args.timeout, seconds)))
    command = tool_command(f"http://{HOST}:{port}{args.path}", requests, concurrency, seconds, args)
    deadline = seconds + 10                    # the tool stops itself in time; this only catches a hang
    code, output = generators.run_tool(command, logs / f"{name}-load.log", deadline)
    if code is None:
        return not_run(name, "failed", f"{args.generator} did not finish within {deadline:g} s, and was "
                                       f"stopped", count)
    try:
        return from_tool(name, (parse_wrk if args.generator == "wrk" else parse_ab)(output), count)
    except ToolOutputError as error:
        return not_run(name, "failed", f"{error} (exit code {code})", count)


def tool_command(url: str, requests: int, concurrency: int, seconds: float, args: argparse.Namespace) -> list[str]:
    """The wrk or ab command line, on the generator's core when pinned."""
    if args.generator == "wrk":
        command = generators.wrk_command(url, concurrency, seconds, args.timeout)
    else:
        command = generators.ab_command(url, requests, concurrency, seconds, args.timeout)
    return generators.pinned(command, args.cores and args.cores.generator)


def command_shown(run: Run, args: argparse.Namespace) -> str:
    """The measured run's load command, for the JSON file (PORT: each server's own)."""
    if args.generator == "stdlib":
        return "tools/bench/loadgen.py, in the benchmark's own process"
    limit = args.seconds if args.generator == "wrk" else args.duration_limit
    return shlex.join(tool_command(f"http://{HOST}:PORT{args.path}", run.requests, run.concurrency, limit, args))


def requested(run: Run, args: argparse.Namespace) -> int | None:
    return None if args.generator == "wrk" else run.requests   # wrk runs for a time, not a count


def bench_run(run: Run, args: argparse.Namespace, logs: Path) -> list[dict]:
    """Every contender's row for one run, the floor first. With --repeat N, N rounds of everyone in turn
    (so a busy moment on the machine hits them all alike), then each one's median run."""
    rounds: list[list[dict]] = [[] for _ in args.names]
    for repeat in range(args.repeat):
        for runs, name in zip(rounds, args.names, strict=False):
            if not runs or runs[0]["status"] == "ran":     # absent, n/a or failed: once is enough to say so
                runs.append(bench_one(name, run, args, logs))
        if args.repeat > 1:                                # progress, apart from the table
            done = [runs[-1] for runs in rounds if runs[-1]["status"] == "ran"]
            print(f"  round {repeat + 1} of {args.repeat}: "
                  + ", ".join(f"{row['server']} {row['requests_per_s']}" for row in done), file=sys.stderr, flush=True)
    rows = [median_run(runs) for runs in rounds]
    floor = next((row for row in rows if row["server"] == FLOOR), None)
    for row in rows:
        row["ratio_to_floor"] = None if run.delay_s else ratio(row, floor)
    return rows


def describe(run: Run, args: argparse.Namespace) -> str:
    title = f"({run.scenario}) {run.title}"
    if run.delay_s:
        title += f": every request waits {run.delay_s * 1000:g} ms (servers run with --delay {run.delay_s:g})"
    amount = (f"for {args.seconds:g} s" if args.generator == "wrk" else f"{run.requests} requests")
    if warms_up(run, args):
        amount += f" after {args.warmup:g} s of warm-up"
    repeats = f", the median of {args.repeat} runs" if args.repeat > 1 else ""
    return (f"{title}\n    GET {args.path}: {amount}, {run.concurrency} at a time, "
            f"a new connection for each{repeats}")


def notes_under(run: Run, rows: list[dict]) -> list[str]:
    notes = [note for note in map(error_note, rows) if note]
    if run.delay_s:
        notes.append(f"  One request at a time, a {run.delay_s * 1000:g} ms handler allows at most "
                     f"{1 / run.delay_s:.0f} requests/s; overlapping {run.concurrency} waits allows up to "
                     f"{run.concurrency / run.delay_s:.0f}.")
        notes.append("  No \"x floor\" here: the floor never waits, so it is no yardstick for a slow handler.")
    return notes


GENERATOR_NAMES = {"wrk": "wrk (1 thread)", "ab": "ab (ApacheBench)", "stdlib": "tools/bench/loadgen.py (stdlib)"}


def header(args: argparse.Namespace) -> str:
    cores = os.cpu_count() or 1
    where = (f"Pinned with taskset: each server on core {args.cores.server}, the generator on core "
             f"{args.cores.generator}." if args.cores else
             f"Not pinned ({generators.why_unpinned(sys.platform, generators.available_cores())}): the "
             f"generator shares the cores with the server, which then does less than it could alone.")
    text = (f"Load generator: {GENERATOR_NAMES[args.generator]}, one request per connection. {where} Every "
            f"run starts a fresh server on a free {HOST} port. \"x floor\": requests/s over those of a bare "
            f"asyncio loop answering a canned page (tools/bench/floor.py), in the same run. Latencies are of "
            f"completed requests only.")
    return (f"Reference servers benchmark: Python {platform.python_version()}, {platform.system()} "
            f"{platform.machine()}, {cores} CPU cores.\n" + textwrap.fill(text, 110))


# --- the command line ---------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench", description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default="all",
                        help=f"comma-separated, from {','.join(contenders.everyone())} (default all; "
                             f"the floor always runs first)")
    parser.add_argument("--scenarios", default="a,b,c", help="comma-separated, from a,b,c (default all)")
    parser.add_argument("--generator", choices=("auto", *generators.GENERATORS), default="auto",
                        help="the load generator: auto (default) is wrk if installed, else ab, else stdlib")
    parser.add_argument("--seconds", type=positive(float), default=2.0,
                        help="how long each wrk run lasts (default 2)")
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="seconds of load before each measured run, not counted (default 1; 0: none)")
    parser.add_argument("--repeat", type=positive(int), default=3,
                        help="run everyone this many times in turn, each in a fresh process, and keep each "
                             "one's median (default 3)")
    parser.add_argument("--requests", type=positive(int), help="requests per run for ab and stdlib "
                        "(default 1000 for a and b, 20 x concurrency for c)")
    parser.add_argument("--concurrency", help="comma-separated levels, replacing each scenario's own "
                        "(a 10, b 100, c 10 and 100)")
    parser.add_argument("--delay", type=positive(float), default=0.1,
                        help="seconds the slow handler of scenario c waits (default 0.1)")
    parser.add_argument("--duration-limit", type=positive(float), default=10.0,
                        help="stop each run after this many seconds (default 10)")
    parser.add_argument("--timeout", type=positive(float), default=30.0,
                        help="seconds a request may take before it counts as a timeout (default 30)")
    parser.add_argument("--path", default="/index.html", help="the page to GET (default /index.html)")
    parser.add_argument("--static", type=lambda text: Path(text).resolve(),   # servers run from the repo root
                        help="folder the servers serve (default their static/)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    args = parser.parse_args(argv)

    known = contenders.everyone()
    names = known if args.servers == "all" else [n.strip().removesuffix("_server")
                                                 for n in args.servers.split(",") if n.strip()]
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [n for n in names if n not in known] + [s for s in scenarios if s not in SCENARIOS]
    if unknown or not names or not scenarios:
        parser.error(f"unknown or missing: {', '.join(unknown) or 'a server or scenario'}. "
                     f"Servers: {', '.join(known)}. Scenarios: a, b, c.")
    try:
        levels = [positive(int)(level) for level in args.concurrency.split(",")] if args.concurrency else None
    except argparse.ArgumentTypeError:
        parser.error(f"--concurrency wants whole numbers above 0, like 10,100 (got {args.concurrency!r})")
    if args.warmup < 0:
        parser.error(f"--warmup wants 0 or more seconds (got {args.warmup:g})")
    if args.static and not args.static.is_dir():
        parser.error(f"--static: {args.static} is not a folder")
    if not (args.path.startswith("/") and args.path.isascii() and " " not in args.path):
        parser.error(f"--path wants a path like /index.html (got {args.path!r})")
    try:
        args.generator = generators.choose(args.generator)
    except LookupError as error:
        parser.error(f"--generator: {error}")
    args.cores = generators.plan_cores()
    args.names = list(dict.fromkeys([FLOOR, *names]))    # the yardstick first, in every scenario
    args.runs = plan_runs(scenarios, levels, args.requests, args.delay)
    return args


def positive(kind):
    def convert(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value
    return convert


def stop_on_signal(*_) -> None:
    raise KeyboardInterrupt            # `kill`, or a closed terminal, gets the same clean stop as Ctrl+C


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl+C must work even when a script started us with SIGINT ignored; SIGTERM and SIGHUP (a closed
    # terminal) stop as cleanly. A SIGKILL cannot be caught: then the supervisor's lifeline stops the server.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):      # Windows has no SIGHUP
            signal.signal(getattr(signal, name), stop_on_signal)
    print(header(args), flush=True)
    runs, interrupted = [], False
    try:
        with tempfile.TemporaryDirectory(prefix="reference-bench-") as logs:
            for run in args.runs:
                rows: list[dict] = []
                runs.append(asdict(run) | {"generator_command": command_shown(run, args), "results": rows})
                print(f"\n{describe(run, args)}\n{COLUMNS}", flush=True)
                rows += bench_run(run, args, Path(logs))
                print("\n".join([*map(format_row, rows), *notes_under(run, rows)]), flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("\nInterrupted: every server this benchmark started is stopped. Bye!", flush=True)
    if args.json:
        machine = {"python": platform.python_version(), "platform": platform.platform(),
                   "cpu_count": os.cpu_count(),
                   "note": "the load generator runs on the same machine as the servers"}
        settings = {"host": HOST, "path": args.path, "delay_s": args.delay,
                    "duration_limit_s": args.duration_limit, "timeout_s": args.timeout,
                    "static": str(args.static) if args.static else None,
                    "generator": args.generator, "seconds": args.seconds, "repeat": args.repeat,
                    "warmup_s": args.warmup,
                    "pinned": args.cores is not None,
                    "generator_core": args.cores and args.cores.generator,
                    "server_core": args.cores and args.cores.server}
        args.json.write_text(json.dumps(document(machine, settings, runs, interrupted), indent=2) + "\n")
    if interrupted:
        return 130
    failed = any(row["status"] == "failed" for run in runs for row in run["results"])
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:        # the table went to `head`, or a pager closed: every server is stopped by now
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # as the Python docs advise
        sys.exit(1)
