#!/usr/bin/env python3
"""pgqueuer's throughput on the claim benchmark's workload: the reference `benchmarks/dispatch`
prints Porter's claims/s against.

    benchmarks/pgqueuer_claims.py URL [--jobs 20000] [--consumers 4] [--batch 16]
        [--layout processes|single] [--max-concurrent-tasks 0] [--timeout 300]

URL names a database of its own, created fresh by the caller (the script refuses one where pgqueuer
is already installed). The script installs pgqueuer's schema with its Python API
(`Queries.install()`, what `pgq install` runs) at its default durability, `durable` (the queue, log,
statistics and schedule tables are all WAL-logged), enqueues `--jobs` jobs of one entrypoint in
bulk (one multi-row INSERT per 5,000), then starts `--consumers` QueueManagers in drain mode, each
dequeuing up to `--batch` jobs per query (pgqueuer's `batch_size`) for an async no-op entrypoint,
until every job is done. Time runs from the first dequeue to the last completion written (the log
flush that deletes a consumer's last jobs); set-up, schema check and LISTEN come before it, process
exit after it. It prints one line:

    pgqueuer: 20000 jobs by 4 consumers (batch 16) in 4.08 s = 4896 jobs/s; …settings…

or, if the jobs are not all done within `--timeout` seconds, a `pgqueuer: FAILED …` line on stderr,
ending every consumer, and exits 1.

Layout: by default each consumer is its own Python process with one QueueManager on its own asyncpg
connection (pgqueuer's `AsyncpgDriver`), under uvloop, as `pgq run` runs it. That is how pgqueuer
is scaled out (more `pgq run` processes; one process runs its event loop on one core), and how
Porter's claimers are deployed (one per dispatcher replica). Porter's benchmark runs its 4 claimers
in one process, but that process's event loops use every core; pgqueuer in one process could use
one, which would measure the Python interpreter rather than the queue. `--layout single` runs all
consumers in one process (each still with its own connection and QueueManager) for comparison.
On the 2 shared cores of 2026-11-29 the choice hardly mattered: 2,423 to 2,931 jobs/s with a process
per consumer, 2,863 in one process, 2,855 with `--max-concurrent-tasks 32`, under the same load.
The consumers start together: each gets ready (imports, connection, schema check, LISTEN) and waits
at its first dequeue until all are ready.

What pgqueuer 1.6.0 does per job (read from its source, `adapters/persistence/qb.py`, `core/qm.py`,
`core/buffers.py`), with the defaults used here:
  - enqueue (not timed): the job row, plus a `queued` row in the log table `pgqueuer_log`.
  - dequeue, one statement per batch of up to `batch_size`: `FOR UPDATE SKIP LOCKED` on the queued
    jobs (and on `picked` jobs whose heartbeat is older than `heartbeat_timeout`, 30 s: a crashed
    consumer's jobs come back), `UPDATE … SET status = 'picked'`, and a `picked` row per job in the
    log table; its statement trigger sends one NOTIFY. One transaction, one commit, per batch.
  - each job runs as an asyncio task with a heartbeat task beside it (a heartbeat is written only
    after `heartbeat_timeout / 2` = 15 s, so never for a no-op job).
  - completion is buffered: `JobStatusLogBuffer` collects finished jobs and writes them when
    `batch_size` have gathered or every ~0.1 s, in one statement that DELETEs the jobs from the
    queue table (by id alone: no check that this consumer still holds them) and INSERTs a
    `successful` row per job in the log table; one commit per flush, not per job.
  - the log table has four indexes besides its key; `pgqueuer_statistics` is filled from it every
    ~30 s (`log_aggregation_interval`), which a run this short may not reach.
  - unlimited `max_concurrent_tasks` (pgqueuer's default): a consumer dequeues its next batch
    without waiting for the last to finish. Porter's claimer completes its batch before claiming
    again; `--max-concurrent-tasks N` (at least 2 × batch) caps pgqueuer's picked jobs per consumer.
So per job pgqueuer writes more rows (three log rows, each indexed) but commits less often (one
commit per dequeue batch and per completion flush); Porter commits each completion on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import timedelta

ENTRYPOINT = "bench_noop"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="PostgreSQL URL of a fresh database for pgqueuer")
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--consumers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=16, help="pgqueuer's batch_size")
    parser.add_argument("--layout", choices=("processes", "single"), default="processes")
    parser.add_argument("--max-concurrent-tasks", type=int, default=0, help="0: unlimited (pgqueuer's default)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds until the run counts as failed")
    parser.add_argument("--consumer", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def run_loop(coroutine):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def fail(message: str) -> None:
    print(f"pgqueuer: FAILED: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


class Tally:
    """One consumer's count and clock: its first dequeue and its last completion written."""

    def __init__(self, ready=None) -> None:
        self.first: float | None = None
        self.last: float | None = None
        self.done = 0
        self.dequeues = 0
        self.ready = ready

    def as_dict(self) -> dict:
        return {"first": self.first, "last": self.last, "done": self.done, "dequeues": self.dequeues}


def timed_queries(driver, tally: Tally):
    from pgqueuer.queries import Queries

    class TimedQueries(Queries):
        """pgqueuer's own queries, with a clock on the dequeue and the completion log flush."""

        async def dequeue(self, *args, **kwargs):
            if tally.first is None:
                if tally.ready is not None:
                    await tally.ready()
                tally.first = time.monotonic()
            tally.dequeues += 1
            return await super().dequeue(*args, **kwargs)

        async def log_jobs(self, job_status):
            await super().log_jobs(job_status)
            finished = sum(1 for _, status, _ in job_status if status == "successful")
            if finished:
                tally.done += finished
                tally.last = time.monotonic()

    return TimedQueries(driver)


async def consume(url: str, batch: int, max_concurrent_tasks: int, tally: Tally) -> None:
    import asyncpg
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.qm import QueueManager
    from pgqueuer.types import QueueExecutionMode

    connection = await asyncpg.connect(url)
    try:
        manager = QueueManager(timed_queries(AsyncpgDriver(connection), tally))

        @manager.entrypoint(ENTRYPOINT)
        async def noop(job) -> None:
            return None

        await manager.run(
            batch_size=batch,
            mode=QueueExecutionMode.drain,
            max_concurrent_tasks=max_concurrent_tasks or None,
            # Only the wait after the queue is empty while this consumer's last jobs still run.
            dequeue_timeout=timedelta(seconds=1),
        )
    finally:
        await connection.close()


async def consumer_process(args: argparse.Namespace) -> None:
    """One consumer in a child process: says `ready` at its first dequeue, waits for `go`."""
    loop = asyncio.get_running_loop()

    async def ready() -> None:
        print("ready", flush=True)
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if line.strip() != "go":
            raise SystemExit(1)

    tally = Tally(ready=ready)
    await asyncio.wait_for(consume(args.url, args.batch, args.max_concurrent_tasks, tally), args.timeout)
    print(json.dumps(tally.as_dict()), flush=True)


async def consumers_in_processes(args: argparse.Namespace, deadline: float) -> list[dict]:
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, os.path.abspath(__file__), args.url, "--consumer", "--batch", str(args.batch),
            "--max-concurrent-tasks", str(args.max_concurrent_tasks), "--timeout", str(args.timeout),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(args.consumers)
    ]
    try:
        for child in children:
            line = await asyncio.wait_for(child.stdout.readline(), max(deadline - time.monotonic(), 0.1))
            if line.strip() != b"ready":
                raise RuntimeError(f"a consumer did not start (said {line!r})")
        for child in children:
            child.stdin.write(b"go\n")
            await child.stdin.drain()
        tallies = []
        for child in children:
            line = await asyncio.wait_for(child.stdout.readline(), max(deadline - time.monotonic(), 0.1))
            await asyncio.wait_for(child.wait(), max(deadline - time.monotonic(), 0.1))
            if child.returncode != 0 or not line:
                raise RuntimeError(f"a consumer exited with status {child.returncode}")
            tallies.append(json.loads(line))
        return tallies
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
                await child.wait()


async def consumers_in_one_process(args: argparse.Namespace) -> list[dict]:
    go = asyncio.Event()
    waiting = 0

    def tally_for_one() -> Tally:
        async def ready() -> None:
            nonlocal waiting
            waiting += 1
            if waiting == args.consumers:
                go.set()
            await go.wait()

        return Tally(ready=ready)

    tallies = [tally_for_one() for _ in range(args.consumers)]
    await asyncio.gather(*(consume(args.url, args.batch, args.max_concurrent_tasks, t) for t in tallies))
    return [t.as_dict() for t in tallies]


async def main(args: argparse.Namespace) -> None:
    import asyncpg
    import pgqueuer
    from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment, QueryQueueBuilder
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.domain.settings import DBSettings, Durability
    from pgqueuer.queries import Queries

    deadline = time.monotonic() + args.timeout
    settings = DBSettings(durability=Durability.durable)
    connection = await asyncpg.connect(args.url)
    try:
        server = {
            name: await connection.fetchval(f"SHOW {name}")
            for name in ("fsync", "synchronous_commit", "full_page_writes", "server_version")
        }
        queries = Queries(
            AsyncpgDriver(connection),
            qbe=QueryBuilderEnvironment(settings=settings),
            qbq=QueryQueueBuilder(settings=settings),
        )
        if await queries.schema_is_installed():
            fail("pgqueuer is already installed in this database; give the script a fresh one")
        await queries.install()
        for start in range(0, args.jobs, 5_000):
            count = min(5_000, args.jobs - start)
            await queries.enqueue([ENTRYPOINT] * count, [None] * count, [0] * count)
        table, log = settings.qualified.queue_table, settings.qualified.queue_table_log
        # As autovacuum leaves a queue that has been running (Porter's benchmark does the same).
        await connection.execute(f"ANALYZE {table}")
        await connection.execute(f"ANALYZE {log}")
        persistence = dict(
            await connection.fetch(
                "SELECT relname::text, relpersistence::text FROM pg_class WHERE relkind = 'r' AND relname = ANY($1)",
                [settings.queue_table, settings.queue_table_log, settings.statistics_table],
            )
        )
    finally:
        await connection.close()

    try:
        if args.layout == "processes":
            tallies = await consumers_in_processes(args, deadline)
        else:
            tallies = await asyncio.wait_for(consumers_in_one_process(args), max(deadline - time.monotonic(), 0.1))
    except (asyncio.TimeoutError, TimeoutError):
        fail(f"the jobs were not all done within {args.timeout:.0f} s")
    except RuntimeError as error:
        fail(str(error))

    connection = await asyncpg.connect(args.url)
    try:
        left = await connection.fetchval(f"SELECT count(*) FROM {table}")
        logged = dict(await connection.fetch(f"SELECT status::text, count(*) FROM {log} GROUP BY status"))
    finally:
        await connection.close()
    done = sum(t["done"] for t in tallies)
    if left != 0 or done != args.jobs:
        fail(f"{done} of {args.jobs} jobs completed, {left} left in the queue table; log: {logged}")
    starts = [t["first"] for t in tallies if t["first"] is not None]
    ends = [t["last"] for t in tallies if t["last"] is not None]
    elapsed = max(ends) - min(starts)
    logged_tables = "/".join(
        f"{name}={'logged' if persistence.get(name) == 'p' else 'UNLOGGED'}"
        for name in (settings.queue_table, settings.queue_table_log, settings.statistics_table)
    )
    loop = "uvloop" if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else "asyncio"
    print(
        f"pgqueuer: {done} jobs by {args.consumers} consumers (batch {args.batch}) in {elapsed:.2f} s"
        f" = {done / elapsed:.0f} jobs/s; pgqueuer {pgqueuer.__version__}, asyncpg {asyncpg.__version__},"
        f" {loop}, layout={args.layout} (one connection per consumer),"
        f" max_concurrent_tasks={args.max_concurrent_tasks or 'unlimited'},"
        f" durability={settings.durability.value} ({logged_tables}),"
        f" dequeues={sum(t['dequeues'] for t in tallies)},"
        f" log rows queued/picked/successful={logged.get('queued', 0)}/{logged.get('picked', 0)}"
        f"/{logged.get('successful', 0)},"
        f" fsync={server['fsync']}, synchronous_commit={server['synchronous_commit']},"
        f" full_page_writes={server['full_page_writes']}, PostgreSQL {server['server_version']}",
        flush=True,
    )


if __name__ == "__main__":
    options = arguments()
    if options.consumer:
        run_loop(consumer_process(options))
    else:
        run_loop(main(options))
