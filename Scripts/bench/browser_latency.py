"""How soon a call recorded by `argus wrap` is on screen in the dashboard, in a real browser.

    browser_latency.py BIN_DIR DATABASE

Starts `argus dashboard` on DATABASE, opens it in headless chromium, then sends calls through
`argus wrap -- argus-bench echo-server` and measures, for each, the time from the response reaching
the client to the row being rendered (the page notes when, by JSON-RPC id). Both clocks are this
machine's wall clock. Prints a Markdown table and the dashboard's memory.
"""

import json
import os
import re
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

bin_dir, database = sys.argv[1], sys.argv[2]
os.environ.setdefault("SE_OFFLINE", "true")
dashboard = subprocess.Popen([f"{bin_dir}/argus", "dashboard", "--db", database, "--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
url = re.search(r"http://\S+", dashboard.stdout.readline()).group(0)

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"]:
    options.add_argument(argument)
browser = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
proxy = None
try:
    browser.get(url + "#/calls")
    deadline = time.time() + 30
    while browser.execute_script("return document.getElementById('live').textContent") != "live":
        if time.time() > deadline:
            raise SystemExit("the page never went live")
        time.sleep(0.05)

    proxy = subprocess.Popen([f"{bin_dir}/argus", "wrap", "--db", database, "--name", "browser-bench", "--",
                              f"{bin_dir}/argus-bench", "echo-server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    delays = []
    for i in range(30):
        request_id = f"browser-{i}-{os.getpid()}"
        message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": "echo", "arguments": {"i": i}}}
        proxy.stdin.write((json.dumps(message) + "\n").encode())
        proxy.stdin.flush()
        proxy.stdout.readline()
        answered = time.time() * 1000
        key = json.dumps(request_id)
        while True:
            seen = browser.execute_script("return window.argusDebug.seen[arguments[0]] || null", key)
            if seen is not None:
                delays.append(seen - answered)
                break
            if time.time() * 1000 - answered > 5000:
                raise SystemExit(f"call {request_id} never appeared")
            time.sleep(0.002)
        time.sleep(0.15)
    delays.sort()

    def pick(p):
        return delays[min(len(delays) - 1, max(0, int(p * len(delays) + 0.999) - 1))]

    rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{dashboard.pid}/status").read()).group(1)) // 1024
    print(f"browser: {len(delays)} calls through `argus wrap`, response at the client → row rendered in chromium (the calls view, live)")
    print("| p50 (ms) | p90 (ms) | max (ms) | budget |")
    print("|---|---|---|---|")
    print(f"| {pick(0.5):.1f} | {pick(0.9):.1f} | {delays[-1]:.1f} | 250 ms |")
    print()
    print(f"Dashboard memory with the browser attached: {rss} MiB (VmRSS).")
finally:
    if proxy:
        proxy.stdin.close()
        proxy.wait(timeout=10)
    browser.quit()
    dashboard.terminate()
    dashboard.wait(timeout=10)
