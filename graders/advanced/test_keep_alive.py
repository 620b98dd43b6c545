"""keep_alive: several requests on one connection, in order, and idle connections closed.

Every check talks over one raw socket and reads each answer by its Content-Length. The checks:
- two HTTP/1.1 requests, one after the other on one connection, are both answered with the right file,
  and the first answer does not say "Connection: close" (a client that reads it hangs up);
- a request with "Connection: close" is answered, then the server closes the connection;
- an HTTP/1.0 request is answered, then the connection is closed (1.0 closes by default);
- an HTTP/1.0 request with "Connection: keep-alive" leaves it open: a second one is answered too;
- two requests sent in one write (pipelining) are both answered, in the order they were sent;
- the Connection header is a list of options in any case (RFC 9110, 7.6.1): `Close`, `keep-alive, TE`,
  `TE ,close` or two Connection lines are read as the options they list, for HTTP/1.1 and HTTP/1.0;
- requests pipelined in one stream but cut into writes at random bytes (inside a \r\n too) are answered, in order;
- after a request it cannot parse (a broken Content-Length, say) the server answers 400 and closes: it cannot
  tell where the next request starts (RFC 9112, 9.6), so it never answers what follows on that connection;
- a connection left quiet after an answer, and one that sent half a request and stalled, are closed by the
  server within 5 s;
- HEAD answers GET's status and headers with no body on the wire (else the body is read as the next answer);
- a client that resets its connection in the middle of a request does not stop the server.
The files asked for are picked at random from static/, so the order of the answers shows.
"""
import time
from pathlib import Path
from urllib.parse import quote

from graders.advanced.app_checks import odd_case, split_at_random, survives_a_reset_mid_request
from graders.ground import STATIC
from graders.harness import GraderFailure, expect, fail, head_is_the_head_of_get, open_raw, with_advice

STATIC = STATIC
IDLE_LIMIT = 5.0    # the spec: a quiet connection is closed within 5 s
CLOSE_WITHIN = 1.0  # after an answer that ends the connection, the close should follow at once
CLOSE_AFTER_ERROR = 1.5   # after a 400 a server may first drain what the client still sends, for about a second



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


def request(path: str, version: str = "HTTP/1.1", connection: str | list[str] | None = None, rng=None) -> bytes:
    """A GET; `connection` is one Connection header's value, or a list of them (one line each); with `rng`, the
    header names come in any case."""
    name = (lambda header: odd_case(header, rng)) if rng else (lambda header: header)
    head = f"GET {path} {version}\r\n{name('Host')}: 127.0.0.1\r\n"
    for value in [connection] if isinstance(connection, str) else connection or []:
        head += f"{name('Connection')}: {value}\r\n"
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


OTHER_OPTIONS = ("TE", "Upgrade", "X-Grader-Option")   # other options a Connection header may list
SEPARATORS = (", ", ",", " , ", " ,\t")                # a list's commas may have spaces around them


def spelled(word: str, rng) -> str:
    """`word` in a case a client may send, never all lower-case: options are case-insensitive."""
    return rng.choice([word.capitalize(), word.upper(), word[0] + word[1:].upper(), word.title()])


def as_list(options: list[str], rng) -> str:
    rng.shuffle(options)
    return rng.choice(SEPARATORS).join(options)


def connection_shapes(rng) -> list[tuple[str, list[str], bool]]:
    """(version, Connection header lines, stays open?): one of each kind, drawn afresh each run."""
    other = rng.choice(OTHER_OPTIONS)
    return [("HTTP/1.1", [as_list([spelled("close", rng), other], rng)], False),
            ("HTTP/1.1", [as_list([spelled("keep-alive", rng), other], rng)], True),
            ("HTTP/1.0", [as_list([spelled("keep-alive", rng), other], rng)], True),
            ("HTTP/1.1", [other, spelled("close", rng)], False)]    # two lines: one list, "TE, close"


def test_connection_options_in_any_case_and_in_a_list(server, rng):
    for version, lines, stays_open in connection_shapes(rng):
        (path1, content1), (path2, content2) = pick(rng, 2)
        said = " and ".join(f"'Connection: {line}'" for line in lines)
        with open_raw(server, timeout=3.0) as connection:
            connection.send(request(path1, version, lines, rng))
            first = connection.read_response()
            expect_file(first, path1, content1, hint="close")
            if not stays_open:
                expect(connection.is_closed(within=CLOSE_WITHIN), first,
                       expected=f"the server to close the connection after answering: {said} lists the option "
                                "close. Connection holds a comma-separated list of options, in any case: split it "
                                "on commas, strip the spaces and lower-case each option before looking for close",
                       got=f"the connection still open {CLOSE_WITHIN:g} s later", hint="close")
                continue
            try:
                connection.send(request(path2, version, lines, rng))
                second = connection.read_response()
            except GraderFailure as failure:
                fail(first, expected=f"the connection to stay open: {version} with {said} asks for keep-alive. "
                     "Connection holds a comma-separated list of options, in any case: split it on commas, strip "
                     "the spaces and lower-case each option before looking for keep-alive",
                     got=f"no second answer: {what_went_wrong(failure)}", hint="close")
            expect_file(second, path2, content2, hint="close")


BROKEN = {  # requests no server can frame: after one of them it cannot tell where the next request starts
    "a Content-Length that is not a number": "Content-Length: {n}abc\r\n",
    "two different Content-Lengths": "Content-Length: {n}\r\nContent-Length: {m}\r\n",
    "a negative Content-Length": "Content-Length: -{n}\r\n",
    "a header line without a colon": "X-Broken-Header {n}\r\n",
}


def test_the_connection_closes_after_a_400(server, rng):
    (path1, content1), (path2, _content2) = pick(rng, 2)
    what, line = rng.choice(sorted(BROKEN.items()))
    broken = f"GET {path1} HTTP/1.1\r\nHost: 127.0.0.1\r\n{line.format(n=rng.randint(1, 9), m=rng.randint(10, 99))}\r\n"
    follow = rng.random() < 0.5        # the next request may come in the same write, as a smuggler sends it
    with open_raw(server, timeout=3.0) as connection:
        connection.send(request(path1))
        first = connection.read_response()
        expect_file(first, path1, content1, hint="loop")
        connection.send(broken.encode() + (request(path2) if follow else b""))
        try:
            answer = connection.read_response()
        except GraderFailure:
            return                     # closed without a word: allowed, the connection is over either way
        expect(400 <= answer.status < 500, answer, expected=f"400 Bad Request for {what}",
               got=f"{answer.status} {answer.reason}", hint="close")
        state = connection.wait_for_hang_up(CLOSE_AFTER_ERROR)
        leaked = connection.buffer
    expect(not leaked.startswith(b"HTTP/"), answer,
           expected=f"nothing after the 400: the request after the broken one ({path2}) must never be answered",
           got=f"an answer to it ({leaked[:40]!r}...). After a request it could not parse, a server cannot tell where "
               "the next one starts (RFC 9112, 9.6): bytes that look like a request may be a smuggled one. "
               "Close the connection after a 400", hint="close")
    expect(state != "open", answer,
           expected=f"the server to close the connection after its 400 for {what}: after a request it cannot "
                    "parse, it cannot tell where the next one starts (RFC 9112, 9.6)",
           got=f"the connection still open {CLOSE_AFTER_ERROR:g} s later. An error answer ends the connection: make "
               "keep-alive False there, whatever the request before it said", hint="close")


def test_pipelined_requests_split_at_random_bytes(server, rng):
    files = pick(rng, 3)
    stream = b"".join(request(path, rng=rng) for path, _ in files)
    pieces = split_at_random(stream, rng, rng.randint(2, 5))
    cuts = ", ".join(str(len(b"".join(pieces[:n]))) for n in range(1, len(pieces)))
    story = (f"We sent {len(files)} requests one after another on one connection, cut into {len(pieces)} "
             f"writes at bytes {cuts}: a write may end in the middle of a request and hold the start of the "
             "next. Keep one parser for the whole connection: the bytes after a request belong to the next")
    with open_raw(server, timeout=3.0) as connection:
        for number, piece in enumerate(pieces):
            if number:
                time.sleep(0.05)
            try:
                connection.send(piece)
            except GraderFailure as failure:   # the server hung up while the rest was still on its way
                raise with_advice(failure, hint="buffer", expected=f"the connection open until every request "
                                  f"is answered. {story}") from None
        for number, (path, content) in enumerate(files, 1):
            try:
                answer = connection.read_response()
            except GraderFailure as failure:
                raise with_advice(failure, hint="buffer", expected=f"an answer to each request, in order; this "
                                  f"was request {number}, GET {path}. {story}") from None
            expect(answer.status == 200 and answer.body == content, answer, hint="buffer",
                   expected=f"200 OK with the {len(content)} bytes of {path} (request {number}). {story}",
                   got=f"{answer.status} {answer.reason} with {len(answer.body)} bytes")


def test_quiet_and_stalled_connections_are_closed(server, rng):
    [(path, content)] = pick(rng, 1)
    half = request(path)[: rng.randrange(1, len(request(path)) - 4)]
    with open_raw(server, timeout=3.0) as quiet, open_raw(server, timeout=3.0) as stalled:
        quiet.send(request(path))
        answer = quiet.read_response()
        expect_file(answer, path, content, hint="loop")
        stalled.send(half)
        started = time.monotonic()
        quiet_state = quiet.wait_for_hang_up(IDLE_LIMIT)
        stalled_state = stalled.wait_for_hang_up(max(0.0, started + IDLE_LIMIT - time.monotonic()))
    expect(quiet_state != "open", answer, expected=f"the server to close a quiet connection within {IDLE_LIMIT:g} s",
           got=f"it still open after {IDLE_LIMIT:g} s of silence. Each idle connection holds a thread (or a socket) "
               "until the client leaves, and some never do: give the wait for the next request a deadline",
               hint="close")
    expect(stalled_state != "open", expected=f"the server to close, within {IDLE_LIMIT:g} s, a connection that sent "
           f"half a request ({half!r}) and then nothing",
           got=f"it still open after {IDLE_LIMIT:g} s. The deadline must cover the whole wait for a request, first "
               "one included, not only the silence between two", hint="close")


def test_head_is_the_head_of_get(server, rng):
    [(path, _content)] = pick(rng, 1)
    head_is_the_head_of_get(server, path, hint="loop")


def test_a_client_that_resets_mid_request_does_not_stop_the_server(server, rng):
    [(path, _content)] = pick(rng, 1)
    survives_a_reset_mid_request(
        server, request(path) + request(path)[: rng.randrange(1, 20)], then="/", hint="loop",
        expected="The reset is that client's problem: end its connection on ConnectionError, never the server")
