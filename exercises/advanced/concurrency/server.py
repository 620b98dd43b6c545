"""concurrency: serve many clients at once.

This server is blocking: it accepts one connection, answers it, and only then accepts the next.
GET /slow takes one second (think of a slow database query), so five visitors who ask for it at the
same moment wait one, two, three, four and five seconds, and whoever wants the quick GET /fast waits
behind all of them.

Make the accept loop hand each connection over and go straight back to accept(), so that five /slow
requests finish together in about one second and /fast answers at once. A thread per connection is
one line; asyncio works too (then the slow route must `await asyncio.sleep`, not `time.sleep`).

Run it:    python exercises/advanced/concurrency/server.py --port 8002
Try it:    open http://127.0.0.1:8002/slow in three browser tabs at once: do they wait in turn?
Check it:  python -m pytest graders/advanced/test_concurrency.py
"""
import socket
import time

from reference import cli
from reference.blocking_server import connections, serve_client
from reference.core import static_site
from reference.core.response import Response, text

SLOW_SECONDS = 1.0


def answer(request, args) -> Response:
    """The response to one request."""
    if request.path == "/slow":
        time.sleep(SLOW_SECONDS)         # a slow database query: this client has to wait, nobody else should
        return text("Sorry for the wait.\n")
    if request.path == "/fast":
        return text("Quick!\n")
    return static_site.respond(request, args.static)


def main(args) -> None:
    # backlog: how many connections the kernel may hold, handshake done, until we accept() them.
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce("concurrency", args)
        for conn, _address in connections(listener):   # accept() forever, one client at a time
            # TODO: serve the connection without making everyone else wait, and come straight back
            #       to accept(): a thread per connection does it.
            serve_client(conn, args, answer)


if __name__ == "__main__":
    cli.run("concurrency", main, cli.parse_args(__doc__.splitlines()[0]))
