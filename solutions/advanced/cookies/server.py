"""Cookies and sessions: remember a visitor between requests.

HTTP forgets everything between two requests. A cookie is how a server asks the browser to bring
something back: it answers `Set-Cookie: visits=3; Path=/`, and the browser sends `Cookie: visits=3`
with every later request. A session goes one step further: the cookie carries only an unguessable
id, and what it stands for (who you are) stays on the server.

What to build (each place is marked TODO below):
- GET /visits counts visits in a `visits` cookie: the body is `Visits: N`, the answer sets
  `visits=N; Path=/`, and a garbage cookie counts as 0.
- POST /login (a form with `username`) answers 303 to /me and sets a `session` cookie holding an
  opaque, unguessable id, with HttpOnly, Path=/ and SameSite=Lax.
- GET /me says `Hello, <username>` for a valid session, and 401 without one.
- POST /logout ends the session on the server and expires the cookie.

Run it:    python exercises/advanced/cookies/server.py --port 8002
Try it:    curl -i --cookie visits=41 http://127.0.0.1:8002/visits
           curl -i -d username=ada http://127.0.0.1:8002/login
           curl -i --cookie "session=<the id you got>" http://127.0.0.1:8002/me
Check it:  python -m pytest graders/advanced/test_cookies.py
"""
import asyncio
import secrets
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from reference import async_server, cli
from reference.core import static_site
from reference.core.response import Response, text
from reference.core.router import Router

router = Router()
sessions: dict[str, str] = {}   # session id -> username: it lives on the server, never in the cookie


def read_cookies(request) -> dict[str, str]:
    """The Cookie header, `a=1; b=2`, as a dict. A browser sends all of a site's cookies in one header."""
    cookies = SimpleCookie()
    try:
        cookies.load(request.header("cookie", ""))
    except CookieError:
        return {}                  # a mangled header is the client's problem: treat it as no cookies
    return {name: morsel.value for name, morsel in cookies.items()}


@router.route("/visits")
def visits(request) -> Response:
    # A cookie is whatever the client sent: count a missing or garbage value as 0, never crash on it.
    previous = read_cookies(request).get("visits", "")
    count = int(previous) + 1 if previous.isdecimal() else 1
    response = text(f"Visits: {count}\n")
    response.headers.append(("Set-Cookie", f"visits={count}; Path=/"))
    return response


@router.route("/login", methods=("POST",))
def login(request) -> Response:
    form = parse_qs(request.body.decode("utf-8", "replace"))
    username = form.get("username", [""])[0]
    if not username:
        return text("A username, please.\n", status=400)
    # Unguessable: 32 random bytes. The username or a counter would let anyone forge someone else's cookie.
    session_id = secrets.token_urlsafe(32)
    sessions[session_id] = username
    # 303 See Other: "done, now GET /me". Reloading that page will not post the form a second time.
    response = Response(303, [("Location", "/me")])
    # HttpOnly: scripts cannot read it. Path=/: every page gets it. SameSite=Lax: other sites' forms don't.
    response.headers.append(("Set-Cookie", f"session={session_id}; HttpOnly; Path=/; SameSite=Lax"))
    return response


@router.route("/me")
def me(request) -> Response:
    username = sessions.get(read_cookies(request).get("session", ""))
    if username is None:
        return text("Who are you? POST /login first.\n", status=401)
    return text(f"Hello, {username}\n")


@router.route("/logout", methods=("POST",))
def logout(request) -> Response:
    # Forget it on the server: deleting only the cookie would leave a stolen copy working.
    sessions.pop(read_cookies(request).get("session", ""), None)
    # Then expire the cookie: the same name and Path, with Max-Age=0, so the browser drops it now.
    expired = "session=; Max-Age=0; HttpOnly; Path=/; SameSite=Lax"
    return Response(303, [("Location", "/"), ("Set-Cookie", expired)])


def answer(request, args) -> Response:
    return router.dispatch(request)        # a route's answer, or the router's fallback: the static site


def main(args) -> None:
    router.fallback = lambda request: static_site.respond(request, args.static)   # no route: a file, or 404
    asyncio.run(async_server.serve(args, "cookies", answer=answer))


if __name__ == "__main__":
    cli.run("cookies", main, cli.parse_args(__doc__.splitlines()[0]))
