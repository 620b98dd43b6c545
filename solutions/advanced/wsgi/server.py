"""wsgi: a WSGI server, so any Python web app can run on it.

WSGI (PEP 3333) is the contract between a server and an app that lets Flask or Django run on
gunicorn, uWSGI, or your own server. The server reads the request and calls

    body = app(environ, start_response)

`environ` is a dict describing the request in CGI's old names (REQUEST_METHOD, PATH_INFO,
QUERY_STRING, HTTP_USER_AGENT...) plus a few wsgi.* keys. The app calls start_response("200 OK",
[(name, value), ...]) and returns its body as an iterable of bytes. The server sends all of it, and
then calls body.close() if the body has one.

The socket work is done (the threaded server). Fill in the WSGI side:

1. build_environ: every key PEP 3333 requires, and each request header as HTTP_<NAME>;
2. start_response: keep the status and the headers the app gives, for the response head;
3. run_app: join the body, and always call its close().

Run it:    python exercises/advanced/wsgi/server.py --port 8002 --app wsgiref.simple_server:demo_app
           (without --app it serves the site, through tools/demo_apps/site_app.py)
Try it:    curl -i "http://127.0.0.1:8002/hello?name=you" -H "X-Greeting: hi"
Check it:  python -m pytest graders/advanced/test_wsgi.py
"""
import importlib
import io
import os
import sys
import traceback
from urllib.parse import unquote

from reference import cli, threaded_server
from reference.core.request_parser import origin_form   # "http://host/a?b" -> "/a?b"; "/a?b" stays
from reference.core.response import Response, error_page
from reference.core.wsgi import BadAnswer, checked   # refuses a status or header that would break the head


def build_environ(request, args) -> dict:
    """The request as PEP 3333 describes it: CGI-style names, every value a str (except wsgi.*)."""
    environ = {
        "REQUEST_METHOD": request.method,
        # PEP 3333 wants the path's bytes as latin-1 text: the app decodes them as it likes (UTF-8).
        "PATH_INFO": unquote(origin_form(request.target).partition("?")[0], encoding="latin-1"),
        "wsgi.input": io.BytesIO(request.body),   # the body, already read to Content-Length, as a file
    }
    # The other keys PEP 3333 requires. Every CGI value is a str, the port and the lengths too.
    environ.update({
        "SCRIPT_NAME": "",                                   # the app is mounted at the root
        "QUERY_STRING": request.query,                       # still encoded: the app decodes it
        "CONTENT_TYPE": request.header("content-type", ""),
        "CONTENT_LENGTH": request.header("content-length", ""),
        "SERVER_NAME": cli.HOST,
        "SERVER_PORT": str(args.port),
        "SERVER_PROTOCOL": request.version,                  # "HTTP/1.1"
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,                           # where the app logs its errors: our output
        "wsgi.multithread": True,                            # a thread per connection: calls may overlap
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    })
    # Every other request header becomes HTTP_<NAME>: "X-Request-Id" is HTTP_X_REQUEST_ID.
    # (Content-Type and Content-Length already have their own keys, without the HTTP_ prefix.)
    for name, value in request.headers.items():
        key = "HTTP_" + name.upper().replace("-", "_")
        if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
            environ[key] = value
    return environ


def run_app(app, environ: dict) -> Response:
    """Call the app and collect its status, headers and body into one Response."""
    started = {}
    written = []

    def start_response(status: str, headers: list, exc_info=None):
        """The app calls this with "200 OK" and [(name, value), ...] before it hands back its body."""
        # Keep the headers as the list they are: Set-Cookie may come twice. A second call, with
        # exc_info, comes from an app that failed after the first: its status and headers win.
        started["status"], started["headers"] = status, headers
        return written.append    # the old write() callable: what it gets comes before the body

    try:
        body = app(environ, start_response)
        # The app may hold a file or a database connection until its body is closed: call
        # body.close() when it has one, even when joining the body raises.
        try:
            content = b"".join(written) + b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
    except Exception:
        traceback.print_exc()    # the app's bug, in the server's output; the client gets a 500
        return error_page(500, "the WSGI app raised an exception (see the server's output)")
    if "status" not in started:
        return error_page(500, "the WSGI app never called start_response()")
    try:
        # A CR or LF in a header would end it early and let the app's data write headers of its own (an
        # injected Set-Cookie): a status or header that would break the head is the app's bug. Refuse it.
        # checked() also drops Connection: we always close the connection after answering.
        status, headers = checked({"headers": [], **started})
    except BadAnswer as error:
        print(f"wsgi: answering 500: {error}", file=sys.stderr, flush=True)
        return error_page(500, "the WSGI app's status or headers cannot be sent (see the server's output)")
    return Response(int(status[:3]), headers, content)   # "404 Not Found" -> 404   # encode() adds Content-Length, unless the app gave one


def load_app(spec: str):
    """"package.module:name" -> the app, like gunicorn's argument."""
    module_name, _, name = spec.partition(":")
    sys.path.insert(0, os.getcwd())   # like gunicorn: apps in the current folder can be imported
    app = getattr(importlib.import_module(module_name), name or "application")
    if not callable(app):
        sys.exit(f"wsgi: {spec} is not callable, so it is not a WSGI app")
    return app


def main(args) -> None:
    app = load_app(args.app)

    def answer(request, args) -> Response:
        return run_app(app, build_environ(request, args))

    threaded_server.main(args, "wsgi", answer)


if __name__ == "__main__":
    cli.run("wsgi", main, cli.parse_args(__doc__.splitlines()[0], app={
        "default": "tools.demo_apps.site_app:app", "help": "the WSGI app, as module:callable"}))
