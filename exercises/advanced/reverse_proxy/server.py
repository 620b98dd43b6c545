"""reverse_proxy: forward /api/ to another server, and serve the rest yourself.

nginx and Caddy sit in front of app servers like this: the browser talks to the proxy only, the proxy
serves the static files itself and passes every /api/ request on to the app server behind it (the
"upstream"), then brings the upstream's answer back. To the browser, it is all one site.

A proxy is a server and a client at once, and the HTTP it speaks on each side is its own:
- headers that describe one connection (Connection, Keep-Alive, Transfer-Encoding...) are "hop-by-hop":
  they stop at the proxy, both ways, and so does every header that Connection names;
- the upstream sees only the proxy's address, so the proxy says who really asked: X-Forwarded-For
  (appended to the chain of proxies already there), X-Forwarded-Proto and X-Forwarded-Host;
- the upstream's answer comes back unchanged: its status (404 and 500 too), its headers, its bytes;
- an upstream that is down gives 502 Bad Gateway, and one that is too slow 504 Gateway Timeout.

Run it:    python -m reference.wsgi_server --port 8000 --app graders.advanced.wsgi_probe_app:app &
           (an upstream that answers with the request it got; any server will do)
           python exercises/advanced/reverse_proxy/server.py --port 8002 --upstream http://127.0.0.1:8000
Try it:    curl -i "http://127.0.0.1:8002/api/hello?x=1" -H "X-Forwarded-For: 203.0.113.7"
           curl -i http://127.0.0.1:8002/about                  (from static/, not the upstream)
Check it:  python -m pytest graders/advanced/test_reverse_proxy.py
"""
import http.client
import socket
import threading
from urllib.parse import urlsplit

from reference import cli
from reference.blocking_server import connections, serve_client
from reference.core import static_site
from reference.core.response import Response, error_page

# Headers about one connection, not about the message: a proxy never passes them on (RFC 9110, 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
              "trailer", "transfer-encoding", "upgrade"}
FORWARDED = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}   # the proxy writes these itself


def end_to_end(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers without the hop-by-hop ones: the fixed list, and every header Connection names."""
    # TODO: leave out every header in HOP_BY_HOP, and every header that Connection names:
    #       "Connection: close, X-Secret" says that X-Secret, too, was meant for this connection only.
    return headers


def upstream_headers(request, client_ip: str) -> list[tuple[str, str]]:
    """The request's headers as the upstream should see them."""
    headers = [(name, value) for name, value in end_to_end(request.header_list) if name.lower() not in FORWARDED]
    # TODO: the upstream sees only the proxy's address: say who really asked. X-Forwarded-For is a chain,
    #       one address per proxy on the way: append client_ip to the one the request already carries
    #       ("203.0.113.7, 127.0.0.1"), or send client_ip alone. Add X-Forwarded-Proto: http, and
    #       X-Forwarded-Host: the Host header the client sent.
    return headers


def forward(request, args, client_ip: str) -> Response:
    """Send the request on to the upstream, and bring its answer back unchanged."""
    upstream = urlsplit(args.upstream)         # http://127.0.0.1:8000 -> hostname, port
    headers = upstream_headers(request, client_ip)
    # TODO: send the request on with http.client.HTTPConnection(upstream.hostname, upstream.port,
    #       timeout=args.upstream_timeout): putrequest(request.method, request.target, skip_host=True,
    #       skip_accept_encoding=True) (the client's Host is among `headers`), putheader() for each of
    #       `headers`, then endheaders(request.body).
    #       Not urllib.request: it raises on 404 and 500, and those answers must come back unchanged too.
    # TODO: read the answer, getresponse(), and return Response(reply.status, its headers through
    #       end_to_end(), reply.read()): the body stays bytes, whatever it holds.
    # TODO: an upstream that refuses the connection gives 502 Bad Gateway, one slower than the timeout
    #       (TimeoutError, an OSError too: catch it first) 504 Gateway Timeout; error_page() makes both.
    #       Close the connection in every case.
    return error_page(502, f"the proxy does not forward to {args.upstream} yet")


def answer_for(client_ip: str):
    """The answer function for one client: /api/ goes upstream, everything else is the static site."""
    def answer(request, args) -> Response:
        if request.path.startswith("/api/"):
            return forward(request, args, client_ip)
        return static_site.respond(request, args.static)
    return answer


def main(args) -> None:
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        cli.announce("reverse_proxy", args)
        print(f"  forwarding /api/ to {args.upstream}", flush=True)
        for conn, (client_ip, _port) in connections(listener):
            # A thread per client: while one waits on a slow upstream, the others are served.
            threading.Thread(target=serve_client, args=(conn, args, answer_for(client_ip)), daemon=True).start()


if __name__ == "__main__":
    cli.run("reverse_proxy", main, cli.parse_args(
        __doc__.splitlines()[0],
        upstream={"default": "http://127.0.0.1:8000", "help": "where /api/ goes (default http://127.0.0.1:8000)"},
        **{"upstream-timeout": {"type": float, "default": 5.0, "dest": "upstream_timeout",
                                "help": "seconds to wait for the upstream before answering 504 (default 5)"}}))
