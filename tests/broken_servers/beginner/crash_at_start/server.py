"""Crashes before it binds, like a typo in a learner's server."""
print("starting up...")
raise RuntimeError("oops, a bug before the server could start")
