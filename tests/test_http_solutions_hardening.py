"""Issue 20, found by outside suites and attacks: the upload and gzip solutions stay fast for everyone.

- upload: 2,000 parts named same.txt in one 290 KB request took 28 s (each file tried name, name-1, name-2...,
  one open() each) and 4,000 used three CPU-minutes. Now a request has at most 1,000 parts (413 past it),
  and a taken name is replaced in one step: uploads into a folder that already holds thousands of that name
  stay quick.
- gzip: level-9 compression of a 20 MB file ran in the event loop, so a plain GET / waited for it, up to 3 s
  (measured here on 48 MB, which takes longer, so that the wait stands out on a busy machine).
  Big bodies are now compressed in a thread.
"""
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from graders.ground import KIT_ROOT as ROOT
from graders.harness.boot import LocalServer

pytestmark = pytest.mark.timeout(120)


def boot(tmp_path: Path, slug: str, *args: str) -> LocalServer:
    server = LocalServer(ROOT / "solutions" / "advanced" / slug / "server.py", tmp_path, list(args))
    server.start()
    return server


def multipart(boundary: str, files: list[tuple[str, bytes]]) -> bytes:
    body = b""
    for name, content in files:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 "Content-Type: text/plain\r\n\r\n").encode() + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def post(server: LocalServer, body: bytes, boundary: str, timeout: float) -> requests.Response:
    return requests.post(f"{server.url}/upload", data=body, timeout=timeout,
                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


@pytest.fixture
def upload_server(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    server = boot(tmp_path, "upload", "--uploads", str(uploads))
    try:
        yield server, uploads
    finally:
        server.stop()


def test_upload_refuses_2000_parts_at_once(upload_server):
    server, uploads = upload_server
    boundary = "----hardening"
    body = multipart(boundary, [("same.txt", b"x" * 40)] * 2000)       # about 290 KB, as in the report
    started = time.perf_counter()
    answer = post(server, body, boundary, timeout=20)
    elapsed = time.perf_counter() - started
    assert answer.status_code in (400, 413), answer.text
    assert elapsed < 5, f"the refusal took {elapsed:.1f} s"
    assert list(uploads.iterdir()) == [], "a refused upload stored files"


def test_upload_finds_a_free_name_in_one_step(upload_server):
    """A folder already holding same.txt and same-1.txt ... same-4999.txt: counting up from 1 tries all of
    them for every file (two million open() calls for 400 parts, half a minute at least); one step, 800."""
    server, uploads = upload_server
    for number in range(5_000):
        (uploads / (f"same-{number}.txt" if number else "same.txt")).write_bytes(b"")
    boundary = "----hardening"
    contents = [f"part {number}\n".encode() for number in range(400)]
    started = time.perf_counter()
    answer = post(server, multipart(boundary, [("same.txt", content) for content in contents]), boundary,
                  timeout=20)
    elapsed = time.perf_counter() - started
    assert answer.status_code == 201, answer.text
    names = [entry["name"] for entry in answer.json()["files"]]
    assert len(set(names)) == len(contents)
    assert [(uploads / name).read_bytes() for name in names] == contents
    assert elapsed < 10, f"{len(contents)} parts took {elapsed:.1f} s"


@pytest.fixture
def gzip_server(tmp_path):
    static = tmp_path / "static"
    shutil.copytree(ROOT / "static", static)
    (static / "big.txt").write_bytes(os.urandom(24 * 1024 * 1024).hex().encode())   # 48 MB: seconds at level 9
    server = boot(tmp_path, "gzip", "--static", str(static))
    try:
        yield server
    finally:
        server.stop()


def test_gzip_compresses_a_big_file_without_stalling_the_others(gzip_server):
    server = gzip_server
    done = threading.Event()

    def fetch_big():
        with socket.create_connection((server.host, server.port), timeout=30) as sock:
            sock.sendall(b"GET /big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
            while sock.recv(1 << 20):
                pass
        done.set()

    threading.Thread(target=fetch_big, daemon=True).start()
    time.sleep(0.3)                                     # the big file is being compressed now
    assert not done.is_set(), "the big answer was done before GET / was sent: nothing measured"
    started = time.perf_counter()
    answer = requests.get(f"{server.url}/", timeout=10)
    waited = time.perf_counter() - started
    assert answer.status_code == 200
    assert waited < 0.5, f"GET / waited {waited:.2f} s behind the compression of a 48 MB file"
    assert done.wait(30), "the big file never arrived"
