"""Run the live board for real (`python -m graders board`) under the kit's supervisor, and make
results files to post to it. Shared by tests/test_board.py and tests/test_board_browser.py."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from graders.ground import KIT_ROOT as ROOT
from graders.ground.catalog import load_catalog, read_kit_version
from graders.supervisor import ServerProcess, free_port

CATALOG = load_catalog()
SLUGS = [c.slug for c in CATALOG]
CODE = "ABCD-EFGH"                 # the code the tests give with --code


def key_of(name: str) -> str:
    """A learner key per name, the same every time: each test learner posts from "their own laptop"."""
    return hashlib.sha256(name.casefold().encode()).hexdigest()[:32]


class RunningBoard:
    def __init__(self, folder: Path, db: Path | None = None, *args: str):
        self.folder, self.db, self.args = Path(folder), Path(db or Path(folder) / "board.sqlite3"), list(args)
        self.process: ServerProcess | None = None
        self.port = 0
        self.starts = 0

    def start(self, same_port: bool = False) -> RunningBoard:
        if not (same_port and self.port):
            self.port = free_port()
        self.starts += 1
        command = [sys.executable, "-u", "-m", "graders", "board", "--port", str(self.port),
                   "--db", str(self.db), *self.args]
        self.process = ServerProcess(command, self.folder / f"board-{self.port}-{self.starts}.log")
        self.process.start()
        self.process.wait_until_listening(self.port)
        return self

    def stop(self) -> None:
        if self.process:
            self.process.stop()
            self.process = None

    def __enter__(self) -> RunningBoard:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.process.output() if self.process else ""

    @property
    def code(self) -> str:
        """The join code, as the board printed it in its join command."""
        deadline = time.monotonic() + 10      # it listens a moment before it prints: wait for the line
        while not (found := re.search(r"python -m graders join http://\S+/\?code=([A-Z0-9-]+)\n", self.output())):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert found, f"the board printed no join command:\n{self.output()}"
        return found.group(1)

    def api(self) -> dict:
        answer = requests.get(f"{self.url}/api/board", timeout=5, proxies={"http": None})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def learner(self, name: str) -> dict | None:
        return next((learner for learner in self.api()["learners"] if learner["name"] == name), None)

    def post(self, data, code: str | None = None, key: str | None = None, headers: dict | None = None,
             **kwargs) -> requests.Response:
        """POST a results file as the kit's client does: the join code, and the learner key of that name
        (key_of(name) unless given; key="" sends none)."""
        body = data if isinstance(data, (bytes, str)) else None
        if key is None:
            key = key_of(data["learner"]) if isinstance(data, dict) and isinstance(data.get("learner"), str) else ""
        headers = {"Content-Type": "application/json", **({"X-Learner-Key": key} if key else {}), **(headers or {})}
        return requests.post(f"{self.url}/api/results", params={"code": code if code is not None else self.code},
                             data=body if body is not None else json.dumps(data), headers=headers, timeout=5,
                             proxies={"http": None}, **kwargs)


def results(learner: str, statuses: dict, target: str = "exercises", finished: str = "2026-11-21T15:09:00+00:00",
            runs: int = 1) -> dict:
    """A results file as the graders write it; statuses: slug -> 'passed' or a failure headline."""
    challenges = {}
    for challenge in CATALOG:
        given = statuses.get(challenge.slug)
        status = "not run" if given is None else "passed" if given == "passed" else "failed"
        challenges[challenge.slug] = {
            "slug": challenge.slug, "level": challenge.level, "status": status, "passed": 1, "total": 2,
            "first_failure": given if status == "failed" else None, "duration": 0.3,
            "finished": finished if given else None, "target": target, "seed": 7, "runs": runs}
    return {"learner": learner, "kit_version": read_kit_version(), "updated": finished, "challenges": challenges}


def processes_mentioning(text: str, within: float = 3.0) -> list[str]:
    """Live processes whose command line contains `text`, after waiting up to `within` s for them to go.
    /proc on Linux, `ps` elsewhere on POSIX; not checked on Windows (an empty list)."""
    deadline = time.monotonic() + within
    while True:
        found = []
        if Path("/proc/self/cmdline").exists():
            for entry in Path("/proc").iterdir():
                try:
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
                except OSError:
                    continue
                if entry.name.isdigit() and text in command:   # a zombie's cmdline is empty
                    found.append(f"{entry.name} {command[:200]}")
        elif os.name == "posix":
            table = subprocess.run(["ps", "-A", "-o", "pid=,stat=,command="], capture_output=True, text=True).stdout
            found = [line for line in table.splitlines() if text in line and "Z" not in line.split()[1]]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


__all__ = ["CATALOG", "CODE", "ROOT", "RunningBoard", "SLUGS", "key_of", "processes_mentioning", "results"]
