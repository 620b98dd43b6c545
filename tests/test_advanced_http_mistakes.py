"""The graders of caching, upload, gzip and rest_api catch the mistakes a learner makes there, each in words
that name it (issues 17 and 18: false passes found by hand, and mutants that survived).

Each case is a kit solution with one realistic mistake put in (text substitutions that must match exactly once,
so a changed solution fails here loudly instead of silently testing nothing). The grader runs on it as a learner
runs it, from a --target folder outside the kit, limited with -k to the check that should catch it; the test
reads the failure a learner would read.
"""
import pytest

from tests.mistakes import Mistake, assert_caught, grade_all

# Every case is graded once, a few at a time, in the first test's setup: on a busy machine that takes minutes.
pytestmark = pytest.mark.timeout(900)

CACHING = [
    Mistake("a 304 with Content-Length: 0", "caching",
            (('[("Content-Length", str(stat.st_size))]', '[("Content-Length", "0")]'),),   # "no body, so 0"
            "if_none_match_with_the_tag", ("Content-Length: 0", "RFC 9110, 8.6")),
    Mistake("If-Range compared weakly", "caching",
            (('return if_range == etag and not etag.startswith("W/")', 'return if_range.removeprefix("W/") == etag'),),
            "only_for_the_current_tag", ("compares strongly", "206 Partial Content")),
    Mistake("a range end past the file not clamped", "caching",
            (("if last is None or last >= size:", "if last is None:"),),
            "cut_at_its_end", ("a last byte past the end means the end",)),
    Mistake("mutant: last >= size -> last == size", "caching",
            (("if last is None or last >= size:", "if last is None or last == size:"),),
            "cut_at_its_end", ("a last byte past the end means the end",)),
    Mistake("If-Range with a date ignored", "caching",
            (("    return if_range == modified\n", "    return True\n"),),
            "current_date", ("is not the file's Last-Modified",)),
    Mistake("mutant: if_range == modified -> !=", "caching",
            (("    return if_range == modified\n", "    return if_range != modified\n"),),
            "current_date", ("the Last-Modified you sent",)),
    Mistake("mutant: first >= size -> first > size", "caching",
            (("if first >= size:", "if first > size:"),),
            "past_the_end_gives_416", ("416 Range Not Satisfiable", "numbered 0 to")),
]
GZIP = [
    Mistake("'gzip; q=0' (with a space) still compressed", "gzip",
            (('coding, *parameters = [part.strip().lower() for part in item.split(";")]',
              'coding, *parameters = item.strip().split(";")'),),
            "refused_with_q0", ("means the client refuses gzip (q=0)", "Hint 1/4 (gzip)")),
    Mistake("Vary only on compressed answers", "gzip",
            (('    response.headers.append(("Vary", "Accept-Encoding"))\n', ""),
             ('    response.headers.append(("Content-Encoding", "gzip"))',
              '    response.headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]')),
            "plain_answer_says_vary", ("Vary: Accept-Encoding, on the plain answer too",)),
]
REST_API = [
    # The core never writes a 204's body (reference/core/response.py): what still gets through is the length of
    # the JSON body the handler meant to send.
    Mistake("DELETE answers 204 announcing a JSON body", "rest_api",
            (("    return Response(204)\n", '    return Response(204, [("Content-Length", "17")])\n'),),
            "delete_note", ("no Content-Length on a 204", "it has no body to measure")),
    Mistake("ids from max(notes) + 1", "rest_api",
            (('note = {"id": next_id, "text": read_text(request)}',
              'note = {"id": max(notes, default=0) + 1, "text": read_text(request)}'),
             ("        notes[next_id] = note\n", '        notes[note["id"]] = note\n')),
            "never_given_again", ("must stay gone", "a counter that only grows")),
    Mistake("ids from len(notes) + 1", "rest_api",
            (('note = {"id": next_id, "text": read_text(request)}',
              'note = {"id": len(notes) + 1, "text": read_text(request)}'),
             ("        notes[next_id] = note\n", '        notes[note["id"]] = note\n')),
            "never_given_again", ("must stay gone", "a counter that only grows")),
]
UPLOAD = [
    Mistake("a quoted boundary kept with its quotes", "upload",
            ((r"""found = re.search(r';\s*boundary=(?:"([^"]{1,70})"|([^;\s"]{1,70}))', content_type, re.IGNORECASE)""",
              r"""found = re.search(r'boundary=()([^;\s]+)', content_type)"""),),
            "quoted_boundary", ("inside the quotes", "201")),
    Mistake("exists() and then write", "upload",
            (("""    while True:
        try:
            with open(path, "xb") as file:             # "x": fails if it exists, even if made a moment ago
                file.write(content)
            return path
        except FileExistsError:
""", """    while path.exists():
"""), ("""            path = folder / f"{Path(name).stem}-{secrets.token_hex(4)}{Path(name).suffix}"
""", """        path = folder / f"{Path(name).stem}-{secrets.token_hex(4)}{Path(name).suffix}"
    __import__("time").sleep(0.2)   # any work between the check and the write (a log line, a hash) opens the gap
    path.write_bytes(content)
    return path
""")),
            "same_moment", ("eight different names", "open(path, 'xb')")),
]
MORE = [
    Mistake("Windows device names kept", "upload",
            (('''    if name.split(".")[0].upper() in WINDOWS_DEVICES:
        name = "_" + name                              # "CON.txt" is the console on Windows, not a file
''', ""),),
            "safe_name_is_kept", ("no Windows device",)),
    Mistake("the first piece of a path kept", "upload",
            (('re.split(r"[/\\\\]", filename)[-1]', 're.split(r"[/\\\\]", filename)[0]'),),
            "safe_name_is_kept", ("without its folders or drive",)),
    Mistake("a preamble refused", "upload",
            (("    if position < 0:\n", "    if position != 0:\n"),),
            "preamble", ("a preamble, which a parser skips",)),
    Mistake("RecursionError not caught", "rest_api",
            (("    except RecursionError:\n", "    except TypeError:\n"),),
            "nested_too_deeply", ("RecursionError",)),
]
MISTAKES = CACHING + GZIP + REST_API + UPLOAD + MORE


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, tuple[int, str]]:
    return grade_all(MISTAKES, tmp_path_factory)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_the_grader_names_the_mistake(graded, mistake):
    assert_caught(mistake, *graded[mistake.name])
