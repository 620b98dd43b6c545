"""A WSGI app that echoes what the server put in environ, as JSON, for the wsgi_server tests."""
import json


def app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    seen = {key: value for key, value in environ.items() if isinstance(value, str)}
    seen["body"] = body.decode("utf-8")
    seen["wsgi.version"] = list(environ["wsgi.version"])
    start_response("200 OK", [("Content-Type", "application/json"), ("X-Probe", "yes")])
    return [json.dumps(seen).encode()]
