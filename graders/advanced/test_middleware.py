"""middleware: functions of (request, next_handler) wrapped around every handler, first registered outermost.

The server runs with ADMIN_TOKEN set to a random token, so a hard-coded one cannot pass. (With --server-url,
start your server with the ADMIN_TOKEN of the grader's environment, default letmein.)

The checks:
- GET /trace carries `X-Trace: outer,inner`: the first middleware registered is the outermost;
- X-Response-Time is on every answer: a route, a static file, and a 404;
- /admin/* without `Authorization: Bearer <ADMIN_TOKEN>` (no header, a wrong token, the default letmein, another
  scheme) answers 401 with `WWW-Authenticate: Bearer`, under /admin/stats and any other /admin/ path;
- with the token, GET /admin/stats answers 200 with JSON {"calls": N};
- refused requests never reach the handler: after several 401s, N has grown by exactly one real call;
- an OPTIONS preflight (Origin and Access-Control-Request-Method) gets 204 with Access-Control-Allow-Origin and
  Access-Control-Allow-Methods listing the method asked for, on /trace and on /admin/stats alike (a browser never
  sends a token with a preflight).
- a client that sends less than its Content-Length and leaves does not stop the server.
"""
import os
import secrets
import string

from graders.harness import expect, fetch, survives_a_short_body

SERVER_ENV = {"ADMIN_TOKEN": secrets.token_urlsafe(12)}
ORIGIN = "http://app.example"


def admin_token(server) -> str:
    """The token the server was started with: ours, or for --server-url the one in our environment."""
    if hasattr(server, "script"):
        return SERVER_ENV["ADMIN_TOKEN"]
    return os.environ.get("ADMIN_TOKEN", "letmein")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def calls_so_far(server) -> int:
    exchange = fetch(server, "GET", "/admin/stats", headers=bearer(admin_token(server)))
    expect(exchange.status == 200, exchange, expected="200 OK: this request carries the right token, "
           "Authorization: Bearer <the ADMIN_TOKEN from the environment>", got=f"{exchange.status} {exchange.reason}",
           hint="challenge")
    data = exchange.json()
    expect(isinstance(data, dict) and isinstance(data.get("calls"), int), exchange, expected='JSON {"calls": N}',
           got=exchange.text[:80], hint="concept")
    return data["calls"]


def check_timing_header(exchange, what: str) -> None:
    value = exchange.headers.get("X-Response-Time", "").strip()
    expect(value, exchange, expected=f"an X-Response-Time header on {what} too: the timing middleware wraps "
           "everything, static files and 404s included", got="no X-Response-Time header", hint="order")


def test_trace_shows_the_registration_order(server):
    exchange = fetch(server, "GET", "/trace")
    expect(exchange.status == 200, exchange, expected="200 OK", got=f"{exchange.status} {exchange.reason}", hint="order")
    trace = exchange.headers.get("X-Trace")
    expect(trace is not None, exchange, expected="an X-Trace header: outer,inner",
           got="no X-Trace header: build_chain must wrap the handler in the middlewares", hint="concept")
    layers = [layer.strip() for layer in trace.split(",")]
    expect(layers == ["outer", "inner"], exchange,
           expected="X-Trace: outer,inner (the first registered is the outermost layer)",
           got=f"X-Trace: {trace}" + (". The order is reversed" if layers == ["inner", "outer"] else ""), hint="order")


def test_timing_header_on_routes(server):
    check_timing_header(fetch(server, "GET", "/trace"), "a route such as /trace")


def test_timing_header_on_static_files(server):
    exchange = fetch(server, "GET", "/styles.css")
    expect(exchange.status == 200, exchange, expected="200 OK with the site's stylesheet",
           got=f"{exchange.status} {exchange.reason}", hint="order")
    check_timing_header(exchange, "a static file")


def test_timing_header_on_404s(server, rng):
    path = "/no-such-page-" + "".join(rng.choice(string.ascii_lowercase) for _ in range(6))
    exchange = fetch(server, "GET", path)
    expect(exchange.status == 404, exchange, expected="404 Not Found", got=f"{exchange.status} {exchange.reason}",
           hint="order")
    check_timing_header(exchange, "a 404")


def test_admin_without_the_token_is_401(server, rng):
    wrong = secrets.token_urlsafe(12)
    attempts = [("/admin/stats", {}, "no Authorization header"),
                ("/admin/stats", bearer(wrong), "a wrong token"),
                ("/admin/stats", {"Authorization": f"Basic {admin_token(server)}"}, "the right token under the Basic scheme"),
                (f"/admin/{rng.choice(['users', 'reports', 'secrets'])}", {}, "no token, on another /admin/ path")]
    if admin_token(server) != "letmein":
        attempts.append(("/admin/stats", bearer("letmein"), "the default token letmein, while ADMIN_TOKEN says otherwise"))
    for path, headers, what in attempts:
        exchange = fetch(server, "GET", path, headers=headers)
        expect(exchange.status == 401, exchange, expected=f"401 Unauthorized for {what}",
               got=f"{exchange.status} {exchange.reason}", hint="auth")
        challenge = exchange.headers.get("WWW-Authenticate", "")
        expect(challenge.strip().lower().startswith("bearer"), exchange,
               expected="WWW-Authenticate: Bearer, saying how to authenticate",
               got=f"WWW-Authenticate: {challenge}" if challenge else "no WWW-Authenticate header", hint="challenge")


def test_admin_with_the_token_counts_calls(server):
    first = calls_so_far(server)
    second = calls_so_far(server)
    expect(second == first + 1, expected=f'{{"calls": {first + 1}}} from the call after {{"calls": {first}}}',
           got=f'{{"calls": {second}}}', hint="concept")


def test_refused_requests_never_reach_the_handler(server, rng):
    before = calls_so_far(server)
    refused = rng.randint(2, 4)
    for _ in range(refused):
        exchange = fetch(server, "GET", "/admin/stats")
        expect(exchange.status == 401, exchange, expected="401 Unauthorized without a token",
               got=f"{exchange.status} {exchange.reason}", hint="auth")
    after = calls_so_far(server)
    expect(after == before + 1, expected=f'{{"calls": {before + 1}}}: the handler said {{"calls": {before}}}, then '
           f"refused {refused} requests without a token, which must never reach it, then ran once more",
           got=f'{{"calls": {after}}}. The auth middleware must answer 401 without calling next_handler', hint="auth")


def test_options_preflight_is_204_with_cors_headers(server):
    for path in ("/trace", "/admin/stats"):
        check_preflight(fetch(server, "OPTIONS", path, headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}))


def check_preflight(exchange) -> None:
    expect(exchange.status == 204, exchange, expected="204 No Content for a CORS preflight (a browser never sends "
           "its token with one, so auth must not refuse it)", got=f"{exchange.status} {exchange.reason}", hint="concept")
    origin = exchange.headers.get("Access-Control-Allow-Origin")
    expect(origin in ("*", ORIGIN), exchange, expected=f"Access-Control-Allow-Origin: * (or {ORIGIN})",
           got=f"Access-Control-Allow-Origin: {origin}" if origin else "no Access-Control-Allow-Origin", hint="concept")
    methods = exchange.headers.get("Access-Control-Allow-Methods", "")
    listed = [method.strip().upper() for method in methods.split(",")]
    expect("GET" in listed or "*" in listed, exchange,
           expected="Access-Control-Allow-Methods listing GET, the method the preflight asked for",
           got=f"Access-Control-Allow-Methods: {methods}" if methods else "no Access-Control-Allow-Methods", hint="concept")


def test_a_client_that_sends_less_than_content_length_and_leaves_does_not_hang_the_server(server):
    survives_a_short_body(server, "/trace", content_type="application/json", body=b'{"x": 1',
                          hint="concept", then="/trace")
