"""A small Flask app that graders/advanced/test_wsgi.py runs on your server, when Flask is installed.

    python exercises/advanced/wsgi/server.py --port 8002 --app graders.advanced.wsgi_flask_app:app
"""
from flask import Flask, request

app = Flask(__name__)


@app.get("/hello/<name>")
def hello(name):
    return {"hello": name, "greeting": request.args.get("greeting", ""),
            "token": request.headers.get("X-Probe-Token", "")}


@app.post("/echo")
def echo():
    return {"you_sent": request.get_json()}, 201
