"""Challenge: add a contact page.

To a static server, a URL is a file name: GET /about is static/about.html. This server looks in
its own pages/ folder first (the home page you see at / is pages/index.html), then in static/.
Add a page without writing any Python:

- GET /contact and GET /contact.html answer a new HTML page, pages/contact.html. Its <title>
  contains "Contact", and it links the site's stylesheet, /styles.css, so it looks like the rest.
- The home page links to it, so visitors can find it.

Run it:    python exercises/beginner/new_page/server.py --port 8002
Try it:    open http://127.0.0.1:8002/ and click your new link
Check it:  python -m pytest graders/beginner/test_new_page.py
"""
from pathlib import Path

from reference import cli, threaded_server
from reference.core import static_files, static_site

PAGES = Path(__file__).resolve().parent / "pages"   # this challenge's own pages, looked up before static/


def answer(request, args):
    """The response to one request."""
    # TODO: create pages/contact.html, then link it from the home page, pages/index.html.
    #       No Python to change: resolve() already maps /contact and /contact.html to that file.
    if static_files.resolve(request.path, PAGES) is not None:
        return static_site.respond(request, PAGES)       # / -> pages/index.html, /contact -> pages/contact.html
    return static_site.respond(request, args.static)     # everything else: a file from static/, or the 404 page


def main(args) -> None:
    # The socket work is threaded_server's: it reads each request and sends back the response answer() returns.
    threaded_server.main(args, "new_page", answer)


if __name__ == "__main__":
    cli.run("new_page", main, cli.parse_args(__doc__.splitlines()[0]))
