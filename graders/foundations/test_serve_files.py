"""serve_files: the blocking file server, over a bare socket.

The server runs with --static pointing at the grader's copy of static/, to which the grader adds a page, a
binary file and a file of unknown type, with random names and contents, and beside which it puts a secret
file the server must never serve. The checks:
- GET / serves static/index.html, byte for byte, as text/html; the head is strict HTTP (\\r\\n line endings,
  a Content-Length that counts bytes: index.html holds non-ASCII characters) and the server hangs up after
  a Connection: close request;
- an extensionless path, /about or /<the grader's page>, serves <path>.html;
- each file comes with the Content-Type of the foundations table: html, css, js, png, jpg, svg, and
  application/octet-stream for any other extension (only the media type is compared; text/javascript and
  application/javascript are both fine);
- binary files arrive as their exact bytes: the site's PNG and JPEG, and the grader's own PNG, which holds
  every byte value, \\r\\n, lone \\r and \\n, and bytes that are not UTF-8;
- a missing file gives status 404 with an HTML page, and so does a file name too long for the disk;
- a head of 3 KB, sent in one write, is read whole before the answer (no reset from unread bytes), and a
  head sent in two writes half a second apart is answered only after its blank line;
- a path that climbs out of static/ (/../, %2e%2e, ..%2f, %2e%2e%2f, ..%5c, and a sibling folder whose name
  starts like static's) never returns the secret: 404, 400 or 403;
- a malformed request line gives 400, and the server serves the next client;
- a head of 24 to 40 KB, far over the starter's MAX_HEAD (16 KB), gives 431 (or 400), never the page: a
  server that reads no further than MAX_HEAD and answers anyway answers half a request;
- DELETE, PUT, POST or PATCH gives 405 or 501;
- HEAD is the head of GET for a page, a binary file and a 404: the same status, Content-Type and
  Content-Length (the length of the body left out, not 0), and no body on the wire;
- requests in other legal shapes (header names in any case, cut at any byte) get the same files;
- clients that connect and leave without a byte (a close, a reset) do not stop it.
"""
import difflib
import random
import shutil
import string
from pathlib import Path

import pytest

from graders.foundations.first_server_checks import (
    any_case,
    head_in_two_writes,
    request,
    shaped,
    split_anywhere,
    strict_answer,
    survives_clients_that_leave,
)
from graders.ground import STATIC
from graders.harness import GraderFailure, expect, fail, head_is_the_head_of_get, send_raw, with_advice
from graders.harness.plugin import SEED

KIT_STATIC = STATIC
SERVER_ARGS = []        # filled in by the `site` fixture: --static <the grader's copy of static/>
TYPES = {".html": ("text/html",), ".css": ("text/css",), ".js": ("text/javascript", "application/javascript"),
         ".png": ("image/png",), ".jpg": ("image/jpeg",), ".svg": ("image/svg+xml",)}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Site:
    """The grader's copy of static/, with its own random files, and a secret outside it."""

    def __init__(self, root: Path, rng: random.Random):
        self.static = root / "static"
        shutil.copytree(KIT_STATIC, self.static)
        token = "".join(rng.choices(string.ascii_lowercase + string.digits, k=8))
        self.page = f"grader-{token}"                       # static/grader-<token>.html, served at /grader-<token>
        self.page_text = f"<!doctype html>\n<title>Grader {token}</title>\n<h1>Café ✨ {token} — “ok”</h1>\n"
        (self.static / f"{self.page}.html").write_bytes(self.page_text.encode("utf-8"))
        self.png = f"images/grader-{token}.png"             # every byte value, \r\n, lone \r and \n, non-UTF-8
        noise = bytes(range(256)) + b"\r\n\n\r" + bytes(rng.randrange(256) for _ in range(rng.randint(2000, 4000)))
        (self.static / self.png).write_bytes(PNG_SIGNATURE + noise)
        self.unknown = f"files/grader-{token}.x{rng.randint(100, 999)}"     # an extension nobody registered
        (self.static / self.unknown).write_bytes(b"\x00\x01 some bytes \xff\xfe")
        self.secret = f"secret {token}{rng.randint(1000, 9999)}"
        (root / "secret.txt").write_text(self.secret, encoding="utf-8")
        (root / "static-private").mkdir()                   # a sibling whose name starts like static's
        (root / "static-private" / "secret.txt").write_text(self.secret, encoding="utf-8")

    def bytes_of(self, path: str) -> bytes:
        return (self.static / path.lstrip("/")).read_bytes()


@pytest.fixture(scope="module", autouse=True)
def site(request, tmp_path_factory) -> Site:
    """Made before the server boots (autouse fixtures come first in their scope), so SERVER_ARGS is ready."""
    made = Site(tmp_path_factory.mktemp("site"), random.Random(f"{request.config.stash[SEED]}:serve_files"))
    SERVER_ARGS[:] = ["--static", str(made.static)]
    return made


def own_files_only(request):
    if request.config.getoption("server_url"):
        pytest.skip("this check uses files the grader adds to its own copy of static/: run without --server-url")


def get(server, path: str, hint: str = "files", method: str = "GET", expected: str = "", data=None):
    """One request, its answer read strictly (\\r\\n, Content-Length in bytes, the hang-up)."""
    return strict_answer(server, data or request(path, method), expected=expected or f"an answer to {method} {path}",
                         hint=hint, framing_hint="files", read_hint="read_head", loop_hint="errors")


def expect_file(server, exchange, site: Site, file: str, hint: str = "files") -> None:
    """200, and exactly the bytes of static/<file>."""
    file = file.lstrip("/")
    on_disk = site.bytes_of(file)
    expect(exchange.status == 200, exchange, expected=f"200 OK with static/{file}",
           got=f"{exchange.status} {exchange.reason}", hint=hint)
    if exchange.body != on_disk:
        fail(exchange, expected=f"the {len(on_disk):,} bytes of static/{file}, exactly as they are on disk",
             got=how_it_differs(exchange.body, on_disk, file), hint="files")


def how_it_differs(body: bytes, on_disk: bytes, file: str) -> str:
    """A damaged copy of the file (text mode), or another body altogether (the wrong file, or none)."""
    same = next((i for i, (a, b) in enumerate(zip(body, on_disk, strict=False)) if a != b),
                min(len(body), len(on_disk)))
    try:
        on_disk.decode("utf-8")
        decoded = False
    except UnicodeDecodeError:       # a binary file: did text mode decode it, with U+FFFD for what is not UTF-8?
        decoded = (b"\xef\xbf\xbd" in body or body == on_disk.decode("latin-1").encode("utf-8")
                   or difflib.SequenceMatcher(None, body[:512], on_disk[:512]).ratio() > 0.5)
    if same >= 64 or decoded:
        return (f"{len(body):,} bytes, which differ from the file from byte {same:,} on. Read the file as bytes, "
                "file.read_bytes() or open(file, 'rb'): text mode decodes it and may change its line endings, "
                "and an image is not text")
    return (f"another body, {len(body):,} bytes that are not static/{file}. Take the path from the request line, "
            "find its file under static/, and send that file's bytes")


def expect_type(exchange, extension: str) -> None:
    wanted = TYPES.get(extension, ("application/octet-stream",))
    kind = exchange.headers.get("Content-Type", "")
    expect(kind.split(";")[0].strip().lower() in wanted, exchange,
           expected=f"Content-Type: {' or '.join(wanted)}, from the table of types by the extension {extension}",
           got=kind or "no Content-Type at all", hint="files")


def test_home_page_is_index_html(server, site):
    exchange = get(server, "/")
    expect_file(server, exchange, site, "index.html")
    expect_type(exchange, ".html")


def test_an_extensionless_path_serves_its_html_file(server, site, request):
    expect_file(server, get(server, "/about"), site, "about.html")
    own_files_only(request)
    exchange = get(server, f"/{site.page}")
    expect_file(server, exchange, site, f"{site.page}.html")
    expect_file(server, get(server, f"/{site.page}.html"), site, f"{site.page}.html")


@pytest.mark.parametrize("path", ["/styles.css", "/app.js", "/images/logo.png", "/images/photo.jpg",
                                  "/images/diagram.svg", "/help.html", "unknown"])
def test_each_file_has_its_content_type(server, site, request, path):
    if path == "unknown":
        own_files_only(request)
        path = f"/{site.unknown}"
    exchange = get(server, path)
    expect_file(server, exchange, site, path)
    expect_type(exchange, Path(path).suffix)


def test_binary_files_arrive_byte_for_byte(server, site, request, rng):
    for path in ("/images/logo.png", "/images/photo.jpg"):
        expect_file(server, get(server, path, data=split_anywhere(rng, shaped(rng, path))), site, path)
    own_files_only(request)
    expect_file(server, get(server, f"/{site.png}"), site, site.png)


def test_a_missing_file_is_a_404_page(server, rng):
    path = f"/no-such-page-{rng.randint(1000, 9999)}.html"
    exchange = get(server, path, hint="errors")
    expect(exchange.status == 404, exchange,
           expected=f"the status line HTTP/1.1 404 Not Found: {path} is not in static/",
           got=f"{exchange.status} {exchange.reason}. The status line is what a browser, curl and a search engine "
               "believe: a page that says 'not found' under 200 OK is a page that was found", hint="errors")
    expect(exchange.headers.get("Content-Type", "").lower().startswith("text/html") and exchange.body, exchange,
           expected="a small HTML page with the 404, as Content-Type: text/html",
           got=exchange.headers.get("Content-Type") or "no Content-Type at all", hint="errors")


def test_a_name_too_long_for_the_disk_is_a_404(server, rng):
    path = "/" + "".join(rng.choices(string.ascii_lowercase, k=300)) + ".html"
    short = f"{path[:24]}...(300 letters).html"
    try:
        exchange = get(server, path, hint="errors", expected="404 Not Found: no file can have a name so long. "
                       "Opening it raises OSError (ENAMETOOLONG), not FileNotFoundError: catch OSError")
    except GraderFailure as failure:
        raise GraderFailure(failure.message.replace(path, short), failure.hint) from None
    exchange.target = short
    expect(exchange.status in (404, 400, 414), exchange,
           expected="404 Not Found (or 400, or 414 URI Too Long): no file can have a name of 300 characters",
           got=f"{exchange.status} {exchange.reason}. Opening such a name raises OSError (ENAMETOOLONG), not "
               "FileNotFoundError: catch OSError", hint="errors")


def test_a_3_kb_head_is_read_whole(server, site, rng):
    cookies = "; ".join(f"pref{number}={rng.randrange(10 ** 12)}" for number in range(140))  # 3 KB, as a browser
    exchange = strict_answer(server, request("/about", headers=f"Cookie: {cookies}\r\n"),          # may send
                             expected="200 OK with static/about.html, after reading the whole 3 KB head",
                             hint="read_head", framing_hint="files", read_hint="read_head", loop_hint="errors")
    expect_file(server, exchange, site, "about.html", hint="read_head")


def test_a_head_in_two_writes_is_answered_after_its_blank_line(server, site):
    exchange = head_in_two_writes(server, "/about", expected="static/about.html", hint="read_head",
                                  framing_hint="files")
    expect_file(server, exchange, site, "about.html", hint="read_head")


@pytest.mark.parametrize("target", ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
                                    "/%2e%2e%2fsecret.txt", "/images/../../secret.txt", "/..%5csecret.txt",
                                    "/../static-private/secret.txt", "/%2E%2E/static-private/secret.txt"])
def test_no_path_climbs_out_of_static(server, site, target):
    exchange = send_raw(server, request(target))
    leaked = site.secret.encode() in exchange.body
    expect(exchange.status in (404, 400, 403) and not leaked, exchange,
           expected=f"404 (or 400, or 403): {target} points outside static/, at a file no client may read",
           got=(f"{exchange.status} {exchange.reason} with the secret file from outside static/" if leaked else
                f"{exchange.status} {exchange.reason}") + ". Decode %xx first (urllib.parse.unquote), refuse any "
                "'..' part, and check that the resolved file is still inside static/", hint="safe_path")


@pytest.mark.parametrize("target", ["/index.html%00", "/%00/about.html", "/about%00.html"])
def test_a_nul_in_the_path_is_refused_and_the_server_goes_on(server, site, target):
    """A NUL byte (%00) is in no file name: open() raises ValueError for it, which is not an OSError."""
    try:
        exchange = send_raw(server, request(target))
    except GraderFailure as failure:
        raise with_advice(failure, f"404 (or 400) for {target}, and your server still running: refuse a path "
                          "part holding \\0 before it reaches open()", "safe_path") from None
    expect(exchange.status in (404, 400), exchange, expected=f"404 (or 400): {target} names no file",
           got=f"{exchange.status} {exchange.reason}", hint="safe_path")
    expect_file(server, get(server, "/", hint="safe_path", expected="the next client served"), site, "index.html",
                hint="safe_path")


# Each line breaks one rule of the three (parts, a path that starts with /, HTTP/1.x), so a check that needs every
# rule broken at once still fails on each.
@pytest.mark.parametrize("line", ["HELLO", "GET /index.html HTTP/1.1 please", "GET /index.html",
                                  "GET index.html HTTP/1.1", "GET /index.html FTP/1.0"])
def test_a_malformed_request_line_is_400_and_the_server_goes_on(server, site, line):
    try:
        exchange = send_raw(server, f"{line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    except GraderFailure as failure:
        failure = GraderFailure(failure.message.replace("GET /: ", f"The request line {line!r}: ", 1))
        raise with_advice(failure, "400 Bad Request, and your server still running. Split the request line, "
                          "then check it has three parts before you unpack them, so a bad line cannot crash "
                          "the server", "errors") from None
    exchange.method, exchange.target = "The request line", repr(line)
    expect(exchange.status == 400, exchange,
           expected="400 Bad Request: a request line is three parts, METHOD /path HTTP/1.x, split by spaces",
           got=f"{exchange.status} {exchange.reason}", hint="errors")
    expect_file(server, get(server, "/", hint="errors", expected="the next client served, after the 400"), site,
                "index.html", hint="errors")


@pytest.mark.parametrize("sorts", ["before HEAD", "after HEAD"])
def test_other_methods_are_refused(server, rng, sorts):
    method = "DELETE" if sorts == "before HEAD" else rng.choice(["PUT", "POST", "PATCH"])
    exchange = send_raw(server, request("/index.html", method))
    expect(exchange.status in (405, 501), exchange,
           expected=f"405 Method Not Allowed or 501 Not Implemented: this server only reads, and {method} would "
                    "change something", got=f"{exchange.status} {exchange.reason}", hint="errors")
    expect(b"<" in exchange.body, exchange, expected=f"an HTML page that says why: only HEAD has no body, and "
           f"{method} is not HEAD", got="an empty body" if not exchange.body else "a body with no HTML",
           hint="errors")


@pytest.mark.parametrize("path", ["/", "/images/logo.png", "/no-such-page.html"])
def test_head_is_the_head_of_get(server, path):
    exchange = strict_answer(server, request(path, "HEAD"), expected=f"the head GET {path} gets, and no body",
                             hint="head", framing_hint="head", read_hint="read_head", loop_hint="errors")
    expect(exchange.status in (200, 404), exchange, expected=f"the answer GET {path} gets, head only",
           got=f"{exchange.status} {exchange.reason}", hint="head")
    head_is_the_head_of_get(server, path, hint="head")


def test_a_head_far_over_max_head_is_431(server, site, rng):
    size = rng.randint(24, 40) * 1024                  # read_head() stops at MAX_HEAD (16 KB) plus one recv
    if rng.random() < 0.5:
        filler = f"{any_case(rng, 'Cookie')}: " + "; ".join(f"c{n}={rng.randrange(10 ** 12):012d}"
                                                          for n in range(size // 17)) + "\r\n"
        shape = f"a Cookie header of {len(filler) // 1024} KB"
    else:
        filler = "".join(f"X-Filler-{n}: {'x' * 90}\r\n" for n in range(size // 105))
        shape = f"{size // 105} header lines, {len(filler) // 1024} KB"
    try:
        exchange = send_raw(server, request("/about", headers=filler))
    except GraderFailure as failure:
        raise with_advice(failure, "431 Request Header Fields Too Large (or 400), and your server still running: "
                          "the head is bigger than MAX_HEAD", "errors") from None
    exchange.sent = exchange.sent[:400] + f"\n... ({shape}) ...\n"
    expect(exchange.status in (431, 400), exchange,
           expected=f"431 Request Header Fields Too Large (or 400): the head is {shape}, more than MAX_HEAD "
                    "(16 KB). read_head() stops reading there and returns a head without its blank line, "
                    "b'\\r\\n\\r\\n': answer 431 for such a head, instead of reading only part of a request",
           got=f"{exchange.status} {exchange.reason}", hint="errors")


def test_clients_that_leave_without_a_word_do_not_stop_it(server, site):
    survives_clients_that_leave(server, "/", expected="static/index.html", hint="errors")
    expect_file(server, get(server, "/", hint="errors"), site, "index.html")
