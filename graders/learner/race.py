"""`race [SLUG]`: hack time. Race your own server against the floor, on this laptop, and post the score.

Correct first: the challenge's grader must pass in this run, and the server must answer GET /, /about and a
static file with exactly the bytes of static/. Then, per scenario, three rounds of the floor
(tools/bench/floor.py, a bare asyncio loop answering a canned page) and of your server, in turn, with the
benchmark's load generator (wrk, else ab, else the stdlib one) and its pinning. The score is your requests/s
over the floor's: the median of 3 rounds, so laptops compare fairly. A round with more than 1% errors is void.

  a  a new connection per request, 10 at a time (the blog post's ab -c 10)
  b  keep-alive, 50 connections: a server that keeps the connection open skips a TCP connect per request
  c  GET /slow, 100 at a time: concurrency is everything. The floor never waits, so here the yardstick is
     the ideal, 100 waits overlapped (100 / the time one /slow takes alone), "x ideal"
"""
from __future__ import annotations

import ast
import asyncio
import http.client
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from graders.ground import KIT_ROOT
from graders.ground import state as learner_state
from graders.ground.catalog import Challenge
from graders.ground.names import learner_name
from graders.ground.results import PASSED
from graders.harness.board_post import board_address, post_json
from graders.supervisor import HOST, ServerFailed, ServerProcess, free_port

from .kit import Progress, UserError, challenges, cli_command, show

SCENARIOS = {  # key: (words, path, concurrency, keep-alive)
    "a": ("a new connection per request, 10 at a time", "/", 10, False),
    "b": ("keep-alive, 50 connections", "/", 50, True),
    "c": ("GET /slow, 100 at a time", "/slow", 100, False),
}
ROUNDS = 3
MAX_ERRORS = 0.01          # more than 1% of the requests failed: the round is void
KINDS = ("processes", "asyncio", "selectors", "threads", "blocking")
SITE = {"/": "index.html", "/about": "about.html", "/styles.css": "styles.css",   # what must come back, exactly
        "/favicon.ico": "favicon.ico"}                  # a binary file too: a text-mode read changes its bytes


# Challenges whose site differs from static/ on purpose, or that serve no plain HTTP: they race as a later one.
CANNOT_RACE = {"route_decorator": "answers /about from a route, not with static/about.html",
               "new_page": "serves its own pages/index.html at /",
               "https": "serves HTTPS only"}


def server_script(challenge: Challenge, target: str = "exercises") -> Path:
    return KIT_ROOT / target / challenge.level / challenge.slug / "server.py"


def serves_the_site(challenge: Challenge) -> bool:
    """Any challenge whose server serves static/ may race: its starter says so (a STATIC folder or --static)."""
    if challenge.slug in CANNOT_RACE:
        return False
    script = server_script(challenge)
    try:
        text = script.read_text(encoding="utf-8")
    except OSError:
        return False
    return "static" in text.lower()


def default_challenge(progress: Progress) -> Challenge:
    """The last challenge passed, in catalog order, among those that serve the site."""
    passed = [c for c in challenges() if progress.status(c) == PASSED and serves_the_site(c)]
    if not passed:
        raise UserError("Nothing to race yet: pass a challenge that serves the site first (go_async is a good "
                        f"one), or name one: `{cli_command('race', 'go_async')}`.")
    return passed[-1]


# --- what kind of server it is ------------------------------------------------------------------------------

def server_kind(source: str) -> str:
    """threads, asyncio, selectors, processes or blocking: read from what server.py imports (ast)."""
    modules = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "blocking"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules |= {node.module.split(".")[0], node.module}
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
            {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | \
            {module.rsplit(".", 1)[-1] for module in modules}          # from http.server import ThreadingHTTPServer
    if "multiprocessing" in modules or "fork" in names or "SO_REUSEPORT" in names:
        return "processes"
    if "asyncio" in modules:
        return "asyncio"
    if "selectors" in modules or "select" in modules:
        return "selectors"
    if ({"threading", "concurrent.futures", "_thread"} & modules
            or {"ThreadingHTTPServer", "ThreadingMixIn", "ThreadingTCPServer", "ThreadPoolExecutor"} & names):
        return "threads"
    return "blocking"


# --- correct first --------------------------------------------------------------------------------------------

def wrong_bytes(port: int, static: Path = KIT_ROOT / "static", timeout: float = 5.0) -> str | None:
    """None when GET /, /about and a static file answer 200 with exactly static/'s bytes; else why not."""
    for path, name in SITE.items():
        expected = (static / name).read_bytes()
        connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        try:
            connection.request("GET", path, headers={"Connection": "close"})
            answer = connection.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException) as error:
            return f"GET {path} failed: {type(error).__name__}: {error}"
        finally:
            connection.close()
        if answer.status != 200:
            return f"GET {path} answered {answer.status}, not 200"
        if body != expected:
            return (f"GET {path} did not answer exactly static/{name}: {len(body)} bytes came back, "
                    f"{len(expected)} expected" + ("" if len(body) != len(expected) else ", with different bytes"))
    return None


def grader_passes(challenge: Challenge, target: str) -> tuple[bool, str]:
    from .check import run_quietly  # noqa: PLC0415 - check imports the harness's command lines, only needed here
    options = ["--target", target] if target != "exercises" else []
    code, entry, output = run_quietly(challenge, options)
    if code == 0 and (target != "exercises" or entry.get("status") == PASSED):
        return True, ""
    lines = (entry.get("first_failure") or "").strip().splitlines() or output.strip().splitlines()[-1:]
    return False, lines[0] if lines else "it did not pass"


# --- the load ------------------------------------------------------------------------------------------------

@dataclass
class Round:
    rate: float            # requests/s
    p99_ms: float | None
    completed: int
    errors: int

    @property
    def void(self) -> bool:
        return self.errors > MAX_ERRORS * max(1, self.completed + self.errors)


@dataclass
class Settings:
    seconds: float = 2.0
    generator: str = "auto"
    timeout: float = 10.0
    cores: object = None
    logs: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))


def keep_alive_request(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: wsfs-race\r\n\r\n".encode("ascii")


async def stdlib_load(port: int, path: str, concurrency: int, seconds: float, timeout: float, keep_alive: bool):
    """The stdlib generator's way (loadgen.fetch: a new connection per request), or with keep_alive each worker
    keeps its connection for as long as the server does: a server that closes after each answer costs a
    reconnect, never an error. Every worker stops by itself at the deadline, whatever a cancel does."""
    from tools.bench.loadgen import LoadResult, Outcome, error_kind, fetch  # noqa: PLC0415
    from tools.bench.response_reader import ResponseError, ResponseReader, get_request  # noqa: PLC0415
    request = keep_alive_request(port, path) if keep_alive else get_request(HOST, port, path)
    result = LoadResult(requested=0)
    started = time.perf_counter()
    stop_at, last = started + seconds, [started]

    async def one(stream) -> tuple[int, bool]:
        """(status, whether the connection may be used again)."""
        reader, writer = stream
        writer.write(request)
        await writer.drain()
        response, head = ResponseReader(), b""
        while not response.done:
            data = await reader.read(65536)
            if not data:
                if response.status is None and not response.head:
                    raise ConnectionResetError("closed before answering")
                response.end_of_stream()
                return response.status, False
            if response.status is None:
                head += data
            response.receive(data)
        closes = b"connection: close" in head.split(b"\r\n\r\n")[0].lower() or response.length is None
        return response.status, not closes

    async def kept(stream):
        """(stream or None, outcome) for one request on a kept connection (or a new one)."""
        started = time.perf_counter()
        try:
            fresh = stream is None
            if fresh:
                stream = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
            try:
                status, reusable = await asyncio.wait_for(one(stream), timeout)
            except (ConnectionResetError, BrokenPipeError):
                if fresh:
                    raise
                stream[1].close()      # the server closed an idle kept connection: once more on a new one
                stream = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
                status, reusable = await asyncio.wait_for(one(stream), timeout)
        except (OSError, asyncio.TimeoutError, ResponseError, asyncio.IncompleteReadError) as error:
            if stream:
                stream[1].close()
            return None, Outcome(time.perf_counter() - started, None, error_kind(error), str(error))
        latency = time.perf_counter() - started
        if not reusable:
            stream[1].close()
            stream = None
        return stream, (Outcome(latency, status) if status == 200 else
                        Outcome(latency, status, "bad status", f"status {status}"))

    async def worker() -> None:
        stream = None
        try:
            while time.perf_counter() < stop_at:
                if keep_alive:
                    stream, outcome = await kept(stream)
                else:
                    outcome = await fetch(port, request, timeout)
                if (now := time.perf_counter()) <= stop_at:     # an answer after the bell does not count
                    result.record(outcome)
                    last[0] = now
        finally:
            if stream:
                stream[1].close()

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    await asyncio.wait(workers, timeout=seconds)
    # Up to the last answer: 100 one-second waits finish together, and the time after them is nobody's.
    result.elapsed = (last[0] - started) if result.latencies else seconds
    for task in workers:
        task.cancel()
    await asyncio.wait(workers, timeout=timeout)
    return result


def tool_command(generator: str, url: str, concurrency: int, keep_alive: bool, settings: Settings) -> list[str]:
    """The benchmark's wrk or ab command line, with keep-alive when asked (wrk: without its Connection: close)."""
    from tools.bench import generators  # noqa: PLC0415
    if generator == "wrk":
        command = generators.wrk_command(url, concurrency, settings.seconds, settings.timeout)
        if keep_alive:     # wrk keeps connections open unless told otherwise
            at = command.index("Connection: close")
            del command[at - 1:at + 1]
        return command
    requests = max(concurrency, int(settings.seconds * 20000))     # ab's -t stops it in time anyway
    command = generators.ab_command(url, requests, concurrency, settings.seconds, settings.timeout)
    return command[:1] + ["-k"] + command[1:] if keep_alive else command


def measure(port: int, path: str, concurrency: int, keep_alive: bool, settings: Settings) -> Round:
    """One round of load on `port`, with the benchmark's generator and pinning."""
    from tools.bench import generators  # noqa: PLC0415 - the benchmark, only when racing
    from tools.bench.report import from_tool, measured  # noqa: PLC0415
    from tools.bench.tool_output import ToolOutputError, parse_ab, parse_wrk  # noqa: PLC0415
    core = settings.cores.generator if settings.cores else None
    if settings.generator == "stdlib":
        with generators.pinned_here(core):
            result = asyncio.run(stdlib_load(port, path, concurrency, settings.seconds, settings.timeout,
                                             keep_alive))
        row = measured("race", result)
    else:
        command = tool_command(settings.generator, f"http://{HOST}:{port}{path}", concurrency, keep_alive,
                               settings)
        code, output = generators.run_tool(generators.pinned(command, core), settings.logs / "load.log",
                                           settings.seconds + 10)
        try:
            row = from_tool("race", (parse_wrk if settings.generator == "wrk" else parse_ab)(output), None)
        except ToolOutputError as error:
            raise ServerFailed(f"{settings.generator} gave no figures ({error}, exit code {code})") from None
    return Round(row["requests_per_s"] or 0.0, row.get("p99_ms"), row["completed"], row["errors"])


@dataclass
class Score:
    scenario: str
    rate: float
    x: float              # over the floor (a, b) or the ideal (c)
    versus: str           # "floor" or "ideal"
    p99_ms: float | None
    errors: int
    completed: int
    void: str = ""        # why there is no score
    rounds: list = field(default_factory=list)

    def line(self, kind: str) -> str:
        if self.void:
            return f"  ({self.scenario}) {'' if self.void.startswith('skipped') else 'no time: '}{self.void}"
        p99 = f"{self.p99_ms:.1f} ms" if self.p99_ms is not None else "?"
        return (f"  ({self.scenario}) {self.rate:9.1f} req/s  x{self.x:.2f} {self.versus}  p99 {p99}  "
                f"errors {self.errors}/{self.completed + self.errors}  [{kind}]")


def started(command: list[str], log: Path, port: int, env: dict | None = None) -> ServerProcess:
    process = ServerProcess(command, log, env)
    process.start()
    try:
        process.wait_until_listening(port)
    except ServerFailed:
        process.stop()
        raise
    return process


def slow_alone(port: int) -> float | None:
    """How long one GET /slow takes on its own (the best of 2), or None when there is no /slow (not 200)."""
    times = []
    for _ in range(2):
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        try:
            begun = time.perf_counter()
            connection.request("GET", "/slow", headers={"Connection": "close"})
            answer = connection.getresponse()
            answer.read()
            times.append(time.perf_counter() - begun)
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()
        if answer.status != 200:
            return None
    return min(times)


def race_scenario(key: str, port: int, floor_port: int, settings: Settings) -> Score:
    _words, path, concurrency, keep_alive = SCENARIOS[key]
    ideal = None
    if key == "c":
        alone = slow_alone(port)
        if alone is None:
            return Score(key, 0, 0, "ideal", None, 0, 0, void="skipped: this server has no GET /slow")
        ideal = concurrency / max(alone, 0.001)
        # A round must hold several waits, or a 1 s /slow completes nothing in a 1 s round.
        settings = replace(settings, seconds=max(settings.seconds, 3 * alone))
    ours, floors = [], []
    if ideal is None:      # a warm-up of each, not counted: a fresh process is slower for its first requests
        warm = replace(settings, seconds=min(0.5, settings.seconds))
        for warm_port in (floor_port, port):
            measure(warm_port, path, concurrency, keep_alive, warm)
    for _ in range(ROUNDS):      # interleaved: a busy moment on the laptop hits both alike
        if ideal is None:
            floors.append(measure(floor_port, path, concurrency, keep_alive, settings))
        ours.append(measure(port, path, concurrency, keep_alive, settings))
    void = next((r for r in ours if r.void), None)
    if void:
        return Score(key, void.rate, 0, "floor", void.p99_ms, void.errors, void.completed, rounds=ours,
                     void=f"{void.errors} of {void.errors + void.completed} requests failed (more than 1%)")
    middle = sorted(ours, key=lambda r: r.rate)[len(ours) // 2]
    if ideal is None:
        yardstick = statistics.median(r.rate for r in floors)
        if not yardstick:
            return Score(key, middle.rate, 0, "floor", None, 0, 0, void="the floor answered nothing")
        x, versus = middle.rate / yardstick, "floor"
    else:
        x, versus = middle.rate / ideal, "ideal"
    return Score(key, middle.rate, round(x, 2), versus, middle.p99_ms, sum(r.errors for r in ours),
                 sum(r.completed for r in ours), rounds=ours)


def server_env(port: int) -> dict:
    path = os.pathsep.join(filter(None, [str(KIT_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PORT": str(port), "PYTHONPATH": path, "PYTHONIOENCODING": "utf-8"}


def race_server(script: Path, scenarios: list[str], settings: Settings, say=print) -> tuple[str, list[Score]]:
    """Boot `script`, check its bytes, race it: (its kind, a Score per scenario). UserError when it may not race."""
    from tools.bench import generators  # noqa: PLC0415
    kind = server_kind(script.read_text(encoding="utf-8", errors="replace"))
    settings.cores = settings.cores if settings.cores is not None else generators.plan_cores()
    settings.generator = generators.choose(settings.generator)
    server_core = settings.cores.server if settings.cores else None
    port, floor_port = free_port(), free_port()
    python = [sys.executable, "-u"]
    server = floor = None
    try:
        try:
            server = started(generators.pinned([*python, str(script), "--port", str(port)], server_core),
                             settings.logs / "server.log", port, server_env(port))
        except ServerFailed as error:
            raise UserError(f"No time: your server did not start: {error}") from None
        why = wrong_bytes(port)
        if why:
            raise UserError(f"No time: {why}. The race is for servers that serve the site exactly; "
                            f"`{cli_command('check')}` shows what is wrong.")
        floor = started(generators.pinned([*python, "-m", "tools.bench.floor", "--port", str(floor_port)],
                                          server_core), settings.logs / "floor.log", floor_port)
        scores = []
        for key in scenarios:
            rounds = (f"{ROUNDS} rounds of {settings.seconds:g} s, the floor's in turn" if key != "c" else
                      f"{ROUNDS} rounds of {settings.seconds:g} s or 3 waits of /slow, against the ideal")
            say(f"  ({key}) {SCENARIOS[key][0]}: {rounds}...", flush=True)
            scores.append(race_scenario(key, port, floor_port, settings))
            if server.exit_code is not None:
                raise UserError(f"No time: your server stopped during the race: {server.last_line()}")
        return kind, scores
    finally:
        for process in (server, floor):
            if process:
                process.stop()


# --- the board ------------------------------------------------------------------------------------------------

def post_scores(slug: str, kind: str, scores: list[Score], say=print) -> None:
    state = learner_state.load_state()
    address = board_address(state.get("board"))
    if address is None:
        say(f"Join the workshop board to put your scores on the room's race: `{cli_command('join', 'URL')}`.")
        return
    base_url, code = address
    records = [{"scenario": s.scenario, "x": s.x, "versus": s.versus, "requests_per_s": round(s.rate, 1),
                "p99_ms": s.p99_ms, "errors": s.errors, "kind": kind} for s in scores if not s.void]
    if not records:
        return
    payload = {"learner": learner_name(), "slug": slug, "scores": records}
    outcome = post_json(base_url, code, "/api/race", payload, key=learner_state.board_key())
    say(f"Race board: {'your scores reached ' + base_url if outcome.ok else 'not posted: ' + outcome.message}.")


def race(progress: Progress, slug: str | None, scenario: str | None, seconds: float, generator: str = "auto",
         target: str = "exercises", post: bool = True) -> int:
    from .kit import find  # noqa: PLC0415
    challenge = find(slug) if slug else default_challenge(progress)
    if not serves_the_site(challenge):
        why = CANNOT_RACE.get(challenge.slug, "does not serve the site in static/")
        raise UserError(f"{challenge.slug} {why}, so it cannot race. "
                        f"Choose one that does, like go_async.")
    if not (0 < seconds <= 60) or not math.isfinite(seconds):
        raise UserError("--seconds wants a number of seconds between 0 and 60.")
    script = server_script(challenge, target)
    print(f"Racing {challenge.slug} ({show(script)}). Correct first: its grader...", flush=True)
    ok, why = grader_passes(challenge, target)
    if not ok:
        raise UserError(f"No time: {challenge.slug} does not pass its grader: {why}\n"
                        f"`{cli_command('check', challenge.slug)}` shows the whole report.", code=1)
    with tempfile.TemporaryDirectory(prefix="wsfs-race-") as logs:
        settings = Settings(seconds=seconds, generator=generator, logs=Path(logs))
        try:
            kind, scores = race_server(script, [scenario] if scenario else list(SCENARIOS), settings)
        except (UserError, ServerFailed, LookupError) as error:
            raise UserError(getattr(error, "message", str(error)), code=1) from None
    print(f"{challenge.slug}, {'an' if kind[0] in 'aeiou' else 'a'} {kind} server, generator {settings.generator}"
          f"{', pinned' if settings.cores else ''}:")
    for score in scores:
        print(score.line(kind))
    if post and target == "exercises":
        post_scores(challenge.slug, kind, scores)
    return 0
