"""error_pages: errors a browser understands.

The checks:
- an unknown path answers with the status 404, never 200, also when the request comes in another legal shape
  (header names in any case, cut at any byte);
- ... and with the kit's custom HTML page (static/404.html), which links back to "/";
- DELETE /about answers 405, with an Allow header that lists GET, and so does POST, PUT or PATCH;
- HEAD /, HEAD /about and HEAD of a missing page answer the head of GET (same status, Content-Type and
  Content-Length) and no body at all (checked on the raw bytes);
- GET /boom, whose handler raises (KeyError; /boom?page=N raises ZeroDivisionError, /boom?name=W
  AttributeError: the grader sends all three, in an order drawn from the seed), answers 500 with an HTML page
  that does not show the traceback, and a traceback, whatever the exception, is printed to the server's output;
- after GET /boom the server goes on serving: GET /about still answers 200.
The /boom checks come last, because a server that dies on /boom cannot answer anything after it.
"""
import re

import pytest

from graders.foundations.first_server_checks import shaped, split_anywhere
from graders.harness import GraderFailure, expect, fetch, head_is_the_head_of_get, send_raw, with_advice

# /boom's traceback is the output this challenge asks for: the harness need not lead with it.
TRACEBACKS_EXPECTED = True

LINK_HOME = re.compile(r"""href\s*=\s*["']?/["'\s>]""", re.IGNORECASE)



def content_type(exchange) -> str:
    return exchange.headers.get("Content-Type", "no Content-Type at all")


def is_html(exchange) -> bool:
    return "text/html" in content_type(exchange).lower()


def test_unknown_path_is_404(server, rng):
    exchange = fetch(server, "GET", f"/no-such-page-{rng.randint(1000, 9999)}")
    expect(exchange.status == 404, exchange, expected="the status 404 Not Found: the page does not exist",
           got=f"{exchange.status} {exchange.reason}", hint="not_found")
    path = f"/missing-{rng.randint(1000, 9999)}"      # and in another legal shape: any header case, any cut
    exchange = send_raw(server, split_anywhere(rng, shaped(rng, path)), pause=0.05)
    expect(exchange.status == 404, exchange, expected="the status 404 Not Found: the page does not exist",
           got=f"{exchange.status} {exchange.reason}", hint="not_found")


def test_404_is_the_custom_page(server, rng):
    exchange = fetch(server, "GET", f"/missing/{rng.randint(1000, 9999)}.html")
    expect(is_html(exchange), exchange, expected="Content-Type: text/html for the 404 page",
           got=content_type(exchange), hint="not_found")
    expect(LINK_HOME.search(exchange.text), exchange,
           expected='the site\'s own 404 page, static/404.html, with its link back home (href="/")',
           hint="not_found")


def test_other_methods_are_405_with_allow(server, rng):
    for method in ["DELETE", rng.choice(["POST", "PUT", "PATCH"])]:
        exchange = fetch(server, method, "/about")
        expect(exchange.status == 405, exchange,
               expected=f"405 Method Not Allowed: this site only reads pages, and {method} would change one",
               got=f"{exchange.status} {exchange.reason}", hint="not_allowed")
        allowed = {name.strip().upper() for name in exchange.headers.get("Allow", "").split(",")}
        expect("GET" in allowed, exchange, expected="an Allow header listing GET, such as Allow: GET, HEAD",
               got=f"Allow: {exchange.headers['Allow']}" if "Allow" in exchange.headers else "no Allow header",
               hint="not_allowed")


@pytest.mark.parametrize("path", ["/", "/about", "/no-such-page"])
def test_head_has_the_headers_of_get_and_no_body(server, path):
    head_is_the_head_of_get(server, path, hint="head")


TRACEBACK_SIGNS = ("Traceback (most recent call last)", 'File "', "KeyError", "ZeroDivisionError", "AttributeError",
                   "settings[", "capitalise")


def boom_paths(rng) -> list[str]:
    """/boom raises KeyError, /boom?page=N ZeroDivisionError, /boom?name=W AttributeError (see the starter), in
    an order and with values from the seed: a server that catches only one kind of exception is caught."""
    paths = ["/boom", f"/boom?page={rng.randint(2, 99)}", f"/boom?name={rng.choice(['ada', 'grace', 'alan'])}"]
    rng.shuffle(paths)
    return paths


def test_handler_bug_gives_500_page(server, rng):
    for path in boom_paths(rng):
        if server.exit_code is not None:
            server.restart()                 # the check stops at the first failure; a dead server is said there
        try:
            exchange = fetch(server, "GET", path)
        except GraderFailure as failure:
            raise with_advice(failure, f"500 Internal Server Error with an HTML page: the handler of {path} raised "
                              "an exception. Catch every exception (except Exception:), not only the one you saw "
                              "first: each of /boom, /boom?page=2 and /boom?name=ada raises another kind",
                              "server_error") from None
        expect(exchange.status == 500, exchange,
               expected=f"500 Internal Server Error: the handler of {path} raised an exception",
               got=f"{exchange.status} {exchange.reason}", hint="server_error")
        expect(is_html(exchange), exchange, expected="Content-Type: text/html for the 500 page",
               got=content_type(exchange), hint="server_error")
        leaked = [sign for sign in TRACEBACK_SIGNS if sign in exchange.text]
        expect(not leaked, exchange, expected="a 500 page that does not show the traceback: file paths and code "
               "help an attacker, not a visitor. Print the traceback to the server's output instead",
               got=f"a page containing {leaked[0]!r}" if leaked else None, hint="server_error")


def test_the_traceback_goes_to_the_servers_output(server, rng):
    for path in boom_paths(rng):
        if server.exit_code is not None:
            server.restart()                 # an earlier check stopped it: start afresh
        before = len(server.output())
        try:
            fetch(server, "GET", path)
        except GraderFailure:
            pass                             # the answer is graded above; here we read the server's output
        server.wait_for_exit(0.2)            # give the output a moment to reach the log
        output = server.output()[before:]
        expect("Traceback (most recent call last)" in output,
               expected=f"the traceback of the exception GET {path} raised, in the server's output (stdout or "
                        "stderr), where you can read it: traceback.print_exc() inside the except block",
               got="no traceback in what the server printed:\n" + (server.tail(8) or "(nothing)"),
               hint="server_error")


def test_server_survives_a_handler_bug(server, rng):
    if server.exit_code is not None:
        server.restart()                     # the check before this one stopped it: start afresh
    try:
        fetch(server, "GET", boom_paths(rng)[0])
    except GraderFailure:
        pass                                 # the check above grades this answer; here we look at what follows
    try:
        exchange = fetch(server, "GET", "/about")
    except GraderFailure as failure:
        raise with_advice(failure, "the server to go on serving after GET /boom: GET /about should answer 200",
                          "server_error") from None
    expect(exchange.status == 200, exchange, expected="200 OK: the about page, served after GET /boom",
           got=f"{exchange.status} {exchange.reason}", hint="server_error")
