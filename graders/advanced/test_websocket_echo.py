"""websocket_echo: GET /ws upgrades to a WebSocket (RFC 6455) and echoes every message.

The checks:
- the handshake: a random Sec-WebSocket-Key gets 101 Switching Protocols with the Sec-WebSocket-Accept
  computed here, base64(sha1(key + GUID));
- text and binary messages come back unchanged at every length encoding: 0 and 125 bytes (7-bit length),
  126 and 65535 (16-bit), 65536 (64-bit); the server's frame headers use exactly those encodings;
- a message sent in fragments comes back whole, also with a ping between the fragments;
- a ping gets a pong with the same payload, and a close gets a close with the same code;
- an unmasked client frame is answered with a close frame carrying 1002 (protocol error);
- a handshake without Sec-WebSocket-Key, or with a Sec-WebSocket-Version other than 13, gets 400 or 426.
What a correct client does is done by the `websockets` client; what it never sends (unmasked frames, broken
handshakes, chosen fragments) by raw sockets, with frames built here.
"""
import asyncio
import base64
import contextlib
import hashlib

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from graders.harness import expect, fail, open_raw, send_raw

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TIMEOUT = 2.0   # seconds to wait for any answer: on loopback, even 64 KiB comes back in milliseconds
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NAMES = {CONTINUATION: "CONTINUATION", TEXT: "TEXT", BINARY: "BINARY", CLOSE: "CLOSE", PING: "PING", PONG: "PONG"}



def accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def opening(server, key: str | None, version: str = "13") -> bytes:
    lines = ["GET /ws HTTP/1.1", f"Host: {server.host}:{server.port}", "Upgrade: websocket", "Connection: Upgrade"]
    lines += [f"Sec-WebSocket-Key: {key}"] if key else []
    lines += [f"Sec-WebSocket-Version: {version}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# ---- Raw frames, built and read here (never with the kit's code) ----

def client_frame(rng, opcode: int, payload: bytes = b"", *, fin: bool = True, masked: bool = True) -> bytes:
    """A frame as a browser would send it: masked with a random key (no zero bytes, so unmasking shows)."""
    first = (0x80 if fin else 0) | opcode
    mask_bit, n = (0x80 if masked else 0), len(payload)
    if n < 126:
        header = bytes([first, mask_bit | n])
    elif n < 65536:
        header = bytes([first, mask_bit | 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([first, mask_bit | 127]) + n.to_bytes(8, "big")
    if not masked:
        return header + payload
    key = bytes(rng.randrange(1, 256) for _ in range(4))
    return header + key + bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))


def preview(data: bytes | str, limit: int = 24) -> str:
    return repr(data[:limit]) + ("..." if len(data) > limit else "")


def show_frame(opcode: int, payload: bytes, fin: bool = True, header: bytes = b"") -> str:
    kind = NAMES.get(opcode, f"opcode {opcode:#x}")
    text = f"a {kind} frame{'' if fin else ' without FIN'} with {len(payload)} bytes of payload"
    if opcode == CLOSE and len(payload) >= 2:
        text += f" (code {int.from_bytes(payload[:2], 'big')}, reason {payload[2:].decode('utf-8', 'replace')!r})"
    elif payload:
        text += " " + preview(payload)
    return text + (f", header bytes {header.hex(' ')}" if header else "")


class RawSocket:
    """A WebSocket opened by hand: the handshake is checked, then frames go out and come back as bytes."""

    def __init__(self, server, rng):
        self.rng, self.key = rng, base64.b64encode(rng.randbytes(16)).decode()
        self.conn = open_raw(server, timeout=TIMEOUT)
        self.sent: list[str] = []
        try:
            self.check_handshake(server)
        except BaseException:
            self.conn.close()
            raise

    def check_handshake(self, server) -> None:
        self.conn.send(opening(server, self.key))
        answer = self.conn.read_response()
        expect(answer.status == 101, answer, expected="101 Switching Protocols",
               got=f"{answer.status} {answer.reason}", hint="handshake")
        expect(answer.headers.get("Sec-WebSocket-Accept") == accept_for(self.key), answer,
               expected=f"Sec-WebSocket-Accept: {accept_for(self.key)}",
               got=repr(answer.headers.get("Sec-WebSocket-Accept")), hint="handshake")

    def send(self, opcode: int, payload: bytes = b"", *, fin: bool = True, masked: bool = True) -> None:
        self.sent.append(show_frame(opcode, payload, fin) + ("" if masked else ", NOT masked"))
        self.conn.sock.sendall(client_frame(self.rng, opcode, payload, fin=fin, masked=masked))

    def read(self, n: int, expected: str, hint: str) -> bytes:
        while len(self.conn.buffer) < n:
            try:
                chunk = self.conn.sock.recv(65536)
            except TimeoutError:   # socket.timeout is TimeoutError since Python 3.10
                chunk, problem = None, f"nothing within {TIMEOUT:g} s"
            except OSError as error:
                chunk, problem = None, f"the connection broke ({error})"
            if chunk == b"":
                problem = "a closed connection: the server hung up"
            if not chunk:
                got = problem + (f", after {len(self.conn.buffer)} bytes of a frame" if self.conn.buffer else "")
                fail(expected=f"{expected}. We sent {self.story()}", got=got, hint=hint)
            self.conn.buffer += chunk
        data, self.conn.buffer = self.conn.buffer[:n], self.conn.buffer[n:]
        return data

    def header(self, expected: str, hint: str) -> tuple[bytes, int]:
        """The next frame's header bytes, and the payload length they announce."""
        header = self.read(2, expected, hint)
        n = header[1] & 0x7F
        if n == 126:
            header += self.read(2, expected, hint)
            n = int.from_bytes(header[2:], "big")
        elif n == 127:
            header += self.read(8, expected, hint)
            n = int.from_bytes(header[2:], "big")
        expect(not header[1] & 0x80, expected=f"{expected}, unmasked: servers never mask their frames",
               got=f"a frame with the MASK bit set, header bytes {header.hex(' ')}", hint="masking")
        return header, n

    def frame(self, expected: str, hint: str) -> tuple[int, bytes, bool, bytes]:
        """The next frame from the server: (opcode, payload, fin, header bytes)."""
        header, n = self.header(expected, hint)
        return header[0] & 0x0F, self.read(n, expected, hint), bool(header[0] & 0x80), header

    def story(self) -> str:
        return "the handshake, then " + "; then ".join(self.sent) if self.sent else "the handshake"

    def close(self) -> None:
        self.conn.close()


@contextlib.contextmanager
def raw_websocket(server, rng):
    ws = RawSocket(server, rng)
    try:
        yield ws
    finally:
        ws.close()


# ---- The `websockets` client: what a correct client does ----

@contextlib.asynccontextmanager
async def websocket(server):
    url = f"ws://{server.host}:{server.port}/ws"
    try:
        ws = await connect(url, open_timeout=TIMEOUT, close_timeout=1, ping_interval=None,
                           compression=None, proxy=None, max_size=2**20)
    except InvalidStatus as error:
        fail(expected=f"101 Switching Protocols when the `websockets` client opens {url}",
             got=f"{error.response.status_code} {error.response.reason_phrase}", hint="handshake")
    except InvalidHandshake as error:
        fail(expected=f"a handshake the `websockets` client accepts when it opens {url}",
             got=f"a refusal from the client: {error}", hint="handshake")
    except (OSError, asyncio.TimeoutError) as error:
        fail(expected=f"a WebSocket connection to {url}", got=str(error) or "no answer in time", hint="handshake")
    try:
        yield ws
    finally:
        ws.transport.abort()   # the close handshake has its own check; a broken one must not slow the rest


def closed_story(error: ConnectionClosed) -> str:
    if error.rcvd is not None:
        return f"the server closed the WebSocket with code {error.rcvd.code} ({error.rcvd.reason!r})"
    return "the connection ended without a close frame (did the server crash? see its output below)"


async def round_trip(ws, message: str | bytes, hint: str) -> None:
    kind = "text" if isinstance(message, str) else "binary"
    what = f"the {len(message.encode() if kind == 'text' else message)}-byte {kind} message back"
    await ws.send(message)
    try:
        reply = await asyncio.wait_for(ws.recv(), TIMEOUT)
    except asyncio.TimeoutError:
        fail(expected=what, got=f"nothing within {TIMEOUT:g} s. A client reads exactly the length the frame "
             "header announces: if it announces more than it carries, the client waits for ever", hint=hint)
    except ConnectionClosed as error:
        fail(expected=what, got=closed_story(error), hint=hint)
    if reply != message:
        got_kind = "text" if isinstance(reply, str) else "binary"
        got = f"a {len(reply)}-byte {got_kind} message"
        if type(reply) is type(message) and len(reply) == len(message):
            first = next(i for i, (a, b) in enumerate(zip(reply, message)) if a != b)
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

def test_handshake_answers_101_with_the_right_accept_key(server, rng):
    key = base64.b64encode(rng.randbytes(16)).decode()
    answer = send_raw(server, opening(server, key), timeout=TIMEOUT)
    expect(answer.status == 101, answer, expected="101 Switching Protocols",
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
    version = rng.choice(["8", "12", "14"])
    answer = send_raw(server, opening(server, base64.b64encode(rng.randbytes(16)).decode(), version),
                      timeout=TIMEOUT)
    expect(answer.status in (400, 426), answer,
           expected=f"426 Upgrade Required (or 400): version {version} is not 13, the only one RFC 6455 defines",
           got=f"{answer.status} {answer.reason}", hint="handshake")


def test_echo_0_and_125_bytes_with_a_7_bit_length(server, rng):
    echo_check(server, rng, [0, 125], "masking")


def test_echo_126_and_65535_bytes_with_a_16_bit_length(server, rng):
    echo_check(server, rng, [126, 65535], "lengths")


def test_echo_65536_bytes_with_a_64_bit_length(server, rng):
    echo_check(server, rng, [65536], "lengths")


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
            ws.send(BINARY, rng.randbytes(n))
            # Read only the header bytes we expect, so a wrong header is shown as it is.
            got = ws.read(len(expected.split()), f"a BINARY frame of {n} bytes, header bytes {expected}", "lengths")
            expect(got.hex(" ") == expected, expected=f"the echo of {n} bytes to start with the header bytes "
                   f"{expected} ({announced(bytes.fromhex(expected))})",
                   got=f"{got.hex(' ')} ({announced(got)})", hint="lengths")
            ws.read(n, f"the {n} bytes of payload", "lengths")


def test_fragmented_message_is_reassembled(server, rng):
    text = random_text(rng, rng.randrange(200, 400))
    cuts = sorted(rng.sample(range(1, len(text)), 3))
    pieces = [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]

    async def check():
        async with websocket(server) as ws:
            # Given a list, `websockets` sends one TEXT frame without FIN, then CONTINUATION frames.
            await ws.send(pieces)
            expected = (f"the whole {len(text)}-character message back, once: it was sent in {len(pieces)} "
                        f"frames of {', '.join(str(len(p)) for p in pieces)} bytes")
            try:
                reply = await asyncio.wait_for(ws.recv(), TIMEOUT)
            except asyncio.TimeoutError:
                fail(expected=expected, got=f"nothing within {TIMEOUT:g} s", hint="messages")
            except ConnectionClosed as error:
                fail(expected=expected, got=closed_story(error), hint="messages")
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
        ws.send(BINARY, first, fin=False)
        ws.send(PING, ping)            # control frames may come between the pieces of a message
        ws.send(CONTINUATION, last)
        frames = [ws.frame("a PONG, and the whole message", "messages") for _ in range(2)]
        shown = "; then ".join(show_frame(*frame) for frame in frames)
        expect((PONG, ping) in [(f[0], f[1]) for f in frames], expected=f"a PONG with the ping's 8 bytes, "
               f"{preview(ping)}, even in the middle of a fragmented message", got=shown, hint="messages")
        expect((BINARY, first + last) in [(f[0], f[1]) for f in frames],
               expected=f"the {len(first + last)}-byte message, both pieces joined", got=shown, hint="messages")


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
        opcode, payload, fin, header = ws.frame("a CLOSE frame with code 1002 (protocol error): the frame's MASK "
                                                "bit was 0, so no mask key followed its length", "masking")
        if opcode != CLOSE:
            fail(expected="a CLOSE frame with code 1002 (protocol error): a client must mask every frame",
                 got=f"{show_frame(opcode, payload, fin, header)}, as if the frame were fine", hint="masking")
        code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
        expect(code == 1002, expected="a CLOSE frame with code 1002 (protocol error)",
               got=show_frame(opcode, payload, fin, header), hint="masking")
