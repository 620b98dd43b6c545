"""caching: validators (ETag, Last-Modified), conditional requests (304), byte ranges (206, 416) and Cache-Control.

The server is started with --static DIR on a copy of static/ in a temporary folder, so the grader knows each
file's time (it sets them, with a fraction of a second, as real files have) and can change a file. Answers
are read on raw sockets: a 304 must have no body at all, which an ordinary client would hide. The checks:
- a 200 for a file carries its exact bytes, a strong ETag ("...", not W/"..."), Last-Modified (the file's
  time, to the second) and Accept-Ranges: bytes;
- HTML is sent with Cache-Control: no-cache, other files with a max-age above 0;
- If-None-Match with the file's tag alone, in a list (any spacing), in its weak form W/"..." (weak comparison)
  and "*" each give 304 with no body, the same ETag, and no Content-Length or the file's (read raw: a 304's
  Content-Length is the 200's, RFC 9110 8.6); other tags, weak or strong, give 200 and the file;
- If-Modified-Since equal to the Last-Modified sent (though the file's time has a fraction of a second) or
  later, in any of the three HTTP date forms, gives 304; a second earlier gives 200;
- If-None-Match decides when it is present: a tag that does not match gives 200 even with an
  If-Modified-Since in the future;
- HEAD answers the head of GET: for the file, for a range and for a 304;
- Range: bytes=a-b, bytes=a-, bytes=-n and one-byte ranges give 206 with Content-Range: bytes first-last/total
  and exactly those bytes (both ends included), on files of odd and even sizes; a last byte at or past the
  end is cut at the end; a suffix longer than the file is the whole file;
- a range that starts at or past the end, bytes=-0, and any range of an empty file give 416 with
  Content-Range: bytes */total;
- a Range that is no byte range (another unit, bytes=-, bytes=9-5) is ignored (200; 416 for the invalid ones);
- If-Range with the current tag or the current Last-Modified gives the range (206); with an old tag, a weak
  tag (If-Range compares strongly) or an older date, the whole file (200);
- once a file changes (new bytes, new time), its ETag changes, the new bytes are served, and the old tag
  no longer gives 304.
Header names come in any case.
"""
import email.utils
import os
import re
import shutil
import socket
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from graders.ground import STATIC
from graders.harness import (
    Exchange,
    GraderFailure,
    Headers,
    LocalServer,
    expect,
    fail,
    head_is_the_head_of_get,
    send_raw,
    with_advice,
)

STATIC = STATIC
BASE_TIME = 1_704_189_600             # 2024-01-02 10:00:00 UTC: the copied files get times from here on
FRACTION = 0.6                        # real files have fractions of a second; Last-Modified does not
HTML = (".html", ".htm")
EMPTY = "empty-file.txt"


@pytest.fixture(scope="module", autouse=True)
def site(request, tmp_path_factory) -> Path:
    """A copy of static/ with known file times, served with --static (set before the server boots)."""
    root = tmp_path_factory.mktemp("caching") / "static"
    shutil.copytree(STATIC, root)
    for number, file in enumerate(sorted(path for path in root.rglob("*") if path.is_file())):
        stamp = BASE_TIME + number * 3607 + FRACTION
        os.utime(file, (stamp, stamp))
    (root / EMPTY).write_bytes(b"")                  # a file of 0 bytes: every range of it is unsatisfiable
    request.module.SERVER_ARGS = ["--static", str(root)]
    yield root
    request.module.SERVER_ARGS = []


def files(site: Path, kind: str = "any", at_least: int = 0) -> list[Path]:
    found = [path for path in sorted(site.rglob("*"))
             if path.is_file() and path.name not in ("404.html", EMPTY) and path.stat().st_size >= at_least]
    if kind == "html":
        return [path for path in found if path.suffix in HTML]
    if kind == "other":
        return [path for path in found if path.suffix not in HTML]
    return found


def url(site: Path, file: Path) -> str:
    return "/" + quote(file.relative_to(site).as_posix())


def in_any_case(name: str, rng) -> str:
    """Header names are case-insensitive (RFC 9110, 5.1): a server must find if-none-match as If-None-Match."""
    return rng.choice([name, name.lower(), name.upper()]) if rng else name


def request(path: str, method: str = "GET", rng=None, **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{in_any_case(name.replace('_', '-'), rng)}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def get(server, path: str, rng=None, **headers: str) -> Exchange:
    """One request, its answer parsed strictly (h11). With `rng`, the header names come in any case."""
    return send_raw(server, request(path, rng=rng, **headers), timeout=3.0)


def get_until_closed(server, path: str, seconds: float = 3.0, rng=None, **headers: str) -> Exchange:
    """One request, and every byte that comes back until the server closes: a 304 must end at its head.

    No HTTP client here: a client knows a 304 has no body, so it would never show the bytes that follow."""
    data = request(path, rng=rng, **headers)
    started, received = time.perf_counter(), b""
    with socket.create_connection((server.host, server.port), timeout=seconds) as sock:
        sock.sendall(data)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, OSError):
                break
            if not chunk:
                break
            received += chunk
    head, blank, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    found = re.fullmatch(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
    pairs = [line.split(":", 1) for line in lines[1:] if ":" in line]
    return Exchange("GET", path, data.decode("latin-1").replace("\r\n", "\\r\\n\n"),
                    status=int(found[1]) if found else 0, reason=found[2] if found else "",
                    headers=Headers((name.strip(), value.strip()) for name, value in pairs),
                    body=body, raw_head=head + blank, elapsed=time.perf_counter() - started)


def whole_seconds(file: Path) -> int:
    return int(file.stat().st_mtime)


def expect_file(exchange: Exchange, path: str, content: bytes, hint: str, why: str = "") -> None:
    expect(exchange.status == 200, exchange, expected=f"200 OK and the whole file{why}",
           got=f"{exchange.status} {exchange.reason}", hint=hint)
    expect(exchange.body == content, exchange, expected=f"the {len(content)} bytes of {path}",
           got=f"{len(exchange.body)} bytes that differ", hint=hint)


def etag_of(exchange: Exchange) -> str:
    etag = exchange.headers.get("ETag")
    expect(etag is not None, exchange, expected="an ETag header", got="none", hint="validators")
    return etag


def expect_not_modified(exchange: Exchange, etag: str, why: str, size: int) -> None:
    """A 304 read raw: no body, the same ETag, and a Content-Length that is the file's size or none at all."""
    expect(exchange.status == 304, exchange, expected=f"304 Not Modified: {why}",
           got=f"{exchange.status} {exchange.reason}", hint="conditional")
    expect(exchange.body == b"", exchange,
           expected="a 304 that ends with its head: it never has a body",
           got=f"{len(exchange.body)} bytes after the head. The client reads them as the start of the next answer",
           hint="not_modified")
    expect(exchange.headers.get("ETag") == etag, exchange, expected=f"the same ETag on the 304, {etag}",
           got=f"ETag: {exchange.headers.get('ETag')}", hint="not_modified")
    length = exchange.headers.get("Content-Length")
    if length is not None and length.strip() != str(size):
        fail(exchange, expected=f"no Content-Length on the 304, or Content-Length: {size}, the one the 200 sends "
                                "(RFC 9110, 8.6: a 304's Content-Length is the length of the body it leaves out)",
             got=f"Content-Length: {length}" + (": a cache that believes it learns the file is now empty"
                                                if length.strip() == "0" else ""), hint="not_modified")


# --- validators and Cache-Control ---------------------------------------------------------------------

def test_a_file_has_a_strong_etag_last_modified_and_accept_ranges(site, server, rng):
    file = rng.choice(files(site))
    path = url(site, file)
    answer = get(server, path)
    expect_file(answer, path, file.read_bytes(), hint="validators")
    etag = etag_of(answer)
    expect(etag.startswith('"') and etag.endswith('"') and len(etag) > 2, answer,
           expected='a strong ETag: a tag in double quotes, such as "18c2f1a2-1f4"',
           got=f"ETag: {etag}" + (". W/ marks a weak tag, which can never answer a Range" if etag.startswith("W/")
                                  else ""), hint="validators")
    modified = answer.headers.get("Last-Modified")
    expect(modified is not None, answer, expected="a Last-Modified header with the file's time",
           got="none", hint="validators")
    try:
        stamp = email.utils.parsedate_to_datetime(modified).timestamp()
    except (TypeError, ValueError):
        stamp = None
    expect(stamp is not None and modified.endswith("GMT"), answer,
           expected="Last-Modified as an HTTP date, such as Tue, 02 Jan 2024 10:00:00 GMT "
                    "(email.utils.formatdate(t, usegmt=True))", got=f"Last-Modified: {modified}", hint="validators")
    if isinstance(server, LocalServer):
        expect(int(stamp) == whole_seconds(file), answer,
               expected=f"Last-Modified: {email.utils.formatdate(whole_seconds(file), usegmt=True)}, the file's "
                        "time (st_mtime)", got=f"Last-Modified: {modified}", hint="validators")
    ranges = answer.headers.get("Accept-Ranges", "")
    expect(ranges.strip().lower() == "bytes", answer, expected="Accept-Ranges: bytes on a 200",
           got=f"Accept-Ranges: {ranges}" if ranges else "no Accept-Ranges header", hint="validators")


def test_html_is_no_cache_and_other_files_have_a_max_age(site, server, rng):
    page = rng.choice(files(site, "html"))
    answer = get(server, url(site, page))
    control = answer.headers.get("Cache-Control", "")
    expect(answer.status == 200 and "no-cache" in control.lower(), answer,
           expected="Cache-Control: no-cache on an HTML page: it changes under the same name, so the browser "
                    "asks each time (and a 304 makes that cheap)",
           got=f"Cache-Control: {control}" if control else "no Cache-Control", hint="validators")
    other = rng.choice(files(site, "other"))
    answer = get(server, url(site, other))
    control = answer.headers.get("Cache-Control", "")
    age = re.search(r"max-age=(\d+)", control)
    expect(answer.status == 200 and age is not None and int(age[1]) > 0, answer,
           expected=f"Cache-Control with a max-age above 0 on {other.suffix or 'a'} file: the browser may reuse it "
                    "that many seconds without asking",
           got=f"Cache-Control: {control}" if control else "no Cache-Control", hint="validators")


# --- conditional requests ---------------------------------------------------------------------------

def tag_list(rng, tags: list[str]) -> str:
    """A list as clients write it: commas, with or without spaces around them (RFC 9110, 5.6.1)."""
    return "".join(tag + (rng.choice([", ", ",", " , ", ",  "]) if number < len(tags) - 1 else "")
                   for number, tag in enumerate(tags))


def test_if_none_match_with_the_tag_gives_304_without_a_body(site, server, rng):
    file = rng.choice(files(site))
    path, size = url(site, file), file.stat().st_size
    etag = etag_of(get(server, path))
    others = [f'"{rng.randrange(16 ** 8):08x}"', f'"old-{rng.randint(1, 999)}"']
    weak = "W/" + etag if not etag.startswith("W/") else etag
    listed = [others[0], rng.choice([etag, weak]), others[1]]
    forms = [
        (etag, "the client's copy has exactly that tag"),
        (tag_list(rng, listed), "the tag is in the client's list"),
        (weak, "If-None-Match compares weakly: W/\"x\" is the weak form of \"x\" and matches it (proxies weaken tags)"),
        ("*", "'*' matches any file that exists"),
    ]
    for value, why in forms:
        expect_not_modified(get_until_closed(server, path, rng=rng, If_None_Match=value), etag, why, size)
    for value in (tag_list(rng, others), f'W/{others[1]}'):
        answer = get(server, path, rng=rng, If_None_Match=value)
        expect_file(answer, path, file.read_bytes(), hint="conditional",
                    why=f": no tag in If-None-Match: {value} is the file's")


def http_date_forms(stamp: int) -> list[str]:
    """The three forms of one HTTP date; a server must read all three (RFC 9110, 5.6.7)."""
    moment = time.gmtime(stamp)
    return [email.utils.formatdate(stamp, usegmt=True),
            time.strftime("%A, %d-%b-%y %H:%M:%S GMT", moment),      # RFC 850
            time.strftime("%a %b ", moment) + f"{moment.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", moment)]


def test_if_modified_since_at_or_after_the_file_time_gives_304(site, server, rng):
    file = rng.choice(files(site))
    path, size = url(site, file), file.stat().st_size
    first = get(server, path)
    etag, modified = etag_of(first), first.headers.get("Last-Modified", "")
    expect(bool(modified), first, expected="a Last-Modified header", got="none", hint="validators")
    stamp = int(email.utils.parsedate_to_datetime(modified).timestamp())
    expect_not_modified(get_until_closed(server, path, rng=rng, If_Modified_Since=modified), etag,
                        "the date is the Last-Modified you sent (the file's time has a fraction of a second too, "
                        "but Last-Modified only whole seconds: compare whole seconds)", size)
    later = rng.choice(http_date_forms(stamp + rng.randint(60, 86_400)))
    expect_not_modified(get_until_closed(server, path, rng=rng, If_Modified_Since=later), etag,
                        f"the file has not changed since {later} (HTTP dates come in three forms, and a server "
                        "reads all three: email.utils.parsedate_to_datetime does)", size)
    earlier = rng.choice(http_date_forms(stamp - 1))
    expect_file(get(server, path, rng=rng, If_Modified_Since=earlier), path, file.read_bytes(), hint="conditional",
                why=f": the file changed after {earlier}")


def test_if_none_match_wins_over_if_modified_since(site, server, rng):
    file = rng.choice(files(site))
    path = url(site, file)
    future = email.utils.formatdate(time.time() + 86_400 * rng.randint(1, 30), usegmt=True)
    other = f'"{rng.randrange(16 ** 8):08x}"'
    answer = get(server, path, rng=rng, If_None_Match=other, If_Modified_Since=future)
    expect_file(answer, path, file.read_bytes(), hint="conditional",
                why=f": the tag {other} does not match, and when If-None-Match is there, If-Modified-Since is "
                    "ignored (a tag is exact, a date has whole seconds)")


def test_head_is_the_head_of_get(site, server, rng):
    """HEAD answers what GET answers, without the body: for the file, for a range, and for a 304."""
    file = rng.choice(files(site, at_least=100))
    path = url(site, file)
    head_is_the_head_of_get(server, path, hint="validators")
    first = rng.randrange(0, 50)
    head_is_the_head_of_get(server, path, hint="ranges", extra_headers=f"Range: bytes={first}-{first + 40}\r\n")
    etag = etag_of(get(server, path))
    head_is_the_head_of_get(server, path, hint="not_modified", extra_headers=f"If-None-Match: {etag}\r\n")


# --- ranges ---------------------------------------------------------------------------------------------

def expect_part(answer: Exchange, content: bytes, first: int, last: int, asked: str) -> None:
    size = len(content)
    expect(answer.status == 206, answer, expected=f"206 Partial Content for Range: {asked}",
           got=f"{answer.status} {answer.reason}", hint="ranges")
    content_range = answer.headers.get("Content-Range", "")
    wanted = f"bytes {first}-{last}/{size}"
    if answer.body == content[first:last] and first < last:
        fail(answer, expected=f"the {last - first + 1} bytes {first} to {last}, both included",
             got=f"{len(answer.body)} bytes, the last one missing: in a range the end is included, so "
                 f"bytes={first}-{last} is content[{first}:{last + 1}]", hint="ranges")
    clamped = ""
    found = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", content_range.strip())
    if found and int(found[2]) >= size:
        clamped = (f". The file ends at byte {size - 1}: a last byte past the end means the end, so the answer "
                   f"must say {first}-{size - 1} (a client would wait for bytes that never come)")
    expect(content_range.replace(" ", "") == wanted.replace(" ", ""), answer,
           expected=f"Content-Range: {wanted} (first and last byte, both included, then the size)",
           got=(f"Content-Range: {content_range}" if content_range else "no Content-Range") + clamped,
           hint="ranges")
    expect(answer.body == content[first:last + 1], answer,
           expected=f"exactly the bytes {first} to {last} of the file ({last - first + 1} bytes)",
           got=f"{len(answer.body)} bytes that differ", hint="ranges")


def one_of_each_parity(site: Path, rng) -> list[Path]:
    """Two files of 300 bytes or more, one of an even size and one odd: size ^ 1 is size - 1 only for odd sizes."""
    found = files(site, at_least=300)
    return [rng.choice([f for f in found if f.stat().st_size % 2 == parity] or found) for parity in (0, 1)]


def test_ranges_give_206_with_exactly_those_bytes(site, server, rng):
    for file in one_of_each_parity(site, rng):
        ranges_of_one_file(site, server, rng, file)


def ranges_of_one_file(site, server, rng, file: Path) -> None:
    path, content = url(site, file), file.read_bytes()
    size = len(content)
    first = rng.randrange(1, size // 2)
    last = rng.randrange(first + 10, size - 1)
    expect_part(get(server, path, rng=rng, Range=f"bytes={first}-{last}"), content, first, last,
                f"bytes={first}-{last}")
    start = rng.randrange(1, size - 1)
    expect_part(get(server, path, rng=rng, Range=f"bytes={start}-"), content, start, size - 1, f"bytes={start}-")
    tail = rng.randint(5, 100)
    expect_part(get(server, path, rng=rng, Range=f"bytes=-{tail}"), content, size - tail, size - 1,
                f"bytes=-{tail}")
    whole = get(server, path, rng=rng, Range=f"bytes=-{size + tail}")
    if whole.status != 200 or whole.body != content:                # the whole file as a 200 is right too
        expect_part(whole, content, 0, size - 1, f"bytes=-{size + tail} (more than the whole file: all of it)")
    for edge in (0, size - 1):                                      # one byte, at either end
        expect_part(get(server, path, rng=rng, Range=f"bytes={edge}-{edge}"), content, edge, edge,
                    f"bytes={edge}-{edge}")
    expect_part(get(server, path, rng=rng, Range="bytes=-1"), content, size - 1, size - 1, "bytes=-1 (the last byte)")


def test_a_range_header_that_is_no_range_is_ignored(site, server, rng):
    """Not one byte range: the whole file (RFC 9110, 14.2: a server ignores a Range it cannot use). Where the
    range is merely invalid, 416 is allowed too. Never a crash."""
    file = rng.choice(files(site, at_least=300))
    path, content = url(site, file), file.read_bytes()
    for asked, may_416 in ((f"items=0-{rng.randint(5, 99)}", False), ("bytes=-", True),
                           (f"bytes={rng.randint(50, 99)}-{rng.randint(5, 49)}", True)):
        try:
            answer = get(server, path, rng=rng, Range=asked)
        except GraderFailure as failure:
            raise with_advice(failure, expected=f"an answer to Range: {asked}, which is no byte range your "
                              "server can serve: the whole file with 200", hint="ranges") from None
        if may_416 and answer.status == 416:
            continue
        expect_file(answer, path, content, hint="ranges",
                    why=f": Range: {asked} is no byte range{' of a unit we know' if not may_416 else ''}, so it is "
                        "ignored" + (" (or refused with 416)" if may_416 else ""))


def expect_416(answer: Exchange, asked: str, size: int, why: str) -> None:
    expect(answer.status == 416, answer,
           expected=f"416 Range Not Satisfiable for Range: {asked}: {why}",
           got=f"{answer.status} {answer.reason}", hint="ranges")
    content_range = answer.headers.get("Content-Range", "")
    expect(content_range.replace(" ", "") == f"bytes*/{size}", answer,
           expected=f"Content-Range: bytes */{size} on the 416, which tells the client how many bytes there are",
           got=f"Content-Range: {content_range}" if content_range else "no Content-Range", hint="ranges")


def test_an_empty_suffix_and_an_empty_file_give_416(site, server, rng):
    file = rng.choice(files(site, at_least=300))
    size = file.stat().st_size
    expect_416(get(server, url(site, file), rng=rng, Range="bytes=-0"), "bytes=-0", size,
               "the last 0 bytes are no bytes at all")
    for asked in (f"bytes=-{rng.randint(1, 50)}", "bytes=0-", f"bytes=0-{rng.randint(1, 50)}"):
        expect_416(get(server, "/" + EMPTY, rng=rng, Range=asked), asked, 0, "the file is empty: it has no byte 0")


def test_a_range_that_ends_past_the_file_is_cut_at_its_end(site, server, rng):
    for file in one_of_each_parity(site, rng):
        path, content = url(site, file), file.read_bytes()
        size = len(content)
        for last in (size, size + rng.randint(1, 10), rng.randint(size + 1000, 10 ** 7)):
            first = rng.randrange(0, size - 1)
            expect_part(get(server, path, rng=rng, Range=f"bytes={first}-{last}"), content, first, size - 1,
                        f"bytes={first}-{last} (the file has {size} bytes: bytes 0 to {size - 1})")


def test_a_range_past_the_end_gives_416_with_content_range(site, server, rng):
    file = rng.choice(files(site))
    path, size = url(site, file), file.stat().st_size
    for start in (size, size + rng.randint(1, 50)):                # at the size is already past the last byte
        asked = rng.choice([f"bytes={start}-{start + rng.randint(0, 99)}", f"bytes={start}-"])
        expect_416(get(server, path, rng=rng, Range=asked), asked, size,
                   f"the file has {size} bytes, numbered 0 to {size - 1}, and the range starts at byte {start}")


def test_if_range_gives_the_range_only_for_the_current_tag(site, server, rng):
    file = rng.choice(files(site, at_least=100))
    path, content = url(site, file), file.read_bytes()
    etag = etag_of(get(server, path))
    first = rng.randrange(0, 40)
    last = first + rng.randint(10, 50)
    asked = f"bytes={first}-{last}"
    expect_part(get(server, path, rng=rng, Range=asked, If_Range=etag), content, first, last,
                f"{asked} with If-Range: {etag}")
    for old in (f'"!{rng.randrange(16 ** 8):08x}-old"', f'"~{rng.randrange(16 ** 8):08x}-old"'):   # any order
        expect_file(get(server, path, rng=rng, Range=asked, If_Range=old), path, content, hint="ranges",
                    why=f": If-Range: {old} is not the file's tag any more, so the client's part would not fit "
                        "its copy")
    weak = "W/" + etag.removeprefix("W/")
    expect_file(get(server, path, rng=rng, Range=asked, If_Range=weak), path, content, hint="ranges",
                why=f": If-Range compares strongly (RFC 9110, 13.1.5), and {weak} is a weak tag: a weak tag "
                    "never matches, since a part of one version may not fit another 'equivalent' one")


def test_if_range_with_a_date_gives_the_range_only_for_the_current_date(site, server, rng):
    file = rng.choice(files(site, at_least=100))
    path, content = url(site, file), file.read_bytes()
    modified = get(server, path).headers.get("Last-Modified", "")
    expect(bool(modified), get(server, path), expected="a Last-Modified header", got="none", hint="validators")
    first = rng.randrange(0, 40)
    asked = f"bytes={first}-{first + rng.randint(10, 50)}"
    last = int(asked.rsplit("-", 1)[1])
    expect_part(get(server, path, rng=rng, Range=asked, If_Range=modified), content, first, last,
                f"{asked} with If-Range: {modified}, the Last-Modified you sent (If-Range holds a tag or a date)")
    stamp = int(email.utils.parsedate_to_datetime(modified).timestamp())
    older = [email.utils.formatdate(stamp - days * 86_400 - rng.randint(1, 3600), usegmt=True) for days in range(14)]
    below = [date for date in older if date < modified]                # dates are no text to compare with < or >:
    above = [date for date in older if date > modified]                # one of each order of the letters
    for date in [rng.choice(below)] * bool(below) + [rng.choice(above)] * bool(above):
        expect_file(get(server, path, rng=rng, Range=asked, If_Range=date), path, content, hint="ranges",
                    why=f": If-Range: {date} is not the file's Last-Modified ({modified}): the file changed since "
                        "the client's copy, so it gets the whole new file")


# --- a file that changes --------------------------------------------------------------------------------

def test_a_changed_file_gets_a_new_etag(site, server, rng):
    if not isinstance(server, LocalServer):
        pytest.skip("with --server-url the grader cannot change the files your server serves")
    file = rng.choice(files(site, "other"))
    path = url(site, file)
    before = get(server, path)
    old_tag = etag_of(before)
    expect_not_modified(get_until_closed(server, path, If_None_Match=old_tag), old_tag, "the file has not changed",
                        file.stat().st_size)
    changed = file.read_bytes() + f"\n/* changed {rng.randrange(10 ** 6)} */\n".encode()
    file.write_bytes(changed)
    stamp = file.stat().st_mtime + rng.randint(60, 3600)
    os.utime(file, (stamp, stamp))
    after = get(server, path)
    expect_file(after, path, changed, hint="validators", why=" with its new bytes")
    new_tag = etag_of(after)
    expect(new_tag != old_tag, after,
           expected="a new ETag, since the file changed (new bytes, new time)",
           got=f"the same ETag, {new_tag}. A tag made once, at start-up, goes stale: make it from the file's "
               "stat() for every request", hint="validators")
    answer = get(server, path, If_None_Match=old_tag)
    expect_file(answer, path, changed, hint="validators",
                why=f": the client's tag {old_tag} belongs to the old file")
