#!/bin/sh
# The talk's slide 3: a web server in one line of shell. This is the demo, not a server to build on.
#
#   while true; do printf 'HTTP/1.1 200 OK\r\n...\r\n\r\n<h1>Hello</h1>' | nc -l 8002; done
#
# netcat listens, sends the same page to whoever connects, whatever they asked for, and exits; the loop
# starts it again for the next client. HTTP is just text over a socket. It never reads the request, and
# it serves one client at a time: its Python twin, the first challenge (exercises/foundations/
# hello_socket/server.py), does the same with socket, bind, listen, accept, recv, sendall and close, and
# reads each request up to its blank line before it answers.
#
# Run it:  sh reference/netcat_server.sh [PORT]      (default 8002, or $PORT; needs nc; Ctrl+C stops it)
# Try it:  curl -i http://127.0.0.1:8002/
PORT="${1:-${PORT:-8002}}"
PAGE='<!doctype html><title>Hello</title><h1>Hello from netcat</h1>'   # ASCII: characters = bytes here

if ! command -v nc >/dev/null 2>&1; then
    echo "netcat_server: this demo needs nc (netcat), which is not installed here." >&2
    echo "Its Python twin needs nothing: python exercises/foundations/hello_socket/server.py" >&2
    exit 1
fi

# Two dialects: OpenBSD's and macOS's nc take "nc -l HOST PORT"; the traditional one, BusyBox's and
# nmap's ncat take "nc -l -p PORT -s HOST". The BSD ones print a lower-case "usage: nc" for -h.
listen_once() {
    if nc -h 2>&1 | grep -q '^usage: nc'; then
        nc -l 127.0.0.1 "$PORT"
    else
        nc -l -p "$PORT" -s 127.0.0.1
    fi
}

echo "netcat_server listening on http://127.0.0.1:$PORT/  (Ctrl+C to stop)"
while true; do
    printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
        "${#PAGE}" "$PAGE" | listen_once >/dev/null || { echo "netcat_server: nc failed (is port $PORT free?)" >&2; exit 1; }
done
