"""The foundations, beginner and intermediate graders catch the mistakes of issue 17, each in words that name it.

Each case is a kit solution (or starter) with one realistic mistake put in (tests/mistakes.py), graded as a
learner grades it, from a --target folder outside the kit, limited with -k to the check that should catch it.
"""
import time

import pytest

from tests.mistakes import Mistake, assert_caught, grade, grade_all

NO_END_OF_STREAM = ('''        chunk = conn.recv(4096)
        if not chunk:
            return b""                                  # the client hung up before finishing
        head += chunk
''', "        head += conn.recv(4096)\n")
MISTAKES = [
    Mistake("hello_socket: no conn.settimeout()", "hello_socket",
            (("    conn.settimeout(TIMEOUT)  ", "    pass  "),),
            "stalls", ("connection still open", "CLIENT_TIMEOUT=1", "conn.settimeout(TIMEOUT)")),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, tuple[int, str]]:
    return grade_all(MISTAKES, tmp_path_factory)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_the_grader_names_the_mistake(graded, mistake):
    assert_caught(mistake, *graded[mistake.name])


def test_a_recv_loop_that_spins_on_b_empty_is_named_at_once_and_the_run_ends_fast(tmp_path):
    """No check for b"": the readiness probe leaves, recv() returns b"" for ever, the server spins. The first
    failure says so (with the CPU it burnt, on Linux), every other check says "Same problem", and the whole
    grader ends in seconds, not after 7 checks x 5 s."""
    mistake = Mistake("hello_socket: a recv loop without b''", "hello_socket", (NO_END_OF_STREAM,), "",
                      ("Your server stopped answering after a client that connected and left", "recv() returns b'' at once",
                       "Same problem as above", "Hint 2/5 (hello_socket)"))
    started = time.perf_counter()
    code, output = grade(mistake, tmp_path)
    assert_caught(mistake, code, output)
    assert time.perf_counter() - started < 20, output[-2000:]
