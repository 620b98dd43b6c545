"""https: serve the site over TLS, and send plain-HTTP visitors there.

HTTPS is HTTP inside TLS. The bytes of a request and its answer are exactly the ones you already
know; TLS wraps them in encryption after a handshake in which the server proves, with a certificate,
that it is the site the browser asked for. Python's `ssl` module does the cryptography: you build
one SSLContext with the certificate and its private key, and wrap each accepted socket with it. The
wrapped socket has the same recv() and sendall(), so the HTTP code does not change at all.

Three things make it a real server:
- the handshake runs in the client's own thread: a client that connects and says nothing (or speaks
  plain HTTP to the TLS port) is that client's problem, never everyone's;
- every answer carries Strict-Transport-Security, so a browser uses HTTPS for this site from then on;
- with --redirect-port M, a plain-HTTP listener on M sends visitors to the same page over HTTPS.

Run it:    python -m trustme     (a throwaway certificate for 127.0.0.1: server.pem, server.key, client.pem)
           python exercises/advanced/https/server.py --port 8443 --cert server.pem --key server.key --redirect-port 8080
Try it:    curl -i --cacert client.pem https://127.0.0.1:8443/
           curl -i "http://127.0.0.1:8080/about?from=plain"
Check it:  python -m pytest graders/advanced/test_https.py
"""
import socket
import ssl
import threading

from reference import cli
from reference.blocking_server import connections, serve_client
from reference.core import static_site
from reference.core.request_parser import origin_form
from reference.core.response import Response, error_page

HSTS = "max-age=31536000"   # one year: from now on the browser goes straight to https:// for this host


def make_context(cert: str, key: str) -> ssl.SSLContext:
    """One context for the whole server: the certificate chain, its private key, and safe defaults."""
    # PROTOCOL_TLS_SERVER: the server side, the best TLS version both ends know, old SSL versions refused.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def serve_tls_client(conn: socket.socket, context: ssl.SSLContext, args) -> None:
    """In the client's own thread: the TLS handshake, then the very same HTTP exchange as before."""
    # Not in the accept loop: a client that connects and says nothing would stall the handshake, and with
    # it every other visitor. do_handshake_on_connect=False lets us run it here, with a deadline.
    try:
        with context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False) as tls:
            tls.settimeout(args.timeout)
            tls.do_handshake()
            serve_client(tls, args, answer)   # recv() and sendall() now go through TLS; nothing else changes
    except OSError:
        # Plain HTTP on the TLS port, a client that left mid-handshake, or one that never spoke: each
        # raises ssl.SSLError (an OSError) or TimeoutError here. This client is done; no one else notices.
        pass
    finally:
        conn.close()


def answer(request, args) -> Response:
    response = static_site.respond(request, args.static)
    # HSTS: only meaningful on an HTTPS answer (a browser ignores it over plain HTTP), so it goes here.
    response.headers.append(("Strict-Transport-Security", HSTS))
    return response


def redirect_to_https(request, args) -> Response:
    """Plain HTTP on --redirect-port: the same page, over HTTPS. The target keeps the path AND the query."""
    # origin_form: a target may come in absolute form, "http://elsewhere.example/x?y" (what clients send to a
    # proxy); only its path and query belong after our port, or the Location would point anywhere.
    location = f"https://{cli.HOST}:{args.port}{origin_form(request.target)}"
    response = error_page(301, f"This site is served over HTTPS: {location}")
    response.headers.append(("Location", location))
    return response


def serve_redirects(listener: socket.socket, args) -> None:
    for conn, _address in connections(listener):
        threading.Thread(target=serve_client, args=(conn, args, redirect_to_https), daemon=True).start()


def main(args) -> None:
    context = make_context(args.cert, args.key)   # a wrong path or a key that does not match fails here, at once
    if args.redirect_port:
        plain = socket.create_server((cli.HOST, args.redirect_port), backlog=128)
        threading.Thread(target=serve_redirects, args=(plain, args), daemon=True).start()
    with socket.create_server((cli.HOST, args.port), backlog=128) as listener:
        print(f"https listening on https://{cli.HOST}:{args.port}/  (Ctrl+C to stop)", flush=True)
        if args.redirect_port:
            print(f"  and sending http://{cli.HOST}:{args.redirect_port}/ there", flush=True)
        for conn, _address in connections(listener):   # plain TCP accept: no TLS work in this loop
            threading.Thread(target=serve_tls_client, args=(conn, context, args), daemon=True).start()


if __name__ == "__main__":
    cli.run("https", main, cli.parse_args(
        __doc__.splitlines()[0],
        cert={"required": True, "help": "the certificate chain, PEM (the server's certificate first)"},
        key={"required": True, "help": "the certificate's private key, PEM"},
        **{"redirect-port": {"type": int, "default": 0, "dest": "redirect_port",
                             "help": "also listen for plain HTTP on this port, redirecting to HTTPS"}}))
