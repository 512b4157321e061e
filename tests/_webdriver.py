"""A minimal W3C WebDriver client for chromedriver, standard library only (no Selenium).

Shared by the browser tests (``tests/report/test_browser.py``, ``tests/web/test_e2e_browser.py``).
It speaks WebDriver's HTTP JSON protocol: a session, navigation, elements (find, type, click),
script execution, chromedriver's browser log (console messages and failed loads) and Chrome
DevTools commands for a full-page screenshot and a PDF. The network is disabled (an unreachable
proxy), so any external resource would fail to load and show up as a console error; with
``loopback=True`` servers on 127.0.0.1 stay reachable (Chromium's default proxy bypass).
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["WebDriver", "free_port", "problems"]

#: The W3C key of an element reference in WebDriver responses.
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def problems(log: list[dict[str, Any]]) -> list[str]:
    """Messages of warning or error level in a browser log."""
    return [e["message"] for e in log if e.get("level") in {"SEVERE", "WARNING"}]


class WebDriver:
    """A minimal W3C WebDriver client for chromedriver (headless Chromium, no network)."""

    def __init__(self, chromedriver: str, *, loopback: bool = False) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [chromedriver, f"--port={port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.process.kill()
                    raise RuntimeError("chromedriver did not start") from None
                time.sleep(0.05)
        options = {
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--window-size=1200,1600",
                "--proxy-server=127.0.0.1:9",  # nothing listens there: no network at all
            ]
        }
        if not loopback:  # send 127.0.0.1 and localhost to the dead proxy too
            options["args"].append("--proxy-bypass-list=<-loopback>")
        capabilities = {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"},
        }
        try:
            session = self._call(
                "POST", "/session", {"capabilities": {"alwaysMatch": capabilities}}
            )
        except Exception:
            self.process.kill()
            raise
        self.session = f"/session/{session['sessionId']}"

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as error:
            detail = json.loads(error.read() or b"{}").get("value", {})
            raise RuntimeError(f"WebDriver {method} {path}: {detail}") from None

    def open(self, path: Path) -> None:
        """Navigate to a local file."""
        self.get(path.resolve().as_uri())

    def get(self, url: str) -> None:
        """Navigate to *url* (waits for the page to load)."""
        self._call("POST", f"{self.session}/url", {"url": url})

    @property
    def url(self) -> str:
        return str(self._call("GET", f"{self.session}/url"))

    def find(self, css: str) -> str:
        """The id of the first element matching the CSS selector *css*."""
        found = self._call(
            "POST", f"{self.session}/element", {"using": "css selector", "value": css}
        )
        return str(found[ELEMENT])

    def type(self, css: str, text: str, *, clear: bool = True) -> None:
        """Type *text* into the element matching *css* (cleared first)."""
        element = self.find(css)
        if clear:
            self._call("POST", f"{self.session}/element/{element}/clear", {})
        self._call("POST", f"{self.session}/element/{element}/value", {"text": text})

    def click(self, css: str, *, new_page: bool = False, timeout: float = 60) -> None:
        """Click the element matching *css*; with *new_page*, wait until another page loaded.

        (chromedriver does not always wait for a navigation that a click starts, e.g. while a
        form's POST is still being answered.)
        """
        element = self.find(css)
        if new_page:
            self.script("window.__webdriverOldPage = true")
        self._call("POST", f"{self.session}/element/{element}/click", {})
        if not new_page:
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                loaded = self.script(
                    "return !window.__webdriverOldPage && document.readyState === 'complete'"
                )
            except RuntimeError:  # the old page went away mid-call
                loaded = False
            if loaded:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"no new page within {timeout} s after clicking {css}")
            time.sleep(0.05)

    def text(self, css: str = "body") -> str:
        """The rendered text of the element matching *css*."""
        return str(self._call("GET", f"{self.session}/element/{self.find(css)}/text"))

    def cookies(self) -> list[dict[str, Any]]:
        """The cookies of the current page, HttpOnly ones included."""
        return list(self._call("GET", f"{self.session}/cookie"))

    def script(self, source: str, *args: Any) -> Any:
        return self._call(
            "POST", f"{self.session}/execute/sync", {"script": source, "args": list(args)}
        )

    def log(self) -> list[dict[str, Any]]:
        """Browser log entries since the last call (console messages, failed loads)."""
        return list(self._call("POST", f"{self.session}/se/log", {"type": "browser"}))

    def devtools(self, command: str, params: dict[str, Any] | None = None) -> Any:
        return self._call(
            "POST", f"{self.session}/goog/cdp/execute", {"cmd": command, "params": params or {}}
        )

    def screenshot(self, path: Path) -> None:
        """A PNG of the whole page, not only the window."""
        shot = self.devtools("Page.captureScreenshot", {"captureBeyondViewport": True})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def pdf(self) -> bytes:
        printed = self.devtools(
            "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
        )
        return base64.b64decode(printed["data"])

    def close(self) -> None:
        try:
            self._call("DELETE", self.session)
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
