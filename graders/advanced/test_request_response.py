"""request_response: handlers take a Request and return a Response that turns itself into bytes.

The checks (byte-level, over a raw socket read strictly by h11):
- GET /inspect?x=<v> answers JSON with "method": "GET", "path": "/inspect" and "query": {"x": "<v>"}, the
  query decoded (+ and %20 for a space, %26 for &, UTF-8) and every field in it, the request sent in a few
  writes cut at random bytes;
- header names in its "headers" are lower-cased whatever case the client typed (X-RaNdOm-...), and their
  values come through as sent, without the optional spaces around them;
- a header sent on two lines (in two cases) is one header whose value lists both, in order (RFC 9110, 5.3);
- where the JSON also has "user_agent" (the starter's inspect() looks it up with headers.get("User-Agent")), it is
  the User-Agent we sent, under whatever case of its name;
- the Response counts its own Content-Length in bytes: a non-ASCII query value (café, 東京) comes back whole;
- GET /created answers 201 Created with `Location: /inspect`;
- GET /cookies carries two separate Set-Cookie headers, a=1 and b=2: the second must not replace the first;
- HEAD /created, HEAD /cookies and HEAD of a static file answer GET's status and headers, with no body;
- a client that sends less than its Content-Length and leaves does not stop the server.
"""
import json
import random
import string
from urllib.parse import quote, quote_plus

from graders.advanced.app_checks import split_at_random
from graders.harness import expect, head_is_the_head_of_get, open_raw, send_raw, survives_a_short_body

NON_ASCII = ["café", "naïve", "東京", "smörgåsbord", "crème brûlée", "Zürich"]


def request_bytes(server, target: str, extra_headers: str = "") -> bytes:
    head = f"GET {target} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n{extra_headers}Connection: close\r\n\r\n"
    return head.encode("latin-1")


def get(server, target: str, extra_headers: str = ""):
    return send_raw(server, request_bytes(server, target, extra_headers))


def inspect_json(exchange, hint: str) -> dict:
    expect(exchange.status == 200, exchange, expected="200 OK with JSON describing the request",
           got=f"{exchange.status} {exchange.reason}", hint=hint)
    data = exchange.json()
    expect(isinstance(data, dict), exchange, expected='a JSON object such as {"method": "GET", ...}',
           got=f"JSON of type {type(data).__name__}", hint=hint)
    return data


def odd_case(name: str, rng: random.Random) -> str:
    return "".join(rng.choice((c.upper(), c.lower())) for c in name)


def test_inspect_describes_the_request(server, rng):
    value = rng.choice([str(rng.randint(1, 10_000)), f"{rng.randint(1, 99)} apples & pears", "a=b", "café au lait"])
    other = "".join(rng.choice(string.ascii_lowercase) for _ in range(6))
    fields = [f"x={rng.choice([quote, quote_plus])(value, safe='')}", f"y={other}"]
    rng.shuffle(fields)
    # In a few writes, cut at random bytes: a request is read until its blank line, however it arrives.
    exchange = send_raw(server, split_at_random(request_bytes(server, "/inspect?" + "&".join(fields)), rng), pause=0.05)
    data = inspect_json(exchange, "headers")
    for key, expected in (("method", "GET"), ("path", "/inspect"), ("query", {"x": value, "y": other})):
        expect(data.get(key) == expected, exchange, expected=f'"{key}": {json.dumps(expected, ensure_ascii=False)} '
               "in the JSON" + (" (the query decoded: + and %20 are spaces, %26 is &)" if key == "query" else ""),
               got=f'"{key}": {json.dumps(data[key], ensure_ascii=False)}' if key in data else f'no "{key}" key',
               hint="headers")


def test_header_names_are_case_insensitive(server, rng):
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(8))
    sent_name = odd_case(f"X-Random-{word}", rng)
    while sent_name == sent_name.lower():   # make sure some letters really are upper-case
        sent_name = odd_case(f"X-Random-{word}", rng)
    value = f"Value-{rng.randint(1000, 9999)}"
    agent = f"grader/{rng.randint(1, 99)}"
    agent_name = rng.choice(["user-agent", "USER-AGENT", "uSeR-aGeNt"])
    spaces = rng.choice(["", " ", "  ", "\t "])
    exchange = get(server, "/inspect", f"{sent_name}:{spaces}{value}{spaces}\r\n{agent_name}: {agent}\r\n")
    data = inspect_json(exchange, "headers")
    headers = data.get("headers")
    expect(isinstance(headers, dict), exchange, expected='a "headers" object in the JSON', got=repr(headers),
           hint="headers")
    lowered = sent_name.lower()
    expect(lowered in headers, exchange,
           expected=f'the header we sent as {sent_name} listed under its lower-cased name, "{lowered}": header '
                    "names are case-insensitive, so a Request stores them one way",
           got=f"the names {sorted(headers)}", hint="headers")
    expect(headers[lowered] == value, exchange, expected=f'"{lowered}": "{value}", the value as we sent it (the '
           "spaces around a value are not part of it)", got=f'"{lowered}": {headers[lowered]!r}', hint="headers")
    if "user_agent" in data:
        expect(data["user_agent"] == agent, exchange,
               expected=f'"user_agent": "{agent}": we sent it as {agent_name}, and inspect() asks for '
                        "headers.get(\"User-Agent\"). Names are case-insensitive: get() must lower-case the name it "
                        "looks up, as the names were lower-cased when stored",
               got=f'"user_agent": {json.dumps(data["user_agent"])}', hint="headers")


def test_a_header_on_two_lines_is_one_list(server, rng):
    name = f"X-List-{rng.randint(100, 999)}"
    first, second = (f"{word}-{rng.randint(10, 99)}" for word in ("first", "second"))
    exchange = get(server, "/inspect", f"{odd_case(name, rng)}: {first}\r\n{name.lower()}: {second}\r\n")
    headers = inspect_json(exchange, "headers").get("headers") or {}
    got = headers.get(name.lower())
    listed = [part.strip() for part in got.split(",")] if isinstance(got, str) else got
    expect(listed == [first, second], exchange,
           expected=f'"{name.lower()}": "{first}, {second}": we sent {name} on two lines, which means one header '
                    "whose value is the list of both (RFC 9110, 5.3), not only the last line",
           got=f'"{name.lower()}": {json.dumps(got)}', hint="headers")


def test_content_length_counts_bytes(server, rng):
    value = rng.choice(NON_ASCII) + str(rng.randint(1, 99))
    with open_raw(server) as connection:
        connection.send(request_bytes(server, "/inspect?x=" + quote(value)))
        exchange = connection.read_response()   # h11 reads exactly Content-Length bytes of body
        connection.is_closed(within=1.0)        # and whatever the server sent beyond them lands in the buffer
        extra = connection.buffer
    expect(not extra, exchange, expected=f"a Content-Length that counts every byte of the body. The query value "
           f'"{value}" has {len(value)} characters but {len(value.encode())} bytes in UTF-8',
           got=f"{len(extra)} more byte{'s' if len(extra) != 1 else ''} after the {len(exchange.body)} that "
               f"Content-Length announced ({extra[:60]!r}): it counted characters, not bytes", hint="content_length")
    query = inspect_json(exchange, "content_length").get("query")
    expect(query == {"x": value}, exchange,
           expected=f'"query": {{"x": "{value}"}}. "{value}" has {len(value)} characters but '
                    f"{len(value.encode())} bytes in UTF-8: Content-Length must count the bytes",
           got=f'"query": {query!r}', hint="content_length")


def test_created_is_201_with_location(server):
    exchange = get(server, "/created")
    expect(exchange.status == 201, exchange, expected="201 Created", got=f"{exchange.status} {exchange.reason}",
           hint="created")
    location = exchange.headers.get("Location", "")
    expect(location == "/inspect" or location.endswith(f"{server.host}:{server.port}/inspect"), exchange,
           expected="Location: /inspect", got=f"Location: {location}" if location else "no Location header",
           hint="created")


def test_two_set_cookie_headers_both_arrive(server):
    exchange = get(server, "/cookies")
    expect(exchange.status == 200, exchange, expected="200 OK", got=f"{exchange.status} {exchange.reason}",
           hint="header_list")
    cookies = [header.split(";")[0].strip() for header in exchange.headers.get_all("Set-Cookie")]
    expect("a=1" in cookies and "b=2" in cookies, exchange,
           expected="two Set-Cookie headers, one for a=1 and one for b=2 (a dict keeps only the last value per name)",
           got=f"Set-Cookie headers {cookies}" if cookies else "no Set-Cookie header", hint="header_list")


def test_head_is_the_head_of_get(server):
    for path in ("/created", "/cookies", "/styles.css"):
        head_is_the_head_of_get(server, path, hint="content_length")


def test_a_client_that_sends_less_than_content_length_and_leaves_does_not_hang_the_server(server):
    survives_a_short_body(server, "/inspect", content_type="application/json", body=b'{"x": 1',
                          hint="content_length", then="/inspect?x=1")
