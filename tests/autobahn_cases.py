"""The Autobahn testsuite's WebSocket cases, sections 1 to 7, 9 and 10 (no compression), as data.

Written for this kit from the cases' published descriptions (github.com/crossbario/autobahn-testsuite,
autobahntestsuite/case/): what each case sends, and which events and close it expects. The judging rules are
in tests/test_autobahn.py. Nothing here imports the kit's own WebSocket code.

A case is a list of steps, then an end:
    ("frame", opcode, payload, fin, rsv, chop)   one client frame (masked), written in chops of `chop` bytes
    ("chops", [bytes, ...])                      raw bytes already framed, each piece its own write
    ("later", seconds, label)                    wait; if the connection is still open, note ("timeout", label)
    ("close", code, reason)                      a close frame (code None: empty payload)
The end is ("kill", seconds) (drop the TCP connection after that long) or ("closing", seconds) (send a close
after that long). `expected` maps a verdict (OK, NON-STRICT) to the exact list of events:
("message", payload bytes, is_binary), ("pong", payload), ("timeout", label). `close` says who must start
the closing handshake, with which codes, and whether it must finish cleanly.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

OK, NON_STRICT, FAILED, INFORMATIONAL = "OK", "NON-STRICT", "FAILED", "INFORMATIONAL"
NORMAL, PROTOCOL_ERROR, INVALID_PAYLOAD = 1000, 1002, 1007


@dataclass
class Close:
    by_client: bool                     # the client (the test) starts the closing handshake
    codes: tuple[int, ...]
    clean: bool                         # the closing handshake must complete
    wrong_endpoint_fails: bool = False  # UTF-8 cases: the server must be the one to fail the connection


@dataclass
class Case:
    id: str
    steps: list
    end: tuple
    expected: dict = field(default_factory=dict)
    close: Close = field(default_factory=lambda: Close(True, (NORMAL,), True))
    wrong_code_fails: bool = False      # section 7: a wrong close code fails the case itself
    informational: bool = False         # 7.1.6, 7.13.x: anything goes, the result is only reported
    performance: tuple | None = None    # section 9: (is_binary, length, count): echoes must come, in time


def frame(opcode, payload=b"", fin=True, rsv=0, chop=None):
    return ("frame", opcode, payload, fin, rsv, chop)


def echo_ok(payload: bytes, binary: bool = False) -> dict:
    return {OK: [("message", payload, binary)]}


FAIL = Close(False, (PROTOCOL_ERROR,), False)
FAIL_UTF8 = Close(False, (INVALID_PAYLOAD,), False, wrong_endpoint_fails=True)
HELLO = b"Hello, world!"
KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")   # "κόσμε", valid UTF-8
INVALID = KOSME + bytes.fromhex("eda080") + b"edited"   # a lone surrogate in the middle


def section_1() -> list[Case]:
    cases = []
    for group, opcode, byte, binary in ((1, 1, b"*", False), (2, 2, b"\xfe", True)):
        for number, (length, chop) in enumerate([(0, None), (125, None), (126, None), (127, None), (128, None),
                                                 (65535, None), (65536, None), (65536, 997)], 1):
            payload = byte * length
            cases.append(Case(f"1.{group}.{number}", [frame(opcode, payload, chop=chop)],
                              ("kill", 10 if length > 1000 else 1), echo_ok(payload, binary)))
    return cases


def section_2() -> list[Case]:
    pings = [b"", HELLO, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", b"\xfe" * 125]
    cases = [Case(f"2.{n}", [frame(9, payload)], ("closing", 1), {OK: [("pong", payload)]})
             for n, payload in enumerate(pings, 1)]
    cases.append(Case("2.5", [frame(9, b"\xfe" * 126)], ("kill", 1), {OK: []}, FAIL))
    cases.append(Case("2.6", [frame(9, b"\xfe" * 125, chop=1)], ("closing", 2), {OK: [("pong", b"\xfe" * 125)]}))
    cases.append(Case("2.7", [frame(10)], ("closing", 1), {OK: []}))
    cases.append(Case("2.8", [frame(10, b"unsolicited pong payload")], ("closing", 1), {OK: []}))
    cases.append(Case("2.9", [frame(10, b"unsolicited pong payload"), frame(9, b"ping payload")], ("closing", 1),
                      {OK: [("pong", b"ping payload")]}))
    for number, chop in (("2.10", None), ("2.11", 1)):
        payloads = [f"payload-{i}".encode() for i in range(10)]
        cases.append(Case(number, [frame(9, p, chop=chop) for p in payloads], ("closing", 3),
                          {OK: [("pong", p) for p in payloads]}))
    return cases


def echo_then_failed(steps) -> dict:
    """The first message echoed, then the connection failed: a server that fails it before echoing is NON-STRICT."""
    return {OK: [("message", HELLO, False)], NON_STRICT: []}


def section_3() -> list[Case]:
    cases = [Case("3.1", [frame(1, HELLO, rsv=1)], ("kill", 1), {OK: []}, FAIL)]
    for number, rsv, chop in (("3.2", 2, None), ("3.3", 3, None), ("3.4", 4, 1)):
        steps = [frame(1, HELLO, chop=chop), frame(1, HELLO, rsv=rsv, chop=chop), frame(9, chop=chop)]
        cases.append(Case(number, steps, ("kill", 1), echo_then_failed(steps), FAIL))
    binary = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
    cases.append(Case("3.5", [frame(2, binary, rsv=5)], ("kill", 1), {OK: []}, FAIL))
    cases.append(Case("3.6", [frame(2, HELLO, rsv=6)], ("kill", 1), {OK: []}, FAIL))   # binary, whatever its title says
    cases.append(Case("3.7", [frame(8, rsv=7)], ("kill", 1), {OK: []}, FAIL))
    return cases


def section_4() -> list[Case]:
    cases = []
    for group, opcodes in ((1, (3, 4, 5, 6, 7)), (2, (11, 12, 13, 14, 15))):
        first, second = opcodes[0], opcodes[1]
        cases.append(Case(f"4.{group}.1", [frame(first)], ("kill", 1), {OK: []}, FAIL))
        cases.append(Case(f"4.{group}.2", [frame(second, b"reserved opcode payload")], ("kill", 1), {OK: []}, FAIL))
        for number, opcode, payload, chop in ((3, opcodes[2], b"", None), (4, opcodes[3], HELLO, None),
                                              (5, opcodes[4], HELLO, 1)):
            steps = [frame(1, HELLO, chop=chop), frame(opcode, payload, chop=chop), frame(9, chop=chop)]
            cases.append(Case(f"4.{group}.{number}", steps, ("kill", 1), echo_then_failed(steps), FAIL))
    return cases


def section_5() -> list[Case]:
    f1, f2 = b"fragment1", b"fragment2"
    cases = [Case("5.1", [frame(9, f1, fin=False), frame(0, f2)], ("kill", 1), {OK: []}, FAIL),
             Case("5.2", [frame(10, f1, fin=False), frame(0, f2)], ("kill", 1), {OK: []}, FAIL)]
    for number, chop in (("5.3", None), ("5.4", None), ("5.5", 1)):
        cases.append(Case(number, [frame(1, f1, fin=False, chop=chop), frame(0, f2, chop=chop)], ("closing", 1),
                          echo_ok(f1 + f2)))
    for number, chop in (("5.6", None), ("5.7", None), ("5.8", 1)):
        steps = [frame(1, f1, fin=False, chop=chop), frame(9, b"ping payload", chop=chop), frame(0, f2, chop=chop)]
        cases.append(Case(number, steps, ("closing", 1),
                          {OK: [("pong", b"ping payload"), ("message", f1 + f2, False)]}))
    for number, fin, chop in (("5.9", True, None), ("5.10", True, None), ("5.11", True, 1),
                              ("5.12", False, None), ("5.13", False, None), ("5.14", False, 1)):
        steps = [frame(0, b"non-continuation payload", fin=fin, chop=chop), frame(1, HELLO, chop=chop)]
        cases.append(Case(number, steps, ("kill", 1), {OK: []}, FAIL))
    fragments = [b"fragment1", b"fragment2", b"fragment3", b"fragment4"]
    cases.append(Case("5.15", [frame(1, fragments[0], fin=False), frame(0, fragments[1]),
                               frame(0, fragments[2], fin=False), frame(1, fragments[3])], ("kill", 1),
                      {OK: [("message", fragments[0] + fragments[1], False)], NON_STRICT: []}, FAIL))
    for number, fin in (("5.16", False), ("5.17", True)):
        steps = [frame(0, b"fragment1", fin=fin), frame(1, b"fragment2", fin=False), frame(0, b"fragment3")] * 2
        cases.append(Case(number, steps, ("kill", 1), {OK: []}, FAIL))
    cases.append(Case("5.18", [frame(1, f1, fin=False), frame(1, f2)], ("kill", 1), {OK: []}, FAIL))
    pieces, pings = [f"fragment{i}".encode() for i in range(1, 6)], [b"pongme 1!", b"pongme 2!"]
    steps = [frame(1, pieces[0], fin=False), frame(0, pieces[1], fin=False), frame(9, pings[0]),
             ("later", 1, None), frame(0, pieces[2], fin=False), frame(0, pieces[3], fin=False), frame(9, pings[1]),
             frame(0, pieces[4])]
    for number in ("5.19", "5.20"):
        cases.append(Case(number, steps, ("closing", 1),
                          {OK: [("pong", pings[0]), ("pong", pings[1]), ("message", b"".join(pieces), False)]}))
    return cases


def utf8_groups() -> list[list[bytes]]:
    """The byte sequences of 6.5 to 6.23, in order: Markus Kuhn's UTF-8 decoder test file, group by group."""
    prefixes = [KOSME[:i] for i in range(1, len(KOSME) + 1)]
    missing_last = [bytes.fromhex(h) for h in ("c0", "e080", "f08080", "f8808080", "fc80808080",
                                               "df", "efbf", "f7bfbf", "fbbfbfbf", "fdbfbfbfbf")]
    lonely = [b"".join(bytes([i, 0x20]) for i in range(a, b)) for a, b in
              ((0xC0, 0xDF), (0xE0, 0xEF), (0xF0, 0xF7), (0xF8, 0xFB), (0xFC, 0xFD))]
    noncharacters = [bytes.fromhex("efbfbe"), bytes.fromhex("efbfbf")]
    for z1 in (0xF0, 0xF1, 0xF2, 0xF3, 0xF4):
        for z2 in (0x8F, 0x9F, 0xAF, 0xBF):
            if z1 == 0xF4 and z2 != 0x8F:
                continue                        # past U+10FFFF
            for z3 in (0xBE, 0xBF):
                sequence = bytes([z1, z2, 0xBF, z3])
                if sequence[:2] != b"\xf0\x8f":  # overlong
                    noncharacters.append(sequence)
    def hexes(*items):
        return [bytes.fromhex(item) for item in items]
    return [
        [b"hello$world", b"hello\xc2\xa2world", b"hello\xe2\x82\xacworld", b"hello\xf0\xa4\xad\xa2world", KOSME],
        prefixes,
        hexes("00", "c280", "e0a080", "f0908080"),
        hexes("f888808080", "fc8480808080"),
        hexes("7f", "dfbf", "efbfbf", "f48fbfbf"),
        hexes("f7bfbfbf", "fbbfbfbfbf", "fdbfbfbfbfbf"),
        hexes("ed9fbf", "ee8080", "efbfbd", "f48fbfbf", "f4908080"),
        hexes("80", "bf", "80bf", "80bf80", "80bf80bf", "80bf80bf80", "80bf80bf80bf") + [bytes(range(0x80, 0xBF))],
        lonely,
        missing_last,
        [b"".join(missing_last)],
        hexes("fe", "ff", "fefeffff"),
        hexes("c0af", "e080af", "f08080af", "f8808080af", "fc80808080af"),
        hexes("c1bf", "e09fbf", "f08fbfbf", "f887bfbfbf", "fc83bfbfbfbf"),
        hexes("c080", "e08080", "f0808080", "f880808080", "fc8080808080"),
        hexes("eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80", "edbfbf"),
        hexes("eda080edb080", "eda080edbfbf", "edadbfedb080", "edadbfedbfbf", "edae80edb080", "edae80edbfbf",
              "edafbfedb080", "edafbfedbfbf"),
        noncharacters,
        hexes("efbfb9", "efbfba", "efbfbb", "efbfbc", "efbfbd", "efbfbe", "efbfbf"),
    ]


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def section_6() -> list[Case]:
    middle = b"middle frame payload"
    cases = [
        Case("6.1.1", [frame(1, b"")], ("closing", 1), echo_ok(b"")),
        Case("6.1.2", [frame(1, b"", fin=False), frame(0, b"", fin=False), frame(0, b"")], ("closing", 1),
             echo_ok(b"")),
        Case("6.1.3", [frame(1, b"", fin=False), frame(0, middle, fin=False), frame(0, b"")], ("closing", 1),
             echo_ok(middle)),
    ]
    hello = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    def one_byte(data):
        return [frame(1 if i == 0 else 0, data[i:i + 1], fin=i == len(data) - 1)
                                 for i in range(len(data))]
    half = "Hello-µ@ßöä".encode()
    cases += [
        Case("6.2.1", [frame(1, hello)], ("closing", 1), echo_ok(hello)),
        Case("6.2.2", [frame(1, half, fin=False), frame(0, hello[len(half):])], ("closing", 1), echo_ok(hello)),
        Case("6.2.3", one_byte(hello), ("closing", 1), echo_ok(hello)),
        Case("6.2.4", one_byte(KOSME), ("closing", 1), echo_ok(KOSME)),
        Case("6.3.1", [frame(1, INVALID)], ("kill", 1), {OK: []}, FAIL_UTF8),
        Case("6.3.2", one_byte(INVALID), ("kill", 1), {OK: []}, FAIL_UTF8),
    ]
    # 6.4: the message turns invalid in its second part; a server that checks as the bytes come fails at once
    # (OK), one that waits for the whole message fails after the last part (NON-STRICT).
    bad = KOSME + bytes.fromhex("f4908080") + b"edited"
    fail_fast = {OK: [("timeout", "A")], NON_STRICT: [("timeout", "A"), ("timeout", "B")]}
    for number, parts in (("6.4.1", (bad[:11], bad[11:15], bad[15:])), ("6.4.2", (bad[:12], bad[12:13], bad[13:]))):
        steps = [frame(1, parts[0], fin=False), ("later", 1, "A"), frame(0, parts[1], fin=False), ("later", 1, "B"),
                 frame(0, parts[2])]
        cases.append(Case(number, steps, ("kill", 1), fail_fast, FAIL_UTF8))
    for number, parts in (("6.4.3", (bad[:11], bad[11:15], bad[15:])), ("6.4.4", (bad[:12], bad[12:13], bad[13:]))):
        whole = masked_frame(1, bad)
        header = len(whole) - len(bad)          # one frame, its payload written in three parts
        cut1, cut2 = header + len(parts[0]), header + len(parts[0]) + len(parts[1])
        steps = [("chops", [whole[:cut1]]), ("later", 1, "A"), ("chops", [whole[cut1:cut2]]), ("later", 1, "B"),
                 ("chops", [whole[cut2:]])]
        cases.append(Case(number, steps, ("kill", 1), fail_fast, FAIL_UTF8))
    for group, sequences in enumerate(utf8_groups(), 5):
        for number, data in enumerate(sequences, 1):
            if is_utf8(data):
                cases.append(Case(f"6.{group}.{number}", [frame(1, data)], ("kill", 0.5), echo_ok(data)))
            else:
                cases.append(Case(f"6.{group}.{number}", [frame(1, data)], ("kill", 0.5), {OK: []}, FAIL_UTF8))
    return cases


def section_7() -> list[Case]:
    hello, normal = b"Hello World!", ("close", NORMAL, b"")
    clean = Close(True, (NORMAL,), True)
    def closing(number, steps, expected=None, close=clean, **options):
        return Case(number, steps, ("kill", 1), expected if expected is not None else {OK: []}, close,
                    wrong_code_fails=True, **options)
    cases = [
        closing("7.1.1", [frame(1, hello)], echo_ok(hello)),
        closing("7.1.2", [normal, frame(8)]),
        closing("7.1.3", [normal, frame(9)]),
        closing("7.1.4", [normal, frame(1, hello)]),
        closing("7.1.5", [frame(1, b"fragment1", fin=False), normal, frame(0, b"fragment2")]),
        closing("7.1.6", [frame(1, repeat(b"BAsd7&jh23", 256 * 1024)), frame(1, hello), normal, frame(9)],
                {OK: [("message", hello, False)], NON_STRICT: []}, informational=True),
        closing("7.3.1", [("close", None, b"")]),
        closing("7.3.2", [("raw_close", b"a")], close=Close(True, (PROTOCOL_ERROR,), False)),
        closing("7.3.3", [normal]),
        closing("7.3.4", [("close", NORMAL, b"Hello World!")]),
        closing("7.3.5", [("close", NORMAL, b"*" * 123)]),
        closing("7.3.6", [("close", NORMAL, b"*" * 124)], close=Close(True, (PROTOCOL_ERROR,), False)),
        closing("7.5.1", [("close", NORMAL, INVALID)], close=Close(True, (PROTOCOL_ERROR, INVALID_PAYLOAD), False)),
    ]
    for number, code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999], 1):
        cases.append(closing(f"7.7.{number}", [("close", code, b"")], close=Close(True, (NORMAL, code), True)))
    for number, code in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999], 1):
        cases.append(closing(f"7.9.{number}", [("close", code, b"")], close=Close(True, (PROTOCOL_ERROR,), False)))
    for number, code in (("7.13.1", 5000), ("7.13.2", 65535)):
        cases.append(closing(number, [("close", code, b"")], close=Close(True, (NORMAL, code, PROTOCOL_ERROR), False),
                             informational=True))
    return cases


def repeat(pattern: bytes, length: int) -> bytes:
    return (pattern * (length // len(pattern) + 1))[:length]


def section_9() -> list[Case]:
    cases = []
    text, binary = b"BAsd7&jh23", b"\x00\xfe\x23\xfa\xf0"
    for group, opcode, pattern in ((1, 1, text), (2, 2, binary)):
        for number, size in enumerate([64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20], 1):
            payload = repeat(pattern, size)
            cases.append(Case(f"9.{group}.{number}", [frame(opcode, payload)], ("closing", 10),
                              performance=(opcode == 2, size, 1)))
    for group, opcode, byte in ((3, 1, b"*"), (4, 2, b"\xfe")):
        for number, piece in enumerate([64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20], 1):
            size = 4 << 20
            payload = byte * size
            steps = [("fragments", opcode, payload, piece)]
            cases.append(Case(f"9.{group}.{number}", steps, ("closing", 100), performance=(opcode == 2, size, 1)))
    for group, opcode, pattern in ((5, 1, text), (6, 2, binary)):
        for number, chop in enumerate([64, 128, 256, 512, 1024, 2048], 1):
            payload = repeat(pattern, 1 << 20)
            cases.append(Case(f"9.{group}.{number}", [frame(opcode, payload, chop=chop)], ("closing", 100),
                              performance=(opcode == 2, 1 << 20, 1)))
    for group, opcode in ((7, 1), (8, 2)):
        for number, size in enumerate([0, 16, 64, 256, 1024, 4096], 1):
            cases.append(Case(f"9.{group}.{number}", [("round_trips", opcode, size, 1000)], ("closing", 60),
                              performance=(opcode == 2, size, 1000)))
    return cases


def section_10() -> list[Case]:
    payload = b"*" * 65536
    return [Case("10.1.1", [("fragments", 1, payload, 1300)], ("kill", 10), echo_ok(payload))]


def masked_frame(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0,
                 mask: bytes = b"\x37\xfa\x21\x3d") -> bytes:
    """A client frame: FIN, RSV and opcode, MASK and the shortest length, the key, the masked payload."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", first, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, n)
    return header + mask + xor(payload, mask)


def xor(data: bytes, mask: bytes) -> bytes:
    # int arithmetic masks a whole payload at C speed: 16 MB in milliseconds, where a loop takes seconds.
    key = (mask * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(len(data), "big")


def all_cases() -> list[Case]:
    return section_1() + section_2() + section_3() + section_4() + section_5() + section_6() + section_7() \
        + section_9() + section_10()
