"""cookies: a visit counter kept in a cookie, and logins with opaque sessions kept on the server.

The checks:
- GET /visits with no cookie answers `Visits: 1` and sets `visits=1; Path=/`;
- with `Cookie: visits=N` (among other cookies, as a browser sends them) it answers `Visits: N+1` and
  sets visits=N+1;
- a garbage visits cookie (not a number) counts as 0: `Visits: 1`, never an error;
- POST /login with a urlencoded `username` answers 303 See Other with `Location: /me`;
- the `session` cookie it sets has the attributes HttpOnly, Path=/ and SameSite=Lax (any case);
- the session id is opaque and unguessable: at least 16 characters, never containing the username, new on
  every login (the same user twice included), and not a counter or a clock (two ids differ in many places);
- GET /me with that cookie says `Hello, <username>`;
- GET /me without a session, or with a made-up one, gives 401;
- POST /logout (200 or a redirect) ends the session on the server: the old cookie, sent again, gets 401;
- POST /logout expires the session cookie (Max-Age=0, or an Expires date in the past).
- a client that sends less than its Content-Length and leaves does not stop the server.
"""
import re
import string
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from graders.harness import expect, fail, fetch, survives_a_short_body

MIN_LENGTH = 16       # characters in a session id
MIN_DIFFERENT = 10    # places where two session ids must differ: a counter or a clock changes only a few
LOGOUT_STATUSES = (200, 204, 302, 303)


def cookies_set(exchange) -> dict[str, dict]:
    """Each Set-Cookie header as {name: {"value": ..., "path": "/", "httponly": True, ...}} (attributes lower-cased)."""
    found = {}
    for header in exchange.headers.get_all("Set-Cookie"):
        pair, *attributes = header.split(";")
        name, _, value = pair.partition("=")
        cookie = {"value": value.strip().strip('"')}
        for attribute in attributes:
            key, equals, setting = attribute.partition("=")
            cookie[key.strip().lower()] = setting.strip() if equals else True
        found[name.strip()] = cookie
    return found


def random_name(rng) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


def visits_shown(exchange) -> int | None:
    found = re.search(r"Visits: (\d+)\b", exchange.text)
    return int(found.group(1)) if found else None


def check_visits(exchange, expected: int, why: str) -> None:
    expect(exchange.status == 200, exchange, expected="200 OK", got=f"{exchange.status} {exchange.reason}", hint="visits")
    shown = visits_shown(exchange)
    expect(shown == expected, exchange, expected=f"a body with `Visits: {expected}` ({why})",
           got=f"Visits: {shown}" if shown is not None else "no `Visits: N` in the body", hint="visits")
    cookie = cookies_set(exchange).get("visits")
    expect(cookie is not None, exchange, expected=f"a header Set-Cookie: visits={expected}; Path=/",
           got="no Set-Cookie for visits", hint="visits")
    expect(cookie["value"] == str(expected), exchange, expected=f"Set-Cookie: visits={expected}; Path=/",
           got=f"visits={cookie['value']}", hint="visits")
    expect(cookie.get("path") == "/", exchange, expected=f"Set-Cookie: visits={expected}; Path=/ (with Path=/, so every "
           "page of the site shares the counter)", got=f"Path={cookie.get('path')}" if cookie.get("path") else "no Path",
           hint="visits")


def login(server, username: str):
    """POST /login; returns the exchange and the session id it set (failing with a lesson if there is none)."""
    exchange = fetch(server, "POST", "/login", data={"username": username})
    expect(exchange.status in (200, 302, 303), exchange, expected="303 See Other after logging in",
           got=f"{exchange.status} {exchange.reason}", hint="session_id")
    cookie = cookies_set(exchange).get("session")
    expect(cookie is not None and cookie["value"], exchange, expected="a header Set-Cookie: session=<an opaque id>",
           got="no session cookie", hint="session_id")
    return exchange, cookie["value"]


def me(server, session_id: str):
    return fetch(server, "GET", "/me", headers={"Cookie": f"session={session_id}"})


def test_first_visit_counts_one(server):
    check_visits(fetch(server, "GET", "/visits"), 1, "no cookie yet: this is the first visit")


def test_visits_count_on_from_the_cookie(server, rng):
    count = rng.randint(2, 500)
    exchange = fetch(server, "GET", "/visits", headers={"Cookie": f"theme=dark; visits={count}; lang=en"})
    check_visits(exchange, count + 1, f"the browser said visits={count}, so this is visit {count + 1}")


def test_garbage_visits_cookie_counts_as_zero(server, rng):
    for garbage in (random_name(rng), f"{rng.randint(1, 99)}abc"):
        exchange = fetch(server, "GET", "/visits", headers={"Cookie": f"visits={garbage}"})
        check_visits(exchange, 1, f"visits={garbage} is not a number, so it counts as 0")


def test_login_redirects_to_me(server, rng):
    exchange = fetch(server, "POST", "/login", data={"username": random_name(rng)})
    expect(exchange.status == 303, exchange, expected="303 See Other, so the browser goes on with GET /me",
           got=f"{exchange.status} {exchange.reason}", hint="session_id")
    location = exchange.headers.get("Location", "")
    expect(location == "/me" or location.endswith("://" + server.url.split("://")[1] + "/me"), exchange,
           expected="Location: /me", got=f"Location: {location}" if location else "no Location header", hint="session_id")


def test_session_cookie_attributes(server, rng):
    exchange, _session_id = login(server, random_name(rng))
    cookie = cookies_set(exchange)["session"]
    expect(cookie.get("httponly") is True, exchange, expected="the session cookie marked HttpOnly, so a script "
           "injected into a page cannot read it", got="no HttpOnly attribute", hint="attributes")
    expect(cookie.get("path") == "/", exchange, expected="Path=/ on the session cookie, so every page gets it",
           got=f"Path={cookie['path']}" if cookie.get("path") else "no Path attribute", hint="attributes")
    same_site = cookie.get("samesite")
    expect(isinstance(same_site, str) and same_site.lower() == "lax", exchange,
           expected="SameSite=Lax on the session cookie, so another site's form cannot post with it",
           got=f"SameSite={same_site}" if same_site else "no SameSite attribute", hint="attributes")


def test_session_id_is_unguessable(server, rng):
    first_user, second_user = random_name(rng), random_name(rng)
    logins = [(user, *login(server, user)) for user in (first_user, first_user, second_user)]
    for user, exchange, session_id in logins:
        expect(user not in session_id.lower(), exchange,
               expected=f"an opaque session id that does not contain the username {user!r}",
               got=f"session={session_id}: anyone could forge a cookie for any user", hint="session_id")
        expect(len(session_id) >= MIN_LENGTH, exchange,
               expected=f"a long random session id (at least {MIN_LENGTH} characters)",
               got=f"session={session_id}, only {len(session_id)} characters: easy to guess", hint="session_id")
    ids = [session_id for _user, _exchange, session_id in logins]
    expect(len(set(ids)) == 3, logins[1][1], expected=f"a new session id on every login, even for the same user "
           f"(we logged in as {first_user}, {first_user} again, then {second_user})",
           got=f"the ids {', '.join(ids)}", hint="session_id")
    for (_, _, one), (_, exchange, other) in zip(logins, logins[1:]):
        different = sum(a != b for a, b in zip(one, other)) + abs(len(one) - len(other))
        expect(different >= MIN_DIFFERENT, exchange, expected="random session ids, different in most places",
               got=f"{one} and then {other} from two logins a moment apart: they differ in only {different} "
                   f"place{'s' if different != 1 else ''}. A counter or a clock is easy to guess", hint="session_id")


def test_me_greets_the_logged_in_user(server, rng):
    username = random_name(rng)
    _login, session_id = login(server, username)
    exchange = me(server, session_id)
    expect(exchange.status == 200, exchange, expected=f"200 OK for the session of {username}, just logged in",
           got=f"{exchange.status} {exchange.reason}", hint="session_id")
    expect(f"Hello, {username}" in exchange.text, exchange, expected=f"a body saying `Hello, {username}`",
           got="something else", hint="session_id")


def test_me_without_a_session_is_401(server, rng):
    made_up = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(43))
    for headers, who in (({}, "no cookie at all"), ({"Cookie": f"session={made_up}"}, "a session id the server never gave"),
                         ({"Cookie": "visits=3"}, "cookies, but no session")):
        exchange = fetch(server, "GET", "/me", headers=headers)
        expect(exchange.status == 401, exchange, expected=f"401 Unauthorized for {who}",
               got=f"{exchange.status} {exchange.reason}", hint="session_id")


def test_logout_ends_the_session_on_the_server(server, rng):
    username = random_name(rng)
    _login, session_id = login(server, username)
    before = me(server, session_id)
    expect(before.status == 200, before, expected="200 OK for GET /me right after logging in",
           got=f"{before.status} {before.reason}", hint="session_id")
    out = fetch(server, "POST", "/logout", headers={"Cookie": f"session={session_id}"})
    expect(out.status in LOGOUT_STATUSES, out, expected="200 OK or a 303 redirect after logging out",
           got=f"{out.status} {out.reason}", hint="logout")
    replay = me(server, session_id)
    expect(replay.status == 401, replay,
           expected="401 Unauthorized: we sent the cookie from before POST /logout, and logging out must end the "
                    "session on the server (a stolen copy of the cookie must stop working too)",
           got=f"{replay.status} {replay.reason}", hint="logout")


def test_logout_expires_the_cookie(server, rng):
    _login, session_id = login(server, random_name(rng))
    out = fetch(server, "POST", "/logout", headers={"Cookie": f"session={session_id}"})
    cookie = cookies_set(out).get("session")
    if cookie is None:
        fail(out, expected="a header Set-Cookie: session=; Max-Age=0; Path=/ that tells the browser to drop it",
             got="no Set-Cookie for session", hint="logout")
    expect(cookie.get("path") in (None, True, "/"), out, expected="the expired cookie with the same Path=/ "
           "as when it was set (else the browser keeps the original)", got=f"Path={cookie.get('path')}", hint="logout")
    expect(expired(cookie), out, expected="the session cookie expired: Max-Age=0, or Expires in the past",
           got=f"Max-Age={cookie.get('max-age')}, Expires={cookie.get('expires')}", hint="logout")


def expired(cookie: dict) -> bool:
    max_age = cookie.get("max-age")
    if isinstance(max_age, str) and re.fullmatch(r"-?\d+", max_age):
        return int(max_age) <= 0
    try:
        return parsedate_to_datetime(cookie["expires"]) < datetime.now(timezone.utc)
    except (KeyError, TypeError, ValueError):
        return False


def test_a_client_that_sends_less_than_content_length_and_leaves_does_not_hang_the_server(server):
    survives_a_short_body(server, "/login", content_type="application/x-www-form-urlencoded",
                          body=b"username=ad", hint="session_id", then="/visits")
