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

HOST = "127.0.0.1"      # loopback only: a teaching server should not be reachable from the café's Wi-Fi
MAX_HEAD = 16 * 1024    # a browser's head is under 2 KB: stop reading well before memory runs out
TIMEOUT = float(os.environ.get("CLIENT_TIMEOUT", "10"))   # seconds a silent client may hold us (graders: 1)
PAGE = "<!doctype html>\n<title>Hello</title>\n<h1>Hello from a bare socket ✨</h1>\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="hello_socket: the same page for every request")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8002)),
                        help="port to listen on (default 8002, or $PORT)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    # TODO: 1-3. make a TCP socket (socket.AF_INET, socket.SOCK_STREAM), bind() it to (HOST, args.port)
    #       and listen().
    # TODO: 4. forever (while True:), accept() the next client. Its socket, conn, is where you talk to it.
    # TODO: 5. recv() from conn until the data holds b"\r\n\r\n" (b"" means the client left), then
    #       sendall() the answer and close() conn. The answer: "HTTP/1.1 200 OK", then the headers
    #       "Content-Type: text/html; charset=utf-8" and "Content-Length: <the body's bytes>", each line
    #       ending with \r\n, then an empty line (\r\n), then the body: PAGE encoded as UTF-8.
    # TODO: one client's trouble (a timeout, a reset) must not stop the server: give conn a timeout
    #       (conn.settimeout(TIMEOUT)) and catch OSError around the talking.
    print(f"hello_socket: no server here yet, so nothing listens on port {args.port}.\n"
          "Write it in main() of exercises/foundations/hello_socket/server.py: socket(), bind(), listen(),\n"
          "then a loop that accept()s each client, recv()s its request up to the blank line, sendall()s\n"
          "the page and close()s. The docstring at the top of that file shows each call.")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\nBye!")
