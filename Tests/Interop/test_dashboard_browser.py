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

from conftest import postgres_store, query

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs Debian's chromium and chromium-driver (Scripts/test.sh installs them)")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path, private_home):
    """Every test here runs on both stores: a SQLite file and a PostgreSQL database."""
    return tmp_path / "argus.db" if request.param == "sqlite" else postgres_store(private_home)


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
    """Polls `condition` until it is truthy. The live feed re-renders tables while a condition
    reads them, so an element that went stale means "not yet", not a failure."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=[StaleElementReferenceException]).until(condition)


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
    assert 'missing required "b"' in browser.find_element(By.CSS_SELECTOR, ".problems").text  # the server's words
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


def start_dashboard(argus, db):
    process = subprocess.Popen([argus, "dashboard", "--db", str(db), "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", process.stdout.readline())
    assert match, process.stderr.read() if process.poll() is not None else "no URL"
    return process, match.group(0)


def test_the_stats_chart_reads_24_hour_times_across_its_width_with_gaps_for_empty_minutes(argus, db, test_server, browser):
    from selenium.webdriver.common.by import By

    session(argus, db, test_server, [("always_fail", {}), ("echo", {"message": "a"}), ("echo", {"message": "b"})])
    # The calls happened at 15:00 and 15:07 UTC (an afternoon, where 12-hour clocks say PM), nothing in between.
    ids = [row["id"] for row in query(db, "SELECT id FROM calls ORDER BY id")]
    base = 1_767_279_600_000_000  # 2026-01-01T15:00:00Z
    for i, call_id in enumerate(ids):
        query(db, "UPDATE calls SET started_at = ? WHERE id = ?", base + (7 * 60_000_000 if i == len(ids) - 1 else i), call_id)
    process, url = start_dashboard(argus, db)
    try:
        browser.get(url + "#/stats")
        chart = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'svg.chart[aria-label="calls over time"]'))[0]
        # The axis labels are the texts under the bars (the others are the scales' captions, at the top).
        ticks = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "text") if float(t.get_attribute("y")) > 100]
        assert ticks and ticks[0] == "15:00" and not any("M" in t for t in ticks), ticks
        boxes = browser.execute_script("""
            return [...arguments[0].querySelectorAll('text')].filter((t) => Number(t.getAttribute('y')) > 100)
              .map((t) => { const b = t.getBBox(); return [b.x, b.x + b.width]; });
        """, chart)
        assert all(a[1] <= b[0] for a, b in zip(boxes, boxes[1:])), f"tick labels overlap: {boxes}"
        width = float(chart.get_attribute("width"))
        right = browser.execute_script("""
            return Math.max(...[...arguments[0].querySelectorAll('rect.bar')].map((r) => r.x.baseVal.value + r.width.baseVal.value));
        """, chart)
        assert right > 0.95 * width, f"the bars end at {right} of {width}"
        # Eight one-minute buckets, two with calls: the error-rate line has a point for those two only.
        bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
        assert len(bars) == 8, len(bars)
        path = chart.find_elements(By.CSS_SELECTOR, "path.line")
        vertices = len(re.findall(r"[ML]", path[0].get_attribute("d"))) if path else 0
        dots = len(chart.find_elements(By.CSS_SELECTOR, "circle.dot"))
        assert vertices == 2 and dots == 2, (vertices, dots)
        shot(browser, "stats-timeline")
        assert console_errors(browser) == []
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_scripts_page_shows_a_counters_total_and_rounded_numbers(argus, db, test_server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    script = tmp_path / "weights.lua"
    script.write_text('SCRIPT = { name = "weights" }\n'
                      'function metric(call, ctx)\n'
                      '  argus.metric.counter("weight", 0.1)\n'
                      '  argus.metric.gauge("load", 1 / 3)\n'
                      'end\n')
    params = StdioServerParameters(command=argus, args=["wrap", "--db", str(db), "--script", str(script), "--", test_server])

    async def go():
        async with Client(params) as client:
            for _ in range(3):
                await client.call_tool("echo", {"message": "x"})

    anyio.run(go)
    process, url = start_dashboard(argus, db)
    try:
        browser.get(url + "#/scripts")
        def metric_cards(name):
            return [c for c in browser.find_elements(By.CSS_SELECTOR, ".card") if c.text.startswith(name + " ")]

        cards = wait(browser, lambda d: metric_cards("weight"))
        assert len(cards) == 1, [c.text for c in cards]  # one series: the increments are not labels
        weight = cards[0]
        # Three calls (plus the SDK's own requests) each add 0.1: the value is the total, not the last 0.1, without float noise.
        total = float(weight.find_element(By.CSS_SELECTOR, ".v").text)
        assert total >= 0.3 and abs(total * 10 - round(total * 10)) < 1e-9, weight.text
        load = metric_cards("load")[0]
        assert load.find_element(By.CSS_SELECTOR, ".v").text == "0.333", load.text
        assert "0.1000000" not in browser.page_source and "0.3333333" not in browser.page_source
        assert console_errors(browser) == []
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_runs_notifications_a_new_run_by_hand_and_replays_left_out(argus, db, test_server, dashboard, browser):
    from selenium.webdriver.common.by import By

    # A session that logs: its notifications are on the run's page.
    params = StdioServerParameters(command=argus, args=["wrap", "--db", str(db), "--name", "logger", "--", test_server])

    async def logged():
        async with Client(params) as client:
            await client.call_tool("progress_task", {"steps": 2, "delay_ms": 1})

    anyio.run(logged)
    run_id = max(r["id"] for r in query(db, "SELECT id FROM runs WHERE server_name = 'logger'"))
    browser.get(dashboard + f"#/runs/{run_id}")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".wf-row"))
    next(b for b in browser.find_elements(By.CSS_SELECTOR, ".tabs button") if b.text == "Notifications").click()
    table = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#notifications-table tbody tr"))
    text = browser.find_element(By.ID, "notifications-table").text
    assert "notifications/message" in text and "[info] progress_task: starting 2 steps" in text, text
    shot(browser, "run-notifications")

    # A live wrap, and a new run of it started from the runs page, with a label.
    live = subprocess.Popen([argus, "wrap", "--db", str(db), "--name", "livesrv", "--", test_server], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        live.stdin.write(b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n')
        live.stdin.flush()
        live.stdout.readline()
        browser.get(dashboard + "#/runs")
        wait(browser, lambda d: any("livesrv" in r.text for r in d.find_elements(By.CSS_SELECTOR, "tr[data-run]")))
        browser.find_element(By.ID, "new-run-button").click()
        browser.find_element(By.ID, "new-run-label").send_keys("repro 12")
        browser.find_element(By.ID, "new-run-start").click()
        wait(browser, lambda d: "New run requested" in d.find_element(By.ID, "new-run-result").text)
        row = wait(browser, lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "tr[data-run]") if "repro 12" in r.text), None),
                   timeout=20)
        assert "livesrv" in row.text and "live" in row.text
        assert any("manual" in r.text for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-run]"))
        shot(browser, "runs-new-run")
    finally:
        live.stdin.close()
        live.wait(timeout=20)

    # Replay runs are left out of the runs list until asked for.
    call_id = query(db, "SELECT id FROM calls WHERE tool = 'get_weather'")[0]["id"]
    subprocess.run([argus, "replay", str(call_id), "--db", str(db)], capture_output=True, timeout=60)
    replay_runs = [r["id"] for r in query(db, "SELECT id FROM runs WHERE kind = 'replay'")]
    assert replay_runs
    browser.get(dashboard + "#/runs")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-run]"))
    shown = {int(r.get_attribute("data-run")) for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-run]")}
    assert not shown & set(replay_runs)
    browser.find_element(By.ID, "include-replays").click()
    wait(browser, lambda d: {int(r.get_attribute("data-run")) for r in d.find_elements(By.CSS_SELECTOR, "tr[data-run]")} >= set(replay_runs))
    assert console_errors(browser) == []


def test_a_remote_run_shows_its_transport_session_and_what_http_did(argus, db, browser, monkeypatch):
    """Two real sessions through `argus wrap --url` with the SDK's Streamable HTTP server, which
    demands a bearer token: one with the token (a session), one without (401 and its challenge)."""
    from selenium.webdriver.common.by import By
    from test_remote import HTTPServer, run, through_argus

    token = "tok_browser_0123456789abcdef"
    server = HTTPServer("--token", token)
    try:
        monkeypatch.setenv("REMOTE_TOKEN", token)
        run(through_argus(argus, db, server.url, "--header", "Authorization:Bearer ${REMOTE_TOKEN}"), "legacy",
            [("add", {"a": 2, "b": 40})])
        with pytest.raises(Exception):
            run(through_argus(argus, db, server.url), "legacy", [])
    finally:
        server.stop()
    host = f"127.0.0.1:{server.port}"
    process, url = start_dashboard(argus, db)
    try:
        browser.get(url + "#/runs")
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-run] .transport-cell")) == 2)
        served = browser.find_element(By.CSS_SELECTOR, 'tr[data-run="1"]')
        assert host in served.find_element(By.CSS_SELECTOR, ".transport-kind").text
        badge = served.find_element(By.CSS_SELECTOR, ".badge.session")
        session = badge.text
        assert re.fullmatch(r"[0-9a-f]{8}…", session), session
        assert "MCP session" in badge.get_attribute("title")
        refused = browser.find_element(By.CSS_SELECTOR, 'tr[data-run="2"]')
        assert refused.find_element(By.CSS_SELECTOR, ".transport-event").text == "401 Unauthorized (Bearer)"
        assert token not in browser.page_source
        shot(browser, "runs-remote")

        # The refused run: its transport, the initialize that met the 401, and the frame itself.
        browser.get(url + "#/runs/2")
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".wf-row"))
        assert browser.find_element(By.ID, "run-transport").text == f"Streamable HTTP · {host}"
        assert browser.find_element(By.CSS_SELECTOR, "#run-transport-event .badge").text == "401 Unauthorized (Bearer)"
        assert browser.find_element(By.CSS_SELECTOR, ".wf-row .http-answer").text == "HTTP 401"
        browser.find_element(By.XPATH, "//button[text()='Notifications & transport']").click()
        row = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#notifications-table tr.transport.error"))[0]
        assert "http_status" in row.text and "401 Unauthorized (Bearer)" in row.text, row.text
        assert "POST · initialize · Bearer challenge" in row.text, row.text
        assert row.find_element(By.CSS_SELECTOR, ".badge.info").text == "transport"
        shot(browser, "run-transport")
        browser.find_element(By.ID, "show-transport").click()
        wait(browser, lambda d: not row.is_displayed())
        browser.find_element(By.ID, "show-transport").click()
        wait(browser, lambda d: row.is_displayed())

        # The served run: its session, and what HTTP did as transport rows among the server's notifications.
        browser.get(url + "#/runs/1")
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".wf-row"))
        assert browser.find_element(By.CSS_SELECTOR, "#run-session .badge.session").text == session
        assert not browser.find_elements(By.CSS_SELECTOR, ".wf-row .http-answer")  # every answer was a 2xx
        browser.find_element(By.XPATH, "//button[text()='Notifications & transport']").click()
        events = wait(browser, lambda d: [r.text for r in d.find_elements(By.CSS_SELECTOR, "#notifications-table tr.transport")])
        assert any("session_started" in e for e in events) and any("session_ended" in e for e in events), events
        assert console_errors(browser) == []
    finally:
        process.terminate()
        process.wait(timeout=10)
