"""Answers with bare \n line endings (h11 reads them), a body of text, and a PNG read in text mode at /logo.png."""
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
listener = socket.create_server(("127.0.0.1", parser.parse_args().port))
PNG_IN_TEXT_MODE = bytes(range(256)).decode("utf-8", "replace").encode("utf-8") * 4   # what open(..., "r") does
while True:
    connection, _ = listener.accept()
    with connection:
        request = connection.recv(65536)
        body = PNG_IN_TEXT_MODE if b"/logo.png" in request else b"the body, once\n"
        kind = b"image/png" if b"/logo.png" in request else b"text/plain"
        connection.sendall(b"HTTP/1.1 404 Not Found\nContent-Type: " + kind + b"\nContent-Length: "
                           + str(len(body)).encode() + b"\n\n" + body)
