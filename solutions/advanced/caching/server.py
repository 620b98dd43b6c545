"""caching: let clients keep what they already have, and fetch only the part they miss.

The fastest answer is the one never sent. A browser keeps the files it got, with two "validators"
the server attached:
- ETag: "18c2f1a2b3c4d5e6-1f4", a tag that changes whenever the file does;
- Last-Modified: Tue, 02 Jan 2024 10:00:00 GMT, the file's time, to the second.
Next time it asks "send it only if it changed": If-None-Match: <the tag>, or If-Modified-Since: <the
date>. Unchanged? 304 Not Modified, with no body: a few dozen bytes instead of the file.
Cache-Control says how long the copy may be used without asking at all: "max-age=3600" for a
stylesheet, "no-cache" (ask every time) for HTML pages, which change under the same name.

Ranges fetch part of a file: a paused download or a video player asks "Range: bytes=1000-1999" and gets
206 Partial Content with exactly those bytes. Both ends are included, so that is 1000 bytes.

What to build (each place is marked TODO below):
1. a strong ETag that changes with the file, Last-Modified, and Cache-Control;
2. 304 for If-None-Match (tags, compared weakly) or, only without it, If-Modified-Since;
3. 206 for Range (bytes=a-b, bytes=a-, bytes=-n), 416 for a range beyond the end, If-Range.

Run it:    python exercises/advanced/caching/server.py --port 8002 [--static DIR]
Try it:    curl -sI http://127.0.0.1:8002/styles.css
           curl -si -H "If-None-Match: <the ETag you got>" http://127.0.0.1:8002/styles.css
           curl -si -H "Range: bytes=0-99" http://127.0.0.1:8002/styles.css
Check it:  python -m pytest graders/advanced/test_caching.py
"""
import email.utils
import os
import re
from datetime import timezone
from pathlib import Path

from reference import cli, threaded_server
from reference.core import mime, static_files, static_site
from reference.core.response import Response, error_page, not_allowed

MAX_AGE = 3600                                   # seconds a stylesheet or an image may be reused unasked
TAG = re.compile(r'(?:W/)?"[^"]*"')               # an entity tag, weak (W/"...") or strong ("...")
RANGE = re.compile(r"bytes=(\d*)-(\d*)")          # one range; a list of several is answered whole


class Unsatisfiable(Exception):
    """The range starts past the end of the file: 416."""


def entity_tag(stat: os.stat_result) -> str:
    """A strong tag that changes whenever the file does, made fresh for every request.

    Made from the file's time and size (as nginx does), so a 304 costs a stat(), never a read.
    """
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)          # Tue, 02 Jan 2024 10:00:00 GMT


def cache_control(file: Path) -> str:
    # HTML changes under the same name, so the browser asks each time (a 304 makes that cheap); a file that
    # changes would get a new name in a real build (styles.3f9a.css), so it may be kept for a while.
    return "no-cache" if file.suffix in (".html", ".htm") else f"max-age={MAX_AGE}"


def tag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match: "*" or a list of tags. Compared weakly: W/"x" matches "x" (RFC 9110, 13.1.2)."""
    if if_none_match.strip() == "*":
        return True
    return any(tag.removeprefix("W/") == etag.removeprefix("W/") for tag in TAG.findall(if_none_match))


def unchanged_since(if_modified_since: str, mtime: float) -> bool:
    """Was the file last changed at or before that date? An unreadable date counts as no date at all."""
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)                  # HTTP dates are always GMT
    # Last-Modified has whole seconds, and the client sends it back as it is: compare whole seconds.
    return int(mtime) <= since.timestamp()


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte to send, both included, or None to send the whole file. Raises Unsatisfiable."""
    found = RANGE.fullmatch(header.strip())
    if not found or found[1] == found[2] == "":
        return None                              # not one byte range: the whole file is a correct answer
    if found[1] == "":                           # bytes=-n: the last n bytes
        if int(found[2]) == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - int(found[2])), size - 1
    first = int(found[1])
    last = int(found[2]) if found[2] else None   # bytes=a-: to the end
    if last is not None and last < first:
        return None                              # bytes=9-5 is no range at all: ignore it
    if first >= size:
        raise Unsatisfiable                      # it starts past the end
    if last is None or last >= size:
        last = size - 1                          # a last byte past the end means "to the end"
    return first, last


def if_range_holds(if_range: str | None, etag: str, modified: str) -> bool:
    """If-Range: "send the range only if the file is still the one I have", else the whole file."""
    if if_range is None:
        return True
    if if_range.startswith(('"', "W/")):
        return if_range == etag and not etag.startswith("W/")    # strong comparison: a weak tag never holds
    return if_range == modified


def answer(request, args) -> Response:
    if request.method not in ("GET", "HEAD"):
        return not_allowed(request.method, request.path, ("GET", "HEAD"))
    file = static_files.resolve(request.path, args.static)
    if file is None:
        return static_site.not_found(args.static)
    stat = file.stat()                           # fresh for every request: the file may have changed
    etag, modified = entity_tag(stat), http_date(stat.st_mtime)
    headers = [("ETag", etag), ("Last-Modified", modified), ("Cache-Control", cache_control(file))]

    # Conditional requests: the client has a copy. If-None-Match decides when it is there; only without it
    # does If-Modified-Since count, since a tag is exact and a date only has whole seconds.
    if_none_match = request.header("if-none-match")
    if if_none_match is not None:
        unchanged = tag_matches(if_none_match, etag)
    else:
        since = request.header("if-modified-since")
        unchanged = since is not None and unchanged_since(since, stat.st_mtime)
    if unchanged:
        # 304: no body at all. Its Content-Length, if any, is the file's (encode() would say 0, and so lie).
        return Response(304, headers + [("Content-Length", str(stat.st_size))])

    body = file.read_bytes()
    headers += [("Content-Type", mime.content_type(file)), ("Accept-Ranges", "bytes")]
    range_header = request.header("range")
    if range_header and if_range_holds(request.header("if-range"), etag, modified):
        try:
            span = byte_range(range_header, len(body))
        except Unsatisfiable:
            refusal = error_page(416, f"this file has {len(body)} bytes")
            refusal.headers.append(("Content-Range", f"bytes */{len(body)}"))   # says how many there are
            return refusal
        if span is not None:
            first, last = span
            headers.append(("Content-Range", f"bytes {first}-{last}/{len(body)}"))
            return Response(206, headers, body[first:last + 1])     # last is included: +1
    return Response(200, headers, body)


def main(args) -> None:
    threaded_server.main(args, "caching", answer)


if __name__ == "__main__":
    cli.run("caching", main, cli.parse_args(__doc__.splitlines()[0]))
