"""python -m graders (also `wsfs`): one command for both houses on the top floor. The instructor's verbs
(report, board) go to graders/instructor; every other verb is the learner's (graders/learner/cli.py). This
is the one place that knows both, so neither house imports the other."""
import sys

INSTRUCTOR_VERBS = ("report", "board")


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] and arguments[0] in INSTRUCTOR_VERBS:   # options of their own: parsed there
        from graders.instructor import cli as instructor
        try:
            return (instructor.report_main if arguments[0] == "report" else instructor.board_main)(arguments[1:])
        except KeyboardInterrupt:
            return 130
    from graders.learner.cli import main as learner_main
    return learner_main(arguments)


if __name__ == "__main__":
    sys.exit(main())
