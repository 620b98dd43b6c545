"""Turn bytes into requests, with no I/O at all.

HTTP is just text over a socket. This parser never sees the socket: a server feeds it whatever bytes
arrived and it answers "need more" (None), a Request, or raises HTTPError carrying the status to send.
That is why the blocking, threaded, selectors and asyncio servers can all share it.
"""
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

MAX_HEAD = 16 * 1024      # bigger heads get 431, like most real servers
MAX_BODY = 1024 * 1024    # this kit's servers never need more
MAX_BLANK_LINES = 8       # empty lines before a request line: a client may send one after a body, never many

# The blank line that ends a head: CRLF CRLF, or bare LFs, which RFC 9112 lets a server accept (so telnet works).
# It starts at a \n, never at an optional \r: then the search can skip ahead to each \n, four times faster.
HEAD_END = re.compile(rb"\n\r?\n")
BLANK_LINES = re.compile(rb"(?:\r?\n){0,%d}" % MAX_BLANK_LINES)
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
VERSION = re.compile(r"HTTP/1\.[01]")
DIGITS = re.compile(r"[0-9]+")                 # int() would accept "+1_0", " 7" and "-1"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")    # no NUL, no bare CR, no control byte but TAB (RFC 9110, 5.5)
ABSOLUTE = re.compile(r"https?://[^/?#]*", re.IGNORECASE)  # "GET http://host:8002/page HTTP/1.1" (a proxy's form)


class HTTPError(Exception):
    """A request we refuse; `status` is what to answer (400, 413, 431, 501, 505...). Also an answer we refuse
    to send (500): Response.encode() raises it for a header that would split the response."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    target: str                 # exactly as sent: "/search?q=caf%C3%A9"
    path: str                   # decoded, without the query: "/search"
    query: str                  # still encoded: "q=caf%C3%A9"
    version: str
    headers: dict[str, str]     # names lower-cased: HTTP header names are case-insensitive
    body: bytes = field(default=b"", repr=False)
    header_list: list[tuple[str, str]] = field(default_factory=list, repr=False)   # as sent: case, order, repeats

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


class RequestParser:
    """Feed it bytes with receive(); it returns a Request once one is complete, else None."""

    def __init__(self, max_head: int = MAX_HEAD, max_body: int = MAX_BODY):
        self.buffer = bytearray()
        self.max_head = max_head
        self.max_body = max_body
        self.awaiting_body: Request | None = None
        self.searched = 0   # the buffer's first bytes hold no end of head: search only what came after them

    def receive(self, data: bytes) -> Request | None:
        self.buffer += data
        return self.next_request()

    def next_request(self) -> Request | None:
        """The next complete request in the buffer, or None. Leftover bytes stay for the next call."""
        if self.awaiting_body is None:
            parts = split_head(self.buffer, self.max_head, self.searched)
            if parts is None:
                self.searched = len(self.buffer)
                return None  # the head has not fully arrived: one recv() is rarely the whole request
            head, rest = parts
            self.buffer, self.searched = bytearray(rest), 0
            self.awaiting_body = parse_head(head, self.max_body)
        request = self.awaiting_body
        length = content_length(request.headers, self.max_body)
        if len(self.buffer) < length:
            return None      # the body comes in its own TCP writes: read until Content-Length bytes
        request.body = bytes(self.buffer[:length])
        del self.buffer[:length]
        self.awaiting_body = None
        return request


def split_head(data: bytes, max_head: int = MAX_HEAD, searched: int = 0) -> tuple[bytes, bytes] | None:
    """(the head, the bytes after its blank line), or None while the blank line has not arrived.

    `searched`: how many bytes at the start of `data` an earlier call already searched (the data has grown
    since). The search goes on from there, so a head that arrives in many small reads costs linear time.
    """
    # RFC 9112, 2.2: ignore empty lines before a request, but only a few, and they count toward the head
    # limit: endless CRLFs must not be read (and searched again on every read) forever.
    start = BLANK_LINES.match(data).end()
    if data.startswith((b"\r\n", b"\n"), start):
        raise HTTPError(400, f"more than {MAX_BLANK_LINES} empty lines before the request line")
    end = HEAD_END.search(data, max(start, searched - 2))   # a blank line that began in the bytes searched
    if end is None:
        if len(data) > max_head:
            raise HTTPError(431, "request head is too large")   # endless headers must not eat our memory
        return None
    if end.start() > max_head:
        raise HTTPError(431, "request head is too large")
    # Either every line ends in CRLF or every line in a bare LF (nc, telnet). A mix smuggles requests: a proxy
    # that ends lines at CRLF only reads "X: a\nContent-Length: 23" as one header, we would read two.
    crlf = data.count(b"\r\n", start, end.end())
    if crlf and crlf != data.count(b"\n", start, end.end()):
        raise HTTPError(400, "the head mixes CRLF and bare LF line endings")
    head = bytes(data[start:end.start()]).removesuffix(b"\r")     # the CR of the last line's CRLF
    return head, bytes(data[end.end():])


def parse_head(head: bytes, max_body: int = MAX_BODY) -> Request:
    """Parse the request line and headers (everything before the blank line)."""
    # Latin-1 maps every byte to one character, so decoding can never fail.
    text = head.decode("latin-1").replace("\r\n", "\n")
    control = CONTROL.search(text)   # a NUL or a lone CR can smuggle a second request past a proxy
    if control:
        raise HTTPError(400, f"a control character, {control.group()!r}, in the request's head")
    lines = text.split("\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise HTTPError(400, f"bad request line {lines[0]!r}: expected METHOD TARGET HTTP/1.1")
    method, target, version = parts
    if not TOKEN.fullmatch(method):
        raise HTTPError(400, f"bad method {method!r}")
    if not VERSION.fullmatch(version):
        status = 505 if re.fullmatch(r"HTTP/\d(\.\d)?", version) else 400
        raise HTTPError(status, f"unsupported version {version!r}")
    path_and_query = origin_form(target)
    if not (path_and_query.startswith("/") or (target == "*" and method == "OPTIONS")):
        raise HTTPError(400, f"bad target {target!r}: expected a path starting with /")

    headers: dict[str, str] = {}
    header_list: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not TOKEN.fullmatch(name):
            raise HTTPError(400, f"bad header line {line!r}")
        value = value.strip(" \t")
        header_list.append((name, value))
        name = name.lower()
        if name == "host" and name in headers:   # which site was meant? RFC 9112, 3.2: answer 400
            raise HTTPError(400, "more than one Host header")
        if name in headers:  # repeated headers mean a comma-separated list (RFC 9110, 5.3)
            headers[name] = headers[name] + ", " + value
        else:
            headers[name] = value

    if version == "HTTP/1.1" and "host" not in headers:
        raise HTTPError(400, "HTTP/1.1 requests must carry a Host header")
    if "transfer-encoding" in headers:
        raise HTTPError(501, "chunked request bodies are not supported here")
    content_length(headers, max_body)  # reject a bad Content-Length now, before waiting for a body

    path, _, query = path_and_query.partition("?")
    return Request(method, target, unquote(path), query, version, headers, header_list=header_list)


def origin_form(target: str) -> str:
    """The path and query of a target. A server must accept the absolute form too, "http://host/path?q"
    (RFC 9112, 3.2.2): then the path is what follows the host, and "/" when there is none: "http://h?q" is "/?q"."""
    if target.startswith("/"):
        return target                                   # the usual origin form: nothing to do
    absolute = ABSOLUTE.match(target)
    if not absolute:
        return target
    rest = target[absolute.end():]                      # "/path?q", "?q" (no path) or ""
    return rest if rest.startswith("/") else "/" + rest


def content_length(headers: dict[str, str], max_body: int = MAX_BODY) -> int:
    value = headers.get("content-length")
    if value is None:
        return 0
    values = {v.strip() for v in value.split(",")}   # "5, 5" is legal; "5, 6" is an attack
    if len(values) != 1 or not DIGITS.fullmatch(values.copy().pop()):
        raise HTTPError(400, f"bad Content-Length {value!r}")
    length = int(values.pop())
    if length > max_body:
        raise HTTPError(413, f"body of {length} bytes is too large")
    return length
