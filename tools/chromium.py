"""Drive a real headless Chromium through its DevTools protocol, with the `websockets` client and nothing else.

    with Chromium(tmp_path) as browser:
        page = browser.open("http://127.0.0.1:8000/")
        page.wait_for("document.querySelectorAll('tr.learner').length == 2")
        page.screenshot(Path("board.png"))

Chromium runs under the kit's supervisor (graders/supervisor): its own process group, output in a log file,
and on the way out (or if we die) the whole group is killed, so no browser outlives a test. The DevTools port
is the one Chromium picked itself (--remote-debugging-port=0), read from the DevToolsActivePort file it writes
in its profile folder.
"""
from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import sys
import time
from pathlib import Path

from websockets.sync.client import connect

from graders.supervisor import ServerProcess

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--remote-debugging-port=0"]


def candidates(platform: str) -> list[str]:
    """Names and paths a Chromium may have on this platform (sys.platform), most likely first."""
    names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
    if platform == "darwin":
        names += ["/Applications/Chromium.app/Contents/MacOS/Chromium",
                  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"]
    elif platform.startswith("win"):
        for base in (os.environ.get("PROGRAMFILES", r"C:\Program Files"),
                     os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"),
                     os.environ.get("LOCALAPPDATA", "")):
            if base:
                names += [rf"{base}\Google\Chrome\Application\chrome.exe", rf"{base}\Chromium\Application\chrome.exe"]
    return names


def find_chromium(platform: str = sys.platform) -> str | None:
    """A Chromium binary: $CHROMIUM if set, else the first candidate found."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in candidates(platform):
        found = shutil.which(name) or (name if os.path.isabs(name) and os.path.isfile(name) else None)
        if found:
            return found
    return None


class BrowserError(Exception):
    pass


class Chromium:
    def __init__(self, folder: Path, binary: str | None = None, width: int = 1600, height: int = 1000):
        self.binary = binary or find_chromium()
        if self.binary is None:
            raise BrowserError("no Chromium found (looked for chromium, chromium-browser and google-chrome)")
        self.folder, self.width, self.height = Path(folder), width, height
        self.profile = self.folder / "chromium-profile"
        self.process: ServerProcess | None = None
        self.socket = None
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def __enter__(self) -> Chromium:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, deadline: float = 30.0) -> None:
        self.profile.mkdir(parents=True, exist_ok=True)
        port_file = self.profile / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)
        command = [self.binary, *FLAGS, f"--user-data-dir={self.profile}",
                   f"--window-size={self.width},{self.height}", "about:blank"]
        self.process = ServerProcess(command, self.folder / "chromium.log")
        self.process.start()
        give_up = time.monotonic() + deadline
        while True:
            lines = port_file.read_text().split() if port_file.exists() else []
            if len(lines) >= 2:
                break
            if self.process.exit_code is not None or time.monotonic() > give_up:
                output = self.process.output()[-2000:]
                self.stop()
                raise BrowserError(f"Chromium did not start its DevTools endpoint: {output}")
            time.sleep(0.05)
        # Entered by hand (and left in stop()): the connection lives as long as this object, not one block.
        self.socket = connect(f"ws://127.0.0.1:{lines[0]}{lines[1]}", max_size=None, proxy=None,
                              open_timeout=10, ping_interval=None).__enter__()

    def stop(self) -> None:
        if self.socket is not None:
            try:
                self.socket.close()
            except Exception:
                pass
            self.socket = None
        if self.process is not None:
            self.process.stop()          # the supervisor ends Chromium's whole process group
            self.process = None

    def send(self, method: str, session: str | None = None, timeout: float = 30.0, **params) -> dict:
        """Send one DevTools command and return its result; events meanwhile are kept in self.events."""
        message_id = next(self.ids)
        message = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        give_up = time.monotonic() + timeout
        while True:
            left = give_up - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no answer to {method} within {timeout:g} s")
            reply = json.loads(self.socket.recv(timeout=left))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def open(self, url: str) -> Page:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)
        page.navigate(url)
        return page


class Page:
    def __init__(self, browser: Chromium, session: str):
        self.browser, self.session = browser, session

    def send(self, method: str, **params) -> dict:
        return self.browser.send(method, self.session, **params)

    def navigate(self, url: str, timeout: float = 15.0) -> None:
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", timeout)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails'].get('text')} "
                               f"{result['exceptionDetails'].get('exception', {}).get('description', '')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 5.0, interval: float = 0.02):
        """Poll until the expression is truthy; return its value, or raise BrowserError at the deadline."""
        give_up = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > give_up:
                raise BrowserError(f"still false after {timeout:g} s: {expression}")
            time.sleep(interval)

    def events(self, method: str) -> list[dict]:
        return [e for e in self.browser.events if e.get("method") == method and e.get("sessionId") == self.session]

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """A PNG of the page; the whole scrollable page when full_page."""
        params = {"format": "png"}
        if full_page:
            width, height = self.evaluate("[document.documentElement.scrollWidth, "
                                          "document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": max(width, 1), "height": max(height, 1), "scale": 1})
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path
