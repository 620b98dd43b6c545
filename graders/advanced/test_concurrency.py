"""concurrency: slow requests do not wait for each other, and a fast one does not wait for them.

GET /slow takes one second on the server; GET /fast answers at once. The checks:
- five GET /slow sent at the same moment all answer 200 within 2.5 s, and none before 0.9 s (the speed
  must come from serving them together, not from a shorter wait; a server that serves one connection
  at a time needs 5 s);
- a GET /fast sent while five GET /slow are running answers within 0.5 s;
- a GET /fast sent while another client sits on half a request (or on nothing at all) answers within 0.5 s:
  the request is read in the connection's own thread (or task), never in the accept loop;
- HEAD /fast and HEAD / answer GET's status and headers, with no body on the wire;
- a client that resets its connection in the middle of a request does not stop the server.
Threads, asyncio or selectors are all fine. The grader opens all its connections first and only then
writes the requests, last connection first, so the kernel's listen backlog cannot make a server that
accepts one connection at a time look concurrent.
"""
import time
from concurrent.futures import ThreadPoolExecutor

from graders.advanced.app_checks import survives_a_reset_mid_request
from graders.harness import GraderFailure, expect, fail, head_is_the_head_of_get, open_raw

SLOW = 1.0          # what /slow takes on the server
AT_ONCE = 5         # five of them...
ALL_WITHIN = 2.5    # ...finish together (one at a time would take 5 s)
FAST_WITHIN = 0.5   # and /fast does not queue behind them
HEAD_START = 0.2    # /fast is sent this long after the five /slow, so they are well under way



def request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()


def open_all(server, count: int, timeout: float) -> list:
    """Open every connection before writing anything: a blocking server accepts only the first."""
    connections = []
    try:
        for _ in range(count):
            connections.append(open_raw(server, timeout))
    except GraderFailure:
        close_all(connections)
        raise
    return connections


def close_all(connections) -> None:
    for connection in connections:
        connection.close()


def read_all(connections, started: float) -> list[tuple[float, object, str]]:
    """Read one answer on each connection at the same time: (seconds since `started`, Exchange or None, problem)."""
    def read(connection):
        try:
            exchange = connection.read_response()
            return time.perf_counter() - started, exchange, ""
        except GraderFailure as failure:
            return time.perf_counter() - started, None, failure.headline.split(": ", 1)[-1].rstrip(".")

    with ThreadPoolExecutor(len(connections)) as pool:
        return list(pool.map(read, connections))


def describe(results) -> str:
    answered = sorted((seconds, exchange) for seconds, exchange, _ in results if exchange is not None)
    lines = [f"    after {seconds:.2f} s: {exchange.status} {exchange.reason}" for seconds, exchange in answered]
    lines += [f"    {problem}" for _, exchange, problem in results if exchange is None]
    return "\n".join(lines)


def why_so_slow(results) -> str:
    """Guess from the timings what kept the requests waiting."""
    times = sorted(seconds for seconds, exchange, _ in results if exchange is not None)
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    if gaps and all(gap > 0.7 * SLOW for gap in gaps):
        return ("They came one after another, about a second apart: your server handles one request at a time. "
                "A blocking accept loop serves a connection before it accepts the next (the others wait in the "
                "kernel's listen backlog), and in asyncio, time.sleep() in a coroutine stops the whole event loop")
    return ("Some requests waited for others: something makes them take turns during the wait, such as a "
            "pool with too few workers, or a lock held while sleeping")


def test_five_slow_requests_finish_together(server):
    give_up = ALL_WITHIN + 0.7          # long enough to see the pattern, not the whole five seconds
    connections = open_all(server, AT_ONCE, give_up)
    try:
        started = time.perf_counter()
        for connection in reversed(connections):
            connection.send(request("/slow"))
        results = read_all(connections, started)
    finally:
        close_all(connections)

    sent = ("We opened five connections, then sent on each of them (the last one first):\n"
            + "    " + request("/slow").decode().replace("\r\n", "\\r\\n") + "\n"
            + "The answers arrived:\n" + describe(results))
    for _seconds, exchange, _problem in results:
        if exchange is not None and exchange.status != 200:
            fail(exchange, expected="200 OK for GET /slow", got=f"{exchange.status} {exchange.reason}", hint="blocking")
    late = [result for result in results if result[1] is None or result[0] > ALL_WITHIN]
    expect(not late, expected=f"all five answers within {ALL_WITHIN} s, because the five waits can overlap",
           got=f"{len(late)} of them later than that.\n\n{sent}\n\n{why_so_slow(results)}", hint="threads")
    early = [seconds for seconds, _, _ in results if seconds < 0.9 * SLOW]
    expect(not early, expected=f"GET /slow to still take about {SLOW:g} s",
           got=f"an answer after only {min(early or [0]):.2f} s.\n\n{sent}\n\n"
               "Keep the wait in /slow: it stands for a slow database. The point is to wait for several "
               "clients at the same time", hint="blocking")


def test_fast_request_does_not_wait_for_slow_ones(server):
    give_up = FAST_WITHIN + 1.0
    connections = open_all(server, AT_ONCE + 1, give_up)
    slow, fast = connections[:-1], connections[-1]
    try:
        for connection in reversed(slow):
            connection.send(request("/slow"))
        time.sleep(HEAD_START)
        started = time.perf_counter()
        fast.send(request("/fast"))
        try:
            exchange = fast.read_response()
        except GraderFailure:
            exchange = None
        seconds = time.perf_counter() - started
    finally:
        close_all(connections)

    story = (f"We opened six connections, sent GET /slow on five of them, and {HEAD_START} s later GET /fast "
             f"on the sixth.")
    if exchange is None:
        fail(expected=f"GET /fast to answer within {FAST_WITHIN} s",
             got=f"no answer at all within {give_up:g} s.\n\n{story}\n\nIt is stuck behind the slow requests: "
                 "while your server sleeps for one of them, nobody accepts or reads the next connection",
                 hint="threads")
    expect(exchange.status == 200, exchange, expected="200 OK for GET /fast",
           got=f"{exchange.status} {exchange.reason}", hint="blocking")
    expect(seconds <= FAST_WITHIN, exchange, expected=f"GET /fast to answer within {FAST_WITHIN} s",
           got=f"an answer after {seconds:.2f} s.\n\n{story}\n\nIt waited for a slow request to finish first: "
               "nothing was free to serve it. Is there a pool of workers, all busy sleeping? Or, with asyncio, "
               "time.sleep() in a coroutine, which stops the whole event loop (await asyncio.sleep() does not)",
           hint="asyncio")


def test_a_silent_client_does_not_delay_the_others(server, rng):
    cut = rng.randrange(0, len(request("/fast")) - 4)      # nothing at all, or a head without its blank line
    silent = open_raw(server, 2.0)
    try:
        if cut:
            silent.send(request("/fast")[:cut])
        time.sleep(0.2)                                      # the server has accepted it and waits for the rest
        started = time.perf_counter()
        try:
            with open_raw(server, FAST_WITHIN + 1.0) as fast:
                fast.send(request("/fast"))
                exchange = fast.read_response()
        except GraderFailure:
            exchange = None
        seconds = time.perf_counter() - started
    finally:
        silent.close()
    story = (f"We opened a connection and sent {f'only the first {cut} bytes of a request' if cut else 'nothing'}"
             f" ({request('/fast')[:cut]!r}), then GET /fast on a second connection.")
    why = ("Your server is still waiting for the first client's request, and nobody serves the second: is the "
           "request read in the accept loop, with only the answer handed to a thread? Hand the whole connection "
           "over (reading the request included) and go straight back to accept(): one client that stalls, "
           "and a browser's spare connection does, must stall nobody else")
    if exchange is None:
        fail(expected=f"GET /fast to answer within {FAST_WITHIN} s", got=f"no answer within {FAST_WITHIN + 1.0:g} s."
             f"\n\n{story}\n\n{why}", hint="threads")
    expect(exchange.status == 200, exchange, expected="200 OK for GET /fast",
           got=f"{exchange.status} {exchange.reason}", hint="blocking")
    expect(seconds <= FAST_WITHIN, exchange, expected=f"GET /fast to answer within {FAST_WITHIN} s",
           got=f"an answer after {seconds:.2f} s.\n\n{story}\n\n{why}", hint="threads")


def test_head_is_the_head_of_get(server):
    for path in ("/fast", "/"):
        head_is_the_head_of_get(server, path, hint="asyncio")


def test_a_client_that_resets_mid_request_does_not_stop_the_server(server, rng):
    partial = request("/slow")[: rng.randrange(1, len(request("/slow")) - 4)]
    survives_a_reset_mid_request(
        server, partial, then="/fast", hint="threads",
        expected="The reset is that client's problem, not the server's: read the request in the thread that "
                 "serves the connection, and end that thread on ConnectionError (or TimeoutError), never the "
                 "accept loop")
