"""WebSocket chat: /chat?name=<name> joins one room, and every message reaches everyone in it.

Each browser tab opens a WebSocket to /chat?name=Ada. The server keeps the set of connected clients
(the room) and sends JSON events, as text messages, to the people in it:
  {"type": "join", "name": "Ada"}                    someone arrived: to everyone, the newcomer too
  {"type": "message", "name": "Ada", "text": "hi"}   someone said something: to everyone, the sender too
  {"type": "leave", "name": "Ada"}                   someone left: to everyone still there
Clients send plain text. The handshake is done, and reference/core/websocket.py is the finished
frames.py of the websocket_echo challenge. The TODOs are the room: who is in it, and who hears what.
Every other path serves the site, so the chat page is at /chat.html.

Run it:    python exercises/advanced/websocket_chat/server.py --port 8002
Try it:    open http://127.0.0.1:8002/chat.html in two browser tabs, and talk to yourself
Check it:  python -m pytest graders/advanced/test_websocket_chat.py
"""
import asyncio
import json
from urllib.parse import parse_qs

from reference import cli
from reference.core import static_site
from reference.core import websocket as frames  # the framing, done in the websocket_echo challenge
from reference.core.request_parser import HTTPError, RequestParser
from reference.core.response import error_reply, reply_to
from reference.core.websocket import handshake_refusal, switching_protocols

MAX_BACKLOG = 1024 * 1024   # bytes waiting for one client before we give up on it


class Client:
    """One person in the room: a name, and the way to reach them."""

    def __init__(self, name: str, writer, ws: frames.Connection):
        self.name, self.writer, self.ws = name, writer, ws

    def send(self, event: dict) -> None:
        # write() only queues the bytes, so one slow client cannot hold up a broadcast;
        # the client's own loop (messages() below) waits for them to drain.
        self.writer.write(self.ws.send(json.dumps(event)))
        # A client that never reads would make that queue grow for ever: past a limit, let it go.
        if self.writer.transport.get_write_buffer_size() > MAX_BACKLOG:
            self.writer.transport.abort()  # its own loop then ends, and the room hears it left


room: set[Client] = set()   # everyone connected now; one thread and one event loop, so no locks


def broadcast(event: dict) -> None:
    """Send one event to everyone in the room."""
    for client in room:
        client.send(event)


async def chat(reader, writer, name: str, leftover: bytes) -> None:
    me = Client(name, writer, frames.Connection())
    # Join first, then announce: the newcomer's own join event says "you are in".
    room.add(me)
    broadcast({"type": "join", "name": name})
    try:
        async for message in messages(reader, writer, me.ws, leftover):
            if isinstance(message, str):   # the room speaks text; binary messages are ignored
                # Everyone hears it, the sender too: that echo is how a page knows the server got it.
                broadcast({"type": "message", "name": name, "text": message})
    finally:
        # However the loop ended (a close frame, a vanished client, an error), leave and tell the rest.
        room.discard(me)
        broadcast({"type": "leave", "name": name})


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


async def serve_client(reader, writer, args) -> None:
    """Read one HTTP request; /chat becomes a WebSocket in the room, anything else gets the site."""
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
        if request.path != "/chat":
            writer.write(reply_to(request, static_site.respond(request, args.static)))
        elif (refused := handshake_refusal(request)) is not None:
            writer.write(refused.encode())     # the handshake is the websocket_echo challenge's, done
        else:
            name = parse_qs(request.query).get("name", [""])[0].strip()[:40] or "anonymous"
            writer.write(switching_protocols(request))
            await chat(reader, writer, name, bytes(parser.buffer))
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
        cli.announce("websocket_chat", args)
        print(f"Chat page: http://{cli.HOST}:{args.port}/chat.html", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    cli.run("websocket_chat", lambda args: asyncio.run(serve(args)), cli.parse_args(__doc__.splitlines()[0]))
