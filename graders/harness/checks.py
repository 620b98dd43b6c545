"""Checks that several graders share: each catches one realistic mistake wherever it can happen."""
from __future__ import annotations

import socket
import time

from .clients import fetch
from .messages import GraderFailure, with_advice

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
