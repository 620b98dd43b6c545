"""A thread per connection: the blocking server, plus one line.

serve_client is imported unchanged from blocking_server. Each client gets its own thread, so a slow
one no longer blocks the rest, at the cost of one thread (and its memory) per open connection.
"""
import socket
import threading

from reference import cli
from reference.blocking_server import answer_static, connections, serve_client


def main(args, name="threaded_server", answer=answer_static) -> None:
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce(name, args)
        for conn, _address in connections(listener):
            # The one new line. daemon=True: Ctrl+C stops the server without waiting for every client.
            threading.Thread(target=serve_client, args=(conn, args, answer), daemon=True).start()


if __name__ == "__main__":
    cli.run("threaded_server", main, cli.parse_args(__doc__.splitlines()[0]))
