"""The standard library's http.server, as a baseline to compare our servers with.

`python -m http.server` is what Python ships. It is lenient where our parser is strict: it serves
"GET /" without a version as HTTP/0.9, folds continued header lines, takes "HTTP/01.1", two Host headers
and a NUL in a header. So this subclass keeps a copy of the raw head as http.server reads it, and runs the
kit's own parse_head() on it: the same rules as every other server here. It serves the site like they do.
"""
import http.server
import socket
import sys
import threading
import time
from pathlib import Path

from reference import cli
from reference.blocking_server import drain
from reference.core import mime, static_files, static_site
from reference.core.request_parser import MAX_BLANK_LINES, HTTPError, content_length, parse_head, split_head
from reference.core.response import Response, not_allowed


class RecordingReader:
    """The connection's reader, keeping a copy of every line read: the raw head, for parse_head()."""

    def __init__(self, rfile):
        self.rfile, self.lines = rfile, []

    def readline(self, limit: int = -1) -> bytes:
        line = self.rfile.readline(limit)
        self.lines.append(line)
        return line

    def __getattr__(self, name):
        return getattr(self.rfile, name)   # read(), close()...: as they are


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    args = None   # set by main()
    default_request_version = "HTTP/1.0"   # not 0.9: even an error for a bad request line gets a status line

    def setup(self) -> None:
        super().setup()
        self.rfile = RecordingReader(self.rfile)
        # http.server's timeout bounds each read, so one byte a second would hold a thread forever. Like
        # our servers, bound the whole head instead: at the deadline the socket is shut, and reading ends.
        self.deadline = threading.Timer(self.args.timeout, self.cut_off)
        self.deadline.start()

    def cut_off(self) -> None:
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass                           # already closed

    def finish(self) -> None:
        self.deadline.cancel()
        super().finish()

    def parse_request(self) -> bool:
        for _ in range(MAX_BLANK_LINES + 1):   # RFC 9112, 2.2: ignore a few empty lines before a request
            if self.raw_requestline not in (b"\r\n", b"\n"):
                break
            self.raw_requestline = self.rfile.readline(65537)
        if not super().parse_request():
            if self.raw_requestline in (b"\r\n", b"\n"):   # still empty: http.server closes without a word
                return self.refuse(HTTPError(400, f"more than {MAX_BLANK_LINES} empty lines before the request"))
            return False                   # http.server already answered 400
        self.deadline.cancel()             # the head is in: the rest is ours to take our time over
        # The kit's rules, on the very bytes that came: size, empty lines, line endings, then the head itself.
        head, self.rfile.lines = b"".join(self.rfile.lines), []
        try:
            parts = split_head(head)
            if parts is None:              # no blank line: the client left mid-head, or the deadline cut it
                self.close_connection = True
                return False               # nothing to answer, and no one to answer to
            self.request = parse_head(parts[0])
        except HTTPError as error:
            return self.refuse(error)
        return True

    def refuse(self, error: HTTPError) -> bool:
        self.close_connection = True
        self.send_error(error.status, explain=error.message)
        self.wfile.flush()
        drain(self.connection)             # refused early: read what is still coming, or closing resets
        return False

    def resolve(self) -> Path | None:
        # Our resolver instead of http.server's, so /about finds about.html like on the other servers.
        return static_files.resolve(self.request.path, self.args.static)

    def translate_path(self, path: str) -> str:
        return str(self.resolve())         # send_head() below calls us only once resolve() found a file

    def guess_type(self, path) -> str:
        return mime.content_type(path)     # the same table as our servers, not the OS registry

    def send_head(self):
        time.sleep(self.args.delay)        # a slow handler; ThreadingHTTPServer gives each client a thread
        if self.resolve() is None:
            return self.send_error(404)
        return super().send_head()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            return super().send_error(code, message, explain)
        self.send_page(static_site.not_found(self.args.static))    # the site's own 404 page

    def do_POST(self) -> None:
        self.rfile.read(content_length(self.request.headers))   # read the body before answering
        self.send_page(not_allowed("POST", self.path, static_site.ALLOWED))

    def send_page(self, page: Response) -> None:
        self.send_response(page.status)
        for name, value in page.headers + [("Content-Length", str(len(page.body)))]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page.body)


def reuse_address_is_safe(platform: str = sys.platform) -> bool:
    """SO_REUSEADDR lets a restarted server take its port back at once on POSIX. On Windows it means something
    else: a second server may bind a port already in use, and the "port in use" message would never come."""
    return platform != "win32"


class SiteServer(http.server.ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: at 100 concurrent clients most connections would be
    # refused and retried a second later. 128 is what our other servers use, so the comparison is fair.
    request_queue_size = 128
    allow_reuse_address = reuse_address_is_safe()

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return                         # a client that left before its answer: no traceback, not our bug
        super().handle_error(request, client_address)


def main(args) -> None:
    SiteHandler.args = args
    SiteHandler.timeout = args.timeout     # drop clients that stall mid-request
    with SiteServer((cli.HOST, args.port), SiteHandler) as server:
        cli.announce("httpd_server", args)
        server.serve_forever(poll_interval=0.5)


if __name__ == "__main__":
    cli.run("httpd_server", main, cli.parse_args(__doc__.splitlines()[0]))
