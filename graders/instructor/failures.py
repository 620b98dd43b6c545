"""Group failures by the check that failed, not by their exact text.

Two learners who fail the same check see different words: the grader picked random values, their servers
answered differently, they listen on different ports. A first failure is a headline such as

    GET /search?q=cats42: expected the body 'You searched for: cats42', but got 'None'.

What identifies the check is what was expected, with the values taken out. So: the first line, cut before
"but got", with quoted values and numbers replaced. Both learners above then share
    GET /search?q=catsN: expected the body '…'
"""
from __future__ import annotations

import re

QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
GOT = re.compile(r",?\s+but\s+(?:got|it|your)\b.*$", re.IGNORECASE)
SPACES = re.compile(r"\s+")


def failure_key(text: str | None) -> str:
    """The check a failure headline names, with the learner's own values taken out."""
    if not text or not text.strip():
        return "(no message)"
    line = text.strip().splitlines()[0]
    line = GOT.sub("", line)
    line = QUOTED.sub("'…'", line)
    line = NUMBER.sub("N", line)
    line = SPACES.sub(" ", line).strip().rstrip(".…, ").strip()
    return line[:200] or "(no message)"
