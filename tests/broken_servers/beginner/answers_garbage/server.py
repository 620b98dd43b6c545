"""Answers every connection with text that is not HTTP."""
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
listener = socket.create_server(("127.0.0.1", parser.parse_args().port))
while True:
    connection, _ = listener.accept()
    with connection:
        connection.recv(65536)
        connection.sendall(b"hello there, this is not HTTP\n")
