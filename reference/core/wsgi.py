"""WSGI (PEP 3333) without I/O: a Request becomes an environ dict, an app's answer becomes a Response.

WSGI is the contract that lets any Python framework (Flask, Django...) run on any server: the server
calls app(environ, start_response) and sends whatever the app returns.
"""
import io
import sys
import traceback
from urllib.parse import unquote

from .request_parser import Request, origin_form
from .response import Response, error_page


def build_environ(request: Request, host: str, port: int) -> dict:
    raw_path = origin_form(request.target).partition("?")[0]
    environ = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        # PEP 3333 wants "bytes as latin-1 text": the app decodes it as it likes (usually UTF-8).
        "PATH_INFO": unquote(raw_path, encoding="latin-1"),
        "QUERY_STRING": request.query,
        "CONTENT_TYPE": request.header("content-type", ""),
        "CONTENT_LENGTH": request.header("content-length", ""),
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": request.version,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(request.body),   # the body, already read to Content-Length
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        key = "HTTP_" + name.upper().replace("-", "_")     # X-Request-Id becomes HTTP_X_REQUEST_ID
        if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
            environ[key] = value
    return environ


def run_app(app, environ: dict) -> Response:
    """Call the app, collect its status, headers and body, and always call the body's close()."""
    started: dict = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list, exc_info=None):
        if exc_info and started.get("sent"):
            raise exc_info[1].with_traceback(exc_info[2])
        started["status"], started["headers"] = status, headers
        return written.append   # the old-style write() callable; its bytes come before the iterable's

    try:
        result = app(environ, start_response)
        try:
            body = b"".join(written) + b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()   # frameworks free resources here (files, database connections)
    except Exception:
        traceback.print_exc()
        return error_page(500, "the WSGI app raised an exception (see the server's output)")
    if "status" not in started:
        return error_page(500, "the WSGI app never called start_response()")
    status = int(started["status"].split(" ", 1)[0])
    # We count Content-Length ourselves (an app may get it wrong) and always close. But a HEAD answer
    # has no body to count: there the app's own Content-Length, if any, is the right one.
    dropped = {"connection"} | ({"content-length"} if environ["REQUEST_METHOD"] != "HEAD" else set())
    headers = [(name, value) for name, value in started["headers"] if name.lower() not in dropped]
    return Response(status, headers, body)
