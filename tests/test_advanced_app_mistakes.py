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

# cookies: the visits cookie found by searching the whole header for "visits=".
VISITS_BY_SEARCH = (
    ("import asyncio\n", "import asyncio\nimport re\n"),
    ('    previous = read_cookies(request).get("visits", "")',
     '    found = re.search(r"visits=(\\w*)", request.header("cookie", ""))\n'
     '    previous = found.group(1) if found else ""'),
)
SESSION_ID = "    session_id = secrets.token_urlsafe(32)"
FORGET = '    sessions.pop(read_cookies(request).get("session", ""), None)'

ESCAPE = "        return html.escape(str(values[name]))"

MISTAKES = [
    Mistake("concurrency: the request read in the accept loop stalls everyone", "concurrency",
            READ_IN_THE_ACCEPT_LOOP, "silent_client", ("read in the accept loop", "GET /fast")),
    Mistake("concurrency: the request read in the accept loop dies of a reset", "concurrency",
            READ_IN_THE_ACCEPT_LOOP, "resets_mid_request", ("reset its connection", "exited")),
    Mistake("concurrency: a pool of two workers", "concurrency",
            (("import threading\n", "import threading\nfrom concurrent.futures import ThreadPoolExecutor\n"),
             ("    with socket.create_server(", "    pool = ThreadPoolExecutor(2)\n    with socket.create_server("),
             ("            threading.Thread(target=serve_client, args=(conn, args, answer), daemon=True).start()",
              "            pool.submit(serve_client, conn, args, answer)")),
            "five_slow", ("a pool with too few workers",)),
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
            (("            deadline = time.monotonic() + IDLE_TIMEOUT",
              "            deadline = time.monotonic() + args.timeout"),),
            "quiet_and_stalled", ("still open after 5 s",)),
    Mistake("keep_alive: HEAD answered with the body", "keep_alive",
            (("                reply = reply_to(request, response, keep_alive=keep_alive)",
              "                reply = response.encode(keep_alive=keep_alive)"),),
            "head_is_the_head", ("never carries a body",)),
    Mistake("cookies: visits found by searching the header for 'visits='", "cookies", VISITS_BY_SEARCH,
            "count_on_from_the_cookie", ("whose name is exactly visits",)),
    Mistake("cookies: a garbage visits cookie read with int()", "cookies",
            (("    count = int(previous) + 1 if previous.isdecimal() else 1",
              "    try:\n        count = int(previous) + 1\n    except ValueError:\n        count = 1"),),
            "garbage", ("is not a count of visits",)),
    Mistake("cookies: the session id is a counter", "cookies",
            ((SESSION_ID, "    session_id = str(len(sessions) + 1)"),), "unguessable", ("easy to guess",)),
    Mistake("cookies: the session id is a hash of the username", "cookies",
            (("import secrets\n", "import hashlib\n"),
             (SESSION_ID, "    session_id = hashlib.sha256(username.encode()).hexdigest()")),
            "unguessable", ("a new session id on every login",)),
    Mistake("cookies: one global current user instead of a session per id", "cookies",
            (("    sessions[session_id] = username\n",
              "    sessions[session_id] = username\n    global current_user\n    current_user = username\n"),
             ('    return text(f"Hello, {username}\\n")', '    return text(f"Hello, {current_user}\\n")')),
            "keep_their_own_sessions", ("never in one variable for everybody",)),
    Mistake("cookies: logout forgets every session", "cookies", ((FORGET, "    sessions.clear()"),),
            "keep_their_own_sessions", ("never the others",)),
    Mistake("cookies: logout without a session raises KeyError", "cookies",
            ((FORGET, '    del sessions[read_cookies(request).get("session", "")]'),),
            "logout_without_a_session", ("nothing to forget",)),
    Mistake("cookies: logout only deletes the cookie in the browser", "cookies", ((FORGET + "\n", ""),),
            "ends_the_session_on_the_server", ("a stolen copy of the cookie",)),
    Mistake("cookies: the cookie sent at logout never expires", "cookies",
            (('    expired = "session=; Max-Age=0; HttpOnly; Path=/; SameSite=Lax"',
              '    expired = "session=; HttpOnly; Path=/; SameSite=Lax"'),),
            "expires_the_cookie", ("Max-Age=0, or Expires in the past",)),
    Mistake("cookies: the login form split by hand", "cookies",
            (('    username = form.get("username", [""])[0]',
              '    username = request.body.decode().split("=")[1]'),),
            "any_legal_shape", ("parse_qs",)),
    Mistake("templates: escape without quote=True", "templates",
            ((ESCAPE, "        return html.escape(str(values[name]), quote=False)"),),
            "quotes_are_escaped", ("quote=False", "where a bare quote ends the attribute")),
    Mistake("templates: a hand-written escape that escapes & last", "templates",
            ((ESCAPE,
              '        return str(values[name]).replace("<", "&lt;").replace(">", "&gt;").replace("&", "&amp;")'),),
            "values_are_escaped", ("escaped twice", "Escape & first")),
    Mistake("templates: a missing value becomes a silent blank", "templates",
            (("        if name not in values:\n", "        if name not in values:\n            return ''\n"),),
            "missing_value_is_a_500", ("must raise, not become a silent blank",)),
    Mistake("templates: the loop drops repeated items", "templates",
            (("for item in values[sequence])", "for item in dict.fromkeys(values[sequence]))"),),
            "loop_renders_one_li", ("repeats included",)),
    Mistake("templates: the query split by hand", "templates",
            (('    name = parse_qs(request.query).get("name", ["world"])[0]',
              '    name = request.query.split("=")[1] if "=" in request.query else "world"'),),
            "hello_renders_the_name", ("the query decoded",)),
    Mistake("request_response: header lookup case-sensitive", "request_response",
            (("        return self.values.get(name.lower(), default)",
              "        return self.values.get(name, default)"),),
            "case_insensitive", ("get() must lower-case the name it looks up",)),
    Mistake("request_response: header names stored as sent", "request_response",
            (("            key = name.lower()", "            key = name"),),
            "case_insensitive", ("listed under its lower-cased name",)),
    Mistake("request_response: a header on two lines keeps only the last", "request_response",
            (('            self.values[key] = f"{self.values[key]}, {value}" if key in self.values else value',
              "            self.values[key] = value"),),
            "two_lines", ("not only the last line",)),
    Mistake("request_response: Response headers in a dict", "request_response",
            (('        self.headers: list[tuple[str, str]] = [("Content-Type", content_type)]',
              '        self.headers: dict[str, str] = {"Content-Type": content_type}'),
             ("        self.headers.append((name, value))", "        self.headers[name] = value"),
             ('        lines += [f"{name}: {value}" for name, value in self.headers]',
              '        lines += [f"{name}: {value}" for name, value in self.headers.items()]')),
            "set_cookie", ("a dict keeps only the last value",)),
    Mistake("request_response: Content-Length counts characters", "request_response",
            (('        if isinstance(body, str):\n            body = body.encode("utf-8")\n'
              '        length = len(body)\n',
              '        length = len(body)\n'
              '        if isinstance(body, str):\n            body = body.encode("utf-8")\n'),),
            "counts_bytes", ("it counted characters, not bytes",)),
    Mistake("request_response: HEAD answered with the body", "request_response",
            (('            reply = response.encode(include_body=request.method != "HEAD")',
              "            reply = response.encode()"),),
            "head_is_the_head", ("never carries a body",)),
    Mistake("middleware: auth checked after the handler has run", "middleware",
            (('    if request.path.startswith("/admin/") and not has_token(request):\n',
              '    response = await next_handler(request)\n'
              '    if request.path.startswith("/admin/") and not has_token(request):\n'),
             ("        return response\n    return await next_handler(request)",
              "        return response\n    return response")),
            "never_reach_the_handler", ("without calling next_handler",)),
    Mistake("middleware: the chain built first-innermost", "middleware",
            (("    for middleware in reversed(middlewares):", "    for middleware in middlewares:"),),
            "registration_order", ("The order is reversed",)),
    Mistake("middleware: the token searched for inside the header", "middleware",
            (("    return scheme.lower() == \"bearer\" and "
              "secrets.compare_digest(token.encode(), ADMIN_TOKEN.encode())",
              "    return ADMIN_TOKEN in request.header(\"authorization\", \"\")"),),
            "without_the_token_is_401", ("401 Unauthorized for",)),
    Mistake("middleware: the Bearer scheme matched case-sensitively", "middleware",
            (("    return scheme.lower() == \"bearer\" and", "    return scheme == \"Bearer\" and"),),
            "any_legal_shape", ("case-insensitive (RFC 9110, 11.1)",)),
    Mistake("middleware: the call counter read before an await and written after it", "middleware",
            (("import asyncio\n", "import asyncio\nimport inspect\n"),
             ("    return router.dispatch(request)\n",
              "    response = router.dispatch(request)\n"
              "    return await response if inspect.isawaitable(response) else response\n"),
             ("def admin_stats(request) -> Response:\n    global calls\n    calls += 1",
              "async def admin_stats(request) -> Response:\n    global calls\n    seen = calls\n"
              "    await asyncio.sleep(0.01)   # fetch the other stats\n    calls = seen + 1"),),
            "counted_once", ("counted exactly once",)),
    Mistake("middleware: the timing layer registered inside the auth one", "middleware",
            (('MIDDLEWARE = [timing, cors, require_token, tracer("outer"), tracer("inner")]',
              'MIDDLEWARE = [cors, require_token, timing, tracer("outer"), tracer("inner")]'),),
            "without_the_token_is_401", ("no X-Response-Time header", "a 401")),
    # The core never writes a 204's body (reference/core/response.py), so the realistic slip that gets through is
    # the length of a body the handler meant to send.
    Mistake("middleware: a preflight that announces a body", "middleware",
            (('        return Response(204, [("Access-Control-Allow-Origin", "*"),',
              '        return Response(204, [("Content-Length", "11"), ("Access-Control-Allow-Origin", "*"),'),),
            "preflight", ("a 204 with no body at all",)),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, tuple[int, str]]:
    return grade_all(MISTAKES, tmp_path_factory, workers=6)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_the_grader_names_the_mistake(graded, mistake):
    assert_caught(mistake, *graded[mistake.name])
