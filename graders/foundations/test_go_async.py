"""go_async: the file server on asyncio: one slow or silent client no longer holds up the others.

GET /slow takes one second on the server. The server runs with --static pointing at the kit's static/. The
checks:
- static files are still served exactly: /, /about, /styles.css and /images/logo.png, byte for byte with
  their types, and a missing file is still a 404; every answer is strict HTTP (\\r\\n, a Content-Length in
  bytes, the hang-up after Connection: close);
- a head sent in two writes half a second apart is answered only after its blank line;
- clients that connect and leave without a byte (a close, a reset) do not stop it;
- while one client has sent half a head and stalls, another client's GET / is answered within 0.5 s;
- a client that sends half a head and goes silent is hung up on after the server's timeout: the grader starts
  the server with CLIENT_TIMEOUT=1 in its environment (the starter's TIMEOUT reads it), so within 1 s and a
  margin; without a deadline (asyncio.wait_for) the stalled client holds its task for ever;
- HEAD / and HEAD /about answer the head of GET: the same status, Content-Type and Content-Length, no body;
- requests in other legal shapes (header names in any case, cut at any byte) are served the same;
- ten GET /slow sent at the same moment all answer 200 within 2.5 s, and none before 0.9 s (the speed must
  come from waiting together, not from a shorter wait; one at a time takes 10 s). The grader opens all ten
  connections first and writes the requests last one first, so the listen backlog cannot fake concurrency.
Any concurrent design passes (asyncio, threads, selectors); the starter, hints and solution teach asyncio.
"""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from graders.foundations.first_server_checks import (
    STREAM_HANG_UP,
    head_in_two_writes,
    request,
    shaped,
    split_anywhere,
    stalled_client_is_dropped,
    strict_answer,
    survives_clients_that_leave,
    timeout_env,
)
from graders.ground import STATIC
from graders.harness import GraderFailure, expect, fail, head_is_the_head_of_get, open_raw, send_raw, with_advice

KIT_STATIC = STATIC
SERVER_ARGS = ["--static", str(KIT_STATIC)]    # so a copy of the starter elsewhere (--target DIR) finds the site
SERVER_ENV = timeout_env()      # CLIENT_TIMEOUT=1: a stalled client is dropped after 1 s, not the starter's 10
SLOW = 1.0              # what /slow takes on the server
AT_ONCE = 10            # ten of them...
ALL_WITHIN = 2.5        # ...finish together: one at a time takes 10 s
OTHER_WITHIN = 0.5      # a client is served while another stalls
TYPES = {"/": "text/html", "/about": "text/html", "/styles.css": "text/css", "/images/logo.png": "image/png"}
FILES = {"/": "index.html", "/about": "about.html", "/styles.css": "styles.css", "/images/logo.png": "images/logo.png"}


def get(server, path: str, expected: str, hint: str = "await_io", data=None):
    return strict_answer(server, data or request(path), expected=expected, hint=hint, framing_hint="await_io",
                         read_hint="await_io", loop_hint="streams", hang_up=STREAM_HANG_UP)


@pytest.mark.parametrize("path", list(FILES))
def test_static_files_are_still_served_exactly(server, path, rng):
    exchange = get(server, path, expected=f"200 OK with static/{FILES[path]}",
                   data=split_anywhere(rng, shaped(rng, path)))
    expect(exchange.status == 200, exchange, expected=f"200 OK with static/{FILES[path]}, as before",
           got=f"{exchange.status} {exchange.reason}", hint="await_io")
    kind = exchange.headers.get("Content-Type", "")
    expect(kind.split(";")[0].strip().lower() == TYPES[path], exchange, expected=f"Content-Type: {TYPES[path]}",
           got=kind or "no Content-Type at all", hint="await_io")
    on_disk = (KIT_STATIC / FILES[path]).read_bytes()
    expect(exchange.body == on_disk, exchange, expected=f"the {len(on_disk):,} bytes of static/{FILES[path]}",
           got=f"{len(exchange.body):,} other bytes. Only the I/O lines change: the protocol code (response, "
               "find_file, answer) stays as the blocking server had it", hint="await_io")


def test_a_missing_file_is_still_a_404(server, rng):
    path = f"/missing-{rng.randint(1000, 9999)}.html"
    exchange = get(server, path, expected=f"404 Not Found for {path}")
    expect(exchange.status == 404, exchange, expected=f"404 Not Found: {path} is not in static/",
           got=f"{exchange.status} {exchange.reason}", hint="await_io")


def test_a_head_in_two_writes_is_answered_after_its_blank_line(server):
    exchange = head_in_two_writes(server, "/about", expected="static/about.html", hint="await_io",
                                  framing_hint="await_io", hang_up=STREAM_HANG_UP)
    expect(exchange.status == 200, exchange, expected="200 OK with static/about.html",
           got=f"{exchange.status} {exchange.reason}", hint="await_io")


def test_clients_that_leave_without_a_word_do_not_stop_it(server):
    survives_clients_that_leave(server, "/", expected="static/index.html", hint="await_io")


@pytest.mark.parametrize("path", ["/", "/about"])
def test_head_is_the_head_of_get(server, path):
    head_is_the_head_of_get(server, path, hint="await_io")


def test_a_stalled_client_is_hung_up_on_after_the_timeout(server):
    stalled_client_is_dropped(
        server, "/", expected="static/index.html", hint="deadline",
        deadline_words="Without a deadline, await reader.read() waits for that client for ever, and its task, "
                       "socket and memory are never freed: enough such clients and the server runs out of them. "
                       "asyncio.wait_for(read_head(reader), TIMEOUT) raises asyncio.TimeoutError after TIMEOUT "
                       "seconds: catch it beside OSError, and writer.close() in finally hangs up")


def test_a_stalled_client_does_not_delay_another(server):
    give_up = OTHER_WITHIN + 1.5
    half = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n"        # no blank line: the rest never comes
    with open_raw(server, give_up) as stalled:
        stalled.send(half)
        time.sleep(0.2)                  # the server has accepted it and waits for the rest of its head
        started = time.perf_counter()
        try:
            exchange = send_raw(server, request("/about"), timeout=give_up)
        except GraderFailure as failure:
            raise with_advice(failure, f"GET /about answered within {OTHER_WITHIN} s, while another client sat on "
                              "half a request. Your server is stuck waiting for that client: a blocking recv() "
                              "(conn.recv() in the blocking server, or inside a coroutine) stops everyone. "
                              "await reader.read() lets the event loop serve the others while one is silent",
                              "await_io") from None
        seconds = time.perf_counter() - started
    expect(exchange.status == 200, exchange, expected="200 OK with static/about.html",
           got=f"{exchange.status} {exchange.reason}", hint="await_io")
    expect(seconds <= OTHER_WITHIN, exchange,
           expected=f"an answer within {OTHER_WITHIN} s, although another client had sent half a request and paused",
           got=f"an answer after {seconds:.2f} s: it waited for the client that sat on half a request. Whatever waits "
               "for one client must let the others run: await reader.read(), not a blocking recv()", hint="await_io")


def test_ten_slow_requests_finish_together(server):
    give_up = ALL_WITHIN + 0.7           # long enough to see the pattern, not the whole ten seconds
    connections = []
    try:
        for _ in range(AT_ONCE):         # open every connection before writing anything: a blocking server
            connections.append(open_raw(server, give_up))     # accepts only the first
        started = time.perf_counter()
        for connection in reversed(connections):
            connection.send(request("/slow"))
        with ThreadPoolExecutor(AT_ONCE) as pool:
            results = list(pool.map(lambda c: read_timed(c, started), connections))
    finally:
        for connection in connections:
            connection.close()
    times = sorted(seconds for seconds, exchange in results if exchange is not None)
    story = f"We opened {AT_ONCE} connections, then sent GET /slow on each (the last one first). "
    story += (f"Answers came after: {', '.join(f'{t:.2f}' for t in times)} s" if times else "No answer came")
    story += f"; {AT_ONCE - len(times)} never came within {give_up:g} s" if 0 < len(times) < AT_ONCE else ""
    for _seconds, exchange in results:
        if exchange is not None and exchange.status != 200:
            fail(exchange, expected="200 OK for GET /slow", got=f"{exchange.status} {exchange.reason}", hint="sleep")
    late = [seconds for seconds, exchange in results if exchange is None or seconds > ALL_WITHIN]
    expect(not late, expected=f"all {AT_ONCE} answers within {ALL_WITHIN} s, since their one-second waits can overlap",
           got=f"{f'{len(late)} later than that' if times else 'none'}. {story}.\n\n{why_so_slow(times)}",
           hint="sleep")
    first = min(times)
    expect(first < SLOW + 0.8, expected=f"the first answers after about {SLOW:g} s, the time /slow waits",
           got=f"the first after {first:.2f} s. {story}. /slow stands for one second of waiting on a database: "
               "await asyncio.sleep(1), no longer", hint="sleep")
    early = [seconds for seconds in times if seconds < 0.9 * SLOW]
    expect(not early, expected=f"GET /slow to still take about {SLOW:g} s",
           got=f"an answer after only {min(early or [0]):.2f} s. {story}. Keep the one-second wait in /slow: it "
               "stands for a slow database. The lesson is to wait for many clients at the same time", hint="sleep")


def read_timed(connection, started: float):
    """(seconds since `started`, the Exchange) for one answer, or (seconds, None) if none came in time."""
    try:
        exchange = connection.read_response()
    except GraderFailure:
        exchange = None
    return time.perf_counter() - started, exchange


def why_so_slow(times: list[float]) -> str:
    if not times:
        return ("Your server seems stuck: a blocking call inside a coroutine (accept(), recv(), time.sleep()) "
                "stops the whole event loop, and no task gets its turn. With asyncio.start_server, every wait is "
                "an await")
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    if gaps and all(gap > 0.7 * SLOW for gap in gaps) or len(times) <= 3:
        return ("They came one after another, a second apart: your server serves one request at a time. In "
                "asyncio, time.sleep() inside a coroutine stops the whole event loop, and every client with it: "
                "await asyncio.sleep(1) lets the others run. The blocking server does the same: it serves one "
                "connection before it accepts the next")
    return ("Some requests waited for others: something makes them take turns during the wait, such as a blocking "
            "call in a coroutine, or a pool with too few workers")
