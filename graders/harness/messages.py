"""Teaching failures: what we sent, what came back, what we expected, and a hint from the catalog."""
from __future__ import annotations

import ast
import inspect
import re
import textwrap

from graders.ground.catalog import Challenge

FIRST_HINT = ""   # a hint name that means "the challenge's first hint"


class GraderFailure(AssertionError):
    """A failed check. Its message is written for the learner; the plugin shows it without a traceback.

    `hint` names the catalog hint that fits the check; the plugin adds its text below the message."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.headline = message.strip().splitlines()[0] if message.strip() else "check failed"


def fail(exchange=None, *, expected: str, got: str | None = None, hint: str | None = None):
    __tracebackhide__ = True
    head = f"expected {expected}" + (f", but got {got}" if got else "")
    if exchange is not None:
        head = f"{exchange.request_line}: {head}"
    parts = [sentence(head)]
    if exchange is not None:
        parts.append(exchange.describe())
    # No hint named: the first, the gentlest nudge. (A GraderFailure raised directly carries none.)
    raise GraderFailure("\n\n".join(p for p in parts if p), hint if hint is not None else FIRST_HINT)


def expect(condition, exchange=None, *, expected: str, got: str | None = None, hint: str | None = None):
    """Check one behaviour; on failure raise a GraderFailure that explains it (see fail)."""
    __tracebackhide__ = True
    if not condition:
        fail(exchange, expected=expected, got=got, hint=hint)


def sentence(text: str) -> str:
    """A capital first letter, and a full stop unless the text already ends a sentence ("...answering?")."""
    text = text.rstrip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!", ":")) else ".")


def hint_shown(challenge: Challenge | None, name: str | None) -> str | None:
    """The name of the hint a failure shows for `name` (None or "": the first), or None when none is shown."""
    found = challenge.hint(name or None) if challenge and name is not None else None
    if found is None or found[0] == len(challenge.hints) - 1:
        return None
    return found[1].name


def hint_text(challenge: Challenge | None, name: str | None) -> str:
    """'Hint 2/4 (slug): ...' for the named hint (None: the first). The last hint, almost the answer, is
    never shown here: a learner asks for it with `python -m graders hint`."""
    found = challenge.hint(name or None) if challenge and name is not None else None
    if found is None or found[0] == len(challenge.hints) - 1:
        return ""
    number, hint = found
    text = f"Hint {number + 1}/{len(challenge.hints)} ({challenge.slug}): {hint.text}"
    return textwrap.fill(text, width=100, subsequent_indent="    ")


TRACEBACK_START = "Traceback (most recent call last):"


def output_size(server) -> int | None:
    """How many bytes the server has printed so far (None for a server whose output we cannot read)."""
    try:
        return server.log_path.stat().st_size
    except (AttributeError, OSError):
        return None


def new_traceback(server, since: int | None, lines: int = 16) -> str:
    """The last Python traceback the server printed after byte `since` of its output, clipped; or ""."""
    if since is None:
        return ""
    try:
        with open(server.log_path, "rb") as log:
            log.seek(since)
            text = log.read(256_000).decode("utf-8", "replace").replace("\r\n", "\n")
    except (AttributeError, OSError):
        return ""
    start = text.rfind(TRACEBACK_START)
    if start < 0:
        return ""
    block = text[start:].splitlines()
    end = next((n + 1 for n, line in enumerate(block[1:], 1) if line and not line[0].isspace()), len(block))
    block = block[:end]                           # up to the line that names the error, "NameError: ..."
    if len(block) > lines:                        # the innermost frames and the error are what matter
        block = block[:1] + ["  ..."] + block[-(lines - 2):]
    return "\n".join(clip(line) for line in block)


CONTROL_NAMES = {"\r": "\\r", "\t": "\\t"}


def visible(data: bytes | str, limit: int = 800) -> str:
    """Bytes as readable text: CR and LF shown as \\r and \\n (one line each), other control bytes as \\xNN."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    more = len(text) - limit
    text = text[:limit]
    text = re.sub(r"[\x00-\x09\x0b-\x1f\x7f]", lambda m: CONTROL_NAMES.get(m[0], f"\\x{ord(m[0]):02x}"), text)
    text = text.replace("\n", "\\n\n")
    if more > 0:
        text += f"... ({more} more characters)"
    return text


def clip(line: str, width: int = 300) -> str:
    """One line cut to a readable width: a server that prints 10 MB on one line must not flood the report."""
    return line if len(line) <= width else f"{line[:width]}... (cut: a line of more than {width} characters)"


def clip_tail(text: str, lines: int = 20, width: int = 300) -> str:
    """The last `lines` lines of `text`, each clipped to `width` characters."""
    return "\n".join(clip(line, width) for line in text.splitlines()[-lines:])


def indent(text: str, prefix: str = "    ") -> str:
    return textwrap.indent(text.rstrip("\n") or "(nothing)", prefix, lambda line: True)


def with_advice(failure: GraderFailure, expected: str, hint: str | None = None) -> GraderFailure:
    """A connection problem in the harness's own words, followed by what the check expected and a hint.

        try:
            answer = fetch(server, "GET", "/boom")
        except GraderFailure as failure:
            raise with_advice(failure, expected="a 500 page, then the next request served", hint="server_error")
    """
    try:
        fail(expected=expected, hint=hint)
    except GraderFailure as advice:
        return GraderFailure(f"{failure.message}\n\n{advice.message}", advice.hint)


def what_the_check_expects(test_function, challenge: Challenge | None) -> tuple[str, str | None]:
    """For a failure that names no hint (a crash, a closed connection): the check in words, from its name,
    and the first hint its source names (hint="..." or a hint's name passed to a helper)."""
    words = test_function.__name__.removeprefix("test_").replace("_", " ")
    names = {hint.name for hint in challenge.hints[:-1]} if challenge else set()
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(test_function)))
    except (OSError, TypeError, SyntaxError):
        return words, FIRST_HINT
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in names:
            return words, node.value
    return words, FIRST_HINT
