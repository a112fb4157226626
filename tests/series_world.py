"""Helpers for recurring-visit tests: a department opened at a fixed instant, and series made directly."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Booking, BookingSeries
from departments.tables import Department
from tests.booking_world import open_department


async def open_at(session: AsyncSession, department_id: uuid.UUID, now: datetime, *, staff: int = 2) -> Department:
    """Open the department 08-16 every day with `staff` on duty; materialise its ledger as of `now`."""
    return await open_department(session, department_id, staff=staff, now=now)


async def add_series(
    session: AsyncSession, department: Department, recipient_id: uuid.UUID, service_id: uuid.UUID, *,
    weekdays: list[int], at: time, valid_from: date, every_weeks: int = 1, minutes: int = 60,
) -> BookingSeries:  # fmt: skip
    """A weekly series made by the recipient."""
    series = BookingSeries(municipality_id=department.municipality_id, recipient_id=recipient_id,
                           department_id=department.id, service_id=service_id, minutes=minutes, weekdays=weekdays,
                           local_time=at, valid_from=valid_from, every_weeks=every_weeks, acted_by="recipient",
                           created_by_id=recipient_id)  # fmt: skip
    session.add(series)
    await session.flush()
    return series


async def series_bookings(session: AsyncSession, series_id: uuid.UUID) -> list[Booking]:
    """The series' bookings in time order."""
    found = await session.scalars(select(Booking).where(Booking.series_id == series_id).order_by(Booking.starts_at))
    return list(found.all())
