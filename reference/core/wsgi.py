"""WSGI (PEP 3333) without I/O: a Request becomes an environ dict, an app's answer becomes a Response.

WSGI is the contract that lets any Python framework (Flask, Django...) run on any server: the server
calls app(environ, start_response) and sends whatever the app returns, piece by piece as it comes.
"""
import io
import sys
import traceback
from collections.abc import Iterator
from urllib.parse import unquote

from .request_parser import Request, origin_form
from .response import error_page


def build_environ(request: Request, host: str, port: int) -> dict:
    raw_path = origin_form(request.target).partition("?")[0]
    environ = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        # PEP 3333 wants "bytes as latin-1 text": the app decodes it as it likes (usually UTF-8).
        "PATH_INFO": unquote(raw_path, encoding="latin-1"),
        "QUERY_STRING": request.query,
        "CONTENT_TYPE": request.header("content-type", ""),
        "CONTENT_LENGTH": request.header("content-length", ""),
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": request.version,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(request.body),   # the body, already read to Content-Length
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        key = "HTTP_" + name.upper().replace("-", "_")     # X-Request-Id becomes HTTP_X_REQUEST_ID
        if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
            environ[key] = value
    return environ


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate",
              "proxy-authorization"}   # the server's business, not the app's (PEP 3333)


class BadAnswer(Exception):
    """The app's status or headers cannot go on the wire as they are; the message says why."""


def checked(started: dict) -> tuple[str, list[tuple[str, str]]]:
    """The app's status and headers, refused (BadAnswer) when they would break the answer's head.

    A CR or LF in a value would end the header early and let the app's data write headers of its own
    (response splitting: an injected Set-Cookie, a second body). So would a name with ':' or a space in it."""
    status = started["status"]
    if not (isinstance(status, str) and len(status) >= 3 and status[:3].isascii() and status[:3].isdigit()
            and 100 <= int(status[:3]) <= 599 and (len(status) == 3 or status[3] == " ")
            and status.isprintable()):
        raise BadAnswer(f"the app's status {status!r} is not three digits (100 to 599), a space and a reason")
    headers = []
    for header in started["headers"]:
        if not (isinstance(header, tuple) and len(header) == 2 and all(isinstance(part, str) for part in header)):
            raise BadAnswer(f"the app's header {header!r} is not a (name, value) tuple of two str")
        name, value = header
        if not name or not name.isascii() or any(char in name for char in ' \t:"(),/;<=>?@[\\]{}\x7f') \
                or not name.isprintable():
            raise BadAnswer(f"the app's header name {name!r} is not a token")
        if any(char in value for char in "\r\n\0"):
            raise BadAnswer(f"the app's {name} header holds CR, LF or NUL, which would split the answer: {value!r}")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise BadAnswer(f"the app's {name} header is not Latin-1 text, as PEP 3333 requires: {value!r}") from None
        if name.lower() not in HOP_BY_HOP:   # we frame the body and close the connection ourselves
            headers.append((name, value))
    return status, headers


def content_length(headers) -> int | None:
    """The app's own Content-Length, or None when it gave none."""
    values = [value.strip() for name, value in headers if name.lower() == "content-length"]
    if not values:
        return None
    if len(set(values)) > 1 or not values[0].isascii() or not values[0].isdigit():
        raise BadAnswer(f"the app's Content-Length {', '.join(values)!r} is not one number")
    return int(values[0])


def run_app(app, environ: dict) -> Iterator[bytes]:
    """Call the app and yield the bytes of its answer as they come: the head with the first piece of body,
    then each piece, then the end. Nothing is gathered in memory: an app may stream a body without end.

    The caller writes each piece to its socket, and calls close() on this generator when it stops early (the
    client left): the app's body.close() runs in the `finally` below, whatever happens.
    """
    started: dict = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list, exc_info=None):
        # A second call comes with exc_info, from an app that failed after the first. Before the head has
        # gone out its status and headers replace the first ones (an error page instead of a 200); after,
        # it is too late, and PEP 3333 says to raise the app's error again.
        if exc_info and started.get("sent"):
            raise exc_info[1].with_traceback(exc_info[2])
        started["status"], started["headers"] = status, headers
        return written.append   # the old-style write() callable; its bytes go before the iterable's next piece

    try:
        result = app(environ, start_response)
    except Exception:
        traceback.print_exc()   # the app's bug, in the server's output; the client gets a 500
        yield error_page(500, "the WSGI app raised an exception (see the server's output)").encode()
        return
    framing = None
    # A body of one piece (a list, as most apps return) is whole in its first piece: its length can go in
    # the head, as PEP 3333 allows, instead of chunks. Any other body is sent in chunks as it comes.
    try:
        one_piece = len(result) == 1
    except TypeError:
        one_piece = False
    try:
        # The head waits for the first piece of body that is not empty: until then the app may still call
        # start_response() again with exc_info.
        for piece in result:
            whole = one_piece and not written
            data = b"".join(written) + piece
            written.clear()
            if data and framing is None:
                head, framing = answer_head(started, environ, length=len(data) if whole else None)
                started["sent"] = True
                yield head
                if not framing.include_body:
                    break                   # HEAD, 204, 304: the head is the whole answer
            if data:
                yield framing.frame(data)
        if framing is None:                 # an empty body (or a HEAD's): the head says so
            head, framing = answer_head(started, environ, empty=True)
            started["sent"] = True
            yield head
        yield framing.end()
    except Exception as error:
        if isinstance(error, BadAnswer):
            print(f"wsgi: answering 500: {error}", file=sys.stderr)
        else:
            traceback.print_exc()
        if framing is None:                 # nothing sent yet: a 500 can still replace the answer
            yield error_page(500, "the WSGI app failed (see the server's output)").encode()
        # Otherwise the head and part of the body are gone: the connection closes short, and the client,
        # counting Content-Length or waiting for the last chunk, knows the answer is broken.
    finally:
        if hasattr(result, "close"):
            result.close()   # frameworks free resources here (files, database connections)


class Framing:
    """How the body's pieces go on the wire: as they are (a length in the head, or the close ends the body),
    or as chunks (RFC 9112, 7.1), each with its size in hex, and an empty chunk at the end."""

    def __init__(self, chunked: bool = False, length: int | None = None, include_body: bool = True):
        self.chunked, self.left, self.include_body = chunked, length, include_body

    def frame(self, data: bytes) -> bytes:
        if not self.include_body:
            return b""
        if self.left is not None:           # never more than the app's own Content-Length promised
            data, self.left = data[:self.left], self.left - len(data[:self.left])
        return f"{len(data):x}\r\n".encode() + data + b"\r\n" if self.chunked and data else data

    def end(self) -> bytes:
        return b"0\r\n\r\n" if self.chunked and self.include_body else b""


def answer_head(started: dict, environ: dict, empty: bool = False,
                length: int | None = None) -> tuple[bytes, Framing]:
    """The answer's head, and how its body is framed: the app's Content-Length when it gave one, else
    `length` when the caller knows the whole body's, else chunked for HTTP/1.1 (0 for an empty body), else the
    close ends the body (HTTP/1.0 has no chunks)."""
    if "status" not in started:
        raise BadAnswer("the app never called start_response()")
    status, headers = checked({"headers": [], **started})   # no headers given: none sent
    code = int(status[:3])
    given = content_length(headers)
    no_body = code in (204, 304) or code < 200
    include_body = environ["REQUEST_METHOD"] != "HEAD" and not no_body
    lines = [f"HTTP/1.1 {status}"] + [f"{name}: {value}" for name, value in headers]
    chunked = False
    if no_body or given is not None:
        length = given
    elif length is not None:
        lines.append(f"Content-Length: {length}")
    elif empty:
        lines.append("Content-Length: 0")
    elif environ["SERVER_PROTOCOL"] == "HTTP/1.1":
        lines.append("Transfer-Encoding: chunked")
        chunked = True
    lines.append("Connection: close")      # one answer per connection
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), Framing(chunked, length, include_body)
