"""A world with opening hours and a materialised ledger, and helpers to book in it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from departments.ledger import rematerialize
from departments.rules import norwegian_holidays
from departments.tables import Department, OpeningRule, Service

OSLO = ZoneInfo("Europe/Oslo")


async def open_department(
    session: AsyncSession, department_id: object, *, staff: int = 2, now: datetime | None = None
) -> Department:
    """Open the department 08-16 every day with `staff` on duty, and materialise its ledger from `now` (the clock's)."""
    department = await session.get(Department, department_id)
    assert department is not None
    for weekday in range(7):
        session.add(OpeningRule(municipality_id=department.municipality_id, department_id=department.id,
                                weekday=weekday, start_minute=8 * 60, end_minute=16 * 60, staff=staff))  # fmt: skip
    await session.flush()
    await rematerialize(session, department, now=now or utcnow())
    await session.flush()
    return department


def oslo_today() -> date:
    """Today in Oslo: the day the service's periods, notices and horizons count from (not the machine's UTC date)."""
    return utcnow().astimezone(OSLO).date()


def bookable_day(days_ahead: int = 2) -> date:
    """A day at least `days_ahead` days from now that is not a public holiday (so the department is open)."""
    day = oslo_today() + timedelta(days=days_ahead)
    holidays = norwegian_holidays(day, day + timedelta(days=10))
    while day in holidays:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time in Oslo."""
    return datetime.combine(day, time(hour, minute), tzinfo=OSLO)


async def service_of(session: AsyncSession, department_id: object) -> Service:
    """The department's (only) service."""
    service = await session.scalar(select(Service).where(Service.department_id == department_id))
    assert service is not None
    return service
