"""The console, one set of rules for every part of the kit that prints: what it can show, and how a console
that cannot show a character is kept from crashing. Standard library only."""
from __future__ import annotations

import re
import sys
import unicodedata

# A challenge's status as a mark, fancy and plain: the plain one where the console cannot print the fancy one.
MARKS = {"passed": ("✓", "+"), "failed": ("✗", "x"), "not tried": ("·", "."), "reset": ("↺", "r")}


def can_encode(text: str, encoding: str | None) -> bool:
    try:
        text.encode(encoding or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def can_print(text: str, stream=None) -> bool:
    return can_encode(text, getattr(stream or sys.stdout, "encoding", None))


def mark(status: str, encoding: str | None = None, stream=None) -> str:
    """✓, ✗, · or ↺ for a status; +, x, . or r on a console that cannot print those."""
    fancy, plain = MARKS.get(status, MARKS["not tried"])
    fits = can_encode(fancy, encoding) if encoding is not None else can_print(fancy, stream)
    return fancy if fits else plain


def tolerant_console(errors: str = "replace", streams=None) -> None:
    """A console that cannot show a character (cp1252 on Windows, a redirected output) shows '?' (or, with
    "backslashreplace", an escape) instead of crashing. UTF-8 consoles are left as they are."""
    for stream in streams or (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding == "utf8":
            continue
        try:
            stream.reconfigure(errors=errors)
        except (AttributeError, ValueError):
            pass  # not a text stream we can change


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# What a terminal would obey rather than print: escape sequences (CSI such as ESC[2J, OSC such as a window title,
# and the two-byte ones), then any control character left.
TERMINAL_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]?"
                             r"|\x9d[^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -~]?")


def invisible(character: str) -> bool:
    """Bidirectional overrides and isolates, zero-width spaces and joiners, soft hyphens: all Unicode "format"
    characters (Cf). In a name they only make two names that look alike, or text that runs backwards."""
    return unicodedata.category(character) == "Cf"


def terminal_text(text) -> str:
    """A learner-supplied string made safe to print in a terminal: escape sequences removed, every other
    control and format character shown as nothing, so a results file can never clear, retitle or hide the
    instructor's screen."""
    text = TERMINAL_ESCAPE.sub("", str(text))
    return "".join(ch for ch in CONTROL.sub(" ", text) if not invisible(ch)).replace("\t", " ")
