"""websocket_chat: /chat?name=<name> is a room, and JSON events reach the people in it.

The checks, with three `websockets` clients at once, each with a random name:
- on join, every client gets {"type": "join", "name": ...}: the newcomer and those already there;
- a text message from one client reaches every connected client as
  {"type": "message", "name": <sender>, "text": <the text>}: the others, and the sender too;
- three clients talking at the same moment all hear all three messages;
- on leave the others get {"type": "leave", "name": ...}: after a close frame, when a client just
  vanishes (its TCP connection closed without a close frame), and when its connection is reset (a TCP RST,
  perhaps in the middle of a frame: reading then raises instead of ending, so the leave must be in `finally`);
- a client that sends half a handshake and stalls does not keep the room from hearing each other;
- the chat page /chat.html still loads from the server, and talks to /chat; HEAD on the site is the head
  of GET (read raw: no body on the wire).
Events may carry more keys (a time, say) and the server may send other events too; these are ignored.
"""
import asyncio
import contextlib
import json
import socket

from graders.harness import expect, fetch, head_is_the_head_of_get
from graders.harness.websocket import TEXT, client_frame, open_websocket, raw_websocket, receive

TIMEOUT = 1.0   # seconds to wait for an event: on loopback they arrive within milliseconds
NAMES = ["ada", "alan", "grace", "linus", "guido", "barbara", "ken", "margaret", "dennis", "radia", "tim", "hedy"]



def random_names(rng, count: int = 3) -> list[str]:
    return [f"{name}-{rng.randrange(1000, 10000)}" for name in rng.sample(NAMES, count)]


class Client:
    """One person in the room, as a `websockets` client, remembering every event it has seen."""

    def __init__(self, name: str, ws):
        self.name, self.ws, self.seen = name, ws, []

    async def wait_for(self, wanted: dict, hint: str, why: str = "") -> None:
        """Read events until one has every key and value of `wanted`; fail after TIMEOUT."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while not any(matches(event, wanted) for event in self.seen):
            expected = f"{self.name} to get {show(wanted)}{why}{self.seen_so_far()}"
            raw = await receive(self.ws, expected=expected, hint=hint, timeout=max(0.0, deadline - loop.time()))
            self.seen.append(parse(raw))

    def seen_so_far(self) -> str:
        if not self.seen:
            return ". It had got no events at all"
        return f". All that {self.name} had got was:" + "".join(f"\n    {show(event)}" for event in self.seen)


def matches(event, wanted: dict) -> bool:
    return isinstance(event, dict) and all(event.get(key) == value for key, value in wanted.items())


def show(event) -> str:
    return json.dumps(event, ensure_ascii=False) if isinstance(event, dict) else str(event)


def parse(raw):
    if isinstance(raw, bytes):
        return f"a binary message {raw[:40]!r} (events are JSON in text messages)"
    try:
        return json.loads(raw)
    except ValueError:
        return f"{raw[:80]!r}, which is not JSON"


@contextlib.asynccontextmanager
async def room(server, names: list[str]):
    """Open one client per name, one after the other, and close them all at the end."""
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for name in names:
            ws = await stack.enter_async_context(open_websocket(server, f"/chat?name={name}", hint="room"))
            clients.append(Client(name, ws))
        await asyncio.sleep(0.05)   # let the server finish its bookkeeping before anyone speaks
        yield clients


def say(rng, name: str) -> str:
    return f"{rng.choice(['hello', 'hi', 'hey', 'good morning'])} from {name}, café #{rng.randrange(100, 1000)}"


# ---- The checks ----

def test_newcomer_hears_its_own_join(server, rng):
    async def check():
        async with room(server, random_names(rng, 1)) as (ada,):
            await ada.wait_for({"type": "join", "name": ada.name}, "join",
                               ": every client hears a join, the newcomer too")
    asyncio.run(check())


def test_everyone_already_there_hears_a_join(server, rng):
    async def check():
        first, second, third = random_names(rng)
        async with room(server, [first, second]) as (ada, bob):
            await ada.wait_for({"type": "join", "name": bob.name}, "join",
                               f", when {bob.name} joined after {ada.name}")
            async with room(server, [third]) as (cy,):
                for client in (ada, bob):
                    await client.wait_for({"type": "join", "name": cy.name}, "join", f", when {cy.name} joined")
    asyncio.run(check())


def test_message_reaches_every_other_client(server, rng):
    async def check():
        async with room(server, random_names(rng)) as (ada, bob, cy):
            text = say(rng, bob.name)
            await bob.ws.send(text)
            for client in (ada, cy):
                await client.wait_for({"type": "message", "name": bob.name, "text": text}, "message",
                                      f" after {bob.name} sent {text!r}")
    asyncio.run(check())


def test_sender_hears_its_own_message(server, rng):
    async def check():
        async with room(server, random_names(rng)) as (ada, bob, cy):
            text = say(rng, cy.name)
            await cy.ws.send(text)
            await cy.wait_for({"type": "message", "name": cy.name, "text": text}, "message",
                              f" back after sending {text!r}: the sender hears its own message too")
    asyncio.run(check())


def test_three_clients_talking_at_once_hear_everything(server, rng):
    async def check():
        async with room(server, random_names(rng)) as clients:
            texts = {client.name: say(rng, client.name) for client in clients}
            await asyncio.gather(*(client.ws.send(texts[client.name]) for client in clients))
            for listener in clients:
                for speaker in clients:
                    await listener.wait_for({"type": "message", "name": speaker.name, "text": texts[speaker.name]},
                                            "message", " after all three sent a message at the same moment")
    asyncio.run(check())


def test_others_hear_a_leave(server, rng):
    async def check():
        async with room(server, random_names(rng)) as (ada, bob, cy):
            await cy.ws.close()   # a polite leave: a close frame, then the server hangs up
            for client in (ada, bob):
                await client.wait_for({"type": "leave", "name": cy.name}, "leave",
                                      f" after {cy.name} closed its WebSocket")
    asyncio.run(check())


def test_others_hear_a_leave_when_a_client_vanishes(server, rng):
    async def check():
        async with room(server, random_names(rng)) as (ada, bob, cy):
            ada.ws.transport.abort()   # no close frame: a closed laptop lid, a lost Wi-Fi
            for client in (bob, cy):
                await client.wait_for({"type": "leave", "name": ada.name}, "leave",
                                      f" after {ada.name}'s connection dropped without a close frame")
    asyncio.run(check())


def test_others_hear_a_leave_when_a_connection_is_reset(server, rng):
    async def check():
        async with room(server, random_names(rng, 2)) as (ada, bob):
            gone = random_names(rng, 1)[0]
            with raw_websocket(server, rng, f"/chat?name={gone}", hint="room") as ws:
                await ada.wait_for({"type": "join", "name": gone}, "join", f", when {gone} joined")
                how = "a reset (TCP RST) with no close frame"
                if rng.random() < 0.5:   # half a frame first: the reset lands in the middle of one
                    frame = client_frame(rng, TEXT, say(rng, gone).encode())
                    ws.conn.sock.sendall(frame[:rng.randint(1, len(frame) - 1)])
                    how += ", in the middle of a frame"
                await asyncio.sleep(0.05)
                ws.reset()
            for client in (ada, bob):
                await client.wait_for({"type": "leave", "name": gone}, "leave",
                                      f" after {gone}'s connection ended with {how}. Then the read raises "
                                      "ConnectionResetError instead of ending the loop: code after the "
                                      "`async for` never runs, code in `finally:` does")
    asyncio.run(check())


def test_a_stalled_handshake_does_not_keep_the_room_quiet(server, rng):
    half = (f"GET /chat?name=slow HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\n").encode()
    with socket.create_connection((server.host, server.port), timeout=2) as stalled:
        stalled.sendall(half[:rng.randint(5, len(half))])   # then nothing

        async def check():
            async with room(server, random_names(rng, 2)) as (ada, bob):
                text = say(rng, ada.name)
                await ada.ws.send(text)
                await bob.wait_for({"type": "message", "name": ada.name, "text": text}, "room",
                                   " while another client sat on half a handshake")
        asyncio.run(check())


def test_chat_page_loads_from_the_server(server):
    page = fetch(server, "GET", "/chat.html")
    expect(page.status == 200, page, expected="200 OK with the chat page from static/chat.html: every path "
           "but /chat still serves the site", got=f"{page.status} {page.reason}", hint="room")
    expect("/chat?name=" in page.text, page, expected="the chat page, which opens a WebSocket to /chat?name=...",
           got="a page without /chat?name= in it", hint="room")


def test_head_of_a_site_page_is_the_head_of_get(server, rng):
    # Every path but the WebSocket's serves the site, and HEAD is GET without the body (RFC 9110, 9.3.2).
    head_is_the_head_of_get(server, rng.choice(["/", "/about", "/styles.css"]))   # no hint: the site is handed over
