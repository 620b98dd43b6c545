"""The live board's server: an asyncio adapter around the kit's sans-I/O core, like reference/async_server.py.

It reads a request with the kit's RequestParser, asks BoardApp (board_app.py) for the answer and writes it.
The one route the app cannot answer in one go is /events: a Server-Sent Events stream that stays open and
sends the whole board again after every accepted post, so every open page updates at once, without a reload.

Anyone on the room's network can connect, so every connection is bounded: the whole request must arrive
within READ_TIMEOUT and within MAX_HEAD bytes before its head ends (blank lines before the request line
count too); every write must be taken by the reader within WRITE_DEADLINE, or the connection is dropped with
what it held; one address may hold at most STREAMS_PER_ADDRESS of the MAX_STREAMS open pages.
"""
from __future__ import annotations

import asyncio
import re
import socket
import sqlite3
import sys
from pathlib import Path

from graders.ground.console import terminal_text
from graders.ground.network import lan_address
from graders.supervisor import HOST
from reference.cli import port_problem
from reference.core.request_parser import MAX_HEAD, HTTPError, RequestParser
from reference.core.response import error_page

from .board_app import MAX_POST, BoardApp, refusal
from .board_store import CODE_LENGTH, BoardStore, normal_code, shown_code
from .classroom import build_classroom
from .report import csv_bytes

READ_TIMEOUT = 10.0         # a whole request, head and body, or the connection is dropped
WRITE_DEADLINE = 5.0        # a reader that takes no bytes for this long is dropped, with the snapshot it held
HEARTBEAT = 10.0            # an idle stream still sends the board this often: stuck timers move, dead pages go
MAX_STREAMS = 200           # open pages; each is one connection
STREAMS_PER_ADDRESS = 16    # one laptop cannot take them all: the projector always finds a free one
STREAM_SEND_BUFFER = 64 * 1024   # the kernel's share of a stream's unread bytes: beyond it the deadline counts
STREAM_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\n"
               b"Connection: close\r\n\r\n")


def valid_code(code: str) -> bool:
    """An instructor's own --code: letters and digits (dashes and spaces ignored), at least as long as a
    random code, so it is as hard to guess."""
    return re.fullmatch(r"[A-Za-z0-9]{%d,32}" % CODE_LENGTH, normal_code(code)) is not None


def room_address() -> str:
    """The address the room's laptops reach this board at: the LAN address, else the host name's, else loopback."""
    address = lan_address()
    if address:
        return address
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return HOST


def bind_host(lan: bool) -> str:
    return "0.0.0.0" if lan else HOST


def announcement(lan: bool, port: int, code: str, db: Path, address: str = HOST,
                 instructor_key: str | None = None) -> list[str]:
    """What the board prints when it starts: where it is, who can reach it, and how learners join."""
    shown = address if lan else HOST
    page = f"http://{shown}:{port}/"
    lines = [f"Workshop board on {page}  (Ctrl+C to stop)"]
    if lan:
        lines.append("Listening on every network interface (0.0.0.0): anyone on this network can open the page. "
                     "Posting needs the join code.")
    else:
        lines.append("Listening on 127.0.0.1 only: only this computer can reach it. Add --lan to let the room join.")
    lines += [f"Join code: {shown_code(code)}. Learners join with:",
              f"    python -m graders join {page}?code={shown_code(code)}",
              f"Results are kept in {db} (a restart keeps them). Learner names are shown to everyone who sees "
              f"the page."]
    if instructor_key:
        lines.append(f"Your own page, with a button to release a learner's name (keep this link to yourself): "
                     f"http://{HOST}:{port}/#instructor={instructor_key}")
    return lines


class BoardServer:
    def __init__(self, app: BoardApp):
        self.app = app
        self.changed = asyncio.Event()
        self.streams: dict[str, int] = {}         # address -> open /events streams
        self.last_trouble = ""
        app.listeners.append(self.notify)

    def trouble(self, what: str, error: Exception) -> None:
        """One line for the instructor when something breaks (a full disk, a damaged file), and not the same
        line again for every page that reconnects meanwhile."""
        why = terminal_text(f"{type(error).__name__}: {error}")
        if why != self.last_trouble:
            print(terminal_text(f"The board could not {what}: ") + why, file=sys.stderr, flush=True)
            self.last_trouble = why

    def notify(self, version: int) -> None:
        # Wake every open stream, then arm a fresh event for the next post.
        self.changed.set()
        self.changed = asyncio.Event()

    async def serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client = peer[0] if peer else "unknown"
        parser = RequestParser(max_body=MAX_POST)
        try:
            try:
                request = await asyncio.wait_for(self.read_request(reader, parser), READ_TIMEOUT)
                if request is None:
                    return
            except HTTPError as error:
                reply = self.app.counted(
                    refusal(413, f"the body is larger than {MAX_POST // 1024} KB: is it a results file?")
                    if error.status == 413 else error_page(error.status, error.message))
                await self.send(writer, reply.encode())
                return
            if request.path == "/events" and request.method in ("GET", "HEAD"):
                await self.stream(reader, writer, client, head_only=request.method == "HEAD")
                return
            try:
                if request.path == "/api/board":
                    await asyncio.sleep(self.app.rebuild_wait())
                reply = self.app.handle(request, client)
            except Exception as error:     # e.g. the disk is full: one line here, a 500 there, and go on
                self.trouble(f"answer {request.method} {request.path}", error)
                reply = self.app.counted(refusal(500, f"the board could not do that: {type(error).__name__}"))
            await self.send(writer, reply.encode(include_body=request.method != "HEAD"))
        except (asyncio.TimeoutError, ConnectionError):
            writer.transport.abort()           # stalled or gone: drop it, and whatever it had not read
        finally:
            writer.close()

    @staticmethod
    async def send(writer: asyncio.StreamWriter, data: bytes) -> None:
        """Write, and wait until the reader has taken it (TimeoutError after WRITE_DEADLINE)."""
        writer.write(data)
        await asyncio.wait_for(writer.drain(), WRITE_DEADLINE)

    @staticmethod
    async def send_event(writer: asyncio.StreamWriter, board: bytes) -> None:
        """One `board` event, written a slice at a time: every page shares the one snapshot, and a page that
        reads slowly holds one slice of it (asyncio copies what the kernel does not take), not a copy of it all."""
        writer.write(b"event: board\ndata: ")
        view = memoryview(board)
        for start in range(0, len(view), STREAM_SEND_BUFFER):
            writer.write(view[start:start + STREAM_SEND_BUFFER])
            await asyncio.wait_for(writer.drain(), WRITE_DEADLINE)
        writer.write(b"\n\n")
        await asyncio.wait_for(writer.drain(), WRITE_DEADLINE)

    @staticmethod
    async def read_request(reader, parser):
        """The next request, with the kit's parser. Every byte that arrives before the head is complete counts
        toward MAX_HEAD, blank lines before the request line too, so a flood of them ends at once (431)."""
        request, before_head = None, 0
        while request is None:
            data = await reader.read(65536)
            if not data:
                return None                    # the client left before finishing its request
            if parser.awaiting_body is None:
                before_head += len(data)
            request = parser.receive(data)
            if request is None and parser.awaiting_body is None and before_head > MAX_HEAD + 4:
                raise HTTPError(431, "request head is too large")
        return request

    async def stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: str,
                     head_only: bool = False) -> None:
        """Server-Sent Events: one `board` event now, then one after every change (or heartbeat)."""
        if sum(self.streams.values()) >= MAX_STREAMS or self.streams.get(client, 0) >= STREAMS_PER_ADDRESS:
            self.app.counted(error_page(503, ""))
            await self.send(writer, error_page(503, "too many open pages on this board").encode())
            return
        if head_only:
            await self.send(writer, STREAM_HEAD)
            return
        # Left alone, the kernel would quietly hold megabytes for a page that never reads, and the write deadline
        # would never start counting; a small send buffer leaves the waiting to drain(), which has a deadline.
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, STREAM_SEND_BUFFER)
        self.streams[client] = self.streams.get(client, 0) + 1
        self.app.open_pages += 1
        try:
            board = self.snapshot()
            if board is None:
                await self.send(writer, refusal(500, "the board cannot read its results file").encode())
                return
            writer.write(STREAM_HEAD)
            # A page that leaves closes its end: notice at once, so its place is free for the next page.
            left = asyncio.ensure_future(until_closed(reader))
            try:
                while board is not None and not left.done():
                    changed = asyncio.ensure_future(self.changed.wait())
                    await self.send_event(writer, board)
                    board = None                   # a waiting page holds no snapshot: the next one is fetched new
                    await asyncio.wait({changed, left}, timeout=HEARTBEAT, return_when=asyncio.FIRST_COMPLETED)
                    changed.cancel()
                    board = await self.fresh_snapshot()
            finally:
                left.cancel()
        finally:
            self.app.open_pages -= 1
            self.streams[client] -= 1
            if not self.streams[client]:
                del self.streams[client]

    async def fresh_snapshot(self) -> bytes | None:
        try:
            await asyncio.sleep(self.app.rebuild_wait())
        except Exception:
            pass
        return self.snapshot()

    def snapshot(self) -> bytes | None:
        try:
            board = self.app.page_bytes()
            self.last_trouble = ""             # working again: a new trouble later is worth a line again
            return board
        except Exception as error:           # a damaged or vanished file: one line, and the page tries again later
            self.trouble("read its results", error)
            return None


async def until_closed(reader: asyncio.StreamReader) -> None:
    """Returns when the client has closed its side (or reset it); whatever else it sends is ignored."""
    try:
        while await reader.read(4096):
            pass
    except ConnectionError:
        pass


async def serve(app: BoardApp, host: str, port: int, announce) -> None:
    board = BoardServer(app)
    server = await asyncio.start_server(board.serve_client, host, port)
    async with server:
        announce()
        await server.serve_forever()


def release(store: BoardStore, name: str) -> int:
    """`board --release NAME`: the next learner key that posts under NAME owns it. Safe while the board runs."""
    try:
        released = store.release(name)
    finally:
        store.close()
    if not released:
        print(f"No learner named {terminal_text(name)!r} has posted to this board: nothing to release.")
        return 1
    print(f"Released {terminal_text(name)!r}: their results stay, and the next laptop that posts under this name "
          f"owns it.")
    return 0


def switch_race(store: BoardStore, opened: bool) -> int:
    """`board --race-open` / `--race-closed`: safe while the board runs (pages see it at the next heartbeat)."""
    try:
        store.set_race_open(opened)
    finally:
        store.close()
    print("The race is open: `python -m graders race` posts scores, shown at /race." if opened else
          "The race is closed: scores posted so far stay on /race.")
    return 0


def run(args) -> int:
    try:
        store = BoardStore(args.db)
        if args.release:
            return release(store, args.release)
        if getattr(args, "race", None) is not None:
            return switch_race(store, args.race)
        code = store.join_code(args.code, renew=args.new_code)
    except sqlite3.Error as error:
        print(f"The board cannot use {args.db}: {error}. Is it a board file, and can you write to its folder? "
              f"Name another one with --db FILE.")
        return 1
    try:
        if args.csv:
            args.csv.write_bytes(csv_bytes(build_classroom(store.results())))
            print(f"Wrote {args.csv}: {len(store.results())} learners from {args.db}")
            return 0
        app = BoardApp(store, code, args.stuck_minutes)
        host = bind_host(args.lan)
        lines = announcement(args.lan, args.port, code, args.db, room_address() if args.lan else HOST,
                             store.instructor_key())

        def announce():
            print("\n".join(lines), flush=True)

        try:
            asyncio.run(serve(app, host, args.port, announce))
        except KeyboardInterrupt:
            print(f"\nBoard stopped. Its results stay in {args.db}: start it again to go on.", flush=True)
        except OSError as error:
            problem = port_problem(error, "The board", args.port)   # the servers' own words for a refused port
            if problem is None:
                raise
            print(problem)
            return 1
        return 0
    except OSError as error:
        print(f"The board stopped: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
