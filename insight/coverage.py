"""Capacity coverage per department and ISO week (the resource allocation model): staffed against allocated."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation, Booking
from departments.ledger import department_timeline
from departments.service import administered_department, local_today
from departments.tables import CapacityCell, Department, Service
from insight import rules
from people.access import Principal

_SECONDS_A_MINUTE = 60


@dataclass(frozen=True)
class Coverage:
    """A department's weeks."""

    department: Department
    weeks: list[rules.CoverageWeek]


async def staffed_days(session: AsyncSession, department: Department, first: date, last: date) -> dict[date, int]:
    """Staff-unit minutes per local date in [first, last]: the capacity ledger where it has the day, else the rules.

    The ledger (today through the booking horizon, and any earlier days it kept) is what bookings were taken
    against; further ahead, the weekly rules, date exceptions and public holidays are expanded the same way
    (`departments.rules.capacity_timeline`).
    """
    planned = rules.staffed_by_day(
        rules.Staffed(cell.local_date, (cell.end - cell.start) // timedelta(minutes=1), cell.capacity)
        for cell in await department_timeline(session, department, first, last)
    )
    seconds = func.extract("epoch", CapacityCell.ends_at - CapacityCell.starts_at)
    rows = await session.execute(
        select(CapacityCell.local_date, func.sum(seconds * CapacityCell.capacity))
        .where(CapacityCell.department_id == department.id,
               CapacityCell.municipality_id == department.municipality_id,
               CapacityCell.local_date.between(first, last))
        .group_by(CapacityCell.local_date)
    )  # fmt: skip
    ledger = {day: int(total) // _SECONDS_A_MINUTE for day, total in rows.tuples()}
    return planned | ledger


async def _shares(session: AsyncSession, department: Department, first: date, last: date) -> list[rules.Share]:
    rows = await session.execute(
        select(Allocation.minutes, Allocation.period, Allocation.valid_from, Allocation.valid_to, Service.staff_units)
        .join(Service, Service.id == Allocation.service_id)
        .where(Allocation.department_id == department.id, Allocation.municipality_id == department.municipality_id,
               Allocation.valid_from <= last,
               (Allocation.valid_to.is_(None)) | (Allocation.valid_to >= first))
    )  # fmt: skip
    return [rules.Share(*row) for row in rows.tuples()]


async def _loads(session: AsyncSession, department: Department, first: date, last: date) -> list[rules.Load]:
    zone = ZoneInfo(department.timezone)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    rows = await session.execute(
        select(Booking.starts_at, Booking.minutes, Booking.staff_units, Booking.status)
        .where(Booking.department_id == department.id, Booking.municipality_id == department.municipality_id,
               Booking.starts_at >= start, Booking.starts_at < end)
    )  # fmt: skip
    return [rules.Load(at.astimezone(zone).date(), minutes, units, status) for at, minutes, units, status
            in rows.tuples()]  # fmt: skip


async def department_coverage(  # noqa: PLR0913 - keyword-only after the department
    session: AsyncSession, principal: Principal, department_id: uuid.UUID, *, first: date | None, weeks: int,
    now: datetime,
) -> Coverage:  # fmt: skip
    """The department's coverage for `weeks` ISO weeks from the week of `first` (default: this local week).

    For the department's administrators and the municipality's (404 outside the municipality, 403 inside).
    Figures and warnings: `insight.rules.coverage`.
    """
    department = await administered_department(session, principal, department_id)
    monday = rules.monday_of(first or local_today(department, now))
    mondays = [monday + timedelta(weeks=week) for week in range(weeks)]
    last = mondays[-1] + timedelta(days=6)
    days = await staffed_days(session, department, monday, last)
    shares = await _shares(session, department, monday, last)
    loads = await _loads(session, department, monday, last)
    return Coverage(department, rules.coverage(mondays, days, shares, loads))
