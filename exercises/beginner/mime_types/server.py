"""Challenge: serve every file with its real type.

A browser trusts the Content-Type header, not the file name. This server only knows a few types,
so the GIF, the icon, the WebP picture, the notes, the JSON data and the font in static/files/
all go out as application/octet-stream ("some bytes"), and the browser offers to download them.
Teach it the registered type of each, and send every file's bytes exactly as they are on disk.
A file whose extension nobody registered, like static/files/mystery.unknown (served at
/files/mystery.unknown), stays application/octet-stream.

Run it:    python exercises/beginner/mime_types/server.py --port 8002
Try it:    curl -I http://127.0.0.1:8002/files/sample.gif
Check it:  python -m pytest graders/beginner/test_mime_types.py
"""
from pathlib import Path

from reference import cli, threaded_server
from reference.core import static_files, static_site
from reference.core.response import Response

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    # TODO: add .gif, .ico, .webp, .txt, .json and .woff2 with their registered types.
}
DEFAULT_TYPE = "application/octet-stream"   # "some bytes": the browser offers to download them


def content_type(path: Path) -> str:
    return MIME_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)


def answer(request, args) -> Response:
    """The response to one request."""
    # /about -> static/about.html, safely: resolve() refuses paths that climb out of the folder.
    file = static_files.resolve(request.path, args.static)
    if file is None or request.method not in ("GET", "HEAD"):
        return static_site.respond(request, args.static)   # the 404 and 405 pages, as before
    # read_bytes(), not read_text(): a GIF is not text, and the browser wants it byte for byte.
    return Response(200, [("Content-Type", content_type(file))], file.read_bytes())


def main(args) -> None:
    # The socket work is threaded_server's: it reads each request and sends back the response answer() returns.
    threaded_server.main(args, "mime_types", answer)


if __name__ == "__main__":
    cli.run("mime_types", main, cli.parse_args(__doc__.splitlines()[0]))
