"""End to end in headless Chromium: the app served over loopback, used as people would use it.

The app runs in a child process (``linkwork.web.serve``, Django's threaded server) on a free
port of 127.0.0.1, with its own temporary data folder and SQLite database; the demo cohort is
loaded first (so the evaluation of the site has enough participants to estimate), and a link
worker and an evaluator of site S1 are made with :func:`linkwork.web.create_user`. Chromium,
driven through chromedriver (``tests/_webdriver.py``), then signs in the link worker, enrols a
participant, records T1 questionnaires (one tampered answer refused by the server, then
corrected), refers the participant to a group, records T2; the evaluator signs in, runs the
evaluation and downloads the report. No page may log a console error. Screenshots of the main
pages go to ``test-output/web/`` (a CI artifact).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from tests._webdriver import WebDriver, free_port, problems
from tests.conftest import require_tool

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "web"
PASSWORD = "a-long-e2e-pass-phrase"
CODE = "E2E-001"

SERVER = textwrap.dedent(
    """
    import sys
    from linkwork import web
    host, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    web.setup()
    web.load_demo()
    web.create_user("lw_e2e", "link_worker", password, site="S1")
    web.create_user("ev_e2e", "evaluator", password, site="S1")
    web.serve(host, port)
    """
)

# Responses entered through the forms (ULS-8 items 1-4, K6 items 0-4).
ULS8 = {f"uls8_{i}": v for i, v in enumerate([2, 3, 1, 2, 3, 2, 1, 2], start=1)}
K6_T1 = {f"k6_{i}": v for i, v in enumerate([1, 2, 0, 3, 1, 2], start=1)}
K6_T2 = {f"k6_{i}": v for i, v in enumerate([0, 1, 0, 1, 0, 1], start=1)}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app served on 127.0.0.1:<free port> from a child process; its base URL."""
    folder = tmp_path_factory.mktemp("e2e-data")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWORK_")}
    env.update(PYTHONPATH=str(ROOT / "src"), LINKWORK_DATA_DIR=str(folder))
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, "127.0.0.1", str(port), PASSWORD],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=5):
                break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail("the app did not start: " + (folder / "server.log").read_text())
            time.sleep(0.1)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    require_tool("chromium", "the app is checked in headless Chromium")
    driver = WebDriver(require_tool("chromedriver", "it drives headless Chromium"), loopback=True)
    yield driver
    driver.close()


def clean(browser) -> None:
    """No console errors or warnings, and no failed loads, since the last check."""
    assert problems(browser.log()) == []


def no_sideways_scroll(browser) -> None:
    wide = browser.script("return document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide, f"{browser.url} scrolls sideways at 1200 px"


def sign_in(browser, base: str, name: str, screenshot: str | None = None) -> None:
    browser.get(base + "/accounts/login/")
    if screenshot:
        browser.screenshot(OUTPUT / screenshot)
    browser.type("#id_username", name)
    browser.type("#id_password", PASSWORD)
    browser.click("main form button[type=submit]", new_page=True)
    clean(browser)


def sign_out(browser) -> None:
    browser.click("header form button[type=submit]", new_page=True)
    assert browser.url.endswith("/accounts/login/")


def answer(browser, values: dict[str, int]) -> None:
    for key, value in values.items():
        browser.click(f'input[name="{key}"][value="{value}"]')


def questionnaire(browser, base: str, instrument: str, wave: str, values: dict[str, int]) -> None:
    browser.get(f"{base}/participants/{CODE}/assess/{instrument}/?wave={wave}")
    assert browser.script("return document.getElementById('id_wave').value") == wave
    answer(browser, values)
    browser.click("main form button[type=submit]", new_page=True)
    assert browser.url == f"{base}/participants/{CODE}/", browser.text("main")
    assert f"{instrument} recorded for {wave}" in browser.text(".messages")
    clean(browser)


def session_get(browser, url: str) -> tuple[str, bytes]:
    """GET *url* with the browser's session cookie; the content type and the body."""
    cookies = browser.cookies()
    header = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    request = urllib.request.Request(url, headers={"Cookie": header})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.headers["Content-Type"], response.read()


def test_link_worker_and_evaluator_in_chromium(app, browser):
    base = app
    OUTPUT.mkdir(parents=True, exist_ok=True)
    today = dt.date.today().isoformat()
    browser.log()

    # -- the link worker signs in and sees the caseload
    sign_in(browser, base, "lw_e2e", screenshot="login.png")
    assert browser.url == base + "/caseload/", browser.text("main")
    assert "Caseload · S1" in browser.text("h1")
    no_sideways_scroll(browser)
    browser.screenshot(OUTPUT / "caseload.png")

    # -- enrols a participant
    browser.click('a[href="/participants/new/"]', new_page=True)
    browser.type("#id_code", CODE)
    browser.type("#id_age", "58")
    browser.type("#id_gender", "female")
    browser.type("#id_name", "Erin Example")
    browser.type("#id_practice", "Riverside Surgery")
    browser.type("#id_referred_on", today)
    browser.type("#id_reasons", "Lonely since moving house")
    browser.click("main form button[type=submit]", new_page=True)
    assert browser.url == f"{base}/participants/{CODE}/"
    assert f"Enrolled {CODE}." in browser.text(".messages")
    clean(browser)

    # -- T1: ULS-8 straight through
    questionnaire(browser, base, "uls8", "T1", ULS8)

    # -- T1: K6 with one answer tampered to 7 (allowed 0-4): refused by the server, kept
    browser.get(f"{base}/participants/{CODE}/assess/k6/?wave=T1")
    answer(browser, K6_T1)
    browser.script(
        "const r = document.querySelector('input[name=\"k6_3\"]:checked'); r.value = '7';"
    )
    browser.click("main form button[type=submit]", new_page=True)
    assert browser.url.startswith(f"{base}/participants/{CODE}/assess/k6/")
    assert "Please correct the errors below." in browser.text("main")
    field = browser.script(
        "return document.querySelector('input[name=\"k6_3\"]').closest('.field').innerText"
    )
    assert "'7' is not allowed" in field, field
    assert "0" in field, field
    assert "4" in field, field
    checked = browser.script(
        "return Array.from(document.querySelectorAll('input:checked'))"
        ".filter(e => e.name.startsWith('k6_')).map(e => [e.name, e.value])"
    )
    assert dict(checked) == {k: str(v) for k, v in K6_T1.items() if k != "k6_3"}
    no_sideways_scroll(browser)
    browser.screenshot(OUTPUT / "questionnaire-error.png")
    clean(browser)
    answer(browser, {"k6_3": K6_T1["k6_3"]})
    browser.click("main form button[type=submit]", new_page=True)
    assert browser.url == f"{base}/participants/{CODE}/"
    assert "k6 recorded for T1" in browser.text(".messages")

    # -- refers the participant to a group
    browser.click(f'a[href="/participants/{CODE}/groups/new/"]', new_page=True)
    browser.click("#id_service option:nth-child(2)")
    browser.click("#id_facilitator option:nth-child(2)")
    browser.type("#id_start", today)
    browser.type("#id_sessions_attended", "3")
    browser.click("main form button[type=submit]", new_page=True)
    assert browser.url == f"{base}/participants/{CODE}/"
    assert "Group referral recorded." in browser.text(".messages")
    clean(browser)

    # -- T2
    questionnaire(browser, base, "uls8", "T2", ULS8)
    questionnaire(browser, base, "k6", "T2", K6_T2)
    page = browser.text("main")
    assert "Erin Example" in page
    assert "Riverside Surgery" in page
    assert "Demo walking group" in page
    scores = browser.script("return Array.from(document.querySelectorAll('table')).pop().innerText")
    assert "k6" in scores, scores
    assert "uls8" in scores, scores
    no_sideways_scroll(browser)
    browser.screenshot(OUTPUT / "participant.png")
    sign_out(browser)

    # -- the evaluator runs the evaluation of S1 and downloads the report
    sign_in(browser, base, "ev_e2e")
    assert browser.url == base + "/evaluation/"
    assert "Evaluation · S1" in browser.text("h1")
    browser.click("main form button[type=submit]", new_page=True)
    assert "finished" in browser.text(".messages"), browser.text("main")
    clean(browser)
    no_sideways_scroll(browser)
    browser.screenshot(OUTPUT / "evaluation.png")
    links = browser.script(
        "return Array.from(document.querySelectorAll('main table a')).map(a => a.href)"
    )
    report = next(u for u in links if u.endswith("/report.html"))
    kind, body = session_get(browser, report)
    assert kind.startswith("text/html")
    html = body.decode("utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "</html>" in html
    assert "<section" in html
    # the data behind the report hold what was typed into the forms, and S1 only
    kind, body = session_get(browser, report.replace("report.html", "long.csv"))
    long = pd.read_csv(io.BytesIO(body))
    assert set(long["site"]) == {"S1"}
    ours = long[long["participant_id"] == CODE].set_index("wave")
    assert list(ours.index) == ["T1", "T2"]
    for key, value in {**ULS8, **K6_T1}.items():
        assert ours.at["T1", key] == value, key
    for key, value in {**ULS8, **K6_T2}.items():
        assert ours.at["T2", key] == value, key
    # the report opens in the browser, under the app's security headers, without errors
    browser.get(report)
    assert browser.script("return document.readyState") == "complete"
    clean(browser)
