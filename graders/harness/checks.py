"""Checks that several graders share: each catches one realistic mistake wherever it can happen."""
from __future__ import annotations

import socket
import time

from .clients import fetch, open_raw, send_raw
from .messages import GraderFailure, expect, with_advice

SHORT_BODY_GRACE = 3.0   # seconds the next client may wait; a spinning body loop never answers it


def survives_a_short_body(server, path: str, *, content_type: str, body: bytes, hint: str,
                          method: str = "POST", then: str = "/") -> None:
    """A client promises Content-Length bytes, sends fewer, and hangs up; the next client must be served.

    The mistake it catches: `while len(body) < length: body += conn.recv(1024)` with no end-of-stream check.
    Once the client has gone, recv() returns b"" at once, for ever: the loop spins at full CPU and, in a
    blocking or asyncio server, nobody is ever served again.
    """
    promised = len(body) + 64
    head = (f"{method} {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {promised}\r\n\r\n").encode("latin-1")
    story = (f"We sent {method} {path} with Content-Length: {promised}, then only {len(body)} bytes of body, "
             "and closed the connection.")
    try:
        with socket.create_connection((server.host, server.port), timeout=2) as sock:
            sock.sendall(head + body)
            time.sleep(0.05)
    except OSError:
        pass                              # it answered early, or refused: both fine, what matters is next
    expected = (f"the next request (GET {then}) answered within {SHORT_BODY_GRACE:g} s. {story} When recv() "
                "returns b\"\" the client is gone: stop reading the body (return, or raise ConnectionError) "
                "instead of waiting for bytes that will never come")
    try:
        fetch(server, "GET", then, timeout=SHORT_BODY_GRACE)   # any answer at all: the server goes on
    except GraderFailure as failure:
        raise with_advice(failure, expected=expected, hint=hint) from None



def head_is_the_head_of_get(server, path: str, *, hint: str | None = None, same_length: bool = True,
                            extra_headers: str = "") -> None:
    """HEAD `path` must answer what GET `path` answers, head only: the same status, the same Content-Type, the
    same Content-Length (RFC 9110 §9.3.2), and not one byte of body on the wire.

    Read raw, never with `requests`: a client that knows it asked for HEAD throws away a body sent after the
    head, and a wrong Content-Length (0, say) looks like an empty page. `same_length=False` for pages made
    afresh on each request (a clock), whose length may change between the two requests.
    """
    request = (f"{{method}} {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n{extra_headers}"
               "Connection: close\r\n\r\n")
    get = send_raw(server, request.format(method="GET").encode("latin-1"))
    with open_raw(server) as connection:
        connection.send(request.format(method="HEAD").encode("latin-1"))
        head = connection.read_response()
        connection.wait_for_hang_up(0.5)   # a body sent after the head arrives here, in .buffer
        leaked = connection.buffer
    expect(head.status == get.status, head, hint=hint,
           expected=f"the status of GET {path} ({get.status}): HEAD is GET without the body",
           got=f"{head.status} {head.reason}")
    expect(not leaked, head, hint=hint,
           expected="nothing after the blank line that ends the head: the answer to HEAD never carries a body",
           got=f"{len(leaked)} bytes of body after the head, starting {leaked[:60]!r}")
    for name in ("Content-Type", "Content-Length") if same_length else ("Content-Type",):
        want, got = get.headers.get(name), head.headers.get(name)
        if want is not None and got != want:
            expect(False, head, hint=hint,
                   expected=f"{name}: {want}, as GET {path} says: HEAD answers the headers GET would send, "
                   "including the length of the body it leaves out",
                   got=f"{name}: {got}" if got is not None else f"no {name}")
