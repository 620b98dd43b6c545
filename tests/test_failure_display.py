"""What a failure shows a learner: a curl line they can paste after the run, each answer's head once, and
binary bodies as bytes (issue 22: the grader's own port, a bare-\\n answer shown twice, a PNG as garbage)."""
from tests.test_harness import run_grader

TWO_PAGES = """
from graders.harness import expect, fetch, send_raw

def test_text_page(server):
    answer = fetch(server, "GET", "/about?x=1", timeout=2)
    expect(answer.status == 200, answer, expected="status 200")

def test_raw(server):
    answer = send_raw(server, b"GET /raw HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n", timeout=2)
    expect(answer.status == 200, answer, expected="status 200")

def test_logo(server):
    answer = fetch(server, "GET", "/logo.png", timeout=2)
    expect(answer.status == 200, answer, expected="status 200")
"""


def test_a_failure_shows_a_pasteable_curl_line_the_head_once_and_binary_as_bytes(tmp_path):
    run = run_grader(tmp_path, "bare_newlines", TWO_PAGES)
    assert run.code == 1, run.output
    page, raw = run.output.split("test_raw")[0], run.output.split("test_raw")[1].split("test_logo")[0]
    logo = run.output.split("test_logo")[1]
    assert "http://127.0.0.1:8002/about?x=1" in page, page               # the Try-it port, not the grader's
    assert "--port 8002" in page and "start your server with" in page, page
    assert raw.count("the body, once") == 1, raw                          # the head is not shown with the body
    assert "bytes of binary data, starting 00 01 02" in logo, logo        # not 1,000 characters of mojibake
    assert "\ufffd" not in logo, logo
