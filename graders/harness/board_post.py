"""Send a grader run's results to the workshop board the learner joined (`python -m graders join URL`).

A board is a nice extra, never a reason for a failed or slow run: the post runs in a background thread, the
run waits for it at most POST_BUDGET seconds in all (connect, send, answer), and whatever goes wrong costs the
learner one printed line. Only runs whose results file was written are posted, so partial runs (-k, --lf) and
interrupted ones never reach the board. Standard library only (urllib), with proxies ignored: a proxy from
the environment would otherwise capture a board on the room's network.

Every post carries the learner key `join` stored (X-Learner-Key): the board gives a name to the first key that
posts under it, so nobody else can post as this learner. A state from before keys existed gets one now.

The learner's state file is the one graders/ground/state.py names (its one override variable, WSFS_STATE_FILE,
is what the kit's own tests set, so they never touch a real learner's state).
"""
from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

POST_BUDGET = 1.0


@dataclass
class PostOutcome:
    ok: bool
    status: int | None      # the board's HTTP status, None when it never answered
    message: str            # for the learner: what happened, in words
    reply: dict | None = None


def board_address(board) -> tuple[str, str] | None:
    """(the board's base URL, the join code) from the state's board entry, or None if it is unusable.

    `url` is the base URL; a join URL with ?code=ABCD in it is accepted too."""
    if not isinstance(board, dict) or not isinstance(board.get("url"), str):
        return None
    parts = urlsplit(board["url"].strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    code = board.get("code") or parse_qs(parts.query).get("code", [""])[0]
    if not isinstance(code, str) or not code:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", "")), code


def plain_reason(error: BaseException) -> str:
    """Why a post failed, in words a learner can act on."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, ConnectionRefusedError):
        return "nothing is listening there (has the board stopped?)"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"no answer within {POST_BUDGET:g} s"
    if isinstance(reason, socket.gaierror):
        return "that address is unknown here (are you on the workshop's network?)"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__


def post_results(base_url: str, code: str, results: dict, budget: float = POST_BUDGET,
                 key: str | None = None) -> PostOutcome:
    """POST the results file to <base_url>/api/results. Returns within about `budget` seconds, whatever the
    network does: the request runs in a daemon thread that is abandoned if it takes longer."""
    return post_json(base_url, code, "/api/results", results, budget, key)


def post_json(base_url: str, code: str, route: str, payload: dict, budget: float = POST_BUDGET,
              key: str | None = None) -> PostOutcome:
    """POST `payload` as JSON to <base_url><route> with the join code and learner key (results, race scores)."""
    endpoint = f"{base_url}{route}?{urlencode({'code': code})}"
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    outcome: list[PostOutcome] = []

    def send() -> None:
        headers = {"Content-Type": "application/json", "X-Join-Code": code,
                   "User-Agent": "web-servers-from-scratch-grader"}
        if key:
            headers["X-Learner-Key"] = key
        request = urllib.request.Request(endpoint, data=body, method="POST", headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=budget) as answer:
                reply = json.loads(answer.read(65536).decode("utf-8") or "{}")
                outcome.append(PostOutcome(True, answer.status, "accepted", reply))
        except urllib.error.HTTPError as error:
            try:
                reason = json.loads(error.read(65536).decode("utf-8")).get("error", "")
            except (ValueError, AttributeError, OSError):
                reason = ""
            outcome.append(PostOutcome(False, error.code, f"the board answered {error.code}"
                                       + (f": {reason}" if reason else f" {error.reason}")))
        except Exception as error:  # any network trouble at all is one line for the learner, never a crash
            outcome.append(PostOutcome(False, None, plain_reason(error)))

    sender = threading.Thread(target=send, name="board-post", daemon=True)
    sender.start()
    sender.join(budget)
    return outcome[0] if outcome else PostOutcome(False, None, f"no answer within {budget:g} s")


def state_path() -> Path:
    from graders.ground.state import state_file
    return state_file()


def learner_state() -> dict:
    from graders.ground.state import load_state
    return load_state(state_path())


class BoardPoster:
    """Registered by the harness plugin in the controlling process: after the run's summary, post its results."""

    def __init__(self, config: pytest.Config):
        self.config = config

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        recorder = self.config.pluginmanager.get_plugin("grader-results")
        data, outcome = getattr(recorder, "data", None), getattr(recorder, "outcome", None)
        if not data or outcome is None or not outcome.saved:
            return          # nothing was written: a partial, interrupted or kit's-solutions run is not the room's
        try:
            from graders.ground.state import board_key
            state = learner_state()
            address = board_address(state.get("board"))
            key = board_key(state_path()) if address else None
        except Exception:   # an unreadable state file is the learner tools' business, not this run's
            return
        if address is None:
            return
        base_url, code = address
        results = dict(data)
        if isinstance(state.get("name"), str) and state["name"].strip():
            results["learner"] = state["name"]      # the name the learner gave when joining
        outcome = post_results(base_url, code, results, key=key)
        if outcome.ok:
            line = f"Workshop board: your results reached {base_url} (as {results['learner']})."
        else:
            line = (f"Workshop board: could not post to {base_url}: {outcome.message}. "
                    f"Your results are saved here anyway.")
        terminalreporter.write_line(line)
