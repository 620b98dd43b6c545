"""The instructor's commands: `python -m graders report ...` and `python -m graders board ...` (also
`python -m graders.instructor report|board ...`). Each returns an exit code, never a traceback for bad input."""
from __future__ import annotations

import argparse
from pathlib import Path

from graders.ground.console import tolerant_console
from graders.ground.files import write_atomically
from reference.cli import check_port

REPORT_HELP = """A class table from many results files (grader-results.json, one per learner).
Folders are searched for *.json files. Files that cannot be read are reported in one line each and skipped."""

BOARD_HELP = """A live workshop board: learners join with `python -m graders join URL`, and every grader run
of theirs appears on one page, for the projector. Learner names are shown to everyone who sees the page."""


def report_main(argv: list[str] | None = None) -> int:
    from .classroom import build_classroom
    from .collect import collect
    from .report import csv_bytes, render_html, render_table

    tolerant_console()
    parser = argparse.ArgumentParser(prog="python -m graders report", description=REPORT_HELP)
    parser.add_argument("paths", nargs="+", metavar="FILES_OR_DIRS", help="results files, or folders holding them")
    parser.add_argument("--csv", type=Path, metavar="OUT.csv",
                        help="also write the table as CSV (opens in a spreadsheet)")
    parser.add_argument("--html", type=Path, metavar="OUT.html", help="also write one self-contained HTML page")
    args = parser.parse_args(argv)

    collected = collect(args.paths)
    room = build_classroom(collected.results)
    print(render_table(room, collected), end="")
    if not collected.results:
        print("No results file could be read: nothing to report. Collect each learner's grader-results.json "
              "(it is written at the kit's root after every grader run) and name the files or their folder.")
        return 1
    code = 0
    for path, make in ((args.csv, lambda: csv_bytes(room)),
                       (args.html, lambda: render_html(room, collected).encode("utf-8"))):
        if path is None:
            continue
        try:
            write_atomically(path, make())
            print(f"Wrote {path}")
        except OSError as error:
            print(f"Could not write {path}: {error.strerror or error}. Choose another path.")
            code = 1
    return code




def board_main(argv: list[str] | None = None) -> int:
    from . import board_server

    tolerant_console()
    parser = argparse.ArgumentParser(prog="python -m graders board", description=BOARD_HELP)
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--lan", action="store_true",
                        help="let the room reach the board (binds 0.0.0.0); without it only this computer can")
    parser.add_argument("--db", type=Path, default=Path("board.sqlite3"),
                        help="SQLite file holding the results (default board.sqlite3 here); a restart keeps them")
    parser.add_argument("--code", help="the join code to use, at least 8 letters or digits (default: the one stored "
                                       "in --db, or a new random one, such as KM7R-W2QD)")
    parser.add_argument("--new-code", action="store_true", help="make a new random join code (old joins stop posting)")
    parser.add_argument("--stuck-minutes", type=float, default=10.0,
                        help="mark a learner stuck when the same check has failed this long (default 10)")
    parser.add_argument("--csv", type=Path, metavar="OUT.csv",
                        help="write the stored results as CSV (the same as `report --csv`) and exit")
    parser.add_argument("--release", metavar="NAME",
                        help="let another laptop post under NAME (a learner who lost their state) and exit; "
                             "works while the board runs")
    race = parser.add_mutually_exclusive_group()
    race.add_argument("--race-open", dest="race", action="store_const", const=True,
                      help="hack time: accept `python -m graders race` scores, shown at /race, and exit; works "
                           "while the board runs (or use the button on your own page)")
    race.add_argument("--race-closed", dest="race", action="store_const", const=False,
                      help="stop accepting race scores (those posted stay) and exit")
    args = parser.parse_args(argv)
    check_port(parser, args.port)
    if args.stuck_minutes <= 0:
        parser.error("--stuck-minutes must be more than 0")
    if args.code is not None and not board_server.valid_code(args.code):
        parser.error("--code must be 8 to 32 letters or digits (dashes are ignored): a shorter code is easy to guess")
    return board_server.run(args)
