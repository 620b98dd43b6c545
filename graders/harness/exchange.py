"""One request and its answer, kept so a failure can show both exactly."""
from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass, field

from .messages import GraderFailure, indent, visible


class Headers:
    """Response headers: case-insensitive, order kept, repeated headers (Set-Cookie) kept apart."""

    def __init__(self, pairs):
        self.pairs = [(str(name), str(value)) for name, value in pairs]

    def get_all(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key.lower() == name.lower()]

    def get(self, name: str, default=None):
        values = self.get_all(name)
        return ", ".join(values) if values else default  # how HTTP combines repeated headers

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name) -> bool:
        return bool(self.get_all(name))

    def items(self):
        return list(self.pairs)

    def __repr__(self):
        return f"Headers({self.pairs!r})"


@dataclass
class Exchange:
    method: str
    target: str
    sent: str  # a curl line, or the raw bytes made readable
    status: int = 0
    reason: str = ""
    headers: Headers = field(default_factory=lambda: Headers([]))
    body: bytes = b""
    elapsed: float = 0.0
    raw_head: bytes = b""  # the status line and headers as they came back
    start_first: str = ""  # the command that starts the server where the curl line in `sent` points

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.target}"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return jsonlib.loads(self.body)
        except ValueError as error:
            raise GraderFailure(
                f"{self.request_line}: expected a JSON body, but it is not valid JSON ({error}).\n\n{self.describe()}"
            ) from None

    def describe(self) -> str:
        """The request and the response, with \\r\\n made visible and a preview of the body."""
        sent = f"We sent:\n{indent(self.sent)}"
        if self.start_first:
            sent = (f"We sent (to try it yourself, start your server with `{self.start_first}`, "
                    f"then paste the line below in another terminal):\n{indent(self.sent)}")
        lines = [sent]
        if self.status or self.raw_head:
            answer = visible(self.raw_head) + body_preview(self.body)
            lines.append(f"Your server answered in {self.elapsed:.3f} s:\n{indent(answer)}")
        return "\n\n".join(lines)


def body_preview(body: bytes, limit: int = 400) -> str:
    """The body as text when it is text; otherwise its length and first bytes in hex. A PNG read in text mode
    and re-encoded is valid UTF-8 full of U+FFFD and control characters: that is binary to a reader too."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or looks_binary(text):
        return f"({len(body)} bytes of binary data, starting {body[:16].hex(' ')})"
    return visible(text, limit)


def looks_binary(text: str) -> bool:
    sample = text[:2000]
    controls = sum(1 for c in sample if (c < " " and c not in "\r\n\t") or c == "\ufffd")
    return controls > max(2, len(sample) // 100)
