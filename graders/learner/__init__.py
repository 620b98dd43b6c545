"""The learner's side of the kit: `python -m graders` (progress, hints, watch, reset, doctor, join) and the
small state file it keeps between runs."""
