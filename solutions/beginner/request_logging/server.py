"""Challenge: log every request.

Real servers write one line per request, so you can see who asked for what and how it went.
Make this server print one line in Common Log Format for each request it answers:

    127.0.0.1 - - [21/Nov/2026:15:09:00 +0000] "GET /about HTTP/1.1" 200 6821

That is: the client's address, two dashes (identity and user, which we do not know), the time in
UTC, the request line as it was sent, the status sent back, and the size of the body in bytes.
A 404 is logged too, with its real status and size.

Run it:    python exercises/beginner/request_logging/server.py --port 8002
Try it:    curl http://127.0.0.1:8002/about    and watch the server's terminal
Check it:  python -m pytest graders/beginner/test_request_logging.py
"""
import socket
import threading
import time
from functools import partial

from reference import cli
from reference.blocking_server import connections, serve_client
from reference.core import static_site


def answer(request, args, client: str):
    """The response to one request from `client` (its IP address)."""
    response = static_site.respond(request, args.static)   # a Response: .status, .headers and .body (bytes)
    send_body = request.method != "HEAD"             # HEAD asks for the headers only
    # Common Log Format, as Apache and nginx write it: who, -, -, [when], "what was asked", status, size.
    when = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    request_line = f"{request.method} {request.target} {request.version}"
    size = len(response.body) if send_body else 0
    # flush=True: when stdout is a pipe or a file, Python keeps lines in a buffer and nobody sees them.
    print(f'{client} - - [{when}] "{request_line}" {response.status} {size}', flush=True)
    return response                        # serve_client sends it (headers only, for HEAD)


def main(args) -> None:
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce("request_logging", args)
        for conn, (client, _port) in connections(listener):   # accept() also tells us who is calling
            # serve_client calls answer(request, args); partial() fills in answer()'s client for it.
            handler = partial(answer, client=client)
            threading.Thread(target=serve_client, args=(conn, args, handler), daemon=True).start()


if __name__ == "__main__":
    cli.run("request_logging", main, cli.parse_args(__doc__.splitlines()[0]))
