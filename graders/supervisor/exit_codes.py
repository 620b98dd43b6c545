"""Exit codes, as each OS reports them, in words a beginner understands. Standard library only.

POSIX reports a death by signal as a negative code (-9: SIGKILL). Windows reports crashes and Ctrl+C as
NTSTATUS values such as 0xC000013A, which Python shows as large numbers (3221225786). describe() takes the
platform, so every branch is tested anywhere.
"""
from __future__ import annotations

import signal
import sys

NTSTATUS = {
    0xC000013A: "STATUS_CONTROL_C_EXIT: stopped by Ctrl+C or a closed window",
    0xC0000005: "STATUS_ACCESS_VIOLATION: a crash inside Python or a C extension",
    0xC00000FD: "STATUS_STACK_OVERFLOW: a recursion far too deep",
    0xC0000409: "STATUS_STACK_BUFFER_OVERRUN: a crash detected by Windows",
}


def describe(code: int, platform: str = sys.platform) -> str:
    """'exited with code 1', 'was killed by signal 9 (SIGKILL)', 'exited with code 0xC000013A (...)'."""
    if platform == "win32" and (code < 0 or code > 0x7FFFFFFF):
        status = code & 0xFFFFFFFF
        name = NTSTATUS.get(status)
        return f"exited with code 0x{status:08X}" + (f" ({name})" if name else "")
    if code < 0:
        try:
            return f"was killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"
