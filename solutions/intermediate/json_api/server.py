"""json_api: a small JSON API.

    GET  /api/status   200  {"status": "ok"}
    POST /api/echo     200  {"you_sent": <the JSON value you posted>}
                       400  {"error": "..."}   when the body is not valid JSON
                       415                     when the Content-Type is not application/json

Every answer is labelled Content-Type: application/json. JSON is text, and text on the wire is
bytes: json_response() below writes the response out by hand, so you can see every one of them.

Run it:    python exercises/intermediate/json_api/server.py --port 8002
Try it:    curl -i http://127.0.0.1:8002/api/status
           curl -i -H "Content-Type: application/json" -d "{\"city\": \"Zürich\"}" http://127.0.0.1:8002/api/echo
Check it:  python -m pytest graders/intermediate/test_json_api.py
"""
import asyncio
import json

from reference import async_server, cli
from reference.core import static_site
from reference.core.response import Response


def json_response(value, status: int = 200) -> Response:
    """A JSON answer. It sets its own Content-Length, which Response.encode() then keeps as it is."""
    body = json.dumps(value, ensure_ascii=False)   # keeps "Zürich" as it is, instead of "Z\u00fcrich"
    # Content-Length counts bytes, not characters: "ü" is 1 character but 2 bytes in UTF-8.
    length = len(body.encode("utf-8"))
    headers = [("Content-Type", "application/json"), ("Content-Length", str(length))]
    return Response(status, headers, body.encode("utf-8"))


def echo(request) -> Response:
    """POST /api/echo: send back the JSON value we were sent."""
    # Only JSON is welcome. "application/json; charset=utf-8" is JSON too: compare the media type alone.
    media_type = request.header("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return json_response({"error": "send JSON, with Content-Type: application/json"}, 415)
    # Bad JSON is the client's mistake, not a reason to crash: json.loads raises ValueError, we answer 400.
    # (JSON nested thousands deep is valid, but Python's parser gives up: RecursionError. Refuse it too.)
    try:
        value = json.loads(request.body)
    except (ValueError, RecursionError) as error:
        return json_response({"error": f"the body is not JSON we can read: {error}"}, 400)
    return json_response({"you_sent": value})


def answer(request, args) -> Response:
    # A health check, the smallest API there is.
    if request.path == "/api/status":
        return json_response({"status": "ok"})
    if request.path == "/api/echo" and request.method == "POST":
        return echo(request)
    return static_site.respond(request, args.static)   # everything else is the static site


def main(args) -> None:
    asyncio.run(async_server.serve(args, "json_api", answer))


if __name__ == "__main__":
    cli.run("json_api", main, cli.parse_args(__doc__.splitlines()[0]))
