# The kit's own tests run graders with --learner; a remembered name must not land in the developer's real
# learner-state.json. Every test (and every process it starts) gets a state file of its own instead; the tests
# of `python -m graders` work in a copy of the kit and set their own environment.
import os
import signal

import pytest

from graders.ground.state import OVERRIDE
from tests.kit_copy import GRADERS_PLUGINS_ONLY


@pytest.fixture(autouse=True)
def separate_learner_state(tmp_path_factory, monkeypatch):
    monkeypatch.setenv(OVERRIDE, str(tmp_path_factory.mktemp("state") / "learner-state.json"))


# The pytests that the module and session fixtures start (buggy copies, whole-kit runs) load only the graders'
# plugins too (tests/kit_copy.py says why). Only for the children: this run has started already.
@pytest.fixture(scope="session", autouse=True)
def children_load_only_the_graders_plugins():
    with pytest.MonkeyPatch.context() as patch:
        for name, value in GRADERS_PLUGINS_ONLY.items():
            patch.setenv(name, value)
        yield


# A run started as a shell's background job inherits Ctrl+C (SIGINT) ignored, and so would every server a test
# starts: the tests that press Ctrl+C would wait in vain. Give it back its usual meaning, here and in the workers.
def hear_ctrl_c() -> None:
    try:
        if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:          # not the main thread: nothing to give back there
        pass


hear_ctrl_c()


# The kit's own tests run in parallel by default: two workers per core, at most four. Most tests wait on a real
# server (a deadline, a slow handler, a client that stalls): with one worker per core the CPU sat half idle.
# `-n N` chooses for yourself; `-n 0` runs serially. Only here, for tests/: the graders never run in workers, so a
# learner's `python -m pytest graders/...` is unchanged.
WORKERS_PER_CORE, MOST_WORKERS = 2, 4   # past a few workers they only queue for the CPU


def default_workers(cores: int | None) -> int:
    return max(1, min(MOST_WORKERS, WORKERS_PER_CORE * (cores or 1)))


def usable_cores() -> int | None:
    """The cores this process may run on (a container or `taskset` may allow fewer than the machine has)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    option = config.option
    if hasattr(config, "workerinput") or option.collectonly or not hasattr(option, "numprocesses"):
        return                       # a worker, a collection, or no pytest-xdist (its -n option is missing)
    if option.numprocesses is None:
        option.numprocesses = default_workers(usable_cores())
    chosen = any(arg == "--dist" or arg.startswith("--dist=") for arg in config.invocation_params.args)
    if option.numprocesses and not chosen:   # with a -n of your own too (pytest-xdist may have said "load")
        option.dist = "loadgroup"    # tests marked xdist_group share one worker (and its session fixtures)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """A worker reads its options from the command line again, where the loadgroup chosen above is not."""
    node.workerinput["loadgroup"] = node.config.option.dist == "loadgroup"


def pytest_configure(config):
    if getattr(config, "workerinput", {}).get("loadgroup"):
        config.option.loadgroup = True   # what pytest-xdist's worker reads to keep a group's tests together


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist reads the groups off the items
def pytest_collection_modifyitems(items):
    """A buggy-copy module grades every case in one module fixture: its tests share one worker, so the
    fixture runs once, not once per worker."""
    for item in items:
        if item.path.name.endswith("_mistakes.py"):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
