"""The static site as a plain function: Request in, Response out.

No server knows about files, MIME types or status codes: each calls respond() and sends what it returns.
"""
from pathlib import Path

from . import mime, static_files
from .request_parser import Request
from .response import Response, error_page, html, not_allowed

ALLOWED = ("GET", "HEAD")


def respond(request: Request, root: Path = static_files.STATIC_ROOT) -> Response:
    if request.method not in ALLOWED:
        return not_allowed(request.method, request.path, ALLOWED)   # a file server cannot take a POST
    found = static_files.locate(request.path, root)
    if found is None:
        return not_found(root)
    path, info = found
    return Response(200, [("Content-Type", mime.content_type(path))], read_file(path, info))


# A copy of each small file, kept while its size and time stay the same: the disk is read once per change,
# not once per request. (Reading it every time is correct too, only slower: see the benchmark.)
FILE_CACHE: dict[str, tuple[int, int, bytes]] = {}   # path -> (st_mtime_ns, st_size, bytes)
CACHE_FILES, CACHE_FILE_SIZE = 256, 1024 * 1024


def read_file(path: str, info) -> bytes:
    """The file's bytes; `info` is its os.stat() result, taken when the path was resolved."""
    kept = FILE_CACHE.get(path)
    if kept and kept[0] == info.st_mtime_ns and kept[1] == info.st_size:
        return kept[2]
    with open(path, "rb") as file:
        data = file.read()
    if len(data) == info.st_size <= CACHE_FILE_SIZE:  # the file did not change while we read it
        if len(FILE_CACHE) >= CACHE_FILES:
            FILE_CACHE.pop(next(iter(FILE_CACHE)))   # the oldest copy makes room
        FILE_CACHE[path] = (info.st_mtime_ns, info.st_size, data)
    return data


def not_found(root: Path = static_files.STATIC_ROOT) -> Response:
    page = root / "404.html"   # the site's own friendly page, with status 404, never 200
    if page.is_file():
        return html(page.read_text(encoding="utf-8"), status=404)
    return error_page(404, "there is no such page")
