"""WebSocket frames (RFC 6455) with no I/O: bytes in, messages out; messages in, bytes out.

A WebSocket starts as an HTTP request (the handshake: handshake_refusal, switching_protocols); after the
101 answer the connection carries frames instead of requests. A frame is
  byte 0   FIN bit (last piece of a message) and a 4-bit opcode (text, binary, close, ping, pong...)
  byte 1   MASK bit and a 7-bit length: 0-125 is the length, 126 means "16 bits follow", 127 "64 bits"
  then     the longer length if any, the 4-byte mask key (client frames only), and the payload.
Like reference/core/request_parser.py, nothing here touches a socket: the server feeds bytes in and
sends whatever comes out, so you can test every rule here with plain bytes.

This is the finished frames.py (and handshake) of the websocket_echo challenge, so do that one first without
peeking. Its solution keeps its own copy, to diff against its starter; tests/test_websocket_copies.py proves
that the two agree.
"""
import base64
import codecs
import hashlib
import struct
from dataclasses import dataclass

from .request_parser import Request
from .response import Response, error_page

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"   # fixed by RFC 6455: only a WebSocket server knows it
MAX_MESSAGE = 1024 * 1024                        # bigger messages are closed with 1009 (too big)
MAX_FRAGMENTS = 1024                             # so are messages in more pieces: empty ones cost work too

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class ProtocolError(Exception):
    """The client broke the protocol; `code` is the close code to answer with."""

    def __init__(self, message: str, code: int = 1002):   # 1002: protocol error
        super().__init__(message)
        self.code = code


@dataclass
class Frame:
    opcode: int
    payload: bytes
    fin: bool = True


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept answer to a client's Sec-WebSocket-Key."""
    # base64(sha1(key + GUID)): proof that the server read the key and really speaks WebSocket.
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def handshake_refusal(request: Request) -> Response | None:
    """The HTTP answer that refuses this opening request, or None when it is a valid handshake."""
    upgrade = (request.header("upgrade") or "").lower() == "websocket"
    connection = [token.strip().lower() for token in (request.header("connection") or "").split(",")]
    if request.method != "GET" or not upgrade or "upgrade" not in connection:
        page = error_page(426, "this is a WebSocket endpoint: open it with new WebSocket(url)")
        page.headers.append(("Upgrade", "websocket"))   # 426 says which protocol to upgrade to
        return page
    # Without a key there is nothing to prove we read it. The key is base64 text, so never anything
    # but ASCII. A version we do not speak gets 426 and the one we do (RFC 6455, 4.2.2).
    key = request.header("sec-websocket-key") or ""
    if not key or not key.isascii():
        return error_page(400, "a WebSocket handshake needs an ASCII Sec-WebSocket-Key header")
    if request.header("sec-websocket-version") != "13":
        page = error_page(426, "this server speaks WebSocket version 13")
        page.headers.append(("Sec-WebSocket-Version", "13"))
        return page
    return None


def switching_protocols(request: Request) -> bytes:
    """101: from the blank line on, this connection speaks WebSocket, not HTTP."""
    accept = accept_key(request.header("sec-websocket-key"))
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n"
        "\r\n"
    ).encode("latin-1")


def encode_frame(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    """One frame from the server. Servers never mask: masking protects proxies from what clients send."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    # The length takes the fewest bytes it fits in: 7 bits, else 126 + 16 bits, else 127 + 64 bits.
    if length < 126:
        header = struct.pack("!BB", first, length)
    elif length < 65536:
        header = struct.pack("!BBH", first, 126, length)
    else:
        header = struct.pack("!BBQ", first, 127, length)
    return header + payload


def unmask(data: bytes, mask: bytes) -> bytes:
    """Undo the client's masking: byte i was XORed with mask[i % 4], and XOR twice gives it back."""
    return bytes(byte ^ mask[i % 4] for i, byte in enumerate(data))


def closing_code(payload: bytes) -> int | None:
    """The code in a client's close frame (None when it sent none), checked as RFC 6455, 7.4 says."""
    if not payload:
        return None
    if len(payload) == 1:
        raise ProtocolError("a close code takes 2 bytes")
    code = struct.unpack("!H", payload[:2])[0]
    # 1005, 1006 and 1015 only describe a close locally, and nothing below 1000 or from 5000 on is defined:
    # such a code must never be on the wire. 3000-4999 belong to libraries and applications.
    if not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
        raise ProtocolError(f"close code {code} must never be sent")
    try:
        payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("a close reason must be UTF-8", 1007) from None
    return code


class FrameParser:
    """Feed it bytes with receive_data(); next_frame() returns each Frame once it is complete."""

    def __init__(self):
        self.buffer = bytearray()

    def receive_data(self, data: bytes) -> None:
        self.buffer += data

    def next_frame(self) -> Frame | None:
        """The next complete frame in the buffer, or None. Leftover bytes stay for the next call."""
        buffer = self.buffer
        if len(buffer) < 2:
            return None
        first, second = buffer[0], buffer[1]
        if first & 0x70:
            raise ProtocolError("reserved bits are set, but no extension was agreed")
        # Clients mask every frame, so a confused proxy can never read one as HTTP: unmasked is refused.
        if not second & 0x80:
            raise ProtocolError("client frames must be masked (RFC 6455, section 5.1)")
        length, offset = second & 0x7F, 2
        # 126 and 127 are not lengths: they say the real length follows, in 2 or in 8 bytes.
        if length == 126:
            if len(buffer) < 4:
                return None
            length, offset = struct.unpack_from("!H", buffer, 2)[0], 4
        elif length == 127:
            if len(buffer) < 10:
                return None
            length, offset = struct.unpack_from("!Q", buffer, 2)[0], 10
        if length > MAX_MESSAGE:
            raise ProtocolError(f"a frame of {length} bytes is too big", 1009)
        # The 4-byte mask key comes next; the payload is XORed with it.
        mask, offset = bytes(buffer[offset:offset + 4]), offset + 4
        end = offset + length
        if len(buffer) < end:
            return None       # the rest of the frame is still on its way
        payload = unmask(bytes(buffer[offset:end]), mask)
        del buffer[:end]
        return Frame(first & 0x0F, payload, fin=bool(first & 0x80))


class Connection:
    """The server's side of one WebSocket: bytes in, whole messages out; our replies wait in `outgoing`.

    A message may come in pieces, and pings and the close arrive between them. This class turns all
    that into whole messages (str for text, bytes for binary), and queues pongs and the close frame.
    """

    def __init__(self):
        self.parser = FrameParser()
        self.fragments: list[bytes] = []   # the pieces of an unfinished message
        self.message_size = 0              # their total length, kept as they come
        self.message_opcode = None         # TEXT or BINARY while a message is unfinished
        self.outgoing = bytearray()        # pongs and our close frame, for the server to send
        self.closed = False                # True once our close frame is queued: nothing may follow it

    def receive_data(self, data: bytes) -> None:
        self.parser.receive_data(data)

    def next_message(self) -> str | bytes | None:
        """The next whole message, or None until one is complete (and for ever once closed)."""
        try:
            while not self.closed:
                frame = self.parser.next_frame()
                if frame is None:
                    return None
                self.check_text(frame)
                message = self.handle(frame)
                if message is not None:
                    return message
        except ProtocolError as error:
            self.close(error.code, str(error))
        return None

    def check_text(self, frame: Frame) -> None:
        """Fail fast: decode a TEXT message's pieces as they come, so bytes that can never be UTF-8 close the
        connection at once (1007), not after the rest of the message. The incremental decoder keeps a character
        cut between two pieces until its last byte comes; handle() still decodes the whole message at its FIN."""
        if frame.opcode == TEXT and self.message_opcode is None:
            self.decoder = codecs.getincrementaldecoder("utf-8")()
        elif frame.opcode != CONTINUATION or self.message_opcode != TEXT:
            return                             # binary, control, or a broken sequence that handle() refuses
        try:
            self.decoder.decode(frame.payload, final=frame.fin)
        except UnicodeDecodeError:
            raise ProtocolError("a text message must be UTF-8", 1007) from None

    def handle(self, frame: Frame) -> str | bytes | None:
        if frame.opcode in (CLOSE, PING, PONG):
            if not frame.fin or len(frame.payload) > 125:
                raise ProtocolError("control frames must be short (125 bytes) and in one piece")
            if frame.opcode == PING:
                # A pong carries the ping's payload back: that is how the client matches the two.
                self.outgoing += encode_frame(PONG, frame.payload)
            elif frame.opcode == CLOSE:
                # Answer with the client's own code (none if it sent none): the closing handshake.
                self.close(closing_code(frame.payload))
            return None                    # a pong answers a ping we never sent: nothing to do
        # A message may come in pieces (RFC 6455, 5.4): TEXT or BINARY without FIN, then CONTINUATION
        # frames, the last one with FIN. Keep the pieces until then.
        if frame.opcode in (TEXT, BINARY):
            if self.message_opcode is not None:
                raise ProtocolError("a new message started before the last one was finished")
            self.message_opcode = frame.opcode
        elif frame.opcode != CONTINUATION:
            raise ProtocolError(f"unknown opcode {frame.opcode:#x}")
        elif self.message_opcode is None:
            raise ProtocolError("a continuation frame, but no message to continue")
        self.fragments.append(frame.payload)
        self.message_size += len(frame.payload)   # summing every piece again for each new one is quadratic
        if self.message_size > MAX_MESSAGE or len(self.fragments) > MAX_FRAGMENTS:
            raise ProtocolError("the message is too big, or in too many pieces", 1009)
        if not frame.fin:
            return None
        payload, opcode = b"".join(self.fragments), self.message_opcode
        self.fragments, self.message_opcode, self.message_size = [], None, 0
        return self.message(opcode, payload)

    def message(self, opcode: int, payload: bytes) -> str | bytes:
        if opcode == BINARY:
            return payload
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("a text message must be UTF-8", 1007) from None

    def send(self, message: str | bytes) -> bytes:
        """The frame for one message: text for str, binary for bytes. Nothing after our close."""
        if self.closed:
            return b""
        if isinstance(message, str):
            return encode_frame(TEXT, message.encode("utf-8"))
        return encode_frame(BINARY, message)

    def close(self, code: int | None = 1000, reason: str = "") -> None:
        """Queue our close frame. The reason is for humans: browsers and `websockets` show it."""
        if not self.closed:
            payload = b"" if code is None else struct.pack("!H", code) + reason.encode("utf-8")[:123]
            self.outgoing += encode_frame(CLOSE, payload)
            self.closed = True

    def data_to_send(self) -> bytes:
        data = bytes(self.outgoing)
        self.outgoing.clear()
        return data
