#!/usr/bin/env python3
"""Porter through failures, across the real binaries: the demo stack with two dispatchers and two
watchdogs on a PostgreSQL of its own, the real worker entrypoint with the stand-in agent playing
`claude` (busy for as many seconds as the request asks), the GitHub emulator, and a real browser
watching the dashboard throughout, never reloaded.

1. A commented task runs; while its agent works, one dispatcher and the leading watchdog are killed
   (SIGKILL) and the dispatcher is started again, as a supervisor would. The task opens its pull
   request; the surviving watchdog takes the lead, and keeps it when the old leader starts again.
2. `@porter retry` on the issue starts a new task. While its agent works, PostgreSQL stops as a
   crash would, `@porter status` is commented meanwhile (the gateway cannot store it yet), and
   PostgreSQL starts again 5 s later.
3. The retried task opens its pull request (its worker reports once the server is back); the
   dashboard shows both tasks' ends live; every service answers /readyz again; the status request is
   answered (had GitHub seen its webhook fail, the leading watchdog would have it delivered again).
4. Nothing is lost or doubled: two tasks, one attempt and one pull request each, one status comment
   per task naming its pull request, 👀 on each of the four commands, one answer to `status`, every
   delivery stored once.

Screenshots go to artifacts/screenshots/recovery-*.png.
"""

import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webstack import log  # noqa: E402
from web_flow import PAGE_WAIT, TASK_WAIT, CheckFailed, WebDriverWait, expect, run_in_browser  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402

TITLE = "The greeting is too terse"
ISSUE = ("octo", "hello", 1)
TERMINAL = ("succeeded", "failed", "timed_out", "cancelled")
# How long PostgreSQL stays down.
OUTAGE = 5
# Busy for half a minute: long enough for the kills and the restart to land while the agent works.
REQUEST = "@porter claude take 30 steps, then make the greeting friendlier"
# Short leases and rounds so that what a replica held moves on within the check's patience: the
# watchdog's lease (a dead leader is replaced within it plus a third), missed deliveries looked for
# every 5 s.
STACK_ENV = {"PORTER_WATCHDOG_LEASE": "6s", "PORTER_RECONCILE_INTERVAL": "5s", "PORTER_SWEEP_INTERVAL": "2s",
             # The operator's key, so octo's `claude` tasks start without one of their own.
             "PORTER_DEFAULT_ANTHROPIC_API_KEY": "sk-ant-api03-recoverycheck0123456789abcdefghij"}


def comment(stack, body):
    """Comments `body` on the demo issue as octo, as the emulator's page does: the webhook goes out
    at once."""
    owner, repo, number = ISSUE
    stack.seed("POST", "/comments", {"owner": owner, "repo": repo, "issue": number, "author": "octo", "body": body})


def comments(stack):
    owner, repo, number = ISSUE
    return stack.seed("GET", f"/issues/{owner}/{repo}/{number}/comments")


def newest_task(stack, where="true"):
    row = stack.psql(f"SELECT id || '|' || status FROM tasks WHERE {where} ORDER BY created_at DESC LIMIT 1")
    return row.split("|") if row else (None, None)


def wait_for(what, probe, timeout=TASK_WAIT, interval=0.2):
    """Waits until `probe()` gives something truthy and returns it."""
    began, value = time.monotonic(), None
    while time.monotonic() - began < timeout:
        try:
            value = probe()
        except Exception as error:  # noqa: BLE001 - a probe may meet the database restarting
            value = None
            last_error = error
        if value:
            return value
        time.sleep(interval)
    detail = f" (last error: {last_error})" if "last_error" in locals() else ""
    raise CheckFailed(f"{what}: not within {timeout:.0f}s{detail}")


def agent_working(stack, task):
    """The task's agent is at work: its worker has sent the agent's output at least once (it does
    every few seconds while the agent runs)."""
    return stack.psql(f"SELECT count(*) FROM task_events WHERE task_id = '{task}' AND kind = 'progress' "
                      "AND data->>'phase' = 'agent'") not in ("", "0")


def watchdog_leader(stack):
    """The watchdog replica whose process holds the leader lease, by name."""
    holder = stack.psql("SELECT holder FROM leader_leases WHERE name = 'watchdog' AND expires_at > now()")
    match = re.match(r"watchdog-.*?-(\d+)-[0-9A-Fa-f]+$", holder or "")
    if not match:
        return None
    pid = int(match.group(1))
    return next((name for name in ("watchdog", "watchdog-2") if stack.pid(name) == pid), None)


def dashboard_chips(b):
    """Every task row's (title, status) on the open dashboard."""
    return b.driver.execute_script(
        "return [...document.querySelectorAll('.task-row')].map(r => "
        "[r.querySelector('.title')?.textContent, r.querySelector('[data-field=status]').textContent]);")


def recovery(b, stack):
    owner, repo, number = ISSUE
    b.get("/")
    b.wait_url(lambda url: url.path == "/auth", "the sign-in page for someone signed out")
    b.find("#sign-in").click()
    b.consent("octo")
    b.get("/")
    WebDriverWait(b.driver, PAGE_WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#live-state[data-state=live]"))
    b.mark_document()

    # 1. A task mid-run loses a dispatcher and the leading watchdog.
    comment(stack, REQUEST)
    first = wait_for("the first task", lambda: newest_task(stack)[0])
    wait_for("the first task's agent at work", lambda: agent_working(stack, first))
    leader = wait_for("a leading watchdog", lambda: watchdog_leader(stack), timeout=60)
    follower = "watchdog-2" if leader == "watchdog" else "watchdog"
    stack.kill("dispatcher")
    stack.kill(leader)
    stack.restart("dispatcher")
    b.shot("recovery-first-running", widths=("desktop",))
    first_pull = wait_for("the first task's pull request", lambda: ended_with_pull(stack, first))
    wait_for("the other watchdog leading", lambda: watchdog_leader(stack) == follower, timeout=60)
    # Started again, the old leader waits as a follower: the lease is held.
    stack.restart(leader)
    log(f"the first task opened {first_pull} with a dispatcher and the {leader} leader killed; {follower} leads")

    # 2. Retry from a comment; PostgreSQL stops and starts while the retried task's agent works.
    comment(stack, "@porter retry")
    second = wait_for("the retried task", lambda: (lambda t: t if t != first else None)(newest_task(stack)[0]))
    retry_of = stack.psql(f"SELECT retry_of FROM tasks WHERE id = '{second}'")
    expect(retry_of == first, f"the new task retries the first: retry_of {retry_of!r}")
    wait_for("the retried task's agent at work", lambda: agent_working(stack, second))
    expect(watchdog_leader(stack) == follower,
           f"{follower} kept the lead after {leader} started again: {watchdog_leader(stack)}")
    # The comment goes out while the server is down; its webhook waits or fails, as it will.
    sender = threading.Thread(target=comment, args=(stack, "@porter status"), daemon=True)
    stack.restart_postgres(while_down=lambda: (sender.start(), time.sleep(OUTAGE)))
    back = stack.psql("SELECT now()")
    sender.join(timeout=60)

    # 3. The retried task ends with its pull request, live on the dashboard, and everything recovers.
    second_pull = wait_for("the retried task's pull request", lambda: ended_with_pull(stack, second))
    reported = stack.psql(f"SELECT finished_at > '{back}'::timestamptz FROM tasks WHERE id = '{second}'")
    expect(reported == "t", "the retried task's worker was still at work when PostgreSQL came back")
    for name in stack.service_urls:
        wait_for(f"{name} ready again", lambda name=name: stack.ready(name), timeout=60)

    def both_ended():
        chips = [chip for title, chip in dashboard_chips(b) if title == TITLE]
        return chips if chips == ["Succeeded", "Succeeded"] else None
    chips = wait_for("the dashboard showing both tasks' ends", both_ended, timeout=PAGE_WAIT * 2)
    expect(b.driver.execute_script("return window.__porterOldDocument === true"),
           "the dashboard followed both tasks through the restart without a reload")
    log(f"dashboard, without a reload: {chips}")
    b.shot("recovery-dashboard")

    # Whether the gateway stored the status comment's webhook once the server was back or answered
    # GitHub with an error first (then the watchdog has GitHub deliver it again), it is answered.
    wait_for("the answer to the status request", lambda: status_answers(stack), timeout=120)
    failed = failed_deliveries(stack)
    redelivered = [d for d in stack.hook_deliveries() if d["redelivery"] and 200 <= d["status_code"] < 300]
    expect(not failed or redelivered, f"a webhook GitHub saw fail was delivered again: failed {failed}")

    # 4. Nothing lost, nothing doubled.
    expect(stack.psql("SELECT count(*) FROM tasks") == "2", "two tasks: the first and its retry")
    attempts = stack.psql("SELECT string_agg(n::text, ',') FROM (SELECT count(*) AS n FROM task_attempts "
                          "GROUP BY task_id) AS a")
    expect(attempts == "1,1", f"one attempt each: {attempts}")
    expect(first_pull != second_pull, f"each task its own pull request: {first_pull}, {second_pull}")
    b.get(f"{stack.github_url}/{owner}/{repo}")
    listed = b.text("main")
    expect(listed.count("· pull request") == 2, f"the repository shows two pull requests: {listed!r}")
    b.shot("recovery-repository", widths=("desktop",))
    duplicates = stack.psql("SELECT count(*) FROM (SELECT delivery_id FROM webhook_deliveries "
                            "GROUP BY delivery_id HAVING count(*) > 1) AS d")
    expect(duplicates == "0", f"every delivery stored once: {duplicates} twice")
    reactions = stack.psql("SELECT string_agg(payload::text, '\n') FROM github_side_effects "
                           "WHERE kind = 'add_reaction' AND state = 'done'")
    reacted = set(re.findall(r'"comment_?[iI][dD]"\s*:\s*(\d+)', reactions or ""))
    expect(len(reacted) == 3, f"👀 on each of the three commands: {reactions}")
    thread = comments(stack)
    for task, pull in ((first, first_pull), (second, second_pull)):
        own = [c for c in thread if f"porter:task:{task}:status -->" in c]
        pull_number = pull.rsplit("/", 1)[-1]
        expect(len(own) == 1 and f"#{pull_number}" in own[0] and "succeeded" in own[0],
               f"task {task}: one status comment, succeeded with #{pull_number}: {own}")
    expect(status_answers(stack) == 1, f"the status request answered once: {status_answers(stack)}")
    # The outage outlasted the watchdog's lease: whichever replica asked first after it leads now.
    expect(watchdog_leader(stack) in ("watchdog", "watchdog-2"), "a watchdog leads after the restart")
    log(f"{len(thread)} comments on the issue; pull requests {first_pull}, {second_pull}; "
        f"{len(failed)} webhook(s) GitHub saw fail, {len(redelivered)} delivered again")
    b.get(f"{stack.github_url}/{owner}/{repo}/issues/{number}")
    b.shot("recovery-issue")


def ended_with_pull(stack, task):
    """The task's pull request once it succeeded with one; a failure if it ended otherwise."""
    row = stack.psql(f"SELECT status || '|' || coalesce(pull_request_url, '') FROM tasks WHERE id = '{task}'")
    status, pull = (row.split("|", 1) + [""])[:2] if row else ("", "")
    if status in TERMINAL and not (status == "succeeded" and pull):
        raise CheckFailed(f"task {task} ended {status} without a pull request")
    return pull if status == "succeeded" else None


def failed_deliveries(stack):
    """GitHub's (the emulator's) log entries for comment webhooks the gateway did not accept."""
    return [d for d in stack.hook_deliveries()
            if d["event"] == "issue_comment" and not 200 <= d["status_code"] < 300]


def status_answers(stack):
    """How many replies to `@porter status` Porter posted (each a side effect delivered once)."""
    return int(stack.psql("SELECT count(*) FROM github_side_effects WHERE state = 'done' "
                          "AND dedupe_key LIKE '%:status-reply:%'") or 0)


def main():
    run_in_browser("recovery", recovery,
                   name="web-stack-recovery", demo=True, dispatchers=2, watchdogs=2, own_postgres=True,
                   env=STACK_ENV, stand_in_agent=True)


if __name__ == "__main__":
    main()
