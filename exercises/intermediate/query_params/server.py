"""query_params: read the query string.

GET /search?q=caf%C3%A9+au+lait must answer, as text/plain; charset=utf-8:

    You searched for: café au lait

The browser sends the target just as it appears in the address bar, encoded. The part before the
first "?" picks the page; the part after it, the query string, is for that page to read. Two TODOs:

1. Split the target at the first "?" and route on the path alone, so /about?ref=x is still the
   about page.
2. Decode q: "+" is a space, %xx is one byte, and the bytes are UTF-8. A missing or empty q is the
   client's mistake: answer 400.

(The kit's parser already splits request.path from request.query. Here you do it by hand, from
request.target, to see there is no magic in it.)

Run it:    python exercises/intermediate/query_params/server.py --port 8002
Try it:    curl -i "http://127.0.0.1:8002/search?q=caf%C3%A9+au+lait"
Check it:  python -m pytest graders/intermediate/test_query_params.py
"""
import asyncio
from pathlib import Path
from urllib.parse import unquote

from reference import async_server, cli
from reference.core import mime, static_files, static_site
from reference.core.request_parser import origin_form
from reference.core.response import Response, text


def search(query: str) -> Response:
    """The /search page. `query` is what came after the "?", still encoded: "q=caf%C3%A9+au+lait"."""
    # TODO: decode the query and read q ("+" is a space, %xx are UTF-8 bytes). No q, or an empty one: 400.
    term = query
    return text(f"You searched for: {term}\n")


def respond(target: str, root: Path) -> Response:
    """Pick the page for a request target such as "/search?q=cats" or "/about"."""
    # TODO: split the target at the first "?": the path picks the page, the query is for the page.
    path, query = target, ""
    if path == "/search":
        return search(query)
    file = static_files.resolve(unquote(path), root)   # "/caf%C3%A9.html" is the file café.html
    if file is None:
        return static_site.not_found(root)
    return Response(200, [("Content-Type", mime.content_type(file))], file.read_bytes())


def answer(request, args) -> Response:
    # origin_form: a client may send "GET http://host/search?q=x HTTP/1.1"; the part to read is "/search?q=x".
    return respond(origin_form(request.target), args.static)


def main(args) -> None:
    asyncio.run(async_server.serve(args, "query_params", answer))


if __name__ == "__main__":
    cli.run("query_params", main, cli.parse_args(__doc__.splitlines()[0]))
