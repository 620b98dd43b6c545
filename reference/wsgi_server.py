"""A WSGI server: runs any WSGI app (Flask, Django, wsgiref's demo), a thread per connection.

    python -m reference.wsgi_server --app module:callable
Without --app it runs tools.demo_apps.flask_app:app when Flask is installed, else wsgiref's demo app.
"""
import importlib
import importlib.util
import os
import socket
import sys
import threading
import time

from reference import cli
from reference.blocking_server import connections, drain, read_request
from reference.core import wsgi
from reference.core.request_parser import HTTPError
from reference.core.response import error_reply


def load_app(spec: str):
    """'package.module:callable' -> the callable, with an error a beginner can act on."""
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        sys.exit(f"wsgi_server: --app wants module:callable, like myapp:app (got {spec!r})")
    sys.path.insert(0, os.getcwd())   # like gunicorn: apps in the current folder can be imported
    try:
        app = importlib.import_module(module_name)
    except ImportError as error:
        sys.exit(f"wsgi_server: cannot import {module_name!r} for --app: {error}")
    for name in attribute.split("."):
        app = getattr(app, name, None)
        if app is None:
            sys.exit(f"wsgi_server: module {module_name!r} has no {attribute!r} (from --app {spec})")
    if not callable(app):
        sys.exit(f"wsgi_server: {spec} is not callable, so it is not a WSGI app")
    return app


def default_app() -> str:
    if importlib.util.find_spec("flask"):
        return "tools.demo_apps.flask_app:app"
    print("Flask is not installed: serving wsgiref's demo app (pip install flask to see a Flask app)")
    return "wsgiref.simple_server:demo_app"


def serve_client(conn: socket.socket, app, args) -> None:
    """The threaded server's serve_client, except that the answer goes out piece by piece as the app makes it."""
    deadline = time.monotonic() + args.timeout
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
        time.sleep(args.delay)             # a slow handler: the threaded server gives each client a thread
        answer = wsgi.run_app(app, wsgi.build_environ(request, cli.HOST, args.port))
        try:
            conn.settimeout(args.timeout)  # each write may wait this long for a slow reader
            for data in answer:
                conn.sendall(data)
        except OSError:
            pass                           # the client left, or stopped reading: stop the app's body
        finally:
            answer.close()                 # runs the app's body.close(), even when we stopped early


def main(args) -> None:
    app = load_app(args.app or default_app())
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce("wsgi_server", args)
        for conn, _address in connections(listener):
            threading.Thread(target=serve_client, args=(conn, app, args), daemon=True).start()


if __name__ == "__main__":
    arguments = cli.parse_args(__doc__.splitlines()[0], app={"help": "the WSGI app, as module:callable"})
    cli.run("wsgi_server", main, arguments)
