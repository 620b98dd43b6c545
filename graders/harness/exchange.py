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
        lines = [f"We sent:\n{indent(self.sent)}"]
        if self.status or self.raw_head:
            answer = visible(self.raw_head) + body_preview(self.body)
            lines.append(f"Your server answered in {self.elapsed:.3f} s:\n{indent(answer)}")
        return "\n\n".join(lines)


def body_preview(body: bytes, limit: int = 400) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"({len(body)} bytes of binary data, starting {body[:16].hex(' ')})"
    return visible(text, limit)
