"""templates: a tiny template engine with {{ name }} placeholders, loops, escaping and loud errors.

The checks:
- GET /hello?name=<x> answers 200 with an HTML page containing `Hello, <x>!`, for names in every shape a query
  carries them (a space as + or %20, UTF-8 such as é or 東京, a backslash), and no {{ ... }} or {% ... %} is
  left in any page;
- that page is templates/hello.html (beside server.py) filled in: the file has a {{ name }} placeholder, and
  every piece of the file's text around its placeholders is in the page (skipped with --server-url);
- values are HTML-escaped: a name such as `<script>...</script> & <b>` comes back as `&lt;script&gt;...`;
- quotes are escaped too (`"` as &quot;, `'` as &#x27;), since a value may land inside an attribute;
- GET /items?item=a&item=b renders a loop: one <li> per item, in the order given, repeats kept; no item at all
  renders no <li>;
- the items in the loop are escaped too;
- GET /broken renders templates/broken.html, whose {{ favourite_colour }} has no value: the answer is 500,
  never a page with a silent blank, and the server goes on serving the next request;
- and the server prints a log line naming the placeholder, favourite_colour (skipped with --server-url);
- HEAD /hello answers GET's status and headers, with no body on the wire;
- a client that resets its connection in the middle of a request does not stop the server.
"""
import html
import re
import string
import time
from urllib.parse import quote, quote_plus, urlencode

import pytest

from graders.advanced.app_checks import survives_a_reset_mid_request
from graders.harness import GraderFailure, expect, fail, fetch, head_is_the_head_of_get, with_advice

PLACEHOLDER = re.compile(r"{{.*?}}|{%.*?%}", re.DOTALL)
LIST_ITEM = re.compile(r"<li\b[^>]*>(.*?)</li>", re.DOTALL | re.IGNORECASE)
BAD_AMPERSAND = re.compile(r"&(?!(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z]+);)")   # an & that starts no entity
DEFAULT_MISSING = "favourite_colour"   # the placeholder in the shipped templates/broken.html that gets no value
PLACEHOLDER_NAME = re.compile(r"{{\s*(\w+)\s*}}")


def missing_names(server) -> list[str]:
    """The placeholders of the server's own templates/broken.html that the handler gives no value (it gives
    only `name`): read from the file, so a server with its own broken.html is graded on its own terms."""
    script = getattr(server, "script", None)
    broken = script.parent / "templates" / "broken.html" if script else None
    if broken is None or not broken.is_file():
        return [DEFAULT_MISSING]
    names = [name for name in dict.fromkeys(PLACEHOLDER_NAME.findall(broken.read_text(encoding="utf-8")))
             if name != "name"]
    return names or [DEFAULT_MISSING]


def word(rng, length=8) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(length))


def query_value(value: str, rng) -> str:
    """A query value as a browser or curl may encode it: a space as + or %20."""
    return (rng.choice([quote, quote_plus]) if rng else quote)(value)


def hello(server, name: str, rng=None):
    exchange = fetch(server, "GET", "/hello?name=" + query_value(name, rng))
    expect(exchange.status == 200, exchange, expected="200 OK with the rendered hello page",
           got=f"{exchange.status} {exchange.reason}", hint="fill")
    no_left_overs(exchange, "fill")
    return exchange


def no_left_overs(exchange, hint: str) -> None:
    """A rendered page never shows the template's own syntax."""
    found = PLACEHOLDER.search(exchange.text)
    if found:
        around = exchange.text[max(0, found.start() - 30): found.end() + 30]
        fail(exchange, expected="a page with every placeholder filled and every loop expanded",
             got=f"template syntax left in the page: ...{around!r}...", hint=hint)


def escaped_as_text(fragment: str, value: str) -> bool:
    """`fragment` is `value` HTML-escaped: it reads back as the value, with no bare <, >, quote or &."""
    return (html.unescape(fragment) == value and not any(c in fragment for c in "<>\"'")
            and not BAD_AMPERSAND.search(fragment))


def a_name(rng) -> str:
    """A name in one of the shapes a visitor may type, each encoded in the query (a space, UTF-8, \\, %)."""
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(6)).capitalize()
    return rng.choice([f"{word} {rng.choice(['Lovelace', 'de la Cruz'])}", f"{word}é", f"{word} 東京",
                       f"{word}\\1", f"{word} 100%"])


def list_items(exchange) -> list[str]:
    return [item.strip() for item in LIST_ITEM.findall(exchange.text)]


def test_hello_renders_the_name(server, rng):
    name = a_name(rng)
    exchange = hello(server, name, rng)
    content_type = exchange.headers.get("Content-Type", "")
    expect(content_type.lower().startswith("text/html"), exchange, expected="Content-Type: text/html",
           got=content_type or "no Content-Type at all", hint="fill")
    expect(f"Hello, {html.escape(name)}!" in exchange.text, exchange, expected=f"a page containing `Hello, {name}!` "
           "(the query decoded: + and %20 are spaces, %C3%A9 is é)", got="a page without it", hint="fill")


def test_hello_comes_from_templates_hello_html(server, rng):
    script = getattr(server, "script", None)
    if script is None:
        pytest.skip("with --server-url the grader cannot see your templates folder")
    template_file = script.parent / "templates" / "hello.html"
    if not template_file.is_file():
        fail(expected=f"a template file templates/hello.html beside server.py ({template_file})",
             got="no such file", hint="fill")
    template = template_file.read_text(encoding="utf-8")
    expect(re.search(r"{{\s*name\s*}}", template), expected="a {{ name }} placeholder in templates/hello.html",
           got="a template without one", hint="fill")
    name = word(rng).capitalize()
    exchange = hello(server, name)
    for piece in PLACEHOLDER.split(template):
        for line in piece.splitlines():
            expect(line.strip() in exchange.text, exchange,
                   expected=f"the page rendered from templates/hello.html, with its line {line.strip()!r}",
                   got="a page without that line: /hello must render the template file", hint="fill")


def test_values_are_escaped(server, rng):
    number = rng.randint(100, 999)
    name = f"<script>alert({number})</script> & <b>"
    exchange = hello(server, name, rng)
    escaped = f"&lt;script&gt;alert({number})&lt;/script&gt; &amp; &lt;b&gt;"
    expect(f"<script>alert({number})" not in exchange.text, exchange,
           expected=f"the name escaped, {escaped}, so the browser shows it as text",
           got="a real <script> tag in the page: any visitor's script would run", hint="escape")
    twice = "&amp;lt;" in exchange.text or "&amp;amp;" in exchange.text
    expect(escaped in exchange.text, exchange, expected=f"the name escaped as {escaped}",
           got="it escaped twice (&amp;lt;script): an & added by escaping < was escaped again. Escape & first, "
               "or let html.escape() do it all" if twice else "something else", hint="escape")


def test_quotes_are_escaped_too(server, rng):
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(6))
    name = f'{word}" onmouseover="alert({rng.randint(100, 999)})\' x=\''
    exchange = hello(server, name)
    expect(f"{word}&quot;" in exchange.text or f"{word}&#34;" in exchange.text or f"{word}&#x22;" in exchange.text,
           exchange, expected=f"the name with its quotes escaped, {html.escape(name)}: a value may land inside an "
           'attribute, value="{{ name }}", where a bare quote ends the attribute and starts the visitor\'s own. '
           "html.escape() escapes quotes unless told quote=False",
           got="the quotes left as they are" if f'{word}"' in exchange.text else "something else", hint="escape")
    expect("' x='" not in exchange.text, exchange, expected=f"the single quotes escaped too: {html.escape(name)}",
           got="' left as it is", hint="escape")


def test_loop_renders_one_li_per_item_in_order(server, rng):
    items = [word(rng, rng.randint(3, 9)) for _ in range(rng.randint(3, 5))]
    items[rng.randrange(len(items))] += rng.choice([" tea", "é", " & cake"])
    items.insert(rng.randrange(len(items) + 1), rng.choice(items))           # a repeat keeps its place
    exchange = fetch(server, "GET", "/items?" + "&".join(f"item={query_value(item, rng)}" for item in items))
    expect(exchange.status == 200, exchange, expected="200 OK with the rendered items page",
           got=f"{exchange.status} {exchange.reason}", hint="loop")
    no_left_overs(exchange, "loop")
    found = list_items(exchange)
    expect(len(found) == len(items) and all(map(escaped_as_text, found, items)), exchange,
           expected=f"one <li> per item, in order, repeats included: {', '.join(items)}",
           got=f"<li> items {found}" if found else "no <li> at all: the loop must render its body once per item",
           hint="loop")


def test_no_items_renders_no_li(server):
    exchange = fetch(server, "GET", "/items")
    expect(exchange.status == 200, exchange, expected="200 OK with the items page, its list empty",
           got=f"{exchange.status} {exchange.reason}", hint="loop")
    no_left_overs(exchange, "loop")
    expect(not list_items(exchange), exchange, expected="no <li> at all: no item was given",
           got=f"<li> items {list_items(exchange)}", hint="loop")


def test_loop_items_are_escaped(server, rng):
    items = [f"<i>{word(rng)}</i>", f"{word(rng)} & {word(rng)}", f'"{word(rng)}\'s"']
    exchange = fetch(server, "GET", "/items?" + urlencode([("item", item) for item in items]))
    escaped = [html.escape(item) for item in items]
    found = list_items(exchange)
    expect(len(found) == len(items) and all(map(escaped_as_text, found, items)), exchange,
           expected=f"one <li> per item, escaped: {', '.join(escaped)}", got=f"<li> items {found}", hint="escape")


def test_missing_value_is_a_500(server, rng):
    exchange = fetch(server, "GET", "/broken")
    expect(exchange.status == 500, exchange,
           expected=f"500 Internal Server Error: templates/broken.html uses {{{{ {missing_names(server)[0]} }}}} "
                    "and the handler "
                    "gives it no value. A missing value must raise, not become a silent blank",
           got=f"{exchange.status} {exchange.reason}", hint="missing")
    name = a_name(rng)
    try:
        after = fetch(server, "GET", "/hello?name=" + quote(name))
    except GraderFailure as failure:
        raise with_advice(failure, expected="the next request served after the 500 for /broken: a handler that "
                          "raises ends its own request, never the server", hint="missing") from None
    expect(after.status == 200, after, expected="200 OK for the next request after /broken's 500",
           got=f"{after.status} {after.reason}", hint="missing")


def test_missing_value_is_logged_by_name(server):
    names = missing_names(server)
    before = len(server.output())   # stdout and stderr together
    exchange = fetch(server, "GET", "/broken")
    logged = ""
    for _ in range(25):             # the log line may land a moment after the answer
        logged = server.output()[before:]
        if any(name in logged for name in names):
            break
        time.sleep(0.02)
    expect(any(name in logged for name in names), exchange,
           expected=f"a line in your server's output naming the placeholder with no value, {' or '.join(names)}, "
                    "so whoever reads the log knows what to fix",
           got=f"the output: {logged.strip()!r}" if logged.strip() else "nothing printed for this request",
           hint="missing")


def test_head_is_the_head_of_get(server, rng):
    head_is_the_head_of_get(server, "/hello?name=" + quote(a_name(rng)), hint="fill")


def test_a_client_that_resets_mid_request_does_not_stop_the_server(server, rng):
    partial = f"GET /hello?name={quote(a_name(rng))} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
    survives_a_reset_mid_request(server, partial[: rng.randrange(1, len(partial))], then="/hello?name=Ada",
                                 hint="fill", expected="The reset is that client's problem: end its connection on "
                                 "ConnectionError, never the server")
