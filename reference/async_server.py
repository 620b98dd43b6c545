"""The same server with asyncio streams: many clients at once, in one thread.

Read it beside blocking_server.py: only the I/O lines differ (await reader.read instead of
conn.recv, asyncio.sleep instead of time.sleep). The protocol core is the very same.
"""
import asyncio


from reference import cli
from reference.core import static_site
from reference.core.request_parser import HTTPError, RequestParser


async def answer_static(request, args) -> bytes:
    await asyncio.sleep(args.delay)        # a slow handler: other clients are served while we wait
    return static_site.answer(request, args.static)


async def serve_client(reader, writer, args, answer=answer_static) -> None:
    """Read one request from the stream and send one answer."""
    parser = RequestParser()
    try:
        try:
            request = None
            while request is None:
                # A stalled client only stalls its own task, and wait_for drops it after the timeout.
                data = await asyncio.wait_for(reader.read(4096), args.timeout)
                if not data:
                    return                 # the client hung up before finishing its request
                request = parser.receive(data)
            reply = await answer(request, args)
        except HTTPError as error:
            reply = static_site.answer_error(error)
        except (asyncio.TimeoutError, ConnectionError):
            return                         # stalled or gone: drop the connection
        try:
            writer.write(reply)
            await writer.drain()
        except ConnectionError:
            pass                           # the client left before reading its answer
    finally:
        writer.close()


async def serve(args, name="async_server", answer=answer_static) -> None:
    server = await asyncio.start_server(
        lambda reader, writer: serve_client(reader, writer, args, answer), cli.HOST, args.port)
    async with server:
        cli.announce(name, args)
        await server.serve_forever()


def main(args) -> None:
    asyncio.run(serve(args))


if __name__ == "__main__":
    cli.run("async_server", main, cli.parse_args(__doc__.splitlines()[0]))
