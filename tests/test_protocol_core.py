"""The sans-I/O core on its own: no sockets, just bytes in and bytes out."""
import ast
import os
from pathlib import Path

import pytest

from reference.core import mime, static_files
from reference.core.request_parser import HTTPError, RequestParser
from reference.core.response import Response

CORE_DIR = Path(__file__).resolve().parent.parent / "reference" / "core"
CORE = sorted(path.stem for path in CORE_DIR.glob("*.py"))   # the one definition of the core: its folder
IO_MODULES = {"socket", "asyncio", "selectors", "threading", "socketserver", "http.server", "ssl"}


@pytest.mark.parametrize("module", CORE)
def test_the_core_never_imports_io(module):
    tree = ast.parse((CORE_DIR / f"{module}.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module)
        elif isinstance(node, ast.ImportFrom):     # a relative import: it must be core too
            assert node.module is None or node.module in CORE, f"{module} imports .{node.module}"
    assert all(name == "reference.core" or name.startswith("reference.core.") for name in imported
               if name.startswith("reference")), f"{module} imports from outside the core: {imported}"
    assert not imported & IO_MODULES, f"{module} imports {imported & IO_MODULES}"


def test_the_io_rule_test_can_fail(tmp_path):
    assert "socket" in {alias.name for node in ast.walk(ast.parse("import socket"))
                        if isinstance(node, ast.Import) for alias in node.names}


def test_parser_needs_more_until_the_head_ends_then_reads_the_body():
    parser = RequestParser()
    raw = b"POST /form?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
    results = [parser.receive(raw[i:i + 1]) for i in range(len(raw))]
    assert results[:-1] == [None] * (len(raw) - 1)
    request = results[-1]
    assert (request.method, request.path, request.query, request.body) == ("POST", "/form", "x=1", b"hello")
    assert request.header("HOST") == "a"


def test_pipelined_bytes_stay_for_the_next_request():
    parser = RequestParser()
    first = parser.receive(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    assert first.path == "/a" and parser.next_request().path == "/b" and parser.next_request() is None


def test_path_is_decoded_and_target_kept():
    request = RequestParser().receive(b"GET /caf%C3%A9?q=a+b HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (request.path, request.target, request.query) == ("/café", "/caf%C3%A9?q=a+b", "q=a+b")


@pytest.mark.parametrize("raw, status", [
    (b"GET / HTTP/1.1\r\n\r\n", 400),                                            # no Host
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 20000, 431),                   # never ends
])
def test_bad_requests_raise_with_a_status(raw, status):
    with pytest.raises(HTTPError) as error:
        RequestParser().receive(raw)
    assert error.value.status == status


def test_content_length_counts_bytes_not_characters():
    encoded = Response(200, [("Content-Type", "text/plain")], "café".encode()).encode()
    assert b"Content-Length: 5\r\n" in encoded and encoded.endswith(b"\r\n\r\ncaf\xc3\xa9")
    assert b"Content-Length" not in Response(204).encode()
    assert Response(200, [], b"abc").encode(include_body=False).endswith(b"Content-Length: 3\r\n"
                                                                           b"Connection: close\r\n\r\n")


def test_mime_table():
    assert mime.content_type("a/b.PNG") == "image/png"
    assert mime.content_type("x.woff2") == "font/woff2"
    assert mime.content_type("x.unknownext") == "application/octet-stream"


def test_resolve_stays_inside_the_root(tmp_path):
    root = tmp_path / "static"
    (root / "sub").mkdir(parents=True)
    (root / "about.html").write_text("a")
    (root / "sub" / "index.html").write_text("i")
    (tmp_path / "static-private").mkdir()
    (tmp_path / "static-private" / "s.txt").write_text("s")
    assert static_files.resolve("/about", root) == (root / "about.html").resolve()
    assert static_files.resolve("/sub/", root) == (root / "sub" / "index.html").resolve()
    for path in ["/../static-private/s.txt", "/a\x00b", "/..\\x", "/C:/Windows", "/sub/../../static-private/s.txt"]:
        assert static_files.resolve(path, root) is None, path


def test_the_file_cache_serves_a_changed_file_at_once(tmp_path):
    from reference.core import static_site
    page = tmp_path / "page.html"
    page.write_text("first")
    first = static_files.locate("/page.html", tmp_path)
    assert static_site.read_file(*first) == b"first"
    page.write_text("second, longer")                 # another size
    assert static_site.read_file(*static_files.locate("/page.html", tmp_path)) == b"second, longer"
    os.utime(page, ns=(first[1].st_atime_ns, first[1].st_mtime_ns + 1))
    page.write_bytes(b"third, longer!")                # the same size: the time tells the change
    os.utime(page, ns=(first[1].st_atime_ns, first[1].st_mtime_ns + 5_000_000))
    assert static_site.read_file(*static_files.locate("/page.html", tmp_path)) == b"third, longer!"


def test_the_file_cache_stays_small():
    from reference.core import static_site
    assert static_site.CACHE_FILES <= 256 and static_site.CACHE_FILE_SIZE <= 1024 * 1024


# --- issue 20: what llhttp's corpus and the attacks found -------------------------------------------

SMUGGLED = (b"GET / HTTP/1.1\r\nHost: localhost\r\nDummy: x\nContent-Length: 23\r\n\r\n"
            b"GET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n")


@pytest.mark.parametrize("raw", [
    SMUGGLED,
    b"GET / HTTP/1.1\nHost: x\r\n\r\n",            # an LF line, then CRLF lines
    b"GET / HTTP/1.1\r\nHost: x\n\n",              # CRLF lines, then LF lines
    b"GET / HTTP/1.1\r\nHost: x\r\n\n",            # the blank line alone is a bare LF
    b"GET / HTTP/1.1\r\nHost: x\n\r\n",            # the last header line alone ends in a bare LF
])
def test_a_head_that_mixes_crlf_and_bare_lf_is_refused(raw):
    """A proxy that ends lines at CRLF only sees one request here; ending lines at either would see two."""
    parser = RequestParser()
    with pytest.raises(HTTPError) as error:
        for piece in (raw, b""):                     # whole, or in any pieces: the same verdict
            parser.receive(piece)
    assert error.value.status == 400 and "line endings" in error.value.message


@pytest.mark.parametrize("raw", [b"GET / HTTP/1.1\nHost: x\n\n", b"\nGET / HTTP/1.1\nHost: x\n\n",
                                 b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\n\r\nGET / HTTP/1.1\nHost: x\n\n"])
def test_all_lf_heads_still_work_and_blank_lines_before_them_are_skipped(raw):
    for size in (len(raw), 1):                       # whole, and byte by byte
        parser = RequestParser()
        requests = [parser.receive(raw[i:i + size]) for i in range(0, len(raw), size)]
        assert requests[-1].path == "/" and requests[-1].header("host") == "x"


def test_blank_lines_before_the_request_line_do_not_go_on_forever():
    parser = RequestParser()
    with pytest.raises(HTTPError) as error:
        for _ in range(10_000):                      # 20 KB of CRLF, 2 bytes at a time
            parser.receive(b"\r\n")
    assert error.value.status in (400, 431)
    assert len(parser.buffer) <= 100, "the blank lines were refused only at the head limit (16 KB)"


def test_reading_a_head_in_pieces_searches_each_byte_once(monkeypatch):
    """Each read searches only the new bytes for the blank line: a head sent in tiny pieces must not cost
    quadratic time (counted, not timed: a busy machine makes timings lie)."""
    from reference.core import request_parser
    searched, head_end = [], request_parser.HEAD_END

    class CountingSearch:
        def search(self, data, position=0):
            searched.append(len(data) - position)
            return head_end.search(data, position)
    monkeypatch.setattr(request_parser, "HEAD_END", CountingSearch())
    parser = RequestParser()
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 8000 + b"\r\n\r\n"
    assert [parser.receive(head[i:i + 1]) for i in range(len(head))][-1].header("x-long") == "a" * 8000
    assert sum(searched) < 3 * len(head), f"{sum(searched)} bytes searched for a head of {len(head)}"


@pytest.mark.parametrize("target, wanted", [
    ("http://hypnotoad.org?hail=all", "/?hail=all"),
    ("http://hypnotoad.org", "/"),
    ("HTTP://example.com:8002/a/b?c", "/a/b?c"),
    ("/already?x", "/already?x"),
])
def test_the_absolute_form_keeps_its_slash(target, wanted):
    from reference.core.request_parser import origin_form
    assert origin_form(target) == wanted
    request = RequestParser().receive(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert (request.path + ("?" + request.query if "?" in wanted else "")) == wanted


@pytest.mark.parametrize("name, value", [("X-A", "a\r\nSet-Cookie: injected=1"), ("X-A", "a\rb"),
                                         ("X-A", "a\nb"), ("X-A", "a\x00b"), ("X-A\r\nSet-Cookie", "x"),
                                         ("X\x00A", "x")])
def test_a_header_with_cr_lf_or_nul_is_never_written(name, value):
    with pytest.raises(HTTPError) as error:
        Response(200, [(name, value)], b"hi").encode()
    assert error.value.status == 500 and "header" in error.value.message


@pytest.mark.parametrize("status", [100, 101, 103, 204, 304])
def test_no_framing_header_from_the_core_on_answers_without_a_body(status):
    encoded = Response(status, [("ETag", '"x"')]).encode()
    assert b"Content-Length" not in encoded and b"Transfer-Encoding" not in encoded
    assert encoded.endswith(b"\r\n\r\n")


def test_a_304_keeps_the_length_it_is_given():
    """RFC 9110, 8.6: a 304 may say the length a 200 would have had; the core keeps it as it is."""
    encoded = Response(304, [("Content-Length", "1234")]).encode()
    assert encoded.count(b"Content-Length") == 1 and b"Content-Length: 1234\r\n" in encoded
