"""Group failures by the check that failed, not by their exact text.

Two learners who fail the same check see different words: the grader picked random values, their servers
answered differently, the clock moved. A first failure is a headline such as

    GET /search?q=cats42: expected the body 'You searched for: cats42', but got 'None'.

What identifies the check is what was expected, with the values taken out. So: the first line, cut before
"but got", with quoted values, times and the request's own numbers replaced. Both learners above share
    GET /search?q=catsN: expected the body '…'
Numbers that name the check stay: a status (200, 404), utf-8, HTTP/1.1.
"""
from __future__ import annotations

import re

GOT = re.compile(r",?\s+but\s+(?:got|it|your|the server)\b.*$|[;:,]?\s+it printed\b.*$", re.IGNORECASE)
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
TIMES = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"   # ISO 8601
                   r"|\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d(?: [+-]\d{4})?")                # Common Log Format
REQUEST = re.compile(r"^([A-Z]+ \S+)(: .*)$")                  # "GET /path?query: expected ..."
ANY_NUMBER = re.compile(r"\d+")
LOOSE_NUMBER = re.compile(r"(?<![A-Za-z/.\-])\d+(?:[.,]\d+)*(?![A-Za-z])")
STATUS = re.compile(r"[1-5]\d\d")
# A status names the check when it reads as one: "200 OK", "404 Not Found", "status 200", "the 404 page".
STATUS_WORDS = re.compile(r" [A-Z]| page")
STATUS_BEFORE = re.compile(r"(?:status|code|the) $", re.IGNORECASE)
SPACES = re.compile(r"\s+")


def is_status(number: re.Match) -> bool:
    text, start, end = number.string, number.start(), number.end()
    return bool(STATUS.fullmatch(number[0]) and (STATUS_WORDS.match(text, end) or STATUS_BEFORE.search(text[:start])))


def failure_key(text: str | None) -> str:
    """The check a failure headline names, with the learner's own values taken out."""
    if not text or not text.strip():
        return "(no message)"
    line = text.strip().splitlines()[0]
    line = GOT.sub("", line)
    line = QUOTED.sub("'…'", line)
    line = TIMES.sub("TIME", line)
    request, rest = "", line
    found = REQUEST.match(line)
    if found:   # the request's path holds the grader's random values: every number there goes
        request, rest = ANY_NUMBER.sub("N", found.group(1)), found.group(2)
    rest = LOOSE_NUMBER.sub(lambda m: m[0] if is_status(m) else "N", rest)
    line = SPACES.sub(" ", request + rest).strip().rstrip(".…, ").strip()
    return line[:200] or "(no message)"
