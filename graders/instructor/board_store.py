"""The board's memory: SQLite (standard library), in one file the instructor names.

A restart loses nothing: every accepted post is committed before the board answers it, and the join code is
stored too, so learners who joined before a restart keep posting. Two boards on two files never meet.

A name belongs to the first learner key that posts under it (the key `join` made on that laptop); the store
keeps only the key's SHA-256, so even a copy of this file lets nobody post as anyone. Results are merged in the
order the board received them: a laptop's clock, or a made-up "finished" text, never decides what is newest.

Besides each learner's latest results, the store remembers per learner and challenge since when the same
check has been failing, measured with the board's own clock (a laptop's clock may be wrong). That is how the
board marks a learner "stuck".
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from pathlib import Path

from graders.ground.names import mixes_scripts, name_key

from .classroom import FAILED, build_classroom
from .failures import failure_key

# 32 symbols, so each is 5 bits: no I, O, 0 or 1, which a code read aloud or off a projector would mix up.
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8                               # 8 x 5 = 40 bits: guessing at 20 a minute takes a million years
MAX_LEARNERS = 1000                           # a workshop is 30; a flood of made-up names stops here

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS learners (
    name_key TEXT PRIMARY KEY,   -- the name case-folded: "ada" and "Ada" are one learner, as in the report
    name TEXT NOT NULL,
    results TEXT NOT NULL,       -- the learner's results file (JSON), merged over their posts
    first_seen REAL NOT NULL,
    last_post REAL NOT NULL,
    posts INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checks (
    name_key TEXT NOT NULL,
    slug TEXT NOT NULL,
    status TEXT NOT NULL,
    run TEXT,                    -- what identifies a grading of it: finished time, status, run count
    failure_key TEXT,            -- the failing check, grouped (failures.py)
    since REAL,                  -- when this same check started failing
    graded REAL,                 -- when a post last carried a new grading of it
    PRIMARY KEY (name_key, slug)
);
CREATE TABLE IF NOT EXISTS race (
    name_key TEXT NOT NULL,
    scenario TEXT NOT NULL,      -- a, b or c: one best score per learner and scenario
    name TEXT NOT NULL,
    slug TEXT NOT NULL,          -- the challenge whose server raced
    x REAL NOT NULL,             -- requests/s over the floor's (a, b) or the ideal's (c), measured on their laptop
    rate REAL NOT NULL,
    p99_ms REAL,
    kind TEXT NOT NULL,          -- threads, asyncio, selectors, processes or blocking
    posted REAL NOT NULL,        -- the board's own clock
    PRIMARY KEY (name_key, scenario)
);
CREATE TABLE IF NOT EXISTS owners (
    name_key TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,      -- SHA-256 of the learner key that first posted under this name
    since REAL NOT NULL
);
"""


class NameTaken(Exception):
    """A post under a name that another learner key owns (or with no key at all)."""


class BoardFull(Exception):
    """MAX_LEARNERS names are on the board already."""


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(length))


def normal_code(text: str) -> str:
    """A code as typed ("abcd-efgh ", "ABCDEFGH") in the one spelling it is stored and compared in."""
    return "".join(text.split()).replace("-", "").upper()


def shown_code(code: str) -> str:
    """XXXX-XXXX: easier to read aloud and to type than eight letters in a row."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def merge_by_arrival(old: dict, new: dict) -> dict:
    """A learner's stored results with a new post over them: whatever the new post graded replaces what was
    stored, since the board received it last; a challenge it did not run keeps its stored result."""
    challenges = dict(old["challenges"])
    for slug, entry in new["challenges"].items():
        if entry["status"] != "not run" or slug not in challenges:
            challenges[slug] = entry
    return dict(new, challenges=challenges)


class BoardStore:
    def __init__(self, path: Path | str, clock=time.time):
        self.clock = clock
        # check_same_thread=False: the server owns this connection from one thread, but it may not be the
        # thread that opened it. Writes are transactions: a crash mid-post leaves the previous state.
        self.db = sqlite3.connect(str(path), check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")        # readers never wait for a writer
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- the join code and a change counter, in the meta table ---------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def join_code(self, wanted: str | None = None, renew: bool = False) -> str:
        """The stored code (so a restart keeps every learner's join), or `wanted`, or a new one. A stored code
        shorter than CODE_LENGTH (from an older board) is too easy to guess: it is replaced."""
        stored = self.meta("code")
        if stored is not None and len(stored) < CODE_LENGTH:
            stored = None
        code = normal_code(wanted) if wanted else (None if renew else stored) or new_code()
        if code != self.meta("code"):
            self.set_meta("code", code)
        return code

    def instructor_key(self) -> str:
        """The instructor's own key, made once per board file: it lets the page's release buttons work, and is
        printed only in the instructor's terminal."""
        key = self.meta("instructor_key")
        if key is None:
            key = secrets.token_urlsafe(16)
            self.set_meta("instructor_key", key)
        return key

    @property
    def version(self) -> int:
        return int(self.meta("version") or 0)

    # --- posts ---------------------------------------------------------------------------------------------------

    def record(self, results: dict, learner_key: str) -> int:
        """Store a validated results file posted with `learner_key`; return the board's new version number.
        NameTaken if another key owns the name, BoardFull if it is a new name and there is no room."""
        now = self.clock()
        key = name_key(results["learner"])
        with self.db:   # one transaction: all of a post, or nothing
            owner = self.db.execute("SELECT key_hash FROM owners WHERE name_key = ?", (key,)).fetchone()
            if owner is None:
                if self.db.execute("SELECT COUNT(*) FROM owners").fetchone()[0] >= MAX_LEARNERS:
                    raise BoardFull(MAX_LEARNERS)
                self.db.execute("INSERT INTO owners VALUES (?, ?, ?)", (key, key_hash(learner_key), now))
            elif not hmac.compare_digest(owner[0], key_hash(learner_key)):
                raise NameTaken(results["learner"])
            row = self.db.execute("SELECT results, first_seen, posts FROM learners WHERE name_key = ?",
                                  (key,)).fetchone()
            if row:
                merged = merge_by_arrival(json.loads(row[0]), results)
                first_seen, posts = row[1], row[2]
            else:
                merged, first_seen, posts = results, now, 0
            self.db.execute("INSERT OR REPLACE INTO learners VALUES (?, ?, ?, ?, ?, ?)",
                            (key, results["learner"], json.dumps(merged, ensure_ascii=False), first_seen, now,
                             posts + 1))
            previous = {r[0]: r[1:] for r in self.db.execute(
                "SELECT slug, status, run, failure_key, since, graded FROM checks WHERE name_key = ?", (key,))}
            for slug, entry in results["challenges"].items():
                self.db.execute("INSERT OR REPLACE INTO checks VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (key, slug, *check_state(entry, previous.get(slug), now)))
            version = self.version + 1
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)", (str(version),))
        return version

    def claim(self, name: str, learner_key: str) -> None:
        """The name is this key's (the first key to post under it owns it), or NameTaken/BoardFull. In a transaction."""
        key = name_key(name)
        owner = self.db.execute("SELECT key_hash FROM owners WHERE name_key = ?", (key,)).fetchone()
        if owner is None:
            if self.db.execute("SELECT COUNT(*) FROM owners").fetchone()[0] >= MAX_LEARNERS:
                raise BoardFull(MAX_LEARNERS)
            self.db.execute("INSERT INTO owners VALUES (?, ?, ?)", (key, key_hash(learner_key), self.clock()))
        elif not hmac.compare_digest(owner[0], key_hash(learner_key)):
            raise NameTaken(name)

    # --- the race (hack time) ----------------------------------------------------------------------------------

    @property
    def race_open(self) -> bool:
        return self.meta("race_open") == "1"

    def set_race_open(self, opened: bool) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('race_open', ?)",
                            ("1" if opened else "0",))
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)", (str(self.version + 1),))

    def record_race(self, name: str, slug: str, scores: list[dict], learner_key: str) -> int:
        """Keep each scenario's best score (highest x) of this learner; return the new version."""
        now, key = self.clock(), name_key(name)
        with self.db:
            self.claim(name, learner_key)
            for score in scores:
                old = self.db.execute("SELECT x FROM race WHERE name_key = ? AND scenario = ?",
                                      (key, score["scenario"])).fetchone()
                if old is None or score["x"] > old[0]:
                    self.db.execute("INSERT OR REPLACE INTO race VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    (key, score["scenario"], name, slug, score["x"], score["requests_per_s"],
                                     score["p99_ms"], score["kind"], now))
            version = self.version + 1
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)", (str(version),))
        return version

    def race_ranking(self) -> dict:
        """{"open": bool, "scenarios": {"a": [{name, x, requests_per_s, p99_ms, kind, slug}, best first], ...}}."""
        ranking: dict[str, list] = {"a": [], "b": [], "c": []}
        for row in self.db.execute("SELECT scenario, name, x, rate, p99_ms, kind, slug FROM race "
                                   "ORDER BY scenario, x DESC, posted"):
            ranking.setdefault(row[0], []).append({"name": row[1], "x": row[2], "requests_per_s": row[3],
                                                   "p99_ms": row[4], "kind": row[5], "slug": row[6],
                                                   "mixed_scripts": mixes_scripts(row[1])})
        return {"open": self.race_open, "scenarios": ranking}

    def release(self, name: str) -> bool:
        """Let the next key that posts under `name` own it (a learner who lost their laptop's state). Their
        results stay. False if no key owns that name."""
        with self.db:
            released = self.db.execute("DELETE FROM owners WHERE name_key = ?", (name_key(name),)).rowcount
            if released:
                self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)",
                                (str(self.version + 1),))
        return bool(released)

    # --- reading -------------------------------------------------------------------------------------------------

    def results(self) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT results FROM learners ORDER BY name_key")]

    def posts_accepted(self) -> int:
        return self.db.execute("SELECT COALESCE(SUM(posts), 0) FROM learners").fetchone()[0]

    def snapshot(self, stuck_minutes: float) -> dict:
        """Everything the page draws, as JSON-ready data. Texts are data: the page shows them as text."""
        now = self.clock()
        room = build_classroom(self.results())
        learners = {r[0]: r[1:] for r in self.db.execute(
            "SELECT name_key, first_seen, last_post, posts FROM learners")}
        checks: dict[str, list] = {}
        for row in self.db.execute("SELECT name_key, slug, status, failure_key, since, graded FROM checks"):
            checks.setdefault(row[0], []).append(row[1:])
        order = {slug: index for index, slug in enumerate(room.slugs)}

        def learner(row, counted: bool) -> dict:
            key = name_key(row.learner)
            first_seen, last_post, posts = learners.get(key, (now, now, 0))
            return {"name": row.learner, "mixed_scripts": mixes_scripts(row.learner), "counted": counted,
                    "flagged": row.flagged,
                    "cells": row.cells, "failures": row.failures, "passed": row.passed_in(room.slugs),
                    "posts": posts, "last_post": last_post, "seconds_since_post": round(now - last_post, 1),
                    "stuck": stuck_on(checks.get(key, []), order, now, stuck_minutes)}

        return {
            "version": self.version, "now": now, "stuck_minutes": stuck_minutes,
            "posts_accepted": self.posts_accepted(),
            "levels": [{"level": level, "slugs": slugs} for level, slugs in room.levels],
            "challenges": [{"slug": c.slug, "level": c.level, "title": c.title,
                            "passed": room.summaries[c.slug].passed, "failed": room.summaries[c.slug].failed,
                            "failure": room.summaries[c.slug].failure,
                            "failure_count": room.summaries[c.slug].failure_count,
                            "failure_example": room.summaries[c.slug].failure_example} for c in room.columns],
            "learners": [learner(row, True) for row in room.rows] + [learner(row, False) for row in room.flagged],
            "race": self.race_ranking(),
        }


def check_state(entry: dict, previous: tuple | None, now: float) -> tuple:
    """(status, run, failure_key, since, graded) for one challenge of a new post."""
    status = entry["status"]
    run = json.dumps([entry.get("finished"), status, entry.get("runs")])
    old_status, old_run, old_key, old_since, old_graded = previous or (None, None, None, None, None)
    regraded = run != old_run and status != "not run"
    graded = now if regraded else old_graded
    if status != FAILED:
        return status, run, None, None, graded
    key = failure_key(entry.get("first_failure"))
    since = old_since if (old_status == FAILED and old_key == key and old_since is not None) else now
    return status, run, key, since, graded


def stuck_on(checks: list, order: dict, now: float, stuck_minutes: float) -> dict | None:
    """The challenge a learner is stuck on, or None.

    Their current challenge is the first failing one (in catalog order) among those their latest run graded:
    what the run's summary told them to do next. They are stuck when that same check has failed for
    `stuck_minutes` or more. A learner who has moved on to another challenge is not stuck on the old one."""
    graded = [c for c in checks if c[4] is not None]
    if not graded:
        return None
    latest = max(c[4] for c in graded)
    failing = sorted((c for c in graded if c[4] == latest and c[1] == FAILED and c[3] is not None),
                     key=lambda c: order.get(c[0], len(order)))
    if not failing:
        return None
    slug, _, key, since, _ = failing[0]
    minutes = (now - since) / 60
    if minutes < stuck_minutes:
        return None
    return {"slug": slug, "check": key, "minutes": round(minutes, 2)}
