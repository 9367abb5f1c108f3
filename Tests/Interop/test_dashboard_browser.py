"""The dashboard in a real browser (Debian's chromium, headless, driven by selenium):
a call recorded by a separate `argus wrap` appears live, is opened, replayed, and the diff shows.

Set ARGUS_SCREENSHOTS=DIR to save screenshots of the main views there (Scripts/screenshots.sh).
"""

import os
import pathlib
import re
import shutil
import subprocess
import time

import anyio
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs Debian's chromium and chromium-driver (Scripts/test.sh installs them)")


def session(argus, db, test_server, calls, mode="legacy"):
    """One MCP session through argus wrap, driven by the official SDK client."""
    params = StdioServerParameters(command=argus, args=["wrap", "--db", str(db), "--", test_server])

    async def go():
        async with Client(params, mode=mode) as client:
            await client.list_tools()
            for name, arguments in calls:
                await client.call_tool(name, arguments)

    anyio.run(go)


@pytest.fixture
def dashboard(argus, db, test_server, tmp_path):
    session(argus, db, test_server, [("get_weather", {"city": "Lisbon"}), ("always_fail", {})])
    process = subprocess.Popen([argus, "dashboard", "--db", str(db), "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    assert match, f"no URL in {line!r}: {process.stderr.read() if process.poll() is not None else ''}"
    yield match.group(0)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager reach for the network
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def wait(driver, condition, timeout=15):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def shot(driver, name):
    directory = os.environ.get("ARGUS_SCREENSHOTS")
    if directory:
        time.sleep(0.4)
        driver.save_screenshot(str(pathlib.Path(directory) / f"{name}.png"))


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]


def test_a_live_call_appears_is_opened_replayed_and_diffed(argus, db, test_server, dashboard, browser):
    from selenium.webdriver.common.by import By

    browser.get(dashboard + "#/calls")
    wait(browser, lambda d: d.find_element(By.ID, "live").text == "live")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#calls-table tbody tr")) >= 2)

    # A new session, in another process, records a call: it appears without a reload.
    started = time.time()
    session(argus, db, test_server, [("calculate", {"operation": "multiply", "a": 6, "b": 7})])
    row = wait(browser, lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "#calls-table tbody tr")
                                        if "calculate" in r.text), None))
    assert time.time() - started < 10
    assert "ok" in row.text
    shot(browser, "calls")

    row.click()
    wait(browser, lambda d: d.find_elements(By.ID, "replay-button"))
    assert "Call" in browser.find_element(By.TAG_NAME, "h1").text
    params = browser.find_element(By.CSS_SELECTOR, ".json").text
    assert '"operation"' in params and '"multiply"' in params
    assert "required" in browser.page_source  # parameter hints from the recorded schema

    # Replay as recorded: equal.
    browser.find_element(By.ID, "replay-button").click()
    outcome = wait(browser, lambda d: d.find_elements(By.ID, "replay-outcome"), timeout=30)[0]
    assert outcome.text == "equal"

    # Edit the params: the schema check guards the button, then the diff shows the change side by side.
    editor = browser.find_element(By.ID, "replay-params")
    editor.clear()
    editor.send_keys('{"operation": "multiply", "a": 6}')
    wait(browser, lambda d: not d.find_element(By.ID, "replay-button").is_enabled())
    assert '"b" is required' in browser.find_element(By.CSS_SELECTOR, ".problems").text
    editor.clear()
    editor.send_keys('{"operation": "multiply", "a": 6, "b": 8}')
    wait(browser, lambda d: d.find_element(By.ID, "replay-button").is_enabled())
    browser.find_element(By.ID, "replay-button").click()
    wait(browser, lambda d: d.find_element(By.ID, "replay-outcome").text == "changed", timeout=30)
    diff = browser.find_element(By.ID, "replay-diff")
    assert "42" in diff.text and "48" in diff.text
    changes = browser.find_element(By.CSS_SELECTOR, "ul.changes").text
    assert "/result/structuredContent/result: 42 → 48" in changes
    assert diff.find_elements(By.CSS_SELECTOR, ".m-changed")  # the changed values are marked on both sides
    browser.execute_script("document.getElementById('replay').scrollIntoView()")
    shot(browser, "replay")
    assert console_errors(browser) == []


def test_runs_stats_scripts_and_a_destructive_confirmation(argus, db, test_server, dashboard, browser):
    from selenium.webdriver.common.by import By

    browser.get(dashboard + "#/runs")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-run]"))
    assert "client eof" in browser.find_element(By.CSS_SELECTOR, "tr[data-run]").text
    shot(browser, "runs")

    browser.find_element(By.CSS_SELECTOR, "tr[data-run] a").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".wf-row"))
    assert "Why did it end?" in browser.page_source
    assert len(browser.find_elements(By.CSS_SELECTOR, ".wf-bar.err")) == 1  # always_fail is marked
    shot(browser, "run")

    browser.get(dashboard + "#/stats")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.chart"))
    assert "get_weather" in browser.page_source and "p95" in browser.page_source
    shot(browser, "stats")

    browser.get(dashboard + "#/scripts")
    wait(browser, lambda d: "Alerts" in d.page_source)

    # A destructive tool asks before it replays.
    session(argus, db, test_server, [("delete_file", {"path": "/tmp/argus-nothing"})])
    browser.get(dashboard + "#/calls?tool=delete_file")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#calls-table tbody tr")).__getitem__(0).click()
    wait(browser, lambda d: d.find_elements(By.ID, "replay-button"))[0].click()
    confirm = wait(browser, lambda d: d.find_elements(By.ID, "replay-confirm"))[0]
    assert not browser.find_elements(By.ID, "replay-outcome")  # nothing ran yet
    confirm.click()
    wait(browser, lambda d: d.find_element(By.ID, "replay-outcome").text == "equal", timeout=30)
    assert console_errors(browser) == []


def test_the_ui_falls_back_to_polling_without_server_sent_events(argus, db, test_server, dashboard, browser):
    from selenium.webdriver.common.by import By

    # Pretend the browser has no EventSource, as some proxies and old embedded views do.
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "delete window.EventSource;"})
    browser.get(dashboard + "#/calls")
    wait(browser, lambda d: d.find_element(By.ID, "live").text == "polling")
    session(argus, db, test_server, [("echo", {"message": "seen by polling"})])
    wait(browser, lambda d: any("echo" in r.text for r in d.find_elements(By.CSS_SELECTOR, "#calls-table tbody tr")), timeout=15)
    assert console_errors(browser) == []
