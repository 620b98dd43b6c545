"""streaming: answers sent piece by piece with chunked encoding, Server-Sent Events, chunked request bodies.

Streams are read on raw sockets, byte by byte as they arrive, with the time each byte came, so the grader
sees the chunk framing exactly and knows whether a line left before the next one existed. The checks:
- GET /countdown?from=N (HTTP/1.1) answers 200, text/plain, "Transfer-Encoding: chunked" and no
  Content-Length; the lines N, ..., 1, liftoff, each ended by \\n; every chunk framed exactly (its size in
  hex, CRLF, the bytes, CRLF) and the stream ended by the zero chunk 0\\r\\n\\r\\n; the first line arrives
  within 0.5 s although the last one exists only N x 0.2 s later, and the lines are spread over that time;
  a strict parser (h11) reads the same lines;
- the same countdown asked for over HTTP/1.0 comes unframed (no chunk sizes), line by line, then the
  connection closes;
- GET /events is text/event-stream with Cache-Control: no-cache, chunked, each event that carries data with
  an "id:" line and "data: {"tick": i}" (consecutive ticks), the first at once and then one every 0.2 s
  (blocks without data, such as "retry: 1000" or a comment, are allowed and skipped); chunk sizes are checked
  here too (events are longer than 9 bytes, so a size in decimal shows);
- POST /upper with a chunked body (several chunks in several writes, some with ;extensions) answers the
  decoded body in upper case, without sizes, CRLFs or extensions;
  the request comes in several writes cut at any byte, its Transfer-Encoding in any case, its sizes in any
  legal spelling, sometimes with trailer lines after the zero chunk;
- trailer lines after the zero chunk (0\\r\\nX-Checksum: abc\\r\\n\\r\\n) end the body at the blank line;
- a malformed chunk size (not hex digits: "xyz", "-5", "0x5") gives 400, and so do chunk bytes not followed
  by CRLF;
- a client that resets in the middle of its chunked body does not stop the server;
- HEAD /countdown and HEAD of a page are the head of their GET (no body on the wire);
- 20 streams abandoned by their clients after the first piece: every new stream still starts at once, no
  traceback is printed for a client that left, and afterwards GET / is answered at once. (The starter serves
  from a fixed pool of worker threads: a stream that goes on after its client has gone holds a worker.)
- once the clients of six streams have left, the server uses (almost) no CPU: a stream that keeps retrying
  its writes spins. Measured from /proc (Linux); skipped elsewhere, and with --server-url.
"""
import json
import os
import re
import select
import socket
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

import h11
import pytest

from graders.harness import (
    Exchange,
    GraderFailure,
    Headers,
    LocalServer,
    expect,
    fail,
    fetch,
    open_raw,
    send_raw,
    with_advice,
)
from graders.harness.checks import head_is_the_head_of_get
from graders.supervisor.process_tree import descendants

TICK = 0.2                # the spec: one line (or event) per 0.2 s
FIRST_WITHIN = 0.5        # the first piece must come this soon: a buffered countdown takes 0.8 s or more
WORDS = ["kettle", "walrus", "lantern", "pebble", "noodle", "quill", "crumpet", "otter", "socket", "teapot"]
HEX = re.compile(rb"[0-9A-Fa-f]+")
CPU_WINDOW = 1.0          # seconds the grader watches an idle server's CPU time
CPU_SHARE = 0.1           # an idle server uses none at all; one spinning loop uses a core, or its share of a busy one


def request(target: str, version: str = "HTTP/1.1") -> bytes:
    host = "Host: 127.0.0.1\r\n" if version == "HTTP/1.1" else ""
    return f"GET {target} {version}\r\n{host}\r\n".encode()


def countdown_lines(start: int) -> bytes:
    return "".join(f"{number}\n" for number in range(start, 0, -1)).encode() + b"liftoff\n"


@dataclass
class Chunks:
    """A chunked body read strictly: the decoded bytes, where each chunk ended, and what is wrong, if anything."""
    data: bytes = b""
    ends: list[int] = field(default_factory=list)   # offset in the raw body where each chunk's bytes end
    finished: bool = False                          # the zero chunk and its blank line came
    problem: str = ""
    hint: str = "frame"


def read_chunks(body: bytes) -> Chunks:
    chunks, position, data = Chunks(), 0, []
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            break                                   # incomplete (the caller knows if the connection closed)
        line = body[position:line_end]
        size_text = line.split(b";")[0].rstrip(b" \t")
        if not HEX.fullmatch(size_text):
            if not chunks.ends:
                chunks.problem = (f"a body that is not chunked: it starts {body[:24]!r}, where a chunk starts with "
                                  "its size in hex and CRLF (\"2\\r\\n\" before \"5\\n\")")
            else:
                chunks.problem = f"a chunk size line {line[:24]!r} that is not a size in hex"
            break
        size, start = int(size_text, 16), line_end + 2
        if size == 0:
            if body.find(b"\r\n\r\n", line_end) >= 0:   # (trailer lines, if any, end at the blank line)
                chunks.finished = True
            break
        decimal = int(size_text) if size_text.isdigit() else None
        hex_fits = body[start + size:start + size + 2] == b"\r\n"
        if decimal is not None and decimal != size and not hex_fits \
                and body[start + decimal:start + decimal + 2] == b"\r\n":
            chunks.problem = (f"a chunk size of {size_text.decode()} before a chunk of {decimal} bytes: the size "
                              f"is written in decimal, but chunk sizes are hex ({decimal} bytes is "
                              f"\"{decimal:x}\"), so a client reads {size} bytes and loses its place")
            chunks.hint = "frame"
            break
        if len(body) < start + size + 2:
            break                                   # this chunk has not fully arrived
        if not hex_fits:
            chunks.problem = (f"a chunk of {size} bytes (size line {line!r}) followed by CRLF, but the bytes after "
                              f"it are {body[start + size:start + size + 8]!r}")
            break
        data.append(body[start:start + size])
        chunks.ends.append(start + size)
        position = start + size + 2
    chunks.data = b"".join(data)
    return chunks


@dataclass
class Watched:
    """One request on a raw socket, and every byte that came back, with when it came."""
    method: str
    target: str
    sent: bytes
    arrivals: list[tuple[float, bytes]] = field(default_factory=list)   # (seconds after sending, bytes)
    closed: bool = False

    @property
    def raw(self) -> bytes:
        return b"".join(data for _, data in self.arrivals)

    @property
    def head(self) -> bytes:
        end = self.raw.find(b"\r\n\r\n")
        return self.raw[:end + 4] if end >= 0 else b""

    @property
    def body(self) -> bytes:
        return self.raw[len(self.head):] if self.head else b""

    def when(self, body_offset: int) -> float:
        """When the byte at `body_offset` of the body (0 = the first one) arrived."""
        wanted, seen = len(self.head) + body_offset, 0
        for at, data in self.arrivals:
            seen += len(data)
            if seen > wanted:
                return at
        return self.arrivals[-1][0] if self.arrivals else 0.0

    def status_and_headers(self) -> tuple[int, str, Headers]:
        lines = self.head.decode("latin-1").split("\r\n")
        found = re.fullmatch(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0]) if lines else None
        if not found:
            return 0, "", Headers([])
        pairs = [line.split(":", 1) for line in lines[1:] if ":" in line]
        return int(found[1]), found[2], Headers((name.strip(), value.strip()) for name, value in pairs)

    def exchange(self) -> Exchange:
        status, reason, headers = self.status_and_headers()
        sent = self.sent.decode("latin-1").replace("\r\n", "\\r\\n\n")
        elapsed = self.arrivals[-1][0] if self.arrivals else 0.0
        return Exchange(self.method, self.target, sent, status=status, reason=reason, headers=headers,
                        body=self.body, elapsed=elapsed, raw_head=self.head or self.raw)


def watch(server, data: bytes, seconds: float, enough=lambda watched: False) -> Watched:
    """Send `data`, then keep what comes back until the server closes, `enough(watched)`, or `seconds` pass."""
    method, target = data.split(b" ")[:2]
    watched = Watched(method.decode(), target.decode(), data)
    with open_raw(server, timeout=seconds) as connection:
        connection.send(data)
        started = time.perf_counter()
        while (left := started + seconds - time.perf_counter()) > 0:
            connection.sock.settimeout(left)
            try:
                received = connection.sock.recv(65536)
            except TimeoutError:
                break
            except OSError:
                received = b""                       # a reset ends the answer too
            if not received:
                watched.closed = True
                break
            watched.arrivals.append((time.perf_counter() - started, received))
            if enough(watched):
                break
    return watched


def expect_started(watched: Watched, seconds: float, hint: str) -> Exchange:
    exchange = watched.exchange()
    if not watched.head:
        if watched.arrivals:
            what = "an answer without the blank line (\\r\\n\\r\\n) that ends the head"
        elif watched.closed:
            what = "the connection closed without an answer"
        else:
            what = (f"nothing at all within {seconds:g} s. A server that waits for the end of a stream before "
                    "sending never sends /events, which has no end")
        fail(exchange, expected="an answer that starts at once, its head first", got=what, hint=hint)
    expect(exchange.status == 200, exchange, expected="200 OK", got=f"{exchange.status} {exchange.reason}",
           hint=hint)
    return exchange


def expect_chunked_head(exchange: Exchange, watched: Watched, what: str) -> None:
    coding = exchange.headers.get("Transfer-Encoding", "")
    length = exchange.headers.get("Content-Length")
    if "chunked" not in coding.lower():
        if length is not None:
            got = (f"Content-Length: {length}, which is known only once the whole {what} is made: the answer was "
                   f"buffered, and its first byte left {watched.when(0):.2f} s after the request")
        else:
            got = f"Transfer-Encoding: {coding}" if coding else "no Transfer-Encoding header"
        fail(exchange, expected=f"'Transfer-Encoding: chunked' (an HTTP/1.1 client), so the {what} can go out "
                                "piece by piece before its length is known", got=got, hint="send_each")
    expect(length is None, exchange, expected="no Content-Length beside Transfer-Encoding: chunked",
           got=f"Content-Length: {length}. With both, a client cannot tell which one ends the body", hint="frame")


def expect_framing(exchange: Exchange, chunks: Chunks) -> None:
    if chunks.problem:
        fail(exchange, expected="a body framed in chunks: the size in hex, CRLF, the bytes, CRLF",
             got=chunks.problem, hint=chunks.hint)


def h11_reads(watched: Watched) -> bytes:
    """The body as h11, a strict client, reads it (it checks the head and the framing its own way)."""
    client = h11.Connection(our_role=h11.CLIENT)
    client.send(h11.Request(method="GET", target="/", headers=[("Host", "grader")]))
    client.send(h11.EndOfMessage())
    client.receive_data(watched.raw)
    if watched.closed:
        client.receive_data(b"")
    body = b""
    while True:
        event = client.next_event()
        if isinstance(event, h11.Data):
            body += event.data
        elif event is h11.NEED_DATA or isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
            return body


# --- the countdown ------------------------------------------------------------------------------------

def test_countdown_is_chunked_and_each_line_leaves_as_it_is_made(server, rng):
    start = rng.randint(4, 5)
    expected = countdown_lines(start)
    watched = watch(server, request(f"/countdown?from={start}"), start * TICK + 3.0,
                    enough=lambda w: read_chunks(w.body).finished)
    exchange = expect_started(watched, start * TICK + 3.0, hint="send_each")
    content_type = exchange.headers.get("Content-Type", "")
    expect(content_type.startswith("text/plain"), exchange, expected="Content-Type: text/plain",
           got=f"Content-Type: {content_type}" if content_type else "no Content-Type", hint="send_each")
    expect_chunked_head(exchange, watched, "countdown")
    chunks = read_chunks(watched.body)
    expect_framing(exchange, chunks)
    expect(expected.startswith(chunks.data), exchange, expected=f"the lines {expected!r} in the chunks",
           got=f"{chunks.data!r}", hint="frame")
    if not chunks.finished:
        why = ("the connection closed without it, so a client cannot tell a finished countdown from a broken one"
               if watched.closed else "nothing ended the stream: the client waits for more for ever")
        fail(exchange, expected="after the last line, the zero chunk 0\\r\\n\\r\\n that ends a chunked answer",
             got=f"{chunks.data!r} and then {why}", hint="frame")
    expect(chunks.data == expected, exchange, expected=f"exactly the lines {expected!r}", got=f"{chunks.data!r}",
           hint="frame")
    first, last = watched.when(chunks.ends[0] - 1), watched.when(chunks.ends[-1] - 1)
    expect(first < FIRST_WITHIN, exchange,
           expected=f"the first line within {FIRST_WITHIN:g} s: the last one exists only {start * TICK:.1f} s after "
                    "the request, and each line should leave as soon as it is made",
           got=f"the first line {first:.2f} s after the request (the last at {last:.2f} s): everything was "
               "buffered and sent at the end", hint="send_each")
    expect(last - first >= (start - 1) * TICK * 0.6, exchange,
           expected=f"one line every {TICK:g} s, so the last line comes about {start * TICK:.1f} s after the first",
           got=f"the first line at {first:.2f} s and the last at {last:.2f} s, all at once", hint="send_each")
    try:
        strict = h11_reads(watched)
    except h11.RemoteProtocolError as error:
        fail(exchange, expected="an answer that h11, a strict HTTP parser, reads", got=f"h11 says: {error}",
             hint="frame")
    expect(strict == expected, exchange, expected=f"h11 (a strict parser) to read the lines {expected!r}",
           got=f"{strict!r}", hint="frame")


def test_http10_client_gets_the_lines_unframed_then_the_close(server, rng):
    start = 4
    expected = countdown_lines(start)
    watched = watch(server, request(f"/countdown?from={start}", "HTTP/1.0"), start * TICK + 3.0)
    exchange = expect_started(watched, start * TICK + 3.0, hint="send_each")
    coding = exchange.headers.get("Transfer-Encoding", "")
    expect("chunked" not in coding.lower(), exchange,
           expected="no Transfer-Encoding: chunked for an HTTP/1.0 client, which does not know chunks",
           got=f"Transfer-Encoding: {coding}", hint="send_each")
    if read_chunks(watched.body).data and watched.body != expected:
        fail(exchange, expected=f"the lines as they are, {expected!r}: HTTP/1.0 knows no chunks",
             got=f"{watched.body!r}, the chunk framing (sizes and CRLFs) meant for HTTP/1.1", hint="send_each")
    expect(watched.closed, exchange,
           expected="the connection closed after 'liftoff': for an HTTP/1.0 client the close ends the answer",
           got=f"it still open {start * TICK + 3.0:g} s after the request", hint="send_each")
    expect(watched.body == expected, exchange, expected=f"exactly the lines {expected!r}", got=f"{watched.body!r}",
           hint="send_each")
    first = watched.when(0)
    expect(first < FIRST_WITHIN, exchange,
           expected=f"the first line within {FIRST_WITHIN:g} s, each line leaving as it is made (HTTP/1.0 too)",
           got=f"the first byte {first:.2f} s after the request: the answer was buffered", hint="send_each")


# --- Server-Sent Events -------------------------------------------------------------------------------

def events_in(data: bytes) -> list[dict[str, str]]:
    """The complete events in an SSE stream that carry data: blocks of 'field: value' lines, ended by a blank
    line. A block without a data line (only 'retry: 1000', or a ':' comment) dispatches nothing in a browser,
    so it is not an event to judge."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    events = []
    for block in text.split("\n\n")[:-1]:           # the last part is not ended yet
        fields = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            if name:                                 # a line starting with ':' is a comment
                fields.setdefault(name, value[1:] if value.startswith(" ") else value)
        if "data" in fields:
            events.append(fields)
    return events


def test_events_are_server_sent_events_one_every_tick(server, rng):
    wanted = 3
    watched = watch(server, request("/events"), 3.0,
                    enough=lambda w: len(events_in(read_chunks(w.body).data)) >= wanted)
    exchange = expect_started(watched, 3.0, hint="send_each")
    content_type = exchange.headers.get("Content-Type", "")
    expect(content_type.split(";")[0].strip().lower() == "text/event-stream", exchange,
           expected="Content-Type: text/event-stream, what a browser's EventSource reads",
           got=f"Content-Type: {content_type}" if content_type else "no Content-Type", hint="send_each")
    cache = exchange.headers.get("Cache-Control", "")
    expect("no-cache" in cache.lower(), exchange, expected="Cache-Control: no-cache: every visit is live",
           got=f"Cache-Control: {cache}" if cache else "no Cache-Control", hint="send_each")
    expect_chunked_head(exchange, watched, "stream of events")
    chunks = read_chunks(watched.body)
    expect_framing(exchange, chunks)
    events = events_in(chunks.data)
    expect(chunks.data, exchange, expected=f"the first event at once, then one every {TICK:g} s",
           got="the head, then nothing within 3 s. /events never ends: a server that waits for the end of a "
               "stream before sending its body never sends it", hint="send_each")
    expect(len(events) >= wanted, exchange, expected=f"{wanted} events within 3 s, one every {TICK:g} s, each "
           "ended by a blank line", got=f"{len(events)} complete events carrying data", hint="events")
    for event in events:
        expect("id" in event, exchange, expected="an 'id:' line in every event that carries data",
               got=f"an event with {event}", hint="events")
        try:
            tick = json.loads(event["data"])["tick"]
        except (ValueError, TypeError, KeyError):
            tick = None
        expect(isinstance(tick, int), exchange, expected='the data line \'data: {"tick": i}\' in every event',
               got=f"an event with {event}", hint="events")
    ticks = [json.loads(event["data"])["tick"] for event in events]
    expect(all(b == a + 1 for a, b in zip(ticks, ticks[1:], strict=False)), exchange,
           expected="consecutive ticks, one more in each event", got=f"the ticks {ticks}", hint="events")
    first = watched.when(0)
    expect(first < FIRST_WITHIN, exchange, expected=f"the first event within {FIRST_WITHIN:g} s",
           got=f"it {first:.2f} s after the request", hint="send_each")
    span = watched.when(len(watched.body) - 1) - first
    expect(span >= (wanted - 1) * TICK * 0.6, exchange,
           expected=f"one event every {TICK:g} s, as each is made",
           got=f"{wanted} events within {span:.2f} s", hint="send_each")


# --- chunked request bodies ---------------------------------------------------------------------------

TRANSFER_ENCODINGS = ["Transfer-Encoding: chunked", "transfer-encoding: chunked", "TRANSFER-ENCODING: Chunked",
                      "Transfer-Encoding:chunked", "Transfer-Encoding: chunked "]   # names and codings: any case
TRAILERS = ["X-Checksum: {n}", "x-request-id: r{n}", "Server-Timing: db;dur={n}", "X-Empty:"]


def chunked_post(pieces: list[bytes], coding: str = "Transfer-Encoding: chunked") -> list[bytes]:
    head = b"POST /upper HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n" \
           + coding.encode() + b"\r\nConnection: close\r\n\r\n"
    return [head] + pieces


def split_anywhere(rng, data: bytes, cuts: int) -> list[bytes]:
    """`data` in pieces cut at random bytes: inside a size, a CRLF or an extension, wherever they fall."""
    points = sorted(rng.sample(range(1, len(data)), min(cuts, len(data) - 1)))
    return [data[a:b] for a, b in zip([0] + points, points + [len(data)], strict=False)]


def size_line(rng, size: int) -> str:
    """The size of a chunk in one of its legal spellings: lower or upper case hex, leading zeros."""
    return rng.choice([f"{size:x}", f"{size:X}", f"0{size:x}", f"00{size:X}"])


def test_chunked_request_body_is_decoded(server, rng):
    texts, body, extensions = [], b"", []
    for number in range(rng.randint(3, 4)):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 6))) + f" {rng.randint(10, 99)} "
        texts.append(text)
        extension = ""
        if number % 2 == 0:                        # chunk extensions: ;name or ;name=value, to be ignored
            extension = rng.choice([f";part={number}", ";note=\"x y\"", f";a;b={rng.randint(1, 9)}",
                                    f" ; part={number}"])
            extensions.append(extension)
        body += f"{size_line(rng, len(text.encode()))}{extension}\r\n{text}\r\n".encode()
    trailers = rng.sample(TRAILERS, rng.randint(0, 2))  # fields after the zero chunk (RFC 9112, 7.1.2)
    body += b"0\r\n" + "".join(line.format(n=rng.randint(100, 999)) + "\r\n" for line in trailers).encode() + b"\r\n"
    coding = rng.choice(TRANSFER_ENCODINGS)
    expected = "".join(texts).upper().encode()
    try:
        answer = send_raw(server, chunked_post(split_anywhere(rng, body, rng.randint(2, 5)), coding),
                          pause=0.05, timeout=3.0)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"200 with the decoded body in upper case, {expected[:60]!r}... (the "
                          f"body came in several writes, cut anywhere, sent with '{coding.strip()}'"
                          + (", and trailer lines after the zero chunk" if trailers else "") + ")",
                          hint="dechunk") from None
    refused = f". Some size lines carry extensions ({extensions[0]}): what follows ';' is not part of the size, " \
              "and not data either: drop it" if answer.status == 400 else ""
    expect(answer.status == 200, answer, expected="200 with the decoded body in upper case",
           got=f"{answer.status} {answer.reason}{refused}", hint="dechunk")
    if answer.body != expected:
        if answer.body.startswith(body.split(b"\r\n")[0].upper() + b"\r\n"):   # the first size line
            fail(answer, expected=f"the decoded body in upper case, {expected!r}",
                 got="the body still chunked: its sizes, CRLFs and zero chunk are in the answer. Decode the "
                     "chunks: read each size, then that many bytes", hint="dechunk")
        kept = [ext for ext in extensions if ext.strip(" ;").upper().encode() in answer.body]
        if kept:
            fail(answer, expected=f"the decoded body in upper case, {expected!r}",
                 got=f"the chunk extension {kept[0]!r} in the body: what follows ';' on a size line is not data",
                 hint="dechunk")
        if b"\r\n" in answer.body:
            fail(answer, expected=f"the decoded body in upper case, {expected!r}",
                 got="CRLFs of the chunk framing in the body: after a chunk's bytes comes a CRLF that is not data",
                 hint="dechunk")
        fail(answer, expected=f"the decoded body in upper case, {expected!r}", got=f"{answer.body!r}",
             hint="dechunk")


def test_trailer_lines_after_the_last_chunk_are_read(server, rng):
    text = " ".join(rng.choice(WORDS) for _ in range(4))
    trailers = [line.format(n=rng.randint(100, 999)) for line in rng.sample(TRAILERS[:3], rng.randint(1, 2))]
    body = f"{len(text):x}\r\n{text}\r\n0\r\n".encode() + "".join(f"{line}\r\n" for line in trailers).encode() \
        + b"\r\n"
    try:
        answer = send_raw(server, chunked_post([body]), timeout=2.0)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"200 with {text.upper()!r}. After the zero chunk came the trailer "
                          f"{trailers[0]!r}, then the blank line that ends the body (RFC 9112, 7.1.2): a server "
                          "that wants 0\\r\\n\\r\\n exactly waits for ever", hint="dechunk") from None
    expect(answer.status == 200 and answer.body == text.upper().encode(), answer,
           expected=f"200 with {text.upper()!r}: trailer lines after the zero chunk are not body",
           got=f"{answer.status} {answer.reason}, {answer.body[:120]!r}", hint="dechunk")


def test_malformed_chunk_size_gives_400(server, rng):
    for bad in ["xyz", "-5", "0x5", ""]:
        data = b"".join(chunked_post([f"{bad}\r\nhello\r\n0\r\n\r\n".encode()]))
        why = (f"'{bad}' is not a chunk size: a size is hex digits and nothing else" if bad else
               "the body starts with an empty size line (CRLF at once): a size is at least one hex digit")
        try:
            answer = send_raw(server, data, timeout=3.0)
        except GraderFailure as failure:
            raise with_advice(failure, expected=f"400 Bad Request: {why}", hint="dechunk") from None
        expect(answer.status == 400, answer, expected=f"400 Bad Request: {why}",
               got=f"{answer.status} {answer.reason}" + (". int(size, 16) accepts '0x5', '-5' and ' 5': check "
                                                         "that the size is hex digits only" if bad in ("-5", "0x5") and
                                                         answer.status < 300 else ""),
               hint="dechunk")
    data = b"".join(chunked_post([b"3\r\nabcXX5\r\nhello\r\n0\r\n\r\n"]))
    why = "the 3 bytes 'abc' are followed by 'XX', where the CRLF that ends a chunk must be"
    try:
        answer = send_raw(server, data, timeout=3.0)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"400 Bad Request: {why}", hint="dechunk") from None
    expect(answer.status == 400, answer, expected=f"400 Bad Request: {why}",
           got=f"{answer.status} {answer.reason}: after a chunk's bytes, check that CRLF follows", hint="dechunk")


def test_chunk_bytes_not_followed_by_crlf_give_400(server, rng):
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 3))]
    wrong = rng.choice([b"\n\n", b"\n\r"])        # line ends a client got wrong: LF LF, or LF CR for CRLF
    bad = rng.randrange(len(texts))
    body = b"".join(f"{len(text):x}\r\n{text}".encode() + (wrong if number == bad else b"\r\n")
                    for number, text in enumerate(texts)) + b"5\r\nhello\r\n0\r\n\r\n"
    why = (f"the {len(texts[bad])} bytes {texts[bad]!r} are followed by {wrong!r}, where the CRLF that ends a "
           "chunk must be")
    try:
        answer = send_raw(server, b"".join(chunked_post([body])), timeout=3.0)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"400 Bad Request: {why}", hint="dechunk") from None
    expect(answer.status == 400, answer, expected=f"400 Bad Request: {why}",
           got=f"{answer.status} {answer.reason}: after a chunk's bytes, check that exactly b'\\r\\n' follows",
           hint="dechunk")
    # The two bytes after a chunk are all a server needs to see that it is broken: this client sends no more.
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
    wrong = rng.choice([b"\n\n", b"X\n", b" \n", b"\n\r"])
    why = (f"the {len(text)} bytes {text!r} are followed by {wrong!r}, where the CRLF that ends a chunk must be "
           "(the client sent nothing more, and waited for the answer)")
    try:
        answer = send_raw(server, chunked_post([f"{len(text):x}\r\n{text}".encode() + wrong]), timeout=3.0)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"400 Bad Request at once: {why}. Once the two bytes after a chunk are "
                          "there, the server knows: waiting for more bytes waits for ever", hint="dechunk") from None
    expect(answer.status == 400, answer, expected=f"400 Bad Request: {why}",
           got=f"{answer.status} {answer.reason}", hint="dechunk")


BODY_PAUSE = 0.05         # seconds between two writes of a body cut in pieces: each arrives on its own


def body_cut_at_its_boundaries(rng) -> tuple[bytes, list[int], int, str]:
    """A chunked body, the offsets to cut it at (inside each size line, right after each chunk's bytes, between
    their CR and LF, inside the zero chunk's line or the trailers, and between the final CR and LF), where the
    zero chunk starts, and the decoded text. An off-by-two in a server's sums shows only for some chunk
    lengths: the chunks are drawn until they end at offsets of every alignment (mod 4)."""
    while True:
        texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(2, 3))]
        body, cuts, ends = b"", set(), []
        for text in texts:
            line = f"{size_line(rng, len(text))}{rng.choice(['', ';part=1'])}\r\n".encode()
            cuts.add(len(body) + rng.randint(1, len(line) - 1))
            body += line + text.encode()
            ends.append(len(body))
            cuts.update({len(body), len(body) + 1})
            body += b"\r\n"
        if {end % 4 // 2 for end in ends} == {0, 1}:
            break
    last = b"0\r\n" + "".join(line.format(n=rng.randint(100, 999)) + "\r\n"
                              for line in rng.sample(TRAILERS[:3], rng.randint(0, 1))).encode() + b"\r\n"
    cuts.update({len(body) + rng.randint(3, len(last) - 2), len(body) + len(last) - 1})
    return body + last, sorted(cuts), len(body), "".join(texts)


def test_a_chunked_body_cut_anywhere_is_waited_for(server, rng):
    body, cuts, zero_at, text = body_cut_at_its_boundaries(rng)
    pieces = [body[a:b] for a, b in zip([0] + cuts, cuts + [len(body)], strict=False)]
    head = chunked_post([])[0]
    early = None
    connection = open_raw(server, timeout=3.0)
    try:
        connection.note_requests(head)
        connection.send(head, note=False)
        for number, piece in enumerate(pieces):
            if number:
                connection.sent.append(f"\n-- pause {BODY_PAUSE:g} s --\n")
            connection.send(piece, note=False)
            if number < len(pieces) - 1 and select.select([connection.sock], [], [], BODY_PAUSE)[0]:
                early = body[:cuts[number]]     # the server answered (or closed) before the rest was sent
                break
        answer = connection.read_response()
    except GraderFailure as failure:
        so_far = f" after the body so far, which ends {early[-16:]!r}" if early is not None else ""
        raise with_advice(failure, expected=f"200 with {text.upper()!r}, the body having come in {len(pieces)} "
                          f"writes cut inside size lines, CRLFs and trailers{so_far}", hint="dechunk") from None
    finally:
        connection.close()
    if early is not None:
        ends = early[-16:]
        if len(early) > zero_at:
            fail(answer, expected=f"no answer yet: the body so far ends {ends!r}, after the zero chunk, but its "
                 "trailer section (trailer lines, if any, then a blank line) has not come to its end",
                 got=f"{answer.status} {answer.reason} before the blank line that ends the body. Wait for "
                     "b'\\r\\n\\r\\n' after the zero chunk's size line", hint="dechunk")
        fail(answer, expected=f"no answer yet: the body so far ends {ends!r} and more is coming. A chunk, its size "
             "line and its CRLF may be cut anywhere between two writes",
             got=f"{answer.status} {answer.reason} before the body was complete. While a size line, a chunk's bytes "
                 "or the CRLF after them is not all there, read more", hint="dechunk")
    expect(answer.status == 200 and answer.body == text.upper().encode(), answer,
           expected=f"200 with {text.upper()!r} (the body came in {len(pieces)} writes, cut inside size lines, "
                    "right after chunk bytes, between CR and LF, and in the trailers)",
           got=f"{answer.status} {answer.reason}, {answer.body[:120]!r}", hint="dechunk")


def test_a_client_that_resets_mid_body_does_not_stop_the_server(server, rng):
    head = chunked_post([])[0]
    cut = rng.choice([b"5\r\nhel", b"5\r\nhello\r\n", b"5;x=1\r", b"a"])     # the body stops anywhere
    with socket.create_connection((server.host, server.port), timeout=2) as sock:
        sock.sendall(head + cut)
        time.sleep(0.05)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))   # close with a reset
    try:
        answer = fetch(server, "GET", "/", timeout=3.0)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"GET / answered at once after a client sent {cut!r} of a chunked body "
                          "and reset the connection. Once recv() returns b'' or raises, the client is gone: stop "
                          "reading its chunks", hint="dechunk") from None
    expect(answer.status == 200, answer, expected="200 for GET / after a client reset mid-body",
           got=f"{answer.status} {answer.reason}", hint="dechunk")


def test_head_is_the_head_of_get(server, rng):
    head_is_the_head_of_get(server, f"/countdown?from={rng.randint(1, 2)}", hint="send_each")
    head_is_the_head_of_get(server, rng.choice(["/", "/about", "/styles.css"]), hint="send_each")


# --- clients that leave (keep these tests last: a server that fails it may have no worker left) --------------

CONNECTION_ERRORS = ("BrokenPipeError", "ConnectionResetError", "ConnectionAbortedError", "Broken pipe")


def tracebacks_for_clients_that_left(server) -> str:
    """The first traceback of a connection error in the server's output, or ''."""
    if not isinstance(server, LocalServer):
        return ""                                  # --server-url: the grader cannot see the output
    output = server.output()
    for block in output.split("Traceback (most recent call last)")[1:]:
        lines = block.strip().splitlines()
        ending = next((line for line in lines if any(name in line for name in CONNECTION_ERRORS)), "")
        if ending:
            return ending.strip()
    return ""


def first_piece(server, target: str, seconds: float) -> float | None:
    """Ask for a stream and leave as soon as its first piece came: seconds it took, or None if it never came."""
    started = time.perf_counter()
    with open_raw(server, timeout=seconds) as connection:
        connection.send(request(target))
        received = b""
        while time.perf_counter() - started < seconds:
            try:
                data = connection.sock.recv(65536)
            except (TimeoutError, OSError):
                return None
            if not data:
                return None
            received += data
            end = received.find(b"\r\n\r\n")
            if end >= 0 and len(received) > end + 4:
                return time.perf_counter() - started
    return None


def test_clients_that_leave_mid_stream_end_their_streams(server, rng):
    wait = 2.5      # a freed worker takes about 0.4 s to notice; one held to the end of a countdown takes 4 s
    for number in range(1, 21):
        target = "/countdown?from=20" if number % 2 else "/events"
        took = first_piece(server, target, wait)
        if took is None:
            crash = tracebacks_for_clients_that_left(server)
            attempt = Exchange("GET", target, request(target).decode().replace("\r\n", "\\r\\n\n"))
            if number == 1:
                fail(attempt, expected="the first piece of a 20-line countdown at once",
                     got=f"nothing within {wait:g} s: the countdown takes 4 s to make, and a server that sends it "
                         "only once it is complete starts late", hint="send_each")
            if crash:
                fail(attempt, expected=f"stream number {number} to start at once, after {number - 1} clients left "
                     "theirs after the first piece",
                     got=f"no first piece within {wait:g} s. When a client left, your server printed a traceback "
                         f"({crash}): the exception ended that worker (or thread) instead of just the stream. "
                         "Catch ConnectionError around the writes and stop the stream there", hint="client_gone")
            fail(attempt, expected=f"stream number {number} to start at once, after {number - 1} clients left "
                 "theirs after the first piece",
                 got=f"no first piece within {wait:g} s: the streams whose clients left are still running, each "
                     "holding a worker. When sendall() fails the client has gone: stop the stream then",
                 hint="client_gone")
    crash = tracebacks_for_clients_that_left(server)
    if crash:
        fail(expected="no traceback when a client leaves mid-stream: that is normal, not an error",
             got=f"a traceback ending in {crash}. A client that leaves makes sendall() raise ConnectionError: "
                 "catch it and end the stream quietly", hint="client_gone")
    if isinstance(server, LocalServer) and "socket.send() raised exception" in server.output():
        fail(expected="every stream to stop writing once its client has gone",
             got="asyncio's warning 'socket.send() raised exception.': a stream kept writing to a connection "
                 "whose client had left. await writer.drain() after each write raises then: stop there",
             hint="client_gone")
    try:
        answer = fetch(server, "GET", "/", timeout=3.0)
    except GraderFailure as failure:
        raise with_advice(failure, expected="GET / answered at once after 20 abandoned streams",
                          hint="client_gone") from None
    expect(answer.status == 200 and answer.elapsed < 1.5, answer,
           expected="GET / answered at once (200) after 20 abandoned streams",
           got=f"{answer.status} {answer.reason} after {answer.elapsed:.2f} s", hint="client_gone")


def server_processes(server) -> list[int]:
    """Your server's processes: its own and every one below it (see graders/supervisor)."""
    return sorted({server.process.pid, *descendants(server.process.pid)})


def cpu_seconds(pids: list[int]) -> float | None:
    """User and system CPU time the processes used so far, from /proc (Linux); None where there is none."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()
        except OSError:
            continue                                # it has exited since
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime, stime
    return total


def test_streams_whose_clients_left_use_no_cpu(server, rng):
    if not isinstance(server, LocalServer):
        pytest.skip("with --server-url the grader cannot see your server's process, so its CPU time is not measured")
    if not Path("/proc/self/stat").is_file():
        pytest.skip("this check reads CPU time from /proc, which only Linux has: it is skipped on this system")
    for number in range(6):
        target = "/events" if number % 2 else f"/countdown?from={rng.randint(15, 20)}"
        if first_piece(server, target, 1.5) is None:
            fail(Exchange("GET", target, request(target).decode().replace("\r\n", "\\r\\n\n")),
                 expected="the first piece of a stream at once", got="nothing within 1.5 s", hint="client_gone")
    time.sleep(0.5)                                 # long enough for every stream to notice its client left
    pids = server_processes(server)
    before, started = cpu_seconds(pids), time.monotonic()
    time.sleep(CPU_WINDOW)
    used, wall = cpu_seconds(pids) - before, time.monotonic() - started
    expect(used < CPU_WINDOW * CPU_SHARE, expected="an idle server once six clients left their streams: almost no "
           "CPU time while nobody is connected", got=f"{used:.2f} s of CPU time in {wall:.2f} s with no client "
           "connected: a loop is spinning. A stream that catches the error of a write to a client who left, and goes "
           "straight back to writing (or retries the write), turns at full speed for ever. Stop the stream there "
           "(return)", hint="client_gone")
