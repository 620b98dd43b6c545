"""A WSGI server: runs any WSGI app (Flask, Django, wsgiref's demo) on the threaded server.

    python -m reference.wsgi_server --app module:callable
Without --app it runs tools.demo_apps.flask_app:app when Flask is installed, else wsgiref's demo app.
"""
import importlib
import importlib.util
import os
import sys
import time

from reference import cli, threaded_server
from reference.core import wsgi


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


def main(args) -> None:
    app = load_app(args.app or default_app())

    def answer_wsgi(request, _args):
        time.sleep(args.delay)             # a slow handler: the threaded server gives each client a thread
        return wsgi.run_app(app, wsgi.build_environ(request, cli.HOST, args.port))

    threaded_server.main(args, "wsgi_server", answer=answer_wsgi)


if __name__ == "__main__":
    arguments = cli.parse_args(__doc__.splitlines()[0], app={"help": "the WSGI app, as module:callable"})
    cli.run("wsgi_server", main, arguments)
