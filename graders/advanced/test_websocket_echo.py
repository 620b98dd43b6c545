"""websocket_echo: GET /ws upgrades to a WebSocket (RFC 6455) and echoes every message.

The checks:
- the handshake: a random Sec-WebSocket-Key gets 101 Switching Protocols with the Sec-WebSocket-Accept
  computed here, base64(sha1(key + GUID));
- text and binary messages come back unchanged at every length encoding: 0 and 125 bytes (7-bit length),
  126 and 65535 (16-bit), 65536 (64-bit); the server's frame headers use exactly those encodings;
- a message sent in fragments comes back whole, also with a ping between the fragments (whose pong comes
  first), and a TEXT message whose characters are cut between fragments (UTF-8 is checked on the whole message);
- a message over 1 MiB in all, or in more than 1024 fragments, is closed with 1009 (too big), even when every
  fragment on its own is small: the kit's limits (MAX_MESSAGE, MAX_FRAGMENTS in frames.py);
- a TEXT message that is not valid UTF-8 is closed with 1007;
- a client that resets its connection in the middle of a frame, or sends half a handshake and stalls, does
  not stop the server serving the next client;
- a ping gets a pong with the same payload, and a close gets a close with the same code;
- an unmasked client frame is answered with a close frame carrying 1002 (protocol error), and so are a close
  frame with a 1-byte payload, a CONTINUATION with no message in progress, and a new TEXT or BINARY frame
  before a fragmented message has finished (RFC 6455, 5.4 and 7.4);
- a close code that must never be sent (0, 1005, 1006, 5000) is not echoed back, and a close reason that is
  not valid UTF-8 gets 1007;
- a handshake without Sec-WebSocket-Key, or with a Sec-WebSocket-Version other than 13, gets 400 or 426.
- every other path serves the site, and HEAD there is the head of GET (read raw: no body on the wire).
What a correct client does is done by the `websockets` client; what it never sends (unmasked frames, broken
handshakes, chosen fragments) by raw sockets, with frames built here. Raw handshakes come in the shapes real
clients send (header names in any case, `Upgrade: WebSocket`, `Connection: keep-alive, Upgrade`), masks are
random, and frames are cut across TCP writes at random bytes.
"""
import asyncio
import base64
import socket
import time

import pytest

from graders.harness import expect, fail, head_is_the_head_of_get, send_raw
from graders.harness.websocket import (
    BINARY,
    CLOSE,
    CONTINUATION,
    GUID,
    PING,
    PONG,
    TEXT,
    TIMEOUT,
    accept_for,
    client_frame,
    open_websocket,
    opening,
    preview,
    raw_websocket,
    receive,
    send,
    shape,
    show_frame,
)


def websocket(server):
    return open_websocket(server, "/ws", hint="handshake")


async def round_trip(ws, message: str | bytes, hint: str) -> None:
    kind = "text" if isinstance(message, str) else "binary"
    what = f"the {len(message.encode() if kind == 'text' else message)}-byte {kind} message back"
    await send(ws, message, expected=what, hint=hint)
    reply = await receive(ws, expected=what, hint=hint, silence=". A client reads exactly the length the frame "
                          "header announces: if it announces more than it carries, the client waits for ever")
    if reply != message:
        got_kind = "text" if isinstance(reply, str) else "binary"
        got = f"a {len(reply)}-byte {got_kind} message"
        if type(reply) is type(message) and len(reply) == len(message):
            first = next(i for i, (a, b) in enumerate(zip(reply, message, strict=False)) if a != b)
            got += f" that differs from byte {first} on: {preview(reply[first:], 12)}"
            got += f" instead of {preview(message[first:], 12)}"
        fail(expected=what, got=got, hint=hint)


def random_text(rng, n: int) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(n))


def echo_check(server, rng, lengths, hint: str) -> None:
    async def check():
        async with websocket(server) as ws:
            for n in lengths:
                await round_trip(ws, random_text(rng, n), hint)
                await round_trip(ws, rng.randbytes(n), hint)
    asyncio.run(check())


# ---- The checks ----

@pytest.mark.parametrize("connection", [None, "keep-alive, Upgrade"], ids=["any_shape", "as_firefox_sends_it"])
def test_handshake_answers_101_with_the_right_accept_key(server, rng, connection):
    key = base64.b64encode(rng.randbytes(16)).decode()
    request = opening(server, key, rng=rng, connection=connection)
    answer = send_raw(server, request, timeout=TIMEOUT)
    expect(answer.status == 101, answer, expected=f"101 Switching Protocols to a handshake with the headers "
           f"{shape(request)}: header names and the Upgrade token are case-insensitive, and Connection is a "
           "list of tokens (Firefox sends 'keep-alive, Upgrade')",
           got=f"{answer.status} {answer.reason}", hint="handshake")
    expect("websocket" in answer.headers.get("Upgrade", "").lower(), answer, expected="Upgrade: websocket",
           got=repr(answer.headers.get("Upgrade")), hint="handshake")
    expect("upgrade" in answer.headers.get("Connection", "").lower(), answer, expected="Connection: Upgrade",
           got=repr(answer.headers.get("Connection")), hint="handshake")
    accept = answer.headers.get("Sec-WebSocket-Accept")
    expect(accept == accept_for(key), answer,
           expected=f"Sec-WebSocket-Accept: {accept_for(key)}, which is base64(sha1({key!r} + {GUID!r}))",
           got=repr(accept), hint="handshake")


def test_handshake_without_a_key_is_refused(server):
    answer = send_raw(server, opening(server, key=None), timeout=TIMEOUT)
    expect(answer.status in (400, 426), answer, expected="400 Bad Request (or 426): there is no key to answer",
           got=f"{answer.status} {answer.reason}", hint="handshake")


def test_handshake_with_another_version_is_refused(server, rng):
    # One version that sorts before "13" as text and one after: the version is compared for equality.
    for version in [rng.choice(["1", "8", "12"]), rng.choice(["14", "130", "9"])]:
        answer = send_raw(server, opening(server, base64.b64encode(rng.randbytes(16)).decode(), version),
                          timeout=TIMEOUT)
        expect(answer.status in (400, 426), answer, expected=f"426 Upgrade Required (or 400): version "
               f"{version} is not 13, the only one RFC 6455 defines (compare it with == '13', not < or >)",
               got=f"{answer.status} {answer.reason}", hint="handshake")


def test_echo_0_and_125_bytes_with_a_7_bit_length(server, rng):
    echo_check(server, rng, [0, 125], "masking")


def test_echo_126_and_65535_bytes_with_a_16_bit_length(server, rng):
    echo_check(server, rng, [126, 65535], "lengths")


def test_echo_65536_bytes_and_more_with_a_64_bit_length(server, rng):
    echo_check(server, rng, [65536, rng.randint(65537, 150_000)], "lengths")


def announced(header: bytes) -> str:
    """What a frame header says about the length, in words."""
    code = header[1] & 0x7F
    if code < 126:
        return f"a 7-bit length of {code}"
    bits = 16 if code == 126 else 64
    if len(header) < 2 + bits // 8:
        return f"a {bits}-bit length, whose bytes never came"
    return f"0x{code:x}: a {bits}-bit length of {int.from_bytes(header[2:], 'big')} follows"


def test_answers_use_the_shortest_length_encoding(server, rng):
    expected_headers = {125: "82 7d", 126: "82 7e 00 7e", 65535: "82 7e ff ff", 65536: "82 7f 00 00 00 00 00 01 00 00"}
    with raw_websocket(server, rng) as ws:
        for n, expected in expected_headers.items():
            ws.send_in_pieces([(BINARY, rng.randbytes(n), True)])   # the header may arrive cut, too
            # Read only the header bytes we expect, so a wrong header is shown as it is.
            got = ws.read(len(expected.split()), f"a BINARY frame of {n} bytes, header bytes {expected}", "lengths")
            expect(got.hex(" ") == expected, expected=f"the echo of {n} bytes to start with the header bytes "
                   f"{expected} ({announced(bytes.fromhex(expected))})",
                   got=f"{got.hex(' ')} ({announced(got)})", hint="lengths")
            ws.read(n, f"the {n} bytes of payload", "lengths")


def test_fragmented_message_is_reassembled(server, rng):
    text = random_text(rng, rng.randrange(200, 400))
    cuts = sorted(rng.sample(range(1, len(text)), 3))
    pieces = [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)], strict=False)]

    async def check():
        async with websocket(server) as ws:
            # Given a list, `websockets` sends one TEXT frame without FIN, then CONTINUATION frames.
            expected = (f"the whole {len(text)}-character message back, once: it was sent in {len(pieces)} "
                        f"frames of {', '.join(str(len(p)) for p in pieces)} bytes")
            await send(ws, pieces, expected=expected, hint="messages")
            reply = await receive(ws, expected=expected, hint="messages")
            unit = "character" if isinstance(reply, str) else "byte"
            expect(reply == text, expected=expected, got=f"a {len(reply)}-{unit} message {preview(reply, 60)}",
                   hint="messages")
    asyncio.run(check())


def test_ping_gets_a_pong_with_the_same_payload(server, rng):
    payload = rng.randbytes(rng.randrange(1, 126))
    with raw_websocket(server, rng) as ws:
        ws.send(PING, payload)
        expected = f"a PONG frame with the ping's {len(payload)} bytes, {preview(payload)}"
        opcode, got, fin, header = ws.frame(expected, "messages")
        expect(opcode == PONG and got == payload, expected=expected, got=show_frame(opcode, got, fin, header),
               hint="messages")


def test_ping_between_fragments_is_answered(server, rng):
    ping, first, last = rng.randbytes(8), rng.randbytes(rng.randrange(1, 200)), rng.randbytes(rng.randrange(1, 200))
    with raw_websocket(server, rng) as ws:
        # Control frames may come between the pieces of a message, and are answered as they come: the pong
        # before the message it interrupted (Autobahn's case 5.6), even when all three arrive in one read.
        ws.send_in_pieces([(BINARY, first, False), (PING, ping, True), (CONTINUATION, last, True)], cut=False)
        frames = [ws.frame("a PONG, then the whole message", "messages") for _ in range(2)]
        shown = "; then ".join(show_frame(*frame) for frame in frames)
        expect((PONG, ping) == frames[0][:2], expected=f"first a PONG with the ping's 8 bytes, {preview(ping)}: "
               "the ping came before the message's last piece, so its pong goes before the message",
               got=shown, hint="messages")
        expect((BINARY, first + last) == frames[1][:2],
               expected=f"then the {len(first + last)}-byte message, both pieces joined", got=shown, hint="messages")


def test_close_is_answered_with_the_same_code(server, rng):
    code = rng.randrange(3000, 5000)   # 3000-4999 are for applications, so any server must echo them

    async def check():
        async with websocket(server) as ws:
            await ws.close(code, "grader says bye")
            answer = ws.protocol.close_rcvd
            expect(answer is not None, expected=f"a close frame back with code {code}", hint="messages",
                   got="no close frame: the server closed the connection, or sent nothing, within 1 s")
            expect(answer.code == code, expected=f"a close frame back with code {code}, the one we sent",
                   got=f"a close frame with code {answer.code} ({answer.reason!r})", hint="messages")
    asyncio.run(check())


def test_unmasked_frame_is_closed_with_1002(server, rng):
    with raw_websocket(server, rng) as ws:
        ws.send(TEXT, b"unmasked, like a server's frame", masked=False)
        ws.expect_close(1002, "protocol error: the frame's MASK bit was 0, and a client must mask every frame",
                        hint="masking")


def test_a_close_frame_with_a_1_byte_payload_is_a_protocol_error(server, rng):
    with raw_websocket(server, rng) as ws:
        ws.send(CLOSE, bytes([rng.randrange(1, 256)]))
        ws.expect_close(1002, "protocol error: a close code takes 2 bytes, so 1 byte of payload is broken",
                        hint="protocol_errors")


def test_a_continuation_with_no_message_in_progress_is_a_protocol_error(server, rng):
    with raw_websocket(server, rng) as ws:
        ws.send(CONTINUATION, random_text(rng, 12).encode())
        ws.expect_close(1002, "protocol error: a CONTINUATION frame, but no message had started",
                        hint="protocol_errors")


def test_a_new_message_before_the_last_one_finished_is_a_protocol_error(server, rng):
    with raw_websocket(server, rng) as ws:
        ws.send(TEXT, random_text(rng, 10).encode(), fin=False)
        ws.send(rng.choice([TEXT, BINARY]), random_text(rng, 10).encode())
        ws.expect_close(1002, "protocol error: a new message began before the fragmented one had its FIN",
                        hint="protocol_errors")


# The codes a client may send (RFC 6455, 7.4.1, and the IANA registry: 1012-1014), each range with both ends
# and one code drawn inside, as the kit's closing_code() lists them.
VALID_CLOSE_CODES = {"1000-1003": (1000, 1003), "1007-1014": (1007, 1014), "3000-4999": (3000, 4999)}
# And the codes around them that no one may send: undefined, reserved, or only ever reported locally.
INVALID_CLOSE_CODES = {"0-999": (0, 999), "1004-1006": (1004, 1006), "1015-2999": (1015, 2999),
                       "5000-65535": (5000, 65535)}


def codes_of(rng, first: int, last: int) -> list[int]:
    """Both ends of a range, the codes just inside them, and one drawn in between."""
    return sorted({first, min(first + 1, last), max(last - 1, first), last, rng.randint(first, last)})


@pytest.mark.parametrize("codes", VALID_CLOSE_CODES)
def test_a_close_code_one_may_send_is_echoed(server, rng, codes):
    for code in codes_of(rng, *VALID_CLOSE_CODES[codes]):
        with raw_websocket(server, rng) as ws:
            ws.send(CLOSE, code.to_bytes(2, "big") + random_text(rng, rng.randint(0, 20)).encode())
            ws.expect_close(code, f"the client's own code back: {code} is in {codes}, one of the ranges a client "
                            "may send (1000-1003, 1007-1014, 3000-4999). Check both ends of each range",
                            hint="protocol_errors")


@pytest.mark.parametrize("codes", INVALID_CLOSE_CODES)
def test_a_close_code_that_must_never_be_sent_is_not_echoed(server, rng, codes):
    for code in codes_of(rng, *INVALID_CLOSE_CODES[codes]):
        with raw_websocket(server, rng) as ws:
            ws.send(CLOSE, code.to_bytes(2, "big"))
            why = (f"protocol error: {code} is a code no endpoint may send (only 1000-1003, 1007-1014 and "
                   "3000-4999 may be), so it must not be echoed")
            opcode, payload, fin, header = ws.frame(f"a CLOSE frame with code 1002 ({why})", "protocol_errors")
            got = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            expect(opcode == CLOSE and got != code, expected=f"a CLOSE frame with code 1002 ({why})",
                   got=show_frame(opcode, payload, fin, header), hint="protocol_errors")


@pytest.mark.parametrize("where", ["at_the_start", "at_the_end"])
def test_a_close_reason_that_is_not_utf8_gets_1007(server, rng, where):
    code = rng.randint(*rng.choice(list(VALID_CLOSE_CODES.values())))
    bad, text = rng.choice([b"\xff", b"\xfe", b"\x80", b"\xc0"]), random_text(rng, rng.randint(1, 10)).encode()
    reason = bad + text if where == "at_the_start" else text + bad
    with raw_websocket(server, rng) as ws:
        ws.send(CLOSE, code.to_bytes(2, "big") + reason)
        ws.expect_close(1007, f"invalid data: a close reason (every byte after the 2-byte code) must be UTF-8, and "
                        f"{reason!r} is not", hint="protocol_errors")


def test_an_unknown_opcode_inside_a_message_is_a_protocol_error(server, rng):
    opcode = rng.choice([0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF])   # reserved by RFC 6455, 5.2
    with raw_websocket(server, rng) as ws:
        ws.send(BINARY, rng.randbytes(rng.randint(1, 20)), fin=False)
        ws.send(opcode, rng.randbytes(rng.randint(1, 20)))
        ws.expect_close(1002, f"protocol error: opcode {opcode:#x} is reserved, and an unknown opcode fails the "
                        "connection (RFC 6455, 5.2), even while a message is in progress: only 0x0 continues it",
                        hint="protocol_errors")


def test_a_frame_header_cut_at_any_byte_is_waited_for(server, rng):
    # Every header shape (7-, 16- and 64-bit length), cut after each of its bytes and of the mask key: the server
    # must wait for the rest, whatever it has so far. Each cut is its own TCP write, a moment apart.
    with raw_websocket(server, rng) as ws:
        for n, header_size in [(rng.randint(1, 125), 2), (rng.randint(126, 1000), 4), (rng.randint(65536, 66000), 10)]:
            for cut in range(1, header_size + 4):
                payload = rng.randbytes(n)
                frame = client_frame(rng, BINARY, payload)
                where = "mask key" if cut >= header_size else "header"
                expected = (f"the {n}-byte BINARY message back: its frame ({header_size}-byte header, then the "
                            f"4-byte mask key) came cut after byte {cut}, inside the {where}. Until the whole header "
                            "and mask key have come, wait for more bytes")
                # The story of this frame only: every frame before it came back whole.
                ws.sent = [f"earlier frames, each echoed; then a {n}-byte BINARY frame in 2 TCP writes, cut after "
                           f"byte {cut}"]
                try:
                    ws.conn.sock.sendall(frame[:cut])
                    time.sleep(0.015)
                    ws.conn.sock.sendall(frame[cut:])
                except OSError:
                    pass   # the server hung up: the read below says so
                opcode, got, fin, header = ws.frame(expected, "lengths")
                expect((opcode, got) == (BINARY, payload), expected=expected,
                       got=show_frame(opcode, got, fin, header), hint="lengths")


# ---- Fragments: characters cut between them, and limits on them ----

CHARACTERS = "aé€😀κόσμεçñ漢字ü"   # 1 to 4 bytes each in UTF-8


def cut_inside_characters(rng, data: bytes) -> list[bytes]:
    """data in 3 to 6 pieces, at least one cut in the middle of a multi-byte character."""
    inside = [i for i in range(1, len(data)) if data[i] & 0xC0 == 0x80]   # a continuation byte starts here
    cuts = {rng.choice(inside)} | set(rng.sample(range(1, len(data)), rng.randint(2, 5)))
    cuts = sorted(cuts)
    return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)], strict=False)]


def test_a_character_cut_between_fragments_is_echoed_whole(server, rng):
    text = "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(8, 30)))
    pieces = cut_inside_characters(rng, text.encode())
    frames = [(TEXT if i == 0 else CONTINUATION, piece, i == len(pieces) - 1) for i, piece in enumerate(pieces)]
    expected = (f"the {len(text)}-character TEXT message {text!r} back whole. It came in {len(pieces)} fragments "
                f"cut inside characters ({' | '.join(piece.hex(' ') for piece in pieces)}): a fragment alone need "
                "not be valid UTF-8, only the whole message must be, so decode it once it has its FIN")
    with raw_websocket(server, rng) as ws:
        ws.send_in_pieces(frames)
        opcode, payload, fin, header = ws.frame(expected, "messages")
        expect((opcode, payload) == (TEXT, text.encode()), expected=expected,
               got=show_frame(opcode, payload, fin, header), hint="messages")


def test_a_text_message_that_is_not_utf8_gets_1007(server, rng):
    good = "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(3, 10))).encode()
    bad = rng.choice([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"])  # none is UTF-8
    pieces = cut_inside_characters(rng, good) + [bad]
    frames = [(TEXT if i == 0 else CONTINUATION, piece, i == len(pieces) - 1) for i, piece in enumerate(pieces)]
    with raw_websocket(server, rng) as ws:
        ws.send_in_pieces(frames)
        ws.expect_close(1007, f"invalid data: the message ends with {bad!r}, which is not UTF-8",
                        hint="messages")


MIB = 1024 * 1024   # the kit's MAX_MESSAGE


def fragment_sizes(rng, total: int) -> list[int]:
    """total bytes in 3 or 4 fragments, each well under 1 MiB."""
    cuts = sorted(rng.sample(range(total // 5, total - total // 5), rng.randint(2, 3)))
    return [b - a for a, b in zip([0] + cuts, cuts + [total], strict=False)]


def send_a_small_message_first(ws, rng) -> None:
    """One small message, echoed, so the next message's count must start again from 0."""
    payload = rng.randbytes(rng.randint(1, 50))
    ws.send(BINARY, payload)
    expected = f"the first, {len(payload)}-byte message back"
    opcode, got, fin, header = ws.frame(expected, "messages")
    expect((opcode, got) == (BINARY, payload), expected=expected, got=show_frame(opcode, got, fin, header),
           hint="messages")


def test_a_message_of_exactly_1_mib_is_echoed(server, rng):
    sizes = fragment_sizes(rng, MIB)
    with raw_websocket(server, rng) as ws:
        send_a_small_message_first(ws, rng)
        payload = rng.randbytes(MIB)
        start = 0
        for i, size in enumerate(sizes):
            ws.send(BINARY if i == 0 else CONTINUATION, payload[start:start + size], fin=i == len(sizes) - 1)
            start += size
        expected = (f"the {MIB:,}-byte message back: exactly the 1 MiB limit (MAX_MESSAGE) is allowed, only more "
                    f"is too big. It came in {len(sizes)} fragments after a small message, so count each message's "
                    "bytes from 0")
        opcode, got, fin, header = ws.frame(expected, "messages")
        expect(opcode == BINARY and got == payload, expected=expected, got=show_frame(opcode, got, fin, header),
               hint="messages")


def test_a_message_past_1_mib_in_small_fragments_is_closed_with_1009(server, rng):
    sizes = fragment_sizes(rng, MIB + 1)   # one byte too many in all, each fragment well under 1 MiB
    with raw_websocket(server, rng) as ws:
        send_a_small_message_first(ws, rng)
        for i, size in enumerate(sizes):
            ws.send(BINARY if i == 0 else CONTINUATION, rng.randbytes(size), fin=i == len(sizes) - 1)
        ws.expect_close(1009, f"message too big: {len(sizes)} fragments of {', '.join(f'{s:,}' for s in sizes)} "
                        f"bytes make {MIB + 1:,}, one past the 1 MiB limit (MAX_MESSAGE). Count the message's bytes "
                        "across its fragments, as they come, from 0 for each message: each fragment alone is under "
                        "the limit", hint="messages")


def test_a_message_in_1024_fragments_is_echoed(server, rng):
    pieces = [rng.randbytes(rng.choice([0, 1])) for _ in range(1024)]
    with raw_websocket(server, rng) as ws:
        ws.send_in_pieces([(BINARY if i == 0 else CONTINUATION, piece, i == 1023) for i, piece in enumerate(pieces)])
        expected = (f"the {len(b''.join(pieces))}-byte message back: it came in 1024 fragments, exactly the limit "
                    "(MAX_FRAGMENTS), which is allowed: only more is too many")
        opcode, got, fin, header = ws.frame(expected, "messages")
        expect((opcode, got) == (BINARY, b"".join(pieces)), expected=expected,
               got=show_frame(opcode, got, fin, header), hint="messages")


def test_a_message_in_too_many_fragments_is_closed_with_1009(server, rng):
    count, size = 1024, rng.choice([0, 1])   # 1024 without FIN, then the last: 1025 in all
    payload = rng.randbytes(size)
    with raw_websocket(server, rng) as ws:
        frames = [(BINARY if i == 0 else CONTINUATION, payload, False) for i in range(count)]   # any bytes
        ws.send_in_pieces(frames + [(CONTINUATION, payload, True)])
        ws.expect_close(1009, f"message too big: it came in {count + 1} fragments of {size} byte(s), one past the "
                        "limit of 1024 (MAX_FRAGMENTS). Empty pieces cost work and memory too, so count them",
                        hint="messages")


# ---- Unhappy endings ----

def test_a_client_that_resets_mid_frame_does_not_stop_the_server(server, rng):
    with raw_websocket(server, rng) as ws:
        # A BINARY frame's first bytes: masked, a 16- or 64-bit length to follow, and only part of it.
        ws.conn.sock.sendall(bytes([0x82, rng.choice([0xFE, 0xFF])]) + rng.randbytes(rng.randint(0, 1)))
        time.sleep(0.05)
        ws.reset()
    echo_check(server, rng, [rng.randint(1, 125)], "lengths")


def test_a_stalled_handshake_does_not_hold_up_others(server, rng):
    half = opening(server, base64.b64encode(rng.randbytes(16)).decode(), rng=rng)
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as stalled:
        stalled.sendall(half[:rng.randint(5, len(half) - 5)])   # then nothing: a client that stopped mid-request

        async def check():
            async with websocket(server) as ws:
                await round_trip(ws, random_text(rng, 20), "handshake")
        try:
            asyncio.run(asyncio.wait_for(check(), TIMEOUT + 1))
        except asyncio.TimeoutError:
            fail(expected="a WebSocket echo for a second client while the first sat on half a handshake",
                 got="no answer: one stalled client held up the server", hint="handshake")


def test_head_of_a_site_page_is_the_head_of_get(server, rng):
    # Every path but the WebSocket's serves the site, and HEAD is GET without the body (RFC 9110, 9.3.2).
    head_is_the_head_of_get(server, rng.choice(["/", "/about", "/styles.css"]))   # no hint: the site is handed over
