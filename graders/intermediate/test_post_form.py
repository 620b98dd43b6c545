"""post_form: POST /contact reads a urlencoded form by Content-Length and thanks the sender.

The checks:
- GET /contact answers an HTML page with a <form method="post">;
- POST /contact with a urlencoded body (name, message) answers 200, an HTML page containing
  "Thanks, <name>!";
- the name is HTML-escaped in that page: "<", ">" and "&" come back as &lt;, &gt; and &amp;;
- a POST without a name gives 400, and so does an empty name or one of spaces only (name=, name=+++);
- HEAD /contact is the head of GET /contact;
- the body is read by Content-Length when it arrives in several TCP writes, a moment apart, whatever the case
  of the header names (content-length, CONTENT-LENGTH);
- the body is read by Content-Length when it is larger than 1024 bytes.
The names are random, and in the last two checks the name comes last in the body, so a body that is
read only in part loses it.
- a client that sends less than its Content-Length and leaves does not stop the server.
"""
import re
from urllib.parse import urlencode

from graders.foundations.first_server_checks import shaped
from graders.harness import (
    GraderFailure,
    expect,
    fetch,
    head_is_the_head_of_get,
    send_raw,
    survives_a_short_body,
    with_advice,
)

FIRST = ["Ada", "Grace", "Alan", "Barbara", "Guido", "Margaret", "Dennis", "Radia", "Linus", "Frances"]
LAST = ["Lovelace", "Hopper", "Turing", "Liskov", "Rossum", "Hamilton", "Ritchie", "Perlman", "Allen"]
FORM_TAG = re.compile(r"""<form\b[^>]*\bmethod\s*=\s*["']?post\b""", re.IGNORECASE)



def full_name(rng) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def raw_post(body: bytes) -> bytes:
    head = ("POST /contact HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode("latin-1")


def expect_thanks(exchange, name: str, hint: str, why: str = "") -> None:
    wanted = f"Thanks, {name}!"
    expect(exchange.status == 200, exchange, expected=f"200 OK with a page saying {wanted!r}",
           got=f"{exchange.status} {exchange.reason}{why}", hint=hint)
    expect(wanted in exchange.text, exchange, expected=f"a page containing {wanted!r}{why}", hint=hint)


def send_in_pieces(server, chunks: list[bytes], name: str, pause: float = 0.0):
    """send_raw, explaining what a server that stops reading early does to the client."""
    try:
        return send_raw(server, chunks, pause=pause)
    except GraderFailure as failure:
        raise with_advice(failure, f"a page saying 'Thanks, {name}!', sent once the whole body (Content-Length "
                          "bytes) had arrived", "read_body") from None


def test_contact_page_has_a_post_form(server):
    exchange = fetch(server, "GET", "/contact")
    expect(exchange.status == 200, exchange, expected="200 OK with the contact page",
           got=f"{exchange.status} {exchange.reason}")
    expect("text/html" in exchange.headers.get("Content-Type", "").lower(), exchange,
           expected="Content-Type: text/html", got=exchange.headers.get("Content-Type", "no Content-Type at all"))
    expect(FORM_TAG.search(exchange.text), exchange, expected='a page with a <form method="post">')


def test_post_thanks_the_sender(server, rng):
    name = full_name(rng)
    exchange = fetch(server, "POST", "/contact", data={"name": name, "message": "Hello there"})
    expect_thanks(exchange, name, hint="parse")
    expect("text/html" in exchange.headers.get("Content-Type", "").lower(), exchange,
           expected="Content-Type: text/html", got=exchange.headers.get("Content-Type", "no Content-Type at all"),
           hint="parse")


def test_name_is_html_escaped(server, rng):
    first = rng.choice(FIRST)
    name = f"<b>{first}</b> & co"                     # a user can type anything, markup included
    exchange = fetch(server, "POST", "/contact", data={"name": name, "message": "<script>alert(1)</script>"})
    escaped = f"&lt;b&gt;{first}&lt;/b&gt; &amp; co"
    expect(exchange.status == 200, exchange, expected=f"200 OK with a page saying 'Thanks, {escaped}!'",
           got=f"{exchange.status} {exchange.reason}", hint="escape")
    expect(f"Thanks, {escaped}!" in exchange.text and f"<b>{first}</b>" not in exchange.text, exchange,
           expected=f"the name HTML-escaped: 'Thanks, {escaped}!', so the browser shows it instead of running it",
           hint="escape")


def test_missing_name_is_400(server, rng):
    exchange = fetch(server, "POST", "/contact", data={"message": "Who am I?"})
    expect(exchange.status == 400, exchange, expected="400 Bad Request: the form has no name",
           got=f"{exchange.status} {exchange.reason}", hint="escape")
    for blank in ("", rng.choice([" ", "   ", "\t ", " \n "])):
        body = urlencode({"name": blank, "message": "Who am I?"}).encode()
        exchange = fetch(server, "POST", "/contact", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        shown = f"name={urlencode({'n': blank})[2:]}"
        expect(exchange.status == 400, exchange,
               expected=f"400 Bad Request: {shown} is no name at all" + (", only spaces" if blank else ""),
               got=f"{exchange.status} {exchange.reason}" + (". A name of spaces only is no name: strip() it before "
                                                              "you check it" if blank else ""), hint="escape")


def test_head_is_the_head_of_get(server):
    head_is_the_head_of_get(server, "/contact", hint="parse")


def test_body_in_several_writes(server, rng):
    # The head first, then the body in two pieces, a moment apart, as a slow network delivers them.
    name = full_name(rng)
    body = urlencode({"message": "Hello from far away", "name": name}).encode()
    cut = len(body) - rng.randint(3, 6)                  # inside the name
    head = shaped(rng, "/contact", "POST", (("Content-Type", "application/x-www-form-urlencoded"),
                                            ("Content-Length", str(len(body)))))
    exchange = send_in_pieces(server, [head, body[:cut], body[cut:]], name, pause=0.1)
    expect_thanks(exchange, name, hint="read_body", why=(
        ". The body came in two pieces after the head, and the name is at its very end: "
        "read until you have Content-Length bytes"))


def test_bytes_after_the_body_are_not_part_of_it(server, rng):
    """Old browsers send a CRLF after a POST body (RFC 9112 §2.2 lets a server ignore it): the body is
    Content-Length bytes, and whatever follows is not the body, however it arrives."""
    name = full_name(rng)
    body = urlencode({"name": name, "message": "and a CRLF after"}).encode()
    exchange = send_in_pieces(server, [raw_post(body) + body + b"\r\n"], name)
    expect_thanks(exchange, name, hint="read_body", why=(
        ". The body was followed by \\r\\n in the same write: stop at Content-Length bytes "
        "(while len(body) < length), and never wait for exactly that many when more came"))


def test_body_larger_than_1024_bytes(server, rng):
    name = full_name(rng)
    message = "A long message. " * rng.randint(300, 400)     # 5 to 6 KB once urlencoded
    body = urlencode({"message": message, "name": name}).encode()
    exchange = send_in_pieces(server, [raw_post(body) + body], name)
    expect_thanks(exchange, name, hint="read_body", why=(
        f". The body is {len(body)} bytes, with the name at its very end: one recv(1024) cannot hold it, "
        "read until you have Content-Length bytes"))


def test_a_client_that_sends_less_than_content_length_and_leaves_does_not_hang_the_server(server):
    survives_a_short_body(server, "/contact", content_type="application/x-www-form-urlencoded",
                          body=b"name=Ada&message=Hel", hint="read_body")
