"""Challenge: go_async, the talk's part 2: the same file server, with asyncio.

The blocking file server serves one client at a time. GET /slow stands for a slow database call: it takes
a second, and while it waits nobody else is served. A client that sends half a request and stalls holds
everyone up until TIMEOUT. See it: run the server, then run these two in two terminals at the same time:

    curl http://127.0.0.1:8002/slow          curl -i http://127.0.0.1:8002/

Rewrite the I/O with asyncio, and only the I/O: the protocol (response, find_file, answer) stays as it is.
- asyncio.start_server(handler, HOST, port) does socket(), bind(), listen() and accept() for you, and runs
  `async def handler(reader, writer)` for each client, each in its own task;
- `await reader.read(4096)` instead of conn.recv(4096): while one client is silent, the others are served;
- writer.write(data) then `await writer.drain()` instead of conn.sendall(data), writer.close() to hang up;
- `await asyncio.sleep(1)` instead of time.sleep(1), which would stop every client at once;
- asyncio.wait_for(read_head(reader), TIMEOUT) gives a silent client a deadline, as settimeout() did.
A function that awaits is an `async def`, and whoever calls it awaits it. asyncio.run(main()) starts it all.

Run it:    python exercises/foundations/go_async/server.py --port 8002
Try it:    the two curl commands above: now / answers at once
Check it:  python -m pytest graders/foundations/test_go_async.py
"""
import argparse
import os
import socket  # TODO: import asyncio instead of socket and time
import time
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
    parser = argparse.ArgumentParser(description="go_async: the site in static/, and GET /slow")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8002)),
                        help="port to listen on (default 8002, or $PORT)")
    parser.add_argument("--static", type=Path, default=STATIC, help="folder to serve (default: static/)")
    return parser.parse_args()


def read_head(conn: socket.socket) -> bytes:    # TODO: async def read_head(reader)
    """Read until the blank line that ends the request's head, or b"" if the client left first.

    TCP is a stream, not a series of messages: the head may come in one piece or in ten."""
    head = b""
    while b"\r\n\r\n" not in head and len(head) <= MAX_HEAD:
        chunk = conn.recv(4096)                         # TODO: await reader.read(4096)
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


def answer(head: bytes, static: Path) -> bytes:     # TODO: async def, since it awaits the sleep
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
    if path == "/slow":                                 # stands for a slow database call
        time.sleep(1)                                   # TODO: await asyncio.sleep(1): the others go on
        return response("200 OK", "text/plain; charset=utf-8", b"Slow, but done.\n", method)
    file = find_file(path, static)
    if file is None:
        return error_page("404 Not Found", method)
    content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
    return response("200 OK", content_type, file.read_bytes(), method)   # bytes: a PNG is not text


def serve_client(conn: socket.socket, static: Path) -> None:   # TODO: async def serve_client(reader, writer, static)
    """One client: read its request, send the answer, hang up."""
    conn.settimeout(TIMEOUT)                            # TODO: asyncio.wait_for(read_head(reader), TIMEOUT)
    try:
        head = read_head(conn)                          # a silent client must not hold the server forever
        if head:                                        # b"": the client left without a word
            conn.sendall(answer(head, static))          # TODO: writer.write(...), then await writer.drain()
    except OSError:                                     # timed out, or reset by the client: its problem
        pass
    finally:
        conn.close()                                    # TODO: writer.close()


def main() -> None:     # TODO: async def main(): asyncio.start_server(...) replaces steps 1 to 4
    args = parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)               # 1. socket()
    if os.name != "nt":     # take the port at once after a restart (on Windows it means something else)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, args.port))                                            # 2. bind()
    listener.listen()                                                           # 3. listen()
    listener.settimeout(0.5)                # wake up twice a second, so Ctrl+C works on Windows too
    print(f"Listening on http://{HOST}:{args.port}/  (Ctrl+C to stop)", flush=True)
    while True:             # TODO: then "async with server: await server.serve_forever()" replaces the loop
        try:
            conn, _address = listener.accept()                                  # 4. accept()
        except TimeoutError:
            continue
        serve_client(conn, args.static)                                         # 5. recv, sendall, close


if __name__ == "__main__":
    try:
        main()                                          # TODO: asyncio.run(main())
    except KeyboardInterrupt:
        print("\nBye!")
