#!/usr/bin/env python3
"""Fuzzes web-api's JSON API against its own OpenAPI document with schemathesis.

A user `fuzzer` is signed in without a browser: GET /api/auth/github keeping the sign-in cookie,
GitHub's authorize URL with `login=fuzzer` while the emulator authorizes at once, then the callback.
schemathesis then runs every documented operation with that session cookie and the CSRF token from
GET /api/me, except sign-out (the session must survive the run). Any 5xx, or any answer whose
status, content type, headers or body the document does not describe, fails the run.

Extra arguments go to `schemathesis run` (for example --max-examples 5 or --seed 1).
"""

import os
import shutil
import subprocess
import sys
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webstack import ARTIFACTS, WebStack, log, stop_on_signals  # noqa: E402

CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance",
])


def sign_in(stack, login):
    """A requests session signed in as `login` through the real OAuth redirects, followed by hand."""
    stack.seed("PUT", "/oauth", {"consent": "automatic"})
    session = requests.Session()
    start = session.get(f"{stack.web_url}/api/auth/github", allow_redirects=False, timeout=30)
    assert start.status_code == 302, f"GET /api/auth/github: {start.status_code}"
    authorize = start.headers["Location"]
    assert authorize.startswith(f"{stack.github_url}/login/oauth/authorize?"), authorize
    granted = session.get(f"{authorize}&login={login}", allow_redirects=False, timeout=30)
    assert granted.status_code == 302, f"GitHub's authorize: {granted.status_code} {granted.text[:200]}"
    callback = granted.headers["Location"]
    assert callback.startswith(f"{stack.web_url}/api/auth/github/callback?"), callback
    back = session.get(callback, allow_redirects=False, timeout=30)
    assert back.status_code == 302 and back.headers["Location"] == "/settings", (
        f"callback: {back.status_code} {back.headers.get('Location')}")
    cookie = session.cookies.get("porter_session")
    assert cookie, f"no session cookie after the callback: {session.cookies.keys()}"
    me = session.get(f"{stack.web_url}/api/me", timeout=30)
    assert me.status_code == 200 and me.json()["login"] == login, f"/api/me: {me.status_code} {me.text}"
    # Back to the consent page, as a person would see it.
    stack.seed("PUT", "/oauth", {"consent": "page"})
    return cookie, me.json()["csrfToken"]


def seed_account(stack, cookie, csrf):
    """State the fuzzer cannot reach by itself, so answers that show it are checked too: a stored key
    whose last characters are more code points than characters, and a Fly app Fly accepts."""
    headers = {"Cookie": f"porter_session={cookie}", "X-CSRF-Token": csrf}
    for path, body in (
        ("/api/config/credentials", {"anthropic": "sk-ant-fuzz-0123456789-cafe\u0301e\u0301e\u0301e\u0301"}),
        ("/api/config/fly", {"flyToken": stack.fly_token, "flyAppName": "fuzzer-workers", "flyOrg": stack.fly_org,
                             "setupMode": "org"}),
        ("/api/config", {"defaultAgent": "codex", "defaultModel": "gpt-5-codex"}),
    ):
        answer = requests.put(f"{stack.web_url}{path}", json=body, headers=headers, timeout=30)
        assert answer.status_code == 200, f"PUT {path}: {answer.status_code} {answer.text}"


def open_pull_request(stack, cookie, csrf):
    """A task of the fuzzer's that opened a pull request, so the review operations run against a
    real one (its diff, checks, merge, close, changes) rather than only answering 404. Needs the real
    worker (root); without it the review operations only see unknown ids."""
    if not stack.real_worker:
        log("not root: the review operations are fuzzed without a pull request to act on")
        return None
    issue = stack.seed("POST", "/issues", {"owner": "fuzzer", "repo": "sandbox", "title": "Fuzz the review",
                                           "author": "fuzzer"})["number"]
    headers = {"Cookie": f"porter_session={cookie}", "X-CSRF-Token": csrf}
    answer = requests.post(f"{stack.web_url}/api/tasks", headers=headers, timeout=30, json={
        "repository": "fuzzer/sandbox", "issueNumber": issue, "agent": "claude", "instructions": "add notes",
        "requestId": str(uuid.uuid4())})
    assert answer.status_code == 201, f"POST /api/tasks: {answer.status_code} {answer.text}"
    task = answer.json()["id"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status, number = stack.psql(
            f"SELECT status || '|' || coalesce(pull_request_number::text, '') FROM tasks WHERE id = '{task}'").split("|")
        if status == "succeeded" and number:
            log(f"task {task} opened pull request #{number} for the review operations")
            return task
        assert status not in ("failed", "timed_out", "cancelled"), f"the fuzzer's task ended {status}"
        time.sleep(0.5)
    raise AssertionError(f"the fuzzer's task opened no pull request within 300 s: {status}")


def main(extra):
    stop_on_signals()
    # The CLI of the schemathesis this Python imports (a fresh pip install may not be on PATH yet).
    schemathesis = [sys.executable, "-c", "import sys; from schemathesis.cli import schemathesis; "
                    "sys.argv[0] = 'schemathesis'; schemathesis()"]
    reports = os.path.join(ARTIFACTS, "api-fuzz")
    shutil.rmtree(reports, ignore_errors=True)
    os.makedirs(reports)
    with WebStack("web-stack-api") as stack:
        # Something to list: an installation the fuzzer can see.
        stack.seed("POST", "/repositories", {"owner": "fuzzer", "name": "sandbox"})
        stack.seed("POST", "/installations", {"account": "fuzzer"})
        cookie, csrf = sign_in(stack, "fuzzer")
        seed_account(stack, cookie, csrf)
        pull_task = open_pull_request(stack, cookie, csrf)
        command = [
            *schemathesis, "run", f"{stack.web_url}/api/openapi.json",
            "--checks", CHECKS,
            "--header", f"Cookie: porter_session={cookie}",
            "--header", f"X-CSRF-Token: {csrf}",
            # Sign-out would end the session the rest of the run needs.
            "--exclude-operation-id", "signOut",
            # Live streams stay open for minutes: their tests are the Swift ones (WebLiveTests).
            "--exclude-operation-id", "streamTasks", "--exclude-operation-id", "streamTask",
            "--workers", "1",
            "--max-examples", os.environ.get("PORTER_FUZZ_MAX_EXAMPLES", "30"),
            "--max-redirects", "0",
            "--request-timeout", "30",
            "--no-color",
            "--report", "junit",
            "--report-dir", reports,
            *extra,
        ]
        began = time.monotonic()
        log("running schemathesis " + " ".join(a if "porter_session=" not in a and "CSRF" not in a
                                               else a.split(":")[0] + ": …" for a in command[len(schemathesis):]))
        # schemathesis and hypothesis keep their caches in the working directory: not in the checkout.
        state = os.path.join(ARTIFACTS, "api-fuzz-state")
        os.makedirs(state, exist_ok=True)
        # The review operations get the real pull request's task id; every other id stays generated.
        with open(os.path.join(state, "schemathesis.toml"), "w") as config:
            if pull_task:
                config.write('[[operations]]\ninclude-path-regex = "^/api/review/"\n'
                             f'parameters = {{ "path.id" = "{pull_task}" }}\n')
        result = subprocess.run(command, cwd=state, env={**os.environ, "NO_COLOR": "1"})
        log(f"schemathesis finished in {time.monotonic() - began:.1f}s with status {result.returncode}; "
            f"JUnit report in {os.path.relpath(reports)}/, web-api log in {os.path.relpath(stack.logs)}/web-api.log")
        # The session outlived the run: no operation but sign-out may end it.
        me = requests.get(f"{stack.web_url}/api/me", headers={"Cookie": f"porter_session={cookie}"}, timeout=30)
        if me.status_code != 200:
            log(f"the fuzzer's session no longer works after the run: /api/me answered {me.status_code}")
            return 1
        return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
