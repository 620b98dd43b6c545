"""gzip: text files are compressed when the client accepts gzip, with the right headers.

Every request is sent on a raw socket, so the grader sees the bytes exactly as they travel (an ordinary
HTTP client would decompress them behind our back). The files are picked at random from the site's HTML,
CSS, JavaScript and JSON files in static/. The checks:
- "Accept-Encoding: gzip" gives "Content-Encoding: gzip" and a body that gunzips to the file;
- so does gzip in a list: "gzip, deflate, br", and a list with q weights such as "br;q=1.0, gzip;q=0.8";
- Content-Length counts the compressed bytes, the ones actually sent;
- the compressed answer carries "Vary: Accept-Encoding" (or lists Accept-Encoding in its Vary);
- every answer for a text file carries that Vary, the plain ones too: its body could have differed;
- without Accept-Encoding, the file is sent as it is, with no Content-Encoding;
- with "gzip;q=0" (gzip refused), in any of its legal spellings ("GZIP; Q=0", "gzip ;q=0.000"), the file is
  sent as it is, too;
- HEAD answers the head of GET, with and without gzip: the same Content-Length, and no body.
The header's name and codings come in any case, and items with or without spaces around ";" and ",".
"""
import gzip
import re
import time
import zlib

from graders.ground import STATIC
from graders.harness import Exchange, expect, fail, head_is_the_head_of_get, open_raw, send_raw

STATIC = STATIC
TEXT = (".html", ".css", ".js", ".json")
OTHER_CODINGS = ["deflate", "br", "zstd", "compress"]



def pick_text_file(rng) -> tuple[str, bytes]:
    """A random text file of the site, as (URL path, exact bytes)."""
    files = sorted(path for path in STATIC.rglob("*") if path.suffix in TEXT and path.name != "404.html")
    file = rng.choice(files)
    return "/" + file.relative_to(STATIC).as_posix(), file.read_bytes()


def request(path: str, accept_encoding: str | None, rng=None) -> bytes:
    """A GET; with `rng`, the header's name in any case (RFC 9110, 5.1: names are case-insensitive)."""
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if accept_encoding is not None:
        name = rng.choice(["Accept-Encoding", "accept-encoding", "ACCEPT-ENCODING"]) if rng else "Accept-Encoding"
        head += f"{name}: {accept_encoding}\r\n"
    return (head + "\r\n").encode()


SEPARATORS = (";", "; ", " ;", " ; ")   # every spacing a client may put around ';'


def weighted(rng, coding: str, weight: str) -> str:
    """coding;q=weight as clients may write it: spaces around ';' are allowed (RFC 9110, 5.6.6), case too."""
    return (rng.choice([coding, coding.upper()]) + rng.choice(SEPARATORS)
            + rng.choice(["q", "Q"]) + "=" + weight)


def expect_vary(exchange, why: str) -> None:
    vary = [name.strip().lower() for name in exchange.headers.get("Vary", "").split(",")]
    expect("accept-encoding" in vary or "*" in vary, exchange,
           expected=f"Vary: Accept-Encoding, {why}",
           got=f"Vary: {exchange.headers.get('Vary')}" if exchange.headers.get("Vary") else "no Vary header",
           hint="headers")


def coding(exchange) -> str:
    return exchange.headers.get("Content-Encoding", "").strip().lower()


def expect_gzipped(exchange, path: str, content: bytes, accept_encoding: str) -> None:
    expect(exchange.status == 200, exchange, expected=f"200 OK with the file {path}",
           got=f"{exchange.status} {exchange.reason}", hint="parse")
    expect(coding(exchange) == "gzip", exchange,
           expected=f"Content-Encoding: gzip, since the client sent 'Accept-Encoding: {accept_encoding}'",
           got=f"Content-Encoding: {exchange.headers.get('Content-Encoding')}" if coding(exchange)
               else "no Content-Encoding, so the body is the file as it is", hint="parse")
    try:
        unpacked = gzip.decompress(exchange.body)
    except (OSError, EOFError, zlib.error) as error:
        fail(exchange, expected="a body in gzip format (it starts with the bytes 1f 8b)",
             got=f"{len(exchange.body)} bytes that gzip cannot read ({error}). zlib.compress() makes the "
                 "deflate format: use gzip.compress()", hint="count")
    expect(unpacked == content, exchange, expected=f"a body that gunzips to the {len(content)} bytes of {path}",
           got=f"{len(unpacked)} bytes that differ", hint="count")


def expect_as_it_is(exchange, path: str, content: bytes, why: str, hint: str) -> None:
    expect(exchange.status == 200, exchange, expected=f"200 OK with the file {path}",
           got=f"{exchange.status} {exchange.reason}", hint=hint)
    expect(coding(exchange) in ("", "identity"), exchange, expected=f"no Content-Encoding: {why}",
           got=f"Content-Encoding: {exchange.headers.get('Content-Encoding')}", hint=hint)
    expect(exchange.body == content, exchange, expected=f"the {len(content)} bytes of {path}, as they are",
           got=f"{len(exchange.body)} bytes that differ", hint=hint)


def read_until_closed(server, path: str, data: bytes, seconds: float = 3.0) -> Exchange:
    """Send a request and keep every byte that comes back until the server closes (or `seconds` pass).

    No HTTP client here: a client believes Content-Length, and that is the header under test.
    """
    started = time.perf_counter()
    with open_raw(server, timeout=seconds) as connection:
        connection.send(data)
        received, deadline = b"", time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                chunk = connection.sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
    head, blank_line, body = received.partition(b"\r\n\r\n")
    sent = data.decode().replace("\r\n", "\\r\\n\n")
    return Exchange("GET", path, sent, raw_head=head + blank_line, body=body, status=200 if blank_line else 0,
                    elapsed=time.perf_counter() - started)


def header(exchange, name: str) -> str | None:
    found = re.search(rb"(?im)^" + name.encode() + rb":[ \t]*(.*?)[ \t]*\r?$", exchange.raw_head)
    return found[1].decode("latin-1") if found else None


def test_gzip_alone_gives_a_compressed_body(server, rng):
    path, content = pick_text_file(rng)
    expect_gzipped(send_raw(server, request(path, "gzip")), path, content, "gzip")


def test_gzip_in_a_list_gives_a_compressed_body(server, rng):
    path, content = pick_text_file(rng)
    listed = rng.sample(OTHER_CODINGS, 2)
    listed.insert(rng.randrange(3), "gzip")
    weights = [weighted(rng, rng.choice(OTHER_CODINGS), "1.0"), weighted(rng, "gzip", f"0.{rng.randint(3, 9)}"),
               "*;q=0.1"]
    rng.shuffle(weights)
    for accept_encoding in ["gzip, deflate, br", ", ".join(listed), ",".join(listed), ", ".join(weights),
                            rng.choice(["GZIP", "Gzip"]),
                            *(weighted(rng, "gzip", weight) for weight in ("1", "0.001", "1.000"))]:
        expect_gzipped(send_raw(server, request(path, accept_encoding, rng)), path, content, accept_encoding)


def test_content_length_counts_the_compressed_bytes(server, rng):
    path, content = pick_text_file(rng)
    exchange = read_until_closed(server, path, request(path, "gzip"))
    expect(exchange.raw_head.endswith(b"\r\n\r\n"), exchange,
           expected="an answer: a head, a blank line (\\r\\n\\r\\n), then the body", got="no blank line", hint="count")
    encoding = header(exchange, "Content-Encoding")
    expect(encoding and encoding.lower() == "gzip", exchange, expected="a gzipped answer (Content-Encoding: gzip)",
           got=f"Content-Encoding: {encoding}" if encoding else "no Content-Encoding", hint="parse")
    declared = header(exchange, "Content-Length")
    expect(declared is not None and declared.isdigit(), exchange, expected="a Content-Length header",
           got=f"Content-Length: {declared}" if declared else "none", hint="count")
    before = ", the size before compression" if int(declared) == len(content) else ""
    expect(int(declared) == len(exchange.body), exchange,
           expected=f"Content-Length: {len(exchange.body)}, the number of body bytes your server sent",
           got=f"Content-Length: {declared}{before}. The client reads exactly Content-Length bytes, so count "
               "the body after compressing it", hint="count")


def test_compressed_answer_says_vary_accept_encoding(server, rng):
    path, content = pick_text_file(rng)
    exchange = send_raw(server, request(path, "gzip"))
    expect_gzipped(exchange, path, content, "gzip")
    expect_vary(exchange, "so a cache keeps the gzipped and the plain answer apart")


def test_a_plain_answer_says_vary_accept_encoding_too(server, rng):
    path, content = pick_text_file(rng)
    for accept_encoding in (None, weighted(rng, "gzip", "0")):
        exchange = send_raw(server, request(path, accept_encoding, rng))
        expect_as_it_is(exchange, path, content, "gzip was not accepted", hint="parse")
        expect_vary(exchange, "on the plain answer too: it depends on Accept-Encoding as much as the gzipped one. "
                    "A cache that keeps a plain answer without Vary serves it to every client after, whatever they "
                    "accept: add Vary to every text answer, compressed or not")


def test_no_accept_encoding_sends_the_file_as_it_is(server, rng):
    path, content = pick_text_file(rng)
    exchange = send_raw(server, request(path, None))
    expect_as_it_is(exchange, path, content, "the client did not say it can decode anything", hint="parse")
    for accept_encoding in (", ".join(rng.sample(OTHER_CODINGS, 2)), "identity", ""):
        exchange = send_raw(server, request(path, accept_encoding, rng))
        expect_as_it_is(exchange, path, content, f"'Accept-Encoding: {accept_encoding}' does not list gzip",
                        hint="parse")


def test_gzip_refused_with_q0_sends_the_file_as_it_is(server, rng):
    path, content = pick_text_file(rng)
    zeros = ["0", "0.0", "0.000"]
    # Every spacing with the coding and q in lower case, then each in upper case: a server may well send the
    # file as it is for a "GZIP" it does not recognise, so a drawn upper case would hide a spacing mistake.
    refusals = [f"gzip{separator}q={rng.choice(zeros)}" for separator in SEPARATORS]
    refusals += [f"gzip{rng.choice(SEPARATORS)}Q={rng.choice(zeros)}", f"GZIP{rng.choice(SEPARATORS)}q=0"]
    refusals += [f"{rng.choice(OTHER_CODINGS)}, {weighted(rng, 'gzip', rng.choice(zeros))}",
                 weighted(rng, "gzip", rng.choice(zeros)) + f", {rng.choice(OTHER_CODINGS)}"]
    rng.shuffle(refusals)
    for accept_encoding in refusals:
        exchange = send_raw(server, request(path, accept_encoding, rng))
        expect_as_it_is(exchange, path, content, f"'{accept_encoding}' means the client refuses gzip (q=0)",
                        hint="parse")


def test_a_weight_that_is_not_a_number_still_gets_the_file(server, rng):
    """q=abc is no weight at all: a server may read it as welcome or not, but it must still answer the file."""
    path, content = pick_text_file(rng)
    accept_encoding = weighted(rng, "gzip", rng.choice(["abc", "", "1.0.0", "one"]))
    exchange = send_raw(server, request(path, accept_encoding, rng))
    expect(exchange.status == 200, exchange, expected=f"200 OK with {path}, compressed or not: '{accept_encoding}' "
           "holds a weight that is not a number, which must not break the answer (float() raises ValueError: "
           "catch it, and read the weight as you choose)", got=f"{exchange.status} {exchange.reason}", hint="parse")
    body = gzip.decompress(exchange.body) if exchange.headers.get("Content-Encoding") == "gzip" else exchange.body
    expect(body == content, exchange, expected=f"the bytes of {path}", got="other bytes", hint="parse")


def test_head_is_the_head_of_get(server, rng):
    path, _content = pick_text_file(rng)
    head_is_the_head_of_get(server, path, hint="count")
    head_is_the_head_of_get(server, path, hint="count", extra_headers="Accept-Encoding: gzip\r\n")
