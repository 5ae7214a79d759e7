"""A real browser against the real server: `python -m console serve` (waitress) on a free port with
a temporary SQLite database, driven by Debian's Chromium through Selenium.

Set CONSOLE_SCREENSHOTS_DIR to also save screenshots of the queue, a report and the dashboard
(scripts/console-screenshots does that for docs/screenshots/).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pyotp
import pytest
import requests

from bot.manage import migrate
from bot.reports.texts import load_report_texts
from bot.serve import child_environment
from bot.settings import get_settings
from bot.storage.db import transaction
from console import auth
from tests.console import support
from tests.databases import missing_service
from tests.servers import free_port, stop_process, wait_until_up

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ADMIN_USER, ADMIN_PASSWORD = "first.admin", "first-admin-password"
REVIEWER_USER, REVIEWER_PASSWORD = "tia.review", "tia-review-password"
REVIEWER_SECRET = pyotp.random_base32()  # the reviewer's authenticator app
COOKIE = "console_session"
FLAG_TITLES = {code: flag["title"] for code, flag in load_report_texts(str(get_settings().content_dir)).flags.items()}


@pytest.fixture(autouse=True)
def chromium_installed() -> None:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        missing_service("Chromium is not installed: run scripts/install-browser")


# One server per language and one browser (each takes seconds to start): tests start signed out.
# In Indonesian the console is as it starts (its default); in English the staff member switched.
@pytest.fixture(scope="module", params=["id", "en"])
def console_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[dict]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        missing_service("Chromium is not installed: run scripts/install-browser")
    tmp_path = tmp_path_factory.mktemp("console")
    env = child_environment()
    env.update(support.environment(tmp_path))
    env.update(
        {
            "STAFF_ADMIN_USER": ADMIN_USER,
            "STAFF_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "CONSOLE_SECRET_KEY": secrets.token_hex(32),
        }
    )
    env.pop("CONSOLE_LANGUAGE", None)  # the product's default (Indonesian), not the page tests' English
    database_url = env["DATABASE_URL"]
    migrate(database_url)
    report_id = support.seed_demo(database_url, tmp_path / "var" / "tracker.db", dt.datetime.utcnow())
    port = free_port()
    log_path = tmp_path / "console.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "console", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/login", process, timeout=60)
        # After start-up: the first admin is made only while there are no accounts at all.
        with transaction(database_url) as session:
            support.enable_totp(
                auth.create_user(session, REVIEWER_USER, REVIEWER_PASSWORD, "reviewer"), REVIEWER_SECRET
            )
        yield {"base": base, "report_id": report_id, "database_url": database_url, "language": request.param}
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def browser(console_server: dict):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not download anything
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1400,1000",
        ):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def signed_out(browser, console_server: dict):
    browser.get(console_server["base"] + "/static/console.css")  # cookies are deleted per site
    browser.delete_all_cookies()
    browser.get(console_server["base"] + "/login")
    if console_server["language"] == "en":
        from selenium.webdriver.common.by import By

        switch = browser.find_element(By.ID, "language-switch")
        assert switch.text == "English"
        switch.click()  # the choice is kept in a cookie for the pages that follow
    return browser


def _type(driver, name: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(text)


def _submit(driver, form_selector: str = "main form") -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f"{form_selector} button[type=submit]").click()


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


def test_reviewer_with_two_factor_signs_in_filters_opens_and_escalates_a_report(
    console_server: dict, signed_out
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser = signed_out
    wait = WebDriverWait(browser, 10)
    language = console_server["language"]

    def shown(english: str) -> str:
        return support.translated(english, language)

    base = console_server["base"]
    browser.get(f"{base}/reports/{console_server['report_id']}")
    assert "/login" in browser.current_url  # signed out: sent to sign in first

    _type(browser, "username", REVIEWER_USER)
    _type(browser, "password", REVIEWER_PASSWORD)
    _submit(browser)
    wait.until(until.url_contains("/login/code"))  # the password alone is not enough
    _type(browser, "code", pyotp.TOTP(REVIEWER_SECRET).now())
    _submit(browser)
    # The login URL holds "next=/reports/…" too: wait until we have left it.
    wait.until(lambda driver: "/login" not in driver.current_url)
    # Back where we were going, in the chosen language.
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith(shown("Report %(case)s").split("%")[0])
    browser.get(base + "/")

    levels = [row.get_attribute("class") for row in browser.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")]
    assert levels[:2] == ["row-urgent", "row-urgent"] and levels[-1] == "row-low"
    _screenshot(browser, f"queue-{language}" if language != "en" else "queue")

    Select(browser.find_element(By.NAME, "level")).select_by_value("high")
    browser.find_element(By.NAME, "area").send_keys("garut")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait.until(until.url_contains("level=high"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    assert len(rows) == 1 and "Pak Darto" in rows[0].text

    rows[0].find_element(By.CSS_SELECTOR, "td a").click()
    wait.until(until.url_contains("/reports/"))
    assert "Pak Darto minta DP 15 juta" in browser.find_element(By.ID, "transcript").text
    assert FLAG_TITLES["upfront_fee"][language] in browser.page_source
    _screenshot(browser, f"report-{language}" if language != "en" else "report", height=1600)

    form = browser.find_element(By.ID, "status-form")
    Select(form.find_element(By.NAME, "status")).select_by_value("escalated")
    Select(form.find_element(By.NAME, "institution")).select_by_value("KP2MI")
    form.find_element(By.NAME, "reason").send_keys("Unlicensed individual asking for a deposit; sent to KP2MI.")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(until.presence_of_element_located((By.CSS_SELECTOR, "p.flash")))
    escalated = shown("Escalated")
    assert browser.find_element(By.CSS_SELECTOR, "p.flash").text == shown("Status changed to %(status)s.") % {
        "status": escalated
    }
    assert browser.find_element(By.ID, "status").text == escalated
    audit = browser.find_element(By.ID, "audit").text
    assert "status_changed" in audit and REVIEWER_USER in audit and "sent to KP2MI" in audit

    browser.get(base + "/dashboard")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) == 4
    _screenshot(browser, f"dashboard-{language}" if language != "en" else "dashboard", height=1900)


def test_admin_enrols_two_factor_and_a_copied_cookie_dies_at_logout(console_server: dict, signed_out) -> None:
    """The first admin has no second factor yet: after the password only enrolment is open. Then
    the session cookie, copied out of the browser, works until logout and never after."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    browser, base = signed_out, console_server["base"]
    wait = WebDriverWait(browser, 10)
    _type(browser, "username", ADMIN_USER)
    _type(browser, "password", ADMIN_PASSWORD)
    _submit(browser)
    wait.until(until.url_contains("/account/2fa"))
    browser.get(base + "/admin/users")
    assert browser.current_url.endswith("/account/2fa")  # nothing else until enrolled
    qr = browser.find_element(By.CSS_SELECTOR, "img.qr")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert browser.execute_script("return arguments[0].naturalWidth", qr) > 0  # drawn: the CSP lets data: in
    secret = browser.find_element(By.ID, "totp-secret").text.replace(" ", "")
    _type(browser, "code", pyotp.TOTP(secret).now())
    _submit(browser)
    codes = browser.find_elements(By.CSS_SELECTOR, "#recovery-codes li")
    assert len(codes) == 10
    browser.find_element(By.ID, "continue").click()
    wait.until(until.presence_of_element_located((By.CSS_SELECTOR, "table.queue")))

    stolen = {COOKIE: browser.get_cookie(COOKIE)["value"]}
    assert requests.get(base + "/admin/users", cookies=stolen, allow_redirects=False, timeout=10).status_code == 200
    browser.find_element(By.CSS_SELECTOR, "form.logout button[type=submit]").click()
    wait.until(until.url_contains("/login"))
    page = requests.get(base + "/admin/users", cookies=stolen, allow_redirects=False, timeout=10)
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert requests.get(base + "/api/reports", cookies=stolen, timeout=10).status_code == 401
