"""Runs, but never opens a socket (forgot to call serve_forever, or stuck before it)."""
import time

print("thinking very hard...", flush=True)
time.sleep(3600)
