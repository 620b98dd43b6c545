"""The static site as a WSGI app, so wsgi_server can serve the same pages as the other servers.

    python -m reference.wsgi_server --app tools.demo_apps.site_app:app
It is the mirror image of wsgi.py: there a Request became an environ; here an environ becomes a Request.
A WSGI app cannot see the server's --static option, so it reads the folder from $SITE_STATIC if set.
"""
import os
from pathlib import Path

from reference.core import static_files, static_site
from reference.core.request_parser import Request
from reference.core.response import reason


def app(environ: dict, start_response):
    path = environ["PATH_INFO"].encode("latin-1").decode("utf-8", "replace")   # undo PEP 3333's latin-1
    request = Request(environ["REQUEST_METHOD"], path, path, environ.get("QUERY_STRING", ""),
                      environ.get("SERVER_PROTOCOL", "HTTP/1.1"), headers={})
    response = static_site.respond(request, Path(os.environ.get("SITE_STATIC", static_files.STATIC_ROOT)))
    start_response(f"{response.status} {reason(response.status)}", response.headers)
    return [response.body]    # for HEAD too: the server drops the body and keeps its length
