"""The same server with asyncio streams: many clients at once, in one thread.

Read it beside blocking_server.py: only the I/O lines differ (await reader.read instead of
conn.recv, asyncio.sleep instead of time.sleep). The protocol core is the very same.
"""
import asyncio
import inspect

from reference import cli
from reference.core import static_site
from reference.core.request_parser import HTTPError, RequestParser
from reference.core.response import error_reply, reply_to


async def answer_static(request, args):
    if args.delay:
        await asyncio.sleep(args.delay)    # a slow handler: other clients are served while we wait
    return static_site.respond(request, args.static)


async def read_request(reader):
    """Feed the parser until a whole request is in. None if the client hung up first."""
    parser = RequestParser()
    request = None
    while request is None:
        data = await reader.read(4096)     # a stalled client only stalls its own task
        if not data:
            return None
        request = parser.receive(data)
    return request


# Connections still reading their request -> the time by which it must be in (blocking_server's deadline).
# One watchdog cuts those that are late. A timer per connection (loop.call_later) would cost every request
# a few microseconds more, and asyncio.wait_for on every read would even start a task each time.
deadlines: dict[asyncio.Transport, float] = {}


async def watchdog(every: float = 0.25) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(every)
        for transport, deadline in list(deadlines.items()):
            if deadline < loop.time():
                transport.abort()          # cut: the late client's read() returns b""


async def serve_client(reader, writer, args, answer=answer_static) -> None:
    """Read one request from the stream and send one answer."""
    # The whole request must arrive by the deadline, not each read: one byte a second must not hold us.
    deadlines[writer.transport] = asyncio.get_running_loop().time() + args.timeout
    try:
        request = None
        try:
            request = await read_request(reader)
            if request is None:
                return                     # the client hung up, or the watchdog cut it
            del deadlines[writer.transport]
            response = answer(request, args)
            if inspect.isawaitable(response):
                response = await response  # a handler that waits (a database, say) is a coroutine
            reply = reply_to(request, response)
        except HTTPError as error:
            if error.status == 500:        # our answer was unsafe to send (a CR in a header): say why
                print(f"500 for {request.method} {request.target}: {error.message}", flush=True)
            reply = error_reply(error)
        except ConnectionError:
            return                         # gone: drop the connection
        try:
            writer.write(reply)
            await writer.drain()
            if request is None:
                await drain(reader)        # refused early: the rest of the request may still be coming
        except ConnectionError:
            pass                           # the client left before reading its answer
    finally:
        deadlines.pop(writer.transport, None)
        writer.close()


async def drain(reader, seconds: float = 1.0) -> None:
    """Read and drop what the client still sends, for a moment. Closing with unread bytes makes the kernel
    reset the connection, and a client (Windows' above all) may then lose the answer it has not read yet."""
    async def discard():
        while await reader.read(65536):
            pass
    try:
        await asyncio.wait_for(discard(), seconds)
    except (asyncio.TimeoutError, ConnectionError):
        pass


async def serve(args, name="async_server", answer=answer_static) -> None:
    asyncio.get_running_loop().set_exception_handler(quiet_connection_resets)
    server = await asyncio.start_server(
        lambda reader, writer: serve_client(reader, writer, args, answer), cli.HOST, args.port, backlog=128)
    _watching = asyncio.create_task(watchdog())   # keep a reference: a task nobody holds may be collected
    async with server:
        cli.announce(name, args)
        await server.serve_forever()


def quiet_connection_resets(loop, context: dict) -> None:
    """Windows' event loop reports every client that resets its connection ("WinError 10054"): that is a
    client leaving, not a problem of ours. Keep quiet about it; report everything else as usual."""
    if isinstance(context.get("exception"), (ConnectionResetError, ConnectionAbortedError)):
        return
    loop.default_exception_handler(context)


def main(args) -> None:
    asyncio.run(serve(args))


if __name__ == "__main__":
    cli.run("async_server", main, cli.parse_args(__doc__.splitlines()[0]))
