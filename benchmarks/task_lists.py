#!/usr/bin/env python3
"""Task lists at 100,000 tasks: web-api's list answers against the same SQL run by pgbench.

Starts the web stack (Tests/Browser/webstack.py: web-api and the GitHub emulator, with the binaries
of PORTER_BIN_DIR), signs in a user who can reach 20 of 40 repositories, seeds 100,000 finished and
active tasks over 180 days (200 requesters, five agents), then for each list runs wrk with 4
connections for a few seconds and prints requests/s and p50/p95/p99. As a reference measured in the
same run on the same PostgreSQL, pgbench runs the feed's own SQL (the page and the counts) with the
same concurrency; the ratio says what web-api adds over its queries.

    benchmarks/task-lists [--tasks N] [--seconds S] [--connections C]
"""

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Browser"))
from webstack import WebStack, log, stop_on_signals  # noqa: E402
from api_fuzz import sign_in  # noqa: E402

LUA = """
-- With VARY set, each request ends its path with a different day for `to`, far enough ahead to take in
-- every task: the same work as the plain path, but never an answer kept from an earlier request.
if VARY then
  request = function()
    local day = os.date("!%Y-%m-%d", 1900000000 + math.random(0, 200000) * 86400)
    return wrk.format("GET", wrk.path .. "&to=" .. day)
  end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
"""

AGENTS = [("claude", "sonnet"), ("codex", "gpt-5-codex"), ("opencode", None), ("amp", None), ("gemini", "2.5-pro")]
WORDS = ["flaky", "login", "test", "crash", "parser", "cache", "docs", "refactor", "timeout", "upload", "search"]


def seed(stack, tasks, user_id, visible, hidden):
    """`tasks` tasks in one statement, written as the services leave them (triggers off while seeding)."""
    repos = [(rid, name) for rid, name in visible] + [(rid, name) for rid, name in hidden]
    repo_ids = "ARRAY[" + ",".join(str(r) for r, _ in repos) + "]::bigint[]"
    repo_names = "ARRAY[" + ",".join(f"'{n}'" for _, n in repos) + "]::text[]"
    agents = "ARRAY[" + ",".join(f"'{a}'" for a, _ in AGENTS) + "]"
    models = "ARRAY[" + ",".join(f"'{m}'" if m else "NULL" for _, m in AGENTS) + "]::text[]"
    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    stack.psql(f"""
        SET session_replication_role = replica;
        INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number, requester_id,
            requester_login, agent, model, status, status_reason, issue_title, branch, pull_request_number,
            pull_request_url, created_at, started_at, finished_at)
        SELECT gen_random_uuid(), 1, ({repo_ids})[1 + g % {len(repos)}], ({repo_names})[1 + g % {len(repos)}],
            g, CASE WHEN g % 50 = 0 THEN {user_id} ELSE 7000000 + g % 200 END,
            CASE WHEN g % 50 = 0 THEN 'bench' ELSE 'user' || (g % 200) END,
            ({agents})[1 + g % 5], ({models})[1 + g % 5],
            s.status, CASE WHEN s.status = 'failed' THEN 'the agent gave up' END,
            initcap(({words})[1 + g % 11]) || ' ' || ({words})[1 + (g / 11) % 11] || ' in module ' || (g % 997),
            'porter/issue-' || g,
            CASE WHEN s.status = 'succeeded' THEN g END,
            CASE WHEN s.status = 'succeeded' THEN 'https://github.com/o/r/pull/' || g END,
            c.created, c.created + interval '12 seconds',
            CASE WHEN s.status IN ('succeeded', 'failed', 'timed_out', 'cancelled')
                THEN c.created + interval '12 seconds' + make_interval(secs => 30 + (g * 7919) % 1800) END
        FROM generate_series(1, {tasks}) AS g,
            LATERAL (SELECT CASE WHEN g > {tasks} - 60 THEN (CASE WHEN g % 2 = 0 THEN 'running' ELSE 'queued' END)
                WHEN g % 20 < 14 THEN 'succeeded' WHEN g % 20 < 17 THEN 'failed' WHEN g % 20 < 18 THEN 'timed_out'
                ELSE 'cancelled' END AS status) AS s,
            LATERAL (SELECT now() - make_interval(secs => ({tasks} - g) * (180 * 86400.0 / {tasks})) AS created) AS c;
        SET session_replication_role = origin;
    """)
    # What the triggers would have kept while the tasks came in (spread over every stripe, as many
    # server processes writing over months leave them: the most rows a reader adds up), and the
    # visibility map autovacuum keeps for rows that stopped changing, which index-only scans rely on.
    # The test server commits asynchronously, and VACUUM cannot mark a page all-visible before the
    # commit that wrote it is flushed: hence the CHECKPOINT first.
    stack.psql("""
        DELETE FROM task_counts;
        INSERT INTO task_counts (repository_id, status, stripe, tasks)
        SELECT repository_id, status, abs(hashtext(id::text)) % 16, count(*) FROM tasks
        GROUP BY 1, 2, 3;
    """)
    stack.psql("CHECKPOINT")
    stack.psql("VACUUM ANALYZE tasks")


def wrk(url, cookie, seconds, connections, vary=False):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(("VARY = true\n" if vary else "") + LUA)
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "-s", script.name,
         "-H", f"Cookie: porter_session={cookie}", url],
        capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    requests, micros, p50, p95, p99, worst, errors = match.groups()
    return {"rps": int(requests) / (int(micros) / 1e6), "p50": float(p50), "p95": float(p95), "p99": float(p99),
            "errors": int(errors)}


def pgbench(database_url, sql, seconds, connections):
    """Latency percentiles of `sql` run back to back by pgbench, from its per-transaction log."""
    with tempfile.TemporaryDirectory() as logs:
        script = os.path.join(logs, "query.sql")
        with open(script, "w") as handle:
            handle.write(sql + ";\n")
        subprocess.run(
            ["pgbench", "-n", "-c", str(connections), "-j", str(min(connections, 2)), "-T", str(seconds), "-f", script,
             "-l", "--log-prefix", os.path.join(logs, "tx"), database_url],
            capture_output=True, text=True, check=True, cwd=logs)
        latencies = sorted(int(line.split()[2]) / 1000 for name in os.listdir(logs) if name.startswith("tx")
                           for line in open(os.path.join(logs, name)))
    def at(q):
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    return {"rps": len(latencies) / seconds, "p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "errors": 0}


@contextlib.contextmanager
def changing_task(database_url, every=0.005):
    """One running task's phase rewritten and committed every `every` seconds while the block runs."""
    # Bounded in time, and the server checks for its client, so the loop ends with the block even
    # though a backend running a DO block does not otherwise notice that psql went away.
    loop = subprocess.Popen(
        ["psql", database_url, "-qX", "-c", "SET client_connection_check_interval = '100ms'", "-c",
         f"DO $$ DECLARE n bigint := 0; stop timestamptz := clock_timestamp() + interval '10 minutes'; BEGIN "
         f"WHILE clock_timestamp() < stop LOOP "
         f"n := n + 1; UPDATE tasks SET progress_phase = 'phase ' || n WHERE id = "
         f"(SELECT id FROM tasks WHERE status = 'running' ORDER BY id LIMIT 1); COMMIT; PERFORM pg_sleep({every}); "
         f"END LOOP; END $$"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        loop.terminate()
        loop.wait()


def figure_table_size(web_url):
    """The tasks in web-api's figure table, from its metrics (0 until loaded)."""
    with urllib.request.urlopen(web_url + "/metrics", timeout=10) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith("porter_web_api_figure_table_tasks "):
                return int(float(line.split()[-1]))
    return 0


def resident_mb(stack):
    with open(f"/proc/{dict(stack.processes)['web-api'].pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--only", help="measure just the lists whose name contains this (or any of these, "
                        "comma-separated)")
    parser.add_argument("--hold", action="store_true",
                        help="keep the seeded stack up afterwards (for a profiler) until interrupted")
    args = parser.parse_args()
    stop_on_signals()
    with WebStack("bench-task-lists") as stack:
        visible = []
        for n in range(20):
            answer = stack.seed("POST", "/repositories", {"owner": "bench", "name": f"repo-{n}"})
            visible.append((answer["id"], f"bench/repo-{n}"))
        stack.seed("POST", "/installations", {"account": "bench"})
        hidden = [(8_000_000 + n, f"elsewhere/repo-{n}") for n in range(20)]
        cookie, _ = sign_in(stack, "bench")
        user_id = int(stack.psql("SELECT id FROM users WHERE login = 'bench'"))
        began = time.monotonic()
        seed(stack, args.tasks, user_id, visible, hidden)
        count = stack.psql("SELECT count(*) FROM tasks")
        log(f"seeded {count} tasks in {time.monotonic() - began:.1f}s")

        old = stack.psql("SELECT (extract(epoch FROM created_at) * 1000000)::bigint || '_' || id FROM tasks "
                         "ORDER BY created_at DESC OFFSET 50000 LIMIT 1")
        lists = [
            ("feed, first page", "/api/tasks?limit=25"),
            ("feed, running", "/api/tasks?status=running&limit=25"),
            ("feed, page at 50,000", f"/api/tasks?limit=25&cursor={old}"),
            ("history", "/api/tasks/history?limit=50"),
            ("history, agent+status", "/api/tasks/history?agent=codex&status=failed&limit=50"),
            ("history, search", "/api/tasks/history?search=flaky&limit=50"),
            ("history, repo+dates", "/api/tasks/history?repo=bench/repo-3&from=2026-09-01&to=2026-10-01&limit=50"),
            ("dashboard page", "/"),
        ]
        lists += [
            ("history stats", "/api/tasks/stats"),
            ("agent stats, 30 days", "/api/agents/stats?window=30d"),
            ("history page", "/history"),
        ]
        # The same figures with a filter no earlier request used, so nothing kept can answer them.
        unkept = [
            ("history, agent (unkept)", "/api/tasks/history?agent=codex&limit=50"),
            ("history stats (unkept)", "/api/tasks/stats?agent="),
            ("history page (unkept)", "/history?agent="),
            ("history cards (unkept)", "/history/figures?agent="),
        ]
        # The agents' table takes no filter to vary: it is asked while a task changes every few
        # milliseconds, which moves the generation kept figures are checked against, so nearly every
        # answer reads the database (a busy installation's case).
        changing = [
            ("agent stats, 30 days (unkept)", "/api/agents/stats?window=30d"),
            ("agent stats, 90 days (unkept)", "/api/agents/stats?window=90d"),
            ("agent stats, all (unkept)", "/api/agents/stats?window=all"),
        ]
        # The figure table (web-api's copy of every task's figure columns) is loaded at start and follows
        # the seeding through the change feed; measuring waits until it holds every task, else the first
        # figures would be read from the database.
        # The table reads announced changes when a figure is asked for: ask, then look at its size.
        def ask_and_count():
            request = urllib.request.Request(stack.web_url + "/api/tasks/stats",
                                             headers={"Cookie": f"porter_session={cookie}"})
            urllib.request.urlopen(request, timeout=60).read()
            return figure_table_size(stack.web_url)
        before = resident_mb(stack)
        loaded = ask_and_count()
        deadline = time.monotonic() + 120
        while loaded < int(count) and time.monotonic() < deadline:
            time.sleep(0.5)
            before = resident_mb(stack)
        loaded = ask_and_count()
        log(f"figure table holds {loaded} tasks; web-api resident memory {before:.0f} MB before it was read, "
            f"{resident_mb(stack):.0f} MB after")
        # Warm the visibility cache and the pages once.
        for _, path in lists:
            wrk(stack.web_url + path, cookie, 1, 1)

        repos = "{" + ",".join(str(r) for r, _ in visible) + "}"
        visible_sql = f"(requester_id = {user_id} OR repository_id = ANY('{repos}'::bigint[]))"
        ended = "('succeeded', 'failed', 'timed_out', 'cancelled')"
        def halves(columns, group=""):
            return (f"SELECT {columns} FROM tasks WHERE repository_id = ANY('{repos}'::bigint[]) {group} UNION ALL "
                    f"SELECT {columns} FROM tasks WHERE requester_id = {user_id} AND NOT repository_id = "
                    f"ANY('{repos}'::bigint[]) {group}")
        figures = halves("status, duration_seconds, pull_request_number")
        outcomes = halves("outcome, duration_seconds, pull_request_number")
        groups = halves("agent, model, outcome, count(*) AS runs, array_agg(duration_seconds) AS durations, "
                        "count(pull_request_number) AS opened, "
                        "count(*) FILTER (WHERE pull_request_state = 'merged') AS merged",
                        "GROUP BY agent, model, outcome")
        reference = {
            "SQL: feed page": f"SELECT id, repository_full_name, issue_number, issue_title, requester_login, agent, "
                              f"model, status, status_reason, progress_phase, branch, pull_request_url, created_at, "
                              f"started_at, finished_at FROM tasks WHERE {visible_sql} "
                              f"ORDER BY created_at DESC, id DESC LIMIT 26",
            "SQL: feed counts": f"SELECT status, sum(tasks) FROM (SELECT status, tasks FROM task_counts "
                                f"WHERE repository_id = ANY('{repos}'::bigint[]) UNION ALL SELECT status, count(*) "
                                f"FROM tasks WHERE requester_id = {user_id} AND NOT repository_id = "
                                f"ANY('{repos}'::bigint[]) GROUP BY status) AS visible GROUP BY status",
            "SQL: counting every task": f"SELECT status, count(*) FROM tasks WHERE {visible_sql} GROUP BY status",
            "SQL: stat cards, by status": f"SELECT count(*), count(*) FILTER (WHERE status IN {ended}), "
                                          f"count(*) FILTER (WHERE status = 'succeeded'), percentile_cont(ARRAY[0.5, "
                                          f"0.9]) WITHIN GROUP (ORDER BY duration_seconds) FILTER (WHERE status IN "
                                          f"{ended}), count(pull_request_number) FROM ({figures}) AS visible",
            "SQL: stat cards": f"SELECT count(*), count(outcome), count(*) FILTER (WHERE outcome = 1), "
                               f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY duration_seconds) "
                               f"FILTER (WHERE outcome IS NOT NULL), count(pull_request_number) "
                               f"FROM ({outcomes}) AS visible",
            "SQL: agent stats, all": f"WITH groups AS ({groups}) SELECT line.agent, line.model, sum(runs), "
                                     f"sum(runs) FILTER (WHERE outcome = 1), sum(runs) FILTER (WHERE outcome IN "
                                     f"(2, 3)), sum(runs) FILTER (WHERE outcome = 4), sum(runs) FILTER (WHERE "
                                     f"outcome IS NOT NULL), (SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP "
                                     f"(ORDER BY d) FROM groups AS ended, unnest(ended.durations) AS d WHERE "
                                     f"ended.outcome IS NOT NULL AND ended.agent = line.agent AND ended.model IS NOT "
                                     f"DISTINCT FROM line.model), sum(opened), sum(merged) FROM groups AS line "
                                     f"GROUP BY line.agent, line.model ORDER BY 3 DESC, line.agent, line.model "
                                     f"NULLS FIRST",
        }
        if args.only:
            words = args.only.split(",")
            def chosen(pairs):
                return [(n, p) for n, p in pairs if any(word in n for word in words)]
            reference = dict(chosen(reference.items()))
            lists, unkept, changing = chosen(lists), chosen(unkept), chosen(changing)
        rows = []
        for name, sql in reference.items():
            rows.append((name, pgbench(stack.database_url, sql, args.seconds, args.connections)))
        for name, path in lists:
            rows.append((name, wrk(stack.web_url + path, cookie, args.seconds, args.connections)))
        for name, path in unkept:
            rows.append((name, wrk(stack.web_url + path, cookie, args.seconds, args.connections, vary=True)))
        if changing:
            with changing_task(stack.database_url):
                for name, path in changing:
                    rows.append((name, wrk(stack.web_url + path, cookie, args.seconds, args.connections)))

        floor = sum(r["p95"] for n, r in rows if n in ("SQL: feed page", "SQL: feed counts"))
        print(f"\n{count} tasks, {args.connections} connections, {args.seconds}s each; "
              f"reference: the feed's two queries by pgbench, p95 {floor:.1f} ms together "
              f"('counting every task' is what the counts would cost without task_counts; 'stat cards' is "
              f"what the history's figures cost when nothing kept answers them; '(unkept)' lists ask with a "
              f"filter no earlier request used)\n")
        print(f"{'list':<26} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p95/ref':>8} {'errors':>7}")
        for name, r in rows:
            ratio = "" if name.startswith("SQL:") or not floor else f"{r['p95'] / floor:.2f}"
            print(f"{name:<26} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} {ratio:>8} "
                  f"{r['errors']:>7}")
        print(f"\nweb-api resident memory at the end: {resident_mb(stack):.0f} MB (its figure table holds "
              f"{figure_table_size(stack.web_url)} tasks)")
        measured = [(r["p95"], n) for n, r in rows if not n.startswith("SQL:")]
        if measured:
            worst = max(measured)
            print(f"\nslowest list p95: {worst[0]:.1f} ms ({worst[1]}); target < 50 ms")
        if args.hold:
            print(f"\nholding: {stack.web_url} with Cookie: porter_session={cookie}; web-api pid "
                  f"{dict(stack.processes)['web-api'].pid}; Ctrl+C ends", flush=True)
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
