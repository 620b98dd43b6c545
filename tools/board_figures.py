"""The board's figures under attack (issue 19), measured against a real board on 127.0.0.1 only.

    python -m tools.board_figures                 # about two minutes; prints one line per figure
    python -m tools.board_figures --quick         # a 10 s guessing window instead of 60 s

Every load here is bounded in count and in time, and goes to 127.0.0.1 only. Linux spreads it over many
loopback source addresses (127.0.x.y), as a room's laptops would arrive from many addresses:
  1. the join code's bits, and the guesses the board actually checks from one address in a minute;
  2. /api/board's size and time after 75 column-bomb posts (170 made-up challenges each, a new name each time);
  3. the board's memory with 200 /events streams that never read, at 300 learners, before and after the
     write deadline drops them;
  4. the round trip of a post during a burst of 300 learners posting at once (median, p95, max).
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import re
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from graders.ground.catalog import load_catalog
from graders.ground.state import new_learner_key
from graders.instructor.board_server import STREAMS_PER_ADDRESS, WRITE_DEADLINE
from graders.instructor.board_store import CODE_LENGTH, CODE_LETTERS
from graders.supervisor import ServerProcess, free_port
from tools.simulate_workshop import fresh_results
from tools.workshop_demo import percentile, process_memory_kb

CATALOG = load_catalog()


def address(n: int) -> str:
    """The n-th loopback source address: 127.0.1.1, 127.0.1.2, ... (Linux answers all of 127.0.0.0/8)."""
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


def post(port: int, code: str, data: dict, key: str, source: str = "127.0.0.1") -> tuple[int, float]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request("POST", f"/api/results?code={code}", json.dumps(data).encode(),
                           {"Content-Type": "application/json", "X-Learner-Key": key})
        answer = connection.getresponse()
        answer.read()
        return answer.status, time.monotonic() - started
    finally:
        connection.close()


def learner_results(name: str, n: int) -> dict:
    data = fresh_results(name, CATALOG)
    for index, challenge in enumerate(CATALOG):
        entry = data["challenges"][challenge.slug]
        if index <= n % len(CATALOG):
            failed = index == n % len(CATALOG)
            failure = f"GET /{challenge.slug}/{n}: expected status 200, but got 404."
            entry.update(status="failed" if failed else "passed", finished="2026-11-21T15:09:00+00:00", runs=1,
                         first_failure=failure if failed else None)
    return data


def guesses(port: int, seconds: float) -> str:
    bits = CODE_LENGTH * math.log2(len(CODE_LETTERS))
    checked = throttled = 0
    bodies = set()
    data = learner_results("Guesser", 0)
    stop = time.monotonic() + seconds
    n = 0
    while time.monotonic() < stop:                      # as fast as one client goes, one connection a guess
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=("127.0.0.9", 0))
        connection.request("POST", f"/api/results?code=WRNG-{n:04d}", json.dumps(data).encode(),
                           {"Content-Type": "application/json", "X-Learner-Key": "k" * 22})
        answer = connection.getresponse()
        body = answer.read()
        connection.close()
        n += 1
        checked += answer.status == 403
        if answer.status == 429:
            throttled += 1
            bodies.add(body + answer.getheader("Retry-After", "").encode())
    return (f"code: {CODE_LENGTH} symbols from {len(CODE_LETTERS)} = {bits:.0f} bits; guessing from one address for "
            f"{seconds:g} s: {n} guesses sent, {checked} checked (403), {throttled} throttled (429, "
            f"{len(bodies)} distinct answer{'s' * (len(bodies) != 1)}) -> "
            f"{checked * 60 / seconds:.0f} checked a minute")


def column_bomb(port: int, code: str) -> str:
    statuses = []
    for n in range(75):
        data = learner_results(f"Bomber {n}", n)
        for column in range(170):
            data["challenges"][f"made_up_{n}_{column}"] = {"status": "failed", "level": "advanced",
                                                           "first_failure": "y" * 100}
        statuses.append(post(port, code, data, new_learner_key(), address(1000 + n))[0])
    times, size = [], 0
    for _ in range(5):
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/api/board")
        body = connection.getresponse().read()
        connection.close()
        times.append((time.monotonic() - started) * 1000)
        size = len(body)
    board = json.loads(body)
    return (f"column bomb: 75 posts x 170 made-up challenges ({statuses.count(201)} accepted); /api/board is "
            f"{size / 1024:.0f} KB, {len(board['challenges'])} columns, {len(board['learners'])} learners, "
            f"{board['dropped_challenges']} challenges dropped; "
            f"GET /api/board median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")


def board_data(port: int) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/api/board")
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def learners_and_streams(board: ServerProcess, port: int, code: str) -> list[str]:
    lines = []
    keys = {n: new_learner_key() for n in range(300)}
    with ThreadPoolExecutor(32) as pool:                 # 300 learners arrive (each from their own address)
        list(pool.map(lambda n: post(port, code, learner_results(f"Learner {n}", n), keys[n], address(n)), range(300)))
    before = process_memory_kb(board.process.pid)
    streams = []
    for n in range(200):                                  # 200 pages that never read, from as few addresses as allowed
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.settimeout(5)
        client.bind((address(2000 + n // STREAMS_PER_ADDRESS), 0))
        client.connect(("127.0.0.1", port))
        client.sendall(b"GET /events HTTP/1.1\r\nHost: board\r\n\r\n")
        streams.append(client)
    # A burst of 300 learners posting at once (a second run each), while the 200 streams are held.
    with ThreadPoolExecutor(100) as pool:
        answers = list(pool.map(lambda n: post(port, code, learner_results(f"Learner {n}", n + 1), keys[n],
                                               address(n)), range(300)))
    held = process_memory_kb(board.process.pid)
    open_then = board_data(port)["open_pages"]
    times = [seconds * 1000 for _, seconds in answers]
    lines.append(f"burst: 300 learners post at once (100 at a time) with 200 non-reading streams open: "
                 f"{sum(status == 201 for status, _ in answers)} accepted; post round trip median "
                 f"{statistics.median(times):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, max {max(times):.0f} ms")
    time.sleep(WRITE_DEADLINE + 3)
    after = process_memory_kb(board.process.pid)
    open_after = board_data(port)["open_pages"]
    for client in streams:
        client.close()
    size = len(json.dumps(board_data(port)))
    if before and held and after:
        lines.append(f"memory at 300 learners (/api/board {size / 1024:.0f} KB): {before['rss'] / 1024:.1f} MB before "
                     f"the streams; {held['rss'] / 1024:.1f} MB with the 200 non-reading streams ({open_then} open) "
                     f"and the burst; {after['rss'] / 1024:.1f} MB {WRITE_DEADLINE + 3:g} s later ({open_after} open); "
                     f"peak {after['peak'] / 1024:.1f} MB")
    return lines


def start_board(folder: Path) -> tuple[ServerProcess, int, str]:
    port = free_port()
    board = ServerProcess([sys.executable, "-u", "-m", "graders", "board", "--port", str(port),
                           "--db", str(folder / "board.sqlite3")], folder / "board.log")
    board.start()
    board.wait_until_listening(port)
    deadline = time.monotonic() + 10
    while not (found := re.search(r"\?code=([A-Z0-9-]+)\n", board.output())) and time.monotonic() < deadline:
        time.sleep(0.05)
    return board, port, found.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="guess for 10 s instead of a minute")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="board-figures-"))
    for name, measure in (("guesses", lambda b, p, c: [guesses(p, 10.0 if args.quick else 60.0)]),
                          ("bomb", lambda b, p, c: [column_bomb(p, c)]),
                          ("crowd", learners_and_streams)):
        (folder / name).mkdir()
        board, port, code = start_board(folder / name)
        try:
            for line in measure(board, port, code):
                print(line, flush=True)
        finally:
            board.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
