"""The pytest side of the harness: options, the `server` and `rng` fixtures, readable failures, the summary."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT
from graders.ground.catalog import challenge_for, load_catalog
from graders.ground.console import tolerant_console

from . import messages
from .board_post import BoardPoster
from .boot import LocalServer, RemoteServer
from .messages import GraderFailure, indent
from .options import SEED, server_url, target_dir
from .results import ResultsRecorder

OUTPUT_BEFORE = pytest.StashKey[int]()   # the size of the server's output when a check began


def pytest_addoption(parser):
    group = parser.getgroup("grader", "Web Servers from Scratch graders")
    group.addoption("--target", default="exercises",
                    help="folder holding <level>/<slug>/server.py: exercises (default), solutions, or your own")
    group.addoption("--server-url", default=None,
                    help="grade a server you started yourself, e.g. http://127.0.0.1:8002 (http:// may be left out)")
    group.addoption("--seed", type=int, default=None, help="seed for the random values graders pick")
    group.addoption("--learner", default=None,
                    help="your name in the results file, remembered for later runs (default: git user.name)")
    group.addoption("--results", default=None,
                    help="results file (default: grader-results.json at the kit's root, from any folder)")


def pytest_configure(config):
    seed = config.getoption("seed")
    if seed is None:  # under pytest-xdist, workers take the controller's seed so a failure can be replayed
        seed = getattr(config, "workerinput", {}).get("grader_seed")
    if seed is None:
        seed = random.randrange(1, 1_000_000)
    config.stash[SEED] = seed
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "short"  # for other errors; GraderFailures show no traceback at all
    # A console that cannot show every character makes pytest escape a whole failure into one line of \uXXXX:
    # escape only the characters it lacks (PYTHONUTF8=1 avoids even that: see the README).
    tolerant_console("backslashreplace", [sys.stdout])
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(ResultsRecorder(config), "grader-results")
        config.pluginmanager.register(BoardPoster(config), "grader-board")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):  # pytest-xdist, in the controller: hand each worker the seed
    node.workerinput["grader_seed"] = node.config.stash[SEED]


def pytest_collection_modifyitems(items):
    """Grade in the catalog's order (hello_socket before go_async), so the first failure a learner reads is the
    first challenge's. The sort is stable: each module's checks stay together, in the file's own order."""
    order = {challenge.key: number for number, challenge in enumerate(load_catalog())}

    def position(item) -> int:
        challenge = challenge_for(item.path)
        return order.get(challenge.key, len(order)) if challenge else len(order)

    items.sort(key=position)


def pytest_report_header(config):
    where = server_url(config) or target_dir(config)
    return f"graders: server from {where}, seed {config.stash[SEED]}"


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    """The learner's server for this grader module: booted once, stopped for sure."""
    challenge = challenge_for(request.module.__file__)
    if challenge is None:
        raise pytest.UsageError(f"the server fixture needs a grader named graders/<level>/test_<slug>.py, "
                                f"not {request.module.__file__}")
    url = server_url(request.config)
    if url:
        remote = RemoteServer(url)
        remote.check_reachable()
        yield remote
        return
    script = target_dir(request.config) / challenge.level / challenge.slug / "server.py"
    if not script.is_file():
        shown = script.relative_to(KIT_ROOT) if script.is_relative_to(KIT_ROOT) else script
        raise GraderFailure(f"The grader expected your server at {shown}, but there is no such file.\n"
                            f"(Full path: {script}.) Create it there, or point the grader at another folder with "
                            f"--target DIR: DIR must contain {challenge.level}/{challenge.slug}/server.py.")
    local = LocalServer(script, tmp_path_factory.mktemp(challenge.slug),
                        getattr(request.module, "SERVER_ARGS", ()), getattr(request.module, "SERVER_ENV", None),
                        unbuffered=getattr(request.module, "UNBUFFERED", True))
    try:
        local.start()
        yield local
    finally:
        local.stop()


@pytest.fixture
def rng(request) -> random.Random:
    """Random values that --seed replays exactly: seeded per test, so order and workers do not matter."""
    return random.Random(f"{request.config.stash[SEED]}:{request.node.nodeid}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Note where the server's output stands before the check, so a traceback printed during it can be found."""
    server = getattr(item, "funcargs", {}).get("server")
    item.stash[OUTPUT_BEFORE] = messages.output_size(server)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    challenge = challenge_for(item.path)
    if challenge is None:
        return
    report.user_properties.append(("challenge", challenge.key))
    server = getattr(item, "funcargs", {}).get("server")
    note = getattr(server, "network_note", "")
    if note and not getattr(server, "network_note_sent", False):
        server.network_note_sent = True  # once per server; it reaches the controller inside this report
        report.user_properties.append(("note", f"Note ({challenge.slug}): {note}"))
    if not report.failed or call.excinfo is None:
        return
    error = call.excinfo.value
    teaching = isinstance(error, GraderFailure)
    headline = error.headline if teaching else call.excinfo.exconly().strip().splitlines()[0]
    exited = isinstance(server, LocalServer) and server.exit_code is not None
    traceback = "" if exited or report.when != "call" or getattr(item.module, "TRACEBACKS_EXPECTED", False) \
        else messages.new_traceback(server, item.stash.get(OUTPUT_BEFORE, None))
    # The server raised while answering: that is the mistake to name first, whatever the check saw after.
    recorded = f"Your server raised {traceback.splitlines()[-1].strip()} ({headline})" if traceback else headline
    report.user_properties.append(("failure", messages.clip(recorded, 300)))
    hint_name, words = error.hint if teaching else None, ""
    if teaching and hint_name is None and not error.message.startswith("Your server") and hasattr(item, "function"):
        # A connection problem, raised before any expectation: say what the check was about, and its hint.
        words, hint_name = messages.what_the_check_expects(item.function, challenge)
    report.user_properties.append(("hint", messages.hint_shown(challenge, hint_name) if teaching else None))
    if getattr(error, "explained", False):  # the same boot failure, raised again for the module's next test
        report.longrepr = f"Same problem as above: {headline}"
        return
    error.explained = teaching

    first, last = [], []
    if exited and not (teaching and error.message.startswith("Your server")):
        first.append(server.exit_story("while the checks ran") + "\n\nWhat the check saw:")
    elif traceback:
        first.append(f"Your server raised an exception during this check; it printed:\n{indent(traceback)}\n"
                     "Fix that first: the lines above name the file, the line and the error.\n\nWhat the check saw:")
    elif server is not None and not exited and server.tail().strip():
        last.append(f"Your server printed (last lines):\n{indent(server.tail(10))}")
    if "rng" in item.fixturenames and report.when == "call":
        seed = item.config.stash[SEED]
        last.append(f"The random values came from seed {seed}: add --seed {seed} to get the same ones again.")
    if teaching:
        message = error.message
        if words:
            message += f"\n\n(The check that failed: {words}.)"
        parts = first + [message, messages.hint_text(challenge, hint_name)] + last + [where(call.excinfo, item)]
        report.longrepr = "\n\n".join(part for part in parts if part)
    elif first:
        report.longrepr = "\n\n".join(first + [str(report.longrepr)] + last)
    elif last:
        report.sections.append(("grader notes", "\n\n".join(last)))


def where(excinfo, item) -> str:
    """The grader line that made the check, for whoever wants to read it."""
    for entry in reversed(excinfo.traceback):
        if Path(entry.path) == Path(item.path):
            path = Path(item.path)
            shown = path.relative_to(KIT_ROOT) if path.is_relative_to(KIT_ROOT) else path
            return f"(checked at {shown}:{entry.lineno + 1})"
    return ""
