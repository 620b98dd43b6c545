"""Build the bytes of an HTTP response. No I/O here either."""
import re
from dataclasses import dataclass, field
from html import escape
from http import HTTPStatus

from .request_parser import HTTPError

LINE_BREAK = re.compile(r"[\r\n\x00]")   # a CR or LF in a header would start a header (or a body) of its own


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)  # a list: Set-Cookie may repeat
    body: bytes = b""

    def encode(self, include_body: bool = True, keep_alive: bool = False) -> bytes:
        """The status line, the headers, a blank line, then the body.

        Content-Length counts bytes, never characters: "café" is 4 characters but 5 bytes in UTF-8.
        Without a body (a HEAD answer) the Content-Length is still the body's: it tells what GET would send.
        """
        lines = [f"HTTP/1.1 {self.status} {reason(self.status)}"]
        length_given = False
        for name, value in self.headers:
            line = f"{name}: {value}"
            if LINE_BREAK.search(line):   # "X: a\r\nSet-Cookie: admin=1" is response splitting: never send it
                raise HTTPError(500, f"a header holds a CR, LF or NUL, so it was not sent: {line!r}")
            lines.append(line)
            length_given = length_given or name.lower() == "content-length"
        # RFC 9110: 1xx and 204 never carry a body or its length. A 304 has no body either; a length it is
        # given is the one a 200 would have had, so the core adds none (0 would be a lie).
        no_body = self.status in (204, 304) or 100 <= self.status < 200
        if not (no_body or length_given):        # a length already given is kept as it is
            lines.append(f"Content-Length: {len(self.body)}")
        # One request per connection keeps a server simple; a server that reads the next request on the
        # same connection says keep-alive instead.
        lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
        try:
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        except UnicodeEncodeError:               # a header carries Latin-1 only (RFC 9110, 5.5): "é" yes, "€" no
            bad = next(line for line in lines if any(ord(char) > 255 for char in line))
            raise HTTPError(500, f"a header is not Latin-1, so it was not sent: {bad!r}") from None
        return head + self.body if include_body and not no_body else head


def reply_to(request, response: Response, keep_alive: bool = False) -> bytes:
    """The bytes that answer `request`. HEAD gets the headers GET would get, and no body (RFC 9110, 9.3.2)."""
    return response.encode(include_body=request.method != "HEAD", keep_alive=keep_alive)


REASONS = {status.value: status.phrase for status in HTTPStatus}   # 404 -> "Not Found"


def reason(status: int) -> str:
    return REASONS.get(status, "Unknown")


def text(body: str, status: int = 200, content_type: str = "text/plain; charset=utf-8") -> Response:
    return Response(status, [("Content-Type", content_type)], body.encode("utf-8"))


def html(body: str, status: int = 200) -> Response:
    return text(body, status, "text/html; charset=utf-8")


def error_page(status: int, message: str) -> Response:
    title = f"{status} {reason(status)}"
    return html(f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{escape(message)}</p>\n", status)


def not_allowed(method: str, path: str, allowed: tuple[str, ...]) -> Response:
    """405: the resource exists but not for this method; the Allow header says what it does take."""
    page = error_page(405, f"{method} is not allowed on {path}")
    page.headers.append(("Allow", ", ".join(allowed)))
    return page


def error_reply(error) -> bytes:
    """The bytes that answer an HTTPError: a request the parser refused (its status and reason), or a 500
    for an answer that could not be sent. Why is the server's business, for its output, not the client's."""
    if error.status == 500:
        return error_page(500, "the server could not build its answer").encode()
    return error_page(error.status, error.message).encode()
