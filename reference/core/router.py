"""@route decorators: a dict from path to handler, and nothing more magic than that.

A framework's routing is a lookup table. The decorator only stores the function; dispatch() looks the path
up, checks the method, and otherwise hands the request to the fallback (static files, then 404).
The router never calls I/O and never awaits: a handler may be a plain function or a coroutine function, and
dispatch() returns whatever the handler returns. An async server awaits that result when it is awaitable.
"""
from dataclasses import dataclass
from typing import Any, Callable

from .request_parser import Request
from .response import Response, error_page, not_allowed

Handler = Callable[[Request], Any]      # returns a Response, or an awaitable of one


@dataclass
class Route:
    methods: tuple[str, ...]
    handler: Handler


def no_such_page(request: Request) -> Response:
    return error_page(404, f"there is no page at {request.path}")


class Router:
    def __init__(self, fallback: Handler = no_such_page):
        self.routes: dict[str, Route] = {}
        self.fallback = fallback        # what answers a path no route claims

    def route(self, path: str, methods: tuple[str, ...] = ("GET",)):
        """@router.route("/hello") registers the function below it for that path."""
        def register(handler: Handler) -> Handler:
            self.routes[path] = Route(methods, handler)
            return handler
        return register

    def dispatch(self, request: Request):
        """The handler's answer for this request (a Response, or an awaitable of one)."""
        route = self.routes.get(request.path)
        if route is None:
            return self.fallback(request)
        allowed = route.methods + (("HEAD",) if "GET" in route.methods else ())
        if request.method not in allowed:
            return not_allowed(request.method, request.path, allowed)
        return route.handler(request)
