"""reverse_proxy: `server.py --port N --upstream http://127.0.0.1:M [--upstream-timeout S]` forwards /api/.

The grader runs its own upstream on a free port M, in a thread (see Upstream below): it answers
/api/echo/... with the request it got, as JSON; /api/status/<code>/<token> with that status; /api/chunked/...
in chunks, with hop-by-hop headers of its own; /api/binary/<n>/<seed> with n random bytes; and /api/sleep/<s>
after s seconds. It starts your proxy with --upstream http://127.0.0.1:M --upstream-timeout 1. The checks:
- a request under /api/ reaches the upstream with the same method, the same target (path and query exactly as
  sent) and the same body, bytes as they are, and its end-to-end headers, with exactly one Host (the client's);
  when the upstream got less body than promised, the failure says what it got;
- HEAD is the head of GET, through the proxy and from static/;
- a client that promises a body, sends part of it and leaves does not stop the proxy;
- hop-by-hop headers stay behind: Connection and every header it names, Keep-Alive, Proxy-Authorization,
  Proxy-Connection, TE, Trailer and Upgrade;
- X-Forwarded-For carries the client's address, appended to a chain the request already had;
  X-Forwarded-Proto is http, and X-Forwarded-Host the Host the client sent;
- the upstream's status (404 and 500 included), headers and body come back unchanged, and its hop-by-hop
  headers (Connection and what it names, Keep-Alive, Transfer-Encoding) stay behind;
- binary bodies come back byte for byte, with their Content-Type;
- an upstream that refuses connections gives 502 with an HTML page (your proxy is started a second time, with
  an upstream where nothing listens), and the proxy goes on serving;
- an upstream slower than --upstream-timeout gives 504 with an HTML page, in about that time, and the proxy
  goes on serving (the default of 5 s is not waited for);
- every other path is served from static/, and never reaches the upstream.
Paths, queries, headers and bodies are random, so a hard-coded answer cannot pass.
"""
import base64
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from graders.ground import STATIC
from graders.harness import GraderFailure, LocalServer, expect, fetch, send_raw, with_advice
from graders.harness.checks import head_is_the_head_of_get, survives_a_short_body
from graders.harness.plugin import target_dir
from graders.supervisor import free_port

STATIC = STATIC
WORDS = ["teapot", "kettle", "socket", "lantern", "pebble", "walrus", "noodle", "quill", "crumpet", "otter"]
TIMEOUT = 1.0          # the --upstream-timeout the grader gives your proxy
HOP_BY_HOP_SENT = ["keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer", "upgrade"]


def word(rng) -> str:
    return f"{rng.choice(WORDS)}{rng.randint(100, 999)}"


class Upstream(BaseHTTPRequestHandler):
    """The app server behind your proxy. It runs in the grader's process, one thread per request."""

    protocol_version = "HTTP/1.1"
    seen_paths: list[str] = []          # every target that reached it, for the static check
    received: dict[str, dict] = {}      # X-Probe-Token -> what arrived with it, even when the proxy gave up
    timeout = 5                         # seconds a read may wait: a body that never comes ends there
    stop = threading.Event()            # set at the end: a sleeping answer gives up at once

    def log_message(self, *args) -> None:
        pass                            # quiet: the grader's output is for the learner's failures

    def answer(self, status: int, body: bytes, headers: list[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def read_body(self) -> bytes:
        """The body by Content-Length, piece by piece, noted as it comes: if the proxy promises a body and never
        sends it, the grader can say what arrived."""
        length = self.headers.get("Content-Length", "0")
        wanted = int(length) if length.isdigit() else 0
        note = {"method": self.command, "target": self.path, "headers": list(self.headers.items()), "body": b""}
        Upstream.received[self.headers.get("X-Probe-Token", "")] = note
        try:
            while len(note["body"]) < wanted:
                piece = self.rfile.read1(wanted - len(note["body"]))
                if not piece:
                    break
                note["body"] += piece
        except OSError:
            pass                        # the proxy gave up (a timeout, or it closed): what came is noted
        return note["body"]

    def handle_any(self) -> None:
        body = self.read_body()
        Upstream.seen_paths.append(self.path)
        parts = urlsplit(self.path).path.split("/")
        kind = parts[2] if len(parts) > 2 and parts[1] == "api" else ""
        if kind == "echo":
            echo = {"method": self.command, "target": self.path, "headers": list(self.headers.items()),
                    "body": base64.b64encode(body).decode()}
            self.answer(200, json.dumps(echo).encode(), [("Content-Type", "application/json")])
        elif kind == "status" and len(parts) == 5 and parts[3].isdigit():
            code, token = int(parts[3]), parts[4]
            self.answer(code, f"status {code} for {token}\n".encode(), [
                ("Content-Type", "text/plain; charset=utf-8"), ("X-Upstream-Token", token),
                ("Set-Cookie", f"a={token}; Path=/"), ("Set-Cookie", "b=2; Path=/")])
        elif kind == "chunked" and len(parts) == 4:
            self.answer_in_chunks(parts[3])
        elif kind == "binary" and len(parts) == 5 and parts[3].isdigit() and parts[4].isdigit():
            data = binary(int(parts[3]), int(parts[4]))
            self.answer(200, data, [("Content-Type", "application/octet-stream")])
        elif kind == "sleep" and len(parts) == 4:
            Upstream.stop.wait(float(parts[3]))
            self.answer(200, b"slept\n", [("Content-Type", "text/plain")])
        else:
            self.answer(404, b"no such thing upstream\n", [("Content-Type", "text/plain")])

    def answer_in_chunks(self, token: str) -> None:
        """Chunked, with hop-by-hop headers that describe the upstream's own connection only."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("X-Upstream-Token", token)
        self.send_header("Connection", "close, X-Upstream-Hop")
        self.send_header("X-Upstream-Hop", "for-the-proxy-only")
        self.send_header("Keep-Alive", "timeout=5")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in [f"{token}-{number}\n".encode() for number in range(3)]:
            self.wfile.write(b"%x\r\n%b\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True               # a sleeping answer never holds up the end of the run

    def handle_error(self, request, client_address) -> None:
        pass                            # a proxy that gave up on a slow answer closed its socket: that is fine


def binary(size: int, seed: int) -> bytes:
    """Every byte value, then random bytes: a text decode would change (or refuse) them."""
    return (bytes(range(256)) + random.Random(seed).randbytes(size))[:size]


@pytest.fixture(scope="module")
def upstream():
    """The grader's upstream on a free port, in a thread; shut down for sure at the end of the module."""
    Upstream.stop.clear()
    Upstream.seen_paths = []
    Upstream.received = {}
    httpd = QuietServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{httpd.server_address[1]}", seen=Upstream.seen_paths)
    finally:
        Upstream.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(2)


def boot(request, tmp_path_factory, upstream_url: str) -> LocalServer:
    if request.config.getoption("server_url"):
        pytest.skip("the reverse_proxy grader runs its own upstream and passes it to your proxy with --upstream, "
                    "so it must start your server itself: run it without --server-url")
    script = target_dir(request.config) / "advanced" / "reverse_proxy" / "server.py"
    if not script.is_file():
        raise GraderFailure(f"The grader expected your server at {script}, but there is no such file.")
    return LocalServer(script, tmp_path_factory.mktemp("reverse_proxy"),
                       ["--upstream", upstream_url, "--upstream-timeout", f"{TIMEOUT:g}"])


@pytest.fixture(scope="module")
def server(request, upstream, tmp_path_factory):
    """Your proxy, in front of the grader's upstream; stopped for sure."""
    local = boot(request, tmp_path_factory, upstream.url)
    try:
        local.start()
        yield local
    finally:
        local.stop()


def upstream_saw(exchange, token: str = "") -> dict:
    """What the upstream's /api/echo got, from the answer your proxy brought back."""
    got = f"{exchange.status} {exchange.reason}"
    note = Upstream.received.get(token) if token else None
    if exchange.status != 200 and note is not None:
        length = next((value for name, value in note["headers"] if name.lower() == "content-length"), None)
        got += (f". The upstream received {note['method']} {note['target']}"
                + (f" with Content-Length: {length} and {len(note['body'])} bytes of body" if length else
                   " with no Content-Length")
                + (": the body never came, so the upstream waited for it until your proxy gave up. Send it: "
                   "endheaders(request.body)" if length and len(note["body"]) < int(length) else ""))
    expect(exchange.status == 200, exchange, expected="200 OK from the upstream's /api/echo (it answers with the "
           "request it received, as JSON)", got=got, hint="forward")
    return exchange.json()


def header_values(seen: dict, name: str) -> list[str]:
    return [value for key, value in seen["headers"] if key.lower() == name.lower()]


def raw_request(method: str, target: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1"] + [f"{name}: {value}" for name, value in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def test_a_get_reaches_the_upstream_with_its_target_and_headers(server, rng):
    token = word(rng)
    target = f"/api/echo/{word(rng)}/caf%C3%A9?q={word(rng)}+{word(rng)}&x=%26%3D&page={rng.randint(2, 99)}"
    host = rng.choice([f"127.0.0.1:{server.port}", f"{word(rng)}.example", f"localhost:{server.port}"])
    host_name, token_name = rng.choice(["Host", "host", "HOST"]), rng.choice(["X-Probe-Token", "x-probe-token"])
    exchange = send_raw(server, raw_request("GET", target, [(host_name, host), (token_name, token),
                                                           ("Connection", "close")]))
    seen = upstream_saw(exchange, token)
    expect(seen["method"] == "GET" and seen["target"] == target, exchange,
           expected=f"the upstream to get GET {target} (the target exactly as sent: path and query, still encoded)",
           got=f"{seen['method']} {seen['target']}", hint="forward")
    expect(header_values(seen, "X-Probe-Token") == [token], exchange,
           expected=f"the request's own header X-Probe-Token: {token} forwarded to the upstream",
           got=f"X-Probe-Token {header_values(seen, 'X-Probe-Token')} at the upstream", hint="forward")
    hosts = header_values(seen, "Host")
    expect(hosts == [host], exchange, expected=f"exactly one Host header at the upstream, the client's: Host: {host}",
           got=f"{len(hosts)} Host headers, {hosts}: a request with two is refused by a careful server (RFC 9112, "
               "3.2), and which one wins differs from server to server. http.client's putrequest() adds its own "
               "Host unless skip_host=True" if len(hosts) > 1 else f"Host headers {hosts}", hint="forward")


def test_other_methods_and_binary_bodies_reach_the_upstream(server, rng):
    method = rng.choice(["POST", "PUT", "PATCH", "DELETE"])
    body = binary(rng.randint(300, 5000), rng.randint(1, 10**6))
    target, token = f"/api/echo/{word(rng)}?id={rng.randint(1, 999)}", word(rng)
    exchange = send_raw(server, raw_request(method, target, [
        ("Host", f"127.0.0.1:{server.port}"), ("Content-Type", "application/octet-stream"),
        ("X-Probe-Token", token), ("Connection", "close")], body))
    seen = upstream_saw(exchange, token)
    expect(seen["method"] == method and seen["target"] == target, exchange,
           expected=f"the upstream to get {method} {target}", got=f"{seen['method']} {seen['target']}", hint="forward")
    got = base64.b64decode(seen["body"])
    expect(got == body, exchange, expected=f"the upstream to get the {len(body)} bytes of the body exactly (every "
           "byte value from 0 to 255 among them: keep bytes as bytes, never decode them as text)",
           got=f"{len(got)} bytes" + (" that differ" if len(got) == len(body) else ""), hint="forward")


def test_hop_by_hop_request_headers_stay_behind(server, rng):
    token, secret = word(rng), word(rng)
    # Connection may also name a header that is hop-by-hop anyway (Keep-Alive); and only Connection names
    # headers: other headers whose values look like header names (a Cache-Control extension, a note) name none.
    options = ["close", "X-Hop-Secret", rng.choice(["Keep-Alive", "keep-alive", "KEEP-ALIVE"])]
    rng.shuffle(options)
    exchange = send_raw(server, raw_request("GET", f"/api/echo/{word(rng)}", [
        ("Host", f"127.0.0.1:{server.port}"), ("Connection", ", ".join(options)), ("X-Hop-Secret", secret),
        ("Keep-Alive", "timeout=5"), ("Proxy-Authorization", "Basic Z3JhZGVyOnNlY3JldA=="),
        ("Proxy-Connection", "keep-alive"), ("TE", "trailers"), ("Trailer", "X-Checksum"),
        ("Upgrade", "example/1"), ("Cache-Control", "x-probe-token"), ("X-Note", "X-Probe-Token"),
        ("X-Probe-Token", token)]))
    seen = upstream_saw(exchange)
    names = [name.lower() for name, _ in seen["headers"]]
    expect("accept-encoding" not in names, exchange, expected="no Accept-Encoding at the upstream: the client sent "
           "none, and a proxy adds nothing of its own but X-Forwarded-*. http.client's putrequest() adds "
           "'Accept-Encoding: identity' unless told skip_accept_encoding=True",
           got=f"Accept-Encoding: {', '.join(header_values(seen, 'Accept-Encoding'))}", hint="hop_by_hop")
    leaked = [name for name in HOP_BY_HOP_SENT if name in names]
    leaked += [f"connection: {value}" for value in header_values(seen, "Connection") if "x-hop-secret" in value.lower()]
    expect(not leaked, exchange, expected="no hop-by-hop header forwarded: Connection, Keep-Alive, "
           "Proxy-Authorization, Proxy-Connection, TE, Trailer and Upgrade describe the client's connection to "
           "the proxy, not the request", got=f"{', '.join(leaked)} at the upstream", hint="hop_by_hop")
    expect("x-hop-secret" not in names, exchange, expected="no X-Hop-Secret at the upstream: the client's "
           "'Connection: close, X-Hop-Secret' names it, which makes it hop-by-hop too",
           got=f"X-Hop-Secret: {header_values(seen, 'X-Hop-Secret')[0]} at the upstream" if "x-hop-secret" in names
           else None, hint="hop_by_hop")
    expect(header_values(seen, "X-Probe-Token") == [token], exchange, expected=f"the end-to-end header "
           f"X-Probe-Token: {token} still forwarded: only the Connection header names hop-by-hop headers, not "
           "Cache-Control or X-Note whose values happen to spell its name",
           got=f"X-Probe-Token {header_values(seen, 'X-Probe-Token')}", hint="hop_by_hop")


def test_x_forwarded_headers_say_who_asked(server, rng):
    host = f"{word(rng)}.example:{rng.randint(1025, 9999)}"
    earlier = f"203.0.113.{rng.randint(1, 254)}"
    exchange = send_raw(server, raw_request("GET", f"/api/echo/{word(rng)}", [
        ("Host", host), ("X-Forwarded-For", earlier), ("Connection", "close")]))
    seen = upstream_saw(exchange)
    chain = ", ".join(header_values(seen, "X-Forwarded-For"))
    expect(chain == f"{earlier}, 127.0.0.1", exchange,
           expected=f"X-Forwarded-For: {earlier}, 127.0.0.1 at the upstream: the request came through a proxy at "
                    f"{earlier} already, so append your client's address to that chain",
           got=f"X-Forwarded-For: {chain}" + (", which replaced the chain instead of appending to it"
                                              if chain == "127.0.0.1" else "") if chain else "no X-Forwarded-For",
           hint="forwarded")
    expect(header_values(seen, "X-Forwarded-Proto") == ["http"], exchange,
           expected="X-Forwarded-Proto: http at the upstream (the scheme the client used)",
           got=f"X-Forwarded-Proto {header_values(seen, 'X-Forwarded-Proto')}", hint="forwarded")
    expect(header_values(seen, "X-Forwarded-Host") == [host], exchange,
           expected=f"X-Forwarded-Host: {host} at the upstream (the Host header the client sent)",
           got=f"X-Forwarded-Host {header_values(seen, 'X-Forwarded-Host')}", hint="forwarded")
    exchange = send_raw(server, raw_request("GET", f"/api/echo/{word(rng)}", [("Host", host), ("Connection", "close")]))
    chain = ", ".join(header_values(upstream_saw(exchange), "X-Forwarded-For"))
    expect(chain == "127.0.0.1", exchange, expected="X-Forwarded-For: 127.0.0.1 at the upstream (your client's "
           "address, alone, when the request had no X-Forwarded-For)",
           got=f"X-Forwarded-For: {chain}" if chain else "no X-Forwarded-For", hint="forwarded")


def test_error_statuses_and_headers_come_back_unchanged(server, rng):
    for code in [404, 500, rng.choice([401, 409, 418, 503])]:
        token = word(rng)
        exchange = fetch(server, "GET", f"/api/status/{code}/{token}")
        expect(exchange.status == code, exchange, expected=f"status {code}, the upstream's own answer, passed on "
               "unchanged", got=f"{exchange.status} {exchange.reason}" + (
                   ". urllib.request.urlopen() raises HTTPError on 4xx and 5xx answers: use http.client, which "
                   "returns every status" if exchange.status in (500, 502) else ""), hint="forward")
        expect(exchange.headers.get("X-Upstream-Token") == token, exchange,
               expected=f"the upstream's header X-Upstream-Token: {token}",
               got=f"X-Upstream-Token: {exchange.headers.get('X-Upstream-Token')}", hint="forward")
        cookies = [value.split(";")[0].strip() for value in exchange.headers.get_all("Set-Cookie")]
        expect(f"a={token}" in cookies and "b=2" in cookies, exchange,
               expected=f"both of the upstream's Set-Cookie headers, a={token} and b=2 (keep the headers a list)",
               got=f"Set-Cookie: {cookies}" if cookies else "no Set-Cookie header", hint="forward")
        expect(exchange.body == f"status {code} for {token}\n".encode(), exchange,
               expected=f"the upstream's body, {f'status {code} for {token}'!r}", got=repr(exchange.body[:200]),
               hint="forward")


def test_hop_by_hop_answer_headers_stay_behind(server, rng):
    token = word(rng)
    try:
        exchange = send_raw(server, raw_request("GET", f"/api/chunked/{token}",
                                                [("Host", f"127.0.0.1:{server.port}"), ("Connection", "close")]))
    except GraderFailure as failure:
        raise with_advice(failure, expected="a valid answer: the upstream sent its body in chunks, with "
                          "Transfer-Encoding: chunked. http.client has decoded them, so that header, hop-by-hop, "
                          "must stay behind (your server then sends its own Content-Length)",
                          hint="hop_by_hop") from None
    wanted = "".join(f"{token}-{number}\n" for number in range(3))
    expect(exchange.status == 200 and exchange.text == wanted, exchange, expected=f"200 OK and the body {wanted!r}",
           got=f"{exchange.status} {exchange.reason}, {exchange.text[:200]!r}", hint="hop_by_hop")
    leaked = [name for name in ("X-Upstream-Hop", "Keep-Alive") if name in exchange.headers]
    expect(not leaked, exchange, expected="none of the upstream's hop-by-hop headers: it sent 'Connection: close, "
           "X-Upstream-Hop', so X-Upstream-Hop stays behind, and Keep-Alive too",
           got=f"{', '.join(leaked)} passed on", hint="hop_by_hop")
    expect(exchange.headers.get("X-Upstream-Token") == token, exchange,
           expected=f"the upstream's end-to-end header X-Upstream-Token: {token}",
           got=f"X-Upstream-Token: {exchange.headers.get('X-Upstream-Token')}", hint="forward")


def test_binary_answers_come_back_byte_for_byte(server, rng):
    size, seed = rng.randint(2000, 60000), rng.randint(1, 10**6)
    exchange = fetch(server, "GET", f"/api/binary/{size}/{seed}")
    expect(exchange.status == 200, exchange, expected="200 OK with the upstream's binary body",
           got=f"{exchange.status} {exchange.reason}", hint="forward")
    expect(exchange.headers.get("Content-Type") == "application/octet-stream", exchange,
           expected="the upstream's Content-Type: application/octet-stream",
           got=f"Content-Type: {exchange.headers.get('Content-Type')}", hint="forward")
    expect(exchange.body == binary(size, seed), exchange, expected=f"the upstream's {size} bytes exactly (every "
           "byte value among them: reply.read() gives bytes; keep them bytes)",
           got=f"{len(exchange.body)} bytes" + (" that differ" if len(exchange.body) == size else ""), hint="forward")


def expect_html_error(exchange, code: int, why: str) -> None:
    expect(exchange.status == code, exchange, expected=f"{code} {'Bad Gateway' if code == 502 else 'Gateway Timeout'}"
           f": {why}", got=f"{exchange.status} {exchange.reason}" + (
               ". TimeoutError is an OSError too: catch it before OSError" if code == 504 and exchange.status == 502
               and exchange.elapsed >= TIMEOUT * 0.8 else ""), hint="upstream_errors")
    expect(exchange.headers.get("Content-Type", "").startswith("text/html"), exchange,
           expected=f"an HTML page with the {code} (error_page() makes one)",
           got=f"Content-Type: {exchange.headers.get('Content-Type')}", hint="upstream_errors")


def expect_still_serving(server, after: str) -> None:
    try:
        exchange = fetch(server, "GET", "/about")
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"the proxy to go on serving after {after}",
                          hint="upstream_errors") from None
    expect(exchange.status == 200, exchange, expected=f"200 OK for /about after {after}",
           got=f"{exchange.status} {exchange.reason}", hint="upstream_errors")


@pytest.fixture(scope="module")
def proxy_to_nowhere(request, upstream, tmp_path_factory):
    """Your proxy once more, with an upstream where nothing listens."""
    local = boot(request, tmp_path_factory, f"http://127.0.0.1:{free_port()}")
    try:
        local.start()
        yield local
    finally:
        local.stop()


def test_an_upstream_that_refuses_gives_502(proxy_to_nowhere, rng):
    path = f"/api/echo/{word(rng)}"
    for _ in range(2):
        try:
            exchange = fetch(proxy_to_nowhere, "GET", path)
        except GraderFailure as failure:
            raise with_advice(failure, expected="502 Bad Gateway: your proxy was started with an upstream where "
                              "nothing listens, so connecting to it is refused", hint="upstream_errors") from None
        expect_html_error(exchange, 502, "nothing listens at the upstream, so the proxy could not reach it")
    expect_still_serving(proxy_to_nowhere, "two 502s")


def test_a_slow_upstream_gives_504_within_the_timeout(server, rng):
    path = f"/api/sleep/{TIMEOUT * 4:g}"
    started = time.monotonic()
    try:
        exchange = fetch(server, "GET", path, timeout=TIMEOUT * 3)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"504 Gateway Timeout after about {TIMEOUT:g} s: the grader started your "
                          f"proxy with --upstream-timeout {TIMEOUT:g}, and the upstream takes {TIMEOUT * 4:g} s. "
                          "Without a timeout, one slow upstream holds every client that asks it",
                          hint="upstream_errors") from None
    expect_html_error(exchange, 504, f"the upstream did not answer within --upstream-timeout {TIMEOUT:g} s")
    elapsed = time.monotonic() - started
    expect(elapsed < TIMEOUT * 2.5, exchange, expected=f"the 504 after about {TIMEOUT:g} s",
           got=f"it came after {elapsed:.1f} s", hint="upstream_errors")
    expect_still_serving(server, "a 504")


def test_a_client_that_leaves_mid_body_does_not_stop_the_proxy(server, rng):
    survives_a_short_body(server, f"/api/echo/{word(rng)}", content_type="application/octet-stream",
                          body=binary(rng.randint(10, 500), rng.randint(1, 999)), hint="forward", then="/about")


def test_head_is_the_head_of_get(server, rng):
    head_is_the_head_of_get(server, f"/api/status/200/{word(rng)}", hint="forward")
    head_is_the_head_of_get(server, rng.choice(["/about", "/styles.css", "/"]), hint="forward")


def test_other_paths_come_from_static_files(server, upstream, rng):
    for path, name in [("/about", "about.html"), (rng.choice(["/styles.css", "/app.js", "/help"]), None)]:
        file = STATIC / (name or (path.lstrip("/") if "." in path else path.lstrip("/") + ".html"))
        exchange = fetch(server, "GET", path)
        expect(exchange.status == 200 and exchange.body == file.read_bytes(), exchange,
               expected=f"200 OK with the {len(file.read_bytes())} bytes of static/{file.name}: only /api/ goes to "
                        "the upstream", got=f"{exchange.status} {exchange.reason}, {len(exchange.body)} bytes",
               hint="forward")
        expect(path not in upstream.seen, exchange, expected=f"{path} served by the proxy itself, never forwarded",
               got="the upstream got it too", hint="forward")
