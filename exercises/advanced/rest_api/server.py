"""A REST API: notes you can create, read, update and delete, with the status codes clients expect.

REST is mostly conventions about HTTP you already know. A URL names a thing (/api/notes is the
collection, /api/notes/3 one note), the method says what to do with it, and the status code says
what happened: 201 Created with a Location, 204 No Content after a delete, 404 for no such note,
400 when the client sent nonsense, 405 (with Allow) for a method the URL does not support.

What to build (each place is marked TODO below):
- POST /api/notes with JSON {"text": ...} gives 201, `Location: /api/notes/<id>` and the new note.
- Bad JSON or a missing "text" gives 400 with a JSON {"error": ...} body.
- DELETE /api/notes/<id> gives 204 and the note is gone: GET, PUT and DELETE on it are 404 after.
- /api/notes/abc is 404, and a method the URL does not support is 405 with an Allow header.
GET /api/notes (the list), GET /api/notes/<id> and PUT /api/notes/<id> are done.

Run it:    python exercises/advanced/rest_api/server.py --port 8002
Try it:    curl -i -H "Content-Type: application/json" -d "{\"text\": \"buy milk\"}" http://127.0.0.1:8002/api/notes
           curl -i http://127.0.0.1:8002/api/notes
Check it:  python -m pytest graders/advanced/test_rest_api.py
"""
import asyncio
import json

from reference import async_server, cli
from reference.core import static_site
from reference.core.response import Response

notes: dict[int, dict] = {}   # id -> {"id": 1, "text": "buy milk"}, in memory: gone when the server stops
next_id = 1


def send_json(data, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, [("Content-Type", "application/json"), *(headers or [])], json.dumps(data).encode())


def error(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return send_json({"error": message}, status, headers)


def read_text(request) -> str:
    """The "text" of a JSON body such as {"text": "buy milk"}. Raises ValueError when there is none."""
    # TODO: bad JSON already raises ValueError; a body without a "text" string must raise ValueError too.
    return json.loads(request.body)["text"]


def note_id(text: str) -> int | None:
    """The id in /api/notes/<id>, or None when it names no note."""
    # TODO: only plain ASCII digits are an id. int() crashes on "abc", also takes "٣" (an Arabic-Indic 3)
    #       and " 3", and gives up on 5,000 digits: answer None for all of them (then the caller says 404).
    return int(text)


def notes_api(request) -> Response:
    global next_id
    parts = request.path.split("/")   # "/api/notes/3" -> ["", "api", "notes", "3"]
    # HEAD goes wherever GET goes: reply_to() sends GET's head and leaves the body out.
    allowed = ("GET", "HEAD", "POST") if len(parts) == 3 else ("GET", "HEAD", "PUT", "DELETE")
    if request.method not in allowed:
        # TODO: 405 Method Not Allowed, with an Allow header listing `allowed`, so the client knows what works.
        return error(404, f"{request.method} {request.path} does not exist")

    if len(parts) == 3:                                   # the collection: /api/notes
        if request.method in ("GET", "HEAD"):
            return send_json(list(notes.values()))
        try:
            note = {"id": next_id, "text": read_text(request)}
        except ValueError as problem:
            return error(400, f'expected JSON like {{"text": "buy milk"}}: {problem}')
        notes[next_id] = note
        next_id += 1
        # TODO: 201 Created, with a Location header saying where the new note lives.
        return send_json(note)

    # An id that is not a number (/api/notes/abc) names no note: 404, never a crash in int().
    note = notes.get(note_id(parts[3])) if len(parts) == 4 else None
    if note is None:
        return error(404, f"there is no note at {request.path}")
    if request.method in ("GET", "HEAD"):
        return send_json(note)
    if request.method == "PUT":
        try:
            note["text"] = read_text(request)
        except ValueError as problem:
            return error(400, f'expected JSON like {{"text": "buy milk"}}: {problem}')
        return send_json(note)
    # TODO: DELETE: really remove the note, then answer 204 No Content, with no body.
    return send_json(note)


def answer(request, args) -> Response:
    if request.path == "/api/notes" or request.path.startswith("/api/notes/"):
        return notes_api(request)
    return static_site.respond(request, args.static)


def main(args) -> None:
    asyncio.run(async_server.serve(args, "rest_api", answer=answer))


if __name__ == "__main__":
    cli.run("rest_api", main, cli.parse_args(__doc__.splitlines()[0]))
