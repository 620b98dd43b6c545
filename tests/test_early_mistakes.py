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
    Mistake("serve_files: HEAD says Content-Length: 0", "serve_files",
            (('''a blank line, then the body."""\n''',
              '''a blank line, then the body."""\n    body = b"" if method == "HEAD" else body\n'''),),
            "head_is_the_head", ("Content-Length: 0", "including the length of the body it leaves out",
                                 "Hint 5/6 (serve_files)")),
    Mistake("serve_files: no 431 for a head over MAX_HEAD", "serve_files",
            (('''    if b"\\r\\n\\r\\n" not in head:\n'''
              '''        return error_page("431 Request Header Fields Too Large")\n''', ""),),
            "431", ("431 Request Header Fields Too Large (or 400)", "but got 200 OK", "more than MAX_HEAD")),
    Mistake("route_decorator: HEAD /hello sends the page", "route_decorator",
            (('ROUTES[path]().encode("utf-8"), method)', 'ROUTES[path]().encode("utf-8"))'),),
            "head_is_the_head and hello", ("HEAD /hello", "never carries a body", "Hint 4/5 (route_decorator)")),
    Mistake("go_async: no deadline on reading the head", "go_async",
            (("await asyncio.wait_for(read_head(reader), TIMEOUT)", "await read_head(reader)"),),
            "hung_up_on", ("connection still open", "CLIENT_TIMEOUT=1", "asyncio.wait_for(read_head(reader), TIMEOUT)",
                           "Hint 4/5 (go_async)")),
    Mistake("go_async: the writer is never closed", "go_async",
            (("    finally:\n        writer.close()\n", "    finally:\n        pass\n"),),
            "static_files and about", ("still open", "Call writer.close()")),
    Mistake("json_api: headers.get(...).startswith with no Content-Type", "json_api",
            ((('    media_type = request.header("content-type", "").split(";")[0].strip().lower()\n'
               '    if media_type != "application/json":'),
              '    if not request.headers.get("content-type").startswith("application/json"):'),),
            "without_content_type", ("415 Unsupported Media Type", "None.startswith(...) raises AttributeError",
                                     "request.header('content-type', '')")),
    Mistake("json_api: except json.JSONDecodeError lets a non-UTF-8 body through", "json_api",
            (("    except (ValueError, RecursionError) as error:",
              "    except (json.JSONDecodeError, RecursionError) as error:"),),
            "not_utf8", ("not UTF-8", "UnicodeDecodeError", "Catch ValueError")),
    Mistake("post_form: an empty or blank name is thanked", "post_form",
            (('    if not form.get("name", [""])[0].strip():', '    if not form.get("name"):'),),
            "missing_name", ("is no name at all", "but got 200 OK", "strip() it")),
    Mistake("error_pages: except KeyError around the handler", "error_pages",
            (("    except Exception:\n", "    except KeyError:\n"),),
            "500_page", ("Catch every exception (except Exception:)", "Hint 3/5 (error_pages)")),
    Mistake("request_logging: HEAD logged with the page's size", "request_logging",
            (("    size = len(response.body) if send_body else 0\n", "    size = len(response.body)\n"),),
            "head_request", ("the answer to HEAD sends none", "Hint 2/4 (request_logging)")),
    Mistake("query_params: target.split('?') into two names", "query_params",
            (('    path, _, query = target.partition("?")',
              '    path, query = target.split("?") if "?" in target else (target, "")'),),
            "question_mark", ("only the first '?' starts the query", "target.partition('?')")),
    Mistake("time_route: html() called but never imported", "time_route",
            (("from reference.core.response import html  "
              "# html(page) builds a Response: 200, text/html, the page encoded\n",
              ""),),
            "html_page", ("Your server raised an exception during this check", "NameError: name 'html' is not defined",
                          "(The check that failed: time is an html page.)")),
]


pytestmark = pytest.mark.timeout(900)      # one fixture grades every case, a few at a time: minutes on a busy machine


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory) -> dict[str, tuple[int, str]]:
    selected = {item.callspec.params["mistake"].name for item in request.session.items
                if hasattr(item, "callspec") and "mistake" in item.callspec.params}
    return grade_all([m for m in MISTAKES if m.name in selected], tmp_path_factory)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_the_grader_names_the_mistake(graded, mistake):
    assert_caught(mistake, *graded[mistake.name])


def test_a_recv_loop_that_spins_on_b_empty_is_named_at_once_and_the_run_ends_fast(tmp_path):
    """No check for b"": the readiness probe leaves, recv() returns b"" for ever, the server spins. The first
    failure says so (with the CPU it burnt, on Linux), every other check says "Same problem", and the whole
    grader ends in seconds, not after 7 checks x 5 s."""
    mistake = Mistake("hello_socket: a recv loop without b''", "hello_socket", (NO_END_OF_STREAM,), "",
                      ("Your server stopped answering after a client that connected and left",
                       "recv() returns b'' at once", "Same problem as above", "Hint 2/5 (hello_socket)"))
    started = time.perf_counter()
    code, output = grade(mistake, tmp_path)
    assert_caught(mistake, code, output)
    assert time.perf_counter() - started < 25, output[-2000:]    # it was 35 s: 7 checks, 5 s each


def test_a_correct_server_whose_boom_raises_another_exception_passes(tmp_path):
    """A correct server may have another bug in /boom: the grader looks for a traceback, whatever the exception."""
    variant = Mistake("error_pages: /boom raises RuntimeError", "error_pages",
                      (("""    return html(f"<h1>{settings['greetting']}</h1>")""",
                        """    raise RuntimeError("the database is on holiday")"""),), "boom or traceback or bug", ())
    code, output = grade(variant, tmp_path)
    assert code == 0, output[-3000:]


def test_the_progress_footer_shows_the_hint_the_failure_showed():
    from graders.ground.catalog import load_catalog
    from graders.harness.results import summary_lines
    challenge = next(c for c in load_catalog() if c.slug == "hello_socket")
    second, last = challenge.hints[1], challenge.hints[-1]
    entry = {"slug": "hello_socket", "level": "foundations", "status": "failed", "first_failure_hint": second.name}
    footer = " ".join(" ".join(summary_lines({"hello_socket": entry}, ["foundations"])).split())
    assert " ".join(second.text.split())[:60] in footer
    for named in (None, last.name, "no_such_hint"):     # no hint shown, or the answer: the first, never the last
        entry["first_failure_hint"] = named
        footer = " ".join(" ".join(summary_lines({"hello_socket": entry}, ["foundations"])).split())
        assert " ".join(challenge.hints[0].text.split())[:60] in footer and last.text[:40] not in footer


def test_a_correct_server_with_a_deadline_of_its_own_passes_the_stall_check(tmp_path):
    """A learner may ignore CLIENT_TIMEOUT and write conn.settimeout(3): correct, only slower to grade."""
    variant = Mistake("hello_socket: a fixed 3 s deadline", "hello_socket",
                      (("    conn.settimeout(TIMEOUT)  ", "    conn.settimeout(3)  "),), "stalls", ())
    code, output = grade(variant, tmp_path)
    assert code == 0, output[-3000:]
