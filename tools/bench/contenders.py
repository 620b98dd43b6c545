"""Who runs in the benchmark, and the command that starts each: the floor, our servers, and the peers.

  floor              tools/bench/floor.py, a bare asyncio loop answering a canned page: the yardstick.
  blocking ... httpd the reference servers, in the order of the talk.
  uvicorn-h11        what a user would pick instead: uvicorn (pure-Python h11 parser), and
  uvicorn-httptools  uvicorn with httptools (a C parser), each serving the page from tools/bench/peer_app.py.

A contender that cannot run here still gets a row that says why: never dropped silently.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from graders.ground import KIT_ROOT
from graders.supervisor import HOST

REFERENCE = KIT_ROOT / "reference"
FLOOR = "floor"

# The servers, in the order of the talk. Any other reference/*_server.py is benchmarked after them.
SERVERS = ["blocking", "threaded", "selectors", "async", "routing", "wsgi", "httpd"]
# The WSGI server serves a WSGI app, not static/; tools/demo_apps/site_app.py is the site as a WSGI app.
EXTRA_ARGS = {"wsgi": ["--app", "tools.demo_apps.site_app:app"]}
# A file a server needs, and why it cannot take part without it.
NEEDS = {"wsgi": ("tools/demo_apps/site_app.py", "serves a WSGI app, not static/")}

# The peers: uvicorn's --http option picks its HTTP parser. Each needs these modules installed.
PEERS = {"uvicorn-h11": ("h11", ["uvicorn", "h11"]),
         "uvicorn-httptools": ("httptools", ["uvicorn", "httptools"])}
PEER_ABSENT = "pip install -e '.[bench]'"


def reference_servers() -> list[str]:
    found = sorted(path.name.removesuffix("_server.py") for path in REFERENCE.glob("*_server.py"))
    return SERVERS + [name for name in found if name not in SERVERS]


def everyone() -> list[str]:
    return [FLOOR, *reference_servers(), *PEERS]


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def cannot_take_part(name: str) -> tuple[str, str] | None:
    """(status, why) for a contender that cannot run here, else None. Status "absent": a peer that is not
    installed; "n/a": a server that cannot serve the static page."""
    if name == FLOOR:
        return None
    if name in PEERS:
        _parser, modules = PEERS[name]
        missing = [module for module in modules if not installed(module)]
        return ("absent", PEER_ABSENT) if missing else None
    if not (REFERENCE / f"{name}_server.py").is_file():
        return "n/a", f"there is no reference/{name}_server.py"
    needed, why = NEEDS.get(name, (None, None))
    if needed and not (KIT_ROOT / needed).is_file():
        return "n/a", why
    return None


def command(name: str, port: int, delay: float, static: Path | None, path: str) -> tuple[list[str], dict]:
    """(the command that starts `name` on `port`, the environment it needs besides ours)."""
    python = [sys.executable, "-u", "-m"]
    if name == FLOOR:
        return [*python, "tools.bench.floor", "--port", str(port), "--path", path,
                *(["--static", str(static)] if static else [])], {}
    if name in PEERS:
        parser, _modules = PEERS[name]
        env = {"BENCH_PATH": path, "BENCH_DELAY": str(delay), **({"BENCH_STATIC": str(static)} if static else {})}
        return [*python, "uvicorn", "tools.bench.peer_app:app", "--host", HOST, "--port", str(port),
                "--http", parser, "--log-level", "warning", "--no-access-log"], env
    args, env = ["--delay", str(delay), *EXTRA_ARGS.get(name, [])], {}
    if static:
        args += ["--static", str(static)]
        env["SITE_STATIC"] = str(static)       # site_app cannot see --static: it reads this instead
    return [*python, f"reference.{name}_server", "--port", str(port), *args], env
