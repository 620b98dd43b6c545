"""@route decorators: a dict from path to handler, and nothing more magic than that.

A framework's routing is a lookup table. The decorator below only stores the function; dispatch()
looks the path up, checks the method, and otherwise falls back to static files, then 404.
"""
from dataclasses import dataclass
from typing import Awaitable, Callable

from .request_parser import Request
from .response import Response, error_page

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Route:
    methods: tuple[str, ...]
    handler: Handler


class Router:
    def __init__(self):
        self.routes: dict[str, Route] = {}

    def route(self, path: str, methods: tuple[str, ...] = ("GET",)):
        """@router.route("/hello") registers the function below it for that path."""
        def register(handler: Handler) -> Handler:
            self.routes[path] = Route(methods, handler)
            return handler
        return register

    async def dispatch(self, request: Request, fallback: Callable[[Request], Response]) -> Response:
        route = self.routes.get(request.path)
        if route is None:
            return fallback(request)          # static files, and then 404
        allowed = route.methods + (("HEAD",) if "GET" in route.methods else ())
        if request.method not in allowed:
            page = error_page(405, f"{request.method} is not allowed on {request.path}")
            page.headers.append(("Allow", ", ".join(allowed)))
            return page
        return await route.handler(request)
