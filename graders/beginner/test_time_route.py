"""time_route: GET /time is a dynamic route that shows the current UTC time.

The checks:
- GET /time answers 200 with an HTML page (Content-Type text/html);
- the page holds the current UTC time in ISO 8601, 2026-11-21T15:09:00Z or 2026-11-21T15:09:00+00:00,
  within a few seconds of the grader's clock;
- the time is made fresh for each request: two requests a second apart show two different times;
- the rest of the site still works: /about is still a page, and an unknown path is still a 404;
- HEAD /time is the head of GET /time (the same status and Content-Type, no body on the wire);
- a request in another legal shape (header names in any case, cut at any byte) gets the page too.
The server runs with its local time zone set 5:30 hours away from UTC, so a local time labelled
as UTC cannot pass.
"""
import re
import time
from datetime import datetime, timedelta, timezone

from graders.foundations.first_server_checks import shaped, split_anywhere
from graders.harness import expect, fail, fetch, head_is_the_head_of_get, send_raw

# POSIX and Windows both read this as "local time is UTC+5:30", so datetime.now() is far from UTC.
SERVER_ENV = {"TZ": "IST-5:30"}

TOLERANCE = 5  # seconds between the page's time and the grader's clock
ISO_8601 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?")
UTC_OFFSETS = ("Z", "+00:00", "+0000")



def page_time(exchange) -> datetime:
    """The UTC time shown on the page; fails with a lesson when there is none, or it is not UTC."""
    expect(exchange.status == 200, exchange, expected="200 OK with a page showing the time",
           got=f"{exchange.status} {exchange.reason}", hint="route")
    found = ISO_8601.findall(exchange.text)
    expect(found, exchange, expected="an ISO 8601 time in the page, such as 2026-11-21T15:09:00+00:00",
           got="no such time in the body", hint="utc_now")
    for *fields, fraction, offset in found:
        if offset in UTC_OFFSETS:
            seconds = float(f"0.{fraction}") if fraction else 0.0
            try:
                return datetime(*map(int, fields), tzinfo=timezone.utc) + timedelta(seconds=seconds)
            except ValueError as error:   # 2026-13-45T99:00:00Z has the shape, but is no time at all
                fail(exchange, expected="a real date and time", got=f"{fields} ({error})", hint="utc_now")
    shown = ISO_8601.search(exchange.text)
    zone = f"in the zone {shown[8]}, not UTC" if shown[8] else "with nothing to say it is UTC"
    fail(exchange, expected="a UTC time, ending in Z or +00:00 (like 2026-11-21T15:09:00+00:00)",
         got=f"{shown[0]}, {zone}. datetime.now(timezone.utc) makes a time that knows it is UTC, "
             "and its isoformat() ends with +00:00", hint="utc_now")


def test_time_is_an_html_page(server):
    exchange = fetch(server, "GET", "/time")
    expect(exchange.status == 200, exchange, expected="200 OK for GET /time",
           got=f"{exchange.status} {exchange.reason}. Check for /time before looking for a file", hint="route")
    content_type = exchange.headers.get("Content-Type", "")
    expect(content_type.lower().startswith("text/html"), exchange, expected="Content-Type: text/html",
           got=content_type or "no Content-Type at all", hint="utc_now")


def test_time_is_the_current_utc_time(server):
    exchange = fetch(server, "GET", "/time")
    shown = page_time(exchange)
    now = datetime.now(timezone.utc)
    off_by = (shown - now).total_seconds()
    expect(abs(off_by) <= TOLERANCE, exchange,
           expected=f"the current UTC time, about {now.isoformat(timespec='seconds')} (within {TOLERANCE} s)",
           got=f"{shown.isoformat(timespec='seconds')}, {abs(off_by):,.0f} s {'ahead' if off_by > 0 else 'behind'}: "
               "a local time labelled as UTC, or a time written by hand, would do that", hint="utc_now")


def test_time_changes_between_requests(server):
    first = page_time(fetch(server, "GET", "/time"))
    # Wait until the clock has moved on to the next whole second after the one shown (at most ~1 s).
    wait = first.timestamp() + 1.05 - time.time()
    time.sleep(min(max(wait, 0.0), 1.1))
    exchange = fetch(server, "GET", "/time")
    second = page_time(exchange)
    expect(second > first, exchange,
           expected=f"a later time than the first answer's {first.isoformat(timespec='seconds')}, "
                    "since the two requests were a second apart",
           got=f"{second.isoformat(timespec='seconds')} again: the time was computed once, when the server "
               "started, instead of inside the handler for each request", hint="dynamic")


def test_the_rest_of_the_site_still_works(server, rng):
    about = fetch(server, "GET", "/about")
    expect(about.status == 200, about,
           expected="200 OK with the site's about page, as before", got=f"{about.status} {about.reason}",
           hint="route")
    expect("<title>" in about.text and "About" in about.text, about, expected="the about page itself: only "
           "/time is the time page (a path that sorts before it, such as /about, is not)",
           got=f"another page: {about.text[:80]!r}", hint="route")
    path = f"/timetable-{rng.randint(1000, 9999)}"
    unknown = fetch(server, "GET", path)
    expect(unknown.status == 404, unknown,
           expected=f"404 Not Found: {path} is not /time, and no file has that name",
           got=f"{unknown.status} {unknown.reason}. Compare the whole path, request.path == '/time'", hint="route")


def test_head_time_is_the_head_of_get(server):
    head_is_the_head_of_get(server, "/time", hint="route", same_length=False)


def test_time_answers_any_legal_shape_of_request(server, rng):
    exchange = send_raw(server, split_anywhere(rng, shaped(rng, "/time")), pause=0.05)
    page_time(exchange)
