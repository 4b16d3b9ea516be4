#!/usr/bin/env python3
"""Porter's web app in a real browser (headless Chromium over chromedriver), as a person uses it.

1. Sign-in from /auth by keyboard through the GitHub emulator's consent page (after one Cancel),
   then Settings: a provider key added, replaced and removed (the remove confirm dismissed once,
   then accepted), defaults saved, a Fly token Fly refuses (error banner, nothing saved), a valid
   org token with a new app (notice, app created in the Fly emulator), /diagnostics, a 404 page,
   sign-out (notice on /auth, /settings sends back to /auth).
2. The issue's end-to-end case: a task from someone without an account waits; they sign in and
   add a key in the browser; the task starts without another comment.
3. History: the table and stat cards, a filter by keyboard, type-ahead, the CSV, paging.
4. The live views: the dashboard follows a commented task to its pull request without a reload (the
   real worker entrypoint with a stand-in agent), a task page streams the agent's output, and Stop
   and Retry work from the page.
5. The command bar: Ctrl+K, a template, the seeded issue previewed, Start task, the task page, and the
   task's pull request; /dispatch with the command among the recent ones.
6. Settings and Diagnostics for someone the App is not installed for.

Every distinct page or state is screenshotted full-page at 1280 and 390 px wide into
artifacts/screenshots/. Every page is checked for stored key values (canaries) and the browser
console for SEVERE entries other than the error statuses a step expects.
"""

import glob
import json
import os
import re
import secrets
import sys
import time
import base64
import csv
import io
from urllib.parse import urlparse, parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webstack import ARTIFACTS, WebStack, log, stop_on_signals  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException, TimeoutException, WebDriverException)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait as SeleniumWait  # noqa: E402


class WebDriverWait(SeleniumWait):
    """Selenium's wait, which also looks again when an element it was reading went stale: live pages
    re-render lists (suggestions, task rows) between a find and a read, more often on a busy machine."""

    def __init__(self, driver, timeout, poll_frequency=0.5, ignored_exceptions=None):
        super().__init__(driver, timeout, poll_frequency,
                         ignored_exceptions=(StaleElementReferenceException, *(ignored_exceptions or ())))

SHOTS = os.path.join(ARTIFACTS, "screenshots")
DESKTOP = (1280, 900)
PHONE = (390, 844)
# Generous: CI is a loaded 2-core machine.
PAGE_WAIT = float(os.environ.get("PORTER_WEB_PAGE_WAIT", "30"))
TASK_WAIT = float(os.environ.get("PORTER_WEB_TASK_WAIT", "180"))
KEY_FIELD = "key-anthropic_api_key"


class CheckFailed(AssertionError):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def canary(label):
    # Long enough for a hint (16+ characters); the last four are what the page may show.
    return f"sk-ant-{label}-CANARY-{secrets.token_hex(8)}"


class Browser:
    def __init__(self, stack):
        self.stack = stack
        self.web = stack.web_url
        self.canaries = []
        self.expected_errors = []  # (url path, status) the current step expects to be logged
        self.shot_count = 0
        self.shots = []
        options = webdriver.ChromeOptions()
        options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--hide-scrollbars", f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=en-US"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"),
                          log_output=os.path.join(stack.logs, "chromedriver.log"))
        self.driver = webdriver.Chrome(options=options, service=service)
        self.driver.set_page_load_timeout(PAGE_WAIT)
        self._viewport(*DESKTOP, mobile=False)

    def quit(self):
        try:
            self.driver.quit()
        except Exception:  # noqa: BLE001 - quitting must not hide the real failure
            pass

    # MARK: pages

    def get(self, path):
        self.driver.get(path if path.startswith("http") else self.web + path)
        self.settled()

    def settled(self):
        WebDriverWait(self.driver, PAGE_WAIT).until(
            lambda d: d.execute_script("return document.readyState") == "complete")

    @property
    def path(self):
        return urlparse(self.driver.current_url).path

    @property
    def query(self):
        return parse_qs(urlparse(self.driver.current_url).query)

    def find(self, css, within=None):
        return (within or self.driver).find_element(By.CSS_SELECTOR, css)

    def find_all(self, css, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, css)

    def text(self, css, within=None):
        return self.find(css, within).text.strip()

    def wait_url(self, predicate, what):
        try:
            WebDriverWait(self.driver, PAGE_WAIT).until(lambda d: predicate(urlparse(d.current_url)))
        except TimeoutException:
            raise CheckFailed(f"{what}: still at {self.driver.current_url}") from None
        self.settled()

    def mark_document(self):
        """Marks the current document, so `wait_new_document` can tell when another replaced it."""
        self.driver.execute_script("window.__porterOldDocument = true")

    def wait_new_document(self, what):
        def replaced(driver):
            try:
                return driver.execute_script(
                    "return !window.__porterOldDocument && document.readyState === 'complete'")
            except WebDriverException:
                return False  # between two documents
        try:
            WebDriverWait(self.driver, PAGE_WAIT).until(replaced)
        except TimeoutException:
            raise CheckFailed(f"{what}: no new page within {PAGE_WAIT:.0f}s") from None

    def submit(self, button_css):
        self.mark_document()
        self.find(button_css).click()
        self.wait_new_document(f"submitting {button_css}")

    def key_row(self):
        return self.find(f"#row-{KEY_FIELD}")

    # MARK: checks on every page

    def check_page(self, step):
        """No stored secret in the page, and no console error the step did not expect."""
        source = self.driver.page_source
        for value in self.canaries:
            expect(value not in source, f"{step}: the page shows a stored secret ({value[:12]}…)")
        self.check_console(step)

    def check_console(self, step):
        unexpected = []
        for entry in self.driver.get_log("browser"):
            if entry.get("level") != "SEVERE":
                continue
            message = entry.get("message", "")
            # The GitHub emulator's pages have no icon: the browser's own favicon request there is
            # the emulator's, not Porter's.
            if message.startswith(f"{self.stack.github_url}/favicon.ico "):
                continue
            # A page that answers with an error status on purpose (a refused form, a 404 page) is
            # logged by the browser as a failed load; only the one the step expects is allowed.
            match = re.match(r"(\S+) - Failed to load resource: the server responded with a status of (\d+)",
                             message)
            if match and (urlparse(match[1]).path, int(match[2])) in self.expected_errors:
                continue
            unexpected.append(message)
        self.expected_errors = []
        expect(not unexpected, f"{step}: browser console errors:\n  " + "\n  ".join(unexpected))

    # MARK: screenshots

    def _viewport(self, width, height, mobile):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def _frames(self):
        # Two animation frames, so the layout of a new viewport is painted.
        self.driver.execute_async_script(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));")

    def _capture(self, name, viewport=DESKTOP, mobile=False):
        """A full-page screenshot: the viewport made as tall as the page, so sticky and 100vh parts
        are drawn as on a screen that tall, then put back."""
        self.driver.execute_script("window.scrollTo(0, 0)")
        width, height = viewport
        for _ in range(3):
            self._frames()
            content = self.driver.execute_script(
                "return Math.ceil(Math.max(document.documentElement.scrollHeight, document.body.scrollHeight))")
            if content <= height:
                break
            height = content
            self._viewport(width, height, mobile)
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
        with open(os.path.join(SHOTS, name), "wb") as file:
            file.write(base64.b64decode(shot["data"]))
        self.shots.append(name)
        self._viewport(*viewport, mobile)

    def shot(self, name, widths=("desktop", "phone"), dark=False):
        """Full-page screenshots of the current state, desktop and phone width, after checking the page;
        `dark` with the system's dark color scheme."""
        self.check_page(name)
        self.shot_count += 1
        stem = f"{self.shot_count:02d}-{name}"
        if dark:
            self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            try:
                self._shots(stem, widths)
            finally:
                self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        else:
            self._shots(stem, widths)

    def _shots(self, stem, widths):
        for kind in widths:
            phone = kind == "phone"
            self._viewport(*(PHONE if phone else DESKTOP), mobile=phone)
            self._capture(f"{stem}-{kind}.png", PHONE if phone else DESKTOP, phone)
            if phone:
                # Nothing may make a phone scroll sideways.
                overflow = self.driver.execute_script(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
                expect(overflow <= 0, f"{stem} is {overflow}px wider than a 390px screen")
        self._viewport(*DESKTOP, mobile=False)

    def phone_shot(self, name, action):
        """A state only a phone shows (the navigation menu): `action` runs at phone width."""
        self.check_page(name)
        self.shot_count += 1
        self._viewport(*PHONE, mobile=True)
        try:
            action()
            self._capture(f"{self.shot_count:02d}-{name}-phone.png", PHONE, True)
        finally:
            self._viewport(*DESKTOP, mobile=False)

    # MARK: sign-in

    def consent(self, login):
        """On the emulator's consent page: types the login when asked, then Authorize."""
        self.wait_url(lambda url: url.path == "/login/oauth/authorize", "GitHub's consent page")
        expect(self.driver.title == "Authorize porter-web", f"consent page title: {self.driver.title!r}")
        fields = self.find_all("#login")
        if fields:
            fields[0].send_keys(login)
        self.find("#authorize").click()
        self.wait_url(lambda url: url.geturl().startswith(self.web), "back at Porter after Authorize")
        self.check_page("consent")


def sign_in_flow(b, stack):
    """/auth by keyboard, Cancel once, then Authorize as octo, landing on Settings."""
    b.get("/auth")
    expect(b.path == "/auth", f"/auth answered at {b.path}")
    expect(b.text("h1") == "Sign in to Porter", f"auth heading: {b.text('h1')!r}")
    expect(b.text("#sign-in") == "Sign in with GitHub", f"sign-in link: {b.text('#sign-in')!r}")
    expect(not b.find_all(".banner"), "a fresh /auth shows no banner")
    b.shot("auth")
    b.shot("auth-dark", dark=True)

    # Keyboard: Tab to the sign-in link (past the skip link), and its focus ring shows.
    for _ in range(4):
        ActionChains(b.driver).send_keys(Keys.TAB).perform()
        if b.driver.execute_script("return document.activeElement.id") == "sign-in":
            break
    expect(b.driver.execute_script("return document.activeElement.id") == "sign-in",
           "Tab never reached the Sign in with GitHub link")
    ring = b.driver.execute_script(
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth];")
    expect(ring[0] != "none" and ring[1] != "0px", f"the focused sign-in link shows no focus ring: {ring}")
    b.shot("auth-keyboard-focus", widths=("desktop",))
    ActionChains(b.driver).send_keys(Keys.ENTER).perform()
    b.wait_url(lambda url: url.path == "/login/oauth/authorize", "Enter on the sign-in link")
    expect("Authorize porter-web" in b.text("h1"), f"consent heading: {b.text('h1')!r}")
    expect(b.find_all("#login"), "the consent page asks for a login (no --authorizing-user)")
    b.shot("github-consent")

    # Cancel at GitHub: back at /auth with the reason.
    b.find("#cancel").click()
    b.wait_url(lambda url: url.path == "/auth", "Cancel at GitHub")
    expect(b.query.get("error") == ["access_denied"], f"cancel came back as {b.driver.current_url}")
    expect("GitHub sign-in was cancelled" in b.text(".banner.error"), "the cancel banner")
    b.shot("auth-cancelled")

    b.find("#sign-in").send_keys(Keys.ENTER)
    b.consent("octo")
    b.wait_url(lambda url: url.path == "/settings", "signed in, on Settings")


def settings_flow(b, stack):
    expect(b.text("h1") == "Settings", f"settings heading: {b.text('h1')!r}")
    expect(b.text(".sidebar .who .login") == "octo", "the sidebar names the signed-in user")
    expect(b.find(".sidebar nav a[href='/settings']").get_attribute("aria-current") == "page",
           "Settings is the current section")
    github = b.find("#github")
    expect("Installed" in github.text and "octo/demo" in github.text,
           f"the GitHub App section shows the installation: {github.text!r}")
    row = b.key_row()
    expect("Not set" in row.text, f"a new account's key row: {row.text!r}")
    expect(b.find("button", row).text == "Save", "a missing key's button says Save")
    expect(not b.find_all(".remove-form", row), "no Remove for a key that is not set")
    expect("Configured" not in b.text("#fly"), "a new account has no Fly app")
    b.shot("settings-new-account")
    b.phone_shot("settings-menu-open", lambda: b.find(".topbar .menu summary").click())

    # Add a key.
    first = canary("first")
    b.canaries.append(first)
    b.find(f"#{KEY_FIELD}").send_keys(first)
    b.submit(f"#row-{KEY_FIELD} .key-form button")
    expect(b.path == "/settings" and b.query.get("notice") == ["key_saved"], f"after saving: {b.driver.current_url}")
    expect(b.text(".banner.ok") == "ANTHROPIC_API_KEY saved.", f"saved notice: {b.text('.banner.ok')!r}")
    row = b.key_row()
    expect("Configured" in row.text and f"•••• {first[-4:]}" in row.text, f"saved key row: {row.text!r}")
    expect(b.find(".key-form button", row).text == "Replace", "a stored key's button says Replace")
    expect(b.find(f"#{KEY_FIELD}").get_attribute("value") == "", "the key field is empty after saving")
    b.shot("settings-key-saved")
    b.shot("settings-key-saved-dark", dark=True)

    # Replace it.
    second = canary("second")
    b.canaries.append(second)
    b.find(f"#{KEY_FIELD}").send_keys(second)
    b.submit(f"#row-{KEY_FIELD} .key-form button")
    row = b.key_row()
    expect(f"•••• {second[-4:]}" in row.text and first[-4:] not in row.text, f"replaced key row: {row.text!r}")
    expect(b.text(".banner.ok") == "ANTHROPIC_API_KEY saved.", "replaced notice")
    b.shot("settings-key-replaced")

    # Remove it: the confirm first dismissed (nothing happens), then accepted.
    b.find(".remove-form button", row).click()
    alert = WebDriverWait(b.driver, PAGE_WAIT).until(expected_conditions.alert_is_present())
    expect(alert.text == "Remove ANTHROPIC_API_KEY? Tasks that need it will stop starting.",
           f"remove confirm: {alert.text!r}")
    alert.dismiss()
    row = b.key_row()
    expect("Configured" in row.text, "dismissing the confirm keeps the key")
    expect(b.find(".remove-form button", row).is_enabled(), "a dismissed confirm leaves Remove usable")
    b.mark_document()
    b.find(".remove-form button", row).click()
    WebDriverWait(b.driver, PAGE_WAIT).until(expected_conditions.alert_is_present()).accept()
    b.wait_new_document("removing the key")
    expect(b.text(".banner.ok") == "ANTHROPIC_API_KEY removed.", f"removed notice: {b.text('.banner.ok')!r}")
    row = b.key_row()
    expect("Not set" in row.text and not b.find_all(".remove-form", row), f"removed key row: {row.text!r}")
    expect(stack.psql("SELECT count(*) FROM user_secrets s JOIN users u ON u.id = s.user_id "
                      "WHERE u.login = 'octo' AND s.name = 'ANTHROPIC_API_KEY'") == "0",
           "the removed key is gone from the database")
    b.shot("settings-key-removed")

    # Defaults.
    Select(b.find("#agent")).select_by_value("codex")
    model = b.find("#model")
    model.clear()
    model.send_keys("gpt-5-codex")
    b.submit("#defaults button[type=submit]")
    expect(b.text(".banner.ok") == "Defaults saved.", f"defaults notice: {b.text('.banner.ok')!r}")
    expect(Select(b.find("#agent")).first_selected_option.get_attribute("value") == "codex", "agent kept")
    expect(b.find("#model").get_attribute("value") == "gpt-5-codex", "model kept")
    b.shot("settings-defaults-saved")

    # A Fly token Fly refuses: the reason, and nothing saved or created.
    refused = "FlyV1 fm2_refused_by_fly_" + secrets.token_hex(8)
    b.canaries.append(refused)
    fill_fly(b, refused, "octo-refused-workers", stack.fly_org)
    b.expected_errors.append(("/settings/fly", 422))
    b.submit("#fly button.primary")
    expect("Fly rejected the token" in b.text(".banner.error"), f"refused banner: {b.find_all('.banner')}")
    expect("Configured" not in b.text("#fly"), "a refused token configures nothing")
    expect(stack.fly("GET", "/v1/apps/octo-refused-workers")[0] == 404, "a refused token creates no app")
    expect(stack.psql("SELECT count(*) FROM user_secrets WHERE name = 'FLY_API_TOKEN'") == "0",
           "a refused token is not stored")
    expect(stack.psql("SELECT count(*) FROM user_settings WHERE fly_app IS NOT NULL") == "0",
           "a refused token saves no app")
    b.shot("settings-fly-refused")

    # A valid org token with a new app: checked, the app created, saved.
    b.canaries.append(stack.fly_token)
    fill_fly(b, stack.fly_token, "octo-porter-workers", stack.fly_org)
    b.submit("#fly button.primary")
    expect(b.text(".banner.ok") == "Fly token checked: an org token. Workers will run in your app.",
           f"Fly notice: {[e.text for e in b.find_all('.banner')]}")
    fly = b.text("#fly")
    expect("Configured" in fly and "octo-porter-workers" in fly and stack.fly_org in fly
           and f"•••• {stack.fly_token[-4:]}" in fly, f"the Fly section after saving: {fly!r}")
    status, body = stack.fly("GET", "/v1/apps/octo-porter-workers")
    expect(status == 200, f"the new app exists in the Fly emulator: {status} {body}")
    expect(b.find_all("#fly form[action='/settings/fly/remove']"), "a configured Fly app can be removed")
    b.shot("settings-fly-saved")

    # The same account as JSON: no secret either. A JSON document names no icon, so the browser asks
    # for /favicon.ico, which Porter does not serve.
    b.expected_errors.append(("/favicon.ico", 404))
    b.get("/api/config")
    config = json.loads(b.find("body").text)
    expect(config["defaultAgent"] == "codex" and config["fly"]["configured"] is True,
           f"/api/config: {config}")
    b.check_page("api-config")
    b.get("/settings")


def fill_fly(b, token, app, org):
    b.find("#fly input[name=mode][value=org]").click()
    for field, value in (("#fly-token", token), ("#fly-app", app), ("#fly-org", org)):
        element = b.find(field)
        element.clear()
        element.send_keys(value)


def diagnostics_and_errors(b, stack):
    b.find(".sidebar nav a[href='/diagnostics']").click()
    b.wait_url(lambda url: url.path == "/diagnostics", "the Diagnostics link")
    expect(b.text("h1") == "Diagnostics", f"diagnostics heading: {b.text('h1')!r}")
    checks = {b.text("strong", li): li for li in b.find_all(".checks li")}
    expect(set(checks) == {"Configuration", "Database", "GitHub App", "Installation", "Rate limit"},
           f"diagnostics checks: {sorted(checks)}")
    for name in ("Database", "GitHub App", "Installation", "Rate limit"):
        expect(b.text(".chip", checks[name]) == "OK", f"{name}: {checks[name].text!r}")
    expect("Installed on octo." in checks["Installation"].text, checks["Installation"].text)
    expect("Fix the failing check" not in b.text("#next-title + .banner"), "no failing check")
    b.shot("diagnostics")

    b.expected_errors.append(("/no-such-page", 404))
    b.get("/no-such-page")
    expect(b.text(".eyebrow").lower() == "error 404" and b.text("h1") == "Not Found" and "There is nothing here." in b.text("main"),
           f"404 page: {b.text('main')!r}")
    b.shot("error-404")
    b.get("/settings")


def sign_out(b, stack):
    b.submit(".sidebar .who button[type=submit]")
    expect(b.path == "/auth" and b.query.get("error") == ["signed_out"], f"after sign-out: {b.driver.current_url}")
    expect(b.text(".banner.ok") == "You are signed out.", f"signed-out notice: {b.find_all('.banner')}")
    expect(not b.find_all(".sidebar"), "the signed-out page has no signed-in chrome")
    b.shot("auth-signed-out")
    b.get("/settings")
    expect(b.path == "/auth" and b.query.get("next") == ["/settings"],
           f"/settings after sign-out: {b.driver.current_url}")
    expect(b.text("h1") == "Sign in to Porter", "the sign-in page, again")
    b.check_page("settings-after-sign-out")


def waiting_task_starts_after_sign_in(b, stack):
    """A task from someone without an account waits; they sign in and add a key through the browser,
    and the task starts without another comment."""
    stack.seed("PUT", "/roles", {"owner": "octo", "repo": "demo", "user": "newcomer", "role": "write"})
    stack.seed("POST", "/comments", {"owner": "octo", "repo": "demo", "issue": 1, "author": "newcomer",
                                     "body": "@porter claude fix the crash"})
    began = time.monotonic()
    comments, task = [], None
    while time.monotonic() - began < TASK_WAIT:
        comments = stack.seed("GET", "/issues/octo/demo/1/comments")
        rows = stack.psql("SELECT id || '|' || status || '|' || coalesce(status_reason, '') FROM tasks")
        task = rows.split("|") if rows and "\n" not in rows else None
        if (task and task[1:] == ["queued", "waiting for sign-in"]
                and any("@newcomer" in c and f"Sign in at {stack.web_url}" in c for c in comments)):
            break
        time.sleep(1)
    else:
        raise CheckFailed(f"the task never waited for sign-in: task {task}, comments {comments}")
    log(f"task {task[0]} waits for sign-in ({time.monotonic() - began:.1f}s); Porter said: "
        + " | ".join(c.replace("\n", " ")[:160] for c in comments if not c.startswith("@porter")))

    b.get("/auth")
    b.find("#sign-in").click()
    b.consent("newcomer")
    b.wait_url(lambda url: url.path == "/settings", "newcomer signed in, on Settings")
    expect(b.text(".sidebar .who .login") == "newcomer", "signed in as newcomer")
    b.shot("settings-newcomer")
    key = canary("newcomer")
    b.canaries.append(key)
    b.find(f"#{KEY_FIELD}").send_keys(key)
    b.submit(f"#row-{KEY_FIELD} .key-form button")
    expect(b.text(".banner.ok") == "ANTHROPIC_API_KEY saved.", "newcomer's key saved")
    b.shot("settings-newcomer-key-saved")

    began = time.monotonic()
    status = "queued"
    while time.monotonic() - began < TASK_WAIT:
        status, reason = stack.psql(
            f"SELECT status || '|' || coalesce(status_reason, '') FROM tasks WHERE id = '{task[0]}'").split("|", 1)
        if status != "queued":
            break
        time.sleep(0.5)
    expect(status != "queued", f"the task is still queued {TASK_WAIT:.0f}s after the key was added")
    log(f"task {task[0]} left queued {time.monotonic() - began:.1f}s after the key was saved: {status} ({reason})")
    expect(status in ("dispatching", "running", "succeeded"), f"the task started: {status} ({reason})")
    # It really got a worker process: the sleeping worker wrote its line.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = [line for path in glob.glob(os.path.join(stack.worker_log_dir, "*.log"))
                 for line in open(path, encoding="utf-8", errors="replace")]
        if any(f"task {task[0]}" in line for line in lines):
            break
        time.sleep(0.5)
    else:
        raise CheckFailed(f"no worker process started for task {task[0]} (logs in {stack.worker_log_dir})")

    comments = stack.seed("GET", "/issues/octo/demo/1/comments")
    asks = [c for c in comments if c.startswith("@porter")]
    expect(asks == ["@porter claude fix the crash"], f"newcomer commented only once: {asks}")
    expect(stack.psql("SELECT count(*) FROM tasks") == "1", "one task, the one that waited")
    b.check_page("after-task-start")


def task_state(stack, task_id):
    return stack.psql(f"SELECT status || '|' || coalesce(status_reason, '') || '|' || coalesce(pull_request_url, '') "
                      f"FROM tasks WHERE id = '{task_id}'").split("|", 2)


def wait_task(stack, where, what, done):
    """Waits for the newest task matching `where` (SQL) to satisfy `done(status, reason, pr)`."""
    began, state = time.monotonic(), None
    while time.monotonic() - began < TASK_WAIT:
        task_id = stack.psql(f"SELECT id FROM tasks WHERE {where} ORDER BY created_at DESC LIMIT 1")
        if task_id:
            state = task_state(stack, task_id)
            if done(*state):
                return task_id, state
        time.sleep(0.5)
    raise CheckFailed(f"{what}: the task is {state} after {TASK_WAIT:.0f}s")


def row_chip(b, title):
    """The status shown on the dashboard for the task titled `title`, or None while it is not there."""
    return b.driver.execute_script(
        "const row = [...document.querySelectorAll('.task-row')]"
        ".find(r => r.querySelector('.title')?.textContent === arguments[0]);"
        "return row ? [row.querySelector('[data-field=status]').textContent,"
        " row.querySelector('[data-field=pr] a')?.href ?? null] : null;", title)


def live_task_views(b, stack):
    """The dashboard follows a commented task through its states without a reload, to its pull
    request; a task page shows the agent's output live; Stop and Retry from the page."""
    if not stack.real_worker:
        raise CheckFailed("the live task checks need the real worker entrypoint, which needs root")
    first, state = wait_task(stack, "issue_number = 1", "the waiting task",
                             lambda status, reason, pr: (status == "succeeded" and pr)
                             or status in ("failed", "timed_out", "cancelled"))
    expect(state[0] == "succeeded" and state[2], f"the task that waited for sign-in opened a pull request: {state}")
    log(f"the task that waited for sign-in ended with {state[2]}")

    b.get("/")
    expect(b.text("h1") == "Dashboard", "the dashboard is the home page")
    WebDriverWait(b.driver, PAGE_WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#live-state[data-state=live]"))
    expect(row_chip(b, "Crash on start") is not None, "the finished task is on the dashboard")
    b.mark_document()

    # Issues and pull requests share numbers: the first task's pull request took one.
    notes = stack.seed("POST", "/issues", {"owner": "octo", "repo": "demo", "title": "Add notes", "author": "octo"})
    stack.seed("POST", "/comments", {"owner": "octo", "repo": "demo", "issue": notes["number"], "author": "newcomer",
                                     "body": "@porter claude add notes about the crash"})
    began, seen, chip, shot_live = time.monotonic(), [], None, False
    while time.monotonic() - began < TASK_WAIT:
        chip = row_chip(b, "Add notes")
        if chip and (not seen or seen[-1] != chip[0]):
            seen.append(chip[0])
            if chip[0] == "Running" and not shot_live:
                b.shot("dashboard-live", widths=("desktop",))
                shot_live = True
        if chip and chip[0] in ("Succeeded", "Failed", "Timed out") and chip[1]:
            break
        time.sleep(0.2)
    expect(chip and chip[0] == "Succeeded" and chip[1], f"the task reached its pull request live: {seen}, {chip}")
    expect(len(seen) >= 2, f"the row moved through its states on the open page: {seen}")
    expect(b.driver.execute_script("return window.__porterOldDocument === true"), "the dashboard never reloaded")
    log(f"dashboard, without a reload: {' -> '.join(seen)}; pull request {chip[1]}")
    succeeded = stack.psql("SELECT count(*) FROM tasks WHERE status = 'succeeded'")
    WebDriverWait(b.driver, PAGE_WAIT).until(lambda d: b.text('[data-count-for="succeeded"]') == succeeded)
    b.shot("dashboard")
    b.get("/?status=succeeded")
    expect(str(len(b.find_all(".task-row"))) == succeeded, f"the succeeded filter shows the {succeeded} tasks")
    b.get("/?status=running")
    expect("No running tasks" in b.text("#feed"), "an empty filter says so")
    b.shot("dashboard-empty-filter", widths=("desktop",))

    # A slow task: its page shows the output as it comes, then Stop and Retry.
    number = stack.seed("POST", "/issues", {"owner": "octo", "repo": "demo", "title": "Slow one",
                                            "author": "octo"})["number"]
    stack.seed("POST", "/comments", {"owner": "octo", "repo": "demo", "issue": number, "author": "newcomer",
                                     "body": "@porter claude take your time"})
    on_issue = f"issue_number = {number}"
    slow, _ = wait_task(stack, on_issue, "the slow task", lambda status, reason, pr: status == "running")
    b.get(f"/tasks/{slow}")
    WebDriverWait(b.driver, PAGE_WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#live-state[data-state=live]"))
    b.mark_document()
    WebDriverWait(b.driver, TASK_WAIT).until(lambda d: "step 3 of 60" in b.text("#task-log"))
    expect(b.driver.execute_script("return window.__porterOldDocument === true"), "the output arrived without a reload")
    b.shot("task-live")
    b.find("#stop-task").click()
    WebDriverWait(b.driver, PAGE_WAIT).until(expected_conditions.alert_is_present()).accept()
    b.wait_new_document("stopping the task")
    expect(b.text(".banner.ok").startswith("Asked."), "the page says the stop was asked for")
    wait_task(stack, on_issue, "stopping", lambda status, reason, pr: status == "cancelled")
    WebDriverWait(b.driver, TASK_WAIT).until(lambda d: b.text("#task-status") == "Stopped")
    b.shot("task-stopped")
    b.submit("#retry-task")
    wait_task(stack, f"{on_issue} AND id <> '{slow}'", "the retry",
              lambda status, reason, pr: status in ("queued", "dispatching", "running"))
    expect(stack.psql(f"SELECT count(*) FROM tasks WHERE {on_issue}") == "2", "Retry made one new task")
    b.check_page("live task views")
HISTORY_TASKS = [
    # issue, agent, model, status, title, branch, pull request, minutes ago, seconds it ran
    (101, "claude", "opus", "succeeded", "Fix the flaky login test", "porter/101-flaky-login", 11, 50, 95),
    (102, "codex", "gpt-5-codex", "succeeded", "Speed up, the \"cold\" start", "porter/102-cold-start", 12, 45, 240),
    (103, "claude", None, "failed", "=SUM(A1:A9) <script>alert(1)</script>", "porter/103-formula", None, 40, 30),
    (104, "opencode", None, "cancelled", "Rename the settings module", None, None, 35, 12),
    (105, "gemini", None, "timed_out", "Migrate the build to a newer toolchain", "porter/105-toolchain", None, 30, 1800),
    (106, "claude", "sonnet", "succeeded", "Document the API's error codes", "porter/106-error-codes", 13, 25, 420),
]


def wait_for_figures(b):
    """Stat cards not counted when the page was drawn are fetched by its script: wait until they are in."""
    try:
        WebDriverWait(b.driver, PAGE_WAIT).until(
            lambda d: d.find_element(By.ID, "stat-cards").get_attribute("aria-busy") is None)
    except TimeoutException:
        raise CheckFailed(f"the stat cards never came: {b.text('#stat-cards')!r}") from None


def history_flow(b, stack):
    """/history: the table and stat cards, a filter applied from the form by keyboard (the URL carries
    it), type-ahead from the person's own tasks, the CSV of the filtered set, paging, a bad filter."""
    template = stack.psql("SELECT id FROM tasks ORDER BY created_at LIMIT 1")
    # The newcomer's task runs to its pull request first, so the figures below hold still.
    wait_task(stack, f"id = '{template}'", "the newcomer's task",
              lambda status, reason, pr: status not in ("queued", "dispatching", "running") and (pr or status != "succeeded"))
    # A pull request is written as the services write it: its number and its address together.
    values = ", ".join(
        "({}, '{}', {}, '{}', {}, {}, {}, {}, {})".format(
            issue, agent, f"'{model}'" if model else "NULL", title.replace("'", "''"),
            f"'{branch}'" if branch else "NULL", pull or "NULL",
            f"'https://github.com/octo/demo/pull/{pull}'" if pull else "NULL", ago, ran)
        for issue, agent, model, status, title, branch, pull, ago, ran in HISTORY_TASKS)
    # A task starts queued and moves only along the allowed transitions, as the services move it.
    steps = []
    for issue, _, _, status, *_ in HISTORY_TASKS:
        path = ["cancelled"] if status == "cancelled" else ["dispatching", "running", status]
        steps += [f"UPDATE tasks SET status = '{next_status}' WHERE repository_full_name = 'octo/demo' "
                  f"AND issue_number = {issue}" for next_status in path]
    stack.psql(f"""
        INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number, requester_id,
            requester_login, agent, model, issue_title, branch, pull_request_number, pull_request_url, created_at)
        SELECT gen_random_uuid(), t.installation_id, t.repository_id, t.repository_full_name, v.issue,
            t.requester_id, t.requester_login, v.agent, v.model, v.title, v.branch, v.number, v.pull,
            now() - make_interval(mins => v.ago)
        FROM tasks t, (VALUES {values}) AS v(issue, agent, model, title, branch, number, pull, ago, ran)
        WHERE t.id = '{template}';
        {"; ".join(steps)};
        UPDATE tasks SET started_at = created_at + interval '5 seconds',
            finished_at = created_at + interval '5 seconds' + make_interval(secs => v.ran)
        FROM (VALUES {values}) AS v(issue, agent, model, title, branch, number, pull, ago, ran)
        WHERE tasks.repository_full_name = 'octo/demo' AND tasks.issue_number = v.issue""")
    total = len(HISTORY_TASKS) + 1

    b.find(".sidebar nav a[href='/history']").click()
    b.wait_url(lambda url: url.path == "/history", "the History link")
    expect(b.text("h1") == "History", f"history heading: {b.text('h1')!r}")
    expect(b.find(".sidebar nav a[href='/history']").get_attribute("aria-current") == "page",
           "History is the current section")
    rows = b.find_all("#history-table tbody tr")
    expect(len(rows) == total, f"history rows: {len(rows)} of {total}")
    wait_for_figures(b)
    expect(b.text("#stat-tasks .stat-value") == str(total), f"tasks card: {b.text('#stat-tasks')!r}")
    expect(b.text("#stat-prs .stat-value") == "4", f"PRs card (three seeded, one opened): {b.text('#stat-prs')!r}")
    expect("<script>alert(1)</script>" in b.text("#history-table"), "a title with markup shows as text")
    b.shot("history")

    # Type-ahead: typing narrows the branch suggestions to the person's matching branches.
    branch = b.find("#f-branch")
    # Offers not ready with the page come from its script a moment later.
    try:
        WebDriverWait(b.driver, PAGE_WAIT).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#branch-options option")) >= 5)
    except TimeoutException:
        raise CheckFailed("every branch is suggested before typing") from None
    branch.send_keys("cold")
    try:
        WebDriverWait(b.driver, PAGE_WAIT).until(lambda d: [
            o.get_attribute("value") for o in d.find_elements(By.CSS_SELECTOR, "#branch-options option")
        ] == ["porter/102-cold-start"])
    except TimeoutException:
        raise CheckFailed("typing in Branch never narrowed its suggestions to porter/102-cold-start") from None
    branch.clear()

    # A filter applied by keyboard: status chosen, then a word and Enter in the search field (the word
    # leaves out the newcomer's own task, whose duration is whatever its run took).
    Select(b.find("#f-status")).select_by_value("succeeded")
    b.mark_document()
    b.find("#f-search").send_keys("the", Keys.ENTER)
    b.wait_new_document("applying the status filter")
    expect(b.path == "/history" and b.query == {"status": ["succeeded"], "search": ["the"]},
           f"the URL carries the filters and nothing else: {b.driver.current_url}")
    chips = [b.text(".chip", row) for row in b.find_all("#history-table tbody tr")]
    expect(chips == ["Succeeded"] * 3, f"succeeded rows only: {chips}")
    # Of the succeeded: 95 s, 240 s and 420 s.
    wait_for_figures(b)
    for card, value in (("tasks", "3"), ("success", "100%"), ("median", "4m 0s"), ("prs", "3")):
        expect(b.text(f"#stat-{card} .stat-value") == value, f"{card} card: {b.text(f'#stat-{card}')!r}")
    b.shot("history-filtered")

    # The CSV of the filtered set, fetched by the browser with its session as the link would download it.
    csv_link = b.find("#download-csv").get_attribute("href")
    expect(urlparse(csv_link).path == "/api/tasks/history.csv" and parse_qs(urlparse(csv_link).query)
           == {"status": ["succeeded"], "search": ["the"]}, f"the CSV link carries the filters: {csv_link}")
    answer = b.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(async (r) => done({status: r.status, type: r.headers.get('content-type'),
            disposition: r.headers.get('content-disposition'), text: await r.text()}));""", csv_link)
    expect(answer["status"] == 200 and answer["type"] == "text/csv; charset=utf-8",
           f"CSV answer: {answer['status']} {answer['type']}")
    expect(re.fullmatch(r'attachment; filename="porter-history-\d{4}-\d\d-\d\d\.csv"', answer["disposition"] or ""),
           f"CSV disposition: {answer['disposition']}")
    table = list(csv.reader(io.StringIO(answer["text"], newline="")))
    expect(table[0][:3] == ["id", "repository", "issue_number"], f"CSV header: {table[0]}")
    titles = sorted(row[3] for row in table[1:])
    expect(titles == sorted(t[4] for t in HISTORY_TASKS if t[3] == "succeeded"), f"CSV titles: {titles}")
    log(f"history CSV: {len(table) - 1} rows, {len(answer['text'])} bytes")

    # Paging: three at a time, Older then Newest.
    b.get("/history?limit=3")
    first = [row.text for row in b.find_all("#history-table tbody tr")]
    b.submit("#older-page")
    expect("cursor" in b.query and b.query.get("limit") == ["3"], f"Older carries a cursor: {b.driver.current_url}")
    second = [row.text for row in b.find_all("#history-table tbody tr")]
    expect(len(second) == 3 and not set(first) & set(second), "the older page shows other tasks")
    b.shot("history-older-page", widths=("phone",))
    b.submit("#newest-page")
    expect([row.text for row in b.find_all("#history-table tbody tr")] == first, "Newest is the first page again")

    # A filter that matches nothing, and one that cannot be read.
    b.get("/history?search=nothing+like+this")
    expect(b.text("#history-empty strong") == "No task matches these filters.", "the no-match state")
    expect(b.find("#f-search").get_attribute("value") == "nothing like this", "the search is kept in the form")
    b.shot("history-no-match", widths=("phone",))
    b.expected_errors.append(("/history", 400))
    b.get("/history?issueNumber=abc")
    expect(b.text("#filter-problem") == "Issue is a number, such as 42.", f"bad filter: {b.text('main')!r}")
    expect(len(b.find_all("[aria-invalid=true]")) == 1, "only the issue field is marked invalid")
    expect(b.find("#f-issue").get_attribute("aria-invalid") == "true", "the issue field is marked invalid")
    expect(not b.find_all("#history-table"), "no results for a filter that cannot be read")
    b.shot("history-bad-filter", widths=("desktop",))


def dispatch_from_the_command_bar(b, stack):
    """Ctrl+K on a signed-in page opens the command bar with the dispatch form; a template fills the
    instructions, the seeded issue is previewed, and Start task lands on the new task's page; the task
    runs through the same path as a comment, with its status comment on the issue, to a pull request."""
    b.get("/settings")
    shortcut = b.find(".sidebar nav a[href='/dispatch'] kbd.shortcut")
    expect(shortcut.text in ("Ctrl K", "⌘K"), f"the New task link names its shortcut: {shortcut.text!r}")
    ActionChains(b.driver).key_down(Keys.CONTROL).send_keys("k").key_up(Keys.CONTROL).perform()
    try:
        WebDriverWait(b.driver, PAGE_WAIT).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "dialog.command-bar[open] #dispatch-issue"))
    except TimeoutException:
        raise CheckFailed("Ctrl+K did not open the command bar with the dispatch form") from None
    dialog = b.find("dialog.command-bar")
    expect(b.driver.execute_script("return document.activeElement.id") == "dispatch-issue",
           "the command bar puts the focus on the issue")
    expect(Select(b.find("#dispatch-repository", dialog)).first_selected_option.text == "octo/demo",
           "the repository the App reaches for newcomer")
    expect(not b.find("[data-refresh]", dialog).is_displayed(), "Show issues is for pages without JavaScript")
    b.shot("command-bar-open")

    Select(b.find("#dispatch-issue", dialog)).select_by_value("1")
    preview = b.find("#dispatch-preview", dialog)
    try:
        WebDriverWait(b.driver, PAGE_WAIT).until(lambda d: "Crash on start" in preview.text)
    except TimeoutException:
        raise CheckFailed(f"no preview of issue #1: {preview.text!r}") from None
    expect("<b>" in preview.text and not preview.find_elements(By.TAG_NAME, "b"),
           f"the issue's text is shown as text, not HTML: {preview.text!r}")
    template = next(t for t in b.find_all("[data-template]", dialog) if t.text == "Fix a bug")
    template.click()
    instructions = b.find("#dispatch-instructions", dialog)
    expect(instructions.get_attribute("value").startswith("Find the cause of the bug"),
           f"the template filled the instructions: {instructions.get_attribute('value')!r}")
    expect(Select(b.find("#dispatch-priority", dialog)).first_selected_option.get_attribute("value") == "high",
           "Fix a bug asks for high priority")
    expect(b.driver.execute_script("return document.activeElement.id") == "dispatch-instructions",
           "the focus moves to the instructions")
    Select(b.find("#dispatch-agent", dialog)).select_by_value("claude")
    expect(b.text("#dispatch-agent-hint", dialog).endswith("Runs with your ANTHROPIC_API_KEY."),
           f"the agent's key: {b.text('#dispatch-agent-hint', dialog)!r}")
    b.shot("command-bar-filled")
    b.shot("command-bar-filled-dark", widths=("phone",), dark=True)

    b.submit("dialog #dispatch-submit")
    expect(b.path.startswith("/tasks/") and b.query.get("requested") == ["dispatch"],
           f"after Start task: {b.driver.current_url}")
    task = b.path.rsplit("/", 1)[1]
    expect(b.text(".eyebrow").lower() == "octo/demo#1", f"the task page names the issue: {b.text('.eyebrow')!r}")
    expect("Asked." in b.text(".banner.ok"), "the task page says it was asked for")
    row = stack.psql(f"SELECT requester_login || '|' || agent || '|' || priority || '|' || left(instructions, 25) "
                     f"|| '|' || (delivery_id LIKE 'web-dispatch:%') FROM tasks WHERE id = '{task}'")
    expect(row == "newcomer|claude|2|Find the cause of the bug|true", f"the task row: {row!r}")
    _, state = wait_task(stack, f"id = '{task}'", "the dispatched task",
                         lambda status, reason, pr: (status == "succeeded" and pr)
                         or status in ("failed", "timed_out", "cancelled"))
    expect(state[0] == "succeeded" and state[2], f"the dispatched task opened a pull request: {state}")
    # Porter's comments reach GitHub through its side-effect queue, a moment after the task's end.
    began = time.monotonic()
    while True:
        comments = stack.seed("GET", "/issues/octo/demo/1/comments")
        waiting = [c for c in comments if f"/tasks/{task}" in c]
        if waiting or time.monotonic() - began > TASK_WAIT:
            break
        time.sleep(0.5)
    expect(waiting, f"the dispatched task has its status comment on the issue: {comments}")
    log(f"task {task} dispatched from the command bar ended in {state[2]}; "
        f"its status comment: {waiting[0].splitlines()[0]}")
    b.get(b.path)
    b.shot("task-dispatched-from-command-bar")

    # The New task page itself, with the command just run among the recent ones.
    b.find(".sidebar nav a[href='/dispatch']").click()
    b.wait_url(lambda url: url.path == "/dispatch", "the New task link")
    recent = b.find_all(".recent a")
    expect(recent and "octo/demo#1" in recent[0].text and "Find the cause of the bug" in recent[0].text,
           f"the recent commands: {[r.text for r in recent]}")
    recent[0].click()
    expect(b.path == "/dispatch", "a recent command fills the form in place")
    expect(b.find("#dispatch-instructions").get_attribute("value").startswith("Find the cause of the bug"),
           "the recent command refilled the instructions")
    b.shot("dispatch-page")


def review_flow(b, stack):
    """The review queue and a pull request's page: the diff in both views, changes requested with a
    line note become a follow-up that pushes to the branch while the page watches, the draft is
    marked ready, a merge after someone else pushed is refused with GitHub's reason, and a squash
    merge of the commit shown goes through."""
    b.find(".sidebar nav a[href='/review']").click()
    b.wait_url(lambda url: url.path == "/review", "the Review link")
    rows = b.find_all(".review-row")
    expect(len(rows) >= 2, f"the queue lists the pull requests the tasks opened: {[r.text for r in rows]}")
    b.shot("review-queue")
    task = stack.psql("SELECT id FROM tasks WHERE delivery_id LIKE 'web-dispatch:%' AND pull_request_number IS NOT NULL "
                      "ORDER BY created_at DESC LIMIT 1")
    expect(task, "the task dispatched from the command bar opened a pull request")
    row = b.find(f".review-row[data-task-id='{task}'] a.title")
    row.click()
    b.wait_url(lambda url: url.path == f"/review/{task}", "a row of the queue")
    number, branch = stack.psql(f"SELECT pull_request_number || '|' || branch FROM tasks WHERE id = '{task}'").split("|")
    sha = b.find("header code[title]").get_attribute("title")
    expect(len(sha) == 40, f"the page names the head commit: {sha!r}")
    stack.seed("POST", "/check-runs", {"owner": "octo", "repo": "demo", "sha": sha, "name": "tests",
                                       "status": "completed", "conclusion": "success"})
    b.get(f"/review/{task}")
    expect("tests" in b.text("#checks-title + p, #checks-title ~ ul") or b.find_all(".checks li"),
           "the check run is listed")
    expect(b.find_all("table.diff.unified tr.added"), "the unified diff shows added lines")
    b.shot("review-pull")
    b.find(".diff-card nav a[href$='view=split']").click()
    b.wait_url(lambda url: url.query == "view=split", "the Split view")
    expect(b.find_all("table.diff.split td.code.added"), "the split view shows the new lines on the right")
    b.shot("review-pull-split", widths=("desktop",))
    b.get(f"/review/{task}")

    # Request changes, with a note on a line chosen by keyboard.
    b.find("#request-changes summary").click()
    b.find("#changes-body").send_keys("Also mention the crash in the notes.")
    first_line = b.find("table.diff [data-line]")
    first_line.send_keys(Keys.ENTER)
    editor = b.find("tr.note-editor textarea")
    expect(b.driver.switch_to.active_element == editor, "the note editor takes the focus")
    editor.send_keys("Say where this comes from.")
    b.find("tr.note-editor button[type=submit]").click()
    notes = b.find_all("#note-list li")
    expect(len(notes) == 1 and "Say where this comes from." in notes[0].text, f"the note is listed: {notes}")
    b.shot("review-request-changes", widths=("desktop",))
    b.submit("#send-changes")
    expect(b.query.get("done") == ["changes"], f"after sending: {b.driver.current_url}")
    expect("follow-up task is on its way" in b.text("#review-outcome"), b.text("#review-outcome"))
    follow_up = b.find("[data-follow-up]").get_attribute("data-follow-up")
    row = stack.psql(f"SELECT kind || '|' || follow_up_of || '|' || left(instructions, 20) FROM tasks WHERE id = '{follow_up}'")
    expect(row == f"follow_up|{task}|Also mention the cra", f"the follow-up task: {row!r}")
    reviews = stack.seed("GET", f"/pulls/octo/demo/{number}/reviews")
    expect(any(r["state"] == "CHANGES_REQUESTED" and r["comments"] for r in reviews),
           f"the review with its note is on GitHub: {reviews}")
    b.mark_document()
    try:
        WebDriverWait(b.driver, TASK_WAIT).until(
            lambda d: b.text(f"[data-follow-up='{follow_up}'] [data-field=status]") in ("Succeeded", "Failed", "Timed out"))
    except TimeoutException:
        raise CheckFailed(f"the follow-up never ended on the page: {task_state(stack, follow_up)}") from None
    expect(b.text(f"[data-follow-up='{follow_up}'] [data-field=status]") == "Succeeded",
           f"the follow-up pushed to the branch: {task_state(stack, follow_up)}")
    expect(b.driver.execute_script("return window.__porterOldDocument === true"), "the page followed it without a reload")
    b.shot("review-follow-up-done", widths=("desktop",))

    # The draft is marked ready; then a merge is refused when someone pushed after the page loaded.
    b.get(f"/review/{task}")
    if b.find_all("#mark-ready"):
        b.submit("#mark-ready")
        expect("Marked ready for review." in b.text("#review-outcome"), b.text("#review-outcome"))
    stack.seed("POST", "/commits", {"owner": "octo", "repo": "demo", "branch": branch,
                                    "files": {"LATE.md": "pushed after the page loaded\n"}, "author": "octo"})
    b.expected_errors.append((f"/review/{task}/merge", 409))
    b.find("#merge").click()
    WebDriverWait(b.driver, PAGE_WAIT).until(expected_conditions.alert_is_present()).accept()
    b.wait_new_document("the refused merge")
    expect("pushed after you loaded this page" in b.text("#review-problem"), b.text("#review-problem"))
    expect(stack.psql(f"SELECT coalesce(pull_request_state, 'open') FROM tasks WHERE id = '{task}'") == "open",
           "nothing was merged")
    b.shot("review-merge-refused")
    b.get(f"/review/{task}")
    Select(b.find("#merge-method")).select_by_value("squash")
    b.find("#merge").click()
    WebDriverWait(b.driver, PAGE_WAIT).until(expected_conditions.alert_is_present()).accept()
    b.wait_new_document("the merge")
    expect(b.text("#review-outcome") == "Merged.", b.text("#review-outcome"))
    b.shot("review-merged", widths=("desktop",))
    began = time.monotonic()
    while time.monotonic() - began < TASK_WAIT:
        if stack.psql(f"SELECT pull_request_state FROM tasks WHERE id = '{task}'") == "merged":
            break
        time.sleep(0.5)
    expect(stack.psql(f"SELECT pull_request_state FROM tasks WHERE id = '{task}'") == "merged",
           "the gateway recorded the merge from GitHub's webhook")
    b.get("/review")
    expect(not b.find_all(f".review-row[data-task-id='{task}']"), "a merged pull request leaves the queue")
    b.check_page("review")


def without_installation(b, stack):
    """Someone the App is not installed for: the empty states of Settings and Diagnostics."""
    b.submit(".sidebar .who button[type=submit]")
    b.find("#sign-in").click()
    b.consent("stranger")
    b.wait_url(lambda url: url.path == "/settings", "stranger signed in, on Settings")
    github = b.find("#github")
    expect("Not installed" in github.text, f"the GitHub App section for someone without it: {github.text!r}")
    install = b.find("#install-app")
    expect(install.get_attribute("href") == f"{stack.github_url}/apps/porter-web/installations/new",
           f"the install link: {install.get_attribute('href')}")
    b.shot("settings-not-installed")
    b.get("/diagnostics")
    expect("Install Porter's GitHub App" in b.text("#next-title + .banner"), b.text("#next-title + .banner"))
    expect(b.find_all("main a.button.primary"), "Diagnostics offers the install link")
    b.shot("diagnostics-not-installed")


def run_in_browser(check_name, check, **stack_options):
    """Starts `WebStack(**stack_options)` and a browser and runs `check(browser, stack)`; when it
    fails, saves a screenshot as artifacts/screenshots/failure-<check_name>.png and says where the logs are."""
    stop_on_signals()
    os.makedirs(SHOTS, exist_ok=True)
    began = time.monotonic()
    with WebStack(**stack_options) as stack:
        b = Browser(stack)
        try:
            check(b, stack)
        except (Exception, CheckFailed):
            try:
                b._capture(f"failure-{check_name}.png")
                log(f"{check_name} failed at {b.driver.current_url}; screenshot artifacts/screenshots/failure-{check_name}.png; "
                    f"logs in {os.path.relpath(stack.logs)}/")
            except Exception:  # noqa: BLE001
                pass
            raise
        finally:
            b.quit()
    log(f"{check_name} flow passed in {time.monotonic() - began:.1f}s")


def main():
    stop_on_signals()
    os.makedirs(SHOTS, exist_ok=True)
    for old in glob.glob(os.path.join(SHOTS, "*.png")):
        os.remove(old)
    began = time.monotonic()
    with WebStack("web-stack-browser") as stack:
        stack.seed("POST", "/repositories", {"owner": "octo", "name": "demo",
                                             "files": {"AGENTS.md": "Run the tests."}})
        stack.seed("POST", "/installations", {"account": "octo"})
        stack.seed("POST", "/issues", {"owner": "octo", "repo": "demo", "title": "Crash on start", "author": "octo",
                                       "body": "It crashes at launch with <b>no</b> message."})
        b = Browser(stack)
        step = "start"
        try:
            for step, run in (("sign-in", sign_in_flow), ("settings", settings_flow),
                              ("diagnostics", diagnostics_and_errors), ("sign-out", sign_out),
                              ("waiting task", waiting_task_starts_after_sign_in),
                              ("history", history_flow), ("live task views", live_task_views),
                              ("command bar", dispatch_from_the_command_bar), ("review", review_flow),
                              ("no installation", without_installation)):
                started = time.monotonic()
                run(b, stack)
                log(f"ok: {step} ({time.monotonic() - started:.1f}s)")
        except Exception:
            try:
                b._capture(f"failure-{step.replace(' ', '-')}.png")  # at whatever width it failed
                log(f"failed in {step} at {b.driver.current_url}; screenshot artifacts/screenshots/"
                    f"failure-{step.replace(' ', '-')}.png; logs in {os.path.relpath(stack.logs)}/")
            except Exception:  # noqa: BLE001
                pass
            raise
        finally:
            b.quit()
    log(f"web flow passed in {time.monotonic() - began:.1f}s; {len(b.shots)} screenshots in artifacts/screenshots/")


if __name__ == "__main__":
    main()
