#!/usr/bin/env python3
"""A thousand pages follow the live feed of one web-api process at once.

Starts the web stack, signs a user in, opens 1,000 `GET /api/tasks/stream` connections (a hundred at a
time, as a loaded machine takes them), and checks that web-api counts 1,000 open streams, that it
listens on exactly one database connection however many pages watch, that one change to a task
reaches every page, and how much web-api's resident memory grew. The clients live in this process,
web-api in its own, as in production.
"""

import asyncio
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webstack import WebStack, http, log, stop_on_signals  # noqa: E402
from api_fuzz import sign_in  # noqa: E402

PAGES = int(os.environ.get("PORTER_LIVE_PAGES", "1000"))
WAIT = float(os.environ.get("PORTER_LIVE_WAIT", "180"))


class CheckFailed(AssertionError):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def resident_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def live_streams(stack, cookie):
    _, text = http("GET", f"{stack.web_url}/metrics", headers={"Cookie": f"porter_session={cookie}"})
    for line in text.splitlines():
        if line.startswith("porter_web_api_live_streams "):
            return int(float(line.split()[1]))
    return 0


async def page(port, cookie, opened, received, marker):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /api/tasks/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
                  f"Cookie: porter_session={cookie}\r\n\r\n").encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    expect(head.startswith(b"HTTP/1.1 200"), f"a stream answered {head[:40]!r}")
    opened.append(1)
    seen = b""
    while marker not in seen:
        chunk = await reader.read(65536)
        expect(chunk, "a stream ended before the change arrived")
        seen = seen[-4096:] + chunk
    received.append(1)
    writer.close()


async def run(stack, cookie, task_id):
    port = int(stack.web_url.rsplit(":", 1)[1])
    opened, received, pages = [], [], []
    marker = b"seen by every page"
    for start in range(0, PAGES, 100):
        pages += [asyncio.create_task(page(port, cookie, opened, received, marker))
                  for _ in range(min(100, PAGES - start))]
        deadline = time.monotonic() + WAIT
        while len(opened) < len(pages):
            expect(time.monotonic() < deadline, f"only {len(opened)} of {len(pages)} pages opened")
            failed = [p for p in pages if p.done() and p.exception()]
            if failed:
                raise failed[0].exception()
            await asyncio.sleep(0.1)
    deadline = time.monotonic() + WAIT
    while live_streams(stack, cookie) < PAGES:
        expect(time.monotonic() < deadline, f"web-api counts {live_streams(stack, cookie)} streams of {PAGES}")
        await asyncio.sleep(0.2)
    listeners = stack.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND query ILIKE 'LISTEN%porter_task_changes%'")
    expect(listeners == "1", f"{PAGES} pages, {listeners} listening connections")
    rss_open = resident_kb(dict(stack.processes)["web-api"].pid)
    began = time.monotonic()
    stack.psql(f"UPDATE tasks SET issue_title = 'seen by every page' WHERE id = '{task_id}'")
    await asyncio.wait_for(asyncio.gather(*pages), WAIT)
    elapsed = time.monotonic() - began
    expect(len(received) == PAGES, f"{len(received)} of {PAGES} pages heard the change")
    return rss_open, elapsed


def main():
    stop_on_signals()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, PAGES * 2 + 256)), hard))
    with WebStack("web-stack-live") as stack:
        stack.seed("POST", "/repositories", {"owner": "octo", "name": "demo"})
        stack.seed("POST", "/installations", {"account": "octo"})
        stack.seed("POST", "/issues", {"owner": "octo", "repo": "demo", "title": "Watched", "author": "octo"})
        cookie, _ = sign_in(stack, "octo")
        stack.seed("POST", "/comments", {"owner": "octo", "repo": "demo", "issue": 1, "author": "octo",
                                         "body": "@porter claude fix it"})
        deadline = time.monotonic() + WAIT
        task_id = ""
        while not task_id:
            expect(time.monotonic() < deadline, "the comment made no task")
            task_id = stack.psql("SELECT id FROM tasks LIMIT 1")
            time.sleep(0.2)
        rss_before = resident_kb(dict(stack.processes)["web-api"].pid)
        rss_open, elapsed = asyncio.run(run(stack, cookie, task_id))
        log(f"{PAGES} pages on one listening connection; the change reached all of them in {elapsed:.2f}s; "
            f"web-api RSS {rss_before / 1024:.1f} MB before, {rss_open / 1024:.1f} MB with every page open "
            f"({(rss_open - rss_before) / PAGES:.1f} KB a page)")


if __name__ == "__main__":
    main()
