"""wsgi: a WSGI server, so any Python web app can run on it.

WSGI (PEP 3333) is the contract between a server and an app that lets Flask or Django run on
gunicorn, uWSGI, or your own server. The server reads the request and calls

    body = app(environ, start_response)

`environ` is a dict describing the request in CGI's old names (REQUEST_METHOD, PATH_INFO,
QUERY_STRING, HTTP_USER_AGENT...) plus a few wsgi.* keys. The app calls start_response("200 OK",
[(name, value), ...]) and returns its body as an iterable of bytes. The server sends each piece as
it comes (a body may be a stream that never ends: never gather it in memory), and then calls
body.close() if the body has one.

The socket work is done (a thread per connection, as in reference/threaded_server.py), and so is the
answer's head (answer_head() from the core: the status line, the app's headers, and the framing:
the app's Content-Length, or chunks). Fill in the WSGI side:

1. build_environ: every key PEP 3333 requires, and each request header as HTTP_<NAME>;
2. start_response: keep the status and the headers the app gives, for the response head;
3. run_app: send each piece of the body, and always call its close().

Run it:    python exercises/advanced/wsgi/server.py --port 8002 --app wsgiref.simple_server:demo_app
           (without --app it serves the site, through tools/demo_apps/site_app.py)
Try it:    curl -i "http://127.0.0.1:8002/hello?name=you" -H "X-Greeting: hi"
Check it:  python -m pytest graders/advanced/test_wsgi.py
"""
import importlib
import io
import os
import socket
import sys
import threading
import time
import traceback
from urllib.parse import unquote

from reference import cli
from reference.blocking_server import connections, drain, read_request
from reference.core.request_parser import HTTPError, origin_form  # "http://host/a?b" -> "/a?b"; "/a?b" stays
from reference.core.response import error_page, error_reply

# answer_head() refuses (BadAnswer) a status or header that would break the head: a CR or LF in a header
# would let the app's data write headers of its own (an injected Set-Cookie).
from reference.core.wsgi import BadAnswer, answer_head


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


def run_app(app, environ: dict):
    """Call the app and yield the bytes of its answer as they come: the head with the first piece of body,
    then each piece, then the end. The caller writes them, and close()s this generator if it stops early."""
    started = {}
    written = []

    def start_response(status: str, headers: list, exc_info=None):
        """The app calls this with "200 OK" and [(name, value), ...] before it hands back its body."""
        if exc_info and started.get("sent"):
            raise exc_info[1].with_traceback(exc_info[2])   # too late to change the head: PEP 3333 says re-raise
        # Keep the headers as the list they are: Set-Cookie may come twice. A second call, with
        # exc_info, comes from an app that failed after the first: its status and headers win.
        started["status"], started["headers"] = status, headers
        return written.append    # the old write() callable: what it gets goes before the next piece

    try:
        body = app(environ, start_response)
    except Exception:
        traceback.print_exc()    # the app's bug, in the server's output; the client gets a 500
        yield error_page(500, "the WSGI app raised an exception (see the server's output)").encode()
        return
    framing = None               # how the body goes on the wire, once the head is out
    # The app may hold a file or a database connection until its body is closed: call
    # body.close() when it has one, however the loop ends (the client left, the body raised).
    try:
        for piece in body:
            data = b"".join(written) + piece
            written.clear()
            if data and framing is None:   # the head waits for the first bytes: the app may still fail
                head, framing = answer_head(started, environ)
                started["sent"] = True
                yield head
                if not framing.include_body:
                    break                  # HEAD, 204, 304: the head is the whole answer
            if data:                       # an empty piece is not the end: skip it
                yield framing.frame(data)
        if framing is None:
            head, framing = answer_head(started, environ, empty=True)
            started["sent"] = True
            yield head
        yield framing.end()
    except Exception as error:
        if isinstance(error, BadAnswer):
            print(f"wsgi: answering 500: {error}", file=sys.stderr, flush=True)
        else:
            traceback.print_exc()
        if framing is None:                # nothing sent yet: a 500 can still replace the answer
            yield error_page(500, "the WSGI app failed (see the server's output)").encode()
    finally:
        if hasattr(body, "close"):
            body.close()


def load_app(spec: str):
    """"package.module:name" -> the app, like gunicorn's argument."""
    module_name, _, name = spec.partition(":")
    sys.path.insert(0, os.getcwd())   # like gunicorn: apps in the current folder can be imported
    app = getattr(importlib.import_module(module_name), name or "application")
    if not callable(app):
        sys.exit(f"wsgi: {spec} is not callable, so it is not a WSGI app")
    return app


def serve_client(conn: socket.socket, app, args) -> None:
    """Read one request, and write the app's answer piece by piece as run_app() yields it."""
    deadline = time.monotonic() + args.timeout   # the whole request must arrive by then
    with conn:
        try:
            request = read_request(conn, deadline)
        except HTTPError as error:
            conn.sendall(error_reply(error))
            drain(conn)                    # refused early: the rest of the request may still be coming
            return
        except (TimeoutError, ConnectionError):
            return                         # stalled or gone: drop the connection
        if request is None:
            return
        answer = run_app(app, build_environ(request, args))
        try:
            conn.settimeout(args.timeout)  # each write may wait this long for a slow reader
            for data in answer:
                conn.sendall(data)
        except OSError:
            pass                           # the client left: stop the app's body
        finally:
            answer.close()                 # runs run_app's finally: the body's close()


def main(args) -> None:
    app = load_app(args.app)
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce("wsgi", args)
        for conn, _address in connections(listener):
            # A thread per connection: a slow app, or a long stream, holds up no one else.
            threading.Thread(target=serve_client, args=(conn, app, args), daemon=True).start()


if __name__ == "__main__":
    cli.run("wsgi", main, cli.parse_args(__doc__.splitlines()[0], app={
        "default": "tools.demo_apps.site_app:app", "help": "the WSGI app, as module:callable"}))
