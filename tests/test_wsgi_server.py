"""wsgi_server runs a probe app that echoes environ, wsgiref's demo app, and (when installed) Flask."""
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from graders.ground import KIT_ROOT as ROOT
from graders.supervisor import running
from tests.reference_helpers import exchange, get

PROBE_LOG = {}   # the probe server's output file, for the tests that read what it printed


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    log = tmp_path_factory.mktemp("probe") / "server.log"
    PROBE_LOG["path"] = log
    with running("wsgi_server", ["--app", "tests.wsgi_probe:app"], log=log) as port:
        yield port


def test_environ_carries_method_path_query_and_headers(probe):
    reply = get(probe, "/caf%C3%A9/menu?size=large&x=%20", extra=b"X-Request-Id: abc-123\r\nAccept: */*\r\n")
    environ = json.loads(reply.body)
    assert reply.header("x-probe") == "yes"
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/café/menu"
    assert environ["QUERY_STRING"] == "size=large&x=%20"
    assert environ["HTTP_X_REQUEST_ID"] == "abc-123"
    assert environ["HTTP_ACCEPT"] == "*/*"
    assert environ["SERVER_PORT"] == str(probe)
    assert environ["wsgi.url_scheme"] == "http" and environ["wsgi.version"] == [1, 0]
    assert environ["CONTENT_LENGTH"] == "" and environ["SCRIPT_NAME"] == ""


def test_post_body_reaches_wsgi_input(probe):
    body = "name=Ada&message=" + "é" * 900
    raw = (f"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           f"Content-Length: {len(body.encode())}\r\n\r\n").encode() + body.encode()
    environ = json.loads(exchange(probe, [raw[:60], raw[60:900], raw[900:]], pause=0.02).body)
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert environ["CONTENT_LENGTH"] == str(len(body.encode()))
    assert "HTTP_CONTENT_LENGTH" not in environ and "HTTP_CONTENT_TYPE" not in environ
    assert environ["body"] == body


def test_wsgiref_demo_app(tmp_path):
    with running("wsgi_server", ["--app", "wsgiref.simple_server:demo_app"], log=tmp_path / "log") as port:
        reply = get(port, "/hello?there=1")
    assert reply.status == 200
    assert b"Hello world!" in reply.body
    assert b"PATH_INFO = '/hello'" in reply.body and b"QUERY_STRING = 'there=1'" in reply.body


@pytest.mark.skipif(not importlib.util.find_spec("flask"), reason="Flask is not installed")
def test_flask_app_runs_and_answers_head_with_its_length(tmp_path):
    with running("wsgi_server", ["--app", "tools.demo_apps.flask_app:app"], log=tmp_path / "log") as port:
        reply = get(port, "/hello?name=Ada")
        head = get(port, "/hello?name=Ada", method="HEAD")
    assert json.loads(reply.body)["hello"] == "Ada"
    assert head.status == 200 and head.header("content-length") == str(len(reply.body))


@pytest.mark.parametrize("spec, words", [
    ("no_such_module:app", "cannot import 'no_such_module'"),
    ("json:no_such_app", "has no 'no_such_app'"),
    ("json", "wants module:callable"),
])
def test_a_bad_app_gives_one_clear_line(spec, words):
    result = subprocess.run([sys.executable, "-m", "reference.wsgi_server", "--port", "8999", "--app", spec],
                            cwd=ROOT, capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert words in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(not importlib.util.find_spec("flask"), reason="Flask is not installed")
def test_flask_app_keeps_to_the_sites_rules(tmp_path):
    """The default Flask app serves the site like every other server: /about is about.html, an unknown path
    is the 404 page, and no path or symlink leads out of static/."""
    site = tmp_path / "static"
    shutil.copytree(ROOT / "static", site)
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "secret.txt").write_text("TOP SECRET")
    if os.name != "nt":
        (site / "escape").symlink_to(tmp_path / "private")
    with running("wsgi_server", ["--app", "tools.demo_apps.flask_app:app"], log=tmp_path / "log",
                 env={"SITE_STATIC": str(site)}) as port:
        about, missing = get(port, "/about"), get(port, "/no-such-page")
        escapes = [get(port, path) for path in ("/escape/secret.txt", "/../private/secret.txt")]
    assert about.status == 200 and about.body == (site / "about.html").read_bytes()
    assert missing.status == 404 and missing.body == (site / "404.html").read_bytes()
    for reply in escapes:
        assert reply.status in (400, 404) and b"TOP SECRET" not in reply.body


# ---- Streaming, close(), errors, and what an app may not put on the wire ----

def test_a_body_without_end_is_streamed_not_gathered(probe):
    """An app's endless body: the first bytes come at once, chunked, and memory does not grow with it."""
    with socket.create_connection(("127.0.0.1", probe), timeout=5) as sock:
        sock.sendall(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while len(data) < 2_000_000:      # far more than one piece: the server sends as the app makes
            data += sock.recv(65536)
    head = data.split(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 200") and b"transfer-encoding: chunked" in head
    time.sleep(0.2)                        # the server notices we left, stops, and closes the body
    assert "/endless" in json.loads(get(probe, "/closed").body)


def test_pieces_are_sent_as_chunks_and_an_http_1_0_client_gets_them_until_the_close(probe):
    assert get(probe, "/pieces").body == b"one two three"          # parse_reply reads the chunks
    old = exchange(probe, b"GET /pieces HTTP/1.0\r\n\r\n")
    assert old.body == b"one two three" and old.header("transfer-encoding") is None


def test_close_is_called_when_the_body_raises_half_way(probe, capfd):
    try:
        get(probe, "/breaks-mid-body")
    except Exception:
        pass                               # the answer is cut short: that is how the client learns
    time.sleep(0.1)
    assert "/breaks-mid-body" in json.loads(get(probe, "/closed").body)


def test_a_second_start_response_with_exc_info_replaces_the_status(probe):
    reply = get(probe, "/error-page")
    assert reply.status == 500 and reply.body == b"the app's own error page"


@pytest.mark.parametrize("path", ["/bad/crlf", "/bad/lf", "/bad/nul", "/bad/name", "/bad/latin1",
                                  "/bad/status-abc", "/bad/status-99999", "/bad/status-crlf"])
def test_a_status_or_header_that_would_break_the_head_gets_500(probe, path):
    reply = get(probe, path)
    assert reply.status == 500
    assert b"injected" not in reply.raw and b"should never be sent" not in reply.raw
    time.sleep(0.05)
    said = PROBE_LOG["path"].read_text()
    assert "wsgi: answering 500: the app's" in said
    assert path in json.loads(get(probe, "/closed").body)          # its body was closed all the same


def test_the_wsgi_solution_answers_500_to_a_head_that_would_break_too(tmp_path):
    """The wsgi challenge's solution (and its starter: the check is handed over) refuses the same apps."""
    from graders.supervisor import ServerProcess, free_port
    port, log = free_port(), tmp_path / "solution.log"
    command = [sys.executable, "-u", str(ROOT / "solutions" / "advanced" / "wsgi" / "server.py"), "--port", str(port),
               "--app", "tests.wsgi_probe:app"]
    server = ServerProcess(command, log, {**os.environ, "PYTHONPATH": str(ROOT)})
    server.start()
    try:
        server.wait_until_listening(port)
        replies = {path: get(port, path) for path in ("/bad/crlf", "/bad/status-abc", "/bad/status-99999",
                                                      "/bad/latin1", "/bad/name")}
    finally:
        server.stop()
    for path, reply in replies.items():
        assert reply.status == 500 and b"injected" not in reply.raw, path
    assert log.read_text().count("wsgi: answering 500: the app's") == len(replies)
