"""Challenge: hello_socket, the talk's netcat one-liner in Python.

HTTP is just text over a socket. A browser connects, writes a few lines of text and a blank line, then
waits. A server reads those lines and writes a few lines back: a status line, some headers, a blank line,
and the page. Five socket calls are all it takes:

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                                        # 1. socket(): a TCP socket, IPv4, a stream of bytes
    listener.bind((HOST, port))         # 2. bind(): claim the address, 127.0.0.1 and your port
    listener.listen()                   # 3. listen(): open the door; the kernel queues new clients
    conn, address = listener.accept()   # 4. accept(): wait for the next client; conn talks to it alone
    data = conn.recv(4096)              # 5. recv() reads what has arrived so far (b"" once the client
    conn.sendall(answer)                #    has hung up), sendall() writes every byte of the answer,
    conn.close()                        #    close() hangs up

Then back to accept() for the next client: a server runs until you press Ctrl+C.

What the netcat one-liner gets away with, and your server must not:
- recv() returns whatever has arrived, which may be half a request. Keep reading until the data holds
  the blank line, b"\r\n\r\n", that ends the request's head.
- Every line of the answer ends with \r\n, and Content-Length counts the body's bytes, not its
  characters: PAGE has a non-ASCII character on purpose.
- A client may connect and leave without a word. That is its problem, not your server's.

Run it:    python exercises/foundations/hello_socket/server.py --port 8002
Try it:    curl -i http://127.0.0.1:8002/      (or open it in a browser)
Check it:  python -m pytest graders/foundations/test_hello_socket.py
"""
import argparse
import os
import socket

HOST = "127.0.0.1"      # loopback only: a teaching server should not be reachable from the café's Wi-Fi
MAX_HEAD = 16 * 1024    # a browser's head is under 2 KB: stop reading well before memory runs out
TIMEOUT = float(os.environ.get("CLIENT_TIMEOUT", "10"))   # seconds a silent client may hold us (graders: 1)
PAGE = "<!doctype html>\n<title>Hello</title>\n<h1>Hello from a bare socket ✨</h1>\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="hello_socket: the same page for every request")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8002)),
                        help="port to listen on (default 8002, or $PORT)")
    return parser.parse_args()


def read_head(conn: socket.socket) -> bytes:
    """Read until the blank line that ends the request's head, or b"" if the client left first.

    TCP is a stream, not a series of messages: the head may come in one piece or in ten."""
    head = b""
    while b"\r\n\r\n" not in head and len(head) <= MAX_HEAD:
        chunk = conn.recv(4096)
        if not chunk:
            return b""                                  # the client hung up before finishing
        head += chunk
    return head


def response(status: str, content_type: str, body: bytes) -> bytes:
    """HTTP is just text over a socket: a status line, headers, a blank line, then the body."""
    head = (f"HTTP/1.1 {status}\r\n"                    # every line ends with \r\n
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"          # bytes, not characters: "✨" is three bytes
            "Connection: close\r\n"                     # we hang up after the answer
            "\r\n")                                     # the blank line: the head is over
    return head.encode("latin-1") + body


def serve_client(conn: socket.socket) -> None:
    """One client: read its request, send the page, hang up."""
    conn.settimeout(TIMEOUT)                            # a silent client must not hold the server forever
    try:
        head = read_head(conn)
        if head:                                        # b"": the client left without a word
            conn.sendall(response("200 OK", "text/html; charset=utf-8", PAGE.encode("utf-8")))
    except OSError:                                     # timed out, or reset by the client: its problem
        pass
    finally:
        conn.close()


def main() -> None:
    args = parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)               # 1. socket()
    if os.name != "nt":     # take the port at once after a restart (on Windows it means something else)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, args.port))                                            # 2. bind()
    listener.listen()                                                           # 3. listen()
    listener.settimeout(0.5)                # wake up twice a second, so Ctrl+C works on Windows too
    print(f"Listening on http://{HOST}:{args.port}/  (Ctrl+C to stop)", flush=True)
    while True:                             # one client at a time; the next one waits in the queue
        try:
            conn, _address = listener.accept()                                  # 4. accept()
        except TimeoutError:
            continue
        serve_client(conn)                                                      # 5. recv, sendall, close


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\nBye!")
