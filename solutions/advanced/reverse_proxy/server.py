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
    # "Connection: close, X-Secret" says that X-Secret, too, was meant for this connection only.
    named = {token.strip().lower() for name, value in headers if name.lower() == "connection"
             for token in value.split(",")}
    return [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP | named]


def upstream_headers(request, client_ip: str) -> list[tuple[str, str]]:
    """The request's headers as the upstream should see them."""
    headers = [(name, value) for name, value in end_to_end(request.header_list) if name.lower() not in FORWARDED]
    # The upstream sees only the proxy's address: say who really asked. X-Forwarded-For is a chain, one
    # address per proxy on the way, so append to the one already there instead of replacing it.
    chain = request.header("x-forwarded-for")
    headers.append(("X-Forwarded-For", f"{chain}, {client_ip}" if chain else client_ip))
    headers.append(("X-Forwarded-Proto", "http"))
    if request.header("host"):
        headers.append(("X-Forwarded-Host", request.header("host")))
    return headers


def forward(request, args, client_ip: str) -> Response:
    """Send the request on to the upstream, and bring its answer back unchanged."""
    upstream = urlsplit(args.upstream)         # http://127.0.0.1:8000 -> hostname, port
    headers = upstream_headers(request, client_ip)
    # http.client, not urllib.request: urllib raises on 404 and 500, and those answers must come back too.
    # The timeout bounds the connect and every read: an upstream that hangs must not hang us.
    connection = http.client.HTTPConnection(upstream.hostname, upstream.port or 80, timeout=args.upstream_timeout)
    try:
        # The client's Host goes on as it was (http.client adds one only when the client sent none).
        connection.putrequest(request.method, request.target, skip_host="host" in request.headers,
                              skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders(request.body or None)
        reply = connection.getresponse()
        body = reply.read()                    # bytes, as they are: an image must not go through a str
    except TimeoutError:                       # an OSError too: it must come before the next line
        return error_page(504, f"the upstream {args.upstream} did not answer within {args.upstream_timeout:g} s")
    except (OSError, http.client.HTTPException) as error:
        return error_page(502, f"the upstream {args.upstream} could not be reached ({error})")
    finally:
        connection.close()
    # Its status and headers as they are, minus the hop-by-hop ones (encode() adds our own Content-Length
    # when the upstream sent chunks, and our own Connection).
    return Response(reply.status, end_to_end(reply.getheaders()), body)


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
