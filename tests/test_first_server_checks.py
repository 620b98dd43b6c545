"""The pieces of graders/foundations/first_server_checks.py that need no server: the platform's linger struct,
and the words for a Content-Length that counted characters."""
import socket
import struct

import pytest

from graders.foundations.first_server_checks import BARE_LF, abortive_close, request, too_short_a_length


@pytest.mark.parametrize("platform, layout", [("posix", "ii"), ("nt", "HH")])
def test_abortive_close_packs_the_linger_struct_of_each_platform(platform, layout):
    assert abortive_close(platform) == struct.pack(layout, 1, 0)      # on, and linger 0 s: close() resets


def test_abortive_close_is_accepted_by_this_platforms_socket():
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, abortive_close())
        assert any(sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, len(abortive_close())))   # linger is on


def test_a_length_that_counted_characters_is_named():
    page = "<h1>Hello ✨</h1>".encode()
    counted = len(page.decode())                          # what len(str) gives: 3 short
    story = too_short_a_length(page[:counted], page[counted:])
    assert "is the number of characters" in story and "'✨'" in story


def test_a_length_that_is_short_for_another_reason_is_not_blamed_on_characters():
    assert "characters" not in too_short_a_length(b"abc", b"def")


def test_bare_line_feeds_are_found_and_crlf_is_not():
    assert not BARE_LF.search(request("/"))
    assert BARE_LF.search(b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n")
