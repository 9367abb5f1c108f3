"""Captures the dashboard's main views with headless chromium: `screenshots.py URL DIR`."""

import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, out = sys.argv[1], sys.argv[2]
os.environ.setdefault("SE_OFFLINE", "true")
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900",
                 "--force-device-scale-factor=1"]:
    options.add_argument(argument)
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def capture(view, name, ready, before=None):
    driver.get(url + "#/" + view)
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ready))
    if before:
        before()
    time.sleep(0.6)
    driver.save_screenshot(f"{out}/{name}.png")


def weather_call():
    rows = [r for r in driver.find_elements(By.CSS_SELECTOR, "#calls-table tbody tr") if "get_weather" in r.text]
    return rows[-1].get_attribute("data-call")


try:
    capture("runs", "runs", "tr[data-run]")
    run = driver.find_elements(By.CSS_SELECTOR, "tr[data-run]")[0].get_attribute("data-run")
    capture(f"runs/{run}", "run", ".wf-row")
    capture("calls", "calls", "#calls-table tbody tr")
    call = weather_call()

    def replay():
        driver.find_element(By.ID, "replay-button").click()
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "replay-outcome"))
        driver.execute_script("document.getElementById('replay').scrollIntoView()")

    capture(f"calls/{call}", "replay", "#replay-button", replay)
    capture("stats", "stats", "svg.chart")
    capture("scripts", "scripts", "h2")
finally:
    driver.quit()
