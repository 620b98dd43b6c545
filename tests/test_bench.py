"""The benchmark (tools/bench) and its load generators (wrk, ab, or tools/bench/loadgen.py).

Pure logic first (percentiles, the response reader, wrk's and ab's reports read from captured samples, the
choice of generator, pinning to cores, planning, table rows and ratios to the floor), then the stdlib load
generator against tiny misbehaving servers written here, then `python -m tools.bench` itself as a subprocess
with tiny counts: the floor row, a peer reported as absent, its table and JSON, the lesson of the slow
handler, a short real run with wrk and with ab where installed, and no server or generator left behind.
"""
import ast
import asyncio
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import tools.bench.__main__ as bench
from graders.supervisor import ServerFailed, free_port, running
from tools.bench import contenders, generators, loadgen
from tools.bench.report import (
    COLUMNS,
    NAME,
    format_row,
    from_tool,
    measured,
    median_run,
    not_run,
    percentile,
    ratio,
)
from tools.bench.response_reader import ResponseError, ResponseReader, get_request
from tools.bench.tool_output import ToolOutputError, parse_ab, parse_wrk

pytestmark = pytest.mark.slow   # `-m 'not slow'` leaves it out of a quick run

ROOT = Path(__file__).resolve().parent.parent
PAGE = b"<!doctype html><title>Bench</title><h1>Hello from the bench test</h1>\n"


# --- the pure halves stay pure --------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["response_reader", "report", "tool_output"])
def test_the_protocol_and_report_modules_do_no_io(module):
    tree = ast.parse((ROOT / "tools" / "bench" / f"{module}.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"re", "math"}, f"{module} imports {imported}"


# --- percentiles ----------------------------------------------------------------------------------------

def test_percentile_is_the_nearest_rank():
    values = list(range(1, 101))                    # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile(values, 0) == 1
    assert percentile([1, 2, 3, 4], 50) == 2        # a measured value, never the mean of two


def test_percentile_sorts_its_input_and_handles_tiny_lists():
    assert percentile([30.0, 10.0, 20.0], 50) == 20.0
    assert percentile([7.5], 50) == percentile([7.5], 99) == 7.5
    assert percentile([], 50) is None
    assert percentile(list(range(1000, 0, -1)), 99) == 990


# --- the response reader (no sockets) -------------------------------------------------------------------

def test_get_request_asks_for_one_request_per_connection():
    request = get_request("127.0.0.1", 8002, "/about")
    assert request.startswith(b"GET /about HTTP/1.1\r\n")
    assert b"\r\nHost: 127.0.0.1:8002\r\n" in request
    assert b"\r\nConnection: close\r\n" in request
    assert request.endswith(b"\r\n\r\n")


def test_reader_is_done_at_content_length_even_byte_by_byte():
    response = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    reader = ResponseReader()
    results = [reader.receive(response[i:i + 1]) for i in range(len(response))]
    assert results[-1] is True and not any(results[:-1])
    assert (reader.status, reader.length, reader.body_received) == (200, 5, 5)


def test_reader_without_content_length_reads_until_the_server_closes():
    reader = ResponseReader()
    assert reader.receive(b"HTTP/1.0 404 Not Found\r\n\r\nsome body") is False
    reader.end_of_stream()
    assert reader.done and reader.status == 404


def test_reader_reports_a_short_body_and_a_missing_head():
    reader = ResponseReader()
    reader.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    with pytest.raises(ResponseError, match="3 of 10"):
        reader.end_of_stream()
    with pytest.raises(ResponseError, match="before a complete response head"):
        ResponseReader().end_of_stream()


@pytest.mark.parametrize("head", [b"HTTP/2 200 OK", b"hello", b"HTTP/1.1 20 OK",
                                  b"HTTP/1.1 200 OK\r\nContent-Length: -1"])
def test_reader_rejects_what_is_not_an_http_response(head):
    with pytest.raises(ResponseError):
        ResponseReader().receive(head + b"\r\n\r\n")


def test_a_204_has_no_body_whatever_its_headers_say():
    assert ResponseReader().receive(b"HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n") is True


# --- planning and rows ----------------------------------------------------------------------------------

def test_default_plan_is_a_b_then_c_at_10_and_100():
    runs = bench.plan_runs(["a", "b", "c"], None, None, 0.1)
    assert [(r.scenario, r.requests, r.concurrency, r.delay_s) for r in runs] == [
        ("a", 1000, 10, 0.0), ("b", 1000, 100, 0.0), ("c", 200, 10, 0.1), ("c", 2000, 100, 0.1)]


def test_overrides_replace_counts_and_levels_without_repeating_a_run():
    runs = bench.plan_runs(["a", "b", "c"], [4], 20, 0.05)
    assert [(r.scenario, r.requests, r.concurrency, r.delay_s) for r in runs] == [
        ("a", 20, 4, 0.0), ("c", 20, 4, 0.05)]      # b at 4 would be a again


def test_a_warm_up_comes_before_fast_runs_only():
    args = bench.parse_args(["--generator", "stdlib", "--warmup", "0.5"])
    fast, slow = bench.Run("a", "title", 1000, 10, 0.0), bench.Run("c", "title", 200, 10, 0.1)
    assert bench.warms_up(fast, args) and "after 0.5 s of warm-up" in bench.describe(fast, args)
    assert not bench.warms_up(slow, args) and "warm-up" not in bench.describe(slow, args)
    assert not bench.warms_up(fast, bench.parse_args(["--warmup", "0"]))


def test_unknown_servers_and_scenarios_are_refused(capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(["--servers", "blocking,nginx"])
    assert "nginx" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.parse_args(["--scenarios", "z"])
    with pytest.raises(SystemExit):
        bench.parse_args(["--warmup", "-1"])
    assert "--warmup wants 0 or more seconds" in capsys.readouterr().err


def test_servers_are_named_with_or_without_the_suffix_and_the_floor_always_comes_first():
    assert bench.parse_args(["--servers", "blocking_server,async"]).names == ["floor", "blocking", "async"]
    assert bench.parse_args(["--servers", "async,floor"]).names == ["floor", "async"]
    everyone = bench.parse_args([]).names
    assert everyone[0] == "floor" and everyone[-2:] == ["uvicorn-h11", "uvicorn-httptools"]
    assert {"async", "routing", "blocking"} <= set(everyone)


def test_a_run_stopped_by_the_time_limit_says_so():
    result = loadgen.LoadResult(requested=2000, latencies=[0.1] * 97, cut_off=100, elapsed=10.02)
    row = measured("blocking", result)
    assert row["stopped_early"] and row["completed"] == 97 and row["errors"] == 0
    assert row["requests_per_s"] == pytest.approx(9.7, abs=0.05)
    assert format_row(row).endswith("stopped after 10 s: 97 of 2000")


def test_a_finished_run_counts_errors_by_kind():
    result = loadgen.LoadResult(requested=10, latencies=[0.002] * 8, errors=Counter(reset=2),
                                examples={"reset": "Connection reset by peer"}, elapsed=0.1)
    row = measured("async", result)
    assert not row["stopped_early"] and row["errors"] == 2 and row["error_kinds"] == {"reset": 2}
    assert format_row(row).endswith("8 of 10")


def test_a_server_that_cannot_take_part_gets_a_row_saying_why(tmp_path, monkeypatch):
    run = bench.Run("a", "title", 20, 4, 0.0)
    args = bench.parse_args(["--scenarios", "a"])
    row = bench.bench_one("imaginary", run, args, tmp_path)
    assert row["status"] == "n/a" and "imaginary_server.py" in row["note"]
    monkeypatch.setitem(contenders.NEEDS, "wsgi", ("no_such_app.py", "serves a WSGI app, not static/"))
    row = bench.bench_one("wsgi", run, args, tmp_path)
    assert format_row(row) == f"{'wsgi':<{NAME}} n/a: serves a WSGI app, not static/"
    assert row["requests_per_s"] is None and row["completed"] is None and row["ratio_to_floor"] is None
    failed = not_run("x", "failed", "it exited with code 1", 20)
    assert format_row(failed) == f"{'x':<{NAME}} failed: it exited with code 1"


def test_a_peer_that_is_not_installed_is_reported_absent_not_dropped(tmp_path, monkeypatch):
    monkeypatch.setitem(contenders.PEERS, "uvicorn-h11", ("h11", ["uvicorn", "no_such_module_for_the_bench"]))
    assert contenders.cannot_take_part("uvicorn-h11") == ("absent", "pip install -e '.[bench]'")
    row = bench.bench_one("uvicorn-h11", bench.Run("a", "title", 20, 4, 0.0), bench.parse_args([]), tmp_path)
    assert format_row(row) == f"{'uvicorn-h11':<{NAME}} absent: pip install -e '.[bench]'"
    assert row["status"] == "absent" and row["requests_per_s"] is None


def test_every_row_gets_its_ratio_to_the_floor_of_the_same_run():
    floor = {"server": "floor", "status": "ran", "requests_per_s": 4000.0}
    assert ratio({"requests_per_s": 3280.0}, floor) == 0.82
    assert ratio(floor, floor) == 1.0
    assert ratio({"requests_per_s": None}, floor) is None       # a row that did not run
    assert ratio({"requests_per_s": 3280.0}, None) is None      # no floor (it failed)
    assert ratio({"requests_per_s": 3280.0}, {"requests_per_s": 0.0}) is None
    row = measured("async", loadgen.LoadResult(requested=10, latencies=[0.002] * 10, elapsed=0.1))
    row["ratio_to_floor"] = 0.82
    assert COLUMNS.split()[:4] == ["server", "requests/s", "x", "floor"]
    assert format_row(row).split()[:3] == ["async", "100.0", "0.82"]
    row["ratio_to_floor"] = None                                # scenario c: no ratio
    assert format_row(row).split()[:3] == ["async", "100.0", "-"]


def test_repeated_runs_keep_the_median_and_never_hide_a_failure():
    rows = [{"server": "async", "status": "ran", "requests_per_s": rate} for rate in (900.0, 1200.0, 1000.0)]
    best = median_run(rows)
    assert best["requests_per_s"] == 1000.0 and best["repeats"] == [900.0, 1200.0, 1000.0]
    assert median_run(rows[:2])["requests_per_s"] == 900.0      # even count: the lower middle
    failed = not_run("async", "failed", "it exited with code 1", 20)
    assert median_run([rows[0], failed])["status"] == "failed"


def test_rounds_take_everyone_in_turn_and_each_row_is_its_median_run(tmp_path, monkeypatch, capsys):
    rates = {"floor": iter([4000.0, 5000.0, 4400.0]), "async": iter([3300.0, 3700.0, 3500.0])}
    calls = []

    def fake_bench_one(name, run, args, logs):
        calls.append(name)
        if name == "uvicorn-h11":
            return not_run(name, "absent", "pip install -e '.[bench]'", None)
        return {"server": name, "status": "ran", "requests_per_s": next(rates[name])}

    monkeypatch.setattr(bench, "bench_one", fake_bench_one)
    args = bench.parse_args(["--servers", "async,uvicorn-h11", "--repeat", "3"])
    rows = bench.bench_run(bench.Run("a", "title", 1000, 10, 0.0), args, tmp_path)
    assert calls == ["floor", "async", "uvicorn-h11", "floor", "async", "floor", "async"]   # absent: asked once
    floor, server, absent = rows
    assert floor["repeats"] == [4000.0, 5000.0, 4400.0]
    assert (floor["requests_per_s"], floor["ratio_to_floor"]) == (4400.0, 1.0)
    assert (server["requests_per_s"], server["ratio_to_floor"]) == (3500.0, round(3500 / 4400, 2))
    assert absent["status"] == "absent" and absent["ratio_to_floor"] is None
    assert "round 3 of 3: floor 4400.0, async 3500.0" in capsys.readouterr().err   # progress, apart from the table


# --- wrk's and ab's reports, read from captured outputs -------------------------------------------------

WRK_OK = """\
Running 3s test @ http://127.0.0.1:9101/index.html
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.93ms    1.31ms  12.51ms   90.08%
    Req/Sec    13.59k     4.06k   17.98k    63.33%
  Latency Distribution
     50%  499.00us
     75%  632.00us
     90%    2.23ms
     99%    7.33ms
  40580 requests in 3.00s, 195.32MB read
Requests/sec:  13522.30
Transfer/sec:     65.09MB
"""

WRK_ERRORS = """\
Running 2s test @ http://127.0.0.1:9104/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02s   543.40ms   1.98s    66.67%
    Req/Sec    30.00      0.00    30.00    100.00%
  Latency Distribution
     50%    1.02s
     75%    1.23s
     90%    1.90s
     99%    1.98s
  400 requests in 2.00s, 177.00KB read
  Socket errors: connect 0, read 3, write 0, timeout 7
  Non-2xx or 3xx responses: 100
Requests/sec:    200.00
Transfer/sec:     88.33KB
"""

WRK_REFUSED = "unable to connect to 127.0.0.1:9103 Connection refused\n"

AB_OK = """\
This is ApacheBench, Version 2.3 <$Revision: 1934973 $>
Benchmarking 127.0.0.1 (be patient)
Completed 100 requests
Finished 200 requests


Server Software:
Server Hostname:        127.0.0.1
Server Port:            9103

Document Path:          /index.html
Document Length:        4947 bytes

Concurrency Level:      4
Time taken for tests:   0.020 seconds
Complete requests:      200
Failed requests:        0
Total transferred:      1009400 bytes
HTML transferred:       989400 bytes
Requests per second:    10000.00 [#/sec] (mean)
Time per request:       0.380 [ms] (mean)

Percentage of the requests served within a certain time (ms)
  50%      1
  66%      1
  75%      1
  80%      1
  90%      1
  95%      2
  98%      2
  99%      3
 100%      4 (longest request)
"""

AB_FAILURES = """\
Benchmarking 127.0.0.1 (be patient).....done

Concurrency Level:      4
Time taken for tests:   0.500 seconds
Complete requests:      100
Failed requests:        30
   (Connect: 0, Receive: 20, Length: 0, Exceptions: 10)
Non-2xx responses:      20
Requests per second:    200.00 [#/sec] (mean)

Percentage of the requests served within a certain time (ms)
  50%      5
  99%     12
 100%     12 (longest request)
"""

AB_TIMEOUT = """\
This is ApacheBench, Version 2.3 <$Revision: 1934973 $>
Benchmarking 127.0.0.1 (be patient)...apr_pollset_poll: The timeout specified has expired (70007)
Total of 8 requests completed
"""


def test_wrk_report_gives_rate_latencies_in_ms_and_no_errors():
    figures = parse_wrk(WRK_OK)
    assert figures == {"answered": 40580, "completed": 40580, "elapsed_s": 3.0, "requests_per_s": 13522.3,
                       "p50_ms": 0.499, "p99_ms": 7.33, "error_kinds": {}}


def test_wrk_report_counts_socket_errors_and_non_2xx_and_reads_seconds():
    figures = parse_wrk(WRK_ERRORS)
    assert figures["error_kinds"] == {"read": 3, "timeout": 7, "bad status": 100}
    assert (figures["answered"], figures["completed"]) == (400, 300)
    assert figures["requests_per_s"] == 150.0              # only the 2xx answers count
    assert (figures["p50_ms"], figures["p99_ms"]) == (1020.0, 1980.0)


def test_wrk_that_printed_no_report_is_an_error_with_its_words():
    with pytest.raises(ToolOutputError, match="wrk printed no result: unable to connect"):
        parse_wrk(WRK_REFUSED)
    with pytest.raises(ToolOutputError, match="no output"):
        parse_wrk("")


def test_ab_report_gives_rate_and_whole_millisecond_latencies():
    assert parse_ab(AB_OK) == {"answered": 200, "completed": 200, "elapsed_s": 0.02, "requests_per_s": 10000.0,
                               "p50_ms": 1.0, "p99_ms": 3.0, "error_kinds": {}}


def test_ab_report_counts_failures_by_kind_and_non_2xx():
    figures = parse_ab(AB_FAILURES)
    assert figures["error_kinds"] == {"receive": 20, "exception": 10, "bad status": 20}
    assert figures["completed"] == 50 and figures["requests_per_s"] == 100.0
    row = from_tool("async", figures, requested=100)
    assert row["errors"] == 50 and row["error_examples"]["receive"] == "the connection broke while reading"
    assert format_row(row).endswith("50 of 100")


def test_ab_that_gave_up_is_an_error_with_its_last_words():
    with pytest.raises(ToolOutputError, match="Total of 8 requests completed"):
        parse_ab(AB_TIMEOUT)


def test_a_timed_run_says_how_many_in_how_long():
    row = from_tool("floor", parse_wrk(WRK_OK), requested=None)
    assert row["requested"] is None and not row["stopped_early"] and row["cut_off"] is None
    assert format_row(row).endswith("40580 in 3.0 s")


# --- which generator, on which core ----------------------------------------------------------------------

def which_of(*installed):
    return lambda name: f"/usr/bin/{name}" if name in installed else None


def test_auto_picks_wrk_then_ab_then_the_stdlib_generator():
    assert generators.choose("auto", which_of("wrk", "ab", "taskset")) == "wrk"
    assert generators.choose("auto", which_of("ab")) == "ab"
    assert generators.choose("auto", which_of()) == "stdlib"
    assert generators.choose("stdlib", which_of("wrk")) == "stdlib"
    assert generators.choose("ab", which_of("wrk", "ab")) == "ab"
    with pytest.raises(LookupError, match="wrk is not installed"):
        generators.choose("wrk", which_of("ab"))


@pytest.mark.parametrize("platform, cores, installed, expected", [
    ("linux", [0, 1], ("taskset",), generators.Cores(generator=0, server=1)),
    ("linux", [2, 5, 7], ("taskset",), generators.Cores(generator=2, server=5)),   # the cores we may use
    ("linux", [0], ("taskset",), None),                 # one core: nothing to share out
    ("linux", [0, 1], (), None),                        # no taskset
    ("darwin", [0, 1, 2, 3], ("taskset",), None),       # macOS cannot pin a process
    ("win32", [0, 1], ("taskset",), None),
])
def test_server_and_generator_are_pinned_to_a_core_each_only_where_the_os_allows(platform, cores, installed,
                                                                                  expected):
    plan = generators.plan_cores(platform, cores, which_of(*installed))
    assert plan == expected
    command = [sys.executable, "-m", "tools.bench.floor"]
    server, generator = (generators.pinned(command, plan and core) for core in (plan and plan.server,
                                                                                  plan and plan.generator))
    if expected:
        assert server == ["taskset", "-c", str(expected.server), *command]
        assert generator == ["taskset", "-c", str(expected.generator), *command]
    else:
        assert server == generator == command
        assert generators.why_unpinned(platform, cores, which_of(*installed)) in (
            f"{platform} has no taskset", "one core only", "taskset is not installed")


def test_generator_commands_ask_for_one_request_per_connection():
    wrk = generators.wrk_command("http://127.0.0.1:8002/index.html", 10, 3, 30)
    assert wrk[:4] == ["wrk", "-t1", "-c10", "-d3s"] and "--latency" in wrk
    assert wrk[wrk.index("-H") + 1] == "Connection: close" and wrk[-1] == "http://127.0.0.1:8002/index.html"
    assert generators.wrk_command("URL", 1, 0.2, 0.5)[1:4] == ["-t1", "-c1", "-d1s"]   # wrk's minimums
    ab = generators.ab_command("http://127.0.0.1:8002/", 20, 100, 10, 30)
    assert ab.index("-t") < ab.index("-n")                   # -n after -t: both the count and the time hold
    assert ab[ab.index("-n") + 1] == "20" and ab[ab.index("-c") + 1] == "20"   # ab refuses c > n
    assert "-k" not in ab                                    # no keep-alive: a connection per request


def test_a_generator_that_hangs_is_stopped_at_its_deadline(tmp_path):
    started, marker = time.monotonic(), f"hanging generator {tmp_path}"
    code, output = generators.run_tool([sys.executable, "-c", "print('started', flush=True); "
                                        f"import time; time.sleep(60)  # {marker}"], tmp_path / "tool.log",
                                       deadline=2)   # time for a Python to start and print on a busy machine
    assert code is None and "started" in output
    assert time.monotonic() - started < 6
    assert processes_mentioning(marker) == {}


def test_a_generator_that_finishes_gives_its_code_and_output(tmp_path):
    code, output = generators.run_tool([sys.executable, "-c", "print('Requests/sec: 1.00'); raise SystemExit(3)"],
                                       tmp_path / "tool.log", deadline=10)
    assert code == 3 and "Requests/sec: 1.00" in output


# --- the load generator against tiny servers written here -----------------------------------------------

async def answer_ok(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


async def answer_500(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")


async def hang_up(reader, writer):
    await reader.readuntil(b"\r\n\r\n")       # then close without a word


async def reset(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    # SO_LINGER with a zero timeout turns close() into a TCP reset.
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def short_body(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")


async def never_answer(reader, writer):
    await asyncio.sleep(30)


def load(handler, requests=6, concurrency=3, timeout=5.0, duration_limit=5.0) -> loadgen.LoadResult:
    async def scenario():
        async def handle(reader, writer):
            try:
                await handler(reader, writer)
            finally:
                writer.close()
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await loadgen.run_load(port, "/", requests, concurrency, timeout, duration_limit)
    return asyncio.run(scenario())


def test_loadgen_completes_every_request():
    result = load(answer_ok, requests=30, concurrency=4)
    assert len(result.latencies) == 30 and not result.errors and result.cut_off == 0


@pytest.mark.parametrize("handler, kind", [(answer_500, "bad status"), (hang_up, "bad response"),
                                           (short_body, "bad response"), (reset, "reset")])
def test_loadgen_counts_each_kind_of_error(handler, kind):
    result = load(handler)
    assert result.errors == Counter({kind: 6}) and result.latencies == []
    assert result.examples[kind]


def test_loadgen_counts_refused_connections():
    result = asyncio.run(loadgen.run_load(free_port(), "/", 3, 2, timeout=2, duration_limit=5))
    assert result.errors == Counter(refused=3)


def test_loadgen_times_out_each_request():
    result = load(never_answer, requests=4, concurrency=4, timeout=0.2)
    assert result.errors == Counter(timeout=4)


def test_the_time_limit_stops_a_run_and_counts_what_was_in_flight():
    started = time.monotonic()
    result = load(never_answer, requests=100, concurrency=5, timeout=30, duration_limit=0.3)
    assert time.monotonic() - started < 2
    assert result.cut_off == 5 and not result.latencies and not result.errors
    assert 0.3 <= result.elapsed < 1


# --- python -m tools.bench, for real ----------------------------------------------------------------

def processes_mentioning(text: str) -> dict[int, str]:
    """Running processes whose command line (or, on Linux, environment: the peers get their folder there)
    contains `text`, such as our unique static folder: pid -> command."""
    if Path("/proc").is_dir():
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                environment = (entry / "environ").read_bytes().decode(errors="replace")
            except OSError:
                continue                  # it ended while we looked, or is not ours to read
            if text in command or text in environment:
                found[int(entry.name)] = command
        return found
    ps = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True)
    lines = (line.strip().split(" ", 1) for line in ps.stdout.splitlines())
    return {int(pid): command for pid, command in lines if text in command}


@pytest.fixture
def site(tmp_path):
    static = tmp_path / "static-for-bench"    # a unique name: how we find the servers in the process table
    static.mkdir()
    (static / "index.html").write_bytes(PAGE)
    yield static
    for pid in processes_mentioning(str(static)):    # if a test failed and left a server, do not keep it
        os.kill(pid, signal.SIGKILL)


# The benchmark in a subprocess, on a machine where uvicorn-h11's parser is missing (how a peer that is not
# installed looks), or as it is.
WITHOUT_A_PEER = ("import sys, tools.bench.contenders as contenders; "
                  "contenders.PEERS['uvicorn-h11'] = ('h11', ['uvicorn', 'no_such_module_for_the_bench']); "
                  "from tools.bench.__main__ import main; sys.exit(main(sys.argv[1:]))")


def bench_command(site: Path, *args: str, missing_peer: bool = False) -> list[str]:
    start = ["-c", WITHOUT_A_PEER] if missing_peer else ["-m", "tools.bench"]
    return [sys.executable, *start, "--static", str(site), *args]


def table(out: str, scenario: str) -> list[str]:
    """The rows printed under the column names of one scenario's table."""
    lines = out[out.index(f"\n({scenario}) "):].splitlines()
    rows = lines[lines.index(COLUMNS) + 1:]
    end = next((i for i, line in enumerate(rows) if not line or line.startswith(" ")), len(rows))
    return rows[:end]


def test_a_server_that_exits_at_once_fails_with_its_last_words(tmp_path):
    with pytest.raises(ServerFailed, match="exited with code 1: .*No module named"):
        with running("no_such_server", [], tmp_path / "server.log"):
            pass


@pytest.mark.skipif(os.name == "nt", reason="reads the POSIX process table")
def test_bench_runs_the_floor_first_reports_a_missing_peer_writes_json_and_leaves_no_server(site, tmp_path):
    figures = tmp_path / "bench.json"
    command = bench_command(site, "--generator", "stdlib", "--repeat", "1",
                            "--servers", "blocking,async,wsgi,uvicorn-h11,uvicorn-httptools",
                            "--scenarios", "a,c", "--requests", "20", "--concurrency", "4", "--delay", "0.05",
                            "--duration-limit", "5", "--json", str(figures), missing_peer=True)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr       # an absent peer is not a failure
    out = done.stdout
    assert "Load generator: tools/bench/loadgen.py (stdlib)" in out
    pinned = generators.plan_cores() is not None
    assert ("Pinned with taskset" in out) == pinned and ("Not pinned (" in out) != pinned   # or says why not
    assert "(a) the blog post's" in out and "(c) the talk's lesson" in out
    assert out.count(COLUMNS) == 2
    httptools = contenders.cannot_take_part("uvicorn-httptools") is None
    for scenario in "ac":
        rows = table(out, scenario)
        assert [row.split()[0] for row in rows] == ["floor", "blocking", "async", "wsgi", "uvicorn-h11",
                                                    "uvicorn-httptools"], out
        assert rows[4] == f"{'uvicorn-h11':<{NAME}} absent: pip install -e '.[bench]'"
        assert ("absent" in rows[5]) != httptools
    assert table(out, "a")[0].split()[2] == "1.00"               # the floor is its own yardstick
    assert 'No "x floor" here' in out

    report = json.loads(figures.read_text())
    assert (report["format"], report["version"], report["interrupted"]) == ("reference-bench", 1, False)
    assert report["settings"]["generator"] == "stdlib" and report["settings"]["repeat"] == 1
    assert report["settings"]["pinned"] == (generators.plan_cores() is not None)
    assert [(run["scenario"], run["requests"], run["concurrency"]) for run in report["runs"]] == [
        ("a", 20, 4), ("c", 20, 4)]
    for run in report["runs"]:
        ran = {row["server"]: row for row in run["results"] if row["status"] == "ran"}
        assert set(ran) == {"floor", "blocking", "async", "wsgi"} | ({"uvicorn-httptools"} if httptools else set())
        for row in ran.values():
            assert (row["completed"], row["errors"], row["stopped_early"]) == (20, 0, False), row
            assert row["requests_per_s"] > 0 and 0 < row["p50_ms"] <= row["p99_ms"]
        absent = run["results"][4]
        assert (absent["server"], absent["status"], absent["ratio_to_floor"]) == ("uvicorn-h11", "absent", None)
    fast = {row["server"]: row for row in report["runs"][0]["results"]}
    assert fast["floor"]["ratio_to_floor"] == 1.0
    assert fast["async"]["ratio_to_floor"] == round(fast["async"]["requests_per_s"]
                                                    / fast["floor"]["requests_per_s"], 2)
    # The lesson: with a 50 ms handler and 4 clients, one request at a time is about 4 times slower.
    slow = {row["server"]: row for row in report["runs"][1]["results"]}
    assert all(row["ratio_to_floor"] is None for row in slow.values())
    assert slow["async"]["requests_per_s"] > 2 * slow["blocking"]["requests_per_s"]
    assert slow["blocking"]["requests_per_s"] < 1 / 0.05 * 1.1     # never beyond 1 / delay
    if httptools:                                                   # the peer waits like the others
        assert slow["uvicorn-httptools"]["p50_ms"] >= 50 > fast["uvicorn-httptools"]["p50_ms"]
    assert processes_mentioning(str(site)) == {}


@pytest.mark.skipif(os.name == "nt", reason="reads the POSIX process table")
@pytest.mark.parametrize("tool", ["wrk", "ab"])
def test_a_short_real_run_with_wrk_or_ab(site, tmp_path, tool):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed here: the stdlib generator is tested above")
    page = f"/probe-{os.getpid()}-{tool}.html"      # a unique URL: how we find the generator's process
    (site / page[1:]).write_bytes(PAGE)
    figures = tmp_path / "bench.json"
    command = bench_command(site, "--generator", tool, "--repeat", "1", "--servers", "async", "--scenarios", "a",
                            "--path", page,
                            "--seconds", "1", "--requests", "200", "--concurrency", "2", "--json", str(figures))
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Load generator: {tool}" in done.stdout
    report = json.loads(figures.read_text())
    assert report["settings"]["generator"] == tool
    shown = report["runs"][0]["generator_command"]
    assert shown.startswith("taskset -c " if generators.plan_cores() else tool) and f"PORT{page}" in shown
    assert report["settings"]["pinned"] == (generators.plan_cores() is not None)
    floor, server = report["runs"][0]["results"]
    for row in (floor, server):
        assert row["status"] == "ran" and row["errors"] == 0 and row["completed"] > 0, row
        assert row["requests_per_s"] > 0 and 0 <= row["p50_ms"] <= row["p99_ms"]   # ab: whole ms, maybe 0
        assert row["requested"] == (None if tool == "wrk" else 200)
    assert server["ratio_to_floor"] == round(server["requests_per_s"] / floor["requests_per_s"], 2)
    if tool == "ab":
        assert server["completed"] == 200
    else:
        assert f"{server['completed']} in {server['elapsed_s']:.1f} s" in done.stdout
    assert processes_mentioning(str(site)) == {} and processes_mentioning(page) == {}


@pytest.mark.skipif(os.name == "nt", reason="sends POSIX signals")
@pytest.mark.parametrize("signum, generator", [
    (signal.SIGINT, "stdlib"), (signal.SIGTERM, "stdlib"), (getattr(signal, "SIGHUP", None), "stdlib"),
    (getattr(signal, "SIGKILL", None), "stdlib"), (signal.SIGINT, "wrk"), (getattr(signal, "SIGKILL", None), "wrk")],
    ids=["ctrl-c", "sigterm", "sighup", "sigkill", "ctrl-c-during-wrk", "sigkill-during-wrk"])
def test_an_interrupted_bench_says_goodbye_and_stops_its_server(site, tmp_path, signum, generator):
    if generator == "wrk" and shutil.which("wrk") is None:
        pytest.skip("wrk is not installed")
    page = f"/probe-{os.getpid()}-{signum}.html"      # a unique URL: how we find wrk's process
    (site / page[1:]).write_bytes(PAGE)
    output = tmp_path / "bench.out"
    command = bench_command(site, "--generator", generator, "--repeat", "1", "--servers", "blocking",
                            "--scenarios", "c",
                            "--requests", "1000", "--concurrency", "2", "--delay", "0.5", "--path", page,
                            "--duration-limit", "30", "--seconds", "1", "--warmup", "0",
                            "--json", str(tmp_path / "bench.json"))
    with open(output, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    def under_way() -> bool:                  # the blocking server is up, and the load is on it
        server_up = any("blocking_server" in c for c in processes_mentioning(str(site)).values())
        return server_up and (generator == "stdlib" or any("wrk -t" in c for c in processes_mentioning(page).values()))

    try:
        give_up = time.monotonic() + 10
        while not under_way():
            assert time.monotonic() < give_up and process.poll() is None, output.read_text()
            time.sleep(0.05)
        time.sleep(0.3 if generator == "stdlib" else 0.1)   # the load has started (wrk runs for 1 s)
        process.send_signal(signum)
        assert process.wait(timeout=10) == (-signal.SIGKILL if signum == signal.SIGKILL else 130)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if signum == signal.SIGKILL:              # no goodbye is possible: the lifeline stops server and generator
        give_up = time.monotonic() + 5
        while (processes_mentioning(str(site)) or processes_mentioning(page)) and time.monotonic() < give_up:
            time.sleep(0.05)
        assert processes_mentioning(str(site)) == {}, "a killed benchmark left its server running"
        assert processes_mentioning(page) == {}, "a killed benchmark left its load generator running"
        return
    lines = output.read_text().strip().splitlines()
    assert lines[-1] == "Interrupted: every server this benchmark started is stopped. Bye!"
    assert processes_mentioning(str(site)) == {} and processes_mentioning(page) == {}
    assert json.loads((tmp_path / "bench.json").read_text())["interrupted"] is True
