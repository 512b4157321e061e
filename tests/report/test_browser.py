"""The report in a real browser: headless Chromium driven through chromedriver (W3C WebDriver).

The client (``tests/_webdriver.py``) speaks WebDriver's HTTP JSON protocol with the standard
library only (no Selenium). The network is disabled (an unreachable proxy), so any external
resource would fail to load and show up as a console error. Screenshots go to
``test-output/`` (a CI artifact).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests._webdriver import WebDriver, problems
from tests.conftest import require_tool

from linkwork.report import SECTIONS

pytestmark = pytest.mark.browser

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture(scope="module")
def browser():
    require_tool("chromium", "the report is checked in headless Chromium")
    driver = WebDriver(require_tool("chromedriver", "it drives headless Chromium"))
    yield driver
    driver.close()


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
