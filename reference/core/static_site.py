"""The static site as a plain function: Request in, response bytes out.

Every static server calls answer(); none of them knows about files, MIME types or status codes.
"""
from pathlib import Path

from . import mime, static_files
from .request_parser import HTTPError, Request
from .response import Response, error_page, html

ALLOWED = ("GET", "HEAD")


def respond(request: Request, root: Path = static_files.STATIC_ROOT) -> Response:
    if request.method not in ALLOWED:
        return not_allowed(request.method)
    file = static_files.resolve(request.path, root)
    if file is None:
        return not_found(root)
    return Response(200, [("Content-Type", mime.content_type(file))], file.read_bytes())


def not_allowed(method: str) -> Response:
    # A file server cannot take a POST; 405 must say what it can do instead.
    page = error_page(405, f"{method} is not allowed here")
    page.headers.append(("Allow", ", ".join(ALLOWED)))
    return page


def not_found(root: Path = static_files.STATIC_ROOT) -> Response:
    page = root / "404.html"   # the site's own friendly page, with status 404, never 200
    if page.is_file():
        return html(page.read_text(encoding="utf-8"), status=404)
    return error_page(404, "there is no such page")


def answer(request: Request, root: Path = static_files.STATIC_ROOT) -> bytes:
    """The bytes to send back. HEAD gets the same headers as GET, and no body."""
    return respond(request, root).encode(include_body=request.method != "HEAD")


def answer_error(error: HTTPError) -> bytes:
    return error_page(error.status, error.message).encode()
