"""python -m graders.instructor report|board ...: the same as python -m graders report|board (graders/__main__.py)."""
import sys

from .cli import board_main, report_main

USAGE = "usage: python -m graders.instructor {report,board} ...  (add --help after either for its options)"


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("report", "board"):
        print(USAGE)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return (report_main if argv[0] == "report" else board_main)(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
