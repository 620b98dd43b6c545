"""route_decorator: @route registers page functions; routes first, then static files, then 404.

The server runs with --static pointing at the kit's static/. The checks:
- GET /hello answers 200, text/html, the handler's page containing "Hello from a route"; the answer is strict
  HTTP (\\r\\n, a Content-Length that counts bytes: the page holds non-ASCII characters, the hang-up);
- a route wins over a static file of the same name: GET /about shows "About, from a route", not
  static/about.html;
- GET /time is made for each request: it holds a UTC time in ISO 8601 (such as 2026-11-21T15:09:00+00:00),
  and two requests about 1.1 s apart show two different times;
- /help and /styles.css still come from static/, byte for byte, as text/html and text/css;
- an unknown path gives 404;
- HEAD is the head of GET for a route (/hello, /about), a static file and a 404: the same status,
  Content-Type and Content-Length (not for /time, whose page is made afresh), and no body on the wire;
- requests in other legal shapes (header names in any case, cut at any byte) reach the same routes.
"""
import re
import time

import pytest

from graders.foundations.first_server_checks import STREAM_HANG_UP, request, shaped, split_anywhere, strict_answer
from graders.ground import STATIC
from graders.harness import expect, head_is_the_head_of_get

KIT_STATIC = STATIC
SERVER_ARGS = ["--static", str(KIT_STATIC)]    # so a copy of the starter elsewhere (--target DIR) finds the site
ISO_8601 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?")


def get(server, path: str, expected: str, hint: str, data=None):
    return strict_answer(server, data or request(path), expected=expected, hint=hint, framing_hint="per_request",
                         hang_up=STREAM_HANG_UP)


def status_story(exchange) -> str:
    story = f"{exchange.status} {exchange.reason}"
    if exchange.status == 404:
        story += ". No route answered: route() must store the handler in ROUTES, and answer() must look there first"
    return story


def expect_route_page(exchange, words: str, hint: str) -> None:
    expect(exchange.status == 200, exchange, expected=f"200 OK with the route's page, containing {words!r}",
           got=status_story(exchange), hint=hint)
    kind = exchange.headers.get("Content-Type", "")
    expect(kind.lower().startswith("text/html"), exchange, expected="Content-Type: text/html: a route's page is HTML",
           got=kind or "no Content-Type at all", hint="order")
    expect(words in exchange.text, exchange, expected=f"the route's page, containing {words!r}",
           got="another page", hint=hint)


def test_hello_is_a_route(server, rng):
    exchange = get(server, "/hello", expected="200 OK with the page of the /hello route", hint="register",
                   data=split_anywhere(rng, shaped(rng, "/hello")))
    expect_route_page(exchange, "Hello from a route", hint="register")


def test_a_route_wins_over_a_static_file(server):
    exchange = get(server, "/about", expected="200 OK with the page of the /about route", hint="order")
    if exchange.body == (KIT_STATIC / "about.html").read_bytes():
        hello = get(server, "/hello", expected="200 OK with the page of the /hello route", hint="register")
        no_routes = hello.status == 404
        expect(False, exchange, expected="the /about route's page, 'About, from a route'",
               got="static/about.html, " + ("and GET /hello is a 404: no route answers yet. route() must store the "
                                            "handler in ROUTES, and answer() must look there first" if no_routes else
                                            "although GET /hello is a route: the static files were tried before "
                                            "the routes. Try ROUTES first, then the files, then 404"),
               hint="register" if no_routes else "order")
    expect_route_page(exchange, "About, from a route", hint="register")


def test_time_is_made_for_each_request(server):
    times = []
    for number in (1, 2):
        if number == 2:
            time.sleep(1.1)
        exchange = get(server, "/time", expected="200 OK with the page of the /time route", hint="register")
        expect(exchange.status == 200, exchange, expected="200 OK with the page of the /time route",
               got=status_story(exchange), hint="register")
        found = ISO_8601.search(exchange.text)
        expect(found, exchange, expected="a page with the current UTC time in ISO 8601, like 2026-11-21T15:09:00+00:00",
               got="no such time in it. The starter's time_now() makes one: keep it", hint="register")
        times.append(found[0])
    expect(times[0] != times[1], exchange,
           expected=f"a new time for a new request: the first said {times[0]}, and this one came 1.1 s later",
           got=f"{times[1]} again: the page was made once, when the server started. Store the function itself, "
               "ROUTES[path] = handler, and call it when a request comes", hint="per_request")


def test_static_files_still_come_from_static(server):
    for path, file, kind in (("/help", "help.html", "text/html"), ("/styles.css", "styles.css", "text/css")):
        exchange = get(server, path, expected=f"200 OK with static/{file}", hint="order")
        on_disk = (KIT_STATIC / file).read_bytes()
        expect(exchange.status == 200 and exchange.body == on_disk, exchange,
               expected=f"static/{file}, byte for byte: a path with no route still falls back to the static files",
               got=f"{exchange.status} {exchange.reason} with {len(exchange.body):,} bytes instead of "
                   f"{len(on_disk):,}", hint="order")
        got = exchange.headers.get("Content-Type", "")
        expect(got.lower().startswith(kind), exchange, expected=f"Content-Type: {kind}",
               got=got or "no Content-Type at all", hint="order")


def test_an_unknown_path_is_a_404(server, rng):
    path = f"/{rng.choice(['hello', 'about', 'time'])}-{rng.randint(100, 999)}"
    exchange = get(server, path, expected=f"404 Not Found for {path}", hint="order")
    expect(exchange.status == 404, exchange,
           expected=f"404 Not Found: {path} is neither a route nor a file (routes match the whole path)",
           got=f"{exchange.status} {exchange.reason}" + (". A route matches its whole path: look it up with "
                                                         "`path in ROUTES`, not with startswith()"
                                                         if exchange.status == 200 else ""), hint="order")


@pytest.mark.parametrize("path", ["/hello", "/about", "/time", "/styles.css", "/no-such-route"])
def test_head_is_the_head_of_get(server, path):
    head_is_the_head_of_get(server, path, hint="head", same_length=path != "/time")
