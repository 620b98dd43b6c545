"""The websocket_echo, websocket_chat and wsgi graders catch realistic mistakes, each in words that name it.

Each case is a kit solution with one mistake put in (tests/mistakes.py), graded as a learner grades it, limited
with -k to the check that should catch it. The cases are those of issue 17 (a grader once passed each of them),
and two of issue 20: the pong order (the loop every WebSocket server of the kit shared) and a WSGI body
joined in memory.
"""
import pytest

from tests.mistakes import Mistake, assert_caught, grade_all

pytestmark = pytest.mark.timeout(900)   # eight graders run, three at a time, on a busy machine

OLD_LOOP = ('''            # Pongs for the pings that came before this message go first: a ping between the pieces of a
            # message is answered before the message is (RFC 6455, 5.5.2: "as soon as is practical").
            writer.write(ws.data_to_send())
            yield message
''', '''            yield message
''')
WSGI_CLOSE_AFTER_THE_LOOP = (("        yield framing.end()\n",
                              "        yield framing.end()\n        if hasattr(body, \"close\"):\n"
                              "            body.close()\n"),
                             ("    finally:\n        if hasattr(body, \"close\"):\n            body.close()\n", ""))
MISTAKES = [
    Mistake("UTF-8 checked on each fragment", "websocket_echo",
            (("        self.fragments.append(frame.payload)\n",
              "        self.message(self.message_opcode, frame.payload)   # each piece must be text\n"
              "        self.fragments.append(frame.payload)\n"),),
            "cut_between_fragments", ("cut inside characters", "a fragment alone need not be valid UTF-8",
                                      "decode a TEXT message only then"), file="frames.py"),
    Mistake("no size limit across fragments", "websocket_echo",
            (("        if self.message_size > MAX_MESSAGE or len(self.fragments) > MAX_FRAGMENTS:\n"
              '            raise ProtocolError("the message is too big, or in too many pieces", 1009)\n', ""),),
            "1009", ("past the 1 MiB limit", "MAX_FRAGMENTS", "2 failed"), file="frames.py"),
    Mistake("a limit on bytes but not on fragments", "websocket_echo",
            (("        if self.message_size > MAX_MESSAGE or len(self.fragments) > MAX_FRAGMENTS:\n",
              "        if self.message_size > MAX_MESSAGE:\n"),),
            "too_many_fragments", ("MAX_FRAGMENTS", "count them"), file="frames.py"),
    Mistake("pongs sent after the message a ping interrupted", "websocket_echo", (OLD_LOOP,),
            "ping_between_fragments", ("first a PONG", "its pong goes before the message")),
    Mistake("Connection compared as one exact word", "websocket_echo",
            (('or "upgrade" not in connection:', 'or request.header("connection", "") != "Upgrade":'),),
            "handshake_answers_101 and firefox", ("Connection is a list", "keep-alive, Upgrade")),
    Mistake("the leave announced after the async for, not in finally", "websocket_chat",
            (("    try:\n        async for message", "    if True:\n        async for message"),
             ("    finally:\n        # However the loop ended", "    if True:\n        # However the loop ended")),
            "reset", ("never runs, code in `finally:` does", "room.discard(me)")),
    Mistake("close() after the loop, not in finally", "wsgi", WSGI_CLOSE_AFTER_THE_LOOP,
            "raises_half_way", ("then raised", "put it in a finally")),
    Mistake("the body joined in memory before it is sent", "wsgi",
            (("        for piece in body:\n", "        for piece in [b\"\".join(body)]:   # all of it, then send\n"),),
            "each_piece", ("never the body joined at the end", "within 0.8 s")),
    Mistake("a second start_response with exc_info ignored", "wsgi",
            (('        started["status"], started["headers"] = status, headers\n',
              '        if "status" not in started:   # the first call wins\n'
              '            started["status"], started["headers"] = status, headers\n'),),
            "exc_info", ("500, the app's second status", "but got 200")),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_all(MISTAKES, tmp_path_factory)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_the_grader_names_the_mistake(graded, mistake):
    assert_caught(mistake, *graded[mistake.name])
