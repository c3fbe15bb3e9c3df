"""The report in a real browser: headless Chromium loads the pages from disk."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analyzer.report.writer import page_name


def _driver(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("Debian chromium and chromium-driver are not installed (scripts/setup.sh --with-browser installs them)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chrome'}",
                 "--window-size=1280,1800", "--allow-file-access-from-files"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = _driver(tmp_path_factory.mktemp("browser"))
    yield driver
    driver.quit()


def _errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_index_loads_without_console_errors_and_charts_render(browser, report_results):
    _, index = report_results
    browser.get(index.as_uri())
    assert "Agent variability report" in browser.title
    assert _errors(browser) == []
    boxes = browser.find_elements("css selector", ".chart-box svg")
    assert len(boxes) >= 6
    for svg in boxes:
        size = svg.size
        assert size["width"] > 100 and size["height"] > 100
        assert len(svg.find_elements("css selector", "path, circle, rect, line, polyline, use")) > 5


def test_every_agent_has_a_working_scorecard(browser, report_results):
    results, index = report_results
    agents = pd.read_parquet(results / "agents.parquet").agent_id.tolist()
    browser.get(index.as_uri())
    links = {a.text: a.get_attribute("href") for a in browser.find_elements("css selector", "a.agent-link")}
    assert set(agents) <= set(links)
    for agent in agents:
        browser.get(links[agent])
        assert browser.find_element("tag name", "h1").text == f"Scorecard: {agent}"
        assert _errors(browser) == []
        assert browser.find_elements("css selector", ".chart-box svg")


def test_scorecard_moments_link_to_the_call_at_that_time(browser, report_results):
    results, index = report_results
    agents_dir = index.parent / "agents"
    for page in sorted(agents_dir.glob("*.html")):
        browser.get(page.as_uri())
        moments = browser.find_elements("css selector", "blockquote a")
        if moments:
            href = moments[0].get_attribute("href")
            assert "#u-" in href
            browser.get(href)
            anchor = href.split("#", 1)[1]
            assert browser.find_element("id", anchor).is_displayed()
            return
    pytest.skip("no coaching moments with the tiny random models")


def test_transcript_html_is_shown_as_text_and_never_runs(browser, report_results):
    _, index = report_results
    page = index.parent / "calls" / page_name("evil<script>1")
    assert page.exists()
    browser.get(page.as_uri())
    assert browser.execute_script("return window.__xss === undefined")
    transcript = browser.find_element("id", "transcript")
    assert "<script>window.__xss = 1;</script>" in transcript.text
    assert '<img src=x onerror="window.__xss = 2">' in transcript.text
    assert transcript.find_elements("tag name", "img") == [] and transcript.find_elements("tag name", "script") == []
    assert "evil<script>1" in browser.find_element("tag name", "h1").text
    assert _errors(browser) == []


def test_agent_table_sorts(browser, report_results):
    _, index = report_results
    browser.get(index.as_uri())
    header = browser.find_elements("css selector", "#agents th")[3]  # calls
    header.click()
    first = [int(r.find_elements("tag name", "td")[3].text) for r in browser.find_elements("css selector", "#agents tbody tr")]
    assert first == sorted(first)
    header.click()
    second = [int(r.find_elements("tag name", "td")[3].text) for r in browser.find_elements("css selector", "#agents tbody tr")]
    assert second == sorted(second, reverse=True)
    assert _errors(browser) == []
