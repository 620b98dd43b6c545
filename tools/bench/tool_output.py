"""Read what wrk and ab print, with no I/O: their text in, the benchmark's figures out.

Both tools print a report meant for people. We take from it only what the table shows: how many requests
were answered 200 (or any 2xx), how fast, the median and 99th-percentile latency, and the errors by kind.
A report we cannot read raises ToolOutputError with the tool's last words, never a traceback.

The figures, the same keys for both tools:
    {"answered": 12000,           # every response that came back, whatever its status
     "completed": 11990,          # of those, the 2xx ones (wrk: 2xx and 3xx)
     "elapsed_s": 3.0, "requests_per_s": 3996.7,   # completed per second
     "p50_ms": 2.3, "p99_ms": 6.0,                 # None when nothing completed
     "error_kinds": {"read": 5, "bad status": 10}} # only the kinds that happened
"""
import re


class ToolOutputError(Exception):
    """The output is not a report we can read (the tool stopped early, or printed an error instead)."""


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
WRK_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.MULTILINE)
WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
WRK_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
WRK_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk(text: str) -> dict:
    """The figures from `wrk --latency` output."""
    total, rate = WRK_TOTAL.search(text), WRK_RATE.search(text)
    if total is None or rate is None:
        raise ToolOutputError(f"wrk printed no result: {last_words(text)}")
    answered, elapsed_s = int(total[1]), float(total[2]) * UNITS_MS[total[3]] / 1000
    kinds = {}
    socket_errors = WRK_SOCKET_ERRORS.search(text)
    if socket_errors:
        kinds = dict(zip(("connect", "read", "write", "timeout"), map(int, socket_errors.groups()), strict=False))
    non_2xx = WRK_NON_2XX.search(text)
    kinds["bad status"] = int(non_2xx[1]) if non_2xx else 0
    completed = max(answered - kinds["bad status"], 0)
    # wrk's own rate counts every response over its exact run time; keep only the share that were 2xx.
    per_s = float(rate[1]) * completed / answered if answered else 0.0
    percentiles = {int(p): float(value) * UNITS_MS[unit] for p, value, unit in WRK_PERCENTILE.findall(text)}
    return figures(answered, completed, elapsed_s, per_s, percentiles, kinds)


AB_FIELDS = {name: re.compile(rf"^{pattern}:\s+([\d.]+)", re.MULTILINE) for name, pattern in {
    "complete": "Complete requests", "failed": "Failed requests", "non_2xx": "Non-2xx responses",
    "rate": "Requests per second", "elapsed": "Time taken for tests"}.items()}
AB_FAILURES = re.compile(r"\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)")
AB_PERCENTILE = re.compile(r"^\s+(50|99)%\s+(\d+)", re.MULTILINE)


def parse_ab(text: str) -> dict:
    """The figures from `ab` output. ab counts whole milliseconds, so its latencies are coarse."""
    found = {name: pattern.search(text) for name, pattern in AB_FIELDS.items()}
    if not all(found[name] for name in ("complete", "rate", "elapsed")):
        raise ToolOutputError(f"ab printed no result: {last_words(text)}")
    value = {name: float(match[1]) if match else 0.0 for name, match in found.items()}
    answered, failed, non_2xx = int(value["complete"]), int(value["failed"]), int(value["non_2xx"])
    failures = AB_FAILURES.search(text)
    kinds = dict(zip(("connect", "receive", "length", "exception"), map(int, failures.groups()), strict=False)) \
        if failures else {"failed": failed}
    kinds["bad status"] = non_2xx
    # ab's "Complete requests" includes the failed ones (and may count a failure twice): never below 0.
    completed = max(answered - failed - non_2xx, 0)
    elapsed_s = value["elapsed"]
    per_s = completed / elapsed_s if elapsed_s else 0.0
    percentiles = {int(p): float(ms) for p, ms in AB_PERCENTILE.findall(text)}
    return figures(answered, completed, elapsed_s, per_s, percentiles, kinds)


def figures(answered: int, completed: int, elapsed_s: float, per_s: float, percentiles: dict,
            kinds: dict) -> dict:
    return {"answered": answered, "completed": completed, "elapsed_s": round(elapsed_s, 3),
            "requests_per_s": round(per_s, 1),
            "p50_ms": round(percentiles[50], 3) if completed and 50 in percentiles else None,
            "p99_ms": round(percentiles[99], 3) if completed and 99 in percentiles else None,
            "error_kinds": {kind: count for kind, count in kinds.items() if count}}


def last_words(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no output)"
