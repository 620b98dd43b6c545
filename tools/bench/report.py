"""The benchmark's numbers and tables, with no I/O: load results in, rows, text and JSON out.

One row per server and run. The printed table and the --json file are made from the same rows, so they
can never disagree. The JSON file has this structure (version 1; new keys may be added, none renamed):

    {"format": "reference-bench", "version": 1, "interrupted": false,
     "machine": {"python": "3.11.7", "platform": "Linux-...", "cpu_count": 2,
                 "note": "the load generator runs on the same machine as the servers"},
     "settings": {"host": "127.0.0.1", "path": "/index.html", "delay_s": 0.1,
                  "duration_limit_s": 10.0, "timeout_s": 30.0, "static": null,
                  "generator": "wrk", "seconds": 2.0, "warmup_s": 1.0, "repeat": 3,
                  "pinned": true, "generator_core": 0, "server_core": 1},
     "runs": [{"scenario": "a", "title": "...", "requests": 1000, "concurrency": 10, "delay_s": 0.0,
               "generator_command": "taskset -c 0 wrk -t1 -c10 -d2s ... http://127.0.0.1:PORT/index.html",
               "results": [ROW, ...]}]}

and every ROW, in the order the servers ran (the floor first):

    {"server": "async", "status": "ran",         # "ran", "n/a" (cannot take part), "absent" (a peer
     "note": null,                               #   that is not installed) or "failed"; note says why
     "requested": 1000, "completed": 1000,       # completed: answered 200 in full; requested is null
     "errors": 0, "error_kinds": {},             #   for a run that lasts a time (wrk) instead of a count
     "error_examples": {},                       # kind -> the first such error's words
     "cut_off": 0, "stopped_early": false,       # cut_off: in flight when the time limit stopped the run
     "elapsed_s": 1.234, "requests_per_s": 810.4, "p50_ms": 11.9, "p99_ms": 20.3,
     "ratio_to_floor": 0.82,                     # requests_per_s over the floor's in the same run; null
     "repeats": [790.2, 810.4, 823.0]}           #   when a slow handler makes the floor no yardstick

For rows that did not run the numbers are null. Latencies are those of completed requests only. With
--repeat N the row is the run with the median requests/s, and "repeats" lists all N rates.
"""
import math

NAME = 17      # "uvicorn-httptools"
COLUMNS = (f"{'server':<{NAME}} {'requests/s':>10} {'x floor':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
           f"  completed")
NUMBERS = ("completed", "errors", "cut_off", "elapsed_s", "requests_per_s", "p50_ms", "p99_ms", "ratio_to_floor")


def percentile(values: list[float], p: float) -> float | None:
    """Nearest rank: the smallest value that at least p% of the values are at or below.

    It always returns one of the measured values, never an average of two: p99 of 1000 latencies
    is the 990th fastest, and p50 of [1, 2, 3, 4] is 2.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))      # 1-based
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def measured(server: str, result) -> dict:
    """A row for a load result (a loadgen.LoadResult: latencies in seconds, errors by kind)."""
    latencies_ms = [seconds * 1000 for seconds in result.latencies]
    completed = len(latencies_ms)
    errors = sum(result.errors.values())
    rate = completed / result.elapsed if result.elapsed > 0 else None
    return {
        "server": server, "status": "ran", "note": None,
        "requested": result.requested, "completed": completed,
        "errors": errors, "error_kinds": dict(result.errors), "error_examples": dict(result.examples),
        "cut_off": result.cut_off, "stopped_early": completed + errors < result.requested,
        "elapsed_s": round(result.elapsed, 3),
        "requests_per_s": rounded(rate, 1),
        "p50_ms": rounded(percentile(latencies_ms, 50), 2),
        "p99_ms": rounded(percentile(latencies_ms, 99), 2),
        "ratio_to_floor": None,
    }


# What each kind of error a load-generating tool counts means, for the line under the table.
TOOL_ERRORS = {"connect": "could not connect", "read": "the connection broke while reading",
               "receive": "the connection broke while reading", "write": "the connection broke while writing",
               "timeout": "no answer in time", "length": "a body of another length than the first",
               "exception": "a failed read or write", "failed": "failed requests",
               "bad status": "an answer that was not 2xx"}


def from_tool(server: str, figures: dict, requested: int | None) -> dict:
    """A row for what wrk or ab reported (tool_output's figures). `requested`: None for a timed run."""
    errors = sum(figures["error_kinds"].values())
    return {
        "server": server, "status": "ran", "note": None,
        "requested": requested, "completed": figures["completed"],
        "errors": errors, "error_kinds": dict(figures["error_kinds"]),
        "error_examples": {kind: TOOL_ERRORS.get(kind, kind) for kind in figures["error_kinds"]},
        "cut_off": None,            # the tool does not say how many were in flight at the end
        "stopped_early": requested is not None and figures["answered"] < requested,
        "elapsed_s": figures["elapsed_s"], "requests_per_s": figures["requests_per_s"],
        "p50_ms": rounded(figures["p50_ms"], 2), "p99_ms": rounded(figures["p99_ms"], 2),
        "ratio_to_floor": None,
    }


def ratio(row: dict, floor: dict | None) -> float | None:
    """The row's requests/s over the floor's, to two places; None when either did not run."""
    if floor is None or not row.get("requests_per_s") or not floor.get("requests_per_s"):
        return None
    return round(row["requests_per_s"] / floor["requests_per_s"], 2)


def median_run(rows: list[dict]) -> dict:
    """Of several runs of one server, the one with the median requests/s (the lower middle of an even
    count), with every run's rate in "repeats". A failed run stands for all: it is never hidden."""
    for row in rows:
        if row["status"] != "ran":
            return row
    ordered = sorted(rows, key=lambda row: row["requests_per_s"] or 0)
    return ordered[(len(ordered) - 1) // 2] | {"repeats": [row["requests_per_s"] for row in rows]}


def not_run(server: str, status: str, note: str, requested: int | None) -> dict:
    """A row for a server that did not take part ("n/a", "absent") or could not ("failed"), saying why."""
    row = {"server": server, "status": status, "note": note, "requested": requested,
           "error_kinds": {}, "error_examples": {}, "stopped_early": False}
    return row | {key: None for key in NUMBERS}


def rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def format_row(row: dict) -> str:
    if row["status"] != "ran":
        return f"{row['server']:<{NAME}} {row['status']}: {row['note']}"
    rate, p50, p99 = (show(row[key]) for key in ("requests_per_s", "p50_ms", "p99_ms"))
    times = show(row.get("ratio_to_floor"), 2)
    return (f"{row['server']:<{NAME}} {rate:>10} {times:>7} {p50:>8} {p99:>8} {row['errors']:>6}"
            f"  {completed_text(row)}")


def show(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def completed_text(row: dict) -> str:
    if row["requested"] is None:               # a timed run (wrk): so many in so long
        return f"{row['completed']} in {row['elapsed_s']:.1f} s"
    done = f"{row['completed']} of {row['requested']}"
    if row["stopped_early"]:
        # Say it plainly: a blocking server with a slow handler cannot finish in the time allowed.
        return f"stopped after {row['elapsed_s']:.0f} s: {done}"
    return done


def error_note(row: dict) -> str | None:
    """A line under the table naming the kinds of error: "blocking: 2 reset (Connection reset by peer)"."""
    if not row.get("errors"):
        return None
    kinds = ", ".join(f"{count} {kind} ({row['error_examples'].get(kind, '?')})"
                      for kind, count in sorted(row["error_kinds"].items()))
    return f"  {row['server']}: {kinds}"


def document(machine: dict, settings: dict, runs: list[dict], interrupted: bool) -> dict:
    """The --json file: see the module docstring. `runs` already carry their "results" rows."""
    return {"format": "reference-bench", "version": 1, "interrupted": interrupted,
            "machine": machine, "settings": settings, "runs": runs}
