"""python -m graders: the learner's command (status, list, next, hint, check, watch, reset, solution, doctor,
join). See graders/learner/cli.py."""
import sys

from graders.learner.cli import main

sys.exit(main())
