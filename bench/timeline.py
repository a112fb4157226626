"""Capacity timeline benchmark: expanding 14 days for 100 departments, and re-materialising one ledger.

The expansion is the pure function; the ledger runs in PostgreSQL (first fill, unchanged rerun, and a
rerun after a staff change, each committed).

    python3 -m uv run python -m bench.timeline [--database-url postgresql://...] [--runs 7] [--json]

Without --database-url an embedded PostgreSQL is started in a temporary folder. A throw-away database is
created, migrated and dropped; nothing else is touched. Figures are medians over --runs runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from core.settings import async_database_url, plain_database_url
from departments.ledger import rematerialize
from departments.rules import WeeklyRule, capacity_timeline, norwegian_holidays
from departments.tables import Department, OpeningRule
from people.tables import Municipality
from tjenesteshop import embedded
from tjenesteshop.migrate import upgrade

ZONE = ZoneInfo("Europe/Oslo")
NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)  # two weeks that include Easter and the spring-forward night


def department_rules(index: int) -> list[WeeklyRule]:
    """Varied but realistic weeks: day shifts, some evenings, every tenth department round the clock."""
    if index % 10 == 0:
        return [WeeklyRule(day, clock(0), clock(0), 2) for day in range(7)]
    rules = []
    for day in range(5):
        rules += [WeeklyRule(day, clock(8), clock(12), 3), WeeklyRule(day, clock(12), clock(16), 2)]
        if index % 3 == 0:
            rules.append(WeeklyRule(day, clock(16), clock(21), 1))
    return rules


def time_expansion(runs: int) -> float:
    """Median seconds to expand 14 days for 100 departments (15-minute grid)."""
    first = NOW.astimezone(ZONE).date()
    last = first + timedelta(days=14)
    holidays = norwegian_holidays(first, last)
    departments = [department_rules(i) for i in range(100)]
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        for rules in departments:
            capacity_timeline(rules, [], zone=ZONE, grid_minutes=15, first=first, last=last, holidays=holidays)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


async def _department(session: AsyncSession) -> Department:
    municipality = Municipality(id=uuid.uuid4(), number="9998", name="Benchkommune")
    department = Department(id=uuid.uuid4(), municipality_id=municipality.id, name="Bench", horizon_days=14)
    session.add(municipality)
    await session.flush()  # no ORM relationship orders the inserts: the parent goes first
    session.add(department)
    await session.flush()
    for rule in department_rules(0) + department_rules(3):
        session.add(OpeningRule(municipality_id=municipality.id, department_id=department.id, weekday=rule.weekday,
                                start_minute=rule.start.hour * 60, end_minute=rule.end.hour * 60 or 1440,
                                staff=rule.staff))  # fmt: skip
    await session.flush()
    return department


async def time_rematerialize(url: str, runs: int) -> dict[str, float]:
    """Median seconds for a first fill, an unchanged rerun and a rerun after a staff change, each committed."""
    engine = create_async_engine(url)
    figures: dict[str, list[float]] = {"fill": [], "unchanged": [], "changed": []}
    try:
        for run in range(runs):
            async with AsyncSession(engine, expire_on_commit=False) as session:
                department = await _department(session)
                await session.commit()
                for phase in ("fill", "unchanged", "changed"):
                    if phase == "changed":
                        await session.execute(
                            update(OpeningRule).where(OpeningRule.department_id == department.id).values(staff=4 + run)
                        )
                    started = time.perf_counter()
                    await rematerialize(session, department, now=NOW)
                    await session.commit()
                    figures[phase].append(time.perf_counter() - started)
                await session.delete(department)
                await session.delete(await session.get(Municipality, department.municipality_id))
                await session.commit()
    finally:
        await engine.dispose()
    return {phase: statistics.median(values) for phase, values in figures.items()}


def _git_sha() -> str:
    command = ["git", "rev-parse", "--short", "HEAD"]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603


async def _with_database(admin_url: str, runs: int) -> dict[str, float]:
    name = f"bench_timeline_{uuid.uuid4().hex[:8]}"
    await embedded.ensure_database(admin_url, name)
    url = async_database_url(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        await asyncio.to_thread(upgrade, url)
        return await time_rematerialize(url, runs)
    finally:
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def main() -> None:
    """Run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to create a throw-away database on")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    expand = time_expansion(args.runs)
    services = embedded.EmbeddedServices()
    try:
        admin_url = args.database_url
        if not admin_url:
            services.postgres, admin_url = embedded.start_postgres(
                Path(tempfile.mkdtemp(prefix="bench-pg-")) / "pg", database="postgres", cleanup="delete"
            )
        ledger = asyncio.run(_with_database(plain_database_url(admin_url), args.runs))
    finally:
        services.stop()
    result = {
        "git": _git_sha(),
        "host": platform.node(),
        "runs": args.runs,
        "expand_100_departments_14_days_ms": round(expand * 1000, 1),
        "rematerialize_fill_ms": round(ledger["fill"] * 1000, 1),
        "rematerialize_unchanged_ms": round(ledger["unchanged"] * 1000, 1),
        "rematerialize_after_staff_change_ms": round(ledger["changed"] * 1000, 1),
        "date": date.today().isoformat(),  # noqa: DTZ011
    }
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
