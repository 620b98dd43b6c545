"""The floor: the least an asyncio server can do per request, for the benchmark to measure ours against.

    python -m tools.bench.floor --port 8002

It reads until the blank line and answers every request with the same canned page (static/index.html,
read once at start-up), then closes: no parsing, no files, no routing. A real server does more, so this is
the speed none of ours can beat on the same asyncio loop; the benchmark prints each server's ratio to it.
"""
import argparse
import asyncio
from pathlib import Path

PAGE = (Path(__file__).resolve().parents[2] / "static" / "index.html").read_bytes()
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
          b"Content-Length: " + str(len(PAGE)).encode() + b"\r\nConnection: close\r\n\r\n" + PAGE)


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(answer, "127.0.0.1", port, backlog=128)
    async with server:
        print(f"floor listening on http://127.0.0.1:{port}/", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--static", help="ignored: the floor always answers the same page")
    parser.add_argument("--delay", type=float, default=0.0, help="ignored: the floor never waits")
    try:
        asyncio.run(main(parser.parse_args().port))
    except KeyboardInterrupt:
        pass
