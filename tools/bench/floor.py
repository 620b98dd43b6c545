"""The floor: the least an asyncio server can do per request, for the benchmark to measure ours against.

    python -m tools.bench.floor --port 8002

It reads until the blank line and answers every request with the same canned page (static/index.html, or
--path under --static, read once at start-up), then closes: no parsing, no files, no routing. A real server
does more, so this is the speed none of ours can beat on the same asyncio loop; the benchmark prints each
server's ratio to it.
"""
import argparse
import asyncio
from pathlib import Path

from graders.supervisor import HOST
from reference.core import mime, static_files


def canned_answer(path: str, root: Path) -> bytes:
    """The whole answer, head and body, as bytes: the same for every request."""
    file = static_files.resolve(path, root)
    if file is None:
        raise SystemExit(f"floor: there is no {path} under {root}")
    page = file.read_bytes()
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {mime.content_type(file)}\r\nContent-Length: {len(page)}\r\n"
            f"Connection: close\r\n\r\n").encode("latin-1") + page


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, canned: bytes) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(canned)
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int, canned: bytes) -> None:
    server = await asyncio.start_server(lambda reader, writer: answer(reader, writer, canned),
                                        HOST, port, backlog=128)
    async with server:
        print(f"floor listening on http://127.0.0.1:{port}/", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--static", type=Path, default=static_files.STATIC_ROOT,
                        help="the folder (default static/)")
    parser.add_argument("--path", default="/index.html", help="the page every request gets (default /index.html)")
    parser.add_argument("--delay", type=float, default=0.0, help="ignored: the floor never waits")
    args = parser.parse_args()
    try:
        asyncio.run(main(args.port, canned_answer(args.path, args.static)))
    except KeyboardInterrupt:
        pass
