"""A tiny template engine: HTML files with holes, filled in for each request.

Writing pages as f-strings inside handlers gets old fast. A template is an HTML file with
placeholders such as `{{ name }}` and loops such as `{% for item in items %}...{% endfor %}`;
render() fills them in. Two rules make it safe: every value is HTML-escaped as it goes in, and a
placeholder with no value is an error, never a silent blank on the page.

What to build (each place is marked TODO, in render()):
- GET /hello?name=<x> renders templates/hello.html into a page containing `Hello, <x>!`.
- Values are escaped: `<script>` comes back as `&lt;script&gt;`.
- GET /items?item=a&item=b renders the loop in templates/items.html: one <li> per item, in order.
- GET /broken renders templates/broken.html, which uses {{ favourite_colour }} without a value:
  that must raise, so the server answers 500 and logs a line naming the placeholder.

Run it:    python exercises/advanced/templates/server.py --port 8002
Try it:    curl -i "http://127.0.0.1:8002/hello?name=%3Cscript%3E"
           curl -i "http://127.0.0.1:8002/items?item=tea&item=cake"
Check it:  python -m pytest graders/advanced/test_templates.py
"""
import asyncio
import re
from pathlib import Path
from urllib.parse import parse_qs

from reference import async_server, cli
from reference.core import static_site
from reference.core.response import Response, error_page
from reference.core.response import html as html_page
from reference.core.router import Router

TEMPLATES = Path(__file__).resolve().parent / "templates"
PLACEHOLDER = re.compile(r"{{\s*(\w+)\s*}}")                                        # {{ name }}
LOOP = re.compile(r"{%\s*for (\w+) in (\w+)\s*%}(.*?){%\s*endfor\s*%}", re.DOTALL)  # {% for x in xs %}...{% endfor %}

router = Router()


class TemplateError(Exception):
    """The template asked for something the handler did not give it."""


def render(template: str, values: dict) -> str:
    """Fill in a template: first expand the loops, then each {{ name }} placeholder."""

    def expand_loop(match: re.Match) -> str:
        variable, sequence, body = match.groups()
        # TODO: render `body` once per item of values[sequence], with `variable` set to that item, and join them.
        return ""

    def fill(match: re.Match) -> str:
        name = match.group(1)
        # TODO: no value for `name` must raise TemplateError naming the placeholder, not become a silent blank.
        value = values.get(name, "")
        # TODO: escape the value (html.escape), so a visitor's <script> is shown as text instead of running.
        return str(value)

    return PLACEHOLDER.sub(fill, LOOP.sub(expand_loop, template))


def render_page(filename: str, **values) -> Response:
    template = (TEMPLATES / filename).read_text(encoding="utf-8")
    return html_page(render(template, values))


@router.route("/hello")
def hello(request) -> Response:
    name = parse_qs(request.query).get("name", ["world"])[0]
    return render_page("hello.html", name=name)


@router.route("/items")
def items(request) -> Response:
    return render_page("items.html", items=parse_qs(request.query).get("item", []))


@router.route("/broken")
def broken(request) -> Response:
    return render_page("broken.html", name="Ada")   # oops: no favourite_colour


def answer(request, args) -> Response:
    try:
        response = router.dispatch(request)
    except TemplateError as error:
        # Fail loudly: a 500 page for the browser, and the reason in the log for you.
        print(f"template error on {request.path}: {error}", flush=True)
        response = error_page(500, "this page could not be rendered")
    return response


def main(args) -> None:
    router.fallback = lambda request: static_site.respond(request, args.static)   # no route: a file, or 404
    asyncio.run(async_server.serve(args, "templates", answer=answer))


if __name__ == "__main__":
    cli.run("templates", main, cli.parse_args(__doc__.splitlines()[0]))
