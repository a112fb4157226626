"""`GET /api/v1/availability`: free and busy times for a recipient and a service, per local date."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.dependencies import DbSession
from api.problems import Problem
from api.transactions import AUTOCOMMIT, READS
from booking.access import visible_in_department
from booking.availability import FreeDay, Slot, load_free_times
from booking.service import policy_of, service_and_department
from core.clock import utcnow
from people.access import Principal


class LengthRead(msgspec.Struct):
    """One allowed length at one start, and whether it can be booked.

    `free`; `busy` (taken by others, or fewer staff on duty than the visit needs); `yours` (you have a visit
    then); `no_hours` (fewer minutes left in your decision's period than this length: see the day's `hours`);
    `too_soon` (inside the department's notice, `notice_hours` from now).
    """

    minutes: int
    status: Literal["free", "busy", "yours", "no_hours", "too_soon"]


class SlotRead(msgspec.Struct):
    """A start time (RFC 3339 with the department's offset)."""

    start: datetime
    lengths: list[LengthRead]


class HoursRead(msgspec.Struct):
    """The recipient's decision on that date: its period, the minutes left in it, and when new minutes begin.

    `next_period_start`: the first later date counted in another period (the next week, month or four weeks, or
    the day another decision takes over); null when no decision is valid after.
    """

    period: Literal["week", "month", "four_weeks"]
    period_start: date
    period_end: date
    left_minutes: int
    next_period_start: date | None


class DayRead(msgspec.Struct):
    """A local date with a valid decision, and its start times.

    `closed`: the department has no staff on duty that day (its weekly hours, a closed day or a public holiday), so
    there are no starts.
    """

    date: date
    closed: bool
    hours: HoursRead
    slots: list[SlotRead]


class AvailabilityRead(msgspec.Struct):
    """Free times for a recipient and service."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    timezone: str
    days: list[DayRead]


class AvailabilityController(Controller):
    """Times shown as busy stay in the list, so the calendar does not jump about."""

    path = "/api/v1/availability"
    tags = ["bookings"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/", summary="Free and busy times for the next days", opt={READS: "availability.read", AUTOCOMMIT: True})
    async def availability(
        self,
        db_session: DbSession,
        current: NamedDependency[Principal],
        recipient_id: Annotated[uuid.UUID, QueryParameter()],
        service_id: Annotated[uuid.UUID, QueryParameter()],
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
        moving: Annotated[
            uuid.UUID | None,
            QueryParameter(description="A booked visit of theirs on the service, being moved: given back first"),
        ] = None,
    ) -> AvailabilityRead:
        """From `from` (default today) through `to` (default the horizon's last day), in the department's zone.

        Every date with a valid decision is listed, with no starts when closed or when all have passed; a
        recipient without a valid decision in the range gets no dates. With `moving`, the times are those the booking
        can move to: its own time, staff and minutes count as free (404 when it is not the recipient's booked visit
        of this service).
        """
        now = utcnow()
        service, department = await service_and_department(db_session, current, service_id)
        policy = policy_of(department)
        today = now.astimezone(ZoneInfo(department.timezone)).date()
        await visible_in_department(db_session, current, recipient_id, department.id, today)
        horizon_last = today + timedelta(days=department.horizon_days)
        first, last = max(first or today, today), min(last or horizon_last, horizon_last)
        if last < first:
            raise Problem("invalid_range", extra={"max_days": department.horizon_days})
        days = await load_free_times(
            db_session, recipient_id=recipient_id, service=service, department=department,
            first=first, last=last, policy=policy, now=now, moving=moving,
        )  # fmt: skip
        return AvailabilityRead(
            recipient_id=recipient_id, service_id=service.id, timezone=department.timezone, days=_days(days)
        )


def _days(days: list[FreeDay]) -> list[DayRead]:
    """The days in order, each distinct list of lengths built once and shared.

    A 14-day answer has hundreds of starts but a handful of distinct length lists; they are only read (to be
    encoded), so sharing them saves a few structs a start.
    """
    shared: dict[tuple[tuple[int, str], ...], list[LengthRead]] = {}

    def lengths(durations: dict[int, str]) -> list[LengthRead]:
        key = tuple(durations.items())
        found = shared.get(key)
        if found is None:
            found = shared[key] = [LengthRead(minutes, status) for minutes, status in key]  # type: ignore[arg-type]
        return found

    def slots(day: list[Slot]) -> list[SlotRead]:
        return [SlotRead(s.start, lengths(s.durations)) for s in day]

    def hours(day: FreeDay) -> HoursRead:
        a = day.allowance
        return HoursRead(a.period, a.period_start, a.period_end, max(0, a.left), a.renews)  # type: ignore[arg-type]

    return [DayRead(d.day, d.closed, hours(d), slots(d.slots)) for d in days]
