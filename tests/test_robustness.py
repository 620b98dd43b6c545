"""No input kills a server: every reference server and every solution survives a corpus of hostile requests.

Teaching code is still correct code. Each input is sent whole and byte by byte; after each one the process
must still be alive and a normal GET / must get 200 at once. Where RFC 9112 says what the answer is, every server
must give it: all of them apply the kit's core rules, http.server included (httpd_server runs parse_head on
the raw head).
"""
import os
import socket
import ssl
import sys
import time

import h11
import pytest

from graders.supervisor import ROOT, ServerProcess, free_port

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
