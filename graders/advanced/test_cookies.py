"""cookies: a visit counter kept in a cookie, and logins with opaque sessions kept on the server.

The checks:
- GET /visits with no cookie answers `Visits: 1` and sets `visits=1; Path=/`;
- with `Cookie: visits=N` among other cookies, as a browser sends them (in any order, `;` with or without a
  space, quoted values, `=` inside values, a `myvisits` cookie before it), it answers `Visits: N+1` and sets
  visits=N+1;
- a garbage visits cookie (not a count: letters, `12abc`, `3.5`, `-3`, empty) counts as 0: `Visits: 1`;
- POST /login with a urlencoded `username` answers 303 See Other with `Location: /me`; the form may hold other
  fields, before or after, and `+` or `%20` for a space, and the request may come in several writes;
- the `session` cookie it sets has the attributes HttpOnly, Path=/ and SameSite=Lax (any case);
- the session id is opaque and unguessable: at least 16 characters, never containing the username, new on
  every login (the same user twice included), and not a counter or a clock (two ids differ in many places);
- GET /me with that cookie says `Hello, <username>`;
- GET /me without a session, or with a made-up one, gives 401;
- POST /logout (200 or a redirect) ends the session on the server: the old cookie, sent again, gets 401;
- POST /logout expires the session cookie (Max-Age=0, or an Expires date in the past);
- POST /logout without a session, or with one the server never gave, still answers (200 or a redirect);
- several users logged in at once each keep their own session, and logging one out leaves the others in;
- HEAD /visits and HEAD /me answer GET's status and headers, with no body on the wire;
- a client that sends less than its Content-Length and leaves does not stop the server.
"""
import re
import string
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote, quote_plus

from graders.advanced.app_checks import odd_case, split_at_random
from graders.harness import (
    GraderFailure,
    expect,
    fail,
    fetch,
    head_is_the_head_of_get,
    send_raw,
    survives_a_short_body,
    with_advice,
)

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
    found = re.search(r"Visits: (-?\d+)\b", exchange.text)
    return int(found.group(1)) if found else None


def check_visits(exchange, expected: int, why: str) -> None:
    expect(exchange.status == 200, exchange, expected="200 OK", got=f"{exchange.status} {exchange.reason}",
           hint="visits")
    shown = visits_shown(exchange)
    expect(shown == expected, exchange, expected=f"a body with `Visits: {expected}` ({why})",
           got=f"Visits: {shown}" if shown is not None else "no `Visits: N` in the body", hint="visits")
    cookie = cookies_set(exchange).get("visits")
    expect(cookie is not None, exchange, expected=f"a header Set-Cookie: visits={expected}; Path=/",
           got="no Set-Cookie for visits", hint="visits")
    expect(cookie["value"] == str(expected), exchange, expected=f"Set-Cookie: visits={expected}; Path=/",
           got=f"visits={cookie['value']}", hint="visits")
    expect(cookie.get("path") == "/", exchange,
           expected=f"Set-Cookie: visits={expected}; Path=/ (with Path=/, every page of the site shares the counter)",
           got=f"Path={cookie.get('path')}" if cookie.get("path") else "no Path",
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


def cookie_header(rng, visits: str) -> str:
    """A Cookie header as browsers send it, with visits among other cookies: a cookie with a similar name comes
    first (a search for "visits=" finds it), the rest in any order, `;` with or without a space."""
    others = [f"theme={rng.choice(['dark', 'light'])}", f'lang="{rng.choice(["en-GB", "fr", "de"])}"',
              f"token={random_name(rng)}==", f"visits_before={rng.randint(600, 999)}"]
    rng.shuffle(others)
    pairs = [f"myvisits={rng.randint(600, 999)}"] + others[:rng.randint(1, 3)] + [f"visits={visits}"]
    tail = pairs[1:]
    rng.shuffle(tail)
    return rng.choice(["; ", ";"]).join(pairs[:1] + tail)


def test_visits_count_on_from_the_cookie(server, rng):
    count = rng.randint(2, 500)
    header = cookie_header(rng, str(count))
    exchange = fetch(server, "GET", "/visits", headers={odd_case("Cookie", rng): header})
    check_visits(exchange, count + 1, f"the browser said visits={count} among other cookies, so this is visit "
                 f"{count + 1}. The Cookie header is a list of name=value pairs separated by ';': read the pair "
                 "whose name is exactly visits")


def test_garbage_visits_cookie_counts_as_zero(server, rng):
    garbage_values = [random_name(rng), f"{rng.randint(1, 99)}abc", f"-{rng.randint(2, 99)}",
                      rng.choice(["3.5", "", "0x1f"])]
    for garbage in garbage_values:
        exchange = fetch(server, "GET", "/visits", headers={"Cookie": cookie_header(rng, garbage)})
        check_visits(exchange, 1, f"visits={garbage} is not a count of visits, so it counts as 0")


def test_login_redirects_to_me(server, rng):
    exchange = fetch(server, "POST", "/login", data={"username": random_name(rng)})
    expect(exchange.status == 303, exchange, expected="303 See Other, so the browser goes on with GET /me",
           got=f"{exchange.status} {exchange.reason}", hint="session_id")
    location = exchange.headers.get("Location", "")
    expect(location == "/me" or location.endswith("://" + server.url.split("://")[1] + "/me"), exchange,
           expected="Location: /me", got=f"Location: {location}" if location else "no Location header",
           hint="session_id")


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
    for (_, _, one), (_, exchange, other) in zip(logins, logins[1:], strict=False):
        different = sum(a != b for a, b in zip(one, other, strict=False)) + abs(len(one) - len(other))
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
    for headers, who in (({}, "no cookie at all"),
                         ({"Cookie": f"session={made_up}"}, "a session id the server never gave"),
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


def test_login_reads_the_form_in_any_legal_shape(server, rng):
    username = f"{random_name(rng).capitalize()} {rng.choice(['Lovelace', 'Hopper', 'Müller', 'Ñúñez'])}"
    quoted = rng.choice([quote_plus, quote])(username)                      # a space is + or %20
    fields = [f"username={quoted}", f"remember={rng.choice(['on', 'yes'])}", f"next={quote('/me?x=1=2')}"]
    rng.shuffle(fields)
    body = "&".join(fields)
    content_type = rng.choice(["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8"])
    raw = (f"POST /login HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n{odd_case('Content-Type', rng)}: "
           f"{content_type}\r\n{odd_case('Content-Length', rng)}: {len(body)}\r\nConnection: close\r\n\r\n{body}")
    # In a few writes, cut at random bytes: the body may come after the head, and in pieces of its own.
    exchange = send_raw(server, split_at_random(raw.encode(), rng, rng.randint(2, 4)), pause=0.05)
    cookie = cookies_set(exchange).get("session")
    expect(exchange.status == 303 and cookie is not None, exchange, expected="303 See Other with a session cookie",
           got=f"{exchange.status} {exchange.reason}" + ("" if cookie else ", no session cookie"), hint="session_id")
    greeting = me(server, cookie["value"])
    expect(f"Hello, {username}" in greeting.text, greeting,
           expected=f"`Hello, {username}`: we logged in with the form {body}, whose username field decodes to "
                    f"{username!r}. Read the whole body (Content-Length bytes, over as many reads as it takes), "
                    "then the form with urllib.parse.parse_qs (it decodes + and %XX, and finds the field wherever "
                    "it is)", got=f"the page {greeting.text.strip()[:80]!r}", hint="session_id")


def test_logout_without_a_session_still_answers(server, rng):
    made_up = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(43))
    for headers, who in (({}, "no cookie at all"),
                         ({"Cookie": f"session={made_up}"}, "a session the server never gave")):
        expected = (f"200 OK or a 303 redirect after logging out with {who}: there is nothing to forget, and "
                    "that is fine (sessions.pop(id, None) does not mind, where del sessions[id] raises KeyError)")
        try:
            out = fetch(server, "POST", "/logout", headers=headers)
        except GraderFailure as failure:
            raise with_advice(failure, expected=expected, hint="logout") from None
        expect(out.status in LOGOUT_STATUSES, out, expected=expected, got=f"{out.status} {out.reason}", hint="logout")


def test_users_logged_in_at_once_keep_their_own_sessions(server, rng):
    users = [random_name(rng) for _ in range(4)]
    with ThreadPoolExecutor(len(users)) as pool:                 # all the logins at the same moment
        sessions = list(pool.map(lambda user: login(server, user)[1], users))
        greetings = list(pool.map(lambda session_id: me(server, session_id), sessions))
    expect(len(set(sessions)) == len(users), expected=f"a session of its own for each of {len(users)} users who "
           "logged in at once", got=f"the session ids {sessions}", hint="session_id")
    for user, greeting in zip(users, greetings, strict=False):
        expect(greeting.status == 200 and f"Hello, {user}" in greeting.text, greeting,
               expected=f"`Hello, {user}` for {user}'s own session ({len(users)} users logged in at once: "
                        f"{', '.join(users)}). Who a session belongs to lives in the sessions dict, one entry per "
                        "id, never in one variable for everybody",
               got=f"{greeting.status}: {greeting.text.strip()[:80]!r}",
               hint="session_id")
    leaving = rng.randrange(len(users))
    fetch(server, "POST", "/logout", headers={"Cookie": f"session={sessions[leaving]}"})
    for number, (user, session_id) in enumerate(zip(users, sessions, strict=False)):
        greeting = me(server, session_id)
        if number == leaving:
            expect(greeting.status == 401, greeting, expected=f"401 for {user}, who logged out",
                   got=f"{greeting.status} {greeting.reason}", hint="logout")
        else:
            expect(greeting.status == 200 and f"Hello, {user}" in greeting.text, greeting,
                   expected=f"`Hello, {user}`: {users[leaving]} logged out, and {user} did not. Logout forgets "
                            "the one session in its cookie (sessions.pop(id)), never the others",
                   got=f"{greeting.status}: {greeting.text.strip()[:80]!r}", hint="logout")


def test_head_is_the_head_of_get(server, rng):
    head_is_the_head_of_get(server, "/visits", hint="visits",
                            extra_headers=f"Cookie: visits={rng.randint(2, 99)}\r\n")
    head_is_the_head_of_get(server, "/me", hint="session_id")
