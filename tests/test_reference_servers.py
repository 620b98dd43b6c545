"""Every reference server, over real sockets, with every answer parsed strictly by h11.

Each server serves a copy of static/ that has neighbours it must never reveal: a sibling folder whose
name starts with "static", a secret file beside it, and (on POSIX) a symlink pointing out of it.
"""
import argparse
import asyncio
import os
import selectors
import shutil
import socket
import time

import pytest

from graders.ground import KIT_ROOT as ROOT
from graders.supervisor import running
from reference import async_server, blocking_server, selectors_server
from reference.core.response import Response
from tests.reference_helpers import exchange, get, parse_reply, read_until_closed

SERVERS = {
    "blocking_server": [],
    "threaded_server": [],
    "selectors_server": [],
    "async_server": [],
    "routing_server": [],
    "wsgi_server": ["--app", "tools.demo_apps.site_app:app"],
    "httpd_server": [],
}
SECRET = b"TOP-SECRET-DO-NOT-SERVE"
STALL_TIMEOUT = 1.5   # the servers' --timeout here, so that a stalled client is dropped quickly
LOGS = {}             # server name -> the file its output goes to


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "static", base / "static")
    (base / "static-private").mkdir()
    (base / "static-private" / "secret.txt").write_bytes(SECRET)
    (base / "secret.txt").write_bytes(SECRET)
    if os.name != "nt":
        (base / "static" / "escape").symlink_to(base / "static-private")
    return base / "static"


@pytest.fixture(scope="module", params=list(SERVERS))
def server(request, site, tmp_path_factory):
    name = request.param
    log = LOGS[name] = tmp_path_factory.mktemp(name) / "server.log"
    args = [*SERVERS[name], "--static", str(site), "--timeout", str(STALL_TIMEOUT)]
    with running(name, args, log=log, env={"SITE_STATIC": str(site)}) as port:
        yield name, port, site


# --- normal requests -------------------------------------------------------------------------------

@pytest.mark.parametrize("path, file, content_type", [
    ("/", "index.html", "text/html"),
    ("/about", "about.html", "text/html"),
    ("/about.html", "about.html", "text/html"),
    ("/styles.css", "styles.css", "text/css"),
    ("/images/logo.png", "images/logo.png", "image/png"),
    ("/images/photo.jpg", "images/photo.jpg", "image/jpeg"),
    ("/images/diagram.svg", "images/diagram.svg", "image/svg+xml"),
])
def test_serves_files_with_type_and_exact_bytes(server, path, file, content_type):
    _name, port, site = server
    reply = get(port, path)
    expected = (site / file).read_bytes()
    assert reply.status == 200
    assert reply.header("content-type").startswith(content_type)
    assert reply.body == expected
    assert int(reply.header("content-length")) == len(expected)


def test_query_string_does_not_change_the_file(server):
    _name, port, site = server
    assert get(port, "/about?ref=home").body == (site / "about.html").read_bytes()


def test_unknown_path_gives_the_html_404_page(server):
    _name, port, site = server
    reply = get(port, "/no/such/page")
    assert reply.status == 404
    assert reply.header("content-type").startswith("text/html")
    assert reply.body == (site / "404.html").read_bytes()


def test_head_sends_headers_only(server):
    _name, port, site = server
    reply = get(port, "/", method="HEAD")
    assert reply.status == 200
    assert int(reply.header("content-length")) == len((site / "index.html").read_bytes())
    assert reply.raw.endswith(b"\r\n\r\n"), "nothing may follow the head of a HEAD answer"


# --- awkward but legal input -----------------------------------------------------------------------

def test_a_3kb_head_is_served(server):
    _name, port, site = server
    filler = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"v" * 90) for i in range(30))
    assert len(filler) > 3000
    reply = get(port, "/about", extra=filler)
    assert reply.status == 200 and reply.body == (site / "about.html").read_bytes()


def test_a_request_sent_one_byte_at_a_time_is_served(server):
    _name, port, site = server
    request = b"GET /about HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    reply = exchange(port, [request[i:i + 1] for i in range(len(request))], pause=0.002)
    assert reply.status == 200 and reply.body == (site / "about.html").read_bytes()


def test_a_post_body_in_several_writes_is_read_to_content_length(server):
    name, port, _site = server
    body = b"x" * 3000
    head = b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
    head += b"Content-Length: %d\r\n\r\n" % len(body)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head + body[:1000])
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):   # answering now would mean it never read the rest
            sock.recv(1)
        sock.settimeout(5)
        sock.sendall(body[1000:2000])
        time.sleep(0.05)
        sock.sendall(body[2000:])
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    reply = parse_reply(raw)
    if name == "routing_server":             # it has a POST route that echoes the body
        assert reply.status == 200 and reply.body == body
    else:                                    # a file server answers 405 and says what it allows
        assert reply.status == 405
        assert "GET" in reply.header("allow")


# --- malformed input -------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, status", [
    (b"HELLO THERE\r\n\r\n", 400),
    (b"GET /\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nthis line has no colon\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1_0\r\n\r\n0123456789", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n", 431),
], ids=["garbage-line", "no-version", "no-colon", "length-negative", "length-abc", "length-plus-underscore",
        "head-over-16kb"])
def test_malformed_requests_get_an_error_and_the_server_goes_on(server, raw, status):
    _name, port, site = server
    assert exchange(port, raw).status == status
    assert get(port, "/about").body == (site / "about.html").read_bytes(), "the next client must be served"


# --- traversal -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
    "/../static-private/secret.txt", "/..%2fstatic-private/secret.txt", "/../../../../etc/passwd",
    "/secret.txt%00.html", "/%00", "//etc/passwd", "/..\\secret.txt", "/..%5csecret.txt",
    "/escape/secret.txt", "/static/../static-private/secret.txt",
])
def test_no_path_escapes_static(server, path):
    _name, port, _site = server
    reply = get(port, path)
    assert reply.status in (400, 403, 404), reply.status
    assert SECRET not in reply.body and b"root:" not in reply.body


# --- stalled clients -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["async_server", "routing_server", "selectors_server"])
def test_a_stalled_client_does_not_delay_others_and_is_dropped(name, site, tmp_path):
    args = ["--static", str(site), "--timeout", str(STALL_TIMEOUT)]
    with running(name, args, log=tmp_path / "server.log") as port, \
            socket.create_connection(("127.0.0.1", port), timeout=5) as stalled:
        stalled.sendall(b"GET /about HTTP/1.1\r\nHost: 127.")           # half a head, then nothing
        started = time.monotonic()
        assert get(port, "/about").body == (site / "about.html").read_bytes()
        assert time.monotonic() - started < 1.0, "another client waited for the stalled one"
        stalled.settimeout(STALL_TIMEOUT + 3)
        assert stalled.recv(1) == b"", "the stalled client was never dropped"
        assert time.monotonic() - started < STALL_TIMEOUT + 2.5


@pytest.mark.parametrize("name", list(SERVERS))
def test_a_client_dripping_one_byte_a_second_is_dropped_at_the_deadline(name, site, tmp_path):
    """--timeout bounds the whole request, not each recv(): a byte a second must not keep a connection."""
    args = [*SERVERS[name], "--static", str(site), "--timeout", str(STALL_TIMEOUT)]
    head = b"GET /about HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40
    with running(name, args, log=tmp_path / "server.log", env={"SITE_STATIC": str(site)}) as port, \
            socket.create_connection(("127.0.0.1", port), timeout=5) as dripping:
        started = time.monotonic()
        dropped = None
        for byte in head:
            try:
                dripping.sendall(bytes([byte]))
                dripping.settimeout(1.0)          # one byte a second
                if dripping.recv(1024) == b"":
                    dropped = time.monotonic() - started
                    break
            except TimeoutError:
                continue                      # still open: drip the next byte
            except OSError:
                dropped = time.monotonic() - started
                break
            if time.monotonic() - started > STALL_TIMEOUT + 3:
                break
        assert dropped is not None, f"{name} kept a dripping client for {time.monotonic() - started:.1f} s"
        assert dropped < STALL_TIMEOUT + 1, f"{name} dropped it after {dropped:.1f} s, not within --timeout + 1 s"


def test_an_early_refusal_reaches_a_client_that_is_still_sending(server):
    """413 comes before the body is read; the client is still sending. The server must read (and drop) what
    follows before it closes: closing with unread bytes sends a reset, which on Windows wipes the answer.
    Linux keeps the answer anyway, so the check is on the reset itself: the connection must end cleanly."""
    name, port, _site = server
    problems = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /about HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000000\r\n\r\n")
        time.sleep(0.1)                        # the server has refused by now, and the body keeps coming
        try:
            for _ in range(16):
                sock.sendall(b"x" * 16384)
        except OSError as error:
            problems.append(f"sending the rest of the body failed: {error!r}")
        raw = b""
        try:
            while chunk := sock.recv(65536):
                raw += chunk
        except OSError as error:
            problems.append(f"reading the answer failed: {error!r}")
    assert parse_reply(raw).status == 413, f"{name} answered {raw[:60]!r}"
    assert not problems, f"{name} reset the connection instead of closing it: " + "; ".join(problems)


# --- issue 20: what llhttp's corpus and the attacks found ------------------------------------------

def test_a_head_that_mixes_crlf_and_bare_lf_smuggles_nothing(server):
    """A proxy that ends lines at CRLF only sees one request with a header "Dummy: x\nContent-Length: 23";
    a server that ends lines at bare LF too would see a body, then a second request, for /admin."""
    _name, port, _site = server
    smuggled = (b"GET / HTTP/1.1\r\nHost: localhost\r\nDummy: x\nContent-Length: 23\r\n\r\n"
                b"GET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n")
    reply = exchange(port, smuggled)
    assert reply.status == 400 and reply.raw.count(b"HTTP/1.") == 1, reply.raw[:300]
    assert exchange(port, b"GET /about HTTP/1.1\nHost: x\n\n").status == 200, "all-LF heads (nc, telnet) are fine"


def test_a_flood_of_blank_lines_is_refused_at_once(server):
    _name, port, _site = server
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        started = time.monotonic()
        try:
            for _ in range(64):                    # up to 1 MB of CRLF: refused long before its end
                sock.sendall(b"\r\n" * 8192)
        except OSError:
            pass                                   # refused and closed while we were still sending
        sock.settimeout(5)
        raw = b""
        try:
            while chunk := sock.recv(65536):
                raw += chunk
        except OSError:
            pass
    assert raw.startswith(b"HTTP/1.") and raw.split(b" ")[1] in (b"400", b"431"), raw[:100]
    assert time.monotonic() - started < STALL_TIMEOUT, "the blank lines were read until the deadline"
    assert get(port, "/about").status == 200
    assert exchange(port, b"\r\n\r\nGET /about HTTP/1.1\r\nHost: x\r\n\r\n").status == 200, "a few are fine"


def test_an_absolute_target_without_a_path_means_the_root(server):
    _name, port, site = server
    reply = exchange(port, b"GET http://127.0.0.1?hail=all HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert reply.status == 200 and reply.body == (site / "index.html").read_bytes()


def test_a_half_head_cut_at_the_deadline_is_dropped_quietly(server):
    """The deadline cuts a client that sent half a head: no answer to half a request, and no traceback."""
    name, port, _site = server
    with socket.create_connection(("127.0.0.1", port), timeout=STALL_TIMEOUT + 3) as sock:
        sock.sendall(b"PUT / HTTP/1.1\r\nContent-Length: 100\r\n")     # then nothing
        try:
            answer = sock.recv(65536)
        except ConnectionResetError:
            answer = b""
    assert answer == b"", f"{name} answered half a head: {answer[:80]!r}"
    give_up = time.monotonic() + 0.8               # time for the server to write a complaint, if it has one
    while "Traceback" not in (output := LOGS[name].read_text(errors="replace")) and time.monotonic() < give_up:
        time.sleep(0.1)
    assert "Traceback" not in output, f"{name} printed a traceback:\n{output[-1500:]}"


def splitting_answer(request, args):
    """A handler with a bug: a header value with CRLF in it, which would inject a Set-Cookie."""
    return Response(200, [("X-Name", "a\r\nSet-Cookie: admin=1")], b"hello")


def answer_of(serve) -> bytes:
    """Run one server's serve function on one end of a socket pair, with a GET on the other; its answer."""
    server_end, client_end = socket.socketpair()
    with client_end:
        client_end.settimeout(5)
        client_end.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        serve(server_end, argparse.Namespace(timeout=2.0, delay=0.0, static=None))
        return read_until_closed(client_end)


def serve_blocking(conn, args):
    blocking_server.serve_client(conn, args, answer=splitting_answer)


def serve_async(conn, args):
    async def main():
        reader, writer = await asyncio.open_connection(sock=conn)
        await async_server.serve_client(reader, writer, args, answer=splitting_answer)
    asyncio.run(main())


def serve_selectors(conn, args):
    loop = selectors_server.EventLoop(args, answer=splitting_answer)
    conn.setblocking(False)
    loop.clients[conn] = selectors_server.Connection(conn, time.monotonic() + args.timeout)
    loop.selector.register(conn, selectors.EVENT_READ)
    give_up = time.monotonic() + 5
    while loop.clients and time.monotonic() < give_up:    # the loop's own run(), without a listener
        for key, events in loop.selector.select(timeout=loop.run_timers()):
            client = loop.clients[key.fileobj]
            loop.on_readable(client) if events & selectors.EVENT_READ else loop.on_writable(client)


@pytest.mark.parametrize("serve", [serve_blocking, serve_async, serve_selectors],
                         ids=["blocking (threaded, wsgi)", "async (routing)", "selectors"])
def test_a_header_with_crlf_is_never_sent_the_server_answers_500_and_says_why(serve, capsys):
    raw = answer_of(serve)
    assert b"admin=1" not in raw, f"the injected header went out: {raw[:200]!r}"
    assert parse_reply(raw).status == 500
    assert "CR, LF or NUL" in capsys.readouterr().out, "the server's output must say why it answered 500"
