"""The Autobahn testsuite's cases (sections 1-7, 9 and 10, no compression) against the kit's WebSocket servers.

Each case (tests/autobahn_cases.py) is sent over a raw socket to the websocket_echo solution and to the
websocket_chat solution, and judged by Autobahn's rules:
- the events the server caused (messages, pongs, and the test's own timeouts) must equal one of the case's
  expected lists exactly, in order: the first that matches is the verdict (OK, NON-STRICT), else FAILED;
- then the close: the right side must start the closing handshake, with an allowed code, cleanly where the
  case requires it. In section 7 a wrong close code fails the case; in the UTF-8 cases a server that never
  fails the connection itself fails the case. 7.1.6 and 7.13.x are INFORMATIONAL (the spec leaves them open).
- section 9 (performance): the echo of the right type and length must come back within the case's time.
The chat is a room, not an echo: a text message comes back as {"type": "message", "name": <us>, "text": ...},
which counts as the echo; its other events (joins) are not messages of ours and are left out.

Every result that is not OK (or INFORMATIONAL) must be listed, with its reason, in tests/data/autobahn.toml,
and every listed difference must still happen: a fix, or a new difference, shows here.

    python -m pytest tests/test_autobahn.py -s        # prints the summary line and the run time
Section 9's big cases are marked `slow`: `-m "not slow"` leaves them out.
"""
from __future__ import annotations

import base64
import json
import os
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT as ROOT
from graders.supervisor import ServerProcess, free_port
from tests.autobahn_cases import FAILED, INFORMATIONAL, NON_STRICT, NORMAL, OK, Case, all_cases, masked_frame, repeat

try:
    import tomllib
except ModuleNotFoundError:     # Python 3.10
    import tomli as tomllib

DIFFERENCES = tomllib.loads((Path(__file__).parent / "data" / "autobahn.toml").read_text(encoding="utf-8"))
SERVERS = {"echo": ("websocket_echo", "/ws"), "chat": ("websocket_chat", "/chat?name=")}
CLOSE_WAIT = 2.0      # seconds a server has to finish a closing handshake and hang up
MOST_WAIT = 5.0       # Autobahn gives an echo up to 100 s; on loopback the kit answers in milliseconds


class Session:
    """One WebSocket connection run as Autobahn's test client runs it: frames out, events in, the closing
    handshake answered, and what happened recorded for the verdict."""

    def __init__(self, port: int, case: Case, server: str):
        self.case, self.server = case, server
        self.name = "ab-" + case.id.replace(".", "-")
        self.events: list = []
        self.lock = threading.Condition()
        self.sent_close = self.got_close = False
        self.closed_by_client: bool | None = None
        self.remote_code: int | None = None
        self.tcp_closed = False
        self.fragments: list[bytes] = []
        self.fragment_binary = False
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.handshake(SERVERS[server][1] + (self.name if server == "chat" else ""))
        self.reader = threading.Thread(target=self.read_frames, daemon=True)
        self.reader.start()

    def handshake(self, path: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            assert chunk, f"{self.case.id}: the server hung up during the handshake"
            head += chunk
        head, self.buffer = head.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.buffer = bytearray(self.buffer)

    # ---- in: the server's frames ----

    def read_frames(self) -> None:
        self.sock.settimeout(None)
        try:
            while True:
                while (parsed := self.next_frame()) is not None:
                    self.on_frame(*parsed)
                data = self.sock.recv(1 << 20)
                if not data:
                    break
                self.buffer += data
        except OSError:
            pass
        with self.lock:
            self.tcp_closed = True
            self.lock.notify_all()

    def next_frame(self):
        buffer = self.buffer
        if len(buffer) < 2:
            return None
        n, offset = buffer[1] & 0x7F, 2
        if n == 126:
            if len(buffer) < 4:
                return None
            n, offset = int.from_bytes(buffer[2:4], "big"), 4
        elif n == 127:
            if len(buffer) < 10:
                return None
            n, offset = int.from_bytes(buffer[2:10], "big"), 10
        if len(buffer) < offset + n:
            return None
        first, payload = buffer[0], bytes(buffer[offset:offset + n])
        del buffer[:offset + n]
        return bool(first & 0x80), first & 0x0F, payload

    def on_frame(self, fin: bool, opcode: int, payload: bytes) -> None:
        if opcode == 8:
            self.remote_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            with self.lock:
                self.got_close = True
                if self.closed_by_client is None:
                    self.closed_by_client = False
                reply = not self.sent_close
                self.sent_close = True
                self.lock.notify_all()
            if reply:                          # the closing handshake: our close answers theirs
                self.write(masked_frame(8, payload[:2]))
            return
        if opcode == 9:
            self.write(masked_frame(10, payload))
            return self.record(("ping", payload))
        if opcode == 10:
            return self.record(("pong", payload))
        if opcode in (1, 2):
            self.fragments, self.fragment_binary = [payload], opcode == 2
        else:
            self.fragments.append(payload)
        if fin:
            message = b"".join(self.fragments)
            self.fragments = []
            if self.server == "chat":
                self.chat_event(message)
            else:
                self.record(("message", message, self.fragment_binary))

    def chat_event(self, message: bytes) -> None:
        """A room's event for our own message counts as its echo; joins and the like are not ours."""
        try:
            event = json.loads(message)
        except ValueError:
            return self.record(("message", message, self.fragment_binary))
        if event.get("type") == "message" and event.get("name") == self.name:
            self.record(("message", event["text"].encode("utf-8"), False))

    def record(self, event) -> None:
        with self.lock:
            self.events.append(event)
            self.lock.notify_all()
        self.finish_when_done()

    def finish_when_done(self) -> None:
        """Autobahn's rule: once the events equal every expected list, the client starts the close itself."""
        expected = self.case.expected
        if self.case.performance is None and expected and self.case.close.by_client \
                and all(self.events == events for events in expected.values()):
            self.send_close(NORMAL)

    # ---- out ----

    def write(self, data: bytes, chop: int | None = None) -> bool:
        try:
            if chop:
                for start in range(0, len(data), chop):
                    self.sock.sendall(data[start:start + chop])
            else:
                self.sock.sendall(data)
            return True
        except OSError:
            return False                       # the server hung up: what it sent is judged

    def send_close(self, code: int | None, reason: bytes = b"", raw: bytes | None = None) -> None:
        with self.lock:
            if self.sent_close:
                return
            self.sent_close = True
            if self.closed_by_client is None:
                self.closed_by_client = True
        payload = raw if raw is not None else (b"" if code is None else code.to_bytes(2, "big") + reason)
        self.write(masked_frame(8, payload))

    def open(self) -> bool:
        return not self.tcp_closed and not self.got_close

    def wait(self, seconds: float, until) -> None:
        deadline = time.monotonic() + seconds
        with self.lock:
            while not until() and (left := deadline - time.monotonic()) > 0:
                self.lock.wait(left)

    def run(self) -> None:
        started = time.monotonic()
        for step in self.case.steps:
            kind = step[0]
            if kind == "frame":
                _, opcode, payload, fin, rsv, chop = step
                self.write(masked_frame(opcode, payload, fin, rsv), chop)
            elif kind == "chops":
                for piece in step[1]:
                    self.write(piece)
            elif kind == "later":
                self.wait(step[1], lambda: not self.open())
                if self.open() and step[2] is not None:
                    self.record(("timeout", step[2]))
                elif not self.open():
                    break
            elif kind == "close":
                self.send_close(step[1], step[2])
            elif kind == "raw_close":
                self.send_close(None, raw=step[1])
            elif kind == "fragments":
                _, opcode, payload, size = step
                pieces = [payload[i:i + size] for i in range(0, len(payload), size)] or [b""]
                data = b"".join(masked_frame(opcode if i == 0 else 0, piece, i == len(pieces) - 1)
                                for i, piece in enumerate(pieces))
                self.write(data)
            elif kind == "round_trips":
                self.round_trips(*step[1:])
        end, seconds = self.case.end
        seconds = min(seconds, MOST_WAIT)
        if self.case.performance is not None:
            count = self.case.performance[2]
            self.wait(seconds, lambda: len(self.messages()) >= min(count, 1) or not self.open())
            self.send_close(NORMAL)
        elif end == "closing":
            self.wait(seconds, lambda: not self.open() or self.sent_close)
            self.send_close(NORMAL)
        else:
            self.wait(seconds, lambda: not self.open() or self.sent_close)
            if not self.sent_close and not self.got_close:
                self.drop()
        self.wait(CLOSE_WAIT, lambda: self.tcp_closed)
        self.drop()
        self.elapsed = time.monotonic() - started

    def round_trips(self, opcode: int, size: int, count: int) -> None:
        payload = repeat(b"*" if opcode == 1 else b"\xfe", size)
        for _i in range(count):
            before = len(self.events)
            if not self.write(masked_frame(opcode, payload)):
                return
            self.wait(MOST_WAIT, lambda before=before: len(self.events) > before or not self.open())
            if len(self.events) <= before or self.events[-1] != ("message", payload, opcode == 2):
                return
        self.events = [("message", b"", opcode == 2)]   # all echoed: one event stands for the thousand

    def messages(self) -> list:
        return [event for event in self.events if event[0] == "message"]

    def drop(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.reader.join(2)

    # ---- the verdict ----

    def verdict(self) -> tuple[str, str]:
        case = self.case
        if case.performance is not None:
            binary, length, count = case.performance
            messages = self.messages()
            if count > 1:
                good = messages == [("message", b"", binary)]
            else:
                good = len(messages) == 1 and messages[0][2] == binary and len(messages[0][1]) == length
            behavior = OK if good else FAILED
            why = "echoed in time" if good else f"no echo of {length} bytes (close code {self.remote_code})"
        else:
            behavior, why = FAILED, f"events {show(self.events)}, expected {show(case.expected)}"
            for name, events in case.expected.items():
                if self.events == events:
                    behavior, why = name, "events as expected"
                    break
        close, close_why = self.close_verdict()
        if case.close.wrong_endpoint_fails and self.closed_by_client != case.close.by_client:
            behavior, why = FAILED, f"the server did not fail the connection itself ({close_why})"
        if case.wrong_code_fails and close == "WRONG CODE":
            behavior, why = FAILED, close_why
        if case.informational:
            return INFORMATIONAL, why
        return behavior, why if behavior != OK or close == OK else f"{why}; close: {close_why}"

    def close_verdict(self) -> tuple[str, str]:
        expected = self.case.close
        by_client = bool(self.closed_by_client)
        clean = self.sent_close and self.got_close
        if expected.by_client != by_client:
            return FAILED, f"the {'server' if by_client else 'client'} was expected to start the close"
        if expected.clean and not clean:
            return "UNCLEAN", "the closing handshake did not complete"
        if self.remote_code is not None and self.remote_code not in expected.codes:
            return "WRONG CODE", f"close code {self.remote_code}, expected {expected.codes}"
        return OK, "closed properly"


def show(events) -> str:
    def short(value):
        return repr(value[:20]) + (f"...({len(value)} bytes)" if len(value) > 20 else "") \
            if isinstance(value, bytes) else repr(value)
    if isinstance(events, dict):
        return "{" + ", ".join(f"{name}: {show(value)}" for name, value in events.items()) + "}"
    return "[" + ", ".join("(" + ", ".join(short(part) for part in event) + ")" for event in events) + "]"


def run_case(port: int, case: Case, server: str) -> tuple[str, str, float]:
    session = Session(port, case, server)
    session.run()
    return (*session.verdict(), session.elapsed)


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request, tmp_path_factory):
    name, _path = SERVERS[request.param]
    port, log = free_port(), tmp_path_factory.mktemp("autobahn") / f"{name}.log"
    command = [sys.executable, "-u", str(ROOT / "solutions" / "advanced" / name / "server.py"), "--port", str(port)]
    process = ServerProcess(command, log, {**os.environ, "PYTHONPATH": str(ROOT)})
    process.start()
    try:
        process.wait_until_listening(port)
        yield request.param, port
    finally:
        process.stop()


CASES = all_cases()
SLOW = {case.id for case in CASES if case.id.split(".")[:2] in (["9", "1"], ["9", "2"], ["9", "3"], ["9", "4"],
                                                                  ["9", "5"], ["9", "6"])}


def summary(results: dict) -> str:
    counts = {verdict: sum(1 for result in results.values() if result[0] == verdict)
              for verdict in (OK, NON_STRICT, FAILED, INFORMATIONAL)}
    return ", ".join(f"{count} {verdict}" for verdict, count in counts.items()) + f" of {len(results)}"


def run_all(port: int, server: str, cases) -> dict:
    with ThreadPoolExecutor(12) as pool:   # most cases wait on timers: many at once keep the run short
        futures = {case.id: pool.submit(run_case, port, case, server) for case in cases}
        return {case_id: future.result() for case_id, future in futures.items()}


def check_against_the_record(server: str, results: dict) -> None:
    recorded = DIFFERENCES.get(server, {})
    problems = []
    for case_id, (verdict, why, _elapsed) in sorted(results.items()):
        if verdict in (OK, INFORMATIONAL):
            if case_id in recorded:
                problems.append(f"{case_id}: now {verdict}, but tests/data/autobahn.toml still lists it as "
                                f"{recorded[case_id]['result']}: remove it")
        elif case_id not in recorded:
            problems.append(f"{case_id}: {verdict} ({why}), not listed in tests/data/autobahn.toml")
        elif recorded[case_id]["result"] != verdict:
            problems.append(f"{case_id}: {verdict} ({why}), listed as {recorded[case_id]['result']}")
    assert not problems, f"{server}:\n" + "\n".join(problems)


@pytest.mark.timeout(300)
def test_the_autobahn_cases(server):
    name, port = server
    started = time.monotonic()
    results = run_all(port, name, [case for case in CASES if case.id not in SLOW])
    print(f"\nAutobahn sections 1-7, 9.7-9.8, 10 on the {name} solution: {summary(results)} "
          f"in {time.monotonic() - started:.1f} s")
    check_against_the_record(name, results)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_autobahn_performance_cases(server):
    name, port = server
    started = time.monotonic()
    results = run_all(port, name, [case for case in CASES if case.id in SLOW])
    print(f"\nAutobahn sections 9.1-9.6 on the {name} solution: {summary(results)} "
          f"in {time.monotonic() - started:.1f} s")
    check_against_the_record(name, results)


def test_the_record_lists_only_real_cases_with_reasons():
    ids = {case.id for case in CASES}
    assert len(CASES) == len(ids) == 301
    for server, recorded in DIFFERENCES.items():
        assert server in SERVERS
        for case_id, entry in recorded.items():
            assert case_id in ids and entry["result"] in (NON_STRICT, FAILED) and len(entry["reason"]) > 20, case_id
