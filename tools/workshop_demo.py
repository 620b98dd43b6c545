"""The instructor's tools end to end, measured: a board, a real headless Chromium watching it, a simulated
30-learner workshop posting over 60 s, then the report on those learners' results files.

    python -m tools.workshop_demo                          # about 75 s; writes docs/board.png and docs/report.png
    python -m tools.workshop_demo --seconds 20 --no-screenshots

It prints: posts accepted; the time from each post (the end of a grader run) to the page in the browser
having drawn it, read from the page's own record of what it drew and when (window.boardRenders, both clocks
are this computer's); and the board's memory (resident set size) after the run.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graders.ground import KIT_ROOT as ROOT
from graders.supervisor import ServerProcess, free_port
from tools.chromium import Chromium, find_chromium
from tools.simulate_workshop import simulate, summary


def process_memory_kb(pid: int) -> dict | None:
    """The board's process: its resident memory now and at its peak, in KB. Linux only (/proc); None elsewhere."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.MULTILINE))
    return {"rss": int(found.get("VmRSS", 0)), "peak": int(found.get("VmHWM", 0))}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--work", type=Path, help="folder for the board's file, results files, CSV and HTML "
                                                  "(default: a new temporary folder)")
    parser.add_argument("--stuck-minutes", type=float, default=0.5,
                        help="the board's stuck threshold (default 0.5, so a one-minute run shows the marker)")
    parser.add_argument("--no-screenshots", action="store_true", help="do not write docs/board.png and docs/report.png")
    args = parser.parse_args(argv)
    if find_chromium() is None:
        print("No Chromium found: install one (Debian: apt-get install chromium) or set CHROMIUM=/path/to/chrome.")
        return 1
    work = args.work or Path(tempfile.mkdtemp(prefix="workshop-"))
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    board = ServerProcess([sys.executable, "-u", "-m", "graders", "board", "--port", str(port),
                           "--db", str(work / "board.sqlite3"), "--new-code",
                           "--stuck-minutes", str(args.stuck_minutes)], work / "board.log")
    board.start()
    try:
        board.wait_until_listening(port)
        deadline = time.monotonic() + 10           # it listens a moment before it prints its join command
        while not re.search(r"\?code=([A-Z0-9-]+)\n", board.output()) and time.monotonic() < deadline:
            time.sleep(0.05)
        code = re.search(r"\?code=([A-Z0-9-]+)", board.output()).group(1)
        url = f"http://127.0.0.1:{port}"
        print(board.output().strip())
        with Chromium(work, width=1600, height=1000) as browser:
            page = browser.open(url + "/")
            page.wait_for("document.getElementById('status').textContent === 'live'")
            print(f"\nSimulating {args.learners} learners for {args.seconds:g} s; Chromium is watching the page ...",
                  flush=True)
            posts = simulate(url, code, args.learners, args.seconds, out=work / "results")
            print(summary(posts))
            time.sleep(1.0)                                      # let the last update arrive
            renders = page.evaluate("window.boardRenders")
            shown = page.evaluate("document.querySelectorAll('#heat tr.learner').length")
            status = page.evaluate("document.getElementById('status').textContent")
            errors = page.events("Runtime.exceptionThrown")
            memory = process_memory_kb(board.process.pid)
            latencies = []
            for post in posts:
                if post["ok"] and post["version"] is not None:
                    drawn = next((r["at"] / 1000 for r in renders if r["version"] >= post["version"]), None)
                    if drawn is not None:
                        latencies.append((drawn - post["sent"]) * 1000)
            print(f"\nThe page: {shown} learners shown, status {status!r}, {len(errors)} script errors, "
                  f"{len(renders)} redraws.")
            accepted = sum(p["ok"] for p in posts)
            print(f"Posts accepted: {accepted} of {len(posts)}.")
            if latencies:
                print(f"Post to page drawn in Chromium: median {statistics.median(latencies):.0f} ms, "
                      f"p95 {percentile(latencies, 0.95):.0f} ms, max {max(latencies):.0f} ms "
                      f"({len(latencies)} posts measured).")
            if memory:
                print(f"Board memory after the run: {memory['rss'] / 1024:.1f} MB resident "
                      f"(peak {memory['peak'] / 1024:.1f} MB).")
            if not args.no_screenshots:
                docs = ROOT / "docs"
                docs.mkdir(exist_ok=True)
                page.screenshot(docs / "board.png")
                print(f"Wrote {docs / 'board.png'}")

            report = subprocess.run([sys.executable, "-m", "graders", "report", str(work / "results"),
                                     "--csv", str(work / "class.csv"), "--html", str(work / "class.html")],
                                    cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120)
            print(f"\n$ python -m graders report {work / 'results'} --csv {work / 'class.csv'} "
                  f"--html {work / 'class.html'}  (exit {report.returncode})")
            print(report.stdout)
            if not args.no_screenshots:
                report_page = browser.open((work / "class.html").resolve().as_uri())
                report_page.screenshot(ROOT / "docs" / "report.png")
                print(f"Wrote {ROOT / 'docs' / 'report.png'}")
        ok = accepted == len(posts) and shown == args.learners and not errors and report.returncode == 0
        return 0 if ok else 1
    finally:
        board.stop()


if __name__ == "__main__":
    raise SystemExit(main())
