"""json_api: GET /api/status and POST /api/echo speak JSON.

The checks:
- GET /api/status answers 200, Content-Type application/json, and a JSON object with "status": "ok"
  (other keys are welcome);
- POST /api/echo with a JSON body answers 200, application/json, {"you_sent": <the same value>}, for a
  random nested object;
- ... and for values that are not objects: a list, a string, a number, true, false or null;
- "application/json; charset=utf-8" is JSON too, and so is any legal spelling of it (Application/JSON,
  "application/json ;charset=UTF-8"): media types are case-insensitive;
- requests in other legal shapes (header names in any case, the request cut at any byte) are echoed the same;
- HEAD /api/status is the head of GET /api/status (same status, Content-Type, Content-Length, no body);
- non-ASCII text is echoed intact, and Content-Length counts the body's bytes, not its characters
  (checked on the raw bytes: a Content-Length that is too small cuts the body);
- invalid JSON gives 400 with a JSON object {"error": ...};
- a body that is not UTF-8 ({"a": "<the byte 0xff>"}) gives 400 with a JSON {"error": ...}, not a dropped
  connection or a 500: JSON on the wire is UTF-8 (RFC 8259 §8.1);
- a Content-Type that is not JSON (text/plain, a form) gives 415, and so does a POST with no Content-Type.
The values are random, so a hard-coded answer cannot pass.
- a client that sends less than its Content-Length and leaves does not stop the server.
"""
import json

from graders.foundations.first_server_checks import shaped, split_anywhere
from graders.harness import (
    GraderFailure,
    expect,
    fetch,
    head_is_the_head_of_get,
    open_raw,
    send_raw,
    survives_a_short_body,
    with_advice,
)

WORDS = ["teapot", "kettle", "socket", "header", "crumpet", "lantern", "pebble", "walrus", "noodle", "quill"]
NON_ASCII = ["Zürich", "Kraków", "São Paulo", "東京", "Αθήνα", "Smørrebrød", "crème brûlée", "jalapeño"]
EMOJI = ["🐍", "☕", "🚀", "🦀", "🎉"]
BROKEN = ['{"name": "Ada",}', "[1, 2", "{'single': 'quotes'}", "not json at all", '{"a": 1} {"b": 2}',
          '{"text": "no end}', "{name: 1}", ""]

ECHOED = '200 OK with {"you_sent": <the value we sent>}'
BYTES_RULE = ('Content-Length must count bytes: len(body.encode()), not len(body). "ü" is 1 character '
              "but 2 bytes in UTF-8")


def scalar(rng):
    return rng.choice([rng.randint(-1000, 1000), rng.randint(0, 99) / 4, rng.choice(WORDS), True, False, None])


def nested(rng, depth: int = 0):
    """A random JSON object with lists and objects inside (ASCII text only: non-ASCII has its own check)."""
    value = {f"{rng.choice(WORDS)}_{n}": scalar(rng) for n in range(rng.randint(2, 4))}
    if depth < 2:
        value["items"] = [scalar(rng) for _ in range(rng.randint(1, 4))] + [nested(rng, depth + 1)]
        value["inner"] = nested(rng, depth + 1)
    return value


def is_json_type(exchange) -> bool:
    return exchange.headers.get("Content-Type", "").split(";")[0].strip().lower() == "application/json"


def expect_echo(exchange, value, hint: str | None) -> None:
    wanted = {"you_sent": value}
    expect(exchange.status == 200, exchange, expected=f"200 OK with the JSON {json.dumps(wanted)}",
           got=f"{exchange.status} {exchange.reason}", hint=hint)
    expect(is_json_type(exchange), exchange, expected="Content-Type: application/json",
           got=exchange.headers.get("Content-Type", "no Content-Type at all"), hint=hint)
    got = exchange.json()
    expect(got == wanted, exchange, expected=f"the JSON {json.dumps(wanted)}", got=json.dumps(got), hint=hint)


def post_echo(server, body: bytes, content_type: str = "application/json", *, expected: str, hint: str | None):
    try:
        return fetch(server, "POST", "/api/echo", headers={"Content-Type": content_type}, data=body)
    except GraderFailure as failure:
        raise with_advice(failure, expected, hint) from None


def test_status_is_json(server):
    exchange = fetch(server, "GET", "/api/status")
    expect(exchange.status == 200, exchange, expected='200 OK with the JSON {"status": "ok"}',
           got=f"{exchange.status} {exchange.reason}", hint="status")
    expect(is_json_type(exchange), exchange, expected="Content-Type: application/json",
           got=exchange.headers.get("Content-Type", "no Content-Type at all"), hint="status")
    got = exchange.json()
    expect(isinstance(got, dict) and got.get("status") == "ok", exchange,
           expected='a JSON object with "status": "ok"', got=json.dumps(got), hint="status")


def test_only_api_status_is_the_status(server, rng):
    path = f"/api/status{rng.choice(['x', 'es', '2', '/more'])}"
    exchange = fetch(server, "GET", path)
    expect(exchange.status == 404, exchange, expected=f"404 Not Found: {path} is not /api/status (compare the "
           "whole path, request.path == '/api/status')", got=f"{exchange.status} {exchange.reason}", hint="status")


def test_json_nested_too_deeply_is_400(server, rng):
    """json.loads raises RecursionError, not ValueError, for a body nested deeper than Python's stack."""
    depth = rng.randint(100_000, 200_000)
    exchange = post_echo(server, b"[" * depth + b"]" * depth,
                         expected='400 Bad Request with a JSON body {"error": ...}', hint="bad_json")
    expect(exchange.status == 400, exchange, expected=f"400 Bad Request: JSON nested {depth} levels deep is more "
           "than the parser can read (json.loads raises RecursionError: catch it with ValueError)",
           got=f"{exchange.status} {exchange.reason}", hint="bad_json")


def test_echo_returns_nested_value(server, rng):
    value = nested(rng)
    exchange = post_echo(server, json.dumps(value).encode(), expected=ECHOED, hint=None)
    expect_echo(exchange, value, hint=None)


def test_echo_reads_any_legal_shape_of_request(server, rng):
    value = nested(rng, depth=1)
    body = json.dumps(value).encode()
    data = shaped(rng, "/api/echo", "POST", (("Content-Type", "application/json"),
                                             ("Content-Length", str(len(body)))), body)
    try:
        exchange = send_raw(server, split_anywhere(rng, data), pause=0.05)
    except GraderFailure as failure:
        raise with_advice(failure, f"{ECHOED}: header names may come in any case (content-type, CONTENT-LENGTH), "
                          "and the request in any pieces", "content_type") from None
    expect_echo(exchange, value, hint="content_type")


def test_echo_returns_any_json_value(server, rng):
    # A JSON text may be any value, not only an object: a list, a string, and false, 0 or null too.
    for value in ([scalar(rng) for _ in range(3)], rng.choice([0, False, None]), rng.choice(WORDS)):
        exchange = post_echo(server, json.dumps(value).encode(), expected=ECHOED, hint=None)
        expect_echo(exchange, value, hint=None)


JSON_SPELLINGS = ["application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON",
                  "application/json ; charset=utf-8", "APPLICATION/JSON; Charset=\"utf-8\""]


def test_json_with_charset_is_json(server, rng):
    for content_type in [JSON_SPELLINGS[0], rng.choice(JSON_SPELLINGS[1:])]:
        value = nested(rng, depth=2)
        exchange = post_echo(server, json.dumps(value).encode(), content_type,
                             expected=ECHOED, hint="content_type")
        expect(exchange.status != 415, exchange,
               expected=f"{ECHOED}: {content_type} is JSON. Compare the media type alone, the part before ';', "
                        "stripped of spaces and lower-cased: media types are case-insensitive",
               got=f"{exchange.status} {exchange.reason}", hint="content_type")
        expect_echo(exchange, value, hint="content_type")


def test_non_ascii_echo_counts_bytes(server, rng):
    value = {"city": rng.choice(NON_ASCII), "mood": rng.choice(EMOJI), "n": rng.randint(1, 999)}
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    request = (b"POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    # A raw socket and a strict parser, so a wrong Content-Length shows instead of being papered over.
    with open_raw(server) as connection:
        connection.send(request)
        try:
            exchange = connection.read_response()
        except GraderFailure as failure:   # a Content-Length too large: the body ended before it said
            raise with_advice(failure, f"a Content-Length that is the body's size in bytes. {BYTES_RULE}",
                              "bytes") from None
        connection.is_closed(within=0.5)   # collect whatever came after the bytes Content-Length announced
        extra = connection.buffer
    announced = exchange.headers.get("Content-Length", "(none)")
    cut_off = extra[:60].decode("utf-8", "replace")
    size = len(exchange.body) + len(extra)
    expect(not extra, exchange, expected=f"Content-Length: {size}, the body's size in bytes",
           got=f"Content-Length: {announced}, which cut off the last {len(extra)} bytes ({cut_off!r}). "
               f"{BYTES_RULE}", hint="bytes")
    expect_echo(exchange, value, hint="bytes")


def test_invalid_json_is_400(server, rng):
    for broken in rng.sample(BROKEN, 2):
        exchange = post_echo(server, broken.encode(), expected='400 Bad Request with a JSON body {"error": ...}',
                             hint="bad_json")
        expect(exchange.status == 400, exchange, expected='400 Bad Request with a JSON body {"error": ...}',
               got=f"{exchange.status} {exchange.reason}", hint="bad_json")
        try:
            got = json.loads(exchange.body)
        except ValueError:
            got = None
        expect(isinstance(got, dict) and "error" in got, exchange,
               expected='a JSON object with an "error" key, such as {"error": "the body is not valid JSON"}',
               got=repr(exchange.text[:80]), hint="bad_json")


def test_a_body_that_is_not_utf8_is_400(server, rng):
    word = rng.choice(WORDS)
    body = b'{"%s": "caf\xe9 \xff"}' % word.encode()         # Latin-1 bytes: no UTF-8 decoder can read them
    shown = '{"' + word + '": "caf<0xe9> <0xff>"}'
    head = (f"POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("latin-1")
    try:
        exchange = send_raw(server, head + body)       # raw: the body's bytes exactly as they are
    except GraderFailure as failure:
        raise with_advice(failure, '400 Bad Request with a JSON body {"error": ...} for a body that is not UTF-8 '
                          f"({shown}). json.loads() raises UnicodeDecodeError for it: a ValueError, but not a "
                          "json.JSONDecodeError. Catch ValueError, which covers both", "bad_json") from None
    expect(exchange.status == 400, exchange,
           expected=f'400 Bad Request with a JSON body {{"error": ...}}: the body ({shown}) is not UTF-8, and JSON '
                    "on the wire is UTF-8 (RFC 8259 §8.1)",
           got=f"{exchange.status} {exchange.reason}" + (". json.loads() raised UnicodeDecodeError, a ValueError "
                                                          "but not a json.JSONDecodeError: catch ValueError"
                                                          if exchange.status == 500 else ""), hint="bad_json")
    try:
        got = json.loads(exchange.body)
    except ValueError:
        got = None
    expect(isinstance(got, dict) and "error" in got, exchange,
           expected='a JSON object with an "error" key, such as {"error": "the body is not UTF-8 JSON"}',
           got=repr(exchange.text[:80]), hint="bad_json")


def test_a_post_without_content_type_is_415(server, rng):
    value = nested(rng, depth=1)
    try:
        exchange = fetch(server, "POST", "/api/echo", data=json.dumps(value).encode())   # no Content-Type at all
    except GraderFailure as failure:
        raise with_advice(failure, "415 Unsupported Media Type for a POST with no Content-Type header at all. "
                          "headers.get('content-type') is None then, and None.startswith(...) raises "
                          "AttributeError: give a default, request.header('content-type', '')",
                          "content_type") from None
    expect(exchange.status == 415, exchange,
           expected="415 Unsupported Media Type: a body with no Content-Type is not declared as JSON",
           got=f"{exchange.status} {exchange.reason}" + (
               ". With no Content-Type, headers.get('content-type') is None, and None.startswith(...) raises "
               "AttributeError: give a default, request.header('content-type', '')" if exchange.status == 500
               else ""), hint="content_type")


def test_head_is_the_head_of_get(server):
    head_is_the_head_of_get(server, "/api/status", hint="status")


def test_wrong_content_type_is_415(server, rng):
    value = nested(rng, depth=2)
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        exchange = post_echo(server, json.dumps(value).encode(), content_type,
                             expected="415 Unsupported Media Type", hint="content_type")
        expect(exchange.status == 415, exchange,
               expected=f"415 Unsupported Media Type: {content_type} is not application/json",
               got=f"{exchange.status} {exchange.reason}", hint="content_type")


def test_a_client_that_sends_less_than_content_length_and_leaves_does_not_hang_the_server(server):
    survives_a_short_body(server, "/api/echo", content_type="application/json", body=b'{"city": "Zur',
                          hint="bad_json", then="/api/status")
