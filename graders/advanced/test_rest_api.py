"""rest_api: CRUD on /api/notes, with the status codes, Location, Allow and JSON errors clients expect.

The checks:
- POST /api/notes with JSON {"text": ...} answers 201 Created, `Location: /api/notes/<id>` and the new note as JSON;
- GET on that Location answers 200 with the note;
- GET /api/notes lists the notes (a JSON list, or an object holding one) and the new ones are in it;
- PUT /api/notes/<id> with {"text": ...} answers 200 with the changed note, and GET shows the change;
- DELETE /api/notes/<id> answers 204, and the note is gone: GET, PUT and DELETE on it give 404, and the list
  no longer has it; the 204 is read raw: no body on the wire (a 204 never has one), and no Content-Length
  beyond 0;
- an id is never used twice: a note created after a delete gets a new id, not the deleted one;
- HEAD on the list and on a note answers the head of GET, with no body;
- GET, PUT and DELETE on a note that never existed give 404, and so does /api/notes/abc, and an id that is not
  plain ASCII digits (a superscript ², an Arabic-Indic ١, 5,000 digits): 404, never a crash;
- bad JSON (to POST or PUT) gives 400 with a JSON {"error": ...} body;
- valid JSON without a "text", or with a "text" that is not a string, gives 400 with a JSON {"error": ...} body;
- a client that sends less than its Content-Length and leaves does not stop the server;
- a method the URL does not support gives 405 with an Allow header listing the methods it does support.
"""
import re
import string
from urllib.parse import urlsplit

import pytest

from graders.harness import (
    GraderFailure,
    expect,
    fetch,
    head_is_the_head_of_get,
    open_raw,
    survives_a_short_body,
    with_advice,
)

NOTE_PATH = re.compile(r"/api/notes/[^/?#]+")
JSON_HEADERS = {"Content-Type": "application/json"}


def words(rng, count=3) -> str:
    return " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 8))) for _ in range(count))


def create(server, text: str):
    """POST a note; returns the exchange and the note's path from Location (failing with a lesson if they are wrong)."""
    exchange = fetch(server, "POST", "/api/notes", json={"text": text})
    expect(exchange.status == 201, exchange, expected="201 Created: a POST that makes a new note says so",
           got=f"{exchange.status} {exchange.reason}", hint="create")
    location = exchange.headers.get("Location", "")
    path = urlsplit(location).path
    expect(NOTE_PATH.fullmatch(path), exchange, expected="a Location header naming the new note, /api/notes/<id>",
           got=f"Location: {location}" if location else "no Location header", hint="create")
    return exchange, path


def make_note(server, text: str) -> str:
    """A note to work on, for the checks that are not about creating: 200 or 201, Location or an "id" will do."""
    exchange = fetch(server, "POST", "/api/notes", json={"text": text})
    expect(exchange.status in (200, 201), exchange, expected="201 Created for a new note",
           got=f"{exchange.status} {exchange.reason}", hint="create")
    location = urlsplit(exchange.headers.get("Location", "")).path
    if NOTE_PATH.fullmatch(location):
        return location
    data = exchange.json()
    expect(isinstance(data, dict) and "id" in data, exchange,
           expected='a Location header, or at least the new note with its "id"', got=exchange.text[:100], hint="create")
    return f"/api/notes/{data['id']}"


def note_text(exchange, hint: str):
    data = exchange.json()
    expect(isinstance(data, dict) and "text" in data, exchange,
           expected='the note as a JSON object, {"id": ..., "text": ...}',
           got=exchange.text[:100], hint=hint)
    return data["text"]


def listed_texts(exchange) -> list:
    data = exchange.json()
    if isinstance(data, dict):   # {"notes": [...]} is a fine way to list too
        data = next((value for value in data.values() if isinstance(value, list)), None)
    expect(isinstance(data, list), exchange, expected='a JSON list of notes, such as [{"id": 1, "text": "buy milk"}]',
           got=exchange.text[:100], hint="create")
    return [note.get("text") for note in data if isinstance(note, dict)]


def check_status(exchange, status: int, why: str, hint: str) -> None:
    expect(exchange.status == status, exchange, expected=f"{status} ({why})",
           got=f"{exchange.status} {exchange.reason}",
           hint=hint)


def check_json_error(exchange, why: str) -> None:
    check_status(exchange, 400, why, "validate")
    data = exchange.json()
    expect(isinstance(data, dict) and "error" in data, exchange, expected='a JSON body such as {"error": "..."}',
           got=exchange.text[:100], hint="validate")


def check_allow(exchange, methods: tuple[str, ...]) -> None:
    check_status(exchange, 405, "Method Not Allowed", "errors")
    allow = exchange.headers.get("Allow", "")
    listed = {method.strip().upper() for method in allow.split(",")}
    expect(set(methods) <= listed, exchange, expected=f"an Allow header listing {', '.join(methods)}",
           got=f"Allow: {allow}" if allow else "no Allow header", hint="errors")


def test_create_gives_201_location_and_the_note(server, rng):
    text = words(rng)
    exchange, _path = create(server, text)
    expect(note_text(exchange, "create") == text, exchange, expected=f'the new note in the body, with "text": "{text}"',
           got=exchange.text[:100], hint="create")


def test_created_note_can_be_read(server, rng):
    text = words(rng)
    path = make_note(server, text)
    exchange = fetch(server, "GET", path)
    check_status(exchange, 200, f"the note that Location named, {path}", "create")
    expect(note_text(exchange, "create") == text, exchange, expected=f'"text": "{text}"', got=exchange.text[:100],
           hint="create")


def test_list_includes_created_notes(server, rng):
    texts = [words(rng), words(rng)]
    for text in texts:
        make_note(server, text)
    exchange = fetch(server, "GET", "/api/notes")
    check_status(exchange, 200, "the list of notes", "create")
    listed = listed_texts(exchange)
    for text in texts:
        expect(text in listed, exchange, expected=f'the note "{text}" we just created in the list',
               got=f"texts {listed}",
               hint="create")


def test_update_note(server, rng):
    path = make_note(server, words(rng))
    new_text = words(rng)
    exchange = fetch(server, "PUT", path, json={"text": new_text})
    check_status(exchange, 200, "the note, updated", "validate")
    expect(note_text(exchange, "validate") == new_text, exchange, expected=f'the updated note, "text": "{new_text}"',
           got=exchange.text[:100], hint="validate")
    after = fetch(server, "GET", path)
    expect(after.status == 200 and note_text(after, "validate") == new_text, after,
           expected=f'"text": "{new_text}" after the PUT', got=after.text[:100], hint="validate")


def delete_raw(server, path: str):
    """DELETE read from the wire: `requests` drops whatever a server sends after a 204's head, so read it raw."""
    request = f"DELETE {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nConnection: close\r\n\r\n"
    with open_raw(server) as connection:
        connection.send(request.encode("latin-1"))
        exchange = connection.read_response()
        if exchange.status == 204:
            connection.wait_for_hang_up(0.5)      # a body sent after the 204's head arrives here, in .buffer
        leaked = connection.buffer
    return exchange, leaked


def test_delete_note(server, rng):
    text = words(rng)
    path = make_note(server, text)
    exchange, leaked = delete_raw(server, path)
    check_status(exchange, 204, "No Content: deleted, nothing more to say", "delete")
    expect(not leaked, exchange,
           expected="a 204 that ends with its head: 204 No Content never has a body (RFC 9110, 15.3.5)",
           got=f"{len(leaked)} bytes after the head, starting {leaked[:60]!r}. A client reads them as the start of "
               "its next answer: answer Response(204), with no body", hint="delete")
    length = exchange.headers.get("Content-Length")
    expect(length is None or length.strip() == "0", exchange,
           expected="no Content-Length on a 204 (RFC 9110, 8.6): it has no body to measure",
           got=f"Content-Length: {length}", hint="delete")
    for method, body in (("GET", None), ("PUT", {"text": words(rng)}), ("DELETE", None)):
        again = fetch(server, method, path, json=body)
        check_status(again, 404, f"Not Found: the note was deleted, so {method} {path} has nothing to act on", "delete")
    listing = fetch(server, "GET", "/api/notes")
    expect(text not in listed_texts(listing), listing, expected=f'no note "{text}" in the list after deleting it',
           got="it is still listed", hint="delete")


def note_id_of(server, exchange) -> str:
    location = urlsplit(exchange.headers.get("Location", "")).path
    if NOTE_PATH.fullmatch(location):
        return location
    data = exchange.json()
    return f"/api/notes/{data.get('id')}" if isinstance(data, dict) else ""


def test_a_deleted_id_is_never_given_again(server, rng):
    """Ids that come back after a delete make an old link, a bookmark or a retried DELETE hit another note."""
    living = [make_note(server, words(rng)) for _ in range(3)]
    deleted = []
    for victim in (living[-1], living[0]):        # the newest (max() + 1 reuses it), then an older one (len() + 1)
        check_status(fetch(server, "DELETE", victim), 204, "No Content: deleted", "delete")
        living.remove(victim)
        deleted.append(victim)
        created = fetch(server, "POST", "/api/notes", json={"text": words(rng)})
        check_status(created, 201, "Created", "create")
        path = note_id_of(server, created)
        expect(path not in deleted and path not in living, created,
               expected=f"a new id for a new note: {', '.join(deleted)} were deleted and must stay gone, "
                        f"and {', '.join(living)} still exist",
               got=f"the new note at {path}. Count ids up from a counter that only grows (next_id), never from "
                   "len(notes) or max(notes) + 1", hint="delete")
        living.append(path)


def test_head_is_the_head_of_get(server, rng):
    path = make_note(server, words(rng))
    head_is_the_head_of_get(server, "/api/notes", hint="errors", same_length=False)
    head_is_the_head_of_get(server, path, hint="errors")


def test_missing_note_is_404(server, rng):
    path = f"/api/notes/{rng.randint(10**8, 10**9)}"
    for method, body in (("GET", None), ("PUT", {"text": words(rng)}), ("DELETE", None)):
        check_status(fetch(server, method, path, json=body), 404, "Not Found: there is no such note", "errors")


def test_non_numeric_id_is_404(server):
    check_status(fetch(server, "GET", "/api/notes/abc"), 404, "Not Found: abc names no note. Never a crash", "errors")


@pytest.mark.parametrize("odd_id, why", [
    ("%C2%B2", "'²' (a superscript two) is a digit to str.isdigit(), but int() refuses it"),
    ("%D9%A1", "'١' (an Arabic-Indic one) is a number to int(), but not plain ASCII digits"),
    ("1" * 5000, "int() refuses 5,000 digits (its limit is 4,300)"),
], ids=["superscript", "arabic-indic", "5000-digits"])
def test_an_id_that_is_not_plain_ascii_digits_is_404(server, rng, odd_id, why):
    make_note(server, words(rng))             # so that note 1 exists: an id read as 1 would find it
    path = f"/api/notes/{odd_id}"
    try:
        exchange = fetch(server, "GET", path)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"404 Not Found for {path[:40]}: {why}. Never a crash",
                          hint="errors") from None
    check_status(exchange, 404, f"Not Found: {why}. Only plain ASCII digits name a note", "errors")


def test_text_must_be_a_string(server, rng):
    for body in ({"text": rng.randint(1, 999)}, {"text": None}, {"text": [words(rng)]}):
        exchange = fetch(server, "POST", "/api/notes", json=body)
        check_json_error(exchange, f'valid JSON, but "text" is {type(body["text"]).__name__}, not a string')


def test_bad_json_is_400_with_json_error(server, rng):
    broken = f'{{"text": "{words(rng, 1)}"'.encode()   # the closing brace is missing
    check_json_error(fetch(server, "POST", "/api/notes", data=broken, headers=JSON_HEADERS),
                     "the body is not valid JSON")
    path = make_note(server, words(rng))
    check_json_error(fetch(server, "PUT", path, data=broken, headers=JSON_HEADERS), "the body is not valid JSON")


def test_json_nested_too_deeply_is_400_with_json_error(server, rng):
    depth = rng.randint(100_000, 200_000)
    body = ("[" * depth + "]" * depth).encode()
    try:
        exchange = fetch(server, "POST", "/api/notes", data=body, headers=JSON_HEADERS)
    except GraderFailure as failure:
        raise with_advice(failure, expected=f"400 with a JSON error for {depth} nested lists: valid JSON, but no note, "
                          "and too deep for json.loads(), which raises RecursionError (not a ValueError)",
                          hint="validate") from None
    check_json_error(exchange, f"{depth} nested lists are no note, and too deep for json.loads(): it raises "
                     "RecursionError, which is no ValueError: catch it too")


def test_missing_text_is_400_with_json_error(server, rng):
    for body in ({}, {"title": words(rng)}, ["text"]):
        exchange = fetch(server, "POST", "/api/notes", json=body)
        check_json_error(exchange, 'valid JSON, but without a "text"')


def test_wrong_method_is_405_with_allow(server, rng):
    check_allow(fetch(server, "DELETE", "/api/notes"), ("GET", "POST"))
    path = make_note(server, words(rng))
    check_allow(fetch(server, "PATCH", path, json={"text": words(rng)}), ("GET", "PUT", "DELETE"))


def test_a_client_that_sends_less_than_content_length_and_leaves_does_not_hang_the_server(server):
    survives_a_short_body(server, "/api/notes", content_type="application/json", body=b'{"text": "buy',
                          hint="validate", then="/api/notes")
