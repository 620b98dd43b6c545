"""Challenge: serve_files, the talk's blocking file server.

hello_socket answered every request with the same page. A web server reads the path in the request line
and answers with the file it names, from the site in static/:

    GET / HTTP/1.1            ->  static/index.html
    GET /about HTTP/1.1       ->  static/about.html        (no extension: add .html)
    GET /styles.css HTTP/1.1  ->  static/styles.css        with Content-Type: text/css

Send each file's exact bytes, with the Content-Type its extension calls for (CONTENT_TYPES). Everything
else is an answer too, with its own status line: a missing file is 404 with a small HTML page, a request
line that is not "METHOD /path HTTP/1.x" is 400, a method other than GET or HEAD is 501. And no path may
climb out of static/: GET /../secret.txt, or its disguise GET /%2e%2e/secret.txt, is a 404.

Run it:    python exercises/foundations/serve_files/server.py --port 8002
Try it:    curl -i http://127.0.0.1:8002/about      (and open http://127.0.0.1:8002/ in a browser)
Check it:  python -m pytest graders/foundations/test_serve_files.py
"""
import argparse
import os
import socket
from pathlib import Path

HOST = "127.0.0.1"      # loopback only: a teaching server should not be reachable from the café's Wi-Fi
STATIC = Path(__file__).resolve().parents[3] / "static"     # the kit's site: exercises/../static
MAX_HEAD = 16 * 1024    # a browser's head is under 2 KB: stop reading well before memory runs out
TIMEOUT = float(os.environ.get("CLIENT_TIMEOUT", "10"))   # seconds a silent client may hold us (graders: 1)
PAGE = "<!doctype html>\n<title>Hello</title>\n<h1>Hello from a bare socket ✨</h1>\n"
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
    parser = argparse.ArgumentParser(description="serve_files: the site in static/, one client at a time")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8002)),
                        help="port to listen on (default 8002, or $PORT)")
    parser.add_argument("--static", type=Path, default=STATIC, help="folder to serve (default: static/)")
    return parser.parse_args()


def read_head(conn: socket.socket) -> bytes:
    """Read until the blank line that ends the request's head, or b"" if the client left first.

    TCP is a stream, not a series of messages: the head may come in one piece or in ten."""
    head = b""
    while b"\r\n\r\n" not in head and len(head) <= MAX_HEAD:
        chunk = conn.recv(4096)
        if not chunk:
            return b""                                  # the client hung up before finishing
        head += chunk
    return head


def response(status: str, content_type: str, body: bytes) -> bytes:
    """HTTP is just text over a socket: a status line, headers, a blank line, then the body."""
    head = (f"HTTP/1.1 {status}\r\n"                    # every line ends with \r\n
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"          # bytes, not characters: "✨" is three bytes
            "Connection: close\r\n"                     # we hang up after the answer
            "\r\n")                                     # the blank line: the head is over
    return head.encode("latin-1") + body


def answer(head: bytes, static: Path) -> bytes:
    """The protocol: read the request line, find the file, build the answer. No socket in sight."""
    # TODO: a head without b"\r\n\r\n" is one read_head() gave up on (over MAX_HEAD): answer
    #       "431 Request Header Fields Too Large". Then split the request line, the head's first line,
    #       "GET /about HTTP/1.1", into method, target and version. Not three parts, or a target that does
    #       not start with "/"? "400 Bad Request". A method other than GET or HEAD? "501 Not Implemented".
    #       Each with a small HTML page, and HEAD gets the same head as GET without the body.
    # TODO: find the file the path names under static/ ("/" is index.html, "/about" is about.html), safely:
    #       decode %xx first (urllib.parse.unquote), refuse ".." parts, check that the resolved file is still
    #       inside static/ (Path.is_relative_to), and catch OSError. No such file: "404 Not Found".
    # TODO: send the file's exact bytes (file.read_bytes()) with its type from CONTENT_TYPES, by its suffix.
    return response("200 OK", HTML, PAGE.encode("utf-8"))    # for now, hello_socket's page for every path


def serve_client(conn: socket.socket, static: Path) -> None:
    """One client: read its request, send the answer, hang up."""
    conn.settimeout(TIMEOUT)                            # a silent client must not hold the server forever
    try:
        head = read_head(conn)
        if head:                                        # b"": the client left without a word
            conn.sendall(answer(head, static))
    except OSError:                                     # timed out, or reset by the client: its problem
        pass
    finally:
        conn.close()


def main() -> None:
    args = parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)               # 1. socket()
    if os.name != "nt":     # take the port at once after a restart (on Windows it means something else)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, args.port))                                            # 2. bind()
    listener.listen()                                                           # 3. listen()
    listener.settimeout(0.5)                # wake up twice a second, so Ctrl+C works on Windows too
    print(f"Listening on http://{HOST}:{args.port}/  (Ctrl+C to stop)", flush=True)
    while True:                             # one client at a time; the next one waits in the queue
        try:
            conn, _address = listener.accept()                                  # 4. accept()
        except TimeoutError:
            continue
        serve_client(conn, args.static)                                         # 5. recv, sendall, close


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\nBye!")
