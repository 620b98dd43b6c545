"""A WSGI app that echoes what the server put in environ, as JSON, for the wsgi_server tests; a few paths
misbehave on purpose, as real apps do."""
import itertools
import json
import sys

closed: list[str] = []   # the paths whose body had its close() called, in this server process


class Body:
    """A body that yields `pieces`, raises after them when `fail`, and records its close()."""

    def __init__(self, path, pieces, fail=False):
        self.path, self.pieces, self.fail = path, pieces, fail

    def __iter__(self):
        yield from self.pieces
        if self.fail:
            raise RuntimeError("the body broke half-way")

    def close(self):
        closed.append(self.path)


BAD_HEADERS = {
    "/bad/crlf": ("200 OK", [("X-A", "a\r\nSet-Cookie: injected=1")]),
    "/bad/lf": ("200 OK", [("X-A", "a\nSet-Cookie: injected=1")]),
    "/bad/nul": ("200 OK", [("X-A", "a\0b")]),
    "/bad/name": ("200 OK", [("X-A: b\r\nX-B", "c")]),
    "/bad/latin1": ("200 OK", [("X-A", "snow ☃")]),
    "/bad/status-abc": ("abc", []),
    "/bad/status-99999": ("99999", []),
    "/bad/status-crlf": ("200 OK\r\nSet-Cookie: injected=1", []),
}


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/closed":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(closed).encode()]
    if path in BAD_HEADERS:
        status, headers = BAD_HEADERS[path]
        start_response(status, headers)
        return Body(path, [b"should never be sent"])
    if path == "/endless":     # a stream that never ends: the server must send it as it comes
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return Body(path, (b"x" * 65536 for _ in itertools.count()))
    if path == "/breaks-mid-body":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body(path, [b"first piece\n", b"second piece\n"], fail=True)
    if path == "/error-page":  # PEP 3333's pattern: a second start_response with exc_info replaces the first
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise KeyError("missing")
        except KeyError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
            return [b"the app's own error page"]
    if path == "/pieces":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body(path, [b"one ", b"", b"two ", b"three"])
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    seen = {key: value for key, value in environ.items() if isinstance(value, str)}
    seen["body"] = body.decode("utf-8")
    seen["wsgi.version"] = list(environ["wsgi.version"])
    start_response("200 OK", [("Content-Type", "application/json"), ("X-Probe", "yes")])
    return [json.dumps(seen).encode()]
