"""What the advanced application graders share (concurrency, keep_alive, cookies, templates, request_response,
middleware): unhappy clients, and requests drawn in every legal shape."""
from __future__ import annotations

import os
import socket
import struct
import time

from graders.harness import GraderFailure, fetch, open_raw, with_advice


def abortive_close(platform: str = os.name) -> bytes:
    """SO_LINGER on, with a 0 s linger: close() then resets the connection. The C struct differs on Windows."""
    return struct.pack("HH" if platform == "nt" else "ii", 1, 0)


def reset_mid_request(server, partial: bytes) -> None:
    """Send part of a request, then reset the connection (an RST): the server's recv() raises
    ConnectionResetError instead of returning b""."""
    with open_raw(server, 2.0) as connection:
        connection.send(partial)
        time.sleep(0.1)                  # long enough for the server to read it and wait for the rest
        connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, abortive_close())
    time.sleep(0.2)                      # and for a crash, if there is one, to happen


def survives_a_reset_mid_request(server, partial: bytes, *, then: str, expected: str, hint: str) -> None:
    """A client that resets its connection half-way through a request must not stop the server serving the next."""
    try:
        reset_mid_request(server, partial)
        fetch(server, "GET", then, timeout=3.0)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"the next request (GET {then}) answered after a client sent half a "
                          f"request and reset its connection. {expected}", hint=hint) from None


def odd_case(name: str, rng) -> str:
    """A header name in a case a client may send: names are case-insensitive (RFC 9110, 5.1)."""
    return rng.choice([name, name.lower(), name.upper(), "".join(rng.choice((c.upper(), c.lower())) for c in name)])


def split_at_random(data: bytes, rng, pieces: int = 3) -> list[bytes]:
    """`data` cut at random bytes (inside a \\r\\n too) into at most `pieces` writes."""
    cuts = sorted(rng.sample(range(1, len(data)), min(pieces - 1, len(data) - 1)))
    return [data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)], strict=False)]
