"""keep_alive: several requests on one connection, in order, and idle connections closed.

Every check talks over one raw socket and reads each answer by its Content-Length. The checks:
- two HTTP/1.1 requests, one after the other on one connection, are both answered with the right file,
  and the first answer does not say "Connection: close" (a client that reads it hangs up);
- a request with "Connection: close" is answered, then the server closes the connection;
- an HTTP/1.0 request is answered, then the connection is closed (1.0 closes by default);
- an HTTP/1.0 request with "Connection: keep-alive" leaves it open: a second one is answered too;
- two requests sent in one write (pipelining) are both answered, in the order they were sent;
- a connection left quiet after an answer is closed by the server within 5 s.
The files asked for are picked at random from static/, so the order of the answers shows.
"""
import time
from pathlib import Path
from urllib.parse import quote

from graders.harness import GraderFailure, expect, fail, open_raw

STATIC = Path(__file__).resolve().parents[2] / "static"
IDLE_LIMIT = 5.0    # the spec: a quiet connection is closed within 5 s
CLOSE_WITHIN = 1.0  # after an answer that ends the connection, the close should follow at once



def site_files() -> list[Path]:
    """The site's files, one per content: two files with the same bytes would hide the order of answers."""
    by_content = {}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file() and path.name != "404.html":
            by_content.setdefault(path.read_bytes(), path)
    return list(by_content.values())


def pick(rng, count: int) -> list[tuple[str, bytes]]:
    """`count` different files of the site, as (URL path, exact bytes)."""
    files = rng.sample(site_files(), count)
    return [("/" + quote(file.relative_to(STATIC).as_posix()), file.read_bytes()) for file in files]


def request(path: str, version: str = "HTTP/1.1", connection: str | None = None) -> bytes:
    head = f"GET {path} {version}\r\nHost: 127.0.0.1\r\n"
    if connection:
        head += f"Connection: {connection}\r\n"
    return (head + "\r\n").encode()


def expect_file(exchange, path: str, content: bytes, hint: str) -> None:
    expect(exchange.status == 200, exchange, expected=f"200 OK with the file {path}",
           got=f"{exchange.status} {exchange.reason}", hint=hint)
    expect(exchange.body == content, exchange, expected=f"the {len(content)} bytes of {path}",
           got=f"{len(exchange.body)} bytes that differ", hint=hint)


def expect_kept_open(exchange, hint: str) -> None:
    connection = exchange.headers.get("Connection", "").lower()
    expect("close" not in connection, exchange,
           expected="an answer without 'Connection: close', since the connection stays open",
           got=f"'Connection: {exchange.headers.get('Connection')}'. A client that reads it hangs up, so the "
               "connection is never used again. Send it only when you are about to close (the kit's "
               "Response.encode() always adds it)", hint=hint)


def what_went_wrong(failure: GraderFailure) -> str:
    """'GET /x: the server closed the connection without answering.' -> 'the server closed ... answering'"""
    return failure.headline.split(": ", 1)[-1].rstrip(".")


def second_answer(connection, path: str, first, version: str = "HTTP/1.1", connection_header=None):
    """Send a second request on a connection that should still be open, and read its answer."""
    try:
        connection.send(request(path, version, connection_header))
        return connection.read_response()
    except GraderFailure as failure:
        fail(first, expected=f"the connection to stay open, and a second request (GET {path}) on it answered",
             got=f"no second answer: {what_went_wrong(failure)}. Here is the first request and its answer",
             hint="loop")


def test_two_requests_on_one_connection(server, rng):
    (path1, content1), (path2, content2) = pick(rng, 2)
    with open_raw(server, timeout=3.0) as connection:
        connection.send(request(path1))
        first = connection.read_response()
        expect_file(first, path1, content1, hint="loop")
        second = second_answer(connection, path2, first)
        expect_file(second, path2, content2, hint="loop")
        expect_kept_open(first, hint="loop")


def test_connection_close_closes_after_the_response(server, rng):
    [(path, content)] = pick(rng, 1)
    with open_raw(server, timeout=3.0) as connection:
        connection.send(request(path, connection="close"))
        answer = connection.read_response()
        expect_file(answer, path, content, hint="close")
        expect(connection.is_closed(within=CLOSE_WITHIN), answer,
               expected="the server to close the connection after answering, as the client asked",
               got=f"the connection still open {CLOSE_WITHIN:g} s later", hint="close")


def test_http10_closes_without_keep_alive(server, rng):
    [(path, content)] = pick(rng, 1)
    with open_raw(server, timeout=3.0) as connection:
        connection.send(request(path, "HTTP/1.0"))
        answer = connection.read_response()
        expect_file(answer, path, content, hint="close")
        expect(connection.is_closed(within=CLOSE_WITHIN), answer,
               expected="the server to close the connection after answering: HTTP/1.0 closes unless the client "
                        "sends 'Connection: keep-alive'",
               got=f"the connection still open {CLOSE_WITHIN:g} s later", hint="close")


def test_http10_keep_alive_stays_open(server, rng):
    (path1, content1), (path2, content2) = pick(rng, 2)
    with open_raw(server, timeout=3.0) as connection:
        connection.send(request(path1, "HTTP/1.0", "keep-alive"))
        first = connection.read_response()
        expect_file(first, path1, content1, hint="close")
        second = second_answer(connection, path2, first, "HTTP/1.0", "keep-alive")
        expect_file(second, path2, content2, hint="close")
        expect_kept_open(first, hint="close")


def test_pipelined_requests_answered_in_order(server, rng):
    (path1, content1), (path2, content2) = pick(rng, 2)
    with open_raw(server, timeout=3.0) as connection:
        connection.send(request(path1) + request(path2))   # both in one write: one recv() may get both
        first = connection.read_response()
        if first.status == 200 and first.body == content2 != content1:
            fail(first, expected=f"the answer to GET {path1} first", got=f"the answer to GET {path2}: answers must "
                 "come in the order the requests came", hint="buffer")
        expect_file(first, path1, content1, hint="buffer")
        waiting = time.perf_counter()
        try:
            second = connection.read_response()
        except GraderFailure as failure:
            waited = time.perf_counter() - waiting
            if waited < 1.0:   # closed at once (the harness adds 0.5 s to see if the server crashed)
                fail(first, expected=f"two answers, the second one for GET {path2}",
                     got=f"only the first: {what_went_wrong(failure)}. Does your server go back for the next "
                         "request after answering?", hint="loop")
            fail(first, expected=f"two answers, the second one for GET {path2}",
                 got=f"only the first; {waited:.1f} s later, {what_went_wrong(failure)}. The second request came "
                     "in the same recv() as the first, so it is already in your parser's buffer, and reading the "
                     "socket again waits for bytes that already came", hint="buffer")
        expect_file(second, path2, content2, hint="buffer")


def test_idle_connection_is_closed(server, rng):
    [(path, content)] = pick(rng, 1)
    with open_raw(server, timeout=3.0) as connection:
        connection.send(request(path))
        answer = connection.read_response()
        expect_file(answer, path, content, hint="loop")
        expect(connection.is_closed(within=IDLE_LIMIT), answer,
               expected=f"the server to close a quiet connection within {IDLE_LIMIT:g} s",
               got=f"it still open after {IDLE_LIMIT:g} s of silence. Each idle connection holds a thread (or a "
                   "socket) until the client leaves, and some never do: give recv() a timeout", hint="close")
