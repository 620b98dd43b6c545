"""Turn llhttp's request tests (nodejs/llhttp, test/request/*.md, MIT licence) into corpus.json.

    python -m tests.data.llhttp.make_corpus PATH/TO/llhttp [COMMIT]

Only the strict-mode cases: type "request" and "request-finish" (lenient modes are options the kit does not
copy; the pausing cases test llhttp's C API, not HTTP). Each case keeps llhttp's verdict as its log gives it:
the messages it completed (method, target, body) and the error that stopped it, if any. The kit's verdict is
computed with reference/core; where the two differ, the reason is written here, in REASONS, and copied into
the file: tests/test_llhttp_corpus.py fails on a difference without a reason, and on a reason left stale.
"""
import json
import re
import sys
from pathlib import Path

from tests.test_llhttp_corpus import CORPUS, differs, kit_verdict, with_host

FILES = ["sample", "method", "uri", "connection", "content-length", "transfer-encoding", "invalid", "finish",
         "pipelining"]
# A case: its meta comment, its ```http block, maybe a note, then its ```log block.
BLOCK = re.compile(r"<!-- meta=(\{.*?\}) -->\s*```http\n(.*?)^```$(?:[^`]|`(?!``))*?```log\n(.*?)^```$", re.S | re.M)

# Why the kit answers otherwise, by what the kit said (its refusal message, or what it accepted).
BY_KIT_MESSAGE = [
    ("must carry a Host header",
     "the kit requires Host on HTTP/1.1 (RFC 9112, 3.2: a server MUST answer 400 without it); llhttp leaves "
     "that to the application"),
    ("chunked request bodies are not supported",
     "the kit refuses every request body with Transfer-Encoding with 501 (its servers read bodies by "
     "Content-Length only; RFC 9112, 6.1 allows 501 for a coding it does not understand)"),
    ("bad method", "the kit takes any token as a method (RFC 9110, 9.1) and answers 405 or 501 later; "
                   "llhttp knows a fixed list"),
    ("unsupported version", "the kit speaks HTTP/1.0 and 1.1 only: other versions get 505, garbage 400"),
    ("bad request line", "the kit wants exactly METHOD SP TARGET SP HTTP/x.y (RFC 9112, 3): no extra spaces, "
                         "no other protocol (RTSP, ICE)"),
    ("bad target", "the kit serves origin-form (/path) and absolute-form (http://host/path) targets; "
                   "the authority form (CONNECT host:port) and the asterisk form (but for OPTIONS *) get 400: the kit "
                   "is no proxy"),
    ("a control character", "the kit refuses every control character but TAB in a head (RFC 9110, 5.5): "
                            "a NUL or a lone CR can smuggle a request"),
    ("bad header line", "the kit refuses a header line that is not NAME: value with a token NAME "
                        "(RFC 9112, 5): obs-fold and spaces before the colon included"),
    ("mixes CRLF and bare LF", "the kit refuses a head whose lines end in both CRLF and bare LF (llhttp "
                               "wants CRLF): mixed endings smuggle requests"),
    ("more than one Host header", "two Host headers: RFC 9112, 3.2 says 400"),
    ("bad Content-Length", "the kit refuses a Content-Length that is not digits, or lists two values"),
]
# Cases where the kit accepts what llhttp refuses: each one reasoned.
BY_CASE = {
    "uri: Disallow UTF-8 in URI path in strict mode":
        "the kit reads a target's bytes as Latin-1 and looks for that file (404 here); llhttp refuses bytes "
        "outside ASCII in a URL. Not a framing matter: the request ends where both say it does",
    "invalid: HTTP protocol and ANNOUNCE method":
        "the kit takes any token as a method (RFC 9110, 9.1) and answers 405 or 501 later; llhttp knows "
        "ANNOUNCE as an RTSP method only",
}


def llhttp_verdict(log: str) -> dict:
    messages, current, error = [], None, None
    for line in log.splitlines():
        if "message begin" in line:
            current = {"method": "", "target": "", "body": ""}
        elif (span := re.search(r'len=(\d+) span\[(method|url|body)\]="(.*)"$', line)) and current is not None:
            assert int(span.group(1)) == len(span.group(3)), f"a span the log shows escaped: {line}"
            current[{"url": "target"}.get(span.group(2), span.group(2))] += span.group(3)
        elif "message complete" in line and current is not None:
            messages.append([current["method"], current["target"], current["body"]])
            current = None
        elif match := re.search(r'error code=(\d+) reason="(.*)"', line):
            error = {"code": int(match.group(1)), "reason": match.group(2)}
    return {"messages": messages, "error": error}


def unescape(text: str) -> bytes:
    """The md-test.ts rules: the last newline goes, escaped newlines join, newlines become CRLF, then \\r
    \\n \\t \\f \\xNN and octal escapes."""
    text = text.removesuffix("\n")
    text = re.sub(r"\\(\r\n|\r|\n)", "", text)
    text = re.sub(r"\r\n|\r|\n", "\r\n", text)
    for escape, char in (("\\r", "\r"), ("\\n", "\n"), ("\\t", "\t"), ("\\f", "\f")):
        text = text.replace(escape, char)
    text = re.sub(r"\\x([0-9a-fA-F]+)", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"\\([0-7]{1,3})", lambda m: chr(int(m.group(1), 8)), text)
    assert "${" not in text, "inline JavaScript is not supported"
    return text.encode("utf-8")             # as Node hands the string to the parser


def cases(folder: Path):
    for stem in FILES:
        text = (folder / f"{stem}.md").read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            meta = json.loads(match.group(1))
            if meta["type"] not in ("request", "request-finish") or "pause" in meta or "skipBody" in meta:
                continue
            before = text[:match.start()]
            title = re.findall(r"^#+ (.*)$", before, re.M)[-1]
            line = before.count("\n") + 1
            yield {"name": f"{stem}: {title}", "where": f"test/request/{stem}.md:{line}",
                   "raw": unescape(match.group(2)).decode("latin-1"), "llhttp": llhttp_verdict(match.group(3))}


def reason_for(case: dict, kit: dict) -> str:
    if case["name"] in BY_CASE:
        return BY_CASE[case["name"]]
    if kit["waiting"] and case["llhttp"]["error"]:
        raw = case["raw"].encode("latin-1") + b"\r\n\r\n"
        ended = kit_verdict(raw)["refused"]
        if ended and "Host" in ended["message"]:
            ended = kit_verdict(with_host(raw))["refused"] or ended   # what it says once Host is there
        if ended:
            return (f"llhttp refuses at the first wrong byte; the core waits for the blank line that ends the "
                    f"head, which never comes here (the server drops the client at its deadline, having read "
                    f"no request). Once the head ends, the core answers {ended['status']}: {ended['message']}")
    message = (kit["refused"] or {}).get("message", "")
    for words, reason in BY_KIT_MESSAGE:
        if words in message:
            return reason
    return ""


def main(folder: str, commit: str = "") -> None:
    corpus = {"source": f"nodejs/llhttp test/request/*.md {commit}".strip(), "licence": "MIT", "cases": []}
    seen = set()
    for case in cases(Path(folder) / "test" / "request"):
        while case["name"] in seen:                 # llhttp has two "LINK request"s
            case["name"] += " (again)"
        seen.add(case["name"])
        kit = kit_verdict(case["raw"].encode("latin-1"))
        if differs(case["llhttp"], kit):
            case["kit"] = kit
            case["reason"] = reason_for(case, kit)
        corpus["cases"].append(case)
    CORPUS.write_text(dump(corpus), encoding="utf-8")
    unexplained = [case["name"] for case in corpus["cases"] if case.get("reason") == ""]
    print(f"{len(corpus['cases'])} cases, {sum('kit' in c for c in corpus['cases'])} differences, "
          f"{len(unexplained)} without a reason:", *unexplained, sep="\n  ")


def dump(corpus: dict) -> str:
    """JSON with one line per field of a case, so that a diff of the file reads case by case."""
    cases = ",\n".join("  {" + ",\n   ".join(f"{json.dumps(key)}: {json.dumps(value)}" for key, value in case.items())
                       + "}" for case in corpus["cases"])
    head = ", ".join(f"{json.dumps(key)}: {json.dumps(value)}" for key, value in corpus.items() if key != "cases")
    return "{" + head + ', "cases": [\n' + cases + "\n]}\n"


if __name__ == "__main__":
    main(*sys.argv[1:])
