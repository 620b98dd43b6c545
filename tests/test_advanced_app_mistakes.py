"""The graders of six advanced challenges (concurrency, keep_alive, cookies, templates, request_response,
middleware) catch realistic mistakes, each in words that name it.

Each case is a kit solution with one realistic mistake put in (tests/mistakes.py): the grader runs on the copy
exactly as a learner runs it, limited with -k to the check that should catch it, and the test reads the failure
a learner would read.
"""
import pytest

from tests.mistakes import Mistake, assert_caught, grade_all

# Every case is graded once, a few at a time, by the module's fixture: more than pytest's 60 s for one test.
pytestmark = pytest.mark.timeout(900)

# concurrency: the request is read in the accept loop, and only the answer runs in a thread.
READ_IN_THE_ACCEPT_LOOP = (
    ("from reference.blocking_server import connections, serve_client",
     "from reference.blocking_server import connections, read_request, serve_client"),
    ("            threading.Thread(target=serve_client, args=(conn, args, answer), daemon=True).start()",
     "            request = read_request(conn, time.monotonic() + args.timeout)\n"
     "            threading.Thread(target=serve_client, args=(conn, args, answer, lambda *_: request),\n"
     "                             daemon=True).start()"),
)

# keep_alive: the Connection header compared as one whole string, not as a list of options.
WHOLE_CONNECTION_HEADER = (
    ('    options = {option.strip().lower() for option in request.header("connection", "").split(",")}',
     '    options = {request.header("connection", "").lower()}'),)

MISTAKES = [
    Mistake("concurrency: the request read in the accept loop stalls everyone", "concurrency",
            READ_IN_THE_ACCEPT_LOOP, "silent_client", ("read in the accept loop", "GET /fast")),
    Mistake("concurrency: the request read in the accept loop dies of a reset", "concurrency",
            READ_IN_THE_ACCEPT_LOOP, "resets_mid_request", ("reset its connection", "exited")),
    Mistake("keep_alive: the connection kept open after a 400", "keep_alive",
            (("                keep_alive = False       # after a broken request we cannot tell where the next one "
              "starts\n", ""),),
            "closes_after_a_400", ("RFC 9112, 9.6",)),
    Mistake("keep_alive: Connection options compared case-sensitively", "keep_alive",
            (("option.strip().lower() for option", "option.strip() for option"),),
            "options_in_any_case", ("in any case", "Connection:")),
    Mistake("keep_alive: the Connection header compared as one string", "keep_alive",
            WHOLE_CONNECTION_HEADER, "options_in_any_case", ("comma-separated list",)),
    Mistake("keep_alive: a new parser for every request loses the bytes after one", "keep_alive",
            (("    parser = RequestParser()             # one parser per connection: it keeps the bytes left over\n"
              "    with conn:\n        while True:\n",
              "    with conn:\n        while True:\n            parser = RequestParser()\n"),),
            "split_at_random", ("cut into", "Keep one parser")),
    Mistake("keep_alive: the idle deadline is the 10 s request timeout", "keep_alive",
            (("            deadline = time.monotonic() + IDLE_TIMEOUT", "            deadline = time.monotonic() + args.timeout"),),
            "quiet_and_stalled", ("still open after 5 s",)),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, tuple[int, str]]:
    return grade_all(MISTAKES, tmp_path_factory)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_the_grader_names_the_mistake(graded, mistake):
    assert_caught(mistake, *graded[mistake.name])
