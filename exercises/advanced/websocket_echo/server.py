"""WebSocket echo: GET /ws upgrades to a WebSocket (RFC 6455), and every message comes straight back.

A WebSocket starts as an ordinary HTTP request with `Upgrade: websocket` and a random
`Sec-WebSocket-Key`. The server answers `101 Switching Protocols` with `Sec-WebSocket-Accept`, and from
then on the same TCP connection carries frames both ways, for as long as either side wants.

  server.py   the I/O (asyncio streams, as in reference/async_server.py) and the HTTP handshake
  frames.py   the frames, with no I/O: lengths, masking, fragments, ping/pong and close

The TODOs are in both files. A good order: the handshake (accept_key, refusal), then lengths and
masking (encode_frame, next_frame, unmask), then Connection.handle(). Every other path serves the site.

Run it:    python exercises/advanced/websocket_echo/server.py --port 8002
Try it:    open http://127.0.0.1:8002/ and, in the browser console:
             ws = new WebSocket("ws://127.0.0.1:8002/ws"); ws.onmessage = e => console.log(e.data)
             ws.send("hello")
           or: python -m websockets ws://127.0.0.1:8002/ws   (with the `websockets` package)
Check it:  python -m pytest graders/advanced/test_websocket_echo.py
"""
import asyncio

import frames  # frames.py beside this file: Python puts the script's folder on sys.path

from reference import cli
from reference.core import static_site
from reference.core.request_parser import HTTPError, Request, RequestParser
from reference.core.response import error_page, error_reply, reply_to


def refusal(request: Request) -> bytes | None:
    """The HTTP answer that refuses this opening request, or None when we can accept it."""
    upgrade = request.header("upgrade", "").lower() == "websocket"
    connection = [token.strip().lower() for token in request.header("connection", "").split(",")]
    if request.method != "GET" or not upgrade or "upgrade" not in connection:
        page = error_page(426, "this is a WebSocket endpoint: open it with new WebSocket(url)")
        page.headers.append(("Upgrade", "websocket"))   # 426 says which protocol to upgrade to
        return page.encode()
    # TODO: refuse a handshake we cannot finish. No Sec-WebSocket-Key header (or one that is not ASCII,
    #       as base64 always is): answer 400 (error_page(...)).
    #       A Sec-WebSocket-Version other than "13": answer 426 with a `Sec-WebSocket-Version: 13` header.
    return None


def switching_protocols(request: Request) -> bytes:
    """101: from the blank line on, this connection speaks WebSocket, not HTTP."""
    accept = frames.accept_key(request.header("sec-websocket-key"))
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n"
        "\r\n"
    ).encode("latin-1")


async def messages(reader, writer, ws: frames.Connection, data: bytes = b""):
    """Each whole message the client sends; pongs and the close are sent on the way."""
    while True:
        ws.receive_data(data)
        while (message := ws.next_message()) is not None:
            # Pongs for the pings that came before this message go first: a ping between the pieces of a
            # message is answered before the message is (RFC 6455, 5.5.2: "as soon as is practical").
            writer.write(ws.data_to_send())
            yield message
        writer.write(ws.data_to_send())      # pongs, and our close frame once there is one
        await writer.drain()
        if ws.closed:
            return                           # the closing handshake is done: the server hangs up
        data = await reader.read(65536)      # no timeout: a WebSocket may stay quiet for hours
        if not data:
            return                           # gone without a close frame (a closed laptop lid)


async def echo(reader, writer, leftover: bytes) -> None:
    ws = frames.Connection()
    async for message in messages(reader, writer, ws, leftover):
        writer.write(ws.send(message))       # text comes back as text, binary as binary


async def serve_client(reader, writer, args) -> None:
    """Read one HTTP request; /ws becomes a WebSocket, anything else gets the site."""
    parser = RequestParser()
    # The opening request must arrive by the deadline (a timer for this connection): then it is cut.
    deadline = asyncio.get_running_loop().call_later(args.timeout, writer.transport.abort)
    try:
        request = None
        while request is None:
            data = await reader.read(4096)
            if not data:
                return                       # the client left, or the deadline passed
            request = parser.receive(data)
        deadline.cancel()                    # the request is in: a WebSocket may then stay open for hours
        if request.path != "/ws":
            writer.write(reply_to(request, static_site.respond(request, args.static)))
        elif (refused := refusal(request)) is not None:
            writer.write(refused)
        else:
            writer.write(switching_protocols(request))
            # Bytes after the request head are already frames: hand them over with the stream.
            await echo(reader, writer, bytes(parser.buffer))
        await writer.drain()
    except HTTPError as error:
        writer.write(error_reply(error))
    except ConnectionError:
        pass                                 # gone: drop the connection
    finally:
        deadline.cancel()
        writer.close()


async def serve(args) -> None:
    server = await asyncio.start_server(
        lambda reader, writer: serve_client(reader, writer, args), cli.HOST, args.port)
    async with server:
        cli.announce("websocket_echo", args)
        print(f"WebSocket endpoint: ws://{cli.HOST}:{args.port}/ws", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    cli.run("websocket_echo", lambda args: asyncio.run(serve(args)), cli.parse_args(__doc__.splitlines()[0]))
