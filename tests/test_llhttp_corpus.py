"""llhttp's request corpus, held against the kit's core parser and every reference server.

llhttp is the HTTP/1.1 parser inside Node.js. Its strict-mode request tests (test/request/*.md) are copied in
tests/data/llhttp/corpus.json by tests/data/llhttp/make_corpus.py, each with llhttp's verdict (the messages it
read, and the error that stopped it). Where the kit answers otherwise the file says what the kit does and
why: the kit requires Host on HTTP/1.1, refuses chunked request bodies with 501, and is stricter in places.
These tests hold the kit to that file:
- the core gives every case the verdict written down, whole and byte by byte;
- every request llhttp refuses for a framing reason (line ends, lengths, codings, header syntax), the kit
  refuses too, with no exception;
- every difference has a reason, and no reason is left on a case that no longer differs;
- every reference server answers each case as the core does, and never crashes or hangs.
"""
import json
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graders.supervisor import ServerProcess, free_port
from reference.core.request_parser import HTTPError, RequestParser

pytestmark = pytest.mark.slow   # `-m 'not slow'` leaves it out of a quick run

CORPUS = Path(__file__).parent / "data" / "llhttp" / "corpus.json"
# llhttp's error codes (src/llhttp/constants.ts) that are about where a message ends, or what its head says:
# STRICT, LF_EXPECTED, UNEXPECTED_CONTENT_LENGTH, INVALID_HEADER_TOKEN, INVALID_CONTENT_LENGTH,
# INVALID_CHUNK_SIZE, INVALID_TRANSFER_ENCODING, CR_EXPECTED, UNEXPECTED_SPACE. The kit must refuse them all.
FRAMING = {2, 3, 4, 10, 11, 12, 15, 25, 30}
# Not refusals: llhttp stops reading HTTP after CONNECT or Upgrade (the bytes that follow are another
# protocol), and after a request with Connection: close.
STOPS = {5, 22, 23}


def kit_verdict(raw: bytes, piece: int = 0) -> dict:
    """What the core reads from these bytes, all at once (piece=0) or `piece` bytes at a time."""
    parser, messages, refused = RequestParser(), [], None
    pieces = [raw[i:i + piece] for i in range(0, len(raw), piece)] if piece else [raw]
    try:
        for data in pieces:
            request = parser.receive(data)
            while request is not None:
                messages.append([request.method, request.target, request.body.decode("latin-1")])
                request = parser.next_request()
    except HTTPError as error:
        refused = {"status": error.status, "message": error.message}
    waiting = not refused and (parser.awaiting_body is not None or bool(parser.buffer.strip(b"\r\n")))
    return {"messages": messages, "refused": refused, "waiting": waiting}


def with_host(raw: bytes) -> bytes:
    """The case with a Host header after its first request line (with that line's own ending)."""
    start = len(raw) - len(raw.lstrip(b"\r\n"))
    end = raw.index(b"\n", start) + 1
    ending = b"\r\n" if raw[end - 2:end] == b"\r\n" else b"\n"
    return raw[:end] + b"Host: llhttp.test" + ending + raw[end:]


def differs(llhttp: dict, kit: dict) -> bool:
    error = llhttp["error"]
    if error and error["code"] in STOPS:   # compare what llhttp read before it stopped
        count = len(llhttp["messages"])
        return kit["messages"][:count] != llhttp["messages"]
    return kit["messages"] != llhttp["messages"] or bool(kit["refused"]) != bool(error)


def load() -> list[dict]:
    return json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]


CASES = load()


def test_the_corpus_is_llhttps_strict_request_cases():
    assert len(CASES) >= 100 and len({case["name"] for case in CASES}) == len(CASES)
    assert sum(bool(case["llhttp"]["error"]) for case in CASES) >= 30


@pytest.mark.parametrize("piece", [0, 1, 7], ids=["whole", "byte by byte", "7 bytes at a time"])
def test_the_core_gives_each_case_the_verdict_written_down(piece):
    wrong = []
    for case in CASES:
        kit = kit_verdict(case["raw"].encode("latin-1"), piece)
        written = case.get("kit") or {"messages": case["llhttp"]["messages"], "refused": None}
        if "kit" not in case and differs(case["llhttp"], kit) or "kit" in case and kit != written:
            wrong.append(f"{case['name']} ({case['where']}): the core now reads {kit}, the file says {written}")
    assert not wrong, "\n".join(wrong)


def test_every_framing_refusal_of_llhttp_is_a_refusal_of_the_kit():
    missed = []
    for case in CASES:
        error = case["llhttp"]["error"]
        if error and error["code"] in FRAMING:
            raw = case["raw"].encode("latin-1")
            kit = kit_verdict(raw)
            if kit["waiting"]:
                # llhttp stops at the first wrong byte; the core waits for the blank line that ends the head,
                # and the client here never sends it. Had it come, the core must refuse:
                raw += b"\r\n\r\n"
                kit = kit_verdict(raw)
            if kit["refused"] and "Host" in kit["refused"]["message"]:
                kit = kit_verdict(with_host(raw))     # refused for want of a Host: is the framing refused too?
            if not kit["refused"] or len(kit["messages"]) > len(case["llhttp"]["messages"]):
                missed.append(f"{case['name']}: llhttp refuses ({error['reason']}), the kit reads {kit}")
    assert not missed, "\n".join(missed)


def test_every_difference_has_a_reason_and_no_reason_is_stale():
    for case in CASES:
        if "kit" in case:
            assert len(case.get("reason", "")) > 20, f"{case['name']} differs from llhttp with no reason"
        else:
            assert "reason" not in case, f"{case['name']} agrees with llhttp, yet has a reason"


# --- the reference servers -------------------------------------------------------------------------

SERVERS = {"blocking_server": [], "threaded_server": [], "selectors_server": [], "async_server": [],
           "routing_server": [], "wsgi_server": ["--app", "tools.demo_apps.site_app:app"], "httpd_server": []}
REFUSALS = {400, 413, 431, 501, 505}
# http.server reads the request line and headers itself before the kit's rules run on them, and refuses a
# few things its own way first: a version it cannot parse (400 where the kit says 505), a method it has no
# do_ function for (501).
HTTPD_ALSO = {505: {400}}


def answer(port: int, raw: bytes) -> tuple[str, float]:
    """Send the case, close our side, read until the server closes: its status line ("" for none)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)      # no more bytes: a server waiting for more must give up now
        except OSError:
            pass                               # refused and closed while we sent
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except ConnectionResetError:
            pass
    return reply.split(b"\r\n", 1)[0].decode("latin-1"), time.monotonic() - started


def expected(name: str, kit: dict) -> set[int] | None:
    """The statuses a server may answer, given the core's verdict; None when any answer, or none, will do."""
    if kit["messages"]:                        # the first request is read: the server answers it, whatever
        return {"any but a refusal"}
    if kit["refused"]:
        status = kit["refused"]["status"]
        return {status} | (HTTPD_ALSO.get(status, set()) if name == "httpd_server" else set())
    return None                                # the request never completes: the server may close, or answer


def variants():
    """(name, bytes) of each case; a case the core refuses for want of a Host, also with one, so the servers
    meet what follows the Host check too."""
    for case in CASES:
        raw = case["raw"].encode("latin-1")
        yield case["name"], raw
        refused = kit_verdict(raw)["refused"]
        if refused and "Host" in refused["message"]:
            yield case["name"] + " (with a Host)", with_host(raw)


def check_server(name: str, tmp_path: Path) -> list[str]:
    port, log = free_port(), tmp_path / f"{name}.log"
    server = ServerProcess([sys.executable, "-m", f"reference.{name}", "--port", str(port),
                            "--timeout", "2", *SERVERS[name]], log)
    problems = []
    server.start()
    try:
        server.wait_until_listening(port)
        for case, raw in variants():
            status_line, seconds = answer(port, raw)
            wanted = expected(name, kit_verdict(raw))
            status = int(status_line.split(" ")[1]) if status_line.startswith("HTTP/1.") else None
            if seconds > 3:
                problems.append(f"{name} took {seconds:.1f} s on {case}")
            if wanted == {"any but a refusal"} and (status is None or status in REFUSALS - {501}):
                problems.append(f"{name} answered {status_line!r} to {case}, which the core accepts")
            elif wanted and wanted != {"any but a refusal"} and status not in wanted:
                problems.append(f"{name} answered {status_line!r} to {case}, the core says {wanted}")
            if server.exit_code is not None:
                return problems + [f"{name} died on {case}:\n{server.output()[-1500:]}"]
        if "Traceback" in server.output():
            problems.append(f"{name} printed a traceback:\n{server.output()[-1500:]}")
    finally:
        server.stop()
    return problems


def test_every_reference_server_answers_the_corpus_as_the_core_does(tmp_path):
    """The seven servers at once, each in its own process: tens of seconds, not minutes."""
    with ThreadPoolExecutor(len(SERVERS)) as pool:
        results = list(pool.map(lambda name: check_server(name, tmp_path), SERVERS))
    problems = [problem for result in results for problem in result]
    assert not problems, "\n".join(problems[:30])
    print(f"\nllhttp corpus: {summary()}; {len(SERVERS)} servers x {len(list(variants()))} requests: "
          f"no crash, no hang, no traceback, every answer the core's")


def summary() -> str:
    framing = [case for case in CASES if case["llhttp"]["error"] and case["llhttp"]["error"]["code"] in FRAMING]
    differences = [case for case in CASES if "kit" in case]
    host = sum("requires Host" in case["reason"] for case in differences)
    return (f"{len(CASES)} cases, {len(CASES) - len(differences)} read as llhttp reads them, "
            f"{len(differences)} differences each with its reason ({host} of them: Host required); "
            f"llhttp refuses {len(framing)} for framing, the kit refuses all {len(framing)}")
