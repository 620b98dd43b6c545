"""asgi: an ASGI server, so any async Python web app can run on it.

ASGI is WSGI's successor for async Python: Starlette, FastAPI, Django's async views and Quart run on
uvicorn, hypercorn, or your own server. Where a WSGI app is a function that returns its whole body,
an ASGI app is a coroutine that talks with the server in events:

    await app(scope, receive, send)

`scope` describes the request: method, path, query string and headers, the headers as lower-cased
bytes. `await receive()` hands the app the request body as http.request events, then http.disconnect
once the client is gone. `await send(event)` takes the answer as the app makes it: one
http.response.start (status and headers), then http.response.body events, more_body=True while more
is coming. Because the server writes each piece the moment it arrives, an app can stream.

The socket work is done (asyncio streams and the kit's request parser). Fill in the ASGI side:

1. build_scope: everything the ASGI spec puts in an http scope, with the right types;
2. Cycle.receive: the body, then http.disconnect when the client leaves;
3. Cycle.send: write each body piece as it comes (chunked), instead of keeping it until the end;
4. serve_client: an app that raises before its answer started gets a 500, and the server goes on;
5. Lifespan: tell the app the server starts and stops (lifespan.startup and lifespan.shutdown).

Run it:    python exercises/advanced/asgi/server.py --port 8002 --app graders.advanced.asgi_probe_app:app
Try it:    curl -i "http://127.0.0.1:8002/echo/caf%C3%A9?x=1" -H "X-Greeting: hi"
           curl -N http://127.0.0.1:8002/stream/5/500/tick     (five lines, half a second apart)
Check it:  python -m pytest graders/advanced/test_asgi.py
"""
import asyncio
import importlib
import os
import re
import sys
import traceback

from reference import async_server, cli
from reference.core.request_parser import HTTPError
from reference.core.response import error_page, error_reply, reason

NO_BODY = (204, 304)   # answers that never carry a body, so never a length or chunks either
UNSAFE = re.compile(rb"[\r\n\0]")   # in a header, these would end it early: the rest becomes headers or body


def build_scope(request, writer) -> dict:
    """The request as the ASGI spec describes it. Text where the spec says str, bytes where it says bytes."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "method": request.method,
    }
    raw_path = request.target.partition("?")[0]
    scope.update({
        "http_version": request.version.removeprefix("HTTP/"),      # "1.1"
        "scheme": "http",
        "path": request.path,                                       # percent-decoded: "/café"
        "raw_path": raw_path.encode("latin-1"),                     # as sent: b"/caf%C3%A9"
        "query_string": request.query.encode("latin-1"),            # bytes, still percent-encoded
        "root_path": "",                                            # the app is mounted at the root
        # Every header as sent, in order, repeats kept: (lower-cased name, value), both bytes.
        "headers": [(name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in request.header_list],
        "client": list(writer.get_extra_info("peername")[:2]),      # [host, port] of the client
        "server": list(writer.get_extra_info("sockname")[:2]),      # [host, port] we listen on
    })
    return scope


class Cycle:
    """One request and its answer: the receive() and send() the app is given, and the bytes they make."""

    def __init__(self, request, reader, writer):
        self.request, self.reader, self.writer = request, reader, writer
        self.status, self.headers = None, []
        self.started = False        # the status line and headers went out
        self.finished = False       # the last body piece went out
        self.chunked = False
        self.body_given = False
        self.over = asyncio.Event()   # the client left, or the answer is complete
        self.watcher = None

    async def receive(self) -> dict:
        if not self.body_given:
            # The kit's parser has read the whole body already (at most 1 MB), so it comes in one event.
            # A server that reads as it goes sends several, more_body=True on all but the last.
            self.body_given = True
            return {"type": "http.request", "body": self.request.body, "more_body": False}
        # Nothing more will come from the client: what is left to hear is that it left.
        if self.watcher is None:
            self.watcher = asyncio.ensure_future(self.watch_client())
        await self.over.wait()
        return {"type": "http.disconnect"}

    async def watch_client(self) -> None:
        try:
            while await self.reader.read(4096):   # b"" once the client hangs up
                pass
        except ConnectionError:
            pass
        self.over.set()

    async def send(self, event: dict) -> None:
        kind = event["type"]
        if kind == "http.response.start":
            if self.status is not None:
                raise RuntimeError("the app sent http.response.start twice")
            for name, value in event.get("headers", []):
                # A value such as "a\r\nSet-Cookie: x=1" would write a second header (response splitting):
                # refuse it here, before a byte leaves, so the app's error becomes a 500 and a traceback.
                if UNSAFE.search(bytes(name)) or UNSAFE.search(bytes(value)):
                    raise ValueError(f"the app's header {bytes(name)!r}: {bytes(value)!r} holds CR, LF or NUL, "
                                     "which would split the answer; it is not sent")
            self.status, self.headers = event["status"], list(event.get("headers", []))
        elif kind == "http.response.body":
            if self.status is None or self.finished:
                raise RuntimeError("http.response.body must come after http.response.start, and before the end")
            body, more = event.get("body", b""), event.get("more_body", False)
            # Write each piece the moment the app gives it: that is what lets an app stream. When the very
            # first piece is also the last, its length is known, and the answer gets a plain Content-Length.
            if not self.started:
                self.write_head(None if more else len(body))
            self.write_piece(body)
            if not more:
                self.finish()
            await self.writer.drain()         # out now, not when the app is done
        else:
            raise RuntimeError(f"an http app cannot send {kind!r}")

    def write_head(self, length: int | None) -> None:
        """The status line and headers. With no length known, the body goes in chunks (HTTP/1.1)."""
        names = {bytes(name).lower() for name, _ in self.headers}
        lines = [f"HTTP/1.1 {self.status} {reason(self.status)}"]
        lines += [f"{bytes(name).decode('latin-1')}: {bytes(value).decode('latin-1')}"
                  for name, value in self.headers if bytes(name).lower() not in (b"connection", b"transfer-encoding")]
        if b"content-length" not in names and self.status not in NO_BODY:
            if length is not None:      # (HEAD too: it says what GET would send)
                lines.append(f"Content-Length: {length}")
            elif self.request.method != "HEAD" and self.request.version == "HTTP/1.1":
                self.chunked = True
                lines.append("Transfer-Encoding: chunked")
            # (an HTTP/1.0 client gets no length at all: closing the connection ends the body)
        lines.append("Connection: close")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.started = True

    def write_piece(self, body: bytes) -> None:
        if not body or self.request.method == "HEAD" or self.status in NO_BODY:
            return
        if self.chunked:
            self.writer.write(b"%x\r\n%b\r\n" % (len(body), body))   # the size in hex, the bytes, CRLF
        else:
            self.writer.write(body)

    def finish(self) -> None:
        if self.chunked:
            self.writer.write(b"0\r\n\r\n")                            # the last chunk: size 0
        self.finished = True
        self.over.set()

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()


async def serve_client(reader, writer, args, app) -> None:
    """Read one request, run the app on it, and close."""
    deadline = asyncio.get_running_loop().call_later(args.timeout, writer.transport.abort)
    cycle = None
    try:
        try:
            request = await async_server.read_request(reader)
        except HTTPError as error:
            writer.write(error_reply(error))
            return
        deadline.cancel()          # the app may stream for as long as it likes
        if request is None:
            return
        cycle = Cycle(request, reader, writer)
        try:
            await app(build_scope(request, writer), cycle.receive, cycle.send)
        except ConnectionError:
            return                 # the client left in the middle of the answer
        except Exception:
            traceback.print_exc()  # the app's bug, in the server's output; this client gets a 500
            # Once the head went out, the status cannot change: cutting the answer short is all we can do.
            if not cycle.started:
                writer.write(error_page(500, "the ASGI app raised an exception (see the server's output)").encode())
            return
        if not cycle.started:
            writer.write(error_page(500, "the ASGI app returned without answering").encode())
        elif not cycle.finished:
            cycle.finish()         # the app returned mid-answer: end it properly
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        deadline.cancel()
        if cycle is not None:
            cycle.close()
        writer.close()


class Lifespan:
    """The app's start-up and shut-down (a database pool, a cache), when it takes part in lifespan."""

    def __init__(self, app):
        self.app = app
        self.to_app, self.from_app = asyncio.Queue(), asyncio.Queue()
        self.task = None

    async def run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        try:
            await self.app(scope, self.to_app.get, self.from_app.put)
        except Exception as error:
            # Many small apps only know "http" and raise on anything else: then there is no lifespan.
            print(f"asgi: the app does not take part in lifespan ({error!r}); serving without it", flush=True)
        finally:
            await self.from_app.put({"type": "lifespan.ended"})   # wake whoever waits for an answer

    async def startup(self) -> None:
        self.task = asyncio.ensure_future(self.run())     # the app's lifespan runs as long as the server
        await self.to_app.put({"type": "lifespan.startup"})
        answer = await self.from_app.get()
        if answer["type"] == "lifespan.startup.failed":
            sys.exit(f"asgi: the app could not start: {answer.get('message', '')}")

    async def shutdown(self) -> None:
        if self.task is None or self.task.done():
            return                 # the app did not take part in lifespan (or is gone already)
        await self.to_app.put({"type": "lifespan.shutdown"})
        try:
            await asyncio.wait_for(self.from_app.get(), 5)     # shutdown.complete (or failed)
        except asyncio.TimeoutError:
            print("asgi: the app did not finish its shutdown within 5 s", flush=True)


def load_app(spec: str):
    """"package.module:name" -> the app, like uvicorn's argument."""
    module_name, _, name = spec.partition(":")
    sys.path.insert(0, os.getcwd())   # like uvicorn: apps in the current folder can be imported
    app = getattr(importlib.import_module(module_name), name or "app")
    if not callable(app):
        sys.exit(f"asgi: {spec} is not callable, so it is not an ASGI app")
    return app


async def serve(args, app) -> None:
    lifespan = Lifespan(app)
    await lifespan.startup()
    server = await asyncio.start_server(
        lambda reader, writer: serve_client(reader, writer, args, app), cli.HOST, args.port, backlog=128)
    try:
        async with server:
            cli.announce("asgi", args)
            await server.serve_forever()
    finally:
        await lifespan.shutdown()     # Ctrl+C: the app closes its database pool, flushes its logs


def main(args) -> None:
    asyncio.run(serve(args, load_app(args.app)))


if __name__ == "__main__":
    cli.run("asgi", main, cli.parse_args(__doc__.splitlines()[0], app={
        "default": "graders.advanced.asgi_probe_app:app", "help": "the ASGI app, as module:callable"}))
