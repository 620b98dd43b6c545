"""hello_socket: a bare socket server that answers every request with the same HTML page.

The checks:
- it answers on the port it was given: GET / gets HTTP/1.1 200 OK, Content-Type text/html with
  charset=utf-8, and an HTML body containing "Hello";
- any path gets the same page (random paths, a query string, a file name);
- the answer is strict HTTP: every line of the head ends with \\r\\n, Content-Length counts the body's bytes
  (the starter's page has a non-ASCII character, so counting characters comes up short), and the server
  hangs up after answering, as the request's Connection: close asks;
- 20 clients in a row are served, one after another (an accept loop, not a single accept);
- a client that connects and leaves without sending a byte, by closing or by resetting the connection,
  does not stop it: the next client is served;
- a request whose head arrives in two writes, half a second apart, is answered only after its blank line,
  also when the cut falls inside the blank line (\\r\\n\\r, then \\n); and requests in other legal shapes
  (header names in any case, cut at any byte) get the same page;
- a client that sends half a request and goes silent is hung up on after the server's timeout: the grader
  starts the server with CLIENT_TIMEOUT=1 in its environment (the starter's TIMEOUT reads it), and the next
  client is served;
- before all that, a client connects and leaves without a byte, and GET / is still answered: a recv() loop
  that never stops at b"" spins for ever on such a client, and every check would wait in vain, so the first
  failure says so and the others end at once.
"""
import time

import pytest

from graders.foundations.first_server_checks import (
    answers_after_a_client_that_left,
    head_in_two_writes,
    request,
    serves_in_a_row,
    shaped,
    split_anywhere,
    stalled_client_is_dropped,
    strict_answer,
    survives_clients_that_leave,
    timeout_env,
)
from graders.harness import expect

SERVER_ENV = timeout_env()      # CLIENT_TIMEOUT=1: a stalled client is dropped after 1 s, not the starter's 10

WORDS = ["kitten", "teapot", "rocket", "lemon", "harbour", "violin", "comet", "pebble", "walrus", "maple"]
IN_A_ROW = 20


@pytest.fixture(scope="module", autouse=True)
def served_after_a_client_that_left(server):
    """Once, first: a server stuck on a client that left fails here, and every check says 'Same problem'."""
    answers_after_a_client_that_left(server, hint="read_head", spin_hint="keep_serving")


def the_page(server, path: str, hint: str = "five_calls", data: bytes | list[bytes] | None = None):
    """GET path, read strictly; the page must be the hello page: 200, text/html; charset=utf-8, 'Hello'."""
    exchange = strict_answer(server, data or request(path), expected="200 OK with your page", hint=hint,
                             framing_hint="answer_format", read_hint="read_head", loop_hint="keep_serving")
    expect(exchange.status == 200, exchange, expected="the status line HTTP/1.1 200 OK",
           got=f"{exchange.status} {exchange.reason}", hint="answer_format")
    kind = exchange.headers.get("Content-Type", "")
    expect(kind.split(";")[0].strip().lower() == "text/html", exchange,
           expected="Content-Type: text/html; charset=utf-8, so the browser shows the page as HTML",
           got=kind or "no Content-Type at all", hint="answer_format")
    expect("charset=utf-8" in kind.lower().replace(" ", ""), exchange,
           expected="charset=utf-8 in the Content-Type (text/html; charset=utf-8): the page is UTF-8, and "
                    "without it a browser may guess another encoding and garble the non-ASCII characters",
           got=kind, hint="answer_format")
    expect("Hello" in exchange.text, exchange, expected="an HTML page containing 'Hello'",
           got="a body without it", hint="answer_format")
    return exchange


def test_answers_on_its_port(server):
    the_page(server, "/")


def test_any_path_gets_the_same_page(server, rng):
    home = the_page(server, "/")
    word = rng.choice(WORDS)
    for path in (f"/{word}", f"/{word}/{rng.randint(1, 999)}.html", f"/?q={word}{rng.randint(10, 99)}"):
        exchange = the_page(server, path, data=split_anywhere(rng, shaped(rng, path)))
        expect(exchange.body == home.body, exchange,
               expected="the same page as for GET /: this server answers every path the same way",
               got=f"another body ({len(exchange.body)} bytes instead of {len(home.body)})", hint="answer_format")


def test_serves_twenty_clients_in_a_row(server):
    for exchange in serves_in_a_row(server, IN_A_ROW, "/", expected="200 OK with your page", hint="keep_serving"):
        expect(exchange.status == 200, exchange, expected="200 OK with your page, for every client",
               got=f"{exchange.status} {exchange.reason}", hint="keep_serving")


def test_a_client_that_leaves_without_a_word_does_not_stop_it(server):
    survives_clients_that_leave(server, "/", expected="200 OK with your page", hint="keep_serving")
    the_page(server, "/", hint="keep_serving")


def test_it_still_answers_after_a_quiet_moment(server):
    """Nobody comes for a second: a listener with a timeout (listener.settimeout, so that Ctrl+C works) raises
    TimeoutError from accept(), and a server that does not catch it, or leaves its loop, is gone."""
    time.sleep(1.2)
    the_page(server, "/", hint="keep_serving")


def test_head_in_two_writes_is_answered_after_its_blank_line(server, rng):
    path = f"/{rng.choice(WORDS)}"
    for split_blank_line in (False, True):
        exchange = head_in_two_writes(server, path, split_blank_line=split_blank_line, expected="your page",
                                      hint="read_head", framing_hint="answer_format")
        expect(exchange.status == 200 and "Hello" in exchange.text, exchange,
               expected="200 OK with your page", got=f"{exchange.status} {exchange.reason}", hint="read_head")


def test_a_client_that_stalls_is_dropped_after_the_timeout(server):
    stalled_client_is_dropped(
        server, "/", expected="200 OK with your page", hint="keep_serving",
        deadline_words="Without a timeout, recv() waits for that client for ever, and a server that serves one "
                       "client at a time serves nobody else meanwhile. Give each client's socket a deadline, "
                       "conn.settimeout(TIMEOUT), right after accept(): recv() then raises TimeoutError (an "
                       "OSError), and your except clause closes that client")
