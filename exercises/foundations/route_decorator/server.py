"""Challenge: route_decorator, the talk's part 3: pages made by functions, with @route.

So far every page was a file in static/. A framework adds pages that a function makes for each request:

    @route("/hello")
    def hello() -> str:
        return "<h1>Hello from a route</h1>"

route("/hello") returns the decorator, and Python calls that with the function hello: make it store the
function in ROUTES under its path, and give it back unchanged. Then answer() tries a route first (calling its
handler now, for this request), then a file from static/, then 404: /about is the route's page, not
static/about.html. The I/O is go_async's, unchanged.

Run it:    python exercises/foundations/route_decorator/server.py --port 8002
Try it:    curl -i http://127.0.0.1:8002/time      (twice: the time is new each time)
Check it:  python -m pytest graders/foundations/test_route_decorator.py
"""
import argparse
import asyncio
import os
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

HOST = "127.0.0.1"      # loopback only: a teaching server should not be reachable from the café's Wi-Fi
STATIC = Path(__file__).resolve().parents[3] / "static"     # the kit's site: exercises/../static
MAX_HEAD = 16 * 1024    # a browser's head is under 2 KB: stop reading well before memory runs out
TIMEOUT = float(os.environ.get("CLIENT_TIMEOUT", "10"))   # seconds a silent client may hold us (graders: 1)
HTML = "text/html; charset=utf-8"
CONTENT_TYPES = {       # a browser trusts this header, not the file name
    ".html": HTML,
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".svg": "image/svg+xml",
}                       # any other file: application/octet-stream, "some bytes"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="route_decorator: @route pages, then static/, then 404")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8002)),
                        help="port to listen on (default 8002, or $PORT)")
    parser.add_argument("--static", type=Path, default=STATIC, help="folder to serve (default: static/)")
    return parser.parse_args()


async def read_head(reader: asyncio.StreamReader) -> bytes:
    """Read until the blank line that ends the request's head, or b"" if the client left first.

    TCP is a stream, not a series of messages: the head may come in one piece or in ten."""
    head = b""
    while b"\r\n\r\n" not in head and len(head) <= MAX_HEAD:
        chunk = await reader.read(4096)                 # while we wait, the other clients are served
        if not chunk:
            return b""                                  # the client hung up before finishing
        head += chunk
    return head


def response(status: str, content_type: str, body: bytes, method: str = "GET") -> bytes:
    """HTTP is just text over a socket: a status line, headers, a blank line, then the body."""
    head = (f"HTTP/1.1 {status}\r\n"                    # every line ends with \r\n
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"          # bytes, not characters: "✨" is three bytes
            "Connection: close\r\n"                     # we hang up after the answer
            "\r\n")                                     # the blank line: the head is over
    return head.encode("latin-1") + (b"" if method == "HEAD" else body)   # HEAD: the head alone


def error_page(status: str, method: str = "GET") -> bytes:
    body = f"<!doctype html>\n<title>{status}</title>\n<h1>{status}</h1>\n".encode()
    return response(status, HTML, body, method)


def find_file(path: str, static: Path) -> Path | None:
    """The file under static/ that a URL path names, or None. Decode first: %2e%2e is ".." in disguise."""
    parts = [part for part in unquote(path).split("/") if part]
    if any(part in (".", "..") or "\\" in part or ":" in part or "\0" in part for part in parts):
        return None                                     # climbing out (or a Windows drive, or a NUL)
    file = static.joinpath(*parts) if parts else static / "index.html"
    try:
        if not file.suffix and not file.is_file():
            file = file.with_name(file.name + ".html")  # /about is about.html
        file = file.resolve(strict=True)                # follows symlinks, which could still lead out
        if file.is_relative_to(static.resolve()) and file.is_file():
            return file
    except OSError:                                     # a name too long for the disk, say: not found
        pass
    return None


ROUTES = {}     # path -> the function that makes its page, filled in by @route


def route(path: str):
    """@route("/hello") above a function makes it the page for /hello."""
    def register(handler):
        # TODO: remember handler in ROUTES under path: the function itself, to be called for each request.
        return handler
    return register


@route("/hello")
def hello() -> str:
    return "<!doctype html>\n<title>Hello</title>\n<h1>Hello from a route 👋</h1>\n"


@route("/about")
def about() -> str:                                     # static/about.html exists too: the route wins
    return ("<!doctype html>\n<title>About</title>\n<h1>About, from a route</h1>\n"
            "<p>No file was read for this page: a function wrote it — just now.</p>\n")


@route("/time")
def time_now() -> str:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")    # 2026-11-21T15:09:00+00:00
    return f"<!doctype html>\n<title>Time</title>\n<h1>It is {now}</h1>\n"


async def answer(head: bytes, static: Path) -> bytes:
    """The protocol: read the request line, find the file, build the answer. No socket in sight."""
    if b"\r\n\r\n" not in head:
        return error_page("431 Request Header Fields Too Large")
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")       # "GET /about HTTP/1.1"
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[1].startswith("/") or not parts[2].startswith("HTTP/1."):
        return error_page("400 Bad Request")
    method, target, _version = parts
    if method not in ("GET", "HEAD"):
        return error_page("501 Not Implemented")
    path = target.split("?", 1)[0]                      # /about?ref=home is still about.html
    # TODO: routes first: if ROUTES has the path, call its handler now and answer "200 OK" with the HTML
    #       page it returns, encoded to bytes. Then, as before, static files, then 404.
    file = find_file(path, static)
    if file is None:
        return error_page("404 Not Found", method)
    content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
    return response("200 OK", content_type, file.read_bytes(), method)   # bytes: a PNG is not text


async def serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, static: Path) -> None:
    """One client: read its request, send the answer, hang up."""
    try:
        head = await asyncio.wait_for(read_head(reader), TIMEOUT)   # a silent client has a deadline too
        if head:                                        # b"": the client left without a word
            writer.write(await answer(head, static))
            await writer.drain()                        # wait until the bytes are on their way
    except (OSError, asyncio.TimeoutError):             # timed out, or reset by the client: its problem
        pass
    finally:
        writer.close()


async def main() -> None:
    args = parse_args()
    server = await asyncio.start_server(                # socket(), bind(), listen(), and accept() for us
        lambda reader, writer: serve_client(reader, writer, args.static), HOST, args.port)
    print(f"Listening on http://{HOST}:{args.port}/  (Ctrl+C to stop)", flush=True)
    async with server:
        await server.serve_forever()                    # each client runs as its own task


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print("\nBye!")
