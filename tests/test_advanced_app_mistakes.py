"""The graders of six advanced challenges (concurrency, keep_alive, cookies, templates, request_response,
middleware) catch realistic mistakes, each in words that name it.

Each case is a kit solution with one realistic mistake put in (tests/mistakes.py): the grader runs on the copy
exactly as a learner runs it, limited with -k to the check that should catch it, and the test reads the failure
a learner would read.
"""
import pytest

from tests.mistakes import Mistake, assert_caught, grade_all

# concurrency: the request is read in the accept loop, and only the answer runs in a thread.
READ_IN_THE_ACCEPT_LOOP = (
    ("from reference.blocking_server import connections, serve_client",
     "from reference.blocking_server import connections, read_request, serve_client"),
    ("            threading.Thread(target=serve_client, args=(conn, args, answer), daemon=True).start()",
     "            request = read_request(conn, time.monotonic() + args.timeout)\n"
     "            threading.Thread(target=serve_client, args=(conn, args, answer, lambda *_: request),\n"
     "                             daemon=True).start()"),
)

MISTAKES = [
    Mistake("concurrency: the request read in the accept loop stalls everyone", "concurrency",
            READ_IN_THE_ACCEPT_LOOP, "silent_client", ("read in the accept loop", "GET /fast")),
    Mistake("concurrency: the request read in the accept loop dies of a reset", "concurrency",
            READ_IN_THE_ACCEPT_LOOP, "resets_mid_request", ("reset its connection", "exited")),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, tuple[int, str]]:
    return grade_all(MISTAKES, tmp_path_factory)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_the_grader_names_the_mistake(graded, mistake):
    assert_caught(mistake, *graded[mistake.name])
