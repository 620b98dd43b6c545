"""post_form: handle a form POST.

GET /contact shows a form (contact.html, beside this file). Press Send and the browser sends:

    POST /contact HTTP/1.1
    Content-Type: application/x-www-form-urlencoded
    Content-Length: 28

    name=Ada&message=Hello+there

The answer is a page that says "Thanks, Ada!". Two TODOs:

1. Read the whole body. TCP is a stream of bytes, not of messages: the body may arrive after the
   head, in several pieces, and one recv(1024) holds at most 1024 bytes. Content-Length says how
   many bytes to wait for.
2. Parse the form, answer 400 when there is no name, and thank the sender with their name
   HTML-escaped: whatever a user types must never become markup in your page.

Run it:    python exercises/intermediate/post_form/server.py --port 8002   (then open /contact)
Try it:    curl -i -d 'name=Ada&message=Hello+there' http://127.0.0.1:8002/contact
Check it:  pytest graders/intermediate/test_post_form.py
"""
import socket
from pathlib import Path


from reference import cli
from reference.core import static_site
from reference.blocking_server import connections
from reference.core.request_parser import MAX_HEAD, HTTPError, Request, parse_head
from reference.core.response import Response, html   # error_page(status, message): a small HTML page

HERE = Path(__file__).resolve().parent
THANKS = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Thanks</title><link rel="stylesheet" href="/styles.css"></head>
<body><main class="wrap">
  <h1>Thanks, {name}!</h1>
  <p>Your message is on its way. <a href="/">Back to the home page</a></p>
</main></body>
</html>
"""


def read_request(conn: socket.socket) -> Request:
    """Read one request: the head, up to the blank line, then the body."""
    data = b""
    while b"\r\n\r\n" not in data:         # the head ends at the first blank line
        if len(data) > MAX_HEAD:
            raise HTTPError(431, "request head is too large")   # endless headers must not eat our memory
        chunk = conn.recv(1024)
        if not chunk:
            raise ConnectionError("the client hung up in the middle of its request")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")   # body: whatever came along with the head
    request = parse_head(head)
    length = int(request.header("content-length", "0"))   # parse_head checked it is a number
    # TODO: more of the body may still be on its way: call conn.recv() until body holds `length` bytes.
    request.body = body
    return request


def thank(request: Request) -> Response:
    """The answer to the form."""
    # TODO: parse the urlencoded body (name=Ada&message=Hi), answer 400 without a name, and escape the name.
    name = "friend"
    return html(THANKS.format(name=name))


def respond(request: Request, root: Path) -> Response:
    if request.path == "/contact":
        if request.method == "POST":
            return thank(request)
        return html((HERE / "contact.html").read_text(encoding="utf-8"))
    return static_site.respond(request, root)     # everything else is the static site


def serve_client(conn: socket.socket, args) -> None:
    with conn:
        conn.settimeout(args.timeout)      # a client that never finishes must not hold us forever
        try:
            request = read_request(conn)
            reply = respond(request, args.static).encode(include_body=request.method != "HEAD")
        except HTTPError as error:
            reply = static_site.answer_error(error)
        except (TimeoutError, ConnectionError):
            return                         # stalled or gone: drop the connection
        try:
            conn.sendall(reply)
        except ConnectionError:
            pass                           # the client left before reading its answer


def main(args) -> None:
    with socket.create_server((cli.HOST, args.port)) as listener:
        cli.announce("post_form", args)
        for conn in connections(listener):   # accept() forever, one client at a time
            serve_client(conn, args)


if __name__ == "__main__":
    cli.run("post_form", main, cli.parse_args(__doc__.splitlines()[0]))
