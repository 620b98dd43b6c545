"""What a user would pick instead of our servers: uvicorn, serving the benchmark's page from a tiny ASGI app.

    BENCH_STATIC=static BENCH_PATH=/index.html python -m uvicorn tools.bench.peer_app:app --http httptools

The benchmark sets BENCH_STATIC and BENCH_PATH (the file every other server serves) and BENCH_DELAY (the
slow handler of scenario c). The page is read once, at start-up, so what is measured is uvicorn itself:
our servers, which look the file up on every request, get no advantage from it.
"""
import asyncio
import os
from pathlib import Path

from reference.core import mime, static_files

FILE = static_files.resolve(os.environ.get("BENCH_PATH", "/index.html"),
                            Path(os.environ.get("BENCH_STATIC", static_files.STATIC_ROOT)))
PAGE, TYPE = FILE.read_bytes(), mime.content_type(FILE).encode()
DELAY = float(os.environ.get("BENCH_DELAY", "0"))


async def app(scope, receive, send):
    if scope["type"] != "http":
        return                                   # lifespan: nothing to start or stop
    if DELAY > 0:
        await asyncio.sleep(DELAY)               # the slow handler: every request waits
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", TYPE), (b"content-length", str(len(PAGE)).encode())]})
    await send({"type": "http.response.body", "body": PAGE})
