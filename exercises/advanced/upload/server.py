r"""upload: receive files from a browser form, safely.

A form with enctype="multipart/form-data" sends each of its fields as one "part" of the body. The parts
sit between delimiters made of a boundary the browser picked and announced in Content-Type:

    POST /upload HTTP/1.1
    Content-Type: multipart/form-data; boundary=----xyz
    Content-Length: 181

    ------xyz\r\n
    Content-Disposition: form-data; name="file"; filename="cat.png"\r\n
    Content-Type: image/png\r\n
    \r\n
    <the file's bytes: any bytes at all>\r\n
    ------xyz--\r\n

The cgi module that parsed this is gone (Python 3.13); this server parses it itself. What makes that right:
- a file is bytes, not text: decoding a photo ruins it;
- only CRLF, "--" and the boundary end a part: a file may hold CRLFs, and lines that look like the boundary;
- the client's filename is a suggestion: "../../.bashrc" must not land outside the uploads folder, and a
  second "cat.png" must not overwrite the first;
- a body larger than --max-upload is refused (413) before it is read: never keep a stranger's gigabytes.

What to build (each place is marked TODO below): boundary_of, split_parts, safe_name, store, and the size
check in read_request.

Run it:    python exercises/advanced/upload/server.py --port 8002 [--uploads DIR] [--max-upload BYTES]
Try it:    open http://127.0.0.1:8002/upload in a browser, or
           curl -i -F "file=@static/images/logo.png" http://127.0.0.1:8002/upload
Check it:  python -m pytest graders/advanced/test_upload.py
"""
import hashlib
import json
import re
import socket
import sys
import threading
import time
from pathlib import Path

from reference import cli
from reference.blocking_server import connections, read_head, recv_before
from reference.core import mime, static_files, static_site
from reference.core.request_parser import HTTPError, Request, content_length, parse_head
from reference.core.response import Response, error_page, error_reply, html, not_allowed, reply_to

MAX_UPLOAD = 10 * 1024 * 1024        # 10 MB, the default of --max-upload
MAX_PARTS = 1000                     # parts in one request: a 290 KB body can hold 2,000 tiny files
UNSAFE = re.compile(r"[^A-Za-z0-9._ -]")          # anything else in a name becomes "_" (NUL, ":", "%" ...)
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
ALLOWED = ("GET", "HEAD", "POST")
SHOWN_AS_IS = {"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain; charset=utf-8"}

FORM = """<!doctype html>
<title>Upload</title>
<link rel="stylesheet" href="/styles.css">
<h1>Upload files</h1>
<form method="post" action="/upload" enctype="multipart/form-data">
  <input type="file" name="file" multiple>
  <button>Upload</button>
</form>
"""


def boundary_of(content_type: str) -> bytes:
    """The boundary in 'multipart/form-data; boundary=----xyz' (maybe in quotes). HTTPError(400) without one."""
    kind = content_type.split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise HTTPError(415, "send the files as multipart/form-data")
    # TODO: find the boundary parameter (boundary=----xyz, maybe in double quotes, 1 to 70 characters) and
    #       return it as bytes. Without one, nobody can tell where the parts end: HTTPError(400).
    raise HTTPError(400, "multipart/form-data without a boundary: where would the parts end?")


def split_parts(body: bytes, boundary: bytes) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a multipart body, each as (its headers, lower-cased names; its content, exact bytes).

    Only CRLF + "--" + boundary ends a part, so a CRLF or a boundary-like line inside a file stays in it.
    The body starts with "--" + boundary, without the CRLF: adding one makes every delimiter look the same.
    """
    # TODO: delimiter = b"\r\n--" + boundary; look for it with data.find(), never line by line. After each
    #       delimiter: "--" means the end; otherwise skip the rest of that line (its CRLF), find the next
    #       delimiter (none: HTTPError(400), the body was cut), and split what lies between at the blank line
    #       (b"\r\n\r\n") into the part's headers (part_headers()) and its content, kept as bytes.
    return []


def part_headers(head: bytes) -> dict[str, str]:
    headers = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):   # browsers send file names in UTF-8
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers


def disposition_parameters(value: str) -> dict[str, str]:
    """'form-data; name="file"; filename="a b.txt"' -> {'name': 'file', 'filename': 'a b.txt'}.

    Browsers write a quote inside a name as %22, so a quoted value runs to the next quote."""
    found = re.findall(r';\s*([\w*-]+)\s*=\s*(?:"([^"]*)"|([^;]*))', value)
    return {key.lower(): quoted if quoted or not bare else bare.strip() for key, quoted, bare in found}


def safe_name(filename: str) -> str:
    """A name that can only mean a file directly inside the uploads folder, whatever the client sent."""
    # TODO: keep only the last piece after any "/" or "\\" (and after a ":", a Windows drive); turn every
    #       character UNSAFE matches into "_"; strip leading and trailing dots and spaces (".." and ".bashrc");
    #       prefix "_" to a Windows device name (WINDOWS_DEVICES); and never return an empty name.
    return filename


def store(folder: Path, name: str, content: bytes) -> Path:
    """Write a new file and return it: never overwrite. 'cat.png', or 'cat-3f9a1c2b.png' if that is taken."""
    # TODO: never overwrite an earlier upload: open(path, "xb") raises FileExistsError when the file exists;
    #       then pick another name in one step, f"{stem}-{secrets.token_hex(4)}{suffix}" (Path(name).stem and
    #       .suffix), and try again. Counting cat-1, cat-2... would try every earlier name first, each time.
    path = folder / name
    path.write_bytes(content)
    return path


def receive_upload(request, args) -> Response:
    boundary = boundary_of(request.header("content-type", ""))
    files = []
    parts = split_parts(request.body, boundary)
    if len(parts) > MAX_PARTS:                         # each file costs a file on disk: refuse before any
        raise HTTPError(413, f"this server takes up to {MAX_PARTS} parts in one upload")
    for headers, content in parts:
        filename = disposition_parameters(headers.get("content-disposition", "")).get("filename")
        if not filename:
            continue                                   # a plain form field, or a file input left empty
        path = store(args.uploads, safe_name(filename), content)
        files.append({"name": path.name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
                      "type": headers.get("content-type", "application/octet-stream")})
    return Response(201, [("Content-Type", "application/json")], json.dumps({"files": files}).encode())


def serve_upload(request, args) -> Response:
    """GET /uploads/<name>: the stored bytes, never run as a page of this site (an upload may be HTML)."""
    file = static_files.resolve(request.path.removeprefix("/uploads"), args.uploads)
    if file is None:
        return error_page(404, "no such upload")
    kind = mime.content_type(file)
    headers = [("Content-Type", kind if kind in SHOWN_AS_IS else "application/octet-stream"),
               ("X-Content-Type-Options", "nosniff")]
    return Response(200, headers, file.read_bytes())


def answer(request, args) -> Response:
    if request.path == "/upload":
        if request.method == "POST":
            return receive_upload(request, args)
        if request.method in ("GET", "HEAD"):
            return html(FORM)
        return not_allowed(request.method, request.path, ALLOWED)
    if request.path.startswith("/uploads/") and request.method in ("GET", "HEAD"):
        return serve_upload(request, args)
    return static_site.respond(request, args.static)


def read_request(conn: socket.socket, deadline: float, limit: int) -> Request | None:
    """One request, its body read by Content-Length, at most `limit` bytes of it. None if the client left."""
    parts = read_head(conn, deadline)         # up to the blank line, as the kit's servers read it
    if parts is None:
        return None
    head, start = parts
    request = parse_head(head, max_body=sys.maxsize)   # the size limit is this server's, checked here
    if request.method == "POST" and "content-length" not in request.headers:
        raise HTTPError(411, "an upload needs a Content-Length")
    length = content_length(request.headers, sys.maxsize)
    # TODO: a body over `limit` bytes gets 413 (HTTPError) before it is read: it may be gigabytes, and the
    #       loop below would hold them all in memory.
    body = bytearray(start)
    while len(body) < length:
        received = recv_before(conn, deadline)
        if not received:
            raise HTTPError(400, f"the body ended after {len(body)} of its {length} bytes")
        body += received
    request.body = bytes(body[:length])
    return request


def close_gently(conn: socket.socket, seconds: float = 2.0) -> None:
    """After a refusal, the client may still be sending its body. Closing a socket with unread bytes resets
    the connection, and the reset can wipe our answer before the client reads it: so stop writing, then
    read and drop what still comes, for a moment, keeping none of it."""
    try:
        conn.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + seconds
        while recv_before(conn, deadline):
            pass
    except OSError:                                    # TimeoutError included: enough waiting
        pass


def serve_client(conn: socket.socket, args) -> None:
    deadline = time.monotonic() + args.timeout
    with conn:
        try:
            request = read_request(conn, deadline, args.max_upload)
            if request is None:
                return
            reply, refused = reply_to(request, answer(request, args)), False
        except HTTPError as error:
            reply, refused = error_reply(error), True
        except (TimeoutError, ConnectionError):
            return
        try:
            conn.sendall(reply)
        except ConnectionError:
            return
        if refused:
            close_gently(conn)


def main(args) -> None:
    args.uploads.mkdir(parents=True, exist_ok=True)
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce("upload", args)
        for conn, _address in connections(listener):
            threading.Thread(target=serve_client, args=(conn, args), daemon=True).start()


if __name__ == "__main__":
    cli.run("upload", main, cli.parse_args(
        __doc__.splitlines()[0],
        uploads={"type": Path, "default": Path("uploads"), "help": "folder for uploaded files (default ./uploads)"},
        **{"max-upload": {"type": int, "default": MAX_UPLOAD, "help": "largest body taken, in bytes (10 MB)"}}))
