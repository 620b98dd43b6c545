"""asyncio with @route handlers: dynamic pages first, static files as the fallback, then 404.

The I/O is async_server's, unchanged. What is new is the Router: a table from path to function.
"""
import asyncio
import json
from datetime import datetime, timezone
from html import escape
from urllib.parse import parse_qs

from reference import async_server, cli
from reference.core import static_site
from reference.core.response import Response, html, text
from reference.core.router import Router

router = Router()


@router.route("/hello")
def hello(request) -> Response:
    name = parse_qs(request.query).get("name", ["world"])[0]
    return html(f"<!doctype html><title>Hello</title><h1>Hello, {escape(name)}!</h1>\n")


@router.route("/time")
def now(request) -> Response:
    return text(datetime.now(timezone.utc).isoformat(timespec="seconds") + "\n")


@router.route("/api/status")
def status(request) -> Response:
    body = json.dumps({"status": "ok", "server": "routing_server"})
    return text(body, content_type="application/json")


@router.route("/echo", methods=("POST",))
def echo(request) -> Response:
    content_type = request.header("content-type", "application/octet-stream")
    return Response(200, [("Content-Type", content_type)], request.body)


async def answer_routed(request, args):
    if args.delay:
        await asyncio.sleep(args.delay)    # a slow handler: other clients are served while we wait
    return router.dispatch(request)        # a route's answer, or the fallback's


def main(args) -> None:
    router.fallback = lambda request: static_site.respond(request, args.static)   # no route: a file, or 404
    asyncio.run(async_server.serve(args, "routing_server", answer=answer_routed))


if __name__ == "__main__":
    cli.run("routing_server", main, cli.parse_args(__doc__.splitlines()[0]))
