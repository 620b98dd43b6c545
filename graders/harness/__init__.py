"""The grader harness: boot a learner's server for real, talk to it with independent clients, and explain
every failure in words a beginner understands. The API is documented in graders/README.md.

    from graders.harness import expect, fetch

    def test_search_answers(server):
        answer = fetch(server, "GET", "/search?q=cats")
        expect(answer.status == 200, answer, expected="status 200")
"""
from .clients import RawConnection, fetch, open_raw, send_raw
from .exchange import Exchange, Headers
from .boot import LocalServer
from .messages import GraderFailure, expect, fail, with_advice
from .checks import survives_a_short_body

__all__ = ["Exchange", "GraderFailure", "Headers", "LocalServer", "RawConnection", "expect", "fail", "fetch", "open_raw",
           "send_raw", "survives_a_short_body", "with_advice"]
