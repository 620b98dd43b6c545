"""Single key presses from the terminal, for `watch`: h, l, c, n, q without Enter.

Each OS has its own way, kept in one small class each: POSIX puts the terminal in cbreak mode (keys arrive at
once, Ctrl+C still interrupts) and restores it on the way out, whatever happened; Windows reads the console
with msvcrt. Without a terminal (piped, an editor's task runner, CI) there are no keys at all.
"""
from __future__ import annotations

import sys
import time


class NoKeys:
    """Piped or redirected: nothing to read; waiting is sleeping."""
    interactive = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def read(self, timeout: float) -> str | None:
        time.sleep(timeout)
        return None


class PosixKeys(NoKeys):
    interactive = True

    def __init__(self, stream):
        self.stream, self.saved = stream, None

    def __enter__(self):
        import termios  # noqa: PLC0415 - POSIX only
        import tty  # noqa: PLC0415
        self.saved = termios.tcgetattr(self.stream.fileno())
        tty.setcbreak(self.stream.fileno())     # no Enter needed, no echo; Ctrl+C is still SIGINT
        return self

    def __exit__(self, *exc_info):
        import termios  # noqa: PLC0415
        if self.saved is not None:
            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self.saved)
        return False

    def read(self, timeout: float) -> str | None:
        import os  # noqa: PLC0415
        import select  # noqa: PLC0415
        ready, _, _ = select.select([self.stream], [], [], timeout)
        if not ready:
            return None
        data = os.read(self.stream.fileno(), 1)
        return data.decode("latin-1") if data else None


class WindowsKeys(NoKeys):
    interactive = True

    def read(self, timeout: float) -> str | None:
        import msvcrt  # noqa: PLC0415 - Windows only
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            if msvcrt.kbhit():
                key = msvcrt.getwch()
                if key in ("\x00", "\xe0"):    # an arrow or function key: two characters, neither ours
                    msvcrt.getwch()
                    continue
                return key
            time.sleep(0.05)
        return None


def key_reader_class(platform: str, is_terminal: bool) -> type[NoKeys]:
    """Which reader fits: the OS's own in a terminal, none otherwise."""
    if not is_terminal:
        return NoKeys
    return WindowsKeys if platform == "win32" else PosixKeys


def key_reader(stream=None, platform: str = sys.platform) -> NoKeys:
    stream = stream or sys.stdin
    try:
        is_terminal = stream.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        is_terminal = False
    kind = key_reader_class(platform, is_terminal)
    return kind(stream) if kind is PosixKeys else kind()
