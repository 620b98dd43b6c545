"""The ASGI app that graders/advanced/test_asgi.py runs on your server. It shows what your server gave it.

    python exercises/advanced/asgi/server.py --port 8002 --app graders.advanced.asgi_probe_app:app

Then, in a browser or with curl:
    /echo/anything?x=1            the scope your server built, the body events receive() gave, as JSON
    /respond/418/hello            status 418, a header X-Probe-Token: hello, and two Set-Cookie headers
    /stream/3/800/hello           three chunks, 0.8 s apart, each sent with more_body=True, then the end
    /raise/hello                  raises before the response starts (your server should answer 500)
    /linger/hello                 starts an answer, then waits on receive() for http.disconnect
    /disconnected                 the tokens of /linger requests that saw http.disconnect, as JSON

The scope is shown with its types: a bytes value comes as {"bytes": "..."} (latin-1), a str as a plain
string, so the grader can tell b"x=1" from "x=1". `lifespan` says what the lifespan protocol did so far.
`app_without_lifespan` is the same app, except that it raises on a lifespan scope, as many small apps do;
`app_slow_startup` takes a second to start (its answers say whether it was ready); `app_failing_startup`
answers lifespan.startup with lifespan.startup.failed and the message in $ASGI_PROBE_MESSAGE.
/bad-header/<where> answers with a header whose name or value holds CR, LF or NUL (where: cr, lf, crlf, nul,
name), as a buggy app might: a server must refuse to write it.
"""
import asyncio
import json
import os
from http import HTTPStatus

lifespan_state = {"startup": False, "shutdown": False, "ready": True}
SLOW_STARTUP = 1.0     # seconds app_slow_startup takes to start (opening its database pool, say)
BAD_HEADERS = {         # /bad-header/<where>: a header no server may write as it is
    "cr": (b"x-a", b"a\rSet-Cookie: injected=1"),
    "lf": (b"x-a", b"a\nSet-Cookie: injected=1"),
    "crlf": (b"x-a", b"a\r\nSet-Cookie: injected=1"),
    "nul": (b"x-a", b"a\x00b"),
    "name": (b"x-a\r\nset-cookie", b"injected=1"),
}
disconnected: list[str] = []


def shown(value):
    """A scope value as JSON that keeps its type visible."""
    if isinstance(value, bytes):
        return {"bytes": value.decode("latin-1")}
    if isinstance(value, dict):
        return {str(key): shown(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [shown(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return f"<{type(value).__name__}>"


async def read_body(receive) -> tuple[bytes, list[dict]]:
    """Every http.request event until more_body is false, as the body and a list of what came."""
    body, events = b"", []
    while True:
        event = await receive()
        events.append({"type": event.get("type"), "more_body": event.get("more_body", False),
                       "size": len(event.get("body", b"")), "body_type": type(event.get("body", b"")).__name__})
        if event.get("type") != "http.request":
            return body, events       # http.disconnect, or something a server should not send
        chunk = event.get("body", b"")
        body += chunk if isinstance(chunk, bytes) else str(chunk).encode()
        if not event.get("more_body", False):
            return body, events
        if len(events) > 10_000:
            return body, events       # a server that never ends the body must not keep us here forever


async def send_json(send, value, status: int = 200) -> None:
    data = json.dumps(value, indent=1).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


async def lifespan(receive, send) -> None:
    while True:
        event = await receive()
        if event["type"] == "lifespan.startup":
            lifespan_state["startup"] = True
            print("asgi probe app: lifespan startup complete", flush=True)
            await send({"type": "lifespan.startup.complete"})
        elif event["type"] == "lifespan.shutdown":
            lifespan_state["shutdown"] = True
            print("asgi probe app: lifespan shutdown complete", flush=True)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    path = scope.get("path", "")
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "bad-header" and parts[2] in BAD_HEADERS:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain"), BAD_HEADERS[parts[2]]]})
        await send({"type": "http.response.body", "body": b"a header that must never reach the wire\n"})
        return
    if len(parts) == 4 and parts[1] == "respond" and parts[2].isdigit():
        code, token = int(parts[2]), parts[3].encode()
        await send({"type": "http.response.start", "status": code, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"), (b"x-probe-token", token),
            (b"set-cookie", b"a=" + token + b"; Path=/"), (b"set-cookie", b"b=2; Path=/")]})
        await send({"type": "http.response.body", "body": f"status {code} {HTTPStatus(code).phrase}\n".encode()})
        return
    if len(parts) == 5 and parts[1] == "stream" and parts[2].isdigit() and parts[3].isdigit():
        count, pause, token = min(int(parts[2]), 20), min(int(parts[3]), 3000) / 1000, parts[4]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
        for number in range(count):
            if number:
                await asyncio.sleep(pause)
            await send({"type": "http.response.body", "body": f"{token}-{number}\n".encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    if len(parts) == 3 and parts[1] == "raise":
        raise RuntimeError(f"the probe app raises on purpose for {path} (the grader asked for it)")
    if len(parts) == 3 and parts[1] == "linger":
        await read_body(receive)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"waiting for you to leave\n", "more_body": True})
        try:
            event = await asyncio.wait_for(receive(), 5)   # a client that leaves: http.disconnect
        except asyncio.TimeoutError:
            return
        if event.get("type") == "http.disconnect":
            disconnected.append(parts[2])
        return
    if path == "/disconnected":
        await read_body(receive)
        await send_json(send, disconnected)
        return
    body, events = await read_body(receive)
    await send_json(send, {"scope": shown(scope), "body": body.decode("latin-1"), "events": events,
                           "lifespan": lifespan_state})


async def app_without_lifespan(scope, receive, send) -> None:
    """Like many small apps: it only knows HTTP, and raises on anything else."""
    if scope["type"] != "http":
        raise RuntimeError(f"this app only speaks http, not {scope['type']}")
    await app(scope, receive, send)



async def app_slow_startup(scope, receive, send) -> None:
    """Like app, but its lifespan startup takes SLOW_STARTUP seconds: a request served before it completes
    reaches an app that is not ready (its answer says so)."""
    if scope["type"] != "lifespan":
        await app(scope, receive, send)
        return
    lifespan_state["ready"] = False
    event = await receive()
    if event["type"] == "lifespan.startup":
        lifespan_state["startup"] = True
        await asyncio.sleep(SLOW_STARTUP)
        lifespan_state["ready"] = True
        await send({"type": "lifespan.startup.complete"})
    await lifespan(receive, send)


async def app_failing_startup(scope, receive, send) -> None:
    """An app that cannot start (its database is unreachable): it answers lifespan.startup.failed."""
    if scope["type"] != "lifespan":
        await app(scope, receive, send)
        return
    event = await receive()
    if event["type"] == "lifespan.startup":
        message = os.environ.get("ASGI_PROBE_MESSAGE", "the probe app cannot start")
        await send({"type": "lifespan.startup.failed", "message": message})
