"""A small Flask app, to show that wsgi_server runs a real framework (needs `pip install flask`).

    python -m reference.wsgi_server --app tools.demo_apps.flask_app:app

Flask answers /hello itself; every other path is the same site the other servers serve, through the kit's
safe resolver (so /about finds about.html, and no path or symlink leads out of static/).
"""
import os
from pathlib import Path

from flask import Flask, Response, request

from reference.core import static_files, static_site
from reference.core.request_parser import Request

app = Flask(__name__, static_folder=None)   # no Flask static route: the kit's resolver decides what is served
STATIC = Path(os.environ.get("SITE_STATIC", static_files.STATIC_ROOT))


@app.get("/hello")
def hello():
    return {"hello": request.args.get("name", "world"), "served_by": "Flask on our own WSGI server"}


@app.route("/", defaults={"path": ""}, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
@app.route("/<path:path>", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
def site(path: str):
    asked = Request(request.method, request.full_path, "/" + path, request.query_string.decode("latin-1"),
                    "HTTP/1.1", headers={})
    page = static_site.respond(asked, STATIC)
    return Response(page.body, status=page.status, headers=page.headers)
