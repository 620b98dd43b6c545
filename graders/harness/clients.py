"""Independent clients: `requests` for ordinary checks, raw sockets + h11 for byte-level ones.

Graders never trust the kit's own HTTP code. Every socket operation has its own timeout, and every connection
problem becomes a GraderFailure in plain words.
"""
from __future__ import annotations

import collections
import http.client
import re
import socket
import sys
import time

import h11
import requests
import urllib3

from .commands import curl_name, quote
from .exchange import Exchange, Headers
from .messages import GraderFailure, indent, visible

REQUEST_LINE = re.compile(rb"(?m)^([A-Z]+) (\S+) HTTP/\d\.\d\r?$")


def fetch(server, method, path, *, headers=None, data=None, json=None, timeout=5.0) -> Exchange:
    """One request with `requests` (redirects not followed). The body is kept as sent, like `curl -i`."""
    session = requests.Session()
    session.trust_env = False  # an HTTP_PROXY setting must not stand between the grader and 127.0.0.1
    session.headers = {"User-Agent": "web-servers-from-scratch-grader", "Accept": "*/*"}
    request = requests.Request(method, server.url + path, headers=headers, data=data, json=json)
    prepared = session.prepare_request(request)
    exchange = Exchange(method, path, curl_line(prepared, base=(server.url, getattr(server, "shown_url", server.url))),
                        start_first=getattr(server, "try_it_command", str)())
    started = time.perf_counter()
    try:
        with session:
            response = session.send(prepared, timeout=timeout, allow_redirects=False, stream=True)
            exchange.status, exchange.reason = response.status_code, response.reason or ""
            raw_headers = response.raw.headers
            exchange.headers = Headers((name, value) for name in raw_headers for value in raw_headers.getlist(name))
            version = "HTTP/1.0" if response.raw.version == 10 else "HTTP/1.1"
            head = f"{version} {exchange.status} {exchange.reason}\r\n"  # rebuilt: requests keeps no raw bytes
            head += "".join(f"{name}: {value}\r\n" for name, value in exchange.headers.items()) + "\r\n"
            exchange.raw_head = head.encode("latin-1", "replace")
            try:
                exchange.body = response.raw.read(decode_content=False)
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise no_answer(server, exchange, f"the body did not arrive completely ({error}). Content-Length "
                                "must count the body's bytes exactly, or the server must close the connection "
                                "after the body", exchange.raw_head) from None
            exchange.elapsed = time.perf_counter() - started
    except requests.exceptions.ConnectTimeout:
        raise no_answer(server, exchange, f"could not connect within {timeout:g} s") from None
    except requests.exceptions.ReadTimeout:
        raise no_answer(server, exchange, f"no answer within {timeout:g} s: your server accepted the connection "
                        "but sent nothing back") from None
    except requests.exceptions.RequestException as error:
        raise no_answer(server, exchange, connection_problem(error, server)) from None
    return exchange


def curl_line(prepared, platform: str = sys.platform, base: tuple[str, str] | None = None) -> str:
    """The same request as a curl command the learner can paste into their terminal (cmd and PowerShell too).
    `base` is (the URL the grader used, the URL to show instead): the Try-it port, not a port gone by now."""
    words = ["-I"] if prepared.method == "HEAD" else ["-i"]
    if prepared.method not in ("GET", "HEAD"):
        words += ["-X", prepared.method]
    url = prepared.url
    if base and url.startswith(base[0]):
        url = base[1] + url[len(base[0]):]
    words.append(url)
    for name, value in prepared.headers.items():
        if name.lower() not in ("user-agent", "accept", "content-length", "accept-encoding", "connection"):
            words += ["-H", f"{name}: {value}"]
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    if body:
        printable = len(body) <= 400 and body.decode("utf-8", "replace").isprintable()
        words += ["--data-binary", body.decode() if printable else f"<{len(body)} bytes>"]
    return " ".join([curl_name(platform)] + [quote(word, platform) for word in words])


def connection_problem(error: BaseException, server) -> str:
    """Name the first recognisable cause in an exception chain, in words a beginner understands."""
    causes, stack = [], [error]
    while stack:
        item = stack.pop()
        if isinstance(item, BaseException) and item not in causes:
            causes.append(item)
            stack += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused: nothing is listening on port {server.port}"
        if isinstance(cause, http.client.RemoteDisconnected):
            return "the server closed the connection without answering"
        if isinstance(cause, ConnectionResetError):
            return "the server reset the connection (it closed it abruptly, or crashed) instead of answering"
        if isinstance(cause, http.client.BadStatusLine):
            start = str(cause.args[0] if cause.args else "")[:80]
            return f"the answer does not start with a status line such as HTTP/1.1 200 OK; it started {start!r}"
    return f"the connection failed: {error}"


def no_answer(server, exchange: Exchange, problem: str, received: bytes = b"") -> GraderFailure:
    if hasattr(server, "wait_for_exit"):
        server.wait_for_exit(0.5)  # a crash closes the socket a moment before the process is gone
    message = f"{exchange.request_line}: {problem}.\n\nWe sent:\n{indent(exchange.sent)}"
    if received:
        message += f"\n\nYour server sent back only:\n{indent(visible(received))}"
    return GraderFailure(message)


def send_raw(server, data: bytes | list[bytes], *, pause: float = 0.0, timeout: float = 5.0) -> Exchange:
    """Send exact bytes (a list is written chunk by chunk, `pause` seconds apart) and read ONE response."""
    chunks = [data] if isinstance(data, bytes) else list(data)
    connection = open_raw(server, timeout)
    try:
        connection.note_requests(b"".join(chunks))
        for number, chunk in enumerate(chunks):
            if number:
                time.sleep(pause)
                on_new_line = "" if connection.sent[-1].endswith("\n") else "\n"
                connection.sent.append(f"{on_new_line}-- pause {pause:g} s --\n")
            try:
                connection.send(chunk, note=False)
            except GraderFailure:
                break  # the server may answer early (a 400, say) and close; read what it said
        return connection.read_response()
    finally:
        connection.close()


def head_of(answer: bytes) -> bytes:
    """The status line and headers of a raw answer, up to its blank line: CRLF CRLF, or LF LF from a server
    that ends its lines with a bare \\n (h11 reads those too), whichever comes first."""
    ends = [(at, len(mark)) for mark in (b"\r\n\r\n", b"\n\n") if (at := answer.find(mark)) >= 0]
    if not ends:
        return answer
    at, length = min(ends)
    return answer[: at + length]


def open_raw(server, timeout: float = 5.0) -> RawConnection:
    try:
        sock = socket.create_connection((server.host, server.port), timeout=timeout)
    except OSError as error:
        attempt = Exchange("Connecting to", f"{server.host}:{server.port}", "(nothing: connecting failed)")
        raise no_answer(server, attempt, connection_problem(error, server)) from None
    return RawConnection(server, sock, timeout)


class RawConnection:
    """A socket to the server for keep-alive, pipelining and WebSocket frames. Responses are parsed by h11."""

    def __init__(self, server, sock: socket.socket, timeout: float):
        self.server, self.sock, self.timeout = server, sock, timeout
        self.sock.settimeout(timeout)  # applies to each send and recv on its own
        self.buffer = b""  # received bytes not yet consumed by a response
        self.sent: list[str] = []  # readable record of what was sent since the last response
        self.pending = collections.deque()  # (method, target) of requests sent and not yet answered
        self.upgrade = False

    def note_requests(self, data: bytes) -> None:
        for method, target in REQUEST_LINE.findall(data):
            self.pending.append((method.decode(), target.decode("latin-1")))
        self.upgrade = self.upgrade or b"upgrade:" in data.lower()

    def send(self, data: bytes, note: bool = True) -> None:
        if note:
            self.note_requests(data)
        self.sent.append(visible(data, 2000))
        try:
            self.sock.sendall(data)
        except OSError as error:
            raise self.failure(f"sending failed: {connection_problem(error, self.server)}") from None

    def _recv(self) -> tuple[bytes, str]:
        """(some bytes, ""), (b"", "") once the server closed the connection, or (b"", what went wrong)."""
        try:
            return self.sock.recv(65536), ""
        except TimeoutError:
            return b"", f"nothing came within {self.timeout:g} s"
        except OSError as error:
            return b"", connection_problem(error, self.server)

    def read_response(self) -> Exchange:
        """Read exactly one response; bytes after it stay buffered for the next one."""
        method, target = self.pending.popleft() if self.pending else ("GET", "/")
        exchange = Exchange(method, target, "".join(self.sent) or "(nothing more)")
        started = time.perf_counter()
        parser = h11.Connection(our_role=h11.CLIENT)
        upgrade = [("Connection", "Upgrade"), ("Upgrade", "websocket")] if self.upgrade else []
        parser.send(h11.Request(method=method, target="/", headers=[("Host", "grader")] + upgrade))  # h11 must know
        parser.send(h11.EndOfMessage())  # which request it answers: after HEAD there is no body
        received, body = self.buffer, b""
        if received:  # (an empty receive_data would mean "the stream ended")
            parser.receive_data(received)
        try:
            while True:
                event = parser.next_event()
                if event is h11.NEED_DATA:
                    chunk, problem = self._recv()
                    if problem:  # silence, or a reset
                        if received:
                            problem = f"the answer stopped part-way: {problem}"
                        elif problem.startswith("nothing came"):
                            problem = (f"no answer within {self.timeout:g} s: your server accepted the connection "
                                       "but sent nothing back")
                        raise self.failure(problem, exchange, received)
                    if not chunk and not received:
                        raise self.failure("the server closed the connection without answering", exchange)
                    received += chunk
                    parser.receive_data(chunk)  # b"" tells h11 the stream ended: it decides if that was complete
                elif isinstance(event, (h11.Response, h11.InformationalResponse)):
                    if event.status_code >= 200 or event.status_code == 101:
                        exchange.status, exchange.reason = event.status_code, event.reason.decode("latin-1")
                        exchange.headers = Headers((k.decode("latin-1"), v.decode("latin-1"))
                                                   for k, v in event.headers)
                    if event.status_code == 101:
                        break  # what follows is WebSocket frames, not HTTP
                elif isinstance(event, h11.Data):
                    body += event.data
                else:  # EndOfMessage, or the connection was switched or closed
                    break
        except h11.RemoteProtocolError as error:
            problem = f"your server's answer is not valid HTTP/1.1 ({error})"
            if not received.startswith(b"HTTP/"):
                problem = "the answer does not start with a status line such as HTTP/1.1 200 OK"
            raise self.failure(problem, exchange, received) from None
        self.buffer = parser.trailing_data[0]
        answer = received[: len(received) - len(self.buffer)]
        exchange.raw_head = head_of(answer)
        exchange.body, exchange.elapsed, self.sent = body, time.perf_counter() - started, []
        return exchange

    def read_exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk, problem = self._recv()
            if problem or not chunk:
                problem = problem or "the server closed the connection"
                raise self.failure(f"only {len(self.buffer)} of the {n} bytes expected arrived: {problem}")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def is_closed(self, within: float = 1.0) -> bool:
        """True if the server closes the connection within `within` seconds (data that arrives is kept)."""
        return self.wait_for_hang_up(within) != "open"

    def wait_for_hang_up(self, within: float) -> str:
        """'closed' (a FIN), 'reset' (an RST) or 'open' after `within` seconds. Bytes that arrive stay in .buffer."""
        deadline = time.monotonic() + within
        try:
            while (left := deadline - time.monotonic()) > 0:
                self.sock.settimeout(left)
                chunk = self.sock.recv(65536)
                if not chunk:
                    return "closed"
                self.buffer += chunk
            return "open"
        except TimeoutError:
            return "open"
        except OSError:
            return "reset"
        finally:
            self.sock.settimeout(self.timeout)

    def failure(self, problem: str, exchange: Exchange | None = None, received: bytes = b"") -> GraderFailure:
        exchange = exchange or Exchange(*(self.pending[0] if self.pending else ("(raw)", "connection")),
                                        "".join(self.sent) or "(nothing yet)")
        return no_answer(self.server, exchange, problem, received)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
