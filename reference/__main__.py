"""`python -m reference`: list the servers, one line each."""

SERVERS = {
    "blocking_server": "one connection at a time: accept, read the request, answer, close",
    "threaded_server": "a thread per connection: the blocking server plus one line",
    "selectors_server": "a hand-written event loop: non-blocking sockets and readiness",
    "async_server": "asyncio streams: the blocking server with only the I/O lines changed",
    "routing_server": "asyncio with @route handlers, static files as the fallback, then 404",
    "wsgi_server": "runs any WSGI app (--app module:callable); a Flask app when Flask is installed",
    "httpd_server": "the standard library's http.server, as a baseline",
}

# Not Python, so not run with -m: the talk's demos, run with the shell where their tools exist.
DEMOS = {
    "netcat_server.sh": "slide 3's one-liner: nc sends every client the same page (hello_socket is its twin)",
}


def main() -> None:
    print("The reference servers (each takes --port N, default 8002, and --open):\n")
    for name, summary in SERVERS.items():
        print(f"  python -m reference.{name:<17} {summary}")
    print("\nThe demo (takes a port, default 8002):\n")
    for name, summary in DEMOS.items():
        print(f"  sh reference/{name:<18} {summary}")
    print("\nCompare them: python -m tools.bench")


if __name__ == "__main__":
    main()
