"""`join URL [--name NAME]`: remember a workshop board and the learner's name in the state file.

The board prints a URL such as http://10.0.0.5:8000/?code=KM7R-W2QD. This stores {"url": "http://10.0.0.5:8000/",
"code": "KM7R-W2QD", "key": a new random learner key}; later grader runs read it to post their results there (the
board's own code does that). The board gives a name to the first key that posts under it, so nobody else in
the room can post as this learner. Joining the same board again keeps the key: the learner keeps their name.
"""
from __future__ import annotations

import urllib.parse

from graders.ground import state as learner_state
from graders.ground.names import learner_name

from .kit import UserError, cli_command


def parse_board_url(url: str) -> dict:
    """{"url": the board without its query, "code": the join code}; UserError when it is not such a URL."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urllib.parse.urlsplit(text)
    code = urllib.parse.parse_qs(parts.query).get("code", [""])[0].strip()
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"{url!r} is not a board's address. Copy the whole join URL the board shows, "
                        "e.g. http://10.0.0.5:8000/?code=KM7R-W2QD")
    if not code:
        raise UserError(f"{url!r} has no join code. Copy the whole join URL the board shows, with its "
                        "?code=... at the end.")
    try:
        _ = parts.port          # reading it checks it: urllib raises ValueError for a port that is not a number
    except ValueError:
        raise UserError(f"{url!r} has a port that is not a number.") from None
    board = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
    return {"url": board, "code": code}


def join(url: str, name: str | None = None) -> int:
    board = parse_board_url(url)
    joined = learner_state.load_state().get("board")
    same_board = isinstance(joined, dict) and joined.get("url") == board["url"]
    key = joined.get("key") if same_board else None
    board["key"] = key if learner_state.is_learner_key(key) else learner_state.new_learner_key()
    changes = {"board": board}
    if name and name.strip():
        changes["name"] = name.strip()
    try:
        learner_state.update_state(**changes)
    except OSError as error:
        raise UserError(f"Could not save it in {learner_state.state_file()}: {error}") from None
    who = learner_name()
    print(f"Joined the board at {board['url']} (code {board['code']}) as {who}.")
    print("From now on each grader run also posts your results there: the instructor sees your progress, "
          "live. A board that is down never slows your runs.")
    if not name:
        print(f"Another name on the board? {cli_command('join', url, '--name', 'Your Name')}")
    print(f"Next: {cli_command()} shows where you are.")
    return 0
