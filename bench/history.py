"""Free times as history grows: a recipient's own past, and the department's.

    uv run python -m bench.history [--database-url postgresql://...] [--history 5000]
                                   [--department-small 10000] [--department-large 1000000] [--reads 200] [--runs 3]

Each run: a throw-away database (created, migrated, seeded, dropped) with one department open 08-16 daily and
two recipients on its service: one without a past, one with --history past visits (four a day, going back).
The 14-day free-times calculation (`booking.free_slots.availability`, the statements the API runs for
`GET /api/v1/availability`, on the driver, the free times computed in PostgreSQL) is timed --reads times for
each recipient, one read at a time, first
with --department-small past visits of other recipients in the department, then after growing that past to
--department-large. Printed as p50 wall ms and as mean CPU ms a read (this process's and its PostgreSQL
backend's, from /proc: the server must run on this machine), and the ratios issue 18 sets targets for:
`ratio_own_history` (the recipient with a past / the one without; target <= 1.2) and `ratio_department_history`
(large department / small, same recipient; target <= 1.2), each also as `..._cpu`, the steadier figure on a
shared machine. Medians over --runs runs. Without a URL an embedded
PostgreSQL is started.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.benefits import _cpu_seconds
from bench.rush import ZONE, _department, _past, _people
from booking.free_slots import Asked, availability
from core.settings import async_database_url, plain_database_url
from people.access import Principal
from people.audit import Origin
from tjenesteshop import embedded
from tjenesteshop.migrate import upgrade

DAYS = 14
FILLERS = 2_000  # the department's other recipients
WARMUP = 5  # unmeasured first reads (connections, statement caches)


async def _vacuum(url: str) -> None:
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _reads(url: str, municipality_id: uuid.UUID, service_id: uuid.UUID, who: list[uuid.UUID],
                 reads: int) -> tuple[list[float], list[float]]:  # fmt: skip
    """Each recipient's p50 wall ms and mean CPU ms of `reads` 14-day free-times reads, as the recipient asks.

    One at a time on one driver connection; CPU is this process's plus its PostgreSQL backend's, read from /proc.
    The recipients take turns, so that a busy moment of a shared machine falls on each alike. CPU time is the
    steadier figure on a shared machine: what the others run lengthens the wall time, not the CPU a read takes.
    """
    took: list[list[float]] = [[] for _ in who]
    cpu = [0.0 for _ in who]
    conn = await asyncpg.connect(url)
    try:
        backend = int(await conn.fetchval("SELECT pg_backend_pid()"))
        for index in range(reads + WARMUP):
            for position, recipient in enumerate(who):
                now = datetime.now(UTC)
                first = now.astimezone(ZONE).date()
                asked = Asked(recipient, service_id, first, first + timedelta(days=DAYS - 1), None)
                caller = Principal(municipality_id=municipality_id, person_id=recipient)
                started, started_cpu = time.perf_counter(), time.process_time() + _cpu_seconds(backend)
                await availability(conn, caller, Origin(), asked, now=now)
                if index >= WARMUP:
                    took[position].append((time.perf_counter() - started) * 1000)
                    cpu[position] += time.process_time() + _cpu_seconds(backend) - started_cpu
    finally:
        await conn.close()
    p50 = [round(statistics.median(mine), 3) for mine in took]
    return p50, [round(seconds * 1000 / reads, 3) for seconds in cpu]


async def measure(admin_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """One run in a database of its own, dropped afterwards."""
    name = f"bench_history_{uuid.uuid4().hex[:8]}"
    await embedded.ensure_database(admin_url, name)
    url = async_database_url(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    engine = create_async_engine(url, pool_size=2)
    figures: dict[str, Any] = {}
    try:
        await asyncio.to_thread(upgrade, url)
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            department, service, _ = await _department(session, datetime.now(UTC))
            fresh, old = await _people(session, service, 2, tag="reader", minutes=600)
            await _people(session, service, FILLERS, tag="filler", minutes=600)
        async with AsyncSession(engine) as session, session.begin():
            await _past(session, service, refs="reader-00001", people=1, count=args.history, offset=0)
            await _past(session, service, refs="filler-%", people=FILLERS, count=args.department_small, offset=0)
        await _vacuum(url)
        ids = (plain_database_url(url), department.municipality_id, service.id)
        small = await _reads(*ids, [fresh, old], args.reads)
        figures["small_fresh_p50_ms"], figures["small_history_p50_ms"] = small[0]
        figures["small_fresh_cpu_ms"], figures["small_history_cpu_ms"] = small[1]
        started = time.perf_counter()
        grow = args.department_large - args.department_small
        async with AsyncSession(engine) as session, session.begin():
            await _past(session, service, refs="filler-%", people=FILLERS, count=grow,
                        offset=args.department_small // FILLERS + 1)  # fmt: skip
        await _vacuum(url)
        figures["grow_s"] = round(time.perf_counter() - started, 1)
        large = await _reads(*ids, [fresh, old], args.reads)
        figures["large_fresh_p50_ms"], figures["large_history_p50_ms"] = large[0]
        figures["large_fresh_cpu_ms"], figures["large_history_cpu_ms"] = large[1]
    finally:
        await engine.dispose()
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
    figures["ratio_own_history"] = round(figures["large_history_p50_ms"] / figures["large_fresh_p50_ms"], 3)
    figures["ratio_department_history"] = round(figures["large_fresh_p50_ms"] / figures["small_fresh_p50_ms"], 3)
    figures["ratio_own_history_cpu"] = round(figures["large_history_cpu_ms"] / figures["large_fresh_cpu_ms"], 3)
    figures["ratio_department_history_cpu"] = round(figures["large_fresh_cpu_ms"] / figures["small_fresh_cpu_ms"], 3)
    return figures


def main() -> int:
    """Run --runs times; print each run and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to create a throw-away database on")
    parser.add_argument("--history", type=int, default=5_000, help="past visits of the recipient with a past")
    parser.add_argument("--department-small", type=int, default=10_000, help="the department's past visits, first")
    parser.add_argument("--department-large", type=int, default=1_000_000, help="... then grown to")
    parser.add_argument("--reads", type=int, default=200, help="free-times reads timed for each figure")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    services, scratch = embedded.EmbeddedServices(), Path(tempfile.mkdtemp(prefix="bench-history-"))
    try:
        admin_url = args.database_url
        if not admin_url:
            services.postgres, admin_url = embedded.start_postgres(
                scratch / "pg", database="postgres", cleanup="delete"
            )
        runs = [asyncio.run(measure(plain_database_url(admin_url), args)) for _ in range(args.runs)]
    finally:
        services.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    for index, run in enumerate(runs, start=1):
        print(f"== run {index}: " + " ".join(f"{k}={v}" for k, v in run.items()))
    medians = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    print(f"== median of {len(runs)}: " + " ".join(f"{k}={v}" for k, v in medians.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
