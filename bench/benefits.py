"""Benefit realisation benchmark: twelve months of one department with 1,000,000 visits, figures timed.

    python3 -m uv run python -m bench.benefits [--database-url postgresql://...] [--visits 1000000] [--runs 3]

Without --database-url an embedded PostgreSQL is started in a temporary folder. A throw-away database is
created, migrated, seeded in SQL (generate_series: 2,000 recipients, their decisions, the visits spread over
the last twelve months with every status and booker, one answer in ten delivered visits) and dropped. The
recipients' no-overlap exclusion constraint is dropped in that database before seeding (maintaining its GiST
index for a million generated rows would take most of the seeding time; the figures never read it). Prints
the median of --runs calls of `insight.benefits.department_benefits` (every query of the page for one
department), and the export's row query (once; it fetches every row), after VACUUM ANALYZE. Each call's
server CPU is the PostgreSQL backend's user + system time (read from /proc: the server must run on this
machine; parallel workers are switched off so that the backend does all the work) plus this process's; wall
time is printed too, but on a shared machine it mostly measures the other processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from core.settings import async_database_url, plain_database_url
from departments.service import local_today
from departments.tables import Department
from insight import benefit_rules
from insight.benefit_export import rows_query
from insight.benefits import department_benefits
from tjenesteshop import embedded
from tjenesteshop.migrate import upgrade

RECIPIENTS = 2000
SEED = """
INSERT INTO municipality (id, number, name) VALUES (:m, '9997', 'Benchkommune');
INSERT INTO department (id, municipality_id, name) VALUES (:d, :m, 'Stor avdeling');
INSERT INTO service (id, municipality_id, department_id, name, description, durations)
VALUES (:s, :m, :d, '{"nb": "Hjelp"}', '{"nb": "Hjelp"}', '{30,60}');
INSERT INTO person (id, municipality_id, national_id_hash, national_id_masked, given_name, family_name)
SELECT md5('p' || g)::uuid, :m, md5(g::text), '******' || lpad(g::text, 5, '0'), 'Person', g::text
FROM generate_series(1, :recipients) g;
INSERT INTO allocation (id, municipality_id, recipient_id, department_id, service_id, minutes, period, valid_from)
SELECT md5('a' || g)::uuid, :m, md5('p' || g)::uuid, :d, :s, 300, 'week', :first
FROM generate_series(1, :recipients) g;
ALTER TABLE booking DROP CONSTRAINT no_overlap_per_recipient;
INSERT INTO booking (id, municipality_id, recipient_id, department_id, service_id, allocation_id, period_start,
                     starts_at, ends_at, span_start, span_end, minutes, staff_units, status, acted_by, created_at)
SELECT gen_random_uuid(), :m, md5('p' || r)::uuid, :d, :s, md5('a' || r)::uuid, t::date,
       t, t + make_interval(mins => mins), t - interval '15 minutes', t + make_interval(mins => mins + 15), mins,
       CASE WHEN g % 17 = 0 THEN 2 ELSE 1 END,
       CASE WHEN g % 20 = 0 THEN 'no_show' WHEN g % 20 = 1 THEN 'late_cancelled' WHEN g % 20 = 2 THEN 'cancelled'
            WHEN t < :now THEN 'delivered' ELSE 'booked' END,
       CASE WHEN g % 10 < 2 THEN 'staff' WHEN g % 10 = 2 THEN 'proxy' ELSE 'recipient' END,
       t - make_interval(hours => g % 400)
FROM (
  SELECT g, g % :recipients + 1 AS r, CASE WHEN g % 3 = 0 THEN 30 ELSE 60 END AS mins,
         CAST(:start AS timestamptz) + make_interval(secs => g::float8 / :visits * :seconds) AS t
  FROM generate_series(1, :visits) g
) v;
INSERT INTO visit_feedback (id, municipality_id, booking_id, recipient_id, department_id, answer, answered_by_id)
SELECT gen_random_uuid(), municipality_id, id, recipient_id, department_id,
       (ARRAY['yes', 'yes', 'mixed', 'no'])[1 + (abs(hashtext(id::text)) % 4)], recipient_id
FROM booking WHERE status = 'delivered' AND abs(hashtext(id::text)) % 10 = 0;
"""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process on this machine (0 when it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _seed(session: AsyncSession, ids: dict[str, uuid.UUID], visits: int, now: datetime) -> float:
    zone_today = now.date()
    months = benefit_rules.window(zone_today)
    start = datetime.combine(months[0], datetime.min.time(), tzinfo=UTC)
    started = time.perf_counter()
    values = {"m": ids["m"], "d": ids["d"], "s": ids["s"], "recipients": RECIPIENTS, "first": months[0],
              "now": now, "start": start, "visits": visits, "seconds": (now - start).total_seconds()}  # fmt: skip
    for statement in filter(str.strip, SEED.split(";\n")):
        names = {k: v for k, v in values.items() if f":{k}" in statement}
        await session.execute(text(statement), names)
    await session.commit()
    return time.perf_counter() - started


async def _time(url: str, visits: int, runs: int) -> dict[str, float]:
    engine = create_async_engine(url)
    now = datetime.now(UTC)
    ids = {"m": uuid.uuid4(), "d": uuid.uuid4(), "s": uuid.uuid4()}
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            seeding = await _seed(session, ids, visits, now)
        async with engine.connect() as connection:
            await (await connection.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM ANALYZE"))
        page, cpu, rows = [], [], []
        async with AsyncSession(engine, expire_on_commit=False) as session:
            pid = int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)
            await session.execute(text("SET max_parallel_workers_per_gather = 0"))
            department = await session.get(Department, ids["d"])
            assert department is not None  # noqa: S101 - seeded above
            months = benefit_rules.window(local_today(department, now))
            for _ in range(runs):
                started, backend, own = time.perf_counter(), _cpu_seconds(pid), time.process_time()
                found = await department_benefits(session, department, now=now)
                page.append(time.perf_counter() - started)
                cpu.append(_cpu_seconds(pid) - backend + time.process_time() - own)
            assert sum(m.made for m in found.months) == visits  # noqa: S101 - every visit counted once
            started = time.perf_counter()  # once: it fetches every row
            await session.execute(rows_query(department, months))
            rows.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    return {"seed": seeding, "page": statistics.median(page), "cpu": statistics.median(cpu), "export_rows": rows[0]}


async def _with_database(admin_url: str, visits: int, runs: int) -> dict[str, float]:
    name = f"bench_benefits_{uuid.uuid4().hex[:8]}"
    await embedded.ensure_database(admin_url, name)
    url = async_database_url(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        await asyncio.to_thread(upgrade, url)
        return await _time(url, visits, runs)
    finally:
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def main() -> None:
    """Seed, time and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to create a throw-away database on")
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    services = embedded.EmbeddedServices()
    try:
        admin_url = args.database_url
        if not admin_url:
            services.postgres, admin_url = embedded.start_postgres(
                Path(tempfile.mkdtemp(prefix="bench-pg-")) / "pg", database="postgres", cleanup="delete"
            )
        found = asyncio.run(_with_database(plain_database_url(admin_url), args.visits, args.runs))
    finally:
        services.stop()
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)  # noqa: S607
    result = {
        "git": sha.stdout.strip(),
        "host": platform.node(),
        "visits": args.visits,
        "runs": args.runs,
        "seed_s": round(found["seed"], 1),
        "benefits_page_server_cpu_ms": round(found["cpu"] * 1000, 1),
        "benefits_page_wall_ms": round(found["page"] * 1000, 1),
        "export_rows_query_ms": round(found["export_rows"] * 1000, 1),
        "date": date.today().isoformat(),  # noqa: DTZ011
    }
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
