"""One connection at a time: accept, read the request, answer, close.

This is the whole idea of a web server. Read it beside async_server.py: only the I/O lines differ,
because the protocol work lives in the sans-I/O core (reference/core/).
"""
import errno
import socket
import time

from reference import cli
from reference.core import static_site
from reference.core.request_parser import HTTPError, RequestParser, split_head
from reference.core.response import error_reply, reply_to


def answer_static(request, args):
    time.sleep(args.delay)                 # a slow handler (a database, say): everyone else waits
    return static_site.respond(request, args.static)


def read_request(conn: socket.socket, deadline: float):
    """Feed the parser until a whole request is in. None if the client hung up first."""
    parser = RequestParser()
    request = None
    while request is None:
        data = recv_before(conn, deadline)   # the seed did recv(1024) once: fine for curl, wrong in general
        if not data:
            return None
        request = parser.receive(data)
    return request


def serve_client(conn: socket.socket, args, answer=answer_static, read=read_request) -> None:
    """Read one request from the socket and send one answer."""
    # The whole request must arrive by the deadline, not each recv(): one byte a second must not hold us.
    deadline = time.monotonic() + args.timeout
    with conn:
        request = None
        try:
            request = read(conn, deadline)
            if request is None:
                return                     # the client hung up before finishing its request
            reply = reply_to(request, answer(request, args))
        except HTTPError as error:
            if error.status == 500:        # our answer was unsafe to send (a CR in a header): say why
                print(f"500 for {request.method} {request.target}: {error.message}", flush=True)
            reply = error_reply(error)
        except (TimeoutError, ConnectionError):
            return                         # stalled or gone: drop the connection
        try:
            conn.sendall(reply)
            if request is None:
                drain(conn)                # refused early: the rest of the request may still be coming
        except ConnectionError:
            pass                           # the client left before reading its answer


def drain(conn: socket.socket, seconds: float = 1.0) -> None:
    """Read and drop what the client still sends, for a moment. Closing with unread bytes makes the kernel
    reset the connection, and a client (Windows' above all) may then lose the answer it has not read yet."""
    give_up = time.monotonic() + seconds
    try:
        while (left := give_up - time.monotonic()) > 0:
            conn.settimeout(min(left, 0.2))
            if not conn.recv(65536):
                return                     # the client has finished and closed its side
    except OSError:
        pass                               # quiet for a while (TimeoutError), or gone


def read_head(conn: socket.socket, deadline: float) -> tuple[bytes, bytes] | None:
    """(the request's head, the bytes that came after its blank line), or None if the client hung up first.
    For servers that read the body their own way (a form, chunks, an upload): the head is read the same."""
    data, searched = bytearray(), 0
    while (parts := split_head(data, searched=searched)) is None:   # the head ends at the first blank line
        searched = len(data)               # no blank line so far: search only the bytes still to come
        chunk = recv_before(conn, deadline)
        if not chunk:
            return None
        data += chunk
    return parts


def recv_before(conn: socket.socket, deadline: float) -> bytes:
    """conn.recv(), or TimeoutError at the deadline. It waits in short slices so Ctrl+C works on Windows."""
    while (left := deadline - time.monotonic()) > 0:
        conn.settimeout(min(left, 0.5))
        try:
            return conn.recv(4096)
        except TimeoutError:
            continue
    raise TimeoutError("the request did not arrive in time")


def connections(listener: socket.socket):
    """Accept clients forever, one at a time: (conn, (host, port)) for each."""
    listener.settimeout(0.5)               # wake up now and then, so Ctrl+C works on Windows too
    while True:
        try:
            conn, address = listener.accept()
        except TimeoutError:
            continue
        except OSError as error:
            if error.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                raise
            time.sleep(0.1)                # out of file descriptors: wait for some to close, never die
            continue
        conn.settimeout(None)
        yield conn, address


def main(args) -> None:
    with socket.create_server((cli.HOST, args.port)) as listener:
        cli.announce("blocking_server", args)
        for conn, _address in connections(listener):
            serve_client(conn, args)       # the next client waits until this one is done


if __name__ == "__main__":
    cli.run("blocking_server", main, cli.parse_args(__doc__.splitlines()[0]))
