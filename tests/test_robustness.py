"""No input kills a server: every reference server and every solution survives a corpus of hostile requests.

Teaching code is still correct code. Each input is sent whole and byte by byte; after each one the process
must still be alive and a normal GET / must get 200 at once. Where RFC 9112 says what the answer is, every server
must give it: all of them apply the kit's core rules, http.server included (httpd_server runs parse_head on
the raw head).
"""
import os
import re
import socket
import ssl
import sys
import time

import h11
import pytest

from graders.ground import KIT_ROOT as ROOT
from graders.supervisor import ServerProcess, free_port

TIMEOUT = 1.5            # each server's --timeout: a request that never completes is dropped this fast
REFERENCE = ["blocking_server", "threaded_server", "selectors_server", "async_server", "routing_server",
             "wsgi_server", "httpd_server"]
SOLUTIONS = sorted(f"{path.parent.parent.name}/{path.parent.name}"
                   for path in (ROOT / "solutions").glob("*/*/server.py")
                   if path.parent.parent.name in ("beginner", "intermediate", "advanced"))
EXTRA_ARGS = {"wsgi_server": ["--app", "tools.demo_apps.site_app:app"]}


def head(line: str = "GET / HTTP/1.1", *headers: str, body: bytes = b"") -> bytes:
    return ("\r\n".join([line, *headers]) + "\r\n\r\n").encode("latin-1") + body


# (name, bytes, the statuses a core-based server may answer; None: any answer, or a close, but never a crash)
CORPUS = [
    ("segment over 255 bytes", head(f"GET /{'a' * 300} HTTP/1.1", "Host: x"), {404, 414}),
    ("path over 4096 bytes", head(f"GET {'/abc' * 1100} HTTP/1.1", "Host: x"), {404, 414, 431}),
    ("repeated Content-Length", head("GET / HTTP/1.1", "Host: x", "Content-Length: 5", "Content-Length: 5",
                                     body=b"hello"), None),
    ("Content-Length 5, 5", head("GET / HTTP/1.1", "Host: x", "Content-Length: 5, 5", body=b"hello"), None),
    ("two different lengths", head("GET / HTTP/1.1", "Host: x", "Content-Length: 5, 6", body=b"hello"), {400}),
    ("bare LF", b"GET / HTTP/1.1\nHost: x\n\n", {200}),
    ("two different Host headers", head("GET / HTTP/1.1", "Host: a.example", "Host: b.example"), {400}),
    ("NUL in a header value", head("GET / HTTP/1.1", "Host: x", "X-Evil: a\x00b"), {400}),
    ("bare CR in a header value", head("GET / HTTP/1.1", "Host: x", "X-Evil: a\rb"), {400}),
    ("absolute-form target", head("GET http://127.0.0.1/about HTTP/1.1", "Host: 127.0.0.1"), {200}),
    ("empty line before the request", b"\r\n" + head("GET / HTTP/1.1", "Host: x"), {200}),
    ("5,000 empty lines before the request", b"\r\n" * 5000 + head("GET / HTTP/1.1", "Host: x"), {400, 431}),
    ("CRLF and bare LF mixed", b"GET / HTTP/1.1\r\nHost: x\r\nDummy: x\nContent-Length: 23\r\n\r\n"
                               b"GET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    ("obs-fold header", head("GET / HTTP/1.1", "Host: x", "X-Folded: a", " b"), {400}),
    ("version HTTP/01.1", head("GET / HTTP/01.1", "Host: x"), {400, 505}),
    ("two spaces in the request line", head("GET  / HTTP/1.1", "Host: x"), {400}),
    ("a space in a header name", head("GET / HTTP/1.1", "Host: x", "Bad Name: x"), {400}),
    ("chunked request body", head("POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked",
                                  body=b"5\r\nhello\r\n0\r\n\r\n"), {400, 405, 411, 501}),
    ("HTTP/0.9", b"GET /\r\n\r\n", {400}),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64) + b"\r\n\r\n", {400}),
    ("a 20 KB head", head("GET / HTTP/1.1", "Host: x", "X-Big: " + "b" * 20000), {400, 431}),
    ("non-ASCII WebSocket key on /ws", head("GET /ws HTTP/1.1", "Host: x", "Upgrade: websocket",
                                            "Connection: Upgrade", "Sec-WebSocket-Key: \u00e9t\u00e9",
                                            "Sec-WebSocket-Version: 13"), None),
    ("non-ASCII WebSocket key on /chat", head("GET /chat HTTP/1.1", "Host: x", "Upgrade: websocket",
                                              "Connection: Upgrade", "Sec-WebSocket-Key: \u00e9t\u00e9",
                                              "Sec-WebSocket-Version: 13"), None),
    ("JSON 100,000 deep to /api/echo", head("POST /api/echo HTTP/1.1", "Host: x", "Content-Type: application/json",
                                            "Content-Length: 200000", body=b"[" * 100000 + b"]" * 100000), None),
    ("JSON 100,000 deep to /api/notes", head("POST /api/notes HTTP/1.1", "Host: x",
                                             "Content-Type: application/json", "Content-Length: 200000",
                                             body=b"[" * 100000 + b"]" * 100000), None),
    ("an id of 5,000 digits", head(f"GET /api/notes/{'7' * 5000} HTTP/1.1", "Host: x"), None),
]
# Inputs that mean something to one challenge only: graded there, merely survived everywhere else.
CHALLENGE_INPUTS = {"JSON 100,000 deep to /api/echo": {"intermediate/json_api": {400, 413}},
                    "JSON 100,000 deep to /api/notes": {"advanced/rest_api": {400, 413}},
                    "an id of 5,000 digits": {"advanced/rest_api": {404}},
                    "non-ASCII WebSocket key on /ws": {"advanced/websocket_echo": {400}},
                    "non-ASCII WebSocket key on /chat": {"advanced/websocket_chat": {400}}}
# Where a challenge's own app decides the answer: the asgi demo app answers every path itself.
APP_DECIDES = {"advanced/asgi": {"segment over 255 bytes", "path over 4096 bytes", "absolute-form target"}}


def wanted_statuses(name: str, target: str, statuses):
    if name in CHALLENGE_INPUTS:
        return CHALLENGE_INPUTS[name].get(target)
    if name in APP_DECIDES.get(target, ()):
        return None
    return statuses


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A throwaway CA and a certificate for 127.0.0.1, for the https solution (it speaks only TLS)."""
    trustme = pytest.importorskip("trustme")
    folder, authority = tmp_path_factory.mktemp("tls"), trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    certificate.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return folder / "server.pem", context


def answer_to(port: int, data: bytes, byte_by_byte: bool = False, tls: ssl.SSLContext | None = None) -> int | str:
    """The status of the one answer to `data`, or "closed" / "silent" when there was none."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT + 2) as plain:
        plain.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = tls.wrap_socket(plain, server_hostname="127.0.0.1") if tls else plain
        try:
            if byte_by_byte:
                for index in range(len(data)):
                    sock.sendall(data[index:index + 1])
            else:
                sock.sendall(data)
        except OSError:
            pass                                # it answered early and closed: read what it said
        client = h11.Connection(h11.CLIENT)
        client.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
        while True:
            try:
                event = client.next_event()
            except h11.RemoteProtocolError:
                return "closed" if not client.trailing_data[0] else "broken"
            if isinstance(event, (h11.Response, h11.InformationalResponse)):
                return event.status_code
            if event is not h11.NEED_DATA:
                return "closed"
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                return "silent"
            except OSError:
                return "closed"
            try:
                client.receive_data(chunk)
            except h11.RemoteProtocolError:
                return "broken"


def get_home(port: int, tls: ssl.SSLContext | None = None) -> int | str:
    return answer_to(port, head("GET / HTTP/1.1", "Host: x", "Connection: close"), tls=tls)


def command_for(target: str, port: int, tls_pem=None) -> list[str]:
    if "/" in target:
        extra = ["--cert", str(tls_pem), "--key", str(tls_pem)] if target == "advanced/https" else []
        return [sys.executable, "-u", str(ROOT / "solutions" / target / "server.py"), "--port", str(port),
                "--timeout", str(TIMEOUT), *extra]
    return [sys.executable, "-u", "-m", f"reference.{target}", "--port", str(port), "--timeout", str(TIMEOUT),
            *EXTRA_ARGS.get(target, [])]


@pytest.fixture(scope="module", params=REFERENCE + SOLUTIONS)
def server(request, tmp_path_factory, tls):
    target, port = request.param, free_port()
    log = tmp_path_factory.mktemp(target.replace("/", "-")) / "server.log"
    pem, context = tls
    process = ServerProcess(command_for(target, port, pem), log, {**os.environ, "PYTHONPATH": str(ROOT)})
    process.start()
    try:
        process.wait_until_listening(port)
        yield target, port, process, context if target == "advanced/https" else None
    finally:
        process.stop()


@pytest.mark.parametrize("byte_by_byte", [False, True], ids=["whole", "byte-by-byte"])
def test_no_input_kills_a_server(server, byte_by_byte):
    target, port, process, context = server
    problems = []
    for name, data, statuses in CORPUS:
        if byte_by_byte and len(data) > 25000:
            continue                            # 200,000 one-byte writes prove nothing more than one write
        started = time.monotonic()
        status = answer_to(port, data, byte_by_byte, context)
        wanted = wanted_statuses(name, target, statuses)
        if process.exit_code is not None:
            pytest.fail(f"{target} died on {name!r}: exit code {process.exit_code}\n{process.output()[-2000:]}")
        if wanted is not None and status not in wanted:
            problems.append(f"{name}: answered {status}, wanted one of {sorted(wanted)}")
        after = get_home(port, context)
        if after != 200:
            problems.append(f"{name}: the next GET / got {after} (it took {time.monotonic() - started:.1f} s)")
    assert not problems, f"{target}:\n" + "\n".join(problems)
    assert "Traceback" not in process.output(), f"{target} printed a traceback:\n{process.output()[-3000:]}"


# --- running out of file descriptors (macOS gives a process 256; here, 64) ---

LIMITED = """
import os, resource, runpy, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
target, sys.argv = sys.argv[1], [sys.argv[1], *sys.argv[2:]]
if target.endswith(".py"):
    sys.path.insert(0, os.path.dirname(target))   # as `python server.py` would: its folder first
    runpy.run_path(target, run_name="__main__")
else:
    runpy.run_module(target, run_name="__main__", alter_sys=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="sets a POSIX resource limit")
@pytest.mark.parametrize("target", REFERENCE + SOLUTIONS)
def test_running_out_of_file_descriptors_never_kills_a_server(target, tmp_path, tls):
    port, (pem, context) = free_port(), tls
    context = context if target == "advanced/https" else None
    command = command_for(target, port, pem)
    # [python, -u, -m, module, args...] or [python, -u, path, args...] -> the same, under a 64-file limit.
    script, args = (command[3], command[4:]) if command[2] == "-m" else (command[2], command[3:])
    limited = ServerProcess([sys.executable, "-u", "-c", LIMITED, script, *args], tmp_path / "server.log",
                            {**os.environ, "PYTHONPATH": str(ROOT)})
    limited.start()
    try:
        limited.wait_until_listening(port)
        clients = []
        for _ in range(120):                  # twice what the server may hold: accept() fails with EMFILE
            try:
                clients.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except OSError:
                break
        time.sleep(0.3)
        for client in clients:
            client.close()
        deadline, status = time.monotonic() + 8, None
        while time.monotonic() < deadline and status != 200 and limited.exit_code is None:
            try:
                status = get_home(port, context)
            except OSError:
                time.sleep(0.2)
        assert limited.exit_code is None, f"{target} died:\n{limited.output()[-2000:]}"
        assert status == 200, f"{target} no longer answers: {status}\n{limited.output()[-2000:]}"
    finally:
        limited.stop()


# --- WebSockets: fragments without end, and a member who never reads ---

def websocket_opening(port: int, path: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


def masked(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    """A client frame, masked with a fixed key (the server must unmask it; the key's value does not matter)."""
    key, n = b"\x01\x02\x03\x04", len(payload)
    first = bytes([(0x80 if fin else 0) | opcode])
    size = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    return first + size + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def open_websocket(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(websocket_opening(port, path))
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)                 # one byte at a time: what follows the head stays unread
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


@pytest.fixture(params=["advanced/websocket_echo", "advanced/websocket_chat"])
def websocket_server(request, tmp_path):
    target, port = request.param, free_port()
    process = ServerProcess(command_for(target, port), tmp_path / "server.log", {**os.environ, "PYTHONPATH": str(ROOT)})
    process.start()
    try:
        process.wait_until_listening(port)
        yield target, port, "/ws" if target.endswith("echo") else "/chat?name=flood"
    finally:
        process.stop()


def test_fifty_thousand_empty_fragments_never_freeze_a_websocket_server(websocket_server):
    """Reassembly was quadratic and the number of pieces unbounded: 50,000 empty CONTINUATION frames froze
    every client for half a minute. Now the message is refused (close 1009) and others are served at once."""
    target, port, path = websocket_server
    with open_websocket(port, path) as flood:
        flood.sendall(masked(0x1, b"a", fin=False) + masked(0x0, fin=False) * 50_000 + masked(0x0, b"b"))
        started = time.monotonic()
        assert get_home(port) == 200
        assert time.monotonic() - started < 1.0, f"{target} froze for {time.monotonic() - started:.1f} s"
        answer = b""                         # events (the chat's join), then the close frame
        try:
            while chunk := flood.recv(65536):
                answer += chunk
        except OSError:
            pass
        assert re.search(rb"\x88[\x02-\x7d]\x03\xf1", answer), \
            f"{target} answered {answer[-40:]!r}, not a close with 1009 (message too big)"


@pytest.mark.parametrize("target", ["advanced/websocket_chat"])
def test_a_chat_member_who_never_reads_is_let_go(target, tmp_path):
    """The room queued everything for a member who never reads, without limit. Past a bound it is dropped,
    and the room hears it left."""
    port = free_port()
    process = ServerProcess(command_for(target, port), tmp_path / "server.log", {**os.environ, "PYTHONPATH": str(ROOT)})
    process.start()
    try:
        process.wait_until_listening(port)
        deaf = open_websocket(port, "/chat?name=deaf")
        deaf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # and its socket holds little
        talker = open_websocket(port, "/chat?name=talker")
        talker.settimeout(0.05)
        line, heard, deadline = b"x" * 16000, b"", time.monotonic() + 20
        while b'"type": "leave", "name": "deaf"' not in heard and time.monotonic() < deadline:
            talker.sendall(masked(0x1, line) * 8)
            try:
                while chunk := talker.recv(65536):
                    heard = heard[-4096:] + chunk
            except TimeoutError:
                pass
        assert b'"type": "leave", "name": "deaf"' in heard, "the deaf member was never let go"
        assert get_home(port) == 200
        deaf.close()
        talker.close()
    finally:
        process.stop()


# --- a client dripping one byte a second, on the solutions with a read loop of their own ---

def drip(port: int, seconds: float) -> float | None:
    """Send a request head one byte a second; the seconds until the server hung up, or None if it never did."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as dripping:
        for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40:
            try:
                dripping.sendall(bytes([byte]))
                dripping.settimeout(1.0)
                if dripping.recv(1024) == b"":
                    return time.monotonic() - started
            except TimeoutError:
                pass
            except OSError:
                return time.monotonic() - started
            if time.monotonic() - started > seconds:
                return None
    return None


@pytest.mark.parametrize("target", ["intermediate/post_form", "intermediate/error_pages", "intermediate/json_api",
                                    "advanced/request_response", "advanced/keep_alive", "advanced/websocket_echo"])
def test_a_dripping_client_is_dropped_and_never_blocks_the_others_for_long(target, tmp_path):
    """Once, one byte a second held a connection for ever, and a blocking server served nobody else: 0 of 5
    probes in 25 s. Now --timeout bounds the whole request: the dripper is dropped, and the others are served
    at the latest once it is (at once, by a server that serves clients side by side)."""
    import threading
    port = free_port()
    process = ServerProcess(command_for(target, port), tmp_path / "server.log", {**os.environ, "PYTHONPATH": str(ROOT)})
    process.start()
    try:
        process.wait_until_listening(port)
        dropped_after = []
        dripper = threading.Thread(target=lambda: dropped_after.append(drip(port, TIMEOUT + 3)))
        dripper.start()
        time.sleep(0.3)                                   # the dripper has its connection
        asked = time.monotonic()
        assert get_home(port) == 200
        waited = time.monotonic() - asked
        dripper.join()
        assert dropped_after[0] is not None and dropped_after[0] < TIMEOUT + 1, \
            f"{target} kept a dripping client ({dropped_after[0]})"
        assert waited < TIMEOUT + 1, f"{target} made another client wait {waited:.1f} s"
    finally:
        process.stop()


# --- a flood of empty lines (issue 20): they count toward the head limit, and are refused after a few ---

def test_six_blank_line_floods_do_not_slow_the_async_servers_other_clients(tmp_path):
    """Endless CRLFs before a request line used to be read (and searched again) until the deadline: six such
    clients pushed a normal GET / to seconds. Now each is refused after a few lines, and GET / stays fast."""
    import statistics
    import threading
    port = free_port()
    process = ServerProcess(command_for("async_server", port), tmp_path / "server.log",
                            {**os.environ, "PYTHONPATH": str(ROOT)})
    process.start()
    stop = threading.Event()

    def flood():
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                    while not stop.is_set():
                        sock.sendall(b"\r\n" * 32768)
            except OSError:
                pass                            # refused and closed: come back, as an attacker would
    floods = [threading.Thread(target=flood, daemon=True) for _ in range(6)]
    try:
        process.wait_until_listening(port)
        for thread in floods:
            thread.start()
        time.sleep(0.5)
        times = []
        for _ in range(9):
            started = time.monotonic()
            assert get_home(port) == 200
            times.append(time.monotonic() - started)
    finally:
        stop.set()
        for thread in floods:
            thread.join(5)
        process.stop()
    assert statistics.median(times) < 1.0, f"GET / took {statistics.median(times):.2f} s (median) under the floods"
