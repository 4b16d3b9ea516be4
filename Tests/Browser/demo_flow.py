#!/usr/bin/env python3
"""The local demo in a real browser, as a newcomer meets it after `scripts/dev`: the same stack (the
emulator seeded with octo and octo/hello, the demo agent on, the real local worker), then

1. sign in to Porter through the emulator's consent page as octo;
2. comment `@porter demo …` on the emulated issue's page;
3. the dashboard follows the task to its pull request without a reload;
4. the task page shows the demo's output and the pull request;
5. the emulated issue shows 👀 on the comment and Porter's one status comment ending "succeeded"
   with the pull request;
6. Review shows the pull request's diff (PORTER_DEMO.md).

Screenshots go to artifacts/screenshots/demo-*.png; with PORTER_README_SCREENSHOTS=DIR the desktop
ones the README shows are also written there (docs/screenshots).
"""

import os
import shutil
import sys
import time
from urllib.parse import urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webstack import log  # noqa: E402
from web_flow import (  # noqa: E402
    PAGE_WAIT, SHOTS, TASK_WAIT, CheckFailed, WebDriverWait, expect, row_chip, run_in_browser)

from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

TITLE = "The greeting is too terse"
REQUEST = "@porter demo make the greeting friendlier"
README_SHOTS = {"demo-dashboard": "dashboard.png", "demo-task": "task.png", "demo-review": "review.png"}


def shot(b, name):
    b.shot(name)
    # Browser.shot numbers its files; the README's copies keep plain names.
    if name in README_SHOTS and os.environ.get("PORTER_README_SCREENSHOTS"):
        target = os.environ["PORTER_README_SCREENSHOTS"]
        os.makedirs(target, exist_ok=True)
        shutil.copyfile(os.path.join(SHOTS, f"{b.shot_count:02d}-{name}-desktop.png"),
                        os.path.join(target, README_SHOTS[name]))


def post_comment(b, text):
    """Posts a comment from the emulated issue's page as a person would: click the box, type, press
    Comment. The page reloads itself every few seconds while its box is empty and unfocused, so on a
    loaded machine a reload can land between finding the box and typing, or take the typed text with it;
    focusing the box first stops further reloads, and text a reload took is typed again."""
    def typed(driver):
        try:
            box = driver.find_element(By.CSS_SELECTOR, "#body")
            driver.execute_script("arguments[0].focus()", box)
            if box.get_attribute("value") != text:
                box.clear()
                box.send_keys(text)
            return box.get_attribute("value") == text
        except WebDriverException:
            return False

    def outcome(driver):
        try:
            if urlparse(driver.current_url).fragment == "new-comment":
                return "posted" if text in driver.find_element(By.CSS_SELECTOR, ".thread").text else False
            complete = driver.execute_script("return document.readyState === 'complete'")
            return "lost" if complete and driver.find_element(By.CSS_SELECTOR, "#body").get_attribute("value") == "" \
                else False
        except WebDriverException:
            return False

    for attempt in range(1, 4):
        WebDriverWait(b.driver, PAGE_WAIT).until(typed, "the comment box takes the request")
        b.find("#comment").click()
        result = WebDriverWait(b.driver, PAGE_WAIT).until(outcome, "the comment is posted or the page reloaded")
        if result == "posted":
            return
        log(f"a reload of the issue page took the typed comment (attempt {attempt}); typing it again")
    raise CheckFailed("the issue page reloaded over the comment three times")


def demo(b, stack):
    issue = f"{stack.github_url}/octo/hello/issues/1"

    b.get("/")
    b.wait_url(lambda url: url.path == "/auth", "the sign-in page for someone signed out")
    b.find("#sign-in").click()
    b.consent("octo")
    expect("octo" in b.text(".sidebar"), "signed in as octo")

    b.get(issue)
    expect(TITLE in b.text("h1"), f"the demo issue: {b.text('h1')!r}")
    expect("Commenting as @octo" in b.text("#new-comment"), "the emulator comments as the signed-in person")
    b.shot("demo-issue-before")
    post_comment(b, REQUEST)

    b.get("/")
    WebDriverWait(b.driver, PAGE_WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#live-state[data-state=live]"))
    b.mark_document()
    began, seen, chip = time.monotonic(), [], None
    while time.monotonic() - began < TASK_WAIT:
        chip = row_chip(b, TITLE)
        if chip and (not seen or seen[-1] != chip[0]):
            seen.append(chip[0])
        if chip and chip[0] in ("Succeeded", "Failed", "Timed out", "Cancelled") and chip[1]:
            break
        time.sleep(0.2)
    expect(chip and chip[0] == "Succeeded" and chip[1], f"the demo task reached its pull request live: {seen}, {chip}")
    expect(b.driver.execute_script("return window.__porterOldDocument === true"), "the dashboard never reloaded")
    log(f"dashboard, without a reload: {' -> '.join(seen)}; pull request {chip[1]}")

    # The agents' figures follow too, without a reload: one run, a success, its pull request opened.
    def demo_cells(driver):
        # Read in one step: the panel may be replaced between two reads.
        return driver.execute_script(
            "const row = [...document.querySelectorAll('#agents tbody tr')]"
            ".find((r) => r.querySelector('th')?.textContent.trim().startsWith('demo'));"
            "return row ? [...row.querySelectorAll('th, td')].map((c) => c.textContent.trim()) : [];")
    WebDriverWait(b.driver, PAGE_WAIT).until(
        lambda d: (cells := demo_cells(d)) and cells[1] == "1" and cells[2].startswith("100 %") and cells[5] == "1",
        "the agents' figures count the demo's success and its pull request without a reload")
    expect(b.driver.execute_script("return window.__porterOldDocument === true"), "the dashboard never reloaded")
    log(f"agents' figures, without a reload: {demo_cells(b.driver)}")
    shot(b, "demo-dashboard")

    task = stack.psql("SELECT id FROM tasks WHERE agent = 'demo' ORDER BY created_at DESC LIMIT 1")
    b.get(f"/tasks/{task}")
    WebDriverWait(b.driver, PAGE_WAIT).until(lambda d: "demo:" in b.text("main"))
    expect("Succeeded" in b.text("main"), "the task page says it succeeded")
    expect(b.find_all(f"a[href='{chip[1]}']"), "the task page links the pull request")
    shot(b, "demo-task")

    # On the issue: 👀 on the command, then Porter's one status comment, edited to its end.
    # Porter's edits reach GitHub a moment after the task ends; the page reloads itself meanwhile.
    number = chip[1].rsplit("/", 1)[-1]
    b.get(issue)
    try:
        WebDriverWait(b.driver, TASK_WAIT, ignored_exceptions=(WebDriverException,)).until(
            lambda d: f"pull request: #{number}" in d.find_element(By.CSS_SELECTOR, ".thread").text)
    except TimeoutException:
        raise CheckFailed(f"the status comment never named pull request #{number}: {b.text('.thread')!r}")
    thread = b.text(".thread")
    expect("succeeded" in thread, f"the status comment ends succeeded: {thread!r}")
    expect(thread.count("porter-web[bot]") >= 1, "Porter answered on the issue")
    b.shot("demo-issue-after")
    eyes = stack.psql("SELECT count(*) FROM github_side_effects WHERE kind = 'add_reaction' AND state = 'done'")
    expect(int(eyes or 0) == 1, f"Porter put 👀 on the command: {eyes} reactions delivered")

    b.get(f"/review/{task}")
    WebDriverWait(b.driver, PAGE_WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "table.diff tr.added"))
    expect("PORTER_DEMO.md" in b.text("main"), "Review shows the demo's file")
    expect("· 1 file ·" in b.text("main"), "one file, in the singular")
    expect("make the greeting friendlier" in b.text("table.diff"), "the diff holds the request")
    shot(b, "demo-review")


def main():
    run_in_browser("demo", demo,
                   name="web-stack-demo", demo=True)


if __name__ == "__main__":
    main()
