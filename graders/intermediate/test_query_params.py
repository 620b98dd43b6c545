"""query_params: GET /search?q=<term> reads the query string, decoded, and a query never breaks routing.

The checks:
- GET /search?q=<term> answers 200, Content-Type text/plain; charset=utf-8, and the body
  "You searched for: <term>" (a trailing newline is fine);
- "+" in the query means a space;
- %xx escapes are decoded, so %26, %3D, %2B and %25 become "&", "=", "+" and "%";
- the decoded bytes are read as UTF-8: caf%C3%A9 is "café";
- q is found among other parameters, wherever it stands: /search?lang=en&q=<term>&page=2;
- a "?" inside the query is part of it: /search?q=what?now/2 searches for "what?now/2";
- HEAD /search?q=<term> is the head of its GET (same status, Content-Type, Content-Length, no body);
- a missing q gives 400, and so does an empty one (/search?q=);
- a query string never breaks routing: /about?ref=<x> is the about page.
The terms are random, so a hard-coded answer cannot pass.
"""
from urllib.parse import quote, quote_plus

from graders.harness import GraderFailure, expect, fetch, head_is_the_head_of_get, with_advice

WORDS = ["teapot", "kettle", "socket", "asyncio", "header", "crumpet", "lantern", "pebble", "walrus", "noodle"]
NON_ASCII = ["café", "naïve", "Zürich", "smörgåsbord", "crème brûlée", "東京", "Αθήνα", "jalapeño",
             "🐍 python"]



def word(rng) -> str:
    return f"{rng.choice(WORDS)}{rng.randint(10, 99)}"


def expect_search_result(exchange, term: str, decode_hint: str = "decode") -> None:
    """The answer must be 200 with the body 'You searched for: <term>'."""
    wanted = f"You searched for: {term}"
    expect(exchange.status == 200, exchange, expected=f"200 OK with the body {wanted!r}",
           got=f"{exchange.status} {exchange.reason} (route on the path alone, without the query string)",
           hint="split")
    body = exchange.body.decode("utf-8", "replace").rstrip("\r\n")
    expect(body == wanted, exchange, expected=f"the body {wanted!r}", got=repr(body), hint=decode_hint)


def test_search_answers_plain_text(server, rng):
    term = word(rng)
    exchange = fetch(server, "GET", f"/search?q={term}")
    expect_search_result(exchange, term)
    content_type = exchange.headers.get("Content-Type", "").lower().replace(" ", "")
    expect(content_type.startswith("text/plain") and "charset=utf-8" in content_type, exchange,
           expected="Content-Type: text/plain; charset=utf-8",
           got=exchange.headers.get("Content-Type", "no Content-Type at all"), hint="decode")


def test_plus_means_space(server, rng):
    term = " ".join(word(rng) for _ in range(3))
    exchange = fetch(server, "GET", f"/search?q={quote_plus(term)}")   # "teapot12+kettle34+socket56"
    expect_search_result(exchange, term)


def test_percent_escapes_are_decoded(server, rng):
    # Each of these characters means something in a query string, so the browser sends it as %xx.
    # %2B is a real "+", not a space: decode "+" first and %xx second, or let parse_qs do both.
    term = f"{word(rng)}&{word(rng)}={rng.randint(1, 99)}%+{rng.choice('?#/')}"
    exchange = fetch(server, "GET", f"/search?q={quote(term, safe='')}")
    expect_search_result(exchange, term)


def test_utf8_is_decoded(server, rng):
    term = f"{rng.choice(NON_ASCII)} {rng.randint(10, 99)}"
    exchange = fetch(server, "GET", f"/search?q={quote_plus(term)}")   # quote_plus encodes UTF-8 bytes
    expect_search_result(exchange, term)


def test_q_among_other_parameters(server, rng):
    term = word(rng)
    parameters = [f"q={term}", "lang=en", f"page={rng.randint(2, 9)}"]
    rng.shuffle(parameters)                             # q first, in the middle or last
    exchange = fetch(server, "GET", "/search?" + "&".join(parameters))
    expect_search_result(exchange, term)


def test_a_question_mark_inside_the_query_is_part_of_it(server, rng):
    term = f"{word(rng)}?{rng.choice(['now', 'why', 'how'])}/{rng.randint(1, 9)}"   # "?" and "/" are legal there
    first_only = ("only the first '?' starts the query. target.split('?') gives three parts here, and unpacking "
                  "them into two names raises: target.partition('?') splits at the first one only")
    try:
        exchange = fetch(server, "GET", f"/search?q={term}")
    except GraderFailure as failure:
        raise with_advice(failure, f"200 OK with 'You searched for: {term}': {first_only}", "split") from None
    expect(exchange.status == 200, exchange, expected=f"200 OK with 'You searched for: {term}': {first_only}",
           got=f"{exchange.status} {exchange.reason}", hint="split")
    expect_search_result(exchange, term)


def test_head_is_the_head_of_get(server, rng):
    head_is_the_head_of_get(server, f"/search?q={word(rng)}", hint="split")


def test_missing_q_is_400(server, rng):
    for path in ("/search", f"/search?lang={rng.choice(['en', 'fr', 'de'])}"):
        exchange = fetch(server, "GET", path)
        expect(exchange.status == 400, exchange, expected="400 Bad Request: there is no q to search for",
               got=f"{exchange.status} {exchange.reason}", hint="missing")


def test_empty_q_is_400(server):
    exchange = fetch(server, "GET", "/search?q=")
    expect(exchange.status == 400, exchange, expected="400 Bad Request: q is empty, so there is nothing to find",
           got=f"{exchange.status} {exchange.reason}", hint="missing")


def test_query_string_does_not_break_routing(server, rng):
    about = fetch(server, "GET", "/about")
    expect(about.status == 200, about, expected="200 OK: the about page, static/about.html",
           got=f"{about.status} {about.reason}", hint="split")
    exchange = fetch(server, "GET", f"/about?ref={word(rng)}")
    expect(exchange.status == 200 and exchange.body == about.body, exchange,
           expected="the about page, the same as GET /about: the query string is not part of the path",
           got=f"{exchange.status} {exchange.reason}" + ("" if exchange.status != 200 else " with another body"),
           hint="split")
