"""wsgi: `server.py --port N --app module:callable` serves any WSGI (PEP 3333) app.

The grader starts your server with `--app graders.advanced.wsgi_probe_app:app`, a probe app that answers
with the environ it was given (see graders/advanced/wsgi_probe_app.py). It runs from the repository
root, so the app's module must be importable from the current folder, as gunicorn does it. The checks:
- environ carries REQUEST_METHOD, PATH_INFO (SCRIPT_NAME + PATH_INFO is the path) and QUERY_STRING,
  still encoded;
- a POST's CONTENT_TYPE and CONTENT_LENGTH, and its body readable from wsgi.input;
- request headers as HTTP_<NAME> keys: X-Probe-Token is HTTP_X_PROBE_TOKEN;
- SERVER_NAME, SERVER_PORT (a string), SERVER_PROTOCOL, and SCRIPT_NAME ('' at the root);
- wsgi.version (1, 0), wsgi.url_scheme "http", wsgi.input, wsgi.errors, and wsgi.multithread,
  wsgi.multiprocess and wsgi.run_once as true/false values;
- the status and the headers given to start_response reach the client, two Set-Cookie headers included;
- the body iterable is sent, every piece (an empty piece is not the end), each piece as it comes: PEP 3333
  forbids holding one back until the next is made (a stream whose second piece takes a second shows it);
- the body's close() is called after the answer, and also when the body raises half-way (a `finally:`);
- an app that calls start_response() a second time with exc_info, before any body, gets its new status: the
  client gets the app's 500 and its error page, not 200 (PEP 3333);
- HEAD is the head of GET: the same status, Content-Type and Content-Length, and no body on the wire;
- wsgiref's demo app works: the server is started a second time, with --app wsgiref.simple_server:demo_app;
- a small Flask app works (graders/advanced/wsgi_flask_app.py), when Flask is installed; skipped otherwise.
Paths, queries, headers and bodies are random, so a hard-coded answer cannot pass.
"""
import importlib.util
import time

import pytest

# LocalServer: boot with another --app
from graders.harness import LocalServer, expect, fetch, head_is_the_head_of_get, open_raw

SERVER_ARGS = ["--app", "graders.advanced.wsgi_probe_app:app"]
WORDS = ["teapot", "kettle", "socket", "lantern", "pebble", "walrus", "noodle", "quill", "crumpet", "otter"]
STATUSES = [201, 202, 203, 208, 226, 402, 409, 410, 418, 451]



def word(rng) -> str:
    return f"{rng.choice(WORDS)}{rng.randint(100, 999)}"


def probe(server, method: str, path: str, **options):
    """Ask the probe app; it answers with the environ it was given, as JSON."""
    exchange = fetch(server, method, path, **options)
    expect(exchange.status == 200, exchange, expected="200 OK from the probe app, with its environ as JSON",
           got=f"{exchange.status} {exchange.reason}", hint="environ")
    return exchange, exchange.json()


def expect_environ(exchange, environ: dict, wanted: dict, hint: str) -> None:
    """Every key in `wanted` must be in environ with that value; list all the wrong ones at once."""
    wrong = []
    for key, value in wanted.items():
        if key not in environ:
            wrong.append(f"{key} is missing (it should be {value!r})")
        elif isinstance(value, str) and not isinstance(environ[key], str):
            wrong.append(f"{key} is {environ[key]!r}, not a str (it should be {value!r}: CGI values are text)")
        elif environ[key] != value:
            wrong.append(f"{key} is {environ[key]!r} (it should be {value!r})")
    expect(not wrong, exchange, expected=f"environ to carry {', '.join(wanted)}",
           got="an environ where\n" + "\n".join(f"    {line}" for line in wrong) + "\n(the probe app's answer, "
               "below, is the environ it received)", hint=hint)


def test_environ_has_method_path_and_query(server, rng):
    method = rng.choice(["GET", "DELETE", "PUT", "PATCH"])
    path = f"/echo/{word(rng)}/{word(rng)}"
    query = f"q={word(rng)}+{word(rng)}&page={rng.randint(2, 99)}&x=%26%3D"   # still encoded in environ
    exchange, environ = probe(server, method, f"{path}?{query}")
    expect_environ(exchange, environ, {"REQUEST_METHOD": method, "QUERY_STRING": query}, hint="environ")
    full_path = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
    expect(full_path == path, exchange, expected=f"SCRIPT_NAME + PATH_INFO to be the path {path!r} (SCRIPT_NAME "
           "is '' for an app at the root; PATH_INFO has no query string)",
           got=f"SCRIPT_NAME={environ.get('SCRIPT_NAME')!r} and PATH_INFO={environ.get('PATH_INFO')!r}", hint="environ")


def test_environ_has_content_type_length_and_body(server, rng):
    body = "&".join(f"{word(rng)}={word(rng)}" for _ in range(rng.randint(3, 30)))
    content_type = rng.choice(["application/x-www-form-urlencoded", "text/plain; charset=utf-8"])
    exchange, environ = probe(server, "POST", f"/echo/{word(rng)}", data=body.encode(),
                              headers={"Content-Type": content_type})
    expect_environ(exchange, environ, {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}, hint="environ")
    expect(environ.get("wsgi.input") == body, exchange,
           expected=f"the {len(body)} bytes of the body to be readable from environ['wsgi.input'] (a file, "
                    "such as io.BytesIO(body))",
           got=f"wsgi.input = {environ.get('wsgi.input')!r}" if "wsgi.input" in environ else "no wsgi.input",
           hint="environ")


def test_request_headers_become_HTTP_keys(server, rng):
    token, language = word(rng), rng.choice(["fr-CH", "de-AT", "pt-BR", "en-NZ"])
    exchange, environ = probe(server, "GET", f"/echo/{word(rng)}",
                              headers={"X-Probe-Token": token, "Accept-Language": language})
    wanted = {"HTTP_X_PROBE_TOKEN": token, "HTTP_ACCEPT_LANGUAGE": language,
              "HTTP_USER_AGENT": "web-servers-from-scratch-grader"}
    wrong = [key for key, value in wanted.items() if environ.get(key) != value]
    headerish = sorted(key for key in environ if key.upper().startswith("HTTP") or token == environ[key])
    expect(not wrong, exchange, expected="each request header as HTTP_<NAME>, upper case, '-' made '_': "
           + ", ".join(f"{key}={value!r}" for key, value in wanted.items()),
           got=f"no {', '.join(wrong)}. The header keys in your environ: {', '.join(headerish) or 'none'}",
           hint="headers")


def test_environ_has_server_keys(server):
    exchange, environ = probe(server, "GET", "/echo/server")
    expect_environ(exchange, environ, {"SERVER_PORT": str(server.port), "SERVER_PROTOCOL": "HTTP/1.1"}, hint="environ")
    name = environ.get("SERVER_NAME")
    expect(isinstance(name, str) and name, exchange, expected="SERVER_NAME, the server's host name, such as "
           "'127.0.0.1' (never empty)", got=f"SERVER_NAME = {name!r}" if "SERVER_NAME" in environ else "none",
           hint="environ")
    expect(isinstance(environ.get("SCRIPT_NAME"), str), exchange, expected="SCRIPT_NAME, where the app is "
           "mounted: '' for an app at the root (PEP 3333 requires the key, even when empty)",
           got=f"SCRIPT_NAME = {environ['SCRIPT_NAME']!r}" if "SCRIPT_NAME" in environ else "none", hint="environ")


def test_environ_has_wsgi_keys(server):
    exchange, environ = probe(server, "GET", "/echo/wsgi")
    expect_environ(exchange, environ, {"wsgi.version": [1, 0], "wsgi.url_scheme": "http", "wsgi.errors": "<writable>"},
                   hint="environ")
    expect(environ.get("wsgi.input") == "", exchange, expected="wsgi.input, a file to read the body from (empty "
           "for a GET)", got=f"wsgi.input = {environ.get('wsgi.input')!r}" if "wsgi.input" in environ else "none",
           hint="environ")
    flags = ["wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once"]
    wrong = [flag for flag in flags if environ.get(flag) not in (True, False)]
    expect(not wrong, exchange, expected=f"{', '.join(flags)} set to True or False",
           got=", ".join(f"{flag} = {environ[flag]!r}" if flag in environ else f"no {flag}" for flag in wrong),
           hint="environ")
    # multithread and multiprocess describe the server's own design, which any value may fit; run_once does
    # not: it promises the app will run once in this process (a CGI script), and this server serves many requests.
    expect(environ.get("wsgi.run_once") is False, exchange, expected="wsgi.run_once = False: the server goes on "
           "serving request after request, so the app is not run once only (PEP 3333)",
           got=f"wsgi.run_once = {environ.get('wsgi.run_once')!r}", hint="environ")


def test_status_and_headers_reach_the_client(server, rng):
    code, token = rng.choice(STATUSES), word(rng)
    exchange = fetch(server, "GET", f"/respond/{code}/{token}")
    expect(exchange.status == code, exchange, expected=f"status {code}, the one the app gave start_response()",
           got=f"{exchange.status} {exchange.reason}", hint="start_response")
    expect(exchange.headers.get("X-Probe-Token") == token, exchange,
           expected=f"the app's header X-Probe-Token: {token}", got="no such header" if "X-Probe-Token" not in
           exchange.headers else f"X-Probe-Token: {exchange.headers['X-Probe-Token']}", hint="start_response")
    cookies = [value.split(";")[0].strip() for value in exchange.headers.get_all("Set-Cookie")]
    expect(f"a={token}" in cookies and "b=2" in cookies, exchange,
           expected=f"both of the app's Set-Cookie headers, a={token} and b=2 (keep the headers as a list: a dict "
                    "keeps only one of them)", got=f"Set-Cookie: {cookies}" if cookies else "no Set-Cookie header",
           hint="start_response")


def test_body_pieces_are_joined(server, rng):
    count, token = rng.randint(3, 7), word(rng)
    exchange = fetch(server, "GET", f"/chunks/{count}/{token}")
    wanted = "".join(f"{token}-{number}\n" for number in range(count))
    expect(exchange.text == wanted, exchange,
           expected=f"the body {wanted!r}: the app gave it in {count + 1} pieces, one of them empty",
           got=repr(exchange.text), hint="body")


def test_each_piece_is_sent_before_the_next_is_made(server, rng):
    token = word(rng)
    path = f"/slow/{token}"
    with open_raw(server, timeout=3) as connection:
        connection.send(f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n\r\n".encode())
        started, seen = time.monotonic(), b""
        while f"first {token}".encode() not in seen and time.monotonic() - started < 0.8:
            connection.sock.settimeout(max(0.01, 0.8 - (time.monotonic() - started)))
            try:
                chunk = connection.sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    expect(f"first {token}".encode() in seen, expected=f"the first piece of GET {path}, 'first {token}', within "
           "0.8 s: the app gave it at once, and its second piece only a second later. PEP 3333: send each piece "
           "as the app gives it (chunked, as it has no Content-Length), never the body joined at the end",
           got=f"{seen[:200]!r}" if seen else "nothing yet", hint="body")


def test_close_is_called_on_the_body(server, rng):
    path = f"/echo/close-me-{word(rng)}"
    answer = fetch(server, "GET", path)
    expect(answer.status == 200, answer, expected="200 OK from the probe app",
           got=f"{answer.status} {answer.reason}", hint="environ")
    deadline = time.monotonic() + 1.0   # your server may call close() just after sending the answer
    while True:
        closed = fetch(server, "GET", "/closed")
        if path in closed.json() or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    expect(path in closed.json(), closed,
           expected=f"{path} among the bodies whose close() was called, a second after its answer",
           got=f"close() called only for {closed.json()}" if closed.json() else "close() never called",
           hint="body")


def closed_paths(server, path: str) -> list:
    """The paths whose body was closed, once `path` is among them or a second has passed."""
    deadline = time.monotonic() + 1.0   # your server may call close() just after sending the answer
    while True:
        closed = fetch(server, "GET", "/closed")
        if path in closed.json() or time.monotonic() > deadline:
            return closed, closed.json()
        time.sleep(0.05)


def test_close_is_called_when_the_body_raises_half_way(server, rng):
    count, token = rng.randint(1, 5), word(rng)
    path = f"/breaks/{count}/{token}"
    try:
        with open_raw(server, timeout=2) as connection:   # whatever comes back: the answer is broken anyway
            connection.send(f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n\r\n".encode())
            connection.wait_for_hang_up(1.0)
    except Exception:
        pass
    closed, paths = closed_paths(server, path)
    expect(path in paths, closed, expected=f"{path} among the bodies whose close() was called: its body gave "
           f"{count} pieces, then raised. close() must run however the loop over the body ends: put it in a "
           "finally:", got=f"close() called only for {paths}" if paths else "close() never called", hint="body")


def test_a_second_start_response_with_exc_info_replaces_the_status(server, rng):
    number, token = rng.randint(0, 11), word(rng)
    where = "before returning its body" if number % 2 == 0 else "in the first step of its body (a generator)"
    exchange = fetch(server, "GET", f"/error-page/{number}/{token}")
    story = (f"The app called start_response('200 OK', ...), then failed and called start_response("
             f"'500 Internal Server Error', ..., exc_info) {where}. No byte of body had gone out, so the second "
             "call's status and headers replace the first (PEP 3333): keep them, do not ignore the call")
    expect(exchange.status == 500, exchange, expected=f"500, the app's second status. {story}",
           got=f"{exchange.status} {exchange.reason}", hint="start_response")
    expect(exchange.text == f"sorry: {token}" and exchange.headers.get("X-Probe-Token") == token, exchange,
           expected=f"the app's error page 'sorry: {token}' with its header X-Probe-Token: {token}. {story}",
           got=f"{exchange.text!r}, X-Probe-Token: {exchange.headers.get('X-Probe-Token')}", hint="start_response")


def test_head_is_the_head_of_get(server, rng):
    head_is_the_head_of_get(server, f"/chunks/{rng.randint(2, 6)}/{word(rng)}", hint="body")


def boot_with_app(server, tmp_path_factory, app: str):
    """Your server.py once more, with another --app; stopped for sure at the end of this module."""
    if not isinstance(server, LocalServer):
        pytest.skip(f"with --server-url the grader cannot start your server with --app {app}")
    other = LocalServer(server.script, tmp_path_factory.mktemp("wsgi-app"), ["--app", app])
    try:
        other.start()
        yield other
    finally:
        other.stop()


def printed(other) -> str:
    """What a server started by boot_with_app printed: the main server's output is shown anyway."""
    lines = other.tail(12).splitlines() or ["(nothing)"]
    return f"\n\nYour server, started with {' '.join(other.args)}, printed (last lines):\n" + "\n".join(
        f"    {line}" for line in lines)


@pytest.fixture(scope="module")
def demo_server(server, tmp_path_factory):
    yield from boot_with_app(server, tmp_path_factory, "wsgiref.simple_server:demo_app")


@pytest.fixture(scope="module")
def flask_server(server, tmp_path_factory):
    if importlib.util.find_spec("flask") is None:
        pytest.skip("Flask is not installed, so the Flask check is skipped (pip install flask to include it)")
    yield from boot_with_app(server, tmp_path_factory, "graders.advanced.wsgi_flask_app:app")


def test_wsgiref_demo_app_works(demo_server, rng):
    path, query = f"/{word(rng)}", f"x={word(rng)}"
    exchange = fetch(demo_server, "GET", f"{path}?{query}")
    expect(exchange.status == 200, exchange, expected="200 OK from wsgiref's demo app",
           got=f"{exchange.status} {exchange.reason}{printed(demo_server)}", hint="start_response")
    expect(exchange.headers.get("Content-Type", "").startswith("text/plain"), exchange,
           expected="the demo app's Content-Type: text/plain", got=exchange.headers.get("Content-Type", "none"),
           hint="start_response")
    for line in ["Hello world!", f"PATH_INFO = '{path}'", f"QUERY_STRING = '{query}'", "wsgi.url_scheme = 'http'"]:
        expect(line in exchange.text, exchange, expected=f"the demo app's page, with the line {line!r} (it "
               "prints the environ it got)", got="a page without it", hint="environ")


def test_flask_app_works(flask_server, rng):
    name, greeting, token = word(rng), word(rng), word(rng)
    exchange = fetch(flask_server, "GET", f"/hello/{name}?greeting={greeting}", headers={"X-Probe-Token": token})
    expect(exchange.status == 200, exchange, expected="200 OK from the Flask app",
           got=f"{exchange.status} {exchange.reason}{printed(flask_server)}", hint="environ")
    wanted = {"hello": name, "greeting": greeting, "token": token}
    expect(exchange.json() == wanted, exchange, expected=f"the JSON {wanted}", got=str(exchange.json()),
           hint="environ")
    value = {"items": [word(rng) for _ in range(3)], "count": rng.randint(1, 99)}
    exchange = fetch(flask_server, "POST", "/echo", json=value)
    expect(exchange.status == 201, exchange, expected="201 Created from the Flask app, which read the JSON body "
           "(it needs CONTENT_TYPE, CONTENT_LENGTH and wsgi.input)",
           got=f"{exchange.status} {exchange.reason}{printed(flask_server)}",
           hint="environ")
    expect(exchange.json() == {"you_sent": value}, exchange, expected=f"the JSON {{'you_sent': {value}}}",
           got=str(exchange.json()), hint="environ")
