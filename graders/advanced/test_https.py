"""https: `server.py --port N --cert CERT.pem --key KEY.pem --redirect-port M` serves the site over TLS.

The grader makes a throwaway certificate authority and a certificate for 127.0.0.1 and localhost (with
trustme), writes them to a temporary folder, and starts your server with --cert, --key and --redirect-port.
Every HTTPS request verifies your server's certificate against that authority. The checks:
- GET / over HTTPS verifies and returns the site's index page, byte for byte;
- answers carry Strict-Transport-Security with a max-age (the index page, other pages and a 404 alike);
- plain HTTP on the redirect port answers 301 or 308 with Location: https://127.0.0.1:N plus the same path and
  the same query, and that Location works; a target in absolute form (GET http://elsewhere.example/x) keeps
  its path and query only; the redirect carries no Strict-Transport-Security (RFC 6797, 7.2: never over plain
  HTTP); HEAD on the redirect port is the head of its GET;
- a client that speaks plain HTTP to the TLS port neither crashes the server nor stops it serving the next
  client (its ssl.SSLError must stay in that client's thread);
- neither does a client that leaves in the middle of its handshake;
- a client that connects to the TLS port and says nothing does not hold up the next one: the handshake must
  run in the client's own thread (or task), not in the accept loop;
- the handshake has a deadline: the grader starts your server with --timeout 1, and a client that says
  nothing, or stalls half-way through its ClientHello, is disconnected soon after.
Paths and queries are random, so a hard-coded answer cannot pass.
"""
import socket
import ssl
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
import urllib3

from graders.ground import STATIC
from graders.harness import Exchange, GraderFailure, LocalServer, expect, fetch, send_raw, with_advice
from graders.harness.checks import head_is_the_head_of_get
from graders.harness.clients import connection_problem
from graders.harness.exchange import Headers
from graders.harness.plugin import target_dir
from graders.supervisor import free_port

STATIC = STATIC
PAGES = ["/about", "/help", "/styles.css", "/app.js", "/complex.html"]
TLS_TIMEOUT = 1.0   # the --timeout the grader gives your server: a handshake must end within it
WORDS = ["teapot", "kettle", "socket", "lantern", "pebble", "walrus", "noodle", "quill", "crumpet", "otter"]


def word(rng) -> str:
    return f"{rng.choice(WORDS)}{rng.randint(100, 999)}"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A throwaway certificate authority and a certificate it signed for 127.0.0.1 and localhost, as PEM files."""
    trustme = pytest.importorskip("trustme", reason="the https grader needs trustme to make a certificate "
                                  "(pip install -e '.[test]', or pip install trustme)")
    folder = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    files = SimpleNamespace(ca=folder / "ca.pem", cert=folder / "cert.pem", key=folder / "key.pem")
    authority.cert_pem.write_to_path(str(files.ca))
    for number, pem in enumerate(certificate.cert_chain_pems):   # the server's certificate first, then the chain
        pem.write_to_path(str(files.cert), append=number > 0)
    certificate.private_key_pem.write_to_path(str(files.key))
    return files


@pytest.fixture(scope="module")
def server(request, tls_files, tmp_path_factory):
    """Your server, started with the grader's certificate, its key and a redirect port; stopped for sure."""
    if request.config.getoption("server_url"):
        pytest.skip("the https grader makes its own certificate, so it must start your server itself: run it "
                    "without --server-url")
    script = target_dir(request.config) / "advanced" / "https" / "server.py"
    if not script.is_file():
        raise GraderFailure(f"The grader expected your server at {script}, but there is no such file.")
    redirect_port = free_port()
    local = LocalServer(script, tmp_path_factory.mktemp("https"), [
        "--cert", tls_files.cert, "--key", tls_files.key, "--redirect-port", redirect_port,
        "--timeout", f"{TLS_TIMEOUT:g}"])
    local.redirect_port = redirect_port
    try:
        local.start()
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="module")
def speaks_tls(server, tls_files) -> str:
    """Once, before the checks: does the TLS port finish a handshake? '' if it does, else what went wrong."""
    if server.exit_code is not None:   # the readiness check connected and left at once, as browsers sometimes do
        return ("no handshake: your server exited before it. The grader's readiness check connected and closed "
                "without a handshake, as browsers sometimes do, and that made your server stop. Such a client "
                "makes the handshake raise ssl.SSLError: catch it in that client's thread, so it ends only that "
                "client")
    context = ssl.create_default_context(cafile=str(tls_files.ca))
    try:
        with socket.create_connection((server.host, server.port), timeout=3) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                return ""
    except ssl.SSLError as error:
        return f"a failed handshake: {tls_problem(error)}"
    except TimeoutError:
        if answers_plain_http(server):
            return ("plain HTTP: your server left the TLS handshake unanswered, and answered an ordinary "
                    "HTTP request on the same port. Wrap each accepted connection with an "
                    "ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER) that loaded --cert and --key")
        return "no answer to the handshake within 3 s"
    except OSError as error:
        server.wait_for_exit(0.5)
        if server.exit_code is not None:
            return ("no handshake: your server exited while the grader connected (see its output above). A "
                    "client that leaves or fails its handshake makes it raise ssl.SSLError: catch it in that "
                    "client's thread, so it ends only that client")
        return f"no handshake: {connection_problem(error, server)}"


def answers_plain_http(server) -> bool:
    try:
        with socket.create_connection((server.host, server.port), timeout=1) as plain:
            plain.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return plain.recv(5) == b"HTTP/"
    except OSError:
        return False


def expect_tls(speaks_tls: str, server) -> None:
    url = f"https://127.0.0.1:{server.port}/"
    expect(not speaks_tls, expected=f"a TLS handshake on {url} (the grader connected as a browser does, and "
           "checked your certificate against the grader's certificate authority)", got=speaks_tls,
           hint="handshake" if "exited" in speaks_tls else "context")


def fetch_https(server, path: str, ca: Path, *, timeout: float = 3.0) -> Exchange:
    """GET https://127.0.0.1:N<path> with `requests`, verifying the certificate against the grader's CA."""
    url = f"https://{server.host}:{server.port}{path}"
    exchange = Exchange("GET", path, f"curl -i --cacert {ca} '{url}'")
    started = time.perf_counter()
    try:
        with requests.Session() as session:
            session.trust_env = False   # no proxy, and REQUESTS_CA_BUNDLE must not replace verify= below
            answer = session.get(url, verify=str(ca), timeout=timeout, allow_redirects=False, stream=True,
                                 headers={"User-Agent": "web-servers-from-scratch-grader"})
            exchange.status, exchange.reason = answer.status_code, answer.reason or ""
            raw = answer.raw.headers
            exchange.headers = Headers((name, value) for name in raw for value in raw.getlist(name))
            head = f"HTTP/1.1 {exchange.status} {exchange.reason}\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in exchange.headers.items()) + "\r\n"
            exchange.raw_head = head.encode("latin-1", "replace")
            try:
                exchange.body = answer.raw.read(decode_content=False)
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise GraderFailure(f"GET {path} over HTTPS: the body did not arrive completely ({error}).\n\n"
                                    f"{exchange.describe()}") from None
    except requests.exceptions.SSLError as error:
        raise GraderFailure(f"GET {path} over HTTPS: the TLS handshake failed: {tls_problem(error)}.\n\n"
                            f"We sent:\n    {exchange.sent}") from None
    except requests.exceptions.Timeout:
        raise GraderFailure(f"GET {path} over HTTPS: no answer within {timeout:g} s: your server accepted the "
                            f"connection but did not finish the TLS handshake or send an answer.\n\n"
                            f"We sent:\n    {exchange.sent}") from None
    except requests.exceptions.RequestException as error:
        server.wait_for_exit(0.5)
        raise GraderFailure(f"GET {path} over HTTPS: {connection_problem(error, server)}.\n\n"
                            f"We sent:\n    {exchange.sent}") from None
    exchange.elapsed = time.perf_counter() - started
    return exchange


def tls_problem(error: Exception) -> str:
    """The reason behind an SSLError, and what it usually means for a learner's server."""
    reason = str(error)
    if "WRONG_VERSION_NUMBER" in reason or "record layer failure" in reason or "http request" in reason.lower():
        return ("your server answered in plain HTTP, not TLS. Wrap each accepted connection with an "
                "ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER) that loaded --cert and --key")
    if "CERTIFICATE_VERIFY_FAILED" in reason:
        return ("your server's certificate did not verify against the grader's certificate authority. Load "
                f"exactly the files given as --cert and --key ({reason[-160:]})")
    if "EOF" in reason or "reset" in reason.lower():
        return f"your server closed the connection during the handshake ({reason[-160:]})"
    return reason[-240:]


def test_get_over_https_serves_the_index_page(server, tls_files, speaks_tls):
    expect_tls(speaks_tls, server)
    answer = fetch_https(server, "/", tls_files.ca)
    wanted = (STATIC / "index.html").read_bytes()
    expect(answer.status == 200, answer, expected="200 OK with the site's index page, over HTTPS",
           got=f"{answer.status} {answer.reason}", hint="context")
    expect(answer.body == wanted, answer, expected=f"the {len(wanted)} bytes of static/index.html",
           got=f"{len(answer.body)} bytes that differ", hint="context")


def expect_hsts(answer: Exchange) -> None:
    value = answer.headers.get("Strict-Transport-Security")
    expect(value is not None, answer, expected="a Strict-Transport-Security header (HSTS) with a max-age, so a "
           "browser uses HTTPS for this site from then on, even when someone types http://",
           got="no Strict-Transport-Security header", hint="hsts")
    age = [part.strip()[8:] for part in value.split(";") if part.strip().lower().startswith("max-age=")]
    expect(age and age[0].strip('"').isdigit() and int(age[0].strip('"')) > 0, answer,
           expected="Strict-Transport-Security with max-age=<seconds>, more than 0 (max-age=31536000 is a year)",
           got=f"Strict-Transport-Security: {value}", hint="hsts")


def test_answers_carry_strict_transport_security(server, tls_files, speaks_tls, rng):
    expect_tls(speaks_tls, server)
    for path in ["/", rng.choice(PAGES), f"/{word(rng)}-missing"]:
        answer = fetch_https(server, path, tls_files.ca)
        expect(answer.status in (200, 404), answer, expected="200 OK (or 404 for a page that does not exist)",
               got=f"{answer.status} {answer.reason}", hint="context")
        expect_hsts(answer)


def wait_for_port(port: int, seconds: float = 3.0) -> bool:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def test_plain_http_on_the_redirect_port_goes_to_https_with_path_and_query(server, tls_files, speaks_tls, rng):
    plain = redirect_listener(server)
    expect(wait_for_port(plain.port), expected=f"a plain-HTTP listener on the redirect port {plain.port} (the grader "
           f"started your server with --redirect-port {plain.port})", got="nothing accepted a connection there "
           "within 3 s", hint="redirect")
    path = rng.choice(PAGES)
    query = f"from={word(rng)}&page={rng.randint(2, 99)}"
    answer = fetch(plain, "GET", f"{path}?{query}")
    expect(answer.status in (301, 308), answer, expected="301 Moved Permanently (or 308) to the same page over HTTPS",
           got=f"{answer.status} {answer.reason}", hint="redirect")
    location = answer.headers.get("Location", "")
    wanted = f"https://127.0.0.1:{server.port}{path}?{query}"
    parts = urlsplit(location)
    expect(location, answer, expected=f"a Location header: {wanted}", got="no Location header", hint="redirect")
    expect(parts.scheme == "https" and parts.hostname in ("127.0.0.1", "localhost") and port_of(parts) == server.port,
           answer, expected=f"Location: {wanted} (https, this host, and the TLS port {server.port}, not the "
           f"redirect port {plain.port})", got=f"Location: {location}", hint="redirect")
    expect(parts.path == path, answer, expected=f"Location: {wanted}, with the path {path} the visitor asked for",
           got=f"Location: {location}", hint="redirect")
    expect(parts.query == query, answer,
           expected=f"Location: {wanted}, with the query ?{query} too",
           got=f"Location: {location}, which dropped the query string" if not parts.query else f"Location: {location}",
           hint="redirect")
    hsts = answer.headers.get("Strict-Transport-Security")
    expect(hsts is None, answer, expected="no Strict-Transport-Security on the plain-HTTP redirect: RFC 6797 (7.2) "
           "says a server MUST NOT send it over plain HTTP, where anyone on the way could forge or strip it; it goes "
           "on the answers sent over TLS only", got=f"Strict-Transport-Security: {hsts}", hint="hsts")
    expect_tls(speaks_tls, server)
    followed = fetch_https(server, f"{path}?{query}", tls_files.ca)
    expect(followed.status == 200, followed, expected=f"200 OK for the page the redirect points to, {path}",
           got=f"{followed.status} {followed.reason}", hint="redirect")


def port_of(parts) -> int | None:
    """The port of a split URL, or None where it is not a number ("https://127.0.0.1:8443http://...")."""
    try:
        return parts.port
    except ValueError:
        return None


def redirect_listener(server) -> SimpleNamespace:
    return SimpleNamespace(host="127.0.0.1", port=server.redirect_port, url=f"http://127.0.0.1:{server.redirect_port}",
                           wait_for_exit=server.wait_for_exit)


def test_absolute_form_target_on_the_redirect_port_keeps_only_its_path(server, rng):
    plain = redirect_listener(server)
    expect(wait_for_port(plain.port), expected=f"a plain-HTTP listener on the redirect port {plain.port}",
           got="nothing accepted a connection there within 3 s", hint="redirect")
    path, query = f"/{word(rng)}/{word(rng)}", f"q={word(rng)}"
    elsewhere = rng.choice(["http://evil.example", "http://evil.example:8080", "HTTP://Evil.Example"])
    host = rng.choice([f"127.0.0.1:{plain.port}", f"localhost:{plain.port}"])
    answer = send_raw(plain, f"GET {elsewhere}{path}?{query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                      .encode())
    wanted = f"https://127.0.0.1:{server.port}{path}?{query}"
    location = answer.headers.get("Location", "")
    parts = urlsplit(location)
    expect(answer.status in (301, 308) and parts.scheme == "https" and parts.hostname in ("127.0.0.1", "localhost")
           and port_of(parts) == server.port and parts.path == path and parts.query == query, answer,
           expected=f"301 (or 308) with Location: {wanted}. The target came in absolute form, "
                    f"{elsewhere}{path}?{query}, as a client talking to a proxy sends it (RFC 9112, 3.2.2): only its "
                    "path and query go after the TLS port, never the whole target",
           got=f"{answer.status} {answer.reason}, Location: {location}" if location else
               f"{answer.status} {answer.reason}, no Location", hint="redirect")


def test_head_on_the_redirect_port_is_the_head_of_get(server, rng):
    plain = redirect_listener(server)
    expect(wait_for_port(plain.port), expected=f"a plain-HTTP listener on the redirect port {plain.port}",
           got="nothing accepted a connection there within 3 s", hint="redirect")
    head_is_the_head_of_get(plain, f"{rng.choice(PAGES)}?from={word(rng)}", hint="redirect")


def still_open(sock: socket.socket, seconds: float) -> bool:
    """True if the server has not closed the connection after `seconds` (what it sends meanwhile is dropped)."""
    return drain(sock, seconds) is None


def test_a_stalled_handshake_is_cut_at_the_deadline(server, tls_files, speaks_tls, rng):
    expect_tls(speaks_tls, server)
    hello = client_hello()
    silent = socket.create_connection((server.host, server.port), timeout=3)
    stalled = socket.create_connection((server.host, server.port), timeout=3)
    try:
        stalled.sendall(hello[:rng.randint(5, len(hello) - 5)])   # part of a ClientHello, then silence
        grace = TLS_TIMEOUT + 2.5
        left_open = [name for name, sock in [("said nothing", silent), ("stalled half-way through its ClientHello",
                                                                          stalled)] if still_open(sock, grace)]
    finally:
        silent.close()
        stalled.close()
    expect(not left_open, expected=f"the connection closed within about {TLS_TIMEOUT:g} s (the grader started your "
           f"server with --timeout {TLS_TIMEOUT:g}) when a client {left_open[0] if left_open else ''}",
           got=f"it still open after {TLS_TIMEOUT + 2.5:g} s: do_handshake() waits for the client's bytes for ever "
               "unless the socket has a timeout. Call tls.settimeout(args.timeout) before do_handshake(), or each "
               "silent client keeps a thread and a socket for good", hint="handshake")


def expect_still_serving(server, tls_files, what: str, hint: str) -> None:
    """After a misbehaving client: a good client is served over HTTPS, promptly."""
    try:
        answer = fetch_https(server, "/", tls_files.ca, timeout=3.0)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"the next HTTPS client served as usual, after {what}", hint=hint) from None
    expect(answer.status == 200, answer, expected=f"200 OK for the next client, after {what}",
           got=f"{answer.status} {answer.reason}", hint=hint)


def drain(sock: socket.socket, seconds: float) -> bytes | None:
    """Whatever the server sends until it closes the connection, or None if `seconds` pass first."""
    received, give_up = b"", time.monotonic() + seconds
    try:
        while (left := give_up - time.monotonic()) > 0:
            sock.settimeout(left)
            chunk = sock.recv(4096)
            if not chunk:
                return received
            received += chunk
    except TimeoutError:
        return None
    except OSError:
        return received                             # a reset closes it too
    return None


def test_plain_http_client_on_the_tls_port_does_not_stop_the_server(server, tls_files, speaks_tls, rng):
    expect_tls(speaks_tls, server)
    with socket.create_connection((server.host, server.port), timeout=3) as plain:
        plain.sendall(f"GET /{word(rng)} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        drain(plain, 1.5)   # a TLS alert, or nothing, then the close: the grader does not mind which
    expect_still_serving(server, tls_files, "a client sent plain HTTP to the TLS port (its handshake fails with "
                         "ssl.SSLError: catch it for that client only, so the accept loop goes on)", hint="handshake")


def client_hello() -> bytes:
    """The first flight of a real TLS handshake, as a browser would send it."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def test_client_leaving_mid_handshake_does_not_stop_the_server(server, tls_files, speaks_tls):
    expect_tls(speaks_tls, server)
    hello = client_hello()
    with socket.create_connection((server.host, server.port), timeout=3) as leaver:
        leaver.sendall(hello[: len(hello) // 2])   # half a ClientHello, then gone
    time.sleep(0.2)
    expect_still_serving(server, tls_files, "a client left in the middle of its TLS handshake (the handshake "
                         "raises ssl.SSLError or OSError: catch it for that client only)", hint="handshake")


def test_silent_client_does_not_hold_up_the_next_one(server, tls_files, speaks_tls):
    expect_tls(speaks_tls, server)
    with socket.create_connection((server.host, server.port), timeout=3):   # connects, then says nothing
        time.sleep(0.2)
        expect_still_serving(server, tls_files, "another client connected to the TLS port and said nothing. The "
                             "handshake waits for the client's first bytes: run it in the client's own thread "
                             "(wrap_socket with do_handshake_on_connect=False, then do_handshake() there), never "
                             "in the accept loop", hint="handshake")
