"""request_logging: each request prints one Common Log Format line as it is answered.

    127.0.0.1 - - [21/Nov/2026:15:09:00 +0000] "GET /about HTTP/1.1" 200 1234

The checks, each on the lines the server prints while it is running (the grader polls its output
for a second after each answer, so a line stuck in a buffer counts as missing):
- one request prints exactly one line, right away;
- the line is in Common Log Format: host, ident, user, [time], "request line", status, size;
- its request line is the one sent, query string included (GET /about?from=... HTTP/1.1);
- its time is the current time, within a few seconds, with a correct UTC offset;
- its status and size are the ones sent back: the size is the body's length in bytes, the
  Content-Length the grader received;
- a 404 is logged too, with status 404 and the size of the 404 page;
- a HEAD request is logged as sent (HEAD /about?from=... HTTP/1.1), its size 0 (or -): no body was sent.
The server runs with its local time zone set 5:30 hours away from UTC, so a local time labelled
+0000 cannot pass, and with stdout buffered as for any pipe, so a print() without flush=True is caught.
"""
import re
import time
from datetime import datetime, timedelta, timezone

from graders.harness import expect, fail, fetch

# POSIX and Windows both read this as "local time is UTC+5:30", so time.localtime() is far from UTC.
SERVER_ENV = {"TZ": "IST-5:30"}
# Other graders run servers with `python -u`. Not this one: a log that stays in a buffer while the server
# runs (as under a process manager, or piped to a file) is the mistake this challenge teaches.
UNBUFFERED = False

COMMON_LOG_FORMAT = re.compile(
    r'(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]*)\] '
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-)')
CLF_TIME = re.compile(r"(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
EXAMPLE = '127.0.0.1 - - [21/Nov/2026:15:09:00 +0000] "GET /about HTTP/1.1" 200 1234'
WAIT = 0.5      # seconds a line may take to show up: a server prints it before or just after answering
TOLERANCE = 5   # seconds between the logged time and the grader's clock



def request_and_log(server, path, method="GET"):
    """Send `method` path; return the answer and the lines the server printed for it (waiting up to WAIT s)."""
    start = len(server.output())   # the output only grows: what comes after this is about our request
    exchange = fetch(server, method, path)
    deadline = time.monotonic() + WAIT
    while not server.output()[start:].strip() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.03)               # a moment more, in case a second line follows the first
    lines = [line for line in server.output()[start:].splitlines() if line.strip()]
    if not lines:
        fail(exchange, expected=f"a log line in your server's output within {WAIT:g} s of its answer, like {EXAMPLE}",
             got="nothing new. Print the line as the request is answered, with print(..., flush=True): when "
                 "stdout is a pipe or a file, Python keeps what you print in a buffer")   # hints in turn
    return exchange, lines


def log_entry(server, path, method="GET"):
    """The answer to `method` path and its one log line, split into Common Log Format fields."""
    exchange, lines = request_and_log(server, path, method)
    entries = [match for line in lines if (match := COMMON_LOG_FORMAT.fullmatch(line.strip()))]
    shown = "\n".join(f"    {line}" for line in lines)
    expect(entries, exchange, expected=f"a line in Common Log Format, like {EXAMPLE}",
           got=f"{'this line' if len(lines) == 1 else 'these lines'}:\n{shown}\n"
               'The shape is: host - - [time] "request line" status size', hint="format")
    expect(len(entries) == 1, exchange, expected="exactly one log line for one request",
           got=f"{len(entries)} of them:\n{shown}\nPrint once, after the response is built", hint="after")
    return exchange, entries[0]


def content_length(exchange) -> int:
    return int(exchange.headers.get("Content-Length") or len(exchange.body))


def test_a_request_prints_a_line_right_away(server, rng):
    request_and_log(server, f"/about?from=grader-{rng.randint(1000, 9999)}")


def test_the_line_is_in_common_log_format(server, rng):
    exchange, entry = log_entry(server, f"/about?from=grader-{rng.randint(1000, 9999)}")
    expect(entry["host"] in ("127.0.0.1", "::1", "::ffff:127.0.0.1"), exchange,
           expected="the client's address first, 127.0.0.1 (accept() returns it)", got=entry["host"], hint="format")


def test_the_line_shows_the_request_line_as_sent(server, rng):
    path = f"/about?from=grader-{rng.randint(1000, 9999)}"
    exchange, entry = log_entry(server, path)
    sent = f"GET {path} HTTP/1.1"
    expect(entry["request"] == sent, exchange, expected=f'the request line as it was sent, "{sent}"',
           got=f'"{entry["request"]}". Use the method, the whole target (query string included) and the version',
           hint="format")


def test_the_line_has_the_current_time(server, rng):
    exchange, entry = log_entry(server, f"/about?from=grader-{rng.randint(1000, 9999)}")
    now = datetime.now(timezone.utc)
    parts = CLF_TIME.fullmatch(entry["time"])
    expect(parts and parts[2] in MONTHS, exchange,
           expected=f"the time as [{now.strftime('%d/%b/%Y:%H:%M:%S +0000')}]: day/Mon/year:hour:minute:second "
                    "and the offset from UTC", got=f"[{entry['time']}]", hint="time_and_flush")
    day, month, year, hour, minute, second, sign, offset_hours, offset_minutes = parts.groups()
    offset = timedelta(hours=int(offset_hours), minutes=int(offset_minutes)) * (1 if sign == "+" else -1)
    logged = datetime(int(year), MONTHS.index(month) + 1, int(day), int(hour), int(minute), int(second),
                      tzinfo=timezone(offset))
    off_by = (logged - now).total_seconds()
    expect(abs(off_by) <= TOLERANCE, exchange,
           expected=f"the current time, about [{now.strftime('%d/%b/%Y:%H:%M:%S +0000')}] (within {TOLERANCE} s)",
           got=f"[{entry['time']}], {abs(off_by):,.0f} s {'ahead' if off_by > 0 else 'behind'}. time.gmtime() "
               "gives the time in UTC, which is what +0000 says; time.localtime() is the server's own zone",
           hint="time_and_flush")


def test_the_line_has_the_status_and_body_size(server, rng):
    exchange, entry = log_entry(server, f"/about?from=grader-{rng.randint(1000, 9999)}")
    logged = f'{entry["status"]} {entry["size"]}'
    wanted = f"{exchange.status} {content_length(exchange)}"
    expect(logged == wanted, exchange,
           expected=f"the status and the body's size in bytes, as sent (Content-Length): ... {wanted}",
           got=f"... {logged}", hint="after")


def test_a_404_is_logged_with_its_real_status_and_size(server, rng):
    path = f"/no-such-page-{rng.randint(1000, 9999)}"
    exchange, entry = log_entry(server, path)
    expect(exchange.status == 404, exchange, expected=f"404 Not Found: there is no page {path}",
           got=f"{exchange.status} {exchange.reason}", hint="after")
    logged = f'{entry["status"]} {entry["size"]}'
    wanted = f"404 {content_length(exchange)}"
    expect(logged == wanted, exchange,
           expected=f"the real status and size of the 404 page, as sent: ... {wanted}",
           got=f"... {logged}. Log after the response is built, from the response itself", hint="after")


def test_a_refused_method_is_logged_with_its_real_size(server, rng):
    """Only HEAD sends no body: a POST (refused, or not) is logged with the bytes its answer carried."""
    for method in ("DELETE", rng.choice(["POST", "PUT", "PATCH"])):     # one sorts before HEAD, one after
        exchange, entry = log_entry(server, "/about", method)
        wanted = f"{exchange.status} {content_length(exchange)}"
        expect(f'{entry["status"]} {entry["size"]}' == wanted, exchange,
               expected=f"the real status and size of the answer to {method}, as sent: ... {wanted}",
               got=f'... {entry["status"]} {entry["size"]}. Only HEAD has no body: compare the method with "HEAD" '
                   "exactly", hint="after")


def test_a_head_request_is_logged_with_no_body_bytes(server, rng):
    path = f"/about?from=grader-{rng.randint(1000, 9999)}"
    exchange, entry = log_entry(server, path, "HEAD")
    sent = f"HEAD {path} HTTP/1.1"
    expect(entry["request"] == sent, exchange, expected=f'the request line as it was sent, "{sent}"',
           got=f'"{entry["request"]}"', hint="format")
    expect(entry["status"] == str(exchange.status) and entry["size"] in ("0", "-"), exchange,
           expected=f"... {exchange.status} 0 (or -): the size is the bytes of body sent, and the answer to HEAD "
                    "sends none", got=f'... {entry["status"]} {entry["size"]}. Log the size of what was sent: 0 for '
                                      "HEAD, though its Content-Length gives the size of the page", hint="after")
