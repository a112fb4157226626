"""The daily series run: how long the worker takes to book a new day's occurrences of 10,000 active series.

    uv run python -m bench.series_run [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                                      [--series 10000] [--departments 60] [--json]

A throw-away database (created, migrated, dropped): `--departments` departments open 08-16 with room for every
series under the 50 % share, `--series` recipients each with a decision and a series every day at a time spread
over the opening hours, already handled through today's horizon (as earlier runs would have left them). Then the
daily job (`notifications.daily.open_days`) runs for tomorrow (untimed: the day before, see `_measure`), the
statistics are refreshed, and it runs for the day after, timed: each department's new day is opened and its
occurrences booked through `book_series_visits` (each occurrence through `book_visit`) in that transaction. Prints
the run's time and the occurrences booked a second. The issue's target: under 60 s for 10,000 series.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import subprocess
import time as clock
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from booking.tables import Allocation, Booking, BookingSeries, SeriesFailure
from core.settings import async_database_url
from departments.ledger import horizon, rematerialize
from departments.tables import Department, OpeningRule, Service
from notifications.daily import open_days
from people.rules import national_id_hash
from people.tables import Municipality, Person
from tjenesteshop import embedded
from tjenesteshop.migrate import upgrade

NOW = datetime(2027, 10, 19, 4, 0, tzinfo=UTC)  # a Tuesday's early morning; tomorrow opens a Wednesday-after-next
STARTS = [time(8 + q // 4, 15 * (q % 4)) for q in range(28)]  # 08:00 .. 14:45, so a 60-minute visit ends by 16:00
KEY = b"bench-series-key"


async def _seed(url: str, series: int, departments: int) -> None:
    engine = create_async_engine(url)
    per = series // departments
    # Twice the series units a cell sees (four starts overlap each cell), so the 50 % share never binds; at most the
    # 50 staff a window allows, hence the default of 60 departments for 10,000 series.
    staff = min(50, 2 * 4 * -(-per // len(STARTS)))
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        municipality = Municipality(id=uuid.uuid4(), number="7001", name="Benkkommune")
        session.add(municipality)
        await session.flush()
        for d in range(departments):
            department = Department(id=uuid.uuid4(), municipality_id=municipality.id, name=f"Avdeling {d}",
                                    notice_hours=0)  # fmt: skip
            session.add(department)
            await session.flush()
            svc = Service(id=uuid.uuid4(), municipality_id=municipality.id, department_id=department.id,
                          name={"nb": "Besøk"}, description={"nb": "Besøk"}, durations=[60])  # fmt: skip
            session.add(svc)
            session.add_all(OpeningRule(municipality_id=municipality.id, department_id=department.id, weekday=w,
                                        start_minute=480, end_minute=960, staff=staff) for w in range(7))  # fmt: skip
            await session.flush()
            await rematerialize(session, department, now=NOW)
            _, last = horizon(department, NOW)
            people = [{"id": uuid.uuid4(), "municipality_id": municipality.id, "given_name": f"Fast{d}-{i}",
                       "family_name": "Avtale", "national_id_hash": national_id_hash(f"bench-{d}-{i}", KEY),
                       "national_id_masked": "010180 *****"} for i in range(per)]  # fmt: skip
            await session.execute(insert(Person), people)
            await session.execute(insert(Allocation), [
                {"id": uuid.uuid4(), "municipality_id": municipality.id, "recipient_id": p["id"],
                 "department_id": department.id, "service_id": svc.id, "minutes": 600, "period": "week",
                 "valid_from": date(2027, 1, 1)} for p in people])  # fmt: skip
            await session.execute(insert(BookingSeries), [
                {"id": uuid.uuid4(), "municipality_id": municipality.id, "recipient_id": p["id"],
                 "department_id": department.id, "service_id": svc.id, "minutes": 60, "weekdays": list(range(7)),
                 "local_time": STARTS[i % len(STARTS)], "valid_from": date(2027, 1, 1), "acted_by": "recipient",
                 "created_by_id": p["id"], "booked_through": last} for i, p in enumerate(people)])  # fmt: skip
    await engine.dispose()


async def _measure(url: str) -> dict[str, Any]:
    engine = create_async_engine(url, pool_size=10)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    # Yesterday's run first: a database in use holds the bookings of earlier runs, and its statistics know them
    # (autovacuum's ANALYZE). Timed from a database whose booking table was empty when analysed, plans chosen for
    # an empty table scan what the run books and the time grows with the square of the series (measured: 10,000
    # series took 154 s that way, 0.2 s a department after an ANALYZE).
    started = clock.perf_counter()
    await open_days(maker, NOW + timedelta(days=1))
    first_seconds = clock.perf_counter() - started
    async with engine.connect() as conn:
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("ANALYZE"))
    async with maker() as session:
        before = await session.scalar(select(func.count()).select_from(Booking).where(Booking.series_id.is_not(None)))
    started = clock.perf_counter()
    result = await open_days(maker, NOW + timedelta(days=2))
    seconds = clock.perf_counter() - started
    async with maker() as session:
        booked = await session.scalar(select(func.count()).select_from(Booking).where(Booking.series_id.is_not(None)))
        booked = (booked or 0) - (before or 0)
        failed = await session.scalar(select(func.count()).select_from(SeriesFailure))
        reasons = dict((await session.execute(
            select(SeriesFailure.reason, func.count()).group_by(SeriesFailure.reason))).tuples().all())  # fmt: skip
    await engine.dispose()
    return {"seconds": round(seconds, 2), "first_run_unanalysed_seconds": round(first_seconds, 2),
            "occurrences_booked": booked, "failures": failed,
            "occurrences_per_s": round((booked or 0) / seconds, 1), "reasons": reasons, "job": result}  # fmt: skip


async def main(admin_url: str, series: int, departments: int) -> dict[str, Any]:
    """Create, seed, measure, drop."""
    name = f"bench_series_{uuid.uuid4().hex[:8]}"
    await embedded.ensure_database(admin_url, name)
    url = async_database_url(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        await asyncio.to_thread(upgrade, url)
        seeded = clock.perf_counter()
        await _seed(url, series, departments)
        figures = await _measure(url)
        figures["seed_seconds"] = round(
            clock.perf_counter() - seeded - figures["seconds"] - figures["first_run_unanalysed_seconds"], 1
        )
    finally:
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
    return {"series": series, "departments": departments, "host": platform.node(), **figures}


def _git_sha() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)  # noqa: S607
    return found.stdout.strip()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--departments", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out = asyncio.run(main(args.database_url, args.series, args.departments)) | {"git": _git_sha()}
    if args.json:
        print(json.dumps(out, default=str))
    else:
        print(
            f"daily series run: {out['occurrences_booked']} occurrences of {out['series']} series in "
            f"{out['departments']} departments booked in {out['seconds']} s "
            f"({out['occurrences_per_s']} a second), {out['failures']} refused {out['reasons']}; "
            f"seeding {out['seed_seconds']} s; the day before (statistics of empty tables): "
            f"{out['first_run_unanalysed_seconds']} s"
        )
