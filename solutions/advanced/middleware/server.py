"""Middleware: code that wraps every handler, the way frameworks add timing, auth and CORS.

A middleware is a function of (request, next_handler). It can act before calling next_handler
(check a token), after it (add a header), or instead of it (answer 401 itself). Stacked, they make
an onion: the first registered is the outermost layer, and the routes sit in the middle.

What to build (each place is marked TODO below):
- build_chain(): wrap the routes in the middlewares, the first registered outermost, so that
  GET /trace carries `X-Trace: outer,inner`, and every answer (static files and 404s too) carries
  X-Response-Time.
- require_token(): guard /admin/*. Without `Authorization: Bearer <token>` (the token comes from the
  ADMIN_TOKEN environment variable, default `letmein`) answer 401 with `WWW-Authenticate: Bearer`,
  and never call the handler: GET /admin/stats returns {"calls": N}, counting only real calls.
The timing, CORS and trace middlewares are done: read them as examples. An OPTIONS preflight
gets 204 with Access-Control-Allow-Origin and Access-Control-Allow-Methods.

Run it:    python exercises/advanced/middleware/server.py --port 8002   (ADMIN_TOKEN is the token: letmein,
           unless you set it: export ADMIN_TOKEN=s3cret, or in PowerShell $env:ADMIN_TOKEN="s3cret")
Try it:    curl -i http://127.0.0.1:8002/trace
           curl -i -H "Authorization: Bearer letmein" http://127.0.0.1:8002/admin/stats
Check it:  python -m pytest graders/advanced/test_middleware.py
"""
import asyncio
import json
import os
import secrets
import time
from functools import partial

from reference import async_server, cli
from reference.core import static_site
from reference.core.response import Response, text
from reference.core.router import Router

ADMIN_TOKEN = os.environ.get("ADMIN_TOKEN", "letmein")   # from the environment: never hard-code a secret
router = Router()
calls = 0


@router.route("/trace")
def trace_page(request) -> Response:
    return text("Look at the X-Trace header: it shows the order the middlewares ran in.\n")


@router.route("/admin/stats")
def admin_stats(request) -> Response:
    global calls
    calls += 1   # a side effect that shows whether the handler really ran
    return text(json.dumps({"calls": calls}), content_type="application/json")


async def timing(request, next_handler) -> Response:
    """Time everything inside this layer, and say so in a header."""
    start = time.perf_counter()
    response = await next_handler(request)
    response.headers.append(("X-Response-Time", f"{(time.perf_counter() - start) * 1000:.2f}ms"))
    return response


async def cors(request, next_handler) -> Response:
    """Let pages from other origins call us. A browser asks first, with an OPTIONS preflight."""
    if request.method == "OPTIONS" and request.header("access-control-request-method"):
        return Response(204, [("Access-Control-Allow-Origin", "*"),
                              ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                              ("Access-Control-Allow-Headers", "Authorization, Content-Type")])
    response = await next_handler(request)
    response.headers.append(("Access-Control-Allow-Origin", "*"))
    return response


async def require_token(request, next_handler) -> Response:
    """Only `Authorization: Bearer <ADMIN_TOKEN>` gets through to /admin/*."""
    if request.path.startswith("/admin/") and not has_token(request):
        # Answer instead of the handler: next_handler is never called, so nothing behind it runs.
        response = text("A valid admin token, please.\n", status=401)
        response.headers.append(("WWW-Authenticate", 'Bearer realm="admin"'))   # 401 must say which scheme
        return response
    return await next_handler(request)


def has_token(request) -> bool:
    scheme, _, token = request.header("authorization", "").partition(" ")
    # compare_digest takes as long for a near miss as for a wild guess, so timing gives nothing away.
    return scheme.lower() == "bearer" and secrets.compare_digest(token.encode(), ADMIN_TOKEN.encode())


def tracer(name: str):
    """A middleware that signs X-Trace, to make the order of the layers visible."""
    async def trace(request, next_handler) -> Response:
        response = await next_handler(request)
        # On the way out the innermost layer signs first, so each layer puts its name in front.
        inner = [value for header, value in response.headers if header == "X-Trace"]
        response.headers = [(header, value) for header, value in response.headers if header != "X-Trace"]
        response.headers.append(("X-Trace", ",".join([name, *inner])))
        return response
    return trace


MIDDLEWARE = [timing, cors, require_token, tracer("outer"), tracer("inner")]   # the first is the outermost


async def routes(request) -> Response:
    """The middle of the onion: the routes, then the router's fallback (static files, then 404)."""
    return router.dispatch(request)


def build_chain(handler, middlewares):
    """One function of the request that runs every middleware around handler, the first one outermost."""
    # Wrap from the inside out, so the first in the list ends up outermost. partial() is "this middleware
    # with next_handler filled in": a function of the request alone, ready to be the next layer's inside.
    chain = handler
    for middleware in reversed(middlewares):
        chain = partial(middleware, next_handler=chain)
    return chain


app = build_chain(routes, MIDDLEWARE)


async def answer(request, args) -> Response:
    return await app(request)


def main(args) -> None:
    router.fallback = lambda request: static_site.respond(request, args.static)   # no route: a file, or 404
    asyncio.run(async_server.serve(args, "middleware", answer=answer))


if __name__ == "__main__":
    cli.run("middleware", main, cli.parse_args(__doc__.splitlines()[0]))
