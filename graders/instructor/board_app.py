"""What the board answers, with no I/O: a Request in, a Response out (the kit's own sans-I/O core).

The routes are a small table, like the routing server the kit teaches:

    GET  /              the page (board_page.html): read-only, needs no code
    GET  /api/board     everything the page shows, as JSON
    GET  /export.csv    the class as CSV, the same file `python -m graders report --csv` writes
    POST /api/release   {"name": NAME}: the next learner key to post under NAME owns it; needs the instructor's
                        key (X-Instructor-Key), which only the instructor's terminal shows
    POST /api/results   a learner's results file; needs the join code (?code=ABCD-EFGH or X-Join-Code) and the
                        learner's key (X-Learner-Key), which `python -m graders join` made on their laptop
    GET  /race          the same page, showing the race (hack time): a ranking per scenario
    POST /api/race      a learner's race scores ({"learner", "slug", "scores": [...]}, from `python -m graders race`):
                        checked like results (code, JSON, catalog slug, learner key), and only while the race is open
    POST /api/race/open {"open": true|false}: the instructor's key opens or closes the race (or `board --race-open`)
    GET  /events        Server-Sent Events: the adapter (board_server.py) streams it, since it never ends

A post goes through, in order: the rate limits of its address, posts and wrong codes alike (429), the join
code (403), Content-Type (415), JSON and the results schema (400, with the reason), the learner key (409),
then the rate limit of that learner (429). The body's size (413) is checked earlier, by the request parser,
before the body is even read. Every 429 is the same bytes: a guess made while throttled is never checked, and
the answer does not tell whether it would have been.
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

from graders.ground.catalog import load_catalog
from graders.ground.results import SchemaError, learner_of, shorten, validate_results
from reference.core.request_parser import Request
from reference.core.response import Response, error_page, not_allowed

from .board_store import BoardFull, BoardStore, NameTaken, normal_code
from .classroom import build_classroom
from .report import csv_bytes

PAGE = Path(__file__).with_name("board_page.html")
MAX_POST = 64 * 1024            # a results file is a few kilobytes, even with long failure texts
MAX_FAILURE_SHOWN = 300         # the board keeps the start of a failure: its headline is what the room needs
LEARNER_KEY = re.compile(r"[A-Za-z0-9_\-]{16,128}")
REBUILD_EVERY = 0.5             # seconds: a burst of posts makes two snapshots a second, not one per post
RACE_SCENARIOS = ("a", "b", "c")
RACE_KINDS = ("threads", "asyncio", "selectors", "processes", "blocking")
MAX_RATE = 10_000_000           # requests/s: more than any laptop, so a made-up figure stays bounded
THROTTLED = "too many posts from this address: wait a minute, then run the grader again"


class TokenBucket:
    """`capacity` posts at once, then one more every `every` seconds: bursts are fine, floods are not."""

    def __init__(self, capacity: float, every: float, clock=time.monotonic):
        self.capacity, self.every, self.clock = capacity, every, clock
        self.buckets: dict[str, tuple[float, float]] = {}   # key -> (tokens, when)

    def take(self, key: str, take: bool = True) -> float:
        """0 if allowed (and one token is taken, unless `take` is False), else the seconds until the next token."""
        now = self.clock()
        tokens, when = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - when) / self.every)
        if tokens >= 1:
            self.buckets[key] = (tokens - take, now)
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


def throttled() -> Response:
    """One answer for every rate limit, byte for byte, whichever limit it was."""
    return refusal(429, THROTTLED, [("Retry-After", "60")])


class BoardApp:
    def __init__(self, store: BoardStore, code: str, stuck_minutes: float = 10.0, clock=time.monotonic,
                 catalog=None):
        self.store, self.code, self.stuck_minutes = store, normal_code(code), stuck_minutes
        self.catalog = {c.slug: c.level for c in (load_catalog() if catalog is None else catalog)}
        self.dropped = 0                          # challenge names in posts that this board's catalog lacks
        self.open_pages = 0                       # /events streams open now (the server keeps it current)
        self.per_address = TokenBucket(capacity=60, every=0.1, clock=clock)   # a laptop, or a whole NAT
        self.per_learner = TokenBucket(capacity=10, every=3.0, clock=clock)   # one learner: 20 runs a minute
        self.wrong_codes = TokenBucket(capacity=10, every=6.0, clock=clock)   # 20 guesses in a first minute, then 10
        self.refused: dict[int, int] = {}
        self.listeners = []                       # called with the new version after each accepted post
        self.routes = {
            ("GET", "/"): self.page,
            ("GET", "/api/board"): self.board,
            ("GET", "/export.csv"): self.export_csv,
            ("POST", "/api/results"): self.post_results,
            ("POST", "/api/release"): self.release,
            ("GET", "/race"): self.page,
            ("POST", "/api/race"): self.post_race,
            ("POST", "/api/race/open"): self.open_race,
        }
        self._data: tuple[int, float, bytes] | None = None       # (store version, when, the board's JSON)
        self._snapshot: tuple[tuple, bytes] | None = None          # (what it was made from, the page's JSON)

    def handle(self, request: Request, client: str) -> Response:
        handler = self.routes.get((request.method if request.method != "HEAD" else "GET", request.path))
        if handler is None:
            allowed = [method for method, path in self.routes if path == request.path]
            if request.path == "/events":
                allowed = ["GET", "HEAD"]
            if not allowed:
                return self.counted(error_page(404, f"There is no {request.path} on this board. The board is at /."))
            return self.counted(not_allowed(request.method, request.path, tuple(allowed)))
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

    def rebuild_wait(self) -> float:
        """How long a reader should wait so that the next snapshot is fresh yet rebuilds stay REBUILD_EVERY
        apart: 0 when nothing changed or the last build is old enough. The server waits this (asynchronously)
        before it asks for a snapshot, so 300 posts in a second cost two builds, not 300."""
        data = self._data
        if data is None or data[0] == self.store.version:
            return 0.0
        return max(0.0, data[1] + REBUILD_EVERY - time.monotonic())

    def page_bytes(self) -> bytes:
        """The board as JSON bytes, what every page draws: built once per accepted post (and at most once a
        second while unchanged, so the stuck timers move) however many pages watch, and the same bytes object
        for all of them. The cache is keyed by the stored data only."""
        version, now = self.store.version, time.monotonic()
        data = self._data
        if data is None or data[0] != version or now - data[1] >= 1.0:
            built = json.dumps(self.store.snapshot(self.stuck_minutes), ensure_ascii=False).encode("utf-8")
            data = self._data = (version, now, built)
        return data[2]

    def snapshot_bytes(self) -> bytes:
        """page_bytes() and the instructor's counters (refusals, dropped challenges, open pages), for
        /api/board: a refused request costs a few counters spliced onto the end, never a rebuild."""
        self.page_bytes()
        data = self._data
        counters = {"refused": {str(status): count for status, count in sorted(self.refused.items())},
                    "dropped_challenges": self.dropped, "open_pages": self.open_pages}
        made_from = (data[0], data[1], json.dumps(counters))
        if self._snapshot is None or self._snapshot[0] != made_from:
            # '{"version": ..., "learners": [...]}' + '{"refused": ...}' -> '{"version": ..., "refused": ...}'
            self._snapshot = (made_from, data[2][:-1] + b", " + made_from[2][1:].encode())
        return self._snapshot[1]

    def board(self, request: Request, client: str) -> Response:
        return Response(200, [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")],
                        self.snapshot_bytes())

    def export_csv(self, request: Request, client: str) -> Response:
        return Response(200, [("Content-Type", "text/csv; charset=utf-8"),
                              ("Content-Disposition", 'attachment; filename="workshop-board.csv"')],
                        csv_bytes(build_classroom(self.store.results())))

    # --- posting ---------------------------------------------------------------------------------------------------

    def code_matches(self, given: str) -> bool:
        # compare_digest takes as long for a near miss as for a far one: the time of an answer tells nothing.
        return hmac.compare_digest(normal_code(given).encode("utf-8", "replace"), self.code.encode())

    def admitted(self, request: Request, client: str, *, race: bool = False) -> Response | tuple:
        """Every post's gate, in this order: the throttles, the join code, (for a race) the race open, the
        Content-Type, the JSON. A refusal (a Response), or (the parsed JSON,)."""
        # The throttles first, then the code: while an address may not guess, its guesses are not even read.
        if self.per_address.take(client) or self.wrong_codes.take(client, take=False):
            return throttled()
        given = parse_qs(request.query).get("code", [""])[0] or request.header("x-join-code", "")
        if not self.code_matches(given):
            self.wrong_codes.take(client)
            return refusal(403, "wrong or missing join code: run `python -m graders join URL` with the URL "
                                "the instructor shows (it ends in ?code=...)")
        if race and not self.store.race_open:
            return refusal(403, "the race is closed: the instructor opens it at hack time")
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            # A page on another site can send a text/plain POST without asking (a "simple" request); it cannot
            # send application/json without the browser asking the board first, which the board never allows.
            return refusal(415, f"the body must be JSON, sent with Content-Type: application/json, "
                                f"not {shorten(content_type or 'none')!r}")
        try:
            return (json.loads(request.body.decode("utf-8")),)
        except UnicodeDecodeError:
            return refusal(400, "the body is not UTF-8 text")
        except (ValueError, RecursionError) as error:
            return refusal(400, f"the body is not valid JSON: {error}")

    def post_results(self, request: Request, client: str) -> Response:
        gate = self.admitted(request, client)
        if isinstance(gate, Response):
            return gate
        (data,) = gate
        try:
            results = validate_results(data)
        except SchemaError as error:
            return refusal(400, str(error))
        key = request.header("x-learner-key", "")
        if not LEARNER_KEY.fullmatch(key):
            return refusal(409, "this post carries no learner key, so it cannot show that the name "
                                f"{results['learner']!r} is yours: run `python -m graders join URL` again "
                                "(it makes one), then grade again")
        if self.per_learner.take(f"{client} {results['learner'].casefold()}"):
            return throttled()
        results = self.known_challenges(results)
        try:
            version = self.store.record(results, key)
        except NameTaken:
            return refusal(409, f"the name {results['learner']!r} is already taken on this board by another "
                                "laptop: choose another name with `python -m graders join URL --name \"Your "
                                "Name\"`, or ask the instructor to release it")
        except BoardFull as full:
            return refusal(503, f"this board is full ({full.args[0]} learners): ask the instructor")
        for listener in self.listeners:
            listener(version)
        return json_response({"ok": True, "learner": results["learner"], "version": version}, 201)

    def post_race(self, request: Request, client: str) -> Response:
        """Race scores, in the order results go: throttles, code, Content-Type, JSON and schema, key, learner."""
        gate = self.admitted(request, client, race=True)
        if isinstance(gate, Response):
            return gate
        try:
            name, slug, scores = self.race_post(gate[0])
        except SchemaError as error:
            return refusal(400, str(error))
        key = request.header("x-learner-key", "")
        if not LEARNER_KEY.fullmatch(key):
            return refusal(409, "this post carries no learner key: run `python -m graders join URL` again")
        if self.per_learner.take(f"{client} {name.casefold()}"):
            return throttled()
        try:
            version = self.store.record_race(name, slug, scores, key)
        except NameTaken:
            return refusal(409, f"the name {name!r} is already taken on this board by another laptop")
        except BoardFull as full:
            return refusal(503, f"this board is full ({full.args[0]} learners): ask the instructor")
        for listener in self.listeners:
            listener(version)
        return json_response({"ok": True, "learner": name, "version": version}, 201)

    def race_post(self, data) -> tuple[str, str, list[dict]]:
        """(name, slug, scores) of a race post, each score cleaned; SchemaError names the first problem."""
        if not isinstance(data, dict):
            raise SchemaError("a race post is a JSON object")
        name, slug, scores = learner_of(data), data.get("slug"), data.get("scores")
        if slug not in self.catalog:
            raise SchemaError("'slug' must be one of this board's challenges")
        if not isinstance(scores, list) or not 1 <= len(scores) <= len(RACE_SCENARIOS):
            raise SchemaError(f"'scores' must be a list of 1 to {len(RACE_SCENARIOS)} scores")
        clean, seen = [], set()
        for score in scores:
            if not isinstance(score, dict) or score.get("scenario") not in RACE_SCENARIOS:
                raise SchemaError("each score needs a scenario: a, b or c")
            if score["scenario"] in seen or score.get("kind") not in RACE_KINDS:
                raise SchemaError(f"a repeated scenario, or a kind not in {', '.join(RACE_KINDS)}")
            seen.add(score["scenario"])
            numbers = [score.get("x"), score.get("requests_per_s"), score.get("p99_ms", 0) or 0]
            if not all(isinstance(n, (int, float)) and not isinstance(n, bool) and 0 <= n <= MAX_RATE
                       for n in numbers) or score["x"] > 1000:
                raise SchemaError("x, requests_per_s and p99_ms must be numbers in range")
            clean.append({"scenario": score["scenario"], "x": round(float(score["x"]), 2),
                          "requests_per_s": round(float(score["requests_per_s"]), 1),
                          "p99_ms": None if score.get("p99_ms") is None else round(float(score["p99_ms"]), 1),
                          "kind": score["kind"]})
        return name, slug, clean

    def open_race(self, request: Request, client: str) -> Response:
        """The page's race button (on the instructor's laptop): as `board --race-open` / `--race-closed`."""
        if self.per_address.take(client) or self.wrong_codes.take(client, take=False):
            return throttled()
        given = request.header("x-instructor-key", "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.store.instructor_key().encode()):
            self.wrong_codes.take(client)
            return refusal(403, "opening the race needs the instructor's key")
        try:
            opened = json.loads(request.body.decode("utf-8")).get("open")
        except (ValueError, AttributeError, UnicodeDecodeError, RecursionError):
            opened = None
        if not isinstance(opened, bool):
            return refusal(400, 'send {"open": true} or {"open": false}')
        self.store.set_race_open(opened)
        for listener in self.listeners:
            listener(self.store.version)
        return json_response({"ok": True, "open": opened})

    def release(self, request: Request, client: str) -> Response:
        """The page's release button (on the instructor's laptop): as `board --release NAME`."""
        if self.per_address.take(client) or self.wrong_codes.take(client, take=False):
            return throttled()
        given = request.header("x-instructor-key", "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.store.instructor_key().encode()):
            self.wrong_codes.take(client)
            return refusal(403, "releasing a name needs the instructor's key: open the instructor's link the "
                                "board printed in its terminal")
        try:
            name = json.loads(request.body.decode("utf-8")).get("name")
        except (ValueError, AttributeError, UnicodeDecodeError, RecursionError):
            name = None
        if not isinstance(name, str) or not name.strip():
            return refusal(400, 'send {"name": "the learner\'s name"}')
        if not self.store.release(name):
            return refusal(404, f"no learner named {shorten(name)!r} holds this board's name")
        for listener in self.listeners:
            listener(self.store.version)
        return json_response({"ok": True, "released": name})

    def known_challenges(self, results: dict) -> dict:
        """Only this board's own challenges, each under its catalog level, with the failure's headline: what a
        post can store is bounded by the catalog, not by what a laptop makes up. Unknown names are counted."""
        kept = {}
        for slug, entry in results["challenges"].items():
            if slug not in self.catalog:
                self.dropped += 1
                continue
            failure = entry.get("first_failure")
            kept[slug] = dict(entry, level=self.catalog[slug],
                              first_failure=failure[:MAX_FAILURE_SHOWN] if failure else failure)
        return dict(results, challenges=kept)
