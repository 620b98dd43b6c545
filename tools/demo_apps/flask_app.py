"""A small Flask app, to show that wsgi_server runs a real framework (needs `pip install flask`).

    python -m reference.wsgi_server --app tools.demo_apps.flask_app:app
"""
from flask import Flask, request

from reference.core.static_files import STATIC_ROOT

app = Flask(__name__, static_folder=str(STATIC_ROOT), static_url_path="")


@app.get("/")
def home():
    return app.send_static_file("index.html")


@app.get("/hello")
def hello():
    return {"hello": request.args.get("name", "world"), "served_by": "Flask on our own WSGI server"}
