"""The standard library's http.server, as a baseline to compare our servers with.

`python -m http.server` is what Python ships. It is lenient where our parser is strict (it serves
"GET /" without a version as HTTP/0.9, and a header line without a colon quietly ends the headers),
so this subclass applies the same rules as request_parser, and serves the site like the others do.
"""
import http.server
import socket
import threading
import time
from pathlib import Path
from urllib.parse import unquote

from reference import cli
from reference.core import mime, static_files, static_site
from reference.core.request_parser import MAX_HEAD, HTTPError, content_length
from reference.core.response import Response, not_allowed


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    args = None   # set by main()
    default_request_version = "HTTP/1.0"   # not 0.9: even an error for a bad request line gets a status line

    def setup(self) -> None:
        super().setup()
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
        if not super().parse_request():
            return False                   # http.server already answered 400
        self.deadline.cancel()             # the head is in: the rest is ours to take our time over
        try:
            self.check_request()
        except HTTPError as error:
            self.close_connection = True
            self.send_error(error.status, explain=error.message)
            return False
        return True

    def check_request(self) -> None:
        if len(self.requestline.split()) != 3:
            raise HTTPError(400, "missing HTTP version in the request line")
        if self.headers.defects:
            raise HTTPError(400, "malformed header line")
        head_size = len(self.requestline) + sum(len(k) + len(v) + 4 for k, v in self.headers.items())
        if head_size > MAX_HEAD:
            raise HTTPError(431, "request head is too large")
        if self.request_version == "HTTP/1.1" and "Host" not in self.headers:
            raise HTTPError(400, "HTTP/1.1 requests must carry a Host header")
        if "Content-Length" in self.headers:
            content_length({"content-length": ", ".join(self.headers.get_all("Content-Length"))})

    def resolve(self) -> Path | None:
        # Our resolver instead of http.server's, so /about finds about.html like on the other servers.
        return static_files.resolve(unquote(self.path.split("?", 1)[0]), self.args.static)

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
        self.rfile.read(int(self.headers.get("Content-Length", 0)))   # read the body before answering
        self.send_page(not_allowed("POST", self.path, static_site.ALLOWED))

    def send_page(self, page: Response) -> None:
        self.send_response(page.status)
        for name, value in page.headers + [("Content-Length", str(len(page.body)))]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page.body)


class SiteServer(http.server.ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: at 100 concurrent clients most connections would be
    # refused and retried a second later. 128 is what our other servers use, so the comparison is fair.
    request_queue_size = 128


def main(args) -> None:
    SiteHandler.args = args
    SiteHandler.timeout = args.timeout     # drop clients that stall mid-request
    with SiteServer((cli.HOST, args.port), SiteHandler) as server:
        cli.announce("httpd_server", args)
        server.serve_forever(poll_interval=0.5)


if __name__ == "__main__":
    cli.run("httpd_server", main, cli.parse_args(__doc__.splitlines()[0]))
