"""The grader harness: boot a learner's server for real, talk to it with independent clients, and explain
every failure in words a beginner understands. The API is documented in graders/README.md.

    from graders.harness import expect, fetch

    def test_search_answers(server):
        answer = fetch(server, "GET", "/search?q=cats")
        expect(answer.status == 200, answer, expected="status 200")
"""
import importlib

# Loaded on first use, so that `python -m graders` (which reads only the catalog) starts fast and still works,
# to say what is missing, on a machine where pytest or requests are not installed yet.
_EXPORTS = {"RawConnection": "clients", "fetch": "clients", "open_raw": "clients", "send_raw": "clients",
            "Exchange": "exchange", "Headers": "exchange", "LocalServer": "boot", "GraderFailure": "messages",
            "expect": "messages", "fail": "messages", "with_advice": "messages",
            "survives_a_short_body": "checks", "head_is_the_head_of_get": "checks"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value
