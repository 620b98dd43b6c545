"""Ignores --port and listens somewhere else, like a hard-coded port."""
import socket
import time

listener = socket.create_server(("127.0.0.1", 0))  # any port but the one asked for
print(f"Listening on http://127.0.0.1:{listener.getsockname()[1]}", flush=True)
time.sleep(3600)
