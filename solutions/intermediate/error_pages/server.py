"""error_pages: errors a browser understands.

Every answer starts with a status line, and browsers, search engines and caches believe it, whatever
the page says. This server gets three things wrong. Make it:

1. answer an unknown path with the site's friendly page, static/404.html, and the status 404;
2. answer a method the site does not support (DELETE /about) with 405, plus an Allow header that
   says which methods it does support;
3. survive a bug: GET /boom runs a handler that raises (another exception for /boom?page=2 and for
   /boom?name=Ada: catch them all). That must become a 500 page, and the server must go on serving the
   next request (try it now: one visit to /boom stops this server for good).

HEAD / must get the headers of GET / and no body at all. That one is done for you: serve_client sends
your Response through reply_to() in reference/core/response.py, which drops the body for HEAD.

Run it:    python exercises/intermediate/error_pages/server.py --port 8002
Try it:    curl -i http://127.0.0.1:8002/nope      curl -i -X DELETE http://127.0.0.1:8002/about
           curl -i http://127.0.0.1:8002/boom      curl -I http://127.0.0.1:8002/
Check it:  python -m pytest graders/intermediate/test_error_pages.py
"""
import socket
import traceback
from pathlib import Path

from reference import cli
from reference.blocking_server import connections, serve_client
from reference.core import mime, static_files
from reference.core.response import Response, error_page, html  # error_page(status, message): a small HTML page


def boom(request) -> Response:
    """A handler with bugs in it, as every real app has somewhere. Which one bites depends on the query:
    /boom raises KeyError, /boom?page=2 ZeroDivisionError, /boom?name=Ada AttributeError."""
    settings = {"greeting": "Hello", "per_page": 0}
    if request.query.startswith("page="):
        return html(f"<p>{100 // settings['per_page']} pages</p>")            # nobody set per_page
    if request.query.startswith("name="):
        return html(f"<h1>{request.query[5:].capitalise()}</h1>")            # a typo: capitalize
    return html(f"<h1>{settings['greetting']}</h1>")                          # a typo: greeting


ROUTES = {"/boom": boom}


def respond(request, root: Path) -> Response:
    # This site only knows GET and HEAD. A 405 must say what is allowed instead, in an Allow header.
    if request.method not in ("GET", "HEAD"):
        page = error_page(405, f"{request.method} is not allowed here")
        page.headers.append(("Allow", "GET, HEAD"))
        return page
    handler = ROUTES.get(request.path)
    if handler is not None:
        return handler(request)
    file = static_files.resolve(request.path, root)
    if file is None:
        page = (root / "404.html").read_text(encoding="utf-8")
        # The friendly page is only the body: the status line is what says "not found".
        return html(page, status=404)
    return Response(200, [("Content-Type", mime.content_type(file))], file.read_bytes())


def answer(request, args) -> Response:
    # A bug in a handler must not stop the server: print it for you, answer 500 to the browser.
    try:
        response = respond(request, args.static)
    except Exception:
        traceback.print_exc()
        response = error_page(500, "something went wrong on our side")
    return response


def main(args) -> None:
    with socket.create_server((cli.HOST, args.port)) as listener:
        cli.announce("error_pages", args)
        for conn, _address in connections(listener):   # accept() forever, one client at a time
            serve_client(conn, args, answer)   # an exception that escapes from here ends the server


if __name__ == "__main__":
    cli.run("error_pages", main, cli.parse_args(__doc__.splitlines()[0]))
