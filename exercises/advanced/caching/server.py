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
from reference.core.response import Response, not_allowed

MAX_AGE = 3600                                   # seconds a stylesheet or an image may be reused unasked
TAG = re.compile(r'(?:W/)?"[^"]*"')               # an entity tag, weak (W/"...") or strong ("...")
RANGE = re.compile(r"bytes=(\d*)-(\d*)")          # one range; a list of several is answered whole


class Unsatisfiable(Exception):
    """The range starts past the end of the file: 416."""


def entity_tag(stat: os.stat_result) -> str:
    """A strong tag that changes whenever the file does, made fresh for every request.

    Made from the file's time and size (as nginx does), so a 304 costs a stat(), never a read.
    """
    # TODO: build the tag from what changes when the file changes, its time (stat.st_mtime_ns) and size
    #       (stat.st_size), in hex, inside double quotes: "18c2f1a2b3c4d5e6-1f4".
    return '"0"'


def http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)          # Tue, 02 Jan 2024 10:00:00 GMT


def cache_control(file: Path) -> str:
    # HTML changes under the same name, so the browser asks each time (a 304 makes that cheap); a file that
    # changes would get a new name in a real build (styles.3f9a.css), so it may be kept for a while.
    # TODO: "no-cache" for .html files, f"max-age={MAX_AGE}" for the others.
    return "no-cache"


def tag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match: "*" or a list of tags. Compared weakly: W/"x" matches "x" (RFC 9110, 13.1.2)."""
    # TODO: "*" matches any file; otherwise find each tag in the list (TAG.findall) and compare it without
    #       its W/ prefix, if any, with the ETag (also without W/).
    return if_none_match == etag


def unchanged_since(if_modified_since: str, mtime: float) -> bool:
    """Was the file last changed at or before that date? An unreadable date counts as no date at all."""
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)                  # HTTP dates are always GMT
    # TODO: unchanged when the file's time is at or before `since` (since.timestamp()). Careful: mtime has a
    #       fraction of a second, and Last-Modified (which the client sends back) has whole seconds.
    return False


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte to send, both included, or None to send the whole file. Raises Unsatisfiable."""
    # TODO: parse one range with RANGE.fullmatch(header.strip()): bytes=a-b (both ends included),
    #       bytes=a- (to the end) or bytes=-n (the last n bytes). A last byte past the end means the end;
    #       a start at or past the end raises Unsatisfiable; anything else (bytes=9-5, several ranges) is
    #       ignored: return None, and the whole file goes out.
    return None


def if_range_holds(if_range: str | None, etag: str, modified: str) -> bool:
    """If-Range: "send the range only if the file is still the one I have", else the whole file."""
    # TODO: no If-Range: the range holds. A tag ("..." or W/"..."): only the current, strong ETag itself.
    #       A date: only the Last-Modified we send.
    return True


def answer(request, args) -> Response:
    if request.method not in ("GET", "HEAD"):
        return not_allowed(request.method, request.path, ("GET", "HEAD"))
    file = static_files.resolve(request.path, args.static)
    if file is None:
        return static_site.not_found(args.static)
    stat = file.stat()                           # fresh for every request: the file may have changed
    etag, modified = entity_tag(stat), http_date(stat.st_mtime)
    headers = [("ETag", etag), ("Last-Modified", modified), ("Cache-Control", cache_control(file))]

    # TODO: conditional requests: the client has a copy. If-None-Match decides when it is there
    #       (tag_matches); only without it does If-Modified-Since count (unchanged_since). When the copy is
    #       still good, answer 304 with these headers and no body at all (give Content-Length yourself, the
    #       file's size: encode() would say 0).

    body = file.read_bytes()
    headers += [("Content-Type", mime.content_type(file)), ("Accept-Ranges", "bytes")]
    # TODO: a Range header (when if_range_holds): byte_range() gives (first, last), both included: answer 206
    #       with Content-Range: bytes first-last/size and exactly those bytes. Unsatisfiable: 416, with
    #       Content-Range: bytes */size so the client learns the size.
    return Response(200, headers, body)


def main(args) -> None:
    threaded_server.main(args, "caching", answer)


if __name__ == "__main__":
    cli.run("caching", main, cli.parse_args(__doc__.splitlines()[0]))
