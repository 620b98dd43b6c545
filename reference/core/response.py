"""Build the bytes of an HTTP response. No I/O here either."""
from dataclasses import dataclass, field
from http import HTTPStatus
from html import escape


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
            lines.append(f"{name}: {value}")
            length_given = length_given or name.lower() == "content-length"
        if self.status == 204 or 100 <= self.status < 200:
            pass                                 # RFC 9110: these answers never carry a body or its length
        elif not length_given:                   # a length already given is kept as it is
            lines.append(f"Content-Length: {len(self.body)}")
        # One request per connection keeps a server simple; a server that reads the next request on the
        # same connection says keep-alive instead.
        lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + self.body if include_body else head


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
    """The bytes that answer a request the parser refused (an HTTPError): its status and reason."""
    return error_page(error.status, error.message).encode()
