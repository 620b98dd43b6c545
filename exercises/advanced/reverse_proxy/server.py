"""reverse_proxy: forward /api/ to another server, and serve the rest yourself.

nginx and Caddy sit in front of app servers like this: the browser talks to the proxy only, the proxy
serves the static files itself and passes every /api/ request on to the app server behind it (the
"upstream"), then brings the upstream's answer back. To the browser, it is all one site.

A proxy is a server and a client at once, and the HTTP it speaks on each side is its own:
- headers that describe one connection (Connection, Keep-Alive, Transfer-Encoding...) are "hop-by-hop":
  they stop at the proxy, both ways, and so does every header that Connection names;
- the upstream sees only the proxy's address, so the proxy says who really asked: X-Forwarded-For
  (appended to the chain of proxies already there), X-Forwarded-Proto and X-Forwarded-Host;
- the upstream's answer comes back unchanged: its status (404 and 500 too), its headers, its bytes;
- an upstream that is down gives 502 Bad Gateway, and one that is too slow 504 Gateway Timeout.

The code around your TODOs makes it a safe proxy (read it too): the path is checked and forwarded in one
normal form, so /api/../secret cannot slip past the /api/ check; an upstream's head that could smuggle a
header past the proxy (a bare CR, a folded line, Content-Length with chunked) gives 502; the head must come
within --upstream-timeout as a whole, not per read; and the body is relayed piece by piece, never all in
memory, so a 10 GB answer costs the proxy a few kilobytes.

Run it:    python -m reference.wsgi_server --port 8000 --app graders.advanced.wsgi_probe_app:app &
           (an upstream that answers with the request it got; any server will do)
           python exercises/advanced/reverse_proxy/server.py --port 8002 --upstream http://127.0.0.1:8000
Try it:    curl -i "http://127.0.0.1:8002/api/hello?x=1" -H "X-Forwarded-For: 203.0.113.7"
           curl -i http://127.0.0.1:8002/about                  (from static/, not the upstream)
Check it:  python -m pytest graders/advanced/test_reverse_proxy.py
"""
import http.client
import re
import socket
import threading
import time
from urllib.parse import urlsplit

from reference import cli
from reference.blocking_server import connections, read_request
from reference.core import static_site
from reference.core.request_parser import HTTPError, origin_form
from reference.core.response import Response, error_page, error_reply, reason, reply_to

# Headers about one connection, not about the message: a proxy never passes them on (RFC 9110, 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
              "trailer", "transfer-encoding", "upgrade"}
FORWARDED = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}   # the proxy writes these itself
PIECE = 64 * 1024     # the body is relayed this much at a time


def end_to_end(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers without the hop-by-hop ones: the fixed list, and every header Connection names."""
    # TODO: leave out every header in HOP_BY_HOP, and every header that Connection names:
    #       "Connection: close, X-Secret" says that X-Secret, too, was meant for this connection only.
    return headers


def upstream_headers(request, client_ip: str) -> list[tuple[str, str]]:
    """The request's headers as the upstream should see them."""
    headers = [(name, value) for name, value in end_to_end(request.header_list) if name.lower() not in FORWARDED]
    # TODO: the upstream sees only the proxy's address: say who really asked. X-Forwarded-For is a chain,
    #       one address per proxy on the way: append client_ip to the one the request already carries
    #       ("203.0.113.7, 127.0.0.1"), or send client_ip alone. Add X-Forwarded-Proto: http, and
    #       X-Forwarded-Host: the Host header the client sent.
    return headers


def forward(request, target: str, args, client_ip: str) -> Response:
    """Send the request on to the upstream, and bring its answer back unchanged."""
    upstream = urlsplit(args.upstream)  # noqa: F841 - your TODO uses it; http://127.0.0.1:8000 -> hostname, port
    headers = upstream_headers(request, client_ip)  # noqa: F841 - your TODO uses it
    # TODO: send the request on with UpstreamConnection(upstream.hostname, upstream.port,
    #       timeout=args.upstream_timeout), which is http.client's HTTPConnection made safe (see below):
    #       putrequest(request.method, target, skip_host=True, skip_accept_encoding=True) (`target` is the
    #       checked one; the client's Host is among `headers`), putheader() for each of `headers`, then
    #       endheaders(request.body).
    #       Not urllib.request: it raises on 404 and 500, and those answers must come back unchanged too.
    # TODO: read the answer, getresponse(), and return Response(reply.status, its headers through
    #       end_to_end(), relay(reply, connection)): relay() hands the body on as it arrives, bytes as they
    #       are, and closes the connection once it is all there.
    # TODO: an upstream that refuses the connection, or sends a broken answer (http.client.HTTPException),
    #       gives 502 Bad Gateway; one slower than the timeout (TimeoutError, an OSError too: catch it
    #       first) 504 Gateway Timeout; error_page() makes both. Close the connection in both cases.
    return error_page(502, f"the proxy does not forward to {args.upstream} yet")


# --- what makes it a safe proxy: given, read it ------------------------------------------------------------

def relay(reply: http.client.HTTPResponse, connection: http.client.HTTPConnection):
    """The upstream's body, piece by piece as it arrives; the connection is closed when it ends (or is dropped)."""
    try:
        while piece := reply.read1(PIECE):
            yield piece
    finally:
        connection.close()


class HeadRecorder:
    """The upstream socket's file, keeping the raw lines of the head as http.client reads them."""

    def __init__(self, fp):
        self.fp, self.head, self.recording = fp, b"", True

    def readline(self, limit: int = -1) -> bytes:
        line = self.fp.readline(limit)
        if self.recording:                     # (a 100 Continue's head, if any, then the answer's own)
            self.head += line
        return line

    def __getattr__(self, name):
        return getattr(self.fp, name)          # read(), read1(), close()... as they are


UNSAFE_HEAD = [
    (re.compile(rb"\r(?!\n)|\x00"), "a bare CR or a NUL in its head (a CR alone ends a header for some readers "
                                    "and not for others: the rest would reach the client as a header of its own)"),
    (re.compile(rb"\n[ \t]"), "a folded header line (obsolete, RFC 9112 5.2)"),
]


class CheckedResponse(http.client.HTTPResponse):
    """http.client's response, refusing a head that could smuggle something past the proxy."""

    def __init__(self, sock, *args, **kwargs):
        super().__init__(sock, *args, **kwargs)
        self.fp = HeadRecorder(self.fp)

    def begin(self) -> None:
        super().begin()
        self.fp.recording = False
        head = self.fp.head.split(b"\n", 1)[-1]          # the header lines, after the status line
        for pattern, problem in UNSAFE_HEAD:
            if pattern.search(head):
                raise http.client.HTTPException(f"the upstream sent {problem}")
        names = {name.lower() for name in self.headers.keys()}
        if {"content-length", "transfer-encoding"} <= names:
            raise http.client.HTTPException("the upstream sent both Content-Length and Transfer-Encoding: which "
                                            "one ends its body? (RFC 9112 6.3: a proxy must not pass that on)")


class UpstreamConnection(http.client.HTTPConnection):
    """http.client's connection, with CheckedResponse, and one deadline for the whole head of the answer.

    A socket timeout bounds each read alone: an upstream that sends a byte a second never lets one expire.
    So a timer cuts the connection when the head has not come by the deadline, and that counts as a timeout."""

    response_class = CheckedResponse

    def getresponse(self) -> http.client.HTTPResponse:
        expired = threading.Event()

        def cut() -> None:
            expired.set()
            try:
                self.sock.shutdown(socket.SHUT_RDWR)   # the read in progress ends at once
            except (OSError, AttributeError):
                pass
        timer = threading.Timer(self.timeout, cut)
        timer.start()
        try:
            reply = super().getresponse()
        except (OSError, http.client.HTTPException):
            if expired.is_set():
                raise TimeoutError(f"no complete head within {self.timeout:g} s") from None
            raise
        finally:
            timer.cancel()
        if expired.is_set():                           # cut just as the head came: the body is lost too
            raise TimeoutError(f"no complete head within {self.timeout:g} s")
        return reply


def checked_target(target: str) -> str:
    """The target in origin form, its dot-segments removed (RFC 3986 5.2.4): "/api/../secret" is "/secret".
    The /api/ check is made on this, and this is what is forwarded, so the two can never disagree."""
    path, mark, query = origin_form(target).partition("?")   # "http://host/a?b" (absolute form) -> "/a?b"
    if not path.startswith("/"):
        return target                                          # "*" (OPTIONS): nothing to normalise
    if re.search(r"%2f|%5c|\\", path, re.IGNORECASE):
        raise HTTPError(400, "an encoded slash or a backslash in the path")   # servers disagree on those
    segments = []
    parts = re.sub(r"%2e", ".", path, flags=re.IGNORECASE).split("/")[1:]   # %2e is a dot, decoded or not
    for part in parts:
        if part == "..":
            segments = segments[:-1]
        elif part != ".":
            segments.append(part)
    if parts[-1] in (".", ".."):
        segments.append("")                                    # "/a/b/.." is "/a/", a folder
    return "/" + "/".join(segments) + mark + query


def answer(request, args, client_ip: str) -> Response:
    """/api/ goes upstream, everything else is the static site."""
    target = checked_target(request.target)
    if target.startswith("/api/"):
        return forward(request, target, args, client_ip)
    return static_site.respond(request, args.static)


def send_answer(conn: socket.socket, request, response: Response) -> None:
    """A Response from static/, at once; one from the upstream, its body as it comes."""
    if isinstance(response.body, bytes):
        conn.sendall(reply_to(request, response))
        return
    no_body = request.method == "HEAD" or response.status in (204, 304) or response.status < 200
    length_known = any(name.lower() == "content-length" for name, _ in response.headers)
    # No length (the upstream sent chunks): chunks again for an HTTP/1.1 client; the close ends it for 1.0.
    chunked = not (no_body or length_known) and request.version == "HTTP/1.1"
    lines = [f"HTTP/1.1 {response.status} {reason(response.status)}"]
    lines += [f"{name}: {value}" for name, value in response.headers]
    lines += ["Transfer-Encoding: chunked"] if chunked else []
    conn.sendall(("\r\n".join(lines + ["Connection: close"]) + "\r\n\r\n").encode("latin-1"))
    for piece in response.body if not no_body else ():
        conn.sendall(b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece)
    if chunked:
        conn.sendall(b"0\r\n\r\n")


def serve_client(conn: socket.socket, args, client_ip: str) -> None:
    """Read one request and send one answer; the upstream's connection is closed whatever happens."""
    deadline = time.monotonic() + args.timeout
    response = None
    with conn:
        try:
            request = read_request(conn, deadline)
            if request is None:
                return                         # the client hung up before finishing its request
            response = answer(request, args, client_ip)
            send_answer(conn, request, response)
        except HTTPError as error:
            try:
                conn.sendall(error_reply(error))
            except OSError:
                pass                           # the client left before reading its answer
        except (OSError, http.client.HTTPException):
            return                             # the client left, or the upstream broke mid-body: cut short
        finally:
            if response is not None and hasattr(response.body, "close"):
                response.body.close()          # relay() closes the upstream connection


def main(args) -> None:
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce("reverse_proxy", args)
        print(f"  forwarding /api/ to {args.upstream}", flush=True)
        for conn, (client_ip, _port) in connections(listener):
            # A thread per client: while one waits on a slow upstream, the others are served.
            threading.Thread(target=serve_client, args=(conn, args, client_ip), daemon=True).start()


if __name__ == "__main__":
    cli.run("reverse_proxy", main, cli.parse_args(
        __doc__.splitlines()[0],
        upstream={"default": "http://127.0.0.1:8000", "help": "where /api/ goes (default http://127.0.0.1:8000)"},
        **{"upstream-timeout": {"type": float, "default": 5.0, "dest": "upstream_timeout",
                                "help": "seconds to wait for the upstream's head before answering 504 (default 5)"}}))
