"""The https, asgi, reverse_proxy and streaming graders catch realistic mistakes, each in words that name it,
and pass correct servers that take a legal road the kit's solution does not.

Each case is a kit solution with one mistake put in (text substitutions that must match exactly once, so a
changed solution fails here loudly), graded as a learner grades it, limited with -k to the check that should
catch it (tests/mistakes.py).
"""
import pytest

from tests.mistakes import Mistake, assert_caught, grade_all

pytestmark = pytest.mark.timeout(900)   # the module's fixture grades every case: a few minutes on a busy machine

# streaming ------------------------------------------------------------------------------------------------
SPIN = ("""            if piece:
                conn.sendall(frame(piece) if chunked else piece)""",
        """            while piece:
                try:
                    conn.sendall(frame(piece) if chunked else piece)
                    break
                except ConnectionError:
                    continue            # try the write again""")
THREAD_PER_STREAM = ("        streams.put((conn, request, answer))",
                     "        threading.Thread(target=send_and_close, args=(conn, request, answer), "
                     "daemon=True).start()")

MISTAKES = [
    Mistake("trailers after the zero chunk never answered", "streaming",
            (('return b"".join(body) if data.find(b"\\r\\n\\r\\n", line_end) >= 0 else None',
              'return b"".join(body) if data[line_end:] == b"\\r\\n\\r\\n" else None'),),
            "trailer_lines", ("trailer", "waits for ever", "Trailer lines")),
    Mistake("no CRLF check after chunk data", "streaming",
            (('''        if data[start + size:start + size + 2] != b"\\r\\n":
            raise HTTPError(400, "a chunk does not end where its size says")
''', ""),),
            "malformed_chunk", ("'XX'", "check that CRLF follows", "got 200")),
    Mistake("a stream that retries its write after the client left, spinning", "streaming",
            (SPIN, THREAD_PER_STREAM), "use_no_cpu", ("a loop is spinning", "trying the write again")),
    Mistake("HEAD /countdown streams the body", "streaming",
            (('if isinstance(answer, Stream) and request.method != "HEAD":', "if isinstance(answer, Stream):"),),
            "head_is_the_head", ("never carries a body",)),
]

# https ----------------------------------------------------------------------------------------------------
MISTAKES += [
    Mistake("no deadline on the TLS handshake", "https",
            (("            tls.settimeout(args.timeout)\n", ""),),
            "stalled_handshake", ("still open after", "settimeout(args.timeout) before do_handshake()")),
    Mistake("HSTS on the plain-HTTP redirect", "https",
            (('    response.headers.append(("Location", location))',
              '    response.headers.append(("Location", location))\n'
              '    response.headers.append(("Strict-Transport-Security", HSTS))'),),
            "redirect_port_goes_to_https", ("no Strict-Transport-Security on the plain-HTTP redirect", "RFC 6797")),
    Mistake("Location built from an absolute-form target", "https",
            (("{origin_form(request.target)}", "{request.target}"),),
            "absolute_form", ("absolute form", "Location: https://127.0.0.1:")),
    Mistake("HEAD on the redirect port sends the page", "https",
            (("from reference.blocking_server import connections, serve_client",
              "from reference.blocking_server import connections, serve_client\n"
              "from reference.core.response import Response as _Response"),
             ("    return response\n\n\ndef serve_redirects",
              "    response.encode = lambda include_body=True, keep_alive=False: _Response.encode(response)\n"
              "    return response\n\n\ndef serve_redirects")),
            "head_on_the_redirect", ("never carries a body",)),
]

# asgi -----------------------------------------------------------------------------------------------------
STARTUP_FAILED = ("""        if answer["type"] == "lifespan.startup.failed":
            sys.exit(f"asgi: the app could not start: {answer.get('message', '')}")
""", "")
MISTAKES += [
    Mistake("serving before lifespan.startup.complete", "asgi",
            (("        answer = await self.from_app.get()\n", ""), STARTUP_FAILED),
            "before_its_startup", ("had not finished starting", "Wait for that answer before serving")),
    Mistake("lifespan.startup.failed ignored", "asgi", (STARTUP_FAILED,),
            "startup_failed", ("it kept running", "lifespan.startup.failed")),
]

MISTAKES += [
    Mistake("HEAD answered with Content-Length: 0", "asgi",
            (('                lines.append(f"Content-Length: {length}")',
              '                lines.append(f"Content-Length: {0 if self.request.method == \'HEAD\' else length}")'),),
            "head_is_the_head", ("Content-Length: 0", "the length of the body GET would send")),
]

# reverse_proxy --------------------------------------------------------------------------------------------
MISTAKES += [
    Mistake("two Host headers sent upstream", "reverse_proxy",
            (('connection.putrequest(request.method, target, skip_host="host" in request.headers,',
              "connection.putrequest(request.method, target,"),),
            "reaches_the_upstream_with_its_target", ("2 Host headers", "skip_host=True")),
    Mistake("the request body never sent upstream", "reverse_proxy",
            (("connection.endheaders(request.body or None)", "connection.endheaders()"),),
            "binary_bodies_reach", ("The upstream received", "bytes of body", "endheaders(request.body)")),
]

# Correct servers that once failed: each must pass the checks named.
CORRECT = [
    Mistake("SSE that opens with retry: and a comment (correct)", "streaming",
            (("    tick = 0\n", '    yield b"retry: 1000\\n: a comment line\\n\\n"\n    tick = 0\n'),),
            "events or countdown", ()),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, tuple[int, str]]:
    return grade_all(MISTAKES + CORRECT, tmp_path_factory)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_the_grader_names_the_mistake(graded, mistake):
    assert_caught(mistake, *graded[mistake.name])


@pytest.mark.parametrize("server", CORRECT, ids=lambda m: m.name)
def test_the_grader_passes_a_correct_server(graded, server):
    code, output = graded[server.name]
    assert code == 0, output[-4000:]
