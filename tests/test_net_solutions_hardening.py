"""The attacks issue 20 found in the reverse_proxy, streaming and asgi solutions, each run against the kit's own
solution: a test fails on the solution before its fix and passes after.

Each boots `solutions/advanced/<slug>/server.py` as the graders do (under the supervisor) and talks to
it over raw sockets. The reverse_proxy cases put a hostile upstream behind it: a thread in this process that
answers each path with chosen bytes. Figures worth reporting (the proxy's memory while it relays 200 MB, GET /
latency with ten streams open) are printed; run with -s to see them.
"""
from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT as ROOT
from graders.supervisor import ServerProcess, free_port
from graders.supervisor.process_tree import descendants

LINUX = Path("/proc/self/status").is_file()


@contextlib.contextmanager
def solution(slug: str, tmp_path: Path, *args: str):
    """The kit's solution of `slug` on a free port: yields (port, process); stopped for sure."""
    port = free_port()
    script = ROOT / "solutions" / "advanced" / slug / "server.py"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = ServerProcess([sys.executable, "-u", str(script), "--port", str(port), *args],
                            tmp_path / f"{slug}.log", env, cwd=ROOT)
    process.start()
    try:
        process.wait_until_listening(port)
        yield port, process
    finally:
        process.stop()


def exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes (or `timeout` passes): everything it sent."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        give_up = time.monotonic() + timeout
        with contextlib.suppress(OSError):
            while (left := give_up - time.monotonic()) > 0:
                sock.settimeout(left)
                piece = sock.recv(65536)
                if not piece:
                    break
                received += piece
    return received


def status_of(raw: bytes) -> int:
    found = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(found[1]) if found else 0


def head_of(raw: bytes) -> str:
    return raw.partition(b"\r\n\r\n")[0].decode("latin-1")


# --- reverse_proxy: a hostile upstream --------------------------------------------------------------------------

BIG = 200 * 1024 * 1024       # bytes the upstream sends for /api/big


class HostileUpstream:
    """An upstream that answers raw bytes chosen by path, and notes every request target it received."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.targets: list[str] = []
        self.stopped = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                piece = conn.recv(65536)
                if not piece:
                    return
                head += piece
            target = head.split(b" ")[1].decode("latin-1")
            self.targets.append(target)
            path = target.partition("?")[0]
            if path == "/api/bare-cr":
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok")
            elif path == "/api/fold":
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-A: a\r\n Set-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok")
            elif path == "/api/both":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n")
            elif path == "/api/drip":
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok":
                    if self.stopped.wait(0.3):
                        return
                    conn.sendall(bytes([byte]))
            elif path == "/api/big":
                conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                             f"Content-Length: {BIG}\r\n\r\n".encode())
                block = b"x" * (1024 * 1024)
                for _ in range(BIG // len(block)):
                    conn.sendall(block)
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nupstream\n")

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    upstream = HostileUpstream()
    try:
        with solution("reverse_proxy", tmp_path_factory.mktemp("proxy"), "--upstream",
                      f"http://127.0.0.1:{upstream.port}", "--upstream-timeout", "1") as (port, process):
            yield port, process, upstream
    finally:
        upstream.stop()


def get(port: int, target: str, timeout: float = 5.0) -> bytes:
    return exchange(port, f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode(),
                    timeout)


@pytest.mark.parametrize("target", ["/api/../secret", "/api/%2e%2e/secret", "/api/%2E%2E/%2e%2e/secret",
                                    "/api/./x/../../secret"])
def test_dot_segments_never_take_a_request_out_of_api(proxy, target):
    port, _, upstream = proxy
    before = len(upstream.targets)
    raw = get(port, target)
    forwarded = upstream.targets[before:]
    assert all(t.startswith("/api/") and ".." not in t and "%2e" not in t.lower() for t in forwarded), \
        f"{target} reached the upstream as {forwarded}: the /api/ check was made on another form than the one sent"
    assert status_of(raw) in (400, 404), head_of(raw)


def test_what_is_checked_is_what_is_forwarded(proxy):
    port, _, upstream = proxy
    before = len(upstream.targets)
    raw = get(port, "/api/a/./b/../c?x=%2e%2e")
    assert status_of(raw) == 200, head_of(raw)
    assert upstream.targets[before:] == ["/api/a/c?x=%2e%2e"]   # the query is not a path: left as it is


def test_an_absolute_form_target_is_forwarded_in_origin_form(proxy):
    port, _, upstream = proxy
    before = len(upstream.targets)
    raw = get(port, "http://evil.example/api/x?y=1")
    assert status_of(raw) == 200, head_of(raw)
    assert upstream.targets[before:] == ["/api/x?y=1"]


@pytest.mark.parametrize("path", ["/api/bare-cr", "/api/fold", "/api/both"])
def test_an_upstream_head_that_could_smuggle_gives_502(proxy, path):
    port, _, _ = proxy
    raw = get(port, path)
    assert status_of(raw) == 502, raw[:400]
    assert b"injected" not in raw and b"world" not in raw, raw[:400]


def test_an_upstream_that_drips_its_head_gets_504_at_the_deadline(proxy):
    port, _, _ = proxy
    started = time.monotonic()
    raw = get(port, "/api/drip", timeout=6)
    took = time.monotonic() - started
    print(f"\nupstream dripping a byte every 0.3 s, --upstream-timeout 1: {status_of(raw)} after {took:.2f} s")
    assert status_of(raw) == 504 and took < 3.0, (took, raw[:200])


def rss_kb(pids) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status)[1])
    return total


@pytest.mark.skipif(not LINUX, reason="reads the proxy's memory from /proc")
def test_a_200_mb_answer_is_relayed_without_holding_it(proxy):
    port, process, _ = proxy
    pids = {process.pid, *descendants(process.pid)}
    idle, peak, received = rss_kb(pids), 0, 0
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET /api/big HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        while piece := sock.recv(1 << 20):
            received += len(piece)
            if received % (8 << 20) < len(piece):
                peak = max(peak, rss_kb(pids))
    took = time.monotonic() - started
    print(f"\nproxy RSS relaying {BIG >> 20} MB: {idle / 1024:.1f} MB idle, {peak / 1024:.1f} MB peak, "
          f"{received / 2**20:.0f} MB received in {took:.1f} s")
    assert received > BIG, received
    assert peak < idle + 50 * 1024, f"the proxy grew from {idle} kB to {peak} kB: the body is gathered in memory"


# --- streaming: long streams must not starve short requests ------------------------------------------------------

def test_ten_open_streams_do_not_starve_a_short_request(tmp_path):
    with solution("streaming", tmp_path) as (port, _):
        streams = []
        try:
            for _ in range(10):
                sock = socket.create_connection(("127.0.0.1", port), timeout=3)
                sock.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert sock.recv(4096).startswith(b"HTTP/1.1 200"), "a stream did not start"
                streams.append(sock)
            started = time.monotonic()
            raw = exchange(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout=3)
            took = time.monotonic() - started
            print(f"\nGET / with ten /events streams open: {status_of(raw)} in {took * 1000:.0f} ms")
            assert status_of(raw) == 200 and took < 1.0, (took, raw[:200])
        finally:
            for sock in streams:
                sock.close()


# --- asgi: a header that would split the answer ------------------------------------------------------------------

@pytest.mark.parametrize("where", ["cr", "lf", "crlf", "nul", "name"])
def test_an_app_header_with_cr_lf_or_nul_gives_500_and_says_why(tmp_path, where):
    with solution("asgi", tmp_path, "--app", "graders.advanced.asgi_probe_app:app") as (port, process):
        raw = exchange(port, f"GET /bad-header/{where} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        time.sleep(0.2)
        output = process.output()
    assert status_of(raw) == 500, raw[:300]
    assert b"injected" not in raw and b"must never reach the wire" not in raw, raw[:300]
    assert "CR, LF or NUL" in output, output[-2000:]
