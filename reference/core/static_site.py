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
    file = static_files.resolve(request.path, root)
    if file is None:
        return not_found(root)
    return Response(200, [("Content-Type", mime.content_type(file))], file.read_bytes())


def not_found(root: Path = static_files.STATIC_ROOT) -> Response:
    page = root / "404.html"   # the site's own friendly page, with status 404, never 200
    if page.is_file():
        return html(page.read_text(encoding="utf-8"), status=404)
    return error_page(404, "there is no such page")
