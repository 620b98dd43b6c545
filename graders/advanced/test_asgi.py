"""asgi: `server.py --port N --app module:callable` runs any ASGI 3 app over HTTP.

The grader starts your server with `--app graders.advanced.asgi_probe_app:app`, a probe app that answers
with the scope it was given and the events receive() brought (see graders/advanced/asgi_probe_app.py). It runs
from the repository root, so the app's module must be importable from the current folder. The checks:
- the http scope carries type "http", asgi.version "3.0", http_version, method, scheme "http", root_path, and
  client and server as [host, port];
- path is percent-decoded text, raw_path the path as sent, in bytes;
- query_string is bytes, still percent-encoded;
- headers are (name, value) pairs of bytes, names lower-cased, in the order sent, repeats kept;
- the body reaches the app through receive() as http.request events (more_body true on all but the last),
  even when it arrives in several TCP writes;
- once the client has left, receive() gives the app http.disconnect;
- the status and headers of http.response.start reach the client, two Set-Cookie headers included;
- body events reach the client as they are sent: the probe app pauses 0.8 s between three pieces, and the
  first piece must arrive within 1 s of the request, long before the app is done (chunked encoding, or no
  length and a close; the framing is checked strictly with h11);
- an app that raises before its answer started gives a 500, and the server goes on serving;
- HEAD is the head of GET (the app sends a body; the server sends none, and the same Content-Length);
- a client that promises a body, sends part of it and leaves does not stop the server;
- lifespan: the app got lifespan.startup before the first request, and lifespan.shutdown when the server is
  stopped with Ctrl+C (SIGINT; Linux and macOS only, as Windows has no such signal to send);
- an app that raises on a lifespan scope, as many small apps do, is still served;
- an app whose startup takes a second is not sent requests before its lifespan.startup.complete: the grader
  asks at once when your server accepts connections, and the app says whether it was ready;
- an app that answers lifespan.startup.failed stops the server, which prints the app's message;
- a small Starlette app works (graders/advanced/asgi_starlette_app.py), when Starlette is installed;
  skipped otherwise, with the reason.
Paths, queries, headers and bodies are random, so a hard-coded answer cannot pass.
"""
import importlib.util
import os
import signal
import socket
import time

import h11
import pytest

from graders.harness import GraderFailure, LocalServer, expect, fetch, open_raw, send_raw, with_advice
from graders.harness.checks import head_is_the_head_of_get, survives_a_short_body

SERVER_ARGS = ["--app", "graders.advanced.asgi_probe_app:app"]
WORDS = ["teapot", "kettle", "socket", "lantern", "pebble", "walrus", "noodle", "quill", "crumpet", "otter"]
STATUSES = [201, 202, 203, 226, 402, 409, 410, 418, 451]
PAUSE = 0.8            # the probe app's pause between streamed pieces
FIRST_PIECE_BY = 1.0   # seconds after the request; a server that buffers sends it after 2 * PAUSE at the earliest


def word(rng) -> str:
    return f"{rng.choice(WORDS)}{rng.randint(100, 999)}"


def as_bytes(value) -> str | None:
    """The text of a value the probe app showed as bytes ({"bytes": ...}), else None."""
    return value["bytes"] if isinstance(value, dict) and set(value) == {"bytes"} else None


def kind(value) -> str:
    if as_bytes(value) is not None:
        return "bytes"
    return {str: "a str", list: "a list", dict: "a dict", int: "an int", type(None): "None"}.get(type(value), "?")


def probe(server, method: str, path: str, **options):
    """Ask the probe app; it answers with the scope and events it was given, as JSON."""
    try:
        exchange = fetch(server, method, path, **options)
    except GraderFailure as failure:
        raise with_advice(failure, expected="the probe app's JSON answer. The app sent it with "
                          "http.response.start and http.response.body: send() must write them to the client",
                          hint="stream") from None
    expect(exchange.status == 200, exchange, expected="200 OK from the probe app, with its scope as JSON",
           got=f"{exchange.status} {exchange.reason}", hint="scope")
    return exchange, exchange.json()


def test_scope_has_type_versions_method_scheme_client_and_server(server, rng):
    method = rng.choice(["GET", "PUT", "DELETE", "PATCH"])
    exchange, echo = probe(server, method, f"/echo/{word(rng)}")
    scope, wrong = echo["scope"], []
    wanted = {"type": "http", "http_version": "1.1", "method": method, "scheme": "http", "root_path": ""}
    for key, value in wanted.items():
        if key not in scope:
            wrong.append(f"{key} is missing (it should be {value!r})")
        elif scope[key] != value:
            wrong.append(f"{key} is {kind(scope[key])} {as_bytes(scope[key]) or scope[key]!r} (it should be the str "
                         f"{value!r})")
    asgi = scope.get("asgi")
    if not isinstance(asgi, dict) or asgi.get("version") != "3.0":
        wrong.append(f"asgi is {asgi!r} (it should be a dict with 'version': '3.0')")
    for key, port in [("client", None), ("server", server.port)]:
        value = scope.get(key)
        if not (isinstance(value, list) and len(value) == 2 and value[0] == "127.0.0.1" and isinstance(value[1], int)
                and (port is None or value[1] == port)):
            wrong.append(f"{key} is {value!r} (it should be [host, port]: ['127.0.0.1', "
                         f"{port if port else 'the client port'}])")
    expect(not wrong, exchange, expected="an http scope with type, asgi, http_version, method, scheme, root_path, "
           "client and server", got="a scope where\n" + "\n".join(f"    {line}" for line in wrong) + "\n(the probe "
           "app's answer, below, is the scope it received)", hint="scope")


def test_path_is_decoded_and_raw_path_is_the_bytes_sent(server, rng):
    token = word(rng)
    raw = f"/echo/caf%C3%A9%20{token}/%E2%9C%93"
    exchange, echo = probe(server, "GET", raw)
    path, raw_path = echo["scope"].get("path"), echo["scope"].get("raw_path")
    decoded = f"/echo/café {token}/✓"
    expect(path == decoded, exchange, expected=f"scope['path'] percent-decoded as UTF-8 text: {decoded!r}",
           got=(f"{kind(path)} {as_bytes(path) or path!r}" if "path" in echo["scope"] else "no path") + (
               ", still percent-encoded: decode it (the parser's request.path is)" if path == raw else ""),
           hint="scope")
    expect(as_bytes(raw_path) == raw, exchange, expected=f"scope['raw_path'], the path exactly as sent, in bytes: "
           f"b{raw!r}", got=f"{kind(raw_path)} {as_bytes(raw_path) or raw_path!r}" if "raw_path" in echo["scope"]
           else "no raw_path", hint="scope")


def test_query_string_is_bytes_still_encoded(server, rng):
    query = f"q={word(rng)}+{word(rng)}&page={rng.randint(2, 99)}&x=%26%3D"
    exchange, echo = probe(server, "GET", f"/echo/{word(rng)}?{query}")
    value = echo["scope"].get("query_string")
    got = f"{kind(value)} {as_bytes(value) or value!r}" if "query_string" in echo["scope"] else "no query_string"
    if isinstance(value, str):
        got += ": ASGI wants bytes, so an app can decode it as it likes (Starlette calls .decode() on it)"
    expect(as_bytes(value) == query, exchange, expected=f"scope['query_string'] as bytes, still percent-encoded: "
           f"b{query!r}", got=got, hint="scope")


def test_headers_are_lower_cased_byte_pairs_in_order_with_repeats(server, rng):
    first, second, language = word(rng), word(rng), rng.choice(["fr-CH", "de-AT", "pt-BR", "en-NZ"])
    request = (f"GET /echo/{word(rng)} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nX-Probe-Token: {first}\r\n"
               f"Accept-Language: {language}\r\nX-PROBE-TOKEN: {second}\r\nConnection: close\r\n\r\n").encode()
    exchange = send_raw(server, request)
    expect(exchange.status == 200, exchange, expected="200 OK from the probe app, with its scope as JSON",
           got=f"{exchange.status} {exchange.reason}", hint="scope")
    headers = exchange.json()["scope"].get("headers")
    expect(isinstance(headers, list), exchange, expected="scope['headers'], a list of (name, value) pairs",
           got=f"{kind(headers)}" if headers is not None else "no headers", hint="scope")
    pairs = [pair for pair in headers if isinstance(pair, list) and len(pair) == 2]
    expect(len(pairs) == len(headers), exchange, expected="scope['headers'] as a list of (name, value) pairs",
           got=f"{headers[:3]!r}...", hint="scope")
    not_bytes = [pair for pair in pairs if as_bytes(pair[0]) is None or as_bytes(pair[1]) is None]
    expect(not not_bytes, exchange, expected="every header as a pair of bytes: (b'x-probe-token', b'" + first + "')",
           got=f"names that are {kind(not_bytes[0][0])} and values that are {kind(not_bytes[0][1])}, such as "
               f"{not_bytes[0]!r}"
           if not_bytes else None, hint="scope")
    texts = [(as_bytes(name), as_bytes(value)) for name, value in pairs]
    upper = [name for name, _ in texts if name != name.lower()]
    expect(not upper, exchange, expected="header names lower-cased: b'x-probe-token', b'accept-language'",
           got=f"names as sent, such as {upper[:3]}", hint="scope")
    wanted = [("x-probe-token", first), ("accept-language", language), ("x-probe-token", second)]
    seen = [pair for pair in texts if pair[0] in ("x-probe-token", "accept-language")]
    expect(seen == wanted, exchange, expected=f"the headers in the order sent, a repeated header kept twice: "
           f"{wanted}", got=f"{seen}" + (" (the repeated header was joined into one: keep request.header_list's "
                                         "pairs as they are)" if len(seen) == 2 else ""), hint="scope")


def test_body_reaches_the_app_through_receive(server, rng):
    size = rng.randint(20_000, 200_000)
    body = rng.randbytes(size)
    head = (f"POST /echo/{word(rng)} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n").encode()
    exchange = send_raw(server, [head, body[: size // 3], body[size // 3:]], pause=0.05)
    expect(exchange.status == 200, exchange, expected="200 OK from the probe app, with its scope as JSON",
           got=f"{exchange.status} {exchange.reason}", hint="receive")
    echo = exchange.json()
    events = echo["events"]
    types = [event["type"] for event in events]
    expect(types and all(kind == "http.request" for kind in types), exchange,
           expected="receive() to give http.request events until the body is complete",
           got=f"the events {types}", hint="receive")
    expect(all(event["body_type"] == "bytes" for event in events), exchange,
           expected="each event's body in bytes", got=f"bodies of type {[e['body_type'] for e in events]}",
           hint="receive")
    flags = [event["more_body"] for event in events]
    expect(flags[-1] is False and all(flags[:-1]), exchange,
           expected="more_body true on every http.request event but the last, and false on the last",
           got=f"more_body {flags}", hint="receive")
    got = echo["body"].encode("latin-1")
    expect(got == body, exchange, expected=f"the {size} bytes of the body, through receive()",
           got=f"{len(got)} bytes" + (" that differ" if len(got) == size else ""), hint="receive")


def test_receive_gives_disconnect_once_the_client_left(server, rng):
    token = word(rng)
    with open_raw(server, timeout=3) as connection:
        connection.send(f"GET /linger/{token} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        received, give_up = b"", time.monotonic() + 3
        while b"waiting for you to leave" not in received and time.monotonic() < give_up:
            try:
                chunk = connection.sock.recv(4096)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
        expect(b"waiting for you to leave" in received, expected="the head and the first piece of /linger's "
               "answer (sent with more_body=True) while the app waits on receive(): each body event must go "
               "out as it comes", got=repr(received[:300]) if received else "nothing within 3 s", hint="stream")
    deadline, seen = time.monotonic() + 2, []
    while token not in seen and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = probe_json(server, "/disconnected")
    expect(token in seen, expected=f"the app's receive() to give {{'type': 'http.disconnect'}} within 2 s of the "
           f"client closing its connection (GET /linger/{token}: after its body, receive() must wait until the "
           "client is gone, then say so)", got="no http.disconnect: the app is still waiting, or got another event",
           hint="receive")


def probe_json(server, path: str):
    exchange = fetch(server, "GET", path)
    return exchange.json() if exchange.status == 200 else []


def test_status_and_headers_reach_the_client(server, rng):
    code, token = rng.choice(STATUSES), word(rng)
    exchange = fetch(server, "GET", f"/respond/{code}/{token}")
    expect(exchange.status == code, exchange, expected=f"status {code}, the one in the app's http.response.start",
           got=f"{exchange.status} {exchange.reason}", hint="stream")
    expect(exchange.headers.get("X-Probe-Token") == token, exchange,
           expected=f"the app's header x-probe-token: {token}", got="no such header" if "X-Probe-Token" not in
           exchange.headers else f"X-Probe-Token: {exchange.headers['X-Probe-Token']}", hint="stream")
    cookies = [value.split(";")[0].strip() for value in exchange.headers.get_all("Set-Cookie")]
    expect(f"a={token}" in cookies and "b=2" in cookies, exchange,
           expected=f"both of the app's set-cookie headers, a={token} and b=2",
           got=f"Set-Cookie: {cookies}" if cookies else "no Set-Cookie header", hint="stream")


def test_body_pieces_reach_the_client_as_the_app_sends_them(server, rng):
    token, count = word(rng), 3
    pieces, times, problem = read_stream(server, f"/stream/{count}/{int(PAUSE * 1000)}/{token}")
    wanted = "".join(f"{token}-{number}\n" for number in range(count))
    expect(not problem, expected=f"a valid HTTP/1.1 answer to GET /stream/{count}/{int(PAUSE * 1000)}/{token}",
           got=problem, hint="stream")
    body = b"".join(pieces).decode("utf-8", "replace")
    expect(body == wanted, expected=f"the body {wanted!r}: the app sent it in {count} pieces, {PAUSE:g} s apart",
           got=repr(body), hint="stream")
    expect(times[0] < FIRST_PIECE_BY, expected=f"the first piece within {FIRST_PIECE_BY:g} s of the request: the app "
           f"sends it at once, then pauses {PAUSE:g} s before each of the next {count - 1}",
           got=f"it arrived after {times[0]:.2f} s, when the app had finished (the last piece came at "
               f"{times[-1]:.2f} s). Your server keeps the body until the app is done: write each "
               "http.response.body event the moment it comes (in chunks, as the length is not known yet)",
           hint="stream")


def read_stream(server, path: str):
    """GET path on a raw socket, parsed strictly by h11: (body pieces, their arrival times, problem or '')."""
    sock = socket.create_connection((server.host, server.port), timeout=5)
    parser = h11.Connection(our_role=h11.CLIENT)
    pieces, times = [], []
    try:
        sock.sendall(parser.send(h11.Request(method="GET", target=path, headers=[
            ("Host", f"127.0.0.1:{server.port}"), ("Connection", "close")])) + parser.send(h11.EndOfMessage()))
        started = time.monotonic()
        while True:
            event = parser.next_event()
            if event is h11.NEED_DATA:
                try:
                    parser.receive_data(sock.recv(65536))
                except TimeoutError:
                    return pieces, times or [99.0], "no more bytes within 5 s, and the answer was not complete"
            elif isinstance(event, h11.Response):
                if event.status_code != 200:
                    return pieces, times or [99.0], f"status {event.status_code}, not 200"
            elif isinstance(event, h11.Data):
                pieces.append(event.data)
                times.append(time.monotonic() - started)
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                return pieces, times or [99.0], ""
    except h11.RemoteProtocolError as error:
        return pieces, times or [99.0], f"an answer that is not valid HTTP/1.1 ({error}): check the chunk framing"
    except OSError as error:
        return pieces, times or [99.0], f"the connection failed ({error})"
    finally:
        sock.close()


def test_app_exception_gives_500_and_the_server_goes_on(server, rng):
    path = f"/raise/{word(rng)}"
    try:
        exchange = fetch(server, "GET", path)
    except GraderFailure as failure:
        raise with_advice(failure, expected="a 500 page: the app raised before http.response.start, so nothing "
                          "reached the client yet", hint="errors") from None
    expect(exchange.status == 500, exchange, expected="500 Internal Server Error: the app raised before "
           "http.response.start", got=f"{exchange.status} {exchange.reason}", hint="errors")
    try:
        probe(server, "GET", f"/echo/{word(rng)}")
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"the next request served as usual, after the app raised on {path}",
                          hint="errors") from None


def test_head_is_the_head_of_get(server, rng):
    path = f"/respond/{rng.choice([200, 203, 418])}/{word(rng)}"
    # The app makes a body for HEAD too; the server sends none. RFC 9110 (9.3.2) lets a HEAD answer leave out a
    # length known only once the body is made, so only a length that is sent is compared.
    head_is_the_head_of_get(server, path, hint="stream", same_length=False)
    request = f"{{}} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n"
    get, head = (send_raw(server, request.format(method).encode()) for method in ("GET", "HEAD"))
    want, got = get.headers.get("Content-Length"), head.headers.get("Content-Length")
    expect(got is None or got == want, head, expected=f"Content-Length: {want}, as GET {path} says (or none): a "
           "HEAD answer's length is the length of the body GET would send", got=f"Content-Length: {got}",
           hint="stream")


def test_a_client_that_leaves_mid_body_does_not_stop_the_server(server, rng):
    survives_a_short_body(server, f"/echo/{word(rng)}", content_type="text/plain", body=word(rng).encode(),
                          hint="receive", then=f"/echo/{word(rng)}")


def test_lifespan_startup_came_before_the_first_request(server, rng):
    exchange, echo = probe(server, "GET", f"/echo/{word(rng)}")
    expect(echo["lifespan"]["startup"], exchange, expected="lifespan.startup sent to the app before the server "
           "takes requests (the probe app's answer shows what its lifespan handler got)",
           got="an app that never got lifespan.startup", hint="lifespan")


def boot(server, tmp_path_factory, app: str) -> LocalServer:
    """Your server.py once more, with another --app. The caller stops it."""
    if not isinstance(server, LocalServer):
        pytest.skip(f"with --server-url the grader cannot start your server with --app {app}")
    other = LocalServer(server.script, tmp_path_factory.mktemp("asgi-app"), ["--app", app])
    try:
        other.start()
    except GraderFailure as failure:
        other.stop()
        raise with_advice(failure, expected=f"your server to start with --app {app}", hint="lifespan") from None
    return other


def printed(other) -> str:
    lines = other.tail(12).splitlines() or ["(nothing)"]
    return f"\n\nYour server, started with {' '.join(other.args)}, printed (last lines):\n" + "\n".join(
        f"    {line}" for line in lines)


def server_pid(local: LocalServer) -> int | None:
    """The server's own process (see graders/supervisor)."""
    return local.process.pid if local.process else None


STOP_WITHIN = 10.0   # a shutdown waits for the app's lifespan.shutdown.complete, at most 5 s in the solution


def test_lifespan_shutdown_when_stopped_with_ctrl_c(server, tmp_path_factory, rng):
    if os.name != "posix":
        pytest.skip("the grader sends Ctrl+C as SIGINT, which only Linux and macOS can send to another process")
    other = boot(server, tmp_path_factory, SERVER_ARGS[1])
    try:
        probe(other, "GET", f"/echo/{word(rng)}")
        pid = server_pid(other)
        if pid is None:
            pytest.skip("the grader could not find your server's process to send it Ctrl+C")
        os.kill(pid, signal.SIGINT)
        other.wait_for_exit(STOP_WITHIN)   # returns as soon as it has stopped: the wait is long for busy machines
        expect(other.exit_code is not None, expected=f"your server to stop within {STOP_WITHIN:g} s of Ctrl+C (SIGINT)",
               got="it is still running" + printed(other), hint="lifespan")
        expect("lifespan shutdown complete" in other.output(), expected="lifespan.shutdown sent to the app when "
               "the server stops (Ctrl+C), and its lifespan.shutdown.complete awaited: that is when an app closes "
               "its database pool", got="an app that never got lifespan.shutdown" + printed(other), hint="lifespan")
    finally:
        other.stop()


def test_app_that_raises_on_lifespan_is_still_served(server, tmp_path_factory, rng):
    other = boot(server, tmp_path_factory, "graders.advanced.asgi_probe_app:app_without_lifespan")
    try:
        try:
            exchange, _ = probe(other, "GET", f"/echo/{word(rng)}")
        except GraderFailure as failure:
            raise with_advice(failure, expected="an app that raises on the lifespan scope (many small apps do) still "
                              "served: then it does not take part in lifespan, and that is all" + printed(other),
                              hint="lifespan") from None
    finally:
        other.stop()


def test_no_request_reaches_the_app_before_its_startup_completed(server, tmp_path_factory, rng):
    other = boot(server, tmp_path_factory, "graders.advanced.asgi_probe_app:app_slow_startup")
    try:                                   # boot() returns as soon as a connect succeeds: ask at once
        try:
            exchange, echo = probe(other, "GET", f"/echo/{word(rng)}")
        except GraderFailure as failure:
            raise with_advice(failure, expected="the app served once its slow startup completed" + printed(other),
                              hint="lifespan") from None
        expect(echo["lifespan"].get("ready"), exchange,
               expected="the request served only after the app's lifespan.startup.complete: this app takes a second "
                        "to start (a database pool, say), and your server accepted the grader's connection before "
                        "that. Wait for the app's answer to lifespan.startup before you start listening",
               got="a request handed to an app that had not finished starting" + printed(other), hint="lifespan")
    finally:
        other.stop()


def test_startup_failed_stops_the_server_with_the_apps_message(server, tmp_path_factory, rng):
    if not isinstance(server, LocalServer):
        pytest.skip("with --server-url the grader cannot start your server with another --app")
    message = f"cannot reach the database at db-{word(rng)}.invalid"
    app = "graders.advanced.asgi_probe_app:app_failing_startup"
    other = LocalServer(server.script, tmp_path_factory.mktemp("asgi-app"), ["--app", app],
                        env={"ASGI_PROBE_MESSAGE": message})
    try:
        try:
            other.start()
            other.wait_for_exit(2)         # it listened (too early, maybe): it must still stop
        except GraderFailure:
            pass                           # it exited before listening: what we want, if it said why
        expect(other.exit_code is not None, expected="your server to stop when the app answers "
               "lifespan.startup.failed: an app that cannot start must not be served", got="it kept running "
               "(and serving) 2 s after the app said it failed" + printed(other), hint="lifespan")
        expect(message in other.output(), expected=f"the app's message printed as the server stops: {message!r} "
               "(sys.exit(f'...{message}') prints it), so whoever started it knows why",
               got="a server that stopped without it" + printed(other), hint="lifespan")
    finally:
        other.stop()


@pytest.fixture(scope="module")
def starlette_server(server, tmp_path_factory):
    if importlib.util.find_spec("starlette") is None:
        pytest.skip("Starlette is not installed, so the Starlette check is skipped (pip install starlette, or "
                    "pip install -e '.[test]', to include it)")
    other = boot(server, tmp_path_factory, "graders.advanced.asgi_starlette_app:app")
    try:
        yield other
    finally:
        other.stop()


def test_starlette_app_works(starlette_server, rng):
    name, greeting, token = word(rng), word(rng), word(rng)
    exchange = fetch(starlette_server, "GET", f"/hello/{name}?greeting={greeting}", headers={"X-Probe-Token": token})
    expect(exchange.status == 200, exchange, expected="200 OK from the Starlette app (Starlette reads headers and "
           "query_string as bytes, and path as text)", got=f"{exchange.status} {exchange.reason}"
           f"{printed(starlette_server)}", hint="scope")
    wanted = {"hello": name, "greeting": greeting, "token": token}
    expect(exchange.json() == wanted, exchange, expected=f"the JSON {wanted}", got=str(exchange.json()), hint="scope")
    value = {"items": [word(rng) for _ in range(3)], "count": rng.randint(1, 99)}
    exchange = fetch(starlette_server, "POST", "/echo", json=value)
    expect(exchange.status == 201, exchange, expected="201 Created from the Starlette app, which read the JSON "
           "body through receive()", got=f"{exchange.status} {exchange.reason}{printed(starlette_server)}",
           hint="receive")
    expect(exchange.json() == {"you_sent": value}, exchange, expected=f"the JSON {{'you_sent': {value}}}",
           got=str(exchange.json()), hint="receive")
    count = rng.randint(3, 9)
    exchange = fetch(starlette_server, "GET", f"/count/{count}")
    wanted_text = "".join(f"{number}\n" for number in range(count))
    expect(exchange.status == 200 and exchange.text == wanted_text, exchange,
           expected=f"200 OK and the lines 0 to {count - 1} from Starlette's StreamingResponse",
           got=f"{exchange.status} {exchange.reason}, {exchange.text!r}{printed(starlette_server)}", hint="stream")
