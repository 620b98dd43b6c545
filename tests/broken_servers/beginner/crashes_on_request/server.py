"""Starts fine, then dies on the first real request (an uncaught exception in a handler)."""
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
listener = socket.create_server(("127.0.0.1", parser.parse_args().port))
print("ready", flush=True)
while True:
    connection, _ = listener.accept()
    request = connection.recv(65536)
    if request:  # the grader's readiness probe sends nothing; a real request does
        method, path, version = request.split(b"\r\n")[0].split(b" ")
        raise ValueError(f"cannot handle {path!r} yet")
    connection.close()
