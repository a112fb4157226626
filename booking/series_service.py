"""Recurring-visit use cases, one transaction each: create, list, change, end. Never commits.

Access is a booking's: the recipient, their proxy, and staff or administrators of the department on their behalf
(`booking.access`). Creating books the occurrences already inside the horizon at once (`booking.series`), through
the same function as every booking; changing the pattern cancels the future occurrences of the old one that have
not begun (as the recipient cancelling them would), forgets its refused dates still to come, and books the new
one's; ending cancels the future ones and forgets their refused dates. The past is kept. Moving or cancelling one
occurrence is a booking's own business and leaves the series.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking import service as bookings
from booking.access import recipient_scope, visible_in_department
from booking.errors import BookingRefusedError
from booking.series import Outcome, book_series_days, forget_refusals
from booking.tables import Booking, BookingSeries, SeriesFailure
from core.errors import NotFoundError
from departments.tables import Department, Service
from people.access import Principal
from people.audit import Origin, record


@dataclass(frozen=True)
class SeriesRequest:
    """A recurring visit: `minutes` of a service on some weekdays at a local time, from a date, perhaps until one."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    minutes: int
    weekdays: tuple[int, ...]
    local_time: time
    valid_from: date
    valid_until: date | None
    every_weeks: int


@dataclass(frozen=True)
class SeriesChange:
    """A new pattern (the fields given), or the end of the series."""

    weekdays: tuple[int, ...] | None = None
    local_time: time | None = None
    every_weeks: int | None = None
    valid_until: date | None = None


def _pattern_problem(department: Department, durations: list[int], minutes: int, at: time) -> str | None:
    if not department.series_allowed:
        return "series_not_allowed"
    if minutes not in durations:
        return "duration_not_allowed"
    if at.second or at.microsecond or (at.hour * 60 + at.minute) % department.grid_minutes:
        return "not_on_grid"
    return None


async def create(
    session: AsyncSession, principal: Principal, origin: Origin, request: SeriesRequest, *, now: datetime
) -> tuple[BookingSeries, list[Outcome]]:
    """Make the series and book its occurrences already inside the horizon; the refused ones are reported."""
    svc, department = await bookings.service_and_department(session, principal, request.service_id)
    today = now.astimezone(ZoneInfo(department.timezone)).date()
    recipient = await visible_in_department(session, principal, request.recipient_id, department.id, today)
    problem = _pattern_problem(department, list(svc.durations), request.minutes, request.local_time)
    if problem is None and request.valid_until is not None and request.valid_until < request.valid_from:
        problem = "invalid_range"
    if problem is None and request.valid_until is not None and request.valid_until < today:
        problem = "in_the_past"
    if problem is not None:
        raise BookingRefusedError(problem)
    series = BookingSeries(
        id=uuid.uuid4(), municipality_id=principal.municipality_id, recipient_id=recipient.id,
        department_id=department.id, service_id=svc.id, minutes=request.minutes,
        weekdays=sorted(set(request.weekdays)), local_time=request.local_time,
        valid_from=max(request.valid_from, today), valid_until=request.valid_until, every_weeks=request.every_weeks,
        acted_by=await bookings.acting_as(session, principal, recipient, today), created_by_id=principal.person_id,
    )  # fmt: skip
    session.add(series)
    await session.flush()
    await record(session, principal, origin, action="series.create", object_type="booking_series",
                 object_id=series.id, subject_person_id=recipient.id)  # fmt: skip
    outcomes = await book_series_days(session, department, now=now, series=[series])
    return series, outcomes


async def list_series(
    session: AsyncSession, principal: Principal, recipient_id: uuid.UUID, today: date
) -> list[tuple[BookingSeries, list[SeriesFailure]]]:
    """The recipient's series (active first), each with its refused occurrences from today on."""
    person, departments = await recipient_scope(session, principal, recipient_id, today)
    query = (
        select(BookingSeries)
        .where(BookingSeries.municipality_id == principal.municipality_id, BookingSeries.recipient_id == person.id)
        .order_by(BookingSeries.ended_at.is_not(None), BookingSeries.created_at.desc())
        .limit(100)
    )
    if departments is not None:
        query = query.where(BookingSeries.department_id.in_(departments))
    found = list((await session.scalars(query)).all())
    failures = (
        await session.scalars(
            select(SeriesFailure)
            .where(
                SeriesFailure.municipality_id == principal.municipality_id,
                SeriesFailure.series_id.in_([s.id for s in found]),
                SeriesFailure.day >= today,
            )
            .order_by(SeriesFailure.starts_at)
        )
    ).all()
    return [(s, [f for f in failures if f.series_id == s.id]) for s in found]


async def _locked(session: AsyncSession, principal: Principal, series_id: uuid.UUID, today: date) -> BookingSeries:
    series = await session.scalar(
        select(BookingSeries)
        .where(BookingSeries.id == series_id, BookingSeries.municipality_id == principal.municipality_id)
        .with_for_update()
    )
    if series is None:
        raise NotFoundError
    await visible_in_department(session, principal, series.recipient_id, series.department_id, today)
    if series.ended_at is not None:
        raise BookingRefusedError("series_ended")
    return series


async def _cancel_future(
    session: AsyncSession, principal: Principal, origin: Origin, series: BookingSeries, now: datetime
) -> int:
    """Cancel the series' booked occurrences that have not begun, as a cancellation by the caller (its rules apply)."""
    future = (
        await session.scalars(
            select(Booking.id)
            .where(Booking.municipality_id == series.municipality_id, Booking.recipient_id == series.recipient_id,
                   Booking.series_id == series.id, Booking.status == "booked", Booking.starts_at > now)
            .order_by(Booking.starts_at)
        )
    ).all()  # fmt: skip
    for booking_id in future:
        await bookings.cancel(session, principal, origin, booking_id, now=now)
    return len(future)


async def change(  # noqa: PLR0913 - keyword-only after the change; each is needed
    session: AsyncSession, principal: Principal, origin: Origin, series_id: uuid.UUID, new: SeriesChange, *,
    now: datetime,
) -> tuple[BookingSeries, list[Outcome]]:  # fmt: skip
    """A new pattern from now on: the old one's future occurrences are cancelled, the new one's booked."""
    department_zone = await _zone_of(session, series_id)
    series = await _locked(session, principal, series_id, now.astimezone(department_zone).date())
    department = await session.get(Department, series.department_id)
    svc = await session.get(Service, series.service_id)
    assert department is not None  # noqa: S101 - a foreign key guarantees it
    assert svc is not None  # noqa: S101 - a foreign key guarantees it
    at = new.local_time or series.local_time
    problem = _pattern_problem(department, list(svc.durations), series.minutes, at)
    if problem is None and new.valid_until is not None and new.valid_until < series.valid_from:
        problem = "invalid_range"
    if problem is not None:
        raise BookingRefusedError(problem)
    await _cancel_future(session, principal, origin, series, now)
    await forget_refusals(session, series, after=now)  # the new pattern's are recorded anew
    series.weekdays = sorted(set(new.weekdays)) if new.weekdays else series.weekdays
    series.local_time, series.every_weeks = at, new.every_weeks or series.every_weeks
    series.valid_until = new.valid_until if new.valid_until is not None else series.valid_until
    series.revision, series.booked_through, series.changed_at = series.revision + 1, None, now
    await record(session, principal, origin, action="series.update", object_type="booking_series",
                 object_id=series.id, subject_person_id=series.recipient_id)  # fmt: skip
    await session.flush()
    return series, await book_series_days(session, department, now=now, series=[series])


async def end(
    session: AsyncSession, principal: Principal, origin: Origin, series_id: uuid.UUID, *, now: datetime
) -> BookingSeries:
    """End the series: its future occurrences are cancelled, the past kept."""
    series = await _locked(session, principal, series_id, now.astimezone(await _zone_of(session, series_id)).date())
    await _cancel_future(session, principal, origin, series, now)
    await forget_refusals(session, series, after=now)
    series.ended_at = series.changed_at = now
    await record(session, principal, origin, action="series.end", object_type="booking_series", object_id=series.id,
                 subject_person_id=series.recipient_id)  # fmt: skip
    return series


async def _zone_of(session: AsyncSession, series_id: uuid.UUID) -> ZoneInfo:
    zone = await session.scalar(
        select(Department.timezone).join(BookingSeries, BookingSeries.department_id == Department.id)
        .where(BookingSeries.id == series_id)
    )  # fmt: skip
    return ZoneInfo(zone or "Europe/Oslo")
