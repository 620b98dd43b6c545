"""WebSocket clients for graders: the `websockets` client for what a correct browser does, and raw frames,
built here, for what it never does (unmasked frames, chosen fragments, broken close frames).

Like `fetch` and `send_raw`, every problem becomes a GraderFailure that says what was sent, what came back
and what was expected; no `websockets` traceback ever reaches a learner.

    async with open_websocket(server, "/ws", hint="handshake") as ws:
        reply = await receive(ws, expected="the message back", hint="messages")

    with raw_websocket(server, rng) as ws:
        ws.send(PING, b"hi")
        opcode, payload, fin, header = ws.frame("a PONG", hint="messages")
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import socket
import struct
import time

from websockets.asyncio.client import connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    WebSocketException,
)

from .clients import open_raw
from .messages import expect, fail

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"   # RFC 6455's fixed string, computed here, never imported
TIMEOUT = 2.0   # seconds to wait for any answer: on loopback even 64 KiB comes back in milliseconds
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NAMES = {CONTINUATION: "CONTINUATION", TEXT: "TEXT", BINARY: "BINARY", CLOSE: "CLOSE", PING: "PING", PONG: "PONG"}


def accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def opening(server, key: str | None, version: str = "13", path: str = "/ws", rng=None,
            connection: str | None = None) -> bytes:
    """The opening handshake request, as bytes (without a key when key is None).

    With `rng`, in one of the shapes real clients send: header names in any case (RFC 9110: they are
    case-insensitive), `Upgrade: WebSocket` (the token is too), and `Connection: keep-alive, Upgrade` as Firefox
    sends it (a list of tokens, not one word)."""
    upgrade, connection = "websocket", connection or "Upgrade"
    if rng is not None:
        upgrade = rng.choice(["websocket", "WebSocket", "WEBSOCKET"])
        connection = connection or rng.choice(["Upgrade", "upgrade", "keep-alive, Upgrade", "Upgrade,keep-alive",
                                               "keep-alive,  upgrade"])
    lines = [("Host", f"{server.host}:{server.port}"), ("Upgrade", upgrade), ("Connection", connection)]
    lines += [("Sec-WebSocket-Key", key)] if key else []
    lines += [("Sec-WebSocket-Version", version)]
    if rng is not None:
        rng.shuffle(lines)
        lines = [(rng.choice([name, name.lower(), name.upper()]), value) for name, value in lines]
    return (f"GET {path} HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in lines)
            + "\r\n").encode()


def shape(request: bytes) -> str:
    """The header lines of a request we sent, for a message: the shape a server may have choked on."""
    return " | ".join(request.decode("latin-1").split("\r\n")[1:-2])


def split_at_random(rng, data: bytes, most: int = 4) -> list[bytes]:
    """data cut at up to `most` random places: TCP may deliver a frame in any number of pieces."""
    if len(data) < 2:
        return [data]
    cuts = sorted(rng.sample(range(1, len(data)), min(most, len(data) - 1, rng.randint(1, most))))
    return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)], strict=False)]


def preview(data: bytes | str, limit: int = 24) -> str:
    return repr(data[:limit]) + ("..." if len(data) > limit else "")


def show_frame(opcode: int, payload: bytes, fin: bool = True, header: bytes = b"") -> str:
    """A frame in words: 'a CLOSE frame with 2 bytes of payload (code 1002, reason '')'."""
    kind = NAMES.get(opcode, f"opcode {opcode:#x}")
    text = f"a {kind} frame{'' if fin else ' without FIN'} with {len(payload)} bytes of payload"
    if opcode == CLOSE and len(payload) >= 2:
        text += f" (code {int.from_bytes(payload[:2], 'big')}, reason {payload[2:].decode('utf-8', 'replace')!r})"
    elif payload:
        text += " " + preview(payload)
    return text + (f", header bytes {header.hex(' ')}" if header else "")


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


class RawWebSocket:
    """A WebSocket opened by hand: the handshake is checked, then frames go out and come back as bytes."""

    def __init__(self, server, rng, path: str = "/ws", hint: str = "handshake"):
        self.rng, self.key = rng, base64.b64encode(rng.randbytes(16)).decode()
        self.conn = open_raw(server, timeout=TIMEOUT)
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # our pieces leave as cut
        self.sent: list[str] = []
        try:
            self.check_handshake(server, path, hint)
        except BaseException:
            self.conn.close()
            raise

    def check_handshake(self, server, path: str, hint: str) -> None:
        request = opening(server, self.key, path=path, rng=self.rng)
        self.conn.send(request)
        answer = self.conn.read_response()
        expect(answer.status == 101, answer, expected=f"101 Switching Protocols to a handshake with the headers "
               f"{shape(request)} (names and tokens are case-insensitive, Connection is a list)",
               got=f"{answer.status} {answer.reason}", hint=hint)
        expect(answer.headers.get("Sec-WebSocket-Accept") == accept_for(self.key), answer,
               expected=f"Sec-WebSocket-Accept: {accept_for(self.key)}",
               got=repr(answer.headers.get("Sec-WebSocket-Accept")), hint=hint)

    def send(self, opcode: int, payload: bytes = b"", *, fin: bool = True, masked: bool = True) -> None:
        self.sent.append(show_frame(opcode, payload, fin) + ("" if masked else ", NOT masked"))
        try:
            self.conn.sock.sendall(client_frame(self.rng, opcode, payload, fin=fin, masked=masked))
        except OSError:
            pass  # the server hung up already; what it sent before that is read next

    def send_in_pieces(self, frames: list[tuple[int, bytes, bool]], cut: bool = True) -> None:
        """Several frames (opcode, payload, fin) as one stream of bytes, cut at random places, each piece its
        own TCP write a moment apart: a server must parse a frame whatever way it arrives. cut=False sends
        them in one write, so a server reads them all at once."""
        data = b"".join(client_frame(self.rng, opcode, payload, fin=fin) for opcode, payload, fin in frames)
        shown = [show_frame(*frame) for frame in frames]
        if len(shown) > 6:                  # thousands of tiny frames: the first few and the last tell the story
            shown = shown[:3] + [f"{len(shown) - 4} more frames like these"] + shown[-1:]
        self.sent += shown
        pieces = split_at_random(self.rng, data) if cut else [data]
        self.sent[-1] += f" (all {len(frames)} frames in {len(pieces)} TCP write{'s, cut anywhere' if cut else ''})"
        try:
            for piece in pieces:
                self.conn.sock.sendall(piece)
                time.sleep(0.002)
        except OSError:
            pass  # the server hung up already; what it sent before that is read next

    def reset(self) -> None:
        """Vanish with a TCP reset (RST), as a crashed client or a lost network does: no close frame, no FIN."""
        self.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.conn.close()

    def read(self, n: int, expected: str, hint: str) -> bytes:
        while len(self.conn.buffer) < n:
            try:
                chunk = self.conn.sock.recv(65536)
            except TimeoutError:
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
               got=f"a frame with the MASK bit set, header bytes {header.hex(' ')}", hint=hint)
        return header, n

    def frame(self, expected: str, hint: str) -> tuple[int, bytes, bool, bytes]:
        """The next frame from the server: (opcode, payload, fin, header bytes)."""
        header, n = self.header(expected, hint)
        return header[0] & 0x0F, self.read(n, expected, hint), bool(header[0] & 0x80), header

    def expect_close(self, code: int, why: str, hint: str) -> None:
        """The next frame must be a CLOSE carrying `code` (1002 for a broken rule, say); data frames before it
        count as the mistake they are."""
        expected = f"a CLOSE frame with code {code} ({why})"
        opcode, payload, fin, header = self.frame(expected, hint)
        if opcode != CLOSE:
            fail(expected=f"{expected}. We sent {self.story()}",
                 got=f"{show_frame(opcode, payload, fin, header)}, as if nothing were wrong", hint=hint)
        got = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
        expect(got == code, expected=f"{expected}. We sent {self.story()}",
               got=show_frame(opcode, payload, fin, header), hint=hint)

    def story(self) -> str:
        return "the handshake, then " + "; then ".join(self.sent) if self.sent else "the handshake"

    def close(self) -> None:
        self.conn.close()


@contextlib.contextmanager
def raw_websocket(server, rng, path: str = "/ws", hint: str = "handshake"):
    ws = RawWebSocket(server, rng, path, hint)
    try:
        yield ws
    finally:
        ws.close()


# ---- The `websockets` client: what a correct client does ----

@contextlib.asynccontextmanager
async def open_websocket(server, path: str = "/ws", *, hint: str, timeout: float = TIMEOUT, max_size=2**20):
    """A `websockets` connection to `path`; a refused or broken handshake is a teaching failure."""
    url = f"ws://{server.host}:{server.port}{path}"
    try:
        ws = await connect(url, open_timeout=timeout, close_timeout=1, ping_interval=None,
                           compression=None, proxy=None, max_size=max_size)
    except InvalidStatus as error:
        fail(expected=f"101 Switching Protocols when the `websockets` client opens {url}",
             got=f"{error.response.status_code} {error.response.reason_phrase}", hint=hint)
    except InvalidHandshake as error:
        fail(expected=f"a handshake the `websockets` client accepts when it opens {url}",
             got=f"a refusal from the client: {error}", hint=hint)
    except (OSError, asyncio.TimeoutError, WebSocketException) as error:
        fail(expected=f"a WebSocket connection to {url}", got=str(error) or "no answer in time", hint=hint)
    try:
        yield ws
    finally:
        ws.transport.abort()   # the close handshake has its own check; a broken one must not slow the rest


def closed_story(error: ConnectionClosed) -> str:
    if error.rcvd is not None:
        return f"the server closed the WebSocket with code {error.rcvd.code} ({error.rcvd.reason!r})"
    if error.sent is not None and error.sent.code == 1002:
        return ("a frame the `websockets` client could not read, so it closed the connection with 1002: "
                f"{error.sent.reason or 'protocol error'}. Check the frame header: FIN and opcode, the length "
                "encoding, and that a server never masks")
    if error.sent is not None and error.sent.code == 1007:
        return "a TEXT message that is not valid UTF-8 (the `websockets` client closed with 1007)"
    return "the connection ended without a close frame (did the server crash? see its output below)"


async def receive(ws, *, expected: str, hint: str, timeout: float = TIMEOUT, silence: str = ""):
    """The next message, or a teaching failure: silence (`silence` says what it may mean), a close, or a frame
    the client could not read."""
    try:
        return await asyncio.wait_for(ws.recv(), timeout)
    except asyncio.TimeoutError:
        fail(expected=expected, got=f"nothing within {timeout:.1f} s{silence}", hint=hint)
    except ConnectionClosed as error:
        fail(expected=expected, got=closed_story(error), hint=hint)
    except (WebSocketException, OSError) as error:
        fail(expected=expected, got=f"the `websockets` client could not read the answer: {error}", hint=hint)


async def send(ws, message, *, expected: str, hint: str) -> None:
    """Send a message (a list sends fragments); a connection the server already closed is a teaching failure."""
    try:
        await ws.send(message)
    except ConnectionClosed as error:
        fail(expected=expected, got=f"before we could send, {closed_story(error)}", hint=hint)
    except (WebSocketException, OSError) as error:
        fail(expected=expected, got=f"sending failed: {error}", hint=hint)
