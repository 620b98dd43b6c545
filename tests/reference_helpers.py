"""Talk to a reference server over a real socket, parsing its answers strictly with h11.

Booting and stopping is graders/supervisor, which the graders and the benchmark use too.
"""
import socket
import time
from dataclasses import dataclass, field

import h11


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    raw: bytes = field(repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def exchange(port: int, data: bytes | list[bytes], method: str = "GET", pause: float = 0.0,
             timeout: float = 5.0) -> Reply:
    """Send the bytes (a list is sent chunk by chunk, `pause` apart) and parse the answer strictly."""
    chunks = [data] if isinstance(data, bytes) else data
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for index, chunk in enumerate(chunks):
            if index and pause:
                time.sleep(pause)
            sock.sendall(chunk)
        raw = read_until_closed(sock)
    return parse_reply(raw, method)


def read_until_closed(sock: socket.socket) -> bytes:
    raw = b""
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            return raw
        raw += data
    return raw


def parse_reply(raw: bytes, method: str = "GET") -> Reply:
    """Parse one response with h11 as a strict client would. Raises h11.RemoteProtocolError if broken."""
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method=method, target="/", headers=[("Host", "test")]))
    client.send(h11.EndOfMessage())
    client.receive_data(raw)
    client.receive_data(b"")
    head, body = None, b""
    while True:
        event = client.next_event()
        if isinstance(event, h11.Response):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)) or event is h11.NEED_DATA:
            break
    assert head is not None, f"no response in {raw[:200]!r}"
    headers = {name.decode().lower(): value.decode("latin-1") for name, value in head.headers}
    return Reply(head.status_code, headers, body, raw)


def get(port: int, path: str, method: str = "GET", extra: bytes = b"") -> Reply:
    return exchange(port, f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode() + extra + b"\r\n", method)
