"""One connection at a time: accept, read the request, answer, close.

This is the whole idea of a web server. Read it beside async_server.py: only the I/O lines differ,
because the protocol work lives in the sans-I/O core (request_parser, site).
"""
import socket
import time


from reference import cli
from reference.core import static_site
from reference.core.request_parser import HTTPError, RequestParser


def answer_static(request, args) -> bytes:
    time.sleep(args.delay)                 # a slow handler (a database, say): everyone else waits
    return static_site.answer(request, args.static)


def serve_client(conn: socket.socket, args, answer=answer_static) -> None:
    """Read one request from the socket and send one answer."""
    parser = RequestParser()
    with conn:
        conn.settimeout(args.timeout)      # a client that never finishes must not hold us forever
        try:
            request = None
            while request is None:
                data = conn.recv(4096)     # the seed did recv(1024) once: fine for curl, wrong in general
                if not data:
                    return                 # the client hung up before finishing its request
                request = parser.receive(data)
            reply = answer(request, args)
        except HTTPError as error:
            reply = static_site.answer_error(error)
        except (TimeoutError, ConnectionError):
            return                         # stalled or gone: drop the connection
        try:
            conn.sendall(reply)
        except ConnectionError:
            pass                           # the client left before reading its answer


def connections(listener: socket.socket):
    """Accept clients forever, one at a time."""
    listener.settimeout(0.5)               # wake up now and then, so Ctrl+C works on Windows too
    while True:
        try:
            conn, _address = listener.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        yield conn


def main(args) -> None:
    with socket.create_server((cli.HOST, args.port)) as listener:
        cli.announce("blocking_server", args)
        for conn in connections(listener):
            serve_client(conn, args)       # the next client waits until this one is done


if __name__ == "__main__":
    cli.run("blocking_server", main, cli.parse_args(__doc__.splitlines()[0]))
