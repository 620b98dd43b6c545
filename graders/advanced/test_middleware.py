"""middleware: functions of (request, next_handler) wrapped around every handler, first registered outermost.

The server runs with ADMIN_TOKEN set to a random token, so a hard-coded one cannot pass. (With --server-url,
start your server with the ADMIN_TOKEN of the grader's environment, default letmein.)

The checks:
- GET /trace carries `X-Trace: outer,inner`: the first middleware registered is the outermost;
- X-Response-Time is on every answer: a route, a static file, a 404, a 401 and a preflight's 204;
- /admin/* without `Authorization: Bearer <ADMIN_TOKEN>` (no header, a wrong token, the token with a character
  more or less, the default letmein, another scheme) answers 401 with `WWW-Authenticate: Bearer`, under
  /admin/stats (with a query too) and any other /admin/ path;
- with the token, GET /admin/stats answers 200 with JSON {"calls": N}, whatever the case of the header's name
  and of the scheme (`bearer`, `BEARER`: RFC 9110, 11.1);
- refused requests never reach the handler: after several 401s, N has grown by exactly one real call;
- requests sent at the same moment are each counted once: eight at once with the token (and four without)
  add exactly eight calls, each seeing its own N;
- an OPTIONS preflight (Origin and Access-Control-Request-Method, header names in any case) gets 204 with
  Access-Control-Allow-Origin and Access-Control-Allow-Methods listing the method asked for, on routes, /admin/
  paths (a browser never sends a token with a preflight) and static files alike, and, read raw, no body at all;
- HEAD /trace and HEAD of a static file answer GET's status and headers, with no body on the wire;
- a client that sends less than its Content-Length and leaves does not stop the server.
"""
import os
import secrets
import string
from concurrent.futures import ThreadPoolExecutor

from graders.advanced.app_checks import odd_case
from graders.harness import expect, fetch, head_is_the_head_of_get, open_raw, survives_a_short_body

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
    expect(exchange.status == 200, exchange, expected="200 OK", got=f"{exchange.status} {exchange.reason}",
           hint="order")
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
    token = admin_token(server)
    wrong = secrets.token_urlsafe(12)
    attempts = [("/admin/stats", {}, "no Authorization header"),
                ("/admin/stats", bearer(wrong), "a wrong token"),
                ("/admin/stats", {"Authorization": f"Basic {token}"}, "the right token under the Basic scheme"),
                (f"/admin/stats?{rng.choice(['x=1', 'token=' + token])}", {}, "no token, and a query string"),
                (f"/admin/{rng.choice(['users', 'reports', 'secrets'])}", {}, "no token, on another /admin/ path")]
    attempts += rng.sample([("/admin/stats", bearer(token + rng.choice("xyz0")), "the token with one more character"),
                            ("/admin/stats", bearer(token[:-1]), "the token without its last character"),
                            ("/admin/stats", bearer("x" + token), "the token behind another character"),
                            ("/admin/stats", {"Authorization": "Bearer"}, "the Bearer scheme and no token")], 2)
    if token != "letmein":
        attempts.append(("/admin/stats", bearer("letmein"),
                         "the default token letmein, while ADMIN_TOKEN says otherwise"))
    for path, headers, what in attempts:
        exchange = fetch(server, "GET", path, headers=headers)
        expect(exchange.status == 401, exchange, expected=f"401 Unauthorized for {what}" + (
               ": the token must be exactly ADMIN_TOKEN, compared whole (secrets.compare_digest), never searched "
               "for inside the header" if "character" in what else ""),
               got=f"{exchange.status} {exchange.reason}", hint="auth")
        challenge = exchange.headers.get("WWW-Authenticate", "")
        expect(challenge.strip().lower().startswith("bearer"), exchange,
               expected="WWW-Authenticate: Bearer, saying how to authenticate",
               got=f"WWW-Authenticate: {challenge}" if challenge else "no WWW-Authenticate header", hint="challenge")
    check_timing_header(exchange, "a 401 (the timing layer is outside the auth one)")


def test_the_token_in_any_legal_shape_gets_in(server, rng):
    name = odd_case("Authorization", rng)
    scheme = rng.choice(["bearer", "BEARER", "bEaReR"])
    exchange = fetch(server, "GET", "/admin/stats", headers={name: f"{scheme} {admin_token(server)}"})
    expect(exchange.status == 200, exchange, expected=f"200 OK for '{name}: {scheme} <the right token>': header "
           "names and the auth scheme are both case-insensitive (RFC 9110, 11.1)",
           got=f"{exchange.status} {exchange.reason}", hint="auth")


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


def test_calls_made_at_once_are_each_counted_once(server, rng):
    before = calls_so_far(server)
    allowed, refused = 8, 4
    token = bearer(admin_token(server))
    requests_at_once = [token] * allowed + [{}] * refused
    rng.shuffle(requests_at_once)
    with ThreadPoolExecutor(len(requests_at_once)) as pool:
        answers = list(pool.map(lambda headers: fetch(server, "GET", "/admin/stats", headers=headers),
                                requests_at_once))
    seen = sorted(answer.json().get("calls") for answer in answers if answer.status == 200)
    after = calls_so_far(server)
    expect(len(seen) == allowed and after == before + allowed + 1 and len(set(seen)) == allowed,
           expected=f"{allowed} answers of 200 numbered {before + 1} to {before + allowed}, then "
                    f'{{"calls": {before + allowed + 1}}}: we sent {allowed} requests with the token and {refused} '
                    f'without, all at the same moment, after {{"calls": {before}}}',
           got=f"200s numbered {seen}, then {{\"calls\": {after}}}. Every real call must be counted exactly once, "
               "even when calls overlap: count in one step (calls += 1, with no await or I/O between reading the "
               "count and writing it back), and only in the handler", hint="concept")


def test_options_preflight_is_204_with_cors_headers(server, rng):
    paths = ["/trace", "/admin/stats", f"/admin/{rng.choice(['users', 'reports'])}", "/styles.css"]
    for path in rng.sample(paths, 3):
        method = rng.choice(["GET", "POST"])
        head = (f"OPTIONS {path} HTTP/1.1\r\n{odd_case('Host', rng)}: {server.host}:{server.port}\r\n"
                f"{odd_case('Origin', rng)}: {ORIGIN}\r\n{odd_case('Access-Control-Request-Method', rng)}: {method}\r\n"
                f"{odd_case('Access-Control-Request-Headers', rng)}: authorization\r\nConnection: close\r\n\r\n")
        with open_raw(server) as connection:
            connection.send(head.encode())
            exchange = connection.read_response()
            connection.wait_for_hang_up(0.5)       # a body sent after the head arrives here, in .buffer
            leaked = connection.buffer
        check_preflight(exchange, method)
        length = exchange.headers.get("Content-Length", "0").strip()
        expect(not leaked and length == "0", exchange,
               expected="a 204 with no body at all: no bytes after the head, and no Content-Length (or 0)",
               got=f"{len(leaked)} bytes after the head ({leaked[:40]!r}) and Content-Length: {length}. A client "
                   "reads no body after a 204, so those bytes would be taken for the start of the next answer",
               hint="concept")
        check_timing_header(exchange, "a preflight's 204")


def check_preflight(exchange, method: str = "GET") -> None:
    expect(exchange.status == 204, exchange, expected="204 No Content for a CORS preflight (a browser never sends "
           "its token with one, so auth must not refuse it)", got=f"{exchange.status} {exchange.reason}",
           hint="concept")
    origin = exchange.headers.get("Access-Control-Allow-Origin")
    expect(origin in ("*", ORIGIN), exchange, expected=f"Access-Control-Allow-Origin: * (or {ORIGIN})",
           got=f"Access-Control-Allow-Origin: {origin}" if origin else "no Access-Control-Allow-Origin", hint="concept")
    methods = exchange.headers.get("Access-Control-Allow-Methods", "")
    listed = [item.strip().upper() for item in methods.split(",")]
    expect(method in listed or "*" in listed, exchange,
           expected=f"Access-Control-Allow-Methods listing {method}, the method the preflight asked for",
           got=f"Access-Control-Allow-Methods: {methods}" if methods else "no Access-Control-Allow-Methods",
           hint="concept")


def test_head_is_the_head_of_get(server):
    for path in ("/trace", "/styles.css"):
        head_is_the_head_of_get(server, path, hint="order")


def test_a_client_that_sends_less_than_content_length_and_leaves_does_not_hang_the_server(server):
    survives_a_short_body(server, "/trace", content_type="application/json", body=b'{"x": 1',
                          hint="concept", then="/trace")
