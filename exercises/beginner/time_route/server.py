"""Challenge: your first dynamic route.

Every page of the site is a file in static/. Make GET /time different: a *dynamic* route, whose
body is built when the request arrives. It answers an HTML page showing the current UTC time in
ISO 8601, like 2026-11-21T15:09:00+00:00, so every request can get a different page.

Run it:    python exercises/beginner/time_route/server.py --port 8002
Try it:    curl -i http://127.0.0.1:8002/time   (twice, a second apart)
Check it:  python -m pytest graders/beginner/test_time_route.py
"""

from reference import cli, threaded_server
from reference.core import static_site


def answer(request, args):
    """The response to one request."""
    # TODO: if request.path is "/time", build an HTML page with html(...) showing
    #       datetime.now(timezone.utc).isoformat(timespec="seconds"), and return it (html() builds a Response).
    return static_site.respond(request, args.static)   # everything else: a file from static/, or the 404 page


def main(args) -> None:
    # The socket work is threaded_server's: it reads each request and sends back the response answer() returns.
    threaded_server.main(args, "time_route", answer)


if __name__ == "__main__":
    cli.run("time_route", main, cli.parse_args(__doc__.splitlines()[0]))
