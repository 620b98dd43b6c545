"""A hand-written event loop: non-blocking sockets and readiness notifications.

This is what asyncio does for you. One thread watches every socket; the selector says which ones can
be read or written without blocking, and each connection is a small state machine: reading its request,
waiting (the slow-handler delay, done with a timer instead of sleep), then writing its answer.
"""
import errno
import selectors
import socket
import time

from reference import cli
from reference.core import static_site
from reference.core.request_parser import HTTPError, RequestParser
from reference.core.response import error_reply, reply_to


def answer_static(request, args):
    return static_site.respond(request, args.static)   # the delay is a timer in the loop, never a sleep


class Connection:
    """The server's side of one client connection."""

    def __init__(self, conn: socket.socket, deadline: float):
        self.conn = conn
        self.parser = RequestParser()
        self.state = "reading"         # then "waiting" (the slow handler), "writing", maybe "draining"
        self.deadline = deadline       # reading: drop the client if its request is not complete by then
        self.refused = False           # answered before its request was whole: drain it before closing
        self.reply_at = 0.0            # waiting: when to start writing
        self.outgoing = b""


class EventLoop:
    def __init__(self, args, answer=answer_static):
        self.args, self.answer = args, answer
        self.selector = selectors.DefaultSelector()
        self.clients: dict[socket.socket, Connection] = {}

    def accept(self, listener: socket.socket) -> None:
        try:
            conn, _address = listener.accept()
        except BlockingIOError:
            return                     # another wake-up took it
        except OSError as error:
            if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                time.sleep(0.1)        # out of file descriptors: let some close, never die
                return
            raise
        conn.setblocking(False)        # recv and send must never wait: one slow client would stop everyone
        self.clients[conn] = Connection(conn, time.monotonic() + self.args.timeout)
        self.selector.register(conn, selectors.EVENT_READ)

    def on_readable(self, client: Connection) -> None:
        try:
            data = client.conn.recv(4096)   # does not block: the selector said bytes are waiting
        except ConnectionError:
            data = b""
        if not data:
            return self.close(client)       # the client hung up (before finishing its request, or after)
        if client.state == "draining":
            return                          # what it still sends after an early answer: read and dropped
        try:
            request = client.parser.receive(data)
        except HTTPError as error:
            client.refused = True
            return self.reply(client, error_reply(error), delay=0)
        if request is None:
            return
        try:
            reply = reply_to(request, self.answer(request, self.args))
        except HTTPError as error:         # our answer was unsafe to send (a CR in a header): say why
            print(f"500 for {request.method} {request.target}: {error.message}", flush=True)
            reply = error_reply(error)
        self.reply(client, reply, delay=self.args.delay)

    def reply(self, client: Connection, data: bytes, delay: float) -> None:
        # Instead of time.sleep(delay), which would freeze every client, remember when to answer.
        self.selector.unregister(client.conn)
        client.state, client.outgoing, client.reply_at = "waiting", data, time.monotonic() + delay

    def on_writable(self, client: Connection) -> None:
        try:
            sent = client.conn.send(client.outgoing)   # may send only part: the rest waits for the next turn
        except ConnectionError:
            return self.close(client)
        client.outgoing = client.outgoing[sent:]
        if client.outgoing:
            return
        if client.refused:
            # Closing with unread bytes makes the kernel reset the connection, and the client may lose the
            # answer: read what it still sends, for a moment, then close.
            client.state, client.deadline = "draining", time.monotonic() + 1.0
            self.selector.modify(client.conn, selectors.EVENT_READ)
        else:
            self.close(client)

    def close(self, client: Connection) -> None:
        try:
            self.selector.unregister(client.conn)
        except (KeyError, ValueError):
            pass                                        # already unregistered while it waited
        self.clients.pop(client.conn, None)
        client.conn.close()

    def run_timers(self) -> float:
        """Start due replies and drop stalled clients; return how long select() may sleep."""
        now, next_wakeup = time.monotonic(), 0.5       # 0.5 s at most, so Ctrl+C works on Windows too
        for client in list(self.clients.values()):
            if client.state in ("reading", "draining") and now >= client.deadline:
                self.close(client)                      # sent half a request and stalled (or drained): drop it
            elif client.state in ("reading", "draining"):
                next_wakeup = min(next_wakeup, client.deadline - now)
            elif client.state == "waiting" and now >= client.reply_at:
                client.state = "writing"                # due: write whenever the socket can take bytes
                self.selector.register(client.conn, selectors.EVENT_WRITE)
            elif client.state == "waiting":
                next_wakeup = min(next_wakeup, client.reply_at - now)
        return max(next_wakeup, 0)

    def run(self, listener: socket.socket) -> None:
        listener.setblocking(False)
        self.selector.register(listener, selectors.EVENT_READ)
        while True:
            for key, events in self.selector.select(timeout=self.run_timers()):
                if key.fileobj is listener:
                    self.accept(listener)
                elif key.fileobj in self.clients:
                    client = self.clients[key.fileobj]
                    if events & selectors.EVENT_READ:
                        self.on_readable(client)
                    elif events & selectors.EVENT_WRITE:
                        self.on_writable(client)


def main(args, name="selectors_server", answer=answer_static) -> None:
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce(name, args)
        EventLoop(args, answer).run(listener)


if __name__ == "__main__":
    cli.run("selectors_server", main, cli.parse_args(__doc__.splitlines()[0]))
