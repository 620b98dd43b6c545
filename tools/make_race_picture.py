"""Remake docs/race.png: the board's race view (/race) with a few learners' scores, in headless Chromium.

    python -m tools.make_race_picture

It starts a board on a temporary file, opens the race (`board --race-open`), posts a few learners' scores with
the kit's own client (the figures are made up, in the range the kit's solutions reach on a laptop), and has
Chromium draw /race at projector size.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from graders.ground import KIT_ROOT
from graders.harness.board_post import post_json
from graders.supervisor import ServerProcess, free_port
from tools.chromium import Chromium, find_chromium

OUT = KIT_ROOT / "docs" / "race.png"
CODE = "RACE-DEMO"
# name: (slug, kind, {scenario: (x, requests/s)})
ROOM = {
    "Ada Lovelace": ("keep_alive", "threads", {"a": (0.62, 880), "b": (1.84, 2610), "c": (0.97, 97)}),
    "Grace Hopper": ("go_async", "asyncio", {"a": (0.81, 1150), "b": (0.79, 1120), "c": (0.96, 96)}),
    "Lin Chen": ("concurrency", "threads", {"a": (0.58, 820), "c": (0.98, 98)}),
    "Kwame Mensah": ("go_async", "selectors", {"a": (0.93, 1320), "b": (2.31, 3280)}),
    "Sofia Ruiz": ("serve_files", "blocking", {"a": (0.71, 1010), "b": (0.69, 980), "c": (0.01, 1)}),
    "Yuki Tanaka": ("rest_api", "processes", {"a": (1.42, 2020), "b": (3.05, 4330)}),
}


def main() -> int:
    if find_chromium() is None:
        sys.exit("make_race_picture needs Chromium: install one, or set CHROMIUM=/path/to/chrome")
    with tempfile.TemporaryDirectory(prefix="race-picture-") as folder:
        folder = Path(folder)
        db, port = folder / "board.sqlite3", free_port()
        subprocess.run([sys.executable, "-m", "graders", "board", "--db", str(db), "--code", CODE, "--race-open"],
                       check=True, capture_output=True, cwd=KIT_ROOT)
        board = ServerProcess([sys.executable, "-u", "-m", "graders", "board", "--port", str(port), "--db", str(db),
                               "--code", CODE],
                              folder / "board.log")
        board.start()
        try:
            board.wait_until_listening(port)
            url = f"http://127.0.0.1:{port}"
            for number, (name, (slug, kind, scores)) in enumerate(ROOM.items()):
                records = [{"scenario": s, "x": x, "versus": "ideal" if s == "c" else "floor",
                            "requests_per_s": rate, "p99_ms": 20.0, "errors": 0, "kind": kind}
                           for s, (x, rate) in scores.items()]
                outcome = post_json(url, CODE, "/api/race", {"learner": name, "slug": slug, "scores": records},
                                    budget=5.0, key=f"race-picture-learner-{number:04d}")
                if not outcome.ok:
                    sys.exit(f"{name}: {outcome.message}")
            with Chromium(folder, width=1600, height=760) as browser:
                page = browser.open(url + "/race")
                page.wait_for("document.querySelectorAll('#race tr.racer').length == 15")
                page.screenshot(OUT)
        finally:
            board.stop()
    print(f"Wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
