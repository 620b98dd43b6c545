"""A simulated workshop: N learners work through the catalog and post each grader run to a live board.

    python -m graders board --port 8000                    # in one terminal; note its join code
    python -m tools.simulate_workshop --url http://127.0.0.1:8000 --code KM7R-W2QD --learners 30 --seconds 60

Each learner grades their current challenge every few seconds; a run passes with the learner's own
probability, or fails with a realistic first failure (some learners keep failing the same check, so the
board's "stuck" marker and "most common failure" have something to show). One learner grades
`--target solutions`, which the board and the report flag and do not count. Every run is posted with the
kit's own client (graders/harness/board_post.py), exactly as a learner's grader run posts it, each learner
with a learner key of their own, as `join` makes one. With --out DIR,
each learner's final results file is written there, for `python -m graders report DIR`.
"""
from __future__ import annotations

import argparse
import datetime
import heapq
import json
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from graders.ground.catalog import load_catalog, read_kit_version
from graders.ground.state import new_learner_key
from graders.harness.board_post import post_results

NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Zoë Ünal", "José Álvarez", "Łukasz Nowak", "Nguyễn Văn An",
         "Aiyana Redcloud", "Chidi Okafor", "Fatima Zahra", "Hiro Tanaka", "Ingrid Bergström", "Kwame Mensah",
         "Lin Chen", "Maya Patel", "Noor Haddad", "Olga Ivanova", "Pedro Santos", "Quinn Murphy", "Rosa Díaz",
         "Sven Larsen", "Tomás Ruiz", "Uma Krishnan", "Valentina Rossi", "Wei Zhang", "Xavier Dupont",
         "Yara Haddad", "Zainab Bello", "Björn Lund", "Chloé Martin", "Dmitri Petrov", "Elif Şahin"]

# Realistic first failures, as the graders word them; {n} and {w} vary between learners and runs.
FAILURES = {
    "mime_types": ["GET /files/sample.webp: expected Content-Type: image/webp, but got application/octet-stream.",
                   "GET /files/notes.txt: expected charset=utf-8, since notes.txt is saved in UTF-8, but got latin-1."],
    "new_page": ["GET /contact: expected 200 OK with your new contact page at /contact, but got 404 Not Found.",
                 "GET /: expected a link to the contact page on the home page, "
                 "such as <a href=\"/contact\">Contact</a>."],
    "request_logging": ["GET /about: expected a log line in your server's output within 2 s of its answer, like "
                        "127.0.0.1 - - [21/Nov/2026:15:09:00 +0000] \"GET /about HTTP/1.1\" 200 {n}.",
                        "GET /nope-{n}: expected the real status and size of the 404 page, as sent: ... 404 {n}."],
    "time_route": ["GET /time: expected 200 OK with a page showing the time, but got 404 Not Found.",
                   "GET /time: expected a UTC time, ending in Z or +00:00 (like 2026-11-21T15:09:00+00:00), but got "
                   "'{w}'."],
    "query_params": ["GET /search?q={w}{n}: expected the body 'You searched for: {w}{n}', but got 'None'.",
                     "GET /search: expected 400 Bad Request: there is no q to search for, but got 200 OK."],
    "post_form": ["POST /contact: expected a page containing 'Thanks, {w}!', but got 500 Internal Server Error.",
                  "POST /contact: expected the whole body of {n} bytes to be read, but the server answered early."],
    "json_api": ["POST /api/echo: expected 400 for invalid JSON, but got 500 Internal Server Error.",
                 "POST /api/echo: expected Content-Length to count bytes, not characters, but got {n}."],
    "error_pages": ["DELETE /about: expected 405 Method Not Allowed with an Allow header, but got 200 OK.",
                    "GET /boom: expected a 500 page, then the next request served, "
                    "but the server closed the connection."],
}
GENERIC = ["Your server exited with code 1 before accepting connections; it printed: NameError: name '{w}' is "
           "not defined",
           "GET /{w}: expected status 200, but got {n}."]
WORDS = ["cats", "dogs", "tea", "café", "owls", "rain"]


@dataclass(order=True)
class Learner:
    next_run: float
    name: str = field(compare=False)
    skill: float = field(compare=False)             # the chance a run passes
    stubborn: bool = field(compare=False)           # keeps failing the same check for a while
    target: str = field(compare=False, default="exercises")
    results: dict = field(compare=False, default_factory=dict)
    key: str = field(compare=False, default_factory=new_learner_key)    # as `join` makes it on their laptop
    stuck_text: str | None = field(compare=False, default=None)   # the failure template it keeps hitting


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def fresh_results(name: str, catalog) -> dict:
    return {"learner": name, "kit_version": read_kit_version(), "updated": now_iso(),
            "challenges": {c.slug: {"slug": c.slug, "level": c.level, "status": "not run", "passed": 0, "total": 0,
                                    "first_failure": None, "duration": 0.0, "finished": None} for c in catalog}}


def failure_template(slug: str, rng: random.Random) -> str:
    return rng.choice(FAILURES.get(slug, GENERIC))


def failure_text(template: str, rng: random.Random) -> str:
    return template.format(n=rng.randint(2, 999), w=rng.choice(WORDS))


def grade(learner: Learner, catalog, rng: random.Random) -> None:
    """One grader run of the learner's current challenge, merged into their results as the graders do."""
    challenges = learner.results["challenges"]
    current = next((c for c in catalog if challenges[c.slug]["status"] != "passed"), None)
    if current is None:
        return
    entry = challenges[current.slug]
    passes = rng.random() < learner.skill * (0.35 if learner.stubborn and entry["status"] == "failed" else 1.0)
    entry.update(status="passed" if passes else "failed", total=6, passed=6 if passes else rng.randint(0, 5),
                 duration=round(rng.uniform(0.2, 2.5), 3), finished=now_iso(), target=learner.target,
                 runs=(entry.get("runs") or 0) + 1, seed=rng.randint(1, 999_999))
    if passes:
        entry["first_failure"] = None
        entry["first_passed"] = entry.get("first_passed") or entry["finished"]
        learner.stuck_text = None
    else:
        if learner.stubborn:   # the same check again, with other random values in its words
            learner.stuck_text = learner.stuck_text or failure_template(current.slug, rng)
            entry["first_failure"] = failure_text(learner.stuck_text, rng)
        else:
            entry["first_failure"] = failure_text(failure_template(current.slug, rng), rng)
    learner.results["updated"] = entry["finished"]


def simulate(url: str, code: str, learners: int = 30, seconds: float = 60.0, seed: int = 1,
             out: Path | None = None, say=print) -> list[dict]:
    """Run the workshop; return one record per post: {learner, sent, seconds, ok, status, version}."""
    rng = random.Random(seed)
    catalog = load_catalog()
    names = NAMES[:learners] + [f"Learner {n}" for n in range(len(NAMES), learners)]
    start = time.time()
    crowd = []
    for index, name in enumerate(names):
        learner = Learner(start + rng.uniform(0, min(8.0, seconds / 4)), name, rng.uniform(0.35, 0.9),
                          stubborn=index % 7 == 3, target="solutions" if index == learners - 1 else "exercises")
        learner.results = fresh_results(name, catalog)
        crowd.append(learner)
    heapq.heapify(crowd)
    posts = []
    while crowd and crowd[0].next_run < start + seconds:
        learner = heapq.heappop(crowd)
        time.sleep(max(0.0, learner.next_run - time.time()))
        grade(learner, catalog, rng)
        sent = time.time()
        outcome = post_results(url, code, learner.results, key=learner.key)
        posts.append({"learner": learner.name, "sent": sent, "seconds": time.time() - sent, "ok": outcome.ok,
                      "status": outcome.status, "message": outcome.message,
                      "version": (outcome.reply or {}).get("version")})
        if not outcome.ok:
            say(f"  {learner.name}: {outcome.message}")
        learner.next_run = time.time() + max(3.5, rng.expovariate(1 / 7.0))   # a run every ~7 s
        heapq.heappush(crowd, learner)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for learner in crowd:
            slug = "".join(ch if ch.isalnum() else "-" for ch in learner.name.lower())
            (out / f"{slug}.json").write_text(json.dumps(learner.results, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    return posts


def summary(posts: list[dict]) -> str:
    accepted = [p for p in posts if p["ok"]]
    refused: dict = {}
    for post in posts:
        if not post["ok"]:
            refused[post["status"] or "no answer"] = refused.get(post["status"] or "no answer", 0) + 1
    times = sorted(p["seconds"] * 1000 for p in posts) or [0.0]
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    return (f"{len(posts)} posts, {len(accepted)} accepted, refused: {refused or 'none'}; "
            f"post round trip median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the board, e.g. http://127.0.0.1:8000")
    parser.add_argument("--code", required=True, help="the board's join code")
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="write each learner's final results file into this folder")
    args = parser.parse_args(argv)
    print(f"Simulating {args.learners} learners for {args.seconds:g} s against {args.url} ...", flush=True)
    posts = simulate(args.url.rstrip("/"), args.code, args.learners, args.seconds, args.seed, args.out)
    print(summary(posts))
    if args.out:
        print(f"Results files in {args.out}: python -m graders report {args.out}")
    return 0 if posts and all(p["ok"] for p in posts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
