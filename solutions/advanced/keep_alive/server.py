"""keep_alive: serve several requests on one connection.

Opening a TCP connection costs a round trip before the first byte of a request can go out. A page
with a stylesheet, a script and five images would pay it eight times, so HTTP/1.1 keeps connections
open by default: after reading an answer, the client sends its next request on the same socket. It
may even send several requests in one go ("pipelining") and read the answers in order. Content-Length
is how it knows where one answer ends and the next one begins.

This server still closes the connection after every answer. Make it:

1. go back for the next request after answering, on the same connection;
2. look in the parser's buffer first: the bytes after one request may already hold the next;
3. close when it should: when the client sends "Connection: close", for HTTP/1.0 unless the client
   asked for keep-alive, and after IDLE_TIMEOUT seconds of silence, so quiet clients do not hold a
   thread forever.

Run it:    python exercises/advanced/keep_alive/server.py --port 8002
Try it:    curl -v http://127.0.0.1:8002/ http://127.0.0.1:8002/about   ("Re-using existing connection")
Check it:  python -m pytest graders/advanced/test_keep_alive.py
"""
import socket
import threading
import time

from reference import cli
from reference.blocking_server import connections, recv_before
from reference.core import static_site
from reference.core.request_parser import HTTPError, RequestParser
from reference.core.response import error_reply, reply_to

IDLE_TIMEOUT = 2.0   # seconds a quiet connection may stay open (real servers wait 5 to 75)


def wants_keep_alive(request) -> bool:
    """Should the connection stay open after we answer this request?"""
    # "Connection" holds a list of options, such as "keep-alive" or "close" (case does not matter).
    options = {option.strip().lower() for option in request.header("connection", "").split(",")}
    if request.version == "HTTP/1.0":
        return "keep-alive" in options   # HTTP/1.0 closes by default: keep-alive came later, as an opt-in
    return "close" not in options        # HTTP/1.1 keeps the connection open unless told otherwise


def serve_client(conn: socket.socket, args) -> None:
    """Answer the requests that arrive on one connection, until it is time to close it."""
    parser = RequestParser()             # one parser per connection: it keeps the bytes left over
    with conn:
        while True:
            # A kept-alive client may go quiet: its next request must be in within IDLE_TIMEOUT seconds.
            deadline = time.monotonic() + IDLE_TIMEOUT
            try:
                # The last recv() may have brought more than one request (pipelining): the next
                # one may be complete in the parser's buffer already, where recv() would not see it.
                request = parser.next_request()
                while request is None:
                    data = recv_before(conn, deadline)   # conn.recv(), giving up at the deadline
                    if not data:
                        return           # the client closed its side: we are done
                    request = parser.receive(data)
                keep_alive = wants_keep_alive(request)
                response = static_site.respond(request, args.static)
                reply = reply_to(request, response, keep_alive=keep_alive)
            except HTTPError as error:
                keep_alive = False       # after a broken request we cannot tell where the next one starts
                reply = error_reply(error)
            except (TimeoutError, ConnectionError):
                return                   # quiet for too long, or gone: close
            try:
                conn.sendall(reply)
            except ConnectionError:
                return                   # the client left before reading its answer
            # Go round again for the next request, unless this connection should close now.
            if not keep_alive:
                return


def main(args) -> None:
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce("keep_alive", args)
        for conn, _address in connections(listener):   # accept() forever, one client at a time
            # A thread per connection: a kept-alive client holds its thread while it is connected.
            threading.Thread(target=serve_client, args=(conn, args), daemon=True).start()


if __name__ == "__main__":
    cli.run("keep_alive", main, cli.parse_args(__doc__.splitlines()[0]))
