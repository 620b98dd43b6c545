"""The benchmark (tools/bench) and its load generator (tools/bench/loadgen.py).

Pure logic first (percentiles, the response reader, planning, table rows), then the load generator
against tiny misbehaving servers written here, then `python -m tools.bench` itself as a subprocess
with tiny counts: its table, its JSON, the lesson of the slow handler, and no server left behind.
"""
import ast
import asyncio
import json
import os
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
from tools.bench import loadgen
from tools.bench.report import COLUMNS, format_row, measured, not_run, percentile
from tools.bench.response_reader import ResponseError, ResponseReader, get_request
from graders.supervisor import ServerFailed, free_port, running

ROOT = Path(__file__).resolve().parent.parent
PAGE = b"<!doctype html><title>Bench</title><h1>Hello from the bench test</h1>\n"


# --- the pure halves stay pure --------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["response_reader", "report"])
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


def test_unknown_servers_and_scenarios_are_refused(capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(["--servers", "blocking,nginx"])
    assert "nginx" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.parse_args(["--scenarios", "z"])


def test_servers_are_named_with_or_without_the_suffix():
    assert bench.parse_args(["--servers", "blocking_server,async"]).names == ["blocking", "async"]


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
    monkeypatch.setitem(bench.NEEDS, "wsgi", ("no_such_app.py", "serves a WSGI app, not static/"))
    row = bench.bench_one("wsgi", run, args, tmp_path)
    assert format_row(row) == "wsgi       n/a: serves a WSGI app, not static/"
    assert row["requests_per_s"] is None and row["completed"] is None
    assert format_row(not_run("x", "failed", "it exited with code 1", 20)) == "x          failed: it exited with code 1"


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
    """Running processes whose command line contains `text` (our unique static folder): pid -> command."""
    if Path("/proc").is_dir():
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue                  # it ended while we looked
            if text in command:
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


def bench_command(site: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tools.bench", "--static", str(site), *args]


def test_a_server_that_exits_at_once_fails_with_its_last_words(tmp_path):
    with pytest.raises(ServerFailed, match="exited with code 1: .*No module named"):
        with running("no_such_server", [], tmp_path / "server.log"):
            pass


@pytest.mark.skipif(os.name == "nt", reason="reads the POSIX process table")
def test_bench_prints_tables_writes_json_and_leaves_no_server(site, tmp_path):
    figures = tmp_path / "bench.json"
    command = bench_command(site, "--servers", "blocking,async,wsgi", "--scenarios", "a,c",
                            "--requests", "20", "--concurrency", "4", "--delay", "0.05",
                            "--duration-limit", "5", "--json", str(figures))
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "share" in out and "cores" in out                   # the header owns up to the shared machine
    assert "(a) the blog post's" in out and "(c) the talk's lesson" in out
    assert out.count(COLUMNS) == 2
    for name in ("blocking", "async", "wsgi"):
        assert out.count(f"\n{name} ") == 2, out

    report = json.loads(figures.read_text())
    assert (report["format"], report["version"], report["interrupted"]) == ("reference-bench", 1, False)
    assert [(run["scenario"], run["requests"], run["concurrency"]) for run in report["runs"]] == [
        ("a", 20, 4), ("c", 20, 4)]
    for run in report["runs"]:
        for row in run["results"]:
            assert row["status"] == "ran", row
            assert (row["completed"], row["errors"], row["stopped_early"]) == (20, 0, False), row
            assert row["requests_per_s"] > 0 and 0 < row["p50_ms"] <= row["p99_ms"]

    # The lesson: with a 50 ms handler and 4 clients, one request at a time is about 4 times slower.
    slow = {row["server"]: row for row in report["runs"][1]["results"]}
    assert slow["async"]["requests_per_s"] > 2 * slow["blocking"]["requests_per_s"]
    assert slow["blocking"]["requests_per_s"] < 1 / 0.05 * 1.1     # never beyond 1 / delay
    assert processes_mentioning(str(site)) == {}


@pytest.mark.skipif(os.name == "nt", reason="sends POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None),
                                    getattr(signal, "SIGKILL", None)], ids=["ctrl-c", "sigterm", "sighup", "sigkill"])
def test_an_interrupted_bench_says_goodbye_and_stops_its_server(site, tmp_path, signum):
    output = tmp_path / "bench.out"
    command = bench_command(site, "--servers", "blocking", "--scenarios", "c", "--requests", "1000",
                            "--concurrency", "2", "--delay", "0.5", "--duration-limit", "30",
                            "--json", str(tmp_path / "bench.json"))
    with open(output, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        give_up = time.monotonic() + 10      # wait until the run is under way: its server is up
        while not [c for c in processes_mentioning(str(site)).values() if "blocking_server" in c]:
            assert time.monotonic() < give_up and process.poll() is None, output.read_text()
            time.sleep(0.05)
        time.sleep(0.3)                       # and the load has started
        process.send_signal(signum)
        assert process.wait(timeout=10) == (-signal.SIGKILL if signum == signal.SIGKILL else 130)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if signum == signal.SIGKILL:              # no goodbye is possible: the lifeline stops the server
        give_up = time.monotonic() + 5
        while processes_mentioning(str(site)) and time.monotonic() < give_up:
            time.sleep(0.05)
        assert processes_mentioning(str(site)) == {}, "a killed benchmark left its server running"
        return
    lines = output.read_text().strip().splitlines()
    assert lines[-1] == "Interrupted: every server this benchmark started is stopped. Bye!"
    assert processes_mentioning(str(site)) == {}
    assert json.loads((tmp_path / "bench.json").read_text())["interrupted"] is True
