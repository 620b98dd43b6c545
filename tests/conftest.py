# The kit's own tests run graders with --learner; a remembered name must not land in the developer's real
# learner-state.json. Every test (and every process it starts) gets a state file of its own instead; the tests
# of `python -m graders` work in a copy of the kit and set their own environment.
import pytest

from graders.ground.state import OVERRIDE


@pytest.fixture(autouse=True)
def separate_learner_state(tmp_path_factory, monkeypatch):
    monkeypatch.setenv(OVERRIDE, str(tmp_path_factory.mktemp("state") / "learner-state.json"))


# The kit's own tests use both cores by default: each test mostly waits on a real server, and a serial run
# takes twice as long. `-n 0` (or any -n) chooses for yourself. Only here, for tests/: the graders never run in
# workers, so a learner's `python -m pytest graders/...` is unchanged.
MOST_WORKERS = 4   # every test boots servers: past a few workers they only queue for the CPU


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    option = config.option
    if getattr(option, "numprocesses", "absent") is None and not hasattr(config, "workerinput") \
            and not option.collectonly and config.pluginmanager.hasplugin("xdist"):
        option.numprocesses = "auto"
        option.maxprocesses = option.maxprocesses or MOST_WORKERS
        if option.dist == "no":
            option.dist = "loadgroup"    # tests marked xdist_group share one worker (and its session fixtures)


def pytest_collection_modifyitems(items):
    """A buggy-copy module grades every case in one module fixture: its tests share one worker, so the
    fixture runs once, not once per worker."""
    for item in items:
        if item.path.name.endswith("_mistakes.py"):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
