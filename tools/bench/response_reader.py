"""The client's half of HTTP, with no I/O: build a GET, and tell when its response is complete.

request_parser turns a server's incoming bytes into a Request; this does the same job for the load
generator on the other side of the socket. It never sees the socket: the caller feeds it whatever
arrived and asks "done yet?". A response is complete when Content-Length bytes of body are in, or,
when the server sent no length, when the server closes the connection.
"""
import re

HEAD_END = re.compile(rb"\r?\n\r?\n")
STATUS_LINE = re.compile(r"HTTP/1\.[01] ([0-9]{3})(?: .*)?")
MAX_HEAD = 64 * 1024           # a response head bigger than this is not one of ours
NO_BODY = (204, 304)           # these statuses never carry a body, whatever the headers say


class ResponseError(Exception):
    """The bytes are not an HTTP response, or the response stopped short."""


def get_request(host: str, port: int, path: str) -> bytes:
    """One GET, like `ab` sends it: Host is required by HTTP/1.1; Connection: close asks for one request
    per connection, so every request pays for its own TCP connect, as in the blog post's benchmark."""
    return (f"GET {path} HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\n"
            f"User-Agent: reference-loadgen\r\n"
            f"Connection: close\r\n\r\n").encode("ascii")


class ResponseReader:
    """Feed it bytes with receive(); it returns True once the whole response is in."""

    def __init__(self):
        self.head = bytearray()
        self.status: int | None = None        # known once the head is in
        self.length: int | None = None        # Content-Length, if the server sent one
        self.body_received = 0                # we count the body's bytes; a load generator need not keep them
        self.done = False

    def receive(self, data: bytes) -> bool:
        if self.status is None:
            self.head += data
            end = HEAD_END.search(self.head)
            if end is None:
                if len(self.head) > MAX_HEAD:
                    raise ResponseError("the response head is too large")
                return False                  # the head has not fully arrived: read again
            self.status, self.length = parse_head(bytes(self.head[:end.start()]))
            data = self.head[end.end():]      # whatever came after the blank line is body
        self.body_received += len(data)
        if self.length is not None and self.body_received >= self.length:
            self.done = True
        return self.done

    def end_of_stream(self) -> None:
        """The server closed the connection: fine if nothing is missing, an error otherwise."""
        if self.status is None:
            raise ResponseError("the connection closed before a complete response head")
        if self.length is not None and self.body_received < self.length:
            raise ResponseError(f"the body stopped after {self.body_received} of {self.length} bytes")
        self.done = True                      # no Content-Length: the close marks the end of the body


def parse_head(head: bytes) -> tuple[int, int | None]:
    """The status code and the body length (None: read until the server closes)."""
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    match = STATUS_LINE.fullmatch(lines[0])
    if match is None:
        raise ResponseError(f"bad status line {lines[0][:80]!r}")
    status = int(match[1])
    if status in NO_BODY:
        return status, 0
    length = None
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "transfer-encoding":
            return status, None               # chunked: we asked for Connection: close, so read to the end
        if name == "content-length":
            if not (value.isascii() and value.isdigit()):
                raise ResponseError(f"bad Content-Length {value!r}")
            length = int(value)
    return status, length
