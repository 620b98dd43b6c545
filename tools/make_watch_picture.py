"""Remake docs/watch.png: a real `python -m graders watch` session in a real terminal, as a learner sees it.

    python -m tools.make_watch_picture

It copies the kit to a temporary folder (the real exercises/ are never touched), runs watch on time_route in
a tmux pane, plays the learner (the starter fails; the learner saves a fix; it passes; they press ? then n,
then q), reads the screen with `tmux capture-pane`, and has headless Chromium draw it. Needs tmux and
Chromium (Linux or macOS); it says what is missing otherwise.
"""
from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graders.ground import KIT_ROOT

OUT = KIT_ROOT / "docs" / "watch.png"
SLUG, LEVEL = "time_route", "beginner"
LEFT_OUT = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", ".pytest_cache", "*.egg-info", ".venv", "backups",
                                  "grader-results.json*", "learner-state.json*", ".ruff_cache")


def tmux(*words: str) -> str:
    return subprocess.run(["tmux", *words], capture_output=True, text=True, check=True).stdout


def wait_for(session: str, text: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-J", "-S", "-", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise SystemExit(f"{text!r} did not appear within {seconds} s:\n{screen}")


def session_text(kit: Path) -> str:
    session = f"watch-picture-{os.getpid()}"
    env = {"PYTHONPATH": str(kit), "PYTEST_ADDOPTS": "", "WSFS_STATE_FILE": str(kit / "learner-state.json")}
    exports = " ".join(f"{k}={v!r}" for k, v in env.items())
    command = f"cd {str(kit)!r} && {exports} {sys.executable} -m graders watch {SLUG}"
    (kit / "learner-state.json").write_text('{"welcomed": true, "name": "Ada"}', encoding="utf-8")
    tmux("new-session", "-d", "-s", session, "-x", "104", "-y", "60", f"sleep 0.5; {command}")
    tmux("set-option", "-t", session, "remain-on-exit", "on")     # the screen stays readable after q
    try:
        wait_for(session, "for saves")
        shutil.copyfile(kit / "solutions" / LEVEL / SLUG / "server.py", kit / "exercises" / LEVEL / SLUG / "server.py")
        wait_for(session, "Press n for the next challenge")
        tmux("send-keys", "-t", session, "?")
        wait_for(session, "? these keys.\n")
        tmux("send-keys", "-t", session, "n")
        wait_for(session, "checks pass.")
        tmux("send-keys", "-t", session, "q")
        screen = wait_for(session, "Stopped watching.")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    lines = screen.split("Pane is dead")[0].rstrip().splitlines()
    return "\n".join(line.replace(str(kit), "~/web-servers-from-scratch") for line in lines)


def draw(text: str, out: Path) -> None:
    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
                    None)
    if not chromium:
        raise SystemExit("Chromium is needed to draw the picture (Debian: apt-get install chromium).")
    rows = text.count("\n") + 1
    page = ("<!doctype html><meta charset=utf-8><style>body{margin:0;background:#1e1e1e}"
            "pre{margin:0;padding:16px 20px;color:#e6e6e6;font:14px/1.35 'DejaVu Sans Mono',monospace}"
            "b{color:#7fd4ff;font-weight:normal}</style><pre>"
            + html.escape(text).replace("$ python -m graders watch", "<b>$ python -m graders watch</b>") + "</pre>")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "watch.html")
        source.write_text(page, encoding="utf-8")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--screenshot={out}", f"--window-size=1000,{int(rows * 19) + 36}", source.as_uri()],
                       capture_output=True, timeout=60, check=True)


def main() -> int:
    if not shutil.which("tmux"):
        raise SystemExit("tmux is needed to play the session (Debian: apt-get install tmux).")
    with tempfile.TemporaryDirectory() as folder:
        kit = Path(folder, "kit")
        shutil.copytree(KIT_ROOT, kit, ignore=LEFT_OUT)
        text = "$ python -m graders watch time_route\n" + session_text(kit)
    draw(text, OUT)
    print(f"Wrote {OUT.relative_to(KIT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
