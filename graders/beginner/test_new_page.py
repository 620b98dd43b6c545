"""new_page: a new contact page, linked from the home page.

The checks:
- GET /contact answers 200 with an HTML page (Content-Type text/html);
- GET /contact.html answers the same page;
- the page's <title> contains "Contact";
- the page links the site's stylesheet: <link rel="stylesheet" href="/styles.css"> (any href that
  leads to /styles.css from /contact, such as "styles.css", is fine);
- the home page, /, has a link (<a href>) to /contact or /contact.html;
- an unknown path is still a 404, not a page sent with 200 OK;
- HEAD /contact is the head of GET /contact, and a request in another legal shape (header names in any
  case, cut at any byte) gets the page too.
Pages are read with Python's html.parser, so the HTML around these pieces is up to you.
"""
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from graders.foundations.first_server_checks import shaped, split_anywhere
from graders.harness import expect, fetch, head_is_the_head_of_get, send_raw


class Page(HTMLParser):
    """What the checks need from a page: its title, its stylesheets and its links."""

    def __init__(self, html: str):
        super().__init__()
        self.title, self.in_title = "", False
        self.stylesheets: list[str] = []   # href of each <link rel="stylesheet">
        self.links: list[str] = []         # href of each <a>
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "title":
            self.in_title = True
        elif tag == "link" and "stylesheet" in attrs.get("rel", "").lower().split():
            self.stylesheets.append(attrs.get("href", ""))
        elif tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data


def path_of(href: str, page_path: str) -> str:
    """Where a link leads, as a path: "styles.css" on /contact leads to /styles.css."""
    return urlsplit(urljoin(f"http://server{page_path}", href.strip())).path


def contact_page(server, path="/contact"):
    exchange = fetch(server, "GET", path)
    expect(exchange.status == 200, exchange, expected=f"200 OK with your new contact page at {path}",
           got=f"{exchange.status} {exchange.reason}. The page belongs in pages/contact.html, in the pages/ folder "
               "beside server.py", hint="file")
    return exchange, Page(exchange.text)


def test_contact_page_is_served(server):
    exchange, _page = contact_page(server)
    content_type = exchange.headers.get("Content-Type", "")
    expect(content_type.lower().startswith("text/html"), exchange, expected="Content-Type: text/html",
           got=content_type or "no Content-Type at all. Does the file name end in .html?", hint="file")


def test_contact_html_is_the_same_page(server):
    exchange, page = contact_page(server, "/contact.html")
    expect("contact" in page.title.lower(), exchange,
           expected="the contact page again, with Contact in its <title>",
           got=f"the title {page.title.strip()!r}" if page.title.strip() else "a page without a <title>",
           hint="content")


def test_contact_page_title_says_contact(server):
    exchange, page = contact_page(server)
    expect("contact" in page.title.lower(), exchange, expected="a <title> that contains Contact",
           got=f"<title>{page.title.strip()}</title>" if page.title.strip() else "no <title> in the page",
           hint="content")


def test_contact_page_uses_the_site_stylesheet(server):
    exchange, page = contact_page(server)
    found = [href for href in page.stylesheets if path_of(href, "/contact") == "/styles.css"]
    expect(found, exchange,
           expected='<link rel="stylesheet" href="/styles.css"> in the page, so it looks like the site',
           got=f"stylesheets {page.stylesheets}" if page.stylesheets else "no <link rel=\"stylesheet\"> at all",
           hint="content")


def test_home_page_links_to_contact(server):
    exchange = fetch(server, "GET", "/")
    expect(exchange.status == 200, exchange, expected="200 OK with the home page",
           got=f"{exchange.status} {exchange.reason}", hint="link")
    links = Page(exchange.text).links
    found = [href for href in links if path_of(href, "/") in ("/contact", "/contact.html")]
    others = ", ".join(sorted(set(links))[:8]) or "none"
    expect(found, exchange,
           expected='a link to the contact page on the home page, such as <a href="/contact">Contact</a>',
           got=f"links to {others} only. The home page is pages/index.html, in the pages/ folder beside server.py",
           hint="link")


def test_unknown_pages_are_still_404(server, rng):
    path = f"/contact-{rng.choice(['us', 'form', 'me', 'info'])}-{rng.randint(100, 999)}"
    exchange = fetch(server, "GET", path)
    expect(exchange.status == 404, exchange,
           expected=f"404 Not Found: there is no page {path}, so the status must say so",
           got=f"{exchange.status} {exchange.reason}. A page that is not there, sent with 200 OK, tells "
               "browsers and search engines that it exists", hint="file")


def test_head_contact_is_the_head_of_get(server):
    head_is_the_head_of_get(server, "/contact", hint="file")


def test_contact_answers_any_legal_shape_of_request(server, rng):
    exchange = send_raw(server, split_anywhere(rng, shaped(rng, "/contact")), pause=0.05)
    expect(exchange.status == 200 and "contact" in Page(exchange.text).title.lower(), exchange,
           expected="200 OK with the contact page", got=f"{exchange.status} {exchange.reason}", hint="file")
