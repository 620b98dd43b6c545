"""Request and Response objects: what a framework hands your handler, and what it takes back.

Frameworks wrap both ends of a handler in objects. A Request answers questions (its headers,
whatever case the client typed them in; its query; its JSON body). A Response turns itself into
bytes, so no handler ever counts a Content-Length by hand or forgets a header.

What to build (each place is marked TODO below):
- Headers: names are case-insensitive (`X-Token` and `x-token` are one header): keep them lower-cased.
- Response: keep headers as a list of (name, value) pairs, so two Set-Cookie headers both arrive,
  and count Content-Length in bytes, not characters.
- GET /created answers 201 Created with `Location: /inspect`.
Then GET /inspect?x=1 returns JSON {"method": "GET", "path": "/inspect", "query": {"x": "1"},
"headers": {...}} with lower-cased header names, and GET /cookies sets both a=1 and b=2.

Run it:    python exercises/advanced/request_response/server.py --port 8002
Try it:    curl -i -H "X-Shouting: YES" "http://127.0.0.1:8002/inspect?x=caf%C3%A9"
           curl -i http://127.0.0.1:8002/cookies
Check it:  python -m pytest graders/advanced/test_request_response.py
"""
import asyncio
import json
from http import HTTPStatus
from urllib.parse import parse_qs

from reference import cli
from reference.async_server import read_request
from reference.core import mime, static_files, static_site
from reference.core.request_parser import HTTPError


class Headers:
    """A request's headers. Names are case-insensitive, values are kept as they came."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.values: dict[str, str] = {}
        for name, value in pairs:
            # HTTP header names are case-insensitive: store them lower-cased, look them up lower-cased.
            key = name.lower()
            # A header sent twice is one comma-separated list (RFC 9110, 5.3).
            self.values[key] = f"{self.values[key]}, {value}" if key in self.values else value

    def get(self, name: str, default: str | None = None) -> str | None:
        # Lower-cased here too, so get("Content-Type") finds content-type.
        return self.values.get(name.lower(), default)

    def items(self) -> list[tuple[str, str]]:
        return list(self.values.items())


class Request:
    def __init__(self, method: str, path: str, query: str, headers: Headers, body: bytes = b""):
        self.method = method
        self.path = path
        self.query = {name: values[-1] for name, values in parse_qs(query).items()}   # "x=1" -> {"x": "1"}
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)   # raises ValueError on bad JSON: the caller answers 400


class Response:
    """What a handler returns. It turns itself into bytes."""

    def __init__(self, status: int = 200, body: str | bytes = b"", content_type: str = "text/plain; charset=utf-8"):
        self.status = status
        self.body = body
        # A list of pairs, not a dict: Set-Cookie may repeat, and every one must reach the client
        # (so add_header appends, and encode loops over the pairs).
        self.headers: list[tuple[str, str]] = [("Content-Type", content_type)]

    def add_header(self, name: str, value: str) -> None:
        self.headers.append((name, value))

    @classmethod
    def json(cls, data, status: int = 200) -> "Response":
        return cls(status, json.dumps(data, ensure_ascii=False), "application/json")

    def encode(self, include_body: bool = True) -> bytes:
        body = self.body
        # Content-Length counts bytes, not characters ("café" is 4 characters, 5 bytes): encode, then count.
        if isinstance(body, str):
            body = body.encode("utf-8")
        length = len(body)
        lines = [f"HTTP/1.1 {self.status} {HTTPStatus(self.status).phrase}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        lines += [f"Content-Length: {length}", "Connection: close"]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + body if include_body else head


def inspect(request: Request) -> Response:
    return Response.json({"method": request.method, "path": request.path, "query": request.query,
                          "headers": dict(request.headers.items()),
                          # A handler asks for a header by its usual spelling, whatever case the client sent.
                          "user_agent": request.headers.get("User-Agent")})


def created(request: Request) -> Response:
    # 201 Created says "it exists now", and Location says where it lives.
    response = Response(201, "Created!\n")
    response.add_header("Location", "/inspect")
    return response


def cookies(request: Request) -> Response:
    response = Response(200, "Two cookies are on their way.\n")
    response.add_header("Set-Cookie", "a=1; Path=/")
    response.add_header("Set-Cookie", "b=2; Path=/")
    return response


def static(request: Request, root) -> Response:
    """Everything else is a file from static/, or the site's 404 page."""
    if request.method not in ("GET", "HEAD"):
        response = Response(405, "A file can only be read.\n")
        response.add_header("Allow", "GET, HEAD")
        return response
    file = static_files.resolve(request.path, root)
    if file is None:
        return Response(404, static_site.not_found(root).body, "text/html; charset=utf-8")
    return Response(200, file.read_bytes(), mime.content_type(file))


ROUTES = {"/inspect": inspect, "/created": created, "/cookies": cookies}


async def serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, args) -> None:
    # The whole request must arrive by the deadline: a timer for this connection cuts it then.
    deadline = asyncio.get_running_loop().call_later(args.timeout, writer.transport.abort)
    try:
        try:
            parsed = await read_request(reader)   # the kit's parser reads the bytes, as in async_server
            if parsed is None:
                return                     # the client left, or stalled
            deadline.cancel()
            # Wrap what it found in this file's own Request: the headers as they were sent, in order.
            request = Request(parsed.method, parsed.path, parsed.query, Headers(parsed.header_list), parsed.body)
            handler = ROUTES.get(request.path)
            response = handler(request) if handler else static(request, args.static)
            reply = response.encode(include_body=request.method != "HEAD")   # HEAD: the headers only
        except HTTPError as error:
            reply = Response(error.status, f"{error.message}\n").encode()
        except ConnectionError:
            return                         # the client left: nobody to answer
        try:
            writer.write(reply)
            await writer.drain()
        except ConnectionError:
            pass
    finally:
        deadline.cancel()
        writer.close()


async def serve(args) -> None:
    server = await asyncio.start_server(lambda reader, writer: serve_client(reader, writer, args),
                                        cli.HOST, args.port)
    async with server:
        cli.announce("request_response", args)
        await server.serve_forever()


if __name__ == "__main__":
    cli.run("request_response", lambda args: asyncio.run(serve(args)), cli.parse_args(__doc__.splitlines()[0]))
