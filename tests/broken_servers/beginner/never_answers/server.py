"""Accepts connections and reads, but never answers."""
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
listener = socket.create_server(("127.0.0.1", parser.parse_args().port))
print("waiting for connections", flush=True)
held = []
while True:
    connection, _ = listener.accept()
    held.append(connection)  # keep it open, say nothing
