"""`python -m graders <verb>` (also `wsfs <verb>`): the learner's command. See the README, "For learners"."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from graders.ground import state
from graders.ground.catalog import LEVELS
from graders.ground.console import tolerant_console

from . import kit
from .kit import Progress, UserError


# Each verb once: its words in the help, its help line, and how its parser is built (None: no arguments).
# The epilog and the parser are both made from this list, so they cannot disagree.
def _slug(verb, required=False):
    verb.add_argument("slug", nargs=None if required else "?")


def _hint(verb):
    _slug(verb)
    verb.add_argument("--all", action="store_true", help="show the hints already seen")


def _list(verb):
    verb.add_argument("--todo", action="store_true", help="only the challenges not passed yet")
    verb.add_argument("--done", action="store_true", help="only the challenges passed")
    verb.add_argument("--level", choices=LEVELS, help="only one level")


def _grade(verb, every=False):
    _slug(verb)
    verb.add_argument("--seed", type=int, help="replay the random values of an earlier run")
    if every:
        verb.add_argument("--all", action="store_true", help="grade every challenge in order, one line each")
        verb.add_argument("--level", choices=LEVELS, help="grade every challenge of one level")


def _reset(verb):
    _slug(verb, required=True)
    verb.add_argument("--yes", "-y", action="store_true", help="do not ask first")


def _race(verb):
    verb.add_argument("slug", nargs="?", help="the challenge whose server races (default: the last one you passed "
                      "that serves the site)")
    verb.add_argument("--scenario", choices=("a", "b", "c"),
                      help="only one: a (a connection per request, 10 at a time), b (keep-alive, 50 connections), "
                           "c (/slow, 100 at a time); default all three")
    verb.add_argument("--seconds", type=float, default=2.0, help="seconds per round (default 2; 3 rounds each, "
                      "the floor's in turn)")
    verb.add_argument("--generator", choices=("auto", "wrk", "ab", "stdlib"), default="auto",
                      help="the load generator: auto (default) is wrk if installed, else ab, else the stdlib one")
    verb.add_argument("--target", choices=("exercises", "solutions"), default="exercises",
                      help="race the kit's solution instead of your own (never posted)")


def _join(verb):
    verb.add_argument("url")
    verb.add_argument("--name", help="your name on the board and in the results file")


VERBS = (
    ("status", "", "your progress per level, and what to do next (the default)", None),
    ("list", "", "every challenge in order, with its status (--todo, --done, --level L)", _list),
    ("next", "", "the next challenge: what to build, the file to edit, how to grade it", None),
    ("hint", "[SLUG]", "one more hint each time (--all: those you have seen)", _hint),
    ("check", "[SLUG]", "run the grader, as python -m pytest graders/<level>/test_<slug>.py does "
     "(--all or --level L: every challenge, one line each)", lambda verb: _grade(verb, every=True)),
    ("watch", "[SLUG]", "grade on every save; keys: h hint, l list, c check, n next, q quit", _grade),
    ("reset", "SLUG", "put the starter back as shipped, after a dated backup (--yes: do not ask)", _reset),
    ("solution", "SLUG", "the diff from your file to the kit's solution", _reset),
    ("doctor", "", "check this computer's setup, each problem with its fix", None),
    ("join", "URL", "remember a workshop board and your name (--name NAME)", _join),
    ("race", "[SLUG]", "hack time: race your server against the floor, scored on the board (--scenario a|b|c, "
     "--seconds N)", _race),
)
INSTRUCTOR_VERBS = (("report", "FILES...", "a class table from many results files (--csv OUT, --html OUT)"),
                    ("board", "", "a live workshop board (--port 8000, --lan)"))
PASSED_THROUGH = ("check", "watch")   # options these do not know go to the grader: --server-url, -k, -x...


def epilog() -> str:
    def rows(verbs):
        return [f"  {(name + ' ' + words).strip():<18} {text}" for name, words, text, *_ in verbs]
    return "\n".join(["verbs:", *rows(VERBS), "", "for instructors:", *rows(INSTRUCTOR_VERBS), "",
                      "SLUG defaults to the current challenge: the first one not passed yet.",
                      "check and watch pass the grader's own options through: --server-url URL, -k WORDS, -x."])


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors, as one line and a pointer to help
        raise UserError(f"{message}\n`{kit.cli_command('--help')}` lists the verbs.")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="wsfs" if kit.INVOKED_AS_WSFS else "python -m graders", description="Your loop through the "
                    "challenges of Web Servers from Scratch.", epilog=epilog(),
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=Parser)
    for name, _words, text, arguments in VERBS:
        verb = verbs.add_parser(name, help=text)
        if arguments:
            arguments(verb)
    return parser


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The verb's own options; a check or watch keeps the others for the grader (args.passthrough)."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.verb not in PASSED_THROUGH:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.passthrough = rest
    return args


def chosen(progress: Progress, slug: str | None):
    """The named challenge, or the current one."""
    if slug:
        return kit.find(slug)
    current = progress.current()
    if current is None:
        raise UserError(f"Every challenge has passed. Name one to go back to it: `{kit.cli_command('list')}` "
                        "shows them.", code=0)
    return current


def welcome(progress: Progress) -> None:
    """The catalog's welcome, the first time (the state file remembers it was shown)."""
    if progress.state.get("welcomed") or not kit.catalog_words("welcome"):
        return
    print(kit.catalog_words("welcome") + "\n")
    try:
        state.update_state(welcomed=True)
    except OSError:
        pass  # shown again next time: better than a crash


def run(args: argparse.Namespace) -> int:
    from . import check, doctor, hints, join, race, reset, solution, status, watch  # noqa: PLC0415 - keeps -h fast
    verb = args.verb or "status"
    if verb == "doctor":
        return doctor.doctor()
    if verb == "join":
        return join.join(args.url, args.name)
    progress = Progress.load()
    welcome(progress)
    if verb == "status":
        return status.status(progress)
    if verb == "next":
        return status.next_(progress)
    if verb == "list":
        if args.todo and args.done:
            raise UserError("--todo and --done leave nothing to list: choose one.")
        return status.list_(progress, todo=args.todo, done=args.done, level=args.level)
    if verb == "race":
        return race.race(progress, args.slug, args.scenario, args.seconds, args.generator, args.target)
    if verb == "hint":
        return hints.hint(progress, chosen(progress, args.slug), args.all)
    grader_options = (["--seed", str(args.seed)] if getattr(args, "seed", None) is not None else [])
    grader_options += getattr(args, "passthrough", [])
    if verb == "check" and (args.all or args.level):
        if args.slug:
            raise UserError("check takes a SLUG or --all/--level, not both.")
        return check.check_all(progress, args.level, grader_options)
    if verb == "check":
        return check.check(chosen(progress, args.slug), grader_options)
    if verb == "watch":
        return watch.watch(chosen(progress, args.slug), grader_options, given=args.slug is not None)
    if verb == "reset":
        return reset.reset(kit.find(args.slug), args.yes)
    if verb == "solution":
        return solution.solution(progress, kit.find(args.slug), args.yes)
    raise UserError(f"unknown verb {verb!r}")


def main(argv: list[str] | None = None) -> int:
    tolerant_console()   # a console that cannot show a character gets '?', not a crash
    kit.INVOKED_AS_WSFS = Path(sys.argv[0]).stem.lower() == "wsfs"
    try:
        code = run(parse(argv))
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
