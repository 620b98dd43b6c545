"""Checks every foundations grader makes the same way: a first socket server, read byte by byte.

A learner at this level writes the socket code, so the graders look at the bytes themselves, where a
forgiving client (curl, a browser, even h11) would look away: every line of the head ends with \\r\\n,
Content-Length counts the body's bytes, the server hangs up after answering a `Connection: close` request,
and it has read the whole request before it answers. Each failure names the socket call to look at.

The grader modules pass the names of their own catalog hints (`hint=`, `framing_hint=`, ...), so each
challenge shows its own words.
"""
from __future__ import annotations

import os
import re
import socket
import struct
import time

from graders.harness import (
    Exchange,
    GraderFailure,
    fail,
    open_raw,
    send_raw,
    with_advice,
)
from graders.harness.messages import visible

HANG_UP_WITHIN = 2.0    # after its answer, a server that was asked to close does so at once; 2 s is generous
PAUSE = 0.5             # between two parts of one request: time enough to answer too early, even on a busy machine
BARE_LF = re.compile(rb"(?<!\r)\n")
SOCKET_HANG_UP = "Call close() on the client's socket once sendall() is done"
STREAM_HANG_UP = ("Call writer.close() once the answer is written and drained (and await writer.wait_closed() if "
                  "you want to wait for it), in a finally block so that every client is hung up on")


def request(path: str, method: str = "GET", headers: str = "") -> bytes:
    """A complete request: request line, Host, any extra header lines, Connection: close, the blank line."""
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
            "User-Agent: web-servers-from-scratch-grader\r\nConnection: close\r\n\r\n").encode("latin-1")


def strict_answer(server, data: bytes | list[bytes], *, expected: str, hint: str, framing_hint: str,
                  read_hint: str | None = None, loop_hint: str | None = None, timeout: float = 5.0,
                  hang_up: str = SOCKET_HANG_UP) -> Exchange:
    """Send one request and read its answer with h11, then check what h11 forgives (see check_the_rest).

    `hint` names the hint for "no answer at all", `framing_hint` the one about the answer's format,
    `read_hint` the one about reading the whole request, `loop_hint` the one for a server that has exited
    (each defaults to the one before). A list of byte strings is sent as that many writes, a moment apart:
    a server must read until the blank line, wherever TCP cuts the request."""
    chunks = [data] if isinstance(data, bytes) else data
    method = chunks[0].split(b" ", 1)[0].decode("latin-1")
    try:
        conn = open_raw(server, timeout)
    except GraderFailure as failure:
        raise with_advice(failure, *gone(server, expected, hint, loop_hint)) from None
    with conn:
        try:
            conn.note_requests(b"".join(chunks))
            for number, chunk in enumerate(chunks):
                if number:
                    time.sleep(0.05)
                conn.send(chunk, note=False)
            exchange = conn.read_response()
        except GraderFailure as failure:
            if "message body" in failure.message:     # h11: the connection ended before Content-Length bytes came
                raise with_advice(failure, f"{expected}, with a Content-Length that counts exactly the bytes of "
                                  "the body that follows, all of them sent (sendall(), not send())",
                                  framing_hint) from None
            raise with_advice(failure, *gone(server, expected, hint, loop_hint)) from None
        check_the_rest(conn, exchange, method, expected=expected, framing_hint=framing_hint,
                       read_hint=read_hint or framing_hint, hang_up=hang_up)
    return exchange


def check_the_rest(conn, exchange: Exchange, method: str, *, expected: str, framing_hint: str,
                   read_hint: str, hang_up: str = SOCKET_HANG_UP) -> None:
    """What h11 forgives, once it has read an answer: \\r\\n line endings, a Content-Length that counts the
    body's bytes, and a clean hang-up after a Connection: close request (a reset means unread request bytes)."""
    how = conn.wait_for_hang_up(HANG_UP_WITHIN)
    extra = conn.buffer
    check_line_endings(exchange, framing_hint)
    length = exchange.headers.get("Content-Length")
    if length is None:
        fail(exchange, expected=f"{expected}, with a Content-Length header",
             got="no Content-Length: the client cannot tell where the body ends. Add "
                 "Content-Length: <the number of bytes in the body> to the head", hint=framing_hint)
    if extra and method == "HEAD":
        fail(exchange, expected="the answer to HEAD to be the head alone, with no body after it",
             got=f"{len(extra)} more bytes after the head. HEAD asks for the headers GET would send, nothing more",
             hint=framing_hint)
    if extra:
        fail(exchange, expected=f"Content-Length to count the body's bytes: {length} bytes, then the end",
             got=too_short_a_length(exchange.body, extra), hint=framing_hint)
    if how == "reset":
        fail(exchange, expected="your server to read the whole request, up to its blank line, before it answers",
             got="a reset connection after the answer: your server closed its socket while part of our request "
                 "was still unread, so the kernel reset the connection (and a client may lose the answer). One "
                 "recv(1024) is not a whole request: call recv() again until the data holds b'\\r\\n\\r\\n'",
             hint=read_hint)
    if how == "open":
        fail(exchange, expected="your server to hang up after its answer, since the request said Connection: close",
             got=f"the connection still open {HANG_UP_WITHIN:g} s later, so the client cannot know the answer is "
                 f"over. {hang_up}", hint=framing_hint)


def gone(server, expected: str, hint: str, loop_hint: str | None) -> tuple[str, str]:
    """(expected, hint) for a failed connection, with a word on the accept loop if the server has exited."""
    server.wait_for_exit(0.3)
    if getattr(server, "exit_code", None) is None:
        return expected, hint
    return (f"{expected}. Your server is not running any more: see what it printed, above. (Before the checks, "
            "the grader connects once and leaves without a byte, to see that your server is up: recv() then "
            "returns b''. A server serves that client, and the next, in its accept loop)"), loop_hint or hint


def check_line_endings(exchange: Exchange, hint: str) -> None:
    """Every line of the head ends with \\r\\n: h11, curl and browsers accept \\n alone, HTTP does not."""
    received = exchange.raw_head
    end = re.search(rb"\r?\n\r?\n", received)
    head = received[: end.end()] if end else received
    if BARE_LF.search(head):
        fail(exchange, expected="every line of the answer's head to end with \\r\\n: the status line, each header, "
                                "and the empty line after them",
             got="lines that end with \\n alone (see above: no \\r before the line break). Look at the text you "
                 "pass to sendall(): write \\r\\n at the end of each line. A triple-quoted string breaks its lines "
                 "with \\n alone", hint=hint)


def too_short_a_length(body: bytes, extra: bytes) -> str:
    """Explain a Content-Length smaller than the body, and say so when it counted characters."""
    whole = body + extra
    story = (f"{len(whole)} bytes after the blank line, {len(extra)} more than Content-Length said. The client "
             "stops reading at Content-Length, so the end of the page is lost")
    try:
        characters = len(whole.decode("utf-8"))
    except UnicodeDecodeError:
        return story
    if characters == len(body):
        non_ascii = "".join(sorted({c for c in whole.decode("utf-8") if ord(c) > 127}))[:10]
        story += (f". {len(body)} is the number of characters: the page holds {non_ascii!r}, and each of those "
                  "characters takes more than one byte in UTF-8. Encode the page first, then take len() of the bytes")
    return story


def head_in_two_writes(server, path: str, *, split_blank_line: bool = False, expected: str, hint: str,
                       framing_hint: str, hang_up: str = SOCKET_HANG_UP) -> Exchange:
    """Send one request in two writes, PAUSE seconds apart, and fail if the server answers (or hangs up) before
    the second part arrives. With split_blank_line, the cut is inside the final \\r\\n\\r\\n itself."""
    whole = request(path)
    cut = len(whole) - 1 if split_blank_line else whole.index(b"\r\n") + 2     # after \r\n\r, or the request line
    first, second = whole[:cut], whole[cut:]
    shown = visible(first) + ("" if first.endswith(b"\n") else "\n")
    with open_raw(server) as conn:
        started = time.perf_counter()
        conn.send(first)
        how = conn.wait_for_hang_up(PAUSE)
        if how != "open" or conn.buffer:
            early = Exchange("GET", path, f"{shown}-- a pause of {PAUSE:g} s: the rest is still to come --")
            early.raw_head, early.elapsed = conn.buffer, time.perf_counter() - started
            did = "answered" if conn.buffer else "hung up"
            fail(early, expected=f"{expected}, sent once the whole request had arrived",
                 got=f"an early answer: your server {did} after the first part, before the blank line. One recv() "
                     "returns whatever has arrived so far, which may be half a request: keep calling recv() and "
                     "adding to what you have until it holds b'\\r\\n\\r\\n'", hint=hint)
        conn.sent = [f"{shown}-- a pause of {PAUSE:g} s, then --\n"]
        conn.send(second)
        try:
            exchange = conn.read_response()
        except GraderFailure as failure:
            where = ("in two pieces, \\r\\n\\r and then \\n: look for b'\\r\\n\\r\\n' in everything received so "
                     "far (head += chunk), not in the last chunk alone" if split_blank_line else
                     "in two pieces: keep calling recv() until everything received so far holds b'\\r\\n\\r\\n'")
            raise with_advice(failure, f"{expected}, once the request's blank line had arrived {where}",
                              hint) from None
        check_the_rest(conn, exchange, "GET", expected=expected, framing_hint=framing_hint, read_hint=hint,
                       hang_up=hang_up)
    return exchange


def abortive_close(platform: str = os.name) -> bytes:
    """SO_LINGER on, with a 0 s linger: close() then resets the connection. The C struct differs on Windows."""
    return struct.pack("HH" if platform == "nt" else "ii", 1, 0)


def leave_without_a_word(server, *, reset: bool) -> None:
    """Connect, then leave without sending a byte: a plain close (recv() gives b""), or a reset (recv() raises)."""
    with open_raw(server, 2.0) as conn:   # (a connection refused becomes a GraderFailure in plain words)
        if reset:
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, abortive_close())
        time.sleep(0.1)      # long enough for the server to accept us and start waiting in recv()
    time.sleep(0.2)          # and for a crash, if there is one, to happen


def survives_clients_that_leave(server, path: str, *, expected: str, hint: str) -> None:
    """A client that connects and leaves, politely or abruptly, does not stop the server serving the next."""
    for reset in (False, True):
        how = ("connected and reset the connection without sending a byte: recv() raised ConnectionResetError"
               if reset else "connected and closed without sending a byte: recv() returned b''")
        try:
            leave_without_a_word(server, reset=reset)
            exchange = send_raw(server, request(path))
        except GraderFailure as failure:
            raise with_advice(failure, f"{expected}, for the client after one that {how}. That client's trouble "
                              "is not your server's: catch OSError around its recv() and sendall(), close its "
                              "socket, and go back to accept()", hint) from None
        if exchange.status >= 500:
            fail(exchange, expected=f"{expected}, for the client after one that {how}",
                 got=f"{exchange.status} {exchange.reason}", hint=hint)


def serves_in_a_row(server, count: int, path: str, *, expected: str, hint: str) -> list[Exchange]:
    """`count` clients one after another, each with one request: a server without an accept loop serves one."""
    answers = []
    for number in range(1, count + 1):
        try:
            answers.append(send_raw(server, request(path)))
        except GraderFailure as failure:
            raise with_advice(failure, f"{expected}, for each of {count} clients in a row, but client {number} "
                              f"was not served ({number - 1} were). accept() belongs inside a loop, "
                              "`while True: conn, address = listener.accept()`, so that after one client the "
                              "server goes back for the next", hint) from None
    return answers



# --- Request shapes: HTTP allows many spellings of one request, and a server must read them all. ---------------

def any_case(rng, name: str) -> str:
    """A header name as some client may spell it: field names are case-insensitive (RFC 9110 §5.1)."""
    return rng.choice([name, name.lower(), name.upper(), "".join(rng.choice([c.lower(), c.upper()]) for c in name)])


def shaped(rng, path: str, method: str = "GET", headers: tuple[tuple[str, str], ...] = (),
           body: bytes = b"") -> bytes:
    """One request in a legal shape drawn from `rng`: header names in any case, with or without the space after
    the colon, in any order, Connection: close last. The server must treat them all alike."""
    fields = [("Host", "127.0.0.1"), ("User-Agent", "web-servers-from-scratch-grader"), ("Accept", "*/*"),
              *headers]
    rng.shuffle(fields)
    fields.append(("Connection", "close"))
    lines = [f"{method} {path} HTTP/1.1"]
    lines += [f"{any_case(rng, name)}:{rng.choice([' ', '', '  '])}{value}" for name, value in fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def split_anywhere(rng, data: bytes) -> list[bytes]:
    """The request cut in two at a random byte: TCP may deliver it in any pieces."""
    cut = rng.randrange(1, len(data))
    return [data[:cut], data[cut:]]


# --- Clients that stall, and clients that leave. -------------------------------------------------------------

TIMEOUT_FOR_GRADING = 1.0    # the grader starts the foundations servers with CLIENT_TIMEOUT=1 (see the starters)
TIMEOUT_MARGIN = 3.0         # what a busy machine may add before the server notices the deadline
# A correct server may ignore CLIENT_TIMEOUT and keep a deadline of its own (conn.settimeout(10)): it passes
# too, only more slowly. The check fails only a server with no deadline at all, or one past this.
LONGEST_FAIR_TIMEOUT = 10.0


def timeout_env() -> dict[str, str]:
    return {"CLIENT_TIMEOUT": f"{TIMEOUT_FOR_GRADING:g}"}


def stalled_client_is_dropped(server, path: str, *, expected: str, hint: str, deadline_words: str) -> None:
    """A client sends half a head and goes silent. Within CLIENT_TIMEOUT (1 s here) and a margin, the server must
    hang up on it, and serve another client. Without a deadline the stalled client holds its connection (or, on a
    blocking server, the whole server) for ever."""
    if getattr(server, "extra_env", {}).get("CLIENT_TIMEOUT") is None:
        import pytest  # noqa: PLC0415 (only here: the rest of this module needs no pytest)
        pytest.skip("this check starts your server with CLIENT_TIMEOUT=1, which it cannot do with --server-url")
    within = max(TIMEOUT_FOR_GRADING, LONGEST_FAIR_TIMEOUT) + TIMEOUT_MARGIN
    half = request(path)[:-2]                       # everything but the final \r\n: the head never ends
    with open_raw(server, within) as stalled:
        stalled.send(half)
        started = time.perf_counter()
        how = stalled.wait_for_hang_up(within)
        waited = time.perf_counter() - started
    try:
        send_raw(server, request(path), timeout=2.0)     # any answer: the server goes on after the stalled client
    except GraderFailure as failure:
        raise with_advice(failure, f"{expected}, for the client after one that sent half a request and went "
                          f"silent. {deadline_words}", hint) from None
    if how == "open":
        shown = visible(half) + "\n"
        stall = Exchange("GET", path, f"{shown}-- and then nothing more, for {within:g} s --")
        fail(stall, expected=f"your server to hang up on a client that stays silent: the grader started it with "
                             f"CLIENT_TIMEOUT={TIMEOUT_FOR_GRADING:g}, so within about {TIMEOUT_FOR_GRADING:g} s "
                             f"(a deadline of your own, up to {LONGEST_FAIR_TIMEOUT:g} s, passes too)",
             got=f"the connection still open after {waited:.1f} s. {deadline_words}", hint=hint)


def cpu_seconds(server) -> float | None:
    """CPU seconds used so far by the server's processes (its process group), from /proc; None elsewhere."""
    process = getattr(getattr(server, "process", None), "process", None)
    if process is None or not os.path.isdir("/proc/self"):
        return None
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == process.pid:            # pgrp: the server leads its own group
            total += (int(fields[11]) + int(fields[12])) / ticks     # utime + stime
    return total


def answers_after_a_client_that_left(server, *, hint: str, spin_hint: str, wait: float = 4.0) -> None:
    """Before the other checks: a client connects and leaves without a byte (as the readiness probe does), then
    GET / must be answered. If it is not, say why in the first failure, and fail fast: a recv() loop that never
    checks for b"" spins for ever on the client that left, at full CPU, and no later check can be answered."""
    before, started = cpu_seconds(server), time.perf_counter()
    try:
        leave_without_a_word(server, reset=False)
        send_raw(server, request("/"), timeout=wait)
        return
    except GraderFailure as failure:
        server.wait_for_exit(0.2)
        if getattr(server, "exit_code", None) is not None or "no answer within" not in failure.message:
            return                                    # it crashed or refused: the checks say so in their words
        after, waited = cpu_seconds(server), time.perf_counter() - started
        busy = None if before is None or after is None else after - before
        if busy is not None and busy < 0.2:          # an idle server uses a few ms; a spinning one, all it gets
            raise GraderFailure(
                f"Your server answers nobody: GET / got no answer within {wait:g} s, and your server sat idle. It "
                "accepted no request, or it waits for more than the request's blank line. Read until the data "
                "holds b'\\r\\n\\r\\n', then answer at once: a client never hangs up before it has its answer, so "
                f"reading until recv() returns b'' waits for ever.\n\n{failure.message}", hint) from None
        how_busy = (f", and it used {busy:.1f} s of CPU in those {waited:.1f} s: it is spinning in a loop"
                    if busy is not None else "")
        raise GraderFailure(
            "Your server stopped answering after a client that connected and left without sending a byte (the "
            f"grader's readiness check does that too): GET / got no answer within {wait:g} s{how_busy}. When a "
            "client has left, recv() returns b'' at once, every time: a loop such as `while b'\\r\\n\\r\\n' "
            "not in head: head += conn.recv(4096)` then never ends, and nobody is served again. Stop reading when "
            f"recv() returns b'' (`if not chunk: break`) and close that client.\n\n{failure.message}",
            spin_hint) from None
