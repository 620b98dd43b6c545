"""Two copies of the WebSocket code must stay, and must agree.

reference/core/websocket.py is the finished framing and handshake that the chat challenge and the reference
servers use. The websocket_echo solution keeps its own copy (frames.py and the handshake in server.py), because
its diff against the starter is the lesson. These tests fail as soon as the two drift apart.
"""
import ast
import importlib.util
import sys
from pathlib import Path

import pytest

from graders.ground import KIT_ROOT as ROOT
from reference.core import websocket as core
from reference.core.request_parser import RequestParser

SOLUTION = ROOT / "solutions" / "advanced" / "websocket_echo"


def definitions(path: Path) -> dict[str, str]:
    """Top-level functions, classes and constants, as code with every docstring removed."""
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        for inner in ast.walk(node):
            body = getattr(inner, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                inner.body = body[1:] or [ast.Pass()]
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = ast.unparse(node)
        elif isinstance(node, ast.Assign):
            found[ast.unparse(node.targets[0])] = ast.unparse(node)
    return found


def load_solution_server():
    sys.path.insert(0, str(SOLUTION))          # its `import frames` finds frames.py beside it
    try:
        spec = importlib.util.spec_from_file_location("websocket_echo_solution", SOLUTION / "server.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SOLUTION))


def test_the_framing_copies_are_the_same_code():
    ours, theirs = definitions(ROOT / "reference" / "core" / "websocket.py"), definitions(SOLUTION / "frames.py")
    shared = set(ours) & set(theirs)
    assert {"encode_frame", "FrameParser", "Connection", "accept_key", "unmask"} <= shared
    for name in sorted(shared):
        assert ours[name] == theirs[name], f"{name} differs between reference/core/websocket.py and frames.py"
    assert set(theirs) <= set(ours), f"frames.py has definitions the core lacks: {set(theirs) - set(ours)}"


def test_the_comparison_notices_a_change(tmp_path):
    changed = tmp_path / "frames.py"
    changed.write_text((SOLUTION / "frames.py").read_text(encoding="utf-8").replace("mask[i % 4]", "mask[i % 3]"))
    assert definitions(changed)["unmask"] != definitions(SOLUTION / "frames.py")["unmask"]


HANDSHAKES = [
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
    b"Sec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: \xc3\xa9t\xc3\xa9\r\nSec-WebSocket-Version: 13\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 8\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n",
]


@pytest.mark.parametrize("raw", HANDSHAKES, ids=range(len(HANDSHAKES)))
def test_the_handshake_copies_answer_alike(raw):
    solution = load_solution_server()
    request = RequestParser().receive(raw)
    refused = core.handshake_refusal(request)
    theirs = solution.refusal(request)
    assert (refused.encode() if refused else None) == theirs
    if refused is None:
        assert core.switching_protocols(request) == solution.switching_protocols(request)
