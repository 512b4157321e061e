"""The report in a real browser: headless Chromium driven through chromedriver (W3C WebDriver).

The client below speaks WebDriver's HTTP JSON protocol with the standard library only (no
Selenium): a session, navigation, script execution, chromedriver's browser log (console
messages and failed loads) and Chrome DevTools commands for a full-page screenshot and a PDF.
The network is disabled (an unreachable proxy), so any external resource would fail to load
and show up as a console error. Screenshots go to ``test-output/`` (a CI artifact).
"""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import require_tool

from linkwork.report import SECTIONS

pytestmark = pytest.mark.browser

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


class WebDriver:
    """A minimal W3C WebDriver client for chromedriver (headless Chromium, no network)."""

    def __init__(self, chromedriver: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
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
                "--proxy-bypass-list=<-loopback>",
            ]
        }
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
        self._call("POST", f"{self.session}/url", {"url": path.resolve().as_uri()})

    def script(self, source: str) -> Any:
        return self._call("POST", f"{self.session}/execute/sync", {"script": source, "args": []})

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


@pytest.fixture(scope="module")
def browser():
    require_tool("chromium", "the report is checked in headless Chromium")
    driver = WebDriver(require_tool("chromedriver", "it drives headless Chromium"))
    yield driver
    driver.close()


def problems(log: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in log if e.get("level") in {"SEVERE", "WARNING"}]


def test_the_browser_check_catches_console_errors_and_external_loads(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html lang='en'><head><title>x</title></head><body>"
        "<script>console.error('deliberate')</script>"
        "<img alt='' src='https://example.org/x.png'></body></html>",
        encoding="utf-8",
    )
    browser.open(page)
    browser.script("return document.readyState")
    messages = problems(browser.log())
    assert any("deliberate" in m for m in messages)
    assert any("example.org" in m for m in messages)


LAYOUT = """
const svgs = Array.from(document.querySelectorAll('svg'));
return {
  ready: document.readyState,
  title: document.title,
  sections: Array.from(document.querySelectorAll('main > section')).map(s => s.id),
  svgs: svgs.map(s => {
    const box = s.getBoundingClientRect();
    return {width: box.width, height: box.height,
            title: (s.querySelector('title') || {}).textContent || '',
            inOutcome: !!s.closest('section.outcome')};
  }),
  fonts: Array.from(document.fonts).length,
  overflowX: document.documentElement.scrollWidth > window.innerWidth + 1,
};
"""


def check_in_browser(browser, html: str, outcomes: int, name: str, *, artifacts: bool) -> None:
    """Open *html*; check layout and the log; with *artifacts*, save HTML, PNG and PDF."""
    OUTPUT.mkdir(exist_ok=True)
    page = OUTPUT / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    browser.log()  # drop earlier entries
    browser.open(page)
    layout = browser.script(LAYOUT)
    if artifacts:
        browser.screenshot(OUTPUT / f"{name}.png")
    assert problems(browser.log()) == []
    assert layout["ready"] == "complete"
    assert layout["sections"] == [key for key, _ in SECTIONS]
    assert sum(s["inOutcome"] for s in layout["svgs"]) == outcomes
    for svg in layout["svgs"]:
        assert svg["title"], "every figure has an accessible title"
        assert svg["width"] > 300, svg
        assert svg["height"] > 60, svg
    assert not layout["overflowX"], "the page scrolls sideways at 1200 px"
    if artifacts:
        pdf = browser.pdf()
        (OUTPUT / f"{name}.pdf").write_bytes(pdf)
        assert pdf.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
        assert pages >= len(SECTIONS)  # each major section starts a printed page
    assert problems(browser.log()) == []


def test_fixture_report_renders_in_chromium(browser, fake_evaluation, fake_report):
    outcomes = len(fake_evaluation.meta["outcomes"])
    check_in_browser(browser, fake_report, outcomes, "report-fixture", artifacts=False)


def test_arm_report_renders_in_chromium(browser, arm_evaluation, arm_report):
    outcomes = len(arm_evaluation.meta["outcomes"])
    check_in_browser(browser, arm_report, outcomes, "report-arms", artifacts=False)


def test_demo_report_renders_in_chromium(browser, demo_evaluation, demo_report):
    """The CI artifact: test-output/report.png (and .html, .pdf) of the demo evaluation."""
    outcomes = len(demo_evaluation[0].meta["outcomes"])
    check_in_browser(browser, demo_report, outcomes, "report", artifacts=True)
