r"""streaming: send an answer while it is still being made.

So far every answer was complete before its first byte left: Content-Length had to be known. Some
answers are never complete up front: a long report, a log that grows, a live feed. HTTP/1.1 sends them
with "Transfer-Encoding: chunked": each piece goes out as soon as it exists, after its size in
hexadecimal, and a piece of size zero says "that was all":

    HTTP/1.1 200 OK\r\n
    Transfer-Encoding: chunked\r\n
    \r\n
    2\r\n5\n\r\n              <- 2 bytes: "5\n"
    8\r\nliftoff\n\r\n
    0\r\n\r\n                 <- the end

An HTTP/1.0 client knows no chunks: it gets the pieces as they are, and the closed connection tells it
the answer is over. Requests can be chunked too: curl sends a body of unknown size that way.

This server serves from fixed pools of threads, as production servers do (waitress runs 4 threads,
gunicorn a few workers): WORKERS threads read requests and send short answers, and STREAMERS threads
send streams. A stream holds its streamer for as long as it runs (its own pool, so ten long streams
never starve a GET /), and a stream whose client has gone must stop at once: a few abandoned streams
that go on would take every streamer.

What to build (each place is marked TODO below):
1. send the head, then each piece as soon as it is made, as a chunk (its size in hex), then the zero chunk;
2. an HTTP/1.0 client gets the pieces unframed, then the close;
3. stop the stream when its client has gone, so its streamer is free again;
4. decode chunked request bodies: POST /upper answers its body in upper case.

Run it:    python exercises/advanced/streaming/server.py --port 8002
Try it:    curl -N "http://127.0.0.1:8002/countdown?from=5"          (-N: print each line as it comes)
           curl -s --raw "http://127.0.0.1:8002/countdown?from=3"    (--raw: see the chunk sizes)
           curl -N http://127.0.0.1:8002/events                    (Ctrl+C to leave)
           curl -H "Transfer-Encoding: chunked" --data-binary "hello, chunks" http://127.0.0.1:8002/upper
Check it:  python -m pytest graders/advanced/test_streaming.py
"""
import json
import queue
import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import parse_qs

from reference import cli
from reference.blocking_server import connections, read_head, recv_before
from reference.core import static_site
from reference.core.request_parser import MAX_BODY, HTTPError, Request, content_length, parse_head
from reference.core.response import Response, error_page, error_reply, reason, reply_to
from reference.core.router import Router

WORKERS = 10          # threads that read requests and send short answers
STREAMERS = 10        # threads that send streams: a stream holds one for as long as it runs
TICK = 0.2            # seconds between two pieces of a stream
HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]+")   # int(x, 16) would also take "0x1f", "+1f", " 1f" and "1_f"


@dataclass
class Stream:
    """An answer whose body is made piece by piece: iterating `pieces` gives bytes, and takes its time."""
    status: int
    headers: list[tuple[str, str]]
    pieces: Iterator[bytes]


router = Router()


@router.route("/countdown")
def countdown_page(request) -> Stream | Response:
    start = parse_qs(request.query).get("from", [""])[0]
    if not (start.isascii() and start.isdecimal() and 1 <= int(start) <= 20):
        return error_page(400, "countdown?from=N takes a whole number from 1 to 20")
    return Stream(200, [("Content-Type", "text/plain; charset=utf-8")], countdown(int(start)))


def countdown(start: int) -> Iterator[bytes]:
    """N, ..., 1, liftoff: one line per TICK. A generator does no work until it is asked for the next line."""
    for number in range(start, 0, -1):
        yield f"{number}\n".encode()
        time.sleep(TICK)             # the work between two pieces (a real stream computes, or waits for data)
    yield b"liftoff\n"


@router.route("/events")
def events_page(request) -> Stream:
    # Server-Sent Events: the browser's EventSource reads this; no-cache, since every visit is live.
    headers = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]
    return Stream(200, headers, ticks())


def ticks() -> Iterator[bytes]:
    """One event per TICK, for ever: 'field: value' lines, and a blank line to end each event."""
    tick = 0
    while True:
        tick += 1
        yield f"id: {tick}\ndata: {json.dumps({'tick': tick})}\n\n".encode()
        time.sleep(TICK)


@router.route("/upper", methods=("POST",))
def upper(request) -> Response:
    return Response(200, [("Content-Type", "text/plain; charset=utf-8")], request.body.upper())


def frame(piece: bytes) -> bytes:
    """One chunk: the size in hex, CRLF, the bytes, CRLF. (An empty piece would read as the end: skip those.)"""
    # TODO: the size is written in hexadecimal: 26 bytes are "1a", not "26".
    return b""


def stream_head(stream: Stream, chunked: bool) -> bytes:
    """The status line and headers of a stream. No Content-Length: nobody knows it yet."""
    lines = [f"HTTP/1.1 {stream.status} {reason(stream.status)}"]
    lines += [f"{name}: {value}" for name, value in stream.headers]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_stream(conn: socket.socket, request, stream: Stream) -> None:
    """Send a Stream: the head, then each piece as soon as it is made."""
    # TODO: HTTP/1.0 knows no chunks: only an HTTP/1.1 request (request.version) gets them.
    chunked = False  # noqa: F841 - your TODO uses it
    # TODO: this waits for the last piece before sending a byte, so the client sees nothing until the end
    #       (and /events never ends). Send stream_head(stream, chunked) first, then each piece as soon as
    #       it is made, frame(piece) when chunked, and the zero chunk b"0\r\n\r\n" at the end.
    body = b"".join(stream.pieces)
    conn.sendall(Response(stream.status, stream.headers, body).encode())
    # TODO: the client may leave mid-stream: sendall() then raises ConnectionError. Stop the stream there
    #       (return), so its work ends and this streamer is free for the next stream.


def dechunk(data: bytes) -> bytes | None:
    """The body that chunked `data` carries, once all of it is there; None while more must be read.

    Each chunk is its size in hex, maybe ';extensions' (dropped), CRLF, that many bytes, CRLF. The zero
    chunk ends the body; trailer lines may follow it, then a blank line. A bad size raises HTTPError(400).
    """
    # TODO: decode the chunks. Find the size line's CRLF; drop what follows a ";" (an extension); the size
    #       must be hex digits only (HEX_DIGITS), else HTTPError(400); take that many bytes, check a CRLF
    #       follows, and go on from there. Return None whenever the next piece has not arrived yet.
    #       This stub waits for the zero chunk and hands back the body still framed.
    if not data.endswith(b"0\r\n\r\n"):
        return None
    return data


def parse_head_and_framing(head: bytes) -> tuple[Request, bool]:
    """parse_head(), but chunked bodies allowed: (the request, whether its body is chunked).

    The core refuses Transfer-Encoding with 501, since the kit's other servers read bodies by
    Content-Length only. This one decodes chunks, so the header is taken out before the core parses the rest.
    """
    lines = re.split(rb"\r?\n", head)
    kept, codings = lines[:1], []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"transfer-encoding":
            codings.append(value.strip().lower())
        else:
            kept.append(line)
    request = parse_head(b"\r\n".join(kept))
    if not codings:
        return request, False
    if codings != [b"chunked"]:
        raise HTTPError(501, "the only transfer coding this server decodes is chunked")
    if "content-length" in request.headers:           # two framings: which one ends the body? (smuggling)
        raise HTTPError(400, "Transfer-Encoding and Content-Length together")
    request.headers["transfer-encoding"] = "chunked"
    return request, True


def read_request(conn: socket.socket, deadline: float) -> Request | None:
    """Read one request, its body by Content-Length or by chunks. None if the client hung up first."""
    parts = read_head(conn, deadline)         # up to the blank line, as the kit's servers read it
    if parts is None:
        return None
    head, body = parts
    request, chunked = parse_head_and_framing(head)
    if chunked:
        while (decoded := dechunk(body)) is None:
            body += more_body(conn, deadline, len(body))
        request.body = decoded
    else:
        length = content_length(request.headers)
        while len(body) < length:
            body += more_body(conn, deadline, len(body))
        request.body = body[:length]
    return request


def more_body(conn: socket.socket, deadline: float, so_far: int) -> bytes:
    if so_far > MAX_BODY:
        raise HTTPError(413, "the body is too large")
    received = recv_before(conn, deadline)
    if not received:
        raise HTTPError(400, "the body ended before it was complete")
    return received


def serve_client(conn: socket.socket, args, streams: queue.Queue) -> None:
    """Read one request and answer it: a Response at once; a Stream goes to a streamer, with its connection."""
    deadline = time.monotonic() + args.timeout
    try:
        request = read_request(conn, deadline)
        if request is None:
            conn.close()                       # the client hung up before finishing its request
            return
        answer = router.dispatch(request)
    except HTTPError as error:
        request, answer = None, error
    except (TimeoutError, ConnectionError):
        conn.close()                           # stalled or gone: drop the connection
        return
    if isinstance(answer, Stream) and request.method != "HEAD":
        # A stream may last for minutes: its own pool sends it, so this worker is free for short requests.
        streams.put((conn, request, answer))
        return
    with conn:
        try:
            if isinstance(answer, Stream):   # HEAD: the head GET would get, and not one piece (RFC 9110, 9.3.2)
                conn.sendall(stream_head(answer, request.version == "HTTP/1.1"))
            else:
                conn.sendall(error_reply(answer) if request is None else reply_to(request, answer))
        except ConnectionError:
            pass                               # the client left before reading its answer


def send_and_close(conn: socket.socket, request, stream: Stream) -> None:
    with conn:
        send_stream(conn, request, stream)


def worker(clients: queue.Queue, streams: queue.Queue, args) -> None:
    """One of the WORKERS threads: serve one client after another, for ever."""
    while True:
        conn = clients.get()
        serve_client(conn, args, streams)   # an exception that escapes here ends this worker: one short


def streamer(streams: queue.Queue) -> None:
    """One of the STREAMERS threads: send one stream after another, for ever."""
    while True:
        send_and_close(*streams.get())


def main(args) -> None:
    router.fallback = lambda request: static_site.respond(request, args.static)
    clients: queue.Queue = queue.Queue()
    streams: queue.Queue = queue.Queue()
    for _ in range(WORKERS):
        threading.Thread(target=worker, args=(clients, streams, args), daemon=True).start()
    for _ in range(STREAMERS):
        threading.Thread(target=streamer, args=(streams,), daemon=True).start()
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce("streaming", args)
        for conn, _address in connections(listener):
            clients.put(conn)            # the next free worker takes it; while none is free, it waits its turn


if __name__ == "__main__":
    cli.run("streaming", main, cli.parse_args(__doc__.splitlines()[0]))
