"""`doctor`: check a laptop before the workshop. One line per check (ok, warning or problem), and every
problem comes with the command that fixes it. Exit status 0 when nothing is a problem.

Each check is a small function returning a Finding, so a failing check never stops the others, and the pure
ones (the proxy rules, the commands per OS) are tested with made-up inputs.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import ipaddress
import os
import socket
import subprocess
import sys
from dataclasses import dataclass

from graders.ground import state as learner_state
from graders.ground.console import can_print
from graders.ground.names import git_user_name
from graders.harness.commands import command_line, is_inside, set_variable
from graders.supervisor import HOST

from .kit import KIT_ROOT

OK, WARNING, PROBLEM = "ok", "warning", "problem"
PACKAGES = [("pytest", "pytest"), ("pytest_timeout", "pytest-timeout"), ("xdist", "pytest-xdist"),
            ("requests", "requests"), ("websockets", "websockets"), ("h11", "h11"),
            ("trustme", "trustme"), ("starlette", "starlette")]   # https and asgi graders
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
PORT = 8002


@dataclass
class Finding:
    level: str
    text: str
    fix: str = ""


def install_command() -> str:
    return command_line("-m", "pip", "install", "-e", f"{KIT_ROOT}[test]")


def python_version(version=sys.version_info) -> Finding:
    shown = ".".join(map(str, version[:3]))
    if tuple(version[:2]) >= (3, 10):
        return Finding(OK, f"Python {shown} ({sys.executable})")
    return Finding(PROBLEM, f"Python {shown}: the kit needs 3.10 or newer",
                   "install a newer Python from https://www.python.org/downloads/, then reinstall the kit")


def packages() -> list[Finding]:
    found, missing = [], []
    wanted = PACKAGES + ([("tomli", "tomli")] if sys.version_info < (3, 11) else [])
    for module, distribution in wanted:
        try:
            importlib.import_module(module)
            found.append(f"{distribution} {importlib.metadata.version(distribution)}")
        except Exception as error:  # an import can fail in many ways; each one means "not usable"
            missing.append(f"{distribution} ({type(error).__name__})")
    if missing:
        return [Finding(PROBLEM, "the graders' packages cannot be imported: " + ", ".join(missing),
                        install_command())]
    return [Finding(OK, "the graders' packages: " + ", ".join(found))]


def loopback() -> Finding:
    """Bind, connect and exchange a byte on 127.0.0.1: what every grader does."""
    try:
        with socket.socket() as listener:
            listener.bind((HOST, 0))
            listener.listen(1)
            with socket.create_connection(listener.getsockname(), timeout=2) as client:
                accepted, _ = listener.accept()
                with accepted:
                    client.sendall(b"x")
                    accepted.settimeout(2)
                    if accepted.recv(1) != b"x":
                        raise OSError("the byte sent did not arrive")
    except OSError as error:
        return Finding(PROBLEM, f"cannot bind and connect on 127.0.0.1 ({error})",
                       "allow local connections in your firewall or security software (or pause the VPN)")
    return Finding(OK, "loopback: bind and connect on 127.0.0.1")


def proxy(environ=os.environ, platform: str = sys.platform) -> Finding:
    """A proxy set without NO_PROXY covering 127.0.0.1 sends local requests to the proxy (websockets and
    browsers honour these variables), and the graders then fail in confusing ways."""
    values = {key.upper(): value for key, value in environ.items() if value}
    proxies = [name for name in PROXY_VARIABLES if name in values]
    if not proxies:
        return Finding(OK, "no proxy variables set")
    no_proxy = values.get("NO_PROXY", "")
    missing = [host for host in ("127.0.0.1", "localhost") if not covers(no_proxy, host)]
    if not missing:
        return Finding(OK, f"{', '.join(proxies)} set, and NO_PROXY covers 127.0.0.1 and localhost")
    wanted = ",".join(filter(None, [no_proxy.strip(","), *missing]))
    return Finding(PROBLEM, f"{', '.join(proxies)} set, but NO_PROXY does not cover {' and '.join(missing)}: "
                            "requests to your own server would go to the proxy", set_variable("NO_PROXY", wanted,
                                                                                               platform))


def covers(no_proxy: str, host: str) -> bool:
    """Whether a NO_PROXY list (comma-separated names, addresses, CIDR ranges, or *) covers `host`."""
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        entry = entry.lstrip(".")
        if entry.startswith("[") or entry.count(":") == 1:
            entry = entry.rsplit(":", 1)[0].strip("[]")  # a port or IPv6 brackets
        if entry in ("*", host):
            return True
        if "/" in entry:
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
    return False


def port_free(port: int = PORT, platform: str = sys.platform) -> Finding:
    """Port 8002 is where the starters and the reference servers listen when run by hand."""
    busy = False
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
        busy = True  # something answers there
    except OSError:
        with socket.socket() as probe:
            if platform != "win32":  # POSIX: ignore a closed connection's TIME_WAIT, as servers do
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                busy = True
    if busy:
        return Finding(WARNING, f"port {port} is busy: another server runs there",
                       "stop it (Ctrl+C in its terminal), or run yours with --port 8003")
    return Finding(OK, f"port {port} is free")


def console(stream=None, platform: str = sys.platform) -> Finding:
    stream = stream or sys.stdout
    encoding = getattr(stream, "encoding", None) or "unknown"
    if can_print("█░✓é", stream):
        return Finding(OK, f"console encoding {encoding}")
    return Finding(WARNING, f"console encoding {encoding} cannot show every character the kit prints",
                   set_variable("PYTHONUTF8", "1", platform))


def learner_name() -> Finding:
    remembered = learner_state.load_state().get("name")
    if remembered:
        return Finding(OK, f"your name: {remembered} (remembered)")
    name = git_user_name()
    if name:
        return Finding(OK, f"your name: {name} (from git config user.name)")
    return Finding(WARNING, "no name set: your results would carry your login name",
                   command_line("-m", "pytest", KIT_ROOT / "graders", "--learner", "Your Name") +
                   "   (or git config --global user.name \"Your Name\")")


def kit_installed() -> Finding:
    """A starter does `import reference`: that works from its own folder only when the kit is installed."""
    exercises = KIT_ROOT / "exercises"
    try:
        done = subprocess.run([sys.executable, "-c", "import reference; print(reference.__file__)"],
                              cwd=exercises, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return Finding(PROBLEM, f"could not start Python to check the kit's installation ({error})")
    if done.returncode != 0:
        return Finding(PROBLEM, "the kit is not installed: a starter cannot `import reference`", install_command())
    found = done.stdout.decode("utf-8", "replace").strip()
    if not is_inside(found, KIT_ROOT):
        return Finding(WARNING, f"`import reference` finds another copy of the kit: {found}",
                       install_command())
    return Finding(OK, "the kit is installed: starters can import reference")


def findings() -> list[Finding]:
    found = [python_version()]
    found += packages()
    found += [loopback(), proxy(), port_free(), console(), learner_name(), kit_installed()]
    return found


def doctor() -> int:
    problems = 0
    for finding in findings():
        print(f"{finding.level:<8} {finding.text}")
        if finding.fix and finding.level != OK:
            print(f"{'':<8}   fix: {finding.fix}")
        problems += finding.level == PROBLEM
    print()
    if problems:
        print(f"{problems} problem{'s' * (problems != 1)} to fix before the graders can work well.")
        return 1
    print("Everything the graders need is in place.")
    return 0

