"""upload: multipart/form-data parsed by hand, files stored under safe, unique names, and a size limit.

The server is started with --uploads DIR, a folder deep inside a temporary folder, so the grader can look
at what was written and where (a file that escapes DIR lands in the temporary folder too, where the grader
finds it and removes it). The grader builds each multipart body itself, with a random boundary. The checks:
- GET /upload is an HTML form: method post, enctype multipart/form-data, a file input;
- a file holding all 256 byte values is stored byte for byte: the JSON entry's size and sha256, the file in
  DIR and GET /uploads/<name> all agree with what was sent;
- a file holding CRLFs, a blank line, a CRLF at its very end, and lines that look like the boundary (after a
  bare LF, inside a line, a boundary cut short) is stored whole;
- several files, with plain form fields between them, give 201 and one entry per file, in order;
- an upload sent in pieces cut anywhere (in the head, inside a delimiter, in the file) is read whole;
- client file names that climb out ("../", "..\\"), absolute paths, drive paths ("C:\\", "C:"), folders and
  a NUL byte are stored directly in DIR under a name with none of those, and nothing appears outside DIR;
- a safe client name is kept (its last piece: no folders, no drive), a Windows device name (CON, nul.txt) gets
  another, and a 300-character name is stored under one of 255 bytes at most;
- the same file name uploaded twice keeps both files, under two names, each with its own bytes; so do eight
  uploads of one name sent at the same moment (a name checked with exists() and then written is taken by all);
- with --max-upload N: a body of exactly N bytes is taken; N + 1 bytes give 413 and store nothing; a
  Content-Length far above N gives 413 at once, before the body has been sent (a server that reads the
  whole body first never answers, since the rest never comes);
- with the default limit (10 MB): 3 MB is taken, and a Content-Length of 11 MB gives 413;
- a body cut short (the client stops sending and says so), a body whose closing boundary is missing, and
  multipart/form-data without a boundary each give 400;
- a preamble before the first boundary is skipped (RFC 2046); a body where the boundary is nowhere, where
  every line that starts with it goes on with other characters, or whose part headers never end gives 400.
The Content-Type comes in the shapes clients send: the boundary quoted (as .NET sends it, with characters only
a quoted boundary may hold) or not, the parameter's name in any case, other parameters before or after it.
"""
import hashlib
import os
import random
import select
import socket
import string
import threading
import time
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT
from graders.harness import Exchange, GraderFailure, LocalServer, expect, fail, fetch, open_raw, send_raw, with_advice

SMALL_LIMIT = 50_000
DEFAULT_LIMIT = 10 * 1024 * 1024
WORDS = ["kettle", "walrus", "lantern", "pebble", "noodle", "quill", "crumpet", "otter", "socket", "teapot"]


@pytest.fixture(scope="module", autouse=True)
def uploads(request, tmp_path_factory) -> Path:
    """DIR, two folders below a temporary folder of its own: '../../x' from DIR still lands where we look."""
    base = tmp_path_factory.mktemp("upload")
    folder = base / "site" / "data" / "uploads"
    folder.mkdir(parents=True)
    request.module.SERVER_ARGS = ["--uploads", str(folder)]
    yield folder
    request.module.SERVER_ARGS = []


def new_boundary(rng) -> bytes:
    return ("----grader" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))).encode()


def multipart(boundary: bytes, parts: list[tuple[str, str | None, bytes]]) -> bytes:
    """parts: (field name, file name or None for a plain field, content)."""
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += b"--" + boundary + b"\r\nContent-Disposition: " + disposition.encode("utf-8") + b"\r\n"
        if filename is not None:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + content + b"\r\n"
    return body + b"--" + boundary + b"--\r\n"


def content_type(boundary: bytes, rng=None) -> str:
    """multipart/form-data with that boundary, in one of the shapes clients send (RFC 9110, 5.6.6 and 8.3.1)."""
    value = boundary.decode()
    if rng is None:
        return f"multipart/form-data; boundary={value}"
    if rng.random() < 0.5 or not value.isalnum() and not set(value) <= set(string.ascii_letters + string.digits + "-"):
        value = f'"{value}"'                                   # quoted: .NET always quotes it
    parameter = rng.choice(["boundary", "Boundary", "BOUNDARY"]) + "=" + value
    parameters = rng.choice([[parameter], ["charset=utf-8", parameter], [parameter, "charset=UTF-8"]])
    return rng.choice(["multipart/form-data", "Multipart/Form-Data"]) + "".join(
        rng.choice(["; ", ";", " ; "]) + item for item in parameters)


def post(server, boundary: bytes, body: bytes, timeout: float = 5.0, rng=None) -> Exchange:
    headers = {"Content-Type": content_type(boundary, rng)}
    return fetch(server, "POST", "/upload", headers=headers, data=body, timeout=timeout)


def listing(answer: Exchange, count: int, hint: str) -> list[dict]:
    expect(answer.status == 201, answer, expected="201 Created with a JSON list of the stored files",
           got=f"{answer.status} {answer.reason}", hint=hint)
    data = answer.json()
    files = data.get("files") if isinstance(data, dict) else None
    expect(isinstance(files, list) and all(isinstance(entry, dict) for entry in files), answer,
           expected='JSON {"files": [{"name": ..., "size": ..., "sha256": ...}, ...]}', got=f"{data!r}"[:300],
           hint=hint)
    expect(len(files) == count, answer,
           expected=f"{count} entries in files, one per file part (plain form fields are not files)",
           got=f"{len(files)}", hint="parts")
    for entry in files:
        expect(isinstance(entry.get("name"), str) and entry["name"], answer,
               expected="a name in each entry: the name the file was stored under", got=f"{entry!r}", hint=hint)
    return files


def plain_name(answer: Exchange, name: str, sent: str) -> None:
    bad = [what for what, found in [("/", "/" in name), ("\\", "\\" in name), ("a NUL byte", "\x00" in name),
                                    ("':' (a drive)", ":" in name), ("'..' as the name", name in (".", ".."))]
           if found]
    expect(not bad, answer, expected=f"a stored name that means a file directly in the uploads folder, "
           f"whatever the client sent ({sent!r})", got=f"the name {name!r}, with {', '.join(bad)}", hint="safe_name")


def where_it_differs(stored: bytes, sent: bytes) -> int:
    return next((i for i, (a, b) in enumerate(zip(stored, sent, strict=False)) if a != b), min(len(stored), len(sent)))


def stored_bytes(server, folder: Path, name: str) -> bytes | None:
    """The bytes stored under `name`: read from DIR, or (--server-url: DIR is not ours) from GET /uploads/."""
    if not isinstance(server, LocalServer):
        answer = fetch(server, "GET", f"/uploads/{name}")
        return answer.body if answer.status == 200 else None
    path = folder / name
    return path.read_bytes() if "\x00" not in name and path.is_file() else None


def expect_stored(server, answer: Exchange, folder: Path, entry: dict, content: bytes, what: str) -> None:
    """The entry's size and sha256, the file in the folder, and its bytes are what was sent."""
    name = entry["name"]
    stored = stored_bytes(server, folder, name)
    expect(stored is not None, answer, expected=f"the file stored as {folder}/{name}, the name your server gave",
           got="no such file in the uploads folder", hint="safe_name")
    if stored != content:
        if stored in (content.decode("utf-8", "replace").encode(), content.decode("latin-1").encode()):
            fail(answer, expected=f"{what}, stored byte for byte",
                 got=f"{len(stored)} bytes instead of {len(content)}: the file was decoded as text and encoded "
                     "again, which changes every byte that is not plain ASCII. A file is bytes: keep the body "
                     "as bytes from the socket to the disk", hint="parts")
        at = where_it_differs(stored, content)
        fail(answer, expected=f"{what}, stored whole ({len(content)} bytes)",
             got=f"{len(stored)} bytes, which part ways with the file at byte {at}, where the file holds "
                 f"{content[at:at + 24]!r}. Only CRLF + '--' + the boundary ends a part: a CRLF, a blank line "
                 "or a line that looks like the boundary inside the file is part of the file", hint="parts")
    expect(entry.get("size") == len(content), answer, expected=f"size {len(content)} in the entry for {name}",
           got=f"size {entry.get('size')!r}", hint="parts")
    digest = hashlib.sha256(content).hexdigest()
    expect(entry.get("sha256") == digest, answer, expected=f"sha256 {digest} in the entry for {name}",
           got=f"sha256 {entry.get('sha256')!r}", hint="parts")


def expect_served(server, name: str, content: bytes) -> None:
    answer = fetch(server, "GET", f"/uploads/{name}")
    expect(answer.status == 200 and answer.body == content, answer,
           expected=f"200 and the {len(content)} bytes stored as {name}",
           got=f"{answer.status} {answer.reason} and {len(answer.body)} bytes"
               + (" that differ" if answer.status == 200 else ""), hint="parts")


def snapshot(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


# --- the form, and files stored byte for byte ------------------------------------------------------------

def test_get_upload_is_a_multipart_form(server):
    answer = fetch(server, "GET", "/upload")
    page = answer.text.lower().replace("'", '"')
    expect(answer.status == 200 and "<form" in page, answer, expected="200 and an HTML page with a <form>",
           got=f"{answer.status} {answer.reason}", hint="parts")
    for needed, why in [('method="post"', "the files go up in a POST"),
                        ('enctype="multipart/form-data"', "without it a browser sends only the file names"),
                        ('type="file"', "an <input type=\"file\"> to pick files with")]:
        expect(needed in page, answer, expected=f"{needed} in the form: {why}", got="it is not there", hint="parts")


def test_a_binary_file_is_stored_byte_for_byte(server, uploads, rng):
    content = bytes(range(256)) + bytes(rng.randrange(256) for _ in range(rng.randint(500, 2000)))
    content = bytes(rng.sample(list(content), len(content)))   # every byte value, in a random order
    boundary = new_boundary(rng)
    name = f"{rng.choice(WORDS)}-{rng.randint(100, 999)}.bin"
    answer = post(server, boundary, multipart(boundary, [("file", name, content)]), rng=rng)
    [entry] = listing(answer, 1, hint="parts")
    plain_name(answer, entry["name"], name)
    expect_stored(server, answer, uploads, entry, content, f"the {len(content)} bytes of {name} (all 256 byte values)")
    expect_served(server, entry["name"], content)


def test_crlf_and_boundary_like_lines_stay_in_the_file(server, uploads, rng):
    boundary = new_boundary(rng)
    word = rng.choice(WORDS).encode()
    content = (b"first line\r\nsecond line\r\n\r\nafter a blank line\r\n"
               + b"x\n--" + boundary + b"\n"                        # the boundary after a bare LF: not a delimiter
               + word + b" --" + boundary + b"-- " + word + b"\r\n"  # inside a line
               + b"--" + boundary[:-3] + b"\r\n"                    # a boundary cut short
               + b"last line, then a CRLF that belongs to the file\r\n")
    name = f"notes-{rng.randint(100, 999)}.txt"
    answer = post(server, boundary, multipart(boundary, [("file", name, content)]), rng=rng)
    [entry] = listing(answer, 1, hint="parts")
    expect_stored(server, answer, uploads, entry, content, f"the {len(content)} bytes of {name}")
    expect_served(server, entry["name"], content)


def test_several_files_are_listed_in_order(server, uploads, rng):
    boundary = new_boundary(rng)
    files = [(f"{word}-{rng.randint(100, 999)}.txt", f"{word} {rng.random()}\r\n".encode() * rng.randint(1, 40))
             for word in rng.sample(WORDS, 3)]
    parts = [("note", None, b"a plain field, not a file"), ("file", *files[0]), ("file", *files[1]),
             ("title", None, rng.choice(WORDS).encode()), ("file", *files[2])]
    answer = post(server, boundary, multipart(boundary, parts), rng=rng)
    entries = listing(answer, 3, hint="parts")
    for entry, (name, content) in zip(entries, files, strict=False):
        expect(entry.get("size") == len(content), answer,
               expected=f"the entries in the order of the parts: {[name for name, _ in files]}, with their sizes "
                        f"{[len(content) for _, content in files]}", got=f"{entries!r}"[:400], hint="parts")
        expect_stored(server, answer, uploads, entry, content, f"the {len(content)} bytes of {name}")


def test_an_upload_split_anywhere_is_read_whole(server, uploads, rng):
    """TCP delivers a request in pieces, cut anywhere: in the head, in a delimiter, in the file."""
    boundary = new_boundary(rng)
    content = bytes(rng.randrange(256) for _ in range(rng.randint(3000, 6000)))
    name = f"split-{rng.randint(100, 999)}.bin"
    body = multipart(boundary, [("note", None, b"a field first"), ("file", name, content)])
    data = (f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: {content_type(boundary, rng)}\r\nConnection: close\r\n\r\n").encode() + body
    delimiter = data.find(b"--" + boundary, len(data) - len(body) + 10)     # the second delimiter: cut inside it
    cuts = sorted({rng.randrange(1, len(data) - len(body)), delimiter + rng.randrange(1, len(boundary)),
                   rng.randrange(1, len(data))})
    pieces = [data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)], strict=False)]
    answer = send_raw(server, pieces, pause=0.05)
    [entry] = listing(answer, 1, hint="parts")
    expect_stored(server, answer, uploads, entry, content, f"the {len(content)} bytes of {name}, sent in "
                  f"{len(pieces)} pieces cut at bytes {cuts}")


def test_a_quoted_boundary_is_read_without_its_quotes(server, uploads, rng):
    """.NET's HttpClient sends boundary="<a guid>"; a quoted boundary may also hold ':', '=', ',' and spaces."""
    boundary = ("----grader " + rng.choice([":", "=", ",", "?"]) + "".join(
        rng.choice(string.ascii_letters) for _ in range(16))).encode()
    content = f"sent with a quoted boundary {rng.random()}\r\n".encode()
    name = f"quoted-{rng.randint(100, 999)}.txt"
    shape = f'multipart/form-data; {rng.choice(["boundary", "Boundary"])}="{boundary.decode()}"'
    answer = fetch(server, "POST", "/upload", headers={"Content-Type": shape},
                   data=multipart(boundary, [("file", name, content)]))
    expect(answer.status == 201, answer,
           expected=f"201: the boundary is {boundary.decode()!r}, inside the quotes. A parameter's value may be "
                    "quoted (RFC 9110, 5.6.6): the quotes are not part of it", got=f"{answer.status} {answer.reason}",
           hint="parts")
    [entry] = listing(answer, 1, hint="parts")
    expect_stored(server, answer, uploads, entry, content, f"the {len(content)} bytes of {name}")


# --- file names ----------------------------------------------------------------------------------------

def escaped_copies(uploads: Path, filename: str, marker: str) -> list[Path]:
    """Files holding `marker` in their name anywhere but directly in DIR: where a trusted name would land."""
    base = uploads.parents[2]
    found = [path for path in base.rglob(f"*{marker}*") if path.parent != uploads]
    if "\x00" not in filename:
        for start in (uploads, KIT_ROOT):               # a name joined to DIR, or opened from the server's folder
            candidate = Path(os.path.normpath(start / filename.replace("\\", os.sep)))
            if candidate.is_file() and candidate.parent != uploads:
                found.append(candidate)
    return sorted(set(found))


def test_client_file_names_never_place_a_file_outside_the_folder(server, uploads, rng):
    marker = f"escape{rng.randint(10_000, 99_999)}"
    outside = uploads.parents[2] / f"{marker}-absolute.txt"
    names = [f"../../{marker}.txt", f"..\\..\\{marker}.txt", str(outside), f"C:\\{marker}.txt", f"C:{marker}.txt",
             f"sub/dir/{marker}.txt", f"{marker}\x00.txt.png", ".."]
    for filename in names:
        content = f"uploaded as {filename!r}\n".encode()
        boundary = new_boundary(rng)
        try:
            answer = post(server, boundary, multipart(boundary, [("file", filename, content)]))
        except GraderFailure as failure:
            raise with_advice(failure, expected=f"201 for a file the client named {filename!r}, stored under a "
                              "safe name", hint="safe_name") from None
        escaped = escaped_copies(uploads, filename, marker)
        for path in escaped:
            path.unlink(missing_ok=True)                 # clean up: nothing of ours stays outside the folder
        if escaped:
            fail(answer, expected=f"the file the client named {filename!r} stored inside the uploads folder",
                 got=f"a file written outside it, at {escaped[0]}. The client's file name is a suggestion: keep "
                     "only its last piece, without folders, drives or leading dots", hint="safe_name")
        [entry] = listing(answer, 1, hint="safe_name")
        plain_name(answer, entry["name"], filename)
        expect_stored(server, answer, uploads, entry, content, f"the file the client named {filename!r}")


DEVICES = ["CON", "PRN", "AUX", "NUL", "COM1", "COM9", "LPT1", "LPT9"]


def test_a_safe_name_is_kept_and_only_its_last_piece_counts(server, uploads, rng):
    """The name the client meant is kept (its last piece: no folders, no drive), never a Windows device name,
    and never longer than a file system takes."""
    token = f"{rng.choice(WORDS)}{rng.randint(10_000, 99_999)}"
    folder, drive = f"folder{rng.randint(100, 999)}", rng.choice("CDEFGH")
    cases = [(f"{token}.txt", [], "a plain, safe name is kept as it is"),
             (f"{folder}/{folder}x/{token}.txt", [folder], "only the last piece of a path is the name"),
             (f"{folder}\\{token}.txt", [folder], "a Windows path's last piece is after the last \\"),
             (f"{drive}:{token}.txt", [], "after a drive letter comes the name")]
    for sent, folders, why in cases:
        boundary = new_boundary(rng)
        answer = post(server, boundary, multipart(boundary, [("file", sent, b"named\n")]), rng=rng)
        [entry] = listing(answer, 1, hint="safe_name")
        stored = entry["name"]
        expect(token in stored and not any(piece in stored for piece in folders) and stored[:2] != f"{drive}_",
               answer, expected=f"a stored name made of {token}.txt, the client's name without its folders or "
               f"drive, since {why} (the client sent {sent!r})", got=f"the name {stored!r}", hint="safe_name")
    for device in rng.sample(DEVICES, 3):
        sent = rng.choice([device, device.lower(), device.title()]) + rng.choice([".txt", "", ".tar.gz"])
        boundary = new_boundary(rng)
        answer = post(server, boundary, multipart(boundary, [("file", sent, b"not a device\n")]), rng=rng)
        [entry] = listing(answer, 1, hint="safe_name")
        expect(entry["name"].split(".")[0].upper() not in DEVICES, answer,
               expected=f"a stored name that is no Windows device: {sent!r} would be the {device} device on Windows, "
                        "not a file (prefix it with _)", got=f"the name {entry['name']!r}", hint="safe_name")
    sent = token * (300 // len(token)) + ".txt"
    boundary = new_boundary(rng)
    try:
        answer = post(server, boundary, multipart(boundary, [("file", sent, b"long\n")]), rng=rng)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"201 for a file name of {len(sent)} characters, stored under a "
                          "shorter one: file systems take 255 bytes at most", hint="safe_name") from None
    [entry] = listing(answer, 1, hint="safe_name")
    expect(len(entry["name"].encode()) <= 255, answer, expected="a stored name of 255 bytes at most",
           got=f"{len(entry['name'].encode())} bytes", hint="safe_name")
    expect_stored(server, answer, uploads, entry, b"long\n", f"the file named with {len(sent)} characters")


def test_the_same_name_twice_keeps_both_files(server, uploads, rng):
    name = f"report-{rng.randint(1000, 9999)}.txt"
    first_content, second_content = b"the first report\n", b"the second report, longer than the first\n"
    boundary = new_boundary(rng)
    [first] = listing(post(server, boundary, multipart(boundary, [("file", name, first_content)])), 1, "unique")
    answer = post(server, boundary, multipart(boundary, [("file", name, second_content)]))
    [second] = listing(answer, 1, "unique")
    expect(first["name"] != second["name"], answer,
           expected=f"a new name for the second {name}: the first upload must not be overwritten",
           got=f"both stored as {first['name']!r}", hint="unique")
    kept = stored_bytes(server, uploads, first["name"])
    expect(kept == first_content, answer, expected=f"the first {name} still holding its own bytes, {first_content!r}",
           got=f"{kept!r}", hint="unique")
    expect_stored(server, answer, uploads, second, second_content, f"the second {name}")


def test_uploads_of_one_name_at_the_same_moment_keep_every_file(server, uploads, rng):
    """Eight clients upload the same name at once. A name checked with exists() and then written is free for
    all of them at the moment they look: each is told the same name, and the last write wins."""
    name = f"same-{rng.randint(1000, 9999)}.txt"
    # A megabyte each: parsing and hashing it holds each upload a moment, so the eight reach the
    # naming step together, as on a busy server.
    contents = [f"upload number {number} of {name}\n".encode() + random.Random(rng.random()).randbytes(1 << 20)
                for number in range(8)]
    datas = []
    for content in contents:
        boundary = new_boundary(rng)
        body = multipart(boundary, [("file", name, content)])
        datas.append((f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
                      f"Content-Type: {content_type(boundary, rng)}\r\nConnection: close\r\n\r\n").encode() + body)
    # Each upload in a thread of its own sends all but its last byte. Once all eight are in, the last bytes go
    # together, in one loop; a server that reads one request at a time never lets all eight in, so after a
    # moment each upload sends its own last byte.
    all_in, go, lock, done = threading.Event(), threading.Event(), threading.Lock(), []
    results: list = [None] * len(datas)
    last_bytes_sent = []

    def upload(number: int, connection) -> None:
        try:
            connection.send(datas[number][:-1])
            with lock:
                done.append(number)
                if len(done) == len(datas):
                    all_in.set()
            go.wait(10)
            if not last_bytes_sent:
                connection.send(datas[number][-1:], note=False)
            results[number] = connection.read_response()
        except GraderFailure as failure:
            results[number] = failure

    connections = [open_raw(server, timeout=8.0) for _ in datas]
    try:
        threads = [threading.Thread(target=upload, args=pair, daemon=True) for pair in enumerate(connections)]
        for thread in threads:
            thread.start()
        if all_in.wait(1.5):
            time.sleep(0.3)                                  # every upload read up to its last byte, waiting
            for connection in connections:                   # then the last bytes, as close together as we can
                connection.sock.sendall(b"\n")
            last_bytes_sent.append(True)
        go.set()
        for thread in threads:
            thread.join(20)
    finally:
        for connection in connections:
            connection.close()
    for result in results:
        if isinstance(result, GraderFailure):
            raise with_advice(result, expected=f"201 for each of eight uploads of {name} sent at the same moment",
                              hint="unique") from None
        if result is None:
            fail(Exchange("POST", "/upload", f"eight uploads of {name} at once"),
                 expected=f"an answer to each of eight uploads of {name} within 20 s", got="none", hint="unique")
    answers = results
    answers[0].sent += f"-- and 7 more uploads of {name}, finished at the same moment --\n"
    names = [listing(answer, 1, hint="unique")[0]["name"] for answer in answers]
    expect(len(set(names)) == len(names), answers[0],
           expected=f"eight different names for eight uploads of {name} sent at the same moment",
           got=f"the names {names}. Between 'does it exist?' and the write, another upload takes the name: let "
               "the open itself refuse an existing file, open(path, 'xb'), and try another name then",
           hint="unique")
    entries = [listing(answer, 1, "unique")[0] for answer in answers]
    for answer, entry, content in zip(answers, entries, contents, strict=True):
        kept = stored_bytes(server, uploads, entry["name"])
        expect(kept == content, answer, expected=f"{entry['name']} holding the bytes of the upload told that name",
               got=f"{len(kept or b'')} other bytes: another upload overwrote it (open(path, 'xb') never "
                   "overwrites)", hint="unique")


# --- the size limit --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_limit(server, uploads, tmp_path_factory):
    """The same server.py started again with --max-upload 50000, in a folder of its own."""
    if not isinstance(server, LocalServer):
        pytest.skip("with --server-url the grader cannot start your server with --max-upload")
    folder = uploads.parents[2] / "small" / "uploads"
    folder.mkdir(parents=True)
    other = LocalServer(server.script, tmp_path_factory.mktemp("upload-limit"),
                        ["--uploads", str(folder), "--max-upload", str(SMALL_LIMIT)])
    try:
        other.start()
        yield other, folder
    finally:
        other.stop()


def body_of_size(boundary: bytes, size: int, rng) -> bytes:
    empty = multipart(boundary, [("file", "big.bin", b"")])
    return multipart(boundary, [("file", "big.bin", random.Random(rng.random()).randbytes(size - len(empty)))])


def test_a_body_over_the_limit_gives_413_and_stores_nothing(small_limit, rng):
    other, folder = small_limit
    boundary = new_boundary(rng)
    at_limit = body_of_size(boundary, SMALL_LIMIT, rng)
    answer = post(other, boundary, at_limit)
    expect(answer.status == 201, answer, expected=f"201: the body is exactly --max-upload {SMALL_LIMIT} bytes, "
           "which is allowed (only a larger one is refused)", got=f"{answer.status} {answer.reason}", hint="limit")
    before = snapshot(folder)
    over = body_of_size(boundary, SMALL_LIMIT + 1, rng)
    try:
        answer = post(other, boundary, over)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"413 for a body of {SMALL_LIMIT + 1} bytes (--max-upload "
                          f"{SMALL_LIMIT}). If you answer before reading the body, read and drop what still comes "
                          "for a moment before closing: closing with unread bytes resets the connection, and the "
                          "reset can wipe your answer", hint="limit") from None
    expect(answer.status == 413, answer, expected=f"413 Content Too Large: the body has {SMALL_LIMIT + 1} bytes, "
           f"one more than --max-upload {SMALL_LIMIT}", got=f"{answer.status} {answer.reason}", hint="limit")
    expect(snapshot(folder) == before, answer, expected="nothing stored for a refused body",
           got=f"new files in the uploads folder: {sorted(snapshot(folder) - before)}", hint="limit")


def test_the_limit_is_checked_before_the_body_is_read(small_limit, rng):
    other, folder = small_limit
    before = snapshot(folder)
    boundary = new_boundary(rng)
    claimed = SMALL_LIMIT * 40
    head = (f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {claimed}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary.decode()}\r\n\r\n").encode()
    start = multipart(boundary, [("file", "huge.bin", b"")])[:-len(boundary) - 8]
    sent = start + bytes(SMALL_LIMIT + 1000 - len(start))       # more than the limit, far less than claimed
    with open_raw(other, timeout=3.0) as connection:
        connection.send(head)
        connection.sent.append(f"-- then {len(sent)} bytes of the body (of the {claimed} promised), and a wait --\n")
        try:
            connection.sock.sendall(sent)
        except OSError:
            pass                                    # answered and closed already: read the answer
        try:
            answer = connection.read_response()
        except GraderFailure as failure:
            raise with_advice(failure, expected=f"413 at once: Content-Length says {claimed} bytes, over "
                              f"--max-upload {SMALL_LIMIT}. Your server seems to wait for the whole body before "
                              "checking its size, and it would hold all of it: check Content-Length (or count the "
                              "bytes as they come) before reading on", hint="limit") from None
    expect(answer.status == 413, answer, expected=f"413: Content-Length {claimed} is over --max-upload {SMALL_LIMIT}",
           got=f"{answer.status} {answer.reason}", hint="limit")
    expect(snapshot(folder) == before, answer, expected="nothing stored for a refused body",
           got=f"new files in the uploads folder: {sorted(snapshot(folder) - before)}", hint="limit")


def send_while_unanswered(sock: socket.socket, data: bytes, piece: int = 1 << 20) -> None:
    """Send `data` in pieces, and stop once the server has answered (and maybe stopped reading)."""
    for start in range(0, len(data), piece):
        if select.select([sock], [], [], 0)[0]:
            return
        try:
            sock.sendall(data[start:start + piece])
        except OSError:
            return


def test_the_default_limit_is_10_mb(server, uploads, rng):
    boundary = new_boundary(rng)
    content = random.Random(rng.random()).randbytes(3 * 1024 * 1024)
    answer = post(server, boundary, multipart(boundary, [("file", "three-mb.bin", content)]), timeout=10.0)
    [entry] = listing(answer, 1, hint="limit")      # 201: 3 MB is under the default limit of 10 MB
    expect(entry.get("size") == len(content), answer, expected=f"size {len(content)}, the whole 3 MB file",
           got=f"size {entry.get('size')!r}", hint="parts")
    before = snapshot(uploads)
    claimed = 11 * 1024 * 1024
    head = (f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {claimed}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary.decode()}\r\n\r\n").encode()
    with open_raw(server, timeout=5.0) as connection:
        connection.send(head)
        connection.sent.append(f"-- then the {claimed} bytes of the body, until an answer comes --\n")
        send_while_unanswered(connection.sock, bytes(claimed))
        try:
            answer = connection.read_response()
        except GraderFailure as failure:
            raise with_advice(failure, expected=f"413 for a body of {claimed} bytes: the default --max-upload is "
                              "10 MB", hint="limit") from None
    expect(answer.status == 413, answer, expected=f"413 for a body of {claimed} bytes (11 MB): the default "
           "--max-upload is 10 MB", got=f"{answer.status} {answer.reason}", hint="limit")
    expect(snapshot(uploads) == before, answer, expected="nothing stored for a refused body",
           got=f"new files in the uploads folder: {sorted(snapshot(uploads) - before)}", hint="limit")


# --- broken bodies -----------------------------------------------------------------------------------------

def test_a_body_cut_short_gives_400(server, uploads, rng):
    boundary = new_boundary(rng)
    body = multipart(boundary, [("file", "cut.txt", b"some bytes\r\n" * 50)])
    cut = rng.randint(20, len(body) - 20)
    head = (f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary.decode()}\r\n\r\n").encode()
    with open_raw(server, timeout=3.0) as connection:
        connection.send(head + body[:cut])
        connection.sock.shutdown(socket.SHUT_WR)            # "that is all I will send"
        on_new_line = "" if connection.sent[-1].endswith("\n") else "\n"
        connection.sent.append(f"{on_new_line}-- {cut} of {len(body)} bytes sent, then the client's side closed --\n")
        try:
            answer = connection.read_response()
        except GraderFailure as failure:
            raise with_advice(failure, expected=f"400: the client sent {cut} of the {len(body)} bytes its "
                              "Content-Length promised, then stopped sending (it still reads)",
                              hint="limit") from None
    expect(answer.status == 400, answer, expected=f"400 Bad Request: the body stopped after {cut} of its {len(body)} "
           "bytes", got=f"{answer.status} {answer.reason}", hint="limit")


def test_a_missing_closing_boundary_gives_400(server, uploads, rng):
    boundary = new_boundary(rng)
    body = multipart(boundary, [("file", "open-ended.txt", b"no end in sight\r\n" * 5)])
    body = body[:-len(boundary) - 8]                          # the last delimiter, "\r\n--boundary--\r\n", is gone
    answer = post(server, boundary, body)
    expect(answer.status == 400, answer, expected="400 Bad Request: the body ends inside its only part, with no "
           "closing boundary", got=f"{answer.status} {answer.reason}", hint="parts")


def test_a_preamble_before_the_first_boundary_is_skipped(server, uploads, rng):
    """RFC 2046, 5.1.1: text may come before the first boundary (a preamble), and is ignored."""
    boundary = new_boundary(rng)
    content = f"after a preamble {rng.random()}\r\n".encode()
    body = (b"This is a preamble, for readers that cannot read MIME.\r\n"
            + multipart(boundary, [("file", "p.txt", content)]))
    answer = post(server, boundary, body, rng=rng)
    expect(answer.status == 201, answer, expected="201: the text before the first boundary is a preamble, which a "
           "parser skips (look for the first delimiter wherever it is)", got=f"{answer.status} {answer.reason}",
           hint="parts")
    [entry] = listing(answer, 1, hint="parts")
    expect_stored(server, answer, uploads, entry, content, "the file after the preamble")


def test_bodies_that_are_no_multipart_give_400(server, uploads, rng):
    boundary = new_boundary(rng)
    good = multipart(boundary, [("file", "a.txt", b"hello\r\n")])
    other = new_boundary(rng)
    broken = [
        (multipart(other, [("file", "a.txt", b"hello\r\n")]), "the boundary of Content-Type is nowhere in the body"),
        (b"x" * (len(boundary) + 1) + b"--\r\nno boundary here either\r\n", "the boundary is nowhere in the body"),
        (good.replace(b"--" + boundary + b"\r\n", b"--" + boundary + b"junk\r\n").replace(
            b"--" + boundary + b"--", b"--" + boundary + b"junk--"),
         "no line is a boundary: each starts with it, then goes on with other characters"),
        (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nno blank line, '
         b"so no end of the headers\r\n--" + boundary + b"--\r\n", "a part whose headers never end (no blank line)"),
    ]
    for body, why in broken:
        answer = post(server, boundary, body, rng=rng)
        expect(answer.status == 400, answer, expected=f"400 Bad Request: {why}", got=f"{answer.status} {answer.reason}",
               hint="parts")
    # A first line that starts with the boundary and goes on is no delimiter (RFC 2046, 5.1.1): refuse the body,
    # or read it as a preamble, with no file in it. Never a file.
    body = good.replace(b"--" + boundary + b"\r\n", b"--" + boundary + b"junk\r\n")
    answer = post(server, boundary, body, rng=rng)
    if answer.status != 400:
        files = listing(answer, 0, hint="parts")
        expect(not files, answer, expected="400, or no file: the only line before the closing boundary that "
               "starts with the boundary goes on with 'junk', so it is no delimiter, and no part begins",
               got=f"{files!r}"[:200], hint="parts")


def test_multipart_without_a_boundary_gives_400(server, uploads, rng):
    boundary = new_boundary(rng)
    body = multipart(boundary, [("file", "a.txt", b"hello\r\n")])
    answer = fetch(server, "POST", "/upload", headers={"Content-Type": "multipart/form-data"}, data=body)
    expect(answer.status == 400, answer, expected="400 Bad Request: Content-Type multipart/form-data names no "
           "boundary, so nobody can tell where the parts end", got=f"{answer.status} {answer.reason}", hint="parts")
