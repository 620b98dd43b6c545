"""The ground floor of graders/: what every other part stands on, and nothing here imports from above it.

    ground      graders/ground (the kit's root, the catalog, the results model, the learner's state and name,
                atomic files, the console) and graders/supervisor (servers in child processes)
    harness     graders/harness: the pytest plugin (options, boot, clients, messages, progress, the board post)
    specs       graders/<level>/test_<slug>.py, reading like a spec and standing on the harness
    top         graders/learner (the learner's command) and graders/instructor (the report and the board),
                side by side: neither imports the other

An import may run down a floor or stay on its own, never up; tests/test_floors.py reads every import to keep
it so. Standard library only: `python -m graders` must start, and say what is missing, before the graders'
packages are installed.
"""
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[2]     # the kit's folder: computed here, and only here
STATIC = KIT_ROOT / "static"                        # the site every server serves
