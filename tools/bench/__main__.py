"""Benchmark the reference servers against each other, with the standard library only.

    python -m tools.bench                          # every server, scenarios a, b and c (about 80 s)
    python -m tools.bench --servers blocking,async --scenarios c --json bench.json

Each run starts a fresh server in a subprocess on a free 127.0.0.1 port, drives it with loadgen.py
(no ab or wrk needed), prints one row of the table, then stops the server. The scenarios:

  a  the blog post's `ab -n 1000 -c 10`: 1000 GETs of a static page, 10 at a time, a connection each
  b  the same at concurrency 100
  c  the talk's lesson in numbers: a slow handler (every request waits 100 ms, --delay 0.1), at 10
     and 100 at a time. A server that waits for one request at a time manages 10 requests/s at best,
     however many clients queue up; one that overlaps the waits goes about as fast as clients arrive.

Every run is bounded by its request count and by --duration-limit; a run stopped by the limit says so.
The exit status is 0, or 1 when a server failed to start or to serve the page, or 130 after Ctrl+C.
"""
import argparse
import asyncio
import json
import os
import platform
import signal
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from tools.bench import loadgen
from tools.bench.report import COLUMNS, document, error_note, format_row, measured, not_run
from tools.bench.response_reader import get_request
from graders.supervisor import ServerFailed, running

KIT = Path(__file__).resolve().parents[2]
REFERENCE = KIT / "reference"
HOST = loadgen.HOST

# The servers, in the order of the talk. Any other reference/*_server.py is benchmarked after them.
SERVERS = ["blocking", "threaded", "selectors", "async", "routing", "wsgi", "httpd"]
# The WSGI server serves a WSGI app, not static/; tools/demo_apps/site_app.py is the site as a WSGI app.
EXTRA_ARGS = {"wsgi": ["--app", "tools.demo_apps.site_app:app"]}
NEEDS = {"wsgi": ("tools/demo_apps/site_app.py", "serves a WSGI app, not static/")}   # a file it needs, or why it cannot

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


def all_servers() -> list[str]:
    found = sorted(path.name.removesuffix("_server.py") for path in REFERENCE.glob("*_server.py"))
    return SERVERS + [name for name in found if name not in SERVERS]


def cannot_take_part(name: str) -> str | None:
    """Why a server cannot serve the static page, or None. It gets an "n/a" row: never dropped silently."""
    if not (REFERENCE / f"{name}_server.py").is_file():
        return f"there is no reference/{name}_server.py"
    needed, why = NEEDS.get(name, (None, None))
    if needed and not (KIT / needed).is_file():
        return why
    return None


# --- one run ------------------------------------------------------------------------------------------

def bench_one(name: str, run: Run, args: argparse.Namespace, logs: Path) -> dict:
    why_not = cannot_take_part(name)
    if why_not:
        return not_run(name, "n/a", why_not, run.requests)
    server_args, env = ["--delay", str(run.delay_s), *EXTRA_ARGS.get(name, [])], {}
    if args.static:
        server_args += ["--static", str(args.static)]
        env["SITE_STATIC"] = str(args.static)       # site_app cannot see --static: it reads this instead
    log = logs / f"{name}-{run.scenario}-{run.concurrency}.log"
    try:
        with running(f"{name}_server", server_args, log, env) as port:
            # One request first: a server that cannot serve the page gets one clear line, not 1000 errors.
            probe = asyncio.run(loadgen.fetch(port, get_request(HOST, port, args.path), args.timeout))
            if probe.error:
                why = (f"GET {args.path} answered {probe.status}, not 200" if probe.status else
                       f"GET {args.path}: {probe.error} ({probe.detail})")
                return not_run(name, "failed", why, run.requests)
            result = asyncio.run(loadgen.run_load(port, args.path, run.requests, run.concurrency,
                                                  args.timeout, args.duration_limit))
    except ServerFailed as error:
        return not_run(name, "failed", str(error), run.requests)
    return measured(name, result)


def describe(run: Run, path: str) -> str:
    title = f"({run.scenario}) {run.title}"
    if run.delay_s:
        title += f": every request waits {run.delay_s * 1000:g} ms (servers run with --delay {run.delay_s:g})"
    return (f"{title}\n    GET {path}: {run.requests} requests, {run.concurrency} at a time, "
            f"a new connection for each")


def lesson(run: Run) -> str | None:
    if not run.delay_s:
        return None
    return (f"  One request at a time, a {run.delay_s * 1000:g} ms handler allows at most "
            f"{1 / run.delay_s:.0f} requests/s; overlapping {run.concurrency} waits allows up to "
            f"{run.concurrency / run.delay_s:.0f}.")


def header(args: argparse.Namespace) -> str:
    cores = os.cpu_count() or 1
    return (f"Reference servers benchmark: Python {platform.python_version()}, {platform.system()} "
            f"{platform.machine()}, {cores} CPU cores.\n"
            f"The load generator (tools/bench/loadgen.py) shares those {cores} cores with the server, so "
            f"compare the servers\nwith each other: alone on a machine, each would do more. Every run "
            f"starts a fresh server on a free\n{HOST} port and stops after {args.duration_limit:g} s at "
            f"most. Latencies are of completed requests only.")


# --- the command line ---------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench", description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default="all",
                        help=f"comma-separated, from {','.join(all_servers())} (default all)")
    parser.add_argument("--scenarios", default="a,b,c", help="comma-separated, from a,b,c (default all)")
    parser.add_argument("--requests", type=positive(int), help="requests per run (default 1000 for a "
                        "and b, 20 x concurrency for c)")
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

    known = all_servers()
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
    if args.static and not args.static.is_dir():
        parser.error(f"--static: {args.static} is not a folder")
    if not (args.path.startswith("/") and args.path.isascii() and " " not in args.path):
        parser.error(f"--path wants a path like /index.html (got {args.path!r})")
    args.names = list(dict.fromkeys(names))
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
                runs.append(asdict(run) | {"results": rows})
                print(f"\n{describe(run, args.path)}\n{COLUMNS}", flush=True)
                for name in args.names:
                    rows.append(bench_one(name, run, args, Path(logs)))
                    print(format_row(rows[-1]), flush=True)
                notes = [note for note in [*map(error_note, rows), lesson(run)] if note]
                if notes:
                    print("\n".join(notes), flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("\nInterrupted: every server this benchmark started is stopped. Bye!", flush=True)
    if args.json:
        machine = {"python": platform.python_version(), "platform": platform.platform(),
                   "cpu_count": os.cpu_count(),
                   "note": "the load generator runs on the same machine as the servers"}
        settings = {"host": HOST, "path": args.path, "delay_s": args.delay,
                    "duration_limit_s": args.duration_limit, "timeout_s": args.timeout,
                    "static": str(args.static) if args.static else None}
        args.json.write_text(json.dumps(document(machine, settings, runs, interrupted), indent=2) + "\n")
    if interrupted:
        return 130
    failed = any(row["status"] == "failed" for run in runs for row in run["results"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
