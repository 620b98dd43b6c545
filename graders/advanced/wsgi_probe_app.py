"""The WSGI app that graders/advanced/test_wsgi.py runs on your server. It shows what your server gave it.

    python exercises/advanced/wsgi/server.py --port 8002 --app graders.advanced.wsgi_probe_app:app

Then, in a browser or with curl:
    /echo/anything?x=1          the environ your server built, as JSON (the body read from wsgi.input too)
    /respond/418/hello          status 418, a header X-Probe-Token: hello, and two Set-Cookie headers
    /chunks/4/hello             a body given as 4 pieces (one of them empty), for the server to join
    /breaks/2/hello             2 pieces of body, then the body raises (KeyError, OSError... by the number)
    /error-page/2/hello         start_response("200 OK"), then an error, then start_response("500 ...", exc_info)
                                and an error page, as frameworks do it (2: in the app, odd: in the body's first
                                step, before any byte of body)
    /slow/hello                 a first piece at once, the second a second later (a stream)
    /closed                     the paths whose body had its close() called so far, as JSON
"""
import json
import sys
import time
from http import HTTPStatus

closed_paths: list[str] = []   # kept in the server's process, across requests


ERRORS = [KeyError, OSError, ValueError, RuntimeError, ZeroDivisionError, LookupError]


class Body:
    """A body with a close(), like a framework's file responses: the server must call it when done.
    With `error`, it raises that error after its pieces, as a template that fails half-way does."""

    def __init__(self, path: str, chunks, error: type | None = None):
        self.path, self.chunks, self.error = path, chunks, error

    def __iter__(self):
        yield from self.chunks
        if self.error is not None:
            raise self.error(f"the body of {self.path} broke half-way, on purpose")

    def close(self) -> None:
        closed_paths.append(self.path)


def describe(environ: dict) -> dict:
    """The environ as JSON: text values as they are, the others as what they can do."""
    seen = {}
    for key, value in environ.items():
        if isinstance(value, (str, bool, int, float)) or value is None:
            seen[key] = value
        elif isinstance(value, tuple):
            seen[key] = list(value)
        else:
            seen[key] = f"<{type(value).__name__}>"
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH") or "0"
    # Never read without a length: on a real socket, read() would wait for bytes that never come.
    if hasattr(stream, "read") and length.isdigit():
        seen["wsgi.input"] = stream.read(int(length)).decode("latin-1")
    if hasattr(environ.get("wsgi.errors"), "write"):
        seen["wsgi.errors"] = "<writable>"
    return seen


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    parts = path.split("/")
    if path == "/closed":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(closed_paths).encode()]
    if len(parts) == 4 and parts[1] == "respond" and parts[2].isdigit():
        code, token = int(parts[2]), parts[3]
        start_response(f"{code} {HTTPStatus(code).phrase}", [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("X-Probe-Token", token),
            ("Set-Cookie", f"a={token}; Path=/"),
            ("Set-Cookie", "b=2; Path=/"),
        ])
        return Body(path, [f"status {code}\n".encode()])
    if len(parts) == 4 and parts[1] == "chunks" and parts[2].isdigit():
        count, token = int(parts[2]), parts[3]
        chunks = [f"{token}-{number}\n".encode() for number in range(count)]
        chunks.insert(count // 2, b"")   # PEP 3333 allows empty pieces; a server must not stop at one
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return Body(path, chunks)
    if len(parts) == 4 and parts[1] == "breaks" and parts[2].isdigit():
        count, token = int(parts[2]), parts[3]
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return Body(path, [f"{token}-{number}\n".encode() for number in range(count)], ERRORS[count % len(ERRORS)])
    if len(parts) == 3 and parts[1] == "slow":
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return Body(path, slow_pieces(parts[2]))
    if len(parts) == 4 and parts[1] == "error-page" and parts[2].isdigit():
        return error_page(path, int(parts[2]), parts[3], start_response)
    text = json.dumps(describe(environ), indent=1)
    third = len(text) // 3
    start_response("200 OK", [("Content-Type", "application/json")])
    return Body(path, [text[:third].encode(), text[third:2 * third].encode(), text[2 * third:].encode()])


def error_page(path: str, number: int, token: str, start_response):
    """PEP 3333's way to answer an error found after start_response(): call it again with exc_info. Until the
    first byte of body is out, the new status and headers replace the old ones."""
    def fail_and_apologise():
        try:
            raise ERRORS[number % len(ERRORS)](f"{path} failed after start_response(), on purpose")
        except Exception:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8"),
                                                         ("X-Probe-Token", token)], sys.exc_info())
        return [f"sorry: {token}".encode()]

    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    if number % 2 == 0:
        return fail_and_apologise()

    def body():   # the same, but the app's body is a generator that fails in its first step
        yield from fail_and_apologise()
    return body()


def slow_pieces(token: str):
    """A stream: PEP 3333 says a server must send each piece before it asks for the next."""
    yield f"first {token}\n".encode()
    time.sleep(1.0)
    yield f"second {token}\n".encode()
