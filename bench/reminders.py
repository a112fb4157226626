"""Reminders: how fast the worker sends to a local SMTP server, and how long reconciliation takes.

    uv run python -m bench.reminders [--database-url postgresql://...] [--redis-url redis://...]
                                     [--bookings 100000] [--runs 3] [--json]

Each run: a throw-away database with one department (reminders 24 h and 2 h before), `--bookings` upcoming
bookings over 14 days (10 per recipient, every recipient with an e-mail address) and no reminders yet.
Reconciliation (`notifications.dispatch.reconcile`: plan the missing reminders of every upcoming booking that
fall due within `PLAN_AHEAD`, two days; skip obsolete ones) is timed cold (all reminders missing, as after a
restore) and warm (nothing to do, the periodic case). Then the clock is set to the afternoon before the first
day with visits, so that day's day-before reminders are all due (one queueing pass takes at most 2,000), and
the real arq worker (burst mode, 20 jobs at once, database pool 10) queues them as batch jobs (`send_reminders`,
100 each, one SMTP connection a job) and sends them to an aiosmtpd server in a thread of this process. The
baseline, in the same run: the same number of messages sent straight to that SMTP server with aiosmtplib, 20
at a time, a connection each, no database and no queue.
Without URLs an embedded PostgreSQL and Valkey are started. Figures are medians over --runs runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import asyncpg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from core.settings import Settings, async_database_url, plain_database_url
from notifications.channels import channels_from_settings
from notifications.dispatch import reconcile
from notifications.queue import create_worker, queue_name
from tjenesteshop import embedded
from tjenesteshop.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PER_RECIPIENT = 10
CONCURRENCY = 20  # the worker's max_jobs, and the baseline's concurrent sends
SEED = """
WITH m AS (INSERT INTO municipality (id, number, name) VALUES (gen_random_uuid(), '9996', 'Påminnelseskommune')
           RETURNING id),
d AS (INSERT INTO department (id, municipality_id, name, notice_hours)
      SELECT gen_random_uuid(), m.id, 'Hjemmetjenesten', 0 FROM m RETURNING id, municipality_id),
s AS (INSERT INTO service (id, municipality_id, department_id, name, description, durations)
      SELECT gen_random_uuid(), d.municipality_id, d.id, '{"nb": "Praktisk bistand"}', '{"nb": ""}', '{30}' FROM d
      RETURNING id, department_id, municipality_id),
p AS (INSERT INTO person (id, municipality_id, national_id_hash, national_id_masked, given_name, family_name, email)
      SELECT gen_random_uuid(), s.municipality_id, md5(n::text) || md5(n::text), '******00000', 'Person' || n,
             'Benk', 'p' || n || '@example.no'
      FROM s, generate_series(1, :recipients) AS n RETURNING id, municipality_id),
a AS (INSERT INTO allocation (id, municipality_id, recipient_id, department_id, service_id, minutes, period,
                              valid_from)
      SELECT gen_random_uuid(), p.municipality_id, p.id, s.department_id, s.id, 6000, 'week', CAST(:today AS date)
      FROM p, s RETURNING id, recipient_id, municipality_id, department_id, service_id),
r AS (SELECT a.*, row_number() OVER (ORDER BY a.id) AS i FROM a)
INSERT INTO booking (id, municipality_id, recipient_id, department_id, service_id, allocation_id, period_start,
                     starts_at, ends_at, span_start, span_end, minutes, staff_units, acted_by)
SELECT gen_random_uuid(), r.municipality_id, r.recipient_id, r.department_id, r.service_id, r.id,
       CAST(:today AS date), t.starts_at, t.starts_at + interval '30 minutes', t.starts_at,
       t.starts_at + interval '30 minutes', 30, 1, 'staff'
FROM r CROSS JOIN generate_series(1, :per) AS k
CROSS JOIN LATERAL (
    SELECT ((CAST(:today AS date) + 1 + k) + time '08:00' + ((r.i * 7 + k) % 16) * interval '30 minutes')
           AT TIME ZONE 'Europe/Oslo' AS starts_at
) t
"""


class Counting:
    """An SMTP handler that only counts what it accepts."""

    def __init__(self) -> None:
        """Nothing accepted yet."""
        self.accepted = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802, ARG002
        """Accept and count (aiosmtpd's hook)."""
        self.accepted += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _seed(url: str, bookings: int) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(SEED), {"recipients": bookings // PER_RECIPIENT, "per": PER_RECIPIENT,
                                            "today": datetime.now(UTC).date()})  # fmt: skip
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def _first_day_evening(url: str) -> tuple[datetime, int]:
    """The afternoon before the first day with bookings (all its day-before reminders due), and how many.

    The first day, not the busiest: at a later day's eve, every earlier day's reminders would be due too, and
    the first queueing pass (oldest first) would be spent on visits that have already started.
    """
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        row = await conn.fetchrow(
            "SELECT min(starts_at) AS first, count(*) AS n FROM booking "
            "GROUP BY (starts_at AT TIME ZONE 'Europe/Oslo')::date ORDER BY 1 LIMIT 1"
        )
    finally:
        await conn.close()
    assert row is not None  # noqa: S101 - the seed made bookings
    return row["first"] - timedelta(hours=24) + timedelta(hours=8, minutes=1), int(row["n"])


async def _send_through_worker(settings: Settings, maker: async_sessionmaker[Any], now: datetime) -> float:
    clock = lambda: now  # noqa: E731 - the worker's frozen clock
    ctx = {"sessionmaker": maker, "clock": clock, "window": timedelta(0), "channels": channels_from_settings(settings)}
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url or ""))
    started = time.perf_counter()
    await pool.enqueue_job("tick", _queue_name=queue_name(settings))
    await pool.aclose()
    worker = create_worker(settings, ctx=ctx, burst=True, cron_jobs=[], handle_signals=False, poll_delay=0.01,
                           max_jobs=CONCURRENCY)  # fmt: skip
    try:
        await worker.main()
    finally:
        await worker.close()
    return time.perf_counter() - started


async def _baseline(port: int, count: int) -> float:
    """`count` messages straight to SMTP, CONCURRENCY at a time: the least any sender must do."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(index: int) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.no", f"b{index}@example.no", "Påminnelse"
        message.set_content("Hei")
        async with gate:
            await aiosmtplib.send(message, hostname="127.0.0.1", port=port)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return time.perf_counter() - started


async def measure(admin_url: str, redis_url: str, bookings: int) -> dict[str, Any]:
    """One run in a database and a Redis prefix of its own, both removed afterwards."""
    token = uuid.uuid4().hex[:8]
    name, prefix = f"bench_reminders_{token}", f"bench:{token}:"
    await embedded.ensure_database(admin_url, name)
    url = async_database_url(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    handler, port = Counting(), _free_port()
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    engine = create_async_engine(url, pool_size=10, max_overflow=0)
    try:
        await asyncio.to_thread(upgrade, url)
        await _seed(url, bookings)
        maker = async_sessionmaker(engine, expire_on_commit=False)
        now = datetime.now(UTC)
        started = time.perf_counter()
        cold = await reconcile(maker, lambda: now)
        cold_s = time.perf_counter() - started
        started = time.perf_counter()
        await reconcile(maker, lambda: now)
        warm_s = time.perf_counter() - started
        evening, _ = await _first_day_evening(url)
        settings = Settings(DATABASE_URL=url, REDIS_URL=redis_url, redis_prefix=prefix, smtp_host="127.0.0.1",
                            smtp_port=port, smtp_security="none", mail_from="ikke-svar@example.no")  # fmt: skip
        sent_s = await _send_through_worker(settings, maker, evening)
        sent = handler.accepted
        baseline_s = await _baseline(port, sent)
        return {"bookings": bookings, "reminders_planned": cold["planned"], "reconcile_cold_s": round(cold_s, 2),
                "reconcile_warm_s": round(warm_s, 2), "sent": sent, "sent_per_s": round(sent / sent_s, 1),
                "baseline_per_s": round(sent / baseline_s, 1),
                "ratio": round(baseline_s / sent_s, 3)}  # fmt: skip
    finally:
        smtp.stop()
        await engine.dispose()
        redis = Redis.from_url(redis_url)
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def main() -> int:
    """Run --runs times; print each run and the medians; write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to create a throw-away database on")
    parser.add_argument("--redis-url", help="a Redis server (keys under a prefix of their own, deleted after)")
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    services, scratch = embedded.EmbeddedServices(), Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    try:
        admin_url, redis_url = args.database_url, args.redis_url
        if not admin_url:
            services.postgres, admin_url = embedded.start_postgres(
                scratch / "pg", database="postgres", cleanup="delete"
            )
        if not redis_url:
            services.valkey = embedded.start_valkey(scratch / "valkey", persist=False)
            redis_url = services.valkey.connection_url
        admin_url = plain_database_url(admin_url)
        runs = [asyncio.run(measure(admin_url, redis_url, args.bookings)) for _ in range(args.runs)]
    finally:
        services.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    git = ["git", "rev-parse", "--short", "HEAD"]
    sha = subprocess.run(git, capture_output=True, text=True, check=False, cwd=ROOT).stdout.strip()  # noqa: S603
    today = datetime.now(UTC).date().isoformat()
    result = {"git": sha, "host": platform.node(), "date": today, "median": median, "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"reminders-{sha or 'unknown'}.json").write_text(json.dumps(result, indent=1))
    if args.json:
        print(json.dumps(result))
    else:
        for index, run in enumerate(runs, start=1):
            print(f"run {index}: " + ", ".join(f"{k}={v}" for k, v in run.items()))
        print(f"median of {len(runs)}: " + ", ".join(f"{k}={v}" for k, v in median.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
