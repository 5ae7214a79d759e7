"""A real browser against the real server: `python -m console serve` (waitress) on a free port with
a temporary SQLite database, driven by Debian's Chromium through Selenium.

Set CONSOLE_SCREENSHOTS_DIR to also save screenshots of the queue, a report and the dashboard
(scripts/console-screenshots does that for docs/screenshots/).
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from bot.manage import migrate
from bot.serve import child_environment
from tests.console import support
from tests.databases import missing_service
from tests.servers import free_port, stop_process, wait_until_up

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ADMIN_USER, ADMIN_PASSWORD = "first.admin", "first-admin-password"



@pytest.fixture(autouse=True)
def chromium_installed() -> None:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        missing_service("Chromium is not installed: run scripts/install-browser")


@pytest.fixture
def console_server(tmp_path: Path) -> Iterator[dict]:
    env = child_environment()
    env.update(support.environment(tmp_path))
    env.update({"STAFF_ADMIN_USER": ADMIN_USER, "STAFF_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "CONSOLE_SECRET_KEY": "browser-test-secret-key"})
    database_url = env["DATABASE_URL"]
    migrate(database_url)
    report_id = support.seed_demo(database_url, tmp_path / "var" / "tracker.db", dt.datetime.utcnow())
    port = free_port()
    log_path = tmp_path / "console.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "console", "serve", "--host", "127.0.0.1", "--port",
                                    str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/login", process, timeout=60)
        yield {"base": base, "report_id": report_id, "database_url": database_url}
    finally:
        stop_process(process)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver, name: str, height: int = 1000) -> None:
    folder = os.environ.get("CONSOLE_SCREENSHOTS_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    # Tall enough for the whole page, so the picture shows more than the first screen.
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(height, min(full, 3000)))
    driver.save_screenshot(str(Path(folder) / f"{name}.png"))
    driver.set_window_size(1400, 1000)


def test_reviewer_signs_in_filters_opens_and_escalates_a_report(console_server: dict, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 10)

    base = console_server["base"]
    browser.get(f"{base}/reports/{console_server['report_id']}")
    assert "/login" in browser.current_url  # signed out: sent to sign in first

    browser.find_element(By.NAME, "username").send_keys(ADMIN_USER)
    browser.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # The login URL holds "next=/reports/…" too: wait until we have left it.
    wait.until(lambda driver: "/login" not in driver.current_url)
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Report ")  # back where we were going
    browser.get(base + "/")

    levels = [row.get_attribute("class") for row in browser.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")]
    assert levels[:2] == ["row-urgent", "row-urgent"] and levels[-1] == "row-low"
    _screenshot(browser, "queue")

    Select(browser.find_element(By.NAME, "level")).select_by_value("high")
    browser.find_element(By.NAME, "area").send_keys("garut")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait.until(until.url_contains("level=high"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    assert len(rows) == 1 and "Pak Darto" in rows[0].text

    rows[0].find_element(By.CSS_SELECTOR, "td a").click()
    wait.until(until.url_contains("/reports/"))
    assert "Pak Darto minta DP 15 juta" in browser.find_element(By.ID, "transcript").text
    assert "Upfront payment" in browser.page_source
    _screenshot(browser, "report", height=1600)

    form = browser.find_element(By.ID, "status-form")
    Select(form.find_element(By.NAME, "status")).select_by_value("escalated")
    Select(form.find_element(By.NAME, "institution")).select_by_value("KP2MI")
    form.find_element(By.NAME, "reason").send_keys("Unlicensed individual asking for a deposit; sent to KP2MI.")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(until.presence_of_element_located((By.CSS_SELECTOR, "p.flash")))
    assert "Status changed to Escalated" in browser.find_element(By.CSS_SELECTOR, "p.flash").text
    assert browser.find_element(By.ID, "status").text == "Escalated"
    audit = browser.find_element(By.ID, "audit").text
    assert "status_changed" in audit and ADMIN_USER in audit and "sent to KP2MI" in audit

    browser.get(base + "/dashboard")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) == 4
    _screenshot(browser, "dashboard", height=1900)
