"""`python -m graders <verb>` (also `wsfs <verb>`): the learner's command. See the README, "For learners"."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import kit
from .kit import Progress, UserError

VERBS = """verbs:
  status             your progress per level, and what to do next (the default)
  list               every challenge in order, with its status
  next               the next challenge: what to build, the file to edit, how to grade it
  hint [SLUG]        one more hint each time (--all: those you have seen)
  check [SLUG]       run the grader, as python -m pytest graders/<level>/test_<slug>.py does
  watch [SLUG]       grade on every save; on a pass, go on to the next challenge
  reset SLUG         put the starter back as shipped, after a dated backup (--yes: do not ask)
  solution SLUG      the diff from your file to the kit's solution
  doctor             check this computer's setup, each problem with its fix
  join URL           remember a workshop board and your name (--name NAME)

for instructors:
  report FILES...    a class table from many results files (--csv OUT, --html OUT)
  board              a live workshop board (--port 8000, --lan)

SLUG defaults to the current challenge: the first one not passed yet."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors, as one line and a pointer to help
        raise UserError(f"{message}\n`{kit.cli_command('--help')}` lists the verbs.")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="wsfs" if kit.INVOKED_AS_WSFS else "python -m graders", description="Your loop through the challenges of Web Servers from "
                    "Scratch.", epilog=VERBS, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=Parser)
    verbs.add_parser("status", help="your progress, and what to do next")
    verbs.add_parser("list", help="every challenge with its status")
    verbs.add_parser("next", help="the next challenge")
    hint = verbs.add_parser("hint", help="the next hint")
    hint.add_argument("slug", nargs="?")
    hint.add_argument("--all", action="store_true", help="show the hints already seen")
    for name, text in (("check", "run the grader"), ("watch", "grade on every save")):
        verb = verbs.add_parser(name, help=text)
        verb.add_argument("slug", nargs="?")
        verb.add_argument("--seed", type=int, help="replay the random values of an earlier run")
    reset = verbs.add_parser("reset", help="put a starter back as shipped")
    reset.add_argument("slug")
    reset.add_argument("--yes", "-y", action="store_true", help="do not ask first")
    solution = verbs.add_parser("solution", help="the diff to the kit's solution")
    solution.add_argument("slug")
    solution.add_argument("--yes", "-y", action="store_true", help="do not ask first")
    verbs.add_parser("doctor", help="check this computer's setup")
    join = verbs.add_parser("join", help="remember a workshop board")
    join.add_argument("url")
    join.add_argument("--name", help="your name on the board and in the results file")
    return parser


def chosen(progress: Progress, slug: str | None):
    """The named challenge, or the current one."""
    if slug:
        return kit.find(slug)
    current = progress.current()
    if current is None:
        raise UserError(f"Every challenge has passed. Name one to go back to it: `{kit.cli_command('list')}` "
                        "shows them.", code=0)
    return current


def run(args: argparse.Namespace) -> int:
    from . import check, doctor, hints, join, reset, solution, status, watch  # noqa: PLC0415 - keeps -h fast
    verb = args.verb or "status"
    if verb == "doctor":
        return doctor.doctor()
    if verb == "join":
        return join.join(args.url, args.name)
    progress = Progress.load()
    if verb == "status":
        return status.status(progress)
    if verb == "next":
        return status.next_(progress)
    if verb == "list":
        return status.list_(progress)
    if verb == "hint":
        return hints.hint(progress, chosen(progress, args.slug), args.all)
    if verb == "check":
        return check.check(chosen(progress, args.slug), args.seed)
    if verb == "watch":
        return watch.watch(chosen(progress, args.slug), args.seed)
    if verb == "reset":
        return reset.reset(kit.find(args.slug), args.yes)
    if verb == "solution":
        return solution.solution(progress, kit.find(args.slug), args.yes)
    raise UserError(f"unknown verb {verb!r}")


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # a console that cannot show a character gets '?', not a crash
        except (AttributeError, ValueError):
            pass
    kit.INVOKED_AS_WSFS = Path(sys.argv[0]).stem.lower() == "wsfs"
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] in (["report"], ["board"]):   # the instructor's verbs have options of their own
        from graders.instructor import cli as instructor  # noqa: PLC0415
        try:
            main_of = instructor.report_main if arguments[0] == "report" else instructor.board_main
            return main_of(arguments[1:])
        except KeyboardInterrupt:
            return 130
    try:
        code = run(build_parser().parse_args(argv))
        sys.stdout.flush()  # here, so that a closed pipe is caught below and not at the interpreter's exit
        return code
    except UserError as error:
        print(error.message, file=sys.stderr if error.code else sys.stdout)
        return error.code
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `python -m graders list | head`: the reader has all it wanted
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the final flush goes nowhere
        except (OSError, ValueError):
            pass
        return 0
