"""gzip: compress responses.

Text compresses well: gzip shrinks an HTML page or a stylesheet to a third of its size or less. A
client lists the codings it can decode in Accept-Encoding ("gzip, deflate, br"). When gzip is among
them, the server may send the body compressed, and says so with "Content-Encoding: gzip".
Content-Length then counts the compressed bytes, because that is what travels on the wire.

One more header: "Vary: Accept-Encoding" tells caches that the answer depends on that request
header. Otherwise a cache could hand a gzipped page to a client that cannot read it.

Run it:    python exercises/advanced/gzip/server.py --port 8002
Try it:    curl -sI -H "Accept-Encoding: gzip" http://127.0.0.1:8002/styles.css
           curl --compressed http://127.0.0.1:8002/styles.css
Check it:  python -m pytest graders/advanced/test_gzip.py
"""
import asyncio
import gzip

from reference import async_server, cli
from reference.core import static_site
from reference.core.response import Response

# Images, fonts and archives are compressed already: gzip would burn CPU for nothing. Text is worth it.
IN_A_THREAD = 256 * 1024          # bytes: a body this big takes gzip milliseconds, long enough to stall the loop
COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/xml", "image/svg+xml")


def accepts_gzip(accept_encoding: str) -> bool:
    """Does an Accept-Encoding header allow gzip?

    "gzip" and "gzip, deflate, br" do; so does "br;q=1.0, gzip;q=0.8". The q value is a weight from
    0 to 1 (no q means 1), and q=0 means "not this one": "gzip;q=0" and "" do not allow gzip.
    """
    # Split the header at commas. Each item is a coding, maybe followed by ";q=<weight>".
    for item in accept_encoding.split(","):              # "br;q=1.0, gzip;q=0.8"
        coding, *parameters = [part.strip().lower() for part in item.split(";")]
        if coding != "gzip":
            continue
        weight = 1.0                                     # no q: fully welcome
        for parameter in parameters:
            if parameter.startswith("q="):
                try:
                    weight = float(parameter[2:])
                except ValueError:
                    weight = 0.0                         # a garbled weight: better not
        return weight > 0                                # gzip is allowed when its weight is above 0
    return False


def compress(request, response: Response) -> Response:
    """Gzip the body of a text response, when the client can decode it."""
    content_type = next((value for name, value in response.headers if name.lower() == "content-type"), "")
    if not content_type.startswith(COMPRESSIBLE):
        return response
    # From here on, the answer depends on Accept-Encoding: tell caches with a Vary header.
    response.headers.append(("Vary", "Accept-Encoding"))
    if not accepts_gzip(request.header("accept-encoding", "")):
        return response
    # Replace the body with its compressed bytes, and label it, so the client knows to gunzip it.
    response.body = gzip.compress(response.body)
    response.headers.append(("Content-Encoding", "gzip"))
    return response


async def answer(request, args) -> Response:
    # encode() counts Content-Length from the body it is given: after compress(), the compressed bytes.
    response = static_site.respond(request, args.static)
    if len(response.body) < IN_A_THREAD:
        return compress(request, response)
    # gzip takes seconds over megabytes, and this one thread serves every client: compress a big body in a
    # thread of its own, so that the others are served meanwhile.
    return await asyncio.to_thread(compress, request, response)


def main(args) -> None:
    asyncio.run(async_server.serve(args, "gzip", answer))


if __name__ == "__main__":
    cli.run("gzip", main, cli.parse_args(__doc__.splitlines()[0]))
