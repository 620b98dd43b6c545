"""mime_types: every file goes out with its registered Content-Type, and its exact bytes.

The checks:
- each of sample.gif, favicon.ico, sample.webp, notes.txt, data.json and font.woff2, fetched from
  /files/<name>, answers 200 with its registered type: image/gif, image/vnd.microsoft.icon (image/x-icon,
  which nginx and Apache send, is fine too), image/webp, text/plain, application/json and font/woff2.
  Only the type itself is compared; a charset, if the header names one, must be utf-8;
- every one of those files arrives byte for byte as it is in static/files/;
- HEAD of a registered file is the head of its GET (the same status, Content-Type and Content-Length, no
  body on the wire), and a request in another legal shape (header names in any case, cut at any byte) gets
  the same type and bytes;
- a file whose extension nobody registered, /files/mystery.unknown (in the site, so any server can be
  graded), stays application/octet-stream.
"""

import pytest

from graders.foundations.first_server_checks import shaped, split_anywhere
from graders.ground import STATIC
from graders.harness import expect, fail, fetch, head_is_the_head_of_get, send_raw

STATIC_FILES = STATIC / "files"   # the site's data, to compare bytes

REGISTERED = {
    "sample.gif": ("image/gif",),
    "favicon.ico": ("image/vnd.microsoft.icon", "image/x-icon"),
    "sample.webp": ("image/webp",),
    "notes.txt": ("text/plain",),
    "data.json": ("application/json",),
    "font.woff2": ("font/woff2",),
}



def media_type(exchange) -> tuple[str, str | None]:
    """'text/plain; charset=UTF-8' -> ('text/plain', 'utf-8')."""
    kind, *parameters = exchange.headers.get("Content-Type", "").split(";")
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return kind.strip().lower(), charset


@pytest.mark.parametrize("name", REGISTERED)
def test_file_has_its_registered_type(server, name):
    exchange = fetch(server, "GET", f"/files/{name}")
    expect(exchange.status == 200, exchange, expected=f"200 OK: static/files/{name} exists",
           got=f"{exchange.status} {exchange.reason}", hint="trust")
    kind, charset = media_type(exchange)
    wanted = " or ".join(REGISTERED[name])
    expect(kind in REGISTERED[name], exchange, expected=f"Content-Type: {wanted}",
           got=exchange.headers.get("Content-Type") or "no Content-Type at all")   # hints in turn, nudge first
    expect(charset in (None, "utf-8"), exchange, expected=f"charset=utf-8, since {name} is saved in UTF-8",
           got=f"charset={charset}", hint="types")


def test_files_arrive_byte_for_byte(server):
    for name in REGISTERED:
        on_disk = (STATIC_FILES / name).read_bytes()
        exchange = fetch(server, "GET", f"/files/{name}")
        expect(exchange.status == 200, exchange, expected=f"200 OK: static/files/{name} exists",
               got=f"{exchange.status} {exchange.reason}", hint="trust")
        if exchange.body != on_disk:
            same = next((i for i, (a, b) in enumerate(zip(exchange.body, on_disk, strict=False)) if a != b),
                        min(len(exchange.body), len(on_disk)))
            fail(exchange, expected=f"the {len(on_disk):,} bytes of static/files/{name}, exactly as they are on disk",
                 got=f"{len(exchange.body):,} bytes, which differ from the file from byte {same:,} on. Send what "
                     "read_bytes() gives: read_text() decodes the bytes, and a GIF is not text", hint="trust")


def test_unknown_extension_stays_octet_stream(server):
    exchange = fetch(server, "GET", "/files/mystery.unknown")
    expect(exchange.status == 200, exchange,
           expected="200 OK: the file static/files/mystery.unknown, served like every file of the site",
           got=f"{exchange.status} {exchange.reason}", hint="table")
    kind, _charset = media_type(exchange)
    expect(kind == "application/octet-stream", exchange,
           expected="Content-Type: application/octet-stream, because nobody registered .unknown. "
                    "A server that does not know a file's type must not guess it",
           got=exchange.headers.get("Content-Type") or "no Content-Type at all", hint="table")


def test_head_is_the_head_of_get(server, rng):
    for name in rng.sample(sorted(REGISTERED), 2):
        head_is_the_head_of_get(server, f"/files/{name}", hint="types")


def test_any_legal_shape_of_request_gets_the_type(server, rng):
    name = rng.choice(sorted(REGISTERED))
    exchange = send_raw(server, split_anywhere(rng, shaped(rng, f"/files/{name}")), pause=0.05)
    kind, _charset = media_type(exchange)
    expect(exchange.status == 200 and kind in REGISTERED[name], exchange,
           expected=f"200 OK with Content-Type: {' or '.join(REGISTERED[name])}",
           got=f"{exchange.status} {exchange.reason}, {exchange.headers.get('Content-Type') or 'no Content-Type'}",
           hint="types")
    expect(exchange.body == (STATIC_FILES / name).read_bytes(), exchange,
           expected=f"the bytes of static/files/{name}", got=f"{len(exchange.body):,} other bytes", hint="trust")
