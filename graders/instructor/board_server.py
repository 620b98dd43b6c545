"""The live board's server: an asyncio adapter around the kit's sans-I/O core, like reference/async_server.py.

It reads a request with the kit's RequestParser, asks BoardApp (board_app.py) for the answer and writes it.
The one route the app cannot answer in one go is /events: a Server-Sent Events stream that stays open and
sends the whole board again after every accepted post, so every open page updates at once, without a reload.
"""
from __future__ import annotations

import asyncio
import errno
import re
import socket
import sqlite3
import sys
from pathlib import Path

from graders.supervisor import HOST
from reference.core.request_parser import HTTPError, RequestParser
from reference.core.response import error_page

from .board_app import MAX_POST, BoardApp, refusal
from .board_store import BoardStore
from .classroom import build_classroom
from .report import csv_bytes

READ_TIMEOUT = 10.0         # a whole request, head and body, or the connection is dropped
HEARTBEAT = 10.0            # an idle stream still sends the board this often: stuck timers move, dead pages go
MAX_STREAMS = 200           # open pages; each is one connection
STREAM_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\n"
               b"Connection: close\r\n\r\nretry: 1000\n\n")


def valid_code(code: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9]{4,32}", code) is not None


def lan_address() -> str:
    """This computer's address on the local network, as the room's laptops would reach it.

    Connecting a UDP socket sends nothing; it only asks the OS which interface it would use. 192.0.2.1 is a
    documentation address (TEST-NET-1), so nothing is ever contacted."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
            if not address.startswith("0."):
                return address
    except OSError:
        pass
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return HOST


def bind_host(lan: bool) -> str:
    return "0.0.0.0" if lan else HOST


def announcement(lan: bool, port: int, code: str, db: Path, address: str = HOST) -> list[str]:
    """What the board prints when it starts: where it is, who can reach it, and how learners join."""
    shown = address if lan else HOST
    page = f"http://{shown}:{port}/"
    lines = [f"Workshop board on {page}  (Ctrl+C to stop)"]
    if lan:
        lines.append("Listening on every network interface (0.0.0.0): anyone on this network can open the page. "
                     "Posting needs the join code.")
    else:
        lines.append("Listening on 127.0.0.1 only: only this computer can reach it. Add --lan to let the room join.")
    lines += [f"Join code: {code}. Learners join with:",
              f"    python -m graders join {page}?code={code}",
              f"Results are kept in {db} (a restart keeps them). Learner names are shown to everyone who sees "
              f"the page."]
    return lines


class BoardServer:
    def __init__(self, app: BoardApp):
        self.app = app
        self.changed = asyncio.Event()
        self.streams = 0
        app.listeners.append(self.notify)

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
                writer.write(reply.encode())
                await writer.drain()
                return
            if request.path == "/events" and request.method == "GET":
                await self.stream(writer)
                return
            try:
                reply = self.app.handle(request, client)
            except Exception as error:     # e.g. the disk is full: one line here, a 500 there, and go on
                print(f"The board could not answer {request.method} {request.path}: {type(error).__name__}: {error}",
                      file=sys.stderr, flush=True)
                reply = self.app.counted(refusal(500, f"the board could not do that: {type(error).__name__}"))
            writer.write(reply.encode(include_body=request.method != "HEAD"))
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError):
            pass                               # stalled or gone: drop the connection
        finally:
            writer.close()

    @staticmethod
    async def read_request(reader, parser):
        request = None
        while request is None:
            data = await reader.read(65536)
            if not data:
                return None                    # the client left before finishing its request
            request = parser.receive(data)
        return request

    async def stream(self, writer: asyncio.StreamWriter) -> None:
        """Server-Sent Events: one `board` event now, then one after every change (or heartbeat)."""
        if self.streams >= MAX_STREAMS:
            writer.write(error_page(503, "too many open pages on this board").encode())
            await writer.drain()
            return
        self.streams += 1
        try:
            writer.write(STREAM_HEAD)
            while True:
                changed = self.changed
                writer.write(b"event: board\ndata: " + self.app.snapshot_bytes() + b"\n\n")
                await writer.drain()           # raises ConnectionError once the page is gone
                try:
                    await asyncio.wait_for(changed.wait(), HEARTBEAT)
                except asyncio.TimeoutError:
                    pass
        finally:
            self.streams -= 1


async def serve(app: BoardApp, host: str, port: int, announce) -> None:
    board = BoardServer(app)
    server = await asyncio.start_server(board.serve_client, host, port)
    async with server:
        announce()
        await server.serve_forever()


def run(args) -> int:
    try:
        store = BoardStore(args.db)
        code = store.join_code(args.code.upper() if args.code else None, renew=args.new_code)
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
        lines = announcement(args.lan, args.port, code, args.db, lan_address() if args.lan else HOST)

        def announce():
            print("\n".join(lines), flush=True)

        try:
            asyncio.run(serve(app, host, args.port, announce))
        except KeyboardInterrupt:
            print(f"\nBoard stopped. Its results stay in {args.db}: start it again to go on.", flush=True)
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
                print(f"Port {args.port} is already in use. Is another board running? Try --port {args.port + 1}.")
                return 1
            if error.errno in (errno.EACCES, getattr(errno, "WSAEACCES", -1)):
                print(f"This computer does not allow port {args.port} for you. Try --port 8000 or above.")
                return 1
            raise
        return 0
    except OSError as error:
        print(f"The board stopped: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
