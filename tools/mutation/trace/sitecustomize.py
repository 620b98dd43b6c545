"""Which lines of a challenge's files a grader runs: put on PYTHONPATH by `python -m tools.mutation` for the
clean run only. Python imports `sitecustomize` at start-up in every process; this one acts only in a server
started from MUTATION_TRACE_DIR (the private copy of the challenge), and writes each line the first time it
runs, as `file:line`, to MUTATION_TRACE_OUT at once (a server is killed, never asked to exit, so nothing may
wait for the end). Threads are traced too; other files' frames are not traced line by line.
"""
import os
import sys
import threading

_folder = os.environ.get("MUTATION_TRACE_DIR")
_out = os.environ.get("MUTATION_TRACE_OUT")

if _folder and _out and os.path.abspath(sys.argv[0] if sys.argv else "").startswith(_folder + os.sep):
    _seen = set()
    _fd = os.open(_out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def _local(frame, event, arg):
        if event == "line":
            where = (frame.f_code.co_filename, frame.f_lineno)
            if where not in _seen:
                _seen.add(where)
                os.write(_fd, f"{os.path.abspath(where[0])}:{where[1]}\n".encode("utf-8", "replace"))
        return _local

    _ours = {}

    def _global(frame, event, arg):
        name = frame.f_code.co_filename
        if name not in _ours:
            _ours[name] = os.path.abspath(name).startswith(_folder + os.sep)
        if _ours[name]:
            _local(frame, "line", None)   # the def/call line itself counts as run
            return _local
        return None

    sys.settrace(_global)
    threading.settrace(_global)
