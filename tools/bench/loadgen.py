"""A small load generator, like `ab -n 1000 -c 10`, written with the standard library only.

    python -m tools.bench.loadgen http://127.0.0.1:8002/about -n 1000 -c 10

`concurrency` workers share one asyncio event loop, so a hundred clients cost a hundred sockets, not a
hundred threads. Each worker takes the next request, opens a new connection, sends one GET with
Connection: close, reads the whole answer (response_reader decides when it is whole) and records how
long that took, from connect to the last byte. A request that fails is counted by its kind of error.

The load is bounded twice: by the number of requests and by a time limit. When the time is up the
requests still in flight are cancelled and counted as cut off, so a slow server can never make us
wait for ever. It only ever targets this machine (127.0.0.1).
"""
import argparse
import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from graders import supervisor
from tools.bench.report import percentile
from tools.bench.response_reader import ResponseError, ResponseReader, get_request

HOST = supervisor.HOST   # loopback only: load-testing somebody else's server is an attack, not a lesson


@dataclass
class Outcome:
    latency: float             # seconds, from connect to the last byte (or to the failure)
    status: int | None         # the HTTP status, when one came back
    error: str | None = None   # None for a full 200 answer, else its kind: see error_kind()
    detail: str = ""           # the error's own words, for the report


@dataclass
class LoadResult:
    requested: int
    latencies: list[float] = field(default_factory=list)          # seconds, of the 200 answers only
    errors: Counter = field(default_factory=Counter)              # kind -> count
    examples: dict[str, str] = field(default_factory=dict)        # kind -> the first such error's words
    cut_off: int = 0           # in flight when the time limit ran out: neither completed nor failed
    elapsed: float = 0.0       # seconds, until the last answer or the time limit

    def record(self, outcome: Outcome) -> None:
        if outcome.error is None:
            self.latencies.append(outcome.latency)
        else:
            self.errors[outcome.error] += 1
            self.examples.setdefault(outcome.error, outcome.detail)


def error_kind(error: BaseException) -> str:
    """Sort a failure into the few kinds a learner can act on."""
    if isinstance(error, ConnectionRefusedError):
        return "refused"          # nobody listens on the port: the server crashed or never started
    if isinstance(error, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return "reset"            # the server dropped the connection mid-way
    if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        return "timeout"          # no full answer within the per-request timeout
    if isinstance(error, (ResponseError, asyncio.IncompleteReadError)):
        return "bad response"     # bytes came back, but not a whole HTTP response
    return "other"                # any other OSError, e.g. "too many open files"


async def exchange(port: int, request: bytes) -> int:
    """Connect, send the request, read the whole response; return its status."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(request)
        await writer.drain()
        response = ResponseReader()
        while not response.done:
            data = await reader.read(64 * 1024)
            if data:
                response.receive(data)
            else:
                response.end_of_stream()   # the server closed: complete, or an error if bytes are missing
        return response.status
    finally:
        writer.close()


async def fetch(port: int, request: bytes, timeout: float) -> Outcome:
    """One request, timed, with its failure (if any) turned into an Outcome instead of an exception."""
    started = time.perf_counter()
    try:
        status = await asyncio.wait_for(exchange(port, request), timeout)
    except (OSError, asyncio.TimeoutError, ResponseError, asyncio.IncompleteReadError) as error:
        detail = str(error) or type(error).__name__
        return Outcome(time.perf_counter() - started, None, error_kind(error), detail)
    latency = time.perf_counter() - started
    if status != 200:
        return Outcome(latency, status, "bad status", f"status {status}")
    return Outcome(latency, status)


async def run_load(port: int, path: str, requests: int, concurrency: int,
                   timeout: float = 30.0, duration_limit: float = 60.0) -> LoadResult:
    """Send `requests` GETs of `path`, `concurrency` at a time, for at most `duration_limit` seconds."""
    request = get_request(HOST, port, path)
    result = LoadResult(requested=requests)
    numbers = iter(range(requests))    # shared by every worker: each request is taken exactly once
    in_flight = 0

    async def worker() -> None:
        nonlocal in_flight
        for _number in numbers:
            in_flight += 1
            outcome = await fetch(port, request, timeout)
            in_flight -= 1
            result.record(outcome)

    started = time.perf_counter()
    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        await asyncio.wait(workers, timeout=duration_limit)
        result.elapsed = time.perf_counter() - started
    finally:
        # Time is up (or Ctrl+C): cancel what is still running, and wait until it has let go of its socket.
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    result.cut_off = in_flight
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="http://127.0.0.1:PORT/path (this machine only)")
    parser.add_argument("-n", "--requests", type=int, default=1000, help="how many requests (default 1000)")
    parser.add_argument("-c", "--concurrency", type=int, default=10, help="how many at a time (default 10)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    parser.add_argument("--duration-limit", type=float, default=60.0,
                        help="stop after this many seconds, even if requests are left (default 60)")
    args = parser.parse_args(argv)
    url = urlsplit(args.url)
    if url.scheme != "http" or url.hostname not in (HOST, "localhost") or url.port is None:
        parser.error(f"give a URL like http://127.0.0.1:8002/about, not {args.url!r}")
    if min(args.requests, args.concurrency) < 1 or min(args.timeout, args.duration_limit) <= 0:
        parser.error("--requests and --concurrency must be at least 1, the times more than 0")
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")

    print(f"GET {path} on port {url.port}: {args.requests} requests, {args.concurrency} at a time, "
          f"a new connection for each")
    try:
        result = asyncio.run(run_load(url.port, path, args.requests, args.concurrency,
                                      args.timeout, args.duration_limit))
    except KeyboardInterrupt:
        sys.exit("\nloadgen stopped. Bye!")
    latencies_ms = [seconds * 1000 for seconds in result.latencies]
    print(f"completed   {len(latencies_ms)} of {args.requests} in {result.elapsed:.2f} s"
          + (f" ({result.cut_off} cut off by the time limit)" if result.cut_off else ""))
    if latencies_ms:
        print(f"requests/s  {len(latencies_ms) / result.elapsed:.1f}")
        print(f"latency     p50 {percentile(latencies_ms, 50):.1f} ms, p99 {percentile(latencies_ms, 99):.1f} ms")
    errors = ", ".join(f"{count} {kind} ({result.examples[kind]})" for kind, count in result.errors.items())
    print(f"errors      {errors or 0}")


if __name__ == "__main__":
    main()
