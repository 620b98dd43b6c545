"""The foundations graders catch the mistakes of a first socket server, each in words that name it.

Each case below is a kit solution with one realistic mistake put in (a text substitution, so a changed
solution fails here loudly instead of silently testing nothing). The grader runs on it exactly as a learner
runs it, from a --target folder outside the kit, limited with -k to the check that should catch it; the test
reads the failure a learner would read.
"""
import pytest

from tests.mistakes import Mistake, assert_caught, grade_all

pytestmark = pytest.mark.timeout(600)   # one fixture grades every case, a few at a time

READ_ONCE = ('    head = b""\n', '    return conn.recv(1024)\n')    # the loop below it is never reached
MISTAKES = [
    Mistake("one recv(1024) answers before the blank line", "hello_socket", (READ_ONCE,),
            "two_writes", ("before the blank line", "keep calling recv()")),
    Mistake("Content-Length counts characters", "hello_socket",
            (('f"Content-Length: {len(body)}', 'f"Content-Length: {len(body.decode())}'),),
            "answers_on_its_port", ("is the number of characters", "'✨'", "len() of the bytes")),
    Mistake("bare \\n line endings", "hello_socket",
            (('return head.encode("latin-1") + body', 'return head.replace("\\r\\n", "\\n").encode() + body'),),
            "answers_on_its_port", ("end with \\n alone", "sendall()")),
    Mistake("no accept loop", "hello_socket",
            (("        serve_client(conn)  ", "        serve_client(conn)\n        break  "),),
            "twenty_clients", ("exited with code 0", "accept() belongs inside a loop")),
    Mistake("a crash when a client sends nothing", "hello_socket",
            (("        if head:  ", "        print(head.decode().splitlines()[0])\n        if head:  "),),
            "leaves_without_a_word", ("IndexError", "recv() returns b''")),
    Mistake("a 3 KB head read with one recv(1024)", "serve_files",
            (('    head = b""\n', '    return conn.recv(1024)\n'),),
            "3_kb", ("part of our request was still unread", "recv(1024) is not a whole request")),
    Mistake("%2e%2e decoded after the '..' check", "serve_files",
            (('    if any(part in (".", "..") or "\\\\" in part or ":" in part or "\\0" in part for part in parts):',
              '    if ".." in path.split("/"):'),
             ("if file.is_relative_to(static.resolve()) and file.is_file():", "if file.is_file():")),
            "climbs_out and 2e", ("with the secret file from outside static/", "urllib.parse.unquote")),
    Mistake("binary files read in text mode", "serve_files",
            (("file.read_bytes(), method)", 'file.read_text(encoding="utf-8", errors="replace").encode(), method)'),),
            "binary", ("text mode decodes it", "read_bytes()")),
    Mistake("a 404 page sent as 200", "serve_files",
            (('return error_page("404 Not Found", method)',
              'return response("200 OK", HTML, b"<h1>404</h1>", method)'),),
            "missing_file", ("HTTP/1.1 404 Not Found", "but got 200 OK")),
    Mistake("time.sleep in a coroutine", "go_async",
            (("import asyncio\n", "import asyncio\nimport time\n"),
             ("        await asyncio.sleep(1)", "        time.sleep(1)")),
            "ten_slow", ("one after another", "await asyncio.sleep(1)")),
    Mistake("a blocking recv inside a coroutine", "go_async",
            (("import socket  # TODO: import asyncio instead of socket and time\nimport time\n",
              "import asyncio\nimport socket\n"),
             ("def serve_client(conn: socket.socket, static: Path) -> None:",
              "async def serve_client(conn: socket.socket, static: Path) -> None:"),
             ("def main() -> None:", "async def main() -> None:"),
             ("        time.sleep(1)", "        await asyncio.sleep(1)"),
             ("def answer(head: bytes, static: Path) -> bytes:",
              "async def answer(head: bytes, static: Path) -> bytes:"),
             ("            conn.sendall(answer(head, static))", "            conn.sendall(await answer(head, static))"),
             ("        serve_client(conn, args.static)",
              "        asyncio.create_task(serve_client(conn, args.static))\n"
              "        await asyncio.sleep(0)\n       "),
             ("        main()  ", "        asyncio.run(main())  ")),
            "does_not_delay", ("sat on half a request", "await reader.read()"), source="exercises"),
    Mistake("static files before routes", "route_decorator",
            (('    if path in ROUTES:  ', '    if path in ROUTES and find_file(path, static) is None:  '),),
            "wins_over", ("the static files were tried before the routes",)),
    Mistake("a handler run once, at import", "route_decorator",
            (("        ROUTES[path] = handler  ", "        ROUTES[path] = handler()  "),
             ('ROUTES[path]().encode("utf-8")', 'ROUTES[path].encode("utf-8")')),
            "made_for_each_request", ("the page was made once", "ROUTES[path] = handler")),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, tuple[int, str]]:
    return grade_all(MISTAKES, tmp_path_factory)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_the_grader_names_the_mistake(graded, mistake):
    assert_caught(mistake, *graded[mistake.name])
