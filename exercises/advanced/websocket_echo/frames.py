"""WebSocket frames (RFC 6455) with no I/O: bytes in, messages out; messages in, bytes out.

After the HTTP handshake (in server.py) the connection carries frames instead of requests. A frame is
  byte 0   FIN bit (last piece of a message) and a 4-bit opcode (text, binary, close, ping, pong...)
  byte 1   MASK bit and a 7-bit length: 0-125 is the length, 126 means "16 bits follow", 127 "64 bits"
  then     the longer length if any, the 4-byte mask key (client frames only), and the payload.
Like reference/request_parser.py, nothing here touches a socket: the server feeds bytes in and
sends whatever comes out, so you can test every rule here with plain bytes.
"""
import codecs
import struct
from dataclasses import dataclass

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
    # TODO: return base64(sha1(key + GUID)) as text: hashlib.sha1(...).digest(), then base64.b64encode.
    return key


def encode_frame(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    """One frame from the server. Servers never mask: masking protects proxies from what clients send."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    # TODO: this is only right below 126. From 126 to 65535 send 126, then the length in 2 bytes ("!BBH");
    #       from 65536 on send 127, then the length in 8 bytes ("!BBQ"). "!" is network byte order.
    header = struct.pack("!BB", first, length)
    return header + payload


def unmask(data: bytes, mask: bytes) -> bytes:
    """Undo the client's masking: byte i was XORed with mask[i % 4], and XOR twice gives it back."""
    # TODO: XOR each byte with the mask byte at its position modulo 4 (enumerate() gives the position).
    return data


def closing_code(payload: bytes) -> int | None:
    """The code in a client's close frame (None when it sent none), checked as RFC 6455, 7.4 says."""
    # TODO: no payload: None. A 1-byte payload: ProtocolError (a code takes 2 bytes). Else the code is the
    #       first 2 bytes (struct.unpack("!H", ...)). Only 1000-1003, 1007-1014 and 3000-4999 may be sent:
    #       any other code is a ProtocolError. A reason (the bytes after the code) that is not UTF-8 is a
    #       ProtocolError with code 1007.
    return 1000


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
        # TODO: clients MUST mask every frame (RFC 6455, 5.1): if the MASK bit (0x80 of the second byte)
        #       is 0, raise ProtocolError. The server then closes with 1002.
        length, offset = second & 0x7F, 2
        # TODO: 126 and 127 are not lengths: the real length follows, in 2 bytes for 126 ("!H"), in 8 for
        #       127 ("!Q"); use struct.unpack_from(format, buffer, 2) and move offset past them. Return None
        #       while those bytes have not arrived yet.
        if length > MAX_MESSAGE:
            raise ProtocolError(f"a frame of {length} bytes is too big", 1009)
        # TODO: the 4-byte mask key comes next: read it and move offset past it.
        mask = b""
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
                # TODO: answer with a PONG frame carrying the ping's payload (add it to self.outgoing).
                pass
            elif frame.opcode == CLOSE:
                self.close(closing_code(frame.payload))   # the closing handshake: the client's own code
            return None                    # a pong answers a ping we never sent: nothing to do
        if frame.opcode in (TEXT, BINARY):
            # TODO: a message may come in pieces (RFC 6455, 5.4): TEXT or BINARY without FIN, then
            #       CONTINUATION frames, the last one with FIN. Keep the payloads in self.fragments (and the
            #       first opcode in self.message_opcode) and return the joined message at FIN: decode it only
            #       then, as a character may be cut between two pieces. A CONTINUATION with no message to
            #       continue, or a new TEXT/BINARY before FIN, is a ProtocolError. So is a message past
            #       MAX_MESSAGE bytes or MAX_FRAGMENTS pieces in all (code 1009): count them as they come.
            return self.message(frame.opcode, frame.payload)
        raise ProtocolError(f"unknown opcode {frame.opcode:#x}")

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
