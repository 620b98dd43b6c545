"""What the board answers, with no I/O: a Request in, a Response out (the kit's own sans-I/O core).

The routes are a small table, like the routing server the kit teaches:

    GET  /              the page (board_page.html): read-only, needs no code
    GET  /api/board     everything the page shows, as JSON
    GET  /export.csv    the class as CSV, the same file `python -m graders report --csv` writes
    POST /api/results   a learner's results file; needs the join code (?code=ABCD or X-Join-Code)
    GET  /events        Server-Sent Events: the adapter (board_server.py) streams it, since it never ends

A post goes through, in order: the rate limit of its address (429), the join code (403), JSON and the
results schema (400, with the reason), then the rate limit of that learner (429). The body's size (413) is
checked earlier, by the request parser, before the body is even read.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qs

from reference.core.request_parser import Request
from reference.core.response import Response, error_page

from .board_store import BoardStore
from .classroom import build_classroom
from .report import csv_bytes
from .schema import SchemaError, validate_results

PAGE = Path(__file__).with_name("board_page.html")
MAX_POST = 64 * 1024            # a results file is a few kilobytes, even with long failure texts


class TokenBucket:
    """`capacity` posts at once, then one more every `every` seconds: bursts are fine, floods are not."""

    def __init__(self, capacity: float, every: float, clock=time.monotonic):
        self.capacity, self.every, self.clock = capacity, every, clock
        self.buckets: dict[str, tuple[float, float]] = {}   # key -> (tokens, when)

    def take(self, key: str) -> float:
        """0 if allowed (and one token is taken), else the seconds until the next token."""
        now = self.clock()
        tokens, when = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - when) / self.every)
        if tokens >= 1:
            self.buckets[key] = (tokens - 1, now)
            return 0.0
        self.buckets[key] = (tokens, now)
        if len(self.buckets) > 10_000:                      # forget idle clients rather than grow forever
            self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < self.capacity * self.every}
        return (1 - tokens) * self.every


def content_security_policy(page: bytes) -> str:
    """The page may run its own inline script, by hash, and nothing else: even if a learner's name were ever
    put on the page as HTML, a <script> or onerror= in it would not run. Nothing loads from elsewhere."""
    scripts = re.findall(rb"<script>(.*?)</script>", page, re.DOTALL)
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s).digest()).decode() + "'" for s in scripts)
    return (f"default-src 'self'; script-src {hashes or chr(39) + 'none' + chr(39)}; style-src 'unsafe-inline'; "
            f"img-src 'self' data:; base-uri 'none'; form-action 'none'")


def json_response(data, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(status, [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store"),
                             *(headers or [])], body)


def refusal(status: int, reason: str, headers=None) -> Response:
    return json_response({"error": reason}, status, headers)


class BoardApp:
    def __init__(self, store: BoardStore, code: str, stuck_minutes: float = 10.0, clock=time.monotonic):
        self.store, self.code, self.stuck_minutes = store, code, stuck_minutes
        self.per_address = TokenBucket(capacity=60, every=0.1, clock=clock)   # a laptop, or a whole NAT
        self.per_learner = TokenBucket(capacity=10, every=3.0, clock=clock)   # one learner: 20 runs a minute
        self.wrong_codes = TokenBucket(capacity=10, every=6.0, clock=clock)   # guessing a code takes days
        self.refused: dict[int, int] = {}
        self.listeners = []                       # called with the new version after each accepted post
        self.routes = {
            ("GET", "/"): self.page,
            ("GET", "/api/board"): self.board,
            ("GET", "/export.csv"): self.export_csv,
            ("POST", "/api/results"): self.post_results,
        }
        self._snapshot: tuple[tuple, float, bytes] | None = None

    def handle(self, request: Request, client: str) -> Response:
        handler = self.routes.get((request.method if request.method != "HEAD" else "GET", request.path))
        if handler is None:
            allowed = [method for method, path in self.routes if path == request.path]
            if request.path == "/events":
                allowed = ["GET"]
            if not allowed:
                return self.counted(error_page(404, f"There is no {request.path} on this board. The board is at /."))
            page = error_page(405, f"{request.method} is not allowed on {request.path}")
            page.headers.append(("Allow", ", ".join(allowed)))
            return self.counted(page)
        return self.counted(handler(request, client))

    def counted(self, response: Response) -> Response:
        """Refusals are counted by status, for the instructor (and the tests) to see in /api/board."""
        if response.status >= 400:
            self.refused[response.status] = self.refused.get(response.status, 0) + 1
        return response

    # --- reading ---------------------------------------------------------------------------------------------------

    def page(self, request: Request, client: str) -> Response:
        page = PAGE.read_bytes()
        return Response(200, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                              ("Content-Security-Policy", content_security_policy(page)),
                              ("X-Content-Type-Options", "nosniff")], page)

    def snapshot_bytes(self) -> bytes:
        """The board as JSON bytes, made once per change (and at most once a second while unchanged, so the
        stuck timers move) however many pages watch."""
        version, now = (self.store.version, sum(self.refused.values())), time.monotonic()
        cached = self._snapshot
        if cached is None or cached[0] != version or now - cached[1] >= 1.0:
            data = self.store.snapshot(self.stuck_minutes)
            data["refused"] = {str(status): count for status, count in sorted(self.refused.items())}
            cached = self._snapshot = (version, now, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        return cached[2]

    def board(self, request: Request, client: str) -> Response:
        return Response(200, [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")],
                        self.snapshot_bytes())

    def export_csv(self, request: Request, client: str) -> Response:
        return Response(200, [("Content-Type", "text/csv; charset=utf-8"),
                              ("Content-Disposition", 'attachment; filename="workshop-board.csv"')],
                        csv_bytes(build_classroom(self.store.results())))

    # --- posting ---------------------------------------------------------------------------------------------------

    def post_results(self, request: Request, client: str) -> Response:
        wait = self.per_address.take(client)
        if wait:
            return refusal(429, f"too many posts from {client}: try again in {wait:.0f} s",
                           [("Retry-After", str(max(1, round(wait))))])
        given = parse_qs(request.query).get("code", [""])[0] or request.header("x-join-code", "")
        if not hmac.compare_digest(given.strip().upper().encode(), self.code.encode()):
            if self.wrong_codes.take(client):
                return refusal(429, "too many wrong join codes from this address: wait a minute",
                               [("Retry-After", "60")])
            return refusal(403, "wrong or missing join code: run `python -m graders join URL` with the URL "
                                "the instructor shows (it ends in ?code=...)")
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type not in ("application/json", ""):
            return refusal(400, f"the body must be JSON (Content-Type: application/json), not {content_type}")
        try:
            data = json.loads(request.body.decode("utf-8"))
        except UnicodeDecodeError:
            return refusal(400, "the body is not UTF-8 text")
        except (ValueError, RecursionError) as error:
            return refusal(400, f"the body is not valid JSON: {error}")
        try:
            results = validate_results(data)
        except SchemaError as error:
            return refusal(400, str(error))
        wait = self.per_learner.take(f"{client} {results['learner'].casefold()}")
        if wait:
            return refusal(429, f"too many posts for {results['learner']}: try again in {wait:.0f} s",
                           [("Retry-After", str(max(1, round(wait))))])
        version = self.store.record(results)
        for listener in self.listeners:
            listener(version)
        return json_response({"ok": True, "learner": results["learner"], "version": version}, 201)
