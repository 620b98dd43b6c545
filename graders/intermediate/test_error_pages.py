"""error_pages: errors a browser understands.

The checks:
- an unknown path answers with the status 404, never 200;
- ... and with the kit's custom HTML page (static/404.html), which links back to "/";
- DELETE /about answers 405, with an Allow header that lists GET;
- HEAD / answers the headers of GET / (same status and Content-Type, and Content-Length if it is sent)
  and no body at all (checked on the raw bytes);
- GET /boom, whose handler raises, answers 500 with an HTML page that does not show the traceback, and the
  traceback is printed to the server's output instead;
- after GET /boom the server goes on serving: GET /about still answers 200.
The /boom checks come last, because a server that dies on /boom cannot answer anything after it.
"""
import re

from graders.harness import GraderFailure, expect, fetch, open_raw, with_advice

LINK_HOME = re.compile(r"""href\s*=\s*["']?/["'\s>]""", re.IGNORECASE)



def content_type(exchange) -> str:
    return exchange.headers.get("Content-Type", "no Content-Type at all")


def is_html(exchange) -> bool:
    return "text/html" in content_type(exchange).lower()


def test_unknown_path_is_404(server, rng):
    exchange = fetch(server, "GET", f"/no-such-page-{rng.randint(1000, 9999)}")
    expect(exchange.status == 404, exchange, expected="the status 404 Not Found: the page does not exist",
           got=f"{exchange.status} {exchange.reason}", hint="not_found")


def test_404_is_the_custom_page(server, rng):
    exchange = fetch(server, "GET", f"/missing/{rng.randint(1000, 9999)}.html")
    expect(is_html(exchange), exchange, expected="Content-Type: text/html for the 404 page",
           got=content_type(exchange), hint="not_found")
    expect(LINK_HOME.search(exchange.text), exchange,
           expected='the site\'s own 404 page, static/404.html, with its link back home (href="/")',
           hint="not_found")


def test_delete_is_405_with_allow(server):
    exchange = fetch(server, "DELETE", "/about")
    expect(exchange.status == 405, exchange, expected="405 Method Not Allowed: this site cannot delete pages",
           got=f"{exchange.status} {exchange.reason}", hint="not_allowed")
    allowed = {method.strip().upper() for method in exchange.headers.get("Allow", "").split(",")}
    expect("GET" in allowed, exchange, expected="an Allow header listing GET, such as Allow: GET, HEAD",
           got=f"Allow: {exchange.headers['Allow']}" if "Allow" in exchange.headers else "no Allow header",
           hint="not_allowed")


def test_head_has_the_headers_of_get_and_no_body(server):
    get = fetch(server, "GET", "/")
    # A raw socket: a client like requests would quietly drop a body sent after a HEAD answer.
    with open_raw(server) as connection:
        connection.send(b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        try:
            head = connection.read_response()
        except GraderFailure as failure:
            raise with_advice(failure, "200 OK with the headers of GET / and no body", "head") from None
        connection.is_closed(within=0.5)     # collect anything sent after the headers
        extra = connection.buffer
    expect(head.status == get.status == 200, head, expected="200 OK, like GET /",
           got=f"{head.status} {head.reason}", hint="head")
    expect(not extra, head, expected="the headers only: an answer to HEAD has no body",
           got=f"{len(extra)} bytes of body after the headers: {extra[:60].decode('utf-8', 'replace')!r}...",
           hint="head")
    expect(content_type(head) == content_type(get), head,
           expected=f"Content-Type: {content_type(get)}, as for GET /", got=content_type(head), hint="head")
    length = head.headers.get("Content-Length")
    expect(length is None or length.strip() == str(len(get.body)), head,
           expected=f"Content-Length: {len(get.body)}, the length of the body GET / sends (or no Content-Length)",
           got=f"Content-Length: {length}", hint="head")


TRACEBACK_SIGNS = ("Traceback (most recent call last)", 'File "', "KeyError", "settings['greetting']")


def test_handler_bug_gives_500_page(server):
    try:
        exchange = fetch(server, "GET", "/boom")
    except GraderFailure as failure:
        raise with_advice(failure, "500 Internal Server Error with an HTML page: the handler raised an exception",
                          "server_error") from None
    expect(exchange.status == 500, exchange, expected="500 Internal Server Error: the handler raised an exception",
           got=f"{exchange.status} {exchange.reason}", hint="server_error")
    expect(is_html(exchange), exchange, expected="Content-Type: text/html for the 500 page",
           got=content_type(exchange), hint="server_error")
    leaked = [sign for sign in TRACEBACK_SIGNS if sign in exchange.text]
    expect(not leaked, exchange, expected="a 500 page that does not show the traceback: file paths and code help "
           "an attacker, not a visitor. Print the traceback to the server's output instead",
           got=f"a page containing {leaked[0]!r}" if leaked else None, hint="server_error")


def test_the_traceback_goes_to_the_servers_output(server):
    if server.exit_code is not None:
        server.restart()                     # an earlier check stopped it: start afresh
    try:
        fetch(server, "GET", "/boom")
    except GraderFailure:
        pass                                 # the answer is graded above; here we read the server's output
    server.wait_for_exit(0.2)                # give the output a moment to reach the log
    output = server.output()
    expect("Traceback (most recent call last)" in output and "KeyError" in output,
           expected="the traceback of the KeyError in the server's output (stdout or stderr), where you can read "
                    "it: traceback.print_exc() inside the except block",
           got="no traceback in what the server printed:\n" + (server.tail(8) or "(nothing)"), hint="server_error")


def test_server_survives_a_handler_bug(server):
    if server.exit_code is not None:
        server.restart()                     # the check before this one stopped it: start afresh
    try:
        fetch(server, "GET", "/boom")
    except GraderFailure:
        pass                                 # the check above grades this answer; here we look at what follows
    try:
        exchange = fetch(server, "GET", "/about")
    except GraderFailure as failure:
        raise with_advice(failure, "the server to go on serving after GET /boom: GET /about should answer 200",
                          "server_error") from None
    expect(exchange.status == 200, exchange, expected="200 OK: the about page, served after GET /boom",
           got=f"{exchange.status} {exchange.reason}", hint="server_error")
