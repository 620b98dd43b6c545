"""json_api: a small JSON API.

    GET  /api/status   200  {"status": "ok"}
    POST /api/echo     200  {"you_sent": <the JSON value you posted>}
                       400  {"error": "..."}   when the body is not valid JSON
                       415                     when the Content-Type is not application/json

Every answer is labelled Content-Type: application/json. JSON is text, and text on the wire is
bytes: json_response() below writes the response out by hand, so you can see every one of them.

Run it:    python exercises/intermediate/json_api/server.py --port 8002
Try it:    curl -i http://127.0.0.1:8002/api/status
           curl -i -H 'Content-Type: application/json' -d '{"city": "Zürich"}' http://127.0.0.1:8002/api/echo
Check it:  pytest graders/intermediate/test_json_api.py
"""
import asyncio
import json
from http import HTTPStatus


from reference import async_server, cli
from reference.core import static_site


def json_response(value, status: int = 200) -> bytes:
    """The whole HTTP response for a JSON value: status line, headers, blank line, body."""
    body = json.dumps(value, ensure_ascii=False)   # keeps "Zürich" as it is, instead of "Z\u00fcrich"
    # TODO: Content-Length counts bytes, not characters: "ü" is 1 character but 2 bytes in UTF-8.
    length = len(body)
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {length}\r\n"
            "Connection: close\r\n"
            "\r\n")
    return head.encode("latin-1") + body.encode("utf-8")


def echo(request) -> bytes:
    """POST /api/echo: send back the JSON value we were sent."""
    # TODO: only JSON is welcome: a Content-Type other than application/json gets 415.
    # TODO: json.loads raises ValueError on bad JSON: answer 400 with {"error": "..."} instead of crashing.
    value = json.loads(request.body)
    return json_response({"you_sent": value})


async def answer(request, args) -> bytes:
    # TODO: GET /api/status answers {"status": "ok"}: a health check, the smallest API there is.
    if request.path == "/api/echo" and request.method == "POST":
        return echo(request)
    return static_site.answer(request, args.static)   # everything else is the static site


def main(args) -> None:
    asyncio.run(async_server.serve(args, "json_api", answer))


if __name__ == "__main__":
    cli.run("json_api", main, cli.parse_args(__doc__.splitlines()[0]))
